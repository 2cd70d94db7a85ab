// SPDX-License-Identifier: MIT
#include "comparewindow.h"

#include "common/sizetext.h"
#include "common/tones.h"
#include "comparefilesmodel.h"
#include "inspect/layerspage.h"
#include "util/linediff.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileInfo>
#include <QFontDatabase>
#include <QGridLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QScreen>
#include <QScrollBar>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QTextBlock>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace lamina {

struct CompareWindow::Result
{
    ImageArchive archiveB; ///< B's archive, when it was opened by the job
    bool openedB = false;
    int imageA = 0, imageB = 0;
    MergedTree::Layers layersA, layersB;
    ImageDiff diff;
    QString error; ///< why nothing could be compared
};

/// Two versions of a file, line by line, aligned: a row per line of either side.
struct CompareWindow::SideBySide
{
    enum Kind : quint8 { Same, Changed, OnlyLeft, OnlyRight };
    QStringList left, right;
    QList<Kind> kinds;
    QString note; ///< said under both when the files are not compared line by line
};

namespace {

QString valueText(const QJsonValue &v)
{
    if (v.isUndefined() || v.isNull())
        return QStringLiteral("—");
    if (v.isString())
        return v.toString();
    if (v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    if (v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    return v.toVariant().toString();
}

QString imageTitle(const ImageArchive &archive, int image)
{
    const Image &img = archive.images.at(image);
    QString title = QStringLiteral("%1").arg(image);
    if (!img.tags.isEmpty())
        title += QStringLiteral(": ") + img.tags.join(QStringLiteral(", "));
    if (!img.platform.isEmpty())
        title += QStringLiteral(" (%1)").arg(img.platform.toString());
    return title;
}

QString classMeaning(DiffClass c)
{
    switch (c) {
    case DiffClass::Content:
        return CompareWindow::tr(
            "Files added, removed or with other bytes, type or link target; config fields that change what runs");
    case DiffClass::Ownership:
        return CompareWindow::tr("Files that differ only in mode, owner or extended attributes");
    case DiffClass::Timestamps:
        return CompareWindow::tr("Files that differ only in their modification time");
    case DiffClass::Order:
        return CompareWindow::tr(
            "Layers holding the same files in other tar bytes (entry order, headers), moved, or changing nothing");
    case DiffClass::Compression:
        return CompareWindow::tr("The same layer stored with other compression or other compressed bytes");
    case DiffClass::Metadata:
        return CompareWindow::tr("Config fields that do not change what runs: created, history, labels, …");
    }
    return {};
}

QString className(DiffClass c)
{
    switch (c) {
    case DiffClass::Content:
        return CompareWindow::tr("Content");
    case DiffClass::Ownership:
        return CompareWindow::tr("Owners, modes or xattrs");
    case DiffClass::Timestamps:
        return CompareWindow::tr("Timestamps");
    case DiffClass::Order:
        return CompareWindow::tr("Order or tar headers");
    case DiffClass::Compression:
        return CompareWindow::tr("Compression");
    case DiffClass::Metadata:
        return CompareWindow::tr("Config metadata");
    }
    return {};
}

QString attributesText(const ImageDiff::File &f, bool inA)
{
    const EntryType type = inA ? f.typeA : f.typeB;
    QString text = QStringLiteral("%1, mode %2, owner %3:%4")
                       .arg(entryTypeName(type))
                       .arg(QString::number(inA ? f.modeA : f.modeB, 8).rightJustified(4, u'0'))
                       .arg(inA ? f.uidA : f.uidB)
                       .arg(inA ? f.gidA : f.gidB);
    if (type == EntryType::File)
        text += QStringLiteral(", %1").arg(sizeText(inA ? f.sizeA : f.sizeB));
    if (type == EntryType::Symlink)
        text += QStringLiteral(" → %1").arg(QString::fromUtf8(inA ? f.linkA : f.linkB));
    return text;
}

} // namespace

CompareWindow::CompareWindow(
    const CompareSide &a, const QString &pathB, int imageB, const QByteArray &selectPath, QWidget *parent)
    : QDialog(parent, Qt::Window)
    , m_a(a)
    , m_pathB(pathB)
    , m_selectPath(selectPath)
{
    setObjectName(QStringLiteral("compareWindow"));
    m_b.image = std::max(imageB, 0);
    if (pathB.isEmpty()) {
        m_b.archive = a.archive;
        m_bOpened = true;
    }
    const QString nameB = pathB.isEmpty() ? a.archive.path : pathB;
    setWindowTitle(tr("Compare %1 with %2 — Lamina").arg(shownName(a.archive.path), shownName(nameB)));

    m_imageA = new QComboBox;
    m_imageA->setObjectName(QStringLiteral("compareImageA"));
    m_imageB = new QComboBox;
    m_imageB->setObjectName(QStringLiteral("compareImageB"));
    fillImages(m_imageA, m_a.archive, m_a.image);
    if (m_bOpened)
        fillImages(m_imageB, m_b.archive, m_b.image);
    auto *pathA = new QLabel(m_a.archive.path);
    auto *pathBLabel = new QLabel(nameB);
    for (QLabel *l : { pathA, pathBLabel }) {
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
        l->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    }
    auto *sides = new QGridLayout;
    sides->addWidget(new QLabel(QStringLiteral("<b>A</b>")), 0, 0);
    sides->addWidget(pathA, 0, 1);
    sides->addWidget(new QLabel(tr("image")), 0, 2);
    sides->addWidget(m_imageA, 0, 3);
    sides->addWidget(new QLabel(QStringLiteral("<b>B</b>")), 1, 0);
    sides->addWidget(pathBLabel, 1, 1);
    sides->addWidget(new QLabel(tr("image")), 1, 2);
    sides->addWidget(m_imageB, 1, 3);
    sides->setColumnStretch(1, 1);

    m_summary = new QLabel;
    m_summary->setObjectName(QStringLiteral("compareSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_why = new QTreeWidget;
    m_why->setObjectName(QStringLiteral("compareWhy"));
    m_why->setRootIsDecorated(false);
    m_why->setHeaderLabels({ tr("Why the digests differ"), tr("Count"), tr("Bytes"), tr("What it counts") });
    m_why->headerItem()->setToolTip(1, tr("Files, layers or config fields, as the class counts them"));
    m_why->headerItem()->setToolTip(2, tr("The files' sizes (the larger side) or the layers' stored sizes"));

    m_layers = new QTreeWidget;
    m_layers->setObjectName(QStringLiteral("compareLayers"));
    m_layers->setRootIsDecorated(false);
    m_layers->setAlternatingRowColors(true);
    m_layers->setUniformRowHeights(true);
    m_layers->setHeaderLabels({ tr("A"), tr("Diff ID in A"), tr("Stored in A"), tr("How they relate"), tr("B"),
        tr("Diff ID in B"), tr("Stored in B") });
    m_layers->headerItem()->setToolTip(3,
        tr("Layers are matched by diff ID (the digest of the uncompressed layer) and aligned on the longest "
           "run both share in order"));

    m_config = new QTreeWidget;
    m_config->setObjectName(QStringLiteral("compareConfig"));
    m_config->setRootIsDecorated(false);
    m_config->setAlternatingRowColors(true);
    m_config->setHeaderLabels({ tr("Field"), tr("A"), tr("B"), tr("Class") });
    m_config->headerItem()->setToolTip(0,
        tr("Env by variable, Labels, ExposedPorts and Volumes by key, history by entry; an empty value counts "
           "as not set"));

    m_filter = new QLineEdit;
    m_filter->setObjectName(QStringLiteral("compareFilter"));
    m_filter->setPlaceholderText(tr("Filter paths…"));
    m_filter->setClearButtonEnabled(true);
    m_filesStatus = new QLabel;
    m_files = new CompareFilesModel(this);
    m_filesView = new QTableView;
    m_filesView->setTabKeyNavigation(false); // Tab moves to the next widget; the arrows move in the table
    m_filesView->setObjectName(QStringLiteral("compareFiles"));
    m_filesView->setModel(m_files);
    m_filesView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_filesView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_filesView->setSortingEnabled(true);
    m_filesView->sortByColumn(CompareFilesModel::PathColumn, Qt::AscendingOrder);
    m_filesView->verticalHeader()->hide();
    m_filesView->verticalHeader()->setDefaultSectionSize(m_filesView->fontMetrics().height() + 6);
    m_filesView->horizontalHeader()->setSectionResizeMode(CompareFilesModel::PathColumn, QHeaderView::Stretch);
    m_filesView->setWordWrap(false);
    m_filesView->setTextElideMode(Qt::ElideMiddle); // a path's file name is at its end
    connect(m_filter, &QLineEdit::textChanged, this, [this](const QString &text) {
        m_files->setFilter(text);
        m_filesStatus->setText(
            m_diff ? tr("%1 of %n path(s)", nullptr, int(m_diff->files.size())).arg(m_files->rowCount()) : QString());
    });
    connect(
        m_filesView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &CompareWindow::showSelectedFile);
    // A filter resets the list: the versions shown go with the row that was current.
    connect(m_files, &QAbstractItemModel::modelReset, this, &CompareWindow::showSelectedFile);

    m_fileChange = new QLabel;
    m_fileChange->setObjectName(QStringLiteral("compareFileChange"));
    m_fileChange->setWordWrap(true);
    m_fileChange->setTextInteractionFlags(Qt::TextSelectableByMouse);
    const auto version = [this](QLabel **title, QPlainTextEdit **text, const char *name) {
        *title = new QLabel;
        *text = new QPlainTextEdit;
        (*text)->setObjectName(QString::fromLatin1(name));
        (*text)->setReadOnly(true);
        (*text)->setLineWrapMode(QPlainTextEdit::NoWrap);
        (*text)->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        (*text)->setPlaceholderText(tr("Select a path above to see its two versions, the lines that differ marked."));
        auto *box = new QWidget;
        auto *l = new QVBoxLayout(box);
        l->setContentsMargins(0, 0, 0, 0);
        l->addWidget(*title);
        l->addWidget(*text, 1);
        return box;
    };
    auto *versions = new QSplitter(Qt::Horizontal);
    versions->addWidget(version(&m_titleA, &m_textA, "compareVersionA"));
    versions->addWidget(version(&m_titleB, &m_textB, "compareVersionB"));
    // Both versions scroll together, line for line.
    connect(
        m_textA->verticalScrollBar(), &QScrollBar::valueChanged, m_textB->verticalScrollBar(), &QScrollBar::setValue);
    connect(
        m_textB->verticalScrollBar(), &QScrollBar::valueChanged, m_textA->verticalScrollBar(), &QScrollBar::setValue);
    auto *filesTop = new QWidget;
    auto *filesTopLayout = new QVBoxLayout(filesTop);
    filesTopLayout->setContentsMargins(0, 0, 0, 0);
    auto *filterRow = new QHBoxLayout;
    filterRow->addWidget(m_filter, 1);
    filterRow->addWidget(m_filesStatus);
    filesTopLayout->addLayout(filterRow);
    filesTopLayout->addWidget(m_filesView, 1);
    auto *filesBottom = new QWidget;
    auto *filesBottomLayout = new QVBoxLayout(filesBottom);
    filesBottomLayout->setContentsMargins(0, 0, 0, 0);
    filesBottomLayout->addWidget(m_fileChange);
    filesBottomLayout->addWidget(versions, 1);
    auto *filesSplit = new QSplitter(Qt::Vertical);
    filesSplit->addWidget(filesTop);
    filesSplit->addWidget(filesBottom);
    filesSplit->setSizes({ 300, 260 });

    m_tabs = new QTabWidget;
    m_tabs->setObjectName(QStringLiteral("compareTabs"));
    m_tabs->addTab(m_why, tr("Why"));
    m_tabs->addTab(m_layers, tr("Layers"));
    m_tabs->addTab(m_config, tr("Config"));
    m_tabs->addTab(filesSplit, tr("Files"));

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::close);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(sides);
    layout->addWidget(m_summary);
    layout->addWidget(m_tabs, 1);
    layout->addWidget(buttons);
    // Large enough for the two versions side by side, within the screen.
    const QRect screen = parentWidget() ? parentWidget()->screen()->availableGeometry() : QRect(0, 0, 1280, 720);
    resize(std::min(1100, screen.width() * 9 / 10), std::min(700, screen.height() * 9 / 10));

    connect(m_imageA, &QComboBox::currentIndexChanged, this, &CompareWindow::start);
    connect(m_imageB, &QComboBox::currentIndexChanged, this, &CompareWindow::start);
    start();
}

void CompareWindow::fillImages(QComboBox *box, const ImageArchive &archive, int image)
{
    const QSignalBlocker blocker(box);
    box->clear();
    for (int i = 0; i < archive.images.size(); ++i)
        box->addItem(imageTitle(archive, i));
    box->setCurrentIndex(std::clamp(image, 0, int(archive.images.size()) - 1));
    box->setEnabled(archive.images.size() > 1);
}

void CompareWindow::start()
{
    m_versionsJob.cancel();
    m_summary->setStyleSheet(QString());
    m_summary->setText(tr("Comparing: reading both images' layers…"));
    const CompareSide a = m_a;
    const CompareSide b = m_b;
    const QString openPath = m_bOpened ? QString() : m_pathB;
    const int imageA = std::max(m_imageA->currentIndex(), 0);
    const int imageB = m_bOpened ? std::max(m_imageB->currentIndex(), 0) : m_b.image;
    // The window's own layers of A serve while A's image is the one it showed.
    const bool reuseA = imageA == a.image && !a.layers.isEmpty();
    m_job.start(
        [a, b, openPath, imageA, imageB, reuseA](const Progress &progress) {
            auto r = std::make_shared<Result>();
            r->imageA = imageA;
            r->imageB = imageB;
            const ImageArchive *archiveB = &b.archive;
            if (!openPath.isEmpty()) {
                r->archiveB = openImageArchive(openPath, Progress { {}, progress.cancel });
                r->openedB = true;
                archiveB = &r->archiveB;
                if (!r->archiveB.ok()) {
                    r->error = tr("No image could be read from %1. %2")
                                   .arg(openPath, r->archiveB.errors.join(QStringLiteral("; ")));
                    return r;
                }
            }
            if (imageB >= archiveB->images.size()) {
                r->error = tr("%1 has %n image(s).", nullptr, int(archiveB->images.size())).arg(archiveB->path);
                return r;
            }
            // Progress: A's layers the first half, B's the second.
            const auto half = [&progress](int which) {
                Progress p { {}, progress.cancel };
                p.report = [&progress, which](qint64 done, qint64 total) {
                    if (total > 0)
                        progress.update(which * 500 + done * 500 / total, 1000);
                };
                return p;
            };
            const ImageLayers la
                = reuseA ? ImageLayers { a.layers, {}, false } : indexLayersForDiff(a.archive, imageA, half(0));
            const DiffSide sideA { &a.archive, imageA, la.layers };
            const ImageLayers lb = indexLayersForDiff(*archiveB, imageB, half(1), &sideA);
            r->layersA = la.layers;
            r->layersB = lb.layers;
            r->diff = diffImages({ &a.archive, imageA, la.layers }, { archiveB, imageB, lb.layers }, progress);
            for (const QString &e : la.errors)
                r->diff.errors.prepend(QStringLiteral("A: ") + e);
            for (const QString &e : lb.errors)
                r->diff.errors.prepend(QStringLiteral("B: ") + e);
            return r;
        },
        [this](std::shared_ptr<Result> r) { showResult(r); },
        [this](qint64 done, qint64 total) {
            if (total > 0)
                m_summary->setText(tr("Comparing: reading both images' layers… %1%").arg(done * 100 / total));
        });
}

void CompareWindow::showResult(const std::shared_ptr<Result> &r)
{
    if (r->openedB) {
        m_b.archive = r->archiveB;
        m_bOpened = r->archiveB.ok();
        if (m_bOpened)
            fillImages(m_imageB, m_b.archive, r->imageB);
    }
    if (!r->error.isEmpty()) {
        m_summary->setStyleSheet(errorBannerStyle(palette()));
        m_summary->setText(r->error);
        Q_EMIT compared();
        return;
    }
    m_layersA = r->layersA;
    m_layersB = r->layersB;
    m_shownA = r->imageA;
    m_shownB = r->imageB;
    m_diff = std::make_shared<const ImageDiff>(std::move(r->diff));
    QString summary = m_diff->summary();
    summary[0] = summary.at(0).toUpper();
    if (m_diff->identical())
        summary = tr("<b>The same image.</b> %1.").arg(summary.toHtmlEscaped());
    else if (m_diff->tally(DiffClass::Content).count == 0)
        summary = tr("<b>%1.</b> What runs is the same: the files' bytes and the config fields that matter agree.")
                      .arg(summary.toHtmlEscaped());
    else
        summary = QStringLiteral("<b>%1.</b>").arg(summary.toHtmlEscaped());
    if (!m_diff->errors.isEmpty())
        summary += QStringLiteral("<br>")
            + tr("Not everything could be compared: %1").arg(m_diff->errors.join(QStringLiteral("; ")).toHtmlEscaped());
    m_summary->setText(summary);
    showWhy();
    showLayers();
    showConfig();
    m_files->setDiff(m_diff);
    m_filesStatus->setText(tr("%1 of %n path(s)", nullptr, int(m_diff->files.size())).arg(m_files->rowCount()));
    m_filesView->resizeColumnToContents(CompareFilesModel::ChangeColumn);
    m_filesView->resizeColumnToContents(CompareFilesModel::CausesColumn);
    if (!m_selectPath.isEmpty()) {
        const int row = m_files->rowOf(m_selectPath);
        m_tabs->setCurrentIndex(FilesTab);
        if (row >= 0)
            m_filesView->setCurrentIndex(m_files->index(row, 0));
        else
            m_fileChange->setText(
                tr("/%1 is the same in both images.").arg(QString::fromUtf8(m_selectPath)).toHtmlEscaped());
        m_selectPath.clear();
    }
    Q_EMIT compared();
}

void CompareWindow::showWhy()
{
    m_why->clear();
    for (int c = 0; c < kDiffClassCount; ++c) {
        const DiffClass k = DiffClass(c);
        const ImageDiff::Tally &t = m_diff->tally(k);
        auto *item = new QTreeWidgetItem(m_why);
        item->setText(0, className(k));
        item->setText(1, QString::number(t.count));
        item->setText(2, t.bytes > 0 ? sizeText(t.bytes) : QString());
        item->setText(3, classMeaning(k));
        item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
        if (t.count > 0) {
            QFont bold = item->font(0);
            bold.setBold(true);
            item->setFont(0, bold);
            item->setForeground(0, toneColor(k == DiffClass::Content ? Tone::Error : Tone::Changed, palette()));
        } else {
            item->setForeground(1, palette().color(QPalette::Disabled, QPalette::Text));
        }
    }
    for (int c = 0; c < 3; ++c)
        m_why->resizeColumnToContents(c);
}

void CompareWindow::showLayers()
{
    m_layers->clear();
    const auto stored = [](Compression c, qint64 size) {
        return size < 0 ? QString() : QStringLiteral("%1, %2").arg(sizeText(size), compressionName(c));
    };
    for (const ImageDiff::LayerRow &r : m_diff->layers) {
        auto *item = new QTreeWidgetItem(m_layers);
        if (r.a >= 0) {
            item->setText(0, QString::number(r.a));
            item->setText(1, r.diffIdA.mid(7, 16));
            item->setToolTip(1, r.diffIdA);
            item->setText(2, stored(r.compressionA, r.sizeA));
        }
        if (r.b >= 0) {
            item->setText(4, QString::number(r.b));
            item->setText(5, r.diffIdB.mid(7, 16));
            item->setToolTip(5, r.diffIdB);
            item->setText(6, stored(r.compressionB, r.sizeB));
        }
        QString relation;
        QString why;
        Tone tone = Tone::Success;
        switch (r.kind) {
        case ImageDiff::LayerRow::Shared:
            relation = r.sameFilesOtherBytes ? tr("the same, stored otherwise") : tr("the same");
            why = r.sameFilesOtherBytes
                ? tr("The same diff ID: the same uncompressed bytes, compressed otherwise (%1 → %2)")
                      .arg(compressionName(r.compressionA), compressionName(r.compressionB))
                : tr("The same diff ID, stored alike");
            tone = r.sameFilesOtherBytes ? Tone::Changed : Tone::Success;
            break;
        case ImageDiff::LayerRow::Moved:
            relation = r.a >= 0 ? tr("moved: layer %1 of B").arg(r.movedTo) : tr("moved: layer %1 of A").arg(r.movedTo);
            why = tr("Both images have this layer, in another place of the order: the trees above it may differ");
            tone = Tone::Changed;
            break;
        case ImageDiff::LayerRow::Replaced:
            relation = r.sameFilesOtherBytes ? tr("the same files, other tar bytes") : tr("other layers");
            why = r.sameFilesOtherBytes
                ? tr("The two layers hold the same entries with the same attributes and bytes: only the tar differs "
                     "(entry order, headers)")
                : tr("Different layers at the same place");
            tone = r.sameFilesOtherBytes ? Tone::Changed : Tone::Error;
            break;
        case ImageDiff::LayerRow::OnlyA:
            relation = tr("only in A");
            why = tr("No layer of B has this diff ID");
            tone = Tone::Error;
            break;
        case ImageDiff::LayerRow::OnlyB:
            relation = tr("only in B");
            why = tr("No layer of A has this diff ID");
            tone = Tone::Added;
            break;
        }
        item->setText(3, relation);
        item->setToolTip(3, why);
        item->setForeground(3, toneColor(tone, palette()));
        item->setTextAlignment(0, Qt::AlignRight | Qt::AlignVCenter);
        item->setTextAlignment(4, Qt::AlignRight | Qt::AlignVCenter);
    }
    for (int c = 0; c < 7; ++c)
        m_layers->resizeColumnToContents(c);
}

void CompareWindow::showConfig()
{
    m_config->clear();
    if (m_diff->config.isEmpty()) {
        auto *item = new QTreeWidgetItem(m_config);
        item->setText(0, tr("The configs agree field by field."));
        item->setFirstColumnSpanned(true);
        return;
    }
    for (const ImageDiff::ConfigField &f : m_diff->config) {
        auto *item = new QTreeWidgetItem(m_config);
        item->setText(0, f.field);
        item->setText(1, valueText(f.a));
        item->setText(2, valueText(f.b));
        item->setToolTip(1, valueText(f.a));
        item->setToolTip(2, valueText(f.b));
        item->setText(3, className(f.kind));
        item->setForeground(3, toneColor(f.kind == DiffClass::Content ? Tone::Error : Tone::Changed, palette()));
    }
    m_config->resizeColumnToContents(0);
    m_config->setColumnWidth(1, 360);
    m_config->setColumnWidth(2, 360);
}

void CompareWindow::showSelectedFile()
{
    m_versionsJob.cancel();
    m_textA->clear();
    m_textB->clear();
    m_titleA->clear();
    m_titleB->clear();
    const QModelIndex current = m_filesView->currentIndex();
    if (!current.isValid() || !m_diff) {
        m_fileChange->clear();
        for (QPlainTextEdit *edit : { m_textA, m_textB })
            edit->setPlaceholderText(tr("Select a path above to see its two versions, the lines that differ marked."));
        return;
    }
    const ImageDiff::File f = m_files->file(current.row());
    const QString path = QStringLiteral("/") + QString::fromUtf8(f.path);
    m_fileChange->setText(QStringLiteral("<b>%1</b>: %2").arg(path.toHtmlEscaped(), fileChangeText(f).toHtmlEscaped()));
    const bool inA = f.change != Change::Added;
    const bool inB = f.change != Change::Removed;
    m_titleA->setText(inA ? tr("A: %1").arg(attributesText(f, true)) : tr("A: not there"));
    m_titleB->setText(inB ? tr("B: %1").arg(attributesText(f, false)) : tr("B: not there"));
    const bool fileA = inA && f.typeA == EntryType::File && f.layerA >= 0;
    const bool fileB = inB && f.typeB == EntryType::File && f.layerB >= 0;
    // The bytes are shown where there are some to show: a changed file's two versions, or the one
    // version of a file only one side has. A change of mode or time alone shows no bytes.
    const bool contentDiffers = f.change != Change::Modified || !f.compared || (f.causes & (CauseContent | CauseType));
    if (!(fileA || fileB) || !contentDiffers) {
        const QString why = !(fileA || fileB) ? tr("No bytes to show: not a regular file.")
                                              : tr("The same bytes on both sides: only the attributes above differ.");
        m_textA->setPlaceholderText(why);
        m_textB->setPlaceholderText(why);
        Q_EMIT versionsShown();
        return;
    }
    m_textA->setPlaceholderText(inA ? QString() : tr("Not in A."));
    m_textB->setPlaceholderText(inB ? QString() : tr("Not in B."));
    const CompareSide a { m_a.archive, m_shownA, m_layersA };
    const CompareSide b { m_b.archive, m_shownB, m_layersB };
    m_versionsJob.start(
        [a, b, f, fileA, fileB](const Progress &progress) {
            auto out = std::make_shared<SideBySide>();
            const FilePreview pa = fileA
                ? LayersPage::readPreview(a.archive, a.image, a.layers, f.layerA, f.entryA, f.sizeA, progress)
                : FilePreview {};
            const FilePreview pb = fileB
                ? LayersPage::readPreview(b.archive, b.image, b.layers, f.layerB, f.entryB, f.sizeB, progress)
                : FilePreview {};
            const QStringList la = fileA ? pa.text.split(u'\n') : QStringList();
            const QStringList lb = fileB ? pb.text.split(u'\n') : QStringList();
            const QList<DiffLine> lines = diffLines(la, lb);
            if (lines.isEmpty() && !(la.isEmpty() && lb.isEmpty())) {
                out->left = la;
                out->right = lb;
                out->note = tr("Too many lines to align; each version is shown as it is.");
                return out;
            }
            // A run of removed lines and the added lines after it face each other, row by row.
            for (qsizetype i = 0; i < lines.size();) {
                if (lines.at(i).kind == DiffLine::Same) {
                    out->left << lines.at(i).text;
                    out->right << lines.at(i).text;
                    out->kinds << SideBySide::Same;
                    ++i;
                    continue;
                }
                QStringList removed, added;
                while (i < lines.size() && lines.at(i).kind == DiffLine::Removed)
                    removed << lines.at(i++).text;
                while (i < lines.size() && lines.at(i).kind == DiffLine::Added)
                    added << lines.at(i++).text;
                for (qsizetype k = 0; k < std::max(removed.size(), added.size()); ++k) {
                    const bool l = k < removed.size(), r = k < added.size();
                    out->left << (l ? removed.at(k) : QString());
                    out->right << (r ? added.at(k) : QString());
                    out->kinds << (l && r ? SideBySide::Changed : l ? SideBySide::OnlyLeft : SideBySide::OnlyRight);
                }
            }
            if (pa.bytesRead < f.sizeA || pb.bytesRead < f.sizeB)
                out->note = tr("The first %1 of each version.").arg(sizeText(LayersPage::kPreviewBytes));
            return out;
        },
        [this](std::shared_ptr<SideBySide> v) { showVersions(*v); });
}

void CompareWindow::showVersions(const SideBySide &v)
{
    m_textA->setPlainText(v.left.join(u'\n'));
    m_textB->setPlainText(v.right.join(u'\n'));
    QColor removed = toneColor(Tone::Error, palette());
    QColor added = toneColor(Tone::Added, palette());
    removed.setAlpha(60);
    added.setAlpha(60);
    const QColor filler = palette().color(QPalette::AlternateBase);
    const auto mark = [](QPlainTextEdit *edit, const QList<std::pair<int, QColor>> &rows) {
        QList<QTextEdit::ExtraSelection> selections;
        selections.reserve(rows.size());
        for (const auto &[row, colour] : rows) {
            QTextEdit::ExtraSelection s;
            s.cursor = QTextCursor(edit->document()->findBlockByNumber(row));
            s.format.setBackground(colour);
            s.format.setProperty(QTextFormat::FullWidthSelection, true);
            selections << s;
        }
        edit->setExtraSelections(selections);
    };
    QList<std::pair<int, QColor>> left, right;
    for (int row = 0; row < v.kinds.size(); ++row) {
        switch (v.kinds.at(row)) {
        case SideBySide::Same:
            break;
        case SideBySide::Changed:
            left.append({ row, removed });
            right.append({ row, added });
            break;
        case SideBySide::OnlyLeft:
            left.append({ row, removed });
            right.append({ row, filler });
            break;
        case SideBySide::OnlyRight:
            left.append({ row, filler });
            right.append({ row, added });
            break;
        }
    }
    mark(m_textA, left);
    mark(m_textB, right);
    if (!v.note.isEmpty())
        m_fileChange->setText(m_fileChange->text() + QStringLiteral(" — ") + v.note.toHtmlEscaped());
    Q_EMIT versionsShown();
}

} // namespace lamina
