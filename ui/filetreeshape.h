// SPDX-License-Identifier: MIT
#pragma once

#include "layers/mergedtree.h"

#include <QHash>
#include <QList>
#include <QString>

#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

namespace lamina {

struct Progress;

/// What the files view is asked to show of a merged tree: which rows, filtered how, in what order.
struct FileTreeQuery
{
    std::shared_ptr<const MergedTree> tree;
    int markLayer = -1; ///< the layer whose changes are marked and whose deletions are listed
    bool layerOnly = false; ///< only what markLayer provides or removes, and the folders leading to it
    int firstNew = -1; ///< a composed image: the changes of the layers from here up are marked, by path
    std::shared_ptr<const QHash<QByteArray, Change>> changes; ///< with firstNew: each changed path's change
    QString filter; ///< empty: everything; with a '/', matched against the path, else the name
    bool regex = false;
    int sortColumn = 0; ///< a FileTreeModel::Column
    bool descending = false;
};

/// The rows a query yields, every folder's children in order, computed in one pass over the tree
/// (on a worker for a big tree): the model then answers index(), parent() and rowCount() from
/// arrays, and a filter or a sort reaches the view as one finished result.
struct FileTreeShape
{
    /// The nodes with shown children, ascending, and per such folder k: where its children start
    /// in `kids` (first has one more entry: folder k's children are kids[first[k]] up to
    /// kids[first[k + 1]]) and its own row under its parent. A view keeps this for as long as it
    /// shows the tree, so nothing is kept per node beyond its place in `kids`: a million files in
    /// a thousand folders take 4 MB, not 12.
    /// Lists, not vectors: a shape is copied for nothing (the window hands the one it shows to a
    /// worker that keeps it in the index cache), and one from the cache points into its file.
    QList<qint32> folders;
    QList<qint32> first;
    QList<qint32> folderRow;
    QList<qint32> kids;
    /// With layerOnly: per node, the regular-file bytes the marked layer itself stores under it.
    QList<qint64> layerBytes;
    qint64 shown = 0; ///< nodes shown, root not counted
    qint64 matched = 0; ///< nodes the filter itself matched (their folders are shown too)
    QString error; ///< a regular expression that does not compile
    bool complete = false; ///< false when cancelled
    std::shared_ptr<const void> backing; ///< a shape from the index cache: the file its lists point into

    /// Position of `node` in `folders`, or -1 when it shows no children.
    int folderIndex(int node) const
    {
        const auto it = std::lower_bound(folders.begin(), folders.end(), node);
        return it != folders.end() && *it == node ? int(it - folders.begin()) : -1;
    }
    int childCount(int node) const
    {
        const int k = folderIndex(node);
        return k < 0 ? 0 : first[k + 1] - first[k];
    }
    int child(int node, int r) const { return kids[first[folderIndex(node)] + r]; }
    /// The row of a shown node under `parent` (its parent in the tree), or -1 when not shown. A
    /// folder's is kept; a file's is found among its folder's children.
    int rowOf(int node, int parent) const;
};

/// A composed tree's change of a node: only what the new layers provide or removed can have
/// changed, and a removed node whose path came back is not the one marked.
Change composedChange(const MergedTree &tree, int node, int firstNew, const QHash<QByteArray, Change> &changes);

/// Computes the shape of `query`; polls `progress` for cancellation.
FileTreeShape shapeFileTree(const FileTreeQuery &query, const Progress &progress);

/// Whether two queries ask for the same rows of the same tree.
bool sameQuery(const FileTreeQuery &a, const FileTreeQuery &b);
/// The name under which the shape of `query` is kept beside its tree in the index cache: the
/// rows first shown of a tree, the whole of it, unfiltered, in some order. "" for a query whose
/// shape is not kept (filtered, one layer's changes only, a composed image). The query's tree is
/// not looked at: the cache's key names it.
QString keptShapeName(const FileTreeQuery &query);
/// A shape as the bytes kept, and back: nothing unless the bytes are a shape of `tree` in every
/// link (each row a node under its folder, once; each folder's row where its parent lists it), so
/// that no walk the model makes can leave the tree. With `backing`, which keeps the bytes alive,
/// the lists point into them.
QByteArray shapeBytes(const FileTreeShape &shape);
std::optional<FileTreeShape> shapeFromBytes(
    QByteArrayView bytes, const MergedTree &tree, std::shared_ptr<const void> backing = {});

} // namespace lamina
