// SPDX-License-Identifier: MIT
// The on-disk layer index cache (layers/indexcache.h): what it serves equals what indexing
// gives, a changed archive is never served stale, a damaged or crafted cache file is rebuilt and
// never trusted, and the folder stays under its bound, least recently used first.
#include "format/imagearchive.h"
#include "layers/imagelayers.h"
#include "layers/indexcache.h"
#include "testsupport.h"
#include "util/workcounters.h"

#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QtTest>

#include <fcntl.h>
#include <sys/stat.h>

#include <cstring>
#include <functional>

using namespace lamina;

namespace {

/// The archives every test uses: several layouts, compressed layers, a folder.
QStringList archives()
{
    return { test::corpus(QStringLiteral("dive__test-docker-image.tar")),
        test::corpus(QStringLiteral("dive__test-oci-uncompressed-image.tar")),
        test::corpus(QStringLiteral("gen__skopeo-oci-archive.tar")), test::corpus(QStringLiteral("jib__jib-image.tar")),
        test::corpus(QStringLiteral("gen__umoci-layout")) };
}

ImageLayers indexWith(const QString &path, const std::shared_ptr<const IndexCache> &cache, bool digests = false)
{
    const ImageArchive ia = openImageArchive(path);
    LayerIndexOptions options;
    options.cache = cache;
    options.computeDigests = digests;
    return indexImageLayers(ia, 0, options);
}

/// Two indexes hold the same entries, names, links, children and figures.
QString differences(const LayerIndex &a, const LayerIndex &b)
{
    if (a.size() != b.size())
        return QStringLiteral("%1 entries against %2").arg(a.size()).arg(b.size());
    if (std::memcmp(a.m_entries.constData(), b.m_entries.constData(), size_t(a.size()) * sizeof(LayerEntry)) != 0)
        return QStringLiteral("entries differ");
    if (a.m_pool != b.m_pool || a.m_childStart != b.m_childStart || a.m_children != b.m_children)
        return QStringLiteral("names or children differ");
    if (a.m_xattrs != b.m_xattrs || a.problems != b.problems || a.issues.size() != b.issues.size())
        return QStringLiteral("xattrs, problems or issues differ");
    if (a.storedSize != b.storedSize || a.uncompressedSize != b.uncompressedSize || a.compression != b.compression
        || a.fileCount != b.fileCount || a.fileBytes != b.fileBytes || a.whiteoutCount != b.whiteoutCount
        || a.complete != b.complete)
        return QStringLiteral("figures differ");
    return {};
}

QStringList cacheFiles(const QString &folder)
{
    QStringList files;
    QDirIterator it(folder, { QStringLiteral("*.idx") }, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        files << it.next();
    files.sort();
    return files;
}

} // namespace

class TestIndexCache : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void offUnlessSet();
    void servesWhatIndexingGives();
    void digestsAskedForAreThere();
    void changedArchiveIsNotServedStale();
    void damagedFilesAreRebuilt_data();
    void damagedFilesAreRebuilt();
    void craftedFilesAreRefused();
    void servedInPlaceFromTheFile();
    void copiesOutliveTheIndex();
    void staysUnderItsBound();
    void evictsTheLeastRecentlyUsed();
};

// The library and its tests index without a cache unless one is given.
void TestIndexCache::offUnlessSet()
{
    QVERIFY(!IndexCache::processDefault());
    QVERIFY(!LayerIndexOptions().cache);
}

void TestIndexCache::servesWhatIndexingGives()
{
    QTemporaryDir dir;
    const auto cache = std::make_shared<IndexCache>(dir.filePath(QStringLiteral("cache")), qint64(1) << 30);
    for (const QString &path : archives()) {
        const ImageLayers fresh = indexWith(path, nullptr);
        const qint64 before = work::counters().layersIndexed;
        const ImageLayers first = indexWith(path, cache);
        QVERIFY2(work::counters().layersIndexed > before, qPrintable(path)); // read, and stored
        const qint64 indexed = work::counters().layersIndexed;
        const qint64 hits = cache->stats().hits;
        const ImageLayers second = indexWith(path, cache);
        // No layer read again: every one from the cache.
        QCOMPARE(work::counters().layersIndexed, indexed);
        QCOMPARE(cache->stats().hits - hits, qint64(second.layers.size()));
        QCOMPARE(second.layers.size(), fresh.layers.size());
        for (qsizetype i = 0; i < fresh.layers.size(); ++i) {
            QVERIFY(fresh.layers.at(i) && second.layers.at(i));
            const QString why = differences(*fresh.layers.at(i), *second.layers.at(i));
            QVERIFY2(why.isEmpty(), qPrintable(path + u": layer " + QString::number(i) + u": " + why));
        }
    }
    QVERIFY(!cacheFiles(dir.filePath(QStringLiteral("cache"))).isEmpty());
}

// An index kept without digests does not answer a request for them; the one made then does.
void TestIndexCache::digestsAskedForAreThere()
{
    QTemporaryDir dir;
    const auto cache = std::make_shared<IndexCache>(dir.path(), qint64(1) << 30);
    const QString path = test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    indexWith(path, cache);
    const qint64 indexed = work::counters().layersIndexed;
    const ImageLayers withDigests = indexWith(path, cache, true);
    QVERIFY(work::counters().layersIndexed > indexed);
    for (const auto &l : withDigests.layers)
        QVERIFY(l && l->diffId.startsWith(u"sha256:"));
    const qint64 again = work::counters().layersIndexed;
    const ImageLayers cached = indexWith(path, cache, true);
    QCOMPARE(work::counters().layersIndexed, again);
    for (qsizetype i = 0; i < cached.layers.size(); ++i)
        QCOMPARE(cached.layers.at(i)->diffId, withDigests.layers.at(i)->diffId);
}

// The same size and modification time, other bytes: the change time (which no one can set back)
// and the member table give another key.
void TestIndexCache::changedArchiveIsNotServedStale()
{
    QTemporaryDir dir;
    const auto cache = std::make_shared<IndexCache>(dir.filePath(QStringLiteral("cache")), qint64(1) << 30);
    const QString script = QStringLiteral(
        "import hashlib, io, json, sys, tarfile\n"
        "def tar(members):\n"
        "    b = io.BytesIO(); t = tarfile.open(fileobj=b, mode='w', format=tarfile.USTAR_FORMAT)\n"
        "    for n, d in members:\n"
        "        ti = tarfile.TarInfo(n); ti.size = len(d); ti.mtime = 1; t.addfile(ti, io.BytesIO(d))\n"
        "    t.close(); return b.getvalue()\n"
        "layer = tar([(sys.argv[2], b'hello\\n')])\n"
        "diff = 'sha256:' + hashlib.sha256(layer).hexdigest()\n"
        "cfg = json.dumps({'architecture': 'amd64', 'os': 'linux', 'rootfs': {'type': 'layers', 'diff_ids': "
        "[diff]}}).encode()\n"
        "cname = hashlib.sha256(cfg).hexdigest() + '.json'\n"
        "man = json.dumps([{'Config': cname, 'RepoTags': ['t:1'], 'Layers': ['l/layer.tar']}]).encode()\n"
        "open(sys.argv[1], 'wb').write(tar([('manifest.json', man), (cname, cfg), ('l/layer.tar', layer)]))\n");
    const QString path = dir.filePath(QStringLiteral("image.tar"));
    QCOMPARE(test::runPython({ QStringLiteral("-c"), script, path, QStringLiteral("a.txt") }), 0);
    struct stat before;
    QCOMPARE(::stat(QFile::encodeName(path).constData(), &before), 0);
    QCOMPARE(indexWith(path, cache).layers.at(0)->nameView(0), QByteArrayView("a.txt"));
    // Rewritten in place, same size, its modification time put back.
    QCOMPARE(test::runPython({ QStringLiteral("-c"), script, path, QStringLiteral("b.txt") }), 0);
    const struct timespec times[2] = { before.st_atim, before.st_mtim };
    QCOMPARE(::utimensat(AT_FDCWD, QFile::encodeName(path).constData(), times, 0), 0);
    struct stat after;
    QCOMPARE(::stat(QFile::encodeName(path).constData(), &after), 0);
    QCOMPARE(after.st_size, before.st_size);
    QCOMPARE(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
    const qint64 hits = cache->stats().hits;
    QCOMPARE(indexWith(path, cache).layers.at(0)->nameView(0), QByteArrayView("b.txt"));
    QCOMPARE(cache->stats().hits, hits);
}

void TestIndexCache::damagedFilesAreRebuilt_data()
{
    QTest::addColumn<QString>("damage");
    for (const char *d : { "empty", "truncated", "flipped byte", "garbage", "header only", "other key", "version 1" })
        QTest::newRow(d) << QString::fromLatin1(d);
}

// Whatever happened to a cache file, the layer is read again, gives the right index, and the
// bad file is gone.
void TestIndexCache::damagedFilesAreRebuilt()
{
    QFETCH(QString, damage);
    QTemporaryDir dir;
    const auto cache = std::make_shared<IndexCache>(dir.path(), qint64(1) << 30);
    const QString path = test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    const ImageLayers fresh = indexWith(path, nullptr);
    indexWith(path, cache);
    const QStringList files = cacheFiles(dir.path());
    QCOMPARE(files.size(), fresh.layers.size());
    for (const QString &file : files) {
        if (damage == u"other key")
            break;
        QFile f(file);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QByteArray bytes = f.readAll();
        if (damage == u"empty")
            bytes.clear();
        else if (damage == u"truncated")
            bytes.truncate(bytes.size() / 2);
        else if (damage == u"flipped byte")
            bytes[bytes.size() - 7] = char(bytes.at(bytes.size() - 7) ^ 0x40);
        else if (damage == u"garbage")
            bytes = QByteArray(bytes.size(), '\xa5');
        else if (damage == u"header only")
            bytes.truncate(200);
        else if (damage == u"version 1")
            bytes[7] = '\1'; // the format before the arrays were aligned: not read in place

        QVERIFY(f.resize(0));
        f.write(bytes);
    }
    if (damage == u"other key") {
        // Each file moved to the next one's name.
        QList<QByteArray> contents;
        for (const QString &file : files) {
            QFile f(file);
            QVERIFY(f.open(QIODevice::ReadOnly));
            contents << f.readAll();
        }
        for (qsizetype i = 0; i < files.size(); ++i) {
            QFile f(files.at(i));
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(contents.at((i + 1) % contents.size()));
        }
    }
    const qint64 rejected = cache->stats().rejected;
    const ImageLayers again = indexWith(path, cache);
    QCOMPARE(cache->stats().rejected - rejected, qint64(files.size()));
    for (qsizetype i = 0; i < fresh.layers.size(); ++i) {
        QVERIFY(again.layers.at(i));
        QVERIFY2(differences(*fresh.layers.at(i), *again.layers.at(i)).isEmpty(), qPrintable(damage));
    }
    // Rebuilt and stored again: the next open is served from the cache.
    const qint64 hits = cache->stats().hits;
    indexWith(path, cache);
    QCOMPARE(cache->stats().hits - hits, qint64(files.size()));
}

// A file with a correct digest whose index is unsound (what someone able to write the cache
// folder could make): refused for each kind of fault, never walked.
void TestIndexCache::craftedFilesAreRefused()
{
    const ImageLayers fresh = indexWith(test::corpus(QStringLiteral("dive__test-docker-image.tar")), nullptr);
    const std::shared_ptr<const LayerIndex> &base = fresh.layers.at(0); // busybox: hundreds of entries
    QVERIFY(base && base->size() > 10);
    const QByteArray key(64, 'a');
    QVERIFY(IndexCache::deserialize(key, IndexCache::serialize(key, *base)));
    QVERIFY(!IndexCache::deserialize(QByteArray(64, 'b'), IndexCache::serialize(key, *base)));
    const QList<std::function<void(LayerIndex &)>> faults {
        [](LayerIndex &l) { l.m_entries[5].parent = 5; }, // itself: a parent walk that never ends
        [](LayerIndex &l) { l.m_entries[3].parent = 9; }, // a later entry: a loop is possible
        [](LayerIndex &l) { l.m_entries[4].parent = -7; },
        [](LayerIndex &l) { l.m_entries[2].nameOffset = quint32(l.m_pool.size()); },
        [](LayerIndex &l) { l.m_entries[2].linkLength = 60000; },
        [](LayerIndex &l) { l.m_entries[1].type = EntryType(200); },
        [](LayerIndex &l) { l.m_children[0] = l.size(); },
        [](LayerIndex &l) { l.m_childStart[1] = -1; },
        [](LayerIndex &l) { l.m_childStart.removeLast(); },
        [](LayerIndex &l) { l.m_childStart[2] = l.m_childStart.at(1) - 1; },
        [](LayerIndex &l) { l.m_xattrs.insert(l.size() + 3, {}); },
    };
    for (qsizetype i = 0; i < faults.size(); ++i) {
        LayerIndex bad = *base;
        faults.at(i)(bad);
        QVERIFY2(!IndexCache::deserialize(key, IndexCache::serialize(key, bad)), qPrintable(QString::number(i)));
    }
}

// A served index points into the cache file's mapped bytes (nothing copied), counts them in its
// memory, and keeps them when the file is then removed or replaced by a new store.
void TestIndexCache::servedInPlaceFromTheFile()
{
    QTemporaryDir dir;
    const auto cache = std::make_shared<IndexCache>(dir.path(), qint64(1) << 30);
    const QString path = test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    const ImageLayers fresh = indexWith(path, nullptr);
    indexWith(path, cache);
    const ImageLayers served = indexWith(path, cache);
    QCOMPARE(served.layers.size(), fresh.layers.size());
    const QStringList files = cacheFiles(dir.path());
    qint64 fileBytes = 0;
    for (const QString &f : files)
        fileBytes += QFileInfo(f).size();
    qint64 backing = 0;
    for (const auto &l : served.layers) {
        QVERIFY(l && l->m_backing);
        QCOMPARE(l->m_entries.capacity(), 0); // no storage of its own
        QVERIFY(l->memoryBytes() >= l->m_backingBytes);
        backing += l->m_backingBytes;
    }
    QVERIFY(backing > fileBytes / 2 && backing <= fileBytes);
    // Removed, and then stored anew under the same names with other bytes: what was served stays.
    for (const QString &f : files)
        QVERIFY(QFile::remove(f));
    for (const QString &f : files) {
        QFile out(f);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(QByteArray(4096, 'x'));
    }
    for (qsizetype i = 0; i < fresh.layers.size(); ++i)
        QVERIFY2(differences(*fresh.layers.at(i), *served.layers.at(i)).isEmpty(), qPrintable(QString::number(i)));
}

// What an index hands out (a name, a link target, a folder's children) is a copy that lives on
// after the index and its mapping are gone, even when it spans the whole pool or child table.
void TestIndexCache::copiesOutliveTheIndex()
{
    QTemporaryDir dir;
    const auto cache = std::make_shared<IndexCache>(dir.path(), qint64(1) << 30);
    LayerIndex one;
    LayerEntry e;
    e.nameLength = 5;
    e.type = EntryType::File;
    one.m_entries = { e };
    one.m_pool = QByteArrayLiteral("alone");
    one.m_childStart = { 0, 1, 1 };
    one.m_children = { 0 };
    one.complete = true;
    const QByteArray key(64, 'c');
    cache->store(key, one);
    QByteArray name;
    QList<int> children;
    {
        const std::shared_ptr<const LayerIndex> served = cache->load(key, false);
        QVERIFY(served && served->m_backing);
        name = served->name(0);
        children = served->children(-1);
        QCOMPARE(served->path(0), QByteArrayLiteral("alone"));
    } // unmapped here
    QCOMPARE(name, QByteArrayLiteral("alone"));
    QCOMPARE(children, QList<int> { 0 });
}

// Past its bound the folder loses its least recently used files first.
void TestIndexCache::staysUnderItsBound()
{
    QTemporaryDir dir;
    const QString path = test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    // Measured: the size of this archive's files, then a bound that holds about half of them.
    qint64 total = 0;
    {
        const auto probe = std::make_shared<IndexCache>(dir.filePath(QStringLiteral("probe")), qint64(1) << 30);
        indexWith(path, probe);
        for (const QString &f : cacheFiles(probe->folder()))
            total += QFileInfo(f).size();
    }
    const auto cache = std::make_shared<IndexCache>(dir.filePath(QStringLiteral("cache")), total / 2);
    indexWith(path, cache);
    qint64 kept = 0;
    for (const QString &f : cacheFiles(cache->folder()))
        kept += QFileInfo(f).size();
    QVERIFY2(kept <= total / 2, qPrintable(QStringLiteral("%1 of %2").arg(kept).arg(total)));
    QVERIFY(cache->stats().evicted > 0);
    // Read again through a cache smaller than the image, the bound holds (a pass over more
    // layers than fit evicts as it goes: what it finds depends on the order the layers come in).
    const ImageLayers again = indexWith(path, cache);
    for (const auto &l : again.layers)
        QVERIFY(l && l->complete);
    kept = 0;
    for (const QString &f : cacheFiles(cache->folder()))
        kept += QFileInfo(f).size();
    QVERIFY(kept <= total / 2);
}

// The file used last stays; the one used longest ago goes first.
void TestIndexCache::evictsTheLeastRecentlyUsed()
{
    QTemporaryDir dir;
    const ImageLayers layers = indexWith(test::corpus(QStringLiteral("dive__test-docker-image.tar")), nullptr);
    const LayerIndex &layer = *layers.layers.at(0);
    const qint64 one = IndexCache::serialize(QByteArray(64, 'a'), layer).size();
    const IndexCache cache(dir.path(), one * 5 / 2); // room for two
    const QByteArray a(64, 'a'), b(64, 'b'), c(64, 'c');
    cache.store(a, layer);
    QTest::qWait(20); // file times a clear step apart
    cache.store(b, layer);
    QTest::qWait(20);
    QVERIFY(cache.load(a, false)); // a used after b
    QTest::qWait(20);
    cache.store(c, layer); // three do not fit: b, the least recently used, goes
    QVERIFY(cache.load(a, false));
    QVERIFY(cache.load(c, false));
    QVERIFY(!cache.load(b, false));
    QCOMPARE(cache.stats().evicted.load(), qint64(1));
}

QTEST_GUILESS_MAIN(TestIndexCache)
#include "tst_indexcache.moc"
