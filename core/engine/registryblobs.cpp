// SPDX-License-Identifier: MIT
// docs/engines.md, "Registries": the blob cache a pull fills and links its layouts to, and the
// fetcher of the layers a pull leaves in the registry until they are read.
#include "engine/registryblobs_p.h"

#include "engine/registryclient_p.h"
#include "engine/registrysource.h"
#include "util/sha256.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryFile>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <vector>

namespace lamina::registry {

namespace {

/// Marks a cached blob as just used: the cache's order of eviction.
void touch(const QString &path)
{
    ::utimensat(AT_FDCWD, QFile::encodeName(path).constData(), nullptr, 0);
}

} // namespace

qint64 bytesFromEnvironment(const char *variable, qint64 defaultMiB)
{
    bool set = false;
    const qint64 mb = qEnvironmentVariable(variable).toLongLong(&set);
    return (set && mb >= 0 && mb < (qint64(1) << 40) ? mb : defaultMiB) << 20;
}

QString blobFolderOf(const RegistryOptions &options)
{
    return options.blobFolder.isEmpty() ? registryBlobFolder() : options.blobFolder;
}

void trimBlobs(const QString &folder, qint64 bound)
{
    const QString sha = folder + QStringLiteral("/sha256");
    // What a killed pull left half written.
    const QDateTime dayAgo = QDateTime::currentDateTimeUtc().addDays(-1);
    for (const QFileInfo &part : QDir(sha).entryInfoList({ QStringLiteral(".part-*") }, QDir::Files | QDir::Hidden))
        if (part.lastModified().toUTC() < dayAgo)
            QFile::remove(part.filePath());
    if (bound < 0)
        return;
    // A blob a pulled layout still links to frees nothing when its cache name goes: not counted.
    QFileInfoList blobs;
    qint64 total = 0;
    for (const QFileInfo &b : QDir(sha).entryInfoList(QDir::Files)) {
        struct stat st;
        if (::stat(QFile::encodeName(b.filePath()).constData(), &st) != 0 || st.st_nlink > 1)
            continue;
        blobs << b;
        total += b.size();
    }
    if (total <= bound)
        return;
    std::sort(blobs.begin(), blobs.end(),
        [](const QFileInfo &a, const QFileInfo &b) { return a.lastModified() < b.lastModified(); });
    for (const QFileInfo &b : std::as_const(blobs)) {
        if (total <= bound)
            break;
        if (QFile::remove(b.filePath()))
            total -= b.size();
    }
}

bool linkCached(const Blob &blob, const QString &blobs, const QString &to)
{
    // Kept only after its digest matched, and read-only since; `lamina verify` hashes it again
    // when asked. Gone meanwhile (another Lamina trimmed the cache), it is fetched again.
    const QString cached = blobs + QStringLiteral("/sha256/") + blob.digest.mid(7);
    if (QFileInfo(cached).size() != blob.size || !QFileInfo(cached).isFile()
        || ::link(QFile::encodeName(cached).constData(), QFile::encodeName(to).constData()) != 0)
        return false;
    touch(cached);
    return true;
}

bool fetchBlob(Client &client, const RegistryReference &ref, const Blob &blob, const QString &blobs, const QString &to,
    const Progress &progress, qint64 *done, qint64 total, Fetched *fetched, QString *error)
{
    if (QFileInfo::exists(to)) {
        *done += blob.size; // the same blob twice in one manifest
        return true;
    }
    if (linkCached(blob, blobs, to)) {
        ++fetched->fromCache;
        *done += blob.size;
        progress.update(*done, total);
        return true;
    }
    if (!QDir().mkpath(blobs + QStringLiteral("/sha256"))) {
        *error = QStringLiteral("cannot make the folder %1/sha256").arg(blobs);
        return false;
    }
    QTemporaryFile part(blobs + QStringLiteral("/sha256/.part-XXXXXX"));
    if (!part.open()) {
        *error = QStringLiteral("cannot make a file in %1/sha256: %2").arg(blobs, part.errorString());
        return false;
    }
    Sha256 hash;
    registry::Answer answer;
    QString writeError;
    const qint64 start = *done;
    const bool ok = client.get(
        QStringLiteral("/v2/%1/blobs/%2").arg(ref.repository, blob.digest), "*/*", blob.size, blob.size,
        [&](const char *data, qint64 n) {
            if (part.write(data, n) != n) {
                writeError = QStringLiteral("cannot write %1: %2").arg(part.fileName(), part.errorString());
                return false;
            }
            hash.add(data, n);
            *done += n;
            progress.update(*done, total);
            return true;
        },
        &answer);
    if (!ok || !writeError.isEmpty() || !part.flush()) {
        *error = QStringLiteral("blob %1: %2").arg(blob.digest, writeError.isEmpty() ? answer.error : writeError);
        return false;
    }
    const qint64 got = *done - start;
    if (got != blob.size) {
        *error = QStringLiteral("the registry sent %1 bytes of blob %2, whose manifest gives %3")
                     .arg(got)
                     .arg(blob.digest)
                     .arg(blob.size);
        return false;
    }
    if (const QString digest = hash.finish(); digest != blob.digest) {
        *error = QStringLiteral("the registry sent blob %1 whose bytes hash to %2").arg(blob.digest, digest);
        return false;
    }
    // Read-only: the layouts' links share the file, and none of them may change what the cache
    // serves the next time.
    ::fchmod(part.handle(), 0444);
    ::fsync(part.handle());
    part.close();
    // A copy where the file system has no hard links.
    if (::link(QFile::encodeName(part.fileName()).constData(), QFile::encodeName(to).constData()) != 0
        && !QFile::copy(part.fileName(), to)) {
        *error = QStringLiteral("cannot link blob %1 to %2").arg(blob.digest, to);
        return false;
    }
    const QString cached = blobs + QStringLiteral("/sha256/") + blob.digest.mid(7);
    if (::rename(QFile::encodeName(part.fileName()).constData(), QFile::encodeName(cached).constData()) != 0) {
        QFile::remove(to);
        *error = QStringLiteral("cannot keep blob %1 in %2").arg(blob.digest, cached);
        return false;
    }
    part.setAutoRemove(false);
    ++fetched->fromNetwork;
    fetched->bytes += got;
    return true;
}

namespace {

/// A pulled layout's layers not fetched yet, fetched from the registry when the archive reads
/// them: the pull's reference and options kept, and a client kept per fetch running at once, so
/// that a token the registry gave is asked for once per client rather than per layer.
class RegistryBlobs : public RemoteBlobs
{
public:
    RegistryBlobs(const RegistryReference &ref, const RegistryOptions &options)
        : m_ref(ref)
        , m_options(options)
    {
    }

    bool fetch(const Member &member, const QString &file, const Progress &progress, QString *error) override
    {
        Blob blob;
        blob.digest = QStringLiteral("sha256:") + member.path.section(u'/', -1);
        blob.size = member.size;
        if (!validDigest(blob.digest) || !member.path.startsWith(u"blobs/sha256/")) {
            *error = QStringLiteral("%1: %2 is no blob of the registry's").arg(m_ref.text(), member.path);
            return false;
        }
        std::unique_ptr<Slot> slot = take();
        slot->progress = progress;
        qint64 done = 0;
        Fetched fetched;
        QString why;
        const bool ok = fetchBlob(
            *slot->client, m_ref, blob, blobFolderOf(m_options), file, progress, &done, blob.size, &fetched, &why);
        slot->progress = {};
        give(std::move(slot));
        if (!ok)
            *error = progress.cancelled() ? QStringLiteral("%1: blob %2: cancelled").arg(m_ref.text(), blob.digest)
                                          : QStringLiteral("%1: %2").arg(m_ref.text(), why);
        return ok;
    }

private:
    struct Slot
    {
        Progress progress; ///< the fetch's own, which the client looks at
        std::unique_ptr<Client> client;
    };
    std::unique_ptr<Slot> take()
    {
        {
            std::lock_guard<std::mutex> guard(m_lock);
            if (!m_idle.empty()) {
                std::unique_ptr<Slot> s = std::move(m_idle.back());
                m_idle.pop_back();
                return s;
            }
        }
        auto s = std::make_unique<Slot>();
        s->client = std::make_unique<Client>(m_ref, m_options, s->progress);
        return s;
    }
    void give(std::unique_ptr<Slot> slot)
    {
        std::lock_guard<std::mutex> guard(m_lock);
        m_idle.push_back(std::move(slot));
    }

    const RegistryReference m_ref;
    const RegistryOptions m_options;
    std::mutex m_lock;
    std::vector<std::unique_ptr<Slot>> m_idle;
};

} // namespace

std::shared_ptr<RemoteBlobs> registryBlobs(const RegistryReference &ref, const RegistryOptions &options)
{
    return std::make_shared<RegistryBlobs>(ref, options);
}

} // namespace lamina::registry
