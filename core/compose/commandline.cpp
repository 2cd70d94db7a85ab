// SPDX-License-Identifier: MIT
// `lamina compose` arguments both ways: parsed for the command line, written for the window's
// "Command line" and tested as a round trip.
#include "compose/commandline.h"

#include "compose/compositionjson.h"

#include <QFileInfo>
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

} // namespace

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

std::optional<Compression> parseCompressionWord(const QString &word)
{
    for (Compression c : { Compression::None, Compression::Gzip, Compression::Zstd })
        if (word == compressionWord(c))
            return c;
    return std::nullopt;
}

QString formatWord(ExportFormat f)
{
    switch (f) {
    case ExportFormat::Docker:
        return QStringLiteral("docker");
    case ExportFormat::DockerOci:
        return QStringLiteral("docker-oci");
    case ExportFormat::Oci:
        return QStringLiteral("oci");
    case ExportFormat::OciDir:
        break;
    }
    return QStringLiteral("oci-dir");
}

std::optional<ExportFormat> parseFormatWord(const QString &word)
{
    for (ExportFormat f : { ExportFormat::Docker, ExportFormat::DockerOci, ExportFormat::Oci, ExportFormat::OciDir })
        if (word == formatWord(f))
            return f;
    return std::nullopt;
}

namespace {

/// The words of one operation, after the --owner it needs; false with the reason when the
/// command line cannot say it.
bool opWords(const LayerOp &op, QStringList &words, QString *why)
{
    const QString mode = op.mode ? u':' + octal(*op.mode) : QString();
    switch (op.kind) {
    case LayerOp::AddHost:
        if (op.hostPath.contains(u':')) {
            *why = QStringLiteral("%1: a ':' in the host path").arg(op.hostPath);
            return false;
        }
        words << QStringLiteral("--add") << op.hostPath + u':' + op.imagePath + mode;
        break;
    case LayerOp::Mkdir:
        words << QStringLiteral("--mkdir") << op.imagePath + mode;
        break;
    case LayerOp::Symlink:
        if (op.linkTarget.isEmpty()) {
            *why = QStringLiteral("%1: a link without a target").arg(op.imagePath);
            return false;
        }
        words << QStringLiteral("--symlink") << op.imagePath + u':' + op.linkTarget;
        break;
    case LayerOp::WriteText:
        if (op.mode && *op.mode != 0644) {
            *why = QStringLiteral("%1: a text file with mode %2 (--write makes 0644)")
                       .arg(op.imagePath, octal(*op.mode));
            return false;
        }
        words << QStringLiteral("--write") << op.imagePath + u':' + QString::fromUtf8(op.text);
        break;
    case LayerOp::Delete:
        words << QStringLiteral("--delete") << op.imagePath;
        break;
    case LayerOp::Opaque:
        words << QStringLiteral("--opaque") << op.imagePath;
        break;
    }
    return true;
}

/// The layers' operations, --new-layer between layers.
bool layerWords(const QList<LayerSpec> &layers, QStringList &words, QString *why)
{
    // --owner applies to every operation after it, so it is repeated only where the owner changes.
    quint32 uid = 0, gid = 0;
    bool first = true;
    for (const LayerSpec &layer : layers) {
        if (layer.ops.isEmpty())
            continue;
        if (!first)
            words << QStringLiteral("--new-layer");
        first = false;
        for (const LayerOp &op : layer.ops) {
            if (op.imagePath.isEmpty()) {
                *why = QStringLiteral("an operation has no image path");
                return false;
            }
            if (op.kind != LayerOp::Delete && op.kind != LayerOp::Opaque && op.imagePath.contains(u':')) {
                *why = QStringLiteral("%1: a ':' in the image path").arg(op.imagePath);
                return false;
            }
            if (op.uid != uid || op.gid != gid) {
                uid = op.uid;
                gid = op.gid;
                words << QStringLiteral("--owner") << QStringLiteral("%1:%2").arg(uid).arg(gid);
            }
            if (!opWords(op, words, why))
                return false;
        }
    }
    return true;
}

/// The config settings.
bool configWords(const ConfigEdits &e, QStringList &words, QString *why)
{
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
        if (kv.first.isEmpty() || kv.first.contains(u'=')) {
            *why = QStringLiteral("the variable name \"%1\"").arg(kv.first);
            return false;
        }
        words << QStringLiteral("--env") << kv.first + u'=' + kv.second;
    }
    if (e.user)
        words << QStringLiteral("--user") << *e.user;
    for (const auto &kv : e.labels) {
        if (kv.first.contains(u'=')) {
            *why = QStringLiteral("the label name \"%1\" holds '='").arg(kv.first);
            return false;
        }
        words << QStringLiteral("--label") << kv.first + u'=' + kv.second;
    }
    for (const QString &p : e.exposedPorts)
        words << QStringLiteral("--expose") << p;
    for (const QString &v : e.volumes)
        words << QStringLiteral("--volume") << v;
    if (e.stopSignal)
        words << QStringLiteral("--stop-signal") << *e.stopSignal;
    return true;
}

/// Tags, creation time and what is written where.
void outputWords(const Composition &c, const ExportOptions &options, QStringList &words)
{
    if (!c.createWorkdir)
        words << QStringLiteral("--no-create-workdir");
    for (const QString &t : c.tags)
        words << QStringLiteral("--tag") << t;
    // Always given: the command line would otherwise take SOURCE_DATE_EPOCH from the shell.
    words << QStringLiteral("--created") << c.created;
    if (options.format != ExportFormat::Docker)
        words << QStringLiteral("--format") << formatWord(options.format);
    if ((options.format == ExportFormat::Oci || options.format == ExportFormat::OciDir)
        && options.layerCompression != Compression::Gzip)
        words << QStringLiteral("--layer-compression") << compressionWord(options.layerCompression);
    if (options.compress != Compression::None)
        words << QStringLiteral("--compress") << compressionWord(options.compress);
    if (options.registry.insecure)
        words << QStringLiteral("--insecure");
    words << QStringLiteral("-o") << options.output;
}

} // namespace

QString composeCommandLine(const Composition &c, const ExportOptions &options, const QString &program, QString *why)
{
    QStringList words { program, QStringLiteral("compose") };
    if (!c.basePath.isEmpty()) {
        if (c.basePath.startsWith(u'-')) {
            *why = QStringLiteral("the base path starts with '-'");
            return QString();
        }
        words << c.basePath;
        if (!c.basePlatform.isEmpty())
            words << QStringLiteral("--platform") << c.basePlatform;
        else if (c.baseImage != 0)
            words << QStringLiteral("--image") << QString::number(c.baseImage);
    }
    if (!layerWords(c.layers, words, why) || !configWords(c.config, words, why))
        return QString();
    outputWords(c, options, words);
    QStringList quoted;
    for (const QString &w : std::as_const(words))
        quoted << shellQuote(w);
    why->clear();
    return quoted.join(u' ');
}

namespace {

/// The arguments of the option being read: the next word, or nothing at the end.
struct Words
{
    const QStringList &args;
    int i = 0;
    QString value() { return i + 1 < args.size() ? args.at(++i) : QString(); }
};

QStringList jsonList(const QString &text, bool *ok)
{
    QStringList list;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8());
    *ok = doc.isArray();
    for (const QJsonValue &v : doc.array()) {
        *ok = *ok && v.isString();
        list << v.toString();
    }
    return list;
}

/// "MODE" after a ':', or none when empty.
bool modeValue(const QString &text, std::optional<quint32> *mode)
{
    if (text.isEmpty())
        return true;
    *mode = parseMode(text);
    return mode->has_value();
}

/// A layer operation option: false when `option` is none; `ok` false on a bad value.
bool parseOp(const QString &option, Words &w, LayerOp *op, bool *ok, QString *why)
{
    if (option == u"--add") {
        const QStringList parts = w.value().split(u':');
        if (parts.size() < 2)
            *why = QStringLiteral("--add HOST:IMAGE[:MODE]");
        op->kind = LayerOp::AddHost;
        op->hostPath = parts.at(0).isEmpty() ? QString() : QFileInfo(parts.at(0)).absoluteFilePath();
        op->imagePath = parts.value(1);
        *ok = parts.size() >= 2 && parts.size() <= 3 && modeValue(parts.value(2), &op->mode);
    } else if (option == u"--mkdir") {
        const QStringList parts = w.value().split(u':');
        op->kind = LayerOp::Mkdir;
        op->imagePath = parts.at(0);
        *ok = parts.size() <= 2 && modeValue(parts.value(1), &op->mode);
    } else if (option == u"--symlink") {
        const QString v = w.value();
        op->kind = LayerOp::Symlink;
        op->imagePath = v.section(u':', 0, 0);
        op->linkTarget = v.section(u':', 1);
        *ok = !op->linkTarget.isEmpty();
    } else if (option == u"--write") {
        const QString v = w.value();
        op->kind = LayerOp::WriteText;
        op->imagePath = v.section(u':', 0, 0);
        op->text = v.section(u':', 1).toUtf8();
        *ok = v.contains(u':');
    } else if (option == u"--delete" || option == u"--opaque") {
        op->kind = option == u"--delete" ? LayerOp::Delete : LayerOp::Opaque;
        op->imagePath = w.value();
    } else {
        return false;
    }
    *ok = *ok && !op->imagePath.isEmpty();
    return true;
}

/// "NAME=VALUE" as a pair; `ok` false without '='.
QPair<QString, QString> assignment(const QString &v, bool *ok)
{
    *ok = v.contains(u'=');
    return qMakePair(v.section(u'=', 0, 0), v.section(u'=', 1));
}

/// A config edit option: false when `option` is none.
bool parseSetting(const QString &option, Words &w, ConfigEdits *e, bool *ok)
{
    if (option == u"--workdir")
        e->workingDir = w.value();
    else if (option == u"--cmd")
        e->cmd = jsonList(w.value(), ok);
    else if (option == u"--cmd-shell")
        e->cmd = QStringList { QStringLiteral("/bin/sh"), QStringLiteral("-c"), w.value() };
    else if (option == u"--entrypoint")
        e->entrypoint = jsonList(w.value(), ok);
    else if (option == u"--env")
        e->setEnv << assignment(w.value(), ok);
    else if (option == u"--unset-env")
        e->unsetEnv << w.value();
    else if (option == u"--user")
        e->user = w.value();
    else if (option == u"--label")
        e->labels << assignment(w.value(), ok);
    else if (option == u"--expose")
        e->exposedPorts << w.value();
    else if (option == u"--volume")
        e->volumes << w.value();
    else if (option == u"--stop-signal")
        e->stopSignal = w.value();
    else
        return false;
    return true;
}

/// An output option: false when `option` is none.
bool parseOutput(const QString &option, Words &w, ComposeArguments *r, bool *ok)
{
    auto set = [ok](auto parsed, auto *field) {
        *ok = parsed.has_value();
        if (parsed)
            *field = *parsed;
    };
    if (option == u"--compress") {
        set(parseCompressionWord(w.value()), &r->options.compress);
    } else if (option == u"--format") {
        set(parseFormatWord(w.value()), &r->options.format);
    } else if (option == u"--layer-compression") {
        r->layerCompressionGiven = true;
        set(parseCompressionWord(w.value()), &r->options.layerCompression);
    } else if (option == u"--skip-checks") {
        r->options.checkResult = false;
    } else if (option == u"--insecure") {
        r->options.registry.insecure = true;
    } else if (option == u"-o" || option == u"--output") {
        r->options.output = w.value();
    } else if (option == u"--save-spec") {
        r->saveSpec = w.value();
    } else if (option == u"--load") {
        const QString engine = w.value();
        *ok = engine == u"docker" || engine == u"podman";
        if (*ok)
            r->load = engine == u"docker" ? EngineReference::Engine::Docker : EngineReference::Engine::Podman;
    } else {
        return false;
    }
    return true;
}

} // namespace

ComposeArguments parseComposeArguments(const QStringList &args, const QString &created)
{
    ComposeArguments r;
    Composition &c = r.composition;
    if (!created.isEmpty())
        c.created = created;
    c.layers << LayerSpec();
    quint32 uid = 0, gid = 0;
    auto usage = [&](const QString &why) {
        r.error = why;
        r.usageError = true;
        return r;
    };
    const bool allowHostPaths = args.contains(QStringLiteral("--allow-host-paths"));
    for (Words w { args }; w.i < args.size(); ++w.i) {
        const QString &a = args.at(w.i);
        LayerOp op;
        op.uid = uid;
        op.gid = gid;
        bool ok = true;
        QString why;
        if (parseOp(a, w, &op, &ok, &why)) {
            if (!ok)
                return usage(why.isEmpty() ? QStringLiteral("%1: bad value").arg(a) : why);
            c.layers.last().ops << op;
            continue;
        }
        if (parseSetting(a, w, &c.config, &ok) || parseOutput(a, w, &r, &ok)) {
        } else if (a == u"--owner") {
            const QStringList parts = w.value().split(u':');
            bool okGid = false;
            uid = parts.value(0).toUInt(&ok);
            gid = parts.value(1).toUInt(&okGid);
            ok = ok && okGid && parts.size() == 2;
        } else if (a == u"--new-layer") {
            c.layers << LayerSpec();
        } else if (a == u"--no-create-workdir") {
            c.createWorkdir = false;
        } else if (a == u"--tag") {
            c.tags << w.value();
        } else if (a == u"--created") {
            c.created = w.value();
        } else if (a == u"--image") {
            c.baseImage = w.value().toInt(&ok);
        } else if (a == u"--platform") {
            c.basePlatform = w.value();
            ok = c.basePlatform.count(u'/') >= 1;
        } else if (a == u"--spec") {
            // Loaded where it stands; options after it add to it.
            const QString file = w.value();
            if (file.isEmpty())
                return usage(QStringLiteral("--spec FILE"));
            const std::optional<Composition> spec = readCompositionFile(file, &r.error, allowHostPaths);
            if (!spec) {
                r.error = QStringLiteral("--spec %1: %2").arg(file, r.error);
                return r;
            }
            const QString keepBase = c.basePath;
            c = *spec;
            if (c.basePath.isEmpty())
                c.basePath = keepBase;
            c.layers << LayerSpec();
        } else if (a == u"--allow-host-paths") {
            // Read before the loop: it applies to a --spec before it too.
        } else if (a.startsWith(u'-')) {
            return usage(QStringLiteral("unknown option %1").arg(a));
        } else if (c.basePath.isEmpty()) {
            c.basePath = a;
        } else {
            return usage(QStringLiteral("one BASE only"));
        }
        if (!ok)
            return usage(QStringLiteral("%1: bad value").arg(a));
    }
    c.layers.removeIf([](const LayerSpec &l) { return l.ops.isEmpty(); });
    if (r.layerCompressionGiven
        && (r.options.format == ExportFormat::Docker || r.options.format == ExportFormat::DockerOci))
        r.error = QStringLiteral("--layer-compression applies to --format oci and oci-dir; the docker formats store "
                                 "layers uncompressed (use --compress to compress the whole archive)");
    return r;
}

} // namespace lamina
