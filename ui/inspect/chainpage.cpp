// SPDX-License-Identifier: MIT
#include "chainpage.h"

#include "chainview.h"

namespace lamina {

ChainPage::ChainPage(QWidget *parent)
    : QScrollArea(parent)
{
    m_chain = new ChainView;
    setWidget(m_chain);
    setWidgetResizable(false);
    setBackgroundRole(QPalette::Base);
}

} // namespace lamina
