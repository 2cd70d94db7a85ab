// SPDX-License-Identifier: MIT
// Layer contents: each rule of applying layers on an archive written by
// tests/fixtures/make_layer_rules.py (Python's tarfile, independent of Lamina); the corpus'
// merged trees against golden dumps (LAMINA_UPDATE_GOLDEN=1 rewrites them) and against umoci's
// own unpacking; reading files at each version; safe extraction; the memory budget.
#include "archivetext.h"
#include "format/imagearchive.h"
#include "layers/extract.h"
#include "layers/imagelayers.h"
#include "layers/sharedtree.h"
#include "layers/stagedfiles.h"
#include "layers/streamedlayers.h"
#include "testsupport.h"
#include "util/threadbudget.h"
#include "util/workcounters.h"

#include <QDirIterator>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <mutex>
#include <thread>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace lamina;

class TestLayers : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void rulesFinalTree();
    void rulesChangesPerLayer();
    void rulesSizesAndWaste();
    void netChangeOverARange();
    void catEveryVersion();
    void extractIsSafe();
    void corpusGolden_data();
    void corpusGolden();
    void agreesWithUmoci_data();
    void agreesWithUmoci();
    void hardLinksAgreeWithUmoci();
    void sparseFiles();
    void digestsInTheSamePass();
    void memoryPerEntry();
    void sizesWhileReading();
    void layersIndexedBottomFirst();
    void layersIndexedWhileOpening_data();
    void layersIndexedWhileOpening();
    void filesKeptWhileOpening_data();
    void filesKeptWhileOpening();
    void catKeepsTheNamedFileOnly();
    void killedRunsKeptFilesRemoved();
    void mergeBudget();
    void sharedTreeIsBuiltOnce();
    void indexingHandsOverTheTreeItMerged();

private:
    static QString dump(const MergedTree &tree)
    {
        QString out;
        QList<int> stack { tree.root() };
        while (!stack.isEmpty()) {
            const int n = stack.takeLast();
            if (n != tree.root()) {
                const LayerEntry &e = tree.entry(n);
                const QByteArray link = tree.linkTarget(n);
                out += QStringLiteral("%1 %2 %3:%4 %5 %6%7\n")
                           .arg(entryTypeName(e.type))
                           .arg(e.mode, 4, 8, QLatin1Char('0'))
                           .arg(e.uid)
                           .arg(e.gid)
                           .arg(e.size)
                           .arg(QString::fromUtf8(tree.path(n)),
                               link.isEmpty() ? QString() : QStringLiteral(" -> ") + QString::fromUtf8(link));
            }
            const QList<int> kids = tree.children(n);
            for (auto it = kids.crbegin(); it != kids.crend(); ++it)
                stack.append(*it);
        }
        return out;
    }
    static QStringList paths(const MergedTree &tree)
    {
        QStringList out;
        for (const QString &line : dump(tree).split(u'\n', Qt::SkipEmptyParts))
            out << line.section(u' ', 4, 4);
        return out;
    }
    QString cat(const MergedTree &tree, const char *path)
    {
        QString error;
        const int n = resolveInTree(tree, QByteArray(path), true, &error);
        if (n < 0)
            return QStringLiteral("<%1>").arg(error);
        const FileRead r = readLayerFile(m_ia, 0, tree.layers(), tree.node(n).layer, tree.node(n).entry);
        return r.ok() ? QString::fromUtf8(r.data) : QStringLiteral("<%1>").arg(r.error);
    }

    QTemporaryDir m_dir;
    ImageArchive m_ia;
    ImageLayers m_layers;
};

void TestLayers::initTestCase()
{
    QVERIFY(m_dir.isValid());
    const QString tar = m_dir.filePath(QStringLiteral("rules.tar"));
    QString output;
    QVERIFY2(test::runPython({ test::source(QStringLiteral("tests/fixtures/make_layer_rules.py")), tar }, &output) == 0,
        qPrintable(output));
    m_ia = openImageArchive(tar);
    QVERIFY(m_ia.ok());
    m_layers = indexImageLayers(m_ia, 0);
    QVERIFY2(m_layers.errors.isEmpty(), qPrintable(m_layers.errors.join(u'\n')));
    QCOMPARE(m_layers.layers.size(), 3);
}

void TestLayers::rulesFinalTree()
{
    const MergedTree tree = MergedTree::build(m_layers.layers, 2);
    QCOMPARE(paths(tree),
        (QStringList { QStringLiteral("a"), QStringLiteral("a/keep"), QStringLiteral("bin"), QStringLiteral("bin/sh"),
            QStringLiteral("escape"), QStringLiteral("f1"), QStringLiteral("f1link"), QStringLiteral("l2file"),
            QStringLiteral("l2link"), QStringLiteral("olddir"), QStringLiteral("usr"), QStringLiteral("usr/new") }));
    QCOMPARE(tree.entry(tree.find("bin")).type, EntryType::Directory); // a folder replaces the symlink
    QCOMPARE(tree.entry(tree.find("olddir")).type, EntryType::File); // a file replaces the folder
    QCOMPARE(tree.find("usr/bin"), -1); // hidden by the opaque folder
    QCOMPARE(tree.find("d/x"), -1); // the whole folder whited out
    QCOMPARE(tree.node(tree.find("a/keep")).layer, 1); // re-created after its whiteout
    // The whiteout markers themselves never show.
    for (const QString &p : paths(tree))
        QVERIFY(!p.contains(u".wh."));
    // At layer 0 nothing is hidden yet.
    QCOMPARE(paths(MergedTree::build(m_layers.layers, 0)).size(), 14);
}

void TestLayers::rulesChangesPerLayer()
{
    const MergedTree one = MergedTree::build(m_layers.layers, 1);
    QStringList changes;
    for (const MergedTree::ChangeRecord &c : one.changes())
        changes << changeLetter(c.change) + u' ' + QString::fromUtf8(c.path);
    QCOMPARE(changes,
        (QStringList { QStringLiteral("D a/gone"), QStringLiteral("M a/keep"), QStringLiteral("D big"),
            QStringLiteral("M bin"), QStringLiteral("A bin/sh"), QStringLiteral("D d"), QStringLiteral("D d/x"),
            QStringLiteral("D d/y"), QStringLiteral("M f1"), QStringLiteral("A f1link"), QStringLiteral("M olddir"),
            QStringLiteral("D olddir/inner"), QStringLiteral("D usr/bin"), QStringLiteral("D usr/bin/tool"),
            QStringLiteral("A usr/new") }));
    const MergedTree two = MergedTree::build(m_layers.layers, 2);
    changes.clear();
    for (const MergedTree::ChangeRecord &c : two.changes())
        changes << changeLetter(c.change) + u' ' + QString::fromUtf8(c.path);
    QCOMPARE(changes,
        (QStringList { QStringLiteral("A escape"), QStringLiteral("M f1"), QStringLiteral("A l2file"),
            QStringLiteral("A l2link") }));
    QCOMPARE(two.stats().at(1).removed, 9); // a/gone, big, d, d/x, d/y, olddir/inner, usr/bin, usr/bin/tool, old a/keep
}

void TestLayers::rulesSizesAndWaste()
{
    const ImageSizes sizes = imageSizes(m_layers);
    QCOMPARE(sizes.layers.at(0).cumulative, 1024);
    QCOMPARE(sizes.layers.at(1).contribution, -993);
    QCOMPARE(sizes.layers.at(1).cumulative, 31);
    // Layer 2 replaces f1; the 9 bytes of layer 1's f1 stay visible as f1link, a file now.
    QCOMPARE(sizes.layers.at(2).cumulative, 42);
    QCOMPARE(sizes.layers.at(2).contribution, 11);
    QCOMPARE(sizes.layers.at(0).fileCount, 8);
    QCOMPARE(sizes.wasted.totalFileBytes, 1066);
    QCOMPARE(sizes.wasted.visibleFileBytes, 42);
    QCOMPARE(sizes.wasted.wastedBytes, 1024);
    QCOMPARE(sizes.wasted.items.constFirst().path, QByteArray("big"));
    QCOMPARE(sizes.wasted.items.constFirst().layer, 0);
    QVERIFY(qAbs(sizes.wasted.efficiency - 42.0 / 1066.0) < 1e-9);
    // Each hidden copy once: f1 of layer 0 wasted; layer 1's is f1link's, layer 2's is f1.
    QStringList f1;
    for (const WastedSpace::Item &i : sizes.wasted.items)
        if (i.path == "f1")
            f1 << QString::number(i.layer);
    QCOMPARE(f1, QStringList { QStringLiteral("0") });
    // By path, the copies add up to what `inspect` calls wasted.
    qint64 byPath = 0;
    for (const WastedPath &p : wastedByPath(sizes.wasted))
        byPath += p.bytes;
    QCOMPARE(byPath, sizes.wasted.wastedBytes);
    for (int l = 0; l < 3; ++l)
        QCOMPARE(sizes.layers.at(l).storedSize, m_ia.archive->member(m_ia.images.at(0).layers.at(l).member).size);
}

void TestLayers::netChangeOverARange()
{
    QStringList changes;
    for (const MergedTree::ChangeRecord &c : netChanges(m_layers.layers, 1, 2))
        changes << changeLetter(c.change) + u' ' + QString::fromUtf8(c.path);
    QVERIFY(changes.contains(QStringLiteral("M f1")));
    QVERIFY(changes.contains(QStringLiteral("A l2file")));
    QVERIFY(changes.contains(QStringLiteral("D a/gone")));
    QVERIFY(changes.contains(QStringLiteral("D d")));
    QVERIFY(changes.contains(QStringLiteral("D d/x"))); // what the removed folder held is listed too
    // Over the whole image, everything is added.
    for (const MergedTree::ChangeRecord &c : netChanges(m_layers.layers, 0, 2))
        QCOMPARE(c.change, Change::Added);
}

void TestLayers::catEveryVersion()
{
    QCOMPARE(cat(MergedTree::build(m_layers.layers, 0), "f1"), QStringLiteral("v0"));
    QCOMPARE(cat(MergedTree::build(m_layers.layers, 1), "f1"), QStringLiteral("v1-longer"));
    QCOMPARE(cat(MergedTree::build(m_layers.layers, 2), "f1"), QStringLiteral("v2"));
    const MergedTree top = MergedTree::build(m_layers.layers, 2);
    QCOMPARE(cat(top, "f1link"), QStringLiteral("v1-longer")); // linked to layer 1's f1, which layer 2 replaced
    QCOMPARE(cat(top, "l2link"), QStringLiteral("layer two"));
    QCOMPARE(cat(top, "a/keep"), QStringLiteral("keep1"));
    QVERIFY(cat(top, "a/gone").startsWith(u"<"));
    // A file deleted later is still readable in the layer that stores it.
    MergedTree::Layers only(3);
    only[0] = m_layers.layers.at(0);
    QCOMPARE(cat(MergedTree::build(only, 0), "a/gone"), QStringLiteral("gone0"));
    QCOMPARE(cat(MergedTree::build(only, 0), "big"), QString(1000, u'B'));
    // Symlinks are followed inside the image: ".." stops at the image root, never the host's.
    QCOMPARE(cat(MergedTree::build(m_layers.layers, 0), "bin/tool"), QStringLiteral("tool"));
    QVERIFY(cat(top, "escape/passwd").contains(u"not in the image"));
    QString error;
    QCOMPARE(resolveInTree(top, "a/../../../f1", true, &error), top.find("f1"));
    QCOMPARE(resolveInTree(top, "escape", false, &error), top.find("escape"));
}

void TestLayers::extractIsSafe()
{
    QTemporaryDir dest;
    const MergedTree top = MergedTree::build(m_layers.layers, 2);
    ExtractResult r = extractNode(m_ia, 0, top, top.root(), dest.path(), false);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.files, 8); // a/keep bin/sh f1 f1link l2file l2link olddir usr/new
    QFile f(dest.filePath(QStringLiteral("a/keep")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("keep1"));
    QCOMPARE(QFile(dest.filePath(QStringLiteral("f1link"))).size(), 9);
    // Two names of one file in a layer are two names of one file on disk; a name that shows an
    // older copy (f1link, to layer 1's f1, which layer 2 replaced) is a file of its own.
    struct stat file, link, f1, f1link;
    QCOMPARE(::stat(QFile::encodeName(dest.filePath(QStringLiteral("l2file"))).constData(), &file), 0);
    QCOMPARE(::stat(QFile::encodeName(dest.filePath(QStringLiteral("l2link"))).constData(), &link), 0);
    QCOMPARE(link.st_ino, file.st_ino);
    QCOMPARE(file.st_nlink, nlink_t(2));
    QCOMPARE(::stat(QFile::encodeName(dest.filePath(QStringLiteral("f1"))).constData(), &f1), 0);
    QCOMPARE(::stat(QFile::encodeName(dest.filePath(QStringLiteral("f1link"))).constData(), &f1link), 0);
    QVERIFY(f1.st_ino != f1link.st_ino);
    // Existing files are kept unless asked.
    r = extractNode(m_ia, 0, top, top.find("f1"), dest.path(), false);
    QVERIFY(r.ok());
    QCOMPARE(r.skipped.size(), 1);
    // A symlink in the image is created as a link and never followed on the host.
    QTemporaryDir dest2;
    const MergedTree zero = MergedTree::build(m_layers.layers, 0);
    r = extractNode(m_ia, 0, zero, zero.root(), dest2.path(), false);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(QFileInfo(dest2.filePath(QStringLiteral("bin"))).symLinkTarget().endsWith(u"usr/bin"), true);
    QVERIFY(QFileInfo(dest2.filePath(QStringLiteral("bin"))).isSymLink());
    // One pointing above the root is created as it is, and nothing is written through it.
    QVERIFY(QFileInfo(dest.filePath(QStringLiteral("escape"))).isSymLink());
    QCOMPARE(QFile::symLinkTarget(dest.filePath(QStringLiteral("escape"))).isEmpty(), false);
    QCOMPARE(r.links >= 1, true);
    // A link already in the destination is not written through.
    QTemporaryDir dest3, victim;
    QVERIFY(QFile::link(victim.path(), dest3.filePath(QStringLiteral("usr"))));
    r = extractNode(m_ia, 0, top, top.find("usr"), dest3.path(), true);
    QVERIFY(!r.ok());
    QVERIFY(QDir(victim.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries).isEmpty());
}

void TestLayers::corpusGolden_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<int>("image");
    QTest::newRow("dive docker 18 (whiteouts, hardlinks)") << "dive__test-docker-image.tar" << 0;
    QTest::newRow("skopeo oci (gzip layers)") << "gen__skopeo-oci-archive.tar" << 0;
    QTest::newRow("umoci (fifo, setuid, uid 3000000, UTF-8 names)") << "gen__umoci-layout" << 1;
    QTest::newRow("nix (absolute member paths)") << "gen__nix-stream-layered-image.tar" << 0;
    QTest::newRow("jib (PAX long names)") << "jib__jib-image.tar" << 0;
    QTest::newRow("oci zstd") << "dive__test-oci-zstd-image.tar" << 0;
    QTest::newRow("alpine (whole archive gzip)") << "trivy__alpine-311.tar.gz" << 0;
}

void TestLayers::corpusGolden()
{
    QFETCH(QString, file);
    QFETCH(int, image);
    const ImageArchive ia = openImageArchive(test::corpus(file));
    const ImageLayers layers = indexImageLayers(ia, image);
    QVERIFY2(layers.errors.isEmpty(), qPrintable(layers.errors.join(u'\n')));
    QString text;
    for (int k = 0; k < layers.layers.size(); ++k) {
        const MergedTree tree = MergedTree::build(layers.layers, k);
        text += QStringLiteral("## layer %1 changes\n").arg(k);
        for (const MergedTree::ChangeRecord &c : tree.changes())
            text += changeLetter(c.change) + u' ' + QString::fromUtf8(c.path) + u'\n';
    }
    text += QStringLiteral("## merged\n") + dump(MergedTree::build(layers.layers, int(layers.layers.size()) - 1));
    const QString golden
        = test::source(QStringLiteral("tests/golden/") + QString(file).replace(u'.', u'_') + QStringLiteral(".txt"));
    if (qEnvironmentVariableIsSet("LAMINA_UPDATE_GOLDEN")) {
        QFile out(golden);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(text.toUtf8());
        QSKIP("golden file rewritten");
    }
    QFile in(golden);
    QVERIFY2(in.open(QIODevice::ReadOnly),
        qPrintable(golden + QStringLiteral(" is missing; run with LAMINA_UPDATE_GOLDEN=1")));
    const QStringList want = QString::fromUtf8(in.readAll()).split(u'\n');
    const QStringList got = text.split(u'\n');
    for (int i = 0; i < std::min(want.size(), got.size()); ++i)
        QVERIFY2(want.at(i) == got.at(i),
            qPrintable(QStringLiteral("line %1:\n got  %2\n want %3").arg(i + 1).arg(got.at(i), want.at(i))));
    QCOMPARE(got.size(), want.size());
}

void TestLayers::agreesWithUmoci_data()
{
    QTest::addColumn<QString>("source");
    QTest::addColumn<QString>("tag");
    QTest::addColumn<int>("image");
    QTest::newRow("umoci layout v2") << "gen__umoci-layout"
                                     << "v2" << 1;
    QTest::newRow("skopeo oci archive (dive image)") << "gen__skopeo-oci-archive.tar"
                                                     << "" << 0;
}

// umoci is an independent implementation of the same rules: unpack with it and compare every
// path and type with the merged tree.
void TestLayers::agreesWithUmoci()
{
    QFETCH(QString, source);
    QFETCH(QString, tag);
    QFETCH(int, image);
    if (QStandardPaths::findExecutable(QStringLiteral("umoci")).isEmpty()
        || QStandardPaths::findExecutable(QStringLiteral("skopeo")).isEmpty())
        QFAIL("umoci and skopeo are needed; ./test installs them");
    QTemporaryDir work;
    QString layout = test::corpus(source);
    if (source.endsWith(u".tar")) {
        layout = work.filePath(QStringLiteral("layout"));
        tag = QStringLiteral("t");
        QCOMPARE(QProcess::execute(QStringLiteral("skopeo"),
                     { QStringLiteral("copy"), QStringLiteral("--quiet"),
                         QStringLiteral("oci-archive:") + test::corpus(source),
                         QStringLiteral("oci:") + layout + QStringLiteral(":t") }),
            0);
    } else {
        QVERIFY(QProcess::execute(
                    QStringLiteral("cp"), { QStringLiteral("-r"), layout, work.filePath(QStringLiteral("copy")) })
            == 0);
        layout = work.filePath(QStringLiteral("copy"));
        QProcess::execute(QStringLiteral("chmod"), { QStringLiteral("-R"), QStringLiteral("u+w"), layout });
    }
    const QString bundle = work.filePath(QStringLiteral("bundle"));
    QProcess p;
    p.start(QStringLiteral("umoci"),
        { QStringLiteral("raw"), QStringLiteral("unpack"), QStringLiteral("--rootless"), QStringLiteral("--image"),
            layout + u':' + tag, bundle });
    QVERIFY(p.waitForFinished(60000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    QStringList theirs;
    QDirIterator it(
        bundle, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QFileInfo fi(path);
        const QString kind = fi.isSymLink() ? QStringLiteral("symlink")
            : fi.isDir()                    ? QStringLiteral("dir")
                                            : QStringLiteral("other");
        theirs << path.mid(bundle.size() + 1) + u' ' + kind;
    }
    theirs.sort();
    const ImageArchive ia = openImageArchive(test::corpus(source));
    const MergedTree tree
        = MergedTree::build(indexImageLayers(ia, image).layers, int(ia.images.at(image).layers.size()) - 1);
    QStringList ours;
    QList<int> stack { tree.root() };
    while (!stack.isEmpty()) {
        const int n = stack.takeLast();
        if (n != tree.root()) {
            const EntryType t = tree.entry(n).type;
            ours << QString::fromUtf8(tree.path(n)) + u' '
                    + (t == EntryType::Symlink          ? QStringLiteral("symlink")
                            : t == EntryType::Directory ? QStringLiteral("dir")
                                                        : QStringLiteral("other"));
        }
        stack += tree.children(n);
    }
    ours.sort();
    QCOMPARE(ours, theirs);
}

// Issue 16 item 6: a hard link whose file a later layer whites out, replaces by another file or
// a symlink, or whose folder it whites out, is a file of its own; umoci (through skopeo's OCI
// copy of the docker archive) leaves the same paths, types, sizes, bytes and link counts.
void TestLayers::hardLinksAgreeWithUmoci()
{
    if (QStandardPaths::findExecutable(QStringLiteral("umoci")).isEmpty()
        || QStandardPaths::findExecutable(QStringLiteral("skopeo")).isEmpty())
        QFAIL("umoci and skopeo are needed; ./test installs them");
    QTemporaryDir work;
    const QString tar = work.filePath(QStringLiteral("links.tar"));
    QString output;
    QVERIFY2(test::runPython(
                 { test::source(QStringLiteral("tests/fixtures/make_layer_rules.py")), QStringLiteral("--links"), tar },
                 &output)
            == 0,
        qPrintable(output));
    const QString layout = work.filePath(QStringLiteral("layout"));
    QCOMPARE(QProcess::execute(QStringLiteral("skopeo"),
                 { QStringLiteral("copy"), QStringLiteral("--quiet"), QStringLiteral("docker-archive:") + tar,
                     QStringLiteral("oci:") + layout + QStringLiteral(":t") }),
        0);
    const QString bundle = work.filePath(QStringLiteral("bundle"));
    QProcess p;
    p.start(QStringLiteral("umoci"),
        { QStringLiteral("raw"), QStringLiteral("unpack"), QStringLiteral("--rootless"), QStringLiteral("--image"),
            layout + QStringLiteral(":t"), bundle });
    QVERIFY(p.waitForFinished(60000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    QStringList theirs;
    QDirIterator it(
        bundle, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        struct stat st;
        QVERIFY(::lstat(QFile::encodeName(path).constData(), &st) == 0);
        QString line = path.mid(bundle.size() + 1);
        if (S_ISLNK(st.st_mode)) {
            line += QStringLiteral(" symlink");
        } else if (S_ISDIR(st.st_mode)) {
            line += QStringLiteral(" dir");
        } else {
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadOnly));
            line += QStringLiteral(" file %1 %2 links %3")
                        .arg(st.st_size)
                        .arg(QString::fromUtf8(f.readAll()))
                        .arg(st.st_nlink > 1 ? u'+' : u'1');
        }
        theirs << line;
    }
    theirs.sort();

    const ImageArchive ia = openImageArchive(tar);
    const ImageLayers layers = indexImageLayers(ia, 0);
    QVERIFY2(layers.errors.isEmpty(), qPrintable(layers.errors.join(u'\n')));
    const MergedTree tree = MergedTree::build(layers.layers, 1);
    QSet<QByteArray> shared; // paths that are one of several names of a file
    for (int n = 1; n < tree.nodeCount(); ++n) {
        if (tree.node(n).removed || tree.entry(n).type != EntryType::Hardlink)
            continue;
        shared << tree.path(n) << tree.linkTarget(n);
    }
    QStringList ours;
    QList<int> stack { tree.root() };
    while (!stack.isEmpty()) {
        const int n = stack.takeLast();
        if (n != tree.root()) {
            const LayerEntry &e = tree.entry(n);
            QString line = QString::fromUtf8(tree.path(n));
            if (e.type == EntryType::Symlink) {
                line += QStringLiteral(" symlink");
            } else if (e.type == EntryType::Directory) {
                line += QStringLiteral(" dir");
            } else {
                QString error;
                const qint64 size = layerFileSize(tree.layers(), tree.node(n).layer, tree.node(n).entry, &error);
                const FileRead r = readLayerFile(ia, 0, tree.layers(), tree.node(n).layer, tree.node(n).entry);
                QVERIFY2(r.ok(), qPrintable(r.error));
                // What ls and the window show: a detached link is a file with the size it holds.
                QCOMPARE(e.type == EntryType::File ? e.size : size, size);
                line += QStringLiteral(" file %1 %2 links %3")
                            .arg(size)
                            .arg(QString::fromUtf8(r.data))
                            .arg(shared.contains(tree.path(n)) ? u'+' : u'1');
            }
            ours << line;
        }
        stack += tree.children(n);
    }
    ours.sort();
    QCOMPARE(ours, theirs);
    // The detached links show no target, the one still shared does.
    for (const char *path : { "h1", "h2", "h3", "h5" }) {
        QCOMPARE(tree.entry(tree.find(path)).type, EntryType::File);
        QVERIFY(tree.linkTarget(tree.find(path)).isEmpty());
    }
    QCOMPARE(tree.entry(tree.find("h4")).type, EntryType::Hardlink);
    QCOMPARE(tree.linkTarget(tree.find("h4")), QByteArray("t4"));
    // Sizes count each visible file once: h1 3, h2 5, h3 5, h4/t4 4, h5 5, t2 1.
    QCOMPARE(tree.visibleBytes(), 23);
    QCOMPARE(tree.treeBytes(tree.root()), 23);
    QCOMPARE(imageSizes(layers).wasted.wastedBytes, 0);
}

// Issue 16 item 5: sparse files (GNU 1.0 in PAX, old GNU 'S') in an uncompressed layer are
// their expanded bytes in cat and extract, not the stored map and data (which ran on into the
// next member); extract keeps the holes as holes.
void TestLayers::sparseFiles()
{
    QTemporaryDir work;
    const QString tar = work.filePath(QStringLiteral("sparse.tar"));
    QString output;
    QVERIFY2(test::runPython({ test::source(QStringLiteral("tests/fixtures/make_layer_rules.py")),
                                 QStringLiteral("--sparse"), tar },
                 &output)
            == 0,
        qPrintable(output));
    // The generator's SPARSE table.
    constexpr qint64 kMiB = 1 << 20;
    QByteArray sparse1(kMiB, '\0'), sparse2(kMiB, '\0');
    sparse1.replace(0, 4096, QByteArray(4096, 'A'));
    sparse1.replace(512 * 1024, 4096, QByteArray(4096, 'B'));
    sparse2.replace(8192, 512, QByteArray(512, 'C'));
    sparse2.replace(kMiB - 512, 512, QByteArray(512, 'D'));
    const QHash<QByteArray, QByteArray> want { { "sparse1", sparse1 }, { "sparse2", sparse2 },
        { "after", "after-content" }, { "sparse1-link", sparse1 }, { "sparse2-link", sparse2 } };

    const ImageArchive ia = openImageArchive(tar);
    QVERIFY(ia.ok());
    const ImageLayers layers = indexImageLayers(ia, 0);
    QVERIFY2(layers.errors.isEmpty(), qPrintable(layers.errors.join(u'\n')));
    QCOMPARE(layers.layers.at(0)->compression, Compression::None);
    const MergedTree tree = MergedTree::build(layers.layers, 0);
    for (auto it = want.cbegin(); it != want.cend(); ++it) {
        const int n = tree.find(it.key());
        QVERIFY(n >= 0);
        QString error;
        QCOMPARE(layerFileSize(tree.layers(), tree.node(n).layer, tree.node(n).entry, &error), it.value().size());
        const FileRead r = readLayerFile(ia, 0, tree.layers(), tree.node(n).layer, tree.node(n).entry);
        QVERIFY2(r.ok(), qPrintable(r.error));
        QVERIFY2(r.data == it.value(), it.key().constData());
    }

    QTemporaryDir dest;
    const ExtractResult x = extractNode(ia, 0, tree, tree.root(), dest.path(), false);
    QVERIFY2(x.ok(), qPrintable(x.error));
    QCOMPARE(x.files, 5);
    for (auto it = want.cbegin(); it != want.cend(); ++it) {
        QFile f(dest.filePath(QString::fromUtf8(it.key())));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY2(f.readAll() == it.value(), it.key().constData());
    }
    // Holes stay holes: 1 MiB each, of which 8 KiB and 1 KiB are data (a file system that
    // cannot keep holes would allocate the whole MiB); in the hard links' copies too, which
    // are copied from the first one written.
    for (const char *name : { "sparse1", "sparse2", "sparse1-link", "sparse2-link" }) {
        struct stat st;
        QVERIFY(::stat(QFile::encodeName(dest.filePath(QLatin1String(name))).constData(), &st) == 0);
        QCOMPARE(qint64(st.st_size), kMiB);
        QVERIFY2(qint64(st.st_blocks) * 512 < kMiB / 4,
            qPrintable(QStringLiteral("%1: %2 blocks").arg(QLatin1String(name)).arg(st.st_blocks)));
    }
}

void TestLayers::digestsInTheSamePass()
{
    // Indexing with digests gives the same diff IDs as the configs, uncompressed and gzip alike.
    for (const char *file :
        { "dive__test-docker-image.tar", "gen__skopeo-oci-archive.tar", "dive__test-oci-zstd-image.tar" }) {
        const ImageArchive ia = openImageArchive(test::corpus(QString::fromLatin1(file)));
        LayerIndexOptions options;
        options.computeDigests = true;
        const ImageLayers layers = indexImageLayers(ia, 0, options);
        for (int i = 0; i < layers.layers.size(); ++i) {
            QCOMPARE(layers.layers.at(i)->diffId, ia.images.at(0).layers.at(i).diffId);
            if (!ia.images.at(0).layers.at(i).digest.isEmpty())
                QCOMPARE(layers.layers.at(i)->storedDigest, ia.images.at(0).layers.at(i).digest);
        }
    }
}

void TestLayers::memoryPerEntry()
{
    // 20,000 entries with realistic names: the index must stay within 150 bytes per entry.
    const QString tar = m_dir.filePath(QStringLiteral("many.tar"));
    const QString script = QStringLiteral(
        "import io, sys, tarfile\n"
        "t = tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT)\n"
        "for i in range(20000):\n"
        "    ti = tarfile.TarInfo('usr/lib/python3/dist-packages/pkg%d/module_%d.py' % (i // 50, i)); ti.size = 10\n"
        "    t.addfile(ti, io.BytesIO(b'0123456789'))\n"
        "t.close()\n");
    QCOMPARE(test::runPython({ QStringLiteral("-c"), script, tar }), 0);
    const auto opened = Archive::open(tar);
    QVERIFY(opened.archive);
    // The tar itself stands in for a layer member: index it as one.
    const QString outer = m_dir.filePath(QStringLiteral("outer.tar"));
    QVERIFY(test::writeTar(outer, QStringLiteral("add('layer.tar', open('%1', 'rb').read())\n").arg(tar)));
    const auto archive = Archive::open(outer);
    const LayerIndexResult r = indexLayer(*archive.archive, 0);
    QVERIFY(r.index);
    QVERIFY(r.index->size() > 20000);
    const double perEntry = double(r.index->memoryBytes()) / r.index->size();
    QVERIFY2(perEntry <= 150, qPrintable(QString::number(perEntry)));
}

void TestLayers::sizesWhileReading()
{
    // Sizes computed while the layers are read (each tree fed layer by layer as they arrive) are
    // those computed afterwards, for every archive of the corpus (two share a layer between
    // images) and the rules fixture.
    QStringList paths { m_ia.path };
    const QDir corpus(test::corpus(QString()));
    for (const QString &name : corpus.entryList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name))
        if (!name.endsWith(u".md"))
            paths << corpus.filePath(name);
    int images = 0;
    for (const QString &path : std::as_const(paths)) {
        const ImageArchive ia = openImageArchive(path);
        QList<ImageSizes> sizes;
        const QList<ImageLayers> indexed = indexAllImageLayers(ia, {}, {}, &sizes);
        QCOMPARE(sizes.size(), ia.images.size());
        for (int i = 0; i < ia.images.size(); ++i, ++images) {
            const ImageSizes after = imageSizes(indexed.at(i));
            const ImageSizes &during = sizes.at(i);
            QCOMPARE(during.layers.size(), after.layers.size());
            for (int l = 0; l < after.layers.size(); ++l) {
                const QString where
                    = QStringLiteral("%1 image %2 layer %3").arg(QFileInfo(path).fileName()).arg(i).arg(l);
                QVERIFY2(during.layers.at(l).contribution == after.layers.at(l).contribution, qPrintable(where));
                QVERIFY2(during.layers.at(l).cumulative == after.layers.at(l).cumulative, qPrintable(where));
                QVERIFY2(during.layers.at(l).fileCount == after.layers.at(l).fileCount, qPrintable(where));
                QVERIFY2(during.layers.at(l).storedSize == after.layers.at(l).storedSize, qPrintable(where));
            }
            QCOMPARE(during.wasted.wastedBytes, after.wasted.wastedBytes);
            QCOMPARE(during.wasted.visibleFileBytes, after.wasted.visibleFileBytes);
            QCOMPARE(during.wasted.items.size(), after.wasted.items.size());
        }
    }
    QVERIFY(images >= 15);
    // The rules fixture's known figures (rulesSizesAndWaste), through this path.
    QList<ImageSizes> sizes;
    indexAllImageLayers(m_ia, {}, {}, &sizes);
    QCOMPARE(sizes.at(0).layers.at(1).contribution, -993);
    QCOMPARE(sizes.at(0).wasted.wastedBytes, 1024);

    // Cancelled before it starts: it returns (the merging thread is not left waiting for layers
    // that never come), with every layer counted as unread.
    std::atomic<bool> cancel { true };
    Progress progress;
    progress.cancel = &cancel;
    QList<ImageSizes> none;
    const QList<ImageLayers> cancelled = indexAllImageLayers(m_ia, {}, progress, &none);
    QVERIFY(cancelled.at(0).cancelled);
    QCOMPARE(none.size(), 1);
    QCOMPARE(none.at(0).layers.size(), 3);
    QCOMPARE(none.at(0).wasted.totalFileBytes, 0);
}

// The tree built for the sizes applies the layers bottom first, beside the workers: they take the
// layers in that order, so that it never waits for the bottom one while they index the top; a
// layer far bigger than the others is taken first all the same, so that it does not start last.
void TestLayers::layersIndexedBottomFirst()
{
    // Each layer a little bigger than the one below it: taken biggest first, the top would come first.
    const auto archiveOf = [](const QString &dir, const QList<int> &sizes) {
        QString text;
        QStringList layers, diffs;
        for (int l = 0; l < sizes.size(); ++l) {
            text += QStringLiteral("== l%1/layer.tar layer\nf /file%1 0644 size=%2\n").arg(l).arg(sizes.at(l));
            layers << QStringLiteral("\"l%1/layer.tar\"").arg(l);
            diffs << QStringLiteral("\"{diff:l%1/layer.tar}\"").arg(l);
        }
        text += QStringLiteral("== c.json\n{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[%1]}}\n")
                    .arg(diffs.join(u','));
        text += QStringLiteral("== manifest.json\n[{\"Config\":\"c.json\",\"Layers\":[%1]}]\n").arg(layers.join(u','));
        return test::writeArchiveFolder(dir, text);
    };
    const auto order = [](const QString &dir) {
        const ImageArchive ia = openImageArchive(dir);
        QList<int> arrived;
        std::mutex lock;
        // Every helper thread held here: the calling thread indexes the layers alone, one at a
        // time, in the order the workers take them.
        const ThreadLease all(threadBudgetSize());
        indexImageLayers(ia, 0, {}, {}, [&](int layer, const std::shared_ptr<const LayerIndex> &) {
            std::lock_guard<std::mutex> guard(lock);
            arrived << layer;
        });
        return arrived;
    };
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString similar = dir.filePath(QStringLiteral("similar"));
    QVERIFY(archiveOf(similar, { 4000, 5000, 6000, 7000, 8000, 9000 }));
    QCOMPARE(order(similar), QList<int>({ 0, 1, 2, 3, 4, 5 }));
    const QString oneBig = dir.filePath(QStringLiteral("oneBig"));
    QVERIFY(archiveOf(oneBig, { 4000, 5000, 6000, 7000, 1 << 20, 9000 }));
    QCOMPARE(order(oneBig), QList<int>({ 4, 0, 1, 2, 3, 5 }));
}

// The entries applied to build the images' trees for their sizes are bounded in all
// (kMaxMergedEntriesTotal): past the budget an image's sizes say why they are missing.
void TestLayers::layersIndexedWhileOpening_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("digests");
    QTest::addColumn<qint64>("budget"); // LayerIndexOptions::maxMergedEntries
    QTest::newRow("docker archive") << QStringLiteral("dive__test-docker-image.tar") << false << qint64(-1);
    QTest::newRow("docker archive, digests") << QStringLiteral("dive__test-docker-image.tar") << true << qint64(-1);
    QTest::newRow("OCI, gzip layers, digests") << QStringLiteral("gen__skopeo-oci-archive.tar") << true << qint64(-1);
    QTest::newRow("OCI, zstd layers") << QStringLiteral("dive__test-oci-zstd-image.tar") << false << qint64(-1);
    QTest::newRow("gzip'd by trivy") << QStringLiteral("trivy__alpine-311.tar.gz") << true << qint64(-1);
    QTest::newRow("past the entry budget") << QStringLiteral("dive__test-docker-image.tar") << true << qint64(5);
}

// An archive compressed as a whole is streamed once for both its members and its layers: the
// indexes made while it opens are those a pass of their own would make.
void TestLayers::layersIndexedWhileOpening()
{
    QFETCH(QString, name);
    QFETCH(bool, digests);
    QFETCH(qint64, budget);
    QString path = test::corpus(name);
    if (!name.endsWith(u".gz")) {
        path = m_dir.filePath(name + QStringLiteral(".gz"));
        if (!QFileInfo::exists(path))
            QVERIFY(test::gzipWhole(test::corpus(name), path));
    }
    LayerIndexOptions options;
    options.cache = nullptr;
    options.computeDigests = digests;
    if (budget >= 0)
        options.maxMergedEntries = budget;

    // Opened, then its layers read in a pass of their own.
    work::counters().reset();
    const ImageArchive plain = openImageArchive(path);
    QVERIFY(plain.ok());
    QVERIFY(!plain.archive->seekable());
    const qint64 opening = work::counters().decompressedBytes;
    const QList<ImageLayers> reference = indexAllImageLayers(plain, options);
    const qint64 twoPasses = work::counters().decompressedBytes;
    QVERIFY(opening > 0 && twoPasses > 2 * opening - 65536);

    work::counters().reset();
    StreamedLayers streamed(options);
    const ImageArchive tapped = openImageArchive(path, {}, {}, streamed.tap());
    QVERIFY(tapped.ok());
    QCOMPARE(tapped.archive->problems(), plain.archive->problems());
    QCOMPARE(tapped.archive->members().size(), plain.archive->members().size());
    QSet<int> layerMembers;
    for (const Image &img : tapped.images)
        for (const ImageLayer &l : img.layers)
            layerMembers.insert(l.member);
    if (budget < 0)
        QCOMPARE(streamed.count(), int(layerMembers.size()));
    else // the first layers' entries reach the budget: the rest are left to a pass of their own
        QVERIFY(streamed.count() >= 1 && streamed.count() < layerMembers.size());
    LayerIndexOptions known = options;
    known.knownByMember = streamed.indexed();
    const QList<ImageLayers> indexed = indexAllImageLayers(tapped, known);
    const qint64 onePass = work::counters().decompressedBytes;
    if (budget < 0)
        QVERIFY2(onePass <= twoPasses - opening + 65536 && onePass >= opening,
            qPrintable(QStringLiteral("%1 bytes decompressed; opening alone decompresses %2, opening and a "
                                      "pass for the layers %3")
                           .arg(onePass)
                           .arg(opening)
                           .arg(twoPasses)));

    QCOMPARE(indexed.size(), reference.size());
    for (int i = 0; i < indexed.size(); ++i) {
        QStringList got = indexed.at(i).errors, want = reference.at(i).errors;
        got.sort();
        want.sort();
        QCOMPARE(got, want);
        QCOMPARE(indexed.at(i).layers.size(), reference.at(i).layers.size());
        for (int l = 0; l < indexed.at(i).layers.size(); ++l) {
            const auto &a = indexed.at(i).layers.at(l);
            const auto &b = reference.at(i).layers.at(l);
            QVERIFY(a && b);
            QCOMPARE(a->size(), b->size());
            QCOMPARE(a->fileCount, b->fileCount);
            QCOMPARE(a->uncompressedSize, b->uncompressedSize);
            QCOMPARE(a->storedSize, b->storedSize);
            QCOMPARE(a->compression, b->compression);
            QCOMPARE(a->complete, b->complete);
            QCOMPARE(a->problems, b->problems);
            QCOMPARE(a->diffId, b->diffId);
            QCOMPARE(a->storedDigest, b->storedDigest);
            QCOMPARE(a->diffId.isEmpty(), !digests);
            for (int e = 0; e < a->size(); ++e)
                QCOMPARE(a->name(e), b->name(e));
        }
    }
}

void TestLayers::filesKeptWhileOpening_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("path");
    QTest::addColumn<qint64>("budget"); // StagedFiles' bytes; -1: the space free
    QTest::addColumn<bool>("onePass"); // every file's copy kept: no layer read again
    const QString dive = QStringLiteral("dive__test-docker-image.tar");
    QTest::newRow("docker archive, everything") << dive << QStringLiteral("/") << qint64(-1) << true;
    QTest::newRow("docker archive, a folder") << dive << QStringLiteral("/root") << qint64(-1) << true;
    // busybox's applets are hard links to one file elsewhere in /bin: that file is not kept.
    QTest::newRow("a hard link out of the folder") << dive << QStringLiteral("bin/sh") << qint64(-1) << false;
    QTest::newRow("nothing kept: no room") << dive << QStringLiteral("/root") << qint64(0) << false;
    QTest::newRow("OCI, gzip layers") << QStringLiteral("gen__skopeo-oci-archive.tar") << QStringLiteral("/etc")
                                      << qint64(-1) << true;
    QTest::newRow("OCI, zstd layers") << QStringLiteral("dive__test-oci-zstd-image.tar") << QStringLiteral("/")
                                      << qint64(-1) << true;
    QTest::newRow("gzip'd by trivy") << QStringLiteral("trivy__alpine-311.tar.gz") << QStringLiteral("etc")
                                     << qint64(-1) << true;
}

// cat and extract on an archive compressed as a whole: the copies of the files asked for are kept
// as the opening streams past them, and the copies that count are used instead of a second pass.
// What is not kept is read from the archive as before; either way the files are those extracted
// from the archive as it is.
void TestLayers::filesKeptWhileOpening()
{
    QFETCH(QString, name);
    QFETCH(QString, path);
    QFETCH(qint64, budget);
    QFETCH(bool, onePass);
    QString archive = test::corpus(name);
    if (!name.endsWith(u".gz")) {
        archive = m_dir.filePath(name + QStringLiteral(".gz"));
        if (!QFileInfo::exists(archive))
            QVERIFY(test::gzipWhole(test::corpus(name), archive));
    }
    LayerIndexOptions options;
    options.cache = nullptr;
    QTemporaryDir scratch;
    QVERIFY(scratch.isValid());

    // The reference: the archive as it is, opened and read without keeping anything.
    const ImageArchive plain = openImageArchive(archive);
    QVERIFY(plain.ok());
    const ImageLayers plainLayers = indexImageLayers(plain, 0, options);
    const MergedTree plainTree = MergedTree::build(plainLayers.layers, int(plainLayers.layers.size()) - 1);
    QString error;
    const int plainNode = resolveInTree(plainTree, path.toUtf8(), false, &error);
    QVERIFY2(plainNode >= 0, qPrintable(error));
    const QString reference = scratch.filePath(QStringLiteral("reference"));
    QVERIFY(extractNode(plain, 0, plainTree, plainNode, reference, false).ok());

    const QString dest = scratch.filePath(QStringLiteral("dest/below"));
    qint64 extractPasses = 0;
    {
        StagedFiles staged({ path.toUtf8() }, dest, true, budget);
        StreamedLayers streamed(options);
        streamed.stage(&staged);
        const ImageArchive ia = openImageArchive(archive, {}, {}, streamed.tap());
        QVERIFY(ia.ok());
        if (onePass)
            QVERIFY(staged.count() > 0);
        if (budget == 0)
            QCOMPARE(staged.count(), 0);
        // Kept where the extraction goes (created for it), in a folder of its own.
        QCOMPARE(staged.createdParent(), staged.count() > 0);
        LayerIndexOptions known = options;
        known.knownByMember = streamed.indexed();
        const ImageLayers layers = indexImageLayers(ia, 0, known);
        const MergedTree tree = MergedTree::build(layers.layers, int(layers.layers.size()) - 1);
        const int node = resolveInTree(tree, path.toUtf8(), false, &error);
        QVERIFY2(node >= 0, qPrintable(error));

        // cat of the first regular file below the path: the same bytes, from the copy kept.
        int file = -1;
        for (QList<int> todo { node }; !todo.isEmpty() && file < 0;) {
            const int at = todo.takeFirst();
            if (at == tree.root() || tree.entry(at).type == EntryType::Directory)
                todo += tree.children(at);
            else if (tree.entry(at).type == EntryType::File)
                file = at;
        }
        if (file >= 0) {
            QByteArray kept, read;
            const qint64 before = work::counters().layerPasses;
            QCOMPARE(copyLayerFile(
                         ia, 0, tree.layers(), tree.node(file).layer, tree.node(file).entry,
                         [&](const char *d, qint64 k) { return kept.append(d, k), true; }, {}, &staged),
                QString());
            if (onePass)
                QCOMPARE(work::counters().layerPasses, before);
            const int same = resolveInTree(plainTree, tree.path(file), false, &error);
            QVERIFY(same >= 0);
            QCOMPARE(copyLayerFile(plain, 0, plainTree.layers(), plainTree.node(same).layer, plainTree.node(same).entry,
                         [&](const char *d, qint64 k) { return read.append(d, k), true; }),
                QString());
            QCOMPARE(kept, read);
        }

        const qint64 passes = work::counters().layerPasses;
        const ExtractResult r = extractNode(ia, 0, tree, node, dest, false, {}, &staged);
        QVERIFY2(r.ok(), qPrintable(r.error));
        extractPasses = work::counters().layerPasses - passes;
        // The copies that counted were moved out, the others removed.
        QCOMPARE(staged.count(), 0);
    }
    if (onePass)
        QCOMPARE(extractPasses, 0);
    else
        QVERIFY(extractPasses > 0);
    // The folder the copies were kept in is gone; the files are those of the plain extraction.
    QCOMPARE(test::folderListing(dest), test::folderListing(reference));
    QVERIFY(!test::folderListing(reference).isEmpty());
}

// cat names one file: only copies at that path are kept, so that a folder named by mistake
// (`lamina cat x.tar.gz /`) copies nothing before it is refused.
void TestLayers::killedRunsKeptFilesRemoved()
{
    QTemporaryDir scratch;
    const QString parent = scratch.filePath(QStringLiteral("tmp"));
    const auto keepOne = [&](StagedFiles &staged, const char *bytes) {
        const std::unique_ptr<FileCapture> capture = staged.captureOf(0);
        const int fd = capture ? capture->begin(7, "etc/f", 3) : -1;
        const bool ok = fd >= 0 && ::write(fd, bytes, 3) == 3;
        if (capture)
            capture->end(7, ok);
        return ok && staged.count() == 1;
    };
    // A cat killed while it kept a file (a child that keeps one and ends without cleaning up).
    const pid_t child = ::fork();
    QVERIFY(child >= 0);
    if (child == 0) {
        StagedFiles staged({ "etc/f" }, parent, false, 1 << 20);
        ::_exit(keepOne(staged, "abc") ? 0 : 1);
    }
    int status = 0;
    QCOMPARE(::waitpid(child, &status, 0), child);
    QVERIFY(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    const auto listing
        = [&] { return QDir(parent).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot); };
    QCOMPARE(listing().size(), 1);
    const QString left = listing().constFirst();
    QVERIFY(QFileInfo::exists(parent + u'/' + left + QStringLiteral("/0-7")));
    // A name that only looks like one of Lamina's temporaries, of that same dead process: the user's.
    const QString lookalike = QStringLiteral(".staged.lamina-part-%1-1-0123456789abcdef01234567").arg(child);
    QVERIFY(QDir(parent).mkdir(lookalike));
    {
        StagedFiles staged({ "etc/f" }, parent, false, 1 << 20);
        QVERIFY(keepOne(staged, "xyz"));
        // The next run's folder made, the dead one's gone with what it held.
        QCOMPARE(listing().size(), 2);
        QVERIFY(!listing().contains(left));
        QVERIFY(listing().contains(lookalike));
    }
    QCOMPARE(listing(), QStringList { lookalike });
}

void TestLayers::catKeepsTheNamedFileOnly()
{
    const QString archive = m_dir.filePath(QStringLiteral("dive-cat.tar.gz"));
    QVERIFY(test::gzipWhole(test::corpus(QStringLiteral("dive__test-docker-image.tar")), archive));
    QTemporaryDir scratch;
    const auto kept = [&](const QByteArray &path, bool below) {
        StagedFiles staged({ path }, scratch.path(), below);
        StreamedLayers streamed;
        streamed.stage(&staged);
        const ImageArchive ia = openImageArchive(archive, {}, {}, streamed.tap());
        return ia.ok() ? staged.count() : -1;
    };
    QCOMPARE(kept("/", false), 0);
    QCOMPARE(kept("root", false), 0);
    QVERIFY(kept("root", true) > 1);
    // root/saved.txt: moved there in layer 7, made executable in layer 13 (`lamina history`).
    QCOMPARE(kept("root/saved.txt", false), 2);
    QCOMPARE(kept("root/saved.txt", true), 2);
    QVERIFY(QDir(scratch.path()).isEmpty(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot));
}

void TestLayers::mergeBudget()
{
    qint64 entries = 0;
    for (const auto &l : m_layers.layers)
        entries += l->size();
    QVERIFY(entries > 1);
    QList<ImageSizes> sizes;
    LayerIndexOptions options;
    options.maxMergedEntries = entries;
    indexAllImageLayers(m_ia, options, {}, &sizes);
    QCOMPARE(sizes.size(), 1);
    QVERIFY2(sizes.at(0).error.isEmpty(), qPrintable(sizes.at(0).error));
    const ImageSizes full = sizes.at(0);
    QCOMPARE(full.layers.constLast().cumulative, imageSizes(m_layers).layers.constLast().cumulative);

    options.maxMergedEntries = entries - 1;
    indexAllImageLayers(m_ia, options, {}, &sizes);
    QVERIFY2(sizes.at(0).error.contains(u"kMaxMergedEntriesTotal"), qPrintable(sizes.at(0).error));
    // What the layers alone tell is still there.
    QCOMPARE(sizes.at(0).layers.size(), full.layers.size());
    for (int l = 0; l < full.layers.size(); ++l)
        QCOMPARE(sizes.at(0).layers.at(l).fileCount, full.layers.at(l).fileCount);
}

// The window's file tree and the composer's base ask for the same tree at once: it is built once
// and shared while either holds it; work that borrows it (verification, the preview's checks)
// builds a lean one of its own only when none is alive.
void TestLayers::sharedTreeIsBuiltOnce()
{
    const int top = int(m_layers.layers.size()) - 1;
    QVERIFY(top > 0);
    QVERIFY(!liveMergedTree(m_layers.layers, top));
    const MergedTree *lean = borrowOrBuildTree(m_layers.layers, top).get();
    QVERIFY(lean);
    QVERIFY(!liveMergedTree(m_layers.layers, top)); // the lean one is nobody's to share

    std::shared_ptr<const MergedTree> a, b;
    std::thread other([&] { b = sharedMergedTree(m_layers.layers, top); });
    a = sharedMergedTree(m_layers.layers, top);
    other.join();
    QVERIFY(a);
    QCOMPARE(a.get(), b.get());
    QCOMPARE(liveMergedTree(m_layers.layers, top).get(), a.get());
    QCOMPARE(borrowOrBuildTree(m_layers.layers, top).get(), a.get());
    QVERIFY(!a->changes().isEmpty()); // with the top layer's changes, as the window shows them
    // Another top is another tree.
    const auto below = sharedMergedTree(m_layers.layers, top - 1);
    QVERIFY(below.get() != a.get());
    QCOMPARE(below->nodeCount(), MergedTree::build(m_layers.layers, top - 1).nodeCount());

    a.reset();
    QVERIFY(liveMergedTree(m_layers.layers, top)); // b still holds it
    b.reset();
    QVERIFY(!liveMergedTree(m_layers.layers, top));
}

// The window indexes an image and then shows its top layer's files: the tree the indexing merged
// for the sizes is that tree, handed over whole instead of built a second time.
void TestLayers::indexingHandsOverTheTreeItMerged()
{
    ImageSizes sizes;
    std::shared_ptr<const MergedTree> tree;
    const ImageLayers layers = indexImageLayers(m_ia, 0, {}, {}, {}, &sizes, &tree);
    QVERIFY(tree);
    const int top = int(layers.layers.size()) - 1;
    const MergedTree built = MergedTree::build(layers.layers, top);
    QCOMPARE(tree->nodeCount(), built.nodeCount());
    QCOMPARE(tree->topLayer(), built.topLayer());
    QCOMPARE(tree->changes().size(), built.changes().size());
    QVERIFY(!tree->changes().isEmpty());
    for (int i = 0; i < built.changes().size(); ++i) {
        QCOMPARE(tree->changes().at(i).path, built.changes().at(i).path);
        QCOMPARE(tree->changes().at(i).change, built.changes().at(i).change);
    }
    for (int n = 0; n < built.nodeCount(); ++n) {
        QCOMPARE(tree->path(n), built.path(n));
        QCOMPARE(tree->treeBytes(n), built.treeBytes(n));
    }
    QCOMPARE(sizes.wasted.wastedBytes, wastedSpace(built).wastedBytes);
    QCOMPARE(tree->layers(), layers.layers);

    // Adopted, it is the one everyone asking for that tree gets; a second adoption keeps the first.
    const MergedTree *const handed = tree.get();
    const auto shared = adoptMergedTree(layers.layers, top, std::move(tree));
    QCOMPARE(shared.get(), handed);
    QCOMPARE(sharedMergedTree(layers.layers, top).get(), handed);
    QCOMPARE(liveMergedTree(layers.layers, top).get(), handed);
    const auto again = adoptMergedTree(layers.layers, top, std::make_shared<const MergedTree>(built));
    QCOMPARE(again.get(), handed);
    QVERIFY(!adoptMergedTree(layers.layers, top, nullptr));

    // Without `sizes` there is no merge, hence no tree.
    std::shared_ptr<const MergedTree> none;
    indexImageLayers(m_ia, 0, {}, {}, {}, nullptr, &none);
    QVERIFY(!none);
}

QTEST_GUILESS_MAIN(TestLayers)
#include "tst_layers.moc"
