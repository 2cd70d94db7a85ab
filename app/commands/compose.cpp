// SPDX-License-Identifier: MIT
// `lamina compose`: new layers and settings on a base image (or on nothing), written as an archive.
#include "command.h"

#include "check/finding.h"
#include "compose/commandline.h"
#include "compose/composition.h"
#include "compose/compositionjson.h"
#include "engine/registrysource.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTimeZone>

#include <optional>

namespace lamina::cli {

int compose(const QStringList &args, QTextStream &err)
{
    QString created;
    if (const QByteArray epoch = qgetenv("SOURCE_DATE_EPOCH"); !epoch.isEmpty())
        created = QDateTime::fromSecsSinceEpoch(epoch.toLongLong(), QTimeZone::utc()).toString(Qt::ISODate);
    const ComposeArguments parsed = parseComposeArguments(args, created);
    auto bad = [&](const QString &why) { return usage(err, QStringLiteral("compose: ") + why); };
    if (!parsed.ok() && parsed.usageError)
        return bad(parsed.error);
    // A file that cannot be used is not a mistake in the command line: no usage after it.
    if (!parsed.ok()) {
        err << "lamina: compose: " << parsed.error << '\n';
        return 2;
    }
    const Composition &c = parsed.composition;
    ExportOptions options = parsed.options;
    const QString &saveSpec = parsed.saveSpec;
    if (!saveSpec.isEmpty()) {
        QFile f(saveSpec);
        if (!f.open(QIODevice::WriteOnly)
            || f.write(QJsonDocument(compositionToJson(c, QFileInfo(saveSpec).absolutePath()))
                           .toJson(QJsonDocument::Indented))
                < 0)
            return bad(QStringLiteral("--save-spec %1: %2").arg(saveSpec, f.errorString()));
        if (options.output.isEmpty())
            return 0;
    }
    if (options.output.isEmpty())
        return bad(QStringLiteral("-o OUT is missing"));
    // The archive is written beside its target and renamed into place, which a pipe cannot be.
    if (options.output == u"-") {
        err << "lamina: compose: -o -: the image cannot be written to standard output (it is written beside its "
               "target and renamed into place); give a file path\n";
        return 2;
    }
    // Docker 20.10 loads what has a manifest.json; podman loads any archive, but not a folder.
    if (parsed.load
        && (options.format == ExportFormat::OciDir
            || (*parsed.load == EngineReference::Engine::Docker && options.format == ExportFormat::Oci)))
        return bad(QStringLiteral("--load %1 takes an archive with a manifest.json: --format docker or docker-oci%2")
                       .arg(*parsed.load == EngineReference::Engine::Docker ? QStringLiteral("docker")
                                                                            : QStringLiteral("podman"),
                           *parsed.load == EngineReference::Engine::Podman ? QStringLiteral(" (or oci)") : QString()));
    // -o registry://…: written as an OCI layout in the cache, pushed, and let go (docs/engines.md).
    const std::optional<RegistryReference> pushTo = parseRegistryReference(options.output);
    if (options.output.startsWith(u"registry://"))
        if (const QString problem = pushTargetProblem(options.output); !problem.isEmpty())
            return bad(QStringLiteral("-o ") + problem);
    if (pushTo && parsed.load)
        return bad(QStringLiteral("--load and -o registry:// do not go together: write a file to load"));
    if (pushTo && args.contains(u"--format") && options.format != ExportFormat::Oci
        && options.format != ExportFormat::OciDir)
        return bad(QStringLiteral("-o registry:// pushes an OCI image: --format oci (or none)"));
    PushedComposition pushed;
    if (pushTo)
        pushed = pushComposition(c, options, *pushTo);
    const ExportResult r = pushTo ? pushed.written : exportComposition(c, options);
    if (!r.ok()) {
        err << "lamina: " << r.error << '\n';
        return 2;
    }
    // What happened goes to standard error, as every status line does: standard output stays
    // free for a caller's pipe.
    if (!pushTo)
        err << "wrote " << options.output << '\n';
    err << "image ID " << r.imageId << '\n';
    if (r.baseConfigFromLegacy)
        err << "the base is legacy-only: its config was made from its legacy json as Docker's legacy loader makes "
               "it (docs/formats.md §3.5)\n";
    for (const QString &d : r.layerDiffIds)
        err << "new layer " << d << '\n';
    bool error = false;
    for (const Finding &f : r.preflight + r.checks) {
        err << severityName(f.severity).toUpper() << ' ' << f.code << ": " << f.message << '\n';
        error = error || f.severity == Severity::Error;
    }
    if (pushTo) {
        if (!pushed.pushed.error.isEmpty()) {
            err << "lamina: compose: " << pushed.pushed.error << '\n';
            return 2;
        }
        err << pushed.pushed.how << '\n' << "pushed " << pushTo->text() << '@' << pushed.pushed.digest << '\n';
    }
    if (parsed.load) {
        err.flush();
        const EngineLoaded loaded = loadIntoEngine(*parsed.load, options.output);
        if (!loaded.error.isEmpty()) {
            err << "lamina: compose: --load: " << loaded.error << " (" << options.output << " is written)\n";
            return 2;
        }
        err << "loaded into " << loaded.how << '\n';
        for (const QString &line : loaded.loaded)
            err << "  " << line << '\n';
    }
    return error ? 1 : 0;
}

} // namespace lamina::cli
