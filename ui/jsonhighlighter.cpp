// SPDX-License-Identifier: MIT
#include "jsonhighlighter.h"

#include <QRegularExpression>

namespace lamina {

void JsonHighlighter::highlightBlock(const QString &text)
{
    static const QRegularExpression string(QStringLiteral(R"("(?:[^"\\]|\\.)*")"));
    static const QRegularExpression number(QStringLiteral(R"(\b-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b)"));
    static const QRegularExpression literal(QStringLiteral(R"(\b(?:true|false|null)\b)"));
    QTextCharFormat key, value, num, lit;
    key.setForeground(QColor(0x1f, 0x5f, 0xa8));
    key.setFontWeight(QFont::Bold);
    value.setForeground(QColor(0x2e, 0x7d, 0x32));
    num.setForeground(QColor(0xb0, 0x5a, 0x00));
    lit.setForeground(QColor(0x8e, 0x24, 0xaa));
    for (auto it = number.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        setFormat(int(m.capturedStart()), int(m.capturedLength()), num);
    }
    for (auto it = literal.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        setFormat(int(m.capturedStart()), int(m.capturedLength()), lit);
    }
    for (auto it = string.globalMatch(text); it.hasNext();) {
        const auto m = it.next();
        const bool isKey = text.mid(m.capturedEnd()).trimmed().startsWith(u':');
        setFormat(int(m.capturedStart()), int(m.capturedLength()), isKey ? key : value);
    }
}

} // namespace lamina
