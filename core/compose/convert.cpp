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
    // One reading of the input, the export's: the image is chosen, and its tags and layer
    // compression taken, once it is open (an archive compressed as a whole is streamed once).
    Composition c;
    c.basePath = path;
    c.baseImage = image;
    c.basePlatform = platform;
    c.keepBaseTags = true;
    c.createWorkdir = false;
    c.keepBaseConfig = true;
    options.layerCompressionAsBase = keepLayerCompression;
    options.keepBase = true;
    result.written = exportComposition(c, options, progress);
    result.image = result.written.baseImage;
    if (!result.written.ok() || !result.written.base)
        return result;
    const ImageArchive &in = *result.written.base;
    const Image &img = in.images.at(result.image);
    result.inputImageId = img.configDigest;
    result.tags = img.tags;
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
