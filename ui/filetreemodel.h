// SPDX-License-Identifier: MIT
#pragma once

#include "common/latestjob.h"
#include "filetreeshape.h"
#include "layers/mergedtree.h"

#include <QAbstractItemModel>
#include <QHash>

#include <functional>
#include <memory>
#include <optional>
#include <utility>

namespace lamina {

/// A merged (or single-layer) tree as a Qt tree, filtered and sorted by the model itself: each
/// query (a tree, a filter, a sort) is shaped in one pass (filetreeshape.h), on a worker for a big
/// tree, and the view gets the finished result at once: a new tree as one reset, a new filter or
/// order as one layout change that keeps what is expanded and selected. Until then the previous
/// result stays on screen, whole; a newer query cancels an older one.
class FileTreeModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column { NameColumn, SizeColumn, ChangeColumn, ModeColumn, OwnerColumn, LinkColumn, ColumnCount };
    static constexpr int SortRole = Qt::UserRole + 1;
    static constexpr int NodeRole = Qt::UserRole + 2;
    static constexpr int PathRole = Qt::UserRole + 3;
    /// Trees up to this many nodes are shaped at once, on the calling thread (a few milliseconds);
    /// bigger ones on a worker.
    static constexpr int kInlineNodes = 20000;

    explicit FileTreeModel(QObject *parent = nullptr);
    /// `markLayer`: the layer whose additions, changes and (shown as struck-out rows) deletions are marked.
    void setTree(std::shared_ptr<const MergedTree> tree, int markLayer, bool layerOnly = false);
    /// A composed image: the net changes from layer `firstNew` up (the composer's layers) are
    /// marked, by path, and what they removed is shown struck out.
    void setComposedTree(std::shared_ptr<const MergedTree> tree, int firstNew, QHash<QByteArray, Change> changes);
    /// Shows only the nodes whose name contains `text` (with a '/', whose path does), ignoring
    /// case, or matches it as a regular expression, and the folders leading to them.
    void setFilter(const QString &text, bool regex);
    void sort(int column, Qt::SortOrder order = Qt::AscendingOrder) override;
    /// A model whose view is out of sight (the Compose page behind the Inspect page) keeps the
    /// newest query and shapes it only when it is in sight again: shaping a million-node tree for
    /// a hidden view costs as much memory and time as for the shown one. A different tree asked
    /// for meanwhile empties the model, so that the old tree is not held on to.
    void setDeferred(bool deferred);
    /// For tests: shape trees bigger than `nodes` on a worker.
    void setInlineLimit(int nodes) { m_inlineLimit = nodes; }
    int inlineLimit() const { return m_inlineLimit; }

    /// A shape worked out before for `query` (kept in the index cache): when the next query asked
    /// for is that one, it is shown at once instead of being shaped. Dropped at the next query
    /// either way.
    void offerShape(FileTreeQuery query, FileTreeShape shape);
    /// The newest query asked for (shown, or still being shaped).
    const FileTreeQuery &wantedQuery() const { return m_wanted; }
    /// The tree shown (a tree still being shaped is not shown yet).
    const MergedTree *tree() const { return m_shown.tree.get(); }
    /// The tree shown, for work that outlives this model (an extract running in the background).
    std::shared_ptr<const MergedTree> sharedTree() const { return m_shown.tree; }
    /// What is shown: the query and its shape (rows, matches, a regex error).
    const FileTreeQuery &shownQuery() const { return m_shown; }
    const FileTreeShape &shape() const { return m_shape; }
    /// Whether a query is being shaped on a worker.
    bool isShaping() const { return m_shaping; }
    /// The index of a path ("etc/x"), or an invalid index (not there, or filtered away).
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

Q_SIGNALS:
    /// A query went to a worker (true), or its result is shown or it was superseded by a query
    /// shaped at once (false).
    void shapingChanged(bool busy);
    /// A new shape is on screen (after the reset or layout change that brought it).
    void shaped();
    /// The rows of another filter are about to replace these (before the layout change): the
    /// last moment to close folders at the old rows' cost.
    void filterAboutToChange();

private:
    void reshape();
    void show(FileTreeQuery query, FileTreeShape shape);
    void setShaping(bool busy);
    int nodeOf(const QModelIndex &index) const { return index.isValid() ? int(index.internalId()) : 0; }
    qint64 bytesOf(int node) const;
    Change changeOf(int node) const;

    FileTreeQuery m_wanted; ///< the newest query
    FileTreeQuery m_shown; ///< the query whose shape is shown
    FileTreeShape m_shape;
    std::optional<std::pair<FileTreeQuery, FileTreeShape>> m_offered;
    LatestJob<FileTreeShape> m_job { this };
    int m_inlineLimit = kInlineNodes;
    bool m_shaping = false;
    bool m_deferred = false;
    bool m_pending = false; ///< deferred with a query not shaped yet
    std::function<QMimeData *(const QList<int> &nodes)> m_dragSource;
};

} // namespace lamina
