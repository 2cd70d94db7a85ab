// SPDX-License-Identifier: MIT
#include "layers/indexcache.h"

#include "layers/cachefile_p.h"
#include "util/sha256.h"

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QStandardPaths>

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <mutex>

namespace lamina {

using namespace cachefile;

namespace {

// Version 2: the big arrays start at multiples of 8, so that a mapped file is used in place.
// Version 3 (trees: 2): a checksum in the header where the payload's sha256 was.
constexpr char kMagic[8] = { 'L', 'A', 'M', 'I', 'D', 'X', '\0', '\3' };
constexpr char kTreeMagic[8] = { 'L', 'A', 'M', 'T', 'R', 'E', '\0', '\2' };
constexpr char kExtraMagic[8] = { 'L', 'A', 'M', 'X', 'T', 'R', '\0', '\1' };
// Bounds a cache file must keep to be read at all (a layer index larger than these is not
// written either): far above any layer Lamina indexes, far below what would exhaust memory.
constexpr qint64 kMaxEntries = qint64(1) << 26;
constexpr qint64 kMaxPool = qint64(1) << 32;

std::mutex g_defaultLock;
std::shared_ptr<const IndexCache> g_default;

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

/// A file served: its modification time set to now, so that the trim evicts it last.
void markUsed(const QString &path)
{
    const struct timespec times[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
    ::utimensat(AT_FDCWD, QFile::encodeName(path).constData(), times, 0);
}

} // namespace

std::shared_ptr<const IndexCache> defaultIndexCache()
{
    return IndexCache::processDefault();
}

IndexCache::IndexCache(QString folder, qint64 maxBytes, QByteArray build)
    : m_folder(std::move(folder))
    , m_maxBytes(maxBytes)
    , m_build(std::move(build))
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
    if (m.remote && m.path.startsWith(u"blobs/sha256/")) {
        // A registry's blob, verified by its digest when it came: the digest names its bytes
        // wherever it is laid out, fetched yet or not (docs/engines.md, "Layers fetched when
        // read"), so a layer indexed before is not fetched again to be shown.
        return Sha256::of(QByteArrayLiteral("lamina layer index 2\n") + m_build + QByteArrayLiteral("\nblob sha256:")
            + m.path.mid(13).toLatin1() + ' ' + QByteArray::number(m.size) + '\n')
            .mid(7)
            .toLatin1();
    }
    QString file;
    qint64 offset = 0;
    if (!archive.location(m, &file, &offset))
        return std::nullopt;
    struct stat st;
    if (::stat(QFile::encodeName(file).constData(), &st) != 0 || !S_ISREG(st.st_mode))
        return std::nullopt;
    // The change time too: no one can set it back, so a file rewritten with its old size and
    // modification time restored still gets a new key.
    const QByteArray text = QByteArrayLiteral("lamina layer index 2\n") + m_build + '\n'
        + QFile::encodeName(QFileInfo(file).absoluteFilePath()) + '\n' + QByteArray::number(quint64(st.st_dev)) + ' '
        + QByteArray::number(quint64(st.st_ino)) + ' ' + QByteArray::number(qint64(st.st_size)) + ' '
        + QByteArray::number(qint64(st.st_mtim.tv_sec)) + '.' + QByteArray::number(qint64(st.st_mtim.tv_nsec)) + ' '
        + QByteArray::number(qint64(st.st_ctim.tv_sec)) + '.' + QByteArray::number(qint64(st.st_ctim.tv_nsec)) + '\n'
        + QByteArray::number(offset) + ' ' + QByteArray::number(m.size) + '\n' + archive.memberTableDigest();
    return Sha256::of(text).mid(7).toLatin1();
}

QString IndexCache::pathOf(const QByteArray &key, QStringView suffix) const
{
    return m_folder + u'/' + QString::fromLatin1(key.left(2)) + u'/' + QString::fromLatin1(key) + suffix;
}

QByteArray IndexCache::serialize(const QByteArray &key, const LayerIndex &index)
{
    return cachefile::wrap(kMagic, quint32(sizeof(LayerEntry)), key, payloadOf(index));
}

std::shared_ptr<const LayerIndex> IndexCache::deserialize(const QByteArray &key, const QByteArray &bytes)
{
    const std::optional<QByteArrayView> payload = cachefile::unwrap(kMagic, quint32(sizeof(LayerEntry)), key, bytes);
    // In place: the index holds on to (shares) the bytes it points into.
    return payload ? indexOf(*payload, std::make_shared<const QByteArray>(bytes)) : nullptr;
}

std::shared_ptr<const LayerIndex> IndexCache::fromPayload(QByteArrayView payload)
{
    return indexOf(payload);
}

namespace {

/// The cache file at `path` mapped and its header checked (this build's `magic` and record size,
/// `key`, the payload's checksum): its payload and the mapping that keeps it. A file that is there
/// but unusable is removed and `*refused` set: its user rebuilds it, never trusts it. A missing
/// file, or one that cannot be mapped now, is left alone.
template <std::size_t N>
std::optional<IndexCache::Stored> mapPayload(const QString &path, qint64 maxBytes, const char (&magic)[N],
    quint32 recordSize, const QByteArray &key, bool *refused)
{
    *refused = false;
    cachefile::MapError error = cachefile::MapError::None;
    const cachefile::Mapped file = cachefile::mapFile(path, maxBytes, &error);
    if (error == cachefile::MapError::Missing || error == cachefile::MapError::NoMemory)
        return std::nullopt;
    if (error == cachefile::MapError::None)
        if (const auto payload = cachefile::unwrap(magic, recordSize, key, file.bytes))
            return IndexCache::Stored { *payload, file.mapping };
    QFile::remove(path);
    *refused = true;
    return std::nullopt;
}

} // namespace

std::shared_ptr<const LayerIndex> IndexCache::load(const QByteArray &key, bool needDigests) const
{
    const QString path = pathOf(key);
    bool refused = false;
    const std::optional<Stored> stored
        = mapPayload(path, kHeaderBytes + kMaxPool * 4, kMagic, quint32(sizeof(LayerEntry)), key, &refused);
    const std::shared_ptr<const LayerIndex> index = stored ? indexOf(stored->bytes, stored->backing) : nullptr;
    if (!refused && !stored) {
        ++m_stats.misses;
        return nullptr;
    }
    if (!index || !index->complete) {
        QFile::remove(path); // rebuilt by the caller, never trusted
        ++m_stats.rejected;
        return nullptr;
    }
    if (needDigests && (index->diffId.isEmpty() || index->storedDigest.isEmpty())) {
        ++m_stats.misses;
        return nullptr;
    }
    markUsed(path);
    ++m_stats.hits;
    return index;
}

void IndexCache::store(const QByteArray &key, const LayerIndex &index) const
{
    if (!index.complete || index.m_entries.size() > kMaxEntries || index.m_pool.size() > kMaxPool)
        return;
    const QByteArray bytes = serialize(key, index);
    if (write(pathOf(key), [&](QIODevice &f) { return f.write(bytes) == bytes.size(); }))
        ++m_stats.stored;
}

bool IndexCache::write(const QString &path, const std::function<bool(QIODevice &)> &fill) const
{
    if (!QDir().mkpath(QFileInfo(path).absolutePath()))
        return false;
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return false;
    if (!fill(f)) {
        f.cancelWriting();
        return false;
    }
    const qint64 bytes = f.size();
    if (!f.commit())
        return false;
    account(bytes);
    return true;
}

void IndexCache::account(qint64 bytes) const
{
    // Listing the folder stats every file in it: with a cache of a few thousand files that took
    // 15 ms, and done after every store it tripled the time of a first `lamina inspect big.tar`
    // (40 layers: 0.3 s -> 1.0 s). So the folder is listed once, at the first store, and the
    // bytes stored since are added to that. Other processes storing meanwhile go uncounted here
    // (they count their own): listing again once a tenth of the bound has been stored keeps
    // what they add from going unseen for long.
    std::lock_guard<std::mutex> guard(m_sizeLock);
    if (m_knownBytes >= 0) {
        m_knownBytes += bytes;
        m_storedSinceListing += bytes;
    }
    if (m_knownBytes < 0 || m_knownBytes > m_maxBytes || m_storedSinceListing > m_maxBytes / 10) {
        m_knownBytes = trim();
        m_storedSinceListing = 0;
    }
}

QByteArray IndexCache::treeKey(const QList<QByteArray> &layerKeys, bool recordChanges, bool folderTotals)
{
    // The layers' keys name their files' bytes; the tree is a function of those and the flags.
    QByteArray text = QByteArrayLiteral("lamina merged tree 1\n");
    text += recordChanges ? "changes " : "no-changes ";
    text += folderTotals ? "totals\n" : "no-totals\n";
    for (const QByteArray &k : layerKeys)
        text += k + '\n';
    return Sha256::of(text).mid(7).toLatin1();
}

bool IndexCache::hasTree(const QByteArray &key) const
{
    return QFileInfo::exists(pathOf(key, u".tree"));
}

std::optional<IndexCache::Stored> IndexCache::mapTree(const QByteArray &key) const
{
    bool refused = false;
    std::optional<Stored> stored = mapPayload(pathOf(key, u".tree"), std::numeric_limits<qint32>::max(), kTreeMagic,
        quint32(sizeof(MergedTree::Node)), key, &refused);
    if (refused)
        ++m_stats.treesRejected;
    return stored;
}

std::shared_ptr<const MergedTree> IndexCache::treeFrom(
    const QByteArray &key, const Stored &mapped, const MergedTree::Layers &layers) const
{
    const QString path = pathOf(key, u".tree");
    std::shared_ptr<const MergedTree> tree = MergedTree::fromCachePayload(mapped.bytes, layers, mapped.backing);
    if (!tree) {
        QFile::remove(path);
        ++m_stats.treesRejected;
        return nullptr;
    }
    markUsed(path);
    ++m_stats.treeHits;
    return tree;
}

std::shared_ptr<const MergedTree> IndexCache::loadTree(const QByteArray &key, const MergedTree::Layers &layers) const
{
    const std::optional<Stored> mapped = mapTree(key);
    return mapped ? treeFrom(key, *mapped, layers) : nullptr;
}

void IndexCache::storeTree(const QByteArray &key, const MergedTree &tree) const
{
    // Streamed to the file: the payload of a million-node tree is 50 MB, which held whole beside
    // the tree raised the window's peak by as much.
    const bool stored = write(pathOf(key, u".tree"), [&](QIODevice &f) {
        return cachefile::writeFile(f, kTreeMagic, quint32(sizeof(MergedTree::Node)), key, [&](cachefile::Writer &w) {
            tree.writeCachePayload(w);
        }) && f.size() < std::numeric_limits<qint32>::max(); // what loadTree() reads at most
    });
    if (stored)
        ++m_stats.treesStored;
}

namespace {
/// A name an extra file may carry: nothing that could leave the folder or look like another file.
bool extraNameOk(const QString &name)
{
    if (name.isEmpty() || name.size() > 64)
        return false;
    for (const QChar c : name)
        if (!((c >= u'a' && c <= u'z') || (c >= u'0' && c <= u'9') || c == u'-'))
            return false;
    return true;
}
} // namespace

std::optional<IndexCache::Stored> IndexCache::loadExtra(const QByteArray &treeKey, const QString &name) const
{
    if (!extraNameOk(name))
        return std::nullopt;
    const QString path = pathOf(treeKey, QString(u'.' + name + u".extra"));
    bool refused = false;
    std::optional<Stored> stored
        = mapPayload(path, std::numeric_limits<qint32>::max(), kExtraMagic, 1, treeKey, &refused);
    if (!stored)
        return std::nullopt;
    markUsed(path);
    ++m_stats.extraHits;
    return stored;
}

void IndexCache::storeExtra(const QByteArray &treeKey, const QString &name, QByteArrayView bytes) const
{
    if (!extraNameOk(name))
        return;
    const QString path = pathOf(treeKey, QString(u'.' + name + u".extra"));
    if (QFileInfo::exists(path))
        return;
    const bool stored = write(path, [&](QIODevice &f) {
        return cachefile::writeFile(f, kExtraMagic, 1, treeKey, [&](cachefile::Writer &w) { w.out.append(bytes); })
            && f.size() < std::numeric_limits<qint32>::max();
    });
    if (stored)
        ++m_stats.extrasStored;
}

qint64 IndexCache::trim() const
{
    ++m_stats.listings;
    struct File
    {
        QString path;
        qint64 size;
        QDateTime used;
    };
    QList<File> files;
    qint64 total = 0;
    QDirIterator it(m_folder, { QStringLiteral("*.idx"), QStringLiteral("*.tree"), QStringLiteral("*.extra") },
        QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        const QFileInfo fi = it.fileInfo();
        files.append({ fi.filePath(), fi.size(), fi.lastModified() });
        total += fi.size();
    }
    if (total <= m_maxBytes)
        return total;
    std::sort(files.begin(), files.end(), [](const File &a, const File &b) { return a.used < b.used; });
    // Down to nine tenths, so that the next few stores do not each list the folder again.
    for (const File &f : std::as_const(files)) {
        if (total <= m_maxBytes / 10 * 9)
            break;
        if (QFile::remove(f.path)) {
            total -= f.size;
            ++m_stats.evicted;
        }
    }
    return total;
}

} // namespace lamina
