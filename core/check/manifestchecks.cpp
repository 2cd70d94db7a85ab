// SPDX-License-Identifier: MIT
// Checks of manifest.json (the M view) and of image configs, which the OCI view shares.
#include "check/checker_p.h"

#include "format/inspectreport.h"
#include "format/json.h"

#include <QJsonArray>
#include <QRegularExpression>

namespace lamina {

void Checker::manifestLevel()
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
        add("multiple-images", Severity::Info, QStringLiteral("manifest.json lists %1 images").arg(m.entries.size()));
    static const QRegularExpression tagRe(
        QStringLiteral("^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-"
                       "Z0-9])?))*(?::[0-9]+)?/)?"
                       "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
                       ":[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"));
    for (const ManifestEntry &e : m.entries) {
        for (const QString &tag : e.repoTags) {
            if (!tagRe.match(tag).hasMatch()) {
                Finding &f = add("invalid-tag", Severity::Error,
                    QStringLiteral("manifest.json entry %1: \"%2\" is not a name:tag reference").arg(e.index).arg(tag),
                    tag.contains(u'@')                          ? QStringLiteral("A digest reference cannot be a tag.")
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
        checkConfig(e.config, imageOfEntry(e.index), QStringLiteral("manifest.json entry %1").arg(e.index), true, {});
        checkParent(e);
        checkLayerSources(e);
    }
}

/// Shared by M and O: presence, JSON, shape, types, claimed digest.
void Checker::checkConfig(
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
            f.outcome(LoaderFamily::Containerd, Verdict::Refuses).outcome(LoaderFamily::Containerd2, Verdict::Refuses);
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

void Checker::checkConfigTypes(const ImageConfig &cfg, int image, const QString &member)
{
    QStringList wrong;
    auto expect
        = [&](const QJsonObject &o, const QString &key, const QString &field, QJsonValue::Type type, bool stringsOnly) {
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

void Checker::checkParent(const ManifestEntry &e)
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

void Checker::checkLayerSources(const ManifestEntry &e)
{
    if (e.layerSources.isEmpty())
        return;
    const int image = imageOfEntry(e.index);
    const QStringList diffIds = e.config.config ? e.config.config->diffIds : QStringList();
    for (auto it = e.layerSources.begin(); it != e.layerSources.end(); ++it) {
        const qsizetype pos = diffIds.indexOf(it.key());
        if (pos < 0) {
            add("layer-sources-inconsistent", Severity::Warning,
                QStringLiteral("manifest.json entry %1: LayerSources describes %2, which is no diff ID of the image")
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
                QStringLiteral("manifest.json entry %1: LayerSources gives layer %2 %3 bytes, the stored file has %4")
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

} // namespace lamina
