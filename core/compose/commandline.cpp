// SPDX-License-Identifier: MIT
// The inverse of app/cli.cpp's compose option parser; tests run its output and compare image IDs.
#include "compose/commandline.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace lamina {

QString shellQuote(const QString &word)
{
    static const QRegularExpression safe(QStringLiteral("^[A-Za-z0-9_@%+=:,./-]+$"));
    if (safe.match(word).hasMatch())
        return word;
    QString quoted = word;
    quoted.replace(u'\'', QStringLiteral("'\\''"));
    return u'\'' + quoted + u'\'';
}

namespace {

QString octal(quint32 mode)
{
    return QStringLiteral("%1").arg(mode, 4, 8, QLatin1Char('0'));
}

QString json(const QStringList &list)
{
    return QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(list)).toJson(QJsonDocument::Compact));
}

QString compressionWord(Compression c)
{
    switch (c) {
    case Compression::Gzip:
        return QStringLiteral("gzip");
    case Compression::Zstd:
        return QStringLiteral("zstd");
    default:
        return QStringLiteral("none");
    }
}

} // namespace

QString composeCommandLine(const Composition &c, const ExportOptions &options, const QString &program, QString *why)
{
    QStringList words { program, QStringLiteral("compose") };
    auto fail = [&](const QString &reason) {
        *why = reason;
        return QString();
    };
    if (!c.basePath.isEmpty()) {
        if (c.basePath.startsWith(u'-'))
            return fail(QStringLiteral("the base path starts with '-'"));
        words << c.basePath;
        if (!c.basePlatform.isEmpty())
            words << QStringLiteral("--platform") << c.basePlatform;
        else if (c.baseImage != 0)
            words << QStringLiteral("--image") << QString::number(c.baseImage);
    }
    // --owner applies to every operation after it, so it is repeated only where the owner changes.
    quint32 uid = 0, gid = 0;
    bool first = true;
    for (const LayerSpec &layer : c.layers) {
        if (layer.ops.isEmpty())
            continue;
        if (!first)
            words << QStringLiteral("--new-layer");
        first = false;
        for (const LayerOp &op : layer.ops) {
            if (op.imagePath.isEmpty())
                return fail(QStringLiteral("an operation has no image path"));
            if (op.kind != LayerOp::Delete && op.kind != LayerOp::Opaque && op.imagePath.contains(u':'))
                return fail(QStringLiteral("%1: a ':' in the image path").arg(op.imagePath));
            if (op.uid != uid || op.gid != gid) {
                uid = op.uid;
                gid = op.gid;
                words << QStringLiteral("--owner") << QStringLiteral("%1:%2").arg(uid).arg(gid);
            }
            const QString mode = op.mode ? u':' + octal(*op.mode) : QString();
            switch (op.kind) {
            case LayerOp::AddHost:
                if (op.hostPath.contains(u':'))
                    return fail(QStringLiteral("%1: a ':' in the host path").arg(op.hostPath));
                words << QStringLiteral("--add") << op.hostPath + u':' + op.imagePath + mode;
                break;
            case LayerOp::Mkdir:
                words << QStringLiteral("--mkdir") << op.imagePath + mode;
                break;
            case LayerOp::Symlink:
                if (op.linkTarget.isEmpty())
                    return fail(QStringLiteral("%1: a link without a target").arg(op.imagePath));
                words << QStringLiteral("--symlink") << op.imagePath + u':' + op.linkTarget;
                break;
            case LayerOp::WriteText:
                if (op.mode && *op.mode != 0644)
                    return fail(QStringLiteral("%1: a text file with mode %2 (--write makes 0644)")
                                    .arg(op.imagePath, octal(*op.mode)));
                words << QStringLiteral("--write") << op.imagePath + u':' + QString::fromUtf8(op.text);
                break;
            case LayerOp::Delete:
                words << QStringLiteral("--delete") << op.imagePath;
                break;
            case LayerOp::Opaque:
                words << QStringLiteral("--opaque") << op.imagePath;
                break;
            }
        }
    }
    const ConfigEdits &e = c.config;
    if (e.workingDir)
        words << QStringLiteral("--workdir") << *e.workingDir;
    if (e.cmd) {
        const QStringList &cmd = *e.cmd;
        if (cmd.size() == 3 && cmd.at(0) == u"/bin/sh" && cmd.at(1) == u"-c")
            words << QStringLiteral("--cmd-shell") << cmd.at(2);
        else
            words << QStringLiteral("--cmd") << json(cmd);
    }
    if (e.entrypoint)
        words << QStringLiteral("--entrypoint") << json(*e.entrypoint);
    for (const QString &name : e.unsetEnv)
        words << QStringLiteral("--unset-env") << name;
    for (const auto &kv : e.setEnv) {
        if (kv.first.isEmpty() || kv.first.contains(u'='))
            return fail(QStringLiteral("the variable name \"%1\"").arg(kv.first));
        words << QStringLiteral("--env") << kv.first + u'=' + kv.second;
    }
    if (e.user)
        words << QStringLiteral("--user") << *e.user;
    for (const auto &kv : e.labels) {
        if (kv.first.contains(u'='))
            return fail(QStringLiteral("the label name \"%1\" holds '='").arg(kv.first));
        words << QStringLiteral("--label") << kv.first + u'=' + kv.second;
    }
    for (const QString &p : e.exposedPorts)
        words << QStringLiteral("--expose") << p;
    for (const QString &v : e.volumes)
        words << QStringLiteral("--volume") << v;
    if (e.stopSignal)
        words << QStringLiteral("--stop-signal") << *e.stopSignal;
    if (!c.createWorkdir)
        words << QStringLiteral("--no-create-workdir");
    for (const QString &t : c.tags)
        words << QStringLiteral("--tag") << t;
    // Always given: the command line would otherwise take SOURCE_DATE_EPOCH from the shell.
    words << QStringLiteral("--created") << c.created;
    switch (options.format) {
    case ExportFormat::Docker:
        break;
    case ExportFormat::DockerOci:
        words << QStringLiteral("--format") << QStringLiteral("docker-oci");
        break;
    case ExportFormat::Oci:
    case ExportFormat::OciDir:
        words << QStringLiteral("--format")
              << (options.format == ExportFormat::Oci ? QStringLiteral("oci") : QStringLiteral("oci-dir"));
        if (options.layerCompression != Compression::Gzip)
            words << QStringLiteral("--layer-compression") << compressionWord(options.layerCompression);
        break;
    }
    if (options.compress != Compression::None)
        words << QStringLiteral("--compress") << compressionWord(options.compress);
    words << QStringLiteral("-o") << options.output;
    QStringList quoted;
    for (const QString &w : std::as_const(words))
        quoted << shellQuote(w);
    why->clear();
    return quoted.join(u' ');
}

} // namespace lamina
