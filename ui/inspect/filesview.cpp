// SPDX-License-Identifier: MIT
#include "filesview.h"

#include <QKeyEvent>

namespace lamina {

QModelIndexList foldersWithin(
    const QAbstractItemModel *model, const QModelIndex &under, qint64 budget, qint64 *rows, bool *all)
{
    QModelIndexList open, level, next;
    qint64 shown = 0;
    bool fit = true;
    if (under.isValid()) {
        // The folder itself first, if its rows fit.
        shown = model->rowCount(under);
        if (shown > budget) {
            fit = false;
            shown = 0;
        } else {
            open << under;
            level << under;
        }
    } else {
        shown = model->rowCount();
        level << QModelIndex();
    }
    while (!level.isEmpty()) {
        next.clear();
        for (const QModelIndex &parent : std::as_const(level)) {
            for (int r = 0, n = model->rowCount(parent); r < n; ++r) {
                const QModelIndex child = model->index(r, 0, parent);
                const int kids = model->rowCount(child);
                if (kids == 0)
                    continue;
                if (shown + kids > budget) {
                    fit = false;
                    continue;
                }
                shown += kids;
                open << child;
                next << child;
            }
        }
        level.swap(next);
    }
    if (rows)
        *rows = shown;
    if (all)
        *all = fit;
    return open;
}

void FilesView::expandFolders(const QModelIndexList &folders)
{
    // With a layout pending, expand() only records the folder: the one pass comes after.
    scheduleDelayedItemsLayout();
    for (const QModelIndex &f : folders)
        expand(f);
}

void FilesView::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Asterisk && expandBelow && currentIndex().isValid()) {
        expandBelow(currentIndex().siblingAtColumn(0));
        event->accept();
        return;
    }
    QTreeView::keyPressEvent(event);
}

} // namespace lamina
