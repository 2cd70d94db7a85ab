// SPDX-License-Identifier: MIT
// The chain view's input: the mouse, the keyboard (arrows along and across the views' columns,
// Enter to show a layer's files), focus, tooltips, and each node's Copy and Show actions.
#include "chainview.h"
#include "chainview_p.h"

#include <QAction>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QGuiApplication>
#include <QHelpEvent>
#include <QKeyEvent>
#include <QMenu>
#include <QMouseEvent>
#include <QScrollArea>
#include <QToolTip>

namespace lamina {

using namespace chain;

bool ChainView::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const int i = boxAt(help->pos());
        if (i >= 0 && !m_boxes.at(i).toolTip.isEmpty())
            QToolTip::showText(help->globalPos(), m_boxes.at(i).toolTip, this, m_boxes.at(i).rect.toRect());
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

void ChainView::mousePressEvent(QMouseEvent *event)
{
    const int i = boxAt(event->position());
    if (i >= 0)
        setCurrent(i);
}

void ChainView::mouseDoubleClickEvent(QMouseEvent *event)
{
    const int i = boxAt(event->position());
    if (i >= 0 && m_boxes.at(i).layer >= 0 && event->button() == Qt::LeftButton)
        Q_EMIT activated(m_boxes.at(i).layer);
}

void ChainView::focusInEvent(QFocusEvent *event)
{
    QWidget::focusInEvent(event);
    update();
}

void ChainView::focusOutEvent(QFocusEvent *event)
{
    QWidget::focusOutEvent(event);
    update();
}

void ChainView::moveEvent(QMoveEvent *event)
{
    QWidget::moveEvent(event);
    if (hasFocus())
        update(); // scrolled: the focus frame follows what is visible
}

int ChainView::keyboardNode() const
{
    if (m_current >= 0)
        return m_current;
    for (int i = 0; i < m_boxes.size(); ++i)
        if (isSelected(m_boxes.at(i)))
            return i;
    return -1;
}

QList<int> ChainView::columnNodes(int box) const
{
    // A column's nodes top to bottom (the legacy column's ghost and orphans included).
    QList<int> out;
    for (int i = 0; i < m_boxes.size(); ++i)
        if (m_boxes.at(i).rect.left() == m_boxes.at(box).rect.left())
            out << i;
    std::sort(
        out.begin(), out.end(), [this](int a, int b) { return m_boxes.at(a).rect.top() < m_boxes.at(b).rect.top(); });
    return out;
}

int ChainView::besideInColumn(int box, int step) const
{
    // The same layer in the neighbouring view's column; a node of no layer (or one that column
    // lacks) goes to the node level with it there.
    const Box &from = m_boxes.at(box);
    qsizetype col = -1;
    for (qsizetype c = 0; c < m_columns.size(); ++c)
        if (m_columns.at(c).x == from.rect.left())
            col = c;
    for (qsizetype c = col + step; col >= 0 && c >= 0 && c < m_columns.size(); c += step) {
        int best = -1;
        for (int i = 0; i < m_boxes.size(); ++i) {
            const Box &b = m_boxes.at(i);
            if (b.rect.left() != m_columns.at(c).x)
                continue;
            if (from.layer >= 0 && b.layer == from.layer)
                return i;
            if (best < 0 || qAbs(b.rect.top() - from.rect.top()) < qAbs(m_boxes.at(best).rect.top() - from.rect.top()))
                best = i;
        }
        if (best >= 0)
            return best;
    }
    return -1;
}

void ChainView::setCurrent(int box)
{
    m_current = box;
    const Box &b = m_boxes.at(box);
    m_selectedLayer = b.layer;
    m_selectedId = b.layer >= 0 ? QString() : b.id;
    for (QWidget *w = parentWidget(); w; w = w->parentWidget())
        if (auto *area = qobject_cast<QScrollArea *>(w)) {
            // Near the top, the whole top: the column titles and legend say what the node is.
            const bool top = b.rect.bottom() + 12 < area->viewport()->height();
            area->ensureVisible(int(b.rect.center().x()), top ? 0 : int(b.rect.center().y()),
                int(b.rect.width() / 2) + 12, top ? 0 : int(b.rect.height() / 2) + 12);
            break;
        }
    update();
    if (b.layer >= 0)
        Q_EMIT layerClicked(b.layer);
}

void ChainView::keyPressEvent(QKeyEvent *event)
{
    const int from = keyboardNode();
    if (event->matches(QKeySequence::Copy)) {
        if (from >= 0)
            copyValue(m_boxes.at(from).value);
        event->accept();
        return;
    }
    const int key = event->key();
    if (m_boxes.isEmpty()
        || !QList<int> { Qt::Key_Up, Qt::Key_Down, Qt::Key_Left, Qt::Key_Right, Qt::Key_Home, Qt::Key_End,
            Qt::Key_Return, Qt::Key_Enter }
                .contains(key)) {
        QWidget::keyPressEvent(event);
        return;
    }
    event->accept();
    if (from < 0) { // the first key lands on the top of the first column
        setCurrent(columnNodes(0).constFirst());
        return;
    }
    if (key == Qt::Key_Return || key == Qt::Key_Enter) {
        if (m_boxes.at(from).layer >= 0)
            Q_EMIT activated(m_boxes.at(from).layer);
        return;
    }
    const QList<int> column = columnNodes(from);
    const qsizetype at = column.indexOf(from);
    int to = -1;
    if (key == Qt::Key_Up && at > 0)
        to = column.at(at - 1);
    else if (key == Qt::Key_Down && at + 1 < column.size())
        to = column.at(at + 1);
    else if (key == Qt::Key_Home)
        to = column.constFirst();
    else if (key == Qt::Key_End)
        to = column.constLast();
    else if (key == Qt::Key_Left || key == Qt::Key_Right)
        to = besideInColumn(from, key == Qt::Key_Left ? -1 : 1);
    if (to >= 0)
        setCurrent(to);
}

void ChainView::copyValue(const QString &value) const
{
    if (!value.isEmpty())
        QGuiApplication::clipboard()->setText(value);
}

QList<QAction *> ChainView::nodeActions(int node, QObject *parent)
{
    QList<QAction *> out;
    if (node < 0 || node >= m_boxes.size())
        return out;
    const Box &b = m_boxes.at(node);
    const auto copy = [&](const QString &text, const QString &value) {
        if (value.isEmpty())
            return;
        auto *a = new QAction(text, parent);
        connect(a, &QAction::triggered, this, [this, value] { copyValue(value); });
        out << a;
    };
    copy(tr("Copy digest"), b.digest);
    copy(tr("Copy diff ID"), b.diffId);
    copy(tr("Copy ID"), b.id);
    copy(tr("Copy file path"), b.path);
    if (b.layer >= 0) {
        auto *separator = new QAction(parent);
        separator->setSeparator(true);
        auto *show = new QAction(tr("Show files"), parent);
        connect(show, &QAction::triggered, this, [this, layer = b.layer] { Q_EMIT activated(layer); });
        auto *extract = new QAction(tr("Extract layer…"), parent);
        connect(extract, &QAction::triggered, this, [this, layer = b.layer] { Q_EMIT extractRequested(layer); });
        out << separator << show << extract;
    }
    auto *compare = new QAction(tr("Compare with…"), parent);
    connect(compare, &QAction::triggered, this, &ChainView::compareRequested);
    out << compare;
    return out;
}

void ChainView::contextMenuEvent(QContextMenuEvent *event)
{
    const bool mouse = event->reason() == QContextMenuEvent::Mouse;
    const int i = mouse ? boxAt(event->pos()) : keyboardNode();
    if (i < 0)
        return;
    if (mouse && i != m_current)
        setCurrent(i);
    auto *menu = new QMenu(this);
    menu->setObjectName(QStringLiteral("chainNodeMenu"));
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->addActions(nodeActions(i, menu));
    menu->popup(mouse ? event->globalPos() : mapToGlobal(m_boxes.at(i).rect.bottomLeft().toPoint()));
}

} // namespace lamina
