// SPDX-License-Identifier: MIT
#pragma once

#include "archive/archive.h"
#include "engine/registrysource.h"
#include "format/views.h"
#include "util/progress.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <memory>

namespace lamina {

/// Which views an archive carries (docs/formats.md §1.11): docker-legacy = legacy files only;
/// docker-manifest = manifest.json without an OCI layout; docker-oci = both; oci-layout = OCI only.
enum class Layout { DockerLegacy, DockerManifest, DockerOci, OciLayout, Unknown };
QString layoutName(Layout l);

/// One layer of a joined image, bottom (index 0) to top.
struct ImageLayer
{
    int index = 0;
    QString path; ///< member path as the image's description names it ("" if none)
    int member = -1; ///< the member it resolves to
    QString resolvedPath;
    QString diffId; ///< from the config's rootfs.diff_ids
    QString digest; ///< blob digest as named by a descriptor or the blob's file name
    qint64 size = -1; ///< stored bytes of the resolved member (descriptor size if missing)
    qint64 descriptorSize = -1; ///< the size an OCI descriptor gives, -1 when none does
    QString mediaType; ///< from an OCI descriptor or LayerSources
    Compression compression = Compression::Unknown; ///< from the bytes, not the media type
    QString legacyId;
    QString error; ///< why the layer's bytes cannot be found
};

enum class ImageSource { Manifest, Oci, Legacy };

/// An image as the views describe it together, joined on the config digest (M with O) and on the
/// layer files (M with L).
struct Image
{
    ImageSource source = ImageSource::Manifest;
    QStringList tags;
    Platform platform;
    QString configPath;
    QString configDigest; ///< sha256 of the config bytes: the image ID
    std::optional<ImageConfig> config;
    QList<ImageLayer> layers;
    int manifestEntry = -1; ///< index into ManifestView::entries
    int ociManifest = -1; ///< index into OciView::manifests
    int legacyChain = -1; ///< index into LegacyView::chains
    QStringList legacyChainIds; ///< top to bottom, existing directories only
    QString legacyTop;
};

/// An opened image archive: its members, its three views, and the images they describe.
/// A plain value; `archive` is shared and immutable, so copies are cheap and thread-safe to read.
struct ImageArchive
{
    QString path; ///< a file or folder, or an engine's reference (docker://alpine:3)
    /// For an engine's or a registry's image, how it was had ("saved from the Docker engine at …",
    /// "pulled from the registry at … over HTTPS without verifying its certificate")
    QString origin;
    std::shared_ptr<const Archive> archive;
    Layout layout = Layout::Unknown;
    LegacyView legacy;
    ManifestView manifest;
    OciView oci;
    QList<Image> images;
    QList<int> artifacts; ///< OciView::manifests entries that are not images
    /// Everything that could not be read, each "<file>: <member>: <reason>". Reading goes on
    /// past errors; what could be read is still reported.
    QStringList errors;
    bool cancelled = false;

    bool ok() const { return !images.isEmpty(); }
};

/// What an archive is called on screen: its file or folder name, or the whole reference of an
/// engine's image (docker://alpine:3).
QString shownName(const QString &path);

/// The digest a stored file's name claims: `blobs/<alg>/<hex>`, a root-level `<hex>.tar`,
/// `<hex>.tar.gz`, `<hex>.tar.zst`, `<hex>.json` or `sha256:<hex>`; "" when the name claims none
/// (Docker ≤ 24's `<v1id>/layer.tar`: a v1 ID is not a digest, docs/formats.md §3.3).
QString digestClaimedByName(const QString &path);
/// A reference in its short Docker Hub form (`docker.io/library/busybox:1` → `busybox:1`).
QString familiarReference(QString ref);

/// Opens an archive file or layout folder and reads its views. Never throws; call from any
/// thread. Metadata only: layer contents are not read beyond their first bytes, unless `tap`
/// reads them in the pass that opens a tar compressed as a whole (layers/streamedlayers.h).
/// `registry` is how a registry:// image is pulled (--insecure).
ImageArchive openImageArchive(const QString &path, const Progress &progress = {}, const RegistryOptions &registry = {},
    const Archive::StreamTap &tap = {});

/// The first image whose platform is `wanted`, "os/arch[/variant]" (the variant compared only
/// when given; Docker archives state the platform only in the config, which is read then). -1 with
/// `error` listing the platforms there are. One rule for `--platform` and the window.
int findImageForPlatform(const ImageArchive &archive, const QString &wanted, QString *error);

} // namespace lamina
