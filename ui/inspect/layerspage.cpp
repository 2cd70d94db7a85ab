// SPDX-License-Identifier: MIT
#include "layerspage.h"
#include "common/sizetext.h"

#include "common/copyaction.h"
#include "common/fittedrows.h"
#include "common/titledbox.h"
#include "fileextraction.h"
#include "filesview.h"
#include "filetreemodel.h"
#include "historydialog.h"
#include "layers/imagelayers.h"
#include "layersmodel.h"
#include "util/textsniff.h"

#include <QAction>
#include <QCheckBox>
#include <QFileDialog>
#include <QFontDatabase>
#include <QGridLayout>
#include <QHeaderView>
#include <QLineEdit>
#include <QLocale>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QTabWidget>
#include <QTableView>
#include <QTreeView>
#include <QTreeWidget>

namespace lamina {

LayersPage::LayersPage(QWidget *parent)
    : QSplitter(Qt::Vertical, parent)
{
    setObjectName(QStringLiteral("layersSplit"));
    m_layersModel = new LayersModel(this);
    m_layersView = new QTableView;
    m_layersView->setTabKeyNavigation(false); // Tab moves to the next widget; the arrows move in the table
    m_layersView->setObjectName(QStringLiteral("layers"));
    m_layersView->setModel(m_layersModel);
    m_layersView->setSelectionBehavior(QAbstractItemView::SelectRows);
    // Shift-click or Shift+arrow selects a range of layers: the files then show their net change.
    m_layersView->setSelectionMode(QAbstractItemView::ContiguousSelection);
    m_layersView->verticalHeader()->hide();
    m_layersView->horizontalHeader()->setStretchLastSection(true);
    m_layersView->horizontalHeader()->setResizeContentsPrecision(kFittedRows);
    m_layersView->setAlternatingRowColors(true);
    m_layersView->setWordWrap(false);
    m_layersView->verticalHeader()->setDefaultSectionSize(m_layersView->fontMetrics().height() + 8);
    // The image's waste in one line over the table: the table keeps its height.
    m_summary = new QLabel;
    m_summary->setObjectName(QStringLiteral("sizeSummary"));
    m_summary->setTextFormat(Qt::PlainText);
    m_summary->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed); // a long line never widens the window
    m_summary->setToolTip(
        tr("Files in all layers: the bytes of the regular files every layer stores, each stored copy counted.\n"
           "Visible: those the image's final filesystem shows.\n"
           "Wasted: the rest, replaced or deleted by a later layer (each copy counted once, in the layer that "
           "stores it).\n"
           "Efficiency: visible ÷ all. The figures of `lamina inspect` (docs/layers.md).\n"
           "The paths wasting the most are listed under “Wasted space”, beside the preview."));
    connect(m_layersModel, &LayersModel::sizesChanged, this, &LayersPage::showSizes);
    RowMenu::install(
        m_layersView, QStringLiteral("layerMenu"),
        [](const QModelIndex &index) { return index.data(LayersModel::FullValueRole).toString(); },
        [this](const QModelIndex &index, QObject *parent) { return layerActions(index.row(), parent); });
    addWidget(titledBox(
        tr("Layers, bottom (0) to top — select one to see the files at that layer"), m_layersView, m_summary));
    addWidget(buildFiles());
    setSizes({ 260, 440 });
}

QWidget *LayersPage::buildFiles()
{
    m_filesModel = new FileTreeModel(this);
    m_extraction = new FileExtraction(this);
    // Dragging a file out writes it (safely, as extract does) to a temporary folder first.
    m_filesModel->setDragSource([this](const QList<int> &nodes) {
        return m_extraction->dragOut(m_archive, m_image, m_filesModel->sharedTree(), nodes);
    });
    m_filesView = new FilesView;
    m_filesView->setObjectName(QStringLiteral("files"));
    m_filesView->setModel(m_filesModel); // which filters and sorts itself, on a worker for a big tree
    m_filesView->setSortingEnabled(true);
    m_filesView->setUniformRowHeights(true);
    m_filesView->sortByColumn(FileTreeModel::SizeColumn, Qt::DescendingOrder);
    m_filesView->setDragEnabled(true);
    m_filesView->setDragDropMode(QAbstractItemView::DragOnly);
    RowMenu::install(
        m_filesView, QStringLiteral("fileMenu"), [this](const QModelIndex &index) { return pathOf(index); },
        [this](const QModelIndex &index, QObject *parent) { return fileActions(index, parent); });
    connect(m_filesView->selectionModel(), &QItemSelectionModel::currentChanged, this, &LayersPage::showPreview);
    m_filesView->expandBelow = [this](const QModelIndex &folder) { expandAll(folder); };
    // A new filter's matches open anew: the folders the old one opened close first, while their
    // rows are the old ones (after, each would show all its files: a million rows to lay out).
    connect(m_filesModel, &FileTreeModel::filterAboutToChange, this, [this] {
        m_expandNote.clear();
        m_filesView->collapseAll();
    });
    m_filter = new QLineEdit;
    m_filter->setObjectName(QStringLiteral("filter"));
    m_filter->setPlaceholderText(tr("Filter files (Ctrl+F)"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setToolTip(tr("Shows the files and folders whose name contains this text, in any case, and the folders "
                            "leading to them. With a /, the whole path is searched (/usr/lib/). With Regex, a regular "
                            "expression instead."));
    m_regex = new QCheckBox(tr("Regex"));
    m_regex->setObjectName(QStringLiteral("regex"));
    m_layerOnly = new QCheckBox(tr("This layer only"));
    m_layerOnly->setObjectName(QStringLiteral("layerOnly"));
    connect(m_filter, &QLineEdit::textChanged, this, &LayersPage::applyFilter);
    connect(m_regex, &QCheckBox::toggled, this, &LayersPage::applyFilter);
    m_filterStatus = new QLabel;
    m_filterStatus->setObjectName(QStringLiteral("filterStatus"));
    m_filterStatus->setWordWrap(true);
    m_filterStatus->hide();
    auto *filterRow = new QWidget;
    auto *fl = new QGridLayout(filterRow);
    fl->setContentsMargins(0, 0, 0, 0);
    fl->addWidget(m_filter, 0, 0);
    fl->addWidget(m_regex, 0, 1);
    fl->addWidget(m_layerOnly, 0, 2);
    fl->addWidget(m_filterStatus, 1, 0, 1, 3);
    m_rangeNote = new QLabel;
    m_rangeNote->setObjectName(QStringLiteral("rangeNote"));
    m_rangeNote->setWordWrap(true);
    m_rangeNote->hide();
    fl->addWidget(m_rangeNote, 2, 0, 1, 3);
    fl->setColumnStretch(0, 1);
    // The line is right whenever the rows change: a filter typed, a tree arriving later.
    connect(m_filesModel, &FileTreeModel::shaped, this, &LayersPage::showMatches);
    connect(m_filesModel, &FileTreeModel::shaped, this, &LayersPage::revealPending);
    connect(m_filesModel, &FileTreeModel::shapingChanged, this, &LayersPage::showMatches);
    // The preview shows the selected file only: nothing selected (the tree replaced, the row
    // filtered away), nothing shown.
    connect(m_filesModel, &QAbstractItemModel::modelReset, this, &LayersPage::clearPreview);
    m_preview = new QPlainTextEdit;
    m_preview->setObjectName(QStringLiteral("preview"));
    m_preview->setReadOnly(true);
    m_preview->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_preview->setPlaceholderText(tr("Select a file to preview it."));
    m_imagePreview = new QLabel;
    m_imagePreview->setAlignment(Qt::AlignCenter);
    m_imagePreview->hide();
    auto *previewBox = new QWidget;
    auto *pl = new QVBoxLayout(previewBox);
    pl->setContentsMargins(0, 0, 0, 0);
    pl->addWidget(m_preview);
    pl->addWidget(m_imagePreview);
    auto *filesSplit = new QSplitter(Qt::Horizontal);
    filesSplit->setObjectName(QStringLiteral("filesSplit"));
    filesSplit->addWidget(titledBox(tr("Files"), m_filesView, filterRow));
    m_wasted = new QTreeWidget;
    m_wasted->setObjectName(QStringLiteral("wasted"));
    // The path last: it takes the room left, the figures keep theirs.
    m_wasted->setHeaderLabels({ tr("Wasted"), tr("In layers"), tr("Path") });
    m_wasted->headerItem()->setToolTip(0, tr("Bytes of this path's copies that the final image cannot see"));
    m_wasted->headerItem()->setToolTip(1, tr("The layers storing a hidden copy, biggest copy first"));
    m_wasted->headerItem()->setToolTip(
        2, tr("Select a path to see it in the files, in the layer of its biggest hidden copy"));
    m_wasted->setRootIsDecorated(false);
    m_wasted->setUniformRowHeights(true);
    m_wasted->setAlternatingRowColors(true);
    m_wasted->setTextElideMode(Qt::ElideMiddle);
    connect(m_wasted, &QTreeWidget::currentItemChanged, this, &LayersPage::showWastedPath);
    connect(m_wasted, &QTreeWidget::itemClicked, this, &LayersPage::showWastedPath);
    // A path picked before its layer's tree was built is selected when the tree arrives.
    connect(m_filesModel, &FileTreeModel::shaped, this, &LayersPage::selectPendingPath);
    m_sideTabs = new QTabWidget;
    m_sideTabs->setObjectName(QStringLiteral("sideTabs"));
    m_sideTabs->setDocumentMode(true);
    m_sideTabs->addTab(previewBox, tr("Preview"));
    m_sideTabs->addTab(m_wasted, tr("Wasted space"));
    filesSplit->addWidget(m_sideTabs);
    filesSplit->setSizes({ 700, 400 });
    return filesSplit;
}

void LayersPage::selectLayer(int layer)
{
    // One layer, whatever keys are held: selectRow() extends a range while Shift is down.
    m_layersView->selectionModel()->setCurrentIndex(
        m_layersModel->index(layer, 0), QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
}

QPair<int, int> LayersPage::selectedRange() const
{
    int low = -1, high = -1;
    for (const QModelIndex &i : m_layersView->selectionModel()->selectedRows()) {
        low = low < 0 ? i.row() : std::min(low, i.row());
        high = std::max(high, i.row());
    }
    return { low, high };
}

void LayersPage::setRangeShown(int from, int to)
{
    const bool range = from >= 0 && to > from;
    m_rangeNote->setVisible(range);
    m_layerOnly->setEnabled(!range);
    if (range)
        m_rangeNote->setText(tr("Net change of layers %1 to %2 together, against the tree at layer %3: A added, M "
                                "changed, D deleted (struck out). A file added and removed again within the range "
                                "is not there.")
                                 .arg(from)
                                 .arg(to)
                                 .arg(from - 1));
}

void LayersPage::revealPaths(const QList<QByteArray> &paths)
{
    m_reveal = paths.mid(0, kRevealPaths);
    revealPending();
}

void LayersPage::revealPending()
{
    if (m_reveal.isEmpty() || m_filesModel->isShaping() || !m_filesModel->tree())
        return;
    QModelIndexList folders;
    QSet<QByteArray> seen;
    for (const QByteArray &path : std::as_const(m_reveal)) {
        // The folder holding it: a deleted path is not found, its folder is.
        const qsizetype slash = path.lastIndexOf('/');
        if (slash <= 0)
            continue;
        const QByteArray folder = path.left(slash);
        if (seen.contains(folder))
            continue;
        seen.insert(folder);
        for (QModelIndex at = m_filesModel->indexOfPath(folder); at.isValid(); at = at.parent())
            folders.prepend(at);
    }
    m_reveal.clear();
    m_filesView->expandFolders(folders);
}

void LayersPage::setSource(const ImageArchive &archive, int image)
{
    // A filter is about the files of one archive: another archive starts unfiltered.
    if (archive.path != m_archive.path)
        m_filter->clear();
    m_archive = archive;
    m_image = image;
    m_pendingPath.clear();
    clearPreview();
}

void LayersPage::showSizes()
{
    const QSignalBlocker blocker(m_wasted);
    m_wasted->clear();
    if (!m_pendingKeepsFilter) // a path from the list just cleared, not the file kept from another image
        m_pendingPath.clear();
    const QLocale locale;
    const bool known = m_layersModel->sizesKnown();
    const ImageSizes &sizes = m_layersModel->sizes();
    QString problem;
    if (!known)
        problem = m_layersModel->rowCount() > 0 ? tr("Wasted space: known once the layers are indexed…") : QString();
    else if (!sizes.error.isEmpty())
        problem = tr("Wasted space not computed: %1").arg(sizes.error);
    else if (sizes.layers.isEmpty() && m_layersModel->rowCount() > 0)
        problem = tr("Wasted space not computed: the indexing was cancelled.");
    m_sideTabs->setTabText(1, tr("Wasted space"));
    if (!problem.isEmpty() || !known) {
        m_summary->setText(problem);
        return;
    }
    const WastedSpace &w = sizes.wasted;
    m_summary->setText(tr("Files in all layers %1 · visible %2 · wasted %3 · efficiency %4 %")
                           .arg(sizeText(w.totalFileBytes), sizeText(w.visibleFileBytes), sizeText(w.wastedBytes),
                               locale.toString(w.efficiency * 100.0, 'f', 1)));
    const QList<WastedPath> paths = wastedByPath(w);
    if (paths.isEmpty()) {
        auto *none = new QTreeWidgetItem(m_wasted);
        none->setText(0, tr("Nothing wasted: the image shows every file its layers store."));
        none->setFirstColumnSpanned(true);
        none->setDisabled(true);
        return;
    }
    m_sideTabs->setTabText(1, tr("Wasted space (%1)").arg(sizeText(w.wastedBytes)));
    qint64 rest = 0;
    for (qsizetype i = 0; i < paths.size(); ++i) {
        const WastedPath &p = paths.at(i);
        if (i >= kMaxWastedRows) {
            rest += p.bytes;
            continue;
        }
        auto *item = new QTreeWidgetItem(m_wasted);
        const QString path = u'/' + QString::fromUtf8(p.path);
        QStringList layers;
        for (const int l : p.layers)
            layers << QString::number(l);
        item->setText(0, sizeText(p.bytes));
        item->setTextAlignment(0, Qt::AlignRight | Qt::AlignVCenter);
        item->setText(1, layers.join(QStringLiteral(", ")));
        item->setText(2, path);
        item->setData(0, Qt::UserRole, p.path);
        item->setData(0, Qt::UserRole + 1, p.layers.constFirst());
        item->setData(0, Qt::UserRole + 2, p.bytes);
        const QString tip = tr("%1: %n hidden cop(ies), %2 in all, stored in layer(s) %3; selecting it shows the "
                               "biggest, in layer %4",
            nullptr, int(p.layers.size()))
                                .arg(path, sizeText(p.bytes), layers.join(QStringLiteral(", ")))
                                .arg(p.layers.constFirst());
        for (int c = 0; c < 3; ++c)
            item->setToolTip(c, tip);
    }
    if (rest > 0) {
        auto *more = new QTreeWidgetItem(m_wasted);
        more->setText(0, sizeText(rest));
        more->setTextAlignment(0, Qt::AlignRight | Qt::AlignVCenter);
        more->setText(2, tr("… %n more path(s)", nullptr, int(paths.size() - kMaxWastedRows)));
        more->setDisabled(true);
    }
    m_wasted->resizeColumnToContents(0);
    m_wasted->resizeColumnToContents(1);
}

void LayersPage::showWastedPath(QTreeWidgetItem *item)
{
    if (!item || item->isDisabled())
        return;
    m_pendingPath = item->data(0, Qt::UserRole).toByteArray();
    m_pendingLayer = item->data(0, Qt::UserRole + 1).toInt();
    m_pendingKeepsFilter = false;
    const MergedTree *tree = m_filesModel->tree();
    if (m_layersView->currentIndex().row() == m_pendingLayer && tree && tree->topLayer() == m_pendingLayer)
        selectPendingPath();
    else
        selectLayer(m_pendingLayer); // its tree is built, then selectPendingPath()
}

void LayersPage::selectPendingPath()
{
    const MergedTree *tree = m_filesModel->tree();
    if (m_pendingPath.isEmpty() || !tree || tree->topLayer() != m_pendingLayer)
        return;
    const QModelIndex at = m_filesModel->indexOfPath(m_pendingPath);
    if (!at.isValid() && !m_filesModel->shownQuery().filter.isEmpty() && !m_pendingKeepsFilter) {
        // The filter hid it: the path asked for wins, and is selected once the rows come back.
        m_filter->clear();
        return;
    }
    m_pendingPath.clear();
    if (!at.isValid())
        return;
    for (QModelIndex p = at.parent(); p.isValid(); p = p.parent())
        m_filesView->expand(p);
    m_filesView->setCurrentIndex(at);
    m_filesView->scrollTo(at);
}

void LayersPage::applyFilter()
{
    m_expandedFor.clear();
    m_filesModel->setFilter(m_filter->text(), m_regex->isChecked());
}

void LayersPage::expandMatches()
{
    // Each new filter's matches are opened once, as far as kExpandRows rows go, breadth first:
    // opening a whole tree of a million matches would stall the window to show rows no one
    // reads; a folder beyond that opens at a click, or all of it with '*'. Without a filter,
    // the selected file stays in sight.
    const FileTreeQuery &shown = m_filesModel->shownQuery();
    if (!shown.tree || m_filesModel->isShaping())
        return;
    const QString key = shown.filter + (shown.regex ? u'\x01' : u'\x02') + QString::number(quintptr(shown.tree.get()))
        + u'/' + QString::number(shown.layerOnly);
    if (key == m_expandedFor)
        return;
    m_expandedFor = key;
    if (!shown.filter.isEmpty())
        m_filesView->expandFolders(foldersWithin(m_filesModel, {}, kExpandRows));
    if (m_filesView->currentIndex().isValid())
        m_filesView->scrollTo(m_filesView->currentIndex());
}

void LayersPage::expandAll(const QModelIndex &under)
{
    qint64 rows = 0;
    bool all = true;
    m_filesView->expandFolders(foldersWithin(m_filesModel, under, m_expandAllRows, &rows, &all));
    m_expandNote = all ? QString()
                       : tr("Opened as far as %1 rows: the rest stay closed, so that the window keeps answering. "
                            "Open a folder, or filter, to see more.")
                             .arg(QLocale().toString(rows));
    showMatches();
}

void LayersPage::collapseAll()
{
    m_expandNote.clear();
    m_filesView->collapseAll();
    showMatches();
}

void LayersPage::showMatches()
{
    // A file filtered away leaves nothing selected (the view says no currentChanged then).
    if (!m_filesView->currentIndex().isValid())
        clearPreview();
    expandMatches();
    const QString text = m_filter->text();
    const FileTreeShape &shape = m_filesModel->shape();
    const FileTreeQuery &shown = m_filesModel->shownQuery();
    QString line;
    if (m_filesModel->isShaping() && !text.isEmpty())
        line = tr("Looking for \u201c%1\u201d\u2026").arg(text);
    else if (!shape.error.isEmpty())
        line = tr("Not a valid regular expression: %1").arg(shape.error);
    else if (!shown.filter.isEmpty() && shown.tree && shape.matched == 0)
        line = tr("No file here matches \u201c%1\u201d%2.")
                   .arg(shown.filter, shown.layerOnly ? tr(" in this layer alone") : QString());
    else if (!shown.filter.isEmpty() && shown.tree) {
        const QString where = shown.filter.contains(u'/') ? tr(" (in the path, as it has a /)") : QString();
        line = shape.matched == 1
            ? tr("1 match for \u201c%1\u201d%2").arg(shown.filter, where)
            : tr("%1 matches for \u201c%2\u201d%3").arg(QLocale().toString(shape.matched), shown.filter, where);
    }
    if (!m_expandNote.isEmpty())
        line = line.isEmpty() ? m_expandNote : line + u' ' + m_expandNote;
    m_filterStatus->setVisible(!line.isEmpty());
    m_filterStatus->setText(line);
}

void LayersPage::askAndExtract()
{
    const MergedTree *tree = m_filesModel->tree();
    const int node = currentNode();
    if (node < 0 || !tree || tree->node(node).removed)
        return;
    const QString dest
        = QFileDialog::getExistingDirectory(this, tr("Extract %1 to").arg(QString::fromUtf8(tree->name(node))));
    if (!dest.isEmpty())
        extractTo(node, dest);
}

void LayersPage::askAndExtractLayer(int layer)
{
    const QString dest = QFileDialog::getExistingDirectory(this, tr("Extract the files of layer %1 to").arg(layer));
    if (!dest.isEmpty())
        extractLayerTo(layer, dest);
}

bool LayersPage::extractLayerTo(int layer, const QString &dest)
{
    // The shown tree carries every layer of the image, whichever it was built up to.
    const MergedTree *tree = m_filesModel->tree();
    if (!tree || layer < 0 || layer >= tree->layers().size() || !tree->layers().at(layer))
        return false;
    m_extraction->extractLayer(m_archive, m_image, tree->layers(), layer, dest);
    return true;
}

QList<QAction *> LayersPage::layerActions(int layer, QObject *parent)
{
    QList<QAction *> out;
    const Image &img = m_layersModel->image();
    if (layer < 0 || layer >= img.layers.size())
        return out;
    const ImageLayer &l = img.layers.at(layer);
    addCopyAction(out, tr("Copy diff ID"), l.diffId, parent);
    addCopyAction(out, tr("Copy blob digest"), l.digest, parent);
    addCopyAction(out, tr("Copy legacy ID"), l.legacyId, parent);
    addCopyAction(out, tr("Copy file path"), l.resolvedPath.isEmpty() ? l.path : l.resolvedPath, parent);
    addCopyAction(out, tr("Copy created-by command"), m_layersModel->createdBy(layer), parent);
    if (!out.isEmpty())
        out << separatorAction(parent);
    auto *show = new QAction(tr("Show files"), parent);
    connect(show, &QAction::triggered, this, [this, layer] {
        selectLayer(layer);
        m_filesView->setFocus(Qt::OtherFocusReason);
    });
    auto *extract = new QAction(tr("Extract layer…"), parent);
    const MergedTree *tree = m_filesModel->tree();
    extract->setEnabled(tree && layer < tree->layers().size() && tree->layers().at(layer));
    if (!extract->isEnabled())
        extract->setToolTip(tr("Possible once the layer's files are indexed"));
    connect(extract, &QAction::triggered, this, [this, layer] { askAndExtractLayer(layer); });
    auto *compare = new QAction(tr("Compare with…"), parent);
    connect(compare, &QAction::triggered, this, [this] { Q_EMIT compareRequested({}); });
    out << show << extract << compare;
    return out;
}

QString LayersPage::pathOf(const QModelIndex &index) const
{
    if (!index.isValid() || !m_filesModel->tree())
        return {};
    return u'/' + index.data(FileTreeModel::PathRole).toString();
}

QList<QAction *> LayersPage::fileActions(const QModelIndex &index, QObject *parent)
{
    QList<QAction *> out;
    const MergedTree *tree = m_filesModel->tree();
    if (!tree || !index.isValid())
        return out;
    const int node = index.data(FileTreeModel::NodeRole).toInt();
    addCopyAction(out, tr("Copy path"), pathOf(index), parent);
    addCopyAction(out, tr("Copy link target"), QString::fromUtf8(tree->linkTarget(node)), parent);
    out << separatorAction(parent);
    auto *extract = new QAction(tr("Extract…"), parent);
    extract->setEnabled(!tree->node(node).removed);
    connect(extract, &QAction::triggered, this, &LayersPage::askAndExtract);
    auto *history = new QAction(tr("History across layers…"), parent);
    connect(history, &QAction::triggered, this, [this, path = tree->path(node)] { showHistory(path); });
    auto *compare = new QAction(tr("Compare with…"), parent);
    compare->setToolTip(tr("Compare this image with another, showing this path"));
    connect(compare, &QAction::triggered, this, [this, path = tree->path(node)] { Q_EMIT compareRequested(path); });
    out << extract << history << compare << separatorAction(parent);
    if (m_filesModel->rowCount(index.siblingAtColumn(0)) > 0) {
        auto *below = new QAction(tr("Expand all below"), parent);
        below->setShortcut(Qt::Key_Asterisk);
        connect(below, &QAction::triggered, this,
            [this, folder = QPersistentModelIndex(index.siblingAtColumn(0))] { expandAll(folder); });
        out << below;
    }
    auto *expandEverything = new QAction(tr("Expand all"), parent);
    connect(expandEverything, &QAction::triggered, this, [this] { expandAll(); });
    auto *collapse = new QAction(tr("Collapse all"), parent);
    connect(collapse, &QAction::triggered, this, &LayersPage::collapseAll);
    out << expandEverything << collapse;
    return out;
}

void LayersPage::showHistory(const QByteArray &path)
{
    const MergedTree *tree = m_filesModel->tree();
    if (!tree)
        return;
    QStringList createdBy;
    for (int k = 0; k < m_layersModel->rowCount(); ++k)
        createdBy << m_layersModel->createdBy(k);
    auto *dialog = new HistoryDialog(m_archive, m_image, tree->layers(), path, createdBy, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->show();
}

void LayersPage::extractTo(int node, const QString &dest)
{
    m_extraction->extract(m_archive, m_image, m_filesModel->sharedTree(), node, dest);
}

int LayersPage::currentNode() const
{
    const QModelIndex index = m_filesView->currentIndex();
    return index.isValid() && m_filesModel->tree() ? index.data(FileTreeModel::NodeRole).toInt() : -1;
}

QByteArray LayersPage::currentPath() const
{
    const int node = currentNode();
    return node > 0 ? m_filesModel->tree()->path(node) : QByteArray();
}

void LayersPage::selectWhenShown(const QByteArray &path, int layer)
{
    m_pendingPath = path;
    m_pendingLayer = layer;
    m_pendingKeepsFilter = true;
}

void LayersPage::clearPreview()
{
    m_previewJob.cancel();
    m_imagePreview->hide();
    m_preview->show();
    m_preview->clear();
}

void LayersPage::showPreview(const QModelIndex &index)
{
    clearPreview();
    const MergedTree *tree = m_filesModel->tree();
    if (!index.isValid() || !tree)
        return;
    const int node = index.data(FileTreeModel::NodeRole).toInt();
    const LayerEntry &e = tree->entry(node);
    if (e.type != EntryType::File && e.type != EntryType::Hardlink) {
        const QByteArray link = tree->linkTarget(node);
        m_preview->setPlainText(e.type == EntryType::Symlink ? tr("symbolic link to %1").arg(QString::fromUtf8(link))
                                                             : tr("%1, no content to show").arg(entryTypeName(e.type)));
        Q_EMIT previewShown();
        return;
    }
    m_preview->setPlaceholderText(tr("Reading…"));
    const ImageArchive ia = m_archive;
    const int image = m_image;
    const MergedTree::Layers layers = tree->layers();
    const int layer = tree->node(node).layer, entry = tree->node(node).entry;
    const qint64 size = e.size;
    m_previewJob.start(
        [ia, image, layers, layer, entry, size](
            const Progress &progress) { return readPreview(ia, image, layers, layer, entry, size, progress); },
        [this](FilePreview preview) { showPreviewResult(preview); });
}

void LayersPage::showPreviewResult(const FilePreview &preview)
{
    m_preview->setPlaceholderText(tr("Select a file to preview it."));
    if (!preview.picture.isNull()) {
        m_imagePreview->setPixmap(
            QPixmap::fromImage(preview.picture).scaled(QSize(400, 400), Qt::KeepAspectRatio, Qt::SmoothTransformation));
        m_imagePreview->show();
        m_preview->hide();
    } else {
        m_preview->setPlainText(preview.text);
    }
    Q_EMIT previewShown();
}

FilePreview LayersPage::readPreview(const ImageArchive &ia, int image, const MergedTree::Layers &layers, int layer,
    int entry, qint64 size, const Progress &progress)
{
    FilePreview preview;
    QByteArray head;
    bool enough = false;
    const QString error = copyLayerFile(ia, image, layers, layer, entry, [&](const char *data, qint64 n) {
        head.append(data, std::min<qint64>(n, kPreviewBytes - head.size()));
        enough = head.size() >= kPreviewBytes;
        return !enough && !progress.cancelled();
    });
    preview.bytesRead = head.size();
    // A copy this sink stopped reports that it stopped: not an error of the file.
    if (!error.isEmpty() && !enough) {
        preview.text = tr("Cannot read this file: %1").arg(error);
        return preview;
    }
    const bool whole = !enough || size <= kPreviewBytes;
    if (whole) {
        preview.picture = QImage::fromData(head);
        if (!preview.picture.isNull())
            return preview;
    }
    const QString more
        = size > head.size() ? tr("\n… (%1 more bytes)").arg(QLocale().toString(size - head.size())) : QString();
    const TextKind kind = sniffText(head, !whole);
    preview.text = kind == TextKind::Binary ? hexDump(head.left(16 * 1024)) : decodeText(head, kind) + more;
    return preview;
}

} // namespace lamina
