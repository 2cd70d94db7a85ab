// SPDX-License-Identifier: MIT
#pragma once

#include <QScrollArea>

namespace lamina {

class ChainView;

/// The chain ⇄ manifest page: the legacy parent chain beside the manifest list, scrolled.
class ChainPage : public QScrollArea
{
    Q_OBJECT
public:
    explicit ChainPage(QWidget *parent = nullptr);
    ChainView *chain() const { return m_chain; }

protected:
    /// The chain is laid out to the viewport's width, again whenever that changes.
    bool viewportEvent(QEvent *event) override;

private:
    ChainView *m_chain = nullptr;
};

} // namespace lamina
