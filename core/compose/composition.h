// SPDX-License-Identifier: MIT
#pragma once

#include "archive/archive.h"
#include "check/finding.h"
#include "check/loaders.h"
#include "compose/layerwriter.h"
#include "engine/registrysource.h"
#include "layers/mergedtree.h"
#include "util/progress.h"

#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace lamina {

/// Changes to the image configuration. Every base config field not named here is kept.
struct ImageArchive;

struct ConfigEdits
{
    std::optional<QString> workingDir;
    std::optional<QStringList> cmd; ///< exec form; shell form is ["/bin/sh", "-c", …]
    std::optional<QStringList> entrypoint;
    QList<QPair<QString, QString>> setEnv; ///< set or replace by name, in order
    QStringList unsetEnv;
    std::optional<QString> user;
    QList<QPair<QString, QString>> labels;
    QStringList exposedPorts; ///< "80/tcp"; a bare number means tcp
    QStringList volumes;
    std::optional<QString> stopSignal;

    bool operator==(const ConfigEdits &) const = default;
};

/// A new image: a base image (or none), new layers on top, configuration changes.
struct Composition
{
    QString basePath; ///< "" for an image from scratch
    /// -1: the base's only image (one of several is to be chosen, by number or platform).
    int baseImage = 0;
    QString basePlatform; ///< "os/arch[/variant]": the base image for it, instead of baseImage
    QList<LayerSpec> layers;
    ConfigEdits config;
    QStringList tags; ///< name:tag
    QString created = QStringLiteral("1970-01-01T00:00:01Z"); ///< as nix does; or SOURCE_DATE_EPOCH
    bool createWorkdir = true; ///< add WorkingDir to the last new layer when the image lacks it
    /// Convert (docs/compose.md): no layers, no edits, and the base's config written as its bytes
    /// are, so that the image ID stays.
    bool keepBaseConfig = false;
    /// Convert: the tags written are the base image's own (`tags` is not used).
    bool keepBaseTags = false;
};

/// docker: docker-archive with a legacy chain; docker-oci: Docker 25's layout (OCI layout plus
/// manifest.json and repositories, layers uncompressed); oci: an OCI image layout in a tar;
/// oci-dir: the same layout as a folder.
enum class ExportFormat { Docker, DockerOci, Oci, OciDir };

struct ExportOptions
{
    ExportFormat format = ExportFormat::Docker;
    QString output;
    /// The whole output file compressed (nix writes .tar.gz): gzip without time stamp or name,
    /// zstd at its default level; either way byte-reproducible.
    Compression compress = Compression::None;
    /// Layer blobs of the oci formats: none, gzip or zstd (docker formats store them uncompressed).
    /// Base layers already stored this way are copied as they are.
    Compression layerCompression = Compression::Gzip;
    /// Convert: the layers written compressed as the base image stores them, when all of them are
    /// stored alike (none, gzip or zstd); otherwise `layerCompression`.
    bool layerCompressionAsBase = false;
    /// Hand back the base as the export opened it (ExportResult::base): convert reports on its
    /// input from that one reading. Otherwise it goes with the export.
    bool keepBase = false;
    /// Re-open, check and verify the result (off only for benchmarks of the writing alone).
    bool checkResult = true;
    /// How a registry:// base is pulled and a registry:// output pushed (--insecure).
    RegistryOptions registry;
};

struct ExportResult
{
    QString imageId; ///< sha256 of the new config
    int baseImage = -1; ///< the base image used (chosen by number or platform)
    /// The base as the export opened it, with ExportOptions::keepBase: what convert says of its
    /// input comes from this one reading (an archive compressed as a whole is streamed once).
    std::shared_ptr<const ImageArchive> base;
    QStringList tags; ///< the tags written, as loaders list them
    /// The base was legacy-only: its config was made as Docker's legacy loader makes it
    /// (format/legacyconfig.h); rewritten: through Docker's V1Image type (json of Docker < 1.8.3).
    bool baseConfigFromLegacy = false;
    bool baseConfigRewritten = false;
    QStringList layerDiffIds;
    QList<Finding> checks; ///< findings of the re-opened and verified output
    QList<Finding> preflight; ///< checks of the composed image itself (command, working directory, …)
    /// What each loader range does with the written output, from `checks` (core/check/loaders.h).
    QList<LoaderVerdict> loaderVerdicts;
    QString error;
    bool ok() const { return error.isEmpty(); }
};

/// Writes the composition as a docker archive: manifest.json, the config, repositories and a
/// legacy directory for every layer whose parent links form a chain matching the manifest order
/// (v1 IDs by the rule in docs/compose.md). Layers are stored uncompressed (base layers
/// decompressed while streamed), a layer used twice is stored once with a relative symlink.
/// Byte-reproducible; written beside the target and renamed; the input is never modified and an
/// output equal to the input is refused. The result is re-opened, checked and verified.
ExportResult exportComposition(
    const Composition &composition, const ExportOptions &options, const Progress &progress = {});

struct PushedComposition
{
    ExportResult written; ///< the OCI layout written (and checked) before the push
    bool pushTried = false; ///< written, and the registry was asked to take it
    RegistryPushed pushed;
    bool ok() const { return written.ok() && pushTried && pushed.error.isEmpty(); }
};

/// Why `output` cannot be pushed to ("" when it can): not a registry:// reference, or one with a
/// digest or a platform (a push names a tag).
QString pushTargetProblem(const QString &output);

/// `compose … -o registry://…`: the composition written as an OCI image layout (the layer
/// compression of `options`) in a folder of Lamina's cache, checked, pushed to `to` (blobs the
/// base's repository on the same registry has are mounted rather than sent), and the folder
/// removed. `progress` counts the writing as its first half and the sending as its second.
PushedComposition pushComposition(
    const Composition &composition, ExportOptions options, const RegistryReference &to, const Progress &progress = {});

} // namespace lamina
