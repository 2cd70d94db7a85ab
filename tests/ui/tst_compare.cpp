// SPDX-License-Identifier: MIT
// File ▸ Compare With and the compare window, through the real widgets: two archives whose one
// difference is known (tests/fixtures/make_diff_pairs.py), two images of one layout, the menus
// that offer it, and the two versions of a changed file side by side.
#include "compare/comparefilesmodel.h"
#include "compare/comparewindow.h"
#include "filetreemodel.h"
#include "inspect/imagelist.h"
#include "inspect/layerspage.h"
#include "testsupport.h"
#include "windowsupport.h"

#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QSettings>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>
#include <QTimer>
#include <QTreeWidget>

using namespace lamina;

class TestCompare : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QApplication::setOrganizationName(QStringLiteral("LaminaTest"));
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
        QVERIFY(m_dir.isValid());
        QCOMPARE(
            test::runPython({ test::source(QStringLiteral("tests/fixtures/make_diff_pairs.py")), m_dir.path() }), 0);
    }
    void changedFileSideBySide();
    void twoImagesOfOneLayoutFromTheMenu();
    void menusOfferIt();
    void unreadableOtherSide();

private:
    static bool waitCompared(CompareWindow *c)
    {
        QSignalSpy compared(c, &CompareWindow::compared);
        return compared.wait(30000);
    }
    /// The rows of a text view marked with a background, by block number.
    static QList<int> markedRows(const QPlainTextEdit *edit)
    {
        QList<int> rows;
        for (const QTextEdit::ExtraSelection &s : edit->extraSelections())
            rows << s.cursor.blockNumber();
        return rows;
    }
    QTemporaryDir m_dir;
};

// The "content" pair: srv/app.txt's second line differs, at the same size.
void TestCompare::changedFileSideBySide()
{
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, m_dir.filePath(QStringLiteral("content-a.tar"))));
    CompareWindow *c = w.compareWith(m_dir.filePath(QStringLiteral("content-b.tar")), 0, "srv/app.txt");
    QVERIFY(c);
    QSignalSpy shown(c, &CompareWindow::versionsShown);
    QVERIFY(waitCompared(c));
    QVERIFY2(c->summary()->text().contains(u"Only content"), qPrintable(c->summary()->text()));
    // Why: content counted, the rest zero.
    QCOMPARE(c->whyTable()->topLevelItemCount(), kDiffClassCount);
    for (int row = 0; row < kDiffClassCount; ++row) {
        const QTreeWidgetItem *item = c->whyTable()->topLevelItem(row);
        QCOMPARE(item->text(1), QString::number(DiffClass(row) == DiffClass::Content ? 1 : 0));
    }
    // Layers: the bottom one shared, the top one replaced.
    QCOMPARE(c->layersTable()->topLevelItemCount(), 2);
    QCOMPARE(c->layersTable()->topLevelItem(0)->text(3), QStringLiteral("the same"));
    QCOMPARE(c->layersTable()->topLevelItem(1)->text(3), QStringLiteral("other layers"));
    QCOMPARE(c->configTable()->topLevelItem(0)->text(0), QStringLiteral("The configs agree field by field."));
    // The window opened on the path asked for, its two versions side by side.
    QCOMPARE(c->tabs()->currentIndex(), int(CompareWindow::FilesTab));
    QCOMPARE(c->filesModel()->rowCount(), 1);
    QCOMPARE(c->filesView()->currentIndex().row(), 0);
    QVERIFY(shown.count() > 0 || shown.wait(10000));
    QCOMPARE(c->versionA()->document()->findBlockByNumber(1).text(), QStringLiteral("line two"));
    QCOMPARE(c->versionB()->document()->findBlockByNumber(1).text(), QStringLiteral("line TWO"));
    QCOMPARE(markedRows(c->versionA()), QList<int> { 1 });
    QCOMPARE(markedRows(c->versionB()), QList<int> { 1 });
    QVERIFY(c->findChild<QLabel *>(QStringLiteral("compareFileChange"))->text().contains(u"content"));
    c->close();
}

// gen__umoci-layout holds v1 and v2 (v2: a layer deleting /opt/old, adding /opt/new/c, a Cmd).
void TestCompare::twoImagesOfOneLayoutFromTheMenu()
{
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("gen__umoci-layout"))));
    auto *menu = w.menuBar()->findChild<QMenu *>(QStringLiteral("compareMenu"));
    QVERIFY(menu);
    Q_EMIT menu->aboutToShow();
    QAction *other = nullptr;
    for (QAction *a : menu->actions())
        if (a->text().startsWith(u"Image 1 of This Archive"))
            other = a;
    QVERIFY(other);
    other->trigger();
    auto *c = w.findChild<CompareWindow *>();
    QVERIFY(c);
    QVERIFY(waitCompared(c));
    QCOMPARE(c->imageA()->currentIndex(), 0);
    QCOMPARE(c->imageB()->currentIndex(), 1);
    QVERIFY(c->imageB()->isEnabled());
    // B's Cmd is a config field that changes what runs.
    bool cmd = false;
    for (int row = 0; row < c->configTable()->topLevelItemCount(); ++row)
        cmd = cmd || c->configTable()->topLevelItem(row)->text(0) == u"Cmd";
    QVERIFY(cmd);
    // The filter narrows the paths, as typed.
    const int all = c->filesModel()->rowCount();
    c->tabs()->setCurrentIndex(CompareWindow::FilesTab);
    QTest::keyClicks(c->filter(), QStringLiteral("opt/old"));
    QCOMPARE(c->filesModel()->rowCount(), 3); // the folder and its two files
    for (int row = 0; row < 3; ++row)
        QCOMPARE(
            c->filesModel()->index(row, CompareFilesModel::ChangeColumn).data().toString(), QStringLiteral("removed"));
    c->filter()->clear();
    QCOMPARE(c->filesModel()->rowCount(), all);
    // Sorting by size change, a click on its header: the biggest loss first, then the biggest gain.
    c->filesView()->sortByColumn(CompareFilesModel::DeltaColumn, Qt::AscendingOrder);
    const auto delta = [&](int row) {
        const ImageDiff::File &f = c->filesModel()->file(row);
        return (f.change == Change::Removed ? 0 : f.sizeB) - (f.change == Change::Added ? 0 : f.sizeA);
    };
    for (int row = 1; row < c->filesModel()->rowCount(); ++row)
        QVERIFY(delta(row - 1) <= delta(row));
    c->filesView()->sortByColumn(CompareFilesModel::DeltaColumn, Qt::DescendingOrder);
    QVERIFY(delta(0) > 0);
    // The same image on both sides, chosen in place: identical.
    c->imageB()->setCurrentIndex(0);
    QVERIFY(waitCompared(c));
    QVERIFY2(c->summary()->text().contains(u"The same image"), qPrintable(c->summary()->text()));
    QCOMPARE(c->filesModel()->rowCount(), 0);
    c->close();
}

void TestCompare::menusOfferIt()
{
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("dive__test-docker-image.tar"))));
    auto *page = w.findChild<LayersPage *>();
    QSignalSpy asked(page, &LayersPage::compareRequested);
    const auto find = [](const QList<QAction *> &actions) -> QAction * {
        for (QAction *a : actions)
            if (a->text() == u"Compare with…")
                return a;
        return nullptr;
    };
    QObject owner;
    // A layer row's menu: the image as a whole.
    QAction *fromLayer = find(page->layerActions(0, &owner));
    QVERIFY(fromLayer);
    // A file's menu: the image, opened on that path.
    const QModelIndex root = page->filesModel()->index(0, 0);
    QVERIFY(root.isValid());
    QAction *fromFile = find(page->fileActions(root, &owner));
    QVERIFY(fromFile);
    // With recent archives to offer, it pops up the choices.
    QSettings().setValue(
        QStringLiteral("recent"), QStringList { w.current().path, m_dir.filePath(QStringLiteral("mtime-a.tar")) });
    QStringList offered;
    QTimer::singleShot(0, this, [&offered] {
        if (auto *popup = qobject_cast<QMenu *>(QApplication::activePopupWidget())) {
            for (QAction *a : popup->actions())
                offered << a->text();
            popup->close();
        }
    });
    fromFile->trigger();
    QVERIFY2(offered.contains(QStringLiteral("Another &Archive…")), qPrintable(offered.join(u'|')));
    QCOMPARE(asked.count(), 1);
    QCOMPARE(asked.at(0).at(0).toByteArray(), root.data(FileTreeModel::PathRole).toString().toUtf8());
    // The image list's menu has it too.
    bool inImageList = false;
    for (QAction *a : w.findChild<ImageList *>()->actions())
        inImageList = inImageList || a->objectName() == u"compareImage";
    QVERIFY(inImageList);
    // With nothing but this archive, the File menu offers another archive or folder (Ctrl+D).
    auto *menu = w.menuBar()->findChild<QMenu *>(QStringLiteral("compareMenu"));
    Q_EMIT menu->aboutToShow();
    QStringList texts;
    for (QAction *a : menu->actions())
        if (!a->isSeparator())
            texts << a->text();
    QVERIFY2(texts.startsWith(QStringLiteral("Another &Archive…")), qPrintable(texts.join(u'|')));
    QVERIFY(texts.contains(QStringLiteral("Another &Layout Folder…")));
    QCOMPARE(menu->actions().at(0)->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_D));
}

void TestCompare::unreadableOtherSide()
{
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, m_dir.filePath(QStringLiteral("mtime-a.tar"))));
    CompareWindow *c = w.compareWith(m_dir.filePath(QStringLiteral("missing.tar")), 0);
    QVERIFY(waitCompared(c));
    QVERIFY2(c->summary()->text().contains(u"missing.tar"), qPrintable(c->summary()->text()));
    QVERIFY(!c->diff());
    c->close();
}

QTEST_MAIN(TestCompare)
#include "tst_compare.moc"
