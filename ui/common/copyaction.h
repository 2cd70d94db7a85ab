// SPDX-License-Identifier: MIT
#pragma once

#include <QModelIndex>
#include <QObject>

#include <functional>

class QAbstractItemView;
class QAction;

namespace lamina {

/// Puts `value` on the clipboard, unless there is nothing to copy.
void copyToClipboard(const QString &value);

/// Adds to `out` an action `text` that copies `value`, unless `value` is empty: a menu offers the
/// values there are, never an action that would copy nothing.
void addCopyAction(QList<QAction *> &out, const QString &text, const QString &value, QObject *parent);

/// A separator, for the action lists the menus are built from.
QAction *separatorAction(QObject *parent);

/// The row menu and Ctrl+C of an item view, as the chain view has them. Right-click makes the row
/// under the mouse current and pops up a menu (named `menuName`) of `actions(row, menu)`; the Menu
/// key does the same for the current row. Ctrl+C copies `value(current)`: the whole value, where
/// the view's own Ctrl+C copies the cell's (elided, shortened) display text, and whatever the
/// window binds Ctrl+C to while the view has the focus.
class RowMenu : public QObject
{
public:
    using Value = std::function<QString(const QModelIndex &index)>;
    using Actions = std::function<QList<QAction *>(const QModelIndex &index, QObject *parent)>;

    static RowMenu *install(QAbstractItemView *view, const QString &menuName, Value value, Actions actions);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    RowMenu(QAbstractItemView *view, const QString &menuName, Value value, Actions actions);

    QAbstractItemView *m_view;
    QString m_menuName;
    Value m_value;
    Actions m_actions;
};

} // namespace lamina
