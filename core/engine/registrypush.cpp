// SPDX-License-Identifier: MIT
// docs/engines.md, "Pushing": the image of an OCI layout folder pushed over the distribution API.
#include "engine/registryblob_p.h"
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

/// Reads `path` in pieces for a request's body, counting the bytes sent.
bool sendFile(const QString &path, const std::function<bool(const char *, qint64)> &send, QString *error,
    const std::function<void(qint64)> &sent)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1: %2").arg(path, f.errorString());
        return false;
    }
    QByteArray buffer(1 << 20, Qt::Uninitialized);
    for (;;) {
        const qint64 n = f.read(buffer.data(), buffer.size());
        if (n < 0) {
            *error = QStringLiteral("cannot read %1: %2").arg(path, f.errorString());
            return false;
        }
        if (n == 0)
            return true;
        if (!send(buffer.constData(), n))
            return false;
        sent(n);
    }
}

class Push
{
public:
    Push(const RegistryReference &ref, const RegistryOptions &options, const Progress &progress)
        : ref(ref)
        , progress(progress)
        , client(ref, options, progress)
    {
    }

    RegistryPushed run(const QString &layout, const QString &mountFrom);

private:
    bool putBlob(const Blob &blob, const QString &file, const QString &mountFrom, qint64 *done, qint64 total);
    bool fail(const QString &why)
    {
        pushed.error = QStringLiteral("%1: %2").arg(ref.text(), why);
        return false;
    }

    const RegistryReference &ref;
    const Progress &progress;
    Client client;
    RegistryPushed pushed;
};

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
    QUrlQuery query(url);
    query.addQueryItem(QStringLiteral("digest"), blob.digest);
    url.setQuery(query);
    registry::Request put;
    put.method = "PUT";
    put.url = url;
    put.contentType = "application/octet-stream";
    put.bodySize = blob.size;
    const qint64 before = *done;
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
    QStringList parts { QStringLiteral("%1 blob(s) sent (%2 bytes)").arg(pushed.blobsSent).arg(pushed.bytesSent) };
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
