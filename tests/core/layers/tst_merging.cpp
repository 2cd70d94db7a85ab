// SPDX-License-Identifier: MIT
// core/layers/mergedtree: how layers merge (docs/formats.md §6.1–§6.3), on layers spelled out as
// text (no tar file): whiteouts, opaque folders, replacement, hard links that lose their file,
// and the changes the top layer makes.
#include "layers/mergedtree.h"
#include "layertext.h"

#include <QTest>

using namespace lamina;
using namespace lamina::test;

namespace {

/// "path type" for every visible node, in tree order.
QStringList visible(const MergedTree &tree)
{
    QStringList out;
    QList<int> stack { tree.root() };
    while (!stack.isEmpty()) {
        const int n = stack.takeLast();
        if (n != tree.root() && !tree.node(n).removed)
            out << QString::fromUtf8(tree.path(n)) + u' ' + entryTypeName(tree.entry(n).type);
        const QList<int> kids = tree.children(n);
        for (auto it = kids.crbegin(); it != kids.crend(); ++it)
            stack.append(*it);
    }
    return out;
}

/// "letter path" for the top layer's changes.
QStringList changes(const MergedTree &tree)
{
    QStringList out;
    for (const MergedTree::ChangeRecord &c : tree.changes())
        out << changeLetter(c.change) + u' ' + QString::fromUtf8(c.path);
    return out;
}

const QString kBottom = QStringLiteral(R"(
d /etc 0755
f /etc/a 0644 a
f /etc/b 0644 b
d /var 0755
d /var/cache 0755
f /var/cache/old 0644 old
)");

} // namespace

class TestMerging : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aWhiteoutRemoves()
    {
        const MergedTree tree = MergedTree::build(layersFromText({ kBottom, QStringLiteral("w /etc/a") }), 1);
        QVERIFY(!visible(tree).contains(QStringLiteral("etc/a file")));
        QVERIFY(visible(tree).contains(QStringLiteral("etc/b file")));
        QCOMPARE(changes(tree), QStringList { QStringLiteral("D etc/a") });
    }

    void anOpaqueFolderHidesWhatIsBelowOnly()
    {
        const MergedTree tree = MergedTree::build(
            layersFromText({ kBottom, QStringLiteral("o /var/cache\nf /var/cache/new 0644 new") }), 1);
        const QStringList v = visible(tree);
        QVERIFY(v.contains(QStringLiteral("var/cache dir")));
        QVERIFY(!v.contains(QStringLiteral("var/cache/old file")));
        QVERIFY(v.contains(QStringLiteral("var/cache/new file"))); // the same layer's own entry stays
    }

    void aReplacedFileIsOneModification()
    {
        // The bytes change in the upper layer: one modified entry, not an addition and a removal.
        const MergedTree tree
            = MergedTree::build(layersFromText({ kBottom, QStringLiteral("d /etc 0755\nf /etc/a 0444 changed") }), 1);
        QCOMPARE(changes(tree), QStringList { QStringLiteral("M etc/a") });
        QCOMPARE(tree.entry(tree.find("etc/a")).mode, 0444u);
    }

    void aFolderReplacedByAFileTakesItsChildren()
    {
        const MergedTree tree = MergedTree::build(layersFromText({ kBottom, QStringLiteral("f /var 0644 flat") }), 1);
        const QStringList v = visible(tree);
        QVERIFY(v.contains(QStringLiteral("var file")));
        QVERIFY(!v.contains(QStringLiteral("var/cache dir")));
        QVERIFY(!v.contains(QStringLiteral("var/cache/old file")));
    }

    void aHardLinkOutlivesItsFile()
    {
        // Layer 1 links /etc/c to /etc/a; layer 2 deletes /etc/a. A loader's hard link keeps
        // the bytes: /etc/c is a regular file holding them.
        const MergedTree tree = MergedTree::build(
            layersFromText({ kBottom, QStringLiteral("d /etc 0755\nh /etc/c /etc/a"), QStringLiteral("w /etc/a") }), 2);
        const int c = tree.find("etc/c");
        QVERIFY(c > 0 && !tree.node(c).removed);
        QVERIFY(tree.isDetachedLink(c));
        const auto [layer, entry] = tree.contentOf(c);
        QCOMPARE(layer, 0);
        QCOMPARE(tree.layerIndex(layer).path(entry), QByteArray("etc/a"));
    }

    void wastedCopiesAddUpByPath()
    {
        // /a written three times (kept the third time), /b deleted, /c kept: the waste to remove
        // is /a's two lower copies and /b's one, whatever the order of the layers' copies.
        const MergedTree::Layers layers = layersFromText({
            QStringLiteral("d /x 0755\nf /x/a 0644 size=100\nf /b 0644 size=10\nf /c 0644 size=7"),
            QStringLiteral("d /x 0755\nf /x/a 0644 size=200"),
            QStringLiteral("d /x 0755\nf /x/a 0644 size=5\nw /b"),
        });
        const WastedSpace wasted = wastedSpace(MergedTree::build(layers, 2));
        QCOMPARE(wasted.wastedBytes, 310);
        const QList<WastedPath> paths = wastedByPath(wasted);
        QCOMPARE(paths.size(), 2);
        QCOMPARE(paths.at(0).path, QByteArray("x/a"));
        QCOMPARE(paths.at(0).bytes, 300);
        QCOMPARE(paths.at(0).layers, (QList<int> { 1, 0 })); // the biggest copy first
        QCOMPARE(paths.at(1).path, QByteArray("b"));
        QCOMPARE(paths.at(1).bytes, 10);
        QCOMPARE(paths.at(1).layers, QList<int> { 0 });
        QVERIFY(wastedByPath(wastedSpace(MergedTree::build(layers, 0))).isEmpty());
    }

    void describedLayersAreWhatTheTextSays()
    {
        // The test helper itself: a line it cannot read gives no layer, and every kind of line
        // makes its entry.
        QVERIFY(layerTar(QStringLiteral("x /what")).isEmpty());
        const auto li = layerFromText(QStringLiteral("d /d 0700 5:6\nf /d/f 0600 size=10\nl /d/l f\nw /d/gone\no /d"));
        QVERIFY(li);
        QCOMPARE(li->size(), 4); // the opaque marker is a flag on its folder, not an entry
        QVERIFY(li->entry(0).flags & LayerEntry::Opaque);
        QCOMPARE(li->entry(3).type, EntryType::Whiteout);
        QCOMPARE(li->entry(0).mode & 07777, 0700u);
        QCOMPARE(li->entry(0).uid, 5u);
        QCOMPARE(li->entry(1).size, 10);
        QCOMPARE(li->linkTarget(2), QByteArray("f"));
    }
};

QTEST_GUILESS_MAIN(TestMerging)
#include "tst_merging.moc"
