// SPDX-License-Identifier: MIT
#include "format/memberroles.h"

#include "archive/archive.h"
#include "format/views.h"

#include <QHash>

namespace lamina {

namespace {

struct Role
{
    MemberRole role;
    MemberReaders readers;
};

/// Collects roles by member index: the first reading to name a member wins.
class RoleMap
{
public:
    explicit RoleMap(const Archive &archive)
        : m_archive(archive)
    {
    }
    void mark(const QString &path, MemberRole role, MemberReaders readers)
    {
        if (path.isEmpty())
            return;
        const int direct = m_archive.find(normaliseMemberPath(path));
        if (direct >= 0 && !m_roles.contains(direct))
            m_roles.insert(direct, { role, readers });
        const Archive::Resolved r = m_archive.resolve(path);
        if (r.index >= 0 && !m_roles.contains(r.index))
            m_roles.insert(r.index, { role, readers });
    }
    const QHash<int, Role> &roles() const { return m_roles; }

private:
    const Archive &m_archive;
    QHash<int, Role> m_roles;
};

void markManifest(RoleMap &map, const ImageArchive &ia)
{
    map.mark(QStringLiteral("manifest.json"), MemberRole::ManifestList, MemberReaders::Manifest);
    map.mark(QStringLiteral("index.json"), MemberRole::OciIndex, MemberReaders::Oci);
    map.mark(QStringLiteral("oci-layout"), MemberRole::OciLayoutMarker, MemberReaders::Oci);
    map.mark(QStringLiteral("repositories"), MemberRole::LegacyTags, MemberReaders::Legacy);
    for (const ManifestEntry &e : ia.manifest.entries) {
        map.mark(e.configPath, MemberRole::ImageConfig, MemberReaders::Manifest);
        for (const QString &l : e.layers)
            map.mark(l, MemberRole::Layer, MemberReaders::Manifest);
    }
}

void markOci(RoleMap &map, const ImageArchive &ia, const Archive &ar)
{
    for (const OciManifest &m : ia.oci.manifests) {
        map.mark(m.blobPath, m.isImage ? MemberRole::OciManifest : MemberRole::ArtifactManifest, MemberReaders::Oci);
        map.mark(m.config.path, MemberRole::ImageConfig, MemberReaders::Oci);
        QStringList ignored;
        for (const Descriptor &d : m.layers)
            map.mark(blobPathForDigest(d.digest, {}, &ignored), MemberRole::LayerBlob, MemberReaders::Oci);
    }
    for (const OciIndex &i : ia.oci.indexes)
        if (i.member >= 0)
            map.mark(ar.member(i.member).path, MemberRole::NestedIndex, MemberReaders::Oci);
}

void markLegacy(RoleMap &map, const ImageArchive &ia)
{
    for (const LegacyLayer &l : ia.legacy.layers) {
        map.mark(l.id + QStringLiteral("/json"), MemberRole::LegacyLayerJson, MemberReaders::Legacy);
        map.mark(l.id + QStringLiteral("/VERSION"), MemberRole::LegacyVersion, MemberReaders::Legacy);
        map.mark(l.layerPath, MemberRole::LegacyLayerTar, MemberReaders::Legacy);
    }
}

} // namespace

QList<MemberRow> memberRows(const ImageArchive &ia)
{
    QList<MemberRow> rows;
    if (!ia.archive)
        return rows;
    const Archive &ar = *ia.archive;
    RoleMap map(ar);
    markManifest(map, ia);
    markOci(map, ia, ar);
    markLegacy(map, ia);
    for (int i = 0; i < ar.members().size(); ++i) {
        const Member &m = ar.member(i);
        if (m.type == MemberType::Directory)
            continue;
        MemberRow row;
        row.member = i;
        row.path = m.path;
        row.type = m.type;
        row.size = m.type == MemberType::File ? m.size : 0;
        const auto found = map.roles().constFind(i);
        if (found != map.roles().cend()) {
            row.role = found->role;
            row.readers = found->readers;
        } else if (m.path.startsWith(u"blobs/")) {
            row.role = MemberRole::UnreferencedBlob;
        }
        if (m.type == MemberType::Symlink || m.type == MemberType::Hardlink) {
            row.link = true;
            const Archive::Resolved r = ar.resolve(m.path);
            if (r.index >= 0)
                row.linkTarget = r.path;
            else
                row.linkError = r.error;
        }
        rows << row;
    }
    return rows;
}

QString memberRoleName(MemberRole role)
{
    switch (role) {
    case MemberRole::ManifestList:
        return QStringLiteral("manifest list (M)");
    case MemberRole::OciIndex:
        return QStringLiteral("OCI index (O)");
    case MemberRole::OciLayoutMarker:
        return QStringLiteral("OCI layout marker");
    case MemberRole::LegacyTags:
        return QStringLiteral("legacy tags (L)");
    case MemberRole::ImageConfig:
        return QStringLiteral("image config");
    case MemberRole::Layer:
        return QStringLiteral("layer");
    case MemberRole::OciManifest:
        return QStringLiteral("OCI manifest");
    case MemberRole::ArtifactManifest:
        return QStringLiteral("artifact manifest");
    case MemberRole::LayerBlob:
        return QStringLiteral("layer blob");
    case MemberRole::NestedIndex:
        return QStringLiteral("nested OCI index");
    case MemberRole::LegacyLayerJson:
        return QStringLiteral("legacy layer json (L)");
    case MemberRole::LegacyVersion:
        return QStringLiteral("legacy VERSION");
    case MemberRole::LegacyLayerTar:
        return QStringLiteral("legacy layer.tar");
    case MemberRole::UnreferencedBlob:
        return QStringLiteral("unreferenced blob");
    case MemberRole::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

QString memberReadersName(MemberReaders readers)
{
    switch (readers) {
    case MemberReaders::Manifest:
        return QStringLiteral("Docker ≤ 28, podman, ggcr");
    case MemberReaders::Oci:
        return QStringLiteral("containerd, Docker 29");
    case MemberReaders::Legacy:
        return QStringLiteral("Docker ≤ 28 legacy mode");
    case MemberReaders::None:
        break;
    }
    return {};
}

} // namespace lamina
