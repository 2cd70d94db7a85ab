// SPDX-License-Identifier: MIT
#pragma once

#include "archive/archive.h"
#include "util/digest.h"

#include <QByteArray>
#include <QString>

#include <memory>

#include <sys/types.h>

struct archive;

namespace lamina {

class ParallelGzip;
class Sha256;

/// Where an export's bytes go: a pax tar written through libarchive (compressed as a whole or
/// not), one compressed stream without tar framing (a layer blob), or the files of a folder.
/// Members go in order: header(), then their bytes by data() or copyFrom(). Every member gets one
/// fixed time, root ownership and fixed modes, so the output depends only on what is written.
class OutputWriter
{
public:
    enum class Kind { File, Folder, Symlink };
    enum class Sync { No, Yes };

    /// A tar at `path` (created or truncated), compressed as a whole with `compression`: none,
    /// gzip (without time stamp or name, so reproducible) or zstd.
    static std::unique_ptr<OutputWriter> tar(
        const QString &path, Compression compression, qint64 mtime, QString *error);
    /// One member's bytes compressed with gzip or zstd into the file at `path`, nothing else; its
    /// digest and size are taken as it is written (writtenDigest()), so it is never read back.
    static std::unique_ptr<OutputWriter> compressedStream(const QString &path, Compression compression, QString *error);
    /// The folder `path`, created here (it must not exist).
    static std::unique_ptr<OutputWriter> folder(const QString &path, qint64 mtime, QString *error);
    ~OutputWriter();
    OutputWriter(const OutputWriter &) = delete;
    OutputWriter &operator=(const OutputWriter &) = delete;

    /// Starts a member: a file of `size` bytes, a folder, or a symbolic link to `link`.
    bool header(const QString &path, Kind kind, qint64 size = 0, const QString &link = {});
    /// The current file's next bytes.
    bool data(const char *p, qint64 n);
    /// A whole small file.
    bool bytes(const QString &path, const QByteArray &content);
    /// Whether copyFrom() can be used: false when the bytes must pass through libarchive (an
    /// output compressed as a whole).
    bool canCopyRange() const { return isFolder() || !m_filtered; }
    /// The current file's next `n` bytes, copied from `in` at `offset` by the kernel.
    bool copyFrom(int in, qint64 offset, qint64 n);
    /// Ends the output (the tar's end blocks, the last file closed), with Sync::Yes on the disk.
    bool finish(Sync sync);

    /// A folder's file written by someone else (a copy made in the same read as the base's
    /// indexing) becomes the member `path`: renamed, never replacing a file there.
    bool adopt(const QString &from, const QString &path);

    bool isFolder() const { return m_rootFd >= 0; }
    /// The folder written (-1 for the other outputs), for files written beside this writer.
    int folderFd() const { return m_rootFd; }
    bool compressedAsWhole() const { return m_filtered; }
    /// The file or folder written.
    const QString &path() const { return m_path; }
    /// Where the current member's data starts in the tar (-1 when compressed as a whole), and its path.
    qint64 memberOffset() const { return m_memberOffset; }
    const QString &memberPath() const { return m_memberPath; }

    /// After finish(), the SHA-256 of the bytes a compressedStream() wrote (invalid for other
    /// outputs), and their count.
    const Digest &writtenDigest() const { return m_writtenDigest; }
    qint64 writtenSize() const { return m_end; }

    /// The first failure; a caller's own failure may be recorded here too.
    const QString &error() const { return m_error; }
    void setError(const QString &error) { m_error = error; }

private:
    OutputWriter() = default;
    bool openArchive(Compression compression, bool framed);
    static ssize_t writeCallback(struct archive *, void *data, const void *buffer, size_t length);
    /// Bytes into the file as they will stay there: written, hashed, handed to the disk.
    bool out(const char *data, qint64 size);
    void wrote(qint64 n);
    bool folderHeader(const QString &path, Kind kind, const QString &link);
    bool closeFile();
    void fail(const QString &why);

    struct archive *m_archive = nullptr;
    int m_fd = -1;
    int m_rootFd = -1;
    bool m_filtered = false;
    qint64 m_mtime = 1;
    QString m_error;
    QString m_path;
    qint64 m_memberOffset = -1;
    QString m_memberPath;
    // While set, the bytes libarchive hands to the write callback for the current member are not
    // used: the same count is copied from here by the kernel, so libarchive keeps its framing and
    // padding.
    int m_spliceFd = -1;
    qint64 m_spliceOffset = 0;
    qint64 m_end = 0; ///< bytes written to the tar (sequentially, from its start)
    qint64 m_flushed = 0; ///< of which handed to the disk
    std::unique_ptr<Sha256> m_hash; ///< hashes what is written (a compressed stream: never spliced)
    std::unique_ptr<ParallelGzip> m_gzip; ///< gzip is compressed here, on every core, not by libarchive
    Digest m_writtenDigest;
};

} // namespace lamina
