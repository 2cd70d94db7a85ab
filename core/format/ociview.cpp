// SPDX-License-Identifier: MIT
// O: the OCI image layout (docs/formats.md §2.4): oci-layout, index.json, nested indexes, manifests
// and blobs under blobs/<alg>/<hex>.
#include "format/views.h"

#include "format/json.h"
#include "util/digest.h"
#include "util/sha256.h"

#include <QRegularExpression>
#include <QSet>

namespace lamina {

namespace {

using limits::kMaxIndexDepth;

const QString kOciIndex = QStringLiteral("application/vnd.oci.image.index.v1+json");
const QString kDockerList = QStringLiteral("application/vnd.docker.distribution.manifest.list.v2+json");
const QString kOciConfig = QStringLiteral("application/vnd.oci.image.config.v1+json");
const QString kDockerConfig = QStringLiteral("application/vnd.docker.container.image.v1+json");

Descriptor parseDescriptor(const QJsonObject &o, const JsonFields &f, const QString &field)
{
    Descriptor d;
    d.raw = o;
    d.mediaType = f.string(o, QStringLiteral("mediaType"), field + QStringLiteral(".mediaType"));
    d.digest = f.string(o, QStringLiteral("digest"), field + QStringLiteral(".digest"));
    d.size = f.integer(o, QStringLiteral("size"), -1, field + QStringLiteral(".size"));
    d.artifactType = f.string(o, QStringLiteral("artifactType"), field + QStringLiteral(".artifactType"));
    d.annotations = f.object(o, QStringLiteral("annotations"), field + QStringLiteral(".annotations"));
    d.urls = f.stringList(o, QStringLiteral("urls"), field + QStringLiteral(".urls"));
    const QJsonObject p = f.object(o, QStringLiteral("platform"), field + QStringLiteral(".platform"));
    if (!p.isEmpty()) {
        Platform pl;
        pl.os = f.string(p, QStringLiteral("os"), field + QStringLiteral(".platform.os"));
        pl.architecture = f.string(p, QStringLiteral("architecture"), field + QStringLiteral(".platform.architecture"));
        pl.variant = f.string(p, QStringLiteral("variant"), field + QStringLiteral(".platform.variant"));
        pl.osVersion = f.string(p, QStringLiteral("os.version"), field + QStringLiteral(".platform.os.version"));
        d.platform = pl;
    }
    return d;
}

struct Walker
{
    const Archive &archive;
    QStringList *errors;
    OciView &view;
    QSet<QString> visiting;
    bool stoppedAtLimit = false;
    QString lastDigest;
    /// Blobs already read, by member: an index may name one manifest a thousand times.
    struct Blob
    {
        std::optional<QJsonObject> object;
        QString digest;
        QStringList problems;
    };
    QHash<int, Blob> blobs;
    QHash<int, LoadedConfig> configs;

    std::optional<QJsonObject> readBlobObject(const Descriptor &d, const QString &where, QString *blobPath, int *member)
    {
        *blobPath = blobPathForDigest(d.digest, where, errors);
        if (blobPath->isEmpty())
            return std::nullopt;
        const Archive::Resolved r = archive.resolve(*blobPath);
        if (r.index < 0) {
            // A blob that is there but a link leading nowhere (or outside) says so.
            errors->append(archive.find(*blobPath) >= 0
                    ? QStringLiteral("%1: blob %2: %3").arg(where, d.digest, r.error)
                    : !archive.unlistedFolderOf(*blobPath).isEmpty()
                    ? QStringLiteral("%1: blob %2 cannot be found: %3")
                          .arg(where, d.digest, archive.unlistedFolderOf(*blobPath))
                    : QStringLiteral("%1: blob %2 is not in the archive").arg(where, d.digest));
            return std::nullopt;
        }
        *member = r.index;
        if (const auto it = blobs.constFind(r.index); it != blobs.cend()) {
            lastDigest = it->digest;
            errors->append(it->problems);
            return it->object;
        }
        Blob blob;
        blob.object = parseBlob(r.index, *blobPath, &blob.problems);
        blob.digest = lastDigest;
        errors->append(blob.problems);
        blobs.insert(r.index, blob);
        return blob.object;
    }

    std::optional<QJsonObject> parseBlob(int member, const QString &blobPath, QStringList *problems)
    {
        lastDigest.clear();
        const Archive::ReadResult data = archive.read(member);
        if (!data.ok()) {
            problems->append(data.error);
            return std::nullopt;
        }
        lastDigest = Sha256::of(data.data);
        auto doc = parseJson(data.data, blobPath, problems);
        if (!doc)
            return std::nullopt;
        if (!doc->isObject()) {
            problems->append(QStringLiteral("%1: must be a JSON object").arg(blobPath));
            return std::nullopt;
        }
        return doc->object();
    }

    OciIndex parseIndex(const QJsonObject &o, const QString &path, const QString &digest)
    {
        JsonFields f(path, errors);
        OciIndex index;
        index.path = path;
        index.digest = digest;
        index.mediaType = f.string(o, QStringLiteral("mediaType"));
        const QJsonValue manifests = o.value(QStringLiteral("manifests"));
        index.manifestsNull = manifests.isNull() || manifests.isUndefined();
        const QJsonArray list = f.array(o, QStringLiteral("manifests"));
        for (qsizetype i = 0; i < list.size(); ++i) {
            const QString field = QStringLiteral("manifests[%1]").arg(i);
            if (!list.at(i).isObject()) {
                f.wrongType(field, QStringLiteral("an object (a descriptor)"), list.at(i));
                continue;
            }
            index.manifests.append(parseDescriptor(list.at(i).toObject(), f, field));
        }
        return index;
    }

    void visitIndex(const OciIndex &index, const QStringList &path, const Descriptor *top, int depth)
    {
        for (const Descriptor &d : index.manifests) {
            const Descriptor &named = top ? *top : d;
            const QString where = QStringLiteral("%1 → %2").arg(index.path, d.digest);
            // Indexes may name the same child many times at every level: without a total the
            // walk grows exponentially with the depth.
            if (view.manifests.size() + view.indexes.size() >= limits::kMaxImages) {
                if (!stoppedAtLimit)
                    errors->append(QStringLiteral(
                        "%1: the indexes name more than %2 manifests and indexes in all; the rest were not read%3")
                                       .arg(where)
                                       .arg(limits::kMaxImages)
                                       .arg(limits::note("kMaxImages", limits::kMaxImages)));
                stoppedAtLimit = true;
                return;
            }
            if (visiting.contains(d.digest)) {
                errors->append(QStringLiteral("%1: the index refers back to itself (a loop); not followed").arg(where));
                continue;
            }
            QString blobPath;
            int member = -1;
            auto obj = readBlobObject(d, where, &blobPath, &member);
            if (!obj) {
                OciManifest m;
                m.descriptor = d;
                m.indexPath = path;
                m.blobPath = blobPath;
                m.error = QStringLiteral("unreadable");
                m.refName = refNameOf(named);
                // A blob that is there but not a manifest is still checked against its
                // descriptor (size, digest): a blob cut short says so.
                m.member = member;
                if (member >= 0)
                    m.blobDigest = lastDigest;
                view.manifests.append(m);
                continue;
            }
            const bool nested = d.mediaType == kOciIndex || d.mediaType == kDockerList
                || (d.mediaType.isEmpty() && obj->contains(QStringLiteral("manifests")));
            if (nested) {
                if (depth >= kMaxIndexDepth) {
                    errors->append(QStringLiteral("%1: indexes nested deeper than %2 levels; not followed%3")
                                       .arg(where)
                                       .arg(kMaxIndexDepth)
                                       .arg(limits::note("kMaxIndexDepth", kMaxIndexDepth)));
                    continue;
                }
                OciIndex child = parseIndex(*obj, blobPath, d.digest);
                child.member = member;
                view.indexes.append(child);
                visiting.insert(d.digest);
                visitIndex(child, path + QStringList { d.digest }, &named, depth + 1);
                visiting.remove(d.digest);
                continue;
            }
            OciManifest parsed = parseManifest(*obj, d, path, blobPath, member, named);
            parsed.blobDigest = lastDigest;
            view.manifests.append(parsed);
        }
    }

    static QString refNameOf(const Descriptor &d)
    {
        // Docker and containerd put the full reference in io.containerd.image.name and only the
        // tag in org.opencontainers.image.ref.name (docs/formats.md §2.4).
        const QString full = d.annotation(QStringLiteral("io.containerd.image.name"));
        return full.isEmpty() ? d.annotation(QStringLiteral("org.opencontainers.image.ref.name")) : full;
    }

    OciManifest parseManifest(const QJsonObject &o, const Descriptor &d, const QStringList &path,
        const QString &blobPath, int member, const Descriptor &named)
    {
        JsonFields f(blobPath, errors);
        OciManifest m;
        m.descriptor = d;
        m.indexPath = path;
        m.blobPath = blobPath;
        m.member = member;
        m.refName = refNameOf(named);
        m.mediaType = f.string(o, QStringLiteral("mediaType"));
        m.artifactType = f.string(o, QStringLiteral("artifactType"));
        const QJsonObject config = f.object(o, QStringLiteral("config"));
        if (config.isEmpty())
            errors->append(QStringLiteral("%1: the manifest has no \"config\" descriptor").arg(blobPath));
        m.configDescriptor = parseDescriptor(config, f, QStringLiteral("config"));
        const QJsonArray layers = f.array(o, QStringLiteral("layers"));
        if (layers.size() > limits::kMaxImageLayers)
            errors->append(
                QStringLiteral("%1: field \"layers\" lists %2 layers, more than %3; only the first %3 were read%4")
                    .arg(blobPath)
                    .arg(layers.size())
                    .arg(limits::kMaxImageLayers)
                    .arg(limits::note("kMaxImageLayers", limits::kMaxImageLayers)));
        for (qsizetype i = 0; i < std::min<qsizetype>(layers.size(), limits::kMaxImageLayers); ++i) {
            const QString field = QStringLiteral("layers[%1]").arg(i);
            if (!layers.at(i).isObject()) {
                f.wrongType(field, QStringLiteral("an object (a descriptor)"), layers.at(i));
                continue;
            }
            m.layers.append(parseDescriptor(layers.at(i).toObject(), f, field));
        }
        const QString cmt = m.configDescriptor.mediaType;
        m.isImage = m.artifactType.isEmpty() && (cmt == kOciConfig || cmt == kDockerConfig || cmt.isEmpty());
        if (m.isImage && !m.configDescriptor.digest.isEmpty()) {
            const QString configPath
                = blobPathForDigest(m.configDescriptor.digest, blobPath + QStringLiteral(" config"), errors);
            if (!configPath.isEmpty())
                m.config = loadConfig(archive, configPath, &configs);
        }
        return m;
    }
};

} // namespace

QString blobPathForDigest(const QString &digest, const QString &where, QStringList *errors)
{
    QString why;
    const Digest d = Digest::parse(digest, &why);
    if (!d.isValid()) {
        errors->append(QStringLiteral("%1: %2").arg(where, why));
        return {};
    }
    return d.blobPath();
}

OciView readOciView(const Archive &archive)
{
    OciView view;
    QStringList *errors = &view.problems;
    view.hasLayoutFile = archive.find(QStringLiteral("oci-layout")) >= 0;
    view.hasIndex = archive.find(QStringLiteral("index.json")) >= 0;
    view.present = view.hasLayoutFile || view.hasIndex;
    if (!view.present)
        return view;

    if (view.hasLayoutFile) {
        const Archive::Resolved r = archive.resolve(QStringLiteral("oci-layout"));
        const Archive::ReadResult data
            = r.index >= 0 ? archive.read(r.index, 65536) : Archive::ReadResult { {}, r.error };
        if (!data.ok()) {
            errors->append(QStringLiteral("oci-layout: %1").arg(data.error));
        } else if (auto doc = parseJson(data.data, QStringLiteral("oci-layout"), errors)) {
            JsonFields f(QStringLiteral("oci-layout"), errors);
            view.layoutVersion = f.string(doc->object(), QStringLiteral("imageLayoutVersion"));
        }
    } else {
        errors->append(QStringLiteral(
            "oci-layout: missing; an OCI image layout needs it (containerd refuses the layout without it)"));
    }

    if (!view.hasIndex) {
        errors->append(QStringLiteral("index.json: missing; the OCI layout names no image "
                                      "(containerd: \"missing index.json in OCI layout\")"));
        return view;
    }
    const Archive::Resolved r = archive.resolve(QStringLiteral("index.json"));
    const Archive::ReadResult data = r.index >= 0 ? archive.read(r.index) : Archive::ReadResult { {}, r.error };
    if (!data.ok()) {
        errors->append(QStringLiteral("index.json: %1").arg(data.error));
        return view;
    }
    auto doc = parseJson(data.data, QStringLiteral("index.json"), errors);
    if (!doc)
        return view;
    if (!doc->isObject()) {
        errors->append(QStringLiteral("index.json: must be a JSON object (an image index)"));
        return view;
    }
    Walker w { archive, errors, view, {}, false, {}, {}, {} };
    OciIndex top = w.parseIndex(doc->object(), QStringLiteral("index.json"), {});
    view.indexes.append(top);
    w.visitIndex(top, { QStringLiteral("index.json") }, nullptr, 0);
    return view;
}

} // namespace lamina
