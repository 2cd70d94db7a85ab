// SPDX-License-Identifier: MIT
// Checks of each image's layers, whichever view describes the image, and of what images share.
#include "check/checker_p.h"

#include "format/inspectreport.h"

#include <QHash>
#include <QJsonArray>
#include <QSet>

namespace lamina {

namespace {

bool isEmptySetting(const QJsonValue &v)
{
    return v.isUndefined() || v.isNull() || (v.isString() && v.toString().isEmpty())
        || (v.isArray() && v.toArray().isEmpty()) || (v.isObject() && v.toObject().isEmpty());
}

bool sameSetting(const QJsonValue &a, const QJsonValue &b)
{
    if (isEmptySetting(a) && isEmptySetting(b))
        return true;
    return a == b;
}

} // namespace

// ---- per image: layers ----
void Checker::imageLevel(int index)
{
    const Image &img = m_ia.images.at(index);
    const QString name = imageName(img, index);
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

void Checker::checkHistory(const Image &img, int index, const QString &name)
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

void Checker::layerNotFound(const Image &img, int index, const QString &name, const ImageLayer &l)
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

void Checker::checkLayerLinkHops(int index, const QString &name, const ImageLayer &l)
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
        QStringLiteral("containerd's importer resolves each link once, visiting the archive's links in Go's random "
                       "map order: it finds this layer only on a run that happens to visit them from the last hop "
                       "back, so it refuses on most runs and may load on another. Docker and podman resolve the "
                       "whole chain (docs/formats.md §4.3, docs/loaders.md: symlink-unresolved-hops)."));
    f.image = index;
    f.outcomes.fill(Outcome {});
    f.containerdOutcome(Verdict::Refuses, QStringLiteral("no target for symlink layer"));
    f.layers << l.index;
    f.members << l.path << r.path;
}

void Checker::checkMediaType(int index, const QString &name, const ImageLayer &l)
{
    const QString mt = l.mediaType;
    const Compression said = compressionClaimedBy(mt);
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

// ---- across images ----
void Checker::crossImage()
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
        const QString name = imageName(img, i);
        {
            // A top json without "config" would give an image with no settings at all.
            const QJsonObject a = legacyConfigOf(*m_ia.archive, *top);
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
        if (!top->platform.architecture.isEmpty() && top->platform.architecture != img.config->platform.architecture)
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

} // namespace lamina
