// SPDX-License-Identifier: MIT
#include "historydialog.h"

#include "common/sizetext.h"
#include "util/linediff.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace lamina {

HistoryDialog::HistoryDialog(const ImageArchive &archive, int image, const MergedTree::Layers &layers,
    const QByteArray &path, const QStringList &createdBy, QWidget *parent)
    : QDialog(parent)
    , m_archive(archive)
    , m_image(image)
    , m_layers(layers)
    , m_createdBy(createdBy)
{
    setObjectName(QStringLiteral("historyDialog"));
    setWindowTitle(tr("History of /%1 — Lamina").arg(QString::fromUtf8(path)));
    m_status = new QLabel(tr("Reading the layers that store /%1…").arg(QString::fromUtf8(path)));
    m_status->setWordWrap(true);
    m_events = new QTreeWidget;
    m_events->setObjectName(QStringLiteral("historyEvents"));
    m_events->setRootIsDecorated(false);
    m_events->setUniformRowHeights(true);
    m_events->setAlternatingRowColors(true);
    m_events->setHeaderLabels({ tr("Layer"), tr("Δ"), tr("Path"), tr("Type"), tr("Mode"), tr("Owner"), tr("Size"),
        tr("Content"), tr("Created by") });
    m_events->headerItem()->setToolTip(1, tr("A added, M written again (content, mode or owner), D removed"));
    m_events->headerItem()->setToolTip(7, tr("sha256 of the bytes this layer stores for the file"));
    m_preview = new QPlainTextEdit;
    m_preview->setObjectName(QStringLiteral("versionPreview"));
    m_preview->setReadOnly(true);
    m_preview->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_preview->setPlaceholderText(tr("Select a version to see the bytes that layer stores."));
    auto *split = new QSplitter(Qt::Vertical);
    split->addWidget(m_events);
    split->addWidget(m_preview);
    split->setSizes({ 220, 260 });
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_status);
    layout->addWidget(split, 1);
    layout->addWidget(buttons);
    resize(900, 560);
    m_events->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_events->setToolTip(tr("Select a version to see its bytes; select two (Ctrl+click) to compare them"));
    connect(m_events, &QTreeWidget::itemSelectionChanged, this, &HistoryDialog::selectionChanged);

    // Hashing every stored copy reads the layers: on a worker.
    const ImageArchive ia = m_archive;
    const MergedTree::Layers all = m_layers;
    m_job.start(
        [ia, image, all, path](const Progress &progress) { return pathHistory(ia, image, all, path, true, progress); },
        [this](QList<PathEvent> events) { showEvents(events); });
}

void HistoryDialog::showEvents(const QList<PathEvent> &events)
{
    m_found = events;
    m_status->setText(events.isEmpty()
            ? tr("No layer stores or removes this path.")
            : tr("%n change(s), bottom layer first. Select one to see its bytes.", nullptr, int(events.size())));
    for (int i = 0; i < events.size(); ++i) {
        const PathEvent &e = events.at(i);
        auto *item = new QTreeWidgetItem(m_events);
        const bool removed = e.change == Change::Removed;
        item->setText(0, QString::number(e.layer));
        item->setText(1, changeLetter(e.change));
        item->setText(2, u'/' + QString::fromUtf8(e.path));
        item->setText(3, removed ? tr("removed") : entryTypeName(e.type));
        if (!removed) {
            item->setText(4, QString::number(e.mode, 8).rightJustified(4, u'0'));
            item->setText(5, QStringLiteral("%1:%2").arg(e.uid).arg(e.gid));
            item->setText(6, e.type == EntryType::File ? sizeText(e.size) : QString());
            item->setText(7, e.digest.isEmpty() ? e.error : e.digest.mid(7, 12));
            item->setToolTip(7, e.digest.isEmpty() ? e.error : e.digest);
        }
        const QString command = m_createdBy.value(e.layer);
        item->setText(8, command.simplified());
        item->setToolTip(8, command);
        item->setData(0, Qt::UserRole, i);
    }
    for (int c = 0; c < 8; ++c)
        m_events->resizeColumnToContents(c);
    Q_EMIT historyShown();
}

void HistoryDialog::selectionChanged()
{
    const QList<QTreeWidgetItem *> picked = m_events->selectedItems();
    if (picked.size() != 2) {
        showVersion();
        return;
    }
    const int x = picked.at(0)->data(0, Qt::UserRole).toInt(), y = picked.at(1)->data(0, Qt::UserRole).toInt();
    compareVersions(m_found.at(std::min(x, y)), m_found.at(std::max(x, y)));
}

void HistoryDialog::compareVersions(const PathEvent &older, const PathEvent &newer)
{
    m_previewJob.cancel();
    m_compareJob.cancel();
    m_preview->clear();
    const auto name
        = [](const PathEvent &e) { return QStringLiteral("layer %1 /%2").arg(e.layer).arg(QString::fromUtf8(e.path)); };
    const auto isFile = [](const PathEvent &e) { return e.change != Change::Removed && e.type == EntryType::File; };
    if (!isFile(older) || !isFile(newer)) {
        m_preview->setPlainText(tr("Only two stored files can be compared."));
        Q_EMIT previewShown();
        return;
    }
    if (!older.digest.isEmpty() && older.digest == newer.digest) {
        m_preview->setPlainText(tr("%1 and %2 store the same bytes (%3).").arg(name(older), name(newer), older.digest));
        Q_EMIT previewShown();
        return;
    }
    const ImageArchive ia = m_archive;
    const int image = m_image;
    const MergedTree::Layers layers = m_layers;
    const QString header = QStringLiteral("--- %1\n+++ %2\n").arg(name(older), name(newer));
    m_compareJob.start(
        [ia, image, layers, older, newer, header](const Progress &progress) -> QString {
            const FilePreview a
                = LayersPage::readPreview(ia, image, layers, older.layer, older.entry, older.size, progress);
            const FilePreview b
                = LayersPage::readPreview(ia, image, layers, newer.layer, newer.entry, newer.size, progress);
            const QList<DiffLine> lines = diffLines(a.text.split(u'\n'), b.text.split(u'\n'));
            if (lines.isEmpty())
                return header + tr("Too many lines to compare here; the digests differ.");
            const bool partial = a.bytesRead < older.size || b.bytesRead < newer.size;
            return header + unifiedText(lines)
                + (partial ? tr("(the first %1 of each compared)").arg(sizeText(LayersPage::kPreviewBytes))
                           : QString());
        },
        [this](QString text) {
            m_preview->setPlainText(text);
            Q_EMIT previewShown();
        });
}

void HistoryDialog::showVersion()
{
    m_previewJob.cancel();
    m_compareJob.cancel();
    m_preview->clear();
    const QTreeWidgetItem *item = m_events->currentItem();
    if (!item)
        return;
    const PathEvent &e = m_found.at(item->data(0, Qt::UserRole).toInt());
    if (e.change == Change::Removed || e.type != EntryType::File) {
        m_preview->setPlainText(e.change == Change::Removed
                ? tr("Layer %1 removed /%2.").arg(e.layer).arg(QString::fromUtf8(e.path))
                : e.linkTarget.isEmpty() ? tr("%1, no content to show").arg(entryTypeName(e.type))
                                         : tr("%1 to %2").arg(entryTypeName(e.type), QString::fromUtf8(e.linkTarget)));
        Q_EMIT previewShown();
        return;
    }
    const ImageArchive ia = m_archive;
    const int image = m_image;
    const MergedTree::Layers layers = m_layers;
    const int layer = e.layer, entry = e.entry;
    const qint64 size = e.size;
    m_previewJob.start(
        [ia, image, layers, layer, entry, size](const Progress &progress) {
            return LayersPage::readPreview(ia, image, layers, layer, entry, size, progress);
        },
        [this](FilePreview preview) {
            m_preview->setPlainText(preview.picture.isNull() ? preview.text : tr("A picture (see the Preview tab)."));
            Q_EMIT previewShown();
        });
}

} // namespace lamina
