// SPDX-License-Identifier: MIT
// The outer-archive reader: member index, data offsets, compression by magic, link resolution,
// truncation, and reading one member without touching the others.
#include "archive/archive.h"
#include "testsupport.h"

#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

using namespace lamina;

class TestArchive : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void normalise_data();
    void normalise();
    void sniff();
    void readsMembersBySeeking();
    void paxLongNames();
    void resolveLinks_data();
    void resolveLinks();
    void wholeArchiveCompression_data();
    void wholeArchiveCompression();
    void truncatedArchive();
    void unterminatedArchive_data();
    void unterminatedArchive();
    void readingOneMemberTouchesOnlyIt();
    void memberLargerThan8GiB();
    void folderLinksStayInside();
    void notAnArchive_data();
    void notAnArchive();
    void cancellation();
    void shortHeadsPastTheFirstThousand();
    void readAheadStopsWithTheReader();
    void readAheadCancelledReportsOnTheCallersThread();

private:
    QString file(const QString &name) const { return m_dir.filePath(name); }
    QTemporaryDir m_dir;
};

void TestArchive::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TestArchive::normalise_data()
{
    QTest::addColumn<QString>("in");
    QTest::addColumn<QString>("out");
    QTest::addColumn<bool>("escapes");
    QTest::newRow("plain") << "a/b"
                           << "a/b" << false;
    QTest::newRow("dot-slash") << "./a/b"
                               << "a/b" << false;
    QTest::newRow("absolute") << "/a//b/"
                              << "a/b" << false;
    QTest::newRow("inner-dotdot") << "a/../b"
                                  << "b" << false;
    QTest::newRow("escape") << "../etc/passwd"
                            << "" << true;
    QTest::newRow("deep-escape") << "a/../../b"
                                 << "" << true;
    QTest::newRow("root") << "./"
                          << "" << false;
    QTest::newRow("dot-inside") << "a/./b"
                                << "a/b" << false;
    QTest::newRow("trailing-slash") << "a/b/"
                                    << "a/b" << false;
    QTest::newRow("dotdot-last") << "a/b/.."
                                 << "a" << false;
    QTest::newRow("dot") << "."
                         << "" << false;
    QTest::newRow("dots-in-names") << "a.b/..c/.d"
                                   << "a.b/..c/.d" << false;
}

void TestArchive::normalise()
{
    QFETCH(QString, in);
    QFETCH(QString, out);
    QFETCH(bool, escapes);
    bool esc = false;
    QCOMPARE(normaliseMemberPath(in, &esc), out);
    QCOMPARE(esc, escapes);
}

void TestArchive::sniff()
{
    QCOMPARE(sniffCompression(QByteArray::fromHex("1f8b0800")), Compression::Gzip);
    QCOMPARE(sniffCompression(QByteArray::fromHex("28b52ffd00")), Compression::Zstd);
    QCOMPARE(sniffCompression(QByteArray::fromHex("fd377a585a00")), Compression::Xz);
    QCOMPARE(sniffCompression(QByteArrayLiteral("BZh91AY")), Compression::Bzip2);
    QCOMPARE(sniffCompression(QByteArray(512, '\0')), Compression::None);
    QCOMPARE(sniffCompression(QByteArrayLiteral("{\"a\":1}")), Compression::Unknown);
    QCOMPARE(sniffCompression(QByteArray(512, 'x')), Compression::Unknown);
}

void TestArchive::readsMembersBySeeking()
{
    QVERIFY(test::writeTar(file(QStringLiteral("plain.tar")),
        QStringLiteral("add('a.txt', b'alpha')\nadd('dir', type='dir')\nadd('dir/b.bin', bytes(range(256))*40)\n"
                       "add('./c.json', b'{\"k\": 1}')\n")));
    const auto opened = Archive::open(file(QStringLiteral("plain.tar")));
    QVERIFY2(opened.archive, qPrintable(opened.error));
    const Archive &ar = *opened.archive;
    QCOMPARE(ar.container(), Container::Tar);
    QCOMPARE(ar.compression(), Compression::None);
    QCOMPARE(ar.members().size(), 4);
    QVERIFY(ar.problems().isEmpty());
    const int b = ar.find(QStringLiteral("dir/b.bin"));
    QVERIFY(b >= 0);
    QVERIFY(ar.member(b).dataOffset > 0);
    QCOMPARE(ar.member(b).size, 256 * 40);
    QByteArray expected;
    for (int i = 0; i < 40; ++i)
        for (int c = 0; c < 256; ++c)
            expected.append(char(c));
    QCOMPARE(ar.read(b).data, expected);
    const int c = ar.find(QStringLiteral("c.json"));
    QCOMPARE(ar.member(c).storedPath, QStringLiteral("./c.json"));
    QCOMPARE(ar.read(c).data, QByteArrayLiteral("{\"k\": 1}"));
    QCOMPARE(ar.read(ar.find(QStringLiteral("dir"))).ok(), false);
    // A member larger than the caller's limit is refused, naming the limit.
    const auto limited = ar.read(b, 100);
    QVERIFY(!limited.ok());
    QVERIFY(limited.error.contains(u"100 bytes"));
    QCOMPARE(ar.children(QString()),
        (QStringList { QStringLiteral("a.txt"), QStringLiteral("c.json"), QStringLiteral("dir") }));
}

void TestArchive::paxLongNames()
{
    const QString longDir = QString(QLatin1Char('d')).repeated(120);
    const QString longName = longDir + QStringLiteral("/") + QString(QLatin1Char('f')).repeated(150);
    QVERIFY(test::writeTar(file(QStringLiteral("long.tar")),
        QStringLiteral("add('%1', b'long one')\nadd('short', b'x')\nadd('%2.lnk', type='sym', link='%1')\n")
            .arg(longName, longDir)));
    const auto opened = Archive::open(file(QStringLiteral("long.tar")));
    QVERIFY(opened.archive);
    const int idx = opened.archive->find(longName);
    QVERIFY(idx >= 0);
    QCOMPARE(opened.archive->read(idx).data, QByteArrayLiteral("long one"));
    const auto r = opened.archive->resolve(longDir + QStringLiteral(".lnk"));
    QCOMPARE(r.index, idx);
}

void TestArchive::resolveLinks_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("target"); // resolved path, or "" when it must fail
    QTest::addColumn<QString>("error"); // substring of the error
    QTest::newRow("plain") << "c/layer.tar"
                           << "c/layer.tar"
                           << "";
    QTest::newRow("relative symlink") << "b/layer.tar"
                                      << "c/layer.tar"
                                      << "";
    QTest::newRow("chain of two") << "a/layer.tar"
                                  << "c/layer.tar"
                                  << "";
    QTest::newRow("through a folder link") << "dirlink/layer.tar"
                                           << "c/layer.tar"
                                           << "";
    QTest::newRow("hardlink") << "h/layer.tar"
                              << "c/layer.tar"
                              << "";
    QTest::newRow("loop") << "loop1"
                          << ""
                          << "loop";
    QTest::newRow("self") << "self"
                          << ""
                          << "loop";
    QTest::newRow("escape relative") << "esc"
                                     << ""
                                     << "outside";
    QTest::newRow("escape absolute") << "abs"
                                     << ""
                                     << "outside";
    QTest::newRow("dangling") << "dangling"
                              << ""
                              << "not in the archive";
    QTest::newRow("missing") << "nope"
                             << ""
                             << "not in the archive";
}

void TestArchive::resolveLinks()
{
    static bool written = false;
    if (!written) {
        QVERIFY(test::writeTar(file(QStringLiteral("links.tar")),
            QStringLiteral("add('c/layer.tar', b'real layer')\n"
                           "add('b/layer.tar', type='sym', link='../c/layer.tar')\n"
                           "add('a/layer.tar', type='sym', link='../b/layer.tar')\n"
                           "add('dirlink', type='sym', link='c')\n"
                           "add('h/layer.tar', type='hard', link='c/layer.tar')\n"
                           "add('loop1', type='sym', link='loop2')\n"
                           "add('loop2', type='sym', link='loop1')\n"
                           "add('self', type='sym', link='self')\n"
                           "add('esc', type='sym', link='../../etc/passwd')\n"
                           "add('abs', type='sym', link='/etc/passwd')\n"
                           "add('dangling', type='sym', link='gone')\n")));
        written = true;
    }
    QFETCH(QString, path);
    QFETCH(QString, target);
    QFETCH(QString, error);
    const auto opened = Archive::open(file(QStringLiteral("links.tar")));
    QVERIFY(opened.archive);
    const Archive::Resolved r = opened.archive->resolve(path);
    if (target.isEmpty()) {
        QCOMPARE(r.index, -1);
        QVERIFY2(r.error.contains(error), qPrintable(r.error));
        QVERIFY(r.error.contains(path)); // names the member
    } else {
        QVERIFY2(r.error.isEmpty(), qPrintable(r.error));
        QCOMPARE(r.path, target);
        QCOMPARE(opened.archive->read(r.index).data, QByteArrayLiteral("real layer"));
    }
}

void TestArchive::wholeArchiveCompression_data()
{
    QTest::addColumn<QString>("tool");
    QTest::addColumn<int>("expected");
    QTest::newRow("gzip") << "gzip -n -c" << int(Compression::Gzip);
    QTest::newRow("zstd") << "zstd -q -c" << int(Compression::Zstd);
    QTest::newRow("xz") << "xz -c" << int(Compression::Xz);
    QTest::newRow("bzip2") << "bzip2 -c" << int(Compression::Bzip2);
}

void TestArchive::wholeArchiveCompression()
{
    QFETCH(QString, tool);
    QFETCH(int, expected);
    const QString tar = file(QStringLiteral("inner-%1.tar").arg(QString::fromLatin1(QTest::currentDataTag())));
    QVERIFY(test::writeTar(
        tar, QStringLiteral("add('manifest.json', b'[]')\nadd('blob', bytes(200000))\nadd('last.txt', b'the end')\n")));
    // No telling file name: the reader must go by the magic bytes.
    const QString packed = file(QStringLiteral("packed-%1.img").arg(QString::fromLatin1(QTest::currentDataTag())));
    QCOMPARE(QProcess::execute(QStringLiteral("sh"),
                 { QStringLiteral("-c"), QStringLiteral("%1 '%2' > '%3'").arg(tool, tar, packed) }),
        0);
    const auto opened = Archive::open(packed);
    QVERIFY2(opened.archive, qPrintable(opened.error));
    const Archive &ar = *opened.archive;
    QCOMPARE(int(ar.compression()), expected);
    QCOMPARE(ar.members().size(), 3);
    QCOMPARE(ar.member(0).dataOffset, -1);
    // Metadata is captured in the one pass; anything else is streamed again on demand.
    QVERIFY(ar.member(ar.find(QStringLiteral("manifest.json"))).captured);
    QCOMPARE(ar.read(ar.find(QStringLiteral("manifest.json"))).data, QByteArrayLiteral("[]"));
    QCOMPARE(ar.read(ar.find(QStringLiteral("last.txt"))).data, QByteArrayLiteral("the end"));
    QCOMPARE(ar.read(ar.find(QStringLiteral("blob"))).data, QByteArray(200000, '\0'));
    QCOMPARE(ar.head(ar.find(QStringLiteral("blob"))).size(), kHeadSize);
    // Released captures keep their head: the archive map's hex view and the blob checks read it.
    const int manifest = ar.find(QStringLiteral("manifest.json"));
    std::const_pointer_cast<Archive>(opened.archive)->releaseCaptured({});
    QVERIFY(!ar.member(manifest).captured);
    QCOMPARE(ar.head(manifest), QByteArrayLiteral("[]"));
    QCOMPARE(ar.read(manifest).data, QByteArrayLiteral("[]")); // streamed again
}

void TestArchive::truncatedArchive()
{
    const QString tar = file(QStringLiteral("whole.tar"));
    QVERIFY(test::writeTar(
        tar, QStringLiteral("add('manifest.json', b'[]')\nadd('big', bytes(range(256))*100)\nadd('after', b'x')\n")));
    QFile f(tar);
    QVERIFY(f.open(QIODevice::ReadWrite));
    QVERIFY(f.resize(512 * 3 + 10000)); // inside "big"'s 25600 bytes
    f.close();
    const auto opened = Archive::open(tar);
    QVERIFY2(opened.archive, qPrintable(opened.error));
    QVERIFY(opened.archive->truncated());
    // One cut, said once: by the member it is in, not again in the reader's words.
    QCOMPARE(opened.archive->problems().size(), 1);
    QVERIFY(opened.archive->problems().join(u'\n').contains(u"truncated"));
    QVERIFY(opened.archive->problems().join(u'\n').contains(u"big"));
    QCOMPARE(opened.archive->read(opened.archive->find(QStringLiteral("manifest.json"))).data, QByteArrayLiteral("[]"));
    const auto big = opened.archive->read(opened.archive->find(QStringLiteral("big")));
    QVERIFY(!big.ok());
    QVERIFY(big.error.contains(u"truncated"));
    // Read to the cut, or past file data skipped (as indexing does): the same truncation named.
    const QString said = QStringLiteral("big: truncated: the archive ends 10000 bytes into this member's 25600 bytes");
    for (const qint64 skipped : { 0, 4096, 20000 }) {
        QString error;
        const std::unique_ptr<MemberReader> r
            = opened.archive->openMember(opened.archive->find(QStringLiteral("big")), &error);
        QVERIFY2(r, qPrintable(error));
        QCOMPARE(r->skip(skipped), skipped);
        char buffer[4096];
        qint64 n = 0;
        while ((n = r->read(buffer, sizeof buffer)) > 0) { }
        QCOMPARE(n, -1);
        QCOMPARE(r->error(), said);
    }
}

void TestArchive::unterminatedArchive_data()
{
    QTest::addColumn<qint64>("size");
    QTest::addColumn<bool>("gzip");
    QTest::addColumn<QString>("after");
    // a.txt: header at 0, data to 1536; layer.tar (zeros, as a layer tar ends): 1536, data to
    // 4096; link: 4096, nothing after its header. Then two zero blocks, and tarfile's padding.
    QTest::newRow("whole") << qint64(-1) << false << QString();
    QTest::newRow("two zero blocks, no padding") << qint64(4608 + 1024) << false << QString();
    QTest::newRow("a lone zero block") << qint64(4608 + 512) << false << QString();
    QTest::newRow("after the link") << qint64(4608) << false << QStringLiteral("link");
    QTest::newRow("after zeros of data") << qint64(4096) << false << QStringLiteral("layer.tar");
    QTest::newRow("after a.txt's padding") << qint64(1536) << false << QStringLiteral("a.txt");
    QTest::newRow("gzip'd, after zeros of data") << qint64(4096) << true << QStringLiteral("layer.tar");
    QTest::newRow("gzip'd whole") << qint64(-1) << true << QString();
    // Cut inside a member: truncated, which says more.
    QTest::newRow("inside layer.tar") << qint64(3000) << false << QString();
}

void TestArchive::unterminatedArchive()
{
    QFETCH(qint64, size);
    QFETCH(bool, gzip);
    QFETCH(QString, after);
    const QString tag = QString::fromLatin1(QTest::currentDataTag()).replace(u' ', u'-').remove(u'\'');
    const QString tar = file(tag + QStringLiteral(".tar"));
    QVERIFY(test::writeTar(tar,
        QStringLiteral("add('a.txt', b'x' * 700)\nadd('layer.tar', bytes(2048))\nadd('link', type='sym', "
                       "link='a.txt')\n")));
    if (size >= 0) {
        QFile f(tar);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.resize(size));
    }
    QString path = tar;
    if (gzip) {
        path = tar + QStringLiteral(".gz");
        QVERIFY(test::gzipWhole(tar, path));
    }
    const auto opened = Archive::open(path);
    QVERIFY2(opened.archive, qPrintable(opened.error));
    QCOMPARE(opened.archive->unterminatedAfter(), after);
    QCOMPARE(opened.archive->truncated(), QByteArray(QTest::currentDataTag()).startsWith("inside"));
    QCOMPARE(opened.archive->members().size(), size == 1536 ? 1 : size == 3000 || size == 4096 ? 2 : 3);
}

void TestArchive::readingOneMemberTouchesOnlyIt()
{
    // A 2 GiB uncompressed archive, sparse on disk: two 1 GiB members, then a small one.
    const QString tar = file(QStringLiteral("big.tar"));
    const QString script = QStringLiteral(
        "import sys, tarfile\n"
        "f = open(sys.argv[1], 'wb')\n"
        "for name, size in (('one.bin', 1 << 30), ('two.bin', 1 << 30)):\n"
        "    ti = tarfile.TarInfo(name); ti.size = size\n"
        "    f.write(ti.tobuf(format=tarfile.PAX_FORMAT)); f.seek(size, 1)\n"
        "ti = tarfile.TarInfo('small.json'); data = b'{\"hello\": \"world\"}'; ti.size = len(data)\n"
        "f.write(ti.tobuf(format=tarfile.PAX_FORMAT)); f.write(data + bytes(512 - len(data)) + bytes(1024))\n"
        "f.close()\n");
    QCOMPARE(test::runPython({ QStringLiteral("-c"), script, tar }), 0);
    QVERIFY(QFileInfo(tar).size() > (2ll << 30));

    const auto opened = Archive::open(tar);
    QVERIFY2(opened.archive, qPrintable(opened.error));
    const Archive &ar = *opened.archive;
    QCOMPARE(ar.members().size(), 3);
    const qint64 afterOpen = ar.bytesRead();
    // Headers only: libarchive reads in 256 KiB chunks, a few per header; never the 2 GiB.
    QVERIFY2(afterOpen < 4 * 1024 * 1024, qPrintable(QString::number(afterOpen)));
    const int small = ar.find(QStringLiteral("small.json"));
    QCOMPARE(ar.read(small).data, QByteArrayLiteral("{\"hello\": \"world\"}"));
    QCOMPARE(ar.bytesRead() - afterOpen, ar.member(small).size);
    QCOMPARE(ar.member(ar.find(QStringLiteral("two.bin"))).size, 1ll << 30);
}

void TestArchive::memberLargerThan8GiB()
{
    const QString tar = file(QStringLiteral("huge.tar"));
    const QString script
        = QStringLiteral("import sys, tarfile\n"
                         "f = open(sys.argv[1], 'wb'); size = (8 << 30) + 512\n"
                         "ti = tarfile.TarInfo('huge.bin'); ti.size = size\n"
                         "f.write(ti.tobuf(format=tarfile.PAX_FORMAT)); f.seek(size, 1)\n"
                         "ti = tarfile.TarInfo('after.txt'); ti.size = 5\n"
                         "f.write(ti.tobuf(format=tarfile.PAX_FORMAT)); f.write(b'after' + bytes(507) + bytes(1024))\n"
                         "f.close()\n");
    QCOMPARE(test::runPython({ QStringLiteral("-c"), script, tar }), 0);
    const auto opened = Archive::open(tar);
    QVERIFY2(opened.archive, qPrintable(opened.error));
    QCOMPARE(opened.archive->member(0).size, (8ll << 30) + 512);
    QVERIFY(opened.archive->problems().isEmpty());
    QCOMPARE(opened.archive->read(opened.archive->find(QStringLiteral("after.txt"))).data, QByteArrayLiteral("after"));
    QVERIFY(!opened.archive->read(0).ok()); // over the in-memory limit, refused rather than read
    QVERIFY(opened.archive->bytesRead() < 4 * 1024 * 1024);
}

void TestArchive::folderLinksStayInside()
{
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("blobs/sha256")));
    QFile real(dir.filePath(QStringLiteral("blobs/sha256/real")));
    QVERIFY(real.open(QIODevice::WriteOnly));
    real.write("content");
    real.close();
    QVERIFY(QFile::link(QStringLiteral("real"), dir.filePath(QStringLiteral("blobs/sha256/inside"))));
    QVERIFY(QFile::link(QStringLiteral("/etc/hostname"), dir.filePath(QStringLiteral("blobs/sha256/absolute"))));
    QVERIFY(QFile::link(QStringLiteral("../../../outside"), dir.filePath(QStringLiteral("blobs/sha256/relative"))));
    const auto opened = Archive::open(dir.path());
    QVERIFY(opened.archive);
    const Archive &ar = *opened.archive;
    QCOMPARE(ar.container(), Container::Directory);
    const auto inside = ar.resolve(QStringLiteral("blobs/sha256/inside"));
    QCOMPARE(ar.read(inside.index).data, QByteArrayLiteral("content"));
    QVERIFY(ar.resolve(QStringLiteral("blobs/sha256/absolute")).error.contains(u"outside"));
    QVERIFY(ar.resolve(QStringLiteral("blobs/sha256/relative")).error.contains(u"outside"));
    // Reading a link member directly is refused: links are resolved inside, never on the host.
    QVERIFY(!ar.read(ar.find(QStringLiteral("blobs/sha256/absolute"))).ok());
}

void TestArchive::notAnArchive_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("error");
    QTest::newRow("empty file") << QByteArray() << "the file is empty (0 bytes)";
    // What a user who opened the wrong file needs to see: what it is instead.
    QTest::newRow("text") << QByteArray("just some text\n").repeated(100)
                          << "not a tar archive: it looks like text (it begins \u201cjust some text\u201d)";
    QTest::newRow("short text") << QByteArray("hello\n") << "it looks like text (it begins \u201chello\u201d)";
    QTest::newRow("zip") << QByteArray("PK\x03\x04\x14\0\0\0\x08\0", 10) + QByteArray(600, 'x')
                         << "a zip archive, not a tar archive";
    QByteArray noise;
    for (int i = 0; i < 4096; ++i)
        noise.append(char((i * 7919 + 13) % 251));
    QTest::newRow("noise") << noise << "not a tar archive";
    QTest::newRow("gzip of text") << QByteArray::fromBase64("H4sIAAAAAAAAA8tIzcnJBwCGphA2BQAAAA==")
                                  << "not a tar archive";
}

void TestArchive::notAnArchive()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, error);
    const QString path
        = file(QStringLiteral("bad-%1").arg(QString::fromLatin1(QTest::currentDataTag()).replace(u' ', u'-')));
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(content);
    f.close();
    const auto opened = Archive::open(path);
    QVERIFY(!opened.archive);
    QVERIFY2(opened.error.contains(error), qPrintable(opened.error));
    QVERIFY(opened.error.startsWith(QFileInfo(path).fileName() + u':'));
}

void TestArchive::cancellation()
{
    QVERIFY(test::writeTar(file(QStringLiteral("cancel.tar")), QStringLiteral("add('a', b'1')\nadd('b', b'2')\n")));
    std::atomic<bool> cancel { true };
    Progress p;
    p.cancel = &cancel;
    const auto opened = Archive::open(file(QStringLiteral("cancel.tar")), p);
    QVERIFY(!opened.archive || opened.archive->cancelled());
}

void TestArchive::shortHeadsPastTheFirstThousand()
{
    // More members than kMaxFullHeads, the last ones a tar layer, a gzip'd one and neither.
    const QString tar = file(QStringLiteral("heads.tar"));
    QVERIFY(test::writeTar(tar,
        QStringLiteral(
            "import gzip\n"
            "inner = io.BytesIO()\n"
            "with tarfile.open(fileobj=inner, mode='w') as l: l.addfile(tarfile.TarInfo('x'), io.BytesIO())\n"
            "for i in range(%1): add('m%06d' % i, b'%c' % (65 + i % 26) * 700)\n"
            "add('layer.tar', inner.getvalue())\n"
            "add('layer.tar.gz', gzip.compress(inner.getvalue(), mtime=0))\n"
            "add('junk', bytes(range(256)) * 3)\n")
            .arg(kMaxFullHeads + 10)));
    QCOMPARE(QProcess::execute(
                 QStringLiteral("sh"), { QStringLiteral("-c"), QStringLiteral("gzip -n -c '%1' > '%1.gz'").arg(tar) }),
        0);
    const auto plain = Archive::open(tar);
    const auto packed = Archive::open(tar + QStringLiteral(".gz"));
    QVERIFY2(plain.archive && packed.archive, qPrintable(plain.error + packed.error));
    const int layer = packed.archive->find(QStringLiteral("layer.tar"));
    const int gz = packed.archive->find(QStringLiteral("layer.tar.gz"));
    const int junk = packed.archive->find(QStringLiteral("junk"));
    QCOMPARE(packed.archive->members().size(), kMaxFullHeads + 13);
    // The first ones whole, the rest short; what they are is known all the same.
    QCOMPARE(packed.archive->head(0).size(), kHeadSize);
    QCOMPARE(packed.archive->head(0), plain.archive->head(0));
    QCOMPARE(packed.archive->head(layer).size(), kShortHeadSize);
    QCOMPARE(packed.archive->head(layer), plain.archive->head(layer).left(kShortHeadSize));
    QCOMPARE(plain.archive->head(layer).size(), kHeadSize);
    for (const auto &opened : { plain, packed }) {
        QCOMPARE(opened.archive->compressionOf(layer), Compression::None);
        QCOMPARE(opened.archive->compressionOf(gz), Compression::Gzip);
        QCOMPARE(opened.archive->compressionOf(junk), Compression::Unknown);
    }
    // The member itself is still read whole.
    QCOMPARE(packed.archive->read(layer).data, plain.archive->read(layer).data);
}

/// A gzip'd archive of one small member and 24 MiB that do not compress.
static QString writeIncompressible(const QString &path)
{
    const QString script = QStringLiteral("import gzip, io, os, sys, tarfile\n"
                                          "with gzip.open(sys.argv[1], 'wb', compresslevel=1) as g:\n"
                                          "    with tarfile.open(fileobj=g, mode='w') as t:\n"
                                          "        ti = tarfile.TarInfo('first'); ti.size = 5\n"
                                          "        t.addfile(ti, io.BytesIO(b'hello'))\n"
                                          "        ti = tarfile.TarInfo('noise'); ti.size = 24 << 20\n"
                                          "        t.addfile(ti, io.BytesIO(os.urandom(ti.size)))\n");
    return test::runPython({ QStringLiteral("-c"), script, path }) == 0 ? path : QString();
}

void TestArchive::readAheadStopsWithTheReader()
{
    const QString packed = writeIncompressible(file(QStringLiteral("noise.tar.gz")));
    QVERIFY(!packed.isEmpty());
    const auto opened = Archive::open(packed);
    QVERIFY2(opened.archive, qPrintable(opened.error));
    const Archive &ar = *opened.archive;
    // Reading the first member again stops the stream there, with the helper that reads ahead:
    // it is a few MiB ahead at most, never the whole file.
    const qint64 before = ar.bytesRead();
    const auto first = ar.read(ar.find(QStringLiteral("first")));
    QVERIFY2(first.ok(), qPrintable(first.error));
    QCOMPARE(first.data, QByteArrayLiteral("hello"));
    const qint64 read = ar.bytesRead() - before;
    QVERIFY2(read < 8 << 20, qPrintable(QString::number(read)));
    QVERIFY(QFileInfo(packed).size() > 24 << 20);
}

void TestArchive::readAheadCancelledReportsOnTheCallersThread()
{
    const QString packed = writeIncompressible(file(QStringLiteral("noise-cancel.tar.gz")));
    QVERIFY(!packed.isEmpty());
    std::atomic<bool> cancel { false };
    QList<QThread *> reportedOn;
    Progress p;
    p.cancel = &cancel;
    p.report = [&](qint64, qint64) {
        reportedOn << QThread::currentThread();
        cancel = true;
    };
    const auto opened = Archive::open(packed, p);
    QVERIFY(!reportedOn.isEmpty());
    for (QThread *t : std::as_const(reportedOn))
        QCOMPARE(t, QThread::currentThread());
    QVERIFY(!opened.archive || opened.archive->cancelled());
    if (opened.archive)
        QVERIFY(opened.archive->bytesRead() < QFileInfo(packed).size());
}

QTEST_GUILESS_MAIN(TestArchive)
#include "tst_archive.moc"
