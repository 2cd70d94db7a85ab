// SPDX-License-Identifier: MIT
// The on-disk layer index cache (layers/indexcache.h): what it serves equals what indexing
// gives, a changed archive is never served stale, a damaged or crafted cache file is rebuilt and
// never trusted, and the folder stays under its bound, least recently used first.
#include "format/imagearchive.h"
#include "layers/cachefile_p.h"
#include "layers/imagelayers.h"
#include "layers/indexcache.h"
#include "layers/mergedtree.h"
#include "layertext.h"
#include "testsupport.h"
#include "util/workcounters.h"

#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
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

/// Two trees hold the same nodes (each a walk away by its path), entries, links, changes, figures
/// and issues.
QString treeDifferences(const MergedTree &a, const MergedTree &b)
{
    if (a.nodeCount() != b.nodeCount() || a.topLayer() != b.topLayer() || a.visibleBytes() != b.visibleBytes())
        return QStringLiteral("%1 nodes against %2, or top or visible bytes").arg(a.nodeCount()).arg(b.nodeCount());
    for (int n = 0; n < a.nodeCount(); ++n) {
        const MergedTree::Node &x = a.node(n), &y = b.node(n);
        if (x.parent != y.parent || x.firstChild != y.firstChild || x.nextSibling != y.nextSibling
            || x.nameHash != y.nameHash || x.layer != y.layer || x.entry != y.entry || x.change != y.change
            || x.removed != y.removed || x.removedBy != y.removedBy)
            return QStringLiteral("node %1").arg(n);
        if (a.path(n) != b.path(n) || a.treeBytes(n) != b.treeBytes(n) || a.linkTarget(n) != b.linkTarget(n)
            || a.linkPeer(n) != b.linkPeer(n) || a.isDetachedLink(n) != b.isDetachedLink(n)
            || a.contentOf(n) != b.contentOf(n) || a.children(n) != b.children(n))
            return QStringLiteral("node %1 (%2)").arg(n).arg(QString::fromUtf8(a.path(n)));
        if (n > 0
            && std::memcmp(
                   static_cast<const void *>(&a.entry(n)), static_cast<const void *>(&b.entry(n)), sizeof(LayerEntry))
                != 0)
            return QStringLiteral("entry of %1").arg(QString::fromUtf8(a.path(n)));
        // Found by its path through the table.
        if (n > 0 && !x.removed && b.find(a.path(n)) != n)
            return QStringLiteral("%1 not found").arg(QString::fromUtf8(a.path(n)));
    }
    if (a.changes().size() != b.changes().size())
        return QStringLiteral("changes");
    for (qsizetype i = 0; i < a.changes().size(); ++i) {
        const auto &x = a.changes().at(i), &y = b.changes().at(i);
        if (x.path != y.path || x.change != y.change || x.type != y.type || x.size != y.size || x.layer != y.layer)
            return QStringLiteral("change %1").arg(i);
    }
    if (a.stats().size() != b.stats().size())
        return QStringLiteral("stats");
    for (qsizetype i = 0; i < a.stats().size(); ++i) {
        const auto &x = a.stats().at(i), &y = b.stats().at(i);
        if (x.cumulative != y.cumulative || x.contribution != y.contribution || x.added != y.added
            || x.modified != y.modified || x.removed != y.removed)
            return QStringLiteral("stats of layer %1").arg(i);
    }
    if (a.issues() != b.issues())
        return QStringLiteral("issues");
    return {};
}

/// Layers whose tree has every kind of node: whiteouts, an opaque folder, a replaced folder, and
/// hard links detached from their removed file.
MergedTree::Layers richLayers()
{
    return test::layersFromText({
        QStringLiteral("d /etc 0755\n"
                       "f /etc/a 0644 alpha\n"
                       "f /etc/b 0644 beta\n"
                       "d /var 0755\n"
                       "f /var/old 0644 old\n"
                       "f /data 0600 shared bytes\n"
                       "h /link1 /data\n"
                       "h /link2 /data\n"
                       "l /sh busybox\n"),
        QStringLiteral("w /etc/b\n"
                       "f /etc/a 0444 alpha2\n"
                       "o /var\n"
                       "f /var/new 0644 new\n"
                       "w /data\n"
                       "d /sh 0755\n"
                       "f /sh/inside 0644 x\n"),
    });
}

QStringList cacheFiles(const QString &folder, const QString &pattern = QStringLiteral("*.idx"))
{
    QStringList files;
    QDirIterator it(folder, { pattern }, QDir::Files, QDirIterator::Subdirectories);
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
    void anotherBuildIsNotServed();
    void damagedFilesAreRebuilt_data();
    void damagedFilesAreRebuilt();
    void craftedFilesAreRefused();
    void servedInPlaceFromTheFile();
    void copiesOutliveTheIndex();
    void treeRoundTrips();
    void treeServedOnReopen();
    void damagedTreesAreRebuilt();
    void craftedTreesAreRefused();
    void staysUnderItsBound();
    void evictsTheLeastRecentlyUsed();
    void listsTheFolderRarely();
    void checksumNoticesDamage();
    void craftedChangeRecordsAreRefused();
    void extrasAreKeptBesideTheTree();
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

// What one build of Lamina stored is not served to another: its indexing or merging may differ.
// The build is named by the executable's GNU build ID (this test's own, as readelf shows it).
void TestIndexCache::anotherBuildIsNotServed()
{
    const QByteArray identity = buildIdentity();
    QVERIFY2(identity.startsWith("build-id "), identity.constData());
    QCOMPARE(buildIdentity(), identity);
    QProcess readelf;
    readelf.start(QStringLiteral("readelf"), { QStringLiteral("-n"), QCoreApplication::applicationFilePath() });
    QVERIFY(readelf.waitForFinished(30000));
    const QByteArray notes = readelf.readAllStandardOutput();
    QVERIFY2(notes.contains(QByteArray("Build ID: " + identity.mid(9))), notes.constData());

    QTemporaryDir dir;
    const auto ours = std::make_shared<IndexCache>(dir.path(), qint64(1) << 30);
    const auto other = std::make_shared<IndexCache>(dir.path(), qint64(1) << 30, QByteArrayLiteral("build-id 00"));
    const QString path = test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    indexWith(path, ours);
    const ImageArchive ia = openImageArchive(path);
    QVERIFY(ours->keyFor(*ia.archive, ia.images.at(0).layers.at(0).member)
        != other->keyFor(*ia.archive, ia.images.at(0).layers.at(0).member));
    const qint64 indexed = work::counters().layersIndexed;
    indexWith(path, other);
    QVERIFY(work::counters().layersIndexed > indexed); // read again, not found
    QCOMPARE(other->stats().hits, qint64(0));
    const qint64 again = work::counters().layersIndexed;
    indexWith(path, ours);
    QCOMPARE(work::counters().layersIndexed, again); // its own still there
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

// A tree written as a cache payload and read back, copied or in place, is the tree.
void TestIndexCache::treeRoundTrips()
{
    const MergedTree::Layers layers = richLayers();
    const MergedTree built = MergedTree::build(layers, 1);
    QVERIFY(built.isDetachedLink(built.find("link1")) || built.isDetachedLink(built.find("link2")));
    QVERIFY(!built.changes().isEmpty());
    const QByteArray payload = built.cachePayload();
    const auto copied = MergedTree::fromCachePayload(payload, layers);
    QVERIFY(copied);
    QVERIFY2(treeDifferences(built, *copied).isEmpty(), qPrintable(treeDifferences(built, *copied)));
    const auto inPlace = MergedTree::fromCachePayload(payload, layers, std::make_shared<QByteArray>(payload));
    QVERIFY(inPlace);
    QVERIFY2(treeDifferences(built, *inPlace).isEmpty(), qPrintable(treeDifferences(built, *inPlace)));
    // Over other layers than its own (another count), it is refused.
    QVERIFY(!MergedTree::fromCachePayload(payload, layers.first(1)));
}

// The window's tree, stored after it showed the files, is what indexing gives the next time:
// mapped from the cache, not built (no tree counted), equal to a tree built there and then.
void TestIndexCache::treeServedOnReopen()
{
    QTemporaryDir dir;
    const auto cache = std::make_shared<IndexCache>(dir.path(), qint64(1) << 30);
    LayerIndexOptions options;
    options.cache = cache;
    QString output;
    const QString links = dir.filePath(QStringLiteral("links.tar"));
    QVERIFY2(test::runPython({ test::source(QStringLiteral("tests/fixtures/make_layer_rules.py")),
                                 QStringLiteral("--links"), links },
                 &output)
            == 0,
        qPrintable(output));
    const QStringList paths = archives() << links;
    for (const QString &path : paths) {
        const ImageArchive ia = openImageArchive(path);
        ImageSizes sizes;
        std::shared_ptr<const MergedTree> first;
        indexImageLayers(ia, 0, options, {}, {}, &sizes, &first);
        QVERIFY2(first, qPrintable(path));
        QCOMPARE(cache->stats().treeHits.load(), qint64(0));
        storeImageTree(ia, 0, *first, options);
        const qint64 stored = cache->stats().treesStored;
        storeImageTree(ia, 0, *first, options); // there already: not written again
        QCOMPARE(cache->stats().treesStored.load(), stored);

        const qint64 built = work::counters().treesBuilt;
        ImageSizes again;
        std::shared_ptr<const MergedTree> second;
        const ImageLayers layers = indexImageLayers(ia, 0, options, {}, {}, &again, &second);
        QVERIFY2(second, qPrintable(path));
        QCOMPARE(cache->stats().treeHits.load(), qint64(1));
        QCOMPARE(work::counters().treesBuilt.load(), built);
        const MergedTree fresh = MergedTree::build(layers.layers, int(layers.layers.size()) - 1);
        QVERIFY2(treeDifferences(fresh, *second).isEmpty(), qPrintable(path + u": " + treeDifferences(fresh, *second)));
        QCOMPARE(again.layers.size(), sizes.layers.size());
        for (qsizetype i = 0; i < sizes.layers.size(); ++i) {
            QCOMPARE(again.layers.at(i).contribution, sizes.layers.at(i).contribution);
            QCOMPARE(again.layers.at(i).cumulative, sizes.layers.at(i).cumulative);
        }
        QCOMPARE(again.wasted.wastedBytes, sizes.wasted.wastedBytes);
        cache->stats().treeHits = 0;
    }
    QCOMPARE(cacheFiles(dir.path(), QStringLiteral("*.tree")).size(), archives().size() + 1);
}

// A damaged tree file is removed and the tree built again, the same as ever.
void TestIndexCache::damagedTreesAreRebuilt()
{
    QTemporaryDir dir;
    const auto cache = std::make_shared<IndexCache>(dir.path(), qint64(1) << 30);
    LayerIndexOptions options;
    options.cache = cache;
    const ImageArchive ia = openImageArchive(test::corpus(QStringLiteral("dive__test-docker-image.tar")));
    ImageSizes sizes;
    std::shared_ptr<const MergedTree> first;
    indexImageLayers(ia, 0, options, {}, {}, &sizes, &first);
    storeImageTree(ia, 0, *first, options);
    const QStringList trees = cacheFiles(dir.path(), QStringLiteral("*.tree"));
    QCOMPARE(trees.size(), 1);
    QFile f(trees.constFirst());
    QVERIFY(f.open(QIODevice::ReadWrite));
    QByteArray bytes = f.readAll();
    bytes[bytes.size() / 2] = char(bytes.at(bytes.size() / 2) ^ 0x10);
    QVERIFY(f.resize(0));
    f.write(bytes);
    f.close();
    const qint64 built = work::counters().treesBuilt;
    std::shared_ptr<const MergedTree> second;
    const ImageLayers layers = indexImageLayers(ia, 0, options, {}, {}, &sizes, &second);
    QCOMPARE(cache->stats().treesRejected.load(), qint64(1));
    QCOMPARE(work::counters().treesBuilt.load(), built + 1);
    QVERIFY(cacheFiles(dir.path(), QStringLiteral("*.tree")).isEmpty());
    QVERIFY(treeDifferences(*first, *second).isEmpty());
}

// A tree payload whose digest is right but whose content is unsound (what someone able to
// write the cache folder could make): refused for each kind of fault, never walked.
void TestIndexCache::craftedTreesAreRefused()
{
    const MergedTree::Layers layers = richLayers();
    const MergedTree built = MergedTree::build(layers, 1);
    const QByteArray good = built.cachePayload();
    QVERIFY(MergedTree::fromCachePayload(good, layers));
    // Where things are in the payload (MergedTree::writeCachePayload): five figures, then the
    // nodes' count and the nodes at 40, then the table's count and slots (aligned to 8).
    const int n = built.nodeCount();
    const qsizetype nodes = 40;
    const auto field = [&](int node, int offset) { return nodes + qsizetype(node) * 28 + offset; };
    const qsizetype tableCount = nodes + qsizetype(n) * 28;
    const qsizetype table = tableCount + 8 + (tableCount + 8) % 8;
    qint64 slots = 0;
    std::memcpy(&slots, good.constData() + tableCount, 8);
    QVERIFY(slots >= 1024);
    const auto put32 = [](QByteArray &b, qsizetype at, qint32 v) { std::memcpy(b.data() + at, &v, 4); };
    int live = -1, withChild = -1, withSibling = -1;
    for (int i = 1; i < n; ++i) {
        if (live < 0 && !built.node(i).removed)
            live = i;
        if (withChild < 0 && built.node(i).firstChild > 0)
            withChild = i;
        if (withSibling < 0 && built.node(i).nextSibling > 0)
            withSibling = i;
    }
    QVERIFY(live > 0 && withChild > 0 && withSibling > 0);
    const QList<std::pair<const char *, std::function<void(QByteArray &)>>> faults {
        { "parent is itself", [&](QByteArray &b) { put32(b, field(live, 0), live); } },
        { "parent is later", [&](QByteArray &b) { put32(b, field(live, 0), n - 1 == live ? live : n - 1); } },
        { "first child not its child", [&](QByteArray &b) { put32(b, field(withChild, 4), n - 1); } },
        { "first child out of bounds", [&](QByteArray &b) { put32(b, field(withChild, 4), n + 5); } },
        { "sibling loop", [&](QByteArray &b) { put32(b, field(withSibling, 8), withSibling); } },
        { "layer out of bounds", [&](QByteArray &b) { put32(b, field(live, 16), 7); } },
        { "entry out of bounds", [&](QByteArray &b) { put32(b, field(live, 20), 100000); } },
        { "removed is neither", [&](QByteArray &b) { b[field(live, 25)] = 2; } },
        { "change out of range", [&](QByteArray &b) { b[field(live, 24)] = 9; } },
        { "root has a parent", [&](QByteArray &b) { put32(b, field(0, 0), 0); } },
        { "table slot out of bounds", [&](QByteArray &b) { put32(b, table, n); } },
        { "table full",
            [&](QByteArray &b) {
                for (qint64 i = 0; i < slots; ++i)
                    put32(b, table + i * 4, -2);
            } },
        { "table not a power of two", [&](QByteArray &b) { b.remove(table, 4); } },
        { "cut short", [&](QByteArray &b) { b.chop(3); } },
        { "more layers", [&](QByteArray &b) { put32(b, 4, 3); } },
    };
    for (const auto &[what, fault] : faults) {
        QByteArray bad = good;
        fault(bad);
        QVERIFY2(!MergedTree::fromCachePayload(bad, layers), what);
    }
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

// Each store used to list the whole folder to total it; a first open of a 40-layer archive with
// a well-used cache spent most of its time there. The folder is listed at the first store, then
// again only when the count says the bound may be passed, or a tenth of it was stored since.
void TestIndexCache::listsTheFolderRarely()
{
    QTemporaryDir dir;
    const ImageLayers layers = indexWith(test::corpus(QStringLiteral("dive__test-docker-image.tar")), nullptr);
    const LayerIndex &layer = *layers.layers.at(0);
    const qint64 one = IndexCache::serialize(QByteArray(64, 'a'), layer).size();
    const auto key = [](int i) { return QByteArray::number(i).rightJustified(64, '0'); };

    const IndexCache roomy(dir.filePath(QStringLiteral("roomy")), one * 1000);
    for (int i = 0; i < 40; ++i)
        roomy.store(key(i), layer);
    QCOMPARE(roomy.stats().stored.load(), qint64(40));
    QCOMPARE(roomy.stats().listings.load(), qint64(1));

    // Another cache on the same folder (another process) stores too: its files are counted when
    // this one lists the folder again. Past the bound by at most what each stored since the last
    // listing, a tenth of the bound each.
    const QString shared = dir.filePath(QStringLiteral("shared"));
    const IndexCache first(shared, one * 20);
    const IndexCache second(shared, one * 20);
    for (int i = 0; i < 60; ++i)
        (i % 2 ? second : first).store(key(i), layer);
    const qint64 listings = first.stats().listings + second.stats().listings;
    QVERIFY2(listings <= 60 / 2, qPrintable(QString::number(listings)));
    qint64 kept = 0;
    for (const QString &f : cacheFiles(shared))
        kept += QFileInfo(f).size();
    QVERIFY2(kept <= one * 20 + 2 * (one * 20 / 10), qPrintable(QStringLiteral("%1 of %2").arg(kept).arg(one * 20)));
}

// The cache files' checksum: the same however the bytes are handed to it, and changed by any
// one bit flipped, by bytes cut off or added, even zeros.
void TestIndexCache::checksumNoticesDamage()
{
    QByteArray bytes(100003, '\0');
    QRandomGenerator random(7);
    for (char &c : bytes)
        c = char(random.bounded(256));
    const quint64 whole = cachefile::payloadChecksum(bytes);
    for (const int step : { 1, 3, 31, 32, 33, 4096, 65537 }) {
        cachefile::Checksum c;
        for (qsizetype at = 0; at < bytes.size(); at += step)
            c.add(bytes.constData() + at, std::min<qsizetype>(step, bytes.size() - at));
        QCOMPARE(c.finish(), whole);
    }
    for (int i = 0; i < 2000; ++i) {
        QByteArray damaged = bytes;
        const qsizetype at = random.bounded(int(bytes.size()));
        damaged[at] = char(damaged.at(at) ^ (1 << random.bounded(8)));
        QVERIFY(cachefile::payloadChecksum(damaged) != whole);
    }
    QVERIFY(cachefile::payloadChecksum(bytes.chopped(1)) != whole);
    QVERIFY(cachefile::payloadChecksum(QByteArray(bytes + '\0')) != whole);
    QVERIFY(cachefile::payloadChecksum(QByteArray(40, '\0')) != cachefile::payloadChecksum(QByteArray(41, '\0')));
    QVERIFY(cachefile::payloadChecksum({}) != cachefile::payloadChecksum(QByteArray(1, '\0')));
}

// A tree's change list is read when asked for, but checked when the tree is loaded: a record
// out of range refuses the whole tree then.
void TestIndexCache::craftedChangeRecordsAreRefused()
{
    const MergedTree::Layers layers = richLayers();
    const MergedTree built = MergedTree::build(layers, 1);
    const QByteArray good = built.cachePayload();
    // A record: the path's length (8 bytes) and bytes, the change, the type, the size, the layer.
    const QByteArray path = built.changes().constFirst().path;
    const quint64 length = quint64(path.size());
    const qsizetype at = good.indexOf(QByteArray(QByteArray(reinterpret_cast<const char *>(&length), 8) + path));
    QVERIFY(at > 0);
    const qsizetype change = at + 8 + path.size(), type = change + 1, layer = change + 2 + 8;
    const QList<std::pair<const char *, std::function<void(QByteArray &)>>> faults {
        { "change out of range", [&](QByteArray &b) { b[change] = 9; } },
        { "type out of range", [&](QByteArray &b) { b[type] = char(200); } },
        { "layer out of range", [&](QByteArray &b) { b[layer] = 5; } },
        { "path past the end", [&](QByteArray &b) { b[at + 6] = 1; } },
    };
    for (const auto &[what, fault] : faults) {
        QByteArray bad = good;
        fault(bad);
        QVERIFY2(!MergedTree::fromCachePayload(bad, layers), what);
        QVERIFY2(!MergedTree::fromCachePayload(bad, layers, std::make_shared<QByteArray>(bad)), what);
    }
    // Sound, and read only when asked: equal to the built tree's either way.
    const auto kept = std::make_shared<QByteArray>(good);
    const auto inPlace = MergedTree::fromCachePayload(*kept, layers, kept);
    QVERIFY(inPlace);
    QCOMPARE(inPlace->changes().size(), built.changes().size());
    QCOMPARE(inPlace->changes().constFirst().path, path);
}

// What the window keeps beside a tree (the first rows of its files view) is served back under
// the same tree key and name, checked as a tree file is; a damaged file is removed, a name that
// could leave the folder is refused, and it is stored once.
void TestIndexCache::extrasAreKeptBesideTheTree()
{
    QTemporaryDir dir;
    const auto cache = std::make_shared<IndexCache>(dir.path(), qint64(1) << 30);
    const QByteArray key(64, 'c');
    const QString name = QStringLiteral("rows1-layer3-column1-down");
    QVERIFY(!cache->loadExtra(key, name));
    cache->storeExtra(key, name, "what was worked out");
    const std::optional<IndexCache::Stored> back = cache->loadExtra(key, name);
    QVERIFY(back && back->backing);
    QCOMPARE(back->bytes, QByteArrayView("what was worked out"));
    QCOMPARE(cache->stats().extraHits.load(), qint64(1));
    cache->storeExtra(key, name, "something else");
    QCOMPARE(cache->stats().extrasStored.load(), qint64(1)); // there already
    QVERIFY(!cache->loadExtra(QByteArray(64, 'd'), name)); // another tree's
    QVERIFY(!cache->loadExtra(key, QStringLiteral("rows1-layer3-column1-up")));

    for (const QString &bad : { QStringLiteral("../x"), QStringLiteral("a/b"), QStringLiteral("A"), QString(),
             QStringLiteral("rows.tree") }) {
        cache->storeExtra(key, bad, "x");
        QVERIFY2(!cache->loadExtra(key, bad), qPrintable(bad));
    }
    QCOMPARE(cache->stats().extrasStored.load(), qint64(1));

    const QStringList files = cacheFiles(dir.path(), QStringLiteral("*.extra"));
    QCOMPARE(files.size(), 1);
    QFile f(files.constFirst());
    QVERIFY(f.open(QIODevice::ReadWrite));
    QByteArray bytes = f.readAll();
    bytes[bytes.size() - 3] = char(bytes.at(bytes.size() - 3) ^ 0x01);
    QVERIFY(f.resize(0));
    f.write(bytes);
    f.close();
    QVERIFY(!cache->loadExtra(key, name));
    QVERIFY(!QFileInfo::exists(files.constFirst()));
}

QTEST_GUILESS_MAIN(TestIndexCache)
#include "tst_indexcache.moc"
