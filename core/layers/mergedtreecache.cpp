// SPDX-License-Identifier: MIT
// A merged tree as an index cache file's payload and back (layers/indexcache.h): what the window
// keeps so that reopening an image maps its tree instead of building it.
#include "layers/mergedtree.h"

#include "layers/cachefile_p.h"

#include <cstddef>
#include <mutex>

namespace lamina {

struct MergedTree::StoredChanges
{
    QByteArrayView bytes; ///< the records, checked when the tree was loaded: in the tree's backing, or `copy`
    QByteArray copy; ///< a payload the caller keeps (no backing): the records copied
    quint64 count = 0;
    std::once_flag read;
    QList<ChangeRecord> list;
};

namespace {

/// One change record of a payload; false when it is not sound for a tree of `layerCount` layers.
bool readChange(cachefile::Reader &r, int layerCount, MergedTree::ChangeRecord *c)
{
    QByteArray path;
    if (c)
        path = r.bytes(cachefile::kMaxStrings);
    else
        r.skipBytes(cachefile::kMaxStrings);
    const quint8 change = r.pod<quint8>();
    const quint8 type = r.pod<quint8>();
    const qint64 size = r.pod<qint64>();
    const qint32 layer = r.pod<qint32>();
    if (!r.ok || change > quint8(Change::Removed) || type > quint8(EntryType::Whiteout) || layer < -1
        || layer >= layerCount)
        return false;
    if (c)
        *c = { path, Change(change), EntryType(type), size, layer };
    return true;
}

} // namespace

const QList<MergedTree::ChangeRecord> &MergedTree::changes() const
{
    if (!m_storedChanges)
        return m_changes;
    StoredChanges &s = *m_storedChanges;
    std::call_once(s.read, [&] {
        cachefile::Reader r(s.bytes);
        s.list.reserve(qsizetype(s.count));
        for (quint64 i = 0; i < s.count; ++i) {
            ChangeRecord c;
            readChange(r, int(m_layers.size()), &c); // sound: checked by fromCachePayload()
            s.list.append(std::move(c));
        }
    });
    return s.list;
}

QByteArray MergedTree::cachePayload() const
{
    cachefile::Writer w;
    writeCachePayload(w);
    return w.out;
}

void MergedTree::writeCachePayload(cachefile::Writer &w) const
{
    w.pod<qint32>(m_top);
    w.pod<qint32>(qint32(m_layers.size()));
    w.pod<quint64>(m_seed);
    w.pod<qint64>(m_visible);
    w.pod<qint64>(m_tableUsed);
    w.array(m_nodes);
    w.array(m_table);
    w.array(m_subtreeBytes);
    w.pod<quint32>(quint32(m_stats.size()));
    for (const LayerStats &s : m_stats) {
        w.pod<qint64>(s.cumulative);
        w.pod<qint64>(s.contribution);
        w.pod<qint32>(s.added);
        w.pod<qint32>(s.modified);
        w.pod<qint32>(s.removed);
    }
    w.pod<quint64>(quint64(changes().size()));
    for (const ChangeRecord &c : changes()) {
        w.bytes(c.path);
        w.pod<quint8>(quint8(c.change));
        w.pod<quint8>(quint8(c.type));
        w.pod<qint64>(c.size);
        w.pod<qint32>(c.layer);
    }
    w.pod<quint64>(quint64(m_linksTo.size()));
    for (auto it = m_linksTo.cbegin(); it != m_linksTo.cend(); ++it) {
        w.pod<qint32>(it.key());
        w.pod<qint32>(it.value());
    }
    w.pod<quint64>(quint64(m_peerOf.size()));
    for (auto it = m_peerOf.cbegin(); it != m_peerOf.cend(); ++it) {
        w.pod<qint32>(it.key());
        w.pod<qint32>(it.value());
    }
    w.pod<quint64>(quint64(m_detached.size()));
    for (auto it = m_detached.cbegin(); it != m_detached.cend(); ++it) {
        w.pod<qint32>(it.key());
        w.pod<LayerEntry>(it->entry);
        w.pod<qint32>(it->layer);
        w.pod<qint32>(it->content);
    }
    w.pod<quint32>(quint32(m_issues.size()));
    for (const auto &[layer, text] : m_issues) {
        w.pod<qint32>(layer);
        w.string(text);
    }
}

std::shared_ptr<const MergedTree> MergedTree::fromCachePayload(
    QByteArrayView payload, const Layers &layers, std::shared_ptr<const void> backing)
{
    // Bounds far above any tree Lamina builds (the merged-entry budget) and far below what would
    // exhaust memory; anything over them is refused before it is read.
    constexpr qint64 kMaxNodes = qint64(1) << 27;
    cachefile::Reader r(payload, backing != nullptr);
    auto t = std::make_shared<MergedTree>();
    t->m_top = r.pod<qint32>();
    const qint32 layerCount = r.pod<qint32>();
    if (!r.ok || layerCount != layers.size() || t->m_top < -1 || t->m_top >= layerCount)
        return nullptr;
    t->m_layers = layers;
    for (int l = 0; l <= t->m_top; ++l)
        if (!layers.at(l))
            return nullptr; // only trees of readable layers are kept
    t->m_seed = r.pod<quint64>();
    t->m_visible = r.pod<qint64>();
    t->m_tableUsed = r.pod<qint64>();
    t->m_nodes = r.array<Node>(kMaxNodes);
    t->m_table = r.array<qint32>(kMaxNodes * 4);
    t->m_subtreeBytes = r.array<qint64>(kMaxNodes);
    const quint32 stats = r.pod<quint32>();
    if (!r.ok || qint64(stats) != qint64(t->m_top) + 1)
        return nullptr;
    for (quint32 i = 0; i < stats; ++i) {
        LayerStats s;
        s.cumulative = r.pod<qint64>();
        s.contribution = r.pod<qint64>();
        s.added = r.pod<qint32>();
        s.modified = r.pod<qint32>();
        s.removed = r.pod<qint32>();
        t->m_stats.append(s);
    }
    const auto layerOk = [&](qint64 l) { return l >= 0 && l <= t->m_top; };
    const quint64 changes = r.pod<quint64>();
    if (!r.ok || changes > quint64(kMaxNodes))
        return nullptr;
    // Checked now, read when asked for: making a hundred thousand paths was a third of loading
    // many.tar's tree, for a list the window never shows.
    const qsizetype changesAt = r.position();
    for (quint64 i = 0; i < changes; ++i)
        if (!readChange(r, layerCount, nullptr))
            return nullptr;
    if (changes > 0) {
        auto stored = std::make_shared<StoredChanges>();
        stored->bytes = payload.sliced(changesAt, r.position() - changesAt);
        stored->count = changes;
        if (!backing) {
            stored->copy = stored->bytes.toByteArray();
            stored->bytes = stored->copy;
        }
        t->m_storedChanges = std::move(stored);
    }
    const qint64 n = t->m_nodes.size();
    const auto nodeOk = [&](qint64 i) { return i > 0 && i < n; };
    const auto pairs = [&](auto insert) {
        const quint64 count = r.pod<quint64>();
        if (!r.ok || count > quint64(n))
            return false;
        for (quint64 i = 0; r.ok && i < count; ++i) {
            const qint32 key = r.pod<qint32>();
            const qint32 value = r.pod<qint32>();
            if (!nodeOk(key) || !nodeOk(value))
                return false;
            insert(key, value);
        }
        return r.ok;
    };
    if (!pairs([&](qint32 k, qint32 v) { t->m_linksTo.insert(k, v); })
        || !pairs([&](qint32 k, qint32 v) { t->m_peerOf.insert(k, v); }))
        return nullptr;
    const quint64 detached = r.pod<quint64>();
    if (!r.ok || detached > quint64(n))
        return nullptr;
    for (quint64 i = 0; r.ok && i < detached; ++i) {
        const qint32 key = r.pod<qint32>();
        Detached d;
        d.entry = r.pod<LayerEntry>();
        d.layer = r.pod<qint32>();
        d.content = r.pod<qint32>();
        if (!r.ok || !nodeOk(key) || !layerOk(d.layer) || d.content < 0 || d.content >= layers.at(d.layer)->size()
            || quint8(d.entry.type) > quint8(EntryType::Whiteout))
            return nullptr;
        t->m_detached.insert(key, d);
    }
    const quint32 issues = r.pod<quint32>();
    if (!r.ok || issues > cachefile::kMaxStrings)
        return nullptr;
    for (quint32 i = 0; r.ok && i < issues; ++i) {
        const qint32 layer = r.pod<qint32>();
        const QString text = r.string();
        if (!layerOk(layer))
            return nullptr;
        t->m_issues.append({ layer, text });
    }
    if (!r.ok || !r.atEnd() || n < 1)
        return nullptr;

    // The nodes: every walk a reader makes ends and stays in bounds. A parent is an earlier node
    // and a next sibling too (siblings are listed newest first), so parent and sibling walks
    // end; a first child is a later node whose parent is this one.
    const Node *nodes = t->m_nodes.constData();
    const Node &root = nodes[0];
    if (root.parent != -1 || root.layer != -1 || root.entry != -1 || root.nextSibling != -1)
        return nullptr;
    for (qint64 i = 0; i < n; ++i) {
        const Node &x = nodes[i];
        // Read as a byte before anything reads it as a bool, which must hold 0 or 1.
        const auto removed = reinterpret_cast<const unsigned char *>(&x)[offsetof(Node, removed)];
        if (removed > 1 || quint8(x.change) > quint8(Change::Removed) || x.removedBy < -1 || x.removedBy > t->m_top)
            return nullptr;
        if (x.firstChild != -1 && (x.firstChild <= i || x.firstChild >= n || nodes[x.firstChild].parent != i))
            return nullptr;
        if (i == 0)
            continue;
        if (x.parent < 0 || x.parent >= i || !layerOk(x.layer) || x.entry < 0 || x.entry >= layers.at(x.layer)->size())
            return nullptr;
        if (x.nextSibling != -1
            && (x.nextSibling <= 0 || x.nextSibling >= i || nodes[x.nextSibling].parent != x.parent))
            return nullptr;
    }
    for (auto it = t->m_detached.cbegin(); it != t->m_detached.cend(); ++it) {
        // What entry() hands out for the node: its names are looked up in the node's own layer.
        const LayerIndex &li = *layers.at(nodes[it.key()].layer);
        if (qint64(it->entry.nameOffset) + it->entry.nameLength > li.m_pool.size()
            || qint64(it->entry.linkOffset) + it->entry.linkLength > li.m_pool.size())
            return nullptr;
    }
    // The table: a power of two, at least one empty slot (a probe ends there), nodes in bounds.
    const qsizetype slots = t->m_table.size();
    if (slots == 0 || (slots & (slots - 1)) != 0 || t->m_tableUsed < 0 || t->m_tableUsed > slots)
        return nullptr;
    bool empty = false;
    for (const qint32 s : std::as_const(t->m_table)) {
        if (s < -2 || s == 0 || s >= n)
            return nullptr;
        empty = empty || s == -1;
    }
    if (!empty || (!t->m_subtreeBytes.isEmpty() && t->m_subtreeBytes.size() != n))
        return nullptr;
    t->m_backing = std::move(backing);
    return t;
}

} // namespace lamina
