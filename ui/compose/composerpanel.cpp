// SPDX-License-Identifier: MIT
#include "compose/composerpanel.h"

#include "compose/commandline.h"
#include "compose/composermodel.h"
#include "compose/compositiondocument.h"
#include "compose/compositionfiles.h"
#include "compose/configform.h"
#include "compose/exportdialog.h"
#include "compose/livepreview.h"
#include "compose/modeedit.h"
#include "compose/operationdialog.h"
#include "filetreemodel.h"
#include "imagetreeview.h"

#include <QAction>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSplitter>
#include <QToolBar>
#include <QTreeWidget>
#include <QUndoStack>
#include <QVBoxLayout>

namespace lamina {

namespace {

QString joinPath(const QString &dir, const QString &name)
{
    return dir == u"/" || dir.isEmpty() ? QString(u'/' + name) : QString(dir + u'/' + name);
}

template <typename F>
QAction *toolAction(QToolBar *bar, QObject *receiver, const QString &name, const QString &text, const QString &tip, F f)
{
    QAction *a = bar->addAction(text, receiver, f);
    a->setObjectName(name);
    a->setToolTip(tip);
    return a;
}

QToolBar *textToolBar()
{
    auto *bar = new QToolBar;
    bar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    return bar;
}

QWidget *titled(const QString &title, QWidget *content, QWidget *extra = nullptr)
{
    auto *w = new QWidget;
    auto *l = new QVBoxLayout(w);
    l->setContentsMargins(0, 0, 0, 0);
    l->setSpacing(2);
    l->addWidget(new QLabel(QStringLiteral("<b>%1</b>").arg(title)));
    if (extra)
        l->addWidget(extra);
    l->addWidget(content, 1);
    return w;
}

void collectExpanded(const QTreeView *view, const QModelIndex &parent, QList<QByteArray> &out)
{
    const QAbstractItemModel *m = view->model();
    for (int r = 0; r < m->rowCount(parent); ++r) {
        const QModelIndex i = m->index(r, 0, parent);
        if (view->isExpanded(i)) {
            out << i.data(FileTreeModel::PathRole).toString().toUtf8();
            collectExpanded(view, i, out);
        }
    }
}

} // namespace

ComposerPanel::ComposerPanel(QWidget *parent)
    : QWidget(parent)
{
    m_document = new CompositionDocument(this);
    m_model = new ComposerModel(m_document, this);
    m_lastOptions.output = QStringLiteral("OUT.tar");
    buildLayersView();
    QToolBar *editBar = buildEditBar();
    QToolBar *arrangeBar = buildArrangeBar();
    QToolBar *fileBar = buildFileBar();
    m_form = new ConfigForm(m_document);
    buildTrees();
    buildChecks();
    layOut(fileBar, editBar, arrangeBar);
    m_preview = new LivePreview(m_document, this);
    connect(m_preview, &LivePreview::updated, this, &ComposerPanel::previewArrived);
}

// A running preview is told to stop by its runner and delivers nothing once the panel is gone:
// nothing is waited for here.
ComposerPanel::~ComposerPanel() = default;

void ComposerPanel::buildLayersView()
{
    m_layersView = new QTreeView;
    m_layersView->setObjectName(QStringLiteral("composerLayers"));
    m_layersView->setModel(m_model);
    m_layersView->setItemDelegateForColumn(ComposerModel::ModeColumn, new ModeDelegate(m_layersView));
    m_layersView->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    m_layersView->setAlternatingRowColors(true);
    m_layersView->setUniformRowHeights(true);
    m_layersView->setTextElideMode(Qt::ElideMiddle); // a path's end says most
    m_layersView->header()->resizeSection(ComposerModel::PathColumn, 200);
    m_layersView->header()->resizeSection(ComposerModel::TypeColumn, 115);
    m_layersView->header()->resizeSection(ComposerModel::SourceColumn, 165);
    m_layersView->header()->resizeSection(ComposerModel::SizeColumn, 65);
    m_layersView->header()->resizeSection(ComposerModel::ModeColumn, 50);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex &parent, int first) {
        // A new layer or entry comes into view, selected, so the next addition goes there.
        if (!parent.isValid()) {
            m_layersView->setCurrentIndex(m_model->layerIndex(first));
        } else {
            m_layersView->expand(parent);
            m_layersView->scrollTo(m_model->index(first, 0, parent));
        }
    });
    connect(m_model, &QAbstractItemModel::modelReset, m_layersView, &QTreeView::expandAll);
    connect(m_layersView, &QTreeView::doubleClicked, this, &ComposerPanel::editSelected);
}

QToolBar *ComposerPanel::buildEditBar()
{
    QToolBar *bar = textToolBar();
    toolAction(bar, this, QStringLiteral("stackLayer"), tr("Stack a new layer"), tr("A new layer on top of the others"),
        [this] { stackLayer(); });
    toolAction(bar, this, QStringLiteral("addFiles"), tr("Add file…"),
        tr("Files from this computer, into the folder selected in the result"), [this] {
            const QStringList files = QFileDialog::getOpenFileNames(this, tr("Add files to the layer"));
            if (!files.isEmpty())
                addHostPaths(files, targetDir(m_resultView->currentIndex()));
        });
    toolAction(bar, this, QStringLiteral("addFolder"), tr("Add folder…"), tr("A folder with everything in it"), [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Add a folder to the layer"));
        if (!dir.isEmpty())
            addHostPaths({ dir }, targetDir(m_resultView->currentIndex()));
    });
    toolAction(bar, this, QStringLiteral("newFolder"), tr("New folder…"), tr("An empty folder with a mode"),
        [this] { editOpDialog(LayerOp::Mkdir); });
    toolAction(bar, this, QStringLiteral("newSymlink"), tr("New symlink…"), tr("A symbolic link"),
        [this] { editOpDialog(LayerOp::Symlink); });
    toolAction(bar, this, QStringLiteral("newText"), tr("New text file…"), tr("A small file written here"),
        [this] { editOpDialog(LayerOp::WriteText); });
    return bar;
}

QToolBar *ComposerPanel::buildArrangeBar()
{
    QToolBar *bar = textToolBar();
    toolAction(bar, this, QStringLiteral("deletePath"), tr("Delete path"),
        tr("Hide the path selected in the result (a whiteout)"), [this] {
            const QString path = selectedImagePath();
            if (!path.isEmpty())
                deletePath(path, false);
        });
    toolAction(bar, this, QStringLiteral("emptyFolder"), tr("Empty folder"),
        tr("Hide what lower layers hold in the selected folder (opaque whiteout)"), [this] {
            const QString path = selectedImagePath();
            if (!path.isEmpty())
                deletePath(path, true);
        });
    QAction *remove = toolAction(bar, this, QStringLiteral("removeEntry"), tr("Remove"),
        tr("Remove the selected entry or layer (Del)"), [this] { removeSelected(); });
    remove->setShortcut(QKeySequence::Delete);
    remove->setShortcutContext(Qt::WidgetShortcut); // only where the layers are: Del edits text elsewhere
    m_layersView->addAction(remove);
    toolAction(bar, this, QStringLiteral("moveUp"), tr("Up"), tr("Move the selected layer or entry earlier"),
        [this] { moveSelected(-1); });
    toolAction(bar, this, QStringLiteral("moveDown"), tr("Down"), tr("Move the selected layer or entry later"),
        [this] { moveSelected(1); });
    bar->addSeparator();
    QAction *undo = m_document->undoStack()->createUndoAction(this, tr("Undo"));
    undo->setShortcut(QKeySequence::Undo);
    undo->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    QAction *redo = m_document->undoStack()->createRedoAction(this, tr("Redo"));
    redo->setShortcut(QKeySequence::Redo);
    redo->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    addAction(undo);
    addAction(redo);
    bar->addAction(undo);
    bar->addAction(redo);
    return bar;
}

QToolBar *ComposerPanel::buildFileBar()
{
    QToolBar *bar = textToolBar();
    toolAction(bar, this, QStringLiteral("openSpec"), tr("Open…"),
        tr("Load a composition file (lamina compose --spec)"), [this] {
            const QString file = QFileDialog::getOpenFileName(
                this, tr("Open a composition"), {}, tr("Compositions (*.json);;All files (*)"));
            if (!file.isEmpty())
                openSpecFile(file);
        });
    toolAction(bar, this, QStringLiteral("saveSpec"), tr("Save…"),
        tr("Save the composition as JSON (lamina compose --spec)"), [this] {
            const QString file = QFileDialog::getSaveFileName(
                this, tr("Save the composition"), QStringLiteral("composition.json"), tr("Compositions (*.json)"));
            QString error;
            if (!file.isEmpty() && !saveSpec(file, &error))
                QMessageBox::warning(this, tr("Save the composition"), error);
        });
    toolAction(bar, this, QStringLiteral("showCommandLine"), tr("Command line"),
        tr("The lamina compose command that makes the same image"), [this] {
            QString why;
            const QString line = commandLine(&why);
            showCommandLineDialog(this, line, why, m_lastOptions.output);
        });
    QAction *exportAction = toolAction(
        bar, this, QStringLiteral("export"), tr("Export…"), tr("Write the image"), [this] { openExportDialog(); });
    exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    exportAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    addAction(exportAction);
    return bar;
}

void ComposerPanel::buildTrees()
{
    // The preview: base and result side by side, then the checks.
    m_baseModel = new FileTreeModel(this);
    m_resultModel = new FileTreeModel(this);
    m_baseView = new ImageTreeView;
    m_baseView->setObjectName(QStringLiteral("baseTree"));
    m_resultView = new ImageTreeView;
    m_resultView->setObjectName(QStringLiteral("resultTree"));
    for (ImageTreeView *v : { m_baseView, m_resultView }) {
        v->setUniformRowHeights(true);
        v->setContextMenuPolicy(Qt::CustomContextMenu);
        connect(v, &ImageTreeView::hostPathsDropped, this,
            [this](const QStringList &paths, const QModelIndex &target) { addHostPaths(paths, targetDir(target)); });
    }
    m_baseView->setModel(m_baseModel);
    m_resultView->setModel(m_resultModel);
    for (QTreeView *v : { static_cast<QTreeView *>(m_baseView), static_cast<QTreeView *>(m_resultView) }) {
        v->header()->resizeSection(FileTreeModel::NameColumn, 200);
        v->header()->resizeSection(FileTreeModel::SizeColumn, 70);
        v->header()->resizeSection(FileTreeModel::ChangeColumn, 28);
    }
    connect(m_resultView, &QWidget::customContextMenuRequested, this, &ComposerPanel::showResultMenu);
    m_resultLabel = new QLabel;
    m_resultLabel->setObjectName(QStringLiteral("resultSummary"));
}

void ComposerPanel::showResultMenu(const QPoint &at)
{
    const QModelIndex index = m_resultView->indexAt(at);
    m_resultView->setCurrentIndex(index);
    QMenu menu;
    const QString dir = targetDir(index);
    menu.addAction(tr("Add files to %1…").arg(dir), this, [this, dir] {
        const QStringList files = QFileDialog::getOpenFileNames(this, tr("Add files to %1").arg(dir));
        if (!files.isEmpty())
            addHostPaths(files, dir);
    });
    menu.addAction(tr("New folder in %1…").arg(dir), this, [this] { editOpDialog(LayerOp::Mkdir); });
    menu.addAction(tr("New text file in %1…").arg(dir), this, [this] { editOpDialog(LayerOp::WriteText); });
    menu.addAction(tr("New symlink in %1…").arg(dir), this, [this] { editOpDialog(LayerOp::Symlink); });
    if (index.isValid()) {
        const QString path = u'/' + index.data(FileTreeModel::PathRole).toString();
        menu.addSeparator();
        menu.addAction(tr("Delete %1 (whiteout)").arg(path), this, [this, path] { deletePath(path, false); });
        if (path == dir)
            menu.addAction(tr("Empty %1 (opaque)").arg(path), this, [this, path] { deletePath(path, true); });
    }
    menu.exec(m_resultView->viewport()->mapToGlobal(at));
}

void ComposerPanel::buildChecks()
{
    m_previewError = new QLabel;
    m_previewError->setObjectName(QStringLiteral("previewError"));
    m_previewError->setWordWrap(true);
    m_previewError->setStyleSheet(
        QStringLiteral("QLabel { background: #fde2e1; color: #6b1410; border: 1px solid #e8a29e; padding: 4px; }"));
    m_previewError->hide();
    m_findings = new QTreeWidget;
    m_findings->setObjectName(QStringLiteral("composerFindings"));
    m_findings->setHeaderLabels({ tr("Severity"), tr("Check"), tr("Where"), tr("What") });
    m_findings->setRootIsDecorated(false);
    m_findings->header()->resizeSection(0, 70);
    m_findings->header()->resizeSection(1, 170);
    m_findings->header()->resizeSection(2, 150);
    connect(m_findings, &QTreeWidget::currentItemChanged, this, &ComposerPanel::showFinding);
}

void ComposerPanel::layOut(QToolBar *fileBar, QToolBar *editBar, QToolBar *arrangeBar)
{
    m_baseLabel = new QLabel(tr("Open an image to compose on it, or start from scratch."));
    m_baseLabel->setObjectName(QStringLiteral("composerBase"));
    m_baseLabel->setWordWrap(true);
    auto *layersBox = new QWidget;
    auto *ll = new QVBoxLayout(layersBox);
    ll->setContentsMargins(0, 0, 0, 0);
    ll->setSpacing(2);
    auto *baseRow = new QHBoxLayout;
    baseRow->addWidget(m_baseLabel, 1);
    baseRow->addWidget(fileBar);
    ll->addLayout(baseRow);
    ll->addWidget(editBar);
    ll->addWidget(arrangeBar);
    ll->addWidget(m_layersView, 1);
    auto *formScroll = new QScrollArea;
    formScroll->setWidget(m_form);
    formScroll->setWidgetResizable(true);
    formScroll->setFrameShape(QFrame::NoFrame);
    auto *left = new QSplitter(Qt::Vertical);
    left->setObjectName(QStringLiteral("composerLeftSplit"));
    left->addWidget(layersBox);
    left->addWidget(titled(tr("Config"), formScroll));
    left->setSizes({ 330, 420 });
    auto *trees = new QSplitter(Qt::Horizontal);
    trees->setObjectName(QStringLiteral("composerTreesSplit"));
    trees->addWidget(titled(tr("Base image"), m_baseView));
    trees->addWidget(
        titled(tr("Result (A added, M changed, D deleted) — drop files on a folder"), m_resultView, m_resultLabel));
    trees->setSizes({ 260, 520 });
    auto *checks = new QWidget;
    auto *cl = new QVBoxLayout(checks);
    cl->setContentsMargins(0, 0, 0, 0);
    cl->setSpacing(2);
    cl->addWidget(new QLabel(tr("<b>Checks before export</b>")));
    cl->addWidget(m_previewError);
    cl->addWidget(m_findings, 1);
    auto *right = new QSplitter(Qt::Vertical);
    right->setObjectName(QStringLiteral("composerRightSplit"));
    right->addWidget(trees);
    right->addWidget(checks);
    right->setSizes({ 520, 200 });
    auto *split = new QSplitter(Qt::Horizontal);
    split->setObjectName(QStringLiteral("composerSplit"));
    split->addWidget(left);
    split->addWidget(right);
    split->setSizes({ 620, 780 });
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
}

// The composition.

void ComposerPanel::setBase(const ImageArchive &archive, int image, const MergedTree::Layers &layers)
{
    const bool has = image >= 0 && image < archive.images.size();
    m_document->setBase(has ? archive.path : QString(), has ? image : 0,
        has && archive.images.at(image).config ? archive.images.at(image).config->config : QJsonObject());
    m_baseModel->setTree(nullptr, -1);
    if (has) {
        const Image &img = archive.images.at(image);
        m_baseLabel->setText(
            tr("On <b>%1</b>, image %2 (%3, %4), %n base layer(s)", nullptr, int(layers.size()))
                .arg(QFileInfo(archive.path).fileName().toHtmlEscaped())
                .arg(image)
                .arg((img.tags.isEmpty() ? tr("untagged") : img.tags.join(QStringLiteral(", "))).toHtmlEscaped(),
                    img.platform.toString().toHtmlEscaped()));
    } else {
        m_baseLabel->setText(tr("From scratch: no base image."));
    }
    m_preview->setBaseLayers(has ? layers : MergedTree::Layers());
}

Composition ComposerPanel::composition() const
{
    return m_document->composition();
}

void ComposerPanel::setComposition(const Composition &c)
{
    m_document->setComposition(c);
}

QUndoStack *ComposerPanel::undoStack() const
{
    return m_document->undoStack();
}

const ComposePreview &ComposerPanel::preview() const
{
    return m_preview->preview();
}

bool ComposerPanel::previewPending() const
{
    return m_preview->pending();
}

// Edits.

int ComposerPanel::currentLayer(bool create)
{
    int layer = m_model->layerOf(m_layersView->currentIndex());
    if (layer < 0)
        layer = m_model->layerCount() - 1;
    if (layer < 0 && create) {
        m_document->addLayer(0);
        layer = 0;
    }
    return layer;
}

void ComposerPanel::stackLayer()
{
    m_document->addLayer(m_document->layerCount());
}

void ComposerPanel::addHostPaths(const QStringList &hostPaths, const QString &imageDir)
{
    undoStack()->beginMacro(tr("Add %n item(s) to %1", nullptr, int(hostPaths.size())).arg(imageDir));
    const int layer = currentLayer(true);
    for (const QString &host : hostPaths) {
        LayerOp op;
        op.kind = LayerOp::AddHost;
        op.hostPath = QFileInfo(host).absoluteFilePath();
        op.imagePath = joinPath(imageDir, QFileInfo(op.hostPath).fileName());
        m_document->addOp(layer, op);
    }
    undoStack()->endMacro();
}

void ComposerPanel::addOp(const LayerOp &op)
{
    undoStack()->beginMacro(tr("Add %1").arg(op.imagePath));
    m_document->addOp(currentLayer(true), op);
    undoStack()->endMacro();
}

void ComposerPanel::deletePath(const QString &imagePath, bool opaque)
{
    LayerOp op;
    op.kind = opaque ? LayerOp::Opaque : LayerOp::Delete;
    op.imagePath = imagePath;
    addOp(op);
}

void ComposerPanel::setWorkingDir(const QString &dir)
{
    m_document->setWorkingDir(dir);
}

void ComposerPanel::setShellCommand(const QString &command)
{
    m_form->setShellCommand(command);
}

void ComposerPanel::setEnv(const QString &name, const QString &value)
{
    m_document->setEnvVariable(name, value);
}

void ComposerPanel::removeSelected()
{
    const QModelIndex i = m_layersView->currentIndex();
    if (m_model->isOp(i))
        m_document->removeOp(m_model->layerOf(i), i.row());
    else if (i.isValid())
        m_document->removeLayer(i.row());
}

void ComposerPanel::moveSelected(int by)
{
    const QModelIndex i = m_layersView->currentIndex();
    if (m_model->isOp(i))
        m_document->moveOp(m_model->layerOf(i), i.row(), i.row() + by);
    else if (i.isValid())
        m_document->moveLayer(i.row(), i.row() + by);
}

QString ComposerPanel::targetDir(const QModelIndex &index) const
{
    const auto *model = qobject_cast<const FileTreeModel *>(index.model());
    if (!index.isValid() || !model || !model->tree())
        return QStringLiteral("/");
    const MergedTree *tree = model->tree();
    int node = index.data(FileTreeModel::NodeRole).toInt();
    // A drop on a file goes into its folder.
    if (tree->entry(node).type != EntryType::Directory)
        node = tree->node(node).parent;
    return node <= 0 ? QStringLiteral("/") : u'/' + QString::fromUtf8(tree->path(node));
}

QString ComposerPanel::selectedImagePath() const
{
    for (const QTreeView *v :
        { static_cast<const QTreeView *>(m_resultView), static_cast<const QTreeView *>(m_baseView) }) {
        const QModelIndex i = v->currentIndex();
        if (i.isValid())
            return u'/' + i.data(FileTreeModel::PathRole).toString();
    }
    return {};
}

void ComposerPanel::editOpDialog(LayerOp::Kind kind)
{
    LayerOp op;
    op.kind = kind;
    const QString dir = targetDir(m_resultView->currentIndex());
    op.imagePath = joinPath(dir,
        kind == LayerOp::Mkdir         ? QStringLiteral("new-folder")
            : kind == LayerOp::Symlink ? QStringLiteral("new-link")
                                       : QStringLiteral("new-file.txt"));
    const QString title = kind == LayerOp::Mkdir ? tr("New folder")
        : kind == LayerOp::Symlink               ? tr("New symlink")
                                                 : tr("New text file");
    if (OperationDialog::edit(this, op, title))
        addOp(op);
}

void ComposerPanel::editSelected(const QModelIndex &index)
{
    if (!m_model->isOp(index) || (index.flags() & Qt::ItemIsEditable))
        return; // editable cells are edited in place
    const int layer = m_model->layerOf(index);
    LayerOp op = m_document->op(layer, index.row());
    if (op.kind == LayerOp::WriteText && OperationDialog::edit(this, op, tr("Text file")))
        m_document->setOp(layer, index.row(), op);
}

// The preview.

void ComposerPanel::previewArrived()
{
    if (m_preview->baseTree() && m_baseModel->tree() != m_preview->baseTree().get())
        m_baseModel->setTree(m_preview->baseTree(), -1);
    const ComposePreview &p = m_preview->preview();
    m_previewError->setVisible(!p.error.isEmpty());
    m_previewError->setText(tr("Cannot build this composition: %1").arg(p.error));
    showResultTree();
    showSummary();
    showFindings();
    if (!m_preview->pending())
        Q_EMIT previewUpdated();
}

void ComposerPanel::showResultTree()
{
    const ComposePreview &p = m_preview->preview();
    if (!p.tree || p.tree.get() == m_resultModel->tree())
        return;
    QList<QByteArray> expanded;
    collectExpanded(m_resultView, {}, expanded);
    const bool first = !m_resultModel->tree();
    m_resultModel->setComposedTree(p.tree, p.baseLayers, p.changes);
    // What changed is shown opened up to it (the first few), and what was open stays open.
    int opened = 0;
    for (auto it = p.changes.cbegin(); it != p.changes.cend() && opened < 40; ++it, ++opened) {
        const qsizetype slash = it.key().lastIndexOf('/');
        if (slash > 0)
            expanded << it.key().left(slash);
    }
    std::sort(expanded.begin(), expanded.end());
    for (const QByteArray &path : std::as_const(expanded)) {
        QByteArray prefix;
        for (const QByteArray &part : path.split('/')) {
            prefix = prefix.isEmpty() ? part : prefix + '/' + part;
            const QModelIndex i = m_resultModel->indexOfPath(prefix);
            if (i.isValid())
                m_resultView->expand(i);
        }
    }
    if (first)
        m_resultView->header()->resizeSection(FileTreeModel::NameColumn, 220);
}

void ComposerPanel::showSummary()
{
    const ComposePreview &p = m_preview->preview();
    int added = 0, modified = 0, removed = 0;
    for (const Change c : p.changes) {
        added += c == Change::Added ? 1 : 0;
        modified += c == Change::Modified ? 1 : 0;
        removed += c == Change::Removed ? 1 : 0;
    }
    m_resultLabel->setText(tr("%1 base layer(s) + %2 new: %3 added, %4 changed, %5 deleted")
                               .arg(p.baseLayers)
                               .arg(p.layers.size() - p.baseLayers)
                               .arg(added)
                               .arg(modified)
                               .arg(removed));
}

void ComposerPanel::showFindings()
{
    const ComposePreview &p = m_preview->preview();
    const QSignalBlocker block(m_findings);
    m_findings->clear();
    for (const Finding &f : p.findings) {
        auto *item = new QTreeWidgetItem(m_findings);
        item->setText(0, severityName(f.severity));
        item->setText(1, f.code);
        QString where = f.paths.join(QStringLiteral(", "));
        if (where.isEmpty() && !f.layers.isEmpty())
            where = tr("layer %1").arg(f.layers.constFirst());
        item->setText(2, where);
        item->setText(3, f.message);
        item->setToolTip(3, f.message);
        item->setData(0, Qt::UserRole, f.paths.value(0));
        item->setData(1, Qt::UserRole, f.layers.value(0, -1));
        const QColor colour = f.severity == Severity::Error ? QColor(190, 30, 30)
            : f.severity == Severity::Warning               ? QColor(190, 120, 0)
                                                            : QColor(40, 110, 190);
        item->setForeground(0, colour);
    }
    if (p.findings.isEmpty() && p.error.isEmpty()) {
        auto *item = new QTreeWidgetItem(m_findings);
        item->setText(3, tr("Nothing to report: the command is found and executable, the working folder exists."));
        item->setFlags(Qt::ItemIsEnabled);
    }
}

void ComposerPanel::showFinding()
{
    const QTreeWidgetItem *item = m_findings->currentItem();
    if (!item)
        return;
    const QString path = item->data(0, Qt::UserRole).toString();
    if (!path.isEmpty()) {
        QString error;
        const QModelIndex i = m_resultModel->indexOfPath(normaliseImagePath(path, &error).toUtf8());
        if (i.isValid()) {
            for (QModelIndex up = i.parent(); up.isValid(); up = up.parent())
                m_resultView->expand(up);
            m_resultView->setCurrentIndex(i);
            m_resultView->scrollTo(i);
        }
    }
    // A new layer's finding selects its card; layer numbers count the non-empty cards.
    const int layer = item->data(1, Qt::UserRole).toInt() - m_preview->preview().baseLayers;
    if (layer >= 0) {
        int seen = -1;
        for (int l = 0; l < m_model->layerCount(); ++l) {
            if (m_model->opCount(l) > 0 && ++seen == layer) {
                m_layersView->setCurrentIndex(m_model->layerIndex(l));
                break;
            }
        }
    }
}

// Files and commands.

bool ComposerPanel::saveSpec(const QString &file, QString *error) const
{
    return saveCompositionFile(composition(), file, error);
}

void ComposerPanel::openSpecFile(const QString &file)
{
    // The user sees every host path the file reads before anything is read.
    QString error;
    const std::optional<Composition> c = loadCompositionFile(file, true, &error);
    if (!c) {
        QMessageBox::warning(this, tr("Open a composition"), error);
        return;
    }
    if (!confirmHostPaths(this, file, *c))
        return;
    if (!loadSpec(file, &error, true))
        QMessageBox::warning(this, tr("Open a composition"), error);
}

bool ComposerPanel::loadSpec(const QString &file, QString *error, bool allowHostPaths)
{
    const std::optional<Composition> c = loadCompositionFile(file, allowHostPaths, error);
    if (!c)
        return false;
    const QString basePath = m_document->basePath();
    const int baseImage = m_document->baseImage();
    setComposition(*c);
    if (c->basePath.isEmpty())
        setBase({}, -1, {});
    else if (QFileInfo(c->basePath).absoluteFilePath() != QFileInfo(basePath).absoluteFilePath()
        || c->baseImage != baseImage || !c->basePlatform.isEmpty())
        Q_EMIT baseRequested(c->basePath, c->baseImage, c->basePlatform);
    return true;
}

QString ComposerPanel::commandLine(QString *why) const
{
    return composeCommandLine(composition(), m_lastOptions, QStringLiteral("lamina"), why);
}

ExportDialog *ComposerPanel::openExportDialog()
{
    auto *dialog = new ExportDialog(composition(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (m_lastOptions.output != u"OUT.tar")
        dialog->setOptions(m_lastOptions);
    connect(dialog, &ExportDialog::finished, this, [this, dialog](bool ok) {
        if (ok)
            m_lastOptions = dialog->options();
    });
    connect(dialog, &ExportDialog::openResult, this, &ComposerPanel::openResult);
    dialog->show();
    return dialog;
}

} // namespace lamina
