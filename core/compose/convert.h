// SPDX-License-Identifier: MIT
#pragma once

#include "compose/composition.h"

namespace lamina {

/// What convertArchive did.
struct ConvertResult
{
    ExportResult written; ///< the export: its checks of the output, its error
    int image = -1; ///< the image converted
    QString inputImageId; ///< the input's config digest; written.imageId is the same (the config is kept)
    /// The input was legacy-only: the config written is the one Docker's legacy loader makes for it
    /// (format/legacyconfig.h), and inputImageId the ID Docker gives the input when it loads it.
    bool configFromLegacy = false;
    /// Why the Docker that tests observe (docs/loaders.md) refuses the input, "" when it loads it.
    QString dockerRefusesInput;
    QStringList tags; ///< the tags written: the image's own
    /// Findings of the input that the output does not have, "code: title", each once.
    QStringList repaired;
    bool ok() const { return written.ok(); }
};

/// Whether convert writes an archive without this finding (the codes of docs/findings.md it
/// repairs whenever it can write the image at all: how the views describe the image, not its
/// bytes or its config). The window offers "Repair…" on these.
bool convertRepairs(const QString &code);

/// Rewrites one image of the archive at `path` into a consistent archive of `options.format`
/// (docs/compose.md, "Convert"): its config written as its bytes are (the image ID kept), its tags,
/// its layers copied as they are where the format allows. Whatever layout the input had, the
/// output's views agree (a legacy chain that follows the manifest, repositories from the tags, an
/// OCI index with its manifest). A legacy-only input gets the config Docker's legacy loader makes
/// (its layers are hashed for their diff IDs). `image` -1 takes the archive's only image; `platform`, when
/// given, picks the image of that platform. With `keepLayerCompression` the OCI formats store
/// the layers as the input does when it stores them all alike (none, gzip or zstd).
ConvertResult convertArchive(const QString &path, int image, const QString &platform, ExportOptions options,
    bool keepLayerCompression, const Progress &progress = {});

} // namespace lamina
