// SPDX-License-Identifier: MIT
#include "filetreemodel.h"
#include "common/tones.h"

#include <QApplication>
#include <QBrush>
#include <QColor>
#include <QFont>
#include <QLocale>
#include <QMimeData>
#include <QStyle>
#include <QUrl>

namespace lamina {

void FileTreeModel::setTree(std::shared_ptr<const MergedTree> tree, int markLayer, bool layerOnly)
{
    beginResetModel();
    m_tree = std::move(tree);
    m_markLayer = markLayer;
    m_firstNew = -1;
    m_changes.clear();
    m_layerOnly = layerOnly && m_tree;
    m_relevant.clear();
    m_layerBytes.clear();
    if (m_layerOnly) {
        // One pass: everything the layer provides or removes, and the folders leading to it; a
        // folder's size is then what the layer puts in it, as `lamina ls --layer` counts it.
        for (int n = 1; n < m_tree->nodeCount(); ++n) {
            const MergedTree::Node &x = m_tree->node(n);
            if ((x.layer == markLayer && !x.removed) || (x.removed && x.removedBy == markLayer)) {
                for (int at = n; at > 0 && !m_relevant.contains(at); at = m_tree->node(at).parent)
                    m_relevant.insert(at);
            }
            if (x.layer == markLayer && !x.removed && m_tree->entry(n).type == EntryType::File)
                for (int at = x.parent; at > 0; at = m_tree->node(at).parent)
                    m_layerBytes[at] += m_tree->entry(n).size;
        }
    }
    m_children.clear();
    m_row.clear();
    m_bytes.clear();
    endResetModel();
}

void FileTreeModel::setComposedTree(
    std::shared_ptr<const MergedTree> tree, int firstNew, QHash<QByteArray, Change> changes)
{
    beginResetModel();
    m_tree = std::move(tree);
    m_markLayer = -1;
    m_layerOnly = false;
    m_relevant.clear();
    m_layerBytes.clear();
    m_firstNew = m_tree ? firstNew : -1;
    m_changes = std::move(changes);
    m_children.clear();
    m_row.clear();
    m_bytes.clear();
    endResetModel();
}

Change FileTreeModel::changeOf(int node) const
{
    const MergedTree::Node &n = m_tree->node(node);
    // Only what the new layers provide or removed can have changed; no path is built for the rest.
    if (n.layer < m_firstNew && !(n.removed && n.removedBy >= m_firstNew))
        return Change::None;
    const Change c = m_changes.value(m_tree->path(node), Change::None);
    // A removed node whose path came back (replaced) is not the one to mark.
    return n.removed && c != Change::Removed ? Change::None : c;
}

QModelIndex FileTreeModel::indexOfPath(const QByteArray &path) const
{
    if (!m_tree)
        return {};
    int node = m_tree->find(path);
    if (node <= 0)
        return {};
    QList<int> chain;
    for (int at = node; at > 0; at = m_tree->node(at).parent)
        chain.prepend(at);
    QModelIndex index;
    for (int at : std::as_const(chain)) {
        const int row = int(childrenOf(nodeOf(index)).indexOf(at));
        if (row < 0)
            return {};
        index = createIndex(row, 0, quintptr(at));
    }
    return index;
}

const QList<int> &FileTreeModel::childrenOf(int node) const
{
    auto it = m_children.find(node);
    if (it == m_children.end()) {
        QList<int> found;
        if (m_firstNew >= 0) {
            found = m_tree->children(node);
            for (int c = m_tree->node(node).firstChild; c >= 0; c = m_tree->node(c).nextSibling)
                if (m_tree->node(c).removed && changeOf(c) == Change::Removed)
                    found.append(c);
            std::sort(found.begin(), found.end(), [this](int a, int b) {
                return m_tree->nameView(a) < m_tree->nameView(b)
                    || (m_tree->nameView(a) == m_tree->nameView(b) && a < b);
            });
        } else {
            found = m_tree->children(node, m_markLayer);
        }
        if (m_layerOnly)
            found.removeIf([this](int c) { return !m_relevant.contains(c); });
        it = m_children.insert(node, found);
        const QList<int> &kids = it.value();
        for (int r = 0; r < kids.size(); ++r)
            m_row.insert(kids.at(r), r);
    }
    return it.value();
}

qint64 FileTreeModel::bytesOf(int node) const
{
    if (m_layerOnly)
        return m_layerBytes.value(node);
    auto it = m_bytes.constFind(node);
    if (it != m_bytes.constEnd())
        return it.value();
    const qint64 b = m_tree->treeBytes(node);
    m_bytes.insert(node, b);
    return b;
}

QModelIndex FileTreeModel::index(int row, int column, const QModelIndex &parent) const
{
    if (!m_tree || column < 0 || column >= ColumnCount || row < 0)
        return {};
    const QList<int> &kids = childrenOf(nodeOf(parent));
    if (row >= kids.size())
        return {};
    return createIndex(row, column, quintptr(kids.at(row)));
}

QModelIndex FileTreeModel::parent(const QModelIndex &child) const
{
    if (!child.isValid() || !m_tree)
        return {};
    const int parent = m_tree->node(int(child.internalId())).parent;
    if (parent <= 0)
        return {};
    childrenOf(m_tree->node(parent).parent <= 0 ? 0 : m_tree->node(parent).parent); // fills m_row for parent
    return createIndex(m_row.value(parent), 0, quintptr(parent));
}

int FileTreeModel::rowCount(const QModelIndex &parent) const
{
    if (!m_tree || (parent.isValid() && parent.column() != 0))
        return 0;
    const int node = nodeOf(parent);
    if (node != 0 && m_tree->entry(node).type != EntryType::Directory)
        return 0;
    return int(childrenOf(node).size());
}

int FileTreeModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

bool FileTreeModel::hasChildren(const QModelIndex &parent) const
{
    if (!m_tree)
        return false;
    const int node = nodeOf(parent);
    if (parent.isValid() && parent.column() != 0)
        return false;
    return node == 0
        || (m_tree->entry(node).type == EntryType::Directory && m_tree->node(node).firstChild >= 0
            && !childrenOf(node).isEmpty());
}

QVariant FileTreeModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || !m_tree)
        return {};
    const int node = int(index.internalId());
    const MergedTree::Node &n = m_tree->node(node);
    const LayerEntry &e = m_tree->entry(node);
    const bool deleted = n.removed;
    const Change change = m_firstNew >= 0 ? changeOf(node) : n.change;
    const bool marked
        = deleted || (m_firstNew >= 0 ? change != Change::None : n.layer == m_markLayer && n.change != Change::None);
    if (role == NodeRole)
        return node;
    if (role == PathRole)
        return QString::fromUtf8(m_tree->path(node));
    if (role == SortRole) {
        if (index.column() == SizeColumn)
            return e.type == EntryType::Directory ? bytesOf(node) : e.size;
        return data(index, Qt::DisplayRole);
    }
    if (role == Qt::ForegroundRole && deleted)
        return QBrush(toneColor(Tone::Error));
    if (role == Qt::FontRole && deleted) {
        QFont f;
        f.setStrikeOut(true);
        return f;
    }
    if (role == Qt::ToolTipRole && deleted)
        return tr("removed by layer %1").arg(n.removedBy);
    if (role == Qt::ForegroundRole && index.column() == ChangeColumn && marked)
        return QBrush(toneColor(change == Change::Added ? Tone::Added : Tone::Changed));
    if (role == Qt::DecorationRole && index.column() == NameColumn) {
        const QStyle *style = QApplication::style();
        if (e.type == EntryType::Directory)
            return style->standardIcon(QStyle::SP_DirIcon);
        if (e.type == EntryType::Symlink)
            return style->standardIcon(QStyle::SP_FileLinkIcon);
        return style->standardIcon(QStyle::SP_FileIcon);
    }
    if (role == Qt::TextAlignmentRole && index.column() == SizeColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case NameColumn:
        return QString::fromUtf8(m_tree->name(node));
    case SizeColumn: {
        const qint64 b = e.type == EntryType::Directory ? bytesOf(node) : e.size;
        return QLocale().formattedDataSize(b);
    }
    case ChangeColumn:
        return deleted ? QStringLiteral("D") : marked ? changeLetter(change) : QString();
    case ModeColumn:
        return QString::number(e.mode, 8).rightJustified(4, u'0');
    case OwnerColumn:
        return QStringLiteral("%1:%2").arg(e.uid).arg(e.gid);
    case LinkColumn: {
        const QByteArray link = m_tree->linkTarget(node);
        if (link.isEmpty())
            return QString();
        return QString(
            (e.type == EntryType::Hardlink ? QStringLiteral("⇒ ") : QStringLiteral("→ ")) + QString::fromUtf8(link));
    }
    }
    return {};
}

Qt::ItemFlags FileTreeModel::flags(const QModelIndex &index) const
{
    Qt::ItemFlags f = QAbstractItemModel::flags(index);
    if (index.isValid() && m_dragSource && !m_tree->node(int(index.internalId())).removed)
        f |= Qt::ItemIsDragEnabled;
    return f;
}

QStringList FileTreeModel::mimeTypes() const
{
    return { QStringLiteral("text/uri-list") };
}

QMimeData *FileTreeModel::mimeData(const QModelIndexList &indexes) const
{
    if (!m_dragSource)
        return nullptr;
    QList<int> nodes;
    for (const QModelIndex &index : indexes) {
        const int node = int(index.internalId());
        if (index.isValid() && !nodes.contains(node))
            nodes << node;
    }
    return nodes.isEmpty() ? nullptr : m_dragSource(nodes);
}

QVariant FileTreeModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::ToolTipRole) {
        switch (section) {
        case SizeColumn:
            return m_layerOnly
                ? tr("A file: its size in bytes. A folder: the regular files this layer itself stores under it, added "
                     "up (hard links not counted again)")
                : tr("A file: its size in bytes. A folder: the regular files under it in the tree shown (all layers up "
                     "to the selected one, merged), added up (hard links not counted again)");
        case ChangeColumn:
            return m_firstNew >= 0
                ? tr("What the composed layers did to the path, all together: A added, M modified, D deleted (struck "
                     "out); blank: it comes from the base image")
                : tr("What the selected layer did to the path: A added, M modified (it replaced a lower version), D "
                     "deleted (struck out); blank: it comes from a lower layer, unchanged");
        case ModeColumn:
            return tr("Permission bits, in octal");
        case OwnerColumn:
            return tr("Numeric owner, uid:gid");
        case LinkColumn:
            return tr("A symbolic link's target, or the file a hard link shares its bytes with");
        }
        return {};
    }
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case NameColumn:
        return tr("Name");
    case SizeColumn:
        return tr("Size");
    case ChangeColumn:
        return tr("Δ");
    case ModeColumn:
        return tr("Mode");
    case OwnerColumn:
        return tr("Owner");
    case LinkColumn:
        return tr("Link");
    }
    return {};
}

} // namespace lamina
