// SPDX-License-Identifier: MIT
#include "findingsmodel.h"
#include "common/tones.h"

#include <QApplication>
#include <QBrush>
#include <QIcon>
#include <QStyle>

namespace lamina {

void FindingsModel::setFindings(QList<Finding> findings)
{
    beginResetModel();
    m_findings = std::move(findings);
    endResetModel();
}

void FindingsModel::setMarked(const QStringList &codes)
{
    m_marked = codes;
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1), { Qt::BackgroundRole });
}

bool FindingsModel::isMarked(int row) const
{
    return row >= 0 && row < m_findings.size() && m_marked.contains(m_findings.at(row).code);
}

int FindingsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_findings.size());
}

int FindingsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant FindingsModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Finding &f = m_findings.at(index.row());
    if (role == SeverityRole)
        return int(f.severity);
    if (role == FindingIndexRole)
        return index.row();
    if (role == Qt::BackgroundRole && isMarked(index.row()))
        return QBrush(markColor());
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case SeverityColumn:
            return severityName(f.severity);
        case CodeColumn:
            return f.code;
        case MessageColumn:
            return f.message;
        }
    }
    if (role == Qt::ToolTipRole)
        return codeInfo(f.code).title;
    if (role == Qt::DecorationRole && index.column() == SeverityColumn) {
        const QStyle *style = QApplication::style();
        switch (f.severity) {
        case Severity::Error:
            return style->standardIcon(QStyle::SP_MessageBoxCritical);
        case Severity::Warning:
            return style->standardIcon(QStyle::SP_MessageBoxWarning);
        case Severity::Info:
            return style->standardIcon(QStyle::SP_MessageBoxInformation);
        }
    }
    return {};
}

QVariant FindingsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case SeverityColumn:
        return tr("Severity");
    case CodeColumn:
        return tr("Code");
    case MessageColumn:
        return tr("Finding");
    }
    return {};
}

} // namespace lamina
