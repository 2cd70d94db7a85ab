// SPDX-License-Identifier: MIT
#pragma once

#include "util/digest.h"

#include <QString>
#include <QtGlobal>

#include <algorithm>
#include <atomic>
#include <memory>

namespace lamina {

/// Pull-style access to one member's bytes, so that big members are never held in memory.
/// Not thread-safe; one reader per thread.
class MemberReader
{
public:
    virtual ~MemberReader() = default;
    /// Reads up to `max` bytes; returns the count, 0 at the end of the member, -1 on error
    /// (then error() says why).
    virtual qint64 read(char *buffer, qint64 max) = 0;
    virtual QString error() const = 0;
    /// Skips `n` bytes; seekable readers seek, others read and discard. Returns the bytes skipped.
    virtual qint64 skip(qint64 n)
    {
        char buffer[65536];
        qint64 done = 0;
        while (done < n) {
            const qint64 got = read(buffer, std::min<qint64>(n - done, qint64(sizeof buffer)));
            if (got <= 0)
                break;
            done += got;
        }
        return done;
    }
    /// True when skip() seeks instead of reading.
    virtual bool canSeek() const { return false; }
    /// Where the rest of the member lies in an open file (the reader keeps the descriptor), so that
    /// a writer can have the kernel copy it (copy_file_range) instead of reading it through user
    /// space; then skip() the bytes copied. False for streamed readers.
    virtual bool fileRange(int *fd, qint64 *offset, qint64 *length) const
    {
        Q_UNUSED(fd);
        Q_UNUSED(offset);
        Q_UNUSED(length);
        return false;
    }
};

/// A reader over `size` bytes of the open file `fd` from `offset`, by positional reads (so several
/// may share a file); it closes `fd`, and can hand its range to the kernel (fileRange()). A file
/// ending before the range does is an error naming `name`. `counter` adds up the bytes read.
std::unique_ptr<MemberReader> fileRangeReader(
    int fd, qint64 offset, qint64 size, const QString &name, std::atomic<qint64> *counter = nullptr);

/// The first `limit` bytes of `reader`'s member; one byte more is an error naming `name` and the
/// limit, so that a blob whose descriptor gives its size is never read far past it (a sparse
/// file of 1 TiB behind a descriptor of 2 KB). Seeks and kernel copies are not offered.
class LimitedReader : public MemberReader
{
public:
    LimitedReader(MemberReader &reader, qint64 limit, QString name)
        : m_reader(reader)
        , m_limit(limit)
        , m_name(std::move(name))
    {
    }
    qint64 read(char *buffer, qint64 max) override
    {
        if (!m_error.isEmpty())
            return -1;
        const qint64 n = m_reader.read(buffer, std::min(max, m_limit + 1 - m_got));
        if (n < 0) {
            m_error = m_reader.error();
            return -1;
        }
        m_got += n;
        if (m_got > m_limit) {
            m_error = QStringLiteral("%1: longer than the %2 bytes its descriptor gives; reading stopped there")
                          .arg(m_name)
                          .arg(m_limit);
            return -1;
        }
        return n;
    }
    QString error() const override { return m_error; }

private:
    MemberReader &m_reader;
    qint64 m_limit;
    qint64 m_got = 0;
    QString m_name;
    QString m_error;
};

/// fileRangeReader() over a whole file; null with `error` set when it cannot be opened.
std::unique_ptr<MemberReader> openFileReader(const QString &path, QString *error);

/// The SHA-256 of the rest of `reader`'s bytes, read once, and their count in `size` when given;
/// invalid with `error` set when the reader fails.
Digest sha256OfReader(MemberReader &reader, QString *error, qint64 *size = nullptr);

} // namespace lamina
