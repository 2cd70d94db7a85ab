// SPDX-License-Identifier: MIT
// Applying layers (docs/formats.md §6.1–§6.2; image-spec layer.md): whiteouts and opaque folders hide what
// lower layers hold, a folder over a folder merges, anything else replaces.
#include "layers/mergedtree.h"

#include "util/checkedsize.h"
#include "util/workcounters.h"

#include <QBitArray>

namespace lamina {

QString changeLetter(Change c)
{
    switch (c) {
    case Change::Added:
        return QStringLiteral("A");
    case Change::Modified:
        return QStringLiteral("M");
    case Change::Removed:
        return QStringLiteral("D");
    case Change::None:
        break;
    }
    return QStringLiteral(" ");
}

quint32 MergedTree::hashName(QByteArrayView name) const
{
    // Seeded (util/namehash.h): a crafted layer cannot pile its names onto one probe chain.
    return quint32(nameHash(name, m_seed));
}

static inline quint64 slotKey(int parent, quint32 hash)
{
    quint64 k = (quint64(quint32(parent)) << 32) | hash;
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

int MergedTree::lookup(int parent, QByteArrayView name, quint32 hash) const
{
    if (m_table.isEmpty())
        return -1;
    const quint64 mask = quint64(m_table.size() - 1);
    for (quint64 i = slotKey(parent, hash) & mask;; i = (i + 1) & mask) {
        const int n = m_table.at(qsizetype(i));
        if (n == -1)
            return -1;
        if (n >= 0) {
            const Node &x = m_nodes.at(n);
            if (x.parent == parent && x.nameHash == hash && nameView(n) == name)
                return n;
        }
    }
}

void MergedTree::tableInsert(int node)
{
    if ((m_tableUsed + 1) * 2 > m_table.size())
        reserveTable(1);
    const Node &x = m_nodes.at(node);
    const quint64 mask = quint64(m_table.size() - 1);
    quint64 i = slotKey(x.parent, x.nameHash) & mask;
    while (m_table.at(qsizetype(i)) >= 0)
        i = (i + 1) & mask;
    if (m_table.at(qsizetype(i)) == -1)
        ++m_tableUsed;
    m_table[qsizetype(i)] = node;
}

void MergedTree::tableRemove(int node)
{
    const Node &x = m_nodes.at(node);
    const quint64 mask = quint64(m_table.size() - 1);
    for (quint64 i = slotKey(x.parent, x.nameHash) & mask;; i = (i + 1) & mask) {
        const int n = m_table.at(qsizetype(i));
        if (n == -1)
            return;
        if (n == node) {
            m_table[qsizetype(i)] = -2;
            return;
        }
    }
}

int MergedTree::childNamed(int parent, QByteArrayView name) const
{
    return lookup(parent, name, hashName(name));
}

QByteArray MergedTree::path(int node) const
{
    QByteArray p;
    for (int at = node; at > 0; at = m_nodes.at(at).parent)
        p = p.isEmpty() ? name(at) : name(at) + '/' + p;
    return p;
}

QList<int> MergedTree::children(int node, int removedBy) const
{
    QList<int> out;
    for (int c = m_nodes.at(node).firstChild; c >= 0; c = m_nodes.at(c).nextSibling)
        if (!m_nodes.at(c).removed || (removedBy >= 0 && m_nodes.at(c).removedBy == removedBy))
            out.append(c);
    std::sort(out.begin(), out.end(), [this](int a, int b) { return nameView(a) < nameView(b); });
    if (removedBy >= 0) {
        // A version the layer replaced is not a deletion: the path is there, modified, once.
        out.removeIf([&](int c) {
            if (!m_nodes.at(c).removed)
                return false;
            const int live = childNamed(node, nameView(c));
            return live >= 0 && !m_nodes.at(live).removed;
        });
    }
    return out;
}

int MergedTree::find(QByteArrayView path) const
{
    int node = 0;
    qsizetype start = 0;
    while (start <= path.size()) {
        qsizetype end = path.indexOf('/', start);
        if (end < 0)
            end = path.size();
        const QByteArrayView part = path.sliced(start, end - start);
        start = end + 1;
        if (part.isEmpty() || part == ".")
            continue;
        node = childNamed(node, part);
        if (node < 0)
            return -1;
    }
    return node;
}

qint64 MergedTree::treeBytes(int node) const
{
    return node >= 0 && node < m_subtreeBytes.size() ? m_subtreeBytes.at(node) : 0;
}

void MergedTree::removeSubtree(int node, bool record, int layer)
{
    QList<int> stack { node };
    while (!stack.isEmpty()) {
        const int n = stack.takeLast();
        Node &x = m_nodes[n];
        if (x.removed)
            continue;
        tableRemove(n);
        x.removed = true;
        x.removedBy = qint16(layer);
        const LayerEntry &e = entry(n);
        if (e.type == EntryType::File)
            m_visible = subtractSizes(m_visible, e.size);
        if (record)
            m_changes.append({ path(n), Change::Removed, e.type, e.type == EntryType::File ? e.size : 0, x.layer });
        ++m_current.removed;
        for (int c = x.firstChild; c >= 0; c = m_nodes.at(c).nextSibling)
            stack.append(c);
        if (!m_peerOf.isEmpty() || !m_linksTo.isEmpty())
            detachLinksTo(n);
    }
}

void MergedTree::detachLinksTo(int node)
{
    if (const auto peer = m_peerOf.constFind(node); peer != m_peerOf.cend()) {
        m_linksTo.remove(*peer, node);
        m_peerOf.erase(peer);
    }
    const QList<qint32> links = m_linksTo.values(node);
    if (links.isEmpty())
        return;
    m_linksTo.remove(node);
    // The removed file lives on under each link's name, as a file of its own.
    const LayerEntry file = entry(node);
    const std::pair<int, int> content = contentOf(node);
    for (const qint32 link : links) {
        if (m_nodes.at(link).removed)
            continue;
        m_peerOf.remove(link);
        Detached d;
        d.entry = m_layers.at(m_nodes.at(link).layer)->entry(m_nodes.at(link).entry);
        d.entry.type = EntryType::File;
        d.entry.size = file.size;
        d.entry.mtime = file.mtime; // a loader sets a hard link's owner and mode, never its times
        d.entry.header = file.header;
        d.entry.dataOffset = file.dataOffset;
        d.layer = content.first;
        d.content = content.second;
        m_detached.insert(link, d);
        m_visible += file.size;
    }
}

const LayerEntry &MergedTree::detachedOr(int node, const LayerEntry &e) const
{
    const auto it = m_detached.constFind(node);
    return it == m_detached.cend() ? e : it->entry;
}

QByteArray MergedTree::linkTarget(int node) const
{
    const Node &n = m_nodes.at(node);
    if (n.layer < 0 || m_detached.contains(node))
        return {};
    return m_layers.at(n.layer)->linkTarget(n.entry);
}

std::pair<int, int> MergedTree::contentOf(int node) const
{
    if (const auto it = m_detached.constFind(node); it != m_detached.cend())
        return { it->layer, it->content };
    return { m_nodes.at(node).layer, m_nodes.at(node).entry };
}

/// Hard links of layer `layerNo` are tied to the node holding their file once the whole layer
/// is in place (a link to a later member then finds it, as `cat` does); a link to a copy the
/// layer stores again later is a file of its own from the start.
void MergedTree::linkLayer(int layerNo, const QList<int> &map, const QList<int> &links)
{
    const LayerIndex &li = *m_layers.at(layerNo);
    for (const int e : links) {
        const LayerEntry &le = li.entry(e);
        const int link = map.at(e);
        const int source = li.linkSource(e);
        int peer = -1;
        if (source >= 0 && (li.entry(source).flags & LayerEntry::Shadowed)) {
            const LayerEntry &file = li.entry(source);
            if (file.type != EntryType::File)
                continue;
            Detached d;
            d.entry = le;
            d.entry.type = EntryType::File;
            d.entry.size = file.size;
            d.entry.mtime = file.mtime;
            d.entry.header = file.header;
            d.entry.dataOffset = file.dataOffset;
            d.layer = layerNo;
            d.content = source;
            m_detached.insert(link, d);
            m_visible += file.size;
            continue;
        }
        peer = source >= 0 ? map.at(source) : find(li.linkTarget(e));
        // The root (a link to "/" or "") is no file to share: it has no layer or entry either.
        if (peer <= 0 || peer == link || m_nodes.at(peer).removed)
            continue;
        if (const auto via = m_peerOf.constFind(peer); via != m_peerOf.cend())
            peer = *via; // a link to a link shares the first one's file
        if (entry(peer).type != EntryType::File)
            continue;
        m_linksTo.insert(peer, link);
        m_peerOf.insert(link, peer);
    }
}

/// The merged node of a folder entry of `layer`, following its parents; -1 when the path is not
/// in the tree (nothing to hide there).
static int existingFolder(const MergedTree &tree, const LayerIndex &layer, int entry)
{
    if (entry < 0)
        return 0;
    const int parent = existingFolder(tree, layer, layer.entry(entry).parent);
    return parent < 0 ? -1 : tree.childNamed(parent, layer.nameView(entry));
}

void MergedTree::apply(int layerNo, bool record)
{
    const LayerIndex &li = *m_layers.at(layerNo);
    m_current = {};
    const qint64 before = m_visible;

    const QList<int> dotRemoved = applyWhiteouts(layerNo, record);

    QList<int> map(li.size(), -1);
    QList<int> links; // the layer's hard links, tied to their files once the layer is in place
    placeEntries(layerNo, record, dotRemoved, map, links);
    if (!links.isEmpty())
        linkLayer(layerNo, map, links);
    m_current.cumulative = m_visible;
    m_current.contribution = subtractSizes(m_visible, before);
    m_stats.append(m_current);
}

/// Returns the folders of this layer holding a ".wh.." marker.
QList<int> MergedTree::applyWhiteouts(int layerNo, bool record)
{
    const LayerIndex &li = *m_layers.at(layerNo);
    QList<int> dotRemoved;
    // Whiteouts and opaque folders act on the lower layers only, so apply them first.
    for (int e = 0; e < li.size(); ++e) {
        const LayerEntry &le = li.entry(e);
        if (le.flags & LayerEntry::Shadowed)
            continue;
        if (le.type == EntryType::Whiteout) {
            const int parent = existingFolder(*this, li, le.parent);
            if (parent < 0)
                continue;
            // ".wh.." names the folder holding it: loaders remove that folder (layerindex.cpp),
            // and the folder this layer only implies for the marker does not bring it back.
            const bool dot = li.nameView(e) == ".";
            if (dot)
                dotRemoved.append(le.parent);
            const int target = dot ? (parent > 0 ? parent : -1) : childNamed(parent, li.nameView(e));
            if (target >= 0)
                removeSubtree(target, record, layerNo);
        } else if (le.type == EntryType::Directory && (le.flags & LayerEntry::Opaque)) {
            const int folder = existingFolder(*this, li, e);
            if (folder < 0 || entry(folder).type != EntryType::Directory)
                continue;
            for (int c = m_nodes.at(folder).firstChild; c >= 0; c = m_nodes.at(c).nextSibling)
                if (!m_nodes.at(c).removed)
                    removeSubtree(c, record, layerNo);
        }
    }
    return dotRemoved;
}

/// The layer's own entries, after its whiteouts; a folder always comes before what it holds.
void MergedTree::placeEntries(
    int layerNo, bool record, const QList<int> &dotRemoved, QList<int> &map, QList<int> &links)
{
    const LayerIndex &li = *m_layers.at(layerNo);
    // A folder this layer creates holds nothing from below, and the index holds each name of a
    // folder once: what goes into it needs no lookup (whole new trees are common, and looking up
    // costs cache misses).
    const int firstNew = int(m_nodes.size());
    // Each entry's table slot is a cache miss; the slot of an entry a few ahead is fetched while
    // this one is handled (its parent is usually placed by then).
    constexpr int kAhead = 8;
    QList<quint32> hashes(li.size());
    for (int e = 0; e < li.size(); ++e)
        hashes[e] = hashName(li.nameView(e));
    const quint64 mask = quint64(m_table.size() - 1);
    for (int e = 0; e < li.size(); ++e) {
        if (e + kAhead < li.size()) {
            const int ahead = li.entry(e + kAhead).parent;
            const int at = ahead < 0 ? 0 : map.at(ahead);
            if (at >= 0)
                __builtin_prefetch(m_table.constData() + (slotKey(at, hashes.at(e + kAhead)) & mask));
        }
        const LayerEntry &le = li.entry(e);
        if (le.type == EntryType::Whiteout || (le.flags & LayerEntry::Shadowed))
            continue;
        const int parent = le.parent < 0 ? 0 : map.at(le.parent);
        if (parent < 0)
            continue;
        if (!dotRemoved.isEmpty() && (le.flags & LayerEntry::Implicit) && dotRemoved.contains(e))
            continue;
        const quint32 nameHash = hashes.at(e);
        const int existing = parent >= firstNew ? -1 : lookup(parent, li.nameView(e), nameHash);
        Change change = Change::Added;
        int oldLayer = -1;
        if (existing >= 0) {
            const Overlay o = overlay(layerNo, e, existing, record, oldLayer);
            if (o == Overlay::KeepLower)
                continue;
            if (o == Overlay::MergeFolder) {
                map[e] = existing;
                continue;
            }
            change = Change::Modified;
        }
        map[e] = addNode(parent, nameHash, layerNo, e, le, change, oldLayer, record);
        if (le.type == EntryType::Hardlink)
            links.append(e);
    }
}

/// Entry `e` of layer `layerNo` lands on node `existing` from below; `oldLayer` is the node's
/// layer when it is replaced.
MergedTree::Overlay MergedTree::overlay(int layerNo, int e, int existing, bool record, int &oldLayer)
{
    const LayerIndex &li = *m_layers.at(layerNo);
    const LayerEntry &le = li.entry(e);
    const LayerEntry &old = entry(existing);
    if ((le.flags & LayerEntry::Implicit) && (le.flags & LayerEntry::Opaque) && old.type != EntryType::Directory
        && li.children(e).isEmpty()) {
        // Only an opaque marker under a lower file: loaders applying onto the tree below
        // find the file there and leave it (podman: tst_findings layerContentsLoadersRefuse).
        m_issues.append({ layerNo,
            QStringLiteral("\"%1/.wh..wh..opq\": an opaque marker under a %2 of layer %3; Lamina keeps "
                           "the %2, as podman does")
                .arg(QString::fromUtf8(path(existing)), entryTypeName(old.type))
                .arg(m_nodes.at(existing).layer) });
        return Overlay::KeepLower;
    }
    if (le.type == EntryType::Directory && old.type == EntryType::Directory) {
        // A folder over a folder merges: its attributes come from the upper one, if it has a header.
        if (!(le.flags & LayerEntry::Implicit)) {
            const bool differs = old.mode != le.mode || old.uid != le.uid || old.gid != le.gid;
            Node &n = m_nodes[existing];
            n.layer = layerNo;
            n.entry = e;
            if (differs) {
                if (record)
                    n.change = Change::Modified;
                ++m_current.modified;
                if (record)
                    m_changes.append({ path(existing), Change::Modified, le.type, 0, -1 });
            }
        }
        return Overlay::MergeFolder;
    }
    oldLayer = m_nodes.at(existing).layer;
    // Anything else replaces what was there (a folder /bin over a symlink /bin:
    // nixpkgs#110696), counted as a modification of the path.
    // What it held is removed; the path itself counts as modified, not removed.
    const qsizetype savedChanges = m_changes.size();
    removeSubtree(existing, record, layerNo);
    --m_current.removed;
    if (record && m_changes.size() > savedChanges)
        m_changes.remove(savedChanges);
    return Overlay::Replace;
}

/// A node for entry `e` (`le`) of layer `layerNo` under `parent`, counted as `change`.
int MergedTree::addNode(
    int parent, quint32 nameHash, int layerNo, int e, const LayerEntry &le, Change change, int oldLayer, bool record)
{
    Node n;
    n.parent = parent;
    n.nameHash = nameHash;
    n.layer = layerNo;
    n.entry = e;
    n.change = record ? change : Change::None;
    n.nextSibling = m_nodes.at(parent).firstChild;
    const int index = int(m_nodes.size());
    m_nodes.append(n);
    m_nodes[parent].firstChild = index;
    tableInsert(index);
    if (le.type == EntryType::File)
        m_visible = addSizes(m_visible, le.size);
    if (change == Change::Added)
        ++m_current.added;
    else
        ++m_current.modified;
    if (record)
        m_changes.append({ path(index), change, le.type, le.type == EntryType::File ? le.size : 0, oldLayer });
    return index;
}

MergedTree::Incremental::Incremental(int layerCount, bool recordChanges, bool folderTotals, qsizetype expectedEntries)
    : m_record(recordChanges)
    , m_folderTotals(folderTotals)
{
    work::counters().add(work::counters().treesBuilt, 1);
    MergedTree &t = m_tree;
    t.m_layers = Layers(std::max(0, layerCount));
    t.m_top = layerCount - 1;
    Node root;
    root.parent = -1;
    t.m_nodes.reserve(expectedEntries + 1);
    t.m_nodes.append(root);
    t.reserveTable(expectedEntries);
}

void MergedTree::reserveTable(qsizetype more)
{
    // Room for `more` inserts at under half load, rebuilt once if too small. A layer's nodes are
    // inserted once at most, so sizing for the whole layer up front keeps the table from growing
    // while the layer is applied (growing holds the old and the new table at once).
    qsizetype size = std::max<qsizetype>(1024, m_table.size());
    while (size < (m_tableUsed + more + 1) * 2)
        size *= 2;
    if (size == m_table.size())
        return;
    const QList<qint32> old = std::exchange(m_table, QList<qint32>(size, -1));
    m_tableUsed = 0;
    for (int n : old)
        if (n >= 0)
            tableInsert(n);
}

void MergedTree::Incremental::add(const std::shared_ptr<const LayerIndex> &layer)
{
    MergedTree &t = m_tree;
    const int l = m_next++;
    if (l > t.m_top)
        return;
    t.m_layers[l] = layer;
    if (!layer) {
        t.m_stats.append({ t.m_visible, 0, 0, 0, 0 });
        return;
    }
    // No reserve() of the nodes here: QList::reserve copies into a new block, holding both, while
    // growth by append reallocates in place.
    t.reserveTable(layer->size());
    t.apply(l, m_record && l == t.m_top);
}

MergedTree MergedTree::Incremental::finish()
{
    MergedTree &t = m_tree;
    while (m_next <= t.m_top)
        add(nullptr); // layers never given count as unreadable
    // Folder totals in one pass: a node is always created after its parent, so walking backwards
    // visits children before the folders that hold them.
    if (m_folderTotals) {
        t.m_subtreeBytes.fill(0, t.m_nodes.size());
        for (qsizetype n = t.m_nodes.size() - 1; n > 0; --n) {
            const Node &x = t.m_nodes.at(n);
            if (x.removed)
                continue;
            if (t.entry(int(n)).type == EntryType::File)
                t.m_subtreeBytes[n] = addSizes(t.m_subtreeBytes.at(n), t.entry(int(n)).size);
            t.m_subtreeBytes[x.parent] = addSizes(t.m_subtreeBytes.at(x.parent), t.m_subtreeBytes.at(n));
        }
    }
    std::stable_sort(t.m_changes.begin(), t.m_changes.end(),
        [](const ChangeRecord &a, const ChangeRecord &b) { return a.path < b.path; });
    // A whiteout and a new entry for one path in the same layer ("delete, then create again")
    // is a modification of that path.
    QList<ChangeRecord> merged;
    for (const ChangeRecord &c : std::as_const(t.m_changes)) {
        if (!merged.isEmpty() && merged.constLast().path == c.path && merged.constLast().change == Change::Removed
            && c.change == Change::Added) {
            ChangeRecord m = c;
            m.change = Change::Modified;
            m.layer = merged.constLast().layer;
            merged.last() = m;
            const int node = t.find(c.path);
            if (node >= 0)
                t.m_nodes[node].change = Change::Modified;
            continue;
        }
        merged.append(c);
    }
    t.m_changes = merged;
    return std::move(t);
}

MergedTree MergedTree::build(const Layers &layers, int upto, bool recordChanges, bool folderTotals)
{
    upto = std::min<int>(upto, int(layers.size()) - 1);
    qsizetype total = 0;
    for (int l = 0; l <= upto; ++l)
        total += layers.at(l) ? layers.at(l)->size() : 0;
    Incremental building(upto + 1, recordChanges, folderTotals, total);
    for (int l = 0; l <= upto; ++l)
        building.add(layers.at(l));
    MergedTree t = building.finish();
    t.m_layers = layers; // layers above `upto` stay reachable through layers()
    return t;
}

WastedSpace wastedSpace(const MergedTree &tree)
{
    WastedSpace w;
    const int top = tree.topLayer();
    QList<QBitArray> visible;
    for (int l = 0; l <= top; ++l)
        visible.append(tree.layers().at(l) ? QBitArray(tree.layerIndex(l).size()) : QBitArray());
    for (int n = 1; n < tree.nodeCount(); ++n) {
        const MergedTree::Node &node = tree.node(n);
        if (!node.removed && node.layer >= 0) {
            // A detached hard link keeps the bytes it linked to visible.
            const auto [layer, entry] = tree.contentOf(n);
            visible[layer].setBit(entry);
        }
    }
    for (int l = 0; l <= top; ++l) {
        if (!tree.layers().at(l))
            continue;
        const LayerIndex &li = tree.layerIndex(l);
        for (int e = 0; e < li.size(); ++e) {
            const LayerEntry &le = li.entry(e);
            if (le.type != EntryType::File || (le.flags & LayerEntry::Shadowed))
                continue;
            w.totalFileBytes = addSizes(w.totalFileBytes, le.size);
            if (visible.at(l).testBit(e)) {
                w.visibleFileBytes = addSizes(w.visibleFileBytes, le.size);
            } else if (le.size > 0) {
                w.items.append({ li.path(e), l, le.size });
            }
        }
    }
    w.wastedBytes = subtractSizes(w.totalFileBytes, w.visibleFileBytes);
    w.efficiency = w.totalFileBytes > 0 ? double(w.visibleFileBytes) / double(w.totalFileBytes) : 1.0;
    std::stable_sort(w.items.begin(), w.items.end(),
        [](const WastedSpace::Item &a, const WastedSpace::Item &b) { return a.size > b.size; });
    return w;
}

QList<WastedPath> wastedByPath(const WastedSpace &wasted)
{
    QList<WastedPath> out;
    QHash<QByteArray, qsizetype> at;
    // Items come biggest first, so each path's layers do too.
    for (const WastedSpace::Item &i : wasted.items) {
        qsizetype &row = at[i.path];
        if (row == 0) { // rows are stored plus one: 0 is "not seen yet"
            out.append({ i.path, 0, {} });
            row = out.size();
        }
        WastedPath &p = out[row - 1];
        p.bytes = addSizes(p.bytes, i.size);
        p.layers.append(i.layer);
    }
    std::sort(out.begin(), out.end(), [](const WastedPath &a, const WastedPath &b) {
        return a.bytes != b.bytes ? a.bytes > b.bytes : a.path < b.path;
    });
    return out;
}

QList<MergedTree::ChangeRecord> netChanges(const MergedTree::Layers &layers, int from, int to)
{
    QList<MergedTree::ChangeRecord> out;
    const MergedTree after = MergedTree::build(layers, to);
    const MergedTree before = from > 0 ? MergedTree::build(layers, from - 1) : MergedTree::build({}, -1);
    // Walk both trees side by side, by name.
    struct Pair
    {
        int a;
        int b;
    };
    QList<Pair> stack { { 0, 0 } };
    while (!stack.isEmpty()) {
        const Pair p = stack.takeLast();
        if (p.b >= 0) {
            for (int c : after.children(p.b)) {
                const int a = p.a >= 0 ? before.childNamed(p.a, after.name(c)) : -1;
                const LayerEntry &e = after.entry(c);
                const qint64 size = e.type == EntryType::File ? e.size : 0;
                if (a < 0) {
                    out.append({ after.path(c), Change::Added, e.type, size, after.node(c).layer });
                } else if (after.node(c).layer >= from) {
                    const LayerEntry &old = before.entry(a);
                    const bool dirs = old.type == EntryType::Directory && e.type == EntryType::Directory;
                    if (!dirs || old.mode != e.mode || old.uid != e.uid || old.gid != e.gid)
                        out.append({ after.path(c), Change::Modified, e.type, size, before.node(a).layer });
                }
                stack.append({ a, c });
            }
        }
        if (p.a >= 0) {
            for (int c : before.children(p.a)) {
                if (p.b >= 0 && after.childNamed(p.b, before.name(c)) >= 0)
                    continue;
                const LayerEntry &e = before.entry(c);
                out.append({ before.path(c), Change::Removed, e.type, e.type == EntryType::File ? e.size : 0,
                    before.node(c).layer });
                if (e.type == EntryType::Directory)
                    stack.append({ c, -1 });
            }
        }
    }
    std::sort(out.begin(), out.end(),
        [](const MergedTree::ChangeRecord &a, const MergedTree::ChangeRecord &b) { return a.path < b.path; });
    return out;
}

} // namespace lamina
