// SPDX-License-Identifier: MIT
#include "mainwindow.h"

#include "compose/exportdialog.h"

#include "compare/comparewindow.h"

#include "chainview.h"
#include "check/checks.h"
#include "check/loaders.h"
#include "common/titledbox.h"
#include "compose/composerpanel.h"
#include "compose/exportdialog.h"
#include "filetreemodel.h"
#include "findingsmodel.h"
#include "help/helpdialogs.h"
#include "help/tour.h"
#include "inspect/archiveheader.h"
#include "inspect/archivemappage.h"
#include "inspect/chainpage.h"
#include "inspect/configpage.h"
#include "inspect/fileextraction.h"
#include "inspect/findingspage.h"
#include "inspect/imagelist.h"
#include "inspect/layerspage.h"
#include "inspect/loadertrial.h"
#include "inspect/openimagedialog.h"
#include "inspect/welcomepage.h"
#include "layers/extract.h"
#include "layersmodel.h"
#include "loaderstrip.h"

#include <QApplication>
#include <QCheckBox>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSet>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTextBrowser>
#include <QTreeView>
#include <QVBoxLayout>

namespace lamina {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("Lamina"));
    setAcceptDrops(true);
    resize(1400, 900);
    buildMenus();

    m_header = new ArchiveHeader;
    m_trial = new LoaderTrial(this);

    // The composer is a page of its own: it needs the whole window for its preview.
    m_composer = new ComposerPanel;
    m_composer->setObjectName(QStringLiteral("composer"));
    m_pages = new QTabWidget;
    m_pages->setObjectName(QStringLiteral("pages"));
    m_pages->setDocumentMode(true);
    m_pages->insertTab(InspectPage, buildInspector(), tr("Inspect"));
    m_pages->insertTab(ComposePage, m_composer, tr("Compose"));
    // The composer's trees are a million rows on a big image: shaped when the page is opened,
    // not for a page behind the inspector.
    m_composer->setTreesInSight(m_pages->currentIndex() == ComposePage);
    connect(m_pages, &QTabWidget::currentChanged, this,
        [this](int page) { m_composer->setTreesInSight(page == ComposePage); });

    // Until an archive is shown: how to open one, the sample, the archives opened before.
    m_welcome = new WelcomePage;
    m_stack = new QStackedWidget;
    m_stack->addWidget(m_welcome);
    m_stack->addWidget(m_pages);
    auto *central = new QWidget;
    auto *layout = new QVBoxLayout(central);
    layout->addWidget(m_header);
    layout->addWidget(m_stack, 1);
    setCentralWidget(central);
    buildStatusBar();
    buildViewMenu();
    connectPages();

    // View ▸ Reset Layout goes back to these.
    m_defaultInspector = m_inspector->saveState();
    for (QSplitter *splitter : findChildren<QSplitter *>())
        if (!splitter->objectName().isEmpty())
            m_defaultSplitters.insert(splitter->objectName(), splitter->saveState());
    QSettings settings;
    restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray());
    fitToScreen();
    m_layoutRestored = m_inspector->restoreState(settings.value(QStringLiteral("window/inspector")).toByteArray());
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
    file->addAction(tr("Open &Image from an Engine or Registry…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_I), this,
        &MainWindow::chooseEngineImage);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    connect(m_recentMenu, &QMenu::aboutToShow, this, &MainWindow::fillRecentMenu);
    file->addAction(tr("&Reload"), QKeySequence::Refresh, this, [this] {
        if (!m_archive.path.isEmpty())
            openAsked(m_archive.path);
    });
    file->addSeparator();
    m_saveAs = file->addAction(
        tr("&Save Image As…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S), this, [this] { openConvertDialog({}); });
    m_saveAs->setObjectName(QStringLiteral("saveAs"));
    m_saveAs->setEnabled(false);
    file->addAction(
        tr("&Compose on This Image"), QKeySequence(Qt::CTRL | Qt::Key_K), this, [this] { showPage(ComposePage); });
    file->addAction(tr("&Try Loaders…"), QKeySequence(Qt::CTRL | Qt::Key_L), this, &MainWindow::askAndTryLoaders);
    m_compareMenu = file->addMenu(tr("Compare &With"));
    m_compareMenu->setObjectName(QStringLiteral("compareMenu"));
    // Kept by the window, so that its shortcut works before the menu was ever opened.
    m_compareArchive = new QAction(tr("Another &Archive…"), this);
    m_compareArchive->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_D));
    connect(m_compareArchive, &QAction::triggered, this, [this] { chooseCompare(false, {}, -1); });
    addAction(m_compareArchive);
    connect(m_compareMenu, &QMenu::aboutToShow, this, [this] { fillCompareMenu(m_compareMenu, {}, -1); });
    file->addSeparator();
    file->addAction(tr("&Close Window"), QKeySequence::Close, this, &QWidget::close);
    file->addAction(tr("&Quit"), QKeySequence(Qt::CTRL | Qt::Key_Q), qApp, &QApplication::closeAllWindows);

    m_viewMenu = menuBar()->addMenu(tr("&View"));

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("How Images Are &Stored (a Tour)"), this, &MainWindow::startTour);
    help->addAction(tr("Open the &Sample Archive"), this, &MainWindow::openSample);
    help->addAction(tr("&Findings Catalogue"), QKeySequence::HelpContents, this, [this] { showCatalogue(this); });
    help->addAction(tr("&Keyboard Shortcuts"), this, [this] { showShortcuts(this, menuBar()); });
    help->addSeparator();
    help->addAction(tr("&About Lamina"), this, [this] { showAbout(this); });
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
    connect(m_composer, &ComposerPanel::openResult, this, [](const QString &path, bool insecure) {
        auto *window = new MainWindow;
        window->setAttribute(Qt::WA_DeleteOnClose);
        window->show();
        window->openChosenImage(path, insecure);
    });
    connect(m_composer, &ComposerPanel::baseRequested, this,
        [this](const QString &path, int image, const QString &platform) {
            m_requestedImage = image;
            m_requestedPlatform = platform;
            openPath(path);
        });
    connect(m_images, &ImageList::imageSelected, this, &MainWindow::selectImage);
    connect(m_images, &ImageList::compareRequested, this, [this](int image) { askCompareWith({}, image); });
    connect(
        m_layersPage, &LayersPage::compareRequested, this, [this](const QByteArray &path) { askCompareWith(path); });
    connect(m_chain, &ChainView::compareRequested, this, [this] { askCompareWith({}); });
    connect(m_chain, &ChainView::extractRequested, m_layersPage, &LayersPage::askAndExtractLayer);
    connect(m_welcome, &WelcomePage::openFileRequested, this, &MainWindow::chooseFile);
    connect(m_welcome, &WelcomePage::openFolderRequested, this, &MainWindow::chooseFolder);
    connect(m_welcome, &WelcomePage::sampleRequested, this, &MainWindow::openSample);
    connect(m_welcome, &WelcomePage::tourRequested, this, &MainWindow::startTour);
    connect(m_welcome, &WelcomePage::recentRequested, this, &MainWindow::openAsked);
    connect(m_layersPage->layersView()->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        [this] { showLayerTree(); });
    // A range selected (Shift) shows the net change of its layers.
    connect(m_layersPage->layersView()->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        const auto [from, to] = m_layersPage->selectedRange();
        if (to > from || m_rangeShown)
            showLayerTree();
    });
    connect(m_layersPage->layerOnly(), &QCheckBox::toggled, this, [this] { showLayerTree(); });
    connect(m_chain, &ChainView::layerClicked, this, [this](int layer) { selectLayer(layer); });
    connect(m_chain, &ChainView::activated, this, [this](int layer) {
        selectLayer(layer);
        showTab(LayersTab);
    });
    connect(m_findingsPage, &FindingsPage::findingSelected, this, &MainWindow::showFinding);
    // A finding's menu shows a layer it concerns, in the table or the chain.
    const auto showLayerOf = [this](int image, int layer, Tab tab) {
        if (image != m_image)
            m_images->select(image);
        selectLayer(layer);
        m_chain->setSelectedLayer(layer);
        showTab(tab);
    };
    connect(m_findingsPage, &FindingsPage::layerRequested, this,
        [showLayerOf](int image, int layer) { showLayerOf(image, layer, LayersTab); });
    connect(m_findingsPage, &FindingsPage::chainRequested, this,
        [showLayerOf](int image, int layer) { showLayerOf(image, layer, ChainTab); });
    connect(m_findingsPage, &FindingsPage::repairRequested, this, [this](int row) {
        if (row >= 0 && row < m_findings.size())
            openConvertDialog(m_findings.at(row));
    });
    connect(m_findingsPage->strip(), &LoaderStrip::rangeSelected, this, &MainWindow::showLoaderRange);
    connect(m_findingsPage->strip(), &LoaderStrip::tryRequested, this, &MainWindow::askAndTryLoaders);
    connectExtraction();
    connectTrial();
}

void MainWindow::connectExtraction()
{
    FileExtraction *extraction = m_layersPage->extraction();
    connect(extraction, &FileExtraction::started, this, [this](const QString &name) {
        showProgress(tr("Extracting: %p%"), 0, 0);
        statusBar()->showMessage(tr("Extracting %1…").arg(name));
    });
    connect(extraction, &FileExtraction::progress, this,
        [this](qint64 done, qint64 total) { showProgress(tr("Extracting: %p%"), done, total); });
    connect(extraction, &FileExtraction::finished, this,
        [this](const ExtractResult &r, const QString &dest, bool cancelled) {
            hideProgress();
            if (cancelled)
                statusBar()->showMessage(tr("Extraction cancelled; what it had written was removed."));
            else if (!r.ok())
                QMessageBox::warning(this, tr("Extract"), r.error); // a command the user just gave: a dialog is right
            else
                statusBar()->showMessage(
                    tr("Extracted %1 file(s), %2 folder(s), %3 link(s) to %4%5")
                        .arg(r.files)
                        .arg(r.folders)
                        .arg(r.links)
                        .arg(dest, r.skipped.isEmpty() ? QString() : tr("; skipped %1").arg(r.skipped.size())));
            Q_EMIT extracted(r.ok() && !cancelled);
        });
}

void MainWindow::connectTrial()
{
    connect(m_trial, &LoaderTrial::progress, this,
        [this](qint64 done, qint64 total) { showProgress(tr("Trying loaders: %p%"), done, total); });
    connect(m_trial, &LoaderTrial::stage, this,
        [this](const QString &stage) { statusBar()->showMessage(tr("Trying loaders: %1…").arg(stage)); });
    connect(m_trial, &LoaderTrial::finished, this, [this] {
        hideProgress();
        m_findingsPage->strip()->clearObserved();
        showTried();
        m_findingsPage->clearSelection();
        m_findingsPage->explain(LoaderTrial::resultHtml(m_trial->result()));
        growFindingsToRead();
        statusBar()->showMessage(LoaderTrial::resultStatus(m_trial->result()));
        Q_EMIT loadersTried();
    });
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
    if (m_indexJob.isRunning() || m_verifyJob.isRunning() || m_trial->isRunning()
        || m_layersPage->extraction()->isRunning())
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
        || m_trial->isRunning() || m_layersPage->extraction()->isRunning() || m_layersPage->filesModel()->isShaping()
        || m_composer->previewPending();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (!m_composer->maybeSave()) {
        event->ignore();
        return;
    }
    saveLayout();
    cancelWork();
    QMainWindow::closeEvent(event);
}

void MainWindow::cancelWork()
{
    *m_cancel = true;
    m_trial->cancel();
    m_layersPage->extraction()->cancel();
}

QString MainWindow::archiveFile() const
{
    // An engine's image is read from the file it was saved to; its path is the reference.
    return m_archive.archive ? m_archive.archive->path() : m_archive.path;
}

void MainWindow::tryLoaders(const TryLoadersOptions &options)
{
    startTrial([&](const QList<LoaderVerdict> &predicted) {
        m_trial->start(archiveFile(), predicted, options);
        return true;
    });
}

const TryLoadersResult &MainWindow::triedLoaders() const
{
    return m_trial->result();
}

void MainWindow::askAndTryLoaders()
{
    if (!m_archive.ok() && m_archive.path.isEmpty())
        return;
    startTrial([this](const QList<LoaderVerdict> &predicted) { return m_trial->ask(this, archiveFile(), predicted); });
}

void MainWindow::startTrial(const std::function<bool(const QList<LoaderVerdict> &)> &start)
{
    if (m_trial->isRunning()) {
        statusBar()->showMessage(tr("The loaders are being tried already."));
        return;
    }
    if (m_archive.path.isEmpty() || !start(loaderVerdicts(m_archive, m_findings)))
        return;
    showProgress(tr("Trying loaders: %p%"), 0, 0);
    statusBar()->showMessage(tr("Trying the loaders of this machine…"));
}

void MainWindow::extractTo(int node, const QString &dest)
{
    m_layersPage->extractTo(node, dest);
}

void MainWindow::showPage(Page page)
{
    showPages();
    m_pages->setCurrentIndex(page);
}

void MainWindow::showTab(Tab tab)
{
    showPages();
    m_pages->setCurrentIndex(InspectPage);
    m_tabs->setCurrentIndex(tab);
}

void MainWindow::selectLayer(int layer)
{
    m_layersPage->selectLayer(layer);
}

void MainWindow::selectFinding(int row)
{
    m_findingsPage->selectFinding(row);
}

void MainWindow::showTried()
{
    for (const TriedLoader &t : m_trial->triedOn(archiveFile()))
        if (t.ran && t.range >= 0)
            m_findingsPage->strip()->setObserved(t.range, t.loaded ? tr("loads") : tr("refuses"), t.matches());
}

void MainWindow::showOpened(const Opened &opened)
{
    m_archive = opened.archive;
    m_knownLayers = opened.layers;
    showPages();
    if (m_tourDock)
        m_tourDock->hide(); // it walks another archive's members; startTour() shows it again
    m_verifiedPath.clear();
    m_verifiedMessage.clear();
    m_findings = opened.findings;
    const ImageArchive &ia = m_archive;
    setWindowTitle(QStringLiteral("%1 — Lamina").arg(shownName(ia.path)));
    m_header->setArchive(ia, m_findings);
    m_findingsPage->setFindings(m_findings);
    m_findingsPage->setRepairable(ia.ok()); // no image, nothing to write again
    fitFindingsToTheirCount();
    showVerdicts();
    m_findingsPage->view()->resizeColumnToContents(FindingsModel::SeverityColumn);
    m_findingsPage->view()->resizeColumnToContents(FindingsModel::CodeColumn);
    m_findingsPage->clearExplanation();
    m_images->setArchive(ia);
    m_archiveMap->setArchive(m_archive);
    m_saveAs->setEnabled(ia.ok());
    statusBar()->showMessage(ia.ok() ? tr("Read %1").arg(ia.path) : tr("No image could be read from %1").arg(ia.path));
    m_image = -1;
    m_layerOfImage.clear();
    int first = m_requestedImage >= 0 && m_requestedImage < ia.images.size() ? m_requestedImage : 0;
    if (!m_requestedPlatform.isEmpty()) {
        QString error; // none fits: the first image, and the composer says what is wrong
        if (const int fits = findImageForPlatform(ia, m_requestedPlatform, &error); fits >= 0)
            first = fits;
    }
    m_requestedImage = -1;
    m_requestedPlatform.clear();
    if (!ia.images.isEmpty())
        m_images->select(first);
    else
        selectImage(-1);
}

void MainWindow::selectImage(int image)
{
    if (image >= m_archive.images.size())
        image = -1;
    // Going from one image to another, the user comes back to the layer each was left at, and
    // stays at the file shown when the next image has it: images are compared path by path.
    QByteArray path;
    if (m_image >= 0 && image != m_image) {
        m_layerOfImage.insert(m_image, m_layersPage->layersView()->currentIndex().row());
        path = m_layersPage->currentPath();
    }
    m_image = image;
    m_chain->setImage(&m_archive, image);
    m_layersPage->filesModel()->setTree(nullptr, -1);
    m_layersPage->setSource(m_archive, image);
    m_configPage->setImage(image >= 0 ? &m_archive.images.at(image) : nullptr);
    if (image < 0) {
        m_layersPage->layersModel()->setImage(Image());
        m_composer->setRegistryOptions({});
        m_composer->setBase({}, -1, {});
        return;
    }
    m_layersPage->layersModel()->setImage(m_archive.images.at(image));
    m_layersPage->layersView()->resizeColumnsToContents();
    startIndexing(image);
    // The files shown are the top layer's: its row says so. With no current row, focus coming
    // to the table would make Qt pick the first, and show layer 0's files unasked. (After the
    // indexing started: the tree waits for it rather than being built of the last image's layers.)
    if (const int top = int(m_archive.images.at(image).layers.size()) - 1; top >= 0) {
        const int left = m_layerOfImage.value(image, top);
        const int layer = left >= 0 && left <= top ? left : top;
        m_layersPage->selectLayer(layer);
        if (!path.isEmpty())
            m_layersPage->selectWhenShown(path, layer);
    }
}

void MainWindow::showFinding(int row)
{
    if (row < 0 || row >= m_findings.size()) {
        m_findingsPage->clearExplanation();
        m_layersPage->layersModel()->setHighlighted({});
        m_chain->setHighlighted({}, {});
        return;
    }
    const Finding &f = m_findings.at(row);
    m_findingsPage->explain(FindingsPage::findingHtml(f, m_archive.ok()));
    growFindingsToRead();
    if (f.image >= 0 && f.image != m_image)
        m_images->select(f.image);
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
        m_archive.ok() || !m_findings.isEmpty() ? loaderVerdicts(m_archive, m_findings) : QList<LoaderVerdict>(),
        m_archive.archive && m_archive.archive->container() == Container::Directory);
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
    m_findingsPage->explain(FindingsPage::loaderRangeHtml(v, m_findings, m_trial->triedOn(archiveFile())));
    growFindingsToRead();
    for (int i = 0; i < m_findings.size(); ++i)
        if (m_findingsPage->model()->isMarked(i)) {
            m_findingsPage->scrollToFinding(i);
            break;
        }
}

ExportDialog *MainWindow::openConvertDialog(const Finding &focus)
{
    if (!m_archive.ok())
        return nullptr;
    ConvertRequest request;
    request.path = m_archive.path;
    request.image = focus.image >= 0 ? focus.image : std::max(m_image, 0);
    request.findings = m_findings;
    request.focus = focus.code;
    auto *dialog = new ExportDialog(request, this);
    dialog->setRegistryOptions(m_registry);
    dialog->setObjectName(QStringLiteral("convertDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ExportDialog::openResult, this, &MainWindow::openChosenImage);
    dialog->show();
    return dialog;
}

} // namespace lamina
