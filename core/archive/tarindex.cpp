// SPDX-License-Identifier: MIT
// Indexing an outer tar with libarchive: one pass over the headers, seeking past member data when
// the tar is uncompressed, streaming once when it is compressed as a whole.
#include "archive/builder_p.h"

#include <QFile>
#include <QFileInfo>

#include "archive/libarchive_p.h"
#include "archive/tarstream_p.h"
#include "util/checkedsize.h"
#include "util/textsniff.h"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace lamina {

namespace {

/// Members the indexer does not add, in the same order everywhere the archive is re-read (ordinals
/// count only the members added).
bool skippedMember(const QString &stored, const QString &normalised, bool escapes)
{
    return escapes || stored.isEmpty() || normalised.isEmpty() || stored.size() > limits::kMaxPathLength;
}

bool looksLikeMetadata(const Member &m)
{
    const QStringView name = QStringView(m.path).mid(m.path.lastIndexOf(u'/') + 1);
    if (name == u"manifest.json" || name == u"repositories" || name == u"index.json" || name == u"oci-layout"
        || name == u"json" || name == u"VERSION" || name.endsWith(u".json") || name.startsWith(u"sha256:"))
        return true;
    // Blobs carry no name hint: configs and manifests are JSON objects, layers are not.
    for (char c : m.head) {
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        return c == '{' || c == '[' || c == 'n';
    }
    return false;
}

/// The rest of the member the stream is in, after `head`: the bytes of it read already.
class StreamReader : public MemberReader
{
public:
    StreamReader(const TarStream &stream, QString name, QByteArray head = {})
        : m_stream(stream)
        , m_name(std::move(name))
        , m_head(std::move(head))
    {
    }
    qint64 read(char *buffer, qint64 max) override
    {
        if (m_headUsed < m_head.size()) {
            const qint64 n = std::min<qint64>(max, m_head.size() - m_headUsed);
            std::memcpy(buffer, m_head.constData() + m_headUsed, size_t(n));
            m_headUsed += n;
            return n;
        }
        const la_ssize_t n = archive_read_data(m_stream.a, buffer, size_t(max));
        if (n < 0) {
            m_error = m_stream.bomb() ? QStringLiteral("%1: %2").arg(m_name, m_stream.bombMessage())
                                      : QStringLiteral("%1: truncated or damaged: %2").arg(m_name, m_stream.why());
            return -1;
        }
        return n;
    }
    QString error() const override { return m_error; }

private:
    const TarStream &m_stream;
    QString m_name;
    QByteArray m_head;
    qint64 m_headUsed = 0;
    QString m_error;
};

} // namespace

void Archive::Builder::addMember(Archive &ar, Member m)
{
    m.ordinal = int(ar.m_members.size());
    // One lookup for both the duplicate test and the insertion: the slot is new when the table grew.
    const qsizetype before = ar.m_index.size();
    int &slot = ar.m_index[m.path];
    const bool existing = ar.m_index.size() == before;
    if (existing && !m.path.isEmpty()) {
        const Member &old = ar.m_members.at(slot);
        if (!(old.type == MemberType::Directory && m.type == MemberType::Directory)) {
            ar.m_duplicateMembers.append(m.path);
            ar.m_problems.append(
                QStringLiteral("%1: stored twice in the archive; the later copy is used, as extraction would")
                    .arg(m.path));
        }
    }
    // Parents of a member exist implicitly, even when the tar has no entry for them. Members of a
    // folder mostly come together, so the previous member's folder is not looked up again.
    const qsizetype last = m.path.lastIndexOf(u'/');
    const auto known = [&] {
        if (ar.m_members.isEmpty())
            return false;
        const Member &previous = ar.m_members.constLast();
        const QStringView folder = QStringView(m.path).left(last);
        // A sibling of the previous member, or a member of the folder that was the previous member.
        return QStringView(previous.path).startsWith(QStringView(m.path).left(last + 1))
            || (previous.type == MemberType::Directory && previous.path == folder);
    };
    if (last > 0 && !known()) {
        for (qsizetype slash = m.path.indexOf(u'/'); slash > 0; slash = m.path.indexOf(u'/', slash + 1))
            ar.m_dirs.insert(m.path.left(slash));
    }
    if (m.type == MemberType::Directory)
        ar.m_dirs.insert(m.path);
    slot = int(ar.m_members.size());
    ar.m_members.append(std::move(m));
}

/// One pass over a tar: each header made a member, with what the archive's views need of it.
struct Archive::Builder::TarPass
{
    TarPass(const QString &path, const Progress &progress, const StreamTap &tap)
        : ar(new Archive)
        , progress(progress)
        , tap(tap)
    {
        ar->m_path = QFileInfo(path).absoluteFilePath();
        ar->m_container = Container::Tar;
        h.src.counter = &ar->m_bytesRead;
        h.src.progress = &progress;
    }

    TarStream h;
    std::shared_ptr<Archive> ar;
    const Progress &progress;
    const StreamTap &tap;
    bool compressed = false;
    qint64 captured = 0;
    int fullHeads = 0; ///< members whose whole head is kept (kMaxFullHeads)
    qint64 lastEnd = -1; ///< noteEnd() of the last header read
    QString lastName; ///< its member's path

    /// A compressed stream too short to yield even the first header: still an archive, damaged.
    OpenResult tooShort(const QString &path, const QString &error)
    {
        OpenResult result;
        QFile f(path);
        if (f.open(QIODevice::ReadOnly))
            ar->m_compression = sniffCompression(f.read(kHeadSize));
        ar->m_fileSize = f.size();
        ar->m_truncated = true;
        ar->m_problems.append(
            QStringLiteral("the archive is truncated or damaged before its first member could be read: %1").arg(error));
        result.archive = std::move(ar);
        return result;
    }

    /// A header that could not be read: an error when nothing was read yet, else the archive is
    /// truncated there. False (with `error`) when the archive cannot be opened at all.
    bool headerFailed(QString *error)
    {
        const QString why = h.why();
        if (ar->m_members.isEmpty() && !(compressed && why.contains(u"runcated")) && !h.bomb()) {
            *error = progress.cancelled() ? QStringLiteral("cancelled") : describeOpenError(h);
            return false;
        }
        if (progress.cancelled()) {
            ar->m_cancelled = true;
            return true;
        }
        // The member the stream broke off in has said so already, with the bytes it holds: the
        // reader's own words for the same cut would only repeat it.
        if (std::exchange(ar->m_truncated, true))
            return true;
        ar->m_problems.append(ar->m_members.isEmpty()
                ? QStringLiteral("the archive is truncated or damaged before its first member could be read: %1")
                      .arg(why)
                : QStringLiteral("the archive is truncated or damaged after member \"%1\": %2")
                      .arg(ar->m_members.constLast().path, why));
        return true;
    }

    static Member memberFrom(struct archive_entry *e)
    {
        Member m;
        m.size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
        m.mode = archive_entry_perm(e);
        m.mtime = archive_entry_mtime(e);
        if (archive_entry_hardlink(e) || archive_entry_hardlink_utf8(e)) {
            m.type = MemberType::Hardlink;
            m.linkTarget = entryLink(e, true);
            m.size = 0;
            return m;
        }
        switch (archive_entry_filetype(e)) {
        case AE_IFREG:
            m.type = MemberType::File;
            break;
        case AE_IFDIR:
            m.type = MemberType::Directory;
            break;
        case AE_IFLNK:
            m.type = MemberType::Symlink;
            m.linkTarget = entryLink(e, false);
            break;
        default:
            m.type = MemberType::Other;
            break;
        }
        return m;
    }

    /// Whether the member's path can be kept; problems with it are noted either way.
    bool admit(const Member &m, const QString &stored, bool escapes, struct archive_entry *e)
    {
        if (escapes || stored.isEmpty()) {
            ar->m_unsafeMembers.append(stored);
            ar->m_problems.append(
                QStringLiteral("member \"%1\": the path leaves the archive (\"..\" above its root); ignored")
                    .arg(stored));
            return false;
        }
        if (m.path.isEmpty())
            return false; // the root folder itself ("./")
        if (stored.startsWith(u'/')) {
            ar->m_absoluteMembers.append(stored);
            ar->m_problems.append(
                QStringLiteral("member \"%1\": stored with an absolute path; read as \"%2\" inside the archive")
                    .arg(stored, m.path));
        }
        if (const char *raw = archive_entry_pathname(e); raw && !QUtf8StringView(raw).isValidUtf8())
            ar->m_problems.append(
                QStringLiteral("member \"%1\": the name is not valid UTF-8 (shown with replacement characters)")
                    .arg(stored));
        if (stored.size() > limits::kMaxPathLength) {
            ar->m_problems.append(QStringLiteral("member \"%1…\": a path of %2 characters; skipped%3")
                                      .arg(stored.left(80))
                                      .arg(stored.size())
                                      .arg(limits::note("kMaxPathLength", limits::kMaxPathLength)));
            return false;
        }
        return true;
    }

    /// A compressed archive is read once: the head of every member and all of small metadata are
    /// kept. False when the stream broke off in this member.
    bool captureData(Member &m)
    {
        QByteArray buf(int(std::min<qint64>(kHeadSize, m.size)), Qt::Uninitialized);
        const la_ssize_t n = archive_read_data(h.a, buf.data(), size_t(buf.size()));
        if (n < 0) {
            ar->m_truncated = true;
            ar->m_problems.append(QStringLiteral("%1: truncated or damaged: %2").arg(m.path, h.why()));
            return false;
        }
        buf.truncate(int(n));
        m.head = buf;
        if (m.size > kMaxMetadataMemberSize || !looksLikeMetadata(m)
            || addSizes(captured, m.size) > limits::kMaxCapturedMetadataBytes) {
            if (!tapped(m, buf))
                return false;
            if (++fullHeads > kMaxFullHeads && m.head.size() > kShortHeadSize) {
                m.headCompression = sniffCompression(buf); // what the short head could not tell
                m.headSniffed = true;
                m.head = QByteArray(buf.constData(), kShortHeadSize);
            }
            return true;
        }
        captured += m.size;
        // Read straight into the member's own buffer: a chunk buffer per member (256 KiB, so
        // mmap'd and unmapped by malloc each time) cost more than inflating tens of thousands
        // of small legacy json files.
        QByteArray all(int(m.size), Qt::Uninitialized);
        std::memcpy(all.data(), buf.constData(), size_t(buf.size()));
        qint64 have = buf.size();
        la_ssize_t got = 0;
        while (have < m.size && (got = archive_read_data(h.a, all.data() + have, size_t(m.size - have))) > 0)
            have += got;
        all.truncate(int(have));
        if (got < 0 || all.size() < m.size) {
            ar->m_truncated = true;
            ar->m_problems.append(h.bomb() ? QStringLiteral("%1: %2").arg(m.path, h.bombMessage())
                                           : QStringLiteral("%1: truncated: only %2 of its %3 bytes are in the archive")
                                                 .arg(m.path)
                                                 .arg(all.size())
                                                 .arg(m.size));
        }
        m.content = all;
        m.captured = true;
        // A layer small enough to pass for metadata by its name (a blob named "sha256:…") is
        // still a layer: indexed from the bytes kept.
        if (all.size() == m.size && !tapped(m, all))
            return false;
        m.head.clear(); // head() reads it from the content: 512 bytes a member saved
        return true;
    }

    /// Hands the member to the tap, if any, with a reader over `read` (its bytes read so far)
    /// then the rest of it. False when the stream broke off in it.
    bool tapped(Member &m, const QByteArray &read)
    {
        if (!tap)
            return true;
        m.ordinal = int(ar->m_members.size());
        StreamReader rest(h, m.path, read);
        tap(m, rest);
        if (rest.error().isEmpty())
            return true;
        if (progress.cancelled()) {
            ar->m_cancelled = true;
            return false;
        }
        ar->m_truncated = true;
        ar->m_problems.append(rest.error());
        return false;
    }

    /// Where a file's data lies, or what is kept of it. False when the stream broke off.
    bool fileData(Member &m, struct archive_entry *e)
    {
        if (!compressed && archive_entry_sparse_count(e) == 0)
            m.dataOffset = archive_filter_bytes(h.a, 0);
        if (!compressed && m.dataOffset >= 0 && addSizes(m.dataOffset, m.size) > h.src.size) {
            ar->m_truncated = true;
            ar->m_problems.append(QStringLiteral("%1: truncated: the archive ends %2 bytes into this member's %3 bytes")
                                      .arg(m.path)
                                      .arg(std::max<qint64>(0, h.src.size - m.dataOffset))
                                      .arg(m.size));
        }
        return !compressed || m.size <= 0 || captureData(m);
    }

    /// Where the entry just read ends in the tar stream, its data padded to whole blocks: -1 when
    /// its header's size need not be its data's (a sparse file, a hard link, a folder of GNU's).
    void noteEnd(struct archive_entry *e)
    {
        const qint64 size = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
        const bool plain = archive_entry_filetype(e) == AE_IFREG || size == 0;
        lastEnd = plain && archive_entry_sparse_count(e) == 0 && !archive_entry_hardlink(e) && size >= 0
            ? archive_filter_bytes(h.a, 0) + (size + 511) / 512 * 512
            : -1;
    }

    /// Every member, until the end, a damaged header, the member limit or a cancel. False with
    /// `error` when not even the first header could be read.
    bool readMembers(QString *error)
    {
        struct archive_entry *e = nullptr;
        for (;;) {
            if (progress.cancelled()) {
                ar->m_cancelled = true;
                return true;
            }
            const int rc = archive_read_next_header(h.a, &e);
            if (ar->m_members.isEmpty()) {
                ar->m_compression = h.compression;
                compressed = ar->m_compression != Compression::None;
            }
            if (rc == ARCHIVE_EOF) {
                // libarchive takes a tar that just stops after a member for a whole one; every
                // writer of images ends with zero blocks, which libarchive consumes at the end.
                if (lastEnd >= 0 && archive_filter_bytes(h.a, 0) == lastEnd && !ar->m_members.isEmpty()
                    && !ar->m_truncated)
                    ar->m_unterminatedAfter = lastName;
                return true;
            }
            if (rc < ARCHIVE_WARN)
                return headerFailed(error);
            noteEnd(e);
            if (ar->m_members.size() >= limits::kMaxArchiveMembers) {
                ar->m_problems.append(
                    QStringLiteral("the archive holds more than %1 members; the rest were not indexed%2")
                        .arg(limits::kMaxArchiveMembers)
                        .arg(limits::note("kMaxArchiveMembers", limits::kMaxArchiveMembers)));
                return true;
            }
            Member m = memberFrom(e);
            const QString stored = entryPath(e);
            bool escapes = false;
            m.path = normaliseMemberPath(stored, &escapes);
            if (m.path != stored)
                m.storedPath = stored;
            lastName = m.path.isEmpty() ? stored : m.path;
            if (!admit(m, stored, escapes, e))
                continue;
            const bool whole = m.type != MemberType::File || fileData(m, e);
            Builder::addMember(*ar, std::move(m));
            if (!whole)
                return true;
        }
    }
};

Archive::OpenResult Archive::Builder::indexTar(const QString &path, const Progress &progress, const StreamTap &tap)
{
    OpenResult result;
    TarPass pass(path, progress, tap);
    QString error;
    if (!openSource(pass.h, path, &error)) {
        if (error.contains(u"runcated"))
            return pass.tooShort(path, error);
        result.error = error;
        return result;
    }
    pass.ar->m_fileSize = pass.h.src.size;
    if (pass.h.src.size == 0) {
        result.error = QStringLiteral("the file is empty (0 bytes), not an image archive");
        return result;
    }
    if (!pass.readMembers(&result.error))
        return result;
    if (progress.report)
        progress.update(pass.h.src.position, pass.h.src.size);
    result.archive = std::move(pass.ar);
    return result;
}

Archive::ReadResult Archive::readStreamed(int index, qint64 maxBytes) const
{
    ReadResult r;
    const Member &target = m_members.at(index);
    TarStream h;
    h.src.counter = &m_bytesRead;
    QString error;
    if (!openSource(h, m_path, &error)) {
        r.error = QStringLiteral("%1: %2").arg(target.path, error);
        return r;
    }
    struct archive_entry *e = nullptr;
    int ordinal = -1;
    // Ordinals count every header the indexer kept or skipped in the same order, so re-count the
    // same way: members with unsafe or empty paths were not added.
    for (int rc; (rc = archive_read_next_header(h.a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN;) {
        bool escapes = false;
        const QString stored = entryPath(e);
        const QString p = normaliseMemberPath(stored, &escapes);
        if (skippedMember(stored, p, escapes))
            continue;
        if (++ordinal != target.ordinal)
            continue;
        if (p != target.path)
            break;
        const qint64 want = std::min(target.size, maxBytes);
        r.data.resize(want);
        qint64 got = 0;
        while (got < want) {
            const la_ssize_t n = archive_read_data(h.a, r.data.data() + got, size_t(want - got));
            if (n <= 0)
                break;
            got += n;
        }
        if (got < target.size) {
            r.data.truncate(got);
            r.error = h.bomb() ? QStringLiteral("%1: %2").arg(target.path, h.bombMessage())
                               : QStringLiteral("%1: truncated: only %2 of its %3 bytes could be read")
                                     .arg(target.path)
                                     .arg(got)
                                     .arg(target.size);
        }
        return r;
    }
    r.error = QStringLiteral("%1: could not be found again while re-reading the archive").arg(target.path);
    return r;
}

bool Archive::scanMembers(const QSet<int> &wanted, const std::function<bool(int, MemberReader &)> &visit,
    const Progress &progress, QString *error) const
{
    if (m_container == Container::Directory) {
        QList<int> sorted(wanted.begin(), wanted.end());
        std::sort(sorted.begin(), sorted.end());
        for (int index : sorted) {
            if (progress.cancelled())
                return true;
            std::unique_ptr<MemberReader> r = openMember(index, error, progress.cancelOnly());
            if (!r)
                return false;
            if (!visit(index, *r))
                return true;
        }
        return true;
    }
    if (wanted.isEmpty())
        return true; // opening the stream would start inflating it ahead
    TarStream h;
    h.src.counter = &m_bytesRead;
    h.src.progress = &progress;
    if (!openSource(h, m_path, error))
        return false;
    struct archive_entry *e = nullptr;
    int ordinal = -1;
    int left = int(wanted.size());
    int rc;
    while (left > 0 && ((rc = archive_read_next_header(h.a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN)) {
        if (progress.cancelled())
            return true;
        bool escapes = false;
        const QString stored = entryPath(e);
        const QString p = normaliseMemberPath(stored, &escapes);
        if (skippedMember(stored, p, escapes))
            continue;
        ++ordinal;
        if (!wanted.contains(ordinal))
            continue;
        --left;
        StreamReader reader(h, p);
        if (!visit(ordinal, reader))
            return true;
    }
    if (left > 0 && !progress.cancelled()) {
        *error = QStringLiteral("the archive ended before all members were read: %1").arg(h.why());
        return false;
    }
    return true;
}

Archive::OpenResult Archive::open(
    const QString &path, const Progress &progress, const Deferred &deferred, const StreamTap &tap)
{
    QFileInfo info(path);
    OpenResult r;
    // Opened without blocking to learn what it is first: open() and read() of a FIFO or a device
    // would wait forever.
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || ::fstat(fd, &st) != 0) {
        const int why = errno;
        if (fd >= 0)
            ::close(fd);
        r.error = why == ENOENT
            ? QStringLiteral("%1: no such file or folder").arg(path)
            : QStringLiteral("%1: cannot open: %2").arg(path, QString::fromLocal8Bit(strerror(why)));
        return r;
    }
    ::close(fd);
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        r.error = QStringLiteral("%1: %2").arg(path, notAFile(st.st_mode));
        return r;
    }
    // Resolved once: members of an uncompressed archive are reopened by path with O_NOFOLLOW,
    // which a link (or a path through /proc/self/fd) given as PATH would fail with ELOOP.
    QString resolved = path;
    if (char *real = ::realpath(native.constData(), nullptr)) {
        resolved = QFile::decodeName(real);
        ::free(real);
    }
    r = S_ISDIR(st.st_mode) ? Builder::indexDir(resolved, progress, deferred)
                            : Builder::indexTar(resolved, progress, tap);
    if (!r.error.isEmpty())
        r.error = QStringLiteral("%1: %2").arg(info.fileName(), r.error);
    return r;
}

} // namespace lamina
