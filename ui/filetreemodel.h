// SPDX-License-Identifier: MIT
#pragma once

#include "layers/mergedtree.h"

#include <QAbstractItemModel>
#include <QHash>
#include <QSet>

#include <functional>
#include <memory>

namespace lamina {

/// A merged (or single-layer) tree as a Qt tree: one index per node, parent() in O(1) through a
/// cached row of each node; children are sorted by name on first use, so huge folders cost
/// nothing until opened. A snapshot: setTree() swaps a whole new tree in with one reset.
class FileTreeModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, SizeColumn, ChangeColumn, ModeColumn, OwnerColumn, LinkColumn, ColumnCount };
    static constexpr int SortRole = Qt::UserRole + 1;
    static constexpr int NodeRole = Qt::UserRole + 2;
    static constexpr int PathRole = Qt::UserRole + 3;

    using QAbstractItemModel::QAbstractItemModel;
    /// `markLayer`: the layer whose additions, changes and (shown as struck-out rows) deletions are marked.
    void setTree(std::shared_ptr<const MergedTree> tree, int markLayer, bool layerOnly = false);
    /// A composed image: the net changes from layer `firstNew` up (the composer's layers) are
    /// marked, by path, and what they removed is shown struck out.
    void setComposedTree(std::shared_ptr<const MergedTree> tree, int firstNew, QHash<QByteArray, Change> changes);
    const MergedTree *tree() const { return m_tree.get(); }
    /// The tree shown, for work that outlives this model (an extract running in the background).
    std::shared_ptr<const MergedTree> sharedTree() const { return m_tree; }
    /// The index of a path ("etc/x"), or an invalid index.
    QModelIndex indexOfPath(const QByteArray &path) const;

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    bool hasChildren(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QStringList mimeTypes() const override;
    QMimeData *mimeData(const QModelIndexList &indexes) const override;

    /// What dragging nodes out hands the desktop (the files, written as the drag goes on).
    void setDragSource(std::function<QMimeData *(const QList<int> &nodes)> source) { m_dragSource = std::move(source); }

private:
    const QList<int> &childrenOf(int node) const;
    int nodeOf(const QModelIndex &index) const { return index.isValid() ? int(index.internalId()) : 0; }
    qint64 bytesOf(int node) const;

    std::shared_ptr<const MergedTree> m_tree;
    int m_markLayer = -1;
    mutable QHash<int, QList<int>> m_children;
    mutable QHash<int, int> m_row;
    mutable QHash<int, qint64> m_bytes;
    QSet<int> m_relevant; ///< with layerOnly: what the marked layer provides or removes, and their folders
    QHash<int, qint64> m_layerBytes; ///< with layerOnly: a folder's bytes that the marked layer provides
    bool m_layerOnly = false;
    int m_firstNew = -1; ///< setComposedTree(): marks come from m_changes
    QHash<QByteArray, Change> m_changes;
    Change changeOf(int node) const;
    std::function<QMimeData *(const QList<int> &nodes)> m_dragSource;
};

} // namespace lamina
