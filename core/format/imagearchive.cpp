// SPDX-License-Identifier: MIT
// Joining the three views into images (docs/formats.md §7: images by config digest, layers by
// position and file).
#include "format/imagearchive.h"

#include "engine/enginesource.h"
#include "engine/registrysource.h"
#include "util/sha256.h"

#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QSet>

namespace lamina {

QString layoutName(Layout l)
{
    switch (l) {
    case Layout::DockerLegacy:
        return QStringLiteral("docker-legacy");
    case Layout::DockerManifest:
        return QStringLiteral("docker-manifest");
    case Layout::DockerOci:
        return QStringLiteral("docker-oci");
    case Layout::OciLayout:
        return QStringLiteral("oci-layout");
    case Layout::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

/// The digest a stored blob's name claims: `blobs/<alg>/<hex>`, or a root-level `<hex>.tar`,
/// `<hex>.tar.gz`, `<hex>.tar.zst` as written by containers/image and go-containerregistry.
/// Docker ≤ 24's `<v1id>/layer.tar` claims nothing (a v1 ID is not a digest, docs/formats.md §3.3).
QString digestClaimedByName(const QString &path)
{
    static const QRegularExpression blob(QStringLiteral("^blobs/(sha256|sha512)/([0-9a-f]+)$"));
    static const QRegularExpression file(QStringLiteral("^([0-9a-f]{64})\\.(tar|tar\\.gz|tar\\.zst|tar\\.zstd|json)$"));
    static const QRegularExpression prefixed(QStringLiteral("^sha256:([0-9a-f]{64})$"));
    if (auto m = blob.match(path); m.hasMatch())
        return m.captured(1) + u':' + m.captured(2);
    if (auto m = file.match(path); m.hasMatch())
        return QStringLiteral("sha256:") + m.captured(1);
    if (auto m = prefixed.match(path); m.hasMatch())
        return path;
    return {};
}

/// Familiar and fully qualified Docker Hub names denote the same repository
/// (`busybox` ≡ `docker.io/library/busybox`), so compare references in their short form.
QString familiarReference(QString ref)
{
    for (const QString &prefix : { QStringLiteral("docker.io/library/"), QStringLiteral("index.docker.io/library/"),
             QStringLiteral("docker.io/"), QStringLiteral("index.docker.io/") }) {
        if (ref.startsWith(prefix))
            return ref.mid(prefix.size());
    }
    return ref;
}

namespace {

ImageLayer makeLayer(const Archive &ar, int index, const QString &path)
{
    ImageLayer l;
    l.index = index;
    l.path = path;
    if (path.isEmpty()) {
        l.error = QStringLiteral("no layer file is named for this position");
        return l;
    }
    const Archive::Resolved r = ar.resolve(path);
    if (r.index < 0) {
        l.error = r.error;
        l.digest = digestClaimedByName(path);
        return l;
    }
    l.member = r.index;
    l.resolvedPath = r.path;
    const Member &m = ar.member(r.index);
    l.size = m.size;
    l.compression = ar.compressionOf(r.index);
    l.digest = digestClaimedByName(r.path);
    return l;
}

QString directLegacyId(const LegacyView &legacy, const QString &path)
{
    const QStringList parts = path.split(u'/');
    if (parts.size() == 2 && parts.at(1) == u"layer.tar" && legacy.layer(parts.at(0)))
        return parts.at(0);
    return {};
}

/// Gives each layer of a manifest image the legacy directory that stores it: along the chain
/// walked from the tagged top when that chain lines up with the layers, otherwise from the layer
/// path's own directory or the only directory whose layer.tar resolves to the same file.
void alignLegacy(const ImageArchive &ia, Image &img)
{
    const LegacyView &legacy = ia.legacy;
    if (!legacy.present)
        return;
    QString top;
    for (const QString &tag : std::as_const(img.tags)) {
        for (const RepositoryTag &rt : legacy.repositories) {
            if (familiarReference(rt.reference()) == familiarReference(tag)) {
                top = rt.id;
                break;
            }
        }
        if (!top.isEmpty())
            break;
    }
    if (top.isEmpty() && !img.layers.isEmpty())
        top = directLegacyId(legacy, img.layers.constLast().path);
    if (top.isEmpty() && !img.layers.isEmpty()) {
        const int member = img.layers.constLast().member;
        QStringList candidates;
        for (const LegacyLayer &l : legacy.layers)
            if (member >= 0 && l.layerMember == member)
                candidates.append(l.id);
        if (candidates.size() == 1)
            top = candidates.constFirst();
    }
    if (!top.isEmpty()) {
        img.legacyTop = top;
        const LegacyChain chain = walkLegacyChain(legacy, top);
        img.legacyChainIds = chain.ids;
        for (int c = 0; c < legacy.chains.size(); ++c)
            if (legacy.chains.at(c).top == top)
                img.legacyChain = c;
    }
    QStringList bottomUp = img.legacyChainIds;
    std::reverse(bottomUp.begin(), bottomUp.end());
    const bool chainFits = bottomUp.size() == img.layers.size();
    for (int i = 0; i < img.layers.size(); ++i) {
        ImageLayer &layer = img.layers[i];
        const QString direct = directLegacyId(legacy, layer.path);
        if (chainFits) {
            const LegacyLayer *l = legacy.layer(bottomUp.at(i));
            if (direct == l->id || (layer.member >= 0 && l->layerMember == layer.member)) {
                layer.legacyId = l->id;
                continue;
            }
        }
        if (!direct.isEmpty()) {
            layer.legacyId = direct;
            continue;
        }
        QStringList candidates;
        for (const LegacyLayer &l : legacy.layers)
            if (layer.member >= 0 && l.layerMember == layer.member)
                candidates.append(l.id);
        if (candidates.size() == 1)
            layer.legacyId = candidates.constFirst();
    }
}

void fillFromOci(const OciManifest &m, Image &img)
{
    for (int i = 0; i < img.layers.size() && i < m.layers.size(); ++i) {
        ImageLayer &layer = img.layers[i];
        const Descriptor &d = m.layers.at(i);
        if (!d.mediaType.isEmpty())
            layer.mediaType = d.mediaType;
        if (!d.digest.isEmpty())
            layer.digest = d.digest;
        if (layer.member < 0 && d.size >= 0)
            layer.size = d.size;
        layer.descriptorSize = d.size;
    }
}

/// An image described by a config (manifest.json's or an OCI manifest's): its config, platform
/// and one layer per listed path or diff ID, whichever are more.
Image imageFromConfig(const Archive &ar, ImageSource source, const QString &configPath, const LoadedConfig &config,
    const QStringList &layerPaths)
{
    Image img;
    img.source = source;
    img.configPath = configPath;
    img.configDigest = config.digest;
    img.config = config.config;
    if (img.config)
        img.platform = img.config->platform;
    const QStringList diffIds = img.config ? img.config->diffIds : QStringList();
    const int n = int(std::max(layerPaths.size(), diffIds.size()));
    for (int i = 0; i < n; ++i) {
        ImageLayer l = makeLayer(ar, i, layerPaths.value(i));
        l.diffId = diffIds.value(i);
        img.layers.append(l);
    }
    return img;
}

Image imageFromManifest(const ImageArchive &ia, int entryIndex)
{
    const ManifestEntry &e = ia.manifest.entries.at(entryIndex);
    Image img = imageFromConfig(*ia.archive, ImageSource::Manifest, e.configPath, e.config, e.layers);
    img.manifestEntry = entryIndex;
    img.tags = e.repoTags;
    for (ImageLayer &l : img.layers) {
        // Docker 25+ describes every layer in LayerSources, keyed by diff ID (docs/formats.md §1.3).
        if (!l.diffId.isEmpty() && e.layerSources.contains(l.diffId)) {
            const QJsonObject d = e.layerSources.value(l.diffId).toObject();
            l.mediaType = d.value(QStringLiteral("mediaType")).toString();
            if (const QString digest = d.value(QStringLiteral("digest")).toString(); !digest.isEmpty())
                l.digest = digest;
        }
    }
    return img;
}

Image imageFromOci(const ImageArchive &ia, int manifestIndex)
{
    const OciManifest &m = ia.oci.manifests.at(manifestIndex);
    QStringList paths, ignored;
    for (const Descriptor &d : m.layers)
        paths << blobPathForDigest(d.digest, {}, &ignored);
    Image img = imageFromConfig(*ia.archive, ImageSource::Oci, m.config.path, m.config, paths);
    img.ociManifest = manifestIndex;
    if (!m.refName.isEmpty())
        img.tags.append(m.refName);
    if (img.platform.isEmpty() && m.descriptor.platform)
        img.platform = *m.descriptor.platform;
    fillFromOci(m, img);
    return img;
}

Image imageFromLegacy(const ImageArchive &ia, int chainIndex)
{
    const Archive &ar = *ia.archive;
    const LegacyChain &chain = ia.legacy.chains.at(chainIndex);
    Image img;
    img.source = ImageSource::Legacy;
    img.legacyChain = chainIndex;
    img.legacyTop = chain.top;
    img.legacyChainIds = chain.ids;
    img.tags = chain.tags;
    if (const LegacyLayer *top = ia.legacy.layer(chain.top))
        img.platform = top->platform;
    for (int i = int(chain.ids.size()) - 1; i >= 0; --i) {
        const LegacyLayer *l = ia.legacy.layer(chain.ids.at(i));
        ImageLayer layer = makeLayer(ar, int(img.layers.size()), l->layerPath);
        if (l->layerPath.isEmpty())
            layer.error = QStringLiteral("%1/layer.tar is not in the archive").arg(l->id);
        layer.legacyId = l->id;
        img.layers.append(layer);
    }
    return img;
}

} // namespace

// A compressed archive keeps metadata-looking members in memory while it is indexed (up to
// kMaxCapturedMetadataBytes), not yet knowing which the views will read. Once they have, only
// those are kept: a flood of JSON-looking members no view names costs nothing after opening.
static void releaseUnreferenced(const std::shared_ptr<const Archive> &archive, const ImageArchive &ia)
{
    QSet<int> keep;
    for (const LegacyLayer &l : ia.legacy.layers)
        keep << l.jsonMember;
    keep << ia.legacy.repositoriesMember << ia.manifest.member;
    for (const ManifestEntry &e : ia.manifest.entries)
        keep << e.config.member;
    for (const OciIndex &i : ia.oci.indexes)
        keep << i.member;
    for (const OciManifest &m : ia.oci.manifests)
        keep << m.member << m.config.member;
    for (const char *name : { "oci-layout", "index.json", "manifest.json", "repositories" })
        keep << archive->find(QLatin1String(name));
    // Not yet shared: the opener alone holds the archive it made.
    std::const_pointer_cast<Archive>(archive)->releaseCaptured(keep);
}

QString shownName(const QString &path)
{
    return isImageReference(path) ? path : QFileInfo(path).fileName();
}

ImageArchive openImageArchive(
    const QString &path, const Progress &progress, const RegistryOptions &registry, const Archive::StreamTap &tap)
{
    ImageArchive ia;
    ia.path = path;
    QString fileName = QFileInfo(path).fileName();
    QString file = path;
    const std::optional<EngineReference> engineImage = parseEngineReference(path);
    if (engineImage) {
        // An engine's image: saved into Lamina's cache, then read as the archive it is; the path
        // stays the reference, so that opening it again asks the engine again (docs/engines.md).
        const EngineSaved saved = saveFromEngine(*engineImage, engineCacheFolder(), progress);
        if (saved.file.isEmpty()) {
            ia.errors.append(saved.error);
            ia.cancelled = progress.cancelled();
            return ia;
        }
        file = saved.file;
        fileName = path;
        ia.origin = saved.how;
    }
    const std::optional<RegistryReference> registryImage = parseRegistryReference(path);
    RegistryPulled pulled;
    if (registryImage) {
        // A registry's image: laid out as an OCI image layout in Lamina's cache, its layers
        // linked from the blob cache, and read as that folder (docs/engines.md, "Registries").
        RegistryOptions lazily = registry;
        lazily.deferLayers = true;
        pulled = pullFromRegistry(*registryImage, registryCacheFolder(), lazily, progress);
        if (pulled.folder.isEmpty()) {
            ia.errors.append(pulled.error);
            ia.cancelled = progress.cancelled();
            return ia;
        }
        file = pulled.folder;
        fileName = path;
        ia.origin = pulled.how;
    }
    Archive::OpenResult opened = Archive::open(file, progress, pulled.deferred, tap);
    if (engineImage) {
        if (opened.archive)
            std::const_pointer_cast<Archive>(opened.archive)->removeWhenClosed();
        else
            QFile::remove(file);
    }
    if (registryImage) {
        if (opened.archive)
            std::const_pointer_cast<Archive>(opened.archive)->closeWith(holdPulledLayout(file));
        else
            removePulledLayout(file);
    }
    if (!opened.archive) {
        ia.errors.append(opened.error);
        ia.cancelled = progress.cancelled();
        return ia;
    }
    ia.archive = opened.archive;
    const Archive &ar = *ia.archive;
    ia.cancelled = ar.cancelled();

    QStringList errors = ar.problems();
    ia.legacy = readLegacyView(ar);
    errors += ia.legacy.problems;
    ia.manifest = readManifestView(ar);
    errors += ia.manifest.problems;
    for (const ManifestEntry &e : std::as_const(ia.manifest.entries))
        errors += e.config.problems;
    ia.oci = readOciView(ar);
    errors += ia.oci.problems;
    for (const OciManifest &m : std::as_const(ia.oci.manifests))
        errors += m.config.problems;
    releaseUnreferenced(opened.archive, ia);

    if (ia.manifest.present)
        ia.layout = ia.oci.present ? Layout::DockerOci : Layout::DockerManifest;
    else if (ia.oci.present)
        ia.layout = Layout::OciLayout;
    else if (ia.legacy.present)
        ia.layout = Layout::DockerLegacy;

    // M first (what Docker's classic store, podman, skopeo and ggcr load), then O images that M
    // does not describe (other platforms of an index, OCI-only archives), and L alone only when
    // neither describes an image.
    QSet<QString> configsSeen;
    for (int i = 0; i < ia.manifest.entries.size(); ++i) {
        Image img = imageFromManifest(ia, i);
        for (int o = 0; o < ia.oci.manifests.size(); ++o) {
            const OciManifest &m = ia.oci.manifests.at(o);
            if (m.isImage && !img.configDigest.isEmpty()
                && (m.config.digest == img.configDigest || m.configDescriptor.digest == img.configDigest)) {
                img.ociManifest = o;
                fillFromOci(m, img);
                break;
            }
        }
        alignLegacy(ia, img);
        if (!img.configDigest.isEmpty())
            configsSeen.insert(img.configDigest);
        ia.images.append(img);
    }
    // An index may name one manifest several times (latest, 3, 3.18, 3.18.3): one image with
    // every name, as `docker load` and `skopeo` tag one image with each.
    QHash<QString, int> imageOfManifest; // manifest digest → index in ia.images
    for (int o = 0; o < ia.oci.manifests.size(); ++o) {
        const OciManifest &m = ia.oci.manifests.at(o);
        if (!m.isImage) {
            if (m.error.isEmpty())
                ia.artifacts.append(o);
            // A manifest that cannot be read stays listed, by its name and the platform its
            // descriptor gives, with no layers, and the error says why: an image never goes
            // missing silently. With M, M lists the images; an artifact's descriptor says so.
            if (m.error.isEmpty() || !m.descriptor.artifactType.isEmpty() || !ia.manifest.entries.isEmpty())
                continue;
        }
        if (const int at = imageOfManifest.value(m.descriptor.digest, -1); at >= 0 && !m.descriptor.digest.isEmpty()) {
            if (!m.refName.isEmpty() && !ia.images.at(at).tags.contains(m.refName))
                ia.images[at].tags.append(m.refName);
            continue;
        }
        const QString digest = m.config.digest.isEmpty() ? m.configDescriptor.digest : m.config.digest;
        if (!digest.isEmpty() && configsSeen.contains(digest))
            continue;
        if (!digest.isEmpty())
            configsSeen.insert(digest);
        if (!m.descriptor.digest.isEmpty())
            imageOfManifest.insert(m.descriptor.digest, int(ia.images.size()));
        ia.images.append(imageFromOci(ia, o));
    }
    if (ia.images.isEmpty()) {
        for (int c = 0; c < ia.legacy.chains.size(); ++c)
            if (!ia.legacy.chains.at(c).ids.isEmpty())
                ia.images.append(imageFromLegacy(ia, c));
    }

    for (int i = 0; i < ia.images.size(); ++i) {
        const Image &img = ia.images.at(i);
        const QString where = img.source == ImageSource::Manifest
            ? QStringLiteral("manifest.json entry %1").arg(img.manifestEntry)
            : img.source == ImageSource::Oci ? ia.oci.manifests.at(img.ociManifest).blobPath
                                             : QStringLiteral("legacy chain from %1").arg(img.legacyTop);
        for (const ImageLayer &l : img.layers)
            if (!l.error.isEmpty())
                errors.append(QStringLiteral("%1, layer %2: %3").arg(where).arg(l.index).arg(l.error));
    }
    if (ar.members().isEmpty() && !ar.cancelled() && !ar.truncated()) {
        errors.append(ar.container() == Container::Directory
                ? QStringLiteral("the folder is empty: not an image layout")
                : QStringLiteral("the tar archive holds no members (it is only end-of-archive blocks)"));
    } else if (ia.layout == Layout::Unknown && !ar.cancelled() && !ar.truncated()) {
        errors.append(QStringLiteral("not an image archive: it has no manifest.json, no index.json or oci-layout, "
                                     "and no legacy <id>/json or repositories"));
    }
    errors.removeDuplicates();
    for (QString &e : errors)
        e = fileName + QStringLiteral(": ") + e;
    ia.errors = errors;
    return ia;
}

int findImageForPlatform(const ImageArchive &base, const QString &wanted, QString *error)
{
    const QStringList parts = wanted.split(u'/');
    QStringList available;
    for (int i = 0; i < base.images.size(); ++i) {
        const Platform &p = base.images.at(i).platform;
        Platform q = p;
        if (q.isEmpty() && base.images.at(i).config) // Docker archives state it only in the config
            q = base.images.at(i).config->platform;
        available << (q.toString().isEmpty() ? QStringLiteral("(unknown)") : q.toString());
        if (parts.size() >= 2 && q.os == parts.at(0) && q.architecture == parts.at(1)
            && (parts.size() < 3 || q.variant == parts.at(2)))
            return i;
    }
    *error = QStringLiteral("no image for %1 (there are: %2)").arg(wanted, available.join(QStringLiteral(", ")));
    return -1;
}

} // namespace lamina
