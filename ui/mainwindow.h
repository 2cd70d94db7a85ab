// SPDX-License-Identifier: MIT
#pragma once

#include "check/finding.h"
#include "check/tryloaders.h"
#include "format/imagearchive.h"
#include "layers/imagelayers.h"

#include <QFutureWatcher>
#include <QMainWindow>

#include <atomic>
#include <memory>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QTabWidget;
class QTableView;
class QTemporaryDir;
class QTextBrowser;
class QTreeView;
class QTreeWidget;

namespace lamina {

class ArchiveMapPage;
class ChainPage;
class ConfigPage;
class FindingsPage;
class LayersPage;
class ChainView;
class ComposerPanel;
class FileTreeModel;
class FindingsModel;
class LayersModel;
class LoaderStrip;

/// The inspector: the images of an archive; its legacy chain beside its manifest list (and OCI
/// manifest); the findings, each explained; the layers with their files, merged or alone, and a
/// preview; every member of the archive with its role. Opening and layer indexing run off the UI
/// thread; the window fills in as results arrive.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    /// Opens an archive or layout folder in the background.
    void openPath(const QString &path);
    const ImageArchive &current() const { return m_archive; }
    const QList<Finding> &findings() const { return m_findings; }
    bool busy() const;
    enum Tab { ChainTab, LayersTab, ConfigTab, ArchiveMapTab };
    enum Page { InspectPage, ComposePage };
    /// Shows one of the inspector's tabs.
    void showTab(Tab tab);
    /// Selects a layer in the layer list (and its files), and optionally a finding.
    void selectLayer(int layer);
    void selectFinding(int row);
    /// The composer, bound to the image shown (and its indexed layers).
    ComposerPanel *composer() const { return m_composer; }
    void showPage(Page page);
    /// tst_composer still passes 1 for the composer (the composer's rework is elsewhere).
    void showPage(int page) { showPage(Page(page)); }
    /// Loads the archive shown with the loaders of this machine in the background (Cancel stops
    /// it); the verdict strip then shows what each did beside the prediction.
    void tryLoaders(const TryLoadersOptions &options);
    /// File ▸ Try Loaders: asks before using Docker, then tryLoaders().
    void askAndTryLoaders();
    const TryLoadersResult &triedLoaders() const { return m_tried; }

Q_SIGNALS:
    void archiveLoaded(); ///< metadata and findings are shown
    void layersIndexed(); ///< the current image's layers are indexed (or could not be) and the files shown
    void verified(); ///< every layer was hashed; the findings include what only hashing shows
    void loadersTried(); ///< tryLoaders() is done (or was cancelled)

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    void closeEvent(QCloseEvent *event) override;

private:
    struct Opened
    {
        ImageArchive archive;
        QList<Finding> findings;
    };
    void buildMenus();
    QWidget *buildInspector();
    void buildStatusBar();
    void connectPages();
    void connectJobs();
    void chooseFile();
    void chooseFolder();
    void showOpened(const Opened &opened);
    void selectImage(int image);
    void startIndexing(int image);
    void showLayerTree();
    void showFinding(int row);
    void showVerdicts();
    void showLoaderRange(int range);
    void cancelWork();

    ImageArchive m_archive;
    QList<Finding> m_findings;
    int m_image = -1;
    ImageLayers m_layers;
    QFutureWatcher<Opened> m_openWatcher;
    struct Indexed
    {
        ImageLayers layers;
        ImageSizes sizes; ///< computed in the worker too: it needs a whole merged tree
    };
    QFutureWatcher<Indexed> m_indexWatcher;
    QFutureWatcher<std::shared_ptr<const MergedTree>> m_treeWatcher;
    QFutureWatcher<QList<Finding>> m_verifyWatcher;
    QFutureWatcher<TryLoadersResult> m_tryWatcher;
    std::atomic<bool> m_tryCancel { false };
    std::atomic<qint64> m_tryDone { 0 }, m_tryTotal { 0 };
    TryLoadersResult m_tried;
    QString m_triedPath; ///< the archive m_tried is about
    QString m_tryPath; ///< the archive being tried
    void showTried();
    std::atomic<bool> m_verifyCancelled { false };
    int m_generation = 0; ///< bumped per indexing run, so late results of an earlier run are dropped
    QString m_verifiedPath; ///< verification runs once per opened archive
    void startVerification();
    int m_treeLayer = -1;
    bool m_treeAgain = false; ///< a tree was asked for while another was being built
    QMenu *m_recentMenu = nullptr;
    std::unique_ptr<QTemporaryDir> m_dragDir; ///< files dragged out are written here first
    void fillRecentMenu();
    void extractSelected();
    std::shared_ptr<std::atomic<bool>> m_cancel;
    std::atomic<qint64> m_progressDone { 0 }, m_progressTotal { 0 };

    QLabel *m_banner = nullptr;
    QLabel *m_summary = nullptr;
    QTreeWidget *m_images = nullptr;
    QTabWidget *m_tabs = nullptr;
    QTabWidget *m_pages = nullptr;
    ComposerPanel *m_composer = nullptr;
    int m_requestedImage = -1; ///< the image to select once the archive is open (a composition's base)
    QString m_requestedPlatform; ///< or the image of this platform
    ChainView *m_chain = nullptr;
    ChainPage *m_chainPage = nullptr;
    LayersPage *m_layersPage = nullptr;
    ConfigPage *m_configPage = nullptr;
    FindingsPage *m_findingsPage = nullptr;
    ArchiveMapPage *m_archiveMap = nullptr;
    QProgressBar *m_progress = nullptr;
    QPushButton *m_cancelButton = nullptr;
};

} // namespace lamina
