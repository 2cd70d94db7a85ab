// SPDX-License-Identifier: MIT
// Private to core/archive: an outer tar file read through libarchive, straight (seeking past
// member data) or, when compressed as a whole, through an Inflater run ahead on a helper thread.
#pragma once

#include "archive/archive.h"
#include "archive/inflater_p.h"

#include <QByteArray>
#include <QString>

#include <archive.h>
#include <archive_entry.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <sys/types.h>
#include <unistd.h>

namespace lamina {

constexpr qint64 kChunk = 256 * 1024;
constexpr qint64 kReportEvery = 8 * 1024 * 1024;

// A file fed to libarchive through our own callbacks, so that every byte read is counted and
// skips become seeks.
struct FileSource
{
    int fd = -1;
    qint64 size = 0;
    /// Atomic: with a ReadAhead, read() runs on its helper thread.
    std::atomic<qint64> position = 0;
    qint64 lastReport = 0;
    bool reportReads = true; ///< false when a ReadAhead reports for it, on the reader's thread
    std::atomic<qint64> *counter = nullptr;
    const Progress *progress = nullptr;
    QByteArray buffer = QByteArray(int(kChunk), Qt::Uninitialized);

    ~FileSource()
    {
        if (fd >= 0)
            ::close(fd);
    }

    void reportProgress() { reportAt(position); }
    void reportAt(qint64 at)
    {
        if (progress && at - lastReport >= kReportEvery) {
            lastReport = at;
            progress->update(at, size);
        }
    }

    static la_ssize_t read(struct archive *a, void *data, const void **out)
    {
        auto *s = static_cast<FileSource *>(data);
        if (s->progress && s->progress->cancelled())
            return -1;
        ssize_t n;
        do {
            n = ::read(s->fd, s->buffer.data(), size_t(s->buffer.size()));
        } while (n < 0 && errno == EINTR);
        if (n < 0) {
            // Said, not left to libarchive's empty message (EIO from /proc/self/mem, a failing disk).
            archive_set_error(
                a, errno, "read failed at byte %jd: %s", static_cast<intmax_t>(s->position), strerror(errno));
            return -1;
        }
        s->position += n;
        *s->counter += n;
        if (s->reportReads)
            s->reportProgress();
        *out = s->buffer.constData();
        return n;
    }

    static la_int64_t skip(struct archive *, void *data, la_int64_t request)
    {
        auto *s = static_cast<FileSource *>(data);
        // Never seek past the end: libarchive then sees a short read and reports truncation.
        const la_int64_t step = std::min<la_int64_t>(request, std::max<qint64>(0, s->size - s->position));
        if (step <= 0)
            return 0;
        if (::lseek(s->fd, step, SEEK_CUR) < 0)
            return 0;
        s->position += step;
        s->reportProgress();
        return step;
    }

    static la_int64_t seek(struct archive *, void *data, la_int64_t offset, int whence)
    {
        auto *s = static_cast<FileSource *>(data);
        const off_t r = ::lseek(s->fd, offset, whence);
        if (r < 0)
            return ARCHIVE_FATAL;
        s->position = r;
        return r;
    }
};

/// A tar reader over a file: straight from the file (seeking past member data) when it is an
/// uncompressed tar, through an Inflater when it is compressed, so that the decompression alarm is
/// checked on every decompressed block.
struct TarStream
{
    struct archive *a = archive_read_new();
    FileSource src;
    std::unique_ptr<Inflater> inflater;
    std::unique_ptr<ReadAhead> ahead; ///< declared after what its helper uses: stopped first
    Compression compression = Compression::None;
    QByteArray head; ///< the file's first bytes, to say what it is when it is no archive
    ~TarStream()
    {
        // The helper may be inside the read callback; it must stop before anything it uses goes.
        if (ahead)
            ahead->finish();
        archive_read_free(a);
    }

    /// The Inflater's state, once its helper (if any) has stopped.
    const Inflater *stopped() const
    {
        if (ahead)
            ahead->finish();
        return inflater.get();
    }
    bool bomb() const { return inflater && stopped()->bomb(); }
    QString bombMessage() const { return inflater ? stopped()->bombMessage(QStringLiteral("the archive")) : QString(); }
    /// Why the stream stopped: the alarm, a read error in the inflater, or libarchive's reason.
    QString why() const
    {
        if (bomb())
            return bombMessage();
        if (inflater && !stopped()->error().isEmpty())
            return inflater->error();
        return QString::fromLocal8Bit(archive_error_string(a));
    }
};

QString describeOpenError(const TarStream &s);
/// What a path that is neither a file nor a folder is, for the error that refuses it.
QString notAFile(mode_t mode);
/// Opens `path` into `s`: straight when it is an uncompressed tar, else through the Inflater
/// (read ahead). False with `error` when it cannot be read as a tar at all.
bool openSource(TarStream &s, const QString &path, QString *error);
/// A member's path and link target as stored (UTF-8 when the header says, else the locale's).
QString entryPath(struct archive_entry *e);
QString entryLink(struct archive_entry *e, bool hard);

} // namespace lamina
