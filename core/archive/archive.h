// SPDX-License-Identifier: MIT
#pragma once

#include "archive/member.h"
#include "archive/memberreader.h"
#include "archive/remoteblobs.h"
#include "util/limits.h"
#include "util/progress.h"

#include <QHash>
#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

namespace lamina {

enum class Container { Tar, Directory };

QString compressionName(Compression c);
/// Recognises gzip, zstd, xz and bzip2 by their magic bytes, and an uncompressed tar by a valid
/// header checksum or an all-zero first block; anything else is Unknown.
Compression sniffCompression(const QByteArray &head);
/// What a layer descriptor's media type says its bytes are: "…+gzip" and Docker's "….tar.gzip"
/// gzip, "+zstd" zstd, "….tar" none; Unknown for anything else.
Compression compressionClaimedBy(const QString &mediaType);

using limits::kMaxLinkHops;
using limits::kMaxMetadataMemberSize;
/// How many bytes of each member are kept as its head (enough for a tar header).
constexpr int kHeadSize = 512;
/// A compressed archive keeps every member's head while it is streamed: whole for the first
/// kMaxFullHeads members (every real image has far fewer), then only this many bytes, so that a
/// legacy chain of 100,000 members does not hold 50 MB of tar headers.
constexpr int kShortHeadSize = 64;
constexpr int kMaxFullHeads = 1024;

/// The members of an outer archive: an uncompressed or wholly compressed tar, or a folder.
///
/// Created once by open(); immutable afterwards and safe to share between threads (reads use
/// positional I/O on descriptors opened per call). Opening an uncompressed tar reads each header
/// once and seeks past member data; a compressed tar is streamed once, keeping the first bytes of
/// every member and the whole content of small metadata members, so that opening never needs a
/// temporary copy.
class Archive
{
public:
    struct OpenResult
    {
        std::shared_ptr<const Archive> archive; ///< null when nothing could be read
        QString error; ///< why it could not be opened at all
    };
    /// Handed, while a tar compressed as a whole is opened, each file member not kept as metadata,
    /// with a reader over its bytes from the first: what it reads there is not streamed again.
    /// The member's `ordinal` is set; its head may be shortened afterwards (kShortHeadSize). Called
    /// on the opening thread, in the archive's order.
    using StreamTap = std::function<void(const Member &member, MemberReader &data)>;
    /// `deferred`, for a folder only: members it does not hold yet, fetched from their source
    /// when first read (a registry's layers). `tap`, for a tar compressed as a whole only (where
    /// a second look at a member is a second pass over the archive): see StreamTap.
    static OpenResult open(
        const QString &path, const Progress &progress = {}, const Deferred &deferred = {}, const StreamTap &tap = {});
    ~Archive();
    Archive(const Archive &) = delete;
    Archive &operator=(const Archive &) = delete;

    QString path() const { return m_path; }
    QString fileName() const;
    Container container() const { return m_container; }
    Compression compression() const { return m_compression; }
    qint64 fileSize() const { return m_fileSize; }
    const QList<Member> &members() const { return m_members; }
    const Member &member(int index) const { return m_members.at(index); }
    /// Problems met while indexing (truncation, unsafe names, duplicates); each names the member.
    const QStringList &problems() const { return m_problems; }
    /// Why `path` may be absent although it exists: a folder on its way that could not be listed
    /// ("blobs/sha256: cannot list the folder: Permission denied"), or "" when none was.
    QString unlistedFolderOf(const QString &path) const;
    /// Bytes of members kept in memory from a compressed stream (see kMaxCapturedMetadataBytes).
    qint64 capturedBytes() const;
    /// Forgets the captured bytes of every member of a compressed tar not in `keep`: reading one
    /// again streams it from the archive. Only for the opener, before the archive is shared.
    void releaseCaptured(const QSet<int> &keep);
    /// The file is the opener's own (an image saved from an engine): removed when the last
    /// holder lets go of the archive, and share-locked (flock) until then, so that another
    /// process clearing old saves leaves it. Only for the opener, before the archive is shared.
    void removeWhenClosed();
    /// Runs `cleanup` when the last holder lets go of the archive (a registry's image laid out
    /// in Lamina's cache goes then). Only for the opener, before the archive is shared.
    void closeWith(std::function<void()> cleanup) { m_cleanup = std::move(cleanup); }
    bool truncated() const { return m_truncated; }
    /// The member a tar stream stops right after, without the two zero blocks that end a tar
    /// (docs/formats.md §5.5): "" when the end was there, or when the stream broke off anyway.
    const QString &unterminatedAfter() const { return m_unterminatedAfter; }
    /// A skopeo/containers-image "dir:" folder (manifest.json, blobs named by hex digest, version),
    /// presented as an OCI layout: blobs under blobs/sha256/, index.json and oci-layout made up.
    bool directoryTransport() const { return m_directoryTransport; }
    /// Stored names that leave the archive ("../x", or nothing left after normalising); skipped.
    const QStringList &unsafeMembers() const { return m_unsafeMembers; }
    /// Names stored with a leading "/" (read relative to the archive's root).
    const QStringList &absoluteMembers() const { return m_absoluteMembers; }
    /// Paths stored more than once (not counting folders).
    const QStringList &duplicateMembers() const { return m_duplicateMembers; }
    bool cancelled() const { return m_cancelled; }

    /// Index of the member stored under a normalised path (the last one wins, as on extraction),
    /// or -1.
    int find(const QString &path) const;
    bool hasPath(const QString &path) const { return find(path) >= 0 || m_dirs.contains(path); }
    /// The archive's own copy of a folder's path (shared, not another allocation), or `path`.
    QString sharedFolderPath(const QString &path) const
    {
        const auto it = m_dirs.constFind(path);
        return it == m_dirs.cend() ? path : *it;
    }
    /// Top-level names (members and implied directories) directly under `dir` ("" = the root).
    QStringList children(const QString &dir) const;

    struct Resolved
    {
        int index = -1; ///< the member finally reached, or -1
        QString path; ///< its path
        int hops = 0; ///< links followed
        QString error; ///< why it could not be resolved (loop, outside, not found)
    };
    /// Follows symlinks (relative to their folder) and hardlinks inside the archive, component by
    /// component, refusing targets that leave the archive and chains longer than kMaxLinkHops.
    Resolved resolve(const QString &path) const;

    struct ReadResult
    {
        QByteArray data;
        QString error;
        bool ok() const { return error.isEmpty(); }
    };
    /// Reads a member's bytes, at most `maxBytes` (a larger member is refused, naming the limit).
    /// Uncompressed tars and folders read only that member; compressed tars use the captured copy
    /// or stream up to the member again.
    ReadResult read(int index, qint64 maxBytes = kMaxMetadataMemberSize) const;
    /// True when members can be read independently (uncompressed tar, folder): then openMember()
    /// works and several members may be read in parallel.
    bool seekable() const { return m_container == Container::Directory || m_compression == Compression::None; }
    /// A reader over one member of a seekable archive; null (and `error`) otherwise. A deferred
    /// member is fetched first, `progress` counting its bytes and able to cancel.
    std::unique_ptr<MemberReader> openMember(int index, QString *error, const Progress &progress = {}) const;

    /// Whether a member's bytes are still to be fetched: a registry's layer nothing has read yet.
    /// Its head is empty until then, and compressionOf() says what its descriptor claims.
    bool isDeferred(int index) const;
    /// How many members are still to be fetched.
    int deferredCount() const { return m_deferredLeft.load(); }
    /// Bytes of deferred members at opening, and bytes fetched of them since (a fetch that failed
    /// counts what came before it failed): what a window shows while layers come.
    qint64 deferredBytes() const { return m_deferredBytes; }
    qint64 fetchedBytes() const { return m_fetchedBytes.load(); }
    /// Brings a deferred member's bytes into the folder; true at once for any other member.
    /// read() and openMember() call it themselves. Safe from any thread: a second caller for the
    /// same member waits for the first's fetch (or its failure, then tries itself).
    bool fetchMember(int index, const Progress &progress, QString *error) const;
    /// One pass over a tar (compressed or not), handing each wanted member to `visit` as it
    /// comes; `visit` returns false to stop. Members `visit` does not read to the end are skipped.
    /// Returns false with `error` when the stream breaks off.
    bool scanMembers(const QSet<int> &wanted, const std::function<bool(int index, MemberReader &reader)> &visit,
        const Progress &progress, QString *error) const;

    /// The first up to kHeadSize bytes of a member; fewer (kShortHeadSize) for members of a
    /// compressed archive past its first kMaxFullHeads, whose heads are kept while streaming.
    QByteArray head(int index) const;
    /// What the member's bytes are (sniffCompression of its full head), known even when only a
    /// short head was kept; for a deferred member not fetched yet, what its descriptor claims.
    Compression compressionOf(int index) const;

    /// Bytes read from the underlying file(s) so far, for tests and benchmarks that check that
    /// reading one member touches only that member.
    qint64 bytesRead() const { return m_bytesRead.load(); }
    /// Bytes handed out by read() so far (limits::kMaxMetadataBytesTotal bounds them).
    qint64 metadataBytesRead() const { return m_metadataBytes.load(); }

    // Used by the indexers.
    struct Builder;

    /// Where a member's bytes sit on disk: a folder's file, or the tar at an offset. False when
    /// they can only be streamed (compressed archive, sparse entry).
    bool location(const Member &m, QString *file, qint64 *offset) const;
    /// A digest of the member table (each member's path, type, size and offset), computed once:
    /// it keys what is cached about the archive (layers/indexcache.h).
    QByteArray memberTableDigest() const;

private:
    Archive() = default;
    ReadResult readStreamed(int index, qint64 maxBytes) const;
    /// A descriptor for the bytes location() names: a tar's own, opened at the first read and
    /// kept (pread() leaves no position behind, so every thread reads through it; opening the tar
    /// once per member was most of reading 70,000 legacy json files), or a folder member's,
    /// opened now and `owned` by the caller. -1 with errno set when it cannot be opened.
    int descriptor(const QString &file, bool *owned) const;

    QString m_path;
    bool m_directoryTransport = false;
    Container m_container = Container::Tar;
    Compression m_compression = Compression::None;
    qint64 m_fileSize = 0;
    QList<Member> m_members;
    QHash<QString, int> m_index;
    QSet<QString> m_dirs; // implied folders (parents of members)
    QStringList m_problems;
    QStringList m_unsafeMembers;
    QStringList m_duplicateMembers;
    QStringList m_absoluteMembers;
    bool m_truncated = false;
    QString m_unterminatedAfter;
    bool m_cancelled = false;
    bool m_removeWhenClosed = false;
    std::function<void()> m_cleanup;
    std::shared_ptr<RemoteBlobs> m_remote;
    mutable std::atomic<int> m_deferredLeft { 0 };
    qint64 m_deferredBytes = 0;
    mutable std::atomic<qint64> m_fetchedBytes { 0 };
    mutable std::mutex m_fetchLock;
    mutable std::condition_variable m_fetchEnded;
    enum class Fetch : quint8 { Absent, Running, Here };
    mutable QHash<int, Fetch> m_fetches; ///< of remote members; absent from it: Absent
    mutable std::atomic<qint64> m_bytesRead { 0 };
    mutable std::atomic<qint64> m_metadataBytes { 0 }; // read() in all, against kMaxMetadataBytesTotal
    mutable std::once_flag m_tarOpened;
    mutable std::once_flag m_tableDigested;
    mutable QByteArray m_tableDigest;
    mutable int m_tarFd = -1;
    mutable int m_tarErrno = 0;
};

/// Normalises a member path: strips "./" and leading "/", folds "//" and "." components. Returns
/// an empty string with `escapes` set when ".." would leave the root.
QString normaliseMemberPath(const QString &path, bool *escapes = nullptr);

} // namespace lamina
