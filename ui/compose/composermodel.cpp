// SPDX-License-Identifier: MIT
#include "compose/composermodel.h"
#include "common/backgroundpool.h"

#include <QDirIterator>
#include <QFileInfo>
#include <QFont>
#include <QFutureWatcher>
#include <QLocale>
#include <QUndoCommand>
#include <QUndoStack>
#include <QtConcurrent/QtConcurrentRun>

#include <sys/stat.h>

namespace lamina {

/// One edit as a pair of functions; the model's raw edits keep views informed.
class ComposerCommand : public QUndoCommand
{
public:
    ComposerCommand(const QString &text, std::function<void()> redo, std::function<void()> undo)
        : QUndoCommand(text)
        , m_redo(std::move(redo))
        , m_undo(std::move(undo))
    {
    }
    void redo() override { m_redo(); }
    void undo() override { m_undo(); }

    static void insertLayer(ComposerModel *m, int row, const ComposerModel::Layer &l) { m->rawInsertLayer(row, l); }
    static ComposerModel::Layer removeLayer(ComposerModel *m, int row) { return m->rawRemoveLayer(row); }
    static void moveLayer(ComposerModel *m, int from, int to) { m->rawMoveLayer(from, to); }
    static void insertOp(ComposerModel *m, int layer, int row, const ComposerModel::Row &r)
    {
        m->rawInsertOp(layer, row, r);
    }
    static ComposerModel::Row removeOp(ComposerModel *m, int layer, int row) { return m->rawRemoveOp(layer, row); }
    static void moveOp(ComposerModel *m, int layer, int from, int to) { m->rawMoveOp(layer, from, to); }
    static void setOp(ComposerModel *m, int layer, int row, const ComposerModel::Row &r) { m->rawSetOp(layer, row, r); }

private:
    std::function<void()> m_redo, m_undo;
};

namespace {

QString octal(quint32 mode)
{
    return QStringLiteral("%1").arg(mode, 4, 8, QLatin1Char('0'));
}

QString kindName(LayerOp::Kind k, bool folder)
{
    switch (k) {
    case LayerOp::AddHost:
        return folder ? ComposerModel::tr("folder from host") : ComposerModel::tr("file from host");
    case LayerOp::Mkdir:
        return ComposerModel::tr("new folder");
    case LayerOp::Symlink:
        return ComposerModel::tr("symlink");
    case LayerOp::WriteText:
        return ComposerModel::tr("text file");
    case LayerOp::Delete:
        return ComposerModel::tr("delete (whiteout)");
    case LayerOp::Opaque:
        return ComposerModel::tr("empty folder (opaque)");
    }
    return {};
}

bool hasMode(LayerOp::Kind k)
{
    return k == LayerOp::AddHost || k == LayerOp::Mkdir || k == LayerOp::WriteText;
}

bool hasOwner(LayerOp::Kind k)
{
    return k != LayerOp::Delete && k != LayerOp::Opaque;
}

} // namespace

ComposerModel::ComposerModel(QUndoStack *undo, QObject *parent)
    : QAbstractItemModel(parent)
    , m_undo(undo)
{
}

std::optional<quint32> ComposerModel::parseMode(const QString &text)
{
    const QString t = text.trimmed();
    bool ok = false;
    const quint32 mode = t.toUInt(&ok, 8);
    if (ok && !t.isEmpty() && mode <= 07777)
        return mode;
    if (t.size() != 9)
        return std::nullopt;
    // ls -l style: rwx per class; s/S and t/T carry the set-id and sticky bits.
    quint32 m = 0;
    for (int cls = 0; cls < 3; ++cls) {
        const QString part = t.mid(cls * 3, 3);
        const int shift = (2 - cls) * 3;
        if (part.at(0) == u'r')
            m |= 4u << shift;
        else if (part.at(0) != u'-')
            return std::nullopt;
        if (part.at(1) == u'w')
            m |= 2u << shift;
        else if (part.at(1) != u'-')
            return std::nullopt;
        const QChar x = part.at(2);
        const QChar special = cls == 2 ? u't' : u's';
        if (x == u'x' || x == special)
            m |= 1u << shift;
        if (x == special || x == special.toUpper())
            m |= cls == 0 ? 04000u : cls == 1 ? 02000u : 01000u;
        else if (x != u'x' && x != u'-')
            return std::nullopt;
    }
    return m;
}

quint32 ComposerModel::effectiveMode(const LayerOp &op)
{
    if (op.mode)
        return *op.mode;
    switch (op.kind) {
    case LayerOp::AddHost: {
        struct stat st;
        return ::lstat(QFile::encodeName(op.hostPath).constData(), &st) == 0 ? quint32(st.st_mode & 07777) : 0644u;
    }
    case LayerOp::Mkdir:
        return 0755;
    case LayerOp::Symlink:
        return 0777;
    case LayerOp::WriteText:
        return 0644;
    default:
        return 0644;
    }
}

void ComposerModel::measureFolder(const QString &path)
{
    if (m_folderBytes.contains(path) || m_measuring.contains(path))
        return;
    // A dropped folder can hold a hundred thousand files: counted on a worker, shown when done.
    m_measuring.insert(path);
    auto *watcher = new QFutureWatcher<qint64>(this);
    connect(watcher, &QFutureWatcher<qint64>::finished, this, [this, watcher, path] {
        m_folderBytes.insert(path, watcher->result());
        m_measuring.remove(path);
        watcher->deleteLater();
        for (int l = 0; l < layerCount(); ++l)
            for (int r = 0; r < opCount(l); ++r)
                if (m_layers.at(l).ops.at(r).hostFolder && op(l, r).hostPath == path)
                    Q_EMIT dataChanged(opIndex(l, r, SizeColumn), opIndex(l, r, SizeColumn));
    });
    watcher->setFuture(QtConcurrent::run(backgroundPool(), [path] {
        qint64 bytes = 0;
        QDirIterator it(
            path, QDir::Files | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            it.next();
            if (!it.fileInfo().isSymLink())
                bytes += it.fileInfo().size();
        }
        return bytes;
    }));
}

qint64 ComposerModel::bytesOf(const Row &r) const
{
    return r.hostFolder ? m_folderBytes.value(r.op.hostPath, -1) : r.hostBytes;
}

ComposerModel::Row ComposerModel::makeRow(const LayerOp &op)
{
    Row r;
    r.op = op;
    if (op.kind == LayerOp::AddHost) {
        const QFileInfo info(op.hostPath);
        if (info.isDir() && !info.isSymLink()) {
            r.hostFolder = true;
            measureFolder(op.hostPath);
        } else if (info.exists()) {
            r.hostBytes = info.isSymLink() ? 0 : info.size();
        }
    } else if (op.kind == LayerOp::WriteText) {
        r.hostBytes = op.text.size();
    }
    return r;
}

// Undoable edits.

void ComposerModel::addLayer(int row)
{
    Layer l;
    l.id = m_nextId++;
    row = std::clamp(row, 0, layerCount());
    m_undo->push(new ComposerCommand(
        tr("Stack a new layer"), [this, row, l] { ComposerCommand::insertLayer(this, row, l); },
        [this, row] { ComposerCommand::removeLayer(this, row); }));
}

void ComposerModel::removeLayer(int row)
{
    if (row < 0 || row >= layerCount())
        return;
    auto saved = std::make_shared<Layer>();
    m_undo->push(new ComposerCommand(
        tr("Remove layer %1").arg(row + 1), [this, row, saved] { *saved = ComposerCommand::removeLayer(this, row); },
        [this, row, saved] { ComposerCommand::insertLayer(this, row, *saved); }));
}

void ComposerModel::moveLayer(int from, int to)
{
    if (from < 0 || from >= layerCount() || to < 0 || to >= layerCount() || from == to)
        return;
    m_undo->push(new ComposerCommand(
        tr("Move layer %1").arg(from + 1), [this, from, to] { ComposerCommand::moveLayer(this, from, to); },
        [this, from, to] { ComposerCommand::moveLayer(this, to, from); }));
}

void ComposerModel::addOp(int layer, const LayerOp &op, int row)
{
    if (layer < 0 || layer >= layerCount())
        return;
    if (row < 0 || row > opCount(layer))
        row = opCount(layer);
    const Row r = makeRow(op);
    m_undo->push(new ComposerCommand(
        tr("Add %1").arg(op.imagePath), [this, layer, row, r] { ComposerCommand::insertOp(this, layer, row, r); },
        [this, layer, row] { ComposerCommand::removeOp(this, layer, row); }));
}

void ComposerModel::removeOp(int layer, int row)
{
    if (layer < 0 || layer >= layerCount() || row < 0 || row >= opCount(layer))
        return;
    const Row r = m_layers.at(layer).ops.at(row);
    m_undo->push(new ComposerCommand(
        tr("Remove %1").arg(r.op.imagePath), [this, layer, row] { ComposerCommand::removeOp(this, layer, row); },
        [this, layer, row, r] { ComposerCommand::insertOp(this, layer, row, r); }));
}

void ComposerModel::moveOp(int layer, int from, int to)
{
    if (layer < 0 || layer >= layerCount() || from < 0 || to < 0 || from >= opCount(layer) || to >= opCount(layer)
        || from == to)
        return;
    m_undo->push(new ComposerCommand(
        tr("Move %1").arg(op(layer, from).imagePath),
        [this, layer, from, to] { ComposerCommand::moveOp(this, layer, from, to); },
        [this, layer, from, to] { ComposerCommand::moveOp(this, layer, to, from); }));
}

void ComposerModel::setOp(int layer, int row, const LayerOp &op)
{
    if (layer < 0 || layer >= layerCount() || row < 0 || row >= opCount(layer))
        return;
    const Row before = m_layers.at(layer).ops.at(row);
    Row after = before;
    after.op = op;
    if (op.hostPath != before.op.hostPath || op.text != before.op.text || op.kind != before.op.kind)
        after = makeRow(op);
    m_undo->push(new ComposerCommand(
        tr("Change %1").arg(op.imagePath),
        [this, layer, row, after] { ComposerCommand::setOp(this, layer, row, after); },
        [this, layer, row, before] { ComposerCommand::setOp(this, layer, row, before); }));
}

void ComposerModel::setLayers(const QList<LayerSpec> &layers)
{
    beginResetModel();
    m_layers.clear();
    m_nextId = 1;
    for (const LayerSpec &spec : layers) {
        Layer l;
        l.id = m_nextId++;
        for (const LayerOp &op : spec.ops)
            l.ops << makeRow(op);
        m_layers << l;
    }
    renumber();
    endResetModel();
    Q_EMIT layersChanged();
}

QList<LayerSpec> ComposerModel::layers() const
{
    QList<LayerSpec> out;
    for (const Layer &l : m_layers) {
        LayerSpec spec;
        for (const Row &r : l.ops)
            spec.ops << r.op;
        out << spec;
    }
    return out;
}

// Raw edits: what the commands do, with the model's signals.

void ComposerModel::renumber()
{
    m_rowOfId.clear();
    for (int i = 0; i < m_layers.size(); ++i)
        m_rowOfId.insert(m_layers.at(i).id, i);
}

void ComposerModel::rawInsertLayer(int row, const Layer &layer)
{
    beginInsertRows({}, row, row);
    m_layers.insert(row, layer);
    renumber();
    endInsertRows();
    Q_EMIT layersChanged();
}

ComposerModel::Layer ComposerModel::rawRemoveLayer(int row)
{
    beginRemoveRows({}, row, row);
    Layer l = m_layers.takeAt(row);
    renumber();
    endRemoveRows();
    Q_EMIT layersChanged();
    return l;
}

void ComposerModel::rawMoveLayer(int from, int to)
{
    beginMoveRows({}, from, from, {}, to > from ? to + 1 : to);
    m_layers.move(from, to);
    renumber();
    endMoveRows();
    Q_EMIT layersChanged();
}

void ComposerModel::rawInsertOp(int layer, int row, const Row &op)
{
    beginInsertRows(layerIndex(layer), row, row);
    m_layers[layer].ops.insert(row, op);
    endInsertRows();
    Q_EMIT dataChanged(layerIndex(layer), layerIndex(layer, ColumnCount - 1));
    Q_EMIT layersChanged();
}

ComposerModel::Row ComposerModel::rawRemoveOp(int layer, int row)
{
    beginRemoveRows(layerIndex(layer), row, row);
    Row r = m_layers[layer].ops.takeAt(row);
    endRemoveRows();
    Q_EMIT dataChanged(layerIndex(layer), layerIndex(layer, ColumnCount - 1));
    Q_EMIT layersChanged();
    return r;
}

void ComposerModel::rawMoveOp(int layer, int from, int to)
{
    const QModelIndex parent = layerIndex(layer);
    beginMoveRows(parent, from, from, parent, to > from ? to + 1 : to);
    m_layers[layer].ops.move(from, to);
    endMoveRows();
    Q_EMIT layersChanged();
}

void ComposerModel::rawSetOp(int layer, int row, const Row &op)
{
    m_layers[layer].ops[row] = op;
    Q_EMIT dataChanged(opIndex(layer, row), opIndex(layer, row, ColumnCount - 1));
    Q_EMIT layersChanged();
}

// The item model.

QModelIndex ComposerModel::layerIndex(int layer, int column) const
{
    return layer < 0 || layer >= layerCount() ? QModelIndex() : createIndex(layer, column, quintptr(0));
}

QModelIndex ComposerModel::opIndex(int layer, int row, int column) const
{
    if (layer < 0 || layer >= layerCount() || row < 0 || row >= opCount(layer))
        return {};
    return createIndex(row, column, quintptr(m_layers.at(layer).id));
}

int ComposerModel::layerOf(const QModelIndex &index) const
{
    if (!index.isValid())
        return -1;
    return index.internalId() == 0 ? index.row() : m_rowOfId.value(quint32(index.internalId()), -1);
}

QModelIndex ComposerModel::index(int row, int column, const QModelIndex &parent) const
{
    if (row < 0 || column < 0 || column >= ColumnCount)
        return {};
    if (!parent.isValid())
        return row < layerCount() ? createIndex(row, column, quintptr(0)) : QModelIndex();
    if (isOp(parent) || parent.column() != 0)
        return {};
    return opIndex(parent.row(), row, column);
}

QModelIndex ComposerModel::parent(const QModelIndex &child) const
{
    if (!isOp(child))
        return {};
    return layerIndex(m_rowOfId.value(quint32(child.internalId()), -1));
}

int ComposerModel::rowCount(const QModelIndex &parent) const
{
    if (!parent.isValid())
        return layerCount();
    if (isOp(parent) || parent.column() != 0)
        return 0;
    return opCount(parent.row());
}

int ComposerModel::columnCount(const QModelIndex &) const
{
    return ColumnCount;
}

QVariant ComposerModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid())
        return {};
    if (!isOp(index)) {
        const Layer &l = m_layers.at(index.row());
        if (role == KindRole)
            return -1;
        if (role == Qt::FontRole) {
            QFont f;
            f.setBold(true);
            return f;
        }
        // Named once, when stacked: a name that followed the position would change under the
        // views' feet as layers move (the order on screen is the order in the image).
        if (role == Qt::DisplayRole && index.column() == PathColumn)
            return tr("New layer %1").arg(l.id);
        if (role == Qt::DisplayRole && index.column() == TypeColumn)
            return l.ops.isEmpty()  ? tr("empty: drop files on the result")
                : l.ops.size() == 1 ? tr("1 entry")
                                    : tr("%1 entries").arg(l.ops.size());
        return {};
    }
    const int layer = layerOf(index);
    if (layer < 0)
        return {};
    const Row &r = m_layers.at(layer).ops.at(index.row());
    const LayerOp &op = r.op;
    if (role == KindRole)
        return int(op.kind);
    if (role == Qt::FontRole && index.column() == ModeColumn && !op.mode) {
        QFont f; // the default mode, not one the person chose
        f.setItalic(true);
        return f;
    }
    if (role == Qt::TextAlignmentRole && index.column() == SizeColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole && index.column() == SourceColumn && op.kind == LayerOp::WriteText)
        return QString::fromUtf8(op.text);
    if (role == Qt::ToolTipRole && index.column() == ModeColumn)
        return op.mode ? tr("Type 0755 or rwxr-xr-x") : tr("Default mode; type 0755 or rwxr-xr-x to set one");
    if (role != Qt::DisplayRole && role != Qt::EditRole)
        return {};
    const bool edit = role == Qt::EditRole;
    switch (index.column()) {
    case PathColumn:
        return op.imagePath;
    case TypeColumn:
        return kindName(op.kind, r.hostFolder);
    case SourceColumn:
        switch (op.kind) {
        case LayerOp::AddHost:
            return op.hostPath;
        case LayerOp::Symlink:
            return edit ? op.linkTarget : QStringLiteral("→ ") + op.linkTarget;
        case LayerOp::WriteText:
            return QString::fromUtf8(op.text).section(u'\n', 0, 0).left(60);
        default:
            return QString();
        }
    case SizeColumn: {
        const qint64 bytes = bytesOf(r);
        return bytes >= 0 ? QLocale().formattedDataSize(bytes) : r.hostFolder ? tr("counting…") : QString();
    }
    case ModeColumn:
        return hasMode(op.kind) ? octal(effectiveMode(op)) : QString();
    case OwnerColumn:
        return hasOwner(op.kind) ? QStringLiteral("%1:%2").arg(op.uid).arg(op.gid) : QString();
    }
    return {};
}

bool ComposerModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::EditRole || !isOp(index))
        return false;
    const int layer = layerOf(index);
    LayerOp op = m_layers.at(layer).ops.at(index.row()).op;
    const QString text = value.toString();
    switch (index.column()) {
    case PathColumn: {
        QString error;
        normaliseImagePath(text, &error);
        if (!error.isEmpty() || text.trimmed().isEmpty())
            return false;
        op.imagePath = text.trimmed();
        break;
    }
    case SourceColumn:
        if (op.kind == LayerOp::AddHost && QFileInfo::exists(text))
            op.hostPath = text;
        else if (op.kind == LayerOp::Symlink && !text.isEmpty())
            op.linkTarget = text;
        else
            return false;
        break;
    case ModeColumn: {
        const auto mode = parseMode(text);
        if (!mode || !hasMode(op.kind))
            return false;
        op.mode = *mode;
        break;
    }
    case OwnerColumn: {
        bool a = false, b = false;
        const quint32 uid = text.section(u':', 0, 0).toUInt(&a);
        const quint32 gid = text.section(u':', 1).toUInt(&b);
        if (!a || !b || !hasOwner(op.kind))
            return false;
        op.uid = uid;
        op.gid = gid;
        break;
    }
    default:
        return false;
    }
    const LayerOp &was = this->op(layer, index.row());
    if (op.imagePath == was.imagePath && op.hostPath == was.hostPath && op.linkTarget == was.linkTarget
        && op.mode == was.mode && op.uid == was.uid && op.gid == was.gid)
        return true; // nothing changed: no command
    setOp(layer, index.row(), op);
    return true;
}

Qt::ItemFlags ComposerModel::flags(const QModelIndex &index) const
{
    Qt::ItemFlags f = QAbstractItemModel::flags(index);
    if (!isOp(index))
        return f;
    const LayerOp::Kind k = LayerOp::Kind(index.data(KindRole).toInt());
    const bool editable = index.column() == PathColumn
        || (index.column() == SourceColumn && (k == LayerOp::AddHost || k == LayerOp::Symlink))
        || (index.column() == ModeColumn && hasMode(k)) || (index.column() == OwnerColumn && hasOwner(k));
    return editable ? f | Qt::ItemIsEditable : f;
}

QVariant ComposerModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case PathColumn:
        return tr("Image path");
    case TypeColumn:
        return tr("Type");
    case SourceColumn:
        return tr("From (host path, link target, text)");
    case SizeColumn:
        return tr("Size");
    case ModeColumn:
        return tr("Mode");
    case OwnerColumn:
        return tr("uid:gid");
    }
    return {};
}

} // namespace lamina
