// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>

#include <optional>

namespace lamina {

/// The JSON type of a value, in words ("a string", "an array", "null", …), for error messages.
QString jsonTypeName(const QJsonValue &v);

/// The deepest nesting of arrays and objects in JSON text (strings skipped), without parsing it.
int jsonNestingDepth(QByteArrayView bytes);

/// Parses JSON bytes; text nested deeper than limits::kMaxJsonDepth is refused. On failure returns nothing and appends
/// "<member>: not valid JSON (…)" to `errors`.
std::optional<QJsonDocument> parseJson(const QByteArray &bytes, const QString &member, QStringList *errors);

/// Typed field access that reports a wrong JSON type as an error naming the member and the field
/// instead of silently reading a default. A missing field or `null` is not an error; it reads as
/// empty.
class JsonFields
{
public:
    JsonFields(QString member, QStringList *errors)
        : m_member(std::move(member))
        , m_errors(errors)
    {
    }

    QString string(const QJsonObject &o, const QString &key, const QString &field = {}) const;
    QStringList stringList(
        const QJsonObject &o, const QString &key, const QString &field = {}, bool *wasNull = nullptr) const;
    QJsonObject object(const QJsonObject &o, const QString &key, const QString &field = {}) const;
    QJsonArray array(const QJsonObject &o, const QString &key, const QString &field = {}) const;
    qint64 integer(const QJsonObject &o, const QString &key, qint64 fallback, const QString &field = {}) const;
    bool boolean(const QJsonObject &o, const QString &key, const QString &field = {}) const;

    void wrongType(const QString &field, const QString &expected, const QJsonValue &found) const;
    const QString &member() const { return m_member; }

private:
    QString m_member;
    QStringList *m_errors;
};

} // namespace lamina
