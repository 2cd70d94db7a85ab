// SPDX-License-Identifier: MIT
#include "format/imageconfig.h"

#include "format/json.h"

namespace lamina {

QString Platform::toString() const
{
    if (isEmpty())
        return {};
    QString s = os + u'/' + architecture;
    if (!variant.isEmpty())
        s += u'/' + variant;
    return s;
}

ImageConfig parseImageConfig(const QJsonObject &o, const QString &member, QStringList *errors)
{
    JsonFields f(member, errors);
    ImageConfig c;
    c.raw = o;
    c.platform.os = f.string(o, QStringLiteral("os"));
    c.platform.architecture = f.string(o, QStringLiteral("architecture"));
    c.platform.variant = f.string(o, QStringLiteral("variant"));
    c.platform.osVersion = f.string(o, QStringLiteral("os.version"));
    c.created = f.string(o, QStringLiteral("created"));
    c.author = f.string(o, QStringLiteral("author"));
    c.config = f.object(o, QStringLiteral("config"));

    // The fields Lamina reads from "config" are type-checked here, because Docker and
    // containers/image disagree on what they accept (kickstart.nix#52: Cmd as a string).
    const QStringList lists = { QStringLiteral("Cmd"), QStringLiteral("Entrypoint"), QStringLiteral("Env"),
        QStringLiteral("Shell"), QStringLiteral("OnBuild") };
    for (const QString &key : lists)
        f.stringList(c.config, key, QStringLiteral("config.") + key);
    for (const QString &key : { QStringLiteral("WorkingDir"), QStringLiteral("User"), QStringLiteral("StopSignal") })
        f.string(c.config, key, QStringLiteral("config.") + key);
    for (const QString &key : { QStringLiteral("Labels"), QStringLiteral("ExposedPorts"), QStringLiteral("Volumes") })
        f.object(c.config, key, QStringLiteral("config.") + key);

    const QJsonValue rootfs = o.value(QStringLiteral("rootfs"));
    if (rootfs.isObject()) {
        c.hasRootfs = true;
        const QJsonObject r = rootfs.toObject();
        c.rootfsType = f.string(r, QStringLiteral("type"), QStringLiteral("rootfs.type"));
        c.diffIds = f.stringList(r, QStringLiteral("diff_ids"), QStringLiteral("rootfs.diff_ids"));
    } else if (!rootfs.isUndefined() && !rootfs.isNull()) {
        f.wrongType(QStringLiteral("rootfs"), QStringLiteral("an object"), rootfs);
    }

    const QJsonArray history = f.array(o, QStringLiteral("history"));
    for (qsizetype i = 0; i < history.size(); ++i) {
        const QString field = QStringLiteral("history[%1]").arg(i);
        if (!history.at(i).isObject()) {
            f.wrongType(field, QStringLiteral("an object"), history.at(i));
            continue;
        }
        const QJsonObject h = history.at(i).toObject();
        HistoryEntry e;
        e.created = f.string(h, QStringLiteral("created"), field + QStringLiteral(".created"));
        e.createdBy = f.string(h, QStringLiteral("created_by"), field + QStringLiteral(".created_by"));
        e.author = f.string(h, QStringLiteral("author"), field + QStringLiteral(".author"));
        e.comment = f.string(h, QStringLiteral("comment"), field + QStringLiteral(".comment"));
        e.emptyLayer = f.boolean(h, QStringLiteral("empty_layer"), field + QStringLiteral(".empty_layer"));
        c.history.append(e);
    }
    return c;
}

} // namespace lamina
