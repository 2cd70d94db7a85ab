// SPDX-License-Identifier: MIT
// The OCI image layout an export writes (docs/formats.md §2.4, §2.5).
#include "compose/ocilayout.h"

#include "compose/prewritten.h"
#include "write/backgroundhasher.h"
#include "write/outputwriter.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>

namespace lamina {

namespace {

/// One layer blob of the layout.
struct Blob
{
    Digest digest;
    qint64 size = 0;
    QString file; ///< a compressed copy; empty: the layer is streamed from its source
    int source = -1;
    bool raw = false; ///< the source's stored bytes, already in the wanted compression
};

QString layerMediaType(Compression c)
{
    switch (c) {
    case Compression::Gzip:
        return QStringLiteral("application/vnd.oci.image.layer.v1.tar+gzip");
    case Compression::Zstd:
        return QStringLiteral("application/vnd.oci.image.layer.v1.tar+zstd");
    default:
        return QStringLiteral("application/vnd.oci.image.layer.v1.tar");
    }
}

QJsonObject descriptor(const QString &mediaType, const Digest &digest, qint64 size)
{
    return QJsonObject { { QStringLiteral("mediaType"), mediaType }, { QStringLiteral("digest"), digest.toString() },
        { QStringLiteral("size"), double(size) } };
}

/// Compresses the layer once, reproducibly (gzip without time stamp or name), into `blob.file`,
/// hashing the compressed bytes as they are written.
bool compressLayer(Blob &blob, const OciLayoutInput &in, Compression wanted, const Progress &progress, QString *error)
{
    const LayerSource &s = in.layers.at(blob.source);
    blob.file = in.workDir + QStringLiteral("/blob-%1").arg(blob.source);
    const std::unique_ptr<OutputWriter> cw = OutputWriter::compressedStream(blob.file, wanted, error);
    if (!cw)
        return false;
    if (!cw->header(QStringLiteral("layer"), OutputWriter::Kind::File, s.size) || !copyLayer(*cw, s, in.base, progress)
        || !cw->finish(OutputWriter::Sync::No)) {
        *error = cw->error().isEmpty() ? QStringLiteral("cannot compress a layer") : cw->error();
        return false;
    }
    blob.size = cw->writtenSize();
    blob.digest = cw->writtenDigest();
    return true;
}

/// The blob of each distinct layer, in the wanted compression, and for every layer its blob.
bool planBlobs(const OciLayoutInput &in, Compression wanted, const Progress &progress, QList<Blob> *blobs,
    QList<int> *blobOfLayer, QString *error)
{
    QHash<QString, int> byDiff;
    for (int i = 0; i < in.layers.size(); ++i) {
        const LayerSource &s = in.layers.at(i);
        if (!byDiff.contains(s.diffId)) {
            Blob b;
            b.source = i;
            if (wanted == Compression::None) {
                b.digest = Digest::parse(s.diffId);
                b.size = s.size;
            } else if (s.compression == wanted) {
                b.raw = true; // copied as it is, never recompressed
                b.size = s.storedSize;
                b.digest = s.storedDigest.isValid() ? s.storedDigest : hashStoredLayer(s, in.base, error);
                if (!b.digest.isValid())
                    return false;
            } else if (!compressLayer(b, in, wanted, progress, error)) {
                return false;
            }
            byDiff.insert(s.diffId, int(blobs->size()));
            *blobs << b;
        }
        *blobOfLayer << byDiff.value(s.diffId);
    }
    return true;
}

QJsonObject indexFor(const Digest &manifest, qint64 manifestSize, const QStringList &tags)
{
    const QJsonObject plain
        = descriptor(QStringLiteral("application/vnd.oci.image.manifest.v1+json"), manifest, manifestSize);
    QJsonArray descriptors;
    for (const QString &tag : tags) {
        // containerd and Docker put the full name in io.containerd.image.name and only the tag
        // in org.opencontainers.image.ref.name (docs/formats.md §2.4).
        const qsizetype colon = tag.lastIndexOf(u':');
        const QString ref = colon > tag.lastIndexOf(u'/') ? tag.mid(colon + 1) : QStringLiteral("latest");
        QJsonObject d = plain;
        d.insert(QStringLiteral("annotations"),
            QJsonObject { { QStringLiteral("io.containerd.image.name"), tag },
                { QStringLiteral("org.opencontainers.image.ref.name"), ref } });
        descriptors.append(d);
    }
    if (tags.isEmpty())
        descriptors.append(plain);
    return QJsonObject { { QStringLiteral("schemaVersion"), 2 },
        { QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.index.v1+json") },
        { QStringLiteral("manifests"), descriptors } };
}

/// Docker 25's manifest.json beside the layout: the same blobs named by path.
QByteArray dockerManifestFor(const OciLayoutInput &in, const QList<Blob> &blobs, const QList<int> &blobOfLayer)
{
    QStringList layerPaths;
    for (int b : blobOfLayer)
        layerPaths << blobs.at(b).digest.blobPath();
    const QJsonObject entry { { QStringLiteral("Config"), in.config.imageId.blobPath() },
        { QStringLiteral("RepoTags"),
            in.tags.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(QJsonArray::fromStringList(in.tags)) },
        { QStringLiteral("Layers"), QJsonArray::fromStringList(layerPaths) } };
    return QJsonDocument(QJsonArray { entry }).toJson(QJsonDocument::Compact);
}

} // namespace

bool writeOciLayout(OutputWriter &w, const OciLayoutInput &in, BackgroundHasher *hasher, const Progress &progress)
{
    const Compression wanted = in.format == ExportFormat::DockerOci ? Compression::None : in.layerCompression;
    if (wanted != Compression::None && wanted != Compression::Gzip && wanted != Compression::Zstd) {
        w.setError(QStringLiteral("layers can be stored uncompressed, gzip or zstd"));
        return false;
    }
    QList<Blob> blobs;
    QList<int> blobOfLayer;
    QString error;
    if (!planBlobs(in, wanted, progress, &blobs, &blobOfLayer, &error)) {
        w.setError(error);
        return false;
    }
    QJsonArray layerDescriptors;
    for (int b : std::as_const(blobOfLayer))
        layerDescriptors.append(descriptor(layerMediaType(wanted), blobs.at(b).digest, blobs.at(b).size));
    const QJsonObject manifest { { QStringLiteral("schemaVersion"), 2 },
        { QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.manifest.v1+json") },
        { QStringLiteral("config"),
            descriptor(QStringLiteral("application/vnd.oci.image.config.v1+json"), in.config.imageId,
                in.config.bytes.size()) },
        { QStringLiteral("layers"), layerDescriptors } };
    const QByteArray manifestBytes = QJsonDocument(manifest).toJson(QJsonDocument::Compact);
    const Digest manifestDigest = Digest::sha256Of(manifestBytes);
    const QJsonObject index = indexFor(manifestDigest, manifestBytes.size(), in.tags);
    bool ok = w.bytes(QStringLiteral("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}")
        && w.bytes(QStringLiteral("index.json"), QJsonDocument(index).toJson(QJsonDocument::Compact));
    if (ok && in.format == ExportFormat::DockerOci)
        ok = w.bytes(QStringLiteral("manifest.json"), dockerManifestFor(in, blobs, blobOfLayer));
    ok = ok && w.header(QStringLiteral("blobs/"), OutputWriter::Kind::Folder)
        && w.header(QStringLiteral("blobs/sha256/"), OutputWriter::Kind::Folder);
    for (const Blob &b : std::as_const(blobs)) {
        if (!ok)
            break;
        const LayerSource &own = in.layers.at(b.source);
        const QString copied = b.raw && in.prewritten && own.file.isEmpty() && own.member >= 0
            ? in.prewritten->take(own.member, b.size)
            : QString();
        if (!copied.isEmpty()) {
            ok = w.adopt(copied, b.digest.blobPath());
            continue;
        }
        LayerSource fromFile;
        fromFile.file = b.file;
        fromFile.size = b.size;
        const LayerSource &source = b.file.isEmpty() ? in.layers.at(b.source) : fromFile;
        ok = w.header(b.digest.blobPath(), OutputWriter::Kind::File, b.size)
            && copyLayer(w, source, in.base, progress, b.raw);
        // A blob copied as it is gets its stored bytes hashed only; the export takes its diff ID from
        // the base's index when those bytes are the ones indexed (exportComposition).
        if (ok && hasher)
            hasher->addWritten(w, b.size, b.raw ? Compression::None : wanted);
    }
    return ok && w.bytes(in.config.imageId.blobPath(), in.config.bytes)
        && w.bytes(manifestDigest.blobPath(), manifestBytes);
}

} // namespace lamina
