// SPDX-License-Identifier: MIT
#include "archive/archive.h"

#include "util/sha256.h"

#include "util/checkedsize.h"
#include "util/workcounters.h"

#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lamina {

QString compressionName(Compression c)
{
    switch (c) {
    case Compression::None:
        return QStringLiteral("none");
    case Compression::Gzip:
        return QStringLiteral("gzip");
    case Compression::Zstd:
        return QStringLiteral("zstd");
    case Compression::Xz:
        return QStringLiteral("xz");
    case Compression::Bzip2:
        return QStringLiteral("bzip2");
    case Compression::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

static bool tarChecksumValid(const QByteArray &block)
{
    // POSIX ustar and v7 headers: the checksum field (148..155) holds the octal sum of all 512
    // header bytes with the field itself counted as spaces.
    if (block.size() < 512)
        return false;
    const auto *b = reinterpret_cast<const unsigned char *>(block.constData());
    unsigned sum = 0;
    for (int i = 0; i < 512; ++i)
        sum += (i >= 148 && i < 156) ? unsigned(' ') : b[i];
    unsigned stored = 0;
    bool digits = false;
    for (int i = 148; i < 156; ++i) {
        if (b[i] >= '0' && b[i] <= '7') {
            stored = stored * 8 + unsigned(b[i] - '0');
            digits = true;
        } else if (digits) {
            break;
        }
    }
    return digits && stored == sum;
}

Compression compressionClaimedBy(const QString &mediaType)
{
    if (mediaType.endsWith(u"+gzip") || mediaType.endsWith(u".tar.gzip"))
        return Compression::Gzip;
    if (mediaType.endsWith(u"+zstd") || mediaType.endsWith(u".tar.zstd"))
        return Compression::Zstd;
    if (mediaType.endsWith(u".tar") || mediaType.endsWith(u"layer.v1.tar"))
        return Compression::None;
    return Compression::Unknown;
}

Compression sniffCompression(const QByteArray &head)
{
    const auto *b = reinterpret_cast<const unsigned char *>(head.constData());
    const qsizetype n = head.size();
    if (n >= 2 && b[0] == 0x1f && b[1] == 0x8b)
        return Compression::Gzip;
    if (n >= 4 && b[0] == 0x28 && b[1] == 0xb5 && b[2] == 0x2f && b[3] == 0xfd)
        return Compression::Zstd;
    if (n >= 6 && b[0] == 0xfd && b[1] == '7' && b[2] == 'z' && b[3] == 'X' && b[4] == 'Z' && b[5] == 0)
        return Compression::Xz;
    if (n >= 3 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h')
        return Compression::Bzip2;
    if (n >= 512) {
        if (tarChecksumValid(head))
            return Compression::None;
        // An empty tar is nothing but zero blocks (end-of-archive marker).
        if (head.left(512).count('\0') == 512)
            return Compression::None;
    }
    return Compression::Unknown;
}

QString normaliseMemberPath(const QString &path, bool *escapes)
{
    if (escapes)
        *escapes = false;
    // Nearly every stored path is already normal: keep (share) it rather than split and join,
    // which cost three allocations a member on archives of 100,000 members.
    bool normal = !path.isEmpty() && !path.endsWith(u'/');
    for (qsizetype start = 0; normal && start <= path.size();) {
        qsizetype end = path.indexOf(u'/', start);
        if (end < 0)
            end = path.size();
        const QStringView part = QStringView(path).mid(start, end - start);
        normal = !part.isEmpty() && part != u"." && part != u"..";
        start = end + 1;
    }
    if (normal)
        return path;
    QStringList out;
    const auto parts = QStringView(path).split(u'/');
    for (QStringView part : parts) {
        if (part.isEmpty() || part == u".")
            continue;
        if (part == u"..") {
            if (out.isEmpty()) {
                if (escapes)
                    *escapes = true;
                return {};
            }
            out.removeLast();
            continue;
        }
        out.append(part.toString());
    }
    return out.join(u'/');
}

QString Archive::fileName() const
{
    return QFileInfo(m_path).fileName();
}

int Archive::find(const QString &path) const
{
    return m_index.value(path, -1);
}

QStringList Archive::children(const QString &dir) const
{
    QSet<QString> names;
    const QString prefix = dir.isEmpty() ? QString() : dir + u'/';
    auto consider = [&](const QString &p) {
        if (!p.startsWith(prefix) || p.size() == prefix.size())
            return;
        const QString rest = p.mid(prefix.size());
        names.insert(rest.section(u'/', 0, 0));
    };
    for (const Member &m : m_members)
        consider(m.path);
    for (const QString &d : m_dirs)
        consider(d);
    QStringList sorted(names.begin(), names.end());
    sorted.sort();
    return sorted;
}

Archive::Resolved Archive::resolve(const QString &path) const
{
    Resolved r;
    // Most paths asked for are plain ("<id>/json"): folders down to a member that is no link.
    // They resolve to themselves without splitting and joining; anything else takes the walk.
    bool plain = !path.isEmpty() && !path.startsWith(u'/');
    for (qsizetype start = 0; plain;) {
        const qsizetype slash = path.indexOf(u'/', start);
        const QStringView comp = QStringView(path).mid(start, slash < 0 ? -1 : slash - start);
        if (comp.isEmpty() || comp == u"." || comp == u"..") {
            plain = false;
            break;
        }
        if (slash < 0)
            break;
        const QString folder = path.left(slash);
        const int idx = find(folder);
        plain = idx < 0 ? m_dirs.contains(folder) : m_members.at(idx).type == MemberType::Directory;
        start = slash + 1;
    }
    if (plain) {
        const int idx = find(path);
        if (idx >= 0 && m_members.at(idx).type != MemberType::Symlink
            && m_members.at(idx).type != MemberType::Hardlink) {
            r.index = idx;
            r.path = m_members.at(idx).path;
            return r;
        }
    }
    QStringList todo = path.split(u'/', Qt::SkipEmptyParts);
    QStringList done;
    if (path.startsWith(u'/')) {
        r.error = QStringLiteral("the path \"%1\" is absolute and would point outside the archive").arg(path);
        return r;
    }
    while (!todo.isEmpty()) {
        const QString comp = todo.takeFirst();
        if (comp == u".")
            continue;
        if (comp == u"..") {
            if (done.isEmpty()) {
                r.error = QStringLiteral("\"%1\" points outside the archive").arg(path);
                return r;
            }
            done.removeLast();
            continue;
        }
        done.append(comp);
        const QString current = done.join(u'/');
        const int idx = find(current);
        if (idx < 0) {
            if (todo.isEmpty() || !m_dirs.contains(current)) {
                r.error = r.hops
                    ? QStringLiteral("\"%1\" leads to \"%2\", which is not in the archive").arg(path, current)
                    : QStringLiteral("\"%1\" is not in the archive").arg(path);
                return r;
            }
            continue;
        }
        const Member &m = m_members.at(idx);
        if (m.type == MemberType::Symlink) {
            if (++r.hops > kMaxLinkHops) {
                r.error = QStringLiteral("\"%1\": symbolic links form a loop (more than %2 hops, the link hop limit)")
                              .arg(path)
                              .arg(kMaxLinkHops);
                return r;
            }
            if (m.linkTarget.startsWith(u'/')) {
                r.error = QStringLiteral(
                    "\"%1\" is a symbolic link to the absolute path \"%2\", which points outside the archive")
                              .arg(current, m.linkTarget);
                return r;
            }
            done.removeLast();
            todo = m.linkTarget.split(u'/', Qt::SkipEmptyParts) + todo;
            continue;
        }
        if (m.type == MemberType::Hardlink) {
            if (++r.hops > kMaxLinkHops) {
                r.error = QStringLiteral("\"%1\": hard links form a loop (more than %2 hops, the link hop limit)")
                              .arg(path)
                              .arg(kMaxLinkHops);
                return r;
            }
            bool escapes = false;
            const QString target = normaliseMemberPath(m.linkTarget, &escapes);
            if (escapes || m.linkTarget.startsWith(u'/')) {
                r.error = QStringLiteral("\"%1\" is a hard link to \"%2\", which points outside the archive")
                              .arg(current, m.linkTarget);
                return r;
            }
            done.clear();
            todo = target.split(u'/', Qt::SkipEmptyParts) + todo;
            continue;
        }
        if (!todo.isEmpty() && m.type != MemberType::Directory) {
            r.error = QStringLiteral("\"%1\": \"%2\" is not a folder").arg(path, current);
            return r;
        }
    }
    r.path = done.join(u'/');
    r.index = find(r.path);
    if (r.index < 0)
        r.error = QStringLiteral("\"%1\" is not in the archive").arg(path);
    return r;
}

bool Archive::location(const Member &m, QString *file, qint64 *offset) const
{
    *offset = 0;
    if (m.remote && isDeferred(int(&m - m_members.constData())))
        return false;
    if (m_container == Container::Directory) {
        *file = m_path + u'/' + (m.storedPath.isEmpty() ? m.path : m.storedPath);
        return true;
    }
    if (m.dataOffset >= 0) {
        *file = m_path;
        *offset = m.dataOffset;
        return true;
    }
    return false;
}

void Archive::removeWhenClosed()
{
    m_removeWhenClosed = true;
    bool owned = false;
    const int fd = descriptor(m_path, &owned);
    if (fd >= 0 && !owned)
        ::flock(fd, LOCK_SH | LOCK_NB);
}

Archive::~Archive()
{
    if (m_tarFd >= 0)
        ::close(m_tarFd);
    if (m_removeWhenClosed)
        QFile::remove(m_path);
    if (m_cleanup)
        m_cleanup();
}

int Archive::descriptor(const QString &file, bool *owned) const
{
    if (m_container == Container::Tar) {
        *owned = false;
        std::call_once(m_tarOpened, [this] {
            m_tarFd = ::open(QFile::encodeName(m_path).constData(), O_RDONLY | O_CLOEXEC);
            m_tarErrno = m_tarFd < 0 ? errno : 0;
        });
        errno = m_tarErrno;
        return m_tarFd;
    }
    // O_NOFOLLOW: folder members were listed without following links, and resolve() has already
    // walked every link inside the folder, so a link here would lead outside it.
    *owned = true;
    return ::open(QFile::encodeName(file).constData(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
}

static QString tooLarge(const Member &m, qint64 maxBytes)
{
    return QStringLiteral("%1: %2 bytes, more than the %3 bytes read into memory for a member of this kind%4")
        .arg(m.path)
        .arg(m.size)
        .arg(maxBytes)
        .arg(maxBytes == kMaxMetadataMemberSize ? limits::note("kMaxMetadataMemberSize", kMaxMetadataMemberSize)
                                                : QString());
}

Archive::ReadResult Archive::read(int index, qint64 maxBytes) const
{
    ReadResult r;
    if (index < 0 || index >= m_members.size()) {
        r.error = QStringLiteral("no such member");
        return r;
    }
    const Member &m = m_members.at(index);
    if (m.type == MemberType::Directory) {
        r.error = QStringLiteral("%1: is a folder, not a file").arg(m.path);
        return r;
    }
    if (m.type == MemberType::Other) {
        r.error = QStringLiteral("%1: a FIFO, socket or device, not a regular file; it is not read").arg(m.path);
        return r;
    }
    if (m.type != MemberType::File) {
        r.error = QStringLiteral("%1: is a link or special file; resolve it first").arg(m.path);
        return r;
    }
    if (m.size > maxBytes) {
        r.error = tooLarge(m, maxBytes);
        return r;
    }
    if (QString why; !fetchMember(index, {}, &why)) {
        r.error = why;
        return r;
    }
    // Counted before reading, so that the total bounds the work, not only what is kept.
    const qint64 before = m_metadataBytes.fetch_add(std::max<qint64>(m.size, 0));
    if (addSizes(before, m.size) > limits::kMaxMetadataBytesTotal) {
        r.error = QStringLiteral("%1: not read: the metadata read from this archive would pass %2 bytes in all%3")
                      .arg(m.path)
                      .arg(limits::kMaxMetadataBytesTotal)
                      .arg(limits::note("kMaxMetadataBytesTotal", limits::kMaxMetadataBytesTotal));
        return r;
    }
    work::counters().add(work::counters().metadataBytes, m.size);
    work::counters().add(work::counters().metadataReads, 1);
    if (m.captured) {
        r.data = m.content;
        return r;
    }
    QString file;
    qint64 offset = 0;
    if (!location(m, &file, &offset))
        return readStreamed(index, maxBytes);
    bool owned = false;
    const int fd = descriptor(file, &owned);
    if (fd < 0) {
        r.error = QStringLiteral("%1: cannot open: %2").arg(m.path, QString::fromLocal8Bit(strerror(errno)));
        return r;
    }
    r.data.resize(m.size);
    qint64 got = 0;
    while (got < m.size) {
        const ssize_t n = ::pread(fd, r.data.data() + got, size_t(m.size - got), offset + got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += n;
    }
    if (owned)
        ::close(fd);
    m_bytesRead += got;
    if (got < m.size) {
        r.data.truncate(got);
        r.error = QStringLiteral("%1: truncated: only %2 of its %3 bytes are in the archive")
                      .arg(m.path)
                      .arg(got)
                      .arg(m.size);
    }
    return r;
}

Compression Archive::compressionOf(int index) const
{
    if (index < 0 || index >= m_members.size())
        return Compression::Unknown;
    const Member &m = m_members.at(index);
    if (m.remote)
        return isDeferred(index) ? m.headCompression : sniffCompression(head(index));
    return m.headSniffed ? m.headCompression : sniffCompression(head(index));
}

bool Archive::isDeferred(int index) const
{
    if (index < 0 || index >= m_members.size() || !m_members.at(index).remote)
        return false;
    std::lock_guard<std::mutex> guard(m_fetchLock);
    return m_fetches.value(index, Fetch::Absent) != Fetch::Here;
}

bool Archive::fetchMember(int index, const Progress &progress, QString *error) const
{
    if (index < 0 || index >= m_members.size() || !m_members.at(index).remote)
        return true;
    const Member &m = m_members.at(index);
    {
        std::unique_lock<std::mutex> lock(m_fetchLock);
        for (;;) {
            const Fetch state = m_fetches.value(index, Fetch::Absent);
            if (state == Fetch::Here)
                return true;
            if (state == Fetch::Absent)
                break;
            // Another thread fetches it: waited for, looking at the cancel flag now and then.
            m_fetchEnded.wait_for(lock, std::chrono::milliseconds(200));
            if (progress.cancelled()) {
                *error = QStringLiteral("%1: cancelled while it was being fetched").arg(m.path);
                return false;
            }
        }
        m_fetches.insert(index, Fetch::Running);
    }
    // The bytes as they come, counted for the archive as well as for the caller.
    qint64 counted = 0;
    Progress counting = progress;
    counting.report = [&](qint64 done, qint64 total) {
        m_fetchedBytes += done - counted;
        counted = done;
        progress.update(done, total);
    };
    const bool ok = m_remote && m_remote->fetch(m, m_path + u'/' + m.path, counting, error);
    if (!m_remote)
        *error = QStringLiteral("%1: not in the folder, and nothing to fetch it from").arg(m.path);
    std::lock_guard<std::mutex> guard(m_fetchLock);
    m_fetches.insert(index, ok ? Fetch::Here : Fetch::Absent);
    if (ok)
        --m_deferredLeft;
    m_fetchEnded.notify_all();
    return ok;
}

QByteArray Archive::head(int index) const
{
    if (index < 0 || index >= m_members.size() || isDeferred(index))
        return {};
    const Member &m = m_members.at(index);
    if (!m.head.isEmpty() || m.size == 0 || m.type != MemberType::File)
        return m.head;
    if (m.captured)
        return m.content.left(kHeadSize);
    QString file;
    qint64 offset = 0;
    if (!location(m, &file, &offset))
        return {};
    bool owned = false;
    const int fd = descriptor(file, &owned);
    if (fd < 0)
        return {};
    QByteArray out(int(std::min<qint64>(kHeadSize, m.size)), Qt::Uninitialized);
    const ssize_t n = ::pread(fd, out.data(), size_t(out.size()), offset);
    if (owned)
        ::close(fd);
    if (n <= 0)
        return {};
    m_bytesRead += n;
    out.truncate(int(n));
    return out;
}

} // namespace lamina

namespace lamina {

namespace {

class FileRangeReader : public MemberReader
{
public:
    FileRangeReader(int fd, qint64 offset, qint64 size, std::atomic<qint64> *counter, QString name)
        : m_fd(fd)
        , m_start(offset)
        , m_size(size)
        , m_offset(offset)
        , m_left(size)
        , m_counter(counter)
        , m_name(std::move(name))
    {
#ifdef POSIX_FADV_SEQUENTIAL
        ::posix_fadvise(fd, offset, size, POSIX_FADV_SEQUENTIAL);
#endif
    }
    ~FileRangeReader() override
    {
        ::close(m_fd);
    }

    qint64 read(char *buffer, qint64 max) override
    {
        if (m_left <= 0)
            return 0;
        for (;;) {
            const ssize_t n = ::pread(m_fd, buffer, size_t(std::min(max, m_left)), m_offset);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                m_error = QStringLiteral("%1: read error: %2").arg(m_name, QString::fromLocal8Bit(strerror(errno)));
                return -1;
            }
            if (n == 0) {
                // Told from the file's end, not from where this read was: a reader that skipped
                // file data (indexing) is further on than one that read it all (hashing), and
                // both must name the same truncation.
                struct stat st;
                const qint64 held = ::fstat(m_fd, &st) == 0 ? std::clamp<qint64>(st.st_size - m_start, 0, m_size) : 0;
                m_error = QStringLiteral("%1: truncated: the archive ends %2 bytes into this member's %3 bytes")
                              .arg(m_name)
                              .arg(held)
                              .arg(m_size);
                return -1;
            }
            m_offset += n;
            m_left -= n;
            if (m_counter)
                *m_counter += n;
            return n;
        }
    }
    QString error() const override
    {
        return m_error;
    }
    qint64 skip(qint64 n) override
    {
        const qint64 step = std::min(n, m_left);
        m_offset += step;
        m_left -= step;
        return step;
    }
    bool canSeek() const override
    {
        return true;
    }
    bool fileRange(int *fd, qint64 *offset, qint64 *length) const override
    {
        *fd = m_fd;
        *offset = m_offset;
        *length = m_left;
        return true;
    }

private:
    int m_fd;
    const qint64 m_start; ///< where the member's data begins in the file
    const qint64 m_size;
    qint64 m_offset;
    qint64 m_left;
    std::atomic<qint64> *m_counter;
    QString m_name;
    QString m_error;
};

} // namespace

std::unique_ptr<MemberReader> fileRangeReader(
    int fd, qint64 offset, qint64 size, const QString &name, std::atomic<qint64> *counter)
{
    return std::make_unique<FileRangeReader>(fd, offset, size, counter, name);
}

std::unique_ptr<MemberReader> openFileReader(const QString &path, QString *error)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || ::fstat(fd, &st) != 0) {
        *error = QStringLiteral("%1: %2").arg(path, QString::fromLocal8Bit(strerror(errno)));
        if (fd >= 0)
            ::close(fd);
        return nullptr;
    }
    return fileRangeReader(fd, 0, qint64(st.st_size), path, &work::counters().fileBytesRead);
}

std::unique_ptr<MemberReader> Archive::openMember(int index, QString *error, const Progress &progress) const
{
    const Member &m = m_members.at(index);
    if (m.type != MemberType::File) {
        *error = QStringLiteral("%1: not a regular file").arg(m.path);
        return nullptr;
    }
    if (!fetchMember(index, progress, error))
        return nullptr;
    QString file;
    qint64 offset = 0;
    if (!location(m, &file, &offset)) {
        *error = QStringLiteral("%1: cannot be read on its own in a compressed archive").arg(m.path);
        return nullptr;
    }
    const int fd = ::open(QFile::encodeName(file).constData(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        *error = QStringLiteral("%1: cannot open: %2").arg(m.path, QString::fromLocal8Bit(strerror(errno)));
        return nullptr;
    }
    return std::make_unique<FileRangeReader>(fd, offset, m.size, &m_bytesRead, m.path);
}

QString Archive::unlistedFolderOf(const QString &path) const
{
    static const QString kMarker = QStringLiteral(": cannot list the folder: ");
    for (const QString &p : m_problems) {
        const qsizetype at = p.indexOf(kMarker);
        if (at < 0)
            continue;
        const QString folder = p.left(at);
        if (folder == u"." || path.startsWith(folder + u'/'))
            return p;
    }
    return {};
}

qint64 Archive::capturedBytes() const
{
    qint64 total = 0;
    for (const Member &m : m_members)
        total += m.captured ? m.content.size() : 0;
    return total;
}

void Archive::releaseCaptured(const QSet<int> &keep)
{
    // Made-up members (a skopeo dir:'s index) and folders have no stream to read them from again.
    if (m_container != Container::Tar || m_compression == Compression::None)
        return;
    for (int i = 0; i < m_members.size(); ++i) {
        Member &m = m_members[i];
        if (m.captured && !keep.contains(i)) {
            m.head = m.content.left(kHeadSize); // captureData() dropped the head for the content
            m.content = QByteArray();
            m.captured = false;
        }
    }
}

QByteArray Archive::memberTableDigest() const
{
    std::call_once(m_tableDigested, [this] {
        Sha256 h;
        for (const Member &m : m_members) {
            const QByteArray path = m.path.toUtf8();
            const qint64 numbers[] = { qint64(m.type), m.size, m.dataOffset, qint64(m.ordinal) };
            h.add(path.constData(), path.size() + 1); // with its NUL: paths cannot run together
            h.add(reinterpret_cast<const char *>(numbers), sizeof numbers);
        }
        m_tableDigest = h.finish().toLatin1();
    });
    return m_tableDigest;
}

} // namespace lamina
