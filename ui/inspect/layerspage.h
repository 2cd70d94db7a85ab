// SPDX-License-Identifier: MIT
#pragma once

#include "common/latestjob.h"
#include "filesview.h"
#include "format/imagearchive.h"
#include "layers/mergedtree.h"

#include <QImage>
#include <QSplitter>

class QAction;
class QCheckBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QTabWidget;
class QTreeWidget;
class QTreeWidgetItem;
class QTableView;
class QTreeView;

namespace lamina {

class FileExtraction;
class FileTreeModel;
class LayersModel;

/// What the preview shows of a file: its first bytes as text or hex, or the picture.
struct FilePreview
{
    QString text;
    QImage picture; ///< when the whole file arrived and is a picture
    qint64 bytesRead = 0; ///< of the file's content, at most kPreviewBytes
};

/// The layers and files page: the image's wasted space in one line, the layers bottom to top, the
/// files of the merged tree at the selected layer (filtered, sorted by size, dragged out,
/// extracted), and beside them the preview of one or the paths wasting the most space.
class LayersPage : public QSplitter
{
    Q_OBJECT
public:
    static constexpr qint64 kPreviewBytes = 256 * 1024;

    explicit LayersPage(QWidget *parent = nullptr);

    /// The archive and image whose files are shown (kept: the preview reads from it).
    void setSource(const ImageArchive &archive, int image);
    /// The first kPreviewBytes of a file's content, read off the UI thread: the copy stops there.
    static FilePreview readPreview(const ImageArchive &archive, int image, const MergedTree::Layers &layers, int layer,
        int entry, qint64 size, const Progress &progress);

    LayersModel *layersModel() const { return m_layersModel; }
    QTableView *layersView() const { return m_layersView; }
    FileTreeModel *filesModel() const { return m_filesModel; }
    QTreeView *filesView() const { return m_filesView; }
    QCheckBox *layerOnly() const { return m_layerOnly; }
    QLineEdit *filter() const { return m_filter; }
    /// The node of the merged tree selected in the files, or -1.
    int currentNode() const;
    /// The path of the file selected ("etc/x"), or empty.
    QByteArray currentPath() const;
    /// Selects `path` once the files of layer `layer` are shown, when they have it. Unlike a
    /// path asked for from the wasted-space list, it leaves the filter as it is.
    void selectWhenShown(const QByteArray &path, int layer);
    void clearPreview();
    /// Extracting and dragging out the files shown.
    FileExtraction *extraction() const { return m_extraction; }
    /// Opens "History across layers" of a path ("etc/x") of the image shown.
    void showHistory(const QByteArray &path);
    /// Extracts `node` of the files shown into `dest` in the background.
    void extractTo(int node, const QString &dest);
    /// Extracts what layer `layer` itself stores into `dest` in the background (once its files
    /// are indexed; false before).
    bool extractLayerTo(int layer, const QString &dest);
    /// Asks for a folder, then extractLayerTo() it (from any page's "Extract layer…").
    void askAndExtractLayer(int layer);
    /// The layers table's row menu (also opened by the Menu key): copy its values, show its
    /// files, extract it.
    QList<QAction *> layerActions(int layer, QObject *parent);
    /// The files tree's row menu: copy the path, the link target; extract.
    QList<QAction *> fileActions(const QModelIndex &index, QObject *parent);
    /// Selects one layer (and makes it current), ending a range.
    void selectLayer(int layer);
    /// The layers selected, lowest and highest row (-1, -1 when none).
    QPair<int, int> selectedRange() const;
    /// Says the files show the net change of layers from..to (from < to), or nothing.
    void setRangeShown(int from, int to);
    /// Opens the folders leading to these paths (the first kRevealPaths) once the files shown
    /// next are on screen.
    void revealPaths(const QList<QByteArray> &paths);
    static constexpr int kRevealPaths = 200;
    /// The line under the layers' title: all file bytes, visible, wasted, efficiency.
    QLabel *summary() const { return m_summary; }
    /// The paths whose bytes the final image cannot see, biggest first; each row holds the path
    /// (Qt::UserRole, bytes as stored), the layer of its biggest hidden copy (+1) and its bytes (+2).
    QTreeWidget *wastedList() const { return m_wasted; }
    /// Preview and Wasted space, beside the files.
    QTabWidget *sideTabs() const { return m_sideTabs; }
    /// Most paths listed in wastedList(); the rest are summed up in a last row.
    static constexpr int kMaxWastedRows = 1000;
    /// Rows a filter's matches open to at most, by themselves.
    static constexpr int kExpandRows = 2000;
    /// Rows "Expand all" (and '*') open to at most: QTreeView lays out every open row in one
    /// pass on the UI thread, about 2 µs a row (bench/RESULTS.md).
    static constexpr int kExpandAllRows = 20000;
    /// Opens the folders under `under` (invalid: all), breadth first, up to kExpandAllRows rows;
    /// says so under the filter when some stay closed.
    void expandAll(const QModelIndex &under = {});
    /// For tests: another bound than kExpandAllRows.
    void setExpandAllRows(int rows) { m_expandAllRows = rows; }
    void collapseAll();

Q_SIGNALS:
    void previewShown(); ///< the preview of the selected file is on screen
    /// "Compare with…" on a layer (path "") or a file (its path): compare the image with another.
    void compareRequested(const QByteArray &path);

private:
    QWidget *buildFiles();
    void applyFilter();
    void showMatches();
    void expandMatches();
    void showPreview(const QModelIndex &index);
    void showPreviewResult(const FilePreview &preview);
    void askAndExtract();
    /// A file's absolute path in the image ("/etc/passwd"), "" for none.
    QString pathOf(const QModelIndex &index) const;
    void showSizes();
    void showWastedPath(QTreeWidgetItem *item);
    void selectPendingPath();

    ImageArchive m_archive;
    int m_image = -1;
    FileExtraction *m_extraction = nullptr;
    LatestJob<FilePreview> m_previewJob { this };
    LayersModel *m_layersModel = nullptr;
    QTableView *m_layersView = nullptr;
    FileTreeModel *m_filesModel = nullptr;
    FilesView *m_filesView = nullptr;
    QLineEdit *m_filter = nullptr;
    QCheckBox *m_regex = nullptr;
    QCheckBox *m_layerOnly = nullptr;
    QLabel *m_rangeNote = nullptr; ///< what a range of layers selected shows
    QLabel *m_filterStatus = nullptr; ///< under the filter: its matches counted, none, a bad regex, or still looking
    QPlainTextEdit *m_preview = nullptr;
    QLabel *m_imagePreview = nullptr;
    QLabel *m_summary = nullptr;
    QTreeWidget *m_wasted = nullptr;
    QTabWidget *m_sideTabs = nullptr;
    /// A wasted path picked, to select in the files once the tree of its layer is shown.
    QByteArray m_pendingPath;
    QString m_expandedFor; ///< the filter (and tree) whose matches were last opened
    QString m_expandNote; ///< what the last "Expand all" left closed
    QList<QByteArray> m_reveal; ///< paths whose folders open when the next files arrive
    void revealPending();
    int m_expandAllRows = kExpandAllRows;
    int m_pendingLayer = -1;
    bool m_pendingKeepsFilter = false; ///< a path hidden by the filter is given up, not shown
};

} // namespace lamina
