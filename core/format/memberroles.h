// SPDX-License-Identifier: MIT
#pragma once

#include "format/imagearchive.h"

#include <QList>
#include <QString>

namespace lamina {

/// What a member of an archive is to the loaders.
enum class MemberRole {
    ManifestList, ///< manifest.json (M)
    OciIndex, ///< index.json (O)
    OciLayoutMarker, ///< oci-layout
    LegacyTags, ///< repositories (L)
    ImageConfig,
    Layer, ///< named by manifest.json
    OciManifest,
    ArtifactManifest,
    LayerBlob, ///< named by an OCI manifest
    NestedIndex,
    LegacyLayerJson, ///< <id>/json (L)
    LegacyVersion, ///< <id>/VERSION
    LegacyLayerTar, ///< <id>/layer.tar
    UnreferencedBlob, ///< under blobs/, named by nothing read
    Unknown,
};

/// The loaders that read a member, by the file each starts from.
enum class MemberReaders {
    None,
    Manifest, ///< manifest.json: Docker ≤ 28, podman, go-containerregistry
    Oci, ///< index.json: containerd, Docker 29
    Legacy, ///< repositories and <id>/json: Docker ≤ 28 in legacy mode
};

/// One member of the archive (folders left out) with its role.
struct MemberRow
{
    int member = -1; ///< index in Archive::members()
    QString path;
    MemberRole role = MemberRole::Unknown;
    MemberReaders readers = MemberReaders::None;
    MemberType type = MemberType::File;
    qint64 size = 0;
    bool link = false; ///< a symbolic or hard link: `role` is that of what it leads to, if known
    QString linkTarget; ///< the member it resolves to; empty with `linkError` when it does not
    QString linkError;
};

/// Every member that is not a folder, in archive order, with its role and readers. The first
/// reading that names a member decides its role (manifest.json before index.json before the
/// legacy layout); a link gets the role of the name it is given by or, failing that, of its target.
QList<MemberRow> memberRows(const ImageArchive &archive);

/// "manifest list (M)", "layer blob", …: the words the window and its tests show.
QString memberRoleName(MemberRole role);
/// "Docker ≤ 28, podman, ggcr", …; "" for None.
QString memberReadersName(MemberReaders readers);

} // namespace lamina
