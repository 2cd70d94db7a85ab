// SPDX-License-Identifier: MIT
// Copying from the window's views (issue 18 item 11), offscreen through the real widgets: Ctrl+C
// on a row copies its whole value (never the shortened text shown), and right-click or the Menu
// key opens the row's menu, whose actions copy each full value or show and extract what it is.
#include "chainview.h"
#include "compose/commandline.h"
#include "filetreemodel.h"
#include "findingsmodel.h"
#include "inspect/archivemapmodel.h"
#include "inspect/archivemappage.h"
#include "inspect/chainpage.h"
#include "inspect/configpage.h"
#include "inspect/fileextraction.h"
#include "inspect/findingspage.h"
#include "inspect/historydialog.h"
#include "inspect/layerspage.h"
#include "layersmodel.h"
#include "mainwindow.h"
#include "testsupport.h"
#include "windowsupport.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QDir>
#include <QFileDialog>
#include <QJsonArray>
#include <QMenu>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBrowser>
#include <QTextDocument>
#include <QTimer>
#include <QTreeView>
#include <QTreeWidget>

using namespace lamina;

class TestCopyMenus : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void layersTable();
    void layersTableBlobDigests();
    void filesTree();
    void findingsTable();
    void configPage();
    void configEnv();
    void hiddenPagesWaitUntilShown();
    void archiveMap();
    void historyAcrossLayers();

private:
    /// The menu a right-click on `index` opens (the row made current), or the Menu key on the
    /// current row when `index` is invalid.
    static QMenu *menuOn(QAbstractItemView *view, const QString &name, const QModelIndex &index)
    {
        if (index.isValid()) {
            const QPoint at = view->visualRect(index).center();
            QContextMenuEvent event(QContextMenuEvent::Mouse, at, view->viewport()->mapToGlobal(at));
            QApplication::sendEvent(view->viewport(), &event);
        } else {
            QContextMenuEvent event(QContextMenuEvent::Keyboard, QPoint(), view->mapToGlobal(QPoint()));
            QApplication::sendEvent(view, &event);
        }
        const QList<QMenu *> menus = view->findChildren<QMenu *>(name);
        return menus.isEmpty() ? nullptr : menus.constLast();
    }
    static QStringList texts(QMenu *menu)
    {
        QStringList out;
        for (QAction *a : menu->actions())
            out << a->text();
        return out;
    }
    /// Triggers `text` in `menu` and returns what the clipboard then holds.
    static QString copied(QMenu *menu, const QString &text)
    {
        QGuiApplication::clipboard()->clear();
        for (QAction *a : menu->actions())
            if (a->text() == text) {
                a->trigger();
                return QGuiApplication::clipboard()->text();
            }
        return QStringLiteral("(no action %1)").arg(text);
    }
    static QString ctrlC(QWidget *view)
    {
        QGuiApplication::clipboard()->clear();
        QTest::keyClick(view, Qt::Key_C, Qt::ControlModifier);
        return QGuiApplication::clipboard()->text();
    }
    static void showTab(MainWindow &w, QWidget *page)
    {
        for (QTabWidget *tabs : w.findChildren<QTabWidget *>())
            if (tabs->indexOf(page) >= 0)
                tabs->setCurrentWidget(page);
    }
    QTemporaryDir m_findings; ///< make_findings.py's output
    static QString sample(const char *name)
    {
        return test::source(QStringLiteral("resources/samples/") + QLatin1String(name));
    }
};

void TestCopyMenus::initTestCase()
{
    QApplication::setOrganizationName(QStringLiteral("LaminaTest"));
    QStandardPaths::setTestModeEnabled(true);
    QString output;
    QVERIFY2(
        test::runPython({ test::source(QStringLiteral("tests/fixtures/make_findings.py")), m_findings.path() }, &output)
            == 0,
        qPrintable(output));
}

void TestCopyMenus::layersTable()
{
    // Docker 24's save: legacy IDs, a layer file that is a link to another's, a history line each.
    MainWindow w;
    w.resize(1280, 720);
    w.show();
    w.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QVERIFY(test::openAndWait(w, sample("docker24-save.tar")));
    auto *page = w.findChild<LayersPage *>();
    QVERIFY(page);
    showTab(w, page);
    const Image &img = w.current().images.at(0);
    QTableView *view = page->layersView();
    LayersModel *model = page->layersModel();
    const ImageLayer &l3 = img.layers.at(3);
    QVERIFY(l3.resolvedPath != l3.path); // the link member and what it points at

    // Ctrl+C: the current cell's whole value, not its 12 digits.
    view->setFocus();
    view->setCurrentIndex(model->index(3, LayersModel::DiffIdColumn));
    QCOMPARE(ctrlC(view), l3.diffId);
    view->setCurrentIndex(model->index(3, LayersModel::LegacyColumn));
    QCOMPARE(ctrlC(view), l3.legacyId);
    view->setCurrentIndex(model->index(2, LayersModel::CreatedByColumn));
    QCOMPARE(ctrlC(view), img.config->history.at(2).createdBy); // its trailing space kept
    QVERIFY(l3.digest.isEmpty()); // manifest.json names files, not blobs: no blob digest to offer

    // Right-click on layer 3: each of its values, Show files, Extract layer…
    QMenu *menu = menuOn(view, QStringLiteral("layerMenu"), model->index(3, LayersModel::StoredColumn));
    QVERIFY(menu);
    QCOMPARE(view->currentIndex().row(), 3);
    QCOMPARE(texts(menu),
        QStringList({ QStringLiteral("Copy diff ID"), QStringLiteral("Copy legacy ID"),
            QStringLiteral("Copy file path"), QStringLiteral("Copy created-by command"), QString(),
            QStringLiteral("Show files"), QStringLiteral("Extract layer…"), QStringLiteral("Compare with…") }));
    QCOMPARE(copied(menu, QStringLiteral("Copy diff ID")), l3.diffId);
    QCOMPARE(copied(menu, QStringLiteral("Copy legacy ID")), l3.legacyId);
    QCOMPARE(copied(menu, QStringLiteral("Copy file path")), l3.resolvedPath);
    QCOMPARE(copied(menu, QStringLiteral("Copy created-by command")), img.config->history.at(3).createdBy);
    menu->close();

    // The Menu key opens the current row's menu; Show files selects the layer and focuses the files.
    view->setFocus();
    view->setCurrentIndex(model->index(2, 0));
    menu = menuOn(view, QStringLiteral("layerMenu"), {});
    QVERIFY(menu);
    QCOMPARE(copied(menu, QStringLiteral("Copy legacy ID")), img.layers.at(2).legacyId);
    QTRY_VERIFY(page->filesModel()->tree() && page->filesModel()->tree()->topLayer() == 2);
    menu = menuOn(view, QStringLiteral("layerMenu"), {});
    QAction *extract = nullptr, *show = nullptr;
    for (QAction *a : menu->actions()) {
        if (a->text() == u"Extract layer…")
            extract = a;
        if (a->text() == u"Show files")
            show = a;
    }
    QVERIFY(extract && show && extract->isEnabled());
    show->trigger(); // as a click does: the action, then the menu closes
    menu->close();
    QCOMPARE(view->currentIndex().row(), 2);
    w.activateWindow(); // offscreen, the popup took it
    QVERIFY(QTest::qWaitForWindowActive(&w));
    QTRY_VERIFY(page->filesView()->hasFocus());

    // Extract layer… writes what that layer stores, and nothing of the layers below.
    QTemporaryDir dest;
    QSignalSpy finished(page->extraction(), &FileExtraction::finished);
    QVERIFY(page->extractLayerTo(2, dest.path()));
    QVERIFY(finished.wait(30000));
    QVERIFY(finished.at(0).at(0).value<ExtractResult>().ok());
    QDir out(dest.path());
    QVERIFY(QFileInfo(out.filePath(QStringLiteral("usr/local/bin/hello"))).isFile());
    QCOMPARE(
        QFileInfo(out.filePath(QStringLiteral("bin/sh"))).symLinkTarget(), out.filePath(QStringLiteral("bin/bash")));
    QVERIFY(QFile::exists(out.filePath(QStringLiteral("etc/motd"))));
    QVERIFY(!QFile::exists(out.filePath(QStringLiteral("etc/os-release")))); // layer 0's
    QVERIFY(!QFileInfo::exists(out.filePath(QStringLiteral("bin/bash"))));

    // The same from a chain node's menu: the folder asked for, then the layer written there.
    auto *chain = w.findChild<ChainView *>();
    QVERIFY(chain);
    int node = -1;
    for (int i = 0; i < chain->nodes().size() && node < 0; ++i)
        if (chain->nodes().at(i).layer == 2)
            node = i;
    QVERIFY(node >= 0);
    QAction *fromChain = nullptr;
    QObject owner;
    for (QAction *a : chain->nodeActions(node, &owner))
        if (a->text() == u"Extract layer…")
            fromChain = a;
    QVERIFY(fromChain);
    QTemporaryDir chainDest;
    bool asked = false;
    QTimer answer;
    answer.setInterval(20);
    QObject::connect(&answer, &QTimer::timeout, [&] {
        auto *dialog = qobject_cast<QFileDialog *>(QApplication::activeModalWidget());
        if (!dialog || !dialog->isVisible() || asked)
            return;
        asked = true;
        dialog->setDirectory(chainDest.path());
        static_cast<QDialog *>(dialog)->accept();
    });
    answer.start();
    QSignalSpy again(page->extraction(), &FileExtraction::finished);
    fromChain->trigger();
    QVERIFY(asked);
    QVERIFY(again.count() > 0 || again.wait(30000));
    QVERIFY(QFileInfo(QDir(chainDest.path()).filePath(QStringLiteral("usr/local/bin/hello"))).isFile());
}

void TestCopyMenus::layersTableBlobDigests()
{
    // Docker 25's save: the layers are blobs named by their digest.
    MainWindow w;
    w.resize(1280, 720);
    w.show();
    QVERIFY(test::openAndWait(w, sample("docker25-save.tar")));
    auto *page = w.findChild<LayersPage *>();
    showTab(w, page);
    const ImageLayer &l0 = w.current().images.at(0).layers.at(0);
    QVERIFY(l0.digest.startsWith(u"sha256:") && l0.legacyId.isEmpty());
    QTableView *view = page->layersView();
    LayersModel *model = page->layersModel();
    view->setCurrentIndex(model->index(0, LayersModel::DigestColumn));
    QCOMPARE(ctrlC(view), l0.digest);
    // The digest columns' tooltips hold the full values.
    for (const int c : { LayersModel::DiffIdColumn, LayersModel::DigestColumn }) {
        const QString tip = model->index(0, c).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(l0.diffId) && tip.contains(l0.digest), qPrintable(tip));
    }
    QMenu *menu = menuOn(view, QStringLiteral("layerMenu"), model->index(0, LayersModel::IndexColumn));
    QVERIFY(menu);
    QCOMPARE(texts(menu),
        QStringList({ QStringLiteral("Copy diff ID"), QStringLiteral("Copy blob digest"),
            QStringLiteral("Copy file path"), QStringLiteral("Copy created-by command"), QString(),
            QStringLiteral("Show files"), QStringLiteral("Extract layer…"), QStringLiteral("Compare with…") }));
    QCOMPARE(copied(menu, QStringLiteral("Copy blob digest")), l0.digest);
    QCOMPARE(copied(menu, QStringLiteral("Copy file path")), l0.resolvedPath);
    QVERIFY(l0.resolvedPath.startsWith(u"blobs/sha256/"));
    menu->close();
}

void TestCopyMenus::filesTree()
{
    MainWindow w;
    w.resize(1280, 720);
    w.show();
    QVERIFY(test::openAndWait(w, sample("docker24-save.tar")));
    auto *page = w.findChild<LayersPage *>();
    showTab(w, page);
    QTRY_VERIFY(page->filesModel()->tree() && page->filesModel()->tree()->topLayer() == 3);
    QTreeView *view = page->filesView();
    const QModelIndex sh = page->filesModel()->indexOfPath("bin/sh");
    const QModelIndex motd = page->filesModel()->indexOfPath("etc/motd");
    QVERIFY(sh.isValid() && motd.isValid());
    view->expandAll();

    // Ctrl+C: the absolute path in the image, whichever column is current.
    view->setCurrentIndex(motd.siblingAtColumn(FileTreeModel::SizeColumn));
    QCOMPARE(ctrlC(view), QStringLiteral("/etc/motd"));
    view->setCurrentIndex(sh);
    QCOMPARE(ctrlC(view), QStringLiteral("/bin/sh"));

    // Right-click: the path, a link's target, Extract… as before, and opening or closing the tree.
    const QStringList tail { QString(), QStringLiteral("Expand all"), QStringLiteral("Collapse all") };
    QMenu *menu = menuOn(view, QStringLiteral("fileMenu"), sh);
    QVERIFY(menu);
    QCOMPARE(texts(menu),
        QStringList({ QStringLiteral("Copy path"), QStringLiteral("Copy link target"), QString(),
            QStringLiteral("Extract…"), QStringLiteral("History across layers…"), QStringLiteral("Compare with…") })
            + tail);
    QCOMPARE(copied(menu, QStringLiteral("Copy path")), QStringLiteral("/bin/sh"));
    QCOMPARE(copied(menu, QStringLiteral("Copy link target")), QStringLiteral("bash"));
    menu->close();
    menu = menuOn(view, QStringLiteral("fileMenu"), motd);
    QCOMPARE(view->currentIndex().siblingAtColumn(0), motd);
    QCOMPARE(texts(menu),
        QStringList({ QStringLiteral("Copy path"), QString(), QStringLiteral("Extract…"),
            QStringLiteral("History across layers…"), QStringLiteral("Compare with…") })
            + tail);
    QCOMPARE(copied(menu, QStringLiteral("Copy path")), QStringLiteral("/etc/motd"));
    menu->close();
    // The Menu key: the current file's menu.
    menu = menuOn(view, QStringLiteral("fileMenu"), {});
    QVERIFY(menu);
    QCOMPARE(copied(menu, QStringLiteral("Copy path")), QStringLiteral("/etc/motd"));
    menu->close();
    // A folder's menu also opens everything below it.
    menu = menuOn(view, QStringLiteral("fileMenu"), page->filesModel()->indexOfPath("etc"));
    QVERIFY(menu);
    QCOMPARE(texts(menu).mid(texts(menu).size() - 3),
        QStringList(
            { QStringLiteral("Expand all below"), QStringLiteral("Expand all"), QStringLiteral("Collapse all") }));
    menu->close();
}

void TestCopyMenus::findingsTable()
{
    // Layers 0 and 2 are the same layer: a finding about two layers; and a history mismatch,
    // about none.
    MainWindow w;
    w.resize(1280, 720);
    w.show();
    QVERIFY(test::openAndWait(w, m_findings.filePath(QStringLiteral("duplicate-layer.tar"))));
    auto *page = w.findChild<FindingsPage *>();
    QVERIFY(page);
    const QList<Finding> &findings = page->model()->findings();
    const auto found
        = std::find_if(findings.begin(), findings.end(), [](const Finding &f) { return f.code == u"duplicate-layer"; });
    QVERIFY(found != findings.end());
    const Finding f = *found;
    const int row = int(found - findings.begin());
    QCOMPARE(f.layers, QList<int>({ 0, 2 }));
    if (page->folded())
        page->setFoldedByUser(false);
    QTableView *view = page->view();

    // Ctrl+C: the finding as one line, whichever column is current.
    page->selectFinding(row);
    view->setCurrentIndex(view->currentIndex().siblingAtColumn(FindingsModel::SeverityColumn));
    QCOMPARE(ctrlC(view), QStringLiteral("duplicate-layer: ") + f.message);

    QMenu *menu = menuOn(view, QStringLiteral("findingMenu"), view->currentIndex().siblingAtColumn(2));
    QVERIFY(menu);
    QCOMPARE(texts(menu),
        QStringList({ QStringLiteral("Copy finding"), QStringLiteral("Copy code"), QStringLiteral("Copy explanation"),
            QString(), QStringLiteral("Show layer 0"), QStringLiteral("Show layer 2"),
            QStringLiteral("Show in chain view") }));
    QCOMPARE(copied(menu, QStringLiteral("Copy finding")), QStringLiteral("duplicate-layer: ") + f.message);
    QCOMPARE(copied(menu, QStringLiteral("Copy code")), QStringLiteral("duplicate-layer"));
    QCOMPARE(copied(menu, QStringLiteral("Copy explanation")), f.explanation);
    auto *layers = w.findChild<LayersPage *>();
    auto *chain = w.findChild<ChainPage *>();
    QTabWidget *tabs = nullptr;
    for (QTabWidget *t : w.findChildren<QTabWidget *>())
        if (t->indexOf(layers) >= 0)
            tabs = t;
    QVERIFY(tabs);
    tabs->setCurrentWidget(chain);
    for (QAction *a : menu->actions())
        if (a->text() == u"Show layer 2")
            a->trigger();
    QCOMPARE(tabs->currentWidget(), layers);
    QCOMPARE(layers->layersView()->currentIndex().row(), 2);
    menu->close();

    menu = menuOn(view, QStringLiteral("findingMenu"), {}); // the Menu key, on the same finding
    QVERIFY(menu);
    for (QAction *a : menu->actions())
        if (a->text() == u"Show in chain view")
            a->trigger();
    menu->close();
    QCOMPARE(tabs->currentWidget(), chain);
    ChainView *v = chain->chain();
    bool selected = false;
    for (const ChainView::Node &n : v->nodes())
        if (n.layer == 0 && v->isSelected(n))
            selected = true;
    QVERIFY(selected);
    QCOMPARE(layers->layersView()->currentIndex().row(), 0);

    // A finding about no layer offers no Show.
    QVERIFY(test::openAndWait(w, m_findings.filePath(QStringLiteral("history-mismatch.tar"))));
    const QList<Finding> &other = page->model()->findings();
    const auto history
        = std::find_if(other.begin(), other.end(), [](const Finding &x) { return x.code == u"history-mismatch"; });
    QVERIFY(history != other.end());
    page->selectFinding(int(history - other.begin()));
    menu = menuOn(view, QStringLiteral("findingMenu"), {});
    QVERIFY(menu);
    QCOMPARE(texts(menu),
        QStringList(
            { QStringLiteral("Copy finding"), QStringLiteral("Copy code"), QStringLiteral("Copy explanation") }));
    menu->close();
}

void TestCopyMenus::configPage()
{
    // Jib's Entrypoint has a word a shell would expand (libs/*); its history lines are long.
    MainWindow w;
    w.resize(1280, 720);
    w.show();
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("jib__jib-image.tar"))));
    auto *page = w.findChild<ConfigPage *>();
    QVERIFY(page);
    showTab(w, page);
    const Image &img = w.current().images.at(0);
    const QJsonArray entrypoint = img.config->config.value(QStringLiteral("Entrypoint")).toArray();
    QCOMPARE(entrypoint.size(), 4);
    // The cursor put in a row's text, nothing selected (as a click leaves it).
    const auto cursorAt = [page](const QString &text) {
        QTextCursor c = page->document()->find(text);
        c.clearSelection();
        page->setTextCursor(c);
        return c;
    };
    page->setFocus();

    QVERIFY(!cursorAt(QStringLiteral("/app/libs/*")).isNull());
    const QString json = QStringLiteral("[\"java\",\"-cp\",\"/app/resources:/app/classes:/app/libs/*\",\"Hello\"]");
    QCOMPARE(ctrlC(page), json);
    // Right-click on it: the value, the key, the shell line.
    const QTextCursor cmd = cursorAt(QStringLiteral("Hello"));
    cursorAt(QStringLiteral("platform")); // elsewhere: the click moves it
    const QPoint at = page->cursorRect(cmd).center();
    QContextMenuEvent event(QContextMenuEvent::Mouse, at, page->viewport()->mapToGlobal(at));
    QApplication::sendEvent(page->viewport(), &event);
    QMenu *menu = page->findChildren<QMenu *>(QStringLiteral("configMenu")).value(0);
    QVERIFY(menu);
    QCOMPARE(texts(menu),
        QStringList(
            { QStringLiteral("Copy value"), QStringLiteral("Copy key"), QStringLiteral("Copy as shell line") }));
    QCOMPARE(copied(menu, QStringLiteral("Copy value")), json);
    QCOMPARE(copied(menu, QStringLiteral("Copy key")), QStringLiteral("Entrypoint"));
    QCOMPARE(copied(menu, QStringLiteral("Copy as shell line")),
        QStringLiteral("java -cp '/app/resources:/app/classes:/app/libs/*' Hello"));
    menu->close();
    QCOMPARE(ctrlC(page), json); // the cursor went where the menu was opened

    // Text selected is copied as selected.
    QTextCursor part = page->document()->find(QStringLiteral("Hello"));
    page->setTextCursor(part);
    QCOMPARE(ctrlC(page), QStringLiteral("Hello"));
}

void TestCopyMenus::hiddenPagesWaitUntilShown()
{
    // The Config page's text and the archive map's column widths are work for the UI thread that
    // nobody sees while their tabs are hidden: done when the tab is shown, not when an archive
    // opens (a 200-layer history took most of the window's longest stall).
    MainWindow w;
    w.resize(1280, 720);
    w.show();
    QVERIFY(test::openAndWait(w, sample("docker24-save.tar")));
    auto *config = w.findChild<ConfigPage *>();
    auto *map = w.findChild<ArchiveMapPage *>();
    QVERIFY(config && map && !config->isVisible() && !map->isVisible());
    QVERIFY(config->document()->isEmpty());
    auto *members = map->findChild<QTableView *>(QStringLiteral("members"));
    const int unfitted = members->columnWidth(0);
    showTab(w, config);
    QVERIFY(config->toPlainText().contains(u"History"));
    showTab(w, map);
    QVERIFY(members->columnWidth(0) != unfitted);
    // Shown already, a new image's text is laid out at once.
    w.openPath(sample("docker25-save.tar"));
    QVERIFY(QTest::qWaitFor([&] { return !w.busy(); }, 20000));
    showTab(w, config);
    QVERIFY(config->toPlainText().contains(u"History"));
    // A legacy-only image has no config to show: the page says where Docker takes one from,
    // not "Config ()".
    w.openPath(test::corpus(QStringLiteral("ggcr__no_manifest.tar")));
    QVERIFY(QTest::qWaitFor([&] { return !w.busy(); }, 20000));
    QVERIFY2(config->toPlainText().contains(u"No config: this image is described by its legacy json files alone"),
        qPrintable(config->toPlainText()));
    QVERIFY(!config->toPlainText().contains(u"Config ()"));
}

void TestCopyMenus::configEnv()
{
    MainWindow w;
    w.resize(1280, 720);
    w.show();
    QVERIFY(test::openAndWait(w, sample("docker24-save.tar")));
    auto *page = w.findChild<ConfigPage *>();
    showTab(w, page);
    page->setFocus();
    QTextCursor c = page->document()->find(QStringLiteral("/usr/bin:/bin"));
    QVERIFY(!c.isNull());
    c.clearSelection();
    page->setTextCursor(c);
    QCOMPARE(ctrlC(page), QStringLiteral("PATH=/usr/local/bin:/usr/bin:/bin"));
    QContextMenuEvent key(QContextMenuEvent::Keyboard, QPoint(), page->mapToGlobal(QPoint()));
    QApplication::sendEvent(page, &key);
    QMenu *menu = page->findChildren<QMenu *>(QStringLiteral("configMenu")).value(0);
    QVERIFY(menu);
    QCOMPARE(copied(menu, QStringLiteral("Copy key")), QStringLiteral("PATH"));
    QCOMPARE(copied(menu, QStringLiteral("Copy value")), QStringLiteral("PATH=/usr/local/bin:/usr/bin:/bin"));
    // A history line: its whole created_by (the line shown loses its trailing space).
    const HistoryEntry &h = w.current().images.at(0).config->history.at(2);
    QVERIFY(h.createdBy.endsWith(u' '));
    c = page->document()->find(QStringLiteral("file:app.tar"));
    c.clearSelection();
    page->setTextCursor(c);
    QCOMPARE(ctrlC(page), h.createdBy);
    QApplication::sendEvent(page, &key);
    menu = page->findChildren<QMenu *>(QStringLiteral("configMenu")).constLast();
    QCOMPARE(texts(menu), QStringList({ QStringLiteral("Copy created-by command") }));
    QCOMPARE(copied(menu, QStringLiteral("Copy created-by command")), h.createdBy);
    menu->close();
}

void TestCopyMenus::archiveMap()
{
    // Docker 24's save: a config named by its digest, layers under v1 IDs (no digest), one a link.
    MainWindow w;
    w.resize(1280, 720);
    w.show();
    QVERIFY(test::openAndWait(w, sample("docker24-save.tar")));
    auto *page = w.findChild<ArchiveMapPage *>();
    QVERIFY(page);
    showTab(w, page);
    auto *view = page->findChild<QTableView *>(QStringLiteral("members"));
    QVERIFY(view);
    const Image &img = w.current().images.at(0);
    const auto rowOf = [page](const QString &path) {
        for (int r = 0; r < page->model()->rowCount(); ++r)
            if (page->model()->rows().at(r).path == path)
                return r;
        return -1;
    };
    const int config = rowOf(img.configPath);
    const int link = rowOf(img.layers.at(3).path);
    QVERIFY(config >= 0 && link >= 0);
    QVERIFY(page->model()->rows().at(link).link);

    // Ctrl+C: the whole path, whichever column is current.
    view->setFocus();
    view->setCurrentIndex(page->model()->index(config, ArchiveMapModel::RoleColumn));
    QCOMPARE(ctrlC(view), img.configPath);

    QMenu *menu = menuOn(view, QStringLiteral("memberMenu"), page->model()->index(config, ArchiveMapModel::SizeColumn));
    QVERIFY(menu);
    QCOMPARE(texts(menu), QStringList({ QStringLiteral("Copy member path"), QStringLiteral("Copy digest") }));
    QCOMPARE(copied(menu, QStringLiteral("Copy member path")), img.configPath);
    QCOMPARE(copied(menu, QStringLiteral("Copy digest")), img.configDigest); // the name claims the right one here
    menu->close();
    // A v1 ID is not a digest: no Copy digest; a link's target.
    menu = menuOn(view, QStringLiteral("memberMenu"), page->model()->index(link, ArchiveMapModel::MemberColumn));
    QVERIFY(menu);
    QCOMPARE(view->currentIndex().row(), link);
    QCOMPARE(texts(menu), QStringList({ QStringLiteral("Copy member path"), QStringLiteral("Copy link target") }));
    QCOMPARE(copied(menu, QStringLiteral("Copy member path")), img.layers.at(3).path);
    QCOMPARE(copied(menu, QStringLiteral("Copy link target")), img.layers.at(3).resolvedPath);
    menu->close();
    menu = menuOn(view, QStringLiteral("memberMenu"), {}); // the Menu key
    QVERIFY(menu);
    QCOMPARE(copied(menu, QStringLiteral("Copy member path")), img.layers.at(3).path);
    menu->close();
}

// A file's menu opens its history: dive's /root/saved.txt, moved there by layer 7 and made
// executable by layer 13; each version's bytes are shown when selected.
void TestCopyMenus::historyAcrossLayers()
{
    MainWindow w;
    w.resize(1280, 720);
    w.show();
    QVERIFY(test::openAndWait(w, test::corpus(QStringLiteral("dive__test-docker-image.tar"))));
    auto *page = w.findChild<LayersPage *>();
    showTab(w, page);
    QTRY_VERIFY(page->filesModel()->tree() && page->filesModel()->tree()->topLayer() == 13);
    QTreeView *view = page->filesView();
    const QModelIndex saved = page->filesModel()->indexOfPath("root/saved.txt");
    QVERIFY(saved.isValid());
    view->expand(saved.parent());
    QMenu *menu = menuOn(view, QStringLiteral("fileMenu"), saved);
    QVERIFY(menu);
    QAction *history = nullptr;
    for (QAction *a : menu->actions())
        if (a->text() == QStringLiteral("History across layers…"))
            history = a;
    QVERIFY(history);
    history->trigger();
    menu->close();
    auto *dialog = page->findChild<HistoryDialog *>();
    QVERIFY(dialog);
    QTRY_COMPARE(dialog->events()->topLevelItemCount(), 2);
    QTreeWidgetItem *added = dialog->events()->topLevelItem(0);
    QTreeWidgetItem *chmod = dialog->events()->topLevelItem(1);
    QCOMPARE(added->text(0) + added->text(1), QStringLiteral("7A"));
    QCOMPARE(chmod->text(0) + chmod->text(1) + chmod->text(4), QStringLiteral("13M0755"));
    QCOMPARE(added->toolTip(7), chmod->toolTip(7)); // the same bytes: only the mode changed
    QVERIFY(added->toolTip(7).startsWith(QStringLiteral("sha256:")));
    QVERIFY(chmod->text(8).contains(QStringLiteral("chmod +x /root/saved.txt")));
    QSignalSpy shown(dialog, &HistoryDialog::previewShown);
    dialog->events()->setCurrentItem(chmod);
    QVERIFY(shown.count() > 0 || shown.wait(30000));
    QVERIFY(!dialog->preview()->toPlainText().isEmpty());
    // Two versions selected (Ctrl+click): compared; these two store the same bytes.
    shown.clear();
    QTest::mouseClick(dialog->events()->viewport(), Qt::LeftButton, Qt::ControlModifier,
        dialog->events()->visualItemRect(added).center());
    QCOMPARE(dialog->events()->selectedItems().size(), 2);
    QVERIFY(shown.count() > 0 || shown.wait(30000));
    QVERIFY2(dialog->preview()->toPlainText().startsWith(
                 QStringLiteral("layer 7 /root/saved.txt and layer 13 /root/saved.txt store the same bytes (sha256:")),
        qPrintable(dialog->preview()->toPlainText()));
    dialog->close();
}

QTEST_MAIN(TestCopyMenus)
#include "tst_copymenus.moc"
