// SPDX-License-Identifier: MIT
#pragma once

#include "format/memberroles.h"

#include <QAbstractTableModel>
#include <QSet>

namespace lamina {

/// The archive map: every member but folders, with its role and the loaders that read it
/// (memberRows), and the members a selected finding concerns marked.
class ArchiveMapModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    // Role first: what a member is matters more than its (often 64-hex) name.
    enum Column { RoleColumn, ReadersColumn, SizeColumn, MemberColumn, ColumnCount };
    enum { MemberIndexRole = Qt::UserRole + 1 }; ///< the member's index in the archive (int)

    explicit ArchiveMapModel(QObject *parent = nullptr);

    void setRows(const QList<MemberRow> &rows);
    const QList<MemberRow> &rows() const { return m_rows; }
    /// Marks the members with these paths (a finding's members); links are marked by their own name.
    void setMarked(const QStringList &paths);
    bool isMarked(int row) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<MemberRow> m_rows;
    QSet<QString> m_marked;
};

} // namespace lamina
