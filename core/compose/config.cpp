// SPDX-License-Identifier: MIT
// The composed image's config: the base's, with the edits, the new layers and their history.
#include "compose/config.h"

#include <QDateTime>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace lamina {

QJsonObject editedSettings(QJsonObject c, const ConfigEdits &edits)
{
    auto list = [](const QStringList &l) { return QJsonArray::fromStringList(l); };
    if (edits.workingDir)
        c.insert(QStringLiteral("WorkingDir"), *edits.workingDir);
    if (edits.cmd)
        c.insert(QStringLiteral("Cmd"), list(*edits.cmd));
    if (edits.entrypoint)
        c.insert(QStringLiteral("Entrypoint"), list(*edits.entrypoint));
    if (edits.user)
        c.insert(QStringLiteral("User"), *edits.user);
    if (edits.stopSignal)
        c.insert(QStringLiteral("StopSignal"), *edits.stopSignal);
    if (!edits.setEnv.isEmpty() || !edits.unsetEnv.isEmpty()) {
        QStringList env;
        for (const QJsonValue &v : c.value(QStringLiteral("Env")).toArray())
            env << v.toString();
        for (const QString &name : edits.unsetEnv)
            env.removeIf([&](const QString &e) { return e.section(u'=', 0, 0) == name; });
        for (const auto &kv : edits.setEnv) {
            const QString entry = kv.first + u'=' + kv.second;
            bool replaced = false;
            for (QString &e : env) {
                if (e.section(u'=', 0, 0) == kv.first) {
                    e = entry;
                    replaced = true;
                }
            }
            if (!replaced)
                env << entry;
        }
        c.insert(QStringLiteral("Env"), list(env));
    }
    if (!edits.labels.isEmpty()) {
        QJsonObject labels = c.value(QStringLiteral("Labels")).toObject();
        for (const auto &kv : edits.labels)
            labels.insert(kv.first, kv.second);
        c.insert(QStringLiteral("Labels"), labels);
    }
    if (!edits.exposedPorts.isEmpty()) {
        QJsonObject ports = c.value(QStringLiteral("ExposedPorts")).toObject();
        for (QString p : edits.exposedPorts)
            ports.insert(p.contains(u'/') ? p : p + QStringLiteral("/tcp"), QJsonObject());
        c.insert(QStringLiteral("ExposedPorts"), ports);
    }
    if (!edits.volumes.isEmpty()) {
        QJsonObject volumes = c.value(QStringLiteral("Volumes")).toObject();
        for (const QString &v : edits.volumes)
            volumes.insert(v, QJsonObject());
        c.insert(QStringLiteral("Volumes"), volumes);
    }
    return c;
}

QString describeLayer(const LayerSpec &spec, const ConfigEdits &edits, bool last)
{
    QStringList parts;
    for (const LayerOp &op : spec.ops) {
        switch (op.kind) {
        case LayerOp::AddHost:
            parts << QStringLiteral("ADD %1 %2").arg(QFileInfo(op.hostPath).fileName(), op.imagePath);
            break;
        case LayerOp::Mkdir:
            parts
                << QStringLiteral("MKDIR %1 %2").arg(op.imagePath).arg(op.mode.value_or(0755), 4, 8, QLatin1Char('0'));
            break;
        case LayerOp::Symlink:
            parts << QStringLiteral("SYMLINK %1 -> %2").arg(op.imagePath, op.linkTarget);
            break;
        case LayerOp::WriteText:
            parts << QStringLiteral("WRITE %1").arg(op.imagePath);
            break;
        case LayerOp::Delete:
            parts << QStringLiteral("DELETE %1").arg(op.imagePath);
            break;
        case LayerOp::Opaque:
            parts << QStringLiteral("EMPTY %1").arg(op.imagePath);
            break;
        }
    }
    if (last) {
        if (edits.workingDir)
            parts << QStringLiteral("WORKDIR %1").arg(*edits.workingDir);
        if (edits.cmd)
            parts << QStringLiteral("CMD %1").arg(QString::fromUtf8(
                QJsonDocument(QJsonArray::fromStringList(*edits.cmd)).toJson(QJsonDocument::Compact)));
        if (edits.entrypoint)
            parts << QStringLiteral("ENTRYPOINT %1")
                         .arg(QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(*edits.entrypoint))
                                                    .toJson(QJsonDocument::Compact)));
        for (const auto &kv : edits.setEnv)
            parts << QStringLiteral("ENV %1").arg(kv.first);
    }
    return QStringLiteral("lamina compose: ") + parts.join(QStringLiteral("; "));
}

ComposedConfig composeConfig(
    QJsonObject config, const Composition &composition, const QList<LayerSpec> &layers, const QStringList &newDiffIds)
{
    QJsonObject rootfs = config.value(QStringLiteral("rootfs")).toObject();
    QJsonArray diffIds = rootfs.value(QStringLiteral("diff_ids")).toArray();
    QJsonArray history = config.value(QStringLiteral("history")).toArray();
    for (int i = 0; i < layers.size(); ++i) {
        diffIds.append(newDiffIds.value(i));
        history.append(QJsonObject { { QStringLiteral("created"), composition.created },
            { QStringLiteral("created_by"),
                describeLayer(layers.at(i), composition.config, i == layers.size() - 1) } });
    }
    if (layers.isEmpty())
        history.append(QJsonObject { { QStringLiteral("created"), composition.created },
            { QStringLiteral("created_by"), describeLayer({}, composition.config, true) },
            { QStringLiteral("empty_layer"), true } });
    ComposedConfig c;
    c.settings = editedSettings(config.value(QStringLiteral("config")).toObject(), composition.config);
    config.insert(QStringLiteral("config"), c.settings);
    config.insert(QStringLiteral("created"), composition.created);
    config.insert(QStringLiteral("rootfs"),
        QJsonObject { { QStringLiteral("type"), QStringLiteral("layers") }, { QStringLiteral("diff_ids"), diffIds } });
    config.insert(QStringLiteral("history"), history);
    config.remove(QStringLiteral("container")); // described the build container of the base, not this image
    c.config = config;
    c.bytes = QJsonDocument(config).toJson(QJsonDocument::Compact);
    c.imageId = Digest::sha256Of(c.bytes);
    return c;
}

QJsonObject scratchConfig()
{
    return QJsonObject { { QStringLiteral("architecture"), QStringLiteral("amd64") },
        { QStringLiteral("os"), QStringLiteral("linux") }, { QStringLiteral("config"), QJsonObject() },
        { QStringLiteral("rootfs"),
            QJsonObject { { QStringLiteral("type"), QStringLiteral("layers") },
                { QStringLiteral("diff_ids"), QJsonArray() } } } };
}

QString normaliseTag(const QString &tag, QString *error)
{
    // The grammar of distribution/reference (regexp.go): domain components may hold uppercase,
    // path components may not, and the first component is a domain only when a path follows it.
    // "-+" between alphanumerics accepts what regexp.go's "[-]*" does, without two quantifiers
    // that can match the same run (a long bad name fails fast). \w is spelt out: Qt's is Unicode.
    static const QRegularExpression grammar(QStringLiteral(
        "^((?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-"
        "9]))*"
        "(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
        "(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?\\z"));
    const QRegularExpressionMatch m = tag.size() <= 512 ? grammar.match(tag) : QRegularExpressionMatch();
    if (!m.hasMatch()) {
        *error = QStringLiteral(
            "the tag \"%1\" is not a valid image reference: NAME[:TAG] with a lowercase name (an optional "
            "registry host[:port]/ first), a tag of letters, digits, '_', '.' and '-' (at most 128, "
            "not starting with '.' or '-'), and no digest")
                     .arg(tag);
        return {};
    }
    if (m.captured(1).size() > 255) {
        *error = QStringLiteral("the tag \"%1\": the name has %2 characters, more than the 255 a reference allows")
                     .arg(tag)
                     .arg(m.captured(1).size());
        return {};
    }
    return m.captured(2).isEmpty() ? m.captured(1) + QStringLiteral(":latest") : tag;
}

qint64 parseCreated(const QString &created)
{
    const QDateTime t = QDateTime::fromString(created, Qt::ISODateWithMs);
    return t.isValid() ? t.toSecsSinceEpoch() : -1;
}

} // namespace lamina
