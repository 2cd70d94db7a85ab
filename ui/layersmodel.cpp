// SPDX-License-Identifier: MIT
#include "layersmodel.h"
#include "common/sizetext.h"
#include "common/tones.h"

#include "format/inspectreport.h"

#include <QBrush>
#include <QColor>
#include <QLocale>

namespace lamina {

void LayersModel::setImage(const Image &image)
{
    beginResetModel();
    m_image = image;
    m_sizes = {};
    m_sizesKnown = false;
    m_highlighted.clear();
    m_createdBy.clear();
    // Non-empty history entries map in order onto the layers (docs/formats.md §2.3).
    if (image.config) {
        for (const HistoryEntry &h : image.config->history)
            if (!h.emptyLayer)
                m_createdBy << h.createdBy;
    }
    endResetModel();
    Q_EMIT sizesChanged();
}

void LayersModel::setSizes(const ImageSizes &sizes)
{
    m_sizes = sizes;
    m_sizesKnown = true;
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, StoredColumn), index(rowCount() - 1, CumulativeColumn));
    Q_EMIT sizesChanged();
}

void LayersModel::setLayerIndexed(int layer, int fileCount, qint64 uncompressedSize)
{
    if (layer < 0 || layer >= m_image.layers.size())
        return;
    if (m_sizes.layers.size() < m_image.layers.size())
        m_sizes.layers.resize(m_image.layers.size());
    m_sizes.layers[layer].fileCount = fileCount;
    m_sizes.layers[layer].uncompressedSize = uncompressedSize;
    Q_EMIT dataChanged(index(layer, FilesColumn), index(layer, FilesColumn));
}

void LayersModel::setHighlighted(const QSet<int> &layers)
{
    m_highlighted = layers;
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1), { Qt::BackgroundRole });
}

int LayersModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_image.layers.size());
}

int LayersModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LayersModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ImageLayer &l = m_image.layers.at(index.row());
    const ImageSizes::Layer *s = index.row() < m_sizes.layers.size() ? &m_sizes.layers.at(index.row()) : nullptr;
    // What a layer adds, and the image's size after it, come from the merged tree: until it is
    // built (the layers still being read, or its figures not computed) they are not 0 bytes.
    const ImageSizes::Layer *merged = m_sizesKnown && m_sizes.error.isEmpty() ? s : nullptr;
    if (role == Qt::BackgroundRole && m_highlighted.contains(index.row()))
        return QBrush(markColor());
    if (role == Qt::ForegroundRole && !l.error.isEmpty())
        return QBrush(toneColor(Tone::Error));
    if (role == Qt::TextAlignmentRole
        && (index.column() == StoredColumn || index.column() == FilesColumn || index.column() == ContributionColumn
            || index.column() == CumulativeColumn || index.column() == IndexColumn))
        return int(Qt::AlignRight | Qt::AlignVCenter);
    const QLocale locale;
    if (role == SortRole) {
        switch (index.column()) {
        case IndexColumn:
            return l.index;
        case StoredColumn:
            return l.size;
        case FilesColumn:
            return s ? s->fileCount : -1;
        case ContributionColumn:
            return merged ? merged->contribution : 0;
        case CumulativeColumn:
            return merged ? merged->cumulative : 0;
        default:
            return data(index, Qt::DisplayRole);
        }
    }
    if (role == FullValueRole) {
        switch (index.column()) {
        case DiffIdColumn:
            return l.diffId;
        case DigestColumn:
            return l.digest;
        case LegacyColumn:
            return l.legacyId;
        case CreatedByColumn:
            return m_createdBy.value(index.row());
        default:
            return data(index, Qt::DisplayRole).toString();
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (index.column()) {
        case DiffIdColumn:
        case DigestColumn:
            return QStringLiteral("diff ID %1\nblob %2\n%3").arg(l.diffId, l.digest, l.resolvedPath);
        case LegacyColumn:
            return l.legacyId;
        case CreatedByColumn:
            return m_createdBy.value(index.row());
        default:
            return l.error.isEmpty() ? QVariant() : QVariant(l.error);
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case IndexColumn:
        return l.index;
    case DiffIdColumn:
        return l.diffId.isEmpty() ? tr("—") : shortDigest(l.diffId);
    case DigestColumn:
        return l.digest.isEmpty() ? tr("—") : l.digest == l.diffId ? tr("= diff ID") : shortDigest(l.digest);
    case StoredColumn:
        return l.size >= 0 ? sizeText(l.size) : tr("missing");
    case FilesColumn:
        if (!s || s->uncompressedSize < 0)
            return QString();
        return tr("%1 in %2").arg(locale.toString(s->fileCount), sizeText(s->uncompressedSize));
    case ContributionColumn:
        if (!merged)
            return QString();
        return QString((merged->contribution < 0 ? QStringLiteral("−") : QStringLiteral("+"))
            + sizeText(qAbs(merged->contribution)));
    case CumulativeColumn:
        return merged ? sizeText(merged->cumulative) : QString();
    case CompressionColumn:
        return l.compression == Compression::None ? tr("uncompressed") : compressionName(l.compression);
    case MediaTypeColumn:
        return l.mediaType;
    case LegacyColumn:
        return l.legacyId.left(12);
    case CreatedByColumn:
        return m_createdBy.value(index.row()).simplified();
    }
    return {};
}

QVariant LayersModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal && role == Qt::ToolTipRole)
        return headerToolTip(section);
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case IndexColumn:
        return tr("#");
    case DiffIdColumn:
        return tr("Diff ID");
    case DigestColumn:
        return tr("Blob digest");
    case StoredColumn:
        return tr("Stored");
    case FilesColumn:
        return tr("Files (uncompressed)");
    case ContributionColumn:
        return tr("Adds");
    case CumulativeColumn:
        return tr("Image size");
    case CompressionColumn:
        return tr("Bytes are");
    case MediaTypeColumn:
        return tr("Media type");
    case LegacyColumn:
        return tr("Legacy ID");
    case CreatedByColumn:
        return tr("Created by");
    }
    return {};
}

QString LayersModel::headerToolTip(int section)
{
    // What each figure counts, in the words of docs/layers.md ("Sizes").
    switch (section) {
    case IndexColumn:
        return tr("The layer's position, 0 at the bottom (applied first)");
    case DiffIdColumn:
        return tr("sha256 of the layer's uncompressed tar stream, as the config's rootfs.diff_ids names it");
    case DigestColumn:
        return tr("sha256 of the layer file as stored (the blob), as a manifest names it");
    case StoredColumn:
        return tr("Bytes of the layer file as stored in the archive: the blob, compressed or not");
    case FilesColumn:
        return tr("The regular files in the layer (hard links not counted), and the bytes of its uncompressed tar "
                  "stream (tar headers, padding and whiteouts included)");
    case ContributionColumn:
        return tr("File bytes this layer adds net to what the image shows: Image size here minus Image size at the "
                  "layer below; negative when it deletes or shrinks more than it adds");
    case CumulativeColumn:
        return tr("Bytes of the regular files visible in the image's filesystem at this layer (layers 0 to this one "
                  "merged; what later layers replace or delete counts until they do)");
    case CompressionColumn:
        return tr("How the layer file's bytes are really compressed (from their first bytes)");
    case MediaTypeColumn:
        return tr("The media type the manifest gives the layer");
    case LegacyColumn:
        return tr("The layer's legacy <id>/ folder (Docker's v1 layout)");
    case CreatedByColumn:
        return tr("The config's history line that made the layer");
    }
    return {};
}

} // namespace lamina
