// SPDX-License-Identifier: MIT
#pragma once

#include "compose/composition.h"
#include "compose/layersource.h"
#include "format/imagearchive.h"
#include "layers/mergedtree.h"

#include <QJsonObject>

#include <atomic>
#include <functional>
#include <future>
#include <memory>

namespace lamina {

class PrewrittenBlobs;

/// The base of an export: its archive, the image chosen, its config and where each of its layers
/// is read. Its layers' indexes are made before writing when the export needs them (compressed
/// layers' sizes, the working folder's test, folders new layers go through); otherwise, when the
/// result is checked, in the background while the output is written.
struct ExportBase
{
    ImageArchive archive;
    int image = -1; ///< -1: an image from scratch
    QJsonObject config; ///< the base's, or a scratch config
    /// The base's config as stored (read only for Composition::keepBaseConfig), or as made for a
    /// legacy-only base.
    QByteArray configBytes;
    /// The base is legacy-only: its config was made from the chain's json as Docker's legacy
    /// loader makes it (format/legacyconfig.h), its diff IDs by hashing its layers.
    bool configFromLegacy = false;
    bool configRewritten = false; ///< … and Docker passes that json through its V1Image type
    QList<LayerSource> layers;
    MergedTree::Layers indexes; ///< made before writing, or empty
    /// The new layers need the base's indexes, which are being made in the background while the
    /// caller writes the base's layers (finalIndexes() waits for them).
    bool indexingWhileWriting = false;

    ExportBase();
    ~ExportBase(); ///< stops a background indexing, and waits for it
    ExportBase(const ExportBase &) = delete;
    ExportBase &operator=(const ExportBase &) = delete;

    /// The base layers' indexes, waiting for the background indexing when there is one.
    MergedTree::Layers finalIndexes();

    std::future<MergedTree::Layers> laterIndexes;
    std::shared_ptr<std::atomic<bool>> stopIndexing = std::make_shared<std::atomic<bool>>(false);
};

/// How every layer of `img` is stored, when they are all stored alike and an export can write
/// that (none, gzip or zstd); otherwise `otherwise`.
Compression storedCompression(const Image &img, Compression otherwise);

/// Opens the composition's base and finds its layers. A base compressed as a whole is read once
/// here, its layers kept as files in `workDir`. A legacy-only base gets the config Docker's legacy
/// loader makes for it. False with `error` when the base cannot be read, has no such image, no
/// usable config, or misses a layer. `prewrite` is asked, once the image is chosen and before any
/// layer is read, for the blobs an OCI folder takes as they are (null for none): the compressed
/// layers it wants are written into the output by the read that indexes them. With
/// `writesBaseFirst` (the caller
/// can write the base's layers before the new ones are made), a base of uncompressed layers in a
/// seekable archive is indexed in the background even when the new layers need it.
bool loadExportBase(const Composition &composition, const ExportOptions &options, const QString &workDir,
    const Progress &progress, ExportBase *base, QString *error,
    const std::function<PrewrittenBlobs *(const Image &)> &prewrite = {}, bool writesBaseFirst = false);

} // namespace lamina
