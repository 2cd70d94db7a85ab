// SPDX-License-Identifier: MIT
#pragma once

#include "layers/mergedtree.h"

#include <QHash>
#include <QString>

#include <memory>
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
    /// Per node: where its children start in `kids` (one more entry at the end: the children of
    /// node i are kids[first[i]] up to kids[first[i + 1]]), and its row under its parent (-1: not
    /// shown). 8 bytes a node, kept for as long as the view shows the tree.
    std::vector<qint32> first;
    std::vector<qint32> row;
    std::vector<qint32> kids;
    /// With layerOnly: per node, the regular-file bytes the marked layer itself stores under it.
    std::vector<qint64> layerBytes;
    qint64 shown = 0; ///< nodes shown, root not counted
    qint64 matched = 0; ///< nodes the filter itself matched (their folders are shown too)
    QString error; ///< a regular expression that does not compile
    bool complete = false; ///< false when cancelled

    int childCount(int node) const { return node + 1 < int(first.size()) ? first[node + 1] - first[node] : 0; }
    int child(int node, int r) const { return kids[first[node] + r]; }
};

/// A composed tree's change of a node: only what the new layers provide or removed can have
/// changed, and a removed node whose path came back is not the one marked.
Change composedChange(const MergedTree &tree, int node, int firstNew, const QHash<QByteArray, Change> &changes);

/// Computes the shape of `query`; polls `progress` for cancellation.
FileTreeShape shapeFileTree(const FileTreeQuery &query, const Progress &progress);

} // namespace lamina
