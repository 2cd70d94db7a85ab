// SPDX-License-Identifier: MIT
// `lamina convert`: an image written again in a consistent layout, its config and tags kept.
#include "command.h"

#include "check/finding.h"
#include "compose/commandline.h"
#include "compose/convert.h"

namespace lamina::cli {

int convert(const QStringList &args, QTextStream &err)
{
    auto bad = [&](const QString &why) { return usage(err, QStringLiteral("convert: ") + why); };
    ExportOptions options;
    bool formatGiven = false, layerCompressionGiven = false;
    int image = -1;
    QString platform, path;
    for (int i = 0; i < args.size(); ++i) {
        const QString &x = args.at(i);
        const auto value = [&]() -> QString { return i + 1 < args.size() ? args.at(++i) : QString(); };
        if (x == u"--format") {
            const std::optional<ExportFormat> f = parseFormatWord(value());
            if (!f)
                return bad(QStringLiteral("--format is docker, docker-oci, oci or oci-dir"));
            options.format = *f;
            formatGiven = true;
        } else if (x == u"--layer-compression" || x == u"--compress") {
            const std::optional<Compression> c = parseCompressionWord(value());
            if (!c)
                return bad(QStringLiteral("%1 is none, gzip or zstd").arg(x));
            (x == u"--compress" ? options.compress : options.layerCompression) = *c;
            layerCompressionGiven = layerCompressionGiven || x == u"--layer-compression";
        } else if (x == u"--image") {
            bool ok = false;
            image = value().toInt(&ok);
            if (!ok || image < 0)
                return bad(QStringLiteral("--image needs a number from 0"));
        } else if (x == u"--platform") {
            platform = value();
            if (platform.isEmpty())
                return bad(QStringLiteral("--platform needs OS/ARCH[/VARIANT]"));
        } else if (x == u"-o") {
            options.output = value();
        } else if (x == u"--insecure") {
            options.registry.insecure = true;
        } else if (x.startsWith(u'-') && x != u"-") {
            return bad(QStringLiteral("unknown option %1").arg(x));
        } else if (path.isEmpty()) {
            path = x;
        } else {
            return bad(QStringLiteral("one PATH only"));
        }
    }
    if (path.isEmpty() || !formatGiven || options.output.isEmpty())
        return bad(QStringLiteral("PATH --format docker|docker-oci|oci|oci-dir -o OUT"));
    if (image >= 0 && !platform.isEmpty())
        return bad(QStringLiteral("--image and --platform exclude each other"));
    const ConvertResult r = convertArchive(path, image, platform, options, !layerCompressionGiven);
    if (!r.ok()) {
        err << "lamina: " << r.written.error << '\n';
        return 2;
    }
    err << "wrote " << options.output << " (" << formatWord(options.format) << ")\n";
    if (r.configFromLegacy) {
        err << "image ID " << r.written.imageId << " (made: the input has no config; "
            << (r.dockerRefusesInput.isEmpty()
                       ? QStringLiteral("Docker's legacy loader gives the input this ID)")
                       : QStringLiteral("the ID Docker's legacy loader makes for this chain, though it refuses the "
                                        "input as it is: %1)")
                             .arg(r.dockerRefusesInput))
            << '\n';
        err << "config made from the chain's legacy json as Docker's legacy loader makes it (docs/formats.md §3.5)"
            << (r.written.baseConfigRewritten
                       ? "; the top json is from Docker < 1.8.3 or names no version, so it went through Docker's "
                         "V1Image type first, which drops fields it does not know"
                       : "")
            << '\n';
    } else {
        err << "image ID " << r.written.imageId << (r.written.imageId == r.inputImageId ? " (kept)" : " (changed)")
            << '\n';
    }
    if (!r.tags.isEmpty())
        err << "tags " << r.tags.join(QStringLiteral(", ")) << '\n';
    for (const QString &fixed : r.repaired)
        err << "repaired " << fixed << '\n';
    bool error = false;
    for (const Finding &f : r.written.checks) {
        err << severityName(f.severity).toUpper() << ' ' << f.code << ": " << f.message << '\n';
        error = error || f.severity == Severity::Error;
    }
    return error ? 1 : 0;
}

} // namespace lamina::cli
