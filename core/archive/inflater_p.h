// SPDX-License-Identifier: MIT
// Private to core: the one decompression stage every reader of a compressed stream goes through.
#pragma once

#include "util/progress.h"

#include <QString>

#include <archive.h>

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

} // namespace lamina
