// SPDX-License-Identifier: MIT
// Private to core: the one decompression stage every reader of a compressed stream goes through.
#pragma once

#include "util/progress.h"
#include "util/threadbudget.h"

#include <QByteArray>
#include <QString>

#include <archive.h>

#include <array>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace lamina {

class Sha256;

/// Stage 1 of every reader of a compressed stream (outer archive, layer, blob to hash): libarchive's
/// raw format decompresses what the caller's read callback hands it, and every block it produces
/// passes through next(), which checks the decompression alarm (limits::decompressionAlarm) before
/// each block. A check per input read is not enough: libarchive decompresses as much as a skip
/// asks for without coming back to the read callback, and 16 KB of bzip2 expand to 22 GB.
/// A tar reader (stage 2) reads the decompressed stream through read(), so that skips inside
/// archive_read_next_header() are bounded as well.
class Inflater
{
public:
    Inflater();
    ~Inflater();
    Inflater(const Inflater &) = delete;
    Inflater &operator=(const Inflater &) = delete;

    /// Opens stage 1 over `read(…, data, …)`. False with error() when no known compression is found.
    bool open(void *data, archive_read_callback *read);
    /// Points `*out` at the next block of decompressed bytes and returns its size: 0 at the end,
    /// -1 on an error (error(); bomb() when the alarm stopped reading).
    la_ssize_t next(const void **out);
    /// next() as a libarchive read callback, `self` being the Inflater.
    static la_ssize_t read(struct archive *, void *self, const void **out);
    /// Sets a stage-2 handle to read from this one.
    void feed(struct archive *tar);

    qint64 compressedBytes() const;
    qint64 decompressedBytes() const { return m_out; }
    /// libarchive's ARCHIVE_FILTER_* code of the compression found.
    int filterCode() const;
    bool bomb() const { return m_bomb; }
    QString error() const { return m_error; }
    /// Why reading stopped at the alarm, `what` ("the layer", "the archive") being the stream.
    QString bombMessage(const QString &what) const;

    const Progress *progress = nullptr; ///< polled before every block
    Sha256 *hash = nullptr; ///< hashes the decompressed bytes

private:
    struct archive *m_raw;
    qint64 m_out = 0;
    bool m_bomb = false;
    bool m_end = false;
    QString m_error;
};

/// An Inflater run on a helper thread, a few blocks ahead of the tar reader it feeds, so that
/// decompressing and parsing headers share two cores: on an archive of many small members gzip'd
/// as a whole, inflating was a fifth of opening it. Without a helper from the thread budget it
/// reads on the caller's thread, as the Inflater alone would.
///
/// The helper calls the Inflater (and through it the caller's read callback); progress reports
/// stay on the reader's thread: `onBlock` is told, with each block handed to the tar reader, how
/// many compressed bytes the Inflater had taken in when it produced it.
class ReadAhead
{
public:
    ReadAhead(Inflater &inflater, std::function<void(qint64 compressed)> onBlock);
    ~ReadAhead();
    ReadAhead(const ReadAhead &) = delete;
    ReadAhead &operator=(const ReadAhead &) = delete;

    /// Sets a stage-2 handle to read from this one, and starts the helper.
    void feed(struct archive *tar);
    /// Stops the helper (when it still runs) and waits for it, so that the Inflater's state can
    /// be looked at. Reading after it gives what was already read ahead, then an error.
    void finish() const;

private:
    static la_ssize_t read(struct archive *, void *self, const void **out);
    la_ssize_t next(const void **out);
    void produce();

    struct Block
    {
        QByteArray data;
        qsizetype size = 0;
        qint64 compressed = 0;
    };
    static constexpr int kBlocks = 4;
    static constexpr qsizetype kBlockSize = 1 << 20;

    Inflater &m_inflater;
    std::function<void(qint64)> m_onBlock;
    ThreadLease m_lease { 1 };
    mutable std::thread m_thread;
    mutable std::mutex m_mutex;
    mutable std::condition_variable m_changed;
    std::array<Block, kBlocks> m_blocks;
    std::deque<int> m_full; ///< filled, in stream order
    std::deque<int> m_free;
    int m_held = -1; ///< the block libarchive is reading (valid until its next read)
    bool m_done = false; ///< the helper stopped: end, error or finish()
    mutable bool m_stop = false;
    la_ssize_t m_last = 0; ///< what the Inflater said last: 0 at the end, -1 on an error
};

} // namespace lamina
