// SPDX-License-Identifier: MIT
// Names from layers as text for a terminal or a script, and back (docs/layers.md).
#include "command.h"

#include <cctype>

namespace lamina::cli {

QString escapedName(QByteArrayView name)
{
    QString out;
    out.reserve(name.size());
    auto hex = [&](uchar b) { out += QStringLiteral("\\x%1").arg(uint(b), 2, 16, QLatin1Char('0')); };
    for (qsizetype i = 0; i < name.size();) {
        const uchar c = uchar(name.at(i));
        if (c == '\\') {
            out += QStringLiteral("\\\\");
            ++i;
        } else if (c == '\n' || c == '\t' || c == '\r') {
            out += c == '\n' ? QStringLiteral("\\n") : c == '\t' ? QStringLiteral("\\t") : QStringLiteral("\\r");
            ++i;
        } else if (c < 0x20 || c == 0x7f) {
            hex(c);
            ++i;
        } else if (c < 0x80) {
            out += QLatin1Char(char(c));
            ++i;
        } else {
            // One UTF-8 sequence, checked by hand: shortest form, no surrogates, at most U+10FFFF.
            const int len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
            bool valid = len > 0 && i + len <= name.size();
            char32_t cp = len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
            for (int k = 1; valid && k < len; ++k) {
                const uchar cc = uchar(name.at(i + k));
                valid = (cc & 0xc0) == 0x80;
                cp = (cp << 6) | (cc & 0x3f);
            }
            valid = valid && !(len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
                && !(len == 4 && (cp < 0x10000 || cp > 0x10ffff));
            if (!valid) {
                hex(c);
                ++i;
            } else if (cp >= 0x80 && cp <= 0x9f) {
                for (int k = 0; k < len; ++k)
                    hex(uchar(name.at(i + k)));
                i += len;
            } else {
                out += QString::fromUtf8(name.sliced(i, len));
                i += len;
            }
        }
    }
    return out;
}

std::optional<QByteArray> unescapedName(const QString &text)
{
    const QByteArray in = text.toUtf8();
    QByteArray out;
    for (qsizetype i = 0; i < in.size(); ++i) {
        if (in.at(i) != '\\') {
            out += in.at(i);
            continue;
        }
        const char next = i + 1 < in.size() ? in.at(i + 1) : '\0';
        if (next == '\\' || next == 'n' || next == 't' || next == 'r') {
            out += next == '\\' ? '\\' : next == 'n' ? '\n' : next == 't' ? '\t' : '\r';
            ++i;
        } else if (next == 'x' && i + 3 < in.size() && isxdigit(uchar(in.at(i + 2))) && isxdigit(uchar(in.at(i + 3)))) {
            out += char(QByteArray(in.sliced(i + 2, 2)).toUInt(nullptr, 16));
            i += 3;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

} // namespace lamina::cli
