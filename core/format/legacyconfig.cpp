// SPDX-License-Identifier: MIT
// The config Docker's legacy loader makes from a v1.0 chain (docs/formats.md §3.5). Docker
// decodes each layer's json into Go types and writes the config from them, so the bytes (and the
// image ID) depend on how Go's encoding/json reads and writes: field names matched without
// regard to case, the last of repeated fields winning, null leaving a scalar as it was and
// clearing a slice, map or pointer, and a value of the wrong type failing the whole load.
#include "format/legacyconfig.h"

#include "format/gojson.h"

#include <QJsonArray>
#include <QMap>

#include <memory>

namespace lamina {

namespace {

/// The Go types of the fields Docker's V1Image and container.Config hold (moby
/// image/image.go V1Image, api/types/container/config.go Config and HealthConfig).
enum class Kind { String, Bool, Int, Time, StrSlice, Strings, Set, StringMap, IntPointer, Struct, StructPointer };

struct StructSpec;

struct FieldSpec
{
    const char *name; ///< the JSON name
    Kind kind;
    bool omitEmpty = false;
    const StructSpec *type = nullptr; ///< for Struct and StructPointer
};

struct StructSpec
{
    QList<FieldSpec> fields;
};

const StructSpec kHealth { {
    { "Test", Kind::Strings, true },
    { "Interval", Kind::Int, true },
    { "Timeout", Kind::Int, true },
    { "StartPeriod", Kind::Int, true },
    { "Retries", Kind::Int, true },
} };

const StructSpec kContainerConfig { {
    { "Hostname", Kind::String },
    { "Domainname", Kind::String },
    { "User", Kind::String },
    { "AttachStdin", Kind::Bool },
    { "AttachStdout", Kind::Bool },
    { "AttachStderr", Kind::Bool },
    { "ExposedPorts", Kind::Set, true },
    { "Tty", Kind::Bool },
    { "OpenStdin", Kind::Bool },
    { "StdinOnce", Kind::Bool },
    { "Env", Kind::Strings },
    { "Cmd", Kind::StrSlice },
    { "Healthcheck", Kind::StructPointer, true, &kHealth },
    { "ArgsEscaped", Kind::Bool, true },
    { "Image", Kind::String },
    { "Volumes", Kind::Set },
    { "WorkingDir", Kind::String },
    { "Entrypoint", Kind::StrSlice },
    { "NetworkDisabled", Kind::Bool, true },
    { "MacAddress", Kind::String, true },
    { "OnBuild", Kind::Strings },
    { "Labels", Kind::StringMap },
    { "StopSignal", Kind::String, true },
    { "StopTimeout", Kind::IntPointer, true },
    { "Shell", Kind::StrSlice, true },
} };

const StructSpec kV1Image { {
    { "id", Kind::String, true },
    { "parent", Kind::String, true },
    { "comment", Kind::String, true },
    { "created", Kind::Time },
    { "container", Kind::String, true },
    { "container_config", Kind::Struct, false, &kContainerConfig },
    { "docker_version", Kind::String, true },
    { "author", Kind::String, true },
    { "config", Kind::StructPointer, true, &kContainerConfig },
    { "architecture", Kind::String, true },
    { "variant", Kind::String, true },
    { "os", Kind::String, true },
    { "Size", Kind::Int, true },
} };

struct GoStruct;

/// A decoded Go value of one of the kinds above.
struct GoValue
{
    bool nonNil = false; ///< slices, maps and pointers
    QString text; ///< String; Time: as Go writes it again, "" for the zero time
    bool flag = false;
    qint64 number = 0;
    QStringList list;
    QMap<QString, QString> map; ///< Set (values unused) and StringMap; QMap iterates in key order
    std::shared_ptr<GoStruct> fields;
};

struct GoStruct
{
    const StructSpec *spec;
    QList<GoValue> values;
    explicit GoStruct(const StructSpec *s)
        : spec(s)
        , values(s->fields.size())
    {
        for (int i = 0; i < s->fields.size(); ++i)
            if (s->fields.at(i).kind == Kind::Struct)
                values[i].fields = std::make_shared<GoStruct>(s->fields.at(i).type);
    }
};

bool decodeStruct(GoStruct &target, const QByteArray &raw, const QString &where, QString *error);

// Phrases of the errors below that tell which of Docker's refusals it is.
const QLatin1String kNotJson("not valid JSON");
const QLatin1String kNotRfc3339("is not an RFC 3339 time");

QString typeError(const QString &where, const char *expected)
{
    return QStringLiteral("%1: not %2").arg(where, QLatin1String(expected));
}

bool isNull(const QJsonValue &v)
{
    return v.isNull() || v.isUndefined();
}

/// A JSON integer as Go reads one into int or int64: digits only, in range.
bool readInteger(const QByteArray &raw, qint64 *out)
{
    if (raw.isEmpty() || raw.contains('.') || raw.contains('e') || raw.contains('E'))
        return false;
    bool ok = false;
    *out = raw.toLongLong(&ok);
    return ok;
}

bool readStrings(const QJsonValue &v, QStringList *out)
{
    if (!v.isArray())
        return false;
    out->clear();
    for (const QJsonValue &e : v.toArray()) {
        if (!e.isString() && !e.isNull())
            return false;
        out->append(e.toString()); // null leaves the element's zero value, ""
    }
    return true;
}

bool decodeValue(const FieldSpec &f, GoValue &value, const QByteArray &raw, const QString &where, QString *error)
{
    const std::optional<QJsonValue> parsed = gojson::parseValue(raw);
    if (!parsed) {
        *error = QStringLiteral("%1: %2").arg(where, kNotJson);
        return false;
    }
    const QJsonValue &v = *parsed;
    switch (f.kind) {
    case Kind::String:
        if (v.isString())
            value.text = v.toString();
        else if (!isNull(v))
            *error = typeError(where, "a string");
        break;
    case Kind::Bool:
        if (v.isBool())
            value.flag = v.toBool();
        else if (!isNull(v))
            *error = typeError(where, "true or false");
        break;
    case Kind::Int:
        if (!isNull(v) && !(v.isDouble() && readInteger(raw.trimmed(), &value.number)))
            *error = typeError(where, "an integer");
        break;
    case Kind::Time:
        if (v.isString()) {
            const std::optional<QByteArray> t = gojson::rfc3339(v.toString());
            if (t)
                value.text = QString::fromUtf8(*t);
            else
                *error = QStringLiteral("%1: \"%2\" %3").arg(where, v.toString(), kNotRfc3339);
        } else if (!isNull(v)) {
            *error = typeError(where, "a time string");
        }
        break;
    case Kind::StrSlice:
        // strslice.StrSlice takes a string or an array of strings.
        if (isNull(v)) {
            value.nonNil = false;
            value.list.clear();
        } else if (v.isString()) {
            value.nonNil = true;
            value.list = QStringList { v.toString() };
        } else if (readStrings(v, &value.list)) {
            value.nonNil = true;
        } else {
            *error = typeError(where, "a string or an array of strings");
        }
        break;
    case Kind::Strings:
        if (isNull(v)) {
            value.nonNil = false;
            value.list.clear();
        } else if (readStrings(v, &value.list)) {
            value.nonNil = true;
        } else {
            *error = typeError(where, "an array of strings");
        }
        break;
    case Kind::Set:
    case Kind::StringMap:
        if (isNull(v)) {
            value.nonNil = false;
            value.map.clear();
        } else if (v.isObject()) {
            // Go adds to a map that is already there.
            value.nonNil = true;
            const QJsonObject o = v.toObject();
            for (auto it = o.begin(); it != o.end(); ++it) {
                const bool fits = f.kind == Kind::Set ? it->isObject() || it->isNull() : it->isString() || it->isNull();
                if (!fits) {
                    *error = typeError(where + u'.' + it.key(), f.kind == Kind::Set ? "an object" : "a string");
                    break;
                }
                value.map.insert(it.key(), it->toString());
            }
        } else {
            *error = typeError(where, "an object");
        }
        break;
    case Kind::IntPointer:
        if (isNull(v))
            value.nonNil = false;
        else if (v.isDouble() && readInteger(raw.trimmed(), &value.number))
            value.nonNil = true;
        else
            *error = typeError(where, "an integer");
        break;
    case Kind::Struct:
    case Kind::StructPointer:
        if (isNull(v)) {
            if (f.kind == Kind::StructPointer) {
                value.nonNil = false;
                value.fields.reset();
            }
        } else if (v.isObject()) {
            if (!value.fields)
                value.fields = std::make_shared<GoStruct>(f.type);
            value.nonNil = true;
            return decodeStruct(*value.fields, raw, where, error);
        } else {
            *error = typeError(where, "an object");
        }
        break;
    }
    return error->isEmpty();
}

/// The field a JSON key fills: the exact name, else one equal but for ASCII case.
int fieldFor(const StructSpec &spec, const QString &key)
{
    for (int i = 0; i < spec.fields.size(); ++i)
        if (key == QLatin1String(spec.fields.at(i).name))
            return i;
    for (int i = 0; i < spec.fields.size(); ++i)
        if (key.compare(QLatin1String(spec.fields.at(i).name), Qt::CaseInsensitive) == 0)
            return i;
    return -1;
}

bool decodeStruct(GoStruct &target, const QByteArray &raw, const QString &where, QString *error)
{
    const auto members = gojson::objectMembers(raw);
    if (!members) {
        *error = typeError(where, "a JSON object");
        return false;
    }
    for (const gojson::RawMember &m : *members) {
        const int i = fieldFor(*target.spec, m.key);
        if (i < 0)
            continue; // Go ignores fields its type does not have
        const FieldSpec &f = target.spec->fields.at(i);
        if (!decodeValue(f, target.values[i], m.value, where + u'.' + m.key, error))
            return false;
    }
    return true;
}

QByteArray encodeStrings(const QStringList &list)
{
    QByteArray out("[");
    for (const QString &s : list) {
        if (out.size() > 1)
            out.append(',');
        out.append(gojson::string(s));
    }
    return out.append(']');
}

QByteArray encodeStruct(const GoStruct &s);

bool isEmpty(const FieldSpec &f, const GoValue &v)
{
    switch (f.kind) {
    case Kind::String:
        return v.text.isEmpty();
    case Kind::Bool:
        return !v.flag;
    case Kind::Int:
        return v.number == 0;
    case Kind::Time:
    case Kind::Struct:
        return false;
    case Kind::StrSlice:
    case Kind::Strings:
        return v.list.isEmpty();
    case Kind::Set:
    case Kind::StringMap:
        return v.map.isEmpty();
    case Kind::IntPointer:
    case Kind::StructPointer:
        return !v.nonNil;
    }
    return false;
}

QByteArray encodeValue(const FieldSpec &f, const GoValue &v)
{
    switch (f.kind) {
    case Kind::String:
        return gojson::string(v.text);
    case Kind::Bool:
        return v.flag ? QByteArrayLiteral("true") : QByteArrayLiteral("false");
    case Kind::Int:
        return QByteArray::number(v.number);
    case Kind::Time:
        return v.text.isEmpty() ? gojson::zeroTime() : v.text.toUtf8();
    case Kind::StrSlice:
    case Kind::Strings:
        return v.nonNil ? encodeStrings(v.list) : QByteArrayLiteral("null");
    case Kind::Set:
    case Kind::StringMap: {
        if (!v.nonNil)
            return QByteArrayLiteral("null");
        QList<std::pair<QString, QByteArray>> members;
        for (auto it = v.map.begin(); it != v.map.end(); ++it)
            members.append({ it.key(), f.kind == Kind::Set ? QByteArrayLiteral("{}") : gojson::string(it.value()) });
        return gojson::sortedObject(members);
    }
    case Kind::IntPointer:
        return v.nonNil ? QByteArray::number(v.number) : QByteArrayLiteral("null");
    case Kind::Struct:
    case Kind::StructPointer:
        return v.fields && (v.nonNil || f.kind == Kind::Struct) ? encodeStruct(*v.fields) : QByteArrayLiteral("null");
    }
    return {};
}

/// The members Marshal writes for a struct, in field order.
QList<std::pair<QString, QByteArray>> structMembers(const GoStruct &s)
{
    QList<std::pair<QString, QByteArray>> out;
    for (int i = 0; i < s.spec->fields.size(); ++i) {
        const FieldSpec &f = s.spec->fields.at(i);
        if (f.omitEmpty && isEmpty(f, s.values.at(i)))
            continue;
        out.append({ QLatin1String(f.name), encodeValue(f, s.values.at(i)) });
    }
    return out;
}

QByteArray encodeStruct(const GoStruct &s)
{
    return gojson::object(structMembers(s));
}

const GoValue &field(const GoStruct &s, const char *name)
{
    return s.values.at(fieldFor(*s.spec, QLatin1String(name)));
}

/// versions.LessThan (api/types/versions): dot-separated numbers, a part that is not a number
/// counting as 0.
bool versionLessThan(const QString &a, const QString &b)
{
    const QStringList x = a.split(u'.'), y = b.split(u'.');
    for (qsizetype i = 0; i < std::max(x.size(), y.size()); ++i) {
        const int p = x.value(i).toInt(), q = y.value(i).toInt();
        if (p != q)
            return p < q;
    }
    return false;
}

/// One entry of the history, as HistoryFromConfig makes it from a layer's json.
QByteArray historyEntry(const GoStruct &v1)
{
    const GoValue &cmd = field(*field(v1, "container_config").fields, "Cmd");
    QList<std::pair<QString, QByteArray>> members;
    members.append({ QStringLiteral("created"), encodeValue({ "created", Kind::Time }, field(v1, "created")) });
    const QString author = field(v1, "author").text, createdBy = cmd.list.join(u' '),
                  comment = field(v1, "comment").text;
    if (!author.isEmpty())
        members.append({ QStringLiteral("author"), gojson::string(author) });
    if (!createdBy.isEmpty())
        members.append({ QStringLiteral("created_by"), gojson::string(createdBy) });
    if (!comment.isEmpty())
        members.append({ QStringLiteral("comment"), gojson::string(comment) });
    return gojson::object(members);
}

} // namespace

namespace {

/// What Docker's own message says for `error` (one of decodeStruct's or the os check's).
QString dockerWords(const QString &error)
{
    if (error.contains(kNotJson))
        return {}; // Go's parser names the character: nothing stable to quote
    if (error.contains(kNotRfc3339))
        return QStringLiteral("parsing time");
    if (error.contains(u"cannot load "))
        return error.section(u'"', -2, -2);
    return QStringLiteral("cannot unmarshal");
}

/// Every json of the chain read as Docker's legacy loader reads it, bottom first, with the
/// history it makes; the top one kept. Stops at the first json Docker would refuse.
struct ChainJsons
{
    QByteArray history;
    QByteArray topJson;
    std::unique_ptr<GoStruct> top;
};

bool readChainJsons(const ImageArchive &archive, const Image &image, ChainJsons *out, LegacyConfig *result)
{
    out->history = "[";
    for (qsizetype i = image.legacyChainIds.size() - 1; i >= 0; --i) {
        const QString &id = image.legacyChainIds.at(i);
        const LegacyLayer *l = archive.legacy.layer(id);
        const QString where = QStringLiteral("%1/json").arg(id);
        const Archive::ReadResult bytes = l && l->jsonMember >= 0
            ? archive.archive->read(l->jsonMember)
            : Archive::ReadResult { {}, QStringLiteral("missing") };
        if (!bytes.ok()) {
            result->error = QStringLiteral("%1: %2").arg(where, bytes.error);
            return false;
        }
        auto v1 = std::make_unique<GoStruct>(&kV1Image);
        bool refused = !decodeStruct(*v1, bytes.data, where, &result->error);
        // checkCompatibleOS (image/tarexport/load.go): Docker on Linux loads "linux" or no os.
        const QString os = refused ? QString() : field(*v1, "os").text;
        if (!os.isEmpty() && os != u"linux") {
            result->error
                = QStringLiteral("%1: Docker on Linux refuses it: \"cannot load %2 image on linux\"").arg(where, os);
            refused = true;
        }
        if (refused) {
            result->refused = true;
            result->dockerSays = dockerWords(result->error);
            return false;
        }
        if (out->history.size() > 1)
            out->history.append(',');
        out->history.append(historyEntry(*v1));
        if (i == 0) {
            out->topJson = bytes.data;
            out->top = std::move(v1);
        }
    }
    out->history.append(']');
    return true;
}

} // namespace

LegacyConfig legacyLoadRefusal(const ImageArchive &archive, const Image &image)
{
    LegacyConfig result;
    ChainJsons chain;
    if (!image.legacyChainIds.isEmpty() && archive.archive)
        readChainJsons(archive, image, &chain, &result);
    return result;
}

LegacyConfig legacyImageConfig(const ImageArchive &archive, const Image &image, const QStringList &diffIds)
{
    LegacyConfig result;
    if (image.legacyChainIds.isEmpty() || !archive.archive) {
        result.error = QStringLiteral("the image has no legacy chain");
        return result;
    }
    if (diffIds.size() != image.legacyChainIds.size()) {
        result.error = QStringLiteral("%1 diff IDs for a chain of %2 layers")
                           .arg(diffIds.size())
                           .arg(image.legacyChainIds.size());
        return result;
    }
    // Bottom first, as Docker loads a chain: each image's history is its parent's plus its own.
    ChainJsons chain;
    if (!readChainJsons(archive, image, &chain, &result))
        return result;
    const QByteArray &history = chain.history;
    const QByteArray &topJson = chain.topJson;
    const std::unique_ptr<GoStruct> &top = chain.top;
    const QByteArray rootfs = gojson::object({ { QStringLiteral("type"), gojson::string(QStringLiteral("layers")) },
        { QStringLiteral("diff_ids"), encodeStrings(diffIds) } });

    // MakeConfigFromV1Config: a json from Docker < 1.8.3 goes through V1Image first.
    QList<std::pair<QString, QByteArray>> members;
    result.rewritten = versionLessThan(field(*top, "docker_version").text, QStringLiteral("1.8.3"));
    if (result.rewritten) {
        members = structMembers(*top);
    } else {
        const auto raw = gojson::objectMembers(topJson); // valid: decodeStruct read it
        for (const gojson::RawMember &m : *raw)
            members.append({ m.key, gojson::compact(m.value) });
    }
    static const QStringList dropped { QStringLiteral("id"), QStringLiteral("parent"), QStringLiteral("Size"),
        QStringLiteral("parent_id"), QStringLiteral("layer_id"), QStringLiteral("throwaway") };
    members.removeIf([](const auto &m) { return dropped.contains(m.first); });
    members.append({ QStringLiteral("rootfs"), rootfs });
    members.append({ QStringLiteral("history"), history });
    result.bytes = gojson::sortedObject(members);
    return result;
}

} // namespace lamina
