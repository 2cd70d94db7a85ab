// SPDX-License-Identifier: MIT
// Checks of the archive as a whole: damage, unsafe member names, its layout, and the members nothing
// uses.
#include "check/checker_p.h"

#include <QSet>

namespace lamina {

namespace {

/// The first folder at the top of the archive, in name order, without a json member: Docker's
/// legacy loader takes every such folder for a layer and reads its json (os.ReadDir order). One
/// walk over the members, whose folders come together as tar writers walk them: a 100,000-member
/// chain is not sorted for the one folder it may lack.
QString firstFolderWithoutJson(const Archive &ar)
{
    QString first, last;
    QByteArray firstKey;
    for (const Member &m : ar.members()) {
        const qsizetype slash = m.path.indexOf(u'/');
        if (slash <= 0 && m.type != MemberType::Directory)
            continue;
        const QStringView folder = slash > 0 ? QStringView(m.path).left(slash) : QStringView(m.path);
        if (folder == last)
            continue;
        last = folder.toString();
        if (ar.find(last + QStringLiteral("/json")) >= 0)
            continue;
        const QByteArray key = last.toUtf8();
        if (first.isEmpty() || key < firstKey) {
            first = last;
            firstKey = key;
        }
    }
    return first;
}

} // namespace

// ---- the archive itself ----
void Checker::archiveLevel()
{
    if (m_ar.truncated()) {
        QStringList why;
        for (const QString &p : m_ar.problems())
            if (p.contains(u"truncated") || p.contains(u"damaged"))
                why << p;
        add("archive-damaged", Severity::Error, QStringLiteral("the archive is truncated or damaged"), why.join(u'\n'));
    }
    if (!m_ar.unterminatedAfter().isEmpty()) {
        Finding &f = add("archive-unterminated", Severity::Warning,
            QStringLiteral("the archive stops right after member \"%1\", without the zero blocks that end a tar: it "
                           "may have been cut short there")
                .arg(m_ar.unterminatedAfter()));
        f.members << m_ar.unterminatedAfter();
    }
    // The loaders unpack into a folder of their own and keep such names inside it (docs/loaders.md:
    // outer-absolute, outer-dotdot and unsafe-path-member load everywhere).
    for (const QString &name : m_ar.unsafeMembers()) {
        Finding &f = add("unsafe-path", Severity::Error,
            QStringLiteral("tar member \"%1\" climbs out of the archive; it was skipped").arg(name));
        f.members << name;
        f.outcomes.fill(Outcome {});
    }
    for (const QString &name : m_ar.absoluteMembers()) {
        Finding &f = add("unsafe-path", Severity::Error,
            QStringLiteral("tar member \"%1\" has an absolute path; it is read inside the archive").arg(name));
        f.members << name;
        f.outcomes.fill(Outcome {});
    }
    if (m_ar.container() != Container::Directory && m_ar.compression() != Compression::None
        && m_ar.compression() != Compression::Unknown) {
        Finding &f = add("archive-compressed", Severity::Info,
            QStringLiteral("the whole archive is %1-compressed").arg(compressionName(m_ar.compression())));
        // podman 4.3 loads an xz-compressed docker save and a gzip'd OCI archive, but not a gzip'd
        // docker save (docs/loaders.md); containers/image pkg/compression AutoDecompress knows the
        // others. Docker 20.10's DecompressStream has no zstd.
        if (m_ar.compression() != Compression::Gzip || m_ia.layout == Layout::OciLayout)
            f.outcome(LoaderFamily::Podman, Verdict::Loads);
        if (m_ar.compression() == Compression::Zstd)
            f.outcome(LoaderFamily::DockerClassic, Verdict::Refuses, QStringLiteral("invalid tar header"));
    }
    if (m_ia.images.isEmpty() && m_ia.layout == Layout::Unknown && !m_ar.truncated())
        add("not-an-image", Severity::Error,
            m_ar.members().isEmpty()
                ? QStringLiteral("the archive holds no members at all")
                : QStringLiteral("no manifest.json, no OCI index and no legacy chain: not an image archive"));
    if (m_ia.layout == Layout::DockerLegacy) {
        QString message = m_ar.truncated()
            // docker save writes manifest.json and the OCI index after the layers: what is
            // missing may only have been cut off.
            ? QStringLiteral("only the legacy chain was read: the archive breaks off before any manifest.json or "
                             "OCI layout, which docker save writes after the layers")
            : !m_ar.unterminatedAfter().isEmpty()
                ? QStringLiteral("only the legacy chain describes the images: no manifest.json, no OCI layout; the "
                                 "archive stops without the blocks that end a tar, and docker save writes "
                                 "manifest.json after the layers, so it may have been cut off")
                : QStringLiteral("only the legacy chain describes the images: no manifest.json, no OCI layout");
        // Docker's legacy loader reads the json of every folder at the top as a layer's, then
        // opens repositories for the tags; either missing fails the load (moby
        // image/tarexport/load.go, legacyLoad and legacyLoadImage, in 20.10 to 28).
        const QString stray = firstFolderWithoutJson(m_ar);
        if (!stray.isEmpty())
            message += QStringLiteral("; and folder \"%1\" has no json, which Docker's legacy loader reads in every "
                                      "folder at the top")
                           .arg(stray);
        else if (!m_ia.legacy.hasRepositories)
            message += QStringLiteral("; and no repositories file, which Docker's legacy loader opens for the tags");
        Finding &f = add("legacy-only", Severity::Warning, message);
        if (!stray.isEmpty())
            f.outcome(LoaderFamily::DockerClassic, Verdict::Refuses,
                stray + QStringLiteral("/json: no such file or directory"));
        else if (!m_ia.legacy.hasRepositories)
            f.outcome(LoaderFamily::DockerClassic, Verdict::Refuses, QStringLiteral("repositories: no such file"));
    }
    // A folder is judged as the tar of its contents that docker load and ctr import need
    // (docs/findings.md, "A folder").
    if (m_ia.layout == Layout::OciLayout && !hasManifest()) {
        const QString folder = QStringLiteral(
            "This is a folder. docker load and ctr images import read archives only, so what each loader is "
            "predicted to do is with a tar of the folder's contents at its root (tar -cf image.tar -C FOLDER "
            "oci-layout index.json blobs); podman load reads the folder as it is, and that tar alike.");
        add("oci-only", Severity::Info, QStringLiteral("only the OCI layout describes the images: no manifest.json"),
            m_ar.container() == Container::Directory ? folder : QString());
    }
    if (hasManifest() && m_ia.legacy.layers.isEmpty())
        add("no-legacy-chain", Severity::Info,
            (m_ia.manifest.entries.isEmpty() ? QStringLiteral("manifest.json names no image, and there are no legacy "
                                                              "<id>/json files")
                                             : QStringLiteral("manifest.json describes the images; there are no "
                                                              "legacy <id>/json files"))
                + (m_ia.legacy.hasRepositories ? QStringLiteral(" (repositories exists, but names no layer directory)")
                                               : QString()));
}

// ---- what nothing uses ----
void Checker::orphans()
{
    const LegacyView &legacy = m_ia.legacy;
    if (!legacy.layers.isEmpty() && (legacy.hasRepositories || hasManifest())) {
        QSet<QString> reached = legacyDirsUsedByManifest();
        for (const RepositoryTag &t : legacy.repositories)
            for (const QString &id : walkLegacyChain(legacy, t.id).ids)
                reached.insert(id);
        for (const Image &img : m_ia.images)
            for (const QString &id : img.legacyChainIds)
                reached.insert(id);
        QStringList orphaned;
        QStringList jsons;
        for (const LegacyLayer &l : legacy.layers) {
            if (reached.contains(l.id))
                continue;
            orphaned << l.id;
            // The member table's string, shared: a chain can leave tens of thousands of orphans.
            jsons << (l.jsonMember >= 0 ? m_ar.member(l.jsonMember).path : l.id + QStringLiteral("/json"));
        }
        if (!orphaned.isEmpty()) {
            m_view = View::Legacy;
            Finding &f = add("orphan-layer", Severity::Info,
                QStringLiteral("%1 legacy layer dir(s) belong to no tagged chain and no image: %2")
                    .arg(orphaned.size())
                    .arg(shortList(orphaned)));
            f.members << jsons;
        }
    }
    // Without a readable index every blob would look unreferenced; index-invalid says enough.
    if (!m_ia.oci.present || !m_ia.oci.hasIndex || m_ia.oci.indexes.isEmpty() || m_indexInvalid)
        return;
    QSet<int> referenced;
    auto ref = [&](const QString &path) {
        if (path.isEmpty())
            return;
        const Archive::Resolved r = m_ar.resolve(path);
        if (r.index >= 0)
            referenced.insert(r.index);
    };
    QStringList ignored;
    for (const OciIndex &idx : m_ia.oci.indexes) {
        if (idx.member >= 0)
            referenced.insert(idx.member);
        for (const Descriptor &d : idx.manifests)
            ref(blobPathForDigest(d.digest, {}, &ignored));
    }
    for (const OciManifest &m : m_ia.oci.manifests) {
        ref(m.blobPath);
        ref(blobPathForDigest(m.configDescriptor.digest, {}, &ignored));
        for (const Descriptor &d : m.layers)
            ref(blobPathForDigest(d.digest, {}, &ignored));
    }
    for (const ManifestEntry &e : m_ia.manifest.entries) {
        ref(e.configPath);
        for (const QString &l : e.layers)
            ref(l);
    }
    QStringList orphaned;
    int legacyJson = 0;
    for (int i = 0; i < m_ar.members().size(); ++i) {
        const Member &m = m_ar.member(i);
        if (m.type != MemberType::File || !m.path.startsWith(u"blobs/") || referenced.contains(i)
            || m_ar.find(m.path) != i)
            continue;
        orphaned << m.path;
        // Docker 25–28 write each layer's legacy v1 json as an unreferenced blob (docs/formats.md §1.3).
        const QByteArray head = m_ar.head(i);
        if (head.startsWith("{")
            && (head.contains("\"layer_id\"") || head.contains("\"container_config\"") || head.contains("\"parent\"")
                || head.contains("\"id\"")))
            ++legacyJson;
    }
    if (!orphaned.isEmpty()) {
        m_view = View::Oci;
        // Said of each blob: which are Docker's legacy json, and that the others are not.
        const qsizetype others = orphaned.size() - legacyJson;
        QString why;
        if (legacyJson > 0)
            why = (others == 0 ? (legacyJson == 1 ? QStringLiteral("It looks like a layer's legacy v1 json")
                                                  : QStringLiteral("Each looks like a layer's legacy v1 json"))
                               : QStringLiteral("%1 of the %2 look%3 like a layer's legacy v1 json")
                                     .arg(legacyJson)
                                     .arg(orphaned.size())
                                     .arg(legacyJson == 1 ? QStringLiteral("s") : QString()))
                + QStringLiteral(", which Docker 25–28 write as a blob nothing references.");
        if (legacyJson > 0 && others > 0)
            why += others == 1 ? QStringLiteral(" The other is a file no view names.")
                               : QStringLiteral(" The other %1 are files no view names.").arg(others);
        Finding &f = add(
            "orphan-layer", Severity::Info, QStringLiteral("%1 blob(s) nothing references").arg(orphaned.size()), why);
        f.members = orphaned;
    }
}

} // namespace lamina
