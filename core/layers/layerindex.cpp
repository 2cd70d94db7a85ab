// SPDX-License-Identifier: MIT
// The index of a layer tar and its queries; indexlayer.cpp and indexbuilder.cpp make it.
#include "layers/layerindex.h"

#include <algorithm>

namespace lamina {

QString entryTypeName(EntryType t)
{
    switch (t) {
    case EntryType::File:
        return QStringLiteral("file");
    case EntryType::Directory:
        return QStringLiteral("dir");
    case EntryType::Symlink:
        return QStringLiteral("symlink");
    case EntryType::Hardlink:
        return QStringLiteral("hardlink");
    case EntryType::CharDevice:
        return QStringLiteral("char");
    case EntryType::BlockDevice:
        return QStringLiteral("block");
    case EntryType::Fifo:
        return QStringLiteral("fifo");
    case EntryType::Whiteout:
        return QStringLiteral("whiteout");
    }
    return {};
}

QByteArray LayerIndex::name(int i) const
{
    // A copy, never a slice: a pool read from the index cache is the cache file's mapped bytes,
    // which a slice could outlive.
    const LayerEntry &e = m_entries.at(i);
    return QByteArray(m_pool.constData() + e.nameOffset, e.nameLength);
}

QByteArray LayerIndex::linkTarget(int i) const
{
    const LayerEntry &e = m_entries.at(i);
    return QByteArray(m_pool.constData() + e.linkOffset, e.linkLength);
}

QByteArray LayerIndex::path(int i) const
{
    QByteArray p = name(i);
    for (int at = m_entries.at(i).parent; at >= 0; at = m_entries.at(at).parent)
        p = name(at) + '/' + p;
    return p;
}

QList<int> LayerIndex::children(int folder) const
{
    const int slot = folder + 1;
    const qint32 *all = m_children.constData();
    return QList<int>(all + m_childStart.at(slot), all + m_childStart.at(slot + 1));
}

int LayerIndex::find(QByteArrayView path) const
{
    int folder = -1;
    qsizetype start = 0;
    while (start < path.size()) {
        qsizetype end = path.indexOf('/', start);
        if (end < 0)
            end = path.size();
        const QByteArrayView component = path.sliced(start, end - start);
        start = end + 1;
        if (component.isEmpty() || component == ".")
            continue;
        const int slot = folder + 1;
        const auto first = m_children.cbegin() + m_childStart.at(slot);
        const auto last = m_children.cbegin() + m_childStart.at(slot + 1);
        const auto it = std::lower_bound(first, last, component, [this](int child, QByteArrayView want) {
            const LayerEntry &e = m_entries.at(child);
            return QByteArrayView(m_pool.constData() + e.nameOffset, e.nameLength) < want;
        });
        if (it == last)
            return -1;
        const LayerEntry &e = m_entries.at(*it);
        if (QByteArrayView(m_pool.constData() + e.nameOffset, e.nameLength) != component)
            return -1;
        folder = *it;
    }
    return folder;
}

int LayerIndex::linkSource(int link) const
{
    const QByteArray target = linkTarget(link);
    const qsizetype slash = target.lastIndexOf('/');
    const QByteArrayView base = slash < 0 ? QByteArrayView(target) : QByteArrayView(target).sliced(slash + 1);
    const int folder = slash < 0 ? -1 : find(QByteArrayView(target).first(slash));
    if (slash >= 0 && folder < 0)
        return -1;
    const int linkHeader = m_entries.at(link).header;
    int kept = -1;
    for (int i = m_childStart.at(folder + 1); i < m_childStart.at(folder + 2); ++i) {
        const int c = m_children.at(i);
        if (c != link && m_entries.at(c).type != EntryType::Whiteout && nameView(c) == base)
            kept = c;
    }
    if (kept >= 0 && m_entries.at(kept).header < linkHeader)
        return kept;
    // Earlier copies of a path stored twice are out of the child table (Shadowed): looked for
    // only when the copy kept comes after the link, which is rare.
    int earlier = -1;
    for (int i = 0; i < size(); ++i) {
        const LayerEntry &e = m_entries.at(i);
        if ((e.flags & LayerEntry::Shadowed) && e.type != EntryType::Whiteout && e.parent == folder
            && e.header < linkHeader && (earlier < 0 || e.header > m_entries.at(earlier).header) && nameView(i) == base)
            earlier = i;
    }
    return earlier >= 0 ? earlier : kept;
}

qint64 LayerIndex::memoryBytes() const
{
    return qint64(m_entries.capacity()) * qint64(sizeof(LayerEntry)) + m_pool.capacity()
        + qint64(m_childStart.capacity() + m_children.capacity()) * 4 + m_backingBytes;
}

} // namespace lamina
