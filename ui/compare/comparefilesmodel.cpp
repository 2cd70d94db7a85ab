// SPDX-License-Identifier: MIT
#include "comparefilesmodel.h"

#include "common/sizetext.h"
#include "common/tones.h"

#include <QDateTime>

namespace lamina {

namespace {

qint64 sizeA(const ImageDiff::File &f)
{
    return f.change == Change::Added ? 0 : f.sizeA;
}

qint64 sizeB(const ImageDiff::File &f)
{
    return f.change == Change::Removed ? 0 : f.sizeB;
}

QString modeText(quint16 mode)
{
    return QString::number(mode, 8).rightJustified(4, u'0');
}

QString timeText(qint64 t)
{
    return QDateTime::fromSecsSinceEpoch(t, Qt::UTC).toString(Qt::ISODate);
}

} // namespace

QString fileChangeText(const ImageDiff::File &f)
{
    if (f.change == Change::Added)
        return QCoreApplication::translate("lamina", "only in B: %1").arg(entryTypeName(f.typeB));
    if (f.change == Change::Removed)
        return QCoreApplication::translate("lamina", "only in A: %1").arg(entryTypeName(f.typeA));
    QStringList parts;
    if (f.causes & CauseType)
        parts << QStringLiteral("type %1 → %2").arg(entryTypeName(f.typeA), entryTypeName(f.typeB));
    if (f.causes & CauseContent)
        parts << QStringLiteral("content");
    if (f.causes & CauseSize)
        parts << QStringLiteral("size %1 → %2").arg(sizeText(f.sizeA), sizeText(f.sizeB));
    if (f.causes & CauseLink)
        parts << QStringLiteral("link %1 → %2").arg(QString::fromUtf8(f.linkA), QString::fromUtf8(f.linkB));
    if (f.causes & CauseMode)
        parts << QStringLiteral("mode %1 → %2").arg(modeText(f.modeA), modeText(f.modeB));
    if (f.causes & CauseOwner)
        parts << QStringLiteral("owner %1:%2 → %3:%4").arg(f.uidA).arg(f.gidA).arg(f.uidB).arg(f.gidB);
    if (f.causes & CauseXattrs)
        parts << QStringLiteral("extended attributes");
    if (!f.compared)
        parts << QStringLiteral("bytes not compared (unreadable)");
    if (f.causes & CauseMtime)
        parts << QStringLiteral("mtime %1 → %2").arg(timeText(f.mtimeA), timeText(f.mtimeB));
    return parts.join(QStringLiteral(", "));
}

void CompareFilesModel::setDiff(std::shared_ptr<const ImageDiff> diff)
{
    beginResetModel();
    m_diff = std::move(diff);
    rebuild();
    endResetModel();
}

void CompareFilesModel::setFilter(const QString &text)
{
    const QByteArray wanted = text.toUtf8();
    if (wanted == m_filter)
        return;
    beginResetModel();
    m_filter = wanted;
    rebuild();
    endResetModel();
}

void CompareFilesModel::rebuild()
{
    m_rows.clear();
    if (!m_diff)
        return;
    const QList<ImageDiff::File> &files = m_diff->files;
    m_rows.reserve(files.size());
    for (int i = 0; i < files.size(); ++i)
        // ASCII letters fold, other bytes compare as they are; no path is copied per keystroke.
        if (m_filter.isEmpty()
            || QLatin1String(files.at(i).path).contains(QLatin1String(m_filter), Qt::CaseInsensitive))
            m_rows << i;
    const auto key = [this](const ImageDiff::File &f) -> qint64 {
        switch (m_sortColumn) {
        case SizeAColumn:
            return sizeA(f);
        case SizeBColumn:
            return sizeB(f);
        case DeltaColumn:
            return sizeB(f) - sizeA(f);
        case ChangeColumn:
            return qint64(f.change);
        case CausesColumn:
            return f.causes;
        default:
            return 0;
        }
    };
    // The list arrives in path order: a stable sort keeps it within equal keys.
    if (m_sortColumn != PathColumn)
        std::stable_sort(
            m_rows.begin(), m_rows.end(), [&](int x, int y) { return key(files.at(x)) < key(files.at(y)); });
    if (m_sortOrder == Qt::DescendingOrder)
        std::reverse(m_rows.begin(), m_rows.end());
}

void CompareFilesModel::sort(int column, Qt::SortOrder order)
{
    Q_EMIT layoutAboutToBeChanged();
    // The current row and selection follow their files to the new rows.
    const QModelIndexList before = persistentIndexList();
    QList<int> files;
    files.reserve(before.size());
    for (const QModelIndex &i : before)
        files << m_rows.value(i.row(), -1);
    m_sortColumn = column;
    m_sortOrder = order;
    rebuild();
    QHash<int, int> rowOfFile;
    rowOfFile.reserve(before.size());
    for (const int f : std::as_const(files))
        rowOfFile.insert(f, -1);
    for (int row = 0; row < m_rows.size(); ++row)
        if (const auto it = rowOfFile.find(m_rows.at(row)); it != rowOfFile.end())
            *it = row;
    QModelIndexList after;
    after.reserve(before.size());
    for (int k = 0; k < before.size(); ++k) {
        const int row = rowOfFile.value(files.at(k), -1);
        after << (row < 0 ? QModelIndex() : index(row, before.at(k).column()));
    }
    changePersistentIndexList(before, after);
    Q_EMIT layoutChanged();
}

int CompareFilesModel::rowOf(const QByteArray &path) const
{
    if (!m_diff)
        return -1;
    for (int row = 0; row < m_rows.size(); ++row)
        if (m_diff->files.at(m_rows.at(row)).path == path)
            return row;
    return -1;
}

int CompareFilesModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int CompareFilesModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant CompareFilesModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const ImageDiff::File &f = file(index.row());
    if (role == FileIndexRole)
        return m_rows.at(index.row());
    if (role == Qt::TextAlignmentRole && index.column() >= SizeAColumn)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ForegroundRole && index.column() == ChangeColumn)
        return toneColor(f.change == Change::Added ? Tone::Added
                : f.change == Change::Removed      ? Tone::Error
                                                   : Tone::Changed);
    if (role == Qt::ToolTipRole)
        return QStringLiteral("/%1\n%2").arg(QString::fromUtf8(f.path), fileChangeText(f));
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case PathColumn:
        return QString(QStringLiteral("/") + QString::fromUtf8(f.path));
    case ChangeColumn:
        return changeWord(f.change);
    case CausesColumn:
        return f.change == Change::Modified ? diffCauseNames(f.causes).join(QStringLiteral(", "))
                                            : entryTypeName(f.change == Change::Added ? f.typeB : f.typeA);
    case SizeAColumn:
        return f.change == Change::Added || f.typeA != EntryType::File ? QString() : sizeText(f.sizeA);
    case SizeBColumn:
        return f.change == Change::Removed || f.typeB != EntryType::File ? QString() : sizeText(f.sizeB);
    case DeltaColumn: {
        const qint64 d = sizeB(f) - sizeA(f);
        return d == 0 ? QString() : (d > 0 ? QStringLiteral("+") : QStringLiteral("−")) + sizeText(std::abs(d));
    }
    default:
        return {};
    }
}

QVariant CompareFilesModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case CausesColumn:
            return tr("What differs: content (the bytes), size, mode, owner, type, link (a symlink's target), mtime");
        case SizeAColumn:
            return tr("The file's bytes in A (a hard link counts the file it names)");
        case SizeBColumn:
            return tr("The file's bytes in B");
        case DeltaColumn:
            return tr("B's size less A's: how much the path grew or shrank");
        default:
            return {};
        }
    }
    if (role != Qt::DisplayRole)
        return {};
    switch (section) {
    case PathColumn:
        return tr("Path");
    case ChangeColumn:
        return tr("Change");
    case CausesColumn:
        return tr("What differs");
    case SizeAColumn:
        return tr("Size in A");
    case SizeBColumn:
        return tr("Size in B");
    case DeltaColumn:
        return tr("Δ size");
    default:
        return {};
    }
}

} // namespace lamina
