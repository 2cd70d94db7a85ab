// SPDX-License-Identifier: MIT
#pragma once

#include <QLabel>
#include <QVBoxLayout>
#include <QWidget>

namespace lamina {

/// `content` under a bold title, with `extra` (a filter row, a choice), when given, between them:
/// the panes of both pages.
inline QWidget *titledBox(const QString &title, QWidget *content, QWidget *extra = nullptr)
{
    auto *w = new QWidget;
    auto *l = new QVBoxLayout(w);
    l->setContentsMargins(0, 0, 0, 0);
    l->setSpacing(2);
    l->addWidget(new QLabel(QStringLiteral("<b>%1</b>").arg(title)));
    if (extra)
        l->addWidget(extra);
    l->addWidget(content, 1);
    return w;
}

} // namespace lamina
