// SPDX-License-Identifier: MIT
// Internal to core: the one way libarchive reads from a MemberReader.
#pragma once

#include "archive/memberreader.h"
#include "util/progress.h"
#include "util/sha256.h"

#include <QByteArray>
#include <QString>

#include <archive.h>

#include <functional>

namespace lamina {

/// Feeds libarchive (an Inflater's stage 1, or a tar reader) from a member reader, with one set
/// of guards for every caller: cancellation is polled before each read, a read error is kept in
/// `error` (libarchive would only say that its input stopped), and what passes is counted and,
/// when asked, hashed or handed on. With allowSkips() libarchive may seek over file data instead of reading it.
class ReaderFeed
{
public:
    explicit ReaderFeed(MemberReader &reader, const Progress *progress = nullptr, qint64 chunk = 1 << 20);

    Sha256 *hash = nullptr; ///< hashes every byte read
    std::function<void(qint64)> onRead; ///< told the size of every read
    std::function<void(const char *, qint64)> onData; ///< handed every block read
    QString error; ///< why the last read failed ("cancelled" when it was)
    qint64 bytes = 0; ///< read or skipped so far

    /// Lets libarchive seek over file data (only when the reader can and nothing is hashed or
    /// handed on);
    /// reads then start small and grow while nothing is skipped.
    void allowSkips();
    /// Reads the next block into data(): its size, 0 at the end, -1 with `error`.
    qint64 pull();
    const char *data() const { return m_buffer.constData(); }
    /// Makes this the input of the tar reader `a` (read and skip callbacks).
    void attach(struct archive *a);

    static la_ssize_t read(struct archive *, void *self, const void **out);
    static la_int64_t skip(struct archive *, void *self, la_int64_t request);

private:
    MemberReader &m_reader;
    const Progress *m_progress;
    QByteArray m_buffer;
    bool m_skips = false;
    // When seeking past file data, reads start small (a big read-ahead would pull in the very data
    // the skips avoid) and grow while nothing is skipped: a run of small files is read through
    // with few calls.
    qint64 m_readSize;
    int m_readsSinceSkip = 0;
    static constexpr qint64 kSmallRead = 16 * 1024;
};

} // namespace lamina
