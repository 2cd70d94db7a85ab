// SPDX-License-Identifier: MIT
#include "layers/indexcache.h"

#include "util/sha256.h"

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>

namespace lamina {

namespace {

// Version 2: the big arrays start at multiples of 8, so that a mapped file is used in place.
constexpr char kMagic[8] = { 'L', 'A', 'M', 'I', 'D', 'X', '\0', '\2' };
constexpr quint32 kEndianMark = 0x01020304;
constexpr int kKeyBytes = 64; // hex sha256
constexpr int kHeaderBytes = 8 + 4 + 4 + kKeyBytes + 8 + 32;
static_assert(kHeaderBytes % 8 == 0, "the payload's arrays are aligned from the file's start");
// Bounds a cache file must keep to be read at all (a layer index larger than these is not
// written either): far above any layer Lamina indexes, far below what would exhaust memory.
constexpr qint64 kMaxEntries = qint64(1) << 26;
constexpr qint64 kMaxPool = qint64(1) << 32;
constexpr qint64 kMaxStrings = 1 << 20;

std::mutex g_defaultLock;
std::shared_ptr<const IndexCache> g_default;

class Writer
{
public:
    QByteArray out;
    template <typename T> void pod(T v) { out.append(reinterpret_cast<const char *>(&v), sizeof v); }
    void bytes(QByteArrayView b)
    {
        pod<quint64>(quint64(b.size()));
        out.append(b);
    }
    void string(const QString &s) { bytes(s.toUtf8()); }
    /// Zeros up to the next multiple of 8 of the payload (and of the file: the header is 8s).
    void align() { out.append(QByteArray((8 - out.size() % 8) % 8, '\0')); }
    template <typename T> void array(const QList<T> &list)
    {
        static_assert(std::is_trivially_copyable_v<T> && alignof(T) <= 8);
        pod<quint64>(quint64(list.size()));
        align();
        if (!list.isEmpty())
            out.append(reinterpret_cast<const char *>(list.constData()), qsizetype(list.size() * sizeof(T)));
    }
};

/// Reads what Writer wrote; any read past the end, or a count over its bound, fails the whole.
/// `inPlace` (the caller keeps `in` alive for as long as what is read): the big arrays are not
/// copied but point into `in`, where it is aligned for them.
class Reader
{
public:
    explicit Reader(QByteArrayView in, bool inPlace = false)
        : m_in(in)
        , m_inPlace(inPlace)
    {
    }
    bool ok = true;
    template <typename T> T pod()
    {
        T v {};
        if (!take(sizeof v))
            return v;
        std::memcpy(&v, m_in.constData() + m_pos - qsizetype(sizeof v), sizeof v);
        return v;
    }
    QByteArray bytes(qint64 max, bool inPlace = false)
    {
        const quint64 n = pod<quint64>();
        if (!ok || n > quint64(max) || !take(qsizetype(n)))
            return fail<QByteArray>();
        const char *at = m_in.constData() + m_pos - qsizetype(n);
        if (inPlace && m_inPlace)
            return QByteArray::fromRawData(at, qsizetype(n));
        return QByteArray(at, qsizetype(n));
    }
    QString string() { return QString::fromUtf8(bytes(kMaxStrings)); }
    template <typename T> QList<T> array(qint64 max)
    {
        const quint64 n = pod<quint64>();
        if (!ok || n > quint64(max) || !take((8 - m_pos % 8) % 8) || !take(qsizetype(n * sizeof(T))))
            return fail<QList<T>>();
        if (n == 0)
            return {};
        const char *bytes = m_in.constData() + m_pos - qsizetype(n * sizeof(T));
        const T *at = reinterpret_cast<const T *>(bytes);
        // In place: the list points into the cache file's bytes (owning nothing; changing it would
        // copy). Written by Writer, the array is aligned in the file, so it is in a mapping of it;
        // bytes handed in another way (a test's, the fuzzer's) may not be, and are copied.
        if (m_inPlace && reinterpret_cast<quintptr>(at) % alignof(T) == 0)
            return QList<T>(QArrayDataPointer<T>::fromRawData(at, qsizetype(n)));
        // Constructed from the range, not resized then overwritten: a resize first writes
        // every entry's defaults (measured: a fifth of loading a million entries).
        QList<T> list;
        list.reserve(qsizetype(n));
        for (quint64 i = 0; i < n; ++i) {
            T v;
            std::memcpy(static_cast<void *>(&v), bytes + i * sizeof(T), sizeof(T));
            list.append(v);
        }
        return list;
    }
    bool atEnd() const { return m_pos == m_in.size(); }

private:
    template <typename T> T fail()
    {
        ok = false;
        return T();
    }
    bool take(qsizetype n)
    {
        if (!ok || n < 0 || m_in.size() - m_pos < n)
            return ok = false;
        m_pos += n;
        return true;
    }
    QByteArrayView m_in;
    qsizetype m_pos = 0;
    bool m_inPlace = false;
};

/// The 32 bytes of a payload's sha256.
QByteArray payloadDigest(QByteArrayView payload)
{
    Sha256 h;
    h.add(payload.constData(), payload.size());
    return QByteArray::fromHex(h.finish().mid(7).toLatin1());
}

QByteArray payloadOf(const LayerIndex &index)
{
    Writer w;
    w.pod<qint64>(index.storedSize);
    w.pod<qint64>(index.uncompressedSize);
    w.pod<quint8>(quint8(index.compression));
    w.string(index.storedDigest);
    w.string(index.diffId);
    w.pod<qint32>(index.fileCount);
    w.pod<qint64>(index.fileBytes);
    w.pod<qint32>(index.whiteoutCount);
    w.pod<quint8>(index.complete ? 1 : 0);
    w.pod<quint32>(quint32(index.problems.size()));
    for (const QString &p : index.problems)
        w.string(p);
    w.pod<quint32>(quint32(index.issues.size()));
    for (const LayerIndex::Issue &i : index.issues) {
        w.string(i.code);
        w.pod<quint8>(i.refused ? 1 : 0);
        w.string(i.message);
        w.pod<qint32>(i.header);
    }
    w.array(index.m_entries);
    w.bytes(index.m_pool);
    w.array(index.m_childStart);
    w.array(index.m_children);
    w.pod<quint32>(quint32(index.m_xattrs.size()));
    for (auto it = index.m_xattrs.begin(); it != index.m_xattrs.end(); ++it) {
        w.pod<qint32>(it.key());
        w.pod<quint32>(quint32(it->size()));
        for (const auto &[name, value] : *it) {
            w.bytes(name);
            w.bytes(value);
        }
    }
    return w.out;
}

/// The index a payload holds, when every count, offset and link in it is within bounds: a
/// cache file is data from disk, and a crafted one must not make Lamina read out of bounds or
/// walk a parent chain forever. With `backing`, which keeps `payload` alive, the index's big
/// arrays point into the payload.
std::shared_ptr<LayerIndex> indexOf(QByteArrayView payload, std::shared_ptr<const void> backing = {})
{
    Reader r(payload, backing != nullptr);
    auto index = std::make_shared<LayerIndex>();
    index->storedSize = r.pod<qint64>();
    index->uncompressedSize = r.pod<qint64>();
    const quint8 compression = r.pod<quint8>();
    if (compression > quint8(Compression::Unknown))
        return nullptr;
    index->compression = Compression(compression);
    index->storedDigest = r.string();
    index->diffId = r.string();
    index->fileCount = r.pod<qint32>();
    index->fileBytes = r.pod<qint64>();
    index->whiteoutCount = r.pod<qint32>();
    index->complete = r.pod<quint8>() == 1;
    const quint32 problems = r.pod<quint32>();
    for (quint32 i = 0; r.ok && i < problems && i < kMaxStrings; ++i)
        index->problems << r.string();
    const quint32 issues = r.pod<quint32>();
    for (quint32 i = 0; r.ok && i < issues && i < kMaxStrings; ++i) {
        LayerIndex::Issue issue;
        issue.code = r.string();
        issue.refused = r.pod<quint8>() == 1;
        issue.message = r.string();
        issue.header = r.pod<qint32>();
        index->issues << issue;
    }
    index->m_entries = r.array<LayerEntry>(kMaxEntries);
    index->m_pool = r.bytes(kMaxPool, true);
    index->m_childStart = r.array<qint32>(kMaxEntries + 2);
    index->m_children = r.array<qint32>(kMaxEntries);
    const quint32 withXattrs = r.pod<quint32>();
    for (quint32 i = 0; r.ok && i < withXattrs && i < kMaxEntries; ++i) {
        const qint32 entry = r.pod<qint32>();
        const quint32 pairs = r.pod<quint32>();
        QList<std::pair<QByteArray, QByteArray>> list;
        for (quint32 p = 0; r.ok && p < pairs && p < kMaxStrings; ++p) {
            QByteArray name = r.bytes(kMaxStrings);
            QByteArray value = r.bytes(kMaxPool);
            list.append({ std::move(name), std::move(value) });
        }
        index->m_xattrs.insert(entry, list);
    }
    if (!r.ok || !r.atEnd() || problems > kMaxStrings || issues > kMaxStrings)
        return nullptr;

    const qint64 n = index->m_entries.size();
    const qint64 pool = index->m_pool.size();
    for (qint64 i = 0; i < n; ++i) {
        const LayerEntry &e = index->m_entries.at(i);
        // A parent is always an earlier entry (the indexer makes a folder before what it holds),
        // so following parents ends.
        if (e.parent < -1 || e.parent >= i || qint64(e.nameOffset) + e.nameLength > pool
            || qint64(e.linkOffset) + e.linkLength > pool || quint8(e.type) > quint8(EntryType::Whiteout))
            return nullptr;
    }
    // children(-1 .. n-1) reads start[0 .. n+1]: all of them there, in order, within the table.
    const QList<qint32> &start = index->m_childStart;
    if (start.size() != n + 2)
        return nullptr;
    for (qsizetype i = 0; i < start.size(); ++i)
        if (start.at(i) < 0 || start.at(i) > index->m_children.size() || (i > 0 && start.at(i) < start.at(i - 1)))
            return nullptr;
    for (const qint32 c : std::as_const(index->m_children))
        if (c < 0 || c >= n)
            return nullptr;
    for (auto it = index->m_xattrs.cbegin(); it != index->m_xattrs.cend(); ++it)
        if (it.key() < 0 || it.key() >= n)
            return nullptr;
    if (backing) {
        index->m_backing = std::move(backing);
        index->m_backingBytes = payload.size();
    }
    return index;
}

/// A cache file's payload when its header (format, entry size, byte order, key, length) is this
/// build's and the payload matches the digest in it.
std::optional<QByteArrayView> checkedPayload(const QByteArray &key, QByteArrayView bytes)
{
    if (bytes.size() < kHeaderBytes || std::memcmp(bytes.constData(), kMagic, sizeof kMagic) != 0)
        return std::nullopt;
    Reader r(bytes.first(kHeaderBytes).sliced(sizeof kMagic));
    const quint32 entrySize = r.pod<quint32>();
    const quint32 endian = r.pod<quint32>();
    if (entrySize != sizeof(LayerEntry) || endian != kEndianMark)
        return std::nullopt;
    if (bytes.sliced(16, kKeyBytes) != QByteArrayView(key.leftJustified(kKeyBytes, '\0', true)))
        return std::nullopt; // another key's file under this name
    quint64 payloadSize = 0;
    std::memcpy(&payloadSize, bytes.constData() + 16 + kKeyBytes, sizeof payloadSize);
    if (payloadSize != quint64(bytes.size() - kHeaderBytes))
        return std::nullopt;
    const QByteArrayView payload = bytes.sliced(kHeaderBytes);
    if (payloadDigest(payload) != bytes.sliced(16 + kKeyBytes + 8, 32))
        return std::nullopt;
    return payload;
}

} // namespace

std::shared_ptr<const IndexCache> defaultIndexCache()
{
    return IndexCache::processDefault();
}

IndexCache::IndexCache(QString folder, qint64 maxBytes)
    : m_folder(std::move(folder))
    , m_maxBytes(maxBytes)
{
}

std::shared_ptr<const IndexCache> IndexCache::processDefault()
{
    std::lock_guard<std::mutex> guard(g_defaultLock);
    return g_default;
}

void IndexCache::setProcessDefault(std::shared_ptr<const IndexCache> cache)
{
    std::lock_guard<std::mutex> guard(g_defaultLock);
    g_default = std::move(cache);
}

std::shared_ptr<IndexCache> IndexCache::fromEnvironment()
{
    bool ok = false;
    qint64 mb = qEnvironmentVariable("LAMINA_INDEX_CACHE_MB").toLongLong(&ok);
    if (!ok)
        mb = 2048;
    if (mb <= 0)
        return nullptr;
    QString base = qEnvironmentVariable("XDG_CACHE_HOME");
    if (base.isEmpty() || !QDir::isAbsolutePath(base))
        base = QDir::homePath() + QStringLiteral("/.cache");
    return std::make_shared<IndexCache>(base + QStringLiteral("/lamina/index"), mb << 20);
}

std::optional<QByteArray> IndexCache::keyFor(const Archive &archive, int member) const
{
    if (member < 0 || member >= archive.members().size())
        return std::nullopt;
    const Member &m = archive.member(member);
    QString file;
    qint64 offset = 0;
    if (!archive.location(m, &file, &offset))
        return std::nullopt;
    struct stat st;
    if (::stat(QFile::encodeName(file).constData(), &st) != 0 || !S_ISREG(st.st_mode))
        return std::nullopt;
    // The change time too: no one can set it back, so a file rewritten with its old size and
    // modification time restored still gets a new key.
    const QByteArray text = QByteArrayLiteral("lamina layer index 1\n")
        + QFile::encodeName(QFileInfo(file).absoluteFilePath()) + '\n' + QByteArray::number(quint64(st.st_dev)) + ' '
        + QByteArray::number(quint64(st.st_ino)) + ' ' + QByteArray::number(qint64(st.st_size)) + ' '
        + QByteArray::number(qint64(st.st_mtim.tv_sec)) + '.' + QByteArray::number(qint64(st.st_mtim.tv_nsec)) + ' '
        + QByteArray::number(qint64(st.st_ctim.tv_sec)) + '.' + QByteArray::number(qint64(st.st_ctim.tv_nsec)) + '\n'
        + QByteArray::number(offset) + ' ' + QByteArray::number(m.size) + '\n' + archive.memberTableDigest();
    return Sha256::of(text).mid(7).toLatin1();
}

QString IndexCache::pathOf(const QByteArray &key) const
{
    return m_folder + u'/' + QString::fromLatin1(key.left(2)) + u'/' + QString::fromLatin1(key)
        + QStringLiteral(".idx");
}

QByteArray IndexCache::serialize(const QByteArray &key, const LayerIndex &index)
{
    const QByteArray payload = payloadOf(index);
    Writer w;
    w.out.append(kMagic, sizeof kMagic);
    w.pod<quint32>(quint32(sizeof(LayerEntry)));
    w.pod<quint32>(kEndianMark);
    w.out.append(key.leftJustified(kKeyBytes, '\0', true));
    w.pod<quint64>(quint64(payload.size()));
    w.out.append(payloadDigest(payload));
    w.out.append(payload);
    return w.out;
}

std::shared_ptr<const LayerIndex> IndexCache::deserialize(const QByteArray &key, const QByteArray &bytes)
{
    const std::optional<QByteArrayView> payload = checkedPayload(key, bytes);
    // In place: the index holds on to (shares) the bytes it points into.
    return payload ? indexOf(*payload, std::make_shared<const QByteArray>(bytes)) : nullptr;
}

std::shared_ptr<const LayerIndex> IndexCache::fromPayload(QByteArrayView payload)
{
    return indexOf(payload);
}

std::shared_ptr<const LayerIndex> IndexCache::load(const QByteArray &key, bool needDigests) const
{
    const QString path = pathOf(key);
    const QByteArray name = QFile::encodeName(path);
    const int fd = ::open(name.constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ++m_stats.misses;
        return nullptr;
    }
    const auto reject = [&] {
        QFile::remove(path); // rebuilt by the caller, never trusted
        ++m_stats.rejected;
        return nullptr;
    };
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < kHeaderBytes
        || st.st_size > kHeaderBytes + kMaxPool * 4) {
        ::close(fd);
        return reject();
    }
    // Mapped, not read: the index then points into the file's pages, already in memory when the
    // file was used lately, where reading would copy them into fresh memory, which costs more than
    // everything else done to load an index (docs/layers.md, "The index cache"). The file is
    // never changed in place (a store writes a new file and renames it; the trim unlinks), so
    // the mapping keeps the bytes it was made with.
    const size_t size = size_t(st.st_size);
    void *at = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    ::close(fd);
    if (at == MAP_FAILED) {
        ++m_stats.misses; // no fault of the file's
        return nullptr;
    }
    const std::shared_ptr<const void> mapping(at, [size](const void *p) { ::munmap(const_cast<void *>(p), size); });
    const std::optional<QByteArrayView> payload
        = checkedPayload(key, QByteArrayView(static_cast<const char *>(at), qsizetype(size)));
    const std::shared_ptr<const LayerIndex> index = payload ? indexOf(*payload, mapping) : nullptr;
    if (!index || !index->complete)
        return reject();
    if (needDigests && (index->diffId.isEmpty() || index->storedDigest.isEmpty())) {
        ++m_stats.misses;
        return nullptr;
    }
    // Used now: the last to be evicted.
    const struct timespec times[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
    ::utimensat(AT_FDCWD, name.constData(), times, 0);
    ++m_stats.hits;
    return index;
}

void IndexCache::store(const QByteArray &key, const LayerIndex &index) const
{
    if (!index.complete || index.m_entries.size() > kMaxEntries || index.m_pool.size() > kMaxPool)
        return;
    const QString path = pathOf(key);
    if (!QDir().mkpath(QFileInfo(path).absolutePath()))
        return;
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return;
    f.write(serialize(key, index));
    if (!f.commit())
        return;
    ++m_stats.stored;
    trim();
}

void IndexCache::trim() const
{
    struct File
    {
        QString path;
        qint64 size;
        QDateTime used;
    };
    QList<File> files;
    qint64 total = 0;
    QDirIterator it(m_folder, { QStringLiteral("*.idx") }, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        const QFileInfo fi = it.fileInfo();
        files.append({ fi.filePath(), fi.size(), fi.lastModified() });
        total += fi.size();
    }
    if (total <= m_maxBytes)
        return;
    std::sort(files.begin(), files.end(), [](const File &a, const File &b) { return a.used < b.used; });
    // Down to nine tenths, so that the next stores do not each list the folder to remove one.
    for (const File &f : std::as_const(files)) {
        if (total <= m_maxBytes / 10 * 9)
            break;
        if (QFile::remove(f.path)) {
            total -= f.size;
            ++m_stats.evicted;
        }
    }
}

} // namespace lamina
