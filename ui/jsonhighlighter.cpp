// SPDX-License-Identifier: MIT
#include "jsonhighlighter.h"

#include "common/tones.h"

#include <QRegularExpression>

namespace lamina {

void JsonHighlighter::highlightBlock(const QString &text)
{
    static const QRegularExpression string(QStringLiteral(R"("(?:[^"\\]|\\.)*")"));
    static const QRegularExpression number(QStringLiteral(R"(\b-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b)"));
    static const QRegularExpression literal(QStringLiteral(R"(\b(?:true|false|null)\b)"));
    QTextCharFormat key, value, num, lit;
    // Read on the palette of the text it colours: light colours on a dark base.
    key.setForeground(toneColor(Tone::Info));
    key.setFontWeight(QFont::Bold);
    value.setForeground(toneColor(Tone::Success));
    num.setForeground(toneColor(Tone::Changed));
    lit.setForeground(isDark() ? QColor(0xd7, 0xa8, 0xff) : QColor(0x8e, 0x24, 0xaa));
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
