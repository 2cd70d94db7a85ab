// SPDX-License-Identifier: MIT
#include "compose/compositionjson.h"

#include "engine/registrysource.h"
#include "format/json.h"
#include "util/limits.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lamina {

namespace {

QString modeText(quint32 mode)
{
    return QStringLiteral("%1").arg(mode, 4, 8, QLatin1Char('0'));
}

const char *opName(LayerOp::Kind k)
{
    switch (k) {
    case LayerOp::AddHost:
        return "add";
    case LayerOp::Mkdir:
        return "mkdir";
    case LayerOp::Symlink:
        return "symlink";
    case LayerOp::WriteText:
        return "write";
    case LayerOp::Delete:
        return "delete";
    case LayerOp::Opaque:
        return "opaque";
    }
    return "";
}

QJsonArray pairs(const QList<QPair<QString, QString>> &list)
{
    QJsonArray a;
    for (const auto &kv : list)
        a.append(QString(kv.first + u'=' + kv.second));
    return a;
}

} // namespace

QJsonObject compositionToJson(const Composition &c, const QString &specDir)
{
    const QString inside = specDir.isEmpty() ? QString() : QDir::cleanPath(QDir(specDir).absolutePath());
    auto relative = [&](const QString &host) {
        const QString clean = QDir::cleanPath(QDir(inside).absoluteFilePath(host));
        return !inside.isEmpty() && clean.startsWith(inside + u'/') ? clean.mid(inside.size() + 1) : host;
    };
    QJsonObject o;
    if (!c.basePath.isEmpty()) {
        o.insert(QStringLiteral("base"), c.basePath);
        if (c.basePlatform.isEmpty())
            o.insert(QStringLiteral("image"), c.baseImage);
        else
            o.insert(QStringLiteral("platform"), c.basePlatform);
    }
    QJsonArray layers;
    for (const LayerSpec &l : c.layers) {
        QJsonArray ops;
        for (const LayerOp &op : l.ops) {
            QJsonObject j { { QStringLiteral("op"), QString::fromLatin1(opName(op.kind)) },
                { QStringLiteral("path"), op.imagePath } };
            if (op.kind == LayerOp::AddHost)
                j.insert(QStringLiteral("host"), relative(op.hostPath));
            if (op.kind == LayerOp::Symlink)
                j.insert(QStringLiteral("target"), op.linkTarget);
            if (op.kind == LayerOp::WriteText)
                j.insert(QStringLiteral("text"), QString::fromUtf8(op.text));
            if (op.mode)
                j.insert(QStringLiteral("mode"), modeText(*op.mode));
            if (op.uid || op.gid)
                j.insert(QStringLiteral("owner"), QStringLiteral("%1:%2").arg(op.uid).arg(op.gid));
            ops.append(j);
        }
        layers.append(QJsonObject { { QStringLiteral("ops"), ops } });
    }
    o.insert(QStringLiteral("layers"), layers);
    const ConfigEdits &e = c.config;
    QJsonObject config;
    if (e.workingDir)
        config.insert(QStringLiteral("WorkingDir"), *e.workingDir);
    if (e.cmd)
        config.insert(QStringLiteral("Cmd"), QJsonArray::fromStringList(*e.cmd));
    if (e.entrypoint)
        config.insert(QStringLiteral("Entrypoint"), QJsonArray::fromStringList(*e.entrypoint));
    if (!e.setEnv.isEmpty() || !e.unsetEnv.isEmpty())
        config.insert(QStringLiteral("Env"),
            QJsonObject { { QStringLiteral("set"), pairs(e.setEnv) },
                { QStringLiteral("unset"), QJsonArray::fromStringList(e.unsetEnv) } });
    if (e.user)
        config.insert(QStringLiteral("User"), *e.user);
    if (!e.labels.isEmpty())
        config.insert(QStringLiteral("Labels"), pairs(e.labels));
    if (!e.exposedPorts.isEmpty())
        config.insert(QStringLiteral("ExposedPorts"), QJsonArray::fromStringList(e.exposedPorts));
    if (!e.volumes.isEmpty())
        config.insert(QStringLiteral("Volumes"), QJsonArray::fromStringList(e.volumes));
    if (e.stopSignal)
        config.insert(QStringLiteral("StopSignal"), *e.stopSignal);
    o.insert(QStringLiteral("config"), config);
    o.insert(QStringLiteral("tags"), QJsonArray::fromStringList(c.tags));
    o.insert(QStringLiteral("created"), c.created);
    o.insert(QStringLiteral("createWorkdir"), c.createWorkdir);
    return o;
}

QStringList compositionHostPaths(const Composition &c)
{
    QStringList paths;
    if (!c.basePath.isEmpty())
        paths << c.basePath;
    for (const LayerSpec &l : c.layers)
        for (const LayerOp &op : l.ops)
            if (op.kind == LayerOp::AddHost && !op.hostPath.isEmpty() && !paths.contains(op.hostPath))
                paths << op.hostPath;
    return paths;
}

namespace {

/// Why `host` (as the file gives it) reads from outside `folder`, or "" when it stays inside.
QString leavesFolder(const QString &host, const QString &folder)
{
    if (QDir::isAbsolutePath(host))
        return QStringLiteral("an absolute path");
    const QString root = QDir::cleanPath(QDir(folder).absolutePath());
    const QString clean = QDir::cleanPath(QDir(root).absoluteFilePath(host));
    if (clean != root && !clean.startsWith(root + u'/'))
        return QStringLiteral("a path leaving the file's folder");
    // A symbolic link on the way may lead anywhere: the real folder must stay inside too. The
    // last name is not followed (an added link is stored as a link).
    const QString realRoot = QFileInfo(root).canonicalFilePath();
    QString at = clean == root ? root : QFileInfo(clean).absolutePath();
    while (!QFileInfo::exists(at) && at.size() > root.size())
        at = QFileInfo(at).absolutePath(); // the part that exists
    const QString real = QFileInfo(at).canonicalFilePath();
    if (!realRoot.isEmpty() && !real.isEmpty() && real != realRoot && !real.startsWith(realRoot + u'/'))
        return QStringLiteral("a path that a symbolic link leads out of the file's folder (to %1)").arg(real);
    return {};
}

} // namespace

Composition compositionFromJson(const QJsonObject &o, const QString &baseDir, QString *error, bool allowHostPaths)
{
    QStringList problems;
    JsonFields f(QStringLiteral("composition"), &problems);
    Composition c;
    const QDir dir(baseDir);
    const QString base = f.string(o, QStringLiteral("base"));
    // An engine's image (docker://alpine) is a reference, not a path beside the file.
    c.basePath = base.isEmpty() || isImageReference(base) ? base : dir.absoluteFilePath(base);
    c.baseImage = int(f.integer(o, QStringLiteral("image"), 0));
    c.basePlatform = f.string(o, QStringLiteral("platform"));
    const QJsonArray layers = f.array(o, QStringLiteral("layers"));
    for (qsizetype i = 0; i < layers.size(); ++i) {
        LayerSpec spec;
        const QJsonArray ops
            = f.array(layers.at(i).toObject(), QStringLiteral("ops"), QStringLiteral("layers[%1].ops").arg(i));
        for (qsizetype k = 0; k < ops.size(); ++k) {
            const QString field = QStringLiteral("layers[%1].ops[%2]").arg(i).arg(k);
            const QJsonObject j = ops.at(k).toObject();
            LayerOp op;
            const QString kind = f.string(j, QStringLiteral("op"), field + QStringLiteral(".op"));
            static const QStringList kinds { QStringLiteral("add"), QStringLiteral("mkdir"), QStringLiteral("symlink"),
                QStringLiteral("write"), QStringLiteral("delete"), QStringLiteral("opaque") };
            if (!kinds.contains(kind)) {
                problems << QStringLiteral("%1.op: \"%2\" is not one of %3")
                                .arg(field, kind, kinds.join(QStringLiteral(", ")));
                continue;
            }
            op.kind = LayerOp::Kind(kinds.indexOf(kind));
            op.imagePath = f.string(j, QStringLiteral("path"), field + QStringLiteral(".path"));
            const QString host = f.string(j, QStringLiteral("host"), field + QStringLiteral(".host"));
            op.hostPath = host.isEmpty() ? QString() : dir.absoluteFilePath(host);
            if (const QString why = host.isEmpty() || allowHostPaths ? QString() : leavesFolder(host, baseDir);
                !why.isEmpty())
                problems << QStringLiteral(
                    "%1.host: \"%2\" is %3; a composition file reads host files only from its own folder "
                    "(give --allow-host-paths, or confirm in the window, to read it anyway)")
                                .arg(field, host, why);
            op.linkTarget = f.string(j, QStringLiteral("target"), field + QStringLiteral(".target"));
            op.text = f.string(j, QStringLiteral("text"), field + QStringLiteral(".text")).toUtf8();
            if (const QString mode = f.string(j, QStringLiteral("mode"), field + QStringLiteral(".mode"));
                !mode.isEmpty()) {
                bool ok = false;
                op.mode = mode.toUInt(&ok, 8);
                if (!ok || *op.mode > 07777)
                    problems << QStringLiteral("%1.mode: \"%2\" is not an octal mode").arg(field, mode);
            }
            if (const QString owner = f.string(j, QStringLiteral("owner"), field + QStringLiteral(".owner"));
                !owner.isEmpty()) {
                bool a = false, b = false;
                op.uid = owner.section(u':', 0, 0).toUInt(&a);
                op.gid = owner.section(u':', 1).toUInt(&b);
                if (!a || !b)
                    problems << QStringLiteral("%1.owner: \"%2\" is not uid:gid").arg(field, owner);
            }
            spec.ops << op;
        }
        c.layers << spec;
    }
    const QJsonObject config = f.object(o, QStringLiteral("config"));
    auto split = [](const QStringList &list) {
        QList<QPair<QString, QString>> out;
        for (const QString &s : list)
            out << qMakePair(s.section(u'=', 0, 0), s.section(u'=', 1));
        return out;
    };
    if (config.contains(QStringLiteral("WorkingDir")))
        c.config.workingDir = f.string(config, QStringLiteral("WorkingDir"), QStringLiteral("config.WorkingDir"));
    if (config.contains(QStringLiteral("Cmd")))
        c.config.cmd = f.stringList(config, QStringLiteral("Cmd"), QStringLiteral("config.Cmd"));
    if (config.contains(QStringLiteral("Entrypoint")))
        c.config.entrypoint = f.stringList(config, QStringLiteral("Entrypoint"), QStringLiteral("config.Entrypoint"));
    const QJsonObject env = f.object(config, QStringLiteral("Env"), QStringLiteral("config.Env"));
    c.config.setEnv = split(f.stringList(env, QStringLiteral("set"), QStringLiteral("config.Env.set")));
    c.config.unsetEnv = f.stringList(env, QStringLiteral("unset"), QStringLiteral("config.Env.unset"));
    if (config.contains(QStringLiteral("User")))
        c.config.user = f.string(config, QStringLiteral("User"), QStringLiteral("config.User"));
    c.config.labels = split(f.stringList(config, QStringLiteral("Labels"), QStringLiteral("config.Labels")));
    c.config.exposedPorts = f.stringList(config, QStringLiteral("ExposedPorts"), QStringLiteral("config.ExposedPorts"));
    c.config.volumes = f.stringList(config, QStringLiteral("Volumes"), QStringLiteral("config.Volumes"));
    if (config.contains(QStringLiteral("StopSignal")))
        c.config.stopSignal = f.string(config, QStringLiteral("StopSignal"), QStringLiteral("config.StopSignal"));
    c.tags = f.stringList(o, QStringLiteral("tags"));
    if (o.contains(QStringLiteral("created")))
        c.created = f.string(o, QStringLiteral("created"));
    if (o.contains(QStringLiteral("createWorkdir")))
        c.createWorkdir = f.boolean(o, QStringLiteral("createWorkdir"));
    if (!problems.isEmpty())
        *error = problems.join(u'\n');
    return c;
}

std::optional<Composition> readCompositionFile(const QString &file, QString *error, bool allowHostPaths)
{
    const int fd = ::open(QFile::encodeName(file).constData(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *error = fd < 0 ? QString::fromLocal8Bit(strerror(errno)) : QStringLiteral("not a regular file");
        if (fd >= 0)
            ::close(fd);
        return std::nullopt;
    }
    QFile f;
    f.open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle);
    // A spec may come from someone else too: the same size and depth limits as image metadata.
    if (f.size() > limits::kMaxMetadataMemberSize) {
        *error = QStringLiteral("%1 bytes, more than %2%3")
                     .arg(f.size())
                     .arg(limits::kMaxMetadataMemberSize)
                     .arg(limits::note("kMaxMetadataMemberSize", limits::kMaxMetadataMemberSize));
        return std::nullopt;
    }
    QStringList problems;
    const std::optional<QJsonDocument> doc = parseJson(f.read(limits::kMaxMetadataMemberSize), file, &problems);
    if (!doc) {
        *error = problems.value(0);
        if (error->startsWith(file + QStringLiteral(": ")))
            error->remove(0, file.size() + 2);
        return std::nullopt;
    }
    if (!doc->isObject()) {
        *error = QStringLiteral("not a JSON object");
        return std::nullopt;
    }
    QString problem;
    Composition c = compositionFromJson(doc->object(), QFileInfo(file).absolutePath(), &problem, allowHostPaths);
    if (!problem.isEmpty()) {
        *error = problem;
        return std::nullopt;
    }
    return c;
}

} // namespace lamina
