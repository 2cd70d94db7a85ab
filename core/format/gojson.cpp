// SPDX-License-Identifier: MIT
#include "format/gojson.h"

#include <QDate>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <algorithm>

namespace lamina::gojson {

namespace {

constexpr char kHex[] = "0123456789abcdef";

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

qsizetype skipSpace(QByteArrayView s, qsizetype i)
{
    while (i < s.size() && isSpace(s[i]))
        ++i;
    return i;
}

/// The end of the string starting at `i` (its opening quote); the text is known to be valid.
qsizetype skipString(QByteArrayView s, qsizetype i)
{
    for (++i; i < s.size(); ++i) {
        if (s[i] == '\\')
            ++i;
        else if (s[i] == '"')
            return i + 1;
    }
    return s.size();
}

/// The end of the value starting at `i`; the text is known to be valid.
qsizetype skipValue(QByteArrayView s, qsizetype i)
{
    if (i >= s.size())
        return i;
    if (s[i] == '"')
        return skipString(s, i);
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        while (i < s.size()) {
            const char c = s[i];
            if (c == '"') {
                i = skipString(s, i);
                continue;
            }
            if (c == '{' || c == '[')
                ++depth;
            else if ((c == '}' || c == ']') && --depth == 0)
                return i + 1;
            ++i;
        }
        return i;
    }
    while (i < s.size() && !isSpace(s[i]) && s[i] != ',' && s[i] != '}' && s[i] != ']')
        ++i;
    return i;
}

} // namespace

std::optional<QJsonValue> parseValue(QByteArrayView text)
{
    QByteArray wrapped;
    wrapped.reserve(text.size() + 2);
    wrapped.append('[').append(text).append(']');
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(wrapped, &error);
    if (error.error != QJsonParseError::NoError || !doc.isArray() || doc.array().size() != 1)
        return std::nullopt;
    return doc.array().at(0);
}

std::optional<QList<RawMember>> objectMembers(QByteArrayView text)
{
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toByteArray(), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return std::nullopt;
    QList<RawMember> members;
    qsizetype i = skipSpace(text, 0) + 1; // past '{'
    while (true) {
        i = skipSpace(text, i);
        if (i >= text.size() || text[i] == '}')
            break;
        if (text[i] == ',') {
            ++i;
            continue;
        }
        const qsizetype keyEnd = skipString(text, i);
        const std::optional<QJsonValue> key = parseValue(text.sliced(i, keyEnd - i));
        i = skipSpace(text, keyEnd) + 1; // past ':'
        i = skipSpace(text, i);
        const qsizetype valueEnd = skipValue(text, i);
        members.append({ key ? key->toString() : QString(), text.sliced(i, valueEnd - i).toByteArray() });
        i = valueEnd;
    }
    return members;
}

QByteArray compact(QByteArrayView value)
{
    QByteArray out;
    out.reserve(value.size());
    bool inString = false;
    for (qsizetype i = 0; i < value.size(); ++i) {
        const char c = value[i];
        if (!inString && isSpace(c))
            continue;
        if (c == '<' || c == '>' || c == '&') {
            out.append("\\u00").append(kHex[uchar(c) >> 4]).append(kHex[uchar(c) & 0xF]);
            continue;
        }
        if (uchar(c) == 0xE2 && i + 2 < value.size() && uchar(value[i + 1]) == 0x80
            && (uchar(value[i + 2]) & ~1) == 0xA8) {
            out.append("\\u202").append(kHex[uchar(value[i + 2]) & 0xF]);
            i += 2;
            continue;
        }
        out.append(c);
        if (inString && c == '\\') {
            out.append(value[++i]); // an escape is copied whole
            continue;
        }
        if (c == '"')
            inString = !inString;
    }
    return out;
}

QByteArray string(const QString &s)
{
    const QByteArray utf8 = s.toUtf8();
    QByteArray out;
    out.reserve(utf8.size() + 2);
    out.append('"');
    for (qsizetype i = 0; i < utf8.size(); ++i) {
        const uchar b = uchar(utf8[i]);
        switch (b) {
        case '"':
        case '\\':
            out.append('\\').append(char(b));
            continue;
        case '\n':
            out.append("\\n");
            continue;
        case '\r':
            out.append("\\r");
            continue;
        case '\t':
            out.append("\\t");
            continue;
        default:
            break;
        }
        if (b < 0x20 || b == '<' || b == '>' || b == '&') {
            out.append("\\u00").append(kHex[b >> 4]).append(kHex[b & 0xF]);
        } else if (b == 0xE2 && i + 2 < utf8.size() && uchar(utf8[i + 1]) == 0x80
            && (uchar(utf8[i + 2]) & ~1) == 0xA8) {
            out.append("\\u202").append(kHex[uchar(utf8[i + 2]) & 0xF]);
            i += 2;
        } else {
            out.append(char(b));
        }
    }
    out.append('"');
    return out;
}

QByteArray sortedObject(const QList<std::pair<QString, QByteArray>> &members)
{
    // Go decodes a JSON object into a map (the last of equal keys wins), then writes the map with
    // its keys sorted as byte strings.
    QList<std::pair<QByteArray, QByteArray>> byKey;
    for (const auto &[key, value] : members) {
        const QByteArray k = key.toUtf8();
        const auto it = std::find_if(byKey.begin(), byKey.end(), [&k](const auto &m) { return m.first == k; });
        if (it != byKey.end())
            it->second = value;
        else
            byKey.append({ k, value });
    }
    std::sort(byKey.begin(), byKey.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    QList<std::pair<QString, QByteArray>> sorted;
    sorted.reserve(byKey.size());
    for (const auto &[key, value] : std::as_const(byKey))
        sorted.append({ QString::fromUtf8(key), value });
    return object(sorted);
}

QByteArray object(const QList<std::pair<QString, QByteArray>> &members)
{
    QByteArray out("{");
    for (const auto &[key, value] : members) {
        if (out.size() > 1)
            out.append(',');
        out.append(string(key)).append(':').append(value);
    }
    return out.append('}');
}

std::optional<QByteArray> rfc3339(const QString &text)
{
    // time.Parse(RFC3339): a four-digit year, two-digit month, day, minute and second, a one- or
    // two-digit hour, any fraction (after '.' or ','; nanoseconds kept), then Z or ±hh:mm.
    static const QRegularExpression re(QStringLiteral(
        R"(^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))$)"));
    const QRegularExpressionMatch m = re.match(text);
    if (!m.hasMatch())
        return std::nullopt;
    const int year = m.captured(1).toInt(), month = m.captured(2).toInt(), day = m.captured(3).toInt();
    const int hour = m.captured(4).toInt(), minute = m.captured(5).toInt(), second = m.captured(6).toInt();
    if (!QDate::isValid(year, month, day) || hour > 23 || minute > 59 || second > 59)
        return std::nullopt;
    QString fraction = m.captured(7).left(9);
    while (fraction.endsWith(u'0'))
        fraction.chop(1);
    int offset = 0; // minutes east of UTC
    if (m.captured(8).isEmpty())
        offset = (m.captured(10).toInt() * 60 + m.captured(11).toInt()) * (m.captured(9) == u"-" ? -1 : 1);
    QString zone = QStringLiteral("Z");
    if (offset != 0)
        zone = QStringLiteral("%1%2:%3")
                   .arg(QChar(offset < 0 ? u'-' : u'+'))
                   .arg(std::abs(offset) / 60, 2, 10, QLatin1Char('0'))
                   .arg(std::abs(offset) % 60, 2, 10, QLatin1Char('0'));
    const QString formatted = QStringLiteral("%1-%2-%3T%4:%5:%6%7%8")
                                  .arg(year, 4, 10, QLatin1Char('0'))
                                  .arg(month, 2, 10, QLatin1Char('0'))
                                  .arg(day, 2, 10, QLatin1Char('0'))
                                  .arg(hour, 2, 10, QLatin1Char('0'))
                                  .arg(minute, 2, 10, QLatin1Char('0'))
                                  .arg(second, 2, 10, QLatin1Char('0'))
                                  .arg(fraction.isEmpty() ? QString() : u'.' + fraction, zone);
    return '"' + formatted.toLatin1() + '"';
}

} // namespace lamina::gojson
