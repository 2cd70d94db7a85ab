// SPDX-License-Identifier: MIT
#include "compose/composerpanel.h"
#include "compose/autosave.h"
#include "compose/compositionjson.h"

#include "common/titledbox.h"
#include "compose/commandline.h"
#include "compose/composermodel.h"
#include "compose/compositiondocument.h"
#include "compose/compositionfiles.h"
#include "compose/configform.h"
#include "compose/exportdialog.h"
#include "compose/livepreview.h"
#include "compose/modeedit.h"
#include "compose/operationdialog.h"
#include "compose/previewpane.h"

#include <QAction>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QToolBar>
#include <QTreeView>
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
    m_previewPane = new PreviewPane;
    connect(m_previewPane, &PreviewPane::hostPathsDropped, this, &ComposerPanel::addHostPaths);
    connect(m_previewPane, &PreviewPane::resultMenuRequested, this, &ComposerPanel::showResultMenu);
    connect(m_previewPane, &PreviewPane::newLayerSelected, this, &ComposerPanel::selectNewLayer);
    layOut(fileBar, editBar, arrangeBar);
    m_preview = new LivePreview(m_document, this);
    connect(m_preview, &LivePreview::updated, this, &ComposerPanel::previewArrived);
    m_autosave = new CompositionAutosave(m_document, this);
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

void ComposerPanel::setTreesInSight(bool inSight)
{
    m_previewPane->setTreesInSight(inSight);
}

QToolBar *ComposerPanel::buildEditBar()
{
    QToolBar *bar = textToolBar();
    toolAction(bar, this, QStringLiteral("stackLayer"), tr("New layer"), tr("Stack a new layer on top of the others"),
        [this] { stackLayer(); });
    toolAction(bar, this, QStringLiteral("addFiles"), tr("Add file…"),
        tr("Files from this computer, into a folder of the image (the one selected in the result)"), [this] {
            const QStringList files = QFileDialog::getOpenFileNames(this, tr("Add files to the layer"));
            if (!files.isEmpty())
                askAndAddHostPaths(files);
        });
    toolAction(bar, this, QStringLiteral("addFolder"), tr("Add folder…"),
        tr("A folder with everything in it, into a folder of the image (the one selected in the result)"), [this] {
            const QString dir = QFileDialog::getExistingDirectory(this, tr("Add a folder to the layer"));
            if (!dir.isEmpty())
                askAndAddHostPaths({ dir });
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
    // Asked, the selection proposed: with nothing selected the user names the path.
    toolAction(bar, this, QStringLiteral("deletePath"), tr("Delete path…"),
        tr("Hide a path of the lower layers (a whiteout); proposes the one selected"), [this] {
            if (const auto path = askImagePath(
                    this, tr("Delete path"), tr("Path to delete"), m_previewPane->selectedImagePath(), false))
                deletePath(*path, false);
        });
    toolAction(bar, this, QStringLiteral("emptyFolder"), tr("Empty folder…"),
        tr("Hide what lower layers hold in a folder (opaque whiteout); proposes the one selected"), [this] {
            if (const auto path
                = askImagePath(this, tr("Empty folder"), tr("Folder to empty"), m_previewPane->selectedFolder(), false))
                deletePath(*path, true);
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
    // Menus and tooltips name the step ("Undo Delete /usr/share/doc"); the button stays short.
    QAction *undo = m_document->undoStack()->createUndoAction(this, tr("Undo"));
    undo->setObjectName(QStringLiteral("undo"));
    undo->setIconText(tr("Undo"));
    undo->setShortcut(QKeySequence::Undo);
    undo->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    QAction *redo = m_document->undoStack()->createRedoAction(this, tr("Redo"));
    redo->setObjectName(QStringLiteral("redo"));
    redo->setIconText(tr("Redo"));
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
    // First: what the page leads to stays on the bar when a narrow window sends the rest behind
    // its chevron (at 800 px it was the first to go).
    QAction *exportAction = toolAction(
        bar, this, QStringLiteral("export"), tr("Export…"), tr("Write the image"), [this] { openExportDialog(); });
    exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    exportAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    addAction(exportAction);
    toolAction(bar, this, QStringLiteral("openSpec"), tr("Open…"),
        tr("Load a composition file (lamina compose --spec)"), [this] {
            const QString file = QFileDialog::getOpenFileName(
                this, tr("Open a composition"), {}, tr("Compositions (*.json);;All files (*)"));
            if (!file.isEmpty())
                openSpecFile(file);
        });
    toolAction(bar, this, QStringLiteral("saveSpec"), tr("Save…"),
        tr("Save the composition as JSON (lamina compose --spec)"), [this] { saveAs(); });
    toolAction(bar, this, QStringLiteral("showCommandLine"), tr("Command line"),
        tr("The lamina compose command that makes the same image"), [this] {
            QString why;
            const QString line = commandLine(&why);
            showCommandLineDialog(this, line, why, m_lastOptions.output);
        });
    return bar;
}

void ComposerPanel::showResultMenu(const QString &dir, const QString &path, const QPoint &globalPos)
{
    QMenu menu;
    menu.addAction(tr("Add files to %1…").arg(dir), this, [this, dir] {
        const QStringList files = QFileDialog::getOpenFileNames(this, tr("Add files to %1").arg(dir));
        if (!files.isEmpty())
            addHostPaths(files, dir);
    });
    menu.addAction(tr("New folder in %1…").arg(dir), this, [this] { editOpDialog(LayerOp::Mkdir); });
    menu.addAction(tr("New text file in %1…").arg(dir), this, [this] { editOpDialog(LayerOp::WriteText); });
    menu.addAction(tr("New symlink in %1…").arg(dir), this, [this] { editOpDialog(LayerOp::Symlink); });
    if (!path.isEmpty()) {
        menu.addSeparator();
        menu.addAction(tr("Delete %1 (whiteout)").arg(path), this, [this, path] { deletePath(path, false); });
        if (path == dir)
            menu.addAction(tr("Empty %1 (opaque)").arg(path), this, [this, path] { deletePath(path, true); });
    }
    menu.exec(globalPos);
}

void ComposerPanel::selectNewLayer(int newLayer)
{
    // Layer numbers of the checks count the non-empty layers.
    int seen = -1;
    for (int l = 0; l < m_document->layerCount(); ++l) {
        if (m_document->opCount(l) > 0 && ++seen == newLayer) {
            m_layersView->setCurrentIndex(m_model->layerIndex(l));
            break;
        }
    }
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
    // The label has a row of its own: beside the file bar it was squeezed to five lines at 1024 wide.
    // Each bar moves what does not fit into its extension menu, where the text shows.
    ll->addWidget(m_baseLabel);
    ll->addWidget(fileBar);
    ll->addWidget(editBar);
    ll->addWidget(arrangeBar);
    ll->addWidget(m_layersView, 1);
    // The form scrolls rather than squeezing its fields; it is laid out to fit a narrow column.
    auto *formScroll = new QScrollArea;
    formScroll->setObjectName(QStringLiteral("configScroll"));
    formScroll->setWidget(m_form);
    formScroll->setWidgetResizable(true);
    formScroll->setFrameShape(QFrame::NoFrame);
    auto *left = new QSplitter(Qt::Vertical);
    left->setObjectName(QStringLiteral("composerLeftSplit"));
    left->addWidget(layersBox);
    left->addWidget(titledBox(tr("Config"), formScroll));
    left->setSizes({ 330, 420 });
    auto *split = new QSplitter(Qt::Horizontal);
    split->setObjectName(QStringLiteral("composerSplit"));
    split->addWidget(left);
    split->addWidget(m_previewPane);
    split->setSizes({ 620, 780 });
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
}

// The composition.

/// The base's tags that name a repository and tag: an OCI ref.name such as "v1" is a tag alone,
/// and would become the name of a repository "v1" in the output.
static QStringList namedTags(const QStringList &tags)
{
    QStringList named;
    for (const QString &t : tags)
        if (t.section(u'/', -1).contains(u':'))
            named << t;
    return named;
}

void ComposerPanel::setBase(const ImageArchive &archive, int image, const MergedTree::Layers &layers)
{
    const bool has = image >= 0 && image < archive.images.size();
    QJsonObject settings;
    if (has && archive.images.at(image).config) {
        settings = archive.images.at(image).config->config;
    } else if (has) {
        // Legacy-only: the export makes the config from the top json as Docker does
        // (format/legacyconfig.h); its "config" holds the same settings.
        const LegacyLayer *top = archive.legacy.layer(archive.images.at(image).legacyTop);
        if (top && archive.archive)
            settings = legacyConfigOf(*archive.archive, *top);
    }
    m_document->setBase(has ? archive.path : QString(), has ? image : 0, settings,
        has ? namedTags(archive.images.at(image).tags) : QStringList());
    m_previewPane->clearBase();
    if (has) {
        const Image &img = archive.images.at(image);
        m_baseLabel->setText(
            tr("On <b>%1</b>, image %2 (%3, %4), %n base layer(s)", nullptr, int(layers.size()))
                .arg(shownName(archive.path).toHtmlEscaped())
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
    // One step, named by what it adds when it is one thing.
    QList<LayerOp> ops;
    for (const QString &host : hostPaths) {
        LayerOp op;
        op.kind = LayerOp::AddHost;
        op.hostPath = QFileInfo(host).absoluteFilePath();
        op.imagePath = joinPath(imageDir, QFileInfo(op.hostPath).fileName());
        ops << op;
    }
    if (ops.isEmpty())
        return;
    undoStack()->beginMacro(ops.size() == 1 ? CompositionDocument::stepName(ops.constFirst())
                                            : tr("Add %1 items to %2").arg(ops.size()).arg(imageDir));
    const int layer = currentLayer(true);
    for (const LayerOp &op : std::as_const(ops))
        m_document->addOp(layer, op);
    undoStack()->endMacro();
}

QString ComposerPanel::defaultTargetDir() const
{
    QString dir = m_previewPane->selectedFolder();
    if (dir.isEmpty())
        dir = m_document->settings().config.workingDir.value_or(
            m_document->baseSettings().value(QStringLiteral("WorkingDir")).toString());
    QString error;
    dir = normaliseImagePath(dir, &error);
    return error.isEmpty() ? u'/' + dir : QStringLiteral("/");
}

void ComposerPanel::askAndAddHostPaths(const QStringList &hostPaths)
{
    const QString what
        = hostPaths.size() == 1 ? QFileInfo(hostPaths.constFirst()).fileName() : tr("%1 items").arg(hostPaths.size());
    if (const auto dir
        = askImagePath(this, tr("Add to the layer"), tr("Put %1 in the folder").arg(what), defaultTargetDir(), true))
        addHostPaths(hostPaths, *dir);
}

void ComposerPanel::addOp(const LayerOp &op)
{
    undoStack()->beginMacro(CompositionDocument::stepName(op));
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

void ComposerPanel::editOpDialog(LayerOp::Kind kind)
{
    LayerOp op;
    op.kind = kind;
    const QString dir = m_previewPane->currentTargetDir();
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
    m_previewPane->showPreview(m_preview->preview(), m_preview->baseTree());
    if (!m_preview->pending())
        Q_EMIT previewUpdated();
}

// Files and commands.

bool ComposerPanel::saveSpec(const QString &file, QString *error)
{
    if (!saveCompositionFile(composition(), file, error))
        return false;
    m_document->markSaved();
    return true;
}

bool ComposerPanel::maybeSave()
{
    if (!m_document->isModified())
        return true;
    QMessageBox box(QMessageBox::Question, tr("Unsaved composition"),
        tr("The composition has changes that are not saved. Save them?"), QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("savePrompt"));
    box.setInformativeText(tr("Discarding them empties the composer; the archive itself is never changed."));
    QPushButton *save = box.addButton(QMessageBox::Save);
    QPushButton *drop = box.addButton(QMessageBox::Discard);
    box.addButton(QMessageBox::Cancel);
    box.setDefaultButton(save);
    box.exec();
    if (box.clickedButton() == drop) {
        discard();
        return true;
    }
    return box.clickedButton() == save && saveAs();
}

bool ComposerPanel::saveAs()
{
    const QString file = QFileDialog::getSaveFileName(
        this, tr("Save the composition"), QStringLiteral("composition.json"), tr("Compositions (*.json)"));
    QString error;
    if (file.isEmpty())
        return false;
    if (!saveSpec(file, &error)) {
        QMessageBox::warning(this, tr("Save the composition"), error);
        return false;
    }
    return true;
}

void ComposerPanel::discard()
{
    Composition empty;
    empty.tags = m_document->composition().tags; // the base's name, or the one the user gave
    setComposition(empty);
    m_document->markSaved();
}

void ComposerPanel::offerRestore()
{
    const QDateTime when = CompositionAutosave::leftOver();
    if (!when.isValid())
        return;
    // Restoring opens the composition's base in place of what the window shows: say which.
    QString unused;
    const std::optional<Composition> kept = readCompositionFile(CompositionAutosave::path(), &unused, true);
    const QString base = kept && !kept->basePath.isEmpty() ? kept->basePath : QString();
    QString question = tr("Lamina ended without saving a composition (last kept %1). Restore it?")
                           .arg(QLocale().toString(when, QLocale::ShortFormat));
    if (!base.isEmpty())
        question += u' '
            + tr("Its base, %1, is opened in place of the archive shown now.").arg(QDir::toNativeSeparators(base));
    QMessageBox box(QMessageBox::Question, tr("Unsaved composition"), question, QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("restorePrompt"));
    QPushButton *restore = box.addButton(tr("Restore"), QMessageBox::AcceptRole);
    box.addButton(QMessageBox::Discard);
    box.setDefaultButton(restore);
    box.exec();
    QString error;
    if (box.clickedButton() != restore)
        CompositionAutosave::discard();
    else if (!restoreAutosave(&error))
        QMessageBox::warning(this, tr("Restore the composition"), error);
}

bool ComposerPanel::restoreAutosave(QString *error)
{
    // The copy is the user's own work: its host paths are those they added, wherever they are.
    if (!loadSpec(CompositionAutosave::path(), error, true))
        return false;
    m_autosave->adopt();
    m_document->markUnsaved();
    return true;
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
    ExportOptions options = m_lastOptions;
    options.registry = m_registry; // the base's, not that of the last export's base
    return composeCommandLine(composition(), options, QStringLiteral("lamina"), why);
}

ExportDialog *ComposerPanel::openExportDialog()
{
    auto *dialog = new ExportDialog(composition(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (m_lastOptions.output != u"OUT.tar")
        dialog->setOptions(m_lastOptions);
    dialog->setRegistryOptions(m_registry);
    connect(dialog, &ExportDialog::finished, this, [this, dialog](bool ok) {
        if (ok)
            m_lastOptions = dialog->options();
    });
    connect(dialog, &ExportDialog::openResult, this, &ComposerPanel::openResult);
    dialog->show();
    return dialog;
}

} // namespace lamina
