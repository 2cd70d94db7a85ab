// SPDX-License-Identifier: MIT
#include "archivemapmodel.h"
#include "common/sizetext.h"
#include "common/tones.h"

#include <QBrush>
#include <QColor>
#include <QLocale>

namespace lamina {

ArchiveMapModel::ArchiveMapModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void ArchiveMapModel::setRows(const QList<MemberRow> &rows)
{
    beginResetModel();
    m_rows = rows;
    m_marked.clear();
    endResetModel();
}

void ArchiveMapModel::setMarked(const QStringList &paths)
{
    m_marked = QSet<QString>(paths.begin(), paths.end());
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1), { Qt::BackgroundRole });
}

bool ArchiveMapModel::isMarked(int row) const
{
    return row >= 0 && row < m_rows.size() && m_marked.contains(m_rows.at(row).path);
}

int ArchiveMapModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ArchiveMapModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ArchiveMapModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const MemberRow &r = m_rows.at(index.row());
    switch (role) {
    case MemberIndexRole:
        return r.member;
    case Qt::BackgroundRole:
        return isMarked(index.row()) ? QBrush(markColor()) : QVariant();
    case Qt::TextAlignmentRole:
        return index.column() == SizeColumn ? QVariant(Qt::AlignRight | Qt::AlignVCenter) : QVariant();
    case Qt::ToolTipRole:
        return index.column() == MemberColumn ? r.path : QVariant();
    case Qt::DisplayRole:
        break;
    default:
        return {};
    }
    switch (index.column()) {
    case RoleColumn: {
        // A link with no role of its own is just a link; one named for a role says it is a link.
        if (r.link && (r.role == MemberRole::Unknown || r.role == MemberRole::UnreferencedBlob))
            return tr("link");
        const QString name = memberRoleName(r.role);
        return r.link ? tr("%1 (link)").arg(name) : name;
    }
    case ReadersColumn:
        return memberReadersName(r.readers);
    case SizeColumn:
        return r.type == MemberType::File ? sizeText(r.size) : QString();
    case MemberColumn:
        if (!r.link)
            return r.path;
        return QStringLiteral("%1 → %2").arg(
            r.path, r.linkError.isEmpty() ? r.linkTarget : tr("(unresolved: %1)").arg(r.linkError));
    default:
        return {};
    }
}

QVariant ArchiveMapModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case RoleColumn:
        return tr("Role");
    case ReadersColumn:
        return tr("Read by");
    case SizeColumn:
        return tr("Size");
    case MemberColumn:
        return tr("Member");
    default:
        return {};
    }
}

} // namespace lamina
