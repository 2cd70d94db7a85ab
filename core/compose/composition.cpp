// SPDX-License-Identifier: MIT
// Composing an image on a base and writing it as a docker archive whose legacy chain and
// manifest agree (FORMATS.md §1.2, §3, §6; docs/compose.md).
#include "compose/composition.h"

#include "archive/libarchive_p.h"
#include "check/checks.h"
#include "check/verify.h"
#include "compose/preflight.h"
#include "format/imagearchive.h"
#include "layers/extract.h"
#include "layers/imagelayers.h"
#include "util/sha256.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTimeZone>

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace lamina {

qint64 parseCreated(const QString &created)
{
    const QDateTime t = QDateTime::fromString(created, Qt::ISODateWithMs);
    return t.isValid() ? t.toSecsSinceEpoch() : -1;
}

namespace {

/// Where a layer's uncompressed bytes come from when the archive is written.
struct LayerSource
{
    QString diffId;
    qint64 size = -1;         ///< uncompressed bytes
    QString file;             ///< a file holding exactly the uncompressed tar, or
    int member = -1;          ///< a member of the base archive,
    Compression compression = Compression::None; ///< stored this way there
};

struct Writer
{
    struct archive *a = archive_write_new();
    int fd = -1;
    qint64 mtime = 1;
    QString error;
    ~Writer() { archive_write_free(a); }

    static la_ssize_t write(struct archive *, void *data, const void *buffer, size_t length)
    {
        auto *w = static_cast<Writer *>(data);
        const char *p = static_cast<const char *>(buffer);
        size_t done = 0;
        while (done < length) {
            const ssize_t n = ::write(w->fd, p + done, length - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                w->error = QStringLiteral("write failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
                return -1;
            }
            done += size_t(n);
        }
        return la_ssize_t(length);
    }

    bool header(const QString &path, int type, qint64 size, const QString &link = {})
    {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname_utf8(e, path.toUtf8().constData());
        archive_entry_set_filetype(e, type);
        archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : type == AE_IFLNK ? 0777 : 0644);
        archive_entry_set_mtime(e, mtime, 0);
        archive_entry_set_uid(e, 0);
        archive_entry_set_gid(e, 0);
        if (type == AE_IFREG)
            archive_entry_set_size(e, size);
        if (type == AE_IFLNK)
            archive_entry_set_symlink_utf8(e, link.toUtf8().constData());
        const bool ok = archive_write_header(a, e) == ARCHIVE_OK;
        archive_entry_free(e);
        if (!ok && error.isEmpty())
            error = QStringLiteral("%1: %2").arg(path, QString::fromLocal8Bit(archive_error_string(a)));
        return ok;
    }
    bool data(const char *p, qint64 n)
    {
        if (archive_write_data(a, p, size_t(n)) < 0) {
            if (error.isEmpty())
                error = QString::fromLocal8Bit(archive_error_string(a));
            return false;
        }
        return true;
    }
    bool bytes(const QString &path, const QByteArray &content)
    {
        return header(path, AE_IFREG, content.size()) && data(content.constData(), content.size());
    }
};

struct ReaderFeed
{
    MemberReader *reader;
    QByteArray buffer = QByteArray(1 << 20, Qt::Uninitialized);
    static la_ssize_t read(struct archive *, void *data, const void **out)
    {
        auto *f = static_cast<ReaderFeed *>(data);
        const qint64 n = f->reader->read(f->buffer.data(), f->buffer.size());
        *out = f->buffer.constData();
        return n < 0 ? -1 : la_ssize_t(n);
    }
};

/// Copies a layer's uncompressed bytes into the open member, checking the count.
bool copyLayer(Writer &w, const LayerSource &src, const Archive *base, const Progress &progress)
{
    qint64 written = 0;
    QByteArray buffer(1 << 20, Qt::Uninitialized);
    auto fail = [&](const QString &why) {
        w.error = why;
        return false;
    };
    std::unique_ptr<MemberReader> reader;
    QFile file;
    if (!src.file.isEmpty()) {
        file.setFileName(src.file);
        if (!file.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("%1: %2").arg(src.file, file.errorString()));
        qint64 n;
        while ((n = file.read(buffer.data(), buffer.size())) > 0) {
            if (progress.cancelled())
                return fail(QStringLiteral("cancelled"));
            if (!w.data(buffer.constData(), n))
                return false;
            written += n;
        }
    } else {
        QString error;
        reader = base->openMember(src.member, &error);
        if (!reader)
            return fail(error);
        if (src.compression == Compression::None) {
            qint64 n;
            while ((n = reader->read(buffer.data(), buffer.size())) > 0) {
                if (progress.cancelled())
                    return fail(QStringLiteral("cancelled"));
                if (!w.data(buffer.constData(), n))
                    return false;
                written += n;
            }
            if (n < 0)
                return fail(reader->error());
        } else {
            // A compressed base layer is decompressed while it streams: the docker format stores
            // layers uncompressed, so the file's digest is its diff ID (FORMATS.md §3).
            ReaderFeed feed{reader.get()};
            struct archive *raw = archive_read_new();
            supportCompressions(raw);
            archive_read_support_format_raw(raw);
            struct archive_entry *e = nullptr;
            bool ok = archive_read_open(raw, &feed, nullptr, &ReaderFeed::read, nullptr) == ARCHIVE_OK
                && archive_read_next_header(raw, &e) == ARCHIVE_OK;
            la_ssize_t n = 0;
            while (ok && (n = archive_read_data(raw, buffer.data(), size_t(buffer.size()))) > 0) {
                if (progress.cancelled() || !w.data(buffer.constData(), n)) {
                    ok = false;
                    break;
                }
                written += n;
            }
            if (n < 0 || !ok) {
                const QString why = QString::fromLocal8Bit(archive_error_string(raw));
                archive_read_free(raw);
                return fail(w.error.isEmpty() ? QStringLiteral("cannot decompress a base layer: %1").arg(why) : w.error);
            }
            archive_read_free(raw);
        }
    }
    if (written != src.size)
        return fail(QStringLiteral("a layer gave %1 bytes, %2 were expected").arg(written).arg(src.size));
    return true;
}

QString chainNext(const QString &previous, const QString &diffId)
{
    return previous.isEmpty() ? diffId : Sha256::of((previous + u' ' + diffId).toUtf8());
}

QString describeLayer(const LayerSpec &spec, const ConfigEdits &edits, bool last)
{
    QStringList parts;
    for (const LayerOp &op : spec.ops) {
        switch (op.kind) {
        case LayerOp::AddHost: parts << QStringLiteral("ADD %1 %2").arg(QFileInfo(op.hostPath).fileName(), op.imagePath); break;
        case LayerOp::Mkdir: parts << QStringLiteral("MKDIR %1 %2").arg(op.imagePath).arg(op.mode.value_or(0755), 4, 8, QLatin1Char('0')); break;
        case LayerOp::Symlink: parts << QStringLiteral("SYMLINK %1 -> %2").arg(op.imagePath, op.linkTarget); break;
        case LayerOp::WriteText: parts << QStringLiteral("WRITE %1").arg(op.imagePath); break;
        case LayerOp::Delete: parts << QStringLiteral("DELETE %1").arg(op.imagePath); break;
        case LayerOp::Opaque: parts << QStringLiteral("EMPTY %1").arg(op.imagePath); break;
        }
    }
    if (last) {
        if (edits.workingDir)
            parts << QStringLiteral("WORKDIR %1").arg(*edits.workingDir);
        if (edits.cmd)
            parts << QStringLiteral("CMD %1").arg(QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(*edits.cmd)).toJson(QJsonDocument::Compact)));
        if (edits.entrypoint)
            parts << QStringLiteral("ENTRYPOINT %1").arg(QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(*edits.entrypoint)).toJson(QJsonDocument::Compact)));
        for (const auto &kv : edits.setEnv)
            parts << QStringLiteral("ENV %1").arg(kv.first);
    }
    return QStringLiteral("lamina compose: ") + parts.join(QStringLiteral("; "));
}

QString mediaTypeFor(Compression c)
{
    switch (c) {
    case Compression::Gzip: return QStringLiteral("application/vnd.oci.image.layer.v1.tar+gzip");
    case Compression::Zstd: return QStringLiteral("application/vnd.oci.image.layer.v1.tar+zstd");
    default: return QStringLiteral("application/vnd.oci.image.layer.v1.tar");
    }
}

QString sha256OfFile(const QString &path, qint64 *size)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    Sha256 h;
    QByteArray buffer(1 << 20, Qt::Uninitialized);
    qint64 n;
    *size = 0;
    while ((n = f.read(buffer.data(), buffer.size())) > 0) {
        h.add(buffer.constData(), n);
        *size += n;
    }
    return h.finish();
}

/// Writes an OCI image layout into the open tar (image-spec image-layout.md): oci-layout,
/// index.json naming each tag, the manifest, the config and the layer blobs; for docker-oci also
/// manifest.json and repositories, as Docker 25 writes them (FORMATS.md §1.3).
bool writeOciLayout(Writer &w, const ExportOptions &options, const QList<LayerSource> &sources, const Archive *base,
                    const QByteArray &configBytes, const QString &imageId, const QStringList &tags, const QTemporaryDir &work,
                    const Progress &progress)
{
    const Compression wanted = options.format == ExportFormat::DockerOci ? Compression::None : options.layerCompression;
    if (wanted != Compression::None && wanted != Compression::Gzip && wanted != Compression::Zstd) {
        w.error = QStringLiteral("layers can be stored uncompressed, gzip or zstd");
        return false;
    }
    struct Blob
    {
        QString digest;
        qint64 size = 0;
        QString file; // compressed copy; empty: stream the uncompressed layer
        int source = -1;
    };
    QList<Blob> blobs;
    QHash<QString, int> byDiff;
    QJsonArray layerDescriptors;
    for (int i = 0; i < sources.size(); ++i) {
        const LayerSource &s = sources.at(i);
        if (!byDiff.contains(s.diffId)) {
            Blob b;
            b.source = i;
            if (wanted == Compression::None) {
                b.digest = s.diffId;
                b.size = s.size;
            } else {
                // Compressed once, reproducibly (gzip without time stamp or name), then hashed.
                b.file = work.filePath(QStringLiteral("blob-%1").arg(i));
                Writer cw;
                cw.fd = ::open(QFile::encodeName(b.file).constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                archive_write_set_format_raw(cw.a);
                if (wanted == Compression::Gzip) {
                    archive_write_add_filter_gzip(cw.a);
                    archive_write_set_filter_option(cw.a, "gzip", "timestamp", nullptr);
                } else {
                    archive_write_add_filter_zstd(cw.a);
                }
                archive_write_set_bytes_per_block(cw.a, 0);
                archive_write_open(cw.a, &cw, nullptr, &Writer::write, nullptr);
                const bool ok = cw.fd >= 0 && cw.header(QStringLiteral("layer"), AE_IFREG, s.size) && copyLayer(cw, s, base, progress)
                    && archive_write_close(cw.a) == ARCHIVE_OK;
                if (cw.fd >= 0)
                    ::close(cw.fd);
                if (!ok) {
                    w.error = cw.error.isEmpty() ? QStringLiteral("cannot compress a layer") : cw.error;
                    return false;
                }
                b.digest = sha256OfFile(b.file, &b.size);
            }
            byDiff.insert(s.diffId, int(blobs.size()));
            blobs << b;
        }
        const Blob &b = blobs.at(byDiff.value(s.diffId));
        layerDescriptors.append(QJsonObject{{QStringLiteral("mediaType"), mediaTypeFor(wanted)},
                                            {QStringLiteral("digest"), b.digest},
                                            {QStringLiteral("size"), double(b.size)}});
    }
    const QJsonObject manifest{{QStringLiteral("schemaVersion"), 2},
                               {QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.manifest.v1+json")},
                               {QStringLiteral("config"), QJsonObject{{QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.config.v1+json")},
                                                                      {QStringLiteral("digest"), imageId},
                                                                      {QStringLiteral("size"), double(configBytes.size())}}},
                               {QStringLiteral("layers"), layerDescriptors}};
    const QByteArray manifestBytes = QJsonDocument(manifest).toJson(QJsonDocument::Compact);
    const QString manifestDigest = Sha256::of(manifestBytes);
    QJsonArray descriptors;
    const QJsonObject plain{{QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.manifest.v1+json")},
                            {QStringLiteral("digest"), manifestDigest},
                            {QStringLiteral("size"), double(manifestBytes.size())}};
    for (const QString &tag : tags) {
        // containerd and Docker put the full name in io.containerd.image.name and only the tag
        // in org.opencontainers.image.ref.name (FORMATS.md §2.4).
        const qsizetype colon = tag.lastIndexOf(u':');
        const QString ref = colon > tag.lastIndexOf(u'/') ? tag.mid(colon + 1) : QStringLiteral("latest");
        QJsonObject d = plain;
        d.insert(QStringLiteral("annotations"), QJsonObject{{QStringLiteral("io.containerd.image.name"), tag},
                                                            {QStringLiteral("org.opencontainers.image.ref.name"), ref}});
        descriptors.append(d);
    }
    if (tags.isEmpty())
        descriptors.append(plain);
    const QJsonObject index{{QStringLiteral("schemaVersion"), 2},
                            {QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.index.v1+json")},
                            {QStringLiteral("manifests"), descriptors}};
    bool ok = w.bytes(QStringLiteral("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}")
        && w.bytes(QStringLiteral("index.json"), QJsonDocument(index).toJson(QJsonDocument::Compact));
    if (ok && options.format == ExportFormat::DockerOci) {
        QStringList layerPaths;
        for (const LayerSource &s : sources)
            layerPaths << QStringLiteral("blobs/sha256/") + blobs.at(byDiff.value(s.diffId)).digest.mid(7);
        const QJsonObject entry{{QStringLiteral("Config"), QString(QStringLiteral("blobs/sha256/") + imageId.mid(7))},
                                {QStringLiteral("RepoTags"), tags.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(QJsonArray::fromStringList(tags))},
                                {QStringLiteral("Layers"), QJsonArray::fromStringList(layerPaths)}};
        ok = w.bytes(QStringLiteral("manifest.json"), QJsonDocument(QJsonArray{entry}).toJson(QJsonDocument::Compact));
    }
    ok = ok && w.header(QStringLiteral("blobs/"), AE_IFDIR, 0) && w.header(QStringLiteral("blobs/sha256/"), AE_IFDIR, 0);
    for (const Blob &b : std::as_const(blobs)) {
        if (!ok)
            break;
        const QString path = QStringLiteral("blobs/sha256/") + b.digest.mid(7);
        if (b.file.isEmpty()) {
            ok = w.header(path, AE_IFREG, b.size) && copyLayer(w, sources.at(b.source), base, progress);
        } else {
            LayerSource fromFile;
            fromFile.file = b.file;
            fromFile.size = b.size;
            ok = w.header(path, AE_IFREG, b.size) && copyLayer(w, fromFile, base, progress);
        }
    }
    return ok && w.bytes(QStringLiteral("blobs/sha256/") + imageId.mid(7), configBytes)
        && w.bytes(QStringLiteral("blobs/sha256/") + manifestDigest.mid(7), manifestBytes);
}

} // namespace

QJsonObject editedSettings(QJsonObject c, const ConfigEdits &edits)
{
    auto list = [](const QStringList &l) { return QJsonArray::fromStringList(l); };
    if (edits.workingDir)
        c.insert(QStringLiteral("WorkingDir"), *edits.workingDir);
    if (edits.cmd)
        c.insert(QStringLiteral("Cmd"), list(*edits.cmd));
    if (edits.entrypoint)
        c.insert(QStringLiteral("Entrypoint"), list(*edits.entrypoint));
    if (edits.user)
        c.insert(QStringLiteral("User"), *edits.user);
    if (edits.stopSignal)
        c.insert(QStringLiteral("StopSignal"), *edits.stopSignal);
    if (!edits.setEnv.isEmpty() || !edits.unsetEnv.isEmpty()) {
        QStringList env;
        for (const QJsonValue &v : c.value(QStringLiteral("Env")).toArray())
            env << v.toString();
        for (const QString &name : edits.unsetEnv)
            env.removeIf([&](const QString &e) { return e.section(u'=', 0, 0) == name; });
        for (const auto &kv : edits.setEnv) {
            const QString entry = kv.first + u'=' + kv.second;
            bool replaced = false;
            for (QString &e : env) {
                if (e.section(u'=', 0, 0) == kv.first) {
                    e = entry;
                    replaced = true;
                }
            }
            if (!replaced)
                env << entry;
        }
        c.insert(QStringLiteral("Env"), list(env));
    }
    if (!edits.labels.isEmpty()) {
        QJsonObject labels = c.value(QStringLiteral("Labels")).toObject();
        for (const auto &kv : edits.labels)
            labels.insert(kv.first, kv.second);
        c.insert(QStringLiteral("Labels"), labels);
    }
    if (!edits.exposedPorts.isEmpty()) {
        QJsonObject ports = c.value(QStringLiteral("ExposedPorts")).toObject();
        for (QString p : edits.exposedPorts)
            ports.insert(p.contains(u'/') ? p : p + QStringLiteral("/tcp"), QJsonObject());
        c.insert(QStringLiteral("ExposedPorts"), ports);
    }
    if (!edits.volumes.isEmpty()) {
        QJsonObject volumes = c.value(QStringLiteral("Volumes")).toObject();
        for (const QString &v : edits.volumes)
            volumes.insert(v, QJsonObject());
        c.insert(QStringLiteral("Volumes"), volumes);
    }
    return c;
}

QList<LayerSpec> layersToWrite(const Composition &composition, const MergedTree::Layers &baseLayers, bool *workdirAdded)
{
    // WorkingDir is metadata only; Docker creates it at run time, other runtimes may not
    // (FORMATS.md §6), so it goes into the last new layer unless the image already has it.
    QList<LayerSpec> layers = composition.layers;
    *workdirAdded = false;
    if (!composition.createWorkdir || !composition.config.workingDir || composition.config.workingDir->isEmpty())
        return layers;
    bool exists = false;
    if (!baseLayers.isEmpty()) {
        const MergedTree tree = MergedTree::build(baseLayers, int(baseLayers.size()) - 1);
        QString unused;
        const int node = resolveInTree(tree, composition.config.workingDir->toUtf8(), true, &unused);
        exists = node == 0 || (node > 0 && tree.entry(node).type == EntryType::Directory);
    }
    QString ignored;
    const QString workdir = normaliseImagePath(*composition.config.workingDir, &ignored);
    if (workdir.isEmpty() && ignored.isEmpty())
        return layers; // the root is always there
    for (const LayerSpec &l : std::as_const(layers))
        for (const LayerOp &op : l.ops)
            exists = exists || (op.kind == LayerOp::Mkdir && normaliseImagePath(op.imagePath, &ignored) == workdir);
    if (exists)
        return layers;
    *workdirAdded = true;
    if (layers.isEmpty())
        layers << LayerSpec();
    LayerOp mkdir;
    mkdir.kind = LayerOp::Mkdir;
    mkdir.imagePath = *composition.config.workingDir;
    mkdir.mode = 0755;
    layers.last().ops << mkdir;
    return layers;
}

ExportResult exportComposition(const Composition &composition, const ExportOptions &options, const Progress &progress)
{
    ExportResult result;
    const QFileInfo out(options.output);
    if (options.output.isEmpty() || out.isDir()) {
        result.error = QStringLiteral("the output must be a file path");
        return result;
    }
    if (!composition.basePath.isEmpty() && out.exists()
        && QFileInfo(composition.basePath).canonicalFilePath() == out.canonicalFilePath()) {
        result.error = QStringLiteral("%1: the output would overwrite the base image; choose another file").arg(options.output);
        return result;
    }
    const qint64 mtime = parseCreated(composition.created);
    if (mtime < 0) {
        result.error = QStringLiteral("\"%1\" is not an RFC 3339 time (like 2024-01-01T00:00:00Z)").arg(composition.created);
        return result;
    }

    // The base: its config and its layers, which must all be there.
    ImageArchive base;
    QJsonObject config{{QStringLiteral("architecture"), QStringLiteral("amd64")},
                       {QStringLiteral("os"), QStringLiteral("linux")},
                       {QStringLiteral("config"), QJsonObject()},
                       {QStringLiteral("rootfs"), QJsonObject{{QStringLiteral("type"), QStringLiteral("layers")},
                                                              {QStringLiteral("diff_ids"), QJsonArray()}}}};
    QList<LayerSource> sources;
    MergedTree::Layers baseIndexes;
    QTemporaryDir work(out.absolutePath() + QStringLiteral("/.lamina-XXXXXX"));
    if (!work.isValid()) {
        result.error = QStringLiteral("%1: cannot create a working folder there").arg(out.absolutePath());
        return result;
    }
    if (!composition.basePath.isEmpty()) {
        base = openImageArchive(composition.basePath, progress);
        if (!base.ok()) {
            result.error = QStringLiteral("the base could not be read: %1").arg(base.errors.value(0));
            return result;
        }
        if (composition.baseImage < 0 || composition.baseImage >= base.images.size()) {
            result.error = QStringLiteral("the base has %1 image(s), numbered from 0").arg(base.images.size());
            return result;
        }
        const Image &img = base.images.at(composition.baseImage);
        if (!img.config || !img.config->hasRootfs) {
            result.error = QStringLiteral("the base image has no usable config");
            return result;
        }
        config = img.config->raw;
        const ImageLayers indexed = indexImageLayers(base, composition.baseImage, {}, progress);
        baseIndexes = indexed.layers;
        QSet<int> needStreaming;
        for (const ImageLayer &l : img.layers) {
            if (l.member < 0 || l.diffId.isEmpty()) {
                result.error = QStringLiteral("base layer %1 is missing (%2)").arg(l.index).arg(l.error.isEmpty() ? QStringLiteral("no diff ID") : l.error);
                return result;
            }
            LayerSource s;
            s.diffId = l.diffId;
            s.member = l.member;
            s.compression = l.compression;
            const auto &li = indexed.layers.value(l.index);
            s.size = l.compression == Compression::None ? base.archive->member(l.member).size : (li ? li->uncompressedSize : -1);
            if (s.size < 0) {
                result.error = QStringLiteral("base layer %1 could not be read").arg(l.index);
                return result;
            }
            if (!base.archive->seekable())
                needStreaming.insert(l.member);
            sources << s;
        }
        if (!needStreaming.isEmpty()) {
            // A base compressed as a whole is read once, its layers kept as temporary files.
            QString error;
            int n = 0;
            const bool ok = base.archive->scanMembers(needStreaming, [&](int member, MemberReader &reader) {
                const QString path = work.filePath(QStringLiteral("base-%1.tar").arg(n++));
                QFile f(path);
                if (!f.open(QIODevice::WriteOnly))
                    return false;
                QByteArray buffer(1 << 20, Qt::Uninitialized);
                qint64 got;
                while ((got = reader.read(buffer.data(), buffer.size())) > 0)
                    f.write(buffer.constData(), got);
                for (LayerSource &s : sources)
                    if (s.member == member)
                        s.file = path;
                return got == 0;
            }, progress, &error);
            if (!ok) {
                result.error = QStringLiteral("the base could not be streamed: %1").arg(error);
                return result;
            }
            // Stored compressed inside a compressed archive: decompress those copies too.
            for (LayerSource &s : sources) {
                if (s.compression == Compression::None || s.file.isEmpty())
                    continue;
                const QString plain = s.file + QStringLiteral(".plain");
                QFile in(s.file), outFile(plain);
                if (!in.open(QIODevice::ReadOnly) || !outFile.open(QIODevice::WriteOnly)) {
                    result.error = QStringLiteral("cannot prepare a base layer");
                    return result;
                }
                struct archive *raw = archive_read_new();
                supportCompressions(raw);
                archive_read_support_format_raw(raw);
                const QByteArray all = in.readAll();
                struct archive_entry *e = nullptr;
                if (archive_read_open_memory(raw, all.constData(), size_t(all.size())) == ARCHIVE_OK
                    && archive_read_next_header(raw, &e) == ARCHIVE_OK) {
                    QByteArray buffer(1 << 20, Qt::Uninitialized);
                    la_ssize_t got;
                    while ((got = archive_read_data(raw, buffer.data(), size_t(buffer.size()))) > 0)
                        outFile.write(buffer.constData(), got);
                }
                archive_read_free(raw);
                s.file = plain;
                s.compression = Compression::None;
            }
        }
    }

    bool workdirAdded = false;
    const QList<LayerSpec> layers = layersToWrite(composition, baseIndexes, &workdirAdded);

    // New layers.
    QJsonArray diffIds = config.value(QStringLiteral("rootfs")).toObject().value(QStringLiteral("diff_ids")).toArray();
    QJsonArray history = config.value(QStringLiteral("history")).toArray();
    for (int i = 0; i < layers.size(); ++i) {
        LayerSpec spec = layers.at(i);
        spec.mtime = mtime;
        const QString path = work.filePath(QStringLiteral("new-%1.tar").arg(i));
        const WrittenLayer w = writeLayer(spec, path, progress);
        if (!w.ok()) {
            result.error = w.error;
            return result;
        }
        LayerSource s;
        s.diffId = w.diffId;
        s.size = w.size;
        s.file = path;
        sources << s;
        diffIds.append(w.diffId);
        result.layerDiffIds << w.diffId;
        history.append(QJsonObject{{QStringLiteral("created"), composition.created},
                                   {QStringLiteral("created_by"), describeLayer(spec, composition.config, i == layers.size() - 1)}});
    }
    if (layers.isEmpty())
        history.append(QJsonObject{{QStringLiteral("created"), composition.created},
                                   {QStringLiteral("created_by"), describeLayer({}, composition.config, true)},
                                   {QStringLiteral("empty_layer"), true}});

    // The config: the base's, every field kept, with the edits applied.
    const QJsonObject settings = editedSettings(config.value(QStringLiteral("config")).toObject(), composition.config);
    config.insert(QStringLiteral("config"), settings);
    config.insert(QStringLiteral("created"), composition.created);
    QJsonObject rootfs{{QStringLiteral("type"), QStringLiteral("layers")}, {QStringLiteral("diff_ids"), diffIds}};
    config.insert(QStringLiteral("rootfs"), rootfs);
    config.insert(QStringLiteral("history"), history);
    config.remove(QStringLiteral("container")); // described the build container of the base, not this image
    const QByteArray configBytes = QJsonDocument(config).toJson(QJsonDocument::Compact);
    result.imageId = Sha256::of(configBytes);
    const QString imageHex = result.imageId.mid(7);

    // Legacy IDs (docs/compose.md): sha256 over the layer's chain ID, its parent's v1 ID and, for
    // the top layer, the image ID, so that the chain is consistent and changes with the image.
    QStringList ids;
    QString chain;
    for (int i = 0; i < sources.size(); ++i) {
        chain = chainNext(chain, sources.at(i).diffId);
        const QString parent = ids.isEmpty() ? QString() : ids.constLast();
        const QString top = i == sources.size() - 1 ? result.imageId : QString();
        ids << Sha256::of(QStringLiteral("lamina-v1\n%1\n%2\n%3\n").arg(chain, parent, top).toUtf8()).mid(7);
    }

    // The archive, written beside the target and renamed when complete.
    const QString part = options.output + QStringLiteral(".part");
    Writer w;
    w.mtime = mtime;
    w.fd = ::open(QFile::encodeName(part).constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w.fd < 0) {
        result.error = QStringLiteral("%1: cannot create: %2").arg(part, QString::fromLocal8Bit(strerror(errno)));
        return result;
    }
    archive_write_set_format_pax_restricted(w.a);
    if (options.compress == Compression::Gzip) {
        archive_write_add_filter_gzip(w.a);
        archive_write_set_filter_option(w.a, "gzip", "timestamp", nullptr); // no time stamp: reproducible
    } else if (options.compress == Compression::Zstd) {
        archive_write_add_filter_zstd(w.a);
    } else if (options.compress != Compression::None) {
        result.error = QStringLiteral("the output can be compressed with gzip or zstd only");
        ::close(w.fd);
        ::unlink(QFile::encodeName(part).constData());
        return result;
    }
    archive_write_set_bytes_per_block(w.a, 0);
    archive_write_open(w.a, &w, nullptr, &Writer::write, nullptr);
    bool ok = true;
    QHash<QString, QString> storedAt; // diff ID → the layer.tar that holds it
    QStringList layerPaths;
    if (options.format != ExportFormat::Docker) {
        ok = writeOciLayout(w, options, sources, base.archive.get(), configBytes, result.imageId, composition.tags, work, progress);
    }
    for (int i = 0; ok && options.format == ExportFormat::Docker && i < sources.size(); ++i) {
        const LayerSource &s = sources.at(i);
        const QString id = ids.at(i);
        QJsonObject json{{QStringLiteral("id"), id},
                         {QStringLiteral("created"), i == sources.size() - 1 ? composition.created : QStringLiteral("1970-01-01T00:00:00Z")},
                         {QStringLiteral("os"), config.value(QStringLiteral("os"))}};
        if (i > 0)
            json.insert(QStringLiteral("parent"), ids.at(i - 1));
        if (i == sources.size() - 1) {
            // The top layer carries the image's own settings, which legacy loaders make the config.
            json.insert(QStringLiteral("config"), settings);
            json.insert(QStringLiteral("architecture"), config.value(QStringLiteral("architecture")));
            if (config.contains(QStringLiteral("variant")))
                json.insert(QStringLiteral("variant"), config.value(QStringLiteral("variant")));
        }
        const QString layerPath = id + QStringLiteral("/layer.tar");
        layerPaths << layerPath;
        ok = w.header(id + u'/', AE_IFDIR, 0) && w.bytes(id + QStringLiteral("/VERSION"), "1.0")
            && w.bytes(id + QStringLiteral("/json"), QJsonDocument(json).toJson(QJsonDocument::Compact));
        if (!ok)
            break;
        if (storedAt.contains(s.diffId)) {
            // Stored once: the second copy is a relative link, as Docker ≤ 24 writes (FORMATS.md §1.2).
            ok = w.header(layerPath, AE_IFLNK, 0, QStringLiteral("../") + storedAt.value(s.diffId));
            continue;
        }
        storedAt.insert(s.diffId, layerPath);
        ok = w.header(layerPath, AE_IFREG, s.size) && copyLayer(w, s, base.archive.get(), progress);
    }
    if (ok && options.format == ExportFormat::Docker) {
        QJsonObject entry{{QStringLiteral("Config"), QString(imageHex + QStringLiteral(".json"))},
                          {QStringLiteral("RepoTags"), composition.tags.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(QJsonArray::fromStringList(composition.tags))},
                          {QStringLiteral("Layers"), QJsonArray::fromStringList(layerPaths)}};
        QJsonObject repositories;
        for (const QString &tag : composition.tags) {
            const qsizetype colon = tag.lastIndexOf(u':');
            const QString repo = colon > tag.lastIndexOf(u'/') ? tag.left(colon) : tag;
            const QString name = colon > tag.lastIndexOf(u'/') ? tag.mid(colon + 1) : QStringLiteral("latest");
            QJsonObject tags = repositories.value(repo).toObject();
            tags.insert(name, ids.isEmpty() ? QString() : ids.constLast());
            repositories.insert(repo, tags);
        }
        ok = w.bytes(imageHex + QStringLiteral(".json"), configBytes)
            && w.bytes(QStringLiteral("manifest.json"), QJsonDocument(QJsonArray{entry}).toJson(QJsonDocument::Compact))
            && (composition.tags.isEmpty() || w.bytes(QStringLiteral("repositories"), QJsonDocument(repositories).toJson(QJsonDocument::Compact)));
    }
    if (ok && archive_write_close(w.a) != ARCHIVE_OK) {
        ok = false;
        if (w.error.isEmpty())
            w.error = QString::fromLocal8Bit(archive_error_string(w.a));
    }
    ok = ok && ::fsync(w.fd) == 0;
    ::close(w.fd);
    if (!ok || progress.cancelled() || ::rename(QFile::encodeName(part).constData(), QFile::encodeName(options.output).constData()) != 0) {
        ::unlink(QFile::encodeName(part).constData());
        result.error = progress.cancelled() ? QStringLiteral("cancelled")
                                            : (w.error.isEmpty() ? QStringLiteral("%1: cannot write: %2").arg(options.output, QString::fromLocal8Bit(strerror(errno))) : w.error);
        return result;
    }

    if (!options.checkResult)
        return result;
    // Re-open what was written and check it as any archive: it must stand on its own.
    const ImageArchive written = openImageArchive(options.output);
    result.checks = checkArchive(written);
    result.checks += verificationFindings(written, verifyArchive(written));
    sortFindings(result.checks);
    const int baseLayers = composition.basePath.isEmpty() ? 0 : int(base.images.at(composition.baseImage).layers.size());
    if (written.ok() && written.images.at(0).config)
        result.preflight = preflightChecks(indexImageLayers(written, 0).layers, baseLayers, written.images.at(0).config->config, workdirAdded);
    return result;
}

} // namespace lamina
