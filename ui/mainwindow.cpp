// SPDX-License-Identifier: MIT
#include "mainwindow.h"
#include "common/backgroundpool.h"
#include "common/deferredfiles.h"

#include "chainview.h"
#include "check/checks.h"
#include "check/loaders.h"
#include "check/verify.h"
#include "common/titledbox.h"
#include "compose/composerpanel.h"
#include "filetreemodel.h"
#include "findingsmodel.h"
#include "format/inspectreport.h"
#include "inspect/archivemappage.h"
#include "inspect/chainpage.h"
#include "inspect/configpage.h"
#include "inspect/findingspage.h"
#include "inspect/layerspage.h"
#include "jsonhighlighter.h"
#include "layers/extract.h"
#include "layersmodel.h"
#include "loaderstrip.h"
#include "util/checkedsize.h"
#include "util/textsniff.h"

#include <QCheckBox>
#include <QCloseEvent>
#include <QComboBox>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QHeaderView>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QMutex>
#include <QPixmap>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QStringDecoder>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QThread>
#include <QTimer>
#include <QTreeView>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <tuple>

namespace lamina {

namespace {

/// The job's Progress, with `cancel` (the flag the window's Cancel button sets) as what the work
/// polls: a job superseded or abandoned with its window sets it at its next report, so one flag
/// stops the work either way, and a job cancelled by the user is still delivered (and says so).
Progress withCancel(const Progress &job, const std::shared_ptr<std::atomic<bool>> &cancel)
{
    if (job.cancelled())
        *cancel = true;
    Progress p;
    p.cancel = cancel.get();
    p.report = [job, cancel](qint64 done, qint64 total) {
        if (job.cancelled())
            *cancel = true;
        job.update(done, total);
    };
    return p;
}

} // namespace

/// Layers indexed so far, handed from the indexing thread to the window as they come.
struct IndexedSoFar
{
    QMutex mutex;
    QList<std::tuple<int, int, qint64>> layers; ///< layer, files, bytes
};

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("Lamina"));
    setAcceptDrops(true);
    resize(1400, 900);
    buildMenus();

    m_banner = new QLabel;
    m_banner->setObjectName(QStringLiteral("banner"));
    m_banner->setWordWrap(true);
    m_banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_banner->setStyleSheet(
        QStringLiteral("QLabel { background: #fde2e1; color: #6b1410; border: 1px solid #e8a29e; padding: 6px; }"));
    m_banner->hide();
    m_summary = new QLabel(tr("Open an image archive (File ▸ Open) or drop one here."));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    // The composer is a page of its own: it needs the whole window for its preview.
    m_composer = new ComposerPanel;
    m_composer->setObjectName(QStringLiteral("composer"));
    m_pages = new QTabWidget;
    m_pages->setObjectName(QStringLiteral("pages"));
    m_pages->setDocumentMode(true);
    m_pages->insertTab(InspectPage, buildInspector(), tr("Inspect"));
    m_pages->insertTab(ComposePage, m_composer, tr("Compose"));

    auto *central = new QWidget;
    auto *layout = new QVBoxLayout(central);
    layout->addWidget(m_banner);
    layout->addWidget(m_summary);
    layout->addWidget(m_pages, 1);
    setCentralWidget(central);
    buildStatusBar();
    connectPages();

    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    for (QSplitter *splitter : findChildren<QSplitter *>())
        if (!splitter->objectName().isEmpty())
            splitter->restoreState(settings.value(QStringLiteral("window/") + splitter->objectName()).toByteArray());
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open Archive…"), QKeySequence::Open, this, &MainWindow::chooseFile);
    file->addAction(
        tr("Open &Layout Folder…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O), this, &MainWindow::chooseFolder);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::fillRecentMenu);
    file->addAction(tr("&Reload"), QKeySequence::Refresh, this, [this] {
        if (!m_archive.path.isEmpty())
            openPath(m_archive.path);
    });
    file->addSeparator();
    file->addAction(
        tr("&Compose on This Image"), QKeySequence(Qt::CTRL | Qt::Key_K), this, [this] { showPage(ComposePage); });
    file->addAction(tr("&Try Loaders…"), QKeySequence(Qt::CTRL | Qt::Key_L), this, &MainWindow::askAndTryLoaders);
    file->addSeparator();
    file->addAction(tr("&Close Window"), QKeySequence::Close, this, &QWidget::close);
}

QWidget *MainWindow::buildInspector()
{
    m_images = new QTreeWidget;
    m_images->setObjectName(QStringLiteral("images"));
    m_images->setHeaderLabels({ tr("Image"), tr("Platform"), tr("Layers"), tr("Size") });
    m_images->setRootIsDecorated(false);
    m_chainPage = new ChainPage;
    m_chain = m_chainPage->chain();
    m_layersPage = new LayersPage;
    m_configPage = new ConfigPage;
    m_archiveMap = new ArchiveMapPage;
    m_findingsPage = new FindingsPage;
    m_tabs = new QTabWidget;
    m_tabs->insertTab(ChainTab, m_chainPage, tr("Chain ⇄ manifest"));
    m_tabs->insertTab(LayersTab, m_layersPage, tr("Layers && files"));
    m_tabs->insertTab(ConfigTab, m_configPage, tr("Config && history"));
    m_tabs->insertTab(ArchiveMapTab, m_archiveMap, tr("Archive map"));

    auto *top = new QSplitter(Qt::Horizontal);
    top->setObjectName(QStringLiteral("topSplit"));
    top->addWidget(titledBox(tr("Images"), m_images));
    top->addWidget(m_tabs);
    top->setSizes({ 260, 1140 });
    auto *vertical = new QSplitter(Qt::Vertical);
    vertical->setObjectName(QStringLiteral("mainSplit"));
    vertical->addWidget(top);
    vertical->addWidget(m_findingsPage);
    vertical->setSizes({ 580, 260 });
    return vertical;
}

void MainWindow::buildStatusBar()
{
    m_progress = new QProgressBar;
    m_progress->setMaximumWidth(240);
    m_progress->hide();
    m_cancelButton = new QPushButton(tr("Cancel"));
    m_cancelButton->setObjectName(QStringLiteral("cancel"));
    m_cancelButton->hide();
    statusBar()->addPermanentWidget(m_progress);
    statusBar()->addPermanentWidget(m_cancelButton);
    connect(m_cancelButton, &QPushButton::clicked, this, &MainWindow::cancelWork);
}

void MainWindow::connectPages()
{
    auto *findShortcut = new QAction(this);
    findShortcut->setShortcut(QKeySequence::Find);
    // From any tab: the filter is on the files' tab, which a hidden widget cannot take focus on.
    connect(findShortcut, &QAction::triggered, this, [this] {
        showPage(InspectPage);
        showTab(LayersTab);
        m_layersPage->filter()->setFocus(Qt::ShortcutFocusReason);
        m_layersPage->filter()->selectAll();
    });
    addAction(findShortcut);
    connect(m_composer, &ComposerPanel::openResult, this, [](const QString &path) {
        auto *window = new MainWindow;
        window->setAttribute(Qt::WA_DeleteOnClose);
        window->show();
        window->openPath(path);
    });
    connect(m_composer, &ComposerPanel::baseRequested, this,
        [this](const QString &path, int image, const QString &platform) {
            m_requestedImage = image;
            m_requestedPlatform = platform;
            openPath(path);
        });
    connect(m_images, &QTreeWidget::currentItemChanged, this,
        [this](QTreeWidgetItem *item) { selectImage(item ? m_images->indexOfTopLevelItem(item) : -1); });
    connect(m_layersPage->layersView()->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        [this] { showLayerTree(); });
    connect(m_layersPage->layerOnly(), &QCheckBox::toggled, this, [this] { showLayerTree(); });
    connect(m_chain, &ChainView::layerClicked, this, [this](int layer) { selectLayer(layer); });
    // Dragging a file out writes it (safely, as extract does) to a temporary folder first.
    m_layersPage->filesModel()->setDragSource([this](const QList<int> &nodes) -> QMimeData * {
        const std::shared_ptr<const MergedTree> tree = m_layersPage->filesModel()->sharedTree();
        if (!tree)
            return nullptr;
        // Written on a worker while the drag goes on; the folder lives until the next drag.
        auto dir = std::make_shared<QTemporaryDir>();
        m_dragDir = dir;
        return new DeferredFilesMime([archive = m_archive, image = m_image, tree, nodes, dir] {
            QList<QUrl> urls;
            for (int node : nodes) {
                const ExtractResult r = extractNode(archive, image, *tree, node, dir->path(), false);
                if (r.ok())
                    urls << QUrl::fromLocalFile(dir->filePath(QString::fromUtf8(tree->name(node))));
            }
            return urls;
        });
    });
    connect(m_layersPage, &LayersPage::extractRequested, this, &MainWindow::extractSelected);
    connect(m_findingsPage, &FindingsPage::findingSelected, this, &MainWindow::showFinding);
    connect(m_findingsPage->strip(), &LoaderStrip::rangeSelected, this, &MainWindow::showLoaderRange);
    connect(m_findingsPage->strip(), &LoaderStrip::tryRequested, this, &MainWindow::askAndTryLoaders);
}

void MainWindow::showProgress(const QString &format, qint64 done, qint64 total)
{
    m_progress->setRange(0, 1000);
    m_progress->setFormat(format);
    m_progress->setValue(total > 0 ? int(1000 * done / total) : 0);
    m_progress->show();
    m_cancelButton->show();
}

void MainWindow::hideProgress()
{
    // One bar for all: it stays while another job that shows it still runs.
    if (m_indexJob.isRunning() || m_verifyJob.isRunning() || m_tryJob.isRunning() || m_extractJob.isRunning())
        return;
    m_progress->hide();
    m_cancelButton->hide();
}

MainWindow::~MainWindow()
{
    // Nothing waits here: the jobs run to their end in the pool, their results dropped. A load of
    // the loaders being tried still removes what it loaded (the application's pool is joined at exit).
    cancelWork();
}

bool MainWindow::busy() const
{
    return m_openJob.isRunning() || m_indexJob.isRunning() || m_treeJob.isRunning() || m_verifyJob.isRunning()
        || m_tryJob.isRunning() || m_extractJob.isRunning();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    for (QSplitter *splitter : findChildren<QSplitter *>())
        if (!splitter->objectName().isEmpty())
            settings.setValue(QStringLiteral("window/") + splitter->objectName(), splitter->saveState());
    cancelWork();
    QMainWindow::closeEvent(event);
}

void MainWindow::cancelWork()
{
    *m_cancel = true;
    *m_tryCancel = true;
    *m_extractCancel = true;
}

void MainWindow::startVerification()
{
    // Hashing every layer of the whole archive, after the files are shown: it reads every byte.
    if (m_verifyJob.isRunning() || !m_archive.archive || m_verifiedPath == m_archive.path)
        return;
    m_verifiedPath = m_archive.path;
    // The status line keeps the indexing's outcome meanwhile: the bar says what it measures.
    showProgress(tr("Verifying digests: %p%"), 0, 0);
    const ImageArchive ia = m_archive;
    const auto cancel = m_cancel;
    m_verifyJob.start(
        [ia, cancel](const Progress &job) {
            const Progress progress = withCancel(job, cancel);
            // One core and a low priority: hashing must not take the UI thread's core.
            QThread::currentThread()->setPriority(QThread::LowPriority);
            // The layers are read once, for their entries and both digests, as `check --verify`
            // does: what a loader refuses inside a layer is a finding too (the layer-* codes).
            LayerIndexOptions options;
            options.computeDigests = true;
            const QList<ImageLayers> indexed = indexAllImageLayers(ia, options, progress);
            const VerifyReport report = verifyFromIndexes(ia, indexed, progress);
            QThread::currentThread()->setPriority(QThread::NormalPriority);
            Verified v;
            v.cancelled = report.cancelled;
            if (!v.cancelled)
                v.findings = verificationFindings(ia, report) + layerContentFindings(ia, indexed);
            return v;
        },
        [this](Verified v) { showVerified(v); },
        [this](qint64 done, qint64 total) { showProgress(tr("Verifying digests: %p%"), done, total); });
}

void MainWindow::showVerified(const Verified &v)
{
    hideProgress();
    if (v.cancelled) {
        m_verifiedPath.clear(); // try again next time
        statusBar()->showMessage(tr("Verification cancelled."));
        return;
    }
    m_findings += v.findings;
    sortFindings(m_findings);
    m_findingsPage->model()->setFindings(m_findings);
    showVerdicts();
    statusBar()->showMessage(v.findings.isEmpty()
            ? tr("Verified: every layer matches its digests.")
            : tr("Verified: %n layer problem(s) found.", nullptr, int(v.findings.size())));
    Q_EMIT verified();
}

void MainWindow::tryLoaders(const TryLoadersOptions &options)
{
    if (m_tryJob.isRunning() || m_archive.path.isEmpty())
        return;
    m_tryCancel = std::make_shared<std::atomic<bool>>(false);
    showProgress(tr("Trying loaders: %p%"), 0, 0);
    statusBar()->showMessage(tr("Trying the loaders of this machine…"));
    const QString path = m_archive.path;
    m_tryPath = path;
    const QList<LoaderVerdict> predicted = loaderVerdicts(m_archive, m_findings);
    // The stage a loader is at reaches the status line with the progress.
    auto stage = std::make_shared<std::pair<QMutex, QString>>();
    TryLoadersOptions o = options;
    o.stage = [stage](const QString &now) {
        QMutexLocker lock(&stage->first);
        stage->second = now;
    };
    const auto cancel = m_tryCancel;
    m_tryJob.start(
        [path, predicted, o, cancel](const Progress &job) {
            // Runs to its end even when the window is gone: what a loader loaded is removed.
            return lamina::tryLoaders(path, predicted, o, withCancel(job, cancel));
        },
        [this](TryLoadersResult result) { showTriedResult(result); },
        [this, stage](qint64 done, qint64 total) {
            showProgress(tr("Trying loaders: %p%"), done, total);
            QMutexLocker lock(&stage->first);
            if (!stage->second.isEmpty())
                statusBar()->showMessage(tr("Trying loaders: %1…").arg(stage->second));
        });
}

void MainWindow::showTriedResult(const TryLoadersResult &result)
{
    hideProgress();
    m_tried = result;
    m_triedPath = m_tryPath;
    m_findingsPage->strip()->clearObserved();
    showTried();
    QStringList lines, differs, left;
    for (const TriedLoader &t : std::as_const(m_tried.loaders)) {
        lines << triedLoaderLine(t);
        if (t.judged() && !t.matches())
            differs << t.loader;
        for (const QString &what : t.leftBehind)
            left << t.loader + QStringLiteral(": ") + what;
    }
    QString html = QStringLiteral("<h3>%1</h3><ul>").arg(tr("The loaders of this machine").toHtmlEscaped());
    for (const QString &line : std::as_const(lines))
        html += QStringLiteral("<li>%1</li>").arg(line.toHtmlEscaped());
    html += QStringLiteral("</ul>");
    if (!left.isEmpty())
        html += QStringLiteral("<p><b>%1</b><br>%2</p>")
                    .arg(tr("Could not be removed again:").toHtmlEscaped(),
                        left.join(QStringLiteral("\n")).toHtmlEscaped().replace(u'\n', QStringLiteral("<br>")));
    m_findingsPage->clearSelection();
    m_findingsPage->explanation()->setHtml(html);
    if (m_tried.cancelled)
        statusBar()->showMessage(tr("Trying the loaders was cancelled; what they loaded was removed."));
    else if (!left.isEmpty())
        statusBar()->showMessage(tr("Loaders tried, but something could not be removed: %1").arg(left.constFirst()));
    else if (!differs.isEmpty())
        statusBar()->showMessage(
            tr("Loaders tried: %1 did otherwise than predicted.").arg(differs.join(QStringLiteral(", "))));
    else
        statusBar()->showMessage(tr("Loaders tried: each did as predicted."));
    Q_EMIT loadersTried();
}

void MainWindow::openPath(const QString &path)
{
    // What runs is about the archive no longer shown: stopped, its results dropped.
    cancelWork();
    m_indexJob.cancel();
    m_treeJob.cancel();
    m_verifyJob.cancel();
    hideProgress();
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("recent")).toStringList();
    recent.removeAll(path);
    recent.prepend(QFileInfo(path).absoluteFilePath());
    settings.setValue(QStringLiteral("recent"), recent.mid(0, 10));
    statusBar()->showMessage(tr("Reading %1…").arg(QFileInfo(path).fileName()));
    m_progress->setRange(0, 0);
    m_progress->setFormat(QString());
    m_progress->show();
    m_openJob.start(
        [path](const Progress &) {
            Opened o;
            o.archive = openImageArchive(path);
            o.findings = checkArchive(o.archive);
            return o;
        },
        [this](Opened opened) {
            m_progress->hide();
            showOpened(opened);
            Q_EMIT archiveLoaded();
        });
}

void MainWindow::startIndexing(int image)
{
    *m_cancel = true; // the indexing and verification of what was shown before
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    m_treeJob.cancel();
    showProgress(tr("Indexing: %p%"), 0, 0);
    statusBar()->showMessage(tr("Indexing the layers' files…"));
    const ImageArchive ia = m_archive;
    const auto cancel = m_cancel;
    // Each layer shows its own figures as soon as it is read.
    auto soFar = std::make_shared<IndexedSoFar>();
    m_indexJob.start(
        [ia, image, cancel, soFar](const Progress &job) {
            Indexed result;
            // The sizes are worked out while the layers are read (each layer merged as it arrives).
            result.layers = indexImageLayers(
                ia, image, {}, withCancel(job, cancel),
                [soFar](int layer, const std::shared_ptr<const LayerIndex> &index) {
                    QMutexLocker lock(&soFar->mutex);
                    soFar->layers.append({ layer, index->fileCount, index->uncompressedSize });
                },
                &result.sizes);
            if (result.layers.cancelled)
                result.sizes = {}; // figures of a part of the layers would mislead
            return result;
        },
        [this, soFar](Indexed indexed) {
            showIndexedSoFar(*soFar);
            showIndexed(indexed);
        },
        [this, soFar](qint64 done, qint64 total) {
            showIndexedSoFar(*soFar);
            showProgress(tr("Indexing: %p%"), done, total);
        });
}

void MainWindow::showIndexedSoFar(IndexedSoFar &soFar)
{
    QMutexLocker lock(&soFar.mutex);
    for (const auto &[layer, files, bytes] : std::as_const(soFar.layers))
        m_layersPage->layersModel()->setLayerIndexed(layer, files, bytes);
    soFar.layers.clear();
}

void MainWindow::showIndexed(const Indexed &indexed)
{
    hideProgress();
    m_layers = indexed.layers;
    if (m_layers.cancelled)
        statusBar()->showMessage(tr("Indexing cancelled: the files of some layers are not shown."));
    else
        statusBar()->showMessage(m_layers.errors.isEmpty()
                ? tr("All layers indexed.")
                : tr("Indexed, with problems: %1").arg(m_layers.errors.constFirst()));
    m_layersPage->layersModel()->setSizes(indexed.sizes);
    if (!m_layers.cancelled)
        m_composer->setBase(m_archive, m_image, m_layers.layers);
    for (int c = 0; c < LayersModel::CreatedByColumn; ++c)
        m_layersPage->layersView()->resizeColumnToContents(c);
    if (m_layers.layers.isEmpty()) {
        Q_EMIT layersIndexed();
        if (!m_layers.cancelled)
            startVerification();
    } else {
        showLayerTree();
    }
}

void MainWindow::showLayerTree()
{
    const QModelIndex current = m_layersPage->layersView()->currentIndex();
    const int top = int(m_layers.layers.size()) - 1;
    const int layer = current.isValid() ? current.row() : top;
    if (m_indexJob.isRunning() || layer < 0 || layer > top) {
        m_treeJob.cancel();
        m_layersPage->filesModel()->setTree(nullptr, -1);
        return;
    }
    // Building a tree of a million entries takes longer than a frame: off the UI thread. A tree
    // asked for later replaces this one, which is dropped when done. One is built at a time (each
    // can take hundreds of megabytes): clicking through the layers does not start a build per
    // click, as those superseded while they wait are skipped.
    const MergedTree::Layers layers = m_layers.layers;
    m_treeJob.start(
        [layers, layer](const Progress &job) -> std::shared_ptr<const MergedTree> {
            static QMutex building;
            QMutexLocker lock(&building);
            if (job.cancelled())
                return {};
            return std::make_shared<const MergedTree>(MergedTree::build(layers, layer));
        },
        [this, layer](std::shared_ptr<const MergedTree> tree) {
            m_layersPage->filesModel()->setTree(tree, layer, m_layersPage->layerOnly()->isChecked());
            m_layersPage->filesView()->header()->resizeSection(FileTreeModel::NameColumn, 320);
            Q_EMIT layersIndexed();
            if (!m_layers.cancelled)
                startVerification(); // once per archive, after the files are on screen
        });
    m_chain->setHighlighted({ layer }, {});
}

void MainWindow::extractSelected()
{
    const MergedTree *tree = m_layersPage->filesModel()->tree();
    const int node = m_layersPage->currentNode();
    if (node < 0 || !tree || tree->node(node).removed)
        return;
    const QString dest
        = QFileDialog::getExistingDirectory(this, tr("Extract %1 to").arg(QString::fromUtf8(tree->name(node))));
    if (!dest.isEmpty())
        extractTo(node, dest);
}

void MainWindow::extractTo(int node, const QString &dest)
{
    const std::shared_ptr<const MergedTree> tree = m_layersPage->filesModel()->sharedTree();
    if (!tree || node < 0 || m_extractJob.isRunning())
        return;
    m_extractCancel = std::make_shared<std::atomic<bool>>(false);
    const auto cancel = m_extractCancel;
    const ImageArchive ia = m_archive;
    const int image = m_image;
    showProgress(tr("Extracting: %p%"), 0, 0);
    statusBar()->showMessage(tr("Extracting %1…").arg(QString::fromUtf8(tree->name(node))));
    m_extractJob.start(
        [ia, image, tree, node, dest, cancel](const Progress &job) {
            Extracted e;
            e.dest = dest;
            // What the extract makes is the node's name in `dest`: removed again when cancelled,
            // unless it was there before (a folder extracted into keeps what it held).
            const QString made = QDir(dest).filePath(QString::fromUtf8(tree->name(node)));
            const QFileInfo before(made);
            const bool existed = before.exists() || before.isSymLink();
            e.result = extractNode(ia, image, *tree, node, dest, false, withCancel(job, cancel));
            e.cancelled = *cancel;
            if (e.cancelled && !existed) {
                const QFileInfo after(made);
                if (after.isDir() && !after.isSymLink())
                    QDir(made).removeRecursively();
                else if (after.exists() || after.isSymLink())
                    QFile::remove(made);
            }
            return e;
        },
        [this](Extracted e) { showExtracted(e); },
        [this](qint64 done, qint64 total) { showProgress(tr("Extracting: %p%"), done, total); });
}

void MainWindow::showExtracted(const Extracted &e)
{
    hideProgress();
    const ExtractResult &r = e.result;
    if (e.cancelled)
        statusBar()->showMessage(tr("Extraction cancelled; what it had written was removed."));
    else if (!r.ok())
        QMessageBox::warning(this, tr("Extract"), r.error); // a command the user just gave: a dialog is right
    else
        statusBar()->showMessage(
            tr("Extracted %1 file(s), %2 folder(s), %3 link(s) to %4%5")
                .arg(r.files)
                .arg(r.folders)
                .arg(r.links)
                .arg(e.dest, r.skipped.isEmpty() ? QString() : tr("; skipped %1").arg(r.skipped.size())));
    Q_EMIT extracted(r.ok() && !e.cancelled);
}

void MainWindow::fillRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(QStringLiteral("recent")).toStringList();
    for (const QString &path : recent)
        m_recentMenu->addAction(path, this, [this, path] { openPath(path); });
    if (recent.isEmpty())
        m_recentMenu->addAction(tr("(nothing yet)"))->setEnabled(false);
}

void MainWindow::showPage(Page page)
{
    m_pages->setCurrentIndex(page);
}

void MainWindow::showTab(Tab tab)
{
    m_pages->setCurrentIndex(InspectPage);
    m_tabs->setCurrentIndex(tab);
}

void MainWindow::selectLayer(int layer)
{
    m_layersPage->layersView()->selectRow(layer);
}

void MainWindow::selectFinding(int row)
{
    m_findingsPage->selectFinding(row);
}

void MainWindow::askAndTryLoaders()
{
    if (!m_archive.ok() && m_archive.path.isEmpty())
        return;
    if (m_tryJob.isRunning()) {
        statusBar()->showMessage(tr("The loaders are being tried already."));
        return;
    }
    TryLoadersOptions options;
    // containerd's own variable, as ctr reads it: the window has no option of its own for it.
    options.containerdAddress = qEnvironmentVariable("CONTAINERD_ADDRESS");
    const bool dockerInstalled = !QStandardPaths::findExecutable(QStringLiteral("docker")).isEmpty();
    QString host = qEnvironmentVariable("DOCKER_HOST");
    if (host.isEmpty() && QFileInfo::exists(QStringLiteral("/var/run/docker.sock")))
        host = QStringLiteral("unix:///var/run/docker.sock");
    if (dockerInstalled && !host.isEmpty()) {
        QMessageBox box(QMessageBox::Question, tr("Try Loaders"),
            tr("Also load %1 into Docker at %2?").arg(QFileInfo(m_archive.path).fileName(), host),
            QMessageBox::NoButton, this);
        box.setInformativeText(
            tr("podman loads it into a throwaway store of its own in any case. Docker loads it into the running "
               "daemon, whose images everyone using it sees meanwhile; afterwards Lamina removes exactly the images "
               "the load added and gives back a tag it took. Something that cannot be removed is reported.")
            + (options.containerdAddress.isEmpty() ? QString()
                                                   : QStringLiteral("\n\n")
                        + tr("containerd at %1 (CONTAINERD_ADDRESS) imports it into a namespace of its own, removed "
                             "afterwards.")
                              .arg(options.containerdAddress)));
        QPushButton *withDocker = box.addButton(tr("Load into Docker too"), QMessageBox::YesRole);
        box.addButton(tr("podman only"), QMessageBox::NoRole);
        box.addButton(QMessageBox::Cancel);
        box.setDefaultButton(withDocker);
        box.exec();
        if (box.buttonRole(box.clickedButton()) == QMessageBox::RejectRole)
            return;
        if (box.clickedButton() == withDocker)
            options.dockerHost = host;
    }
    tryLoaders(options);
}

void MainWindow::showTried()
{
    if (m_triedPath != m_archive.path)
        return;
    for (const TriedLoader &t : std::as_const(m_tried.loaders))
        if (t.ran && t.range >= 0)
            m_findingsPage->strip()->setObserved(t.range, t.loaded ? tr("loads") : tr("refuses"), t.matches());
}

void MainWindow::chooseFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Image Archive"), {},
        tr("Image archives (*.tar *.tar.gz *.tgz *.tar.zst *.tar.xz *.tar.bz2);;All files (*)"));
    if (!path.isEmpty())
        openPath(path);
}

void MainWindow::chooseFolder()
{
    const QString path = QFileDialog::getExistingDirectory(this, tr("Open OCI Layout Folder"));
    if (!path.isEmpty())
        openPath(path);
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.constFirst().isLocalFile())
        openPath(urls.constFirst().toLocalFile());
}

void MainWindow::showOpened(const Opened &opened)
{
    m_archive = opened.archive;
    m_verifiedPath.clear();
    m_findings = opened.findings;
    const ImageArchive &ia = m_archive;
    setWindowTitle(QStringLiteral("%1 — Lamina").arg(QFileInfo(ia.path).fileName()));
    QString container = tr("folder");
    if (ia.archive && ia.archive->container() == Container::Tar) {
        container = ia.archive->compression() == Compression::None
            ? tr("uncompressed tar")
            : tr("%1-compressed tar").arg(compressionName(ia.archive->compression()));
    }
    int errors = 0, warnings = 0;
    for (const Finding &f : m_findings) {
        errors += f.severity == Severity::Error ? 1 : 0;
        warnings += f.severity == Severity::Warning ? 1 : 0;
    }
    m_summary->setText(
        tr("<b>%1</b> — %2, layout <b>%3</b>, %n image(s); %4 error(s), %5 warning(s)", nullptr, int(ia.images.size()))
            .arg(QFileInfo(ia.path).fileName().toHtmlEscaped(), container, layoutName(ia.layout))
            .arg(errors)
            .arg(warnings));
    if (ia.errors.isEmpty()) {
        m_banner->hide();
    } else {
        // Inline, not modal: what could be read stays visible below.
        m_banner->setText(tr("Some of this archive could not be read:") + QStringLiteral("<br>")
            + ia.errors.mid(0, 5)
                  .join(QStringLiteral("<br>"))
                  .toHtmlEscaped()
                  .replace(QStringLiteral("&lt;br&gt;"), QStringLiteral("<br>")));
        m_banner->show();
    }
    m_findingsPage->model()->setFindings(m_findings);
    showVerdicts();
    m_findingsPage->view()->resizeColumnToContents(FindingsModel::SeverityColumn);
    m_findingsPage->view()->resizeColumnToContents(FindingsModel::CodeColumn);
    m_findingsPage->explanation()->clear();
    m_images->clear();
    for (const Image &img : ia.images) {
        auto *item = new QTreeWidgetItem(m_images);
        item->setText(0, img.tags.isEmpty() ? tr("(untagged)") : img.tags.join(QStringLiteral(", ")));
        item->setText(1, img.platform.toString());
        item->setText(2, QString::number(img.layers.size()));
        qint64 stored = 0;
        for (const ImageLayer &l : img.layers)
            stored = addSizes(stored, std::max<qint64>(0, l.size));
        item->setText(3, QLocale().formattedDataSize(stored));
        item->setToolTip(0, img.configDigest);
    }
    for (const int a : ia.artifacts) {
        auto *item = new QTreeWidgetItem(m_images);
        const OciManifest &m = ia.oci.manifests.at(a);
        item->setText(
            0, tr("artifact: %1").arg(m.artifactType.isEmpty() ? m.configDescriptor.mediaType : m.artifactType));
        item->setDisabled(true);
    }
    m_images->resizeColumnToContents(0);
    m_archiveMap->setArchive(m_archive);
    statusBar()->showMessage(ia.ok() ? tr("Read %1").arg(ia.path) : tr("No image could be read from %1").arg(ia.path));
    m_image = -1;
    int first = m_requestedImage >= 0 && m_requestedImage < ia.images.size() ? m_requestedImage : 0;
    if (!m_requestedPlatform.isEmpty()) {
        QString error; // none fits: the first image, and the composer says what is wrong
        if (const int fits = findImageForPlatform(ia, m_requestedPlatform, &error); fits >= 0)
            first = fits;
    }
    m_requestedImage = -1;
    m_requestedPlatform.clear();
    if (!ia.images.isEmpty())
        m_images->setCurrentItem(m_images->topLevelItem(first));
    else
        selectImage(-1);
}

void MainWindow::selectImage(int image)
{
    if (image >= m_archive.images.size())
        image = -1;
    m_image = image;
    m_chain->setImage(&m_archive, image);
    m_layersPage->filesModel()->setTree(nullptr, -1);
    m_layersPage->setSource(m_archive, image);
    m_configPage->setImage(image >= 0 ? &m_archive.images.at(image) : nullptr);
    if (image < 0) {
        m_layersPage->layersModel()->setImage(Image());
        m_composer->setBase({}, -1, {});
        return;
    }
    m_layersPage->layersModel()->setImage(m_archive.images.at(image));
    m_layersPage->layersView()->resizeColumnsToContents();
    startIndexing(image);
}

void MainWindow::showFinding(int row)
{
    if (row < 0 || row >= m_findings.size()) {
        m_findingsPage->explanation()->clear();
        m_layersPage->layersModel()->setHighlighted({});
        m_chain->setHighlighted({}, {});
        return;
    }
    const Finding &f = m_findings.at(row);
    m_findingsPage->explanation()->setHtml(FindingsPage::findingHtml(f));
    if (f.image >= 0 && f.image != m_image && f.image < m_images->topLevelItemCount())
        m_images->setCurrentItem(m_images->topLevelItem(f.image));
    const QSet<int> layers(f.layers.begin(), f.layers.end());
    m_layersPage->layersModel()->setHighlighted(layers);
    m_chain->setHighlighted(layers, f.members);
    m_archiveMap->setMarked(f.members);
}

void MainWindow::showVerdicts()
{
    // The same verdicts `lamina check` prints for these findings.
    const int selected = m_findingsPage->strip()->selected();
    m_findingsPage->strip()->setVerdicts(
        m_archive.ok() || !m_findings.isEmpty() ? loaderVerdicts(m_archive, m_findings) : QList<LoaderVerdict>());
    m_findingsPage->model()->setMarked({});
    showTried();
    // Verification adds findings to the same archive: what was selected stays selected.
    if (selected >= 0 && selected < m_findingsPage->strip()->verdicts().size() && m_verifiedPath == m_archive.path
        && !m_findingsPage->view()->selectionModel()->hasSelection())
        m_findingsPage->strip()->select(selected);
}

void MainWindow::showLoaderRange(int range)
{
    if (range < 0 || range >= m_findingsPage->strip()->verdicts().size()) {
        m_findingsPage->model()->setMarked({});
        return;
    }
    const LoaderVerdict &v = m_findingsPage->strip()->verdicts().at(range);
    m_findingsPage->model()->setMarked(v.because);
    // The details show the range, not a finding: a finding selected now shows itself again.
    m_findingsPage->clearSelection();
    m_findingsPage->explanation()->setHtml(FindingsPage::loaderRangeHtml(
        v, m_findings, m_triedPath == m_archive.path ? m_tried.loaders : QList<TriedLoader>()));
    for (int i = 0; i < m_findings.size(); ++i)
        if (m_findingsPage->model()->isMarked(i)) {
            m_findingsPage->scrollToFinding(i);
            break;
        }
}

} // namespace lamina
