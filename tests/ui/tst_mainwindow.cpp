// SPDX-License-Identifier: MIT
// The inspector window, offscreen: opening in the background, findings highlighting what they
// concern, the chain view of the nixpkgs case, the file tree (filter, size sort, layer marks), and
// every model under QAbstractItemModelTester.
#include "chainview.h"
#include "check/checks.h"
#include "compose/composerpanel.h"
#include "compose/compositiondocument.h"
#include "compose/exportdialog.h"
#include "compose/livepreview.h"
#include "filetreemodel.h"
#include "findingsmodel.h"
#include "format/memberroles.h"
#include "help/tour.h"
#include "inspect/archivemapmodel.h"
#include "inspect/archivemappage.h"
#include "inspect/findingspage.h"
#include "inspect/imagelist.h"
#include "inspect/layerspage.h"
#include "inspect/welcomepage.h"
#include "layers/extract.h"
#include "layers/indexcache.h"
#include "layersmodel.h"
#include "loaderstrip.h"
#include "mainwindow.h"
#include "testsupport.h"
#include "util/workcounters.h"
#include "windowsupport.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDir>
#include <QDirIterator>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QFont>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMainWindow>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QScopeGuard>
#include <QScreen>
#include <QSemaphore>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QThreadPool>
#include <QTimer>
#include <QToolButton>
#include <QTreeView>
#include <QTreeWidget>

using namespace lamina;

class TestMainWindow : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void rangeOfLayersShowsTheirNetChange();
    void layerShownIsTheLayerSelected();
    void imagesShareTheirLayerIndexes();
    void imagesComeBackToTheirLayerAndFile();
    void repairFromAFinding();
    void saveImageAsAnotherLayout();
    void initTestCase()
    {
        QApplication::setOrganizationName(QStringLiteral("LaminaTest"));
        QStandardPaths::setTestModeEnabled(true); // settings and autosaves away from the user's
    }
    void opensAnArchiveInTheBackground();
    void verificationDoesNotIndexTheShownImageAgain();
    void verificationWaitsForTheFilesShown();
    void compressedArchiveStreamedOnce();
    void reopenTakesTheKeptRows();
    void backgroundWorkLeavesQtsGlobalPoolAlone();
    void findingHighlightsItsLayers();
    void chainKeepsSelectionApartFromTheFinding();
    void nixChainShowsTheGhostParent();
    void fileTreeFiltersAndSortsBySize();
    void previewShowsFileContent();
    void unreadableArchiveShowsABanner();
    void badFilesSayWhatHappened_data();
    void badFilesSayWhatHappened();
    void verifiedSaysWhatWasVerified();
    void verificationRunsInTheBackground();
    void modelsPassTheTester_data();
    void modelsPassTheTester();
    void archiveMapShowsRolesAndReaders();
    void uiThreadStaysResponsive();
    void platformsAndArtifactsAreListed();
    void followsADarkPalette();
    void keyboardReachesTheFilter();
    void filterSaysWhenNothingMatches();
    void firstWindowFitsTheScreen();
    void findingsPaneFoldsAndIsRemembered();
    void welcomePageOpensAndRemembers();
    void tourWalksTheSample();
    void helpMenuAndOpenDialog();
    void loaderStripShowsTheVerdicts();
    void triedLoadersShowBesideThePrediction();
    void hostileArchives_data();
    void hostileArchives();
    void previewReadsOnlyWhatItShows();
    void oneTreeForTheFilesAndTheComposer();
    void extractRunsInTheBackgroundAndCancels();

private:
    /// A docker-archive (uncompressed, so a file is read by seeking) with big.txt (16 MiB of
    /// text) and data/ (128 files of 1 MiB), written with Python's tarfile.
    static bool writeBigArchive(const QString &path)
    {
        return test::writeTar(path,
            QStringLiteral("import hashlib, json\n"
                           "buf = io.BytesIO()\n"
                           "lt = tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT)\n"
                           "def ladd(name, data):\n"
                           "    ti = tarfile.TarInfo(name); ti.size = len(data); lt.addfile(ti, io.BytesIO(data))\n"
                           "ladd('big.txt', (b'0123456789abcdef' * 64 + b'\\n') * (16 * 1024 * 1024 // 1025))\n"
                           "ti = tarfile.TarInfo('data'); ti.type = tarfile.DIRTYPE; ti.mode = 0o755; lt.addfile(ti)\n"
                           "for i in range(128):\n"
                           "    ladd('data/f%03d' % i, bytes([65 + i % 26]) * (1024 * 1024))\n"
                           "lt.close()\n"
                           "layer = buf.getvalue()\n"
                           "diff = 'sha256:' + hashlib.sha256(layer).hexdigest()\n"
                           "config = json.dumps({'architecture': 'amd64', 'os': 'linux', 'config': {},\n"
                           "    'rootfs': {'type': 'layers', 'diff_ids': [diff]}}).encode()\n"
                           "cname = hashlib.sha256(config).hexdigest() + '.json'\n"
                           "add(cname, config)\n"
                           "add('layer/layer.tar', layer)\n"
                           "add('manifest.json', json.dumps([{'Config': cname, 'RepoTags': ['big:1'],\n"
                           "    'Layers': ['layer/layer.tar']}]).encode())\n"));
    }
};

void TestMainWindow::backgroundWorkLeavesQtsGlobalPoolAlone()
{
    // Qt 6.4 paints big fills on its global thread pool and waits for them on the UI thread: a
    // long task of ours there stalls painting. With every global thread held here, opening,
    // indexing, verifying and the composer's preview must all still finish.
    QThreadPool *global = QThreadPool::globalInstance();
    QSemaphore hold;
    const int threads = global->maxThreadCount();
    for (int i = 0; i < threads; ++i)
        global->start([&hold] { hold.acquire(); });
    bool ok = false, verified = false;
    {
        MainWindow w;
        QSignalSpy verifiedSpy(&w, &MainWindow::verified);
        ok = test::openAndWait(w, test::corpus(QStringLiteral("ggcr__test_link.tar")));
        verified = ok && (verifiedSpy.count() > 0 || verifiedSpy.wait(30000));
        auto *composer = w.findChild<ComposerPanel *>(QStringLiteral("composer"));
        ok = ok && composer;
        if (ok && composer->previewPending())
            ok = QSignalSpy(composer, &ComposerPanel::previewUpdated).wait(30000);
    }
    hold.release(threads);
    global->waitForDone();
    QVERIFY(ok);
    QVERIFY(verified);
}

// Verifying hashes the shown image's layers; their entries were indexed for the files already, and
// are not indexed a second time (on a million entries, that doubled the window's memory).
void TestMainWindow::verificationDoesNotIndexTheShownImageAgain()
{
    MainWindow w;
    QSignalSpy verified(&w, &MainWindow::verified);
    work::counters().reset();
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("dive__test-docker-image.tar"))));
    QVERIFY(verified.count() > 0 || verified.wait(30000));
    QCOMPARE(w.current().images.at(0).layers.size(), 14);
    QCOMPARE(work::counters().layersIndexed.load(), qint64(14));
    QVERIFY(w.findings().isEmpty()); // and the digests were checked: all agree
}

// Hashing reads every byte of the archive: it starts once the files view has its rows, not
// while the view still shapes them on a worker (where it took one of two cores from it).
void TestMainWindow::verificationWaitsForTheFilesShown()
{
    MainWindow w;
    FileTreeModel *files = w.findChild<LayersPage *>()->filesModel();
    files->setInlineLimit(0); // every shape on a worker, as a big tree's
    auto *progress = w.findChild<QProgressBar *>();
    QVERIFY(progress);
    QStringList barWhenShaped;
    connect(files, &FileTreeModel::shaped, &w, [&] {
        if (files->rowCount() > 0)
            barWhenShaped << (progress->isVisible() ? progress->format() : QString());
    });
    QSignalSpy verified(&w, &MainWindow::verified);
    w.show();
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("dive__test-docker-image.tar"))));
    QVERIFY(verified.count() > 0 || verified.wait(30000));
    QVERIFY(!barWhenShaped.isEmpty());
    QVERIFY2(!barWhenShaped.constFirst().startsWith(u"Verifying"), qPrintable(barWhenShaped.constFirst()));
    QVERIFY(w.findings().isEmpty()); // and it did verify: every digest agrees
}

// A tar compressed as a whole is streamed once: the opening indexes and hashes its layers, for
// the files shown and for the verification after (each was a pass of its own).
void TestMainWindow::compressedArchiveStreamedOnce()
{
    QTemporaryDir dir;
    const QString plain = test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    const QString whole = dir.filePath(QStringLiteral("dive.tar.gz"));
    QVERIFY(test::gzipWhole(plain, whole));
    MainWindow w;
    QSignalSpy verified(&w, &MainWindow::verified);
    work::counters().reset();
    QVERIFY(test::openAndWait(w, whole));
    QVERIFY(verified.count() > 0 || verified.wait(30000));
    QCOMPARE(w.current().images.at(0).layers.size(), 14);
    QCOMPARE(work::counters().layersIndexed.load(), qint64(14));
    const qint64 outer = QFileInfo(plain).size();
    QVERIFY2(work::counters().decompressedBytes >= outer && work::counters().decompressedBytes < outer + 65536,
        qPrintable(QStringLiteral("%1 bytes decompressed; the archive holds %2")
                       .arg(work::counters().decompressedBytes.load())
                       .arg(outer)));
    // Verified: no digest disagrees; only the compression is a finding (podman and containerd
    // refuse such an archive).
    QVERIFY(!w.findings().isEmpty());
    for (const Finding &f : w.findings())
        QCOMPARE(f.code, QStringLiteral("archive-compressed"));
    QVERIFY(w.findChild<LayersPage *>()->filesModel()->rowCount() > 0);
}

// Reopening an archive whose files the window showed before: the layers, the tree and the files
// view's first rows come from the index cache (nothing shaped on a worker), and the rows are the
// ones shaping gave.
void TestMainWindow::reopenTakesTheKeptRows()
{
    QTemporaryDir dir;
    const auto cache = std::make_shared<IndexCache>(dir.path(), qint64(1) << 30);
    IndexCache::setProcessDefault(cache);
    const auto noCache = qScopeGuard([] { IndexCache::setProcessDefault(nullptr); });
    const QString path = test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    const auto rowsOf = [](const FileTreeModel &m) {
        QStringList rows;
        for (int r = 0; r < m.rowCount(); ++r) {
            const QModelIndex i = m.index(r, FileTreeModel::NameColumn);
            rows << i.data().toString() + u' ' + QString::number(m.rowCount(i));
        }
        return rows;
    };
    QStringList first;
    {
        MainWindow w;
        FileTreeModel *files = w.findChild<LayersPage *>()->filesModel();
        files->setInlineLimit(0); // shaped on a worker, as a big tree's: then its rows are kept
        QSignalSpy verified(&w, &MainWindow::verified);
        QVERIFY(test::openAndWait(w, path));
        QVERIFY(verified.count() > 0 || verified.wait(30000)); // it starts once the rows are shown
        first = rowsOf(*files);
        QVERIFY(first.size() > 5);
    }
    QCOMPARE(cache->stats().treesStored.load(), qint64(1));
    QCOMPARE(cache->stats().extrasStored.load(), qint64(1));
    {
        MainWindow w;
        FileTreeModel *files = w.findChild<LayersPage *>()->filesModel();
        files->setInlineLimit(0);
        QSignalSpy shaping(files, &FileTreeModel::shapingChanged);
        QSignalSpy shaped(files, &FileTreeModel::shaped);
        QVERIFY(test::openAndWait(w, path));
        QVERIFY(files->rowCount() > 0 || shaped.wait(30000));
        QCOMPARE(cache->stats().treeHits.load(), qint64(1));
        QCOMPARE(cache->stats().extraHits.load(), qint64(1));
        QCOMPARE(shaping.count(), 0);
        QCOMPARE(rowsOf(*files), first);
        // Another order is shaped as ever.
        files->sort(FileTreeModel::NameColumn, Qt::AscendingOrder);
        QVERIFY(files->isShaping());
        QVERIFY(shaped.wait(30000));
    }
}

void TestMainWindow::opensAnArchiveInTheBackground()
{
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("ggcr__test_link.tar"))));
    auto *images = w.findChild<QTreeWidget *>(QStringLiteral("images"));
    auto *layers = w.findChild<QTableView *>(QStringLiteral("layers"));
    QVERIFY(images && layers);
    QCOMPARE(images->topLevelItemCount(), 2);
    QCOMPARE(images->topLevelItem(1)->text(0), QStringLiteral("bazel/v1/tarball:test_image_3"));
    QCOMPARE(layers->model()->rowCount(), 1);
    QSignalSpy indexed(&w, &MainWindow::layersIndexed);
    images->setCurrentItem(images->topLevelItem(1));
    QVERIFY(indexed.wait(30000));
    QCOMPARE(layers->model()->rowCount(), 2);
    QVERIFY(w.windowTitle().contains(u"ggcr__test_link.tar"));
    QVERIFY(!w.findChild<QLabel *>(QStringLiteral("banner"))->isVisible());
}

// Issue 20 item 3: a finding convert repairs offers "Repair…" in its menu and in its
// explanation; the dialog lists what it repairs and what stays, and writes an archive without it.
// Flipping between two images compares them: each comes back at the layer it was left at, and the
// file shown stays shown where the other image has it.
void TestMainWindow::imagesComeBackToTheirLayerAndFile()
{
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("ggcr__test_link.tar"))));
    auto *page = w.findChild<LayersPage *>();
    const auto show = [&](int image) {
        QSignalSpy indexed(&w, &MainWindow::layersIndexed);
        w.findChild<ImageList *>()->select(image);
        return indexed.count() > 0 || indexed.wait(30000);
    };
    // Image 1 (two layers), at its bottom layer, on "foo".
    QVERIFY(show(1));
    QSignalSpy shown(&w, &MainWindow::layersIndexed);
    page->selectLayer(0);
    QTRY_VERIFY(page->filesModel()->tree() && page->filesModel()->tree()->topLayer() == 0);
    const QModelIndex foo = page->filesModel()->indexOfPath("foo");
    QVERIFY(foo.isValid());
    page->filesView()->setCurrentIndex(foo);
    QCOMPARE(page->currentPath(), QByteArrayLiteral("foo"));
    // Image 0 (one layer) was never left anywhere: its top layer, and "foo", which it has too.
    QVERIFY(show(0));
    QCOMPARE(page->layersView()->currentIndex().row(), 0);
    QTRY_COMPARE(page->currentPath(), QByteArrayLiteral("foo"));
    // Back to image 1: its bottom layer again, not its top, and still "foo".
    QVERIFY(show(1));
    QCOMPARE(page->layersView()->currentIndex().row(), 0);
    QTRY_VERIFY(page->filesModel()->tree() && page->filesModel()->tree()->topLayer() == 0);
    QTRY_COMPARE(page->currentPath(), QByteArrayLiteral("foo"));
    // A file the next image does not have: nothing is selected there, and the filter that showed
    // it stays as the user typed it (a path asked for from the wasted space would clear it).
    page->selectLayer(1);
    QTRY_VERIFY(page->filesModel()->tree() && page->filesModel()->tree()->topLayer() == 1);
    page->filter()->setText(QStringLiteral("test"));
    QTRY_VERIFY(page->filesModel()->indexOfPath("test").isValid());
    page->filesView()->setCurrentIndex(page->filesModel()->indexOfPath("test"));
    QVERIFY(show(0));
    QTRY_COMPARE(page->filesModel()->shownQuery().filter, QStringLiteral("test"));
    QCOMPARE(page->filter()->text(), QStringLiteral("test"));
    QCOMPARE(page->currentPath(), QByteArray());
}

void TestMainWindow::repairFromAFinding()
{
    QTemporaryDir dir;
    MainWindow w;
    w.show();
    const QString input = test::corpus(QStringLiteral("ggcr__no_manifest.tar"));
    QVERIFY(test::openAndWait(w, input));
    int row = -1;
    for (int i = 0; i < w.findings().size(); ++i)
        if (w.findings().at(i).code == u"legacy-only")
            row = i;
    QVERIFY(row >= 0);
    w.selectFinding(row);
    QVERIFY(w.findChild<QTextBrowser *>(QStringLiteral("explanation"))->toHtml().contains(u"repair:"));
    auto *page = w.findChild<FindingsPage *>();
    QObject owner;
    const QList<QAction *> actions = page->findingActions(row, &owner);
    const auto repair
        = std::find_if(actions.begin(), actions.end(), [](QAction *a) { return a->objectName() == u"repairFinding"; });
    QVERIFY(repair != actions.end());
    (*repair)->trigger();
    auto *dialog = w.findChild<ExportDialog *>(QStringLiteral("convertDialog"));
    QVERIFY(dialog && dialog->isVisible() && dialog->converting());
    const QString intro = dialog->findChild<QLabel *>(QStringLiteral("convertIntro"))->text();
    QVERIFY2(intro.contains(u"Repairs:") && intro.contains(u"▶ <code>legacy-only</code>"), qPrintable(intro));
    ExportOptions o = dialog->options();
    o.output = dir.filePath(QStringLiteral("repaired.tar"));
    dialog->setOptions(o);
    QSignalSpy finished(dialog, &ExportDialog::finished);
    QVERIFY(dialog->start());
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 60000);
    QCOMPARE(finished.at(0).at(0).toBool(), true);
    const ConvertResult &r = dialog->convertResult();
    QVERIFY(r.configFromLegacy);
    QVERIFY(std::any_of(
        r.repaired.begin(), r.repaired.end(), [](const QString &l) { return l.startsWith(u"legacy-only"); }));
    const QString status = dialog->findChild<QLabel *>(QStringLiteral("exportStatus"))->text();
    QVERIFY2(status.contains(u"the ID is the one Docker gives the input") && status.contains(u"Repaired"),
        qPrintable(status));
    const ImageArchive out = openImageArchive(o.output);
    QCOMPARE(out.layout, Layout::DockerManifest);
    for (const Finding &f : checkArchive(out))
        QVERIFY2(f.code != u"legacy-only", qPrintable(f.message));

    // An archive with no image has nothing to write again: no Repair… that would do nothing.
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("trivy__test_bad_index_json.oci"))));
    QVERIFY(w.current().images.isEmpty());
    int bad = -1;
    for (int i = 0; i < w.findings().size(); ++i)
        if (w.findings().at(i).code == u"index-invalid")
            bad = i;
    QVERIFY(bad >= 0);
    w.selectFinding(bad);
    QVERIFY(!w.findChild<QTextBrowser *>(QStringLiteral("explanation"))->toHtml().contains(u"repair:"));
    const QList<QAction *> none = page->findingActions(bad, &owner);
    QVERIFY(std::none_of(none.begin(), none.end(), [](QAction *a) { return a->objectName() == u"repairFinding"; }));
    QVERIFY(QFileInfo(input).size() > 0); // the input is left as it was (convert never writes it)
}

// File ▸ Save Image As…: the image shown, written in another layout, its image ID kept.
void TestMainWindow::saveImageAsAnotherLayout()
{
    QTemporaryDir dir;
    MainWindow w;
    w.show();
    auto *saveAs = w.findChild<QAction *>(QStringLiteral("saveAs"));
    QVERIFY(saveAs && !saveAs->isEnabled());
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("dive__test-docker-image.tar"))));
    QVERIFY(saveAs->isEnabled());
    saveAs->trigger();
    auto *dialog = w.findChild<ExportDialog *>(QStringLiteral("convertDialog"));
    QVERIFY(dialog && dialog->converting());
    QVERIFY(dialog->windowTitle().startsWith(u"Save image 0"));
    // As a user does: the format picked, the path typed; "as stored" left as it is.
    auto *format = dialog->findChild<QComboBox *>(QStringLiteral("format"));
    format->setCurrentIndex(format->findData(int(ExportFormat::Oci)));
    const QString output = dir.filePath(QStringLiteral("as-oci.tar"));
    dialog->findChild<QLineEdit *>(QStringLiteral("output"))->setText(output);
    QSignalSpy finished(dialog, &ExportDialog::finished);
    QVERIFY(dialog->start());
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 60000);
    QVERIFY(finished.at(0).at(0).toBool());
    const ImageArchive out = openImageArchive(output);
    QCOMPARE(out.layout, Layout::OciLayout);
    QCOMPARE(out.images.size(), 1);
    QCOMPARE(out.images.at(0).configDigest, w.current().images.at(0).configDigest);
    // "as stored": the input's layers are uncompressed, so are the copies.
    for (const ImageLayer &l : out.images.at(0).layers)
        QCOMPARE(l.compression, Compression::None);
}

void TestMainWindow::findingHighlightsItsLayers()
{
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, test::source(QStringLiteral("resources/samples/docker24-save.tar"))));
    auto *findings = w.findChild<QTableView *>(QStringLiteral("findings"));
    QCOMPARE(findings->model()->rowCount(), 1); // duplicate-layer
    w.selectFinding(0);
    auto *layers = w.findChild<QTableView *>(QStringLiteral("layers"));
    const QBrush highlighted = layers->model()->index(1, 0).data(Qt::BackgroundRole).value<QBrush>();
    QVERIFY(highlighted.style() != Qt::NoBrush); // layers 1 and 3 are the duplicate
    QVERIFY(layers->model()->index(3, 0).data(Qt::BackgroundRole).isValid());
    QVERIFY(!layers->model()->index(0, 0).data(Qt::BackgroundRole).isValid());
    const QString html = w.findChild<QTextBrowser *>(QStringLiteral("explanation"))->toPlainText();
    QVERIFY(html.contains(u"podman / skopeo"));
    QVERIFY(html.contains(u"duplicate-layer"));
}

// The chain view marks the selected layer and the selected finding's layers apart: choosing a
// finding leaves the selection where it is, and clicking a node selects its layer in the table.
void TestMainWindow::chainKeepsSelectionApartFromTheFinding()
{
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, test::source(QStringLiteral("resources/samples/docker24-save.tar"))));
    auto *chain = w.findChild<ChainView *>(QStringLiteral("chainView"));
    auto *layers = w.findChild<QTableView *>(QStringLiteral("layers"));
    const auto node = [chain](int layer) {
        for (const ChainView::Node &n : chain->nodes())
            if (n.kind == ChainView::Node::Manifest && n.layer == layer)
                return n;
        return ChainView::Node();
    };
    w.selectLayer(0);
    QTRY_VERIFY(chain->isSelected(node(0)));
    w.selectFinding(0); // duplicate-layer: layers 1 and 3
    QVERIFY(chain->isSelected(node(0)));
    QVERIFY(!node(0).concerned);
    QVERIFY(node(1).concerned && node(3).concerned);
    QVERIFY(!chain->isSelected(node(1)));
    w.showTab(MainWindow::ChainTab);
    QTest::mouseClick(chain, Qt::LeftButton, {}, node(3).rect.center().toPoint());
    QTRY_COMPARE(layers->currentIndex().row(), 3);
    QVERIFY(chain->isSelected(node(3)));
    QVERIFY(!chain->isSelected(node(0)));
    QVERIFY(node(3).concerned);
}

void TestMainWindow::nixChainShowsTheGhostParent()
{
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, test::source(QStringLiteral("resources/samples/nix-buildimage-on-layered.tar.gz"))));
    auto *chain = w.findChild<ChainView *>(QStringLiteral("chainView"));
    QVERIFY(chain);
    // The picture itself: a red ghost node below the one legacy layer.
    const QImage picture = chain->grab().toImage();
    int reddish = 0;
    for (int y = 0; y < picture.height(); ++y)
        for (int x = 0; x < std::min(picture.width(), 300); ++x) {
            const QColor c = picture.pixelColor(x, y);
            reddish += (c.red() > 150 && c.green() < 90 && c.blue() < 90) ? 1 : 0;
        }
    QVERIFY2(reddish > 20, qPrintable(QString::number(reddish)));
    // The sample is gzip'd as a whole, which containerd 1.6 and podman refuse (archive-compressed).
    QStringList codes;
    for (const Finding &f : w.findings())
        codes << f.code;
    codes.sort();
    QCOMPARE(codes, (QStringList { QStringLiteral("archive-compressed"), QStringLiteral("dangling-parent") }));
}

void TestMainWindow::fileTreeFiltersAndSortsBySize()
{
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("dive__test-docker-image.tar"))));
    auto *files = w.findChild<QTreeView *>(QStringLiteral("files"));
    QVERIFY(files->model()->rowCount() > 5);
    // Biggest first by default: bin (busybox) heads the root.
    QCOMPARE(files->model()->index(0, FileTreeModel::NameColumn).data().toString(), QStringLiteral("bin"));
    const qint64 first = files->model()->index(0, FileTreeModel::SizeColumn).data(FileTreeModel::SortRole).toLongLong();
    const qint64 second
        = files->model()->index(1, FileTreeModel::SizeColumn).data(FileTreeModel::SortRole).toLongLong();
    QVERIFY(first >= second);
    w.findChild<QLineEdit *>(QStringLiteral("filter"))->setText(QStringLiteral("saved.again"));
    QCOMPARE(files->model()->rowCount(), 2); // root/ and tmp/ hold the matches
    // Marks: layer 2 (mkdir -p /root/example/really/nested) added those folders.
    w.findChild<QLineEdit *>(QStringLiteral("filter"))->clear();
    QSignalSpy shown(&w, &MainWindow::layersIndexed);
    w.selectLayer(2);
    QVERIFY(shown.wait(30000));
    const QAbstractItemModel *model = files->model();
    const QModelIndexList hits = model->match(model->index(0, 0), FileTreeModel::PathRole,
        QStringLiteral("root/example/really/nested"), 1, Qt::MatchExactly | Qt::MatchRecursive);
    QCOMPARE(hits.size(), 1);
    QCOMPARE(hits.constFirst().siblingAtColumn(FileTreeModel::ChangeColumn).data().toString(), QStringLiteral("A"));

    // Deletions show as struck-out rows marked D in the layer that made them.
    const ImageArchive ia = openImageArchive(test::corpus(QStringLiteral("dive__test-docker-image.tar")));
    const ImageLayers layers = indexImageLayers(ia, 0);
    int deleting = -1;
    for (int k = 0; k < layers.layers.size() && deleting < 0; ++k) {
        const MergedTree tree = MergedTree::build(layers.layers, k);
        for (const MergedTree::ChangeRecord &c : tree.changes())
            if (c.change == Change::Removed && c.path == "root/example/somefile3.txt")
                deleting = k;
    }
    QVERIFY(deleting > 0);
    w.selectLayer(deleting);
    QVERIFY(shown.wait(30000));
    const QModelIndexList gone = model->match(model->index(0, 0), FileTreeModel::PathRole,
        QStringLiteral("root/example/somefile3.txt"), 1, Qt::MatchExactly | Qt::MatchRecursive);
    QCOMPARE(gone.size(), 1);
    QCOMPARE(gone.constFirst().siblingAtColumn(FileTreeModel::ChangeColumn).data().toString(), QStringLiteral("D"));
    QVERIFY(gone.constFirst().data(Qt::FontRole).value<QFont>().strikeOut());
}

void TestMainWindow::previewShowsFileContent()
{
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, test::source(QStringLiteral("resources/samples/nix-buildimage-on-layered.tar.gz"))));
    auto *files = w.findChild<QTreeView *>(QStringLiteral("files"));
    auto *model = files->model();
    const QModelIndexList hits = model->match(model->index(0, 0), FileTreeModel::PathRole,
        QStringLiteral("etc/hello.txt"), 1, Qt::MatchExactly | Qt::MatchRecursive);
    QCOMPARE(hits.size(), 1);
    // The preview is read off the UI thread: it comes once read.
    QSignalSpy shown(w.findChild<LayersPage *>(), &LayersPage::previewShown);
    files->setCurrentIndex(hits.constFirst());
    QVERIFY(shown.count() > 0 || shown.wait(30000));
    QVERIFY(!w.findChild<QPlainTextEdit *>(QStringLiteral("preview"))->toPlainText().isEmpty());
    QVERIFY(!w.findChild<QPlainTextEdit *>(QStringLiteral("preview"))->toPlainText().contains(u"Cannot read"));
    // Dragging it out hands the desktop a real file with the same bytes, written by a worker:
    // the UI thread reads and decompresses nothing for it.
    work::counters().reset();
    std::unique_ptr<QMimeData> mime(model->mimeData({ hits.constFirst() }));
    QVERIFY(mime && mime->hasUrls());
    QCOMPARE(mime->urls().size(), 1);
    QVERIFY(work::counters().entryBytesStreamed > 0);
    QCOMPARE(work::counters().mainThreadWork.load(), qint64(0));
    QFile dragged(mime->urls().constFirst().toLocalFile());
    QVERIFY(dragged.open(QIODevice::ReadOnly));
    QCOMPARE(
        QString::fromUtf8(dragged.readAll()), w.findChild<QPlainTextEdit *>(QStringLiteral("preview"))->toPlainText());
}

// Issue 20 item 2: Shift-selecting layers shows what they did together. dive's test image:
// layer 6 copies somefile3.txt into /root/example, layer 7 moves it to /root/saved.txt.
void TestMainWindow::rangeOfLayersShowsTheirNetChange()
{
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("dive__test-docker-image.tar"))));
    w.showTab(MainWindow::LayersTab);
    auto *page = w.findChild<LayersPage *>();
    QTableView *layers = page->layersView();
    FileTreeModel *files = page->filesModel();
    auto *note = w.findChild<QLabel *>(QStringLiteral("rangeNote"));
    QVERIFY(note);
    // Layer 7 alone: the move, as a deletion and an addition.
    w.selectLayer(7);
    QTRY_VERIFY(files->tree() && files->tree()->topLayer() == 7 && files->shownQuery().firstNew < 0);
    // A path's mark, or "-" when it is not listed (deleted rows too: indexOfPath finds live ones).
    const auto change = [files](const QByteArray &path) {
        const QModelIndexList hits = files->match(files->index(0, 0), FileTreeModel::PathRole, QString::fromUtf8(path),
            1, Qt::MatchExactly | Qt::MatchRecursive);
        return hits.isEmpty() ? QStringLiteral("-")
                              : hits.constFirst().siblingAtColumn(FileTreeModel::ChangeColumn).data().toString();
    };
    QCOMPARE(change("root/example/somefile3.txt"), QStringLiteral("D"));
    QCOMPARE(change("root/saved.txt"), QStringLiteral("A"));
    QVERIFY(note->isHidden());
    // Shift+Up from 7: layers 6 and 7 together. somefile3.txt came and went: not listed.
    layers->setFocus();
    QTest::keyClick(layers, Qt::Key_Up, Qt::ShiftModifier);
    QCOMPARE(page->selectedRange(), qMakePair(6, 7));
    QTRY_VERIFY(files->shownQuery().firstNew == 6);
    QCOMPARE(files->tree()->topLayer(), 7);
    QCOMPARE(change("root/example/somefile3.txt"), QStringLiteral("-"));
    QCOMPARE(change("root/saved.txt"), QStringLiteral("A"));
    QCOMPARE(change("root/example/somefile1.txt"), QString()); // from below, unchanged
    QVERIFY(note->isVisible());
    QVERIFY2(note->text().startsWith(QStringLiteral("Net change of layers 6 to 7")), qPrintable(note->text()));
    QTRY_VERIFY(page->filesView()->isExpanded(files->indexOfPath("root"))); // where the change is, open
    QVERIFY(!page->layerOnly()->isEnabled());
    // One layer again: its own marks, and the note gone.
    w.selectLayer(6);
    QTRY_VERIFY(files->shownQuery().firstNew < 0 && files->tree()->topLayer() == 6);
    QCOMPARE(change("root/example/somefile3.txt"), QStringLiteral("A"));
    QVERIFY(note->isHidden());
    QVERIFY(page->layerOnly()->isEnabled());
}

// The files are the selected layer's, and the keyboard never changes the layer unasked: focus
// coming to the table (Tab, or back from another page) made Qt pick its first row, which showed
// layer 0's files with no row highlighted; Tab walked the table's cells into the next row.
void TestMainWindow::layerShownIsTheLayerSelected()
{
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("dive__test-docker-image.tar"))));
    w.showTab(MainWindow::LayersTab);
    auto *page = w.findChild<LayersPage *>();
    QTableView *layers = page->layersView();
    FileTreeModel *files = page->filesModel();
    const int top = layers->model()->rowCount() - 1;
    QVERIFY(top > 2);
    QTRY_VERIFY(files->tree() && files->tree()->topLayer() == top);
    QCOMPARE(page->selectedRange(), qMakePair(top, top));
    QCOMPARE(layers->currentIndex().row(), top);
    QFocusEvent focusIn(QEvent::FocusIn, Qt::TabFocusReason);
    QCoreApplication::sendEvent(layers, &focusIn);
    QCOMPARE(layers->currentIndex().row(), top);
    QTRY_VERIFY(!w.busy());
    QCOMPARE(files->tree()->topLayer(), top);
    // Tab leaves the table for the next widget: the row stays whatever the column.
    w.selectLayer(2);
    QTRY_VERIFY(files->tree() && files->tree()->topLayer() == 2);
    QVERIFY(!layers->tabKeyNavigation());
    for (int c = 0; c <= layers->model()->columnCount(); ++c)
        QTest::keyClick(layers, Qt::Key_Tab);
    QCOMPARE(layers->currentIndex().row(), 2);
    QCOMPARE(page->selectedRange(), qMakePair(2, 2));
}

// Every layer is indexed once in the window's time with an archive: showing another image, or
// one shown before, takes the indexes made for the verification or for the last image shown
// (many-two.tar in bench/: switching between its images took 0.8-1.6 s of reading, now 0.2-0.3 s).
void TestMainWindow::imagesShareTheirLayerIndexes()
{
    MainWindow w;
    w.show();
    QSignalSpy verified(&w, &MainWindow::verified);
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("ggcr__test_link.tar"))));
    QVERIFY(verified.count() > 0 || verified.wait(60000));
    QVERIFY(w.current().images.size() >= 2);
    auto *files = w.findChild<LayersPage *>()->filesModel();
    for (const int image : { 1, 0, 1, 2 % int(w.current().images.size()) }) {
        work::counters().reset();
        QSignalSpy indexed(&w, &MainWindow::layersIndexed);
        w.findChild<ImageList *>()->select(image);
        QVERIFY(indexed.count() > 0 || indexed.wait(30000));
        QTRY_VERIFY(files->tree() && files->tree()->topLayer() == int(w.current().images.at(image).layers.size()) - 1);
        QCOMPARE(work::counters().layersIndexed.load(), qint64(0));
        QCOMPARE(work::counters().layerPasses.load(), qint64(0));
        // What the verification said still stands: indexing another image changes nothing of it.
        QVERIFY2(w.statusBar()->currentMessage().contains(u"Verified")
                || w.statusBar()->currentMessage().contains(u"Digests"),
            qPrintable(w.statusBar()->currentMessage()));
    }
}

// Issue 18 item 14: a filter that hides everything says so; the preview shows the selected file
// only; the next archive starts unfiltered.
void TestMainWindow::filterSaysWhenNothingMatches()
{
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, test::source(QStringLiteral("resources/samples/nix-buildimage-on-layered.tar.gz"))));
    w.showTab(MainWindow::LayersTab);
    auto *files = w.findChild<QTreeView *>(QStringLiteral("files"));
    auto *preview = w.findChild<QPlainTextEdit *>(QStringLiteral("preview"));
    auto *filter = w.findChild<QLineEdit *>(QStringLiteral("filter"));
    auto *noMatches = w.findChild<QLabel *>(QStringLiteral("filterStatus"));
    const QModelIndexList hits = files->model()->match(files->model()->index(0, 0), FileTreeModel::PathRole,
        QStringLiteral("etc/hello.txt"), 1, Qt::MatchExactly | Qt::MatchRecursive);
    QCOMPARE(hits.size(), 1);
    QSignalSpy shown(w.findChild<LayersPage *>(), &LayersPage::previewShown);
    files->setCurrentIndex(hits.constFirst());
    QVERIFY(shown.count() > 0 || shown.wait(30000));
    QVERIFY(!preview->toPlainText().isEmpty());
    QVERIFY(!noMatches->isVisible());

    QTest::keyClicks(filter, QStringLiteral("no-such-name-anywhere"));
    QVERIFY(noMatches->isVisible());
    QVERIFY2(noMatches->text().contains(u"no-such-name-anywhere"), qPrintable(noMatches->text()));
    QCOMPARE(files->model()->rowCount(), 0);
    QVERIFY2(preview->toPlainText().isEmpty(), "the preview still shows a file that is filtered away");
    filter->clear();
    QVERIFY(!noMatches->isVisible());

    // With matches, the line counts them (etc/hello.txt and usr/local/bin/hello).
    QTest::keyClicks(filter, QStringLiteral("hello"));
    QVERIFY(noMatches->isVisible());
    QVERIFY2(
        noMatches->text().startsWith(QStringLiteral("2 matches for \u201chello\u201d")), qPrintable(noMatches->text()));
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("cimage__almostempty.tar"))));
    QVERIFY(filter->text().isEmpty());
    QVERIFY(!noMatches->isVisible());
}

// Issue 18 item 16: the first window is no bigger than the screen it opens on (at a scale factor
// of 2 it used to open larger than the screen).
void TestMainWindow::firstWindowFitsTheScreen()
{
    QSettings().remove(QStringLiteral("window/geometry"));
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const QRect room = w.screen()->availableGeometry();
    QVERIFY2(w.width() <= room.width() && w.height() <= room.height(),
        qPrintable(QStringLiteral("%1x%2 on a screen of %3x%4")
                       .arg(w.width())
                       .arg(w.height())
                       .arg(room.width())
                       .arg(room.height())));
    QVERIFY(room.contains(w.geometry()));
}

// Issue 18 item 8: the findings take no room when there are none, fold on request (remembered),
// unfold for what asks to explain something, and the panes' layout outlives the window.
void TestMainWindow::findingsPaneFoldsAndIsRemembered()
{
    QSettings().clear();
    const QString clean = test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    const QString nix = test::source(QStringLiteral("resources/samples/nix-buildimage-on-layered.tar.gz"));
    auto *w = new MainWindow;
    w->resize(1280, 720);
    w->show();
    QVERIFY(QTest::qWaitForWindowExposed(w));
    auto *page = w->findChild<FindingsPage *>();
    auto *dock = w->findChild<QDockWidget *>(QStringLiteral("findingsDock"));
    auto *fold = w->findChild<QToolButton *>(QStringLiteral("findingsFold"));
    auto *table = w->findChild<QTableView *>(QStringLiteral("findings"));
    auto *tabs = w->findChild<QMainWindow *>(QStringLiteral("inspector"))->centralWidget();
    QVERIFY(page && dock && fold && table && tabs);

    QVERIFY(test::openAndWait(*w, clean));
    QVERIFY(w->findings().isEmpty());
    QTRY_VERIFY(page->folded());
    QCOMPARE(fold->text(), QStringLiteral("No findings"));
    QVERIFY(!table->isVisible());
    // The strip and one line: the tabs get the height back.
    QTRY_VERIFY2(dock->height() < 110, qPrintable(QString::number(dock->height())));
    QVERIFY(tabs->height() > w->height() / 2);

    QVERIFY(test::openAndWait(*w, nix));
    QCOMPARE(w->findings().size(), 2);
    QTRY_VERIFY(!page->folded());
    QVERIFY(table->isVisible());
    QCOMPARE(fold->text(), QStringLiteral("Findings: 1 error(s), 1 warning(s)"));
    // Room for the two findings, and still most of the window for the tabs.
    QTRY_VERIFY(table->viewport()->height() >= 2 * table->verticalHeader()->defaultSectionSize());
    QVERIFY(tabs->height() > w->height() / 2);
    // Three findings (Docker 25's hello-world): three rows, not two and a scroll bar.
    QVERIFY(test::openAndWait(*w, test::corpus(QStringLiteral("ggcr__hello-world-v25.tar"))));
    QCOMPARE(w->findings().size(), 3);
    QTRY_VERIFY2(table->viewport()->height() >= 3 * table->verticalHeader()->defaultSectionSize(),
        qPrintable(QStringLiteral("%1 < 3 × %2")
                       .arg(table->viewport()->height())
                       .arg(table->verticalHeader()->defaultSectionSize())));
    QVERIFY(test::openAndWait(*w, nix));

    // Folded by a click: remembered; an explanation asked for unfolds it for this archive.
    QTest::mouseClick(fold, Qt::LeftButton);
    QVERIFY(page->folded());
    QTRY_VERIFY(dock->height() < 110);
    QCOMPARE(QSettings().value(QStringLiteral("findings/folded")).toBool(), true);
    w->selectFinding(0);
    QVERIFY(!page->folded());
    QVERIFY(!page->explanation()->toPlainText().isEmpty());
    QVERIFY(test::openAndWait(*w, nix));
    QVERIFY(page->folded());

    // The images pane closed from the View menu stays closed in the next window.
    auto *imagesDock = w->findChild<QDockWidget *>(QStringLiteral("imagesDock"));
    QAction *imagesAction = nullptr;
    for (QAction *a : w->findChildren<QAction *>())
        if (a->text() == u"&Images Pane")
            imagesAction = a;
    QVERIFY(imagesAction && imagesAction->isChecked());
    imagesAction->trigger();
    QVERIFY(!imagesDock->isVisible());
    w->close();
    delete w;

    MainWindow again;
    again.resize(1280, 720);
    again.show();
    QVERIFY(QTest::qWaitForWindowExposed(&again));
    QVERIFY(!again.findChild<QDockWidget *>(QStringLiteral("imagesDock"))->isVisible());
    QVERIFY(test::openAndWait(again, nix));
    QVERIFY(again.findChild<FindingsPage *>()->folded());
    // View ▸ Reset Layout: every pane back, the findings unfolded.
    again.resetLayout();
    QVERIFY(again.findChild<QDockWidget *>(QStringLiteral("imagesDock"))->isVisible());
    QVERIFY(!again.findChild<FindingsPage *>()->folded());
    QCOMPARE(QSettings().value(QStringLiteral("findings/folded")).toBool(), false);
}

static QAction *menuAction(QWidget *w, const QString &text)
{
    for (QAction *a : w->findChildren<QAction *>())
        if (a->text() == text)
            return a;
    return nullptr;
}

// Issue 18 item 13: a window with nothing open says how to open something, opens the bundled
// sample, and lists what was opened before with its layout and size.
void TestMainWindow::welcomePageOpensAndRemembers()
{
    QSettings().clear();
    {
        MainWindow w;
        w.resize(1280, 720);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        auto *welcome = w.findChild<WelcomePage *>();
        QVERIFY(welcome && welcome->isVisible());
        QVERIFY(!w.findChild<QTabWidget *>(QStringLiteral("pages"))->isVisible());
        QCOMPARE(welcome->recent()->topLevelItemCount(), 1);
        QCOMPARE(welcome->recent()->topLevelItem(0)->text(0), QStringLiteral("Nothing opened yet"));
        QSignalSpy loaded(&w, &MainWindow::archiveLoaded);
        QTest::mouseClick(w.findChild<QPushButton *>(QStringLiteral("welcomeSample")), Qt::LeftButton);
        QVERIFY(loaded.wait(30000));
        QVERIFY(!welcome->isVisible());
        QCOMPARE(w.current().path, sampleArchivePath());
        QCOMPARE(w.current().layout, Layout::DockerManifest);
        QCOMPARE(w.findings().size(), 2); // the bundled bytes are the sample's
        QCOMPARE(QFileInfo(sampleArchivePath()).size(),
            QFileInfo(test::source(QStringLiteral("resources/samples/nix-buildimage-on-layered.tar.gz"))).size());
    }
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    auto *recent = w.findChild<WelcomePage *>()->recent();
    QVERIFY2(recent->topLevelItemCount() == 1,
        qPrintable(QSettings().value(QStringLiteral("recent")).toStringList().join(u' ')));
    QTreeWidgetItem *item = recent->topLevelItem(0);
    QCOMPARE(item->text(0), QStringLiteral("nix-buildimage-on-layered.tar.gz"));
    QCOMPARE(item->text(1), QStringLiteral("docker-manifest"));
    QCOMPARE(item->text(2), QLocale().formattedDataSize(QFileInfo(sampleArchivePath()).size()));
    // Chosen from the keyboard.
    recent->setFocus();
    recent->setCurrentItem(item);
    QSignalSpy loaded(&w, &MainWindow::archiveLoaded);
    QTest::keyClick(recent, Qt::Key_Return);
    QVERIFY(loaded.wait(30000));
    QCOMPARE(w.current().path, sampleArchivePath());

    // An archive dropped on the welcome page opens.
    MainWindow fresh;
    fresh.show();
    QVERIFY(QTest::qWaitForWindowExposed(&fresh));
    auto *welcome = fresh.findChild<WelcomePage *>();
    const QString dropped = test::source(QStringLiteral("resources/samples/docker24-save.tar"));
    QMimeData data;
    data.setUrls({ QUrl::fromLocalFile(dropped) });
    const QPointF at(welcome->width() / 2, welcome->height() / 2);
    QDragEnterEvent enter(at.toPoint(), Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(welcome, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(at, Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
    QSignalSpy droppedOpen(&fresh, &MainWindow::archiveLoaded);
    QApplication::sendEvent(welcome, &drop);
    QVERIFY(droppedOpen.wait(30000));
    QCOMPARE(fresh.current().path, dropped);
    QVERIFY(!welcome->isVisible());
}

// Help ▸ How Images Are Stored: opens the sample and walks its members in stored order, each
// selected in the archive map, then ends on the chain view.
void TestMainWindow::tourWalksTheSample()
{
    MainWindow w;
    w.resize(1280, 720);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QSignalSpy loaded(&w, &MainWindow::archiveLoaded);
    menuAction(&w, QStringLiteral("How Images Are &Stored (a Tour)"))->trigger();
    QVERIFY(loaded.wait(30000));
    auto *tour = w.findChild<Tour *>();
    QVERIFY(tour);
    QTRY_VERIFY(tour->isVisible());
    QCOMPARE(tour->step(), 0);
    QVERIFY(tour->text()->toPlainText().contains(u"8 members"));
    const QList<MemberRow> rows = memberRows(w.current());
    QCOMPARE(tour->steps(), rows.size() + 2);
    auto *tabs = w.findChild<QMainWindow *>(QStringLiteral("inspector"))->findChild<QTabWidget *>();
    auto *map = w.findChild<ArchiveMapPage *>();
    auto *next = w.findChild<QPushButton *>(QStringLiteral("tourNext"));
    for (int i = 0; i < rows.size(); ++i) {
        QTest::mouseClick(next, Qt::LeftButton);
        QCOMPARE(tabs->currentIndex(), int(MainWindow::ArchiveMapTab));
        QCOMPARE(map->selectedMember(), rows.at(i).member);
        QVERIFY(tour->text()->toPlainText().contains(rows.at(i).path));
        QVERIFY(tour->text()->toPlainText().contains(memberRoleName(rows.at(i).role)));
    }
    QTest::mouseClick(next, Qt::LeftButton);
    QCOMPARE(tabs->currentIndex(), int(MainWindow::ChainTab));
    QVERIFY(!next->isEnabled());
    // Another archive: the tour, which walks the sample, goes away.
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("dive__test-docker-image.tar"))));
    QVERIFY(!tour->isVisible());
}

void TestMainWindow::helpMenuAndOpenDialog()
{
    QSettings().clear();
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QAction *quit = menuAction(&w, QStringLiteral("&Quit"));
    QVERIFY(quit);
    QCOMPARE(quit->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_Q));

    menuAction(&w, QStringLiteral("&Findings Catalogue"))->trigger();
    auto *catalogue = w.findChild<QDialog *>(QStringLiteral("catalogue"));
    QVERIFY(catalogue && catalogue->isVisible());
    const QString text = catalogue->findChild<QTextBrowser *>()->toPlainText();
    for (const QString &code : findingCodes()) {
        QVERIFY2(text.contains(code), qPrintable(code));
        QVERIFY(text.contains(codeInfo(code).title));
    }
    catalogue->close();

    menuAction(&w, QStringLiteral("&Keyboard Shortcuts"))->trigger();
    auto *shortcuts = w.findChild<QDialog *>(QStringLiteral("shortcuts"));
    QVERIFY(shortcuts);
    const QString keys = shortcuts->findChild<QTextBrowser *>()->toPlainText();
    QVERIFY2(
        keys.contains(QKeySequence(QKeySequence::Open).toString(QKeySequence::NativeText) + u"\nFile ▸ Open Archive"),
        qPrintable(keys));
    QVERIFY(keys.contains(u"View ▸ Reset Layout") == false); // no shortcut: not listed
    QVERIFY(keys.contains(u"Filter the files"));
    shortcuts->close();

    // The Open dialog starts where the last archive was chosen.
    QTemporaryDir dir;
    QString shownIn;
    // Answers the dialog once it is up (it is modal: this runs from its event loop).
    auto answer = [&](const QString &choose) {
        auto *poll = new QTimer(&w);
        poll->setInterval(20);
        QObject::connect(poll, &QTimer::timeout, [&, poll, choose] {
            QFileDialog *dialog = nullptr;
            for (QWidget *top : QApplication::topLevelWidgets())
                if (auto *d = qobject_cast<QFileDialog *>(top); d && d->isVisible())
                    dialog = d;
            if (!dialog) {
                if (!shownIn.isEmpty()) // answered and gone
                    poll->deleteLater();
                return;
            }
            if (shownIn.isEmpty())
                shownIn = dialog->directory().absolutePath();
            if (choose.isEmpty()) {
                dialog->reject();
            } else {
                // Typed, as a user would (selectFile() waits for the folder's listing).
                if (auto *name = dialog->findChild<QLineEdit *>(QStringLiteral("fileNameEdit")))
                    name->setText(choose);
                QMetaObject::invokeMethod(dialog, &QDialog::accept);
            }
        });
        poll->start();
    };
    const QString archive = dir.filePath(QStringLiteral("copy.tar"));
    QVERIFY(QFile::copy(test::source(QStringLiteral("resources/samples/docker24-save.tar")), archive));
    QSignalSpy loaded(&w, &MainWindow::archiveLoaded);
    answer(archive);
    menuAction(&w, QStringLiteral("&Open Archive…"))->trigger();
    QVERIFY(loaded.wait(30000));
    QCOMPARE(w.current().path, archive);
    shownIn.clear();
    answer({});
    menuAction(&w, QStringLiteral("&Open Archive…"))->trigger();
    QCOMPARE(shownIn, QFileInfo(dir.path()).absoluteFilePath());
}

void TestMainWindow::unreadableArchiveShowsABanner()
{
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("ggcr__null_manifest.tar"))));
    QCOMPARE(w.findChild<QTreeWidget *>(QStringLiteral("images"))->topLevelItemCount(), 0);
    auto *banner = w.findChild<QLabel *>(QStringLiteral("banner"));
    QVERIFY(banner->isVisible());
    QVERIFY(banner->text().contains(u"JSON literal null"));
}

// Issue 18 item 5: a file that is no archive says what it is instead, and what was on screen
// (the archive and the composition on it) stays.
void TestMainWindow::badFilesSayWhatHappened_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("reason");
    QTest::newRow("text") << QByteArray("just a note\n") << QStringLiteral("it looks like text");
    QTest::newRow("empty") << QByteArray() << QStringLiteral("the file is empty");
    QTest::newRow("missing") << QByteArray("-") << QStringLiteral("no such file");
}

void TestMainWindow::badFilesSayWhatHappened()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, reason);
    QTemporaryDir dir;
    const QString bad = dir.filePath(QStringLiteral("wrong.tar"));
    if (content != "-") {
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(content);
    }
    MainWindow w;
    w.show();
    const QString good = test::corpus(QStringLiteral("cimage__almostempty.tar"));
    QVERIFY(test::openAndWait(w, good));
    const QString title = w.windowTitle();
    w.composer()->setWorkingDir(QStringLiteral("/srv")); // a composition in progress
    QSignalSpy failed(&w, &MainWindow::openFailed);
    QSignalSpy loaded(&w, &MainWindow::archiveLoaded);
    w.openPath(bad);
    QVERIFY(failed.wait(30000));
    QVERIFY(loaded.isEmpty());
    QVERIFY2(failed.constFirst().constFirst().toString().contains(reason),
        qPrintable(failed.constFirst().constFirst().toString()));
    auto *banner = w.findChild<QLabel *>(QStringLiteral("banner"));
    QVERIFY(banner->isVisible());
    QVERIFY2(banner->text().startsWith(u"<b>wrong.tar</b> could not be opened: ") && banner->text().contains(reason)
            && banner->text().contains(u"Still shown: cimage__almostempty.tar."),
        qPrintable(banner->text()));
    QCOMPARE(w.current().path, good);
    QCOMPARE(w.windowTitle(), title);
    QCOMPARE(w.composer()->document()->basePath(), good);
    QCOMPARE(w.composer()->composition().config.workingDir.value_or(QString()), QStringLiteral("/srv"));
    QVERIFY(!QSettings().value(QStringLiteral("recent")).toStringList().contains(bad));
}

// Issue 18 item 4: a truncated archive is not "verified" as a whole, and the header counts the
// errors the list shows, those verification added included.
void TestMainWindow::verifiedSaysWhatWasVerified()
{
    QTemporaryDir dir;
    const QString cut = dir.filePath(QStringLiteral("cut.tar"));
    QFile in(test::corpus(QStringLiteral("dive__test-docker-image.tar")));
    QVERIFY(in.open(QIODevice::ReadOnly));
    QFile out(cut);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(in.read(in.size() * 2 / 3));
    out.close();
    MainWindow w;
    w.show();
    QSignalSpy verified(&w, &MainWindow::verified);
    QVERIFY(test::openAndWait(w, cut));
    QVERIFY(verified.count() > 0 || verified.wait(60000));
    int errors = 0;
    for (const Finding &f : w.findings())
        errors += f.severity == Severity::Error ? 1 : 0;
    QVERIFY(errors > 0);
    const QString summary = w.findChild<QLabel *>(QStringLiteral("summary"))->text();
    QVERIFY2(summary.contains(QStringLiteral("%1 error(s)").arg(errors)), qPrintable(summary));
    const QString status = w.statusBar()->currentMessage();
    QVERIFY2(!status.contains(u"every layer matches"), qPrintable(status));
    QVERIFY2(status.contains(u"could not be read") || status.contains(u"problem(s) found"), qPrintable(status));

    // A whole archive still says so.
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("dive__test-docker-image.tar"))));
    QVERIFY(verified.wait(60000));
    QCOMPARE(w.statusBar()->currentMessage(), QStringLiteral("Verified: every layer matches its digests."));

    // Digests all right, other errors (a legacy-only archive, which most loaders refuse): the line
    // says both, as the header counts the errors.
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("ggcr__no_manifest.tar"))));
    QVERIFY(verified.wait(60000));
    QCOMPARE(w.statusBar()->currentMessage(),
        QStringLiteral("Digests verified: every layer matches them. The checks found 1 error(s): see Findings."));
}

void TestMainWindow::verificationRunsInTheBackground()
{
    QTemporaryDir dir;
    const QString tar = dir.filePath(QStringLiteral("changed.tar"));
    QVERIFY(QFile::copy(test::corpus(QStringLiteral("cimage__almostempty.tar")), tar));
    QFile::setPermissions(tar, QFile::ReadOwner | QFile::WriteOwner);
    const ImageArchive ia = openImageArchive(tar);
    const Member &layer = ia.archive->member(ia.images.at(0).layers.at(0).member);
    QFile f(tar);
    QVERIFY(f.open(QIODevice::ReadWrite));
    QVERIFY(f.seek(layer.dataOffset + 5));
    QVERIFY(f.putChar('#'));
    f.close();
    MainWindow w;
    w.show();
    QSignalSpy verified(&w, &MainWindow::verified);
    QVERIFY(test::openAndWait(w, tar));
    QVERIFY(verified.count() > 0 || verified.wait(30000));
    // The status line still tells how indexing went; the bar says what it was measuring.
    const auto *bar = w.findChild<QProgressBar *>();
    QVERIFY(bar);
    QVERIFY2(bar->format().startsWith(QStringLiteral("Verifying digests")), qPrintable(bar->format()));
    bool found = false;
    for (const Finding &finding : w.findings())
        found = found || finding.code == u"diffid-mismatch";
    QVERIFY(found);
    QCOMPARE(w.findChild<QTableView *>(QStringLiteral("findings"))->model()->rowCount(), int(w.findings().size()));
    // The verdict strip follows the findings verification added: Docker refuses the changed layer.
    auto *strip = w.findChild<LoaderStrip *>(QStringLiteral("loaderStrip"));
    QVERIFY(strip);
    QVERIFY2(
        strip->entryText(0).startsWith(u"Docker 1.10–24: refuses") && strip->entryText(0).contains(u"diffid-mismatch"),
        qPrintable(strip->entryText(0)));
    QVERIFY(!strip->text().contains(u"folder"));
    // A folder's verdicts are those of a tar of its contents: the strip's caption says so, and
    // Docker's classic store refuses umoci's layout, which has no manifest.json.
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("gen__umoci-layout"))));
    QVERIFY2(
        strip->text().contains(QStringLiteral("Loaders,&nbsp;given&nbsp;a&nbsp;tar&nbsp;of&nbsp;the&nbsp;folder:")),
        qPrintable(strip->text()));
    QVERIFY2(strip->entryText(0).startsWith(u"Docker 1.10–24: refuses (oci-only"), qPrintable(strip->entryText(0)));
}

void TestMainWindow::modelsPassTheTester_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("minimumNodes");
    QTest::newRow("docker 18 save") << test::corpus(QStringLiteral("dive__test-docker-image.tar")) << 400;
    QTest::newRow("skopeo oci, gzip layers") << test::corpus(QStringLiteral("gen__skopeo-oci-archive.tar")) << 400;
    QTest::newRow("umoci folder") << test::corpus(QStringLiteral("gen__umoci-layout")) << 10;
    QTest::newRow("nix layered") << test::corpus(QStringLiteral("gen__nix-stream-layered-image.tar")) << 10;
    QTest::newRow("docker 25") << test::source(QStringLiteral("resources/samples/docker25-save.tar")) << 5;
    QTest::newRow("whole-gzip alpine") << test::corpus(QStringLiteral("trivy__alpine-311.tar.gz")) << 400;
}

void TestMainWindow::modelsPassTheTester()
{
    QFETCH(QString, path);
    QFETCH(int, minimumNodes);
    const ImageArchive ia = openImageArchive(path);
    QVERIFY(ia.ok());
    FindingsModel findings;
    QAbstractItemModelTester t1(&findings, QAbstractItemModelTester::FailureReportingMode::QtTest);
    findings.setFindings(checkArchive(ia));
    LayersModel layers;
    QAbstractItemModelTester t2(&layers, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const int top = int(ia.images.at(0).layers.size()) - 1;
    layers.setImage(ia.images.at(0));
    const ImageLayers indexed = indexImageLayers(ia, 0);
    layers.setLayerIndexed(0, 1, 1);
    // A layer read, the image's tree not merged yet: what it adds is not known, not "+0 bytes".
    QVERIFY(!layers.index(0, LayersModel::FilesColumn).data().toString().isEmpty());
    QCOMPARE(layers.index(0, LayersModel::ContributionColumn).data().toString(), QString());
    QCOMPARE(layers.index(0, LayersModel::CumulativeColumn).data().toString(), QString());
    layers.setSizes(imageSizes(indexed));
    QVERIFY(!layers.index(0, LayersModel::CumulativeColumn).data().toString().isEmpty());
    layers.setHighlighted({ 0, top });
    QCOMPARE(layers.rowCount(), top + 1);
    FileTreeModel files;
    QAbstractItemModelTester t3(&files, QAbstractItemModelTester::FailureReportingMode::QtTest);
    files.setTree(std::make_shared<const MergedTree>(MergedTree::build(indexed.layers, top)), top);
    files.sort(FileTreeModel::SizeColumn, Qt::DescendingOrder);
    FileTreeModel &proxy = files; // the model sorts and filters itself
    // Walk the whole tree sorted: parent() of every child leads back.
    QList<QModelIndex> stack { QModelIndex() };
    int seen = 0;
    while (!stack.isEmpty()) {
        const QModelIndex p = stack.takeLast();
        for (int r = 0; r < proxy.rowCount(p); ++r) {
            const QModelIndex c = proxy.index(r, 0, p);
            QCOMPARE(proxy.parent(c), p);
            stack.append(c);
            ++seen;
        }
    }
    QVERIFY2(seen >= minimumNodes, qPrintable(QString::number(seen)));
    // The same tree with one layer's view and its deletions.
    files.setTree(std::make_shared<const MergedTree>(MergedTree::build(indexed.layers, top)), top, true);
    QVERIFY(files.rowCount() >= 0);
    ArchiveMapModel map;
    QAbstractItemModelTester t5(&map, QAbstractItemModelTester::FailureReportingMode::QtTest);
    map.setRows(memberRows(ia));
    QVERIFY(map.rowCount() > 0);
    map.setMarked({ map.rows().constFirst().path });
    QVERIFY(map.index(0, 0).data(Qt::BackgroundRole).isValid());
}

void TestMainWindow::archiveMapShowsRolesAndReaders()
{
    // docker save of two images, one layer.tar a symlink to the other's.
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("ggcr__test_link.tar"))));
    w.showTab(MainWindow::ArchiveMapTab);
    auto *view = w.findChild<QTableView *>(QStringLiteral("members"));
    QVERIFY(view && view->isVisible());
    const QAbstractItemModel *model = view->model();
    QCOMPARE(model->rowCount(), 13); // 16 members, 3 of them folders
    QHash<QString, QPair<QString, QString>> shown; // member column → role, readers
    for (int r = 0; r < model->rowCount(); ++r)
        shown.insert(model->index(r, ArchiveMapModel::MemberColumn).data().toString(),
            { model->index(r, ArchiveMapModel::RoleColumn).data().toString(),
                model->index(r, ArchiveMapModel::ReadersColumn).data().toString() });
    const QString manifest = QStringLiteral("Docker ≤ 28, podman, ggcr");
    const QString legacy = QStringLiteral("Docker ≤ 28 legacy mode");
    const QString shared = QStringLiteral("6e77476643c3155b1e9ae07dd5a4c8288bdb6590c131c222b7a3f277dec1e266/layer.tar");
    const QString linked = QStringLiteral("b159278ac0c8813245b6c3b22cbbe7abefe3b2ec3fac6c7e87138811e1ef2a88/layer.tar");
    QCOMPARE(shown.value(QStringLiteral("manifest.json")), qMakePair(QStringLiteral("manifest list (M)"), manifest));
    QCOMPARE(shown.value(QStringLiteral("repositories")), qMakePair(QStringLiteral("legacy tags (L)"), legacy));
    QCOMPARE(shown.value(shared), qMakePair(QStringLiteral("layer"), manifest));
    QCOMPARE(shown.value(linked + QStringLiteral(" → ") + shared), qMakePair(QStringLiteral("layer (link)"), manifest));
    QCOMPARE(shown.value(QStringLiteral("6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e.json")),
        qMakePair(QStringLiteral("image config"), manifest));
    // Selecting a member shows it: manifest.json, indented.
    const QModelIndexList hits = model->match(model->index(0, ArchiveMapModel::MemberColumn), Qt::DisplayRole,
        QStringLiteral("manifest.json"), 1, Qt::MatchExactly);
    QCOMPARE(hits.size(), 1);
    QSignalSpy memberShown(w.findChild<ArchiveMapPage *>(), &ArchiveMapPage::memberShown);
    view->setCurrentIndex(hits.constFirst());
    QVERIFY(memberShown.wait(30000));
    const QString raw = w.findChild<QPlainTextEdit *>(QStringLiteral("memberContent"))->toPlainText();
    QVERIFY2(raw.contains(QStringLiteral("\n    {\n")), qPrintable(raw.left(200)));
    QVERIFY(raw.contains(QStringLiteral("bazel/v1/tarball:test_image_3")));
}

void TestMainWindow::uiThreadStaysResponsive()
{
    // While a real archive opens, its layers are indexed and its tree is built, the UI thread
    // decompresses, indexes and builds nothing: that is the workers' (bounded as work, not timed:
    // a busy machine must not fail this; bench/ times the window).
    MainWindow w;
    w.show();
    work::counters().reset();
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("trivy__alpine-311.tar.gz"))));
    QVERIFY(work::counters().decompressedBytes > 0); // the work was done, elsewhere
    QCOMPARE(work::counters().mainThreadWork.load(), qint64(0));
}

void TestMainWindow::platformsAndArtifactsAreListed()
{
    // A multi-platform OCI folder with an artifact, written by the independent fixture generator.
    QTemporaryDir dir;
    QString output;
    QVERIFY2(
        test::runPython({ test::source(QStringLiteral("tests/fixtures/make_fixtures.py")), dir.path() }, &output) == 0,
        qPrintable(output));
    MainWindow w;
    w.show();
    QVERIFY(test::openAndWait(w, dir.filePath(QStringLiteral("oci-dir"))));
    auto *images = w.findChild<QTreeWidget *>(QStringLiteral("images"));
    QCOMPARE(images->topLevelItemCount(), 2); // the index's name over its platforms, then the artifact apart
    QVERIFY(images->topLevelItem(0)->child(0)->text(0).startsWith(u"linux/amd64\n"));
    QVERIFY(images->topLevelItem(0)->child(1)->text(0).startsWith(u"linux/arm64/v8\n"));
    QVERIFY(images->topLevelItem(1)->text(0).startsWith(u"artifact"));
    QVERIFY(images->topLevelItem(1)->isDisabled());
    // Picking the other platform shows its layers (tst_imagelist drives the list further).
    QSignalSpy indexed(&w, &MainWindow::layersIndexed);
    images->setCurrentItem(images->topLevelItem(0)->child(1));
    QVERIFY(indexed.wait(30000));
    auto *layers = w.findChild<QTableView *>(QStringLiteral("layers"));
    QCOMPARE(layers->model()->index(0, LayersModel::CompressionColumn).data().toString(), QStringLiteral("zstd"));
}

void TestMainWindow::followsADarkPalette()
{
    QPalette dark;
    dark.setColor(QPalette::Base, QColor(30, 30, 30));
    dark.setColor(QPalette::Window, QColor(45, 45, 45));
    dark.setColor(QPalette::Text, QColor(230, 230, 230));
    dark.setColor(QPalette::WindowText, QColor(230, 230, 230));
    const QPalette saved = QApplication::palette();
    QApplication::setPalette(dark);
    {
        MainWindow w;
        w.show();
        QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("ggcr__test_link.tar"))));
        const QImage picture = w.findChild<ChainView *>(QStringLiteral("chainView"))->grab().toImage();
        // The canvas takes the palette's base colour, and its text stays readable on it.
        QCOMPARE(picture.pixelColor(picture.width() - 2, picture.height() - 2), QColor(30, 30, 30));
        int light = 0;
        for (int y = 0; y < 40; ++y)
            for (int x = 0; x < 300; ++x)
                light += picture.pixelColor(x, y).lightness() > 150 ? 1 : 0;
        QVERIFY2(light > 30, qPrintable(QString::number(light))); // the column titles
    }
    QApplication::setPalette(saved);
}

void TestMainWindow::keyboardReachesTheFilter()
{
    MainWindow w;
    w.show();
    QApplication::setActiveWindow(&w);
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("dive__test-docker-image.tar"))));
    // From another tab: Ctrl+F brings the files' tab forward with its filter focused.
    w.showTab(MainWindow::ChainTab);
    QTest::keyClick(&w, Qt::Key_F, Qt::ControlModifier);
    QTRY_VERIFY(w.findChild<QLineEdit *>(QStringLiteral("filter"))->hasFocus());
    QTest::keyClicks(QApplication::focusWidget(), QStringLiteral("busybox"));
    QCOMPARE(w.findChild<QLineEdit *>(QStringLiteral("filter"))->text(), QStringLiteral("busybox"));
}

// The verdict strip above the findings: dive's OCI-only archive, which Docker 20.10 refuses
// (docs/loaders.md). Selecting Docker's entry marks the oci-only finding and explains it.
void TestMainWindow::loaderStripShowsTheVerdicts()
{
    MainWindow w;
    w.show();
    QApplication::setActiveWindow(&w);
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QSignalSpy verified(&w, &MainWindow::verified);
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("dive__test-oci-uncompressed-image.tar"))));
    auto *strip = w.findChild<LoaderStrip *>(QStringLiteral("loaderStrip"));
    QVERIFY(strip);
    QVERIFY(strip->isVisible());
    QCOMPARE(strip->verdicts().size(), loaderRanges().size());
    QCOMPARE(strip->entryText(0), QStringLiteral("Docker 1.10–24: refuses (oci-only)"));
    QCOMPARE(strip->entryText(5), QStringLiteral("podman: loads"));
    // Each entry is a link of its own, coloured by its verdict, and the line wraps between them.
    QVERIFY(strip->text().contains(u"href=\"range:0\""));
    QVERIFY(strip->text().contains(u"#b3261e")); // a refusal
    QVERIFY(strip->heightForWidth(300) > strip->heightForWidth(3000));
    QVERIFY(strip->entryToolTip(0).contains(u"image/tarexport/load.go"));
    QVERIFY(strip->entryToolTip(0).contains(u"Checked against the real loader"));
    QVERIFY(strip->entryToolTip(2).contains(u"Not run here")); // Docker 29

    auto *findingsView = w.findChild<QTableView *>(QStringLiteral("findings"));
    auto *explanation = w.findChild<QTextBrowser *>(QStringLiteral("explanation"));
    int ociOnly = -1;
    for (int i = 0; i < w.findings().size(); ++i)
        if (w.findings().at(i).code == u"oci-only")
            ociOnly = i;
    QVERIFY(ociOnly >= 0);
    const auto marked
        = [&](int row) { return findingsView->model()->index(row, 0).data(Qt::BackgroundRole).isValid(); };
    QVERIFY(!marked(ociOnly));
    // Chosen from the keyboard: the first link of the strip, activated.
    strip->setFocus();
    QTest::keyClick(strip, Qt::Key_Tab);
    QTest::keyClick(strip, Qt::Key_Return);
    QCOMPARE(strip->selected(), 0);
    for (int row = 0; row < findingsView->model()->rowCount(); ++row) {
        const int source = findingsView->model()->index(row, 0).data(FindingsModel::FindingIndexRole).toInt();
        QCOMPARE(marked(row), w.findings().at(source).code == u"oci-only");
    }
    QVERIFY(explanation->toPlainText().contains(u"Docker 1.10–24: refuses"));
    QVERIFY(explanation->toPlainText().contains(u"blobs/json: no such file or directory"));
    QVERIFY(explanation->toPlainText().contains(u"oci-only"));
    // The finding named there is a link to it.
    Q_EMIT explanation->anchorClicked(QUrl(QStringLiteral("finding:%1").arg(ociOnly)));
    QCOMPARE(findingsView->currentIndex().data(FindingsModel::FindingIndexRole).toInt(), ociOnly);
    QVERIFY(explanation->toPlainText().contains(codeInfo(QStringLiteral("oci-only")).title));

    // podman loads it: nothing to mark. Selecting the same entry again clears the selection.
    strip->select(5);
    for (int row = 0; row < findingsView->model()->rowCount(); ++row)
        QVERIFY(!marked(row));
    QVERIFY(explanation->toPlainText().contains(u"podman: loads"));
    strip->select(-1);
    QCOMPARE(strip->selected(), -1);
    // A loader seen doing otherwise than predicted is shown as loudly as a refusal.
    QVERIFY(strip->text().contains(u"href=\"range:5\" style=\"color:#1e6b2e;"));
    strip->setObserved(5, QStringLiteral("refuses"), false);
    QCOMPARE(strip->entryText(5), QStringLiteral("podman: loads — observed: refuses"));
    QVERIFY2(strip->text().contains(u"href=\"range:5\" style=\"color:#b3261e;"), qPrintable(strip->text()));
    strip->clearObserved();
    QCOMPARE(strip->entryText(5), QStringLiteral("podman: loads"));

    // Verification (which finds nothing more here) keeps what the strip says.
    QVERIFY(verified.count() > 0 || verified.wait(30000));
    QCOMPARE(strip->entryText(0), QStringLiteral("Docker 1.10–24: refuses (oci-only)"));
}

// Try Loaders in the window: podman (a throwaway store) loads dive's OCI-only archive in the
// background; the strip shows it beside the prediction and the details say what it printed.
void TestMainWindow::triedLoadersShowBesideThePrediction()
{
    QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("podman")).isEmpty(),
        "podman is not installed (./test installs it)");
    QTemporaryDir tmp;
    const QByteArray saved = qgetenv("TMPDIR");
    qputenv("TMPDIR", tmp.path().toUtf8());
    MainWindow w;
    w.show();
    QSignalSpy verified(&w, &MainWindow::verified);
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("dive__test-oci-uncompressed-image.tar"))));
    auto *strip = w.findChild<LoaderStrip *>(QStringLiteral("loaderStrip"));
    QVERIFY(strip->text().contains(u"href=\"try\""));
    QSignalSpy tried(&w, &MainWindow::loadersTried);
    w.tryLoaders({}); // podman only: Docker and containerd are used only when named
    QVERIFY(w.busy());
    QVERIFY(tried.wait(10 * 60 * 1000)); // a hang detector
    qputenv("TMPDIR", saved);
    QCOMPARE(w.triedLoaders().loaders.size(), 3);
    const TriedLoader &podman = w.triedLoaders().loaders.at(2);
    QVERIFY2(podman.ran && podman.matches(), qPrintable(triedLoaderLine(podman)));
    QCOMPARE(strip->entryText(podman.range), QStringLiteral("podman: loads — observed: loads"));
    QCOMPARE(strip->entryText(0), QStringLiteral("Docker 1.10–24: refuses (oci-only)")); // not tried
    const QString details = w.findChild<QTextBrowser *>(QStringLiteral("explanation"))->toPlainText();
    QVERIFY2(details.contains(QStringLiteral("podman %1: predicted loads, observed loads").arg(podman.version)),
        qPrintable(details));
    QVERIFY(details.contains(u"docker: not tried"));
    // Verification ending later recomputes the strip: what was observed stays.
    QVERIFY(verified.count() > 0 || verified.wait(30000));
    QCOMPARE(strip->entryText(podman.range), QStringLiteral("podman: loads — observed: loads"));
    // The range's details tell what podman printed.
    strip->select(podman.range);
    QVERIFY(w.findChild<QTextBrowser *>(QStringLiteral("explanation"))->toPlainText().contains(u"Loaded image"));
    QCOMPARE(QDir(tmp.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList());

    // Cancel, as soon as it has started: nothing is observed, and the throwaway store is gone.
    const int podmanRange = podman.range; // the results are replaced
    qputenv("TMPDIR", tmp.path().toUtf8());
    w.tryLoaders({});
    auto *cancel = w.findChild<QPushButton *>(QStringLiteral("cancel"));
    QVERIFY(cancel && cancel->isVisible());
    QTest::qWait(0);
    cancel->click();
    QVERIFY(tried.wait(10 * 60 * 1000));
    qputenv("TMPDIR", saved);
    QVERIFY(w.triedLoaders().cancelled);
    QVERIFY(!w.triedLoaders().loaders.at(2).ran);
    QCOMPARE(strip->entryText(podmanRange), QStringLiteral("podman: loads"));
    QCOMPARE(QDir(tmp.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList());
}

// Issue 16: every hostile case of tst_hostile, opened in the window as a user would (open, then
// the background indexing and verification it starts by itself). The window must finish each
// (a hang detector of minutes, not a speed test), say what it could not read where the user
// looks (the banner, or findings), stay within a memory bound, and create nothing anywhere a
// case tries to escape to.
void TestMainWindow::hostileArchives_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QStringList>("escapes");
    static QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QString output;
    for (const char *generator : { "make_hostile.py", "make_hostile_fs.py" })
        QVERIFY2(
            test::runPython(
                { test::source(QStringLiteral("tests/fixtures/") + QLatin1String(generator)), dir.path() }, &output)
                == 0,
            qPrintable(output));
    int rows = 0;
    for (const char *list : { "cases.json", "cases-fs.json" }) {
        QFile f(dir.filePath(QLatin1String(list)));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject cases = QJsonDocument::fromJson(f.readAll()).object();
        for (auto it = cases.begin(); it != cases.end(); ++it, ++rows) {
            QStringList escapes;
            for (const QJsonValue &e : it.value().toObject().value(u"escapes").toArray())
                escapes << e.toString();
            QTest::newRow(qPrintable(it.key())) << dir.filePath(it.key()) << escapes;
        }
    }
    QVERIFY(rows > 40);
}

static qint64 peakResidentKiB()
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return 0;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().split(' ').value(0).toLongLong();
    return 0;
}

void TestMainWindow::hostileArchives()
{
    QFETCH(QString, path);
    QFETCH(QStringList, escapes);
    MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &MainWindow::archiveLoaded);
    QSignalSpy indexed(&w, &MainWindow::layersIndexed);
    QSignalSpy verified(&w, &MainWindow::verified);
    QSignalSpy failed(&w, &MainWindow::openFailed);
    w.openPath(path);
    // Hang detectors: minutes, never a speed limit.
    QTRY_VERIFY2_WITH_TIMEOUT(loaded.count() + failed.count() > 0, "the window did not finish opening", 300000);
    auto *banner = w.findChild<QLabel *>(QStringLiteral("banner"));
    QVERIFY(banner);
    if (!failed.isEmpty()) {
        // Nothing could be read: the banner names the file and the reason.
        QVERIFY(w.current().path.isEmpty());
        QVERIFY2(banner->isVisible() && banner->text().contains(QFileInfo(path).fileName().toHtmlEscaped())
                && banner->text().contains(u"could not be opened: "),
            qPrintable(banner->text()));
        return;
    }
    const ImageArchive &ia = w.current();
    if (!ia.images.isEmpty()) {
        QVERIFY2(indexed.count() > 0 || indexed.wait(300000), "the layers were never shown");
        if (ia.archive)
            QVERIFY2(verified.count() > 0 || verified.wait(300000), "verification never ended");
    }
    // What could not be read is said where the user looks.
    if (ia.images.isEmpty())
        QVERIFY2(banner->isVisible() && !banner->text().trimmed().isEmpty(), "no image, and no banner saying why");
    if (!ia.errors.isEmpty())
        QVERIFY2(banner->isVisible() || !w.findings().isEmpty(), qPrintable(ia.errors.constFirst()));
    // Still answering: a posted event is handled at once.
    bool answered = false;
    QTimer::singleShot(0, &w, [&answered] { answered = true; });
    QTRY_VERIFY_WITH_TIMEOUT(answered, 60000);
    for (const QString &e : std::as_const(escapes))
        QVERIFY2(!QFileInfo::exists(e) && !QFileInfo(e).isSymLink(), qPrintable(e));
    // The whole run so far: bombs and floods are stopped by the same alarms as in the library.
    const qint64 peak = peakResidentKiB();
    QVERIFY2(peak < 1536 * 1024, qPrintable(QStringLiteral("peak resident memory %1 MiB").arg(peak / 1024)));
}

// Issue 19 item 2: the top layer's merged tree is the biggest thing the window holds. The files
// view, the composer's base and its empty preview are one tree, not three copies.
void TestMainWindow::oneTreeForTheFilesAndTheComposer()
{
    MainWindow w;
    QSignalSpy verified(&w, &MainWindow::verified);
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("dive__test-docker-image.tar"))));
    QVERIFY(verified.count() > 0 || verified.wait(30000));
    auto *composer = w.findChild<ComposerPanel *>(QStringLiteral("composer"));
    QVERIFY(composer);
    if (composer->previewPending())
        QVERIFY(QSignalSpy(composer, &ComposerPanel::previewUpdated).wait(30000));
    const MergedTree *shown = w.findChild<LayersPage *>()->filesModel()->tree();
    QVERIFY(shown);
    QCOMPARE(shown->layers().size(), w.current().images.at(0).layers.size()); // the top layer is shown
    QCOMPARE(composer->findChild<LivePreview *>()->baseTree().get(), shown);
    QCOMPARE(composer->preview().tree.get(), shown); // nothing composed yet: the base itself
    // Behind the inspector, the composer's views shape nothing; opened, they show the tree.
    auto *base = qobject_cast<FileTreeModel *>(composer->findChild<QTreeView *>(QStringLiteral("baseTree"))->model());
    auto *result
        = qobject_cast<FileTreeModel *>(composer->findChild<QTreeView *>(QStringLiteral("resultTree"))->model());
    QVERIFY(base && result);
    QCOMPARE(base->tree(), nullptr);
    QCOMPARE(result->tree(), nullptr);
    w.showPage(MainWindow::ComposePage);
    QCOMPARE(base->tree(), shown);
    QCOMPARE(result->tree(), shown);
    QVERIFY(result->rowCount() > 0);
}

void TestMainWindow::previewReadsOnlyWhatItShows()
{
    QTemporaryDir tmp;
    const QString path = tmp.filePath(QStringLiteral("big.tar"));
    QVERIFY(writeBigArchive(path));
    MainWindow w;
    w.show();
    QSignalSpy verified(&w, &MainWindow::verified);
    QVERIFY(test::openAndWait(w, path));
    QVERIFY(verified.count() > 0 || verified.wait(60000)); // it reads every byte: not counted below
    auto *files = w.findChild<QTreeView *>(QStringLiteral("files"));
    const QModelIndexList hits = files->model()->match(files->model()->index(0, 0), FileTreeModel::PathRole,
        QStringLiteral("big.txt"), 1, Qt::MatchExactly | Qt::MatchRecursive);
    QCOMPARE(hits.size(), 1);
    const qint64 size = 16 * 1024 * 1024 / 1025 * 1025;
    QSignalSpy shown(w.findChild<LayersPage *>(), &LayersPage::previewShown);
    work::counters().reset();
    files->setCurrentIndex(hits.constFirst());
    QVERIFY(shown.wait(30000));
    // At most one chunk of the copy (1 MiB) is read, not the 16 MiB of the file.
    QVERIFY2(work::counters().entryBytesStreamed <= 1024 * 1024,
        qPrintable(QString::number(work::counters().entryBytesStreamed)));
    const QString text = w.findChild<QPlainTextEdit *>(QStringLiteral("preview"))->toPlainText();
    QVERIFY(text.startsWith(QStringLiteral("0123456789abcdef")));
    QVERIFY2(text.endsWith(QStringLiteral("(%1 more bytes)").arg(QLocale().toString(size - LayersPage::kPreviewBytes))),
        qPrintable(text.right(80)));
    QVERIFY(text.size() <= LayersPage::kPreviewBytes + 100);
    // The direct read of the same bytes: what is shown is the file's first 256 KiB.
    const FilePreview direct
        = LayersPage::readPreview(w.current(), 0, w.findChild<LayersPage *>()->filesModel()->tree()->layers(), 0,
            w.findChild<LayersPage *>()
                ->filesModel()
                ->tree()
                ->node(hits.constFirst().data(FileTreeModel::NodeRole).toInt())
                .entry,
            size, {});
    QCOMPARE(direct.bytesRead, LayersPage::kPreviewBytes);
}

void TestMainWindow::extractRunsInTheBackgroundAndCancels()
{
    QTemporaryDir tmp;
    const QString path = tmp.filePath(QStringLiteral("big.tar"));
    QVERIFY(writeBigArchive(path));
    MainWindow w;
    w.show();
    QSignalSpy verified(&w, &MainWindow::verified);
    QVERIFY(test::openAndWait(w, path));
    QVERIFY(verified.count() > 0 || verified.wait(60000));
    const MergedTree *tree = w.findChild<LayersPage *>()->filesModel()->tree();
    QString error;
    const int data = resolveInTree(*tree, "data", false, &error);
    QVERIFY2(data >= 0, qPrintable(error));
    auto *cancel = w.findChild<QPushButton *>(QStringLiteral("cancel"));
    auto *bar = w.findChild<QProgressBar *>();

    // Extracting returns at once; the window goes on handling events while it writes, and the
    // progress comes to the bar.
    QSignalSpy extracted(&w, &MainWindow::extracted);
    const QString whole = tmp.filePath(QStringLiteral("whole"));
    w.extractTo(data, whole);
    QVERIFY(w.busy());
    QVERIFY(cancel->isVisible() && bar->isVisible());
    int ticks = 0;
    QTimer ticker;
    connect(&ticker, &QTimer::timeout, [&] { ++ticks; });
    ticker.start(0);
    QVERIFY(extracted.wait(120000));
    QVERIFY(ticks > 0);
    QCOMPARE(extracted.constFirst().constFirst().toBool(), true);
    QCOMPARE(QDir(whole + QStringLiteral("/data")).entryList(QDir::Files).size(), 128);
    QVERIFY(!bar->isVisible());

    // Cancelled once it has written something: what it wrote is gone, the folder given stays.
    extracted.clear();
    const QString part = tmp.filePath(QStringLiteral("part"));
    w.extractTo(data, part);
    QTRY_VERIFY_WITH_TIMEOUT(bar->value() > 0 || !w.busy(), 60000);
    QVERIFY2(w.busy(), "the extract ended before it could be cancelled");
    cancel->click();
    QVERIFY(extracted.wait(120000));
    QCOMPARE(extracted.constFirst().constFirst().toBool(), false);
    QVERIFY(QFileInfo(part).isDir());
    QCOMPARE(QDir(part).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden), QStringList());
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
