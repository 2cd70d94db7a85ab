// SPDX-License-Identifier: MIT
// Checks of the OCI layout (the O view): index → manifests → blobs, and the OCI index against
// manifest.json.
#include "check/checker_p.h"

#include "format/inspectreport.h"

namespace lamina {

void Checker::ociLevel()
{
    const OciView &o = m_ia.oci;
    if (!o.present)
        return;
    ociLayoutProblems(o);
    if (o.hasIndex && !o.indexes.isEmpty() && o.indexes.constFirst().manifests.size() > 1) {
        Finding &f = add("oci-index-ambiguous", Severity::Warning,
            QStringLiteral("index.json lists %1 manifests").arg(o.indexes.constFirst().manifests.size()));
        f.members << QStringLiteral("index.json");
    }
    for (int i = 0; i < o.manifests.size(); ++i)
        ociManifestLevel(i);
    if (hasManifest())
        manifestAgainstOci(o);
}

/// What makes the index unreadable to some loader.
void Checker::ociLayoutProblems(const OciView &o)
{
    QStringList problems = o.problems;
    if (o.hasLayoutFile && !o.layoutVersion.isEmpty() && o.layoutVersion != u"1.0.0")
        problems << QStringLiteral("oci-layout: imageLayoutVersion is \"%1\", not \"1.0.0\"").arg(o.layoutVersion);
    // A malformed digest is reported as unsafe-path rather than as an unreadable index.
    QStringList unsafe;
    for (const QString &p : std::as_const(problems))
        if (p.contains(u"is not a valid") && p.contains(u"digest"))
            unsafe << p;
    for (const QString &p : std::as_const(unsafe)) {
        problems.removeAll(p);
        add("unsafe-path", Severity::Error, p);
    }
    m_indexInvalid = !problems.isEmpty();
    if (!problems.isEmpty()) {
        Finding &f = add("index-invalid", hasManifest() ? Severity::Warning : Severity::Error, problems.constFirst(),
            problems.join(u'\n'));
        f.members << QStringLiteral("index.json");
        bool onlyLayoutFile = true;
        for (const QString &p : std::as_const(problems))
            onlyLayoutFile &= p.startsWith(u"oci-layout");
        if (onlyLayoutFile) {
            // containers/image reads index.json without oci-layout; containerd's ImportIndex
            // recognises a layout by that file only, so to it the whole archive is unknown.
            f.outcome(LoaderFamily::Podman, Verdict::Loads);
            f.containerdOutcome(Verdict::Refuses, QStringLiteral("unrecognized image format"));
            if (!hasManifest())
                f.view = View::Archive;
        }
    }
}

/// One OCI manifest: its blob against its descriptor, its config, its layer count.
void Checker::ociManifestLevel(int i)
{
    const OciManifest &m = m_ia.oci.manifests.at(i);
    if (m.member < 0)
        return;
    const int image = imageOfOci(i);
    const Member &mem = m_ar.member(m.member);
    if (m.descriptor.size >= 0 && m.descriptor.size != mem.size) {
        Finding &f = add("blob-size-mismatch", Severity::Error,
            QStringLiteral("manifest %1: the index says %2 bytes, the blob has %3")
                .arg(mem.path)
                .arg(m.descriptor.size)
                .arg(mem.size));
        f.image = image;
        f.members << mem.path;
    }
    if (!m.blobDigest.isEmpty() && m.descriptor.digest.startsWith(u"sha256:") && m.blobDigest != m.descriptor.digest) {
        Finding &f = add("blob-digest-mismatch", Severity::Error,
            QStringLiteral("manifest %1 hashes to %2, not the %3 the index names")
                .arg(mem.path, m.blobDigest, m.descriptor.digest));
        f.image = image;
        f.members << mem.path;
    }
    if (!m.isImage)
        return;
    checkConfig(m.config, image, mem.path, false, m.configDescriptor);
    if (m.config.config && m.layers.size() != m.config.config->diffIds.size()) {
        Finding &f = add("layer-count-mismatch", Severity::Error,
            QStringLiteral("OCI manifest %1 lists %2 layers, its config %3 diff IDs")
                .arg(mem.path)
                .arg(m.layers.size())
                .arg(m.config.config->diffIds.size()));
        f.image = image;
        f.members << mem.path;
        // containers/image's oci-archive source copies the manifest's layers without counting
        // diff IDs (docs/loaders.md: layer-count-mismatch-oci loads with podman 4.3).
        f.outcome(LoaderFamily::Podman, Verdict::Loads);
    }
}

/// M and O side by side (Docker ≥ 25): the same images with the same layers.
void Checker::manifestAgainstOci(const OciView &o)
{
    for (int i = 0; i < m_ia.images.size(); ++i) {
        const Image &img = m_ia.images.at(i);
        if (img.source == ImageSource::Oci) {
            Finding &f = add("manifest-oci-mismatch", Severity::Info,
                QStringLiteral("the OCI index describes %1 (%2), which manifest.json does not list")
                    .arg(img.tags.isEmpty() ? shortDigest(img.configDigest) : img.tags.join(QStringLiteral(", ")),
                        img.platform.toString()),
                QStringLiteral("For a multi-platform image, Docker and containerd write one platform to manifest.json "
                               "and the whole index to index.json; then this is expected."));
            f.image = i;
            f.containerdOutcome(Verdict::Loads); // one more image, the archive's own
            continue;
        }
        if (img.source != ImageSource::Manifest)
            continue;
        if (img.ociManifest < 0) {
            const bool nullIndex = !o.indexes.isEmpty() && o.indexes.constFirst().manifests.isEmpty();
            Finding &f = add("manifest-oci-mismatch", Severity::Warning,
                QStringLiteral("manifest.json entry %1 (%2) has no counterpart in the OCI index")
                    .arg(img.manifestEntry)
                    .arg(img.tags.isEmpty() ? QStringLiteral("untagged") : img.tags.join(QStringLiteral(", "))),
                nullIndex
                    ? QStringLiteral("index.json lists no manifests at all: Docker 25.0.0 wrote \"manifests\": null "
                                     "when saving untagged images (fixed after 25.0.0, moby commit d131f00fff). "
                                     "containerd-based loaders find no image in this archive.")
                    : QString());
            f.image = i;
            f.members << QStringLiteral("index.json");
            // containerd reads only the index: this image is not loaded (ctr says so when none is).
            f.containerdOutcome(nullIndex ? Verdict::Refuses : Verdict::LoadsDifferently,
                nullIndex ? QStringLiteral("image might be filtered out") : QString());
            f.outcome(LoaderFamily::Containerd2, nullIndex ? Verdict::Refuses : Verdict::LoadsDifferently);
            continue;
        }
        const OciManifest &m = o.manifests.at(img.ociManifest);
        const ManifestEntry &e = m_ia.manifest.entries.at(img.manifestEntry);
        QStringList diffs;
        if (m.layers.size() != e.layers.size())
            diffs << QStringLiteral("%1 layers in the OCI manifest, %2 in manifest.json")
                         .arg(m.layers.size())
                         .arg(e.layers.size());
        for (int l = 0; l < std::min(m.layers.size(), e.layers.size()); ++l) {
            QStringList ignored;
            const QString ociPath = blobPathForDigest(m.layers.at(l).digest, {}, &ignored);
            const Archive::Resolved r = m_ar.resolve(e.layers.at(l));
            const QString mPath = r.index >= 0 ? r.path : normaliseMemberPath(e.layers.at(l));
            if (ociPath != mPath)
                diffs << QStringLiteral("layer %1: %2 vs %3").arg(l).arg(ociPath, mPath);
        }
        if (!diffs.isEmpty()) {
            Finding &f = add("manifest-oci-mismatch", Severity::Error,
                QStringLiteral("manifest.json entry %1 and OCI manifest %2 share a config but not their layers: %3")
                    .arg(img.manifestEntry)
                    .arg(m.blobPath, diffs.constFirst()),
                diffs.join(u'\n')
                    + QStringLiteral("\n\nDocker 25.0 wrote such archives (moby/moby#47065: an OCI "
                                     "manifest without layers; layer order from map iteration, fixed in "
                                     "17fd6562bf)."));
            f.image = i;
        }
    }
}

} // namespace lamina
