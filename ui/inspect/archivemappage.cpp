// SPDX-License-Identifier: MIT
#include "archivemappage.h"

#include "archive/archive.h"
#include "archivemapmodel.h"
#include "common/copyaction.h"
#include "jsonhighlighter.h"
#include "util/textsniff.h"

#include <QFontDatabase>
#include <QHeaderView>
#include <QJsonDocument>
#include <QPlainTextEdit>
#include <QTableView>

namespace lamina {

ArchiveMapPage::ArchiveMapPage(QWidget *parent)
    : QSplitter(Qt::Horizontal, parent)
{
    setObjectName(QStringLiteral("mapSplit"));
    m_model = new ArchiveMapModel(this);
    m_members = new QTableView;
    m_members->setTabKeyNavigation(false); // Tab moves to the next widget; the arrows move in the table
    m_members->setObjectName(QStringLiteral("members"));
    m_members->setModel(m_model);
    m_members->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_members->setSelectionMode(QAbstractItemView::SingleSelection);
    m_members->verticalHeader()->hide();
    m_members->horizontalHeader()->setStretchLastSection(true);
    m_members->setWordWrap(false);
    // A member's path ends in what it is (/json, /layer.tar, a digest's tail): keep both ends.
    m_members->setTextElideMode(Qt::ElideMiddle);
    m_members->verticalHeader()->setDefaultSectionSize(m_members->fontMetrics().height() + 8);
    RowMenu::install(
        m_members, QStringLiteral("memberMenu"),
        [this](const QModelIndex &index) { return m_model->rows().value(index.row()).path; },
        [this](const QModelIndex &index, QObject *parent) { return memberActions(index.row(), parent); });
    m_raw = new QPlainTextEdit;
    m_raw->setObjectName(QStringLiteral("memberContent"));
    m_raw->setReadOnly(true);
    m_raw->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    new JsonHighlighter(m_raw->document());
    addWidget(m_members);
    addWidget(m_raw);
    setSizes({ 700, 500 });
    connect(
        m_members->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex &index) {
            showMember(index.isValid() ? index.data(ArchiveMapModel::MemberIndexRole).toInt() : -1);
        });
}

void ArchiveMapPage::setArchive(const ImageArchive &archive)
{
    m_archive = archive;
    m_memberJob.cancel();
    m_raw->clear();
    m_model->setRows(memberRows(archive));
    // Measured when seen: fitting the columns of a 200-layer archive's rows took a sixth of the
    // UI thread's longest stall when an archive was opened on another page.
    m_fitPending = true;
    if (isVisible())
        fitColumns();
}

void ArchiveMapPage::fitColumns()
{
    if (!std::exchange(m_fitPending, false))
        return;
    for (int c = 0; c < ArchiveMapModel::MemberColumn; ++c)
        m_members->resizeColumnToContents(c);
    m_members->setColumnWidth(
        ArchiveMapModel::RoleColumn, std::min(m_members->columnWidth(ArchiveMapModel::RoleColumn), 260));
}

void ArchiveMapPage::showEvent(QShowEvent *event)
{
    fitColumns();
    QSplitter::showEvent(event);
}

void ArchiveMapPage::selectMember(int member)
{
    for (int row = 0; row < m_model->rowCount(); ++row)
        if (m_model->rows().at(row).member == member) {
            m_members->setCurrentIndex(m_model->index(row, 0));
            m_members->scrollTo(m_model->index(row, 0));
            return;
        }
}

int ArchiveMapPage::selectedMember() const
{
    return m_members->currentIndex().isValid()
        ? m_members->currentIndex().data(ArchiveMapModel::MemberIndexRole).toInt()
        : -1;
}

void ArchiveMapPage::setMarked(const QStringList &paths)
{
    m_model->setMarked(paths);
}

void ArchiveMapPage::showMember(int member)
{
    if (member < 0 || !m_archive.archive) {
        m_memberJob.cancel();
        m_raw->clear();
        return;
    }
    // Read off the UI thread: a member of a compressed archive is decompressed up to it.
    const std::shared_ptr<const Archive> archive = m_archive.archive;
    m_memberJob.start([archive, member](const Progress &) { return memberText(*archive, member); },
        [this](QString text) {
            m_raw->setPlainText(text);
            Q_EMIT memberShown();
        });
}

QList<QAction *> ArchiveMapPage::memberActions(int row, QObject *parent)
{
    QList<QAction *> out;
    if (row < 0 || row >= m_model->rows().size())
        return out;
    const MemberRow &r = m_model->rows().at(row);
    addCopyAction(out, tr("Copy member path"), r.path, parent);
    addCopyAction(out, tr("Copy digest"), digestClaimedByName(r.path), parent);
    addCopyAction(out, tr("Copy link target"), r.link ? r.linkTarget : QString(), parent);
    return out;
}

QString ArchiveMapPage::memberText(const Archive &ar, int member)
{
    const Archive::Resolved r = ar.resolve(ar.member(member).path);
    if (r.index < 0)
        return r.error;
    // Metadata members are small; a layer shows its first bytes only (Archive::read refuses
    // more than it is allowed without reading).
    const Member &m = ar.member(r.index);
    // Not fetched for a look at its first bytes: a registry's layer comes when its files are indexed.
    if (ar.isDeferred(r.index))
        return tr("(%1 bytes, still in the registry: a layer is fetched when something first reads it, such as "
                  "the indexing of its files; the digest in its name is checked when it comes)")
            .arg(m.size);
    const Archive::ReadResult data = ar.read(r.index, std::min<qint64>(m.size, 4 << 20));
    if (!data.ok()) {
        const QByteArray head = ar.head(r.index);
        if (head.size() < std::min<qint64>(kHeadSize, m.size))
            return hexDump(head)
                + tr("\n(the first %1 bytes, kept while the compressed archive was read; %2 bytes in all)")
                      .arg(head.size())
                      .arg(m.size);
        return hexDump(head) + tr("\n(%1 bytes in all)").arg(m.size);
    }
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(data.data, &err);
    if (err.error == QJsonParseError::NoError)
        return QString::fromUtf8(doc.toJson(QJsonDocument::Indented));
    if (const TextKind kind = sniffText(data.data); kind != TextKind::Binary)
        return decodeText(data.data, kind);
    return hexDump(data.data.left(16 * 1024));
}

} // namespace lamina
