// SPDX-License-Identifier: MIT
#include "filetreemodel.h"
#include "common/sizetext.h"
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

FileTreeModel::FileTreeModel(QObject *parent)
    : QAbstractItemModel(parent)
{
}

void FileTreeModel::setTree(std::shared_ptr<const MergedTree> tree, int markLayer, bool layerOnly)
{
    m_wanted.tree = std::move(tree);
    m_wanted.markLayer = markLayer;
    m_wanted.layerOnly = layerOnly && m_wanted.tree;
    m_wanted.firstNew = -1;
    m_wanted.changes.reset();
    reshape();
}

void FileTreeModel::setComposedTree(
    std::shared_ptr<const MergedTree> tree, int firstNew, QHash<QByteArray, Change> changes)
{
    m_wanted.tree = std::move(tree);
    m_wanted.markLayer = -1;
    m_wanted.layerOnly = false;
    m_wanted.firstNew = m_wanted.tree ? firstNew : -1;
    m_wanted.changes = std::make_shared<const QHash<QByteArray, Change>>(std::move(changes));
    reshape();
}

void FileTreeModel::offerShape(FileTreeQuery query, FileTreeShape shape)
{
    m_offered.emplace(std::move(query), std::move(shape));
}

void FileTreeModel::setFilter(const QString &text, bool regex)
{
    if (text == m_wanted.filter && regex == m_wanted.regex)
        return;
    m_wanted.filter = text;
    m_wanted.regex = regex;
    reshape();
}

void FileTreeModel::sort(int column, Qt::SortOrder order)
{
    const bool descending = order == Qt::DescendingOrder;
    if (column == m_wanted.sortColumn && descending == m_wanted.descending)
        return;
    m_wanted.sortColumn = column;
    m_wanted.descending = descending;
    reshape();
}

void FileTreeModel::setDeferred(bool deferred)
{
    if (deferred == m_deferred)
        return;
    m_deferred = deferred;
    if (!deferred && m_pending)
        reshape();
}

void FileTreeModel::reshape()
{
    if (m_deferred) {
        m_job.cancel();
        setShaping(false);
        m_pending = true;
        if (m_shown.tree && m_shown.tree != m_wanted.tree) {
            beginResetModel();
            m_shown = {};
            m_shape = {};
            endResetModel();
            Q_EMIT shaped();
        }
        return;
    }
    m_pending = false;
    const FileTreeQuery query = m_wanted;
    if (auto offered = std::exchange(m_offered, std::nullopt); offered && sameQuery(offered->first, query)) {
        m_job.cancel();
        setShaping(false);
        show(query, std::move(offered->second));
        return;
    }
    if (!query.tree || query.tree->nodeCount() <= m_inlineLimit) {
        m_job.cancel();
        setShaping(false);
        show(query, shapeFileTree(query, {}));
        return;
    }
    setShaping(true);
    m_job.start([query](const Progress &progress) { return shapeFileTree(query, progress); },
        [this, query](FileTreeShape shape) {
            setShaping(false);
            if (shape.complete)
                show(query, std::move(shape));
        });
}

void FileTreeModel::setShaping(bool busy)
{
    if (busy == m_shaping)
        return;
    m_shaping = busy;
    Q_EMIT shapingChanged(busy);
}

void FileTreeModel::show(FileTreeQuery query, FileTreeShape shape)
{
    if (query.tree != m_shown.tree || query.markLayer != m_shown.markLayer || query.layerOnly != m_shown.layerOnly
        || query.firstNew != m_shown.firstNew || query.changes != m_shown.changes) {
        beginResetModel();
        m_shown = std::move(query);
        m_shape = std::move(shape);
        endResetModel();
        Q_EMIT shaped();
        return;
    }
    // The same tree filtered or ordered anew: every row the view holds on to (expanded,
    // selected, current) follows its node, or goes if the node is no longer shown.
    if (query.filter != m_shown.filter || query.regex != m_shown.regex)
        Q_EMIT filterAboutToChange();
    Q_EMIT layoutAboutToBeChanged();
    const QModelIndexList from = persistentIndexList();
    m_shown = std::move(query);
    m_shape = std::move(shape);
    QModelIndexList to;
    to.reserve(from.size());
    for (const QModelIndex &i : from) {
        const int node = int(i.internalId());
        const int row = m_shown.tree && node > 0 && node < m_shown.tree->nodeCount()
            ? m_shape.rowOf(node, m_shown.tree->node(node).parent)
            : -1;
        to << (row < 0 ? QModelIndex() : createIndex(row, i.column(), quintptr(node)));
    }
    changePersistentIndexList(from, to);
    Q_EMIT layoutChanged();
    Q_EMIT shaped();
}

Change FileTreeModel::changeOf(int node) const
{
    return m_shown.changes ? composedChange(*m_shown.tree, node, m_shown.firstNew, *m_shown.changes) : Change::None;
}

QModelIndex FileTreeModel::indexOfPath(const QByteArray &path) const
{
    const MergedTree *t = tree();
    if (!t)
        return {};
    const int node = t->find(path);
    const int row = node > 0 ? m_shape.rowOf(node, t->node(node).parent) : -1;
    if (row < 0)
        return {};
    return createIndex(row, 0, quintptr(node));
}

qint64 FileTreeModel::bytesOf(int node) const
{
    if (m_shown.layerOnly)
        return node < int(m_shape.layerBytes.size()) ? m_shape.layerBytes[size_t(node)] : 0;
    return m_shown.tree->treeBytes(node);
}

QModelIndex FileTreeModel::index(int row, int column, const QModelIndex &parent) const
{
    if (!tree() || column < 0 || column >= ColumnCount || row < 0 || (parent.isValid() && parent.column() != 0))
        return {};
    const int node = nodeOf(parent);
    if (row >= m_shape.childCount(node))
        return {};
    return createIndex(row, column, quintptr(m_shape.child(node, row)));
}

QModelIndex FileTreeModel::parent(const QModelIndex &child) const
{
    if (!child.isValid() || !tree())
        return {};
    const int parent = tree()->node(int(child.internalId())).parent;
    if (parent <= 0)
        return {};
    return createIndex(m_shape.rowOf(parent, tree()->node(parent).parent), 0, quintptr(parent));
}

int FileTreeModel::rowCount(const QModelIndex &parent) const
{
    if (!tree() || (parent.isValid() && parent.column() != 0))
        return 0;
    return m_shape.childCount(nodeOf(parent));
}

int FileTreeModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

bool FileTreeModel::hasChildren(const QModelIndex &parent) const
{
    return rowCount(parent) > 0;
}

QVariant FileTreeModel::data(const QModelIndex &index, int role) const
{
    const MergedTree *t = tree();
    if (!index.isValid() || !t)
        return {};
    const int node = int(index.internalId());
    const MergedTree::Node &n = t->node(node);
    const LayerEntry &e = t->entry(node);
    const bool deleted = n.removed;
    const bool composed = m_shown.firstNew >= 0;
    const Change change = composed ? changeOf(node) : n.change;
    const bool marked
        = deleted || (composed ? change != Change::None : n.layer == m_shown.markLayer && n.change != Change::None);
    if (role == NodeRole)
        return node;
    if (role == PathRole)
        return QString::fromUtf8(t->path(node));
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
    // What the icon cannot tell: a hard link is another name of a file, and the rest are no files.
    if (role == Qt::ToolTipRole && index.column() == NameColumn) {
        switch (e.type) {
        case EntryType::Hardlink:
            return tr("A hard link: another name of %1, the same file").arg(QString::fromUtf8(t->linkTarget(node)));
        case EntryType::Fifo:
            return tr("A named pipe (fifo)");
        case EntryType::CharDevice:
            return tr("A character device");
        case EntryType::BlockDevice:
            return tr("A block device");
        default:
            break;
        }
    }
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
        return QString::fromUtf8(t->name(node));
    case SizeColumn: {
        if (e.type == EntryType::Hardlink) {
            // Its tar header says 0 bytes; the name has the bytes of the file it names.
            const int file = t->find(t->linkTarget(node));
            return file >= 0 ? sizeText(t->entry(file).size) : QString();
        }
        const qint64 b = e.type == EntryType::Directory ? bytesOf(node) : e.size;
        return sizeText(b);
    }
    case ChangeColumn:
        return deleted ? QStringLiteral("D") : marked ? changeLetter(change) : QString();
    case ModeColumn: {
        // A pipe or a device has permissions too, but is no file: its kind first, as ls does.
        const QString mode = QString::number(e.mode, 8).rightJustified(4, u'0');
        const bool special
            = e.type == EntryType::Fifo || e.type == EntryType::CharDevice || e.type == EntryType::BlockDevice;
        return special ? entryTypeName(e.type) + u' ' + mode : mode;
    }
    case OwnerColumn:
        return QStringLiteral("%1:%2").arg(e.uid).arg(e.gid);
    case LinkColumn: {
        const QByteArray link = t->linkTarget(node);
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
    if (index.isValid() && m_dragSource && tree() && !tree()->node(int(index.internalId())).removed)
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
            return m_shown.layerOnly
                ? tr("A file: its size in bytes. A folder: the regular files this layer itself stores under it, added "
                     "up (hard links not counted again)")
                : tr("A file: its size in bytes. A folder: the regular files under it in the tree shown (all layers up "
                     "to the selected one, merged), added up (hard links not counted again)");
        case ChangeColumn:
            return m_shown.firstNew >= 0
                ? tr("What layers %1 and up did to the path, all together: A added, M modified, D deleted (struck "
                     "out); blank: it comes from below, unchanged")
                      .arg(m_shown.firstNew)
                : tr("What the selected layer did to the path: A added, M modified (it replaced a lower version), D "
                     "deleted (struck out); blank: it comes from a lower layer, unchanged");
        case ModeColumn:
            return tr("Permission bits, in octal; a pipe or a device says its kind first");
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
