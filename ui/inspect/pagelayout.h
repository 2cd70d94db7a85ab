// SPDX-License-Identifier: MIT
#pragma once

#include <QLabel>
#include <QVBoxLayout>
#include <QWidget>

namespace lamina {

/// `content` under a bold title, with `extra` (a filter row, a choice) between them.
inline QWidget *withLabel(const QString &label, QWidget *content, QWidget *extra = nullptr)
{
    auto *w = new QWidget;
    auto *l = new QVBoxLayout(w);
    l->setContentsMargins(0, 0, 0, 0);
    l->addWidget(new QLabel(QStringLiteral("<b>%1</b>").arg(label)));
    if (extra)
        l->addWidget(extra);
    l->addWidget(content, 1);
    return w;
}

} // namespace lamina
