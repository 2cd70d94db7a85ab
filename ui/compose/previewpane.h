// SPDX-License-Identifier: MIT
#pragma once

#include "compose/preview.h"

#include <QWidget>

#include <memory>

class QLabel;
class QTreeWidget;

namespace lamina {

class FileTreeModel;
class ImageTreeView;

/// The composer's preview: the base's tree beside the result's (what changed marked A, M or D,
/// opened up to the first changes), and the checks before export. Selecting a check selects its
/// path in the result. Host files dropped on the trees and the result's context menu are handed
/// on with the folder they concern.
class PreviewPane : public QWidget
{
    Q_OBJECT
public:
    explicit PreviewPane(QWidget *parent = nullptr);

    /// A new base: its tree is shown once a preview has built it.
    void clearBase();
    /// Whether the trees are in sight: out of sight, they are shaped only when shown again.
    void setTreesInSight(bool inSight);
    void showPreview(const ComposePreview &preview, const std::shared_ptr<const MergedTree> &baseTree);
    /// The folder an entry added at the result's current item goes to: a folder itself, a file's
    /// folder, "/" when nothing is selected.
    QString currentTargetDir() const;
    /// The image path selected in the result, or else in the base; "" when none is.
    QString selectedImagePath() const;
    /// The folder of what is selected in either tree (a file's own folder); empty when nothing is.
    QString selectedFolder() const;

Q_SIGNALS:
    void hostPathsDropped(const QStringList &hostPaths, const QString &imageDir);
    /// The result's context menu at `globalPos`, on `path` ("" below the last row) in `dir`.
    void resultMenuRequested(const QString &dir, const QString &path, const QPoint &globalPos);
    /// A check about a new layer was selected: `newLayer` counts the composition's non-empty layers.
    void newLayerSelected(int newLayer);

private:
    static QString targetDir(const QModelIndex &index);
    void buildTrees();
    void buildChecks();
    void showResultTree(const ComposePreview &p);
    void showSummary(const ComposePreview &p);
    void showFindings(const ComposePreview &p);
    void showFinding();

    int m_baseLayers = 0;
    FileTreeModel *m_baseModel = nullptr;
    FileTreeModel *m_resultModel = nullptr;
    ImageTreeView *m_baseView = nullptr;
    ImageTreeView *m_resultView = nullptr;
    QLabel *m_resultLabel = nullptr;
    QLabel *m_previewError = nullptr;
    QTreeWidget *m_findings = nullptr;
};

} // namespace lamina
