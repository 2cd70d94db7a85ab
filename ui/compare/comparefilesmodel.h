// SPDX-License-Identifier: MIT
#pragma once

#include "compare/imagediff.h"

#include <QAbstractTableModel>

#include <memory>

namespace lamina {

/// The paths two images differ in (ImageDiff::files), one row each, filtered by a text in the path
/// and sorted by any column; "Δ size" sorts by how much a path grew or shrank. Filtering and sorting
/// rearrange a list of row numbers: a million paths take a fraction of a second.
class CompareFilesModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { PathColumn, ChangeColumn, CausesColumn, SizeAColumn, SizeBColumn, DeltaColumn, ColumnCount };
    enum Role { FileIndexRole = Qt::UserRole + 1 }; ///< the row's index into ImageDiff::files

    using QAbstractTableModel::QAbstractTableModel;

    void setDiff(std::shared_ptr<const ImageDiff> diff);
    /// Shows only the paths holding `text` (case-insensitive); "" shows all.
    void setFilter(const QString &text);
    const ImageDiff *diff() const { return m_diff.get(); }
    const ImageDiff::File &file(int row) const { return m_diff->files.at(m_rows.at(row)); }
    /// The row showing `path`, or -1.
    int rowOf(const QByteArray &path) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    void sort(int column, Qt::SortOrder order) override;

private:
    void rebuild();

    std::shared_ptr<const ImageDiff> m_diff;
    QList<int> m_rows;
    QByteArray m_filter; ///< lower-case UTF-8
    int m_sortColumn = PathColumn;
    Qt::SortOrder m_sortOrder = Qt::AscendingOrder;
};

/// A changed path's differences in words: "content, mode 0600 → 0644, owner 1000:1000 → 0:0".
QString fileChangeText(const ImageDiff::File &f);

} // namespace lamina
