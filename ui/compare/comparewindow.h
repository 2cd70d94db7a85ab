// SPDX-License-Identifier: MIT
#pragma once

#include "common/latestjob.h"
#include "compare/imagediff.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QTabWidget;
class QTableView;
class QTreeWidget;

namespace lamina {

class CompareFilesModel;

/// One side of a comparison as the window hands it over: an opened archive and one of its images,
/// with the layers the window indexed when it has them (else they are indexed here).
struct CompareSide
{
    ImageArchive archive;
    int image = 0;
    MergedTree::Layers layers; ///< empty: index them
};

/// File ▸ Compare with…: two images side by side (docs/compare.md). The layers aligned by diff ID,
/// the config field by field, the paths that differ (filtered, sorted by size change) and, for a
/// changed file, both versions side by side with the lines that differ marked; above them, why the
/// digests differ in one line. B is opened, both are indexed and compared on a worker; either
/// image can be changed in place.
class CompareWindow : public QDialog
{
    Q_OBJECT
public:
    /// Compares `a` with image `imageB` of the archive at `pathB` (opened here), or, when `pathB`
    /// is empty, with image `imageB` of A's own archive. `selectPath`, when given, is the path to
    /// show once the files are compared.
    CompareWindow(const CompareSide &a, const QString &pathB, int imageB, const QByteArray &selectPath = {},
        QWidget *parent = nullptr);

    QTabWidget *tabs() const { return m_tabs; }
    QLabel *summary() const { return m_summary; }
    QTreeWidget *whyTable() const { return m_why; }
    QTreeWidget *layersTable() const { return m_layers; }
    QTreeWidget *configTable() const { return m_config; }
    QTableView *filesView() const { return m_filesView; }
    CompareFilesModel *filesModel() const { return m_files; }
    QLineEdit *filter() const { return m_filter; }
    QPlainTextEdit *versionA() const { return m_textA; }
    QPlainTextEdit *versionB() const { return m_textB; }
    QComboBox *imageA() const { return m_imageA; }
    QComboBox *imageB() const { return m_imageB; }
    const ImageDiff *diff() const { return m_diff.get(); }

    enum Tab { WhyTab, LayersTab, ConfigTab, FilesTab };

Q_SIGNALS:
    void compared(); ///< the comparison is shown (or why it could not be made)
    void versionsShown(); ///< the selected path's two versions are shown

private:
    struct Result;
    void start();
    void showResult(const std::shared_ptr<Result> &result);
    void showWhy();
    void showLayers();
    void showConfig();
    void showSelectedFile();
    struct SideBySide;
    void showVersions(const SideBySide &versions);
    void fillImages(QComboBox *box, const ImageArchive &archive, int image);

    CompareSide m_a;
    CompareSide m_b;
    QString m_pathB; ///< "" while B is A's archive
    bool m_bOpened = false;
    QByteArray m_selectPath;
    std::shared_ptr<const ImageDiff> m_diff;
    QLabel *m_sides = nullptr;
    QComboBox *m_imageA = nullptr;
    QComboBox *m_imageB = nullptr;
    QLabel *m_summary = nullptr;
    QTabWidget *m_tabs = nullptr;
    QTreeWidget *m_why = nullptr;
    QTreeWidget *m_layers = nullptr;
    QTreeWidget *m_config = nullptr;
    QLineEdit *m_filter = nullptr;
    QLabel *m_filesStatus = nullptr;
    QTableView *m_filesView = nullptr;
    CompareFilesModel *m_files = nullptr;
    QLabel *m_fileChange = nullptr;
    QLabel *m_titleA = nullptr;
    QLabel *m_titleB = nullptr;
    QPlainTextEdit *m_textA = nullptr;
    QPlainTextEdit *m_textB = nullptr;
    LatestJob<std::shared_ptr<Result>> m_job { this };
    LatestJob<std::shared_ptr<SideBySide>> m_versionsJob { this };
    MergedTree::Layers m_layersA, m_layersB; ///< those compared, for reading versions
    int m_shownA = 0, m_shownB = 0; ///< the images compared
};

} // namespace lamina
