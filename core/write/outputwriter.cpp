// SPDX-License-Identifier: MIT
#include "write/outputwriter.h"

#include "util/sha256.h"
#include "write/parallelgzip.h"
#include "write/rangecopy.h"

#include <QFile>

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lamina {

namespace {

QString systemError()
{
    return QString::fromLocal8Bit(strerror(errno));
}

// The kernel is told to start writing every few megabytes, without waiting for it. Left to
// itself, it holds gigabytes of dirty pages until the final fsync, so the disk would sit idle while
// the copy runs and the copy idle while the disk catches up.
constexpr qint64 kWritebackStep = 32ll << 20;

} // namespace

std::unique_ptr<OutputWriter> OutputWriter::tar(
    const QString &path, Compression compression, qint64 mtime, QString *error)
{
    if (compression != Compression::None && compression != Compression::Gzip && compression != Compression::Zstd) {
        *error = QStringLiteral("the output can be compressed with gzip or zstd only");
        return {};
    }
    std::unique_ptr<OutputWriter> w(new OutputWriter);
    w->m_path = path;
    w->m_mtime = mtime;
    w->m_fd = ::open(QFile::encodeName(path).constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->m_fd < 0) {
        *error = QStringLiteral("%1: cannot create: %2").arg(path, systemError());
        return {};
    }
    if (!w->openArchive(compression, true)) {
        *error = w->m_error;
        return {};
    }
    return w;
}

std::unique_ptr<OutputWriter> OutputWriter::compressedStream(
    const QString &path, Compression compression, QString *error)
{
    if (compression != Compression::Gzip && compression != Compression::Zstd) {
        *error = QStringLiteral("layers can be stored uncompressed, gzip or zstd");
        return {};
    }
    std::unique_ptr<OutputWriter> w(new OutputWriter);
    w->m_path = path;
    w->m_hash = std::make_unique<Sha256>();
    w->m_fd = ::open(QFile::encodeName(path).constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (w->m_fd < 0) {
        *error = QStringLiteral("%1: cannot create: %2").arg(path, systemError());
        return {};
    }
    if (!w->openArchive(compression, false)) {
        *error = w->m_error;
        return {};
    }
    return w;
}

std::unique_ptr<OutputWriter> OutputWriter::folder(const QString &path, qint64 mtime, QString *error)
{
    std::unique_ptr<OutputWriter> w(new OutputWriter);
    w->m_path = path;
    w->m_mtime = mtime;
    const QByteArray name = QFile::encodeName(path);
    if (::mkdir(name.constData(), 0755) != 0
        || (w->m_rootFd = ::open(name.constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        *error = QStringLiteral("%1: cannot create: %2").arg(path, systemError());
        return {};
    }
    return w;
}

bool OutputWriter::openArchive(Compression compression, bool framed)
{
    m_archive = archive_write_new();
    if (framed)
        archive_write_set_format_pax_restricted(m_archive);
    else
        archive_write_set_format_raw(m_archive);
    if (compression == Compression::Gzip) {
        // libarchive's gzip filter would deflate on one core: a 10 MiB layer kept a compose
        // waiting 0.3 s with the other core idle (docs/compose.md, "Layers gzip'd on every core").
        m_gzip = std::make_unique<ParallelGzip>([this](const char *p, qint64 n) { return out(p, n); });
    } else if (compression == Compression::Zstd) {
        archive_write_add_filter_zstd(m_archive);
    }
    m_filtered = compression != Compression::None;
    // No blocking: libarchive hands every write straight to the callback, which the kernel copies
    // of unchanged layers rely on.
    archive_write_set_bytes_per_block(m_archive, 0);
    if (archive_write_open(m_archive, this, nullptr, &OutputWriter::writeCallback, nullptr) != ARCHIVE_OK) {
        fail(QString::fromLocal8Bit(archive_error_string(m_archive)));
        return false;
    }
    return true;
}

OutputWriter::~OutputWriter()
{
    if (m_archive)
        archive_write_free(m_archive);
    if (m_fd >= 0)
        ::close(m_fd);
    if (m_rootFd >= 0)
        ::close(m_rootFd);
}

void OutputWriter::fail(const QString &why)
{
    if (m_error.isEmpty())
        m_error = why;
}

ssize_t OutputWriter::writeCallback(struct archive *, void *data, const void *buffer, size_t length)
{
    auto *w = static_cast<OutputWriter *>(data);
    if (w->m_spliceFd >= 0) {
        const qint64 n = copyRange(w->m_spliceFd, w->m_spliceOffset, w->m_fd, qint64(length), &w->m_error);
        if (n != qint64(length)) {
            if (n >= 0)
                w->m_error = QStringLiteral("a base layer ends %1 bytes early").arg(qint64(length) - n);
            return -1;
        }
        w->m_spliceOffset += n;
        w->wrote(qint64(length));
    } else if (w->m_gzip) {
        if (!w->m_gzip->add(static_cast<const char *>(buffer), qint64(length))) {
            w->fail(w->m_gzip->error());
            return -1;
        }
    } else if (!w->out(static_cast<const char *>(buffer), qint64(length))) {
        return -1;
    }
    return la_ssize_t(length);
}

bool OutputWriter::out(const char *data, qint64 size)
{
    if (!writeAll(m_fd, data, size_t(size), &m_error))
        return false;
    if (m_hash)
        m_hash->add(data, qsizetype(size));
    wrote(size);
    return true;
}

void OutputWriter::wrote(qint64 n)
{
    m_end += n;
    if (m_end - m_flushed >= kWritebackStep) {
        ::sync_file_range(m_fd, m_flushed, m_end - m_flushed, SYNC_FILE_RANGE_WRITE);
        m_flushed = m_end;
    }
}

bool OutputWriter::header(const QString &path, Kind kind, qint64 size, const QString &link)
{
    m_memberPath = path;
    if (isFolder())
        return folderHeader(path, kind, link);
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname_utf8(e, path.toUtf8().constData());
    const int type = kind == Kind::Folder ? AE_IFDIR : kind == Kind::Symlink ? AE_IFLNK : AE_IFREG;
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, kind == Kind::Folder ? 0755 : kind == Kind::Symlink ? 0777 : 0644);
    archive_entry_set_mtime(e, m_mtime, 0);
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    if (kind == Kind::File)
        archive_entry_set_size(e, size);
    if (kind == Kind::Symlink)
        archive_entry_set_symlink_utf8(e, link.toUtf8().constData());
    const bool ok = archive_write_header(m_archive, e) == ARCHIVE_OK;
    archive_entry_free(e);
    if (!ok)
        fail(QStringLiteral("%1: %2").arg(path, QString::fromLocal8Bit(archive_error_string(m_archive))));
    // Unblocked and unfiltered, the header is on disk now and the data starts here.
    m_memberOffset = m_filtered ? -1 : ::lseek(m_fd, 0, SEEK_CUR);
    return ok;
}

bool OutputWriter::folderHeader(const QString &path, Kind kind, const QString &link)
{
    if (!closeFile())
        return false;
    const QByteArray name = QFile::encodeName(path.endsWith(u'/') ? path.chopped(1) : path);
    bool ok = true;
    if (kind == Kind::Folder) {
        ok = ::mkdirat(m_rootFd, name.constData(), 0755) == 0 || errno == EEXIST;
    } else if (kind == Kind::Symlink) {
        ok = ::symlinkat(QFile::encodeName(link).constData(), m_rootFd, name.constData()) == 0;
    } else {
        m_fd = ::openat(m_rootFd, name.constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        ok = m_fd >= 0;
    }
    if (!ok)
        fail(QStringLiteral("%1: %2").arg(path, systemError()));
    return ok;
}

bool OutputWriter::closeFile()
{
    if (!isFolder() || m_fd < 0)
        return true;
    // One fixed time on every file, so that the folder, like the archive, depends only on what
    // is written.
    const struct timespec times[2] = { { m_mtime, 0 }, { m_mtime, 0 } };
    ::futimens(m_fd, times);
    ::sync_file_range(m_fd, 0, 0, SYNC_FILE_RANGE_WRITE); // the disk starts now, not at syncfs
    const bool ok = ::close(m_fd) == 0;
    m_fd = -1;
    if (!ok)
        fail(QStringLiteral("close failed: %1").arg(systemError()));
    return ok;
}

bool OutputWriter::adopt(const QString &from, const QString &path)
{
    if (!isFolder() || !closeFile())
        return false;
    m_memberPath = path;
    if (::renameat2(m_rootFd, QFile::encodeName(from).constData(), m_rootFd, QFile::encodeName(path).constData(),
            RENAME_NOREPLACE)
        != 0) {
        fail(QStringLiteral("%1: %2").arg(path, systemError()));
        return false;
    }
    return true;
}

bool OutputWriter::data(const char *p, qint64 n)
{
    if (isFolder())
        return writeAll(m_fd, p, size_t(n), &m_error);
    if (archive_write_data(m_archive, p, size_t(n)) < 0) {
        fail(QString::fromLocal8Bit(archive_error_string(m_archive)));
        return false;
    }
    return true;
}

bool OutputWriter::copyFrom(int in, qint64 offset, qint64 n)
{
    if (isFolder()) {
        const qint64 got = copyRange(in, offset, m_fd, n, &m_error);
        if (got != n && got >= 0)
            fail(QStringLiteral("a layer ends %1 bytes early").arg(n - got));
        return got == n;
    }
    static const QByteArray zeros(1 << 20, '\0');
    m_spliceFd = in;
    m_spliceOffset = offset;
    qint64 done = 0;
    while (done < n) {
        const qint64 step = std::min<qint64>(n - done, zeros.size());
        if (archive_write_data(m_archive, zeros.constData(), size_t(step)) != la_ssize_t(step)) {
            fail(QString::fromLocal8Bit(archive_error_string(m_archive)));
            break;
        }
        done += step;
    }
    m_spliceFd = -1;
    return done == n;
}

bool OutputWriter::bytes(const QString &path, const QByteArray &content)
{
    return header(path, Kind::File, content.size()) && data(content.constData(), content.size());
}

bool OutputWriter::finish(Sync sync)
{
    bool ok = m_error.isEmpty();
    if (m_archive && archive_write_close(m_archive) != ARCHIVE_OK) {
        ok = false;
        fail(QString::fromLocal8Bit(archive_error_string(m_archive)));
    }
    if (ok && m_gzip && !m_gzip->finish()) {
        ok = false;
        fail(m_gzip->error().isEmpty() ? m_error : m_gzip->error());
    }
    if (isFolder()) {
        ok = closeFile() && ok;
        if (ok && sync == Sync::Yes && ::syncfs(m_rootFd) != 0) {
            fail(QStringLiteral("sync failed: %1").arg(systemError()));
            ok = false;
        }
        return ok;
    }
    if (ok && sync == Sync::Yes && ::fsync(m_fd) != 0) {
        fail(QStringLiteral("sync failed: %1").arg(systemError()));
        ok = false;
    }
    if (m_fd >= 0 && ::close(m_fd) != 0 && ok) {
        fail(QStringLiteral("close failed: %1").arg(systemError()));
        ok = false;
    }
    m_fd = -1;
    if (ok && m_hash) {
        m_writtenDigest = Digest::parse(m_hash->finish());
        m_hash.reset();
    }
    return ok;
}

} // namespace lamina
