// SPDX-License-Identifier: MIT
#pragma once

#include <QTreeView>

namespace lamina {

/// A tree of an image's files that takes files and folders dropped from a file manager: the
/// index they were dropped on tells where they go (invalid: the root).
class ImageTreeView : public QTreeView
{
    Q_OBJECT
public:
    explicit ImageTreeView(QWidget *parent = nullptr);

Q_SIGNALS:
    void hostPathsDropped(const QStringList &paths, const QModelIndex &target);

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dragMoveEvent(QDragMoveEvent *event) override;
    void dropEvent(QDropEvent *event) override;
};

} // namespace lamina
