// SPDX-License-Identifier: MIT
#pragma once

#include <QTreeView>

#include <functional>

namespace lamina {

/// The folders under `under` (invalid: the top) to open, breadth first, so that no more than
/// `budget` rows show under it; `rows` gets how many will, `all` whether every folder fit.
QModelIndexList foldersWithin(const QAbstractItemModel *model, const QModelIndex &under, qint64 budget,
    qint64 *rows = nullptr, bool *all = nullptr);

/// The files tree: QTreeView with a way to open many folders at once, and '*' (expand a folder's
/// whole subtree) handed to the page, which bounds it.
class FilesView : public QTreeView
{
public:
    using QTreeView::QTreeView;
    /// Opens `folders` with one layout pass: QTreeView lays the rows out again after each
    /// expand(), which over thousands of folders costs seconds.
    void expandFolders(const QModelIndexList &folders);
    /// What '*' does (the current folder's whole subtree, by default).
    std::function<void(const QModelIndex &)> expandBelow;

protected:
    void keyPressEvent(QKeyEvent *event) override;
};

} // namespace lamina
