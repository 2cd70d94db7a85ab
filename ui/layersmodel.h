// SPDX-License-Identifier: MIT
#pragma once

#include "format/imagearchive.h"
#include "layers/imagelayers.h"

#include <QAbstractTableModel>
#include <QSet>

namespace lamina {

/// An image's layers in manifest order (bottom first): digests, sizes, compression, legacy ID and
/// the history line that made each. Sizes arrive later, once the layers are indexed.
class LayersModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column {
        IndexColumn,
        DiffIdColumn,
        DigestColumn,
        StoredColumn,
        FilesColumn,
        ContributionColumn,
        CumulativeColumn,
        CompressionColumn,
        MediaTypeColumn,
        LegacyColumn,
        CreatedByColumn,
        ColumnCount
    };
    static constexpr int SortRole = Qt::UserRole + 1;
    /// A cell's whole value, what Ctrl+C copies: the full digest, ID or command the cell shortens.
    static constexpr int FullValueRole = Qt::UserRole + 2;

    using QAbstractTableModel::QAbstractTableModel;
    void setImage(const Image &image);
    void setSizes(const ImageSizes &sizes);
    /// The sizes given by setSizes(): empty until the layers are indexed.
    const ImageSizes &sizes() const { return m_sizes; }
    /// True once setSizes() gave this image's figures (setImage() forgets them).
    bool sizesKnown() const { return m_sizesKnown; }
    /// One layer indexed: its own figures show at once, before the merge gives the rest.
    void setLayerIndexed(int layer, int fileCount, qint64 uncompressedSize);
    void setHighlighted(const QSet<int> &layers);
    /// The image shown.
    const Image &image() const { return m_image; }
    /// The whole history line that made layer `row` ("" when the config has none).
    QString createdBy(int row) const { return m_createdBy.value(row); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

Q_SIGNALS:
    /// The image's sizes were given, or forgotten for another image.
    void sizesChanged();

private:
    static QString headerToolTip(int section);

    Image m_image;
    QStringList m_createdBy;
    ImageSizes m_sizes;
    bool m_sizesKnown = false;
    QSet<int> m_highlighted;
};

} // namespace lamina
