// SPDX-License-Identifier: MIT
// The files the layers page shows, from layers spelled out in text: what a layer changed is
// listed once, and "This layer only" counts a folder's bytes from that layer alone. The model
// filters and sorts itself, a big tree on a worker, and hands the view a finished result.
#include "common/sizetext.h"
#include "filetreemodel.h"
#include "inspect/layerspage.h"
#include "layertext.h"

#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QSignalSpy>
#include <QTest>
#include <QTreeView>

#include <functional>

using namespace lamina;

class TestFileTreeModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void modifiedFileIsListedOnce();
    void specialEntriesSayWhatTheyAre();
    void layerOnlyCountsTheLayersBytes();
    void filterKeepsMatchesAndTheirFolders();
    void filterByPathAndRegex();
    void sortsEachFolder();
    void sortsWhateverOrderTheLayerListed();
    void bigTreeIsShapedOnAWorker();
    void newerQueryWins();
    void viewKeepsExpandedAndCurrentRows();
    void filterOpensBoundedRows();
    void expandAllIsBounded();
    void shapeKeepsFoldersNotNodes();
    void outOfSightModelShapesWhenShown();
    void keptShapeRoundTrips();
    void craftedKeptShapesAreRefused();
    void offeredShapeIsShownAtOnce();

private:
    // Layer 1 changes the mode of /etc/a (a new copy of it), removes /etc/b, adds /opt/x.
    static std::shared_ptr<const MergedTree> tree()
    {
        const MergedTree::Layers layers = test::layersFromText({
            QStringLiteral("d /etc 0755\n"
                           "f /etc/a 0644 size=6400\n"
                           "f /etc/b 0644 size=300\n"
                           "f /etc/c 0644 size=6400\n"),
            QStringLiteral("d /etc 0755\n"
                           "f /etc/a 0444 size=6400\n"
                           "w /etc/b\n"
                           "d /opt 0755\n"
                           "f /opt/x 0644 size=100\n"),
        });
        return std::make_shared<const MergedTree>(MergedTree::build(layers, 1));
    }
    static QStringList rows(const FileTreeModel &m, const QModelIndex &parent)
    {
        QStringList out;
        for (int r = 0; r < m.rowCount(parent); ++r)
            out << m.index(r, FileTreeModel::NameColumn, parent).data().toString() + u' '
                    + m.index(r, FileTreeModel::ChangeColumn, parent).data().toString();
        return out;
    }
};

void TestFileTreeModel::modifiedFileIsListedOnce()
{
    FileTreeModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.setTree(tree(), 1);
    const QModelIndex etc = m.indexOfPath("etc");
    QVERIFY(etc.isValid());
    // a: modified (its mode), once; b: deleted; c: from below, unchanged.
    QCOMPARE(rows(m, etc), (QStringList { QStringLiteral("a M"), QStringLiteral("b D"), QStringLiteral("c ") }));
    const QModelIndex a = m.indexOfPath("etc/a");
    QCOMPARE(m.index(a.row(), FileTreeModel::ModeColumn, etc).data().toString(), QStringLiteral("0444"));
}

// A pipe is no file, and a hard link is another name of one: the view says which, not only its
// icon (a plain file's for both).
void TestFileTreeModel::specialEntriesSayWhatTheyAre()
{
    const MergedTree::Layers layers = test::layersFromText({ QStringLiteral("d /bin 0755\n"
                                                                            "f /bin/tool 0755 hello\n"
                                                                            "h /bin/tool-link /bin/tool\n"
                                                                            "f /bin/small 0644 hi\n"
                                                                            "p /bin/pipe 0620\n") });
    FileTreeModel m;
    m.setTree(std::make_shared<const MergedTree>(MergedTree::build(layers, 0)), 0);
    const QModelIndex pipe = m.indexOfPath("bin/pipe");
    const QModelIndex link = m.indexOfPath("bin/tool-link");
    QVERIFY(pipe.isValid() && link.isValid());
    QCOMPARE(pipe.siblingAtColumn(FileTreeModel::ModeColumn).data().toString(), QStringLiteral("fifo 0620"));
    QCOMPARE(pipe.data(Qt::ToolTipRole).toString(), QStringLiteral("A named pipe (fifo)"));
    QCOMPARE(link.siblingAtColumn(FileTreeModel::ModeColumn).data().toString(), QStringLiteral("0644"));
    QCOMPARE(
        link.data(Qt::ToolTipRole).toString(), QStringLiteral("A hard link: another name of bin/tool, the same file"));
    QCOMPARE(link.siblingAtColumn(FileTreeModel::LinkColumn).data().toString(), QStringLiteral("⇒ bin/tool"));
    QCOMPARE(link.siblingAtColumn(FileTreeModel::SizeColumn).data().toString(),
        m.indexOfPath("bin/tool").siblingAtColumn(FileTreeModel::SizeColumn).data().toString());
    QCOMPARE(link.siblingAtColumn(FileTreeModel::SizeColumn).data().toString(), sizeText(5));
    QVERIFY(!m.indexOfPath("bin/tool").data(Qt::ToolTipRole).isValid());
    // Sorted by size, the link goes where its size says, beside its file, not with the empty ones.
    m.sort(FileTreeModel::SizeColumn, Qt::DescendingOrder);
    QStringList order;
    for (int r = 0; r < m.rowCount(m.indexOfPath("bin")); ++r)
        order << m.index(r, FileTreeModel::NameColumn, m.indexOfPath("bin")).data().toString();
    QCOMPARE(order,
        (QStringList {
            QStringLiteral("tool"), QStringLiteral("tool-link"), QStringLiteral("small"), QStringLiteral("pipe") }));
}

void TestFileTreeModel::layerOnlyCountsTheLayersBytes()
{
    FileTreeModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const auto t = tree();
    m.setTree(t, 1);
    const auto bytes = [&m](const QByteArray &path) {
        const QModelIndex i = m.indexOfPath(path);
        return m.index(i.row(), FileTreeModel::SizeColumn, i.parent()).data(FileTreeModel::SortRole).toLongLong();
    };
    QCOMPARE(bytes("etc"), qint64(12800)); // merged: a and c
    m.setTree(t, 1, true);
    QCOMPARE(rows(m, {}), (QStringList { QStringLiteral("etc "), QStringLiteral("opt A") }));
    QCOMPARE(rows(m, m.indexOfPath("etc")), (QStringList { QStringLiteral("a M"), QStringLiteral("b D") }));
    QCOMPARE(bytes("etc"), qint64(6400)); // what layer 1 put there: a
    QCOMPARE(bytes("opt"), qint64(100));
}

// Every name in the tree, depth first, as "path change" lines.
static QStringList walk(const FileTreeModel &m, const QModelIndex &parent = {})
{
    QStringList out;
    for (int r = 0; r < m.rowCount(parent); ++r) {
        const QModelIndex i = m.index(r, 0, parent);
        out << i.data(FileTreeModel::PathRole).toString();
        out << walk(m, i);
    }
    return out;
}

void TestFileTreeModel::filterKeepsMatchesAndTheirFolders()
{
    FileTreeModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.setTree(tree(), 1);
    m.setFilter(QStringLiteral("A"), false); // case ignored; "etc" itself has no a
    QVERIFY(!m.isShaping()); // a small tree is shaped at once
    QCOMPARE(walk(m), (QStringList { QStringLiteral("etc"), QStringLiteral("etc/a") }));
    QCOMPARE(m.shape().matched, qint64(1));
    // A deletion the layer made is listed, and found, like any row.
    m.setFilter(QStringLiteral("b"), false);
    QCOMPARE(walk(m), (QStringList { QStringLiteral("etc"), QStringLiteral("etc/b") }));
    // A folder's own name matching keeps it, not its other children.
    m.setFilter(QStringLiteral("op"), false);
    QCOMPARE(walk(m), (QStringList { QStringLiteral("opt") }));
    m.setFilter(QStringLiteral("nothing"), false);
    QCOMPARE(m.rowCount(), 0);
    QCOMPARE(m.shape().matched, qint64(0));
    // Under "This layer only" the filter looks at that layer's rows alone: c is not there.
    m.setTree(tree(), 1, true);
    m.setFilter(QStringLiteral("c"), false);
    QCOMPARE(walk(m), (QStringList { QStringLiteral("etc") })); // etc's own name has a c
    m.setFilter({}, false);
    QCOMPARE(walk(m),
        (QStringList { QStringLiteral("etc"), QStringLiteral("etc/a"), QStringLiteral("etc/b"), QStringLiteral("opt"),
            QStringLiteral("opt/x") }));
}

void TestFileTreeModel::filterByPathAndRegex()
{
    FileTreeModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.setTree(tree(), 1);
    // With a '/', the text is looked for in the path, which starts with one.
    m.setFilter(QStringLiteral("/ETC/"), false);
    QCOMPARE(walk(m),
        (QStringList {
            QStringLiteral("etc"), QStringLiteral("etc/a"), QStringLiteral("etc/b"), QStringLiteral("etc/c") }));
    m.setFilter(QStringLiteral("/x"), false);
    QCOMPARE(walk(m), (QStringList { QStringLiteral("opt"), QStringLiteral("opt/x") }));
    m.setFilter(QStringLiteral("^[ac]$"), true);
    QCOMPARE(walk(m), (QStringList { QStringLiteral("etc"), QStringLiteral("etc/a"), QStringLiteral("etc/c") }));
    QVERIFY(m.shape().error.isEmpty());
    m.setFilter(QStringLiteral("(unclosed"), true);
    QVERIFY(!m.shape().error.isEmpty());
    QCOMPARE(m.rowCount(), 0);
    // A name in another script, compared without regard to case.
    const MergedTree::Layers layers
        = test::layersFromText({ QStringLiteral("f /Ärger 0644 size=1\nf /z 0644 size=1\n") });
    m.setTree(std::make_shared<const MergedTree>(MergedTree::build(layers, 0)), 0);
    m.setFilter(QStringLiteral("äRG"), false);
    QCOMPARE(walk(m), QStringList { QStringLiteral("Ärger") });
}

void TestFileTreeModel::sortsEachFolder()
{
    const MergedTree::Layers layers = test::layersFromText({
        QStringLiteral("d /d 0755\n"
                       "f /d/small 0600 size=10\n"
                       "f /d/big 0644 size=900\n"
                       "f /d/mid 0755 size=500\n"
                       "d /e 0755\n"
                       "f /e/x 0644 size=2000\n"),
    });
    FileTreeModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.setTree(std::make_shared<const MergedTree>(MergedTree::build(layers, 0)), 0);
    const auto names = [&m](const QModelIndex &parent) {
        QStringList out;
        for (int r = 0; r < m.rowCount(parent); ++r)
            out << m.index(r, 0, parent).data().toString();
        return out;
    };
    QCOMPARE(names(m.indexOfPath("d")),
        (QStringList { QStringLiteral("big"), QStringLiteral("mid"), QStringLiteral("small") }));
    m.sort(FileTreeModel::SizeColumn, Qt::DescendingOrder);
    QCOMPARE(names({}), (QStringList { QStringLiteral("e"), QStringLiteral("d") })); // 2000 against 1410
    QCOMPARE(names(m.indexOfPath("d")),
        (QStringList { QStringLiteral("big"), QStringLiteral("mid"), QStringLiteral("small") }));
    m.sort(FileTreeModel::SizeColumn, Qt::AscendingOrder);
    QCOMPARE(names(m.indexOfPath("d")),
        (QStringList { QStringLiteral("small"), QStringLiteral("mid"), QStringLiteral("big") }));
    m.sort(FileTreeModel::ModeColumn, Qt::AscendingOrder);
    QCOMPARE(names(m.indexOfPath("d")),
        (QStringList { QStringLiteral("small"), QStringLiteral("big"), QStringLiteral("mid") }));
    m.sort(FileTreeModel::NameColumn, Qt::DescendingOrder);
    QCOMPARE(names(m.indexOfPath("d")),
        (QStringList { QStringLiteral("small"), QStringLiteral("mid"), QStringLiteral("big") }));
}

// A layer lists a folder's files sorted (as tar writers walk folders), in reverse, or in no order:
// the rows come out the same, by name and by size (ties by name) both ways. The first two are
// found in one pass; the last is sorted on keys gathered first.
void TestFileTreeModel::sortsWhateverOrderTheLayerListed()
{
    // The last two share their first eight bytes, which the sort compares as one number.
    const QStringList sorted { QStringLiteral("a1"), QStringLiteral("a10"), QStringLiteral("a2"), QStringLiteral("b"),
        QStringLiteral("c"), QStringLiteral("d"), QStringLiteral("longname-x"), QStringLiteral("longname-y") };
    const QList<int> sizes { 5, 7, 5, 1, 7, 3, 5, 5 };
    QStringList reversed = sorted;
    std::reverse(reversed.begin(), reversed.end());
    const QStringList shuffled { QStringLiteral("longname-y"), QStringLiteral("c"), QStringLiteral("a1"),
        QStringLiteral("d"), QStringLiteral("longname-x"), QStringLiteral("a10"), QStringLiteral("b"),
        QStringLiteral("a2") };
    for (const QStringList &listed : { sorted, reversed, shuffled }) {
        QString text = QStringLiteral("d /f 0755\n");
        for (const QString &name : listed)
            text += QStringLiteral("f /f/%1 0644 size=%2\n").arg(name).arg(sizes.at(sorted.indexOf(name)));
        FileTreeModel m;
        m.setTree(std::make_shared<const MergedTree>(MergedTree::build(test::layersFromText({ text }), 0)), 0);
        const auto names = [&m] {
            QStringList out;
            const QModelIndex f = m.indexOfPath("f");
            for (int r = 0; r < m.rowCount(f); ++r)
                out << m.index(r, 0, f).data().toString();
            return out;
        };
        const QString what = listed.join(u' ');
        QVERIFY2(names() == sorted, qPrintable(what));
        m.sort(FileTreeModel::NameColumn, Qt::DescendingOrder);
        QVERIFY2(names() == reversed, qPrintable(what));
        m.sort(FileTreeModel::SizeColumn, Qt::AscendingOrder);
        QVERIFY2(names().join(u' ') == u"b d a1 a2 longname-x longname-y a10 c",
            qPrintable(what + u" -> " + names().join(u' ')));
        m.sort(FileTreeModel::SizeColumn, Qt::DescendingOrder);
        QVERIFY2(names().join(u' ') == u"a10 c a1 a2 longname-x longname-y d b",
            qPrintable(what + u" -> " + names().join(u' ')));
    }
}

// The rows a tree view shows, its folders as they are open.
static int rowsShown(const QTreeView *view)
{
    int rows = 0;
    for (QModelIndex i = view->model()->index(0, 0); i.isValid(); i = view->indexBelow(i))
        ++rows;
    return rows;
}

// A tree of `folders` folders of `files` files each (a layer of at most 4 MiB of tar).
static std::shared_ptr<const MergedTree> wideTree(int folders, int files)
{
    QString text;
    for (int d = 0; d < folders; ++d) {
        text += QStringLiteral("d /d%1 0755\n").arg(d);
        for (int f = 0; f < files; ++f)
            text += QStringLiteral("f /d%1/file%2 0644 size=%3\n").arg(d).arg(f).arg(f + 1);
    }
    return std::make_shared<const MergedTree>(MergedTree::build(test::layersFromText({ text }), 0));
}

void TestFileTreeModel::bigTreeIsShapedOnAWorker()
{
    FileTreeModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.setInlineLimit(100);
    const auto t = wideTree(20, 50); // 1,020 nodes
    QSignalSpy busy(&m, &FileTreeModel::shapingChanged);
    QSignalSpy shaped(&m, &FileTreeModel::shaped);
    m.setTree(t, 0);
    // Nothing of the new tree is shaped on this thread: the old (empty) result stays until the
    // worker's arrives, whole.
    QVERIFY(m.isShaping());
    QCOMPARE(m.tree(), nullptr);
    QCOMPARE(m.rowCount(), 0);
    QVERIFY(shaped.wait(30000));
    QVERIFY(!m.isShaping());
    QCOMPARE(m.tree(), t.get());
    QCOMPARE(m.rowCount(), 20);
    QCOMPARE(busy.count(), 2);
    // One byte is "1 byte" (QLocale says "1 bytes").
    const QModelIndex file0 = m.indexOfPath("d0/file0");
    QCOMPARE(file0.siblingAtColumn(FileTreeModel::SizeColumn).data().toString(), QStringLiteral("1 byte"));
    m.setFilter(QStringLiteral("file7"), false); // file7, file70-79 under each folder, but only 50 files
    QVERIFY(m.isShaping());
    QCOMPARE(m.rowCount(m.index(0, 0)), 50); // the unfiltered rows, until the result comes
    QVERIFY(shaped.wait(30000));
    QCOMPARE(m.rowCount(), 20);
    QCOMPARE(m.rowCount(m.index(0, 0)), 1);
    QCOMPARE(m.shape().matched, qint64(20));
}

void TestFileTreeModel::newerQueryWins()
{
    FileTreeModel m;
    m.setInlineLimit(100);
    m.setTree(wideTree(20, 50), 0);
    QSignalSpy shaped(&m, &FileTreeModel::shaped);
    QVERIFY(shaped.wait(30000));
    shaped.clear();
    // Typed one character at a time: only the last text's result is shown.
    for (const QString &text :
        { QStringLiteral("f"), QStringLiteral("fi"), QStringLiteral("fil"), QStringLiteral("file4") })
        m.setFilter(text, false);
    QVERIFY(shaped.wait(30000));
    QTest::qWait(50); // a superseded result arriving late would show now
    QCOMPARE(shaped.count(), 1);
    QCOMPARE(m.shownQuery().filter, QStringLiteral("file4"));
    QCOMPARE(m.rowCount(m.index(0, 0)), 11); // file4, file40-49
    // A small tree set meanwhile wins over a big one still being shaped.
    m.setFilter(QStringLiteral("file3"), false);
    QVERIFY(m.isShaping());
    const auto small = wideTree(2, 3);
    m.setTree(small, 0);
    QVERIFY(!m.isShaping());
    QCOMPARE(m.tree(), small.get());
    QTest::qWait(50);
    QCOMPARE(m.tree(), small.get());
    QCOMPARE(m.shownQuery().filter, QStringLiteral("file3"));
}

void TestFileTreeModel::viewKeepsExpandedAndCurrentRows()
{
    FileTreeModel m;
    QTreeView view;
    view.setModel(&m);
    m.setInlineLimit(100);
    m.setTree(wideTree(20, 50), 0);
    QSignalSpy shaped(&m, &FileTreeModel::shaped);
    QVERIFY(shaped.wait(30000));
    const QModelIndex d3 = m.indexOfPath("d3");
    view.expand(d3);
    view.setCurrentIndex(m.indexOfPath("d3/file21"));
    // Filtered, then sorted: the same node stays current and its folder open, at its new row.
    m.setFilter(QStringLiteral("file2"), false);
    QVERIFY(shaped.wait(30000));
    QCOMPARE(view.currentIndex().data(FileTreeModel::PathRole).toString(), QStringLiteral("d3/file21"));
    QVERIFY(view.isExpanded(m.indexOfPath("d3")));
    m.sort(FileTreeModel::SizeColumn, Qt::DescendingOrder);
    QVERIFY(shaped.wait(30000));
    QCOMPARE(view.currentIndex().data(FileTreeModel::PathRole).toString(), QStringLiteral("d3/file21"));
    QCOMPARE(view.currentIndex().row(), m.rowCount(m.indexOfPath("d3")) - 1 - 2); // file29..file20, file2 last
    // Filtered away: nothing current.
    m.setFilter(QStringLiteral("file3"), false);
    QVERIFY(shaped.wait(30000));
    QVERIFY(!view.currentIndex().isValid());
}

void TestFileTreeModel::filterOpensBoundedRows()
{
    LayersPage page;
    page.resize(1000, 700);
    page.show();
    FileTreeModel *m = page.filesModel();
    QTreeView *view = page.filesView();
    auto *status = page.findChild<QLabel *>(QStringLiteral("filterStatus"));
    QVERIFY(status);
    m->setInlineLimit(100);
    m->setTree(wideTree(60, 40), 0); // 2,460 nodes
    QSignalSpy shaped(m, &FileTreeModel::shaped);
    QVERIFY(shaped.wait(30000));
    const auto shownRows = [view] { return rowsShown(view); };
    QCOMPARE(shownRows(), 60);
    // While the worker looks, the line says so; then it counts the matches.
    page.filter()->setText(QStringLiteral("file"));
    QCOMPARE(status->text(), QStringLiteral("Looking for \u201cfile\u201d\u2026"));
    QVERIFY(shaped.wait(30000));
    QCOMPARE(status->text(), QStringLiteral("%1 matches for \u201cfile\u201d").arg(QLocale().toString(2400)));
    // 2,400 matches: folders open breadth first while the rows stay within the bound (48 of
    // the 60 folders of 40 files: 60 + 48 × 40 rows).
    static_assert(LayersPage::kExpandRows == 2000);
    QCOMPARE(shownRows(), 60 + 48 * 40);
    // 660 matches (file3, file30-39 in each folder): all of them open.
    page.filter()->setText(QStringLiteral("file3"));
    QVERIFY(shaped.wait(30000));
    QCOMPARE(shownRows(), 60 + 60 * 11);
    // A regular expression that does not compile says why, and shows nothing.
    page.findChild<QCheckBox *>(QStringLiteral("regex"))->setChecked(true);
    page.filter()->setText(QStringLiteral("file["));
    QVERIFY(shaped.wait(30000));
    QVERIFY2(status->text().startsWith(QStringLiteral("Not a valid regular expression")), qPrintable(status->text()));
    QCOMPARE(shownRows(), 0);
}

void TestFileTreeModel::expandAllIsBounded()
{
    LayersPage page;
    page.resize(1000, 700);
    page.show();
    FileTreeModel *m = page.filesModel();
    QTreeView *view = page.filesView();
    auto *status = page.findChild<QLabel *>(QStringLiteral("filterStatus"));
    m->setTree(wideTree(60, 40), 0);
    const auto shownRows = [view] { return rowsShown(view); };
    // '*' on a folder opens what is below it.
    view->setFocus();
    view->setCurrentIndex(m->indexOfPath("d7"));
    QTest::keyClick(view, Qt::Key_Asterisk);
    QVERIFY(view->isExpanded(m->indexOfPath("d7")));
    QCOMPARE(shownRows(), 60 + 40);
    page.collapseAll();
    QCOMPARE(shownRows(), 60);
    // Everything, when it fits; as far as the bound, and said, when not.
    page.expandAll();
    QCOMPARE(shownRows(), 60 + 60 * 40);
    QVERIFY(status->isHidden());
    page.collapseAll();
    page.setExpandAllRows(1000);
    page.expandAll();
    QCOMPARE(shownRows(), 60 + 23 * 40); // 23 folders of 40 rows fit in 1,000 with the top 60
    QVERIFY(status->isVisible());
    QVERIFY2(
        status->text().contains(QStringLiteral("%1 rows").arg(QLocale().toString(980))), qPrintable(status->text()));
    // A new filter closes what was opened for the old one before its rows change.
    page.filter()->setText(QStringLiteral("file1"));
    QVERIFY(shownRows() <= LayersPage::kExpandRows);
    page.filter()->clear();
    QCOMPARE(shownRows(), 60);
}

void TestFileTreeModel::shapeKeepsFoldersNotNodes()
{
    FileTreeModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.setTree(wideTree(20, 50), 0); // 1,020 nodes under the root and 20 folders
    const FileTreeShape &shape = m.shape();
    QCOMPARE(shape.kids.size(), size_t(1020));
    QCOMPARE(shape.folders.size(), size_t(21)); // the root and the folders: nothing per file
    QCOMPARE(shape.first.size(), size_t(22));
    QCOMPARE(shape.folderRow.size(), size_t(21));
    // Sorted by size, descending: a file's row is found among its folder's children.
    m.sort(FileTreeModel::SizeColumn, Qt::DescendingOrder);
    const QModelIndex file = m.indexOfPath("d7/file3");
    QVERIFY(file.isValid());
    QCOMPARE(file.row(), 50 - 1 - 3);
    QCOMPARE(file.parent(), m.indexOfPath("d7"));
    QCOMPARE(m.index(file.row(), 0, file.parent()), file);
    // Folders hold equal bytes, so they keep the order of their names: d0, d1, d10…d19, d2, …, d7.
    QCOMPARE(m.indexOfPath("d7").row(), 17);
}

void TestFileTreeModel::outOfSightModelShapesWhenShown()
{
    FileTreeModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QSignalSpy busy(&m, &FileTreeModel::shapingChanged);
    m.setDeferred(true);
    auto first = wideTree(3, 4);
    m.setTree(first, 0);
    QCOMPARE(m.tree(), nullptr); // nothing shaped for a view out of sight
    QCOMPARE(m.rowCount(), 0);
    m.setDeferred(false);
    QCOMPARE(m.tree(), first.get());
    QCOMPARE(m.rowCount(), 3);

    // Out of sight again: a new filter waits, and the rows shown stay until then.
    m.setDeferred(true);
    m.setFilter(QStringLiteral("file1"), false);
    QCOMPARE(m.rowCount(m.indexOfPath("d0")), 4);
    m.setDeferred(false);
    QCOMPARE(m.rowCount(m.indexOfPath("d0")), 1);

    // Another tree asked for out of sight: the model lets go of the old one at once.
    m.setDeferred(true);
    m.setTree(wideTree(2, 2), 0);
    QCOMPARE(m.tree(), nullptr);
    QCOMPARE(first.use_count(), 1);
    m.setDeferred(false);
    QCOMPARE(m.rowCount(), 2);
    QCOMPARE(busy.count(), 0); // small trees: shaped at once, never on a worker
}

// The rows the window keeps in the index cache (filetreeshape.h): kept only for an unfiltered,
// whole tree; read back equal to what shaping gives, in place when the bytes are kept alive.
void TestFileTreeModel::keptShapeRoundTrips()
{
    FileTreeQuery q;
    q.tree = wideTree(20, 50);
    q.markLayer = 0;
    q.sortColumn = FileTreeModel::SizeColumn;
    q.descending = true;
    QVERIFY(!keptShapeName(q).isEmpty());
    QVERIFY(keptShapeName(q) != keptShapeName(FileTreeQuery { q.tree, 0, false, -1, {}, {}, false, 0, true }));
    for (const auto &[what, other] :
        std::initializer_list<std::pair<const char *, std::function<void(FileTreeQuery &)>>> {
            { "filtered", [](FileTreeQuery &x) { x.filter = QStringLiteral("file7"); } },
            { "one layer's", [](FileTreeQuery &x) { x.layerOnly = true; } },
            { "composed", [](FileTreeQuery &x) { x.firstNew = 0; } },
        }) {
        FileTreeQuery x = q;
        other(x);
        QVERIFY2(keptShapeName(x).isEmpty(), what);
    }
    const FileTreeShape shaped = shapeFileTree(q, {});
    QVERIFY(shaped.complete);
    const QByteArray bytes = shapeBytes(shaped);
    const auto kept = std::make_shared<QByteArray>(bytes);
    for (const bool inPlace : { false, true }) {
        const std::optional<FileTreeShape> back = inPlace
            ? shapeFromBytes(*kept, *q.tree, std::shared_ptr<const void>(kept))
            : shapeFromBytes(bytes, *q.tree);
        QVERIFY(back);
        QCOMPARE(back->folders, shaped.folders);
        QCOMPARE(back->first, shaped.first);
        QCOMPARE(back->folderRow, shaped.folderRow);
        QCOMPARE(back->kids, shaped.kids);
        QCOMPARE(back->shown, shaped.shown);
        QVERIFY(back->complete);
        // In place: the lists are the kept bytes themselves, not a copy of them.
        QCOMPARE(back->kids.constData() >= reinterpret_cast<const qint32 *>(kept->constData())
                && back->kids.constData() < reinterpret_cast<const qint32 *>(kept->constData() + kept->size()),
            inPlace);
    }
    // Over a smaller tree, where its rows name nodes that are not there, the bytes are refused.
    // (That they are the rows of this very tree, the cache's key says: it names the layer files.)
    QVERIFY(!shapeFromBytes(bytes, *wideTree(5, 50)));
}

// Bytes with the right checksum whose rows are unsound (what someone able to write the cache
// folder could make) are refused for each kind of fault, so that the model never walks off the
// tree or shows a node twice.
void TestFileTreeModel::craftedKeptShapesAreRefused()
{
    FileTreeQuery q;
    q.tree = wideTree(4, 3);
    q.markLayer = 0;
    const FileTreeShape good = shapeFileTree(q, {});
    QVERIFY(shapeFromBytes(shapeBytes(good), *q.tree));
    QCOMPARE(good.folders.size(), 5); // the root and d0-d3
    const QList<std::pair<const char *, std::function<void(FileTreeShape &)>>> faults {
        { "kid out of bounds", [](FileTreeShape &s) { s.kids[6] = 9999; } },
        { "kid is the root", [](FileTreeShape &s) { s.kids[6] = 0; } },
        { "kid under another folder", [](FileTreeShape &s) { std::swap(s.kids[0], s.kids[5]); } },
        { "kid twice", [](FileTreeShape &s) { s.kids[6] = s.kids[5]; } },
        { "folders out of order", [](FileTreeShape &s) { std::swap(s.folders[1], s.folders[2]); } },
        { "folder row wrong", [](FileTreeShape &s) { s.folderRow[1] = (s.folderRow[1] + 1) % 4; } },
        { "folder row past its parent's", [](FileTreeShape &s) { s.folderRow[1] = 17; } },
        { "root given a row", [](FileTreeShape &s) { s.folderRow[0] = 0; } },
        { "a file as a folder", [&](FileTreeShape &s) { s.folders.last() = q.tree->find("d3/file0"); } },
        { "folder without children", [](FileTreeShape &s) { s.first[2] = s.first[1]; } },
        { "first past the end", [](FileTreeShape &s) { s.first.last() += 1; } },
        { "shown count off", [](FileTreeShape &s) { s.shown += 1; } },
    };
    for (const auto &[what, fault] : faults) {
        FileTreeShape bad = good;
        fault(bad);
        QVERIFY2(!shapeFromBytes(shapeBytes(bad), *q.tree), what);
    }
    const QByteArray bytes = shapeBytes(good);
    QVERIFY(!shapeFromBytes(bytes.chopped(4), *q.tree));
    QVERIFY(!shapeFromBytes(QByteArray(bytes + QByteArray(4, '\0')), *q.tree));
    QByteArray otherVersion = bytes;
    otherVersion[5] = '2';
    QVERIFY(!shapeFromBytes(otherVersion, *q.tree));
}

// A shape offered for the query asked next is shown at once, with no worker; offered for
// another query (another order), it is not used, and the query is shaped as always.
void TestFileTreeModel::offeredShapeIsShownAtOnce()
{
    FileTreeModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.setInlineLimit(100);
    const auto t = wideTree(20, 50);
    FileTreeQuery q = m.wantedQuery();
    q.tree = t;
    q.markLayer = 0;
    m.offerShape(q, shapeFileTree(q, {}));
    QSignalSpy busy(&m, &FileTreeModel::shapingChanged);
    m.setTree(t, 0);
    QVERIFY(!m.isShaping());
    QCOMPARE(busy.count(), 0);
    QCOMPARE(m.tree(), t.get());
    QCOMPARE(m.rowCount(), 20);
    QCOMPARE(m.rowCount(m.index(0, 0)), 50);

    FileTreeQuery other = q;
    other.descending = !q.descending;
    m.setTree(nullptr, -1);
    m.offerShape(other, shapeFileTree(other, {}));
    m.setTree(t, 0);
    QVERIFY(m.isShaping());
    QSignalSpy shaped(&m, &FileTreeModel::shaped);
    QVERIFY(shaped.wait(30000));
    QCOMPARE(m.rowCount(), 20);
    // The offer is gone with that query: asking for the offered order now shapes it too.
    m.sort(other.sortColumn, other.descending ? Qt::DescendingOrder : Qt::AscendingOrder);
    QVERIFY(m.isShaping());
    QVERIFY(shaped.wait(30000));
}

QTEST_MAIN(TestFileTreeModel)
#include "tst_filetreemodel.moc"
