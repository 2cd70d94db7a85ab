// SPDX-License-Identifier: MIT
#pragma once

#include "check/finding.h"
#include "check/tryloaders.h"
#include "common/latestjob.h"
#include "filetreeshape.h"
#include "format/imagearchive.h"
#include "layers/extract.h"
#include "layers/imagelayers.h"

#include <QMainWindow>

#include <atomic>
#include <memory>
#include <optional>

class QCheckBox;
class QDockWidget;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QTimer;
class QPushButton;
class QSortFilterProxyModel;
class QStackedWidget;
class QTabWidget;
class QTableView;
class QTemporaryDir;
class QTextBrowser;
class QTreeView;

namespace lamina {

class ArchiveHeader;
class ExportDialog;
class ArchiveMapPage;
class LoaderTrial;
class ChainPage;
class ConfigPage;
class FindingsPage;
class ImageList;
class LayersPage;
class ChainView;
class ComposerPanel;
class ExportDialog;
class CompareWindow;
class FileTreeModel;
class FindingsModel;
class LayersModel;
class LoaderStrip;
class Tour;
class WelcomePage;
struct IndexedSoFar;

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
    /// What File ▸ Open, Recent, Reload and a drop do: openPath() once an unsaved composition is
    /// saved or discarded (the user may cancel).
    void openAsked(const QString &path);
    /// What the Open Image dialog does: openAsked(), with `insecure` (its checkbox) for this
    /// registry:// reference until another archive is opened (a Reload keeps it).
    void openChosenImage(const QString &reference, bool insecure);
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
    /// File ▸ Save Image As…, and "Repair…" on finding `focus`: the image (the finding's, else the
    /// one shown) written again in a consistent layout by convert. Null when nothing is open.
    ExportDialog *openConvertDialog(const Finding &focus);
    void showPage(Page page);
    /// tst_composer still passes 1 for the composer (the composer's rework is elsewhere).
    void showPage(int page) { showPage(Page(page)); }
    /// Loads the archive shown with the loaders of this machine in the background (Cancel stops
    /// it); the verdict strip then shows what each did beside the prediction.
    void tryLoaders(const TryLoadersOptions &options);
    /// File ▸ Try Loaders: asks before using Docker, then tryLoaders().
    void askAndTryLoaders();
    const TryLoadersResult &triedLoaders() const;
    /// Extracts node `node` of the files shown into `dest` in the background (progress and
    /// Cancel in the status bar; a cancelled extract removes what it wrote).
    void extractTo(int node, const QString &dest);
    /// File ▸ Compare With: image `imageA` of this archive (-1: the one shown) against image
    /// `imageB` of the archive at `pathB`, or of this archive when `pathB` is "". The compare
    /// window opens on `selectPath` when given.
    CompareWindow *compareWith(const QString &pathB, int imageB, const QByteArray &selectPath = {}, int imageA = -1);
    /// Stops what runs: indexing, verifying, trying the loaders, extracting.
    void cancelWork();
    /// View ▸ Reset Layout: every pane and divider as in a first window.
    void resetLayout();

Q_SIGNALS:
    void archiveLoaded(); ///< metadata and findings are shown
    /// openPath() read nothing (no such file, not an archive): the banner says why, and what was
    /// shown before stays.
    void openFailed(const QString &why);
    void layersIndexed(); ///< the current image's layers are indexed (or could not be) and the files shown
    void verified(); ///< every layer was hashed; the findings include what only hashing shows
    void loadersTried(); ///< tryLoaders() is done (or was cancelled)
    void extracted(bool ok); ///< extractTo() is done; false when it failed or was cancelled

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    void closeEvent(QCloseEvent *event) override;

private:
    /// A tree for the files view, with the rows kept for it in the index cache when there were
    /// (filetreeshape.h: reopening many.tar then shapes nothing).
    struct ShownTree
    {
        std::shared_ptr<const MergedTree> tree;
        std::optional<FileTreeShape> shape;
        FileTreeQuery query; ///< what `shape` is of
    };
    struct Indexed
    {
        ImageLayers layers;
        ImageSizes sizes; ///< computed in the worker too: it needs a whole merged tree
        std::shared_ptr<const MergedTree> top; ///< that tree, the top layer's, shared (sharedtree.h)
    };
    struct Opened
    {
        ImageArchive archive;
        QList<Finding> findings;
        QHash<int, std::shared_ptr<const LayerIndex>> layers; ///< indexed while opening, by member
    };
    void fitToScreen();
    void saveLayout();
    int fittedFindingsHeight() const;
    int imagesWidth() const;
    void showPages();
    void growFindingsToRead();
    /// The findings pane follows the number of findings while nobody has sized it by hand.
    void fitFindingsToTheirCount();
    void buildMenus();
    void buildViewMenu();
    QWidget *buildInspector();
    void buildStatusBar();
    void connectPages();
    void connectExtraction();
    void connectTrial();
    void startTrial(const std::function<bool(const QList<LoaderVerdict> &)> &start);
    void chooseFile();
    void openSample();
    void startTour();
    void chooseFolder();
    void chooseEngineImage();
    /// The file the shown archive is read from (an engine's image: the file it was saved to).
    QString archiveFile() const;
    void showOpened(const Opened &opened);
    void selectImage(int image);
    void startIndexing(int image);
    void showLayerTree();
    void showRangeTree(int from, int to);
    void showFinding(int row);
    void showVerdicts();
    void showLoaderRange(int range);

    ImageArchive m_archive;
    /// Every layer index the window has of this archive, by member: those the opening made (an
    /// archive compressed as a whole, with their digests), the shown images', and every image's
    /// once verified. No image shown later, nor the verification, reads those layers again.
    QHash<int, std::shared_ptr<const LayerIndex>> m_knownLayers;
    /// What the verification of this archive said, said again once another image is indexed.
    QString m_verifiedMessage;
    QList<Finding> m_findings;
    int m_image = -1;
    /// The layer row each image of this archive was left at: showing it again comes back there.
    QHash<int, int> m_layerOfImage;
    ImageLayers m_layers;
    /// The top layer's tree the indexing built, held until the files view has it, so that the
    /// tree job finds it instead of building it again.
    std::shared_ptr<const MergedTree> m_indexedTree;
    struct Verified
    {
        QList<Finding> findings;
        /// Every image's layer indexes, by member: another image shown later takes them rather
        /// than reading its layers again.
        QHash<int, std::shared_ptr<const LayerIndex>> indexes;
        int hashed = 0; ///< layer files hashed to their end
        int unread = 0; ///< layers missing, or whose file could not be read to its end
        bool cancelled = false;
    };
    void showProgress(const QString &format, qint64 done, qint64 total);
    void hideProgress();
    void showIndexedSoFar(IndexedSoFar &soFar);
    /// While a registry's layers come: how many bytes of them have, in the status bar.
    void showFetched();
    void showIndexed(const Indexed &indexed);
    void showVerified(const Verified &verified);
    void startVerificationWhenShown();
    void startVerification();
    void showTried();
    void fillRecentMenu();
    /// The choices of File ▸ Compare With (and of each "Compare with…"): the archive's other
    /// images, another archive, a layout folder, the recent archives.
    void fillCompareMenu(QMenu *menu, const QByteArray &path, int imageA);
    void askCompareWith(const QByteArray &path, int imageA = -1);
    void chooseCompare(bool folder, const QByteArray &path, int imageA);

    // The Cancel button's flag for indexing and verifying: a cancelled job is still delivered.
    std::shared_ptr<std::atomic<bool>> m_cancel = std::make_shared<std::atomic<bool>>(false); ///< index, verify
    LoaderTrial *m_trial = nullptr;
    QString m_verifiedPath; ///< verification runs once per opened archive
    QMenu *m_recentMenu = nullptr;
    QMenu *m_compareMenu = nullptr;
    QAction *m_saveAs = nullptr; ///< File ▸ Save Image As… (convert), enabled once an image is read
    QAction *m_compareArchive = nullptr; ///< File ▸ Compare With ▸ Another Archive… (Ctrl+D)
    QMenu *m_viewMenu = nullptr;

    ArchiveHeader *m_header = nullptr;
    ImageList *m_images = nullptr;
    QTabWidget *m_tabs = nullptr;
    QMainWindow *m_inspector = nullptr;
    QDockWidget *m_imagesDock = nullptr;
    QDockWidget *m_findingsDock = nullptr;
    int m_findingsHeight = 0; ///< the findings pane's height the user chose; 0: fit the findings
    int m_findingsSetHeight = 0; ///< the height last given to it
    QByteArray m_defaultInspector;
    bool m_rangeShown = false; ///< the files show a range of layers' net change
    bool m_layoutRestored = false; ///< the panes' sizes came from the last window
    QHash<QString, QByteArray> m_defaultSplitters;
    QTabWidget *m_pages = nullptr;
    QStackedWidget *m_stack = nullptr; ///< the welcome page, then the pages
    WelcomePage *m_welcome = nullptr;
    Tour *m_tour = nullptr;
    QDockWidget *m_tourDock = nullptr;
    ComposerPanel *m_composer = nullptr;
    int m_requestedImage = -1; ///< the image to select once the archive is open (a composition's base)
    QString m_requestedPlatform; ///< or the image of this platform
    QString m_insecureReference; ///< the registry:// image opened with "Don't verify the certificate"
    RegistryOptions m_registry; ///< how the archive shown was pulled, for pulling it again
    ChainView *m_chain = nullptr;
    ChainPage *m_chainPage = nullptr;
    LayersPage *m_layersPage = nullptr;
    ConfigPage *m_configPage = nullptr;
    FindingsPage *m_findingsPage = nullptr;
    ArchiveMapPage *m_archiveMap = nullptr;
    QProgressBar *m_progress = nullptr;
    QPushButton *m_cancelButton = nullptr;
    // Last: destroyed first, so that no delivery reaches the widgets as they go.
    LatestJob<Opened> m_openJob { this };
    LatestJob<Indexed> m_indexJob { this };
    QTimer *m_fetchStatus = nullptr; ///< showFetched() while layers are fetched
    LatestJob<ShownTree> m_treeJob { this };
    LatestJob<Verified> m_verifyJob { this };
};

} // namespace lamina
