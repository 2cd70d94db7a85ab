// SPDX-License-Identifier: MIT
#include "copyaction.h"

#include <QAbstractItemView>
#include <QAction>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QGuiApplication>
#include <QKeyEvent>
#include <QMenu>

namespace lamina {

void copyToClipboard(const QString &value)
{
    if (!value.isEmpty())
        QGuiApplication::clipboard()->setText(value);
}

void addCopyAction(QList<QAction *> &out, const QString &text, const QString &value, QObject *parent)
{
    if (value.isEmpty())
        return;
    auto *a = new QAction(text, parent);
    QObject::connect(a, &QAction::triggered, a, [value] { copyToClipboard(value); });
    out << a;
}

QAction *separatorAction(QObject *parent)
{
    auto *a = new QAction(parent);
    a->setSeparator(true);
    return a;
}

RowMenu::RowMenu(QAbstractItemView *view, const QString &menuName, Value value, Actions actions)
    : QObject(view)
    , m_view(view)
    , m_menuName(menuName)
    , m_value(std::move(value))
    , m_actions(std::move(actions))
{
}

RowMenu *RowMenu::install(QAbstractItemView *view, const QString &menuName, Value value, Actions actions)
{
    auto *menu = new RowMenu(view, menuName, std::move(value), std::move(actions));
    view->setContextMenuPolicy(Qt::DefaultContextMenu);
    // The mouse's menu event goes to the viewport, the Menu key's to the view.
    view->installEventFilter(menu);
    view->viewport()->installEventFilter(menu);
    return menu;
}

bool RowMenu::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_view && event->type() == QEvent::ShortcutOverride
        && static_cast<QKeyEvent *>(event)->matches(QKeySequence::Copy)) {
        event->accept();
        return true;
    }
    if (watched == m_view && event->type() == QEvent::KeyPress
        && static_cast<QKeyEvent *>(event)->matches(QKeySequence::Copy)) {
        if (const QModelIndex current = m_view->currentIndex(); current.isValid())
            copyToClipboard(m_value(current));
        return true;
    }
    if (event->type() != QEvent::ContextMenu)
        return false;
    auto *e = static_cast<QContextMenuEvent *>(event);
    QModelIndex index;
    QPoint at;
    if (e->reason() == QContextMenuEvent::Mouse && watched == m_view->viewport()) {
        index = m_view->indexAt(e->pos());
        if (index.isValid() && index != m_view->currentIndex())
            m_view->setCurrentIndex(index);
        at = e->globalPos();
    } else {
        index = m_view->currentIndex();
        at = m_view->viewport()->mapToGlobal(m_view->visualRect(index).bottomLeft());
    }
    if (!index.isValid())
        return true;
    auto *menu = new QMenu(m_view);
    menu->setObjectName(m_menuName);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->addActions(m_actions(index, menu));
    if (menu->isEmpty()) {
        delete menu;
        return true;
    }
    menu->popup(at);
    return true;
}

} // namespace lamina
