// SPDX-License-Identifier: MIT
#include "compose/composermodel.h"
#include "common/sizetext.h"
#include "compose/compositiondocument.h"

#include <QDirIterator>
#include <QFileInfo>
#include <QFont>
#include <QLocale>

#include <sys/stat.h>

namespace lamina {

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

ComposerModel::ComposerModel(CompositionDocument *document, QObject *parent)
    : QAbstractItemModel(parent)
    , m_document(document)
{
    connectDocument();
    measureAll();
}

ComposerModel::~ComposerModel() = default;

void ComposerModel::connectDocument()
{
    CompositionDocument *d = m_document;
    connect(d, &CompositionDocument::layerAboutToBeInserted, this, [this](int row) { beginInsertRows({}, row, row); });
    connect(d, &CompositionDocument::layerInserted, this, [this] { endInsertRows(); });
    connect(d, &CompositionDocument::layerAboutToBeRemoved, this, [this](int row) { beginRemoveRows({}, row, row); });
    connect(d, &CompositionDocument::layerRemoved, this, [this] { endRemoveRows(); });
    connect(d, &CompositionDocument::layerAboutToBeMoved, this,
        [this](int from, int to) { beginMoveRows({}, from, from, {}, to > from ? to + 1 : to); });
    connect(d, &CompositionDocument::layerMoved, this, [this] { endMoveRows(); });
    connect(d, &CompositionDocument::opAboutToBeInserted, this,
        [this](int layer, int row) { beginInsertRows(layerIndex(layer), row, row); });
    connect(d, &CompositionDocument::opInserted, this, [this](int layer, int row) {
        measure(op(layer, row));
        endInsertRows();
        Q_EMIT dataChanged(layerIndex(layer), layerIndex(layer, ColumnCount - 1)); // the entry count
    });
    connect(d, &CompositionDocument::opAboutToBeRemoved, this,
        [this](int layer, int row) { beginRemoveRows(layerIndex(layer), row, row); });
    connect(d, &CompositionDocument::opRemoved, this, [this](int layer) {
        endRemoveRows();
        Q_EMIT dataChanged(layerIndex(layer), layerIndex(layer, ColumnCount - 1));
    });
    connect(d, &CompositionDocument::opAboutToBeMoved, this, [this](int layer, int from, int to) {
        const QModelIndex parent = layerIndex(layer);
        beginMoveRows(parent, from, from, parent, to > from ? to + 1 : to);
    });
    connect(d, &CompositionDocument::opMoved, this, [this] { endMoveRows(); });
    connect(d, &CompositionDocument::opChanged, this, [this](int layer, int row) {
        measure(op(layer, row));
        Q_EMIT dataChanged(opIndex(layer, row), opIndex(layer, row, ColumnCount - 1));
    });
    connect(d, &CompositionDocument::layersAboutToBeReset, this, [this] { beginResetModel(); });
    connect(d, &CompositionDocument::layersReset, this, [this] {
        measureAll();
        endResetModel();
    });
    connect(d, &CompositionDocument::layersChanged, this, &ComposerModel::layersChanged);
}

quint32 ComposerModel::effectiveMode(const LayerOp &op)
{
    if (op.mode)
        return *op.mode;
    switch (op.kind) {
    case LayerOp::AddHost: {
        // The host's own mode, as the writer takes it.
        struct stat st;
        return ::lstat(QFile::encodeName(op.hostPath).constData(), &st) == 0 ? quint32(st.st_mode & 07777) : 0644u;
    }
    default:
        return defaultMode(op.kind).value_or(0644);
    }
}

void ComposerModel::measure(const LayerOp &op)
{
    if (op.kind != LayerOp::AddHost)
        return;
    const QString path = op.hostPath;
    const QFileInfo info(path);
    if (!info.isDir() || info.isSymLink()) {
        if (info.exists())
            m_fileBytes.insert(path, info.isSymLink() ? 0 : info.size());
        else
            m_fileBytes.remove(path);
        return;
    }
    if (m_folderBytes.contains(path))
        return;
    // A dropped folder can hold a hundred thousand files: counted on a worker, shown when done.
    m_folderBytes.insert(path, -1);
    auto &job = m_measuring[path];
    job = std::make_unique<LatestJob<qint64>>(this);
    job->start(
        [path](const Progress &progress) {
            qint64 bytes = 0;
            QDirIterator it(
                path, QDir::Files | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
            while (it.hasNext() && !progress.cancelled()) {
                it.next();
                if (!it.fileInfo().isSymLink())
                    bytes += it.fileInfo().size();
            }
            return bytes;
        },
        [this, path](qint64 bytes) { folderMeasured(path, bytes); });
}

void ComposerModel::measureAll()
{
    for (int l = 0; l < layerCount(); ++l)
        for (int r = 0; r < opCount(l); ++r)
            measure(op(l, r));
}

void ComposerModel::folderMeasured(const QString &path, qint64 bytes)
{
    m_folderBytes.insert(path, bytes);
    for (int l = 0; l < layerCount(); ++l)
        for (int r = 0; r < opCount(l); ++r)
            if (op(l, r).kind == LayerOp::AddHost && op(l, r).hostPath == path)
                Q_EMIT dataChanged(opIndex(l, r, SizeColumn), opIndex(l, r, SizeColumn));
}

bool ComposerModel::isHostFolder(const LayerOp &op) const
{
    return op.kind == LayerOp::AddHost && m_folderBytes.contains(op.hostPath);
}

qint64 ComposerModel::bytesOf(const LayerOp &op) const
{
    if (op.kind == LayerOp::WriteText)
        return op.text.size();
    if (op.kind != LayerOp::AddHost)
        return -1;
    return isHostFolder(op) ? m_folderBytes.value(op.hostPath) : m_fileBytes.value(op.hostPath, -1);
}

// Edits: the document's.

QList<LayerSpec> ComposerModel::layers() const
{
    return m_document->layers();
}

int ComposerModel::layerCount() const
{
    return m_document->layerCount();
}

const LayerOp &ComposerModel::op(int layer, int row) const
{
    return m_document->op(layer, row);
}

int ComposerModel::opCount(int layer) const
{
    return m_document->opCount(layer);
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
    return createIndex(row, column, quintptr(m_document->layerId(layer)));
}

int ComposerModel::layerOf(const QModelIndex &index) const
{
    if (!index.isValid())
        return -1;
    return index.internalId() == 0 ? index.row() : m_document->layerRow(quint32(index.internalId()));
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
    return layerIndex(m_document->layerRow(quint32(child.internalId())));
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
        const int layer = index.row();
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
            return tr("New layer %1").arg(m_document->layerId(layer));
        if (role == Qt::DisplayRole && index.column() == TypeColumn)
            return opCount(layer) == 0 ? tr("empty: drop files on the result")
                : opCount(layer) == 1  ? tr("1 entry")
                                       : tr("%1 entries").arg(opCount(layer));
        return {};
    }
    const int layer = layerOf(index);
    if (layer < 0)
        return {};
    const LayerOp &op = this->op(layer, index.row());
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
        return kindName(op.kind, isHostFolder(op));
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
        const qint64 bytes = bytesOf(op);
        return bytes >= 0 ? sizeText(bytes) : isHostFolder(op) ? tr("counting…") : QString();
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
    LayerOp op = this->op(layer, index.row());
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
        const auto mode = lamina::parseMode(text);
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
    m_document->setOp(layer, index.row(), op); // nothing changed: no step

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
