// SPDX-License-Identifier: MIT
#pragma once

#include <QSyntaxHighlighter>

namespace lamina {

/// Colours keys, strings, numbers and literals of pretty-printed JSON.
class JsonHighlighter : public QSyntaxHighlighter
{
    Q_OBJECT
public:
    using QSyntaxHighlighter::QSyntaxHighlighter;

protected:
    void highlightBlock(const QString &text) override;
};

} // namespace lamina
