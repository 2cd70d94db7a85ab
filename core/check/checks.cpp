// SPDX-License-Identifier: MIT
// The checks of docs/findings.md that run on open (docs/formats.md §5).
#include "check/checks.h"
#include "check/loaders.h"

#include "format/inspectreport.h"
#include "format/json.h"
#include "util/sha256.h"

#include <QHash>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>

namespace lamina {

namespace {

class Checker
{
public:
    explicit Checker(const ImageArchive &ia)
        : m_ia(ia)
        , m_ar(*ia.archive)
    {
    }

    QList<Finding> run()
    {
        m_view = View::Archive;
        archiveLevel();
        m_view = View::Manifest;
        manifestLevel();
        m_view = View::Oci;
        ociLevel();
        for (int i = 0; i < m_ia.images.size(); ++i) {
            const ImageSource source = m_ia.images.at(i).source;
            m_view = source == ImageSource::Oci ? View::Oci
                : source == ImageSource::Legacy ? View::Legacy
                                                : View::Manifest;
            imageLevel(i);
        }
        m_view = View::Legacy;
        legacyLevel();
        m_view = View::Manifest;
        crossImage();
        orphans();
        sortFindings(m_findings);
        return m_findings;
    }

private:
    Finding &add(const char *code, Severity severity, const QString &message, const QString &specific = {})
    {
        m_findings.append(makeFinding(code, severity, message, specific));
        m_findings.last().view = m_view;
        return m_findings.last();
    }

    bool hasManifest() const { return m_ia.manifest.present; }
    Severity legacySeverity() const { return hasManifest() || m_ia.oci.present ? Severity::Warning : Severity::Error; }

    // ---- the archive itself ----
    void archiveLevel()
    {
        if (m_ar.truncated()) {
            QStringList why;
            for (const QString &p : m_ar.problems())
                if (p.contains(u"truncated") || p.contains(u"damaged"))
                    why << p;
            add("archive-damaged", Severity::Error, QStringLiteral("the archive is truncated or damaged"),
                why.join(u'\n'));
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
        if (m_ia.layout == Layout::DockerLegacy)
            add("legacy-only", Severity::Warning,
                QStringLiteral("only the legacy chain describes the images: no manifest.json, no OCI layout"));
        // A folder is never given to a loader as it is: only tar archives are judged by layout.
        if (m_ia.layout == Layout::OciLayout && !hasManifest() && m_ar.container() != Container::Directory)
            add("oci-only", Severity::Info,
                QStringLiteral("only the OCI layout describes the images: no manifest.json"));
        if (hasManifest() && m_ia.legacy.layers.isEmpty())
            add("no-legacy-chain", Severity::Info,
                QStringLiteral("manifest.json describes the images; there are no legacy <id>/json files")
                    + (m_ia.legacy.hasRepositories
                            ? QStringLiteral(" (repositories exists, but names no layer directory)")
                            : QString()));
    }

    // ---- M ----
    void manifestLevel()
    {
        const ManifestView &m = m_ia.manifest;
        if (!m.present)
            return;
        if (!m.problems.isEmpty()) {
            Finding &f = add("manifest-invalid", Severity::Error,
                QStringLiteral("manifest.json: %1").arg(m.problems.constFirst().section(QStringLiteral(": "), 1)),
                m.problems.join(u'\n'));
            f.members << QStringLiteral("manifest.json");
        }
        if (m.entries.size() > 1)
            add("multiple-images", Severity::Info,
                QStringLiteral("manifest.json lists %1 images").arg(m.entries.size()));
        static const QRegularExpression tagRe(
            QStringLiteral("^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-"
                           "Z0-9])?))*(?::[0-9]+)?/)?"
                           "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
                           ":[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"));
        for (const ManifestEntry &e : m.entries) {
            for (const QString &tag : e.repoTags) {
                if (!tagRe.match(tag).hasMatch()) {
                    Finding &f = add("invalid-tag", Severity::Error,
                        QStringLiteral("manifest.json entry %1: \"%2\" is not a name:tag reference")
                            .arg(e.index)
                            .arg(tag),
                        tag.contains(u'@') ? QStringLiteral("A digest reference cannot be a tag.")
                            : !tag.section(u'/', -1).contains(u':') ? QStringLiteral("The tag part is missing.")
                                                                    : QString());
                    f.image = imageOfEntry(e.index);
                    f.members << QStringLiteral("manifest.json");
                    // containerd names the image from the tag: only a name it cannot normalise stops it.
                    if (tag.section(u':', 0, 0) != tag.section(u':', 0, 0).toLower()) {
                        const QString why = QStringLiteral("repository name must be lowercase");
                        f.containerdOutcome(Verdict::Refuses, why);
                        f.outcome(LoaderFamily::DockerClassic, Verdict::Refuses, why);
                        f.outcome(LoaderFamily::Podman, Verdict::Refuses, why);
                    }
                }
            }
            const QStringList paths = QStringList { e.configPath } + e.layers;
            for (const QString &p : paths) {
                bool escapes = false;
                normaliseMemberPath(p, &escapes);
                if (p.startsWith(u'/') || escapes) {
                    Finding &f = add("unsafe-path", Severity::Error,
                        QStringLiteral("manifest.json entry %1 names \"%2\", which %3")
                            .arg(e.index)
                            .arg(p,
                                p.startsWith(u'/') ? QStringLiteral("is absolute")
                                                   : QStringLiteral("climbs out of the archive")));
                    f.image = imageOfEntry(e.index);
                    f.members << QStringLiteral("manifest.json");
                }
            }
            checkConfig(
                e.config, imageOfEntry(e.index), QStringLiteral("manifest.json entry %1").arg(e.index), true, {});
            checkParent(e);
            checkLayerSources(e);
        }
    }

    int imageOfEntry(int entry) const
    {
        for (int i = 0; i < m_ia.images.size(); ++i)
            if (m_ia.images.at(i).manifestEntry == entry)
                return i;
        return -1;
    }
    int imageOfOci(int manifest) const
    {
        for (int i = 0; i < m_ia.images.size(); ++i)
            if (m_ia.images.at(i).ociManifest == manifest)
                return i;
        return -1;
    }

    bool isUnsafe(const QString &p) const
    {
        bool escapes = false;
        normaliseMemberPath(p, &escapes);
        return p.startsWith(u'/') || escapes;
    }

    /// Shared by M and O: presence, JSON, shape, types, claimed digest.
    void checkConfig(
        const LoadedConfig &c, int image, const QString &where, bool fromManifest, const Descriptor &descriptor)
    {
        if (c.path.isEmpty()) {
            if (fromManifest) // Docker opens the unpacked folder itself as the config
                add("config-missing", Severity::Error, QStringLiteral("%1 has no \"Config\" path").arg(where))
                    .outcome(LoaderFamily::DockerClassic, Verdict::Refuses, QStringLiteral("is a directory"))
                    .image
                    = image;
            return;
        }
        if (isUnsafe(c.path))
            return; // reported as unsafe-path
        if (c.member < 0) {
            const Archive::Resolved r = m_ar.resolve(c.path);
            if (r.hops > 0 || isLink(c.path)) {
                Finding &f = add("symlink-unresolved", Severity::Error, QStringLiteral("config %1").arg(r.error));
                f.image = image;
                f.members << c.path;
                // A hard link or a longer chain: containerd's message depends on which.
                f.outcome(LoaderFamily::Containerd, Verdict::Refuses)
                    .outcome(LoaderFamily::Containerd2, Verdict::Refuses);
            } else {
                const QString unlisted = m_ar.unlistedFolderOf(c.path);
                Finding &f = add("config-missing", Severity::Error,
                    unlisted.isEmpty()
                        ? QStringLiteral("%1 names the config \"%2\", which is not in the archive").arg(where, c.path)
                        : QStringLiteral("%1 names the config \"%2\", which cannot be found: %3")
                              .arg(where, c.path, unlisted));
                f.image = image;
                f.members << c.path;
            }
            return;
        }
        const QString member = m_ar.member(c.member).path;
        if (!fromManifest && descriptor.size >= 0 && descriptor.size != m_ar.member(c.member).size) {
            Finding &f = add("blob-size-mismatch", Severity::Error,
                QStringLiteral("config %1: the descriptor says %2 bytes, the blob has %3")
                    .arg(member)
                    .arg(descriptor.size)
                    .arg(m_ar.member(c.member).size));
            f.image = image;
            f.members << member;
        }
        const QString claimed = fromManifest ? digestClaimedByName(c.path) : descriptor.digest;
        if (!claimed.isEmpty() && claimed.startsWith(u"sha256:") && claimed != c.digest) {
            Finding &f = add("config-digest-mismatch", fromManifest ? Severity::Warning : Severity::Error,
                QStringLiteral("%1: named %2 but its bytes hash to %3").arg(c.path, claimed, c.digest),
                fromManifest
                    ? QStringLiteral("The image ID is %1, not the %2 its file name suggests.").arg(c.digest, claimed)
                    : QStringLiteral("The descriptor says %1, the bytes are %2.").arg(claimed, c.digest));
            f.image = image;
            f.members << member;
            if (fromManifest) // every docker-archive reader takes the config by its path and hashes the bytes
                f.outcomes.fill(Outcome {});
        }
        if (!c.config) {
            Finding &f = add("config-invalid", Severity::Error,
                c.error.isEmpty() ? QStringLiteral("%1: unusable config").arg(c.path) : c.error);
            f.image = image;
            f.members << member;
            return;
        }
        const ImageConfig &cfg = *c.config;
        QStringList missing, tolerated;
        if (!cfg.hasRootfs)
            missing << QStringLiteral("has no \"rootfs\"");
        else if (cfg.rootfsType != u"layers")
            tolerated << QStringLiteral("rootfs.type is \"%1\", not \"layers\"").arg(cfg.rootfsType);
        const QJsonValue rootfs = cfg.raw.value(QStringLiteral("rootfs"));
        if (rootfs.isObject() && !rootfs.toObject().value(QStringLiteral("diff_ids")).isArray())
            missing << QStringLiteral("rootfs.diff_ids is not an array");
        if (cfg.raw.value(QStringLiteral("os")).toString().isEmpty())
            tolerated << QStringLiteral("has no \"os\"");
        if (cfg.raw.value(QStringLiteral("architecture")).toString().isEmpty())
            tolerated << QStringLiteral("has no \"architecture\"");
        if (!missing.isEmpty() || !tolerated.isEmpty()) {
            Finding &f = add("config-invalid", Severity::Error,
                QStringLiteral("%1: the config %2").arg(c.path, (missing + tolerated).join(QStringLiteral(", "))));
            f.image = image;
            f.members << member;
            if (missing.isEmpty()) {
                // The loaders fill in what is missing here (docs/loaders.md: config-invalid-no-os and
                // -rootfs-type load with Docker 20.10, containerd 1.6 and podman 4.3).
                f.outcomes.fill(Outcome {});
                f.explanation
                    += QStringLiteral("\n\nThe loaders accept this one: Docker takes the host's os when it is "
                                      "empty (image.Image.OperatingSystem) and none of them checks rootfs.type or "
                                      "architecture when loading. Runtimes and registries that select by platform "
                                      "may not find the image.");
                f.loaders = { QStringLiteral("Loads."), QStringLiteral("Loads."), QStringLiteral("Loads."),
                    QStringLiteral("Loads.") };
            }
        }
        checkConfigTypes(cfg, image, member);
    }

    void checkConfigTypes(const ImageConfig &cfg, int image, const QString &member)
    {
        QStringList wrong;
        auto expect = [&](const QJsonObject &o, const QString &key, const QString &field, QJsonValue::Type type,
                          bool stringsOnly) {
            const QJsonValue v = o.value(key);
            if (v.isUndefined() || v.isNull())
                return;
            if (v.type() != type) {
                wrong << QStringLiteral("%1 is %2").arg(field, jsonTypeName(v));
                return;
            }
            if (stringsOnly) {
                const QJsonArray a = v.toArray();
                for (qsizetype i = 0; i < a.size(); ++i)
                    if (!a.at(i).isString()) {
                        wrong << QStringLiteral("%1[%2] is %3").arg(field).arg(i).arg(jsonTypeName(a.at(i)));
                        break;
                    }
            }
        };
        const QJsonObject &raw = cfg.raw;
        for (const char *k : { "architecture", "os", "variant", "created", "author" })
            expect(raw, QString::fromLatin1(k), QString::fromLatin1(k), QJsonValue::String, false);
        expect(raw, QStringLiteral("config"), QStringLiteral("config"), QJsonValue::Object, false);
        expect(raw, QStringLiteral("history"), QStringLiteral("history"), QJsonValue::Array, false);
        const QJsonObject c = raw.value(QStringLiteral("config")).toObject();
        for (const char *k : { "Cmd", "Entrypoint", "Env", "Shell", "OnBuild" })
            expect(c, QString::fromLatin1(k), QStringLiteral("config.") + QLatin1String(k), QJsonValue::Array, true);
        for (const char *k : { "WorkingDir", "User", "StopSignal" })
            expect(c, QString::fromLatin1(k), QStringLiteral("config.") + QLatin1String(k), QJsonValue::String, false);
        for (const char *k : { "Labels", "ExposedPorts", "Volumes", "Healthcheck" })
            expect(c, QString::fromLatin1(k), QStringLiteral("config.") + QLatin1String(k), QJsonValue::Object, false);
        if (!wrong.isEmpty()) {
            // Docker's Cmd/Entrypoint (strslice.StrSlice) take a string as a one-element list; every
            // other wrong type fails its json.Unmarshal (image.NewFromJSON).
            bool dockerRefuses = false;
            for (const QString &w : std::as_const(wrong))
                dockerRefuses
                    |= !(w.startsWith(u"config.Cmd is a string") || w.startsWith(u"config.Entrypoint is a string"));
            Finding &f = add("config-type-error", Severity::Error,
                QStringLiteral("%1: %2").arg(member, wrong.join(QStringLiteral("; "))),
                wrong.constFirst().startsWith(u"config.Cmd is a string")
                        || wrong.constFirst().startsWith(u"config.Entrypoint is a string")
                    ? QStringLiteral("A string where a list is expected is the shell form of a Dockerfile written "
                                     "into the config unconverted; write [\"/bin/sh\", \"-c\", \"…\"] instead.")
                    : QString());
            f.image = image;
            f.members << member;
            if (dockerRefuses)
                f.outcome(LoaderFamily::DockerClassic, Verdict::Refuses, QStringLiteral("cannot unmarshal"));
        }
    }

    bool isLink(const QString &path) const
    {
        const int idx = m_ar.find(normaliseMemberPath(path));
        return idx >= 0
            && (m_ar.member(idx).type == MemberType::Symlink || m_ar.member(idx).type == MemberType::Hardlink);
    }

    void checkParent(const ManifestEntry &e)
    {
        if (e.parent.isEmpty())
            return;
        const int image = imageOfEntry(e.index);
        const ManifestEntry *parent = nullptr;
        for (const ManifestEntry &o : m_ia.manifest.entries)
            if (!o.config.digest.isEmpty() && o.config.digest == e.parent)
                parent = &o;
        if (!parent) {
            Finding &f = add("parent-image-invalid", Severity::Info,
                QStringLiteral("manifest.json entry %1: Parent %2 is not an image of this archive")
                    .arg(e.index)
                    .arg(e.parent),
                QStringLiteral("Docker drops such a parent silently; it only records which image this was built on."));
            f.image = image;
            return;
        }
        // moby image/tarexport: the parent's history and diff IDs must be a strict prefix of the
        // child's (moby/moby#41829).
        if (!parent->config.config || !e.config.config)
            return;
        const ImageConfig &pc = *parent->config.config;
        const ImageConfig &cc = *e.config.config;
        const QJsonArray ph = pc.raw.value(QStringLiteral("history")).toArray();
        const QJsonArray ch = cc.raw.value(QStringLiteral("history")).toArray();
        QString why;
        if (!(ph.isEmpty() && ch.isEmpty())) {
            if (ph.size() >= ch.size())
                why = QStringLiteral("the parent has %1 history entries, not fewer than the image's %2")
                          .arg(ph.size())
                          .arg(ch.size());
            else
                for (qsizetype i = 0; i < ph.size() && why.isEmpty(); ++i)
                    if (ph.at(i) != ch.at(i))
                        why = QStringLiteral("history entry %1 differs").arg(i);
        }
        if (why.isEmpty() && pc.diffIds.size() > cc.diffIds.size())
            why = QStringLiteral("the parent has more layers than the image");
        for (qsizetype i = 0; why.isEmpty() && i < pc.diffIds.size(); ++i)
            if (pc.diffIds.at(i) != cc.diffIds.at(i))
                why = QStringLiteral("layer %1 differs from the parent's").arg(i);
        if (!why.isEmpty()) {
            Finding &f = add("parent-image-invalid", Severity::Error,
                QStringLiteral("manifest.json entry %1: Parent %2 is not a valid parent: %3")
                    .arg(e.index)
                    .arg(shortDigest(e.parent), why));
            f.image = image;
            f.outcome(LoaderFamily::DockerClassic, Verdict::Refuses, QStringLiteral("is not a valid parent for"));
        }
    }

    void checkLayerSources(const ManifestEntry &e)
    {
        if (e.layerSources.isEmpty())
            return;
        const int image = imageOfEntry(e.index);
        const QStringList diffIds = e.config.config ? e.config.config->diffIds : QStringList();
        for (auto it = e.layerSources.begin(); it != e.layerSources.end(); ++it) {
            const qsizetype pos = diffIds.indexOf(it.key());
            if (pos < 0) {
                add("layer-sources-inconsistent", Severity::Warning,
                    QStringLiteral(
                        "manifest.json entry %1: LayerSources describes %2, which is no diff ID of the image")
                        .arg(e.index)
                        .arg(shortDigest(it.key())))
                    .image
                    = image;
                continue;
            }
            if (image < 0 || pos >= m_ia.images.at(image).layers.size())
                continue;
            const ImageLayer &l = m_ia.images.at(image).layers.at(pos);
            const qint64 size = it.value().toObject().value(QStringLiteral("size")).toInteger(-1);
            if (l.member >= 0 && size >= 0 && size != m_ar.member(l.member).size) {
                Finding &f = add("layer-sources-inconsistent", Severity::Warning,
                    QStringLiteral(
                        "manifest.json entry %1: LayerSources gives layer %2 %3 bytes, the stored file has %4")
                        .arg(e.index)
                        .arg(pos)
                        .arg(size)
                        .arg(m_ar.member(l.member).size));
                f.image = image;
                f.layers << int(pos);
                f.members << l.resolvedPath;
            }
        }
    }

    // ---- O ----
    void ociLevel()
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
    void ociLayoutProblems(const OciView &o)
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
            Finding &f = add("index-invalid", hasManifest() ? Severity::Warning : Severity::Error,
                problems.constFirst(), problems.join(u'\n'));
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
    void ociManifestLevel(int i)
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
        if (!m.blobDigest.isEmpty() && m.descriptor.digest.startsWith(u"sha256:")
            && m.blobDigest != m.descriptor.digest) {
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
    void manifestAgainstOci(const OciView &o)
    {
        for (int i = 0; i < m_ia.images.size(); ++i) {
            const Image &img = m_ia.images.at(i);
            if (img.source == ImageSource::Oci) {
                Finding &f = add("manifest-oci-mismatch", Severity::Info,
                    QStringLiteral("the OCI index describes %1 (%2), which manifest.json does not list")
                        .arg(img.tags.isEmpty() ? shortDigest(img.configDigest) : img.tags.join(QStringLiteral(", ")),
                            img.platform.toString()),
                    QStringLiteral(
                        "For a multi-platform image, Docker and containerd write one platform to manifest.json "
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
                    nullIndex ? QStringLiteral(
                        "index.json lists no manifests at all: Docker 25.0.0 wrote \"manifests\": null "
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

    // ---- per image: layers ----
    void imageLevel(int index)
    {
        const Image &img = m_ia.images.at(index);
        const QString name = img.tags.isEmpty() ? QStringLiteral("image %1").arg(index) : img.tags.constFirst();
        // Counting against a config without usable diff IDs, or an entry whose fields had the
        // wrong type, would only repeat config-invalid / manifest-invalid.
        const bool usable = img.config && img.config->hasRootfs
            && img.config->raw.value(QStringLiteral("rootfs")).toObject().value(QStringLiteral("diff_ids")).isArray()
            && (img.source != ImageSource::Manifest || m_ia.manifest.entries.at(img.manifestEntry).fieldsValid);
        if (img.source == ImageSource::Manifest && usable) {
            const ManifestEntry &e = m_ia.manifest.entries.at(img.manifestEntry);
            if (e.layers.size() != img.config->diffIds.size()) {
                Finding &f = add("layer-count-mismatch", Severity::Error,
                    QStringLiteral("%1: manifest.json lists %2 layers, the config %3 diff IDs")
                        .arg(name)
                        .arg(e.layers.size())
                        .arg(img.config->diffIds.size()));
                f.image = index;
                f.members << QStringLiteral("manifest.json") << img.configPath;
            }
        }
        if (usable)
            checkHistory(img, index, name);

        QHash<QString, QList<int>> byDiff;
        for (const ImageLayer &l : img.layers) {
            if (!l.diffId.isEmpty())
                byDiff[l.diffId] << l.index;
            if (l.member < 0 && img.source != ImageSource::Legacy)
                layerNotFound(img, index, name, l);
            if (l.member >= 0)
                checkLayerLinkHops(index, name, l);
            if (l.member >= 0 && !l.mediaType.isEmpty())
                checkMediaType(index, name, l);
            if (img.ociManifest >= 0 && l.index < m_ia.oci.manifests.at(img.ociManifest).layers.size()) {
                // The descriptor describes the blob its own digest names, whatever manifest.json says.
                const Descriptor &d = m_ia.oci.manifests.at(img.ociManifest).layers.at(l.index);
                QStringList ignored;
                const Archive::Resolved blob = m_ar.resolve(blobPathForDigest(d.digest, {}, &ignored));
                if (blob.index >= 0 && d.size >= 0 && d.size != m_ar.member(blob.index).size) {
                    Finding &f = add("blob-size-mismatch", Severity::Error,
                        QStringLiteral("%1 layer %2: the descriptor says %3 bytes, %4 has %5")
                            .arg(name)
                            .arg(l.index)
                            .arg(d.size)
                            .arg(blob.path)
                            .arg(m_ar.member(blob.index).size));
                    f.image = index;
                    f.layers << l.index;
                    f.members << blob.path;
                }
            }
        }
        for (auto it = byDiff.begin(); usable && it != byDiff.end(); ++it) {
            if (it.value().size() < 2)
                continue;
            QStringList positions;
            for (int p : it.value())
                positions << QString::number(p);
            Finding &f = add("duplicate-layer", Severity::Info,
                QStringLiteral("%1: layers %2 are the same layer %3")
                    .arg(name, positions.join(QStringLiteral(", ")), shortDigest(it.key())));
            f.image = index;
            f.layers = it.value();
        }
        if (img.source == ImageSource::Manifest) {
            m_view = View::Legacy; // the chain is compared with manifest.json, but only legacy mode reads it
            checkChain(img, index, name);
        }
    }

    void checkHistory(const Image &img, int index, const QString &name)
    {
        const ImageConfig &c = *img.config;
        if (c.history.isEmpty())
            return;
        int nonEmpty = 0;
        for (const HistoryEntry &h : c.history)
            nonEmpty += h.emptyLayer ? 0 : 1;
        if (nonEmpty == c.diffIds.size())
            return;
        const bool more = nonEmpty > c.diffIds.size();
        Finding &f = add("history-mismatch", more ? Severity::Error : Severity::Warning,
            QStringLiteral("%1: %2 history entries describe layers, but the image has %3")
                .arg(name)
                .arg(nonEmpty)
                .arg(c.diffIds.size()));
        f.image = index;
        if (!more) // Docker's history check (image/tarexport/load.go via image.NewFromJSON) only counts an excess
            f.outcomes[int(LoaderFamily::DockerClassic)] = Outcome {};
        f.members << img.configPath;
    }

    void layerNotFound(const Image &img, int index, const QString &name, const ImageLayer &l)
    {
        if (!l.path.isEmpty() && isUnsafe(l.path))
            return; // unsafe-path
        if (l.path.isEmpty() && img.source == ImageSource::Manifest
            && l.index >= m_ia.manifest.entries.at(img.manifestEntry).layers.size())
            return; // more diff IDs than layers: layer-count-mismatch
        if (img.source == ImageSource::Oci && img.ociManifest >= 0
            && l.index >= m_ia.oci.manifests.at(img.ociManifest).layers.size())
            return;
        const Archive::Resolved r = l.path.isEmpty() ? Archive::Resolved {} : m_ar.resolve(l.path);
        if (!l.path.isEmpty()
            && (r.hops > 0 || isLink(l.path) || r.error.contains(u"loop") || r.error.contains(u"outside"))) {
            Finding &f = add("symlink-unresolved", Severity::Error,
                QStringLiteral("%1 layer %2: %3").arg(name).arg(l.index).arg(r.error));
            f.image = index;
            f.layers << l.index;
            f.members << l.path;
            return;
        }
        bool foreign = false;
        if (img.ociManifest >= 0 && l.index < m_ia.oci.manifests.at(img.ociManifest).layers.size())
            foreign = !m_ia.oci.manifests.at(img.ociManifest).layers.at(l.index).urls.isEmpty();
        Finding &f = add("layer-missing", foreign ? Severity::Info : Severity::Error,
            l.path.isEmpty() ? QStringLiteral("%1 layer %2: no layer file is named").arg(name).arg(l.index)
                : !m_ar.unlistedFolderOf(l.path).isEmpty()
                ? QStringLiteral("%1 layer %2: \"%3\" cannot be found: %4")
                      .arg(name)
                      .arg(l.index)
                      .arg(l.path, m_ar.unlistedFolderOf(l.path))
                : QStringLiteral("%1 layer %2: \"%3\" is not in the archive").arg(name).arg(l.index).arg(l.path),
            foreign ? QStringLiteral("The descriptor lists URLs: a non-distributable layer, fetched from there.")
                    : QString());
        f.image = index;
        f.layers << l.index;
        if (!l.path.isEmpty())
            f.members << l.path;
        if (foreign) // containers/image leaves a layer with URLs to be fetched when the image is pushed
            f.outcome(LoaderFamily::Podman, Verdict::Loads);
        if (l.path.isEmpty()) // Docker opens the unpacked folder itself as the layer
            f.outcome(LoaderFamily::DockerClassic, Verdict::Refuses, QStringLiteral("is a directory"));
    }

    void checkLayerLinkHops(int index, const QString &name, const ImageLayer &l)
    {
        const Archive::Resolved r = m_ar.resolve(l.path);
        if (r.hops <= 1)
            return;
        Finding &f = add("symlink-unresolved", Severity::Warning,
            QStringLiteral("%1 layer %2: \"%3\" reaches %4 through %5 links")
                .arg(name)
                .arg(l.index)
                .arg(l.path, r.path)
                .arg(r.hops),
            QStringLiteral("containerd's importer follows a single link, so it will not find this layer; Docker and "
                           "podman resolve the whole chain (docs/loaders.md: symlink-unresolved-hops)."));
        f.image = index;
        f.outcomes.fill(Outcome {});
        f.containerdOutcome(Verdict::Refuses, QStringLiteral("no target for symlink layer"));
        f.layers << l.index;
        f.members << l.path << r.path;
    }

    void checkMediaType(int index, const QString &name, const ImageLayer &l)
    {
        const QString mt = l.mediaType;
        Compression said = Compression::Unknown;
        if (mt.endsWith(u"+gzip") || mt.endsWith(u".tar.gzip"))
            said = Compression::Gzip;
        else if (mt.endsWith(u"+zstd") || mt.endsWith(u".tar.zstd"))
            said = Compression::Zstd;
        else if (mt.endsWith(u".tar") || mt.endsWith(u"layer.v1.tar"))
            said = Compression::None;
        if (said == Compression::Unknown || l.compression == Compression::Unknown || said == l.compression)
            return;
        Finding &f = add("media-type-mismatch", Severity::Warning,
            QStringLiteral("%1 layer %2: media type %3 says %4, the bytes are %5")
                .arg(name)
                .arg(l.index)
                .arg(mt, compressionName(said), compressionName(l.compression)),
            mt.startsWith(u"application/vnd.docker") && l.compression == Compression::None
                ? QStringLiteral("containers/image's docker-archive source labels the uncompressed layers it serves "
                                 "as .tar.gzip (containers/image#1270).")
                : QString());
        f.image = index;
        f.layers << l.index;
        f.members << l.resolvedPath;
    }

    // ---- L against M ----
    /// The legacy dirs that store a layer: the directory of its own path, or every dir whose
    /// layer.tar resolves to the same file.
    QSet<QString> dirsStoring(const ImageLayer &l) const
    {
        QSet<QString> dirs;
        const QStringList parts = l.path.split(u'/');
        if (parts.size() == 2 && parts.at(1) == u"layer.tar" && m_ia.legacy.layer(parts.at(0))) {
            dirs.insert(parts.at(0));
            return dirs;
        }
        for (const LegacyLayer &d : m_ia.legacy.layers)
            if (l.member >= 0 && d.layerMember == l.member)
                dirs.insert(d.id);
        return dirs;
    }

    void checkChain(const Image &img, int index, const QString &name)
    {
        const LegacyView &legacy = m_ia.legacy;
        if (legacy.layers.isEmpty() || img.legacyTop.isEmpty() || !legacy.layer(img.legacyTop))
            return;
        const LegacyChain chain = walkLegacyChain(legacy, img.legacyTop);
        if (!chain.missingParent.isEmpty() || !chain.cycleAt.isEmpty())
            return; // dangling-parent / parent-cycle say it, with why
        QStringList bottomUp = chain.ids;
        std::reverse(bottomUp.begin(), bottomUp.end());
        if (bottomUp.size() != img.layers.size()) {
            Finding &f = add("chain-length-mismatch", Severity::Warning,
                QStringLiteral("%1: the legacy chain from %2 has %3 layers, manifest.json %4")
                    .arg(name, img.legacyTop.left(12))
                    .arg(bottomUp.size())
                    .arg(img.layers.size()));
            f.image = index;
            return;
        }
        QList<int> off;
        for (int i = 0; i < bottomUp.size(); ++i) {
            const QSet<QString> dirs = dirsStoring(img.layers.at(i));
            if (!dirs.isEmpty() && !dirs.contains(bottomUp.at(i))) // a missing layer is layer-missing's
                off << i;
        }
        if (off.isEmpty())
            return;
        QStringList where;
        for (int i : off)
            where << QStringLiteral("position %1: chain has %2").arg(i).arg(bottomUp.at(i).left(12));
        Finding &f = add("chain-order-mismatch", Severity::Warning,
            QStringLiteral(
                "%1: the legacy chain, read bottom to top, does not match manifest.json's layers at %2 position(s)")
                .arg(name)
                .arg(off.size()),
            where.join(u'\n'));
        f.image = index;
        f.layers = off;
    }

    // ---- L alone ----
    void legacyLevel()
    {
        const LegacyView &legacy = m_ia.legacy;
        if (!legacy.present)
            return;
        const Severity sev = legacySeverity();
        QStringList badVersion;
        QHash<QString, QStringList> children;
        for (const LegacyLayer &l : legacy.layers) {
            if (!l.hasVersion || l.version != u"1.0")
                badVersion << l.id;
            if (!l.jsonId.isEmpty() && l.jsonId != l.id) {
                Finding &f = add("legacy-id-mismatch", hasManifest() ? Severity::Info : Severity::Warning,
                    QStringLiteral("legacy dir %1 has json id %2").arg(l.id.left(12), l.jsonId.left(12)));
                f.members << l.id + QStringLiteral("/json");
            }
            if (!l.parent.isEmpty())
                children[l.parent] << l.id;
            if (!l.parent.isEmpty() && !legacy.layer(l.parent))
                danglingParent(l, sev);
        }
        if (!badVersion.isEmpty()) {
            Finding &f = add("legacy-version-invalid", Severity::Info,
                QStringLiteral("%1 legacy layer dir(s) without a VERSION of 1.0: %2")
                    .arg(badVersion.size())
                    .arg(shortList(badVersion)));
            for (const QString &id : badVersion)
                f.members << id + QStringLiteral("/VERSION");
        }
        // Cycles: each dir is walked once (a walk stops where an earlier one passed), so a
        // chain of 100,000 links costs 100,000 steps, not 100,000 walks. Each loop is reported once.
        QHash<QString, int> walkOf; // the walk that first reached a dir
        int walk = 0;
        for (const LegacyLayer &l : legacy.layers) {
            ++walk;
            QStringList path;
            QString current = l.id;
            while (!current.isEmpty() && legacy.layer(current) && !walkOf.contains(current)) {
                walkOf.insert(current, walk);
                path.append(current);
                current = legacy.layer(current)->parent;
            }
            if (current.isEmpty() || walkOf.value(current) != walk)
                continue; // ended at a root, a missing dir, or a dir an earlier walk covered
            QStringList loop = path.mid(path.indexOf(current));
            QStringList shortLoop;
            for (const QString &id : loop)
                shortLoop << id.left(12);
            Finding &f = add("parent-cycle", sev,
                QStringLiteral("the parent links loop: %1 → %2")
                    .arg(shortLoop.join(QStringLiteral(" → ")), current.left(12)));
            for (const QString &id : loop)
                f.members << id + QStringLiteral("/json");
        }
        // Forks.
        QSet<QString> onTaggedChain;
        for (const RepositoryTag &t : legacy.repositories)
            for (QString id = t.id; legacy.layer(id) && !onTaggedChain.contains(id); id = legacy.layer(id)->parent)
                onTaggedChain.insert(id);
        QSet<QString> usedByM = legacyDirsUsedByManifest();
        for (auto it = children.begin(); it != children.end(); ++it) {
            if (it.value().size() < 2 || !legacy.layer(it.key()))
                continue;
            bool allUsed = true;
            for (const QString &child : it.value())
                allUsed = allUsed && (onTaggedChain.contains(child) || usedByM.contains(child));
            QStringList kids = it.value();
            kids.sort();
            Finding &f = add("chain-fork", allUsed ? Severity::Info : Severity::Warning,
                QStringLiteral("%1 legacy layers name %2 as parent: %3")
                    .arg(kids.size())
                    .arg(it.key().left(12), shortList(kids)),
                allUsed ? QStringLiteral("Every branch belongs to an image of this archive: images sharing a base.")
                        : QStringLiteral("A branch belongs to no tagged image."));
            for (const QString &k : kids)
                f.members << k + QStringLiteral("/json");
        }
        repositoriesVsTags();
    }

    QSet<QString> legacyDirsUsedByManifest() const
    {
        QSet<QString> used;
        for (const Image &img : m_ia.images)
            if (img.source == ImageSource::Manifest)
                for (const ImageLayer &l : img.layers)
                    used.unite(dirsStoring(l));
        return used;
    }

    static QString shortList(const QStringList &ids)
    {
        QStringList s;
        for (const QString &id : ids)
            s << id.left(12);
        return s.join(QStringLiteral(", "));
    }

    void danglingParent(const LegacyLayer &l, Severity sev)
    {
        QString specific;
        int image = -1;
        for (int i = 0; i < m_ia.images.size(); ++i) {
            const Image &img = m_ia.images.at(i);
            if (!img.layers.isEmpty() && img.layers.constLast().legacyId == l.id)
                image = i;
        }
        bool namesAConfig = false;
        for (const ManifestEntry &e : m_ia.manifest.entries)
            namesAConfig = namesAConfig || e.config.digest.mid(7) == l.parent;
        bool lowerHaveNoLegacy = image >= 0;
        if (image >= 0) {
            const Image &img = m_ia.images.at(image);
            for (int i = 0; i + 1 < img.layers.size(); ++i)
                lowerHaveNoLegacy = lowerHaveNoLegacy && img.layers.at(i).legacyId.isEmpty();
        }
        if (image >= 0 && lowerHaveNoLegacy && isHex64(l.parent) && m_ia.images.at(image).layers.size() > 1) {
            specific = QStringLiteral("This is what nixpkgs' dockerTools.buildImage has written since December 2018 "
                                      "(commit c88337c9, PR #51528) "
                                      "when its fromImage is an image with no legacy chain, such as one from "
                                      "buildLayeredImage: it takes \"parent\" "
                                      "from the base image's config file name — the base image ID, %1 — not from a "
                                      "layer. The base layers below are "
                                      "listed in manifest.json without any <id>/json, so the chain stops after one "
                                      "layer while manifest.json is "
                                      "correct. Loaders that read manifest.json are unaffected.")
                           .arg(l.parent.left(12));
        } else if (namesAConfig) {
            specific = QStringLiteral(
                "The parent %1 is an image ID (the digest of a config in this archive), not a layer ID.")
                           .arg(l.parent.left(12));
        }
        Finding &f = add("dangling-parent", sev,
            QStringLiteral("legacy layer %1 names parent %2, which is not in the archive")
                .arg(l.id.left(12), l.parent.left(12)),
            specific);
        f.image = image;
        if (image >= 0)
            f.layers << int(m_ia.images.at(image).layers.size() - 1);
        f.members << l.id + QStringLiteral("/json");
    }

    void repositoriesVsTags()
    {
        const LegacyView &legacy = m_ia.legacy;
        if (!legacy.hasRepositories)
            return;
        if (!hasManifest()) {
            for (const RepositoryTag &t : legacy.repositories) {
                if (!legacy.layer(t.id)) {
                    Finding &f = add("repositories-mismatch", Severity::Error,
                        QStringLiteral("repositories tags %1 with %2, which is no layer directory")
                            .arg(t.reference(), t.id.left(12)));
                    f.members << QStringLiteral("repositories");
                    f.outcome(LoaderFamily::DockerClassic, Verdict::Refuses, QStringLiteral("invalid target ID"));
                }
            }
            return;
        }
        QSet<QString> repoTags, manifestTags;
        for (const RepositoryTag &t : legacy.repositories)
            repoTags.insert(familiarReference(t.reference()));
        for (const ManifestEntry &e : m_ia.manifest.entries)
            for (const QString &t : e.repoTags)
                manifestTags.insert(familiarReference(t));
        if (repoTags != manifestTags) {
            QStringList onlyRepo(QStringList(repoTags.begin(), repoTags.end())),
                onlyManifest(QStringList(manifestTags.begin(), manifestTags.end()));
            for (const QString &t : manifestTags)
                onlyRepo.removeAll(t);
            for (const QString &t : repoTags)
                onlyManifest.removeAll(t);
            onlyRepo.sort();
            onlyManifest.sort();
            Finding &f = add("repositories-mismatch", Severity::Warning,
                QStringLiteral("repositories and manifest.json tag different things: only in repositories: %1; only in "
                               "RepoTags: %2")
                    .arg(onlyRepo.isEmpty() ? QStringLiteral("none") : onlyRepo.join(QStringLiteral(", ")),
                        onlyManifest.isEmpty() ? QStringLiteral("none") : onlyManifest.join(QStringLiteral(", "))));
            f.members << QStringLiteral("repositories") << QStringLiteral("manifest.json");
        }
        for (int i = 0; i < m_ia.images.size(); ++i) {
            const Image &img = m_ia.images.at(i);
            if (img.source != ImageSource::Manifest || img.layers.isEmpty())
                continue;
            const ImageLayer &top = img.layers.constLast();
            for (const RepositoryTag &t : legacy.repositories) {
                bool mine = false;
                for (const QString &tag : img.tags)
                    mine = mine || familiarReference(tag) == familiarReference(t.reference());
                if (!mine || t.id == top.legacyId)
                    continue;
                const bool docker25 = top.diffId.mid(7) == t.id;
                Finding &f = add("repositories-mismatch", docker25 ? Severity::Info : Severity::Warning,
                    QStringLiteral(
                        "repositories tags %1 with %2, which is not the legacy dir of the image's top layer%3")
                        .arg(t.reference(), t.id.left(12),
                            top.legacyId.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(top.legacyId.left(12))),
                    docker25 ? QStringLiteral("It is the top layer's diff ID: Docker 25–28 write repositories this way "
                                              "although there are no legacy directories any more.")
                             : QString());
                f.image = i;
                f.members << QStringLiteral("repositories");
            }
        }
    }

    // ---- across images ----
    void crossImage()
    {
        QHash<int, QSet<QString>> diffsByMember;
        for (const Image &img : m_ia.images)
            for (const ImageLayer &l : img.layers)
                if (l.member >= 0 && !l.diffId.isEmpty())
                    diffsByMember[l.member].insert(l.diffId);
        for (auto it = diffsByMember.begin(); it != diffsByMember.end(); ++it) {
            if (it.value().size() < 2)
                continue;
            QStringList ids;
            for (const QString &d : it.value())
                ids << shortDigest(d);
            ids.sort();
            Finding &f = add("layer-path-conflict", Severity::Error,
                QStringLiteral("%1 is used for %2 different diff IDs: %3")
                    .arg(m_ar.member(it.key()).path)
                    .arg(ids.size())
                    .arg(ids.join(QStringLiteral(", "))));
            f.members << m_ar.member(it.key()).path;
        }
        // Legacy json against the config it would become in legacy mode.
        for (int i = 0; i < m_ia.images.size(); ++i) {
            const Image &img = m_ia.images.at(i);
            if (img.source == ImageSource::Legacy || !img.config || img.layers.isEmpty())
                continue;
            // What legacy mode would load: the chain's top (the repositories id), else the dir
            // storing the top layer.
            const LegacyLayer *top = m_ia.legacy.layer(img.legacyTop);
            if (!top)
                top = m_ia.legacy.layer(img.layers.constLast().legacyId);
            if (!top)
                continue;
            const QString name = img.tags.isEmpty() ? QStringLiteral("image %1").arg(i) : img.tags.constFirst();
            {
                // A top json without "config" would give an image with no settings at all.
                const QJsonObject a = top->json.value(QStringLiteral("config")).toObject();
                const QJsonObject b = img.config->config;
                QStringList differ;
                for (const char *k : { "Cmd", "Entrypoint", "Env", "WorkingDir", "User", "ExposedPorts", "Volumes",
                         "Labels", "StopSignal" }) {
                    const QString key = QString::fromLatin1(k);
                    if (!sameSetting(a.value(key), b.value(key)))
                        differ << key;
                }
                if (!differ.isEmpty()) {
                    m_view = View::Legacy;
                    Finding &f = add("legacy-config-mismatch", Severity::Warning,
                        QStringLiteral("%1: the top legacy json's %2 differ from the image config")
                            .arg(name, differ.join(QStringLiteral(", "))));
                    f.image = i;
                    f.layers << int(img.layers.size() - 1);
                    f.members << top->id + QStringLiteral("/json") << img.configPath;
                }
            }
            QStringList platform;
            if (!top->platform.os.isEmpty() && top->platform.os != img.config->platform.os)
                platform << QStringLiteral("os %1 vs %2").arg(top->platform.os, img.config->platform.os);
            if (!top->platform.architecture.isEmpty()
                && top->platform.architecture != img.config->platform.architecture)
                platform << QStringLiteral("architecture %1 vs %2")
                                .arg(top->platform.architecture, img.config->platform.architecture);
            if (!platform.isEmpty()) {
                m_view = View::Legacy;
                Finding &f = add("legacy-platform-mismatch", Severity::Warning,
                    QStringLiteral("%1: the top legacy json says %2").arg(name, platform.join(QStringLiteral(", "))));
                f.image = i;
                f.members << top->id + QStringLiteral("/json") << img.configPath;
            }
        }
    }

    static bool isEmptySetting(const QJsonValue &v)
    {
        return v.isUndefined() || v.isNull() || (v.isString() && v.toString().isEmpty())
            || (v.isArray() && v.toArray().isEmpty()) || (v.isObject() && v.toObject().isEmpty());
    }
    static bool sameSetting(const QJsonValue &a, const QJsonValue &b)
    {
        if (isEmptySetting(a) && isEmptySetting(b))
            return true;
        return a == b;
    }

    // ---- what nothing uses ----
    void orphans()
    {
        const LegacyView &legacy = m_ia.legacy;
        if (!legacy.layers.isEmpty() && (legacy.hasRepositories || hasManifest())) {
            QSet<QString> reached = legacyDirsUsedByManifest();
            for (const RepositoryTag &t : legacy.repositories)
                for (const QString &id : walkLegacyChain(legacy, t.id).ids)
                    reached.insert(id);
            QStringList orphaned;
            for (const LegacyLayer &l : legacy.layers)
                if (!reached.contains(l.id))
                    orphaned << l.id;
            if (!orphaned.isEmpty()) {
                m_view = View::Legacy;
                Finding &f = add("orphan-layer", Severity::Info,
                    QStringLiteral("%1 legacy layer dir(s) belong to no tagged chain and no image: %2")
                        .arg(orphaned.size())
                        .arg(shortList(orphaned)));
                for (const QString &id : orphaned)
                    f.members << id + QStringLiteral("/json");
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
                && (head.contains("\"layer_id\"") || head.contains("\"container_config\"")
                    || head.contains("\"parent\"") || head.contains("\"id\"")))
                ++legacyJson;
        }
        if (!orphaned.isEmpty()) {
            m_view = View::Oci;
            Finding &f = add("orphan-layer", Severity::Info,
                QStringLiteral("%1 blob(s) nothing references").arg(orphaned.size()),
                legacyJson
                    ? QStringLiteral("%1 of them look like legacy v1 layer json, which Docker 25–28 write this way.")
                          .arg(legacyJson)
                    : QString());
            f.members = orphaned;
        }
    }

    const ImageArchive &m_ia;
    const Archive &m_ar;
    QList<Finding> m_findings;
    bool m_indexInvalid = false;
    View m_view = View::Archive;
};

} // namespace

QList<Finding> checkArchive(const ImageArchive &ia)
{
    if (!ia.archive)
        return {};
    QList<Finding> findings = Checker(ia).run();
    deriveSeverities(ia, findings);
    return findings;
}

} // namespace lamina
