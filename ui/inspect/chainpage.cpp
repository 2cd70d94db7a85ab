// SPDX-License-Identifier: MIT
#include "chainpage.h"

#include "chainview.h"

#include <QEvent>

namespace lamina {

ChainPage::ChainPage(QWidget *parent)
    : QScrollArea(parent)
{
    m_chain = new ChainView;
    setWidget(m_chain);
    setWidgetResizable(false);
    setBackgroundRole(QPalette::Base);
}

bool ChainPage::viewportEvent(QEvent *event)
{
    if (event->type() == QEvent::Resize)
        m_chain->setAvailableSize(viewport()->size());
    return QScrollArea::viewportEvent(event);
}

} // namespace lamina
