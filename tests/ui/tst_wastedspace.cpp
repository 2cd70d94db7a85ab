// SPDX-License-Identifier: MIT
// Wasted space in the window, offscreen: the one-line summary over the layers agrees with
// `lamina inspect`, the paths wasting the most are listed beside the preview and each takes the
// files tree to its hidden copy, everything clears for another archive, and every size column
// says what it counts.
#include "filetreemodel.h"
#include "inspect/layerspage.h"
#include "layersmodel.h"
#include "mainwindow.h"
#include "testsupport.h"
#include "windowsupport.h"

#include <QApplication>
#include <QCheckBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTest>
#include <QTreeView>
#include <QTreeWidget>

using namespace lamina;

class TestWastedSpace : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QApplication::setOrganizationName(QStringLiteral("LaminaTest"));
        QStandardPaths::setTestModeEnabled(true);
    }
    void summaryAgreesWithInspect();
    void aWastedPathShowsItsCopyInTheFiles();
    void clearedForAnotherArchive();
    void everySizeColumnSaysWhatItCounts();

private:
    static QJsonObject inspectJson(const QString &path)
    {
        QProcess p;
        p.start(QStringLiteral(LAMINA_BINARY), { QStringLiteral("inspect"), QStringLiteral("--json"), path });
        if (!p.waitForFinished(120000))
            return {};
        return QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    }
};

void TestWastedSpace::summaryAgreesWithInspect()
{
    // dive's own test image: files written again in later layers, and deleted.
    const QString path = test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    const QJsonObject image = inspectJson(path).value(u"images").toArray().at(0).toObject();
    const qint64 wasted = image.value(u"wastedBytes").toInteger(-1);
    const QJsonArray layers = image.value(u"layers").toArray();
    const qint64 visible = layers.last().toObject().value(u"cumulativeSize").toInteger(-1);
    QVERIFY(wasted > 0 && visible > 0);
    const double efficiency = image.value(u"efficiency").toDouble();

    MainWindow w;
    w.resize(1280, 720);
    w.show();
    QVERIFY(test::openAndWait(w, path));
    w.showTab(MainWindow::LayersTab);
    auto *page = w.findChild<LayersPage *>();
    QVERIFY(page);
    const QLocale locale;
    const QString summary = page->summary()->text();
    QVERIFY2(summary.contains(QStringLiteral("wasted %1").arg(locale.formattedDataSize(wasted))), qPrintable(summary));
    QVERIFY2(
        summary.contains(QStringLiteral("visible %1").arg(locale.formattedDataSize(visible))), qPrintable(summary));
    QVERIFY2(summary.contains(locale.formattedDataSize(visible + wasted)), qPrintable(summary));
    QVERIFY2(summary.contains(QStringLiteral("efficiency %1 %").arg(locale.toString(efficiency * 100.0, 'f', 1))),
        qPrintable(summary));
    // One line over the table: the table keeps its height at 1280×720.
    QVERIFY(page->summary()->isVisible());
    QVERIFY(page->summary()->height() < 2 * page->summary()->fontMetrics().height());

    // The paths, beside the preview, biggest first, adding up to what inspect calls wasted.
    QTabWidget *side = page->sideTabs();
    QTreeWidget *list = page->wastedList();
    QCOMPARE(side->indexOf(list), 1);
    QCOMPARE(side->tabText(1), QStringLiteral("Wasted space (%1)").arg(locale.formattedDataSize(wasted)));
    QVERIFY(list->topLevelItemCount() >= 2);
    QCOMPARE(list->headerItem()->text(1), QStringLiteral("In layers"));
    QCOMPARE(list->headerItem()->text(2), QStringLiteral("Path"));
    for (int c = 0; c < 3; ++c)
        QVERIFY(!list->headerItem()->toolTip(c).isEmpty());
    qint64 sum = 0, previous = std::numeric_limits<qint64>::max();
    QSet<QString> paths;
    for (int i = 0; i < list->topLevelItemCount(); ++i) {
        QTreeWidgetItem *row = list->topLevelItem(i);
        const qint64 bytes = row->data(0, Qt::UserRole + 2).toLongLong();
        QVERIFY(bytes <= previous);
        previous = bytes;
        sum += bytes;
        QVERIFY(!paths.contains(row->text(2))); // one row per path
        paths.insert(row->text(2));
    }
    QCOMPARE(sum, wasted);
    // somefile1.txt, written by layers 3 and 4 and replaced by 5: two hidden copies of 6.25 KiB.
    QTreeWidgetItem *first = list->topLevelItem(0);
    QCOMPARE(first->text(2), QStringLiteral("/root/example/somefile1.txt"));
    QCOMPARE(first->text(1), QStringLiteral("3, 4"));
    QCOMPARE(first->text(0), locale.formattedDataSize(first->data(0, Qt::UserRole + 2).toLongLong()));
}

void TestWastedSpace::aWastedPathShowsItsCopyInTheFiles()
{
    MainWindow w;
    w.resize(1280, 720);
    w.show();
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("dive__test-docker-image.tar"))));
    w.showTab(MainWindow::LayersTab);
    auto *page = w.findChild<LayersPage *>();
    page->sideTabs()->setCurrentIndex(1);
    QTreeWidget *list = page->wastedList();
    QTableView *layers = page->layersView();
    QTreeView *files = page->filesView();

    QVERIFY(list->topLevelItemCount() >= 2);
    // Clicking a row selects its layer, then the path in that layer's tree, folders expanded.
    for (int i = 0; i < list->topLevelItemCount(); ++i) {
        QTreeWidgetItem *row = list->topLevelItem(i);
        const int layer = row->data(0, Qt::UserRole + 1).toInt();
        QVERIFY(row->text(1).startsWith(QString::number(layer)));
        QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(row).center());
        QTRY_COMPARE(layers->currentIndex().row(), layer);
        QTRY_COMPARE(files->currentIndex().data(FileTreeModel::PathRole).toString(), row->text(2).mid(1));
        for (QModelIndex p = files->currentIndex().parent(); p.isValid(); p = p.parent())
            QVERIFY(files->isExpanded(p));
        QVERIFY(page->filesModel()->tree()->topLayer() == layer);
    }
    // A filter hiding the path gives way to the path asked for.
    page->filter()->setText(QStringLiteral("no-such-name"));
    QTreeWidgetItem *first = list->topLevelItem(0);
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(first).center());
    QTRY_COMPARE(files->currentIndex().data(FileTreeModel::PathRole).toString(), first->text(2).mid(1));
    QVERIFY(page->filter()->text().isEmpty());
}

void TestWastedSpace::clearedForAnotherArchive()
{
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("dive__test-docker-image.tar"))));
    auto *page = w.findChild<LayersPage *>();
    QTRY_VERIFY(page->wastedList()->topLevelItemCount() > 0);
    // The moment another archive is shown, nothing of the first is left.
    QString summaryThen;
    int rowsThen = -1;
    connect(&w, &MainWindow::archiveLoaded, this, [&] {
        summaryThen = page->summary()->text();
        rowsThen = page->wastedList()->topLevelItemCount();
    });
    // umoci's v1: one layer, nothing wasted.
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("gen__umoci-layout"))));
    QCOMPARE(rowsThen, 0);
    QVERIFY2(!summaryThen.contains(u"wasted"), qPrintable(summaryThen));
    QVERIFY2(page->summary()->text().contains(QStringLiteral("wasted %1").arg(QLocale().formattedDataSize(0))),
        qPrintable(page->summary()->text()));
    QCOMPARE(page->wastedList()->topLevelItemCount(), 1);
    QVERIFY(page->wastedList()->topLevelItem(0)->isDisabled());
    QVERIFY(page->wastedList()->topLevelItem(0)->text(0).startsWith(u"Nothing wasted"));
    QCOMPARE(page->sideTabs()->tabText(1), QStringLiteral("Wasted space"));
}

void TestWastedSpace::everySizeColumnSaysWhatItCounts()
{
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("dive__test-docker-image.tar"))));
    auto *page = w.findChild<LayersPage *>();
    const QAbstractItemModel *layers = page->layersView()->model();
    const auto tip = [](const QAbstractItemModel *m, int c) {
        return m->headerData(c, Qt::Horizontal, Qt::ToolTipRole).toString();
    };
    QVERIFY(tip(layers, LayersModel::StoredColumn).contains(u"as stored"));
    QVERIFY(tip(layers, LayersModel::FilesColumn).contains(u"uncompressed tar stream"));
    QVERIFY(tip(layers, LayersModel::ContributionColumn).contains(u"minus Image size at the layer below"));
    QVERIFY(tip(layers, LayersModel::CumulativeColumn).contains(u"visible"));
    for (int c = 0; c < LayersModel::ColumnCount; ++c)
        QVERIFY2(!tip(layers, c).isEmpty(), qPrintable(layers->headerData(c, Qt::Horizontal).toString()));
    const QAbstractItemModel *files = page->filesView()->model(); // through the sorting proxy
    QVERIFY(tip(files, FileTreeModel::SizeColumn).contains(u"all layers up to the selected one"));
    QVERIFY(tip(files, FileTreeModel::ChangeColumn).contains(u"What the selected layer did"));
    // "This layer only" counts that layer's own files: the tooltip follows.
    QSignalSpy indexed(&w, &MainWindow::layersIndexed);
    page->layerOnly()->setChecked(true);
    QVERIFY(indexed.wait(30000));
    QVERIFY(tip(files, FileTreeModel::SizeColumn).contains(u"this layer itself stores"));
}

QTEST_MAIN(TestWastedSpace)
#include "tst_wastedspace.moc"
