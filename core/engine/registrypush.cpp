// SPDX-License-Identifier: MIT
// docs/engines.md, "Pushing": the image of an OCI layout folder pushed over the distribution API.
#include "engine/registryblob_p.h"
#include "engine/registryblobs_p.h"
#include "engine/registryclient_p.h"
#include "engine/registrysource.h"
#include "util/sha256.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrlQuery>

namespace lamina {

using namespace registry;

namespace {

/// Reads `length` bytes of `path` from `offset` in pieces for a request's body (-1: to the end),
/// counting the bytes sent.
bool sendFile(const QString &path, const std::function<bool(const char *, qint64)> &send, QString *error,
    const std::function<void(qint64)> &sent, qint64 offset = 0, qint64 length = -1)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly) || !f.seek(offset)) {
        *error = QStringLiteral("cannot read %1: %2").arg(path, f.errorString());
        return false;
    }
    QByteArray buffer(1 << 20, Qt::Uninitialized);
    for (qint64 left = length; left != 0;) {
        const qint64 n = f.read(buffer.data(), left < 0 ? buffer.size() : std::min<qint64>(left, buffer.size()));
        if (n < 0) {
            *error = QStringLiteral("cannot read %1: %2").arg(path, f.errorString());
            return false;
        }
        if (n == 0)
            return left < 0;
        if (!send(buffer.constData(), n))
            return false;
        sent(n);
        if (left > 0)
            left -= n;
    }
    return true;
}

/// The chunk size of options.chunkBytes: -1 asks LAMINA_PUSH_CHUNK_MB, else 64 MiB.
qint64 chunkBytesOf(const RegistryOptions &options)
{
    if (options.chunkBytes >= 0)
        return options.chunkBytes;
    return bytesFromEnvironment("LAMINA_PUSH_CHUNK_MB", 64);
}

/// LAST of an upload's Range "0-LAST" (the bytes the registry has, counted from 0); -1 when the
/// Range is not of that form.
qint64 rangeEnd(const QByteArray &range)
{
    const QList<QByteArray> ends = range.split('-');
    bool ok = ends.size() == 2 && ends.at(0).trimmed() == "0";
    const qint64 last = ok ? ends.at(1).trimmed().toLongLong(&ok) : -1;
    return ok && last >= 0 ? last : -1;
}

class Push
{
public:
    Push(const RegistryReference &ref, const RegistryOptions &options, const Progress &progress)
        : ref(ref)
        , progress(progress)
        , client(ref, options, progress)
        , chunkBytes(chunkBytesOf(options))
    {
    }

    RegistryPushed run(const QString &layout, const QString &mountFrom);

private:
    bool putBlob(const Blob &blob, const QString &file, const QString &mountFrom, qint64 *done, qint64 total);
    /// PATCHes the blob to the upload at `url` a chunk at a time; `url` ends as the upload's last
    /// Location, for the PUT that closes it.
    bool patchChunks(const Blob &blob, const QString &file, qint64 chunk, QUrl *url, qint64 *done, qint64 total);
    /// The bytes the upload at `url` has, asked by a GET of it; `url` becomes the Location it
    /// answers with.
    bool uploadKept(const Blob &blob, QUrl *url, qint64 *kept);
    bool fail(const QString &why)
    {
        pushed.error = QStringLiteral("%1: %2").arg(ref.text(), why);
        return false;
    }

    const RegistryReference &ref;
    const Progress &progress;
    Client client;
    const qint64 chunkBytes;
    RegistryPushed pushed;
};

bool Push::patchChunks(const Blob &blob, const QString &file, qint64 chunk, QUrl *url, qint64 *done, qint64 total)
{
    const qint64 start = *done;
    int failures = 0;
    for (qint64 offset = 0; offset < blob.size;) {
        const qint64 n = std::min(chunk, blob.size - offset);
        registry::Request patch;
        patch.method = "PATCH";
        patch.url = *url;
        patch.contentType = "application/octet-stream";
        patch.contentRange = QByteArray::number(offset) + '-' + QByteArray::number(offset + n - 1);
        patch.bodySize = n;
        patch.retry = false;
        patch.body = [&](const std::function<bool(const char *, qint64)> &send, QString *error) {
            *done = start + offset; // from the chunk's start again when it is asked again
            return sendFile(
                file, send, error,
                [&](qint64 sent) {
                    *done += sent;
                    progress.update(*done, total);
                },
                offset, n);
        };
        registry::Answer answer;
        const bool answered = client.send(patch, &answer);
        if (answered && answer.status == 202) {
            if (!answer.location.isEmpty())
                *url = url->resolved(QUrl::fromEncoded(answer.location));
            // The registry says how much it has: the next chunk starts there, and a registry that
            // kept less than it was sent is sent the rest again (never a byte it says it has twice).
            qint64 next = offset + n;
            if (!answer.range.isEmpty()) {
                const qint64 last = rangeEnd(answer.range);
                if (last < 0 || last + 1 <= offset || last + 1 > offset + n)
                    return fail(QStringLiteral("blob %1: after bytes %2 the registry says it has bytes \"%3\"")
                                    .arg(blob.digest, QString::fromLatin1(patch.contentRange),
                                        QString::fromLatin1(answer.range.left(80))));
                next = last + 1;
            }
            offset = next;
            *done = start + offset;
            continue;
        }
        // A chunk that failed on the way (no answer, 429, 5xx) may have been partly kept: a
        // registry writes a PATCH's body as it comes. Sent again as it was, its range would no
        // longer follow what the upload has (416); the upload is asked how much it has instead,
        // and the blob goes on from there.
        const bool transient = !answered || answer.status == 429 || answer.status >= 500;
        if (!transient || failures >= registry::Client::kMaxRetries)
            return fail(answered ? client.refused(patch, answer)
                                 : QStringLiteral("blob %1, bytes %2: %3")
                                       .arg(blob.digest, QString::fromLatin1(patch.contentRange), answer.error));
        if (!client.pause(++failures, answer.retryAfter))
            return fail(QStringLiteral("cancelled"));
        qint64 kept = 0;
        if (!uploadKept(blob, url, &kept))
            return false;
        if (kept > offset + n)
            return fail(QStringLiteral("blob %1: after a failed PATCH of bytes %2 the registry says it has %3 bytes")
                            .arg(blob.digest, QString::fromLatin1(patch.contentRange))
                            .arg(kept));
        offset = kept;
        *done = start + offset;
    }
    return true;
}

bool Push::uploadKept(const Blob &blob, QUrl *url, qint64 *kept)
{
    registry::Request status;
    status.url = *url;
    registry::Answer answer;
    if (!client.send(status, &answer))
        return fail(QStringLiteral("blob %1: asking the upload how much it has: %2").arg(blob.digest, answer.error));
    if (answer.status != 204 && answer.status != 200)
        return fail(client.refused(status, answer));
    // Its Location carries the upload's state as of now (distribution signs it): the next PATCH
    // goes there.
    if (!answer.location.isEmpty())
        *url = url->resolved(QUrl::fromEncoded(answer.location));
    const qint64 last = rangeEnd(answer.range);
    if (last < 0)
        return fail(QStringLiteral("blob %1: the registry did not say how much of the upload it has (Range \"%2\")")
                        .arg(blob.digest, QString::fromLatin1(answer.range.left(80))));
    // distribution answers "0-0" for an upload of no bytes as for one of a single byte
    // (registry/handlers/blobupload.go, blobUploadResponse); taken as none, a byte it has is sent
    // again and refused (416), rather than a byte it lacks never sent.
    *kept = answer.range.trimmed() == "0-0" ? 0 : last + 1;
    return true;
}

bool Push::putBlob(const Blob &blob, const QString &file, const QString &mountFrom, qint64 *done, qint64 total)
{
    registry::Request head;
    head.method = "HEAD";
    head.path = QStringLiteral("/v2/%1/blobs/%2").arg(ref.repository, blob.digest);
    registry::Answer answer;
    if (!client.send(head, &answer))
        return fail(answer.error);
    if (answer.status == 200) {
        ++pushed.blobsPresent;
        return true;
    }
    if (answer.status != 404)
        return fail(client.refused(head, answer));
    // A blob of another repository of this registry is mounted, not sent (the spec's "mount").
    registry::Request start;
    start.method = "POST";
    start.path = QStringLiteral("/v2/%1/blobs/uploads/").arg(ref.repository);
    if (!mountFrom.isEmpty() && mountFrom != ref.repository)
        start.path += QStringLiteral("?mount=%1&from=%2").arg(blob.digest, mountFrom);
    if (!client.send(start, &answer))
        return fail(answer.error);
    if (answer.status == 201) {
        ++pushed.blobsMounted;
        return true;
    }
    if (answer.status != 202 || answer.location.isEmpty())
        return fail(client.refused(start, answer));
    QUrl url = client.urlOf(start.path).resolved(QUrl::fromEncoded(answer.location));
    // A registry may ask for chunks no smaller than it names.
    const qint64 chunk = std::max(chunkBytes, answer.chunkMin.toLongLong());
    const bool chunked = chunkBytes > 0 && blob.size > chunk;
    if (chunked && !patchChunks(blob, file, chunk, &url, done, total))
        return false;
    QUrlQuery query(url);
    query.addQueryItem(QStringLiteral("digest"), blob.digest);
    url.setQuery(query);
    registry::Request put;
    put.method = "PUT";
    put.url = url;
    put.contentType = "application/octet-stream";
    put.bodySize = chunked ? 0 : blob.size;
    const qint64 before = *done;
    if (!chunked)
        put.body = [&](const std::function<bool(const char *, qint64)> &send, QString *error) {
            *done = before; // from the start again when the request is repeated
            return sendFile(file, send, error, [&](qint64 n) {
                *done += n;
                progress.update(*done, total);
            });
        };
    if (!client.send(put, &answer))
        return fail(QStringLiteral("blob %1: %2").arg(blob.digest, answer.error));
    if (answer.status != 201)
        return fail(client.refused(put, answer));
    if (!answer.digest.isEmpty() && answer.digest != blob.digest.toLatin1())
        return fail(
            QStringLiteral("the registry took blob %1 as %2").arg(blob.digest, QString::fromLatin1(answer.digest)));
    ++pushed.blobsSent;
    pushed.blobsChunked += chunked ? 1 : 0;
    pushed.bytesSent += blob.size;
    return true;
}

RegistryPushed Push::run(const QString &layout, const QString &mountFrom)
{
    if (!ref.digest.isEmpty()) {
        fail(QStringLiteral("a push names a tag, not a digest (the registry computes the digest)"));
        return pushed;
    }
    const QJsonArray manifests
        = readJson(layout + QStringLiteral("/index.json")).value(QStringLiteral("manifests")).toArray();
    if (manifests.size() != 1) {
        fail(QStringLiteral("%1 holds %2 images; one is pushed at a time").arg(layout).arg(manifests.size()));
        return pushed;
    }
    QString why;
    const std::optional<Blob> top = blobOf(manifests.at(0), &why);
    if (!top) {
        fail(QStringLiteral("%1/index.json: %2").arg(layout, why));
        return pushed;
    }
    const auto blobPath
        = [&](const QString &digest) -> QString { return layout + QStringLiteral("/blobs/sha256/") + digest.mid(7); };
    QFile manifestFile(blobPath(top->digest));
    if (!manifestFile.open(QIODevice::ReadOnly) || manifestFile.size() > kMaxManifestBytes) {
        fail(QStringLiteral("cannot read the manifest %1").arg(manifestFile.fileName()));
        return pushed;
    }
    const QByteArray manifest = manifestFile.readAll();
    Sha256 hash;
    hash.add(manifest);
    if (hash.finish() != top->digest) {
        fail(QStringLiteral("the manifest %1 does not hash to its name").arg(manifestFile.fileName()));
        return pushed;
    }
    const QJsonObject m = QJsonDocument::fromJson(manifest).object();
    QList<Blob> blobs;
    for (const QJsonValue &l : m.value(QStringLiteral("layers")).toArray()) {
        const std::optional<Blob> b = blobOf(l, &why);
        if (!b) {
            fail(why);
            return pushed;
        }
        blobs << *b;
    }
    const std::optional<Blob> config = blobOf(m.value(QStringLiteral("config")), &why);
    if (!config) {
        fail(why);
        return pushed;
    }
    blobs << *config;
    qint64 total = 0;
    for (const Blob &b : std::as_const(blobs)) {
        if (QFileInfo(blobPath(b.digest)).size() != b.size) {
            fail(QStringLiteral("%1 is not the %2 bytes its manifest gives").arg(blobPath(b.digest)).arg(b.size));
            return pushed;
        }
        total += b.size;
    }
    qint64 done = 0;
    progress.update(0, total);
    for (const Blob &b : std::as_const(blobs))
        if (!putBlob(b, blobPath(b.digest), mountFrom, &done, total))
            return pushed;
    registry::Request put;
    put.method = "PUT";
    put.path = QStringLiteral("/v2/%1/manifests/%2").arg(ref.repository, ref.tag);
    put.contentType = (top->mediaType.isEmpty() ? kOciManifest : top->mediaType).toLatin1();
    put.bodySize = manifest.size();
    put.body = [&](const std::function<bool(const char *, qint64)> &send, QString *) {
        return send(manifest.constData(), manifest.size());
    };
    registry::Answer answer;
    if (!client.send(put, &answer)) {
        fail(QStringLiteral("the manifest: %1").arg(answer.error));
        return pushed;
    }
    if (answer.status != 201) {
        fail(client.refused(put, answer));
        return pushed;
    }
    pushed.digest = answer.digest.isEmpty() ? top->digest : QString::fromLatin1(answer.digest);
    if (pushed.digest != top->digest) {
        fail(QStringLiteral("the registry took the manifest %1 as %2").arg(top->digest, pushed.digest));
        pushed.digest.clear();
        return pushed;
    }
    QStringList parts { QStringLiteral("%1 blob(s) sent (%2 bytes%3)")
                            .arg(pushed.blobsSent)
                            .arg(pushed.bytesSent)
                            .arg(pushed.blobsChunked ? QStringLiteral("; %1 in chunks").arg(pushed.blobsChunked)
                                                     : QString()) };
    if (pushed.blobsPresent)
        parts << QStringLiteral("%1 there already").arg(pushed.blobsPresent);
    if (pushed.blobsMounted)
        parts << QStringLiteral("%1 mounted from %2").arg(pushed.blobsMounted).arg(mountFrom);
    pushed.how = QStringLiteral("pushed to the registry at %1 over %2: %3")
                     .arg(ref.host, client.transport(), parts.join(QStringLiteral(", ")));
    return pushed;
}

} // namespace

RegistryPushed pushToRegistry(const QString &layout, const RegistryReference &ref, const QString &mountFrom,
    const RegistryOptions &options, const Progress &progress)
{
    return Push(ref, options, progress).run(layout, mountFrom);
}

} // namespace lamina
