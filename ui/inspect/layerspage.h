// SPDX-License-Identifier: MIT
#pragma once

#include "common/latestjob.h"
#include "format/imagearchive.h"
#include "layers/mergedtree.h"

#include <QImage>
#include <QSplitter>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSortFilterProxyModel;
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

/// The layers and files page: the layers bottom to top, the files of the merged tree at the
/// selected layer (filtered, sorted by size, dragged out, extracted), and the preview of one.
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
    void clearPreview();
    /// Extracting and dragging out the files shown.
    FileExtraction *extraction() const { return m_extraction; }
    /// Extracts `node` of the files shown into `dest` in the background.
    void extractTo(int node, const QString &dest);

Q_SIGNALS:
    void previewShown(); ///< the preview of the selected file is on screen

private:
    QWidget *buildFiles();
    void applyFilter();
    void showMatches();
    void showPreview(const QModelIndex &proxyIndex);
    void showPreviewResult(const FilePreview &preview);
    void askAndExtract();

    ImageArchive m_archive;
    int m_image = -1;
    FileExtraction *m_extraction = nullptr;
    LatestJob<FilePreview> m_previewJob { this };
    LayersModel *m_layersModel = nullptr;
    QTableView *m_layersView = nullptr;
    FileTreeModel *m_filesModel = nullptr;
    QSortFilterProxyModel *m_filesProxy = nullptr;
    QTreeView *m_filesView = nullptr;
    QLineEdit *m_filter = nullptr;
    QCheckBox *m_regex = nullptr;
    QCheckBox *m_layerOnly = nullptr;
    QLabel *m_noMatches = nullptr; ///< "no file matches" under the filter
    QPlainTextEdit *m_preview = nullptr;
    QLabel *m_imagePreview = nullptr;
};

} // namespace lamina
