// SPDX-License-Identifier: MIT
// Composing an image on a base and writing it as a docker archive whose legacy chain and
// manifest agree (docs/formats.md §1.2, §3, §6; docs/compose.md).
#include "compose/composition.h"

#include "archive/inflater_p.h"
#include "archive/libarchive_p.h"
#include "check/checks.h"
#include "check/verify.h"
#include "compose/preflight.h"
#include "format/imagearchive.h"
#include "layers/extract.h"
#include "layers/imagelayers.h"
#include "util/safewrite.h"
#include "util/sha256.h"
#include "util/utf8locale.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTimeZone>

#include <QThread>

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <future>
#include <mutex>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace lamina {

QString normaliseTag(const QString &tag, QString *error)
{
    // The grammar of distribution/reference (regexp.go): domain components may hold uppercase,
    // path components may not, and the first component is a domain only when a path follows it.
    // "-+" between alphanumerics accepts what regexp.go's "[-]*" does, without two quantifiers
    // that can match the same run (a long bad name fails fast). \w is spelt out: Qt's is Unicode.
    static const QRegularExpression grammar(QStringLiteral(
        "^((?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-"
        "9]))*"
        "(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
        "(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?\\z"));
    const QRegularExpressionMatch m = tag.size() <= 512 ? grammar.match(tag) : QRegularExpressionMatch();
    if (!m.hasMatch()) {
        *error = QStringLiteral(
            "the tag \"%1\" is not a valid image reference: NAME[:TAG] with a lowercase name (an optional "
            "registry host[:port]/ first), a tag of letters, digits, '_', '.' and '-' (at most 128, "
            "not starting with '.' or '-'), and no digest")
                     .arg(tag);
        return {};
    }
    if (m.captured(1).size() > 255) {
        *error = QStringLiteral("the tag \"%1\": the name has %2 characters, more than the 255 a reference allows")
                     .arg(tag)
                     .arg(m.captured(1).size());
        return {};
    }
    return m.captured(2).isEmpty() ? m.captured(1) + QStringLiteral(":latest") : tag;
}

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
    qint64 size = -1; ///< uncompressed bytes
    QString file; ///< a file holding exactly the uncompressed tar, or
    int member = -1; ///< a member of the base archive,
    Compression compression = Compression::None; ///< stored this way there
    QString storedDigest; ///< the member's digest as stored (compressed), when known
    qint64 storedSize = -1; ///< and its size
};

/// Copies `length` bytes from `in` at `offset` to `out` at its position, by the kernel when it can
/// (copy_file_range: no trip through user space, and a reflink where the file system has them),
/// else by pread and write. Returns the bytes copied; fewer means `in` ended early.
qint64 copyRange(int in, qint64 offset, int out, qint64 length, QString *error)
{
    qint64 done = 0;
    bool kernel = true;
    QByteArray buffer;
    while (done < length) {
        if (kernel) {
            loff_t from = offset + done;
            const ssize_t n
                = ::copy_file_range(in, &from, out, nullptr, size_t(std::min<qint64>(length - done, 1 << 30)), 0);
            if (n > 0) {
                done += n;
                continue;
            }
            if (n == 0)
                return done;
            if (errno == EINTR)
                continue;
            if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP && errno != EBADF) {
                *error = QStringLiteral("copy failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
                return -1;
            }
            kernel = false; // another file system, or one without it: copy through a buffer
            buffer.resize(1 << 20);
        }
        const ssize_t n
            = ::pread(in, buffer.data(), size_t(std::min<qint64>(length - done, buffer.size())), offset + done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                *error = QStringLiteral("read failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
            return n < 0 ? -1 : done;
        }
        for (ssize_t put = 0; put < n;) {
            const ssize_t w = ::write(out, buffer.constData() + put, size_t(n - put));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                *error = QStringLiteral("write failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
                return -1;
            }
            put += w;
        }
        done += n;
    }
    return done;
}

/// Where the output goes: a tar written by libarchive into `fd`, or (oci-dir) files in the folder
/// `rootFd`, each opened by header() and filled by data().
struct Writer
{
    struct archive *a = nullptr;
    int fd = -1;
    int rootFd = -1;
    bool filtered = false; ///< the tar is compressed as a whole: bytes must pass through libarchive
    qint64 mtime = 1;
    QString error;
    // While set, the bytes libarchive hands to write() for the current member are not used: the
    // same count is copied from here by the kernel, so libarchive keeps its framing and padding.
    int spliceFd = -1;
    qint64 spliceOffset = 0;
    // Where the current member's data goes, for reading it back: the tar file and the offset, or
    // the folder and the file's path in it.
    QString outputPath;
    qint64 memberOffset = -1;
    QString memberPath;

    Writer() = default;
    Writer(const Writer &) = delete;
    Writer &operator=(const Writer &) = delete;
    ~Writer()
    {
        if (a)
            archive_write_free(a);
        if (rootFd >= 0) {
            if (fd >= 0)
                ::close(fd);
            ::close(rootFd);
        }
    }
    bool folder() const { return rootFd >= 0; }

    static bool writeAll(int fd, const char *p, size_t length, QString *error)
    {
        size_t done = 0;
        while (done < length) {
            const ssize_t n = ::write(fd, p + done, length - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                *error = QStringLiteral("write failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
                return false;
            }
            done += size_t(n);
        }
        return true;
    }

    static la_ssize_t write(struct archive *, void *data, const void *buffer, size_t length)
    {
        auto *w = static_cast<Writer *>(data);
        if (w->spliceFd >= 0) {
            const qint64 n = copyRange(w->spliceFd, w->spliceOffset, w->fd, qint64(length), &w->error);
            if (n != qint64(length)) {
                if (n >= 0)
                    w->error = QStringLiteral("a base layer ends %1 bytes early").arg(qint64(length) - n);
                return -1;
            }
            w->spliceOffset += n;
        } else if (!writeAll(w->fd, static_cast<const char *>(buffer), length, &w->error)) {
            return -1;
        }
        w->wrote(qint64(length));
        return la_ssize_t(length);
    }

    /// Starts the disk writing what is written so far, every few megabytes, without waiting for
    /// it. Left to itself, the kernel holds gigabytes of dirty pages until the final fsync, so the
    /// disk would sit idle while the copy runs and the copy idle while the disk catches up.
    void wrote(qint64 n)
    {
        end += n;
        if (end - flushed >= kWritebackStep) {
            ::sync_file_range(fd, flushed, end - flushed, SYNC_FILE_RANGE_WRITE);
            flushed = end;
        }
    }
    static constexpr qint64 kWritebackStep = 32ll << 20;
    qint64 end = 0; ///< bytes written to `fd` (sequentially, from its start)
    qint64 flushed = 0; ///< of which handed to the disk

    bool header(const QString &path, int type, qint64 size, const QString &link = {})
    {
        memberPath = path;
        if (folder())
            return folderHeader(path, type, link);
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
        // Unblocked and unfiltered, the header is on disk now and the data starts here.
        memberOffset = filtered ? -1 : ::lseek(fd, 0, SEEK_CUR);
        return ok;
    }
    bool folderHeader(const QString &path, int type, const QString &link)
    {
        if (!closeFile())
            return false;
        const QByteArray name = QFile::encodeName(path.endsWith(u'/') ? path.chopped(1) : path);
        bool ok = true;
        if (type == AE_IFDIR) {
            ok = ::mkdirat(rootFd, name.constData(), 0755) == 0 || errno == EEXIST;
        } else if (type == AE_IFLNK) {
            ok = ::symlinkat(QFile::encodeName(link).constData(), rootFd, name.constData()) == 0;
        } else {
            fd = ::openat(rootFd, name.constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
            ok = fd >= 0;
        }
        if (!ok && error.isEmpty())
            error = QStringLiteral("%1: %2").arg(path, QString::fromLocal8Bit(strerror(errno)));
        return ok;
    }
    bool closeFile()
    {
        if (!folder() || fd < 0)
            return true;
        // One fixed time on every file, so that the folder, like the archive, depends only on
        // the composition.
        const struct timespec times[2] = { { mtime, 0 }, { mtime, 0 } };
        ::futimens(fd, times);
        ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE); // the disk starts now, not at syncfs
        const bool ok = ::close(fd) == 0;
        fd = -1;
        if (!ok && error.isEmpty())
            error = QStringLiteral("close failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return ok;
    }
    bool data(const char *p, qint64 n)
    {
        if (folder())
            return writeAll(fd, p, size_t(n), &error);
        if (archive_write_data(a, p, size_t(n)) < 0) {
            if (error.isEmpty())
                error = QString::fromLocal8Bit(archive_error_string(a));
            return false;
        }
        return true;
    }
    /// The current member's next `n` bytes, copied from `in` at `offset` by the kernel. False
    /// (nothing done) when the bytes must pass through libarchive (a compressed output).
    bool canCopyRange() const { return folder() || !filtered; }
    bool copyFrom(int in, qint64 offset, qint64 n)
    {
        if (folder()) {
            const qint64 got = copyRange(in, offset, fd, n, &error);
            if (got != n && got >= 0)
                error = QStringLiteral("a layer ends %1 bytes early").arg(n - got);
            return got == n;
        }
        static const QByteArray zeros(1 << 20, '\0');
        spliceFd = in;
        spliceOffset = offset;
        qint64 done = 0;
        while (done < n) {
            const qint64 step = std::min<qint64>(n - done, zeros.size());
            if (archive_write_data(a, zeros.constData(), size_t(step)) != la_ssize_t(step)) {
                if (error.isEmpty())
                    error = QString::fromLocal8Bit(archive_error_string(a));
                break;
            }
            done += step;
        }
        spliceFd = -1;
        return done == n;
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

/// Hashes what the export has just written while it writes the rest (the writing waits on the
/// disk, the hashing on the processor), so that verifying the output costs no second pass. Each
/// range is read back from the written file, not taken from the bytes handed to the kernel.
class BackgroundHasher
{
public:
    explicit BackgroundHasher(const Progress &progress)
        : m_progress(progress)
    {
        const int n = std::max(1, QThread::idealThreadCount());
        for (int i = 0; i < n; ++i)
            m_threads.emplace_back([this] { work(); });
    }
    ~BackgroundHasher() { finish(); }

    /// `key` names the member in the finished output: its data offset in a tar, its path in a folder.
    /// With `openNow` the file is opened here, so that the job still reads it once it is renamed.
    void add(const QString &key, const QString &file, qint64 offset, qint64 size, Compression compression, bool openNow)
    {
        const int fd = openNow ? ::open(QFile::encodeName(file).constData(), O_RDONLY | O_CLOEXEC) : -1;
        std::lock_guard lock(m_mutex);
        m_jobs.push_back({ key, file, fd, offset, size, compression });
        m_byName = m_byName || fd < 0;
        m_wake.notify_one();
    }
    /// Whether a job will open its file by name (out of descriptors, or not asked to open it now):
    /// then the file must stay where it is until finish().
    bool needsName() const
    {
        std::lock_guard lock(m_mutex);
        return m_byName;
    }
    QHash<QString, MemberDigest> finish()
    {
        {
            std::lock_guard lock(m_mutex);
            m_done = true;
            m_wake.notify_all();
        }
        for (std::thread &t : m_threads)
            t.join();
        m_threads.clear();
        return m_results;
    }

private:
    struct Job
    {
        QString key, file;
        int fd;
        qint64 offset, size;
        Compression compression;
    };
    void work()
    {
        for (;;) {
            Job job;
            {
                std::unique_lock lock(m_mutex);
                m_wake.wait(lock, [this] { return m_done || !m_jobs.empty(); });
                if (m_jobs.empty())
                    return;
                job = m_jobs.front();
                m_jobs.pop_front();
            }
            MemberDigest d;
            const int fd = job.fd >= 0 ? job.fd : ::open(QFile::encodeName(job.file).constData(), O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                d.error = QStringLiteral("%1: %2").arg(job.file, QString::fromLocal8Bit(strerror(errno)));
            } else {
                const std::unique_ptr<MemberReader> reader = fileRangeReader(fd, job.offset, job.size, job.file);
                d = hashMemberBytes(*reader, job.compression, m_progress);
            }
            std::lock_guard lock(m_mutex);
            m_results.insert(job.key, d);
        }
    }
    const Progress &m_progress;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Job> m_jobs;
    std::vector<std::thread> m_threads;
    QHash<QString, MemberDigest> m_results;
    bool m_done = false;
    bool m_byName = false;
};

/// Queues the member just written for hashing, when there is a hasher.
void hashWritten(BackgroundHasher *hasher, const Writer &w, qint64 size, Compression compression)
{
    if (!hasher)
        return;
    if (w.folder())
        hasher->add(w.memberPath, w.outputPath + u'/' + w.memberPath, 0, size, compression, false);
    else if (w.memberOffset >= 0)
        hasher->add(QString::number(w.memberOffset), w.outputPath, w.memberOffset, size, compression, true);
}

std::unique_ptr<MemberReader> openSource(const LayerSource &src, const Archive *base, QString *error)
{
    return src.file.isEmpty() ? base->openMember(src.member, error) : openFileReader(src.file, error);
}

/// Copies a layer into the open member, checking the count: decompressed (what the docker
/// formats and uncompressed OCI blobs store), or with `raw` the bytes as they are stored. Bytes
/// that need no change are copied by the kernel where the output allows it.
bool copyLayer(Writer &w, const LayerSource &src, const Archive *base, const Progress &progress, bool raw = false)
{
    auto fail = [&](const QString &why) {
        w.error = why;
        return false;
    };
    QString error;
    const std::unique_ptr<MemberReader> reader = openSource(src, base, &error);
    if (!reader)
        return fail(error);
    const bool asStored = raw || src.compression == Compression::None;
    const qint64 expected = asStored && src.compression != Compression::None ? src.storedSize : src.size;
    QByteArray buffer(1 << 20, Qt::Uninitialized);
    qint64 written = 0;
    int fd = -1;
    qint64 offset = 0, length = 0;
    if (asStored && w.canCopyRange() && reader->fileRange(&fd, &offset, &length)) {
        if (length != expected)
            return fail(QStringLiteral("a layer has %1 bytes, %2 were expected").arg(length).arg(expected));
        // In slices, so that cancelling is noticed during a big layer.
        constexpr qint64 slice = 256ll << 20;
        for (qint64 done = 0; done < length; done += slice) {
            if (progress.cancelled())
                return fail(QStringLiteral("cancelled"));
            if (!w.copyFrom(fd, offset + done, std::min(slice, length - done)))
                return false;
        }
        written = length;
    } else if (asStored) {
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
        // Decompressed while it streams: the docker formats store layers uncompressed, so that
        // the file's digest is its diff ID (docs/formats.md §3.1).
        ReaderFeed feed { reader.get() };
        Inflater inflater;
        inflater.progress = &progress;
        bool ok = inflater.open(&feed, &ReaderFeed::read);
        la_ssize_t n = 0;
        const void *block = nullptr;
        while (ok && (n = inflater.next(&block)) > 0) {
            if (progress.cancelled() || !w.data(static_cast<const char *>(block), n)) {
                ok = false;
                break;
            }
            written += n;
        }
        if (n < 0 || !ok) {
            const QString why = inflater.bomb() ? inflater.bombMessage(QStringLiteral("the layer")) : inflater.error();
            return fail(progress.cancelled() ? QStringLiteral("cancelled")
                    : w.error.isEmpty()      ? QStringLiteral("cannot decompress a base layer: %1").arg(why)
                                             : w.error);
        }
    }
    if (written != expected)
        return fail(QStringLiteral("a layer gave %1 bytes, %2 were expected").arg(written).arg(expected));
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
        case LayerOp::AddHost:
            parts << QStringLiteral("ADD %1 %2").arg(QFileInfo(op.hostPath).fileName(), op.imagePath);
            break;
        case LayerOp::Mkdir:
            parts
                << QStringLiteral("MKDIR %1 %2").arg(op.imagePath).arg(op.mode.value_or(0755), 4, 8, QLatin1Char('0'));
            break;
        case LayerOp::Symlink:
            parts << QStringLiteral("SYMLINK %1 -> %2").arg(op.imagePath, op.linkTarget);
            break;
        case LayerOp::WriteText:
            parts << QStringLiteral("WRITE %1").arg(op.imagePath);
            break;
        case LayerOp::Delete:
            parts << QStringLiteral("DELETE %1").arg(op.imagePath);
            break;
        case LayerOp::Opaque:
            parts << QStringLiteral("EMPTY %1").arg(op.imagePath);
            break;
        }
    }
    if (last) {
        if (edits.workingDir)
            parts << QStringLiteral("WORKDIR %1").arg(*edits.workingDir);
        if (edits.cmd)
            parts << QStringLiteral("CMD %1").arg(QString::fromUtf8(
                QJsonDocument(QJsonArray::fromStringList(*edits.cmd)).toJson(QJsonDocument::Compact)));
        if (edits.entrypoint)
            parts << QStringLiteral("ENTRYPOINT %1")
                         .arg(QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(*edits.entrypoint))
                                                    .toJson(QJsonDocument::Compact)));
        for (const auto &kv : edits.setEnv)
            parts << QStringLiteral("ENV %1").arg(kv.first);
    }
    return QStringLiteral("lamina compose: ") + parts.join(QStringLiteral("; "));
}

QString mediaTypeFor(Compression c)
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

/// The digest of a layer's stored bytes, when no descriptor or file name gave it.
bool hashStored(const LayerSource &src, const Archive *base, QString *digest, QString *error)
{
    const std::unique_ptr<MemberReader> reader = openSource(src, base, error);
    if (!reader)
        return false;
    Sha256 h;
    QByteArray buffer(1 << 20, Qt::Uninitialized);
    qint64 n;
    while ((n = reader->read(buffer.data(), buffer.size())) > 0)
        h.add(buffer.constData(), n);
    if (n < 0) {
        *error = reader->error();
        return false;
    }
    *digest = h.finish();
    return true;
}

/// Writes an OCI image layout into the open tar (image-spec image-layout.md): oci-layout,
/// index.json naming each tag, the manifest, the config and the layer blobs; for docker-oci also
/// manifest.json and repositories, as Docker 25 writes them (docs/formats.md §1.3).
bool writeOciLayout(Writer &w, const ExportOptions &options, const QList<LayerSource> &sources, const Archive *base,
    const QByteArray &configBytes, const QString &imageId, const QStringList &tags, const QTemporaryDir &work,
    BackgroundHasher *hasher, const Progress &progress)
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
        QString file; // compressed copy; empty: stream the layer from its source
        int source = -1;
        bool raw = false; // the source's stored bytes, already in the wanted compression
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
            } else if (s.compression == wanted) {
                // Already compressed this way: copied as it is, never recompressed.
                b.raw = true;
                b.size = s.storedSize;
                b.digest = s.storedDigest;
                if (b.digest.isEmpty() && !hashStored(s, base, &b.digest, &w.error))
                    return false;
            } else {
                // Compressed once, reproducibly (gzip without time stamp or name), then hashed.
                b.file = work.filePath(QStringLiteral("blob-%1").arg(i));
                Writer cw;
                cw.a = archive_write_new();
                cw.filtered = true;
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
                const bool ok = cw.fd >= 0 && cw.header(QStringLiteral("layer"), AE_IFREG, s.size)
                    && copyLayer(cw, s, base, progress) && archive_write_close(cw.a) == ARCHIVE_OK;
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
        layerDescriptors.append(QJsonObject { { QStringLiteral("mediaType"), mediaTypeFor(wanted) },
            { QStringLiteral("digest"), b.digest }, { QStringLiteral("size"), double(b.size) } });
    }
    const QJsonObject manifest { { QStringLiteral("schemaVersion"), 2 },
        { QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.manifest.v1+json") },
        { QStringLiteral("config"),
            QJsonObject { { QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.config.v1+json") },
                { QStringLiteral("digest"), imageId }, { QStringLiteral("size"), double(configBytes.size()) } } },
        { QStringLiteral("layers"), layerDescriptors } };
    const QByteArray manifestBytes = QJsonDocument(manifest).toJson(QJsonDocument::Compact);
    const QString manifestDigest = Sha256::of(manifestBytes);
    QJsonArray descriptors;
    const QJsonObject plain { { QStringLiteral("mediaType"),
                                  QStringLiteral("application/vnd.oci.image.manifest.v1+json") },
        { QStringLiteral("digest"), manifestDigest }, { QStringLiteral("size"), double(manifestBytes.size()) } };
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
    const QJsonObject index { { QStringLiteral("schemaVersion"), 2 },
        { QStringLiteral("mediaType"), QStringLiteral("application/vnd.oci.image.index.v1+json") },
        { QStringLiteral("manifests"), descriptors } };
    bool ok = w.bytes(QStringLiteral("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}")
        && w.bytes(QStringLiteral("index.json"), QJsonDocument(index).toJson(QJsonDocument::Compact));
    if (ok && options.format == ExportFormat::DockerOci) {
        QStringList layerPaths;
        for (const LayerSource &s : sources)
            layerPaths << QStringLiteral("blobs/sha256/") + blobs.at(byDiff.value(s.diffId)).digest.mid(7);
        const QJsonObject entry { { QStringLiteral("Config"),
                                      QString(QStringLiteral("blobs/sha256/") + imageId.mid(7)) },
            { QStringLiteral("RepoTags"),
                tags.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(QJsonArray::fromStringList(tags)) },
            { QStringLiteral("Layers"), QJsonArray::fromStringList(layerPaths) } };
        ok = w.bytes(
            QStringLiteral("manifest.json"), QJsonDocument(QJsonArray { entry }).toJson(QJsonDocument::Compact));
    }
    ok = ok && w.header(QStringLiteral("blobs/"), AE_IFDIR, 0)
        && w.header(QStringLiteral("blobs/sha256/"), AE_IFDIR, 0);
    for (const Blob &b : std::as_const(blobs)) {
        if (!ok)
            break;
        const QString path = QStringLiteral("blobs/sha256/") + b.digest.mid(7);
        if (b.file.isEmpty()) {
            ok = w.header(path, AE_IFREG, b.size) && copyLayer(w, sources.at(b.source), base, progress, b.raw);
        } else {
            LayerSource fromFile;
            fromFile.file = b.file;
            fromFile.size = b.size;
            ok = w.header(path, AE_IFREG, b.size) && copyLayer(w, fromFile, base, progress);
        }
        if (ok)
            hashWritten(hasher, w, b.size, b.raw ? sources.at(b.source).compression : wanted);
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

FolderBelow foldersBelow(const MergedTree::Layers &layers)
{
    if (layers.isEmpty())
        return {};
    const auto tree
        = std::make_shared<const MergedTree>(MergedTree::build(layers, int(layers.size()) - 1, false, false));
    return [tree](const QString &path) -> std::optional<ExistingFolder> {
        const int node = tree->find(path.toUtf8());
        if (node <= 0 || tree->node(node).removed)
            return std::nullopt;
        const LayerEntry &e = tree->entry(node);
        if (e.type != EntryType::Directory)
            return std::nullopt;
        return ExistingFolder { e.mode, e.uid, e.gid, e.mtime };
    };
}

QList<LayerSpec> layersToWrite(const Composition &composition, const MergedTree::Layers &baseLayers, bool *workdirAdded)
{
    // WorkingDir is metadata only; Docker creates it at run time, other runtimes may not
    // (docs/formats.md §6.9), so it goes into the last new layer unless the image already has it.
    QList<LayerSpec> layers = composition.layers;
    *workdirAdded = false;
    if (!composition.createWorkdir || !composition.config.workingDir || composition.config.workingDir->isEmpty())
        return layers;
    bool exists = false;
    if (!baseLayers.isEmpty()) {
        const MergedTree tree = MergedTree::build(baseLayers, int(baseLayers.size()) - 1, false);
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

namespace {

/// An existing output folder is replaced only when it holds nothing but an image layout, so that
/// no file of the user's is ever deleted.
bool replaceableLayoutFolder(const QString &path)
{
    const QFileInfo info(path);
    if (!info.isDir() || info.isSymLink())
        return false;
    static const QStringList layoutNames { QStringLiteral("oci-layout"), QStringLiteral("index.json"),
        QStringLiteral("blobs"), QStringLiteral("manifest.json"), QStringLiteral("repositories") };
    const QStringList names
        = QDir(path).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot);
    for (const QString &name : names)
        if (!layoutNames.contains(name))
            return false;
    return names.isEmpty() || names.contains(QStringLiteral("oci-layout"));
}

/// Puts the finished folder at `target`: renamed there, or exchanged atomically with the layout
/// already there (which is then removed), so that `target` is always a complete layout.
bool installFolder(const QString &part, const QString &target, QString *error)
{
    const QByteArray from = QFile::encodeName(part), to = QFile::encodeName(target);
    if (::rename(from.constData(), to.constData()) == 0)
        return true;
    if (errno != ENOTEMPTY && errno != EEXIST) {
        *error
            = QStringLiteral("%1: cannot rename into place: %2").arg(target, QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    if (::renameat2(AT_FDCWD, from.constData(), AT_FDCWD, to.constData(), RENAME_EXCHANGE) != 0) {
        *error
            = QStringLiteral("%1: cannot replace the folder: %2").arg(target, QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    QDir(part).removeRecursively(); // now the previous layout
    return true;
}

/// The image of the base whose platform is "os/arch[/variant]".
int findPlatformImage(const ImageArchive &base, const QString &wanted, QString *error)
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
    *error
        = QStringLiteral("the base has no image for %1 (it has: %2)").arg(wanted, available.join(QStringLiteral(", ")));
    return -1;
}

} // namespace

ExportResult exportComposition(const Composition &composition, const ExportOptions &options, const Progress &progress)
{
    const Utf8Thread utf8; // names go out as UTF-8 whatever the user's locale
    ExportResult result;
    const QFileInfo out(options.output);
    const bool toFolder = options.format == ExportFormat::OciDir;
    if (options.output.isEmpty() || (!toFolder && out.isDir())) {
        result.error = QStringLiteral("the output must be a file path");
        return result;
    }
    if (toFolder && options.compress != Compression::None) {
        result.error = QStringLiteral("an OCI folder cannot be compressed as a whole; compress its layers instead");
        return result;
    }
    if (toFolder && out.exists() && !replaceableLayoutFolder(options.output)) {
        result.error
            = QStringLiteral("%1 exists and is not an OCI layout written by Lamina (only oci-layout, index.json, "
                             "blobs, manifest.json and repositories); choose a new folder")
                  .arg(options.output);
        return result;
    }
    // By device and inode, not by path: a hard link, a bind mount, a linked folder or a
    // /proc/self/fd path all reach the same base under another name.
    const FileId baseId = composition.basePath.isEmpty() ? FileId {} : fileIdOf(composition.basePath);
    if (baseId != FileId {} && out.exists() && fileIdOf(options.output) == baseId) {
        result.error
            = QStringLiteral("%1: the output would overwrite the base image; choose another file").arg(options.output);
        return result;
    }
    if (baseId != FileId {} && QFileInfo(composition.basePath).isDir() && folderHolds(baseId, options.output)) {
        // Nothing may be written inside a base folder, not even the working files.
        result.error = QStringLiteral("%1: the output would be written inside the base folder; choose another place")
                           .arg(options.output);
        return result;
    }
    const qint64 mtime = parseCreated(composition.created);
    if (mtime < 0) {
        result.error
            = QStringLiteral("\"%1\" is not an RFC 3339 time (like 2024-01-01T00:00:00Z)").arg(composition.created);
        return result;
    }
    // Tags as loaders list them: podman refuses a reference outside the grammar, and a name with
    // no tag is "name:latest" to every loader, so manifest.json and the index must say so too.
    QStringList tags;
    for (const QString &tag : composition.tags) {
        const QString normal = normaliseTag(tag, &result.error);
        if (normal.isEmpty())
            return result;
        if (!tags.contains(normal))
            tags << normal;
    }

    // The base: its config and its layers, which must all be there.
    ImageArchive base;
    QJsonObject config { { QStringLiteral("architecture"), QStringLiteral("amd64") },
        { QStringLiteral("os"), QStringLiteral("linux") }, { QStringLiteral("config"), QJsonObject() },
        { QStringLiteral("rootfs"),
            QJsonObject { { QStringLiteral("type"), QStringLiteral("layers") },
                { QStringLiteral("diff_ids"), QJsonArray() } } } };
    QList<LayerSource> sources;
    MergedTree::Layers baseIndexes;
    std::future<MergedTree::Layers> laterIndexes;
    // Stops a background indexing of the base when this returns early (the future then waits).
    const auto stopIndexing = std::make_shared<std::atomic<bool>>(false);
    const struct StopOnExit
    {
        std::shared_ptr<std::atomic<bool>> flag;
        ~StopOnExit() { flag->store(true); }
    } stopOnExit { stopIndexing };
    MergedTree::Layers newIndexes;
    // What a killed run left beside the target is removed first: only names that prove they are
    // Lamina's temporaries, and never the base (docs/limits.md).
    removeStalePartials(out.absolutePath(), { fileIdOf(composition.basePath) });
    QTemporaryDir work(partialPathFor(options.output) + QStringLiteral("-XXXXXX"));
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
        int baseImage = composition.baseImage;
        if (!composition.basePlatform.isEmpty()) {
            baseImage = findPlatformImage(base, composition.basePlatform, &result.error);
            if (baseImage < 0)
                return result;
        }
        if (baseImage < 0 || baseImage >= base.images.size()) {
            result.error = QStringLiteral("the base has %1 image(s), numbered from 0").arg(base.images.size());
            return result;
        }
        result.baseImage = baseImage;
        const Image &img = base.images.at(baseImage);
        if (!img.config || !img.config->hasRootfs) {
            result.error = QStringLiteral("the base image has no usable config");
            return result;
        }
        config = img.config->raw;
        // The base's files serve the checks, the working folder's test and the sizes of
        // compressed layers. Only the last two are needed before writing; otherwise the base is
        // indexed while the output is written (the writing waits on the disk), or not at all.
        bool compressedLayers = false;
        for (const ImageLayer &l : img.layers)
            compressedLayers = compressedLayers || l.compression != Compression::None;
        const bool workdirTest
            = composition.createWorkdir && composition.config.workingDir && !composition.config.workingDir->isEmpty();
        // New layers write the base's folders they go through with the base's attributes.
        bool newEntries = false;
        for (const LayerSpec &l : composition.layers)
            newEntries = newEntries || !l.ops.isEmpty();
        ImageLayers indexed;
        if (compressedLayers || workdirTest || newEntries) {
            indexed = indexImageLayers(base, baseImage, {}, progress);
            baseIndexes = indexed.layers;
        } else if (options.checkResult) {
            Progress background;
            background.cancel = stopIndexing.get();
            laterIndexes = std::async(std::launch::async,
                [base, baseImage, background] { return indexImageLayers(base, baseImage, {}, background).layers; });
        }
        QSet<int> needStreaming;
        for (const ImageLayer &l : img.layers) {
            if (l.member < 0 || l.diffId.isEmpty()) {
                result.error = QStringLiteral("base layer %1 is missing (%2)")
                                   .arg(l.index)
                                   .arg(l.error.isEmpty() ? QStringLiteral("no diff ID") : l.error);
                return result;
            }
            LayerSource s;
            s.diffId = l.diffId;
            s.member = l.member;
            s.compression = l.compression;
            s.storedSize = base.archive->member(l.member).size;
            if (l.digest.startsWith(u"sha256:") && l.digest.size() == 71)
                s.storedDigest = l.digest;
            const auto &li = indexed.layers.value(l.index);
            s.size = l.compression == Compression::None ? base.archive->member(l.member).size
                                                        : (li ? li->uncompressedSize : -1);
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
            const bool ok = base.archive->scanMembers(
                needStreaming,
                [&](int member, MemberReader &reader) {
                    const QString path = work.filePath(QStringLiteral("base-%1.tar").arg(n++));
                    QFile f(path);
                    if (!f.open(QIODevice::WriteOnly))
                        return false;
                    QByteArray buffer(1 << 20, Qt::Uninitialized);
                    qint64 got;
                    while ((got = reader.read(buffer.data(), buffer.size())) > 0)
                        if (f.write(buffer.constData(), got) != got)
                            return false;
                    // Kept as stored: decompressed (or copied as it is) when written.
                    for (LayerSource &s : sources)
                        if (s.member == member)
                            s.file = path;
                    return got == 0;
                },
                progress, &error);
            if (!ok) {
                result.error = QStringLiteral("the base could not be streamed: %1").arg(error);
                return result;
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
        const WrittenLayer w = writeLayer(spec, path, progress, foldersBelow(baseIndexes + newIndexes));
        if (!w.ok()) {
            result.error = w.error;
            return result;
        }
        LayerSource s;
        s.diffId = w.diffId;
        s.size = w.size;
        s.storedSize = w.size;
        s.file = path;
        sources << s;
        {
            // Indexed now, small as they are: the next new layer writes its folders as this one
            // leaves them, and the checks of the composed image need not index the output again.
            QString error;
            const std::unique_ptr<MemberReader> reader = openFileReader(s.file, &error);
            const LayerIndexResult indexed
                = reader ? indexLayerFromReader(*reader, Compression::None, {}, progress, w.size) : LayerIndexResult {};
            newIndexes << indexed.index;
        }
        diffIds.append(w.diffId);
        result.layerDiffIds << w.diffId;
        history.append(QJsonObject { { QStringLiteral("created"), composition.created },
            { QStringLiteral("created_by"), describeLayer(spec, composition.config, i == layers.size() - 1) } });
    }
    if (layers.isEmpty())
        history.append(QJsonObject { { QStringLiteral("created"), composition.created },
            { QStringLiteral("created_by"), describeLayer({}, composition.config, true) },
            { QStringLiteral("empty_layer"), true } });

    // The config: the base's, every field kept, with the edits applied.
    const QJsonObject settings = editedSettings(config.value(QStringLiteral("config")).toObject(), composition.config);
    config.insert(QStringLiteral("config"), settings);
    config.insert(QStringLiteral("created"), composition.created);
    QJsonObject rootfs { { QStringLiteral("type"), QStringLiteral("layers") },
        { QStringLiteral("diff_ids"), diffIds } };
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

    // The archive (or folder), written beside the target and renamed when complete.
    const QString part = partialPathFor(options.output);
    const QByteArray partName = QFile::encodeName(part);
    Writer w;
    w.mtime = mtime;
    if (toFolder) {
        if (::mkdir(partName.constData(), 0755) != 0
            || (w.rootFd = ::open(partName.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
            result.error = QStringLiteral("%1: cannot create: %2").arg(part, QString::fromLocal8Bit(strerror(errno)));
            return result;
        }
    } else {
        w.fd = ::open(partName.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (w.fd < 0) {
            result.error = QStringLiteral("%1: cannot create: %2").arg(part, QString::fromLocal8Bit(strerror(errno)));
            return result;
        }
        w.a = archive_write_new();
        archive_write_set_format_pax_restricted(w.a);
        if (options.compress == Compression::Gzip) {
            archive_write_add_filter_gzip(w.a);
            archive_write_set_filter_option(w.a, "gzip", "timestamp", nullptr); // no time stamp: reproducible
        } else if (options.compress == Compression::Zstd) {
            archive_write_add_filter_zstd(w.a);
        } else if (options.compress != Compression::None) {
            result.error = QStringLiteral("the output can be compressed with gzip or zstd only");
            ::close(w.fd);
            ::unlink(partName.constData());
            return result;
        }
        w.filtered = options.compress != Compression::None;
        // No blocking: libarchive hands every write straight to Writer::write, which the kernel
        // copies of unchanged layers rely on.
        archive_write_set_bytes_per_block(w.a, 0);
        archive_write_open(w.a, &w, nullptr, &Writer::write, nullptr);
    }
    w.outputPath = part;
    // The output is hashed as it is written (read back from the file), unless it is compressed as
    // a whole: then it is verified after, in one streaming pass.
    std::unique_ptr<BackgroundHasher> hasher;
    if (options.checkResult && !w.filtered)
        hasher = std::make_unique<BackgroundHasher>(progress);
    bool ok = true;
    QHash<QString, QString> storedAt; // diff ID → the layer.tar that holds it
    QStringList layerPaths;
    if (options.format != ExportFormat::Docker) {
        ok = writeOciLayout(
            w, options, sources, base.archive.get(), configBytes, result.imageId, tags, work, hasher.get(), progress);
    }
    for (int i = 0; ok && options.format == ExportFormat::Docker && i < sources.size(); ++i) {
        const LayerSource &s = sources.at(i);
        const QString id = ids.at(i);
        QJsonObject json { { QStringLiteral("id"), id },
            { QStringLiteral("created"), composition.created }, // the composition's time, as the config says
            { QStringLiteral("os"), config.value(QStringLiteral("os")) } };
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
            // Stored once: the second copy is a relative link, as Docker ≤ 24 writes (docs/formats.md §1.2).
            ok = w.header(layerPath, AE_IFLNK, 0, QStringLiteral("../") + storedAt.value(s.diffId));
            continue;
        }
        storedAt.insert(s.diffId, layerPath);
        ok = w.header(layerPath, AE_IFREG, s.size) && copyLayer(w, s, base.archive.get(), progress);
        if (ok)
            hashWritten(hasher.get(), w, s.size, Compression::None);
    }
    if (ok && options.format == ExportFormat::Docker) {
        QJsonObject entry { { QStringLiteral("Config"), QString(imageHex + QStringLiteral(".json")) },
            { QStringLiteral("RepoTags"),
                tags.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(QJsonArray::fromStringList(tags)) },
            { QStringLiteral("Layers"), QJsonArray::fromStringList(layerPaths) } };
        QJsonObject repositories;
        for (const QString &tag : tags) {
            const qsizetype colon = tag.lastIndexOf(u':');
            const QString repo = colon > tag.lastIndexOf(u'/') ? tag.left(colon) : tag;
            const QString name = colon > tag.lastIndexOf(u'/') ? tag.mid(colon + 1) : QStringLiteral("latest");
            QJsonObject names = repositories.value(repo).toObject();
            names.insert(name, ids.isEmpty() ? QString() : ids.constLast());
            repositories.insert(repo, names);
        }
        ok = w.bytes(imageHex + QStringLiteral(".json"), configBytes)
            && w.bytes(
                QStringLiteral("manifest.json"), QJsonDocument(QJsonArray { entry }).toJson(QJsonDocument::Compact))
            // Written untagged too, as {}: Docker's legacy loader (moby image/tarexport/load.go,
            // legacyLoad) loads the layer folders, then fails when there is no repositories
            // file, so without it the legacy chain alone would not load (tst_loaders judges it).
            && w.bytes(QStringLiteral("repositories"), QJsonDocument(repositories).toJson(QJsonDocument::Compact));
    }
    if (ok && w.a && archive_write_close(w.a) != ARCHIVE_OK) {
        ok = false;
        if (w.error.isEmpty())
            w.error = QString::fromLocal8Bit(archive_error_string(w.a));
    }
    ok = ok && w.closeFile();
    QHash<QString, MemberDigest> hashed;
    if (toFolder) {
        ok = ok && ::syncfs(w.rootFd) == 0;
        if (hasher)
            hashed = hasher->finish(); // before the folder moves
        ok = ok && !progress.cancelled() && installFolder(part, options.output, &w.error);
        if (!ok) {
            QDir(part).removeRecursively();
            result.error = progress.cancelled()
                ? QStringLiteral("cancelled")
                : QStringLiteral("%1: cannot write: %2")
                      .arg(options.output, w.error.isEmpty() ? QString::fromLocal8Bit(strerror(errno)) : w.error);
            return result;
        }
    } else {
        ok = ok && ::fsync(w.fd) == 0;
        ::close(w.fd);
        w.fd = -1;
        // The hashing goes on while the file is renamed (replacing a big file can wait long on the
        // disk): each member is read through a descriptor opened when it was queued.
        if (hasher && hasher->needsName())
            hashed = hasher->finish();
        if (!ok || progress.cancelled()
            || ::rename(partName.constData(), QFile::encodeName(options.output).constData()) != 0) {
            const int renameErrno = errno;
            if (hasher)
                hasher->finish();
            errno = renameErrno;
            ::unlink(partName.constData());
            result.error = progress.cancelled()
                ? QStringLiteral("cancelled")
                : QStringLiteral("%1: cannot write: %2")
                      .arg(options.output, w.error.isEmpty() ? QString::fromLocal8Bit(strerror(errno)) : w.error);
            return result;
        }
        if (hasher)
            hashed = hasher->finish();
    }

    if (!options.checkResult)
        return result;
    // Re-open what was written and check it as any archive: it must stand on its own.
    const ImageArchive written = openImageArchive(options.output);
    result.checks = checkArchive(written);
    QHash<int, MemberDigest> known;
    if (written.archive) {
        for (const Image &img : written.images) {
            for (const ImageLayer &l : img.layers) {
                if (l.member < 0)
                    continue;
                const Member &m = written.archive->member(l.member);
                const QString key = toFolder ? m.path : m.dataOffset >= 0 ? QString::number(m.dataOffset) : QString();
                if (const auto it = hashed.constFind(key);
                    !key.isEmpty() && it != hashed.constEnd() && it->storedBytes == m.size)
                    known.insert(l.member, *it);
            }
        }
    }
    result.checks += verificationFindings(written, verifyArchive(written, progress, 0, known));
    sortFindings(result.checks);
    result.loaderVerdicts = loaderVerdicts(written, result.checks);
    const int baseLayers = composition.basePath.isEmpty() ? 0 : int(base.images.at(result.baseImage).layers.size());
    if (laterIndexes.valid())
        baseIndexes = laterIndexes.get();
    result.preflight = preflightChecks(baseIndexes + newIndexes, baseLayers, settings, workdirAdded, layers);
    return result;
}

} // namespace lamina
