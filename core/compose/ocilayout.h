// SPDX-License-Identifier: MIT
#pragma once

#include "compose/composition.h"
#include "compose/config.h"
#include "compose/layersource.h"

#include <QList>
#include <QStringList>

namespace lamina {

class BackgroundHasher;
class OutputWriter;
class PrewrittenBlobs;

/// What an OCI image layout is written from.
struct OciLayoutInput
{
    /// Oci (or OciDir): an OCI image layout; DockerOci: the same as Docker 25 writes it, with
    /// manifest.json and repositories beside, layers uncompressed (docs/formats.md §1.3).
    ExportFormat format = ExportFormat::Oci;
    Compression layerCompression = Compression::Gzip; ///< of the layer blobs: none, gzip or zstd
    QList<LayerSource> layers; ///< every layer, base first
    const Archive *base = nullptr; ///< where base layers are read
    ComposedConfig config;
    QStringList tags; ///< normalised
    QString workDir; ///< for layers compressed before they are written
    /// Base blobs already written into the folder while the base was indexed: adopted instead of
    /// copied (compose/prewritten.h). Null for an archive.
    PrewrittenBlobs *prewritten = nullptr;
};

/// Writes an OCI image layout into `w` (image-spec image-layout.md): oci-layout, index.json naming
/// each tag, the manifest, the config and the layer blobs. A layer already stored in the wanted
/// compression is copied as it is, never recompressed; one used twice is stored once. Every blob
/// written is queued on `hasher` when there is one, but for the adopted copies of `prewritten`:
/// their hashing was done as they were written. False with `w.error()`.
bool writeOciLayout(OutputWriter &w, const OciLayoutInput &input, BackgroundHasher *hasher, const Progress &progress);

} // namespace lamina
