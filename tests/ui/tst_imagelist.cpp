// SPDX-License-Identifier: MIT
// The Images list beside the tabs, offscreen, at its real width: a multi-platform index under its
// name with a row per platform and its ID, one image named four times listed once, everything
// readable in 260 pixels, the full digest copyable, and a platform picked showing that image.
#include "inspect/imagelist.h"
#include "layersmodel.h"
#include "mainwindow.h"
#include "testsupport.h"
#include "windowsupport.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QHeaderView>
#include <QLocale>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSplitter>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace lamina;

class TestImageList : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void platformsAreGroupedUnderTheirIndex();
    void oneImageWithFourNamesIsOneRow();
    void everyColumnIsReadableAtItsWidth();
    void digestAndReferenceAreCopyable();
    void halfAPlatformSaysWhichHalf();

private:
    static ImageList *imagesOf(MainWindow &w) { return w.findChild<ImageList *>(QStringLiteral("images")); }

    QTemporaryDir m_fixtures; ///< make_fixtures.py's output
    QTemporaryDir m_findings; ///< make_findings.py's output
};

void TestImageList::initTestCase()
{
    QApplication::setOrganizationName(QStringLiteral("LaminaTest"));
    QStandardPaths::setTestModeEnabled(true);
    QString output;
    QVERIFY2(
        test::runPython({ test::source(QStringLiteral("tests/fixtures/make_fixtures.py")), m_fixtures.path() }, &output)
            == 0,
        qPrintable(output));
    QVERIFY2(
        test::runPython({ test::source(QStringLiteral("tests/fixtures/make_findings.py")), m_findings.path() }, &output)
            == 0,
        qPrintable(output));
}

void TestImageList::platformsAreGroupedUnderTheirIndex()
{
    // index.json → a nested index "multi" with linux/amd64 and linux/arm64/v8, and an SBOM artifact.
    MainWindow w;
    w.resize(1280, 720);
    w.show();
    QVERIFY(test::openAndWait(w, m_fixtures.filePath(QStringLiteral("oci-dir"))));
    const ImageArchive &ia = w.current();
    QCOMPARE(ia.images.size(), 2);
    ImageList *images = imagesOf(w);
    QVERIFY(images);
    QCOMPARE(images->topLevelItemCount(), 2); // the name, then the artifact apart
    QTreeWidgetItem *multi = images->topLevelItem(0);
    QCOMPARE(multi->text(ImageList::NameColumn), QStringLiteral("multi"));
    QCOMPARE(multi->childCount(), 2);
    QVERIFY(multi->isExpanded());
    // Each platform with its image ID (12 hex digits after "sha256:") under it: what used to be
    // two identical "multi" rows.
    const QStringList platforms { QStringLiteral("linux/amd64"), QStringLiteral("linux/arm64/v8") };
    for (int i = 0; i < 2; ++i) {
        QTreeWidgetItem *row = multi->child(i);
        const QString id = ia.images.at(i).configDigest;
        QCOMPARE(row->text(ImageList::NameColumn), platforms.at(i) + u'\n' + id.mid(7, 12));
        QVERIFY(row->toolTip(ImageList::NameColumn).contains(id));
        QVERIFY(row->toolTip(ImageList::SizeColumn).contains(id));
        QCOMPARE(row->text(ImageList::SizeColumn),
            QLocale().formattedDataSize(ia.images.at(i).layers.at(0).size + ia.images.at(i).layers.at(1).size));
    }
    QTreeWidgetItem *artifact = images->topLevelItem(1);
    QVERIFY(artifact->text(ImageList::NameColumn).startsWith(u"artifact"));
    QVERIFY(artifact->isDisabled());

    // The first platform is shown; picking the other shows its layers (zstd in the fixture).
    QCOMPARE(images->currentItem(), multi->child(0));
    auto *layers = w.findChild<QTableView *>(QStringLiteral("layers"));
    QSignalSpy selected(images, &ImageList::imageSelected);
    QSignalSpy indexed(&w, &MainWindow::layersIndexed);
    const QRect arm = images->visualItemRect(multi->child(1));
    QTest::mouseClick(images->viewport(), Qt::LeftButton, {}, arm.center());
    QCOMPARE(selected.count(), 1);
    QCOMPARE(selected.at(0).at(0).toInt(), 1);
    QVERIFY(indexed.wait(30000));
    QCOMPARE(layers->model()->index(0, LayersModel::CompressionColumn).data().toString(), QStringLiteral("zstd"));
    QVERIFY(layers->model()
                ->index(0, LayersModel::DiffIdColumn)
                .data(Qt::ToolTipRole)
                .toString()
                .contains(ia.images.at(1).layers.at(0).diffId));
    // The name row stands for its first platform; the arrow keys walk the platforms and leave it.
    selected.clear();
    QTest::mouseClick(images->viewport(), Qt::LeftButton, {}, images->visualItemRect(multi).center());
    QCOMPARE(images->currentItem(), multi->child(0));
    QCOMPARE(selected.count(), 1);
    QCOMPARE(selected.at(0).at(0).toInt(), 0);
    images->setFocus();
    QTest::keyClick(images, Qt::Key_Down);
    QCOMPARE(images->currentItem(), multi->child(1));
    QTest::keyClick(images, Qt::Key_Up);
    QCOMPARE(images->currentItem(), multi->child(0));
    QTest::keyClick(images, Qt::Key_Up); // nothing above the group: stays
    QCOMPARE(images->currentItem(), multi->child(0));
}

void TestImageList::oneImageWithFourNamesIsOneRow()
{
    // One manifest named latest, 3, 3.18 and 3.18.3 by index.json.
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, m_findings.filePath(QStringLiteral("oci-index-ambiguous.tar"))));
    QCOMPARE(w.current().images.size(), 1);
    ImageList *images = imagesOf(w);
    QCOMPARE(images->topLevelItemCount(), 1);
    QTreeWidgetItem *name = images->topLevelItem(0);
    QCOMPARE(name->text(ImageList::NameColumn), QStringLiteral("latest +3"));
    QCOMPARE(name->toolTip(ImageList::NameColumn), QStringLiteral("latest\n3\n3.18\n3.18.3"));
    QCOMPARE(name->childCount(), 1);
    QVERIFY(name->child(0)->text(ImageList::NameColumn).startsWith(u"linux/amd64\n"));

    // Two really different images keep a row each, under their own names.
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("gen__umoci-layout"))));
    QCOMPARE(images->topLevelItemCount(), 2);
    QCOMPARE(images->topLevelItem(0)->text(ImageList::NameColumn), QStringLiteral("v1"));
    QCOMPARE(images->topLevelItem(1)->text(ImageList::NameColumn), QStringLiteral("v2"));
    QCOMPARE(images->topLevelItem(1)->childCount(), 1);
    QSignalSpy selected(images, &ImageList::imageSelected);
    QSignalSpy indexed(&w, &MainWindow::layersIndexed);
    images->setCurrentItem(images->topLevelItem(1)->child(0));
    QCOMPARE(selected.count(), 1);
    QCOMPARE(selected.at(0).at(0).toInt(), 1);
    QVERIFY(indexed.wait(30000));
    QCOMPARE(w.findChild<QTableView *>(QStringLiteral("layers"))->model()->rowCount(), 2); // v2 has two layers
}

void TestImageList::everyColumnIsReadableAtItsWidth()
{
    // At 1280×720 the list is about 260 pixels wide: ID and size whole, no horizontal scrolling.
    MainWindow w;
    w.resize(1280, 720);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(test::openAndWait(w, m_fixtures.filePath(QStringLiteral("oci-dir"))));
    ImageList *images = imagesOf(w);
    QVERIFY(images->width() <= 300);
    QCoreApplication::processEvents();
    QHeaderView *header = images->header();
    QVERIFY2(header->length() <= images->viewport()->width(),
        qPrintable(QStringLiteral("%1 > %2").arg(header->length()).arg(images->viewport()->width())));
    QVERIFY(!images->horizontalScrollBar()->isVisible());
    // Each line of a platform row (platform, ID) and its size are whole: nothing elided.
    const QFontMetrics fm = images->fontMetrics();
    QTreeWidgetItem *multi = images->topLevelItem(0);
    for (int i = 0; i < multi->childCount(); ++i) {
        QTreeWidgetItem *row = multi->child(i);
        for (const QString &line : row->text(ImageList::NameColumn).split(u'\n'))
            QVERIFY2(header->sectionSize(ImageList::NameColumn) - images->indentation() > fm.horizontalAdvance(line),
                qPrintable(line));
        QVERIFY2(header->sectionSize(ImageList::SizeColumn) > fm.horizontalAdvance(row->text(ImageList::SizeColumn)),
            qPrintable(row->text(ImageList::SizeColumn)));
        QVERIFY(images->visualItemRect(row).height() >= 2 * fm.height()); // both lines shown
    }
}

void TestImageList::digestAndReferenceAreCopyable()
{
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, m_findings.filePath(QStringLiteral("oci-index-ambiguous.tar"))));
    ImageList *images = imagesOf(w);
    const Image &img = w.current().images.at(0);
    images->setFocus();
    QApplication::clipboard()->clear();
    QTest::keyClick(images, Qt::Key_C, Qt::ControlModifier);
    QCOMPARE(QApplication::clipboard()->text(), img.configDigest);
    auto *reference = images->findChild<QAction *>(QStringLiteral("copyReference"));
    auto *manifest = images->findChild<QAction *>(QStringLiteral("copyManifestDigest"));
    auto *digest = images->findChild<QAction *>(QStringLiteral("copyDigest"));
    QVERIFY(reference && manifest && digest);
    QVERIFY(images->actions().contains(reference)); // in the row's context menu
    QCOMPARE(images->contextMenuPolicy(), Qt::ActionsContextMenu);
    reference->trigger();
    QCOMPARE(QApplication::clipboard()->text(), QStringLiteral("latest\n3\n3.18\n3.18.3"));
    manifest->trigger();
    QCOMPARE(QApplication::clipboard()->text(), w.current().oci.manifests.at(img.ociManifest).descriptor.digest);
    QVERIFY(QApplication::clipboard()->text().startsWith(u"sha256:"));
    digest->trigger();
    QCOMPARE(QApplication::clipboard()->text(), img.configDigest);
}

// dive's archive cut inside its first layer: the legacy json read names the OS, and the
// architecture was in what the cut lost.
void TestImageList::halfAPlatformSaysWhichHalf()
{
    const QString cut = m_fixtures.filePath(QStringLiteral("dive-cut.tar"));
    QVERIFY(test::writeCut(test::corpus(QStringLiteral("dive__test-docker-image.tar")), cut, 100000));
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, cut));
    QCOMPARE(w.current().images.size(), 1);
    QCOMPARE(w.current().images.at(0).platform.os, QStringLiteral("linux"));
    QVERIFY(w.current().images.at(0).platform.architecture.isEmpty());
    QTreeWidgetItem *row = imagesOf(w)->itemOf(0);
    QVERIFY(row);
    QVERIFY2(row->text(ImageList::NameColumn).startsWith(u"linux, no architecture\n"),
        qPrintable(row->text(ImageList::NameColumn)));
    QVERIFY(row->toolTip(ImageList::NameColumn).contains(u"Platform: linux, no architecture"));
}

QTEST_MAIN(TestImageList)
#include "tst_imagelist.moc"
