// SPDX-License-Identifier: MIT
#pragma once

#include "layers/layerindex.h"
#include "util/namehash.h"

#include <QHash>
#include <QList>

#include <memory>

namespace lamina {

namespace cachefile {
class Writer;
}

enum class Change : quint8 { None, Added, Modified, Removed };
QString changeLetter(Change c); ///< "A", "M", "D" or " "

/// The filesystem an image has at a layer: layers 0..upto applied in order (docs/formats.md §6.1–§6.2):
/// whiteouts hide lower paths, an opaque folder hides its lower children, a folder over a folder
/// merges, anything else replaces. Built in one pass; each node knows the layer entry that
/// provides it. Immutable after build(); share freely between threads.
class MergedTree
{
public:
    using Layers = QList<std::shared_ptr<const LayerIndex>>;

    struct Node
    {
        qint32 parent = -1;
        qint32 firstChild = -1;
        qint32 nextSibling = -1;
        quint32 nameHash = 0; ///< the name lives in the providing layer's pool
        qint32 layer = -1; ///< -1 for the root
        qint32 entry = -1;
        Change change = Change::None; ///< what the top layer did to it (None: it comes from below)
        bool removed = false;
        qint16 removedBy = -1; ///< the layer that removed it (whiteout, opaque folder, replacement)
    };

    /// A path the top layer added, changed or removed.
    struct ChangeRecord
    {
        QByteArray path;
        Change change = Change::None;
        EntryType type = EntryType::File;
        qint64 size = 0; ///< the new size (Added/Modified) or the size removed
        int layer = -1; ///< where the removed or replaced version came from
    };

    /// Per applied layer: visible file bytes after it, what it added net, and its changes.
    struct LayerStats
    {
        qint64 cumulative = 0;
        qint64 contribution = 0;
        int added = 0;
        int modified = 0;
        int removed = 0;
    };

    /// `recordChanges` false skips the top layer's change list (changes() stays empty), for
    /// callers that need only the tree and the figures: on a layer of a million entries that
    /// list is tens of megabytes. `folderTotals` false leaves treeBytes() at 0 (8 bytes a node
    /// saved when only the layer figures are wanted).
    static MergedTree build(const Layers &layers, int upto, bool recordChanges = true, bool folderTotals = true);

    class Incremental;

    int root() const { return 0; }
    const Node &node(int i) const { return m_nodes.at(i); }
    int nodeCount() const { return int(m_nodes.size()); }
    QByteArray name(int node) const { return nameView(node).toByteArray(); }
    QByteArrayView nameView(int node) const
    {
        const Node &n = m_nodes.at(node);
        return n.layer < 0 ? QByteArrayView() : m_layers.at(n.layer)->nameView(n.entry);
    }
    QByteArray path(int node) const;
    /// Live children sorted by name; with `removedBy` >= 0, also the children that layer removed
    /// (to show deletions), but not those it replaced: a path it modified is listed once, live.
    QList<int> children(int node, int removedBy = -1) const;
    int find(QByteArrayView path) const;
    /// The entry a node shows. A hard link whose file a later layer removed or replaced is no
    /// longer a second name of anything in the tree: it shows as the regular file it had become
    /// when its layer was applied (its own mode and owner, that file's size), as podman's and
    /// umoci's unpacking leave it.
    const LayerEntry &entry(int node) const
    {
        const Node &n = m_nodes.at(node);
        const LayerEntry &e = m_layers.at(n.layer)->entry(n.entry);
        if (e.type == EntryType::Hardlink && !m_detached.isEmpty()) [[unlikely]]
            return detachedOr(node, e);
        return e;
    }
    /// The link target a node shows: a symlink's target, an attached hard link's target, or ""
    /// (a hard link detached from its file shows none: it is a regular file now).
    QByteArray linkTarget(int node) const;
    /// The node whose file a live hard link shares (a file node, or a link detached from its
    /// file), -1 for anything else: O(1), no tree to build.
    int linkPeer(int node) const { return m_peerOf.value(node, -1); }
    /// True for a hard link shown as a regular file because its file was removed or replaced.
    bool isDetachedLink(int node) const { return m_detached.contains(node); }
    /// The (layer, entry) holding a detached link's bytes; the node's own otherwise.
    std::pair<int, int> contentOf(int node) const;
    const LayerIndex &layerIndex(int layer) const { return *m_layers.at(layer); }
    int topLayer() const { return m_top; }
    const Layers &layers() const { return m_layers; }

    /// Changes the top layer made, in path order. A tree from the cache reads them from its file
    /// when first asked (the window never asks; `ls --changes` does).
    const QList<ChangeRecord> &changes() const;
    /// One entry per applied layer 0..upto.
    const QList<LayerStats> &stats() const { return m_stats; }
    /// Regular-file bytes visible in this tree.
    qint64 visibleBytes() const { return m_visible; }
    /// Sum of regular-file sizes under a node (the node itself for a file); O(1), computed once
    /// by build().
    qint64 treeBytes(int node) const;
    /// What a layer does that loaders read another way, found only against the layers below
    /// (an opaque marker under a lower file), with the layer that does it.
    const QList<std::pair<int, QString>> &issues() const { return m_issues; }
    /// The node for a name under a parent, or -1 (a name never seen is simply not there).
    int childNamed(int parent, QByteArrayView name) const;

    /// The tree as the payload of an index cache file (layers/indexcache.h), and back: null unless
    /// every count, index and link in the bytes is sound for a tree over `layers`, which must be
    /// the indexes it was built on (the cache's key names them). With `backing`, which keeps
    /// `payload` alive, the big arrays point into the payload instead of being copied.
    QByteArray cachePayload() const;
    void writeCachePayload(cachefile::Writer &w) const;
    static std::shared_ptr<const MergedTree> fromCachePayload(
        QByteArrayView payload, const Layers &layers, std::shared_ptr<const void> backing = {});

private:
    // Children are found through an open-addressing table keyed by (parent, name hash) and
    // checked against the name bytes in the layer pools: no string is copied per node.
    int lookup(int parent, QByteArrayView name, quint32 hash) const;
    void tableInsert(int node);
    void tableRemove(int node);
    void reserveTable(qsizetype more);
    quint32 hashName(QByteArrayView name) const;
    void removeSubtree(int node, bool record, int layer);
    int mapFolder(const LayerIndex &layer, int entry, QList<int> &map, int layerNo);
    void apply(int layerNo, bool record);
    QList<int> applyWhiteouts(int layerNo, bool record);
    void placeEntries(int layerNo, bool record, const QList<int> &dotRemoved, QList<int> &map, QList<int> &links);
    /// What an entry landing on a node from below does with it.
    enum class Overlay {
        KeepLower, ///< the entry is dropped, the node stays
        MergeFolder, ///< a folder over a folder: the node stays, its attributes maybe the entry's
        Replace, ///< the node and what it held are removed, for a new node
    };
    Overlay overlay(int layerNo, int e, int existing, bool record, int &oldLayer);
    int addNode(int parent, quint32 nameHash, int layerNo, int e, const LayerEntry &le, Change change, int oldLayer,
        bool record);
    void linkLayer(int layerNo, const QList<int> &map, const QList<int> &links);
    void detachLinksTo(int node);
    const LayerEntry &detachedOr(int node, const LayerEntry &e) const;

    Layers m_layers;
    int m_top = -1;
    QList<Node> m_nodes;
    QList<qint32> m_table; ///< node indices; -1 empty, -2 deleted
    qsizetype m_tableUsed = 0;
    QList<ChangeRecord> m_changes;
    QList<LayerStats> m_stats;
    qint64 m_visible = 0;
    QList<qint64> m_subtreeBytes;
    LayerStats m_current;
    quint64 m_seed = nameHashSeed(); ///< of hashName()
    /// Hard links: the node each live link shares its file with (always a file node, or a link
    /// already detached), by that node; and the links detached from it, each with the entry
    /// it shows and the (layer, entry) holding its bytes.
    QMultiHash<qint32, qint32> m_linksTo;
    struct Detached
    {
        LayerEntry entry;
        qint32 layer = -1;
        qint32 content = -1;
    };
    QHash<qint32, Detached> m_detached;
    QList<std::pair<int, QString>> m_issues;
    QHash<qint32, qint32> m_peerOf; ///< live attached link → the node it shares its file with
    std::shared_ptr<const void> m_backing; ///< a tree from the cache: the file's bytes it points into
    /// A tree from the cache: its change list, still in the file's bytes until changes() reads it.
    struct StoredChanges;
    std::shared_ptr<StoredChanges> m_storedChanges;
};

/// build() one layer at a time, bottom first, for layers that are still being read: each is
/// applied as soon as it is given.
class MergedTree::Incremental
{
public:
    /// `expectedEntries` (the layers' sizes added up, when known) sizes the tables at once.
    explicit Incremental(
        int layerCount, bool recordChanges = true, bool folderTotals = true, qsizetype expectedEntries = 0);
    /// Applies the next layer up; null for a layer that could not be read.
    void add(const std::shared_ptr<const LayerIndex> &layer);
    /// How many layers were given so far.
    int given() const { return m_next; }
    /// The tree (layers never given count as unreadable).
    MergedTree finish();

private:
    MergedTree m_tree;
    bool m_record = true;
    bool m_folderTotals = true;
    int m_next = 0;
};

/// Wasted space (docs/layers.md): regular-file bytes stored in an image's layers that its final
/// filesystem cannot see, because a later layer replaced or deleted them.
struct WastedSpace
{
    struct Item
    {
        QByteArray path;
        int layer = -1;
        qint64 size = 0;
    };
    qint64 totalFileBytes = 0; ///< regular-file bytes in all layers
    qint64 visibleFileBytes = 0; ///< those the final filesystem shows
    qint64 wastedBytes = 0; ///< totalFileBytes - visibleFileBytes
    double efficiency = 1.0; ///< visibleFileBytes / totalFileBytes (1 when there are no files)
    QList<Item> items; ///< biggest first
};
WastedSpace wastedSpace(const MergedTree &finalTree);

/// The wasted copies of one path added up: what a user looking for the waste to remove wants,
/// as dive's "inefficiencies" list. A path written in three layers and kept in the third wastes
/// the first two copies.
struct WastedPath
{
    QByteArray path;
    qint64 bytes = 0; ///< its hidden copies' sizes added up
    QList<int> layers; ///< the layers storing a hidden copy of it, biggest copy first
};
/// WastedSpace::items by path, biggest total first (then by path): the totals add up to
/// `wastedBytes`.
QList<WastedPath> wastedByPath(const WastedSpace &wasted);

/// Net change from the tree at layer `from - 1` to the tree at `to` (dive#414): paths added,
/// modified (provided by a layer in from..to) or removed. from = 0 compares with the empty tree.
QList<MergedTree::ChangeRecord> netChanges(const MergedTree::Layers &layers, int from, int to);

} // namespace lamina
