// SPDX-License-Identifier: MIT
// Convert: an archive's image written again in a consistent layout (docs/compose.md).
#include "compose/convert.h"

#include "check/checks.h"
#include "check/loaders.h"
#include "format/imagearchive.h"

#include <QSet>

namespace lamina {

bool convertRepairs(const QString &code)
{
    // Each seen to go in tests/core/compose/tst_convert (findingsFixtures) wherever convert wrote
    // the fixture. Not here: a wrong digest or size of the bytes, a config a loader refuses (kept
    // to keep the image ID), a missing or unreadable part.
    static const QSet<QString> repaired {
        QStringLiteral("archive-compressed"),
        QStringLiteral("blob-size-mismatch"),
        QStringLiteral("chain-fork"),
        QStringLiteral("chain-length-mismatch"),
        QStringLiteral("chain-order-mismatch"),
        QStringLiteral("config-digest-mismatch"),
        QStringLiteral("dangling-parent"),
        QStringLiteral("index-invalid"),
        QStringLiteral("invalid-tag"),
        QStringLiteral("layer-path-conflict"),
        QStringLiteral("layer-sources-inconsistent"),
        QStringLiteral("legacy-config-mismatch"),
        QStringLiteral("legacy-id-mismatch"),
        QStringLiteral("legacy-only"),
        QStringLiteral("legacy-platform-mismatch"),
        QStringLiteral("manifest-oci-mismatch"),
        QStringLiteral("media-type-mismatch"),
        QStringLiteral("oci-index-ambiguous"),
        QStringLiteral("oci-only"),
        QStringLiteral("parent-cycle"),
        QStringLiteral("parent-image-invalid"),
        QStringLiteral("repositories-mismatch"),
        QStringLiteral("symlink-unresolved"),
        QStringLiteral("unsafe-path"),
    };
    return repaired.contains(code);
}

ConvertResult convertArchive(const QString &path, int image, const QString &platform, ExportOptions options,
    bool keepLayerCompression, const Progress &progress)
{
    ConvertResult result;
    const ImageArchive in = openImageArchive(path, progress, options.registry);
    if (!in.ok()) {
        result.written.error = QStringLiteral("no image could be read from %1: %2")
                                   .arg(path, in.errors.value(0, QStringLiteral("not an image archive")));
        return result;
    }
    if (!platform.isEmpty()) {
        QString why;
        image = findImageForPlatform(in, platform, &why);
        if (image < 0) {
            result.written.error = why;
            return result;
        }
    } else if (image < 0) {
        if (in.images.size() > 1) {
            result.written.error = QStringLiteral("%1 holds %2 images: choose one with --image N or --platform")
                                       .arg(path)
                                       .arg(in.images.size());
            return result;
        }
        image = 0;
    }
    if (image >= in.images.size()) {
        result.written.error = QStringLiteral("%1 holds %2 image(s), numbered from 0").arg(path).arg(in.images.size());
        return result;
    }
    const Image &img = in.images.at(image);
    result.image = image;
    result.inputImageId = img.configDigest;
    if (keepLayerCompression && !img.layers.isEmpty()) {
        const Compression first = img.layers.constFirst().compression;
        const bool alike = std::all_of(
            img.layers.begin(), img.layers.end(), [first](const ImageLayer &l) { return l.compression == first; });
        if (alike && (first == Compression::None || first == Compression::Gzip || first == Compression::Zstd))
            options.layerCompression = first;
    }
    Composition c;
    c.basePath = path;
    c.baseImage = image;
    c.tags = img.tags;
    c.createWorkdir = false;
    c.keepBaseConfig = true;
    result.tags = img.tags;
    result.written = exportComposition(c, options, progress);
    if (!result.written.ok())
        return result;
    const QList<Finding> inputFindings = checkArchive(in);
    result.configFromLegacy = result.written.baseConfigFromLegacy;
    if (result.configFromLegacy) {
        result.inputImageId = result.written.imageId; // the ID Docker's legacy loader makes for the chain
        for (const LoaderVerdict &v : loaderVerdicts(in, inputFindings)) {
            const LoaderRange &range = loaderRanges().at(v.range);
            if (range.family == LoaderFamily::DockerClassic && range.observed && v.verdict != Verdict::Loads)
                result.dockerRefusesInput = v.message.isEmpty() ? v.because.join(QStringLiteral(", ")) : v.message;
        }
    }
    // What the input's views got wrong and the output does not.
    QSet<QString> after;
    for (const Finding &f : std::as_const(result.written.checks))
        after.insert(f.code);
    QSet<QString> said;
    for (const Finding &f : inputFindings) {
        if (f.severity == Severity::Info || after.contains(f.code) || said.contains(f.code))
            continue;
        if (f.image >= 0 && f.image != image)
            continue;
        said.insert(f.code);
        result.repaired << QStringLiteral("%1: %2").arg(f.code, f.message);
    }
    return result;
}

} // namespace lamina
