// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonValue>
#include <QList>
#include <QString>

#include <optional>
#include <utility>

/// JSON written byte for byte as Go's encoding/json (1.19, as Debian's Docker 20.10 is built)
/// writes it, for configs that must hash to the image ID a Go loader computes
/// (docs/formats.md §3.5). QJsonDocument cannot do this: it sorts every object's keys and
/// rewrites numbers, where Go keeps a json.RawMessage's text and only compacts it.
namespace lamina::gojson {

/// One member of a JSON object: its key decoded, its value's text as written.
struct RawMember
{
    QString key;
    QByteArray value;
};

/// The members of a JSON object in the order written, duplicates kept. Nothing when `text` is
/// not a single valid JSON object.
std::optional<QList<RawMember>> objectMembers(QByteArrayView text);

/// Any JSON value as QJsonDocument reads it; nothing when `text` is not one valid JSON value.
std::optional<QJsonValue> parseValue(QByteArrayView text);

/// A json.RawMessage as Marshal writes it: whitespace outside strings dropped, `<`, `>`, `&`,
/// U+2028 and U+2029 escaped. `value` must be valid JSON.
QByteArray compact(QByteArrayView value);

/// A string as Marshal writes it: `"` and `\` escaped, \n \r \t by name, other control
/// characters and `<`, `>`, `&`, U+2028, U+2029 as \u00XX / \u202X, the rest as UTF-8.
QByteArray string(const QString &s);

/// An object of these members in this order, as Marshal writes a struct. The values are written
/// as they are.
QByteArray object(const QList<std::pair<QString, QByteArray>> &members);

/// An object as Marshal writes a Go map: keys in byte order, the last of equal keys kept.
/// The values are written as they are.
QByteArray sortedObject(const QList<std::pair<QString, QByteArray>> &members);

/// A time as time.Time's UnmarshalJSON reads it (RFC 3339) and its MarshalJSON writes it again
/// (RFC 3339 with nanoseconds: the fraction without trailing zeros, a zero offset as "Z").
/// Nothing when Go refuses the text.
std::optional<QByteArray> rfc3339(const QString &text);

/// What Go's `time.Time{}` marshals as.
inline QByteArray zeroTime()
{
    return QByteArrayLiteral("\"0001-01-01T00:00:00Z\"");
}

} // namespace lamina::gojson
