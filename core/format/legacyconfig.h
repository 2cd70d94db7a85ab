// SPDX-License-Identifier: MIT
#pragma once

#include "format/imagearchive.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace lamina {

/// The image config Docker's legacy loader makes for an image that has none (docs/formats.md
/// §3.5): the top layer's legacy json without its chain fields, plus the diff IDs and a history
/// made from every json of the chain.
struct LegacyConfig
{
    QByteArray bytes; ///< the config; its sha256 is the image ID Docker gives the image
    /// The top json says it was written by Docker < 1.8.3 (or by no Docker): Docker then passes it
    /// through its own V1Image type first, which drops unknown fields and rewrites the rest.
    bool rewritten = false;
    QString error; ///< why no config was made: a json Docker's legacy loader refuses, or could not be read
    bool refused = false; ///< Docker's legacy loader refuses a json of the chain (`error` says which and why)
    QString dockerSays; ///< words Docker's refusal contains, when they are stable enough to quote
    bool ok() const { return error.isEmpty(); }
};

/// The config for `image`, a legacy-only image of `archive`, whose layers (bottom first) have
/// the uncompressed digests `diffIds`. Written byte for byte as Docker 20.10's legacyLoadImage
/// (image/tarexport/load.go) writes it with HistoryFromConfig and MakeConfigFromV1Config
/// (image/v1/imagev1.go), so it hashes to the same image ID.
LegacyConfig legacyImageConfig(const ImageArchive &archive, const Image &image, const QStringList &diffIds);

/// Whether Docker's legacy loader refuses a json of `image`'s chain, without hashing any layer:
/// `refused` and `error` as legacyImageConfig would set them; no bytes.
LegacyConfig legacyLoadRefusal(const ImageArchive &archive, const Image &image);

} // namespace lamina
