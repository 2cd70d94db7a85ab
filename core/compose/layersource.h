// SPDX-License-Identifier: MIT
#pragma once

#include "archive/archive.h"
#include "util/digest.h"
#include "util/progress.h"

#include <QString>

#include <memory>

namespace lamina {

class MemberReader;
class OutputWriter;

/// Where a layer's bytes come from when an export writes it: a file (a new layer, or a base layer
/// streamed out of an archive compressed as a whole) or a member of the base archive.
struct LayerSource
{
    QString diffId;
    qint64 size = -1; ///< uncompressed bytes
    QString file; ///< a file holding the layer as stored, or
    int member = -1; ///< a member of the base archive,
    Compression compression = Compression::None; ///< stored this way there
    Digest storedDigest; ///< the stored (compressed) bytes' digest, when a descriptor gave it
    qint64 storedSize = -1; ///< and their count
};

/// A reader over the layer's stored bytes.
std::unique_ptr<MemberReader> openLayerSource(const LayerSource &source, const Archive *base, QString *error);

/// Copies a layer into `w`'s open member, checking the count: decompressed (what the docker
/// formats and uncompressed OCI blobs store), or with `raw` the bytes as they are stored. Bytes
/// that need no change are copied by the kernel where the output allows it. False with
/// `w.error()` set.
bool copyLayer(
    OutputWriter &w, const LayerSource &source, const Archive *base, const Progress &progress, bool raw = false);

/// The digest of a layer's stored bytes, read once, for when no descriptor gave it.
Digest hashStoredLayer(const LayerSource &source, const Archive *base, QString *error);

} // namespace lamina
