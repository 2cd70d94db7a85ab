// SPDX-License-Identifier: MIT
#pragma once

#include "check/finding.h"

#include <QAbstractTableModel>

namespace lamina {

/// The findings of an archive: severity, code, message. A snapshot: setFindings() swaps the whole
/// list in with one reset.
class FindingsModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { SeverityColumn, CodeColumn, MessageColumn, ColumnCount };
    enum Role { SeverityRole = Qt::UserRole + 1, FindingIndexRole };

    using QAbstractTableModel::QAbstractTableModel;
    void setFindings(QList<Finding> findings);
    const QList<Finding> &findings() const { return m_findings; }
    /// Marks the findings of these codes (those behind a loader's verdict).
    void setMarked(const QStringList &codes);
    bool isMarked(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    QList<Finding> m_findings;
    QStringList m_marked;
};

} // namespace lamina
