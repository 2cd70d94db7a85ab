// SPDX-License-Identifier: MIT
#include "format/json.h"

#include "util/limits.h"

namespace lamina {

QString jsonTypeName(const QJsonValue &v)
{
    switch (v.type()) {
    case QJsonValue::Null:
        return QStringLiteral("null");
    case QJsonValue::Bool:
        return QStringLiteral("a boolean");
    case QJsonValue::Double:
        return QStringLiteral("a number");
    case QJsonValue::String:
        return QStringLiteral("a string");
    case QJsonValue::Array:
        return QStringLiteral("an array");
    case QJsonValue::Object:
        return QStringLiteral("an object");
    case QJsonValue::Undefined:
        break;
    }
    return QStringLiteral("nothing");
}

int jsonNestingDepth(QByteArrayView bytes)
{
    int depth = 0, deepest = 0;
    bool inString = false, escaped = false;
    for (const char c : bytes) {
        if (inString) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"')
            inString = true;
        else if (c == '[' || c == '{')
            deepest = std::max(deepest, ++depth);
        else if ((c == ']' || c == '}') && depth > 0)
            --depth;
    }
    return deepest;
}

std::optional<QJsonDocument> parseJson(const QByteArray &bytes, const QString &member, QStringList *errors)
{
    // Qt's parser would stop at 1024 levels with "too deeply nested"; refusing earlier names our
    // limit and keeps every later recursive walk over the document shallow.
    if (const int depth = jsonNestingDepth(bytes); depth > limits::kMaxJsonDepth) {
        errors->append(QStringLiteral("%1: JSON nested %2 levels deep, more than %3; not read%4")
                           .arg(member)
                           .arg(depth)
                           .arg(limits::kMaxJsonDepth)
                           .arg(limits::note("kMaxJsonDepth", limits::kMaxJsonDepth)));
        return std::nullopt;
    }
    QJsonParseError err;
    QJsonDocument doc = QJsonDocument::fromJson(bytes, &err);
    if (err.error != QJsonParseError::NoError) {
        if (bytes.trimmed() == "null") {
            errors->append(QStringLiteral("%1: the file is the JSON literal null").arg(member));
            return std::nullopt;
        }
        errors->append(
            QStringLiteral("%1: not valid JSON (%2 at byte %3)").arg(member, err.errorString()).arg(err.offset));
        return std::nullopt;
    }
    return doc;
}

static QString fieldName(const QString &key, const QString &field)
{
    return field.isEmpty() ? key : field;
}

void JsonFields::wrongType(const QString &field, const QString &expected, const QJsonValue &found) const
{
    if (m_errors)
        m_errors->append(QStringLiteral("%1: field \"%2\" must be %3, but is %4")
                             .arg(m_member, field, expected, jsonTypeName(found)));
}

QString JsonFields::string(const QJsonObject &o, const QString &key, const QString &field) const
{
    const QJsonValue v = o.value(key);
    if (v.isString())
        return v.toString();
    if (!v.isUndefined() && !v.isNull())
        wrongType(fieldName(key, field), QStringLiteral("a string"), v);
    return {};
}

QStringList JsonFields::stringList(const QJsonObject &o, const QString &key, const QString &field, bool *wasNull) const
{
    const QJsonValue v = o.value(key);
    if (wasNull)
        *wasNull = v.isNull() || v.isUndefined();
    QStringList out;
    if (v.isUndefined() || v.isNull())
        return out;
    if (!v.isArray()) {
        wrongType(fieldName(key, field), QStringLiteral("an array of strings"), v);
        return out;
    }
    const QJsonArray a = v.toArray();
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (!a.at(i).isString()) {
            wrongType(QStringLiteral("%1[%2]").arg(fieldName(key, field)).arg(i), QStringLiteral("a string"), a.at(i));
            out.append(QString());
            continue;
        }
        out.append(a.at(i).toString());
    }
    return out;
}

QJsonObject JsonFields::object(const QJsonObject &o, const QString &key, const QString &field) const
{
    const QJsonValue v = o.value(key);
    if (v.isObject())
        return v.toObject();
    if (!v.isUndefined() && !v.isNull())
        wrongType(fieldName(key, field), QStringLiteral("an object"), v);
    return {};
}

QJsonArray JsonFields::array(const QJsonObject &o, const QString &key, const QString &field) const
{
    const QJsonValue v = o.value(key);
    if (v.isArray())
        return v.toArray();
    if (!v.isUndefined() && !v.isNull())
        wrongType(fieldName(key, field), QStringLiteral("an array"), v);
    return {};
}

qint64 JsonFields::integer(const QJsonObject &o, const QString &key, qint64 fallback, const QString &field) const
{
    const QJsonValue v = o.value(key);
    if (v.isDouble())
        return v.toInteger(fallback);
    if (!v.isUndefined() && !v.isNull())
        wrongType(fieldName(key, field), QStringLiteral("a number"), v);
    return fallback;
}

bool JsonFields::boolean(const QJsonObject &o, const QString &key, const QString &field) const
{
    const QJsonValue v = o.value(key);
    if (v.isBool())
        return v.toBool();
    if (!v.isUndefined() && !v.isNull())
        wrongType(fieldName(key, field), QStringLiteral("true or false"), v);
    return false;
}

} // namespace lamina
