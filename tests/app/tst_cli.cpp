// SPDX-License-Identifier: MIT
// The command line as a script would use it: exit codes, --json keys, messages.
#include "format/imagearchive.h"
#include "testsupport.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QtEndian>

#include <sys/stat.h>

class TestCli : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void inspectJsonHasTheDocumentedKeys();
    void inspectTextNamesTagsAndLayers();
    void exitCodeTwoWhenNoImage_data();
    void exitCodeTwoWhenNoImage();
    void usage();
    void checkExitCodes_data();
    void checkExitCodes();
    void checkJsonAddsFindings();
    void checkExplainTellsWhatLoadersDo();
    void verifyReportsThroughput();
    void compressedArchiveReadOnce();
    void layerCommands();
    void indexCacheBetweenRuns();
    void netChangeOverARange();
    void historyOfAPath();
    void diffTwoImages();
    void convertKeepsTheImage();
    void composeByPlatformToAFolder();
    void inspectVerifyHashesWhileIndexing();
    void windowWithoutDisplaySaysWhatToDo();
    void commandsStartWithoutTheWindowLibraries();
    void scriptingDetails();

private:
    struct Run
    {
        int code = -1;
        QByteArray out;
        QByteArray err;
    };
    static Run lamina(
        const QStringList &args, const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
    {
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(LAMINA_BINARY), args);
        Run r;
        if (!p.waitForFinished(60000))
            return r;
        r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        r.out = p.readAllStandardOutput();
        r.err = p.readAllStandardError();
        return r;
    }
};

void TestCli::inspectJsonHasTheDocumentedKeys()
{
    const QString path = lamina::test::corpus(QStringLiteral("ggcr__test_link.tar"));
    const Run r = lamina({ QStringLiteral("inspect"), QStringLiteral("--json"), path });
    QCOMPARE(r.code, 0);
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(r.out, &err);
    QCOMPARE(err.error, QJsonParseError::NoError);
    const QJsonObject o = doc.object();
    QCOMPARE(o.value(u"path").toString(), path);
    QCOMPARE(o.value(u"container").toString(), QStringLiteral("tar"));
    QCOMPARE(o.value(u"compression").toString(), QStringLiteral("none"));
    QCOMPARE(o.value(u"layout").toString(), QStringLiteral("docker-manifest"));
    QVERIFY(o.value(u"errors").isArray());
    const QJsonArray images = o.value(u"images").toArray();
    QCOMPARE(images.size(), 2);
    const QJsonObject second = images.at(1).toObject();
    for (const char *key : { "tags", "platform", "configDigest", "layers", "legacyChain" })
        QVERIFY2(second.contains(QLatin1String(key)), key);
    QCOMPARE(second.value(u"tags").toArray().at(0).toString(), QStringLiteral("bazel/v1/tarball:test_image_3"));
    QCOMPARE(second.value(u"platform").toString(), QStringLiteral("linux/amd64"));
    QCOMPARE(second.value(u"legacyChain").toArray().size(), 2);
    const QJsonArray layers = second.value(u"layers").toArray();
    QCOMPARE(layers.size(), 2);
    for (int i = 0; i < layers.size(); ++i) {
        const QJsonObject l = layers.at(i).toObject();
        for (const char *key : { "index", "path", "diffId", "digest", "size", "mediaType", "compression", "legacyId" })
            QVERIFY2(l.contains(QLatin1String(key)), key);
        QCOMPARE(l.value(u"index").toInt(), i);
        QVERIFY(l.value(u"digest").isNull());
        QVERIFY(l.value(u"mediaType").isNull());
        QCOMPARE(l.value(u"compression").toString(), QStringLiteral("none"));
    }
    QCOMPARE(layers.at(1).toObject().value(u"size").toInteger(), 2048);
    // Bottom to top: the chain lists top first, the layers bottom first.
    QCOMPARE(
        layers.at(1).toObject().value(u"legacyId").toString(), second.value(u"legacyChain").toArray().at(0).toString());
}

void TestCli::inspectTextNamesTagsAndLayers()
{
    const Run r
        = lamina({ QStringLiteral("inspect"), lamina::test::corpus(QStringLiteral("trivy__alpine-311.tar.gz")) });
    QCOMPARE(r.code, 0);
    const QString text = QString::fromUtf8(r.out);
    QVERIFY(text.contains(u"alpine:3.11"));
    QVERIFY(text.contains(u"gzip-compressed"));
    QVERIFY(text.contains(u"sha256:beee9f30bc1f"));
    QVERIFY(text.contains(u"legacy chain"));
}

void TestCli::exitCodeTwoWhenNoImage_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("message");
    QTest::newRow("empty tar") << lamina::test::corpus(QStringLiteral("scalibr__empty.tar")) << "holds no members";
    QTest::newRow("null manifest") << lamina::test::corpus(QStringLiteral("ggcr__null_manifest.tar"))
                                   << "JSON literal null";
    QTest::newRow("bad index") << lamina::test::corpus(QStringLiteral("trivy__test_bad_index_json.oci"))
                               << "not valid JSON";
    QTest::newRow("missing") << QStringLiteral("/nonexistent/archive.tar") << "no such file";
    QTest::newRow("not an archive") << lamina::test::corpus(QStringLiteral("CATALOG.md")) << "not a tar archive";
}

void TestCli::exitCodeTwoWhenNoImage()
{
    QFETCH(QString, path);
    QFETCH(QString, message);
    const Run json = lamina({ QStringLiteral("inspect"), QStringLiteral("--json"), path });
    QCOMPARE(json.code, 2);
    const QJsonObject o = QJsonDocument::fromJson(json.out).object();
    QCOMPARE(o.value(u"images").toArray().size(), 0);
    QVERIFY2(o.value(u"errors").toArray().at(0).toString().contains(message), json.out.constData());
    const Run text = lamina({ QStringLiteral("inspect"), path });
    QCOMPARE(text.code, 2);
    QVERIFY(QString::fromUtf8(text.out).contains(message));
    QVERIFY(text.err.contains("no image could be read"));
}

void TestCli::usage()
{
    QCOMPARE(lamina({ QStringLiteral("--help") }).code, 0);
    QVERIFY(lamina({ QStringLiteral("--help") }).out.contains("lamina inspect"));
    const Run noPath = lamina({ QStringLiteral("inspect") });
    QCOMPARE(noPath.code, 2);
    QVERIFY(noPath.err.contains("PATH is missing"));
    QCOMPARE(lamina({ QStringLiteral("inspect"), QStringLiteral("--bogus"), QStringLiteral("x") }).code, 2);
    // compose -o registry://: what cannot be pushed is refused before anything is written or sent.
    const QString base = lamina::test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    const QString digest = QStringLiteral("@sha256:") + QString(64, u'a');
    const QList<std::pair<QStringList, QByteArray>> refused {
        { { QStringLiteral("-o"), QStringLiteral("registry://127.0.0.1:9/x") + digest }, "a push names a tag" },
        { { QStringLiteral("--format"), QStringLiteral("docker"), QStringLiteral("-o"),
              QStringLiteral("registry://127.0.0.1:9/x:1") },
            "pushes an OCI image" },
        { { QStringLiteral("-o"), QStringLiteral("registry://127.0.0.1:9/x:1"), QStringLiteral("--load"),
              QStringLiteral("podman") },
            "do not go together" },
        { { QStringLiteral("-o"), QStringLiteral("registry://Bad Name") }, "not a registry reference" },
    };
    for (const auto &[args, said] : refused) {
        const Run r = lamina(
            QStringList { QStringLiteral("compose"), base, QStringLiteral("--write"), QStringLiteral("/x:y") } + args);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(said), r.err.constData());
    }
    // Nothing listens there: said, and nothing is left behind in the cache.
    QTemporaryDir cache;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_CACHE_HOME"), cache.path());
    const Run noRegistry = lamina({ QStringLiteral("compose"), base, QStringLiteral("--write"), QStringLiteral("/x:y"),
                                      QStringLiteral("-o"), QStringLiteral("registry://127.0.0.1:9/x:1") },
        env);
    QCOMPARE(noRegistry.code, 2);
    QVERIFY2(noRegistry.err.contains("cannot connect to 127.0.0.1:9"), noRegistry.err.constData());
    QVERIFY(QDir(cache.filePath(QStringLiteral("lamina/registry")))
                .entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden)
                .isEmpty());
    // --insecure is taken by every command that reads a PATH (and compose), and the reference is
    // still asked for: nothing listens at port 9.
    QVERIFY(lamina({ QStringLiteral("--help") }).out.contains("--insecure"));
    const QString far = QStringLiteral("registry://127.0.0.1:9/x:1");
    const QString insecure = QStringLiteral("--insecure");
    const QList<QStringList> commands {
        { QStringLiteral("inspect"), insecure, far },
        { QStringLiteral("check"), insecure, far },
        { QStringLiteral("verify"), insecure, far },
        { QStringLiteral("ls"), insecure, far },
        { QStringLiteral("cat"), insecure, far, QStringLiteral("/etc/os-release") },
        { QStringLiteral("history"), insecure, far, QStringLiteral("/etc") },
        { QStringLiteral("extract"), insecure, far, QStringLiteral("/etc"), cache.filePath(QStringLiteral("out")) },
        { QStringLiteral("diff"), insecure, far, base },
        { QStringLiteral("convert"), insecure, far, QStringLiteral("--format"), QStringLiteral("oci"),
            QStringLiteral("-o"), cache.filePath(QStringLiteral("out.tar")) },
        { QStringLiteral("compose"), far, QStringLiteral("--write"), QStringLiteral("/x:y"), insecure,
            QStringLiteral("-o"), cache.filePath(QStringLiteral("out.tar")) },
        { QStringLiteral("compose"), base, QStringLiteral("--write"), QStringLiteral("/x:y"), insecure,
            QStringLiteral("-o"), far },
    };
    for (const QStringList &args : commands) {
        const Run r = lamina(args, env);
        const QByteArray said = r.out + r.err; // inspect and check say why on stdout
        QVERIFY2(r.code == 2 && said.contains("cannot connect to 127.0.0.1:9") && !said.contains("unknown option")
                && !said.contains("Usage:"),
            qPrintable(args.join(u' ') + u'\n' + QString::fromUtf8(said)));
    }
}

void TestCli::checkExitCodes_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("code");
    QTest::newRow("clean docker save") << lamina::test::corpus(QStringLiteral("dive__test-docker-image.tar")) << 0;
    // An OCI layout alone: Docker ≤ 28 refuses it (oci-only), current loaders load it.
    QTest::newRow("warning only") << lamina::test::corpus(QStringLiteral("dive__test-oci-uncompressed-image.tar")) << 0;
    QTest::newRow("unreadable") << lamina::test::corpus(QStringLiteral("ggcr__null_manifest.tar")) << 2;
    QTest::newRow("nothing there") << QStringLiteral("/nonexistent.tar") << 2;
}

void TestCli::checkExitCodes()
{
    QFETCH(QString, path);
    QFETCH(int, code);
    QCOMPARE(lamina({ QStringLiteral("check"), path }).code, code);
}

void TestCli::checkJsonAddsFindings()
{
    // An archive with an error finding: a layer whose bytes were changed, caught by --verify.
    QTemporaryDir dir;
    const QString tar = dir.filePath(QStringLiteral("changed.tar"));
    QVERIFY(QFile::copy(lamina::test::corpus(QStringLiteral("cimage__almostempty.tar")), tar));
    QFile::setPermissions(tar, QFile::ReadOwner | QFile::WriteOwner);
    const Run before = lamina({ QStringLiteral("check"), QStringLiteral("--json"), QStringLiteral("--verify"), tar });
    QCOMPARE(before.code, 0);
    const QJsonObject clean = QJsonDocument::fromJson(before.out).object();
    QVERIFY(clean.value(u"findings").isArray());
    QCOMPARE(clean.value(u"layout").toString(), QStringLiteral("docker-manifest")); // the inspect keys are kept
    const QJsonObject layer
        = clean.value(u"images").toArray().at(0).toObject().value(u"layers").toArray().at(0).toObject();
    QFile f(tar);
    QVERIFY(f.open(QIODevice::ReadWrite));
    const QByteArray all = f.readAll();
    // The layer is a 1536-byte tar: change a byte of its first header's name field.
    const qsizetype at = all.indexOf(QByteArrayLiteral("ustar"), all.indexOf("layer.tar") + 512) - 257;
    QVERIFY(at > 0);
    QVERIFY(f.seek(at));
    QVERIFY(f.putChar('Z'));
    f.close();
    const Run after = lamina({ QStringLiteral("check"), QStringLiteral("--json"), QStringLiteral("--verify"), tar });
    QCOMPARE(after.code, 1);
    const QJsonArray findings = QJsonDocument::fromJson(after.out).object().value(u"findings").toArray();
    QCOMPARE(findings.size(), 1);
    const QJsonObject finding = findings.at(0).toObject();
    QCOMPARE(finding.value(u"code").toString(), QStringLiteral("diffid-mismatch"));
    QCOMPARE(finding.value(u"severity").toString(), QStringLiteral("error"));
    QCOMPARE(finding.value(u"image").toInt(), 0);
    QCOMPARE(finding.value(u"layers").toArray().at(0).toInt(), 0);
    QCOMPARE(finding.value(u"members").toArray().at(0).toString(), layer.value(u"path").toString());
    for (const char *loader : { "docker-classic", "containerd", "podman", "ggcr" })
        QVERIFY(!finding.value(u"loaders").toObject().value(QLatin1String(loader)).toString().isEmpty());
    // Without --verify the change is invisible.
    QCOMPARE(lamina({ QStringLiteral("check"), tar }).code, 0);
}

void TestCli::checkExplainTellsWhatLoadersDo()
{
    const QString sample = lamina::test::source(QStringLiteral("resources/samples/nix-buildimage-on-layered.tar.gz"));
    const Run brief = lamina({ QStringLiteral("check"), sample });
    QVERIFY(brief.out.contains("WARNING dangling-parent"));
    QVERIFY(!brief.out.contains("podman / skopeo"));
    const Run explained = lamina({ QStringLiteral("check"), QStringLiteral("--explain"), sample });
    QVERIFY(explained.out.contains("c88337c9"));
    QVERIFY(explained.out.contains("podman / skopeo"));
    QVERIFY(explained.out.contains("Docker 29 / containerd"));
    // A folder is judged as the tar of its contents, and the text says so: umoci's layout has no
    // manifest.json, which Docker's classic store needs (it said "loads" when folders were not judged).
    const Run folder = lamina({ QStringLiteral("check"), lamina::test::corpus(QStringLiteral("gen__umoci-layout")) });
    QVERIFY2(folder.out.contains("A folder: what each loader does with a tar of its contents"), folder.out.constData());
    QVERIFY2(folder.out.contains("Docker 1.10–24: refuses (oci-only"), folder.out.constData());
    QVERIFY2(folder.out.contains("go-containerregistry: refuses (oci-only)"), folder.out.constData());
    QVERIFY(!brief.out.contains("A folder"));
}

void TestCli::verifyReportsThroughput()
{
    const QString path = lamina::test::corpus(QStringLiteral("gen__skopeo-oci-archive.tar"));
    QTemporaryDir cache;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_CACHE_HOME"), cache.path());
    const Run r = lamina({ QStringLiteral("verify"), path }, env);
    QCOMPARE(r.code, 0);
    QVERIFY2(!r.err.contains("index cache"), r.err.constData()); // all read now: the cache was empty
    // Every byte of every layer file is counted, whichever pass hashed it (the indexing hashes
    // most of them; the count once said 0.0 MB).
    const lamina::ImageArchive ia = lamina::openImageArchive(path);
    QSet<int> layerFiles;
    for (const lamina::Image &image : ia.images)
        for (const lamina::ImageLayer &l : image.layers)
            if (l.member >= 0)
                layerFiles.insert(l.member);
    QCOMPARE(layerFiles.size(), 14);
    qint64 bytes = 0;
    for (const int m : std::as_const(layerFiles))
        bytes += ia.archive->member(m).size;
    const QByteArray said
        = QStringLiteral("verified 14 layer file(s), %1 MB in ").arg(double(bytes) / 1e6, 0, 'f', 1).toUtf8();
    QVERIFY2(bytes > 100000 && r.err.contains(said) && r.err.contains("MB/s"), r.err.constData());
    // Again: the digests the first run kept are not taken for bytes read now.
    const Run again = lamina({ QStringLiteral("verify"), path }, env);
    QCOMPARE(again.code, 0);
    QVERIFY2(again.err.contains(said)
            && again.err.contains("0.0 MB read and hashed now, the rest's digests from the index cache"),
        again.err.constData());
    // Gzip'd as a whole: each run hashes every layer (while the archive opens), and the bytes it
    // reads are the compressed archive's, which are fewer than the layers' and once made it say
    // that the rest came from the index cache.
    // dive's layers are stored uncompressed: the archive gzip'd shrinks.
    const QString whole = cache.filePath(QStringLiteral("whole.tar.gz"));
    QVERIFY(lamina::test::gzipWhole(lamina::test::corpus(QStringLiteral("dive__test-docker-image.tar")), whole));
    for (int run = 0; run < 2; ++run) {
        const Run z = lamina({ QStringLiteral("verify"), whole }, env);
        QVERIFY2(z.err.contains("verified 14 layer file(s), 1.5 MB in ") && !z.err.contains("index cache"),
            z.err.constData());
    }
}

// A tar compressed as a whole cannot be read at an offset: the commands that need its layers
// index them in the pass that opens it. Counted by the kernel (rchar of /proc/PID/io, which adds
// up the reads of the children a shell waited for), less what starting the program reads.
void TestCli::compressedArchiveReadOnce()
{
    QTemporaryDir dir;
    const QString plain = lamina::test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    const QString whole = dir.filePath(QStringLiteral("dive.tar.gz"));
    QVERIFY(lamina::test::gzipWhole(plain, whole));
    const qint64 size = QFileInfo(whole).size();
    const auto bytesRead = [](const QStringList &args) -> qint64 {
        QProcess p;
        p.start(QStringLiteral("sh"),
            QStringList { QStringLiteral("-c"),
                QStringLiteral("\"$0\" \"$@\" >/dev/null 2>&1; sed -n 's/^rchar: //p' /proc/$$/io"),
                QStringLiteral(LAMINA_BINARY) }
                + args);
        if (!p.waitForFinished(60000) || p.exitCode() != 0)
            return -1;
        return p.readAllStandardOutput().trimmed().toLongLong();
    };
    const qint64 starting = bytesRead({ QStringLiteral("--version") });
    QVERIFY(starting > 0);
    const struct
    {
        QStringList args;
        int passes; // over the archive: opening it, and whatever the command reads after
    } commands[] = {
        { { QStringLiteral("inspect"), whole }, 1 },
        { { QStringLiteral("inspect"), QStringLiteral("--verify"), whole }, 1 },
        { { QStringLiteral("verify"), whole }, 1 },
        { { QStringLiteral("ls"), whole }, 1 },
        { { QStringLiteral("ls"), QStringLiteral("--layer"), QStringLiteral("3"), whole }, 1 },
        { { QStringLiteral("diff"), whole, QStringLiteral("--image"), QStringLiteral("0"), QStringLiteral("--image"),
              QStringLiteral("0") },
            1 },
        { { QStringLiteral("diff"), whole, whole }, 2 }, // each side opened once
        // Every copy of the file, or of the files below the folder, is kept as the opening
        // streams past it; the one that counts is used, not read again.
        { { QStringLiteral("cat"), whole, QStringLiteral("root/saved.txt") }, 1 },
        { { QStringLiteral("extract"), whole, QStringLiteral("root"), dir.filePath(QStringLiteral("root.once")) }, 1 },
        { { QStringLiteral("extract"), whole, QStringLiteral("/etc"), dir.filePath(QStringLiteral("etc.once")) }, 1 },
    };
    for (const auto &c : commands) {
        const qint64 read = bytesRead(c.args) - starting;
        QVERIFY2(read >= size && read < c.passes * size + size / 2,
            qPrintable(QStringLiteral("lamina %1 read %2 bytes; the archive has %3")
                           .arg(c.args.join(u' '))
                           .arg(read)
                           .arg(size)));
    }
    // The same answers as from the archive as it is.
    QCOMPARE(lamina({ QStringLiteral("ls"), whole }).out, lamina({ QStringLiteral("ls"), plain }).out);
    QCOMPARE(lamina({ QStringLiteral("cat"), whole, QStringLiteral("root/saved.txt") }).out,
        lamina({ QStringLiteral("cat"), plain, QStringLiteral("root/saved.txt") }).out);
    for (const QString &folder : { QStringLiteral("root"), QStringLiteral("etc") }) {
        const QString from = dir.filePath(folder + QStringLiteral(".plain"));
        QCOMPARE(lamina({ QStringLiteral("extract"), plain, folder, from }).code, 0);
        const QStringList extracted = lamina::test::folderListing(from);
        QVERIFY(extracted.size() > 1);
        QCOMPARE(lamina::test::folderListing(dir.filePath(folder + QStringLiteral(".once"))), extracted);
    }
    // Not in the layer asked for: the destination made for the copies kept is removed again.
    const QString none = dir.filePath(QStringLiteral("none/below"));
    const Run missing = lamina({ QStringLiteral("extract"), QStringLiteral("--layer"), QStringLiteral("0"), whole,
        QStringLiteral("root/saved.txt"), none });
    QCOMPARE(missing.code, 1);
    QVERIFY2(missing.err.contains("not in layer 0 of image 0"), missing.err.constData());
    QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("none"))));
}

// dive's test image: layer 6 copies somefile3.txt into /root/example, layer 7 moves it to
// /root/saved.txt, layer 9 removes /root/example. Over a range only the net change shows.
void TestCli::netChangeOverARange()
{
    const QString tar = lamina::test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    const auto rows = [&tar](const QStringList &args) {
        const Run r
            = lamina(QStringList { QStringLiteral("ls"), QStringLiteral("--json") } + args + QStringList { tar });
        QStringList out;
        for (const QJsonValue &v : QJsonDocument::fromJson(r.out).array())
            out << v.toObject().value(u"change").toString() + u' ' + v.toObject().value(u"path").toString();
        return out;
    };
    // One layer alone: the copy and the move each show.
    QCOMPARE(rows({ QStringLiteral("--from"), QStringLiteral("7"), QStringLiteral("--upto"), QStringLiteral("7") }),
        (QStringList { QStringLiteral("D root/example/somefile3.txt"), QStringLiteral("A root/saved.txt") }));
    // Layers 6-7 together: somefile3.txt came and went; only saved.txt is new.
    QCOMPARE(rows({ QStringLiteral("--from"), QStringLiteral("6"), QStringLiteral("--upto"), QStringLiteral("7") }),
        QStringList { QStringLiteral("A root/saved.txt") });
    // Layers 6-9: what existed before 6 under /root/example is deleted, nothing of 6 is listed.
    const QStringList wide
        = rows({ QStringLiteral("--from"), QStringLiteral("6"), QStringLiteral("--upto"), QStringLiteral("9") });
    QVERIFY2(wide.contains(QStringLiteral("D root/example/somefile1.txt")), qPrintable(wide.join(u'|')));
    QVERIFY(wide.contains(QStringLiteral("A root/.saved.txt")));
    QVERIFY(!wide.join(u'|').contains(QStringLiteral("somefile3")));
    // From 0: everything the image holds, as added.
    const QStringList all = rows({ QStringLiteral("--from"), QStringLiteral("0") });
    QVERIFY(all.contains(QStringLiteral("A root/saved.txt")));
    QVERIFY(!all.join(u'|').contains(u"D "));
    // The text form marks each line; a range backwards or past the top is refused.
    const Run text = lamina({ QStringLiteral("ls"), QStringLiteral("--from"), QStringLiteral("6"),
        QStringLiteral("--upto"), QStringLiteral("7"), tar, QStringLiteral("root") });
    QCOMPARE(text.code, 0);
    QVERIFY2(
        text.out.startsWith("A -rw-r--r-- 0:0") && text.out.trimmed().endsWith("root/saved.txt"), text.out.constData());
    const Run backwards = lamina({ QStringLiteral("ls"), QStringLiteral("--from"), QStringLiteral("9"),
        QStringLiteral("--upto"), QStringLiteral("6"), tar });
    QCOMPARE(backwards.code, 2);
    QVERIFY(backwards.err.contains("--from 9 comes after --upto 6"));
    const Run past = lamina({ QStringLiteral("ls"), QStringLiteral("--from"), QStringLiteral("99"), tar });
    QCOMPARE(past.code, 2);
    QVERIFY(past.err.contains("the image has 14 layer(s), 0 to 13"));
}

// dive's test image: somefile1.txt copied in layer 3, chmod 444 in 4, its folder removed in 9.
void TestCli::historyOfAPath()
{
    const QString tar = lamina::test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    const Run r = lamina(
        { QStringLiteral("history"), QStringLiteral("--json"), tar, QStringLiteral("/root/example/somefile1.txt") });
    QCOMPARE(r.code, 0);
    const QJsonArray events = QJsonDocument::fromJson(r.out).array();
    QStringList seen;
    for (const QJsonValue &v : events)
        seen << QStringLiteral("%1 %2 %3")
                    .arg(v[u"layer"].toInt())
                    .arg(v[u"change"].toString(), v[u"mode"].isNull() ? QStringLiteral("-") : v[u"mode"].toString());
    QCOMPARE(seen,
        (QStringList {
            QStringLiteral("3 added 0644"), QStringLiteral("4 changed 0444"), QStringLiteral("9 removed -") }));
    // The bytes did not change with the mode: one digest, that of the file cat prints.
    const QByteArray bytes = lamina({ QStringLiteral("cat"), QStringLiteral("--layer"), QStringLiteral("3"), tar,
                                        QStringLiteral("root/example/somefile1.txt") })
                                 .out;
    const QString digest = QStringLiteral("sha256:")
        + QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex());
    QCOMPARE(events.at(0)[u"digest"].toString(), digest);
    QCOMPARE(events.at(1)[u"digest"].toString(), digest);
    QVERIFY(events.at(2)[u"digest"].isNull());
    QCOMPARE(events.at(0)[u"owner"].toString(), QStringLiteral("0:0"));
    QCOMPARE(events.at(1)[u"createdBy"].toString(), QStringLiteral("/bin/sh -c chmod 444 /root/example/somefile1.txt"));
    // Text: each layer with its command, then what it did.
    const Run text = lamina({ QStringLiteral("history"), tar, QStringLiteral("root/example/somefile1.txt") });
    QCOMPARE(text.code, 0);
    QVERIFY2(text.out.contains("layer 9: /bin/sh -c rm -rf /root/example/\n  D removed root/example/somefile1.txt"),
        text.out.constData());
    // A path no layer touches: exit 1, said.
    const Run none = lamina({ QStringLiteral("history"), tar, QStringLiteral("no/such/file") });
    QCOMPARE(none.code, 1);
    QVERIFY(none.err.contains("no layer of image 0 stores or removes no/such/file"));
}

// lamina diff: exit status as diff(1), the JSON keys the issue names, both ways of naming images.
void TestCli::diffTwoImages()
{
    QTemporaryDir dir;
    QCOMPARE(lamina::test::runPython(
                 { lamina::test::source(QStringLiteral("tests/fixtures/make_diff_pairs.py")), dir.path() }),
        0);
    const QString a = dir.filePath(QStringLiteral("mtime-a.tar"));
    const QString b = dir.filePath(QStringLiteral("mtime-b.tar"));
    const Run differ = lamina({ QStringLiteral("diff"), QStringLiteral("--json"), a, b });
    QCOMPARE(differ.code, 1);
    const QJsonObject o = QJsonDocument::fromJson(differ.out).object();
    QCOMPARE(o.value(u"identical").toBool(true), false);
    QCOMPARE(o.value(u"why")[u"timestamps"].toInt(), 1);
    QCOMPARE(o.value(u"why")[u"content"].toInt(), 0);
    const QJsonObject file = o.value(u"files").toArray().at(0).toObject();
    QCOMPARE(file.value(u"path").toString(), QStringLiteral("/srv/app.txt"));
    QCOMPARE(file.value(u"change").toString(), QStringLiteral("changed"));
    QCOMPARE(file.value(u"causes").toArray(), QJsonArray { QStringLiteral("mtime") });
    QCOMPARE(o.value(u"b")[u"path"].toString(), b);
    // The text says it in one line.
    const Run text = lamina({ QStringLiteral("diff"), a, b });
    QCOMPARE(text.code, 1);
    QVERIFY2(text.out.contains("only timestamps (1 file(s), 29 bytes)"), text.out.constData());
    QVERIFY(text.out.contains("  M srv/app.txt  [mtime]"));
    // The same image: 0.
    const Run same = lamina({ QStringLiteral("diff"), a, a });
    QCOMPARE(same.code, 0);
    QVERIFY(same.out.contains("identical"));
    // Two images of one archive.
    const QString layout = lamina::test::corpus(QStringLiteral("gen__umoci-layout"));
    const Run two = lamina({ QStringLiteral("diff"), QStringLiteral("--json"), layout, QStringLiteral("--image"),
        QStringLiteral("0"), QStringLiteral("--image"), QStringLiteral("1") });
    QCOMPARE(two.code, 1);
    const QJsonObject t = QJsonDocument::fromJson(two.out).object();
    QCOMPARE(t.value(u"a")[u"image"].toInt(), 0);
    QCOMPARE(t.value(u"b")[u"image"].toInt(), 1);
    QStringList added;
    for (const QJsonValue &f : t.value(u"files").toArray())
        if (f[u"change"].toString() == u"added")
            added << f[u"path"].toString();
    QCOMPARE(added, (QStringList { QStringLiteral("/opt/new"), QStringLiteral("/opt/new/c") }));
    // Unreadable: 2, said.
    const Run missing = lamina({ QStringLiteral("diff"), a, dir.filePath(QStringLiteral("none.tar")) });
    QCOMPARE(missing.code, 2);
    QVERIFY(missing.err.contains("none.tar"));
    const Run one = lamina({ QStringLiteral("diff"), a });
    QCOMPARE(one.code, 2);
    QVERIFY(one.err.contains("--image N --image M"));
    const Run beyond = lamina({ QStringLiteral("diff"), layout, QStringLiteral("--image"), QStringLiteral("0"),
        QStringLiteral("--image"), QStringLiteral("5") });
    QCOMPARE(beyond.code, 2);
    QVERIFY(beyond.err.contains("2 image(s)"));
}

// lamina convert: an OCI archive written as a docker archive, its image ID and tag kept, what it
// repaired said; refusals exit 2.
void TestCli::convertKeepsTheImage()
{
    QTemporaryDir dir;
    const QString in = lamina::test::corpus(QStringLiteral("gen__skopeo-oci-archive.tar"));
    const QString out = dir.filePath(QStringLiteral("converted.tar"));
    const Run r = lamina({ QStringLiteral("convert"), in, QStringLiteral("--format"), QStringLiteral("docker"),
        QStringLiteral("-o"), out });
    QCOMPARE(r.code, 0);
    QVERIFY2(r.err.contains("image ID sha256:eb99e5721b7addd81a9061c1647c01c8ebd8edfcf02aba7c20a55f2456f14f2b (kept)"),
        r.err.constData());
    QVERIFY(r.err.contains("repaired oci-only:"));
    const Run check = lamina({ QStringLiteral("check"), out });
    QCOMPARE(check.code, 0);
    const Run same = lamina({ QStringLiteral("diff"), in, out });
    QVERIFY2(same.out.contains("only compression") || same.out.contains("identical"), same.out.constData());
    // Two images and no choice; a legacy-only archive, given the config Docker makes for it; no format.
    const Run two = lamina({ QStringLiteral("convert"), lamina::test::corpus(QStringLiteral("gen__umoci-layout")),
        QStringLiteral("--format"), QStringLiteral("oci"), QStringLiteral("-o"), dir.filePath(QStringLiteral("x")) });
    QCOMPARE(two.code, 2);
    QVERIFY(two.err.contains("holds 2 images"));
    const Run legacy = lamina({ QStringLiteral("convert"),
        lamina::test::corpus(QStringLiteral("ggcr__no_manifest.tar")), QStringLiteral("--format"),
        QStringLiteral("oci"), QStringLiteral("-o"), dir.filePath(QStringLiteral("y")) });
    // The ID Docker 20.10 gives this archive when it loads it (tst_loaders compares the two).
    QCOMPARE(legacy.code, 0);
    QVERIFY2(legacy.err.contains("image ID sha256:a2673db3c3d86a802c915e140274aed9d62464681af1371c881d7f5821b05645 "
                                 "(made: the input has no config; Docker's legacy loader gives the input this ID)"),
        legacy.err.constData());
    QVERIFY(legacy.err.contains("repaired legacy-only:"));
    QCOMPARE(lamina({ QStringLiteral("check"), dir.filePath(QStringLiteral("y")) }).code, 0);
    QCOMPARE(lamina({ QStringLiteral("convert"), in, QStringLiteral("-o"), out }).code, 2);
}

// The commands keep layer indexes in $XDG_CACHE_HOME/lamina/index (docs/layers.md): a second
// inspect says the same from them; LAMINA_INDEX_CACHE_MB=0 keeps nothing.
void TestCli::indexCacheBetweenRuns()
{
    QTemporaryDir dir;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_CACHE_HOME"), dir.filePath(QStringLiteral("cache")));
    const QStringList args { QStringLiteral("inspect"), QStringLiteral("--json"),
        lamina::test::corpus(QStringLiteral("dive__test-docker-image.tar")) };
    const Run first = lamina(args, env);
    QCOMPARE(first.code, 0);
    const QDir index(dir.filePath(QStringLiteral("cache/lamina/index")));
    int files = 0;
    for (QDirIterator it(index.path(), { QStringLiteral("*.idx") }, QDir::Files, QDirIterator::Subdirectories);
         it.hasNext(); it.next())
        ++files;
    QCOMPARE(files, 14); // one per layer
    const Run second = lamina(args, env);
    QCOMPARE(second.code, 0);
    QCOMPARE(second.out, first.out);
    env.insert(QStringLiteral("LAMINA_INDEX_CACHE_MB"), QStringLiteral("0"));
    env.insert(QStringLiteral("XDG_CACHE_HOME"), dir.filePath(QStringLiteral("off")));
    QCOMPARE(lamina(args, env).out, first.out);
    QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("off/lamina"))));
}

void TestCli::layerCommands()
{
    QTemporaryDir dir;
    const QString tar = dir.filePath(QStringLiteral("rules.tar"));
    QCOMPARE(
        lamina::test::runPython({ lamina::test::source(QStringLiteral("tests/fixtures/make_layer_rules.py")), tar }),
        0);

    const Run ls = lamina({ QStringLiteral("ls"), QStringLiteral("--json"), QStringLiteral("--changes"),
        QStringLiteral("--layer"), QStringLiteral("1"), tar });
    QCOMPARE(ls.code, 0);
    const QJsonArray entries = QJsonDocument::fromJson(ls.out).array();
    QHash<QString, QJsonObject> byPath;
    for (const QJsonValue &v : entries)
        byPath.insert(v.toObject().value(u"path").toString(), v.toObject());
    for (const char *key : { "path", "type", "size", "mode", "uid", "gid", "linkTarget", "change" })
        QVERIFY(byPath.value(QStringLiteral("f1link")).contains(QLatin1String(key)));
    QCOMPARE(byPath.value(QStringLiteral("f1link")).value(u"linkTarget").toString(), QStringLiteral("f1"));
    QCOMPARE(byPath.value(QStringLiteral("f1link")).value(u"type").toString(), QStringLiteral("hardlink"));
    QCOMPARE(byPath.value(QStringLiteral("f1")).value(u"change").toString(), QStringLiteral("M"));
    QCOMPARE(byPath.value(QStringLiteral("usr/new")).value(u"change").toString(), QStringLiteral("A"));
    QCOMPARE(byPath.value(QStringLiteral("d")).value(u"change").toString(), QStringLiteral("D"));
    QCOMPARE(byPath.value(QStringLiteral("bin/sh")).value(u"mode").toString(), QStringLiteral("0755"));

    // Layer 2 replaces f1: f1link is a file of its own in the merged tree (issue 16 item 6).
    const Run top = lamina({ QStringLiteral("ls"), QStringLiteral("--json"), tar, QStringLiteral("f1link") });
    QCOMPARE(top.code, 0);
    const QJsonObject f1link = QJsonDocument::fromJson(top.out).array().at(0).toObject();
    QCOMPARE(f1link.value(u"type").toString(), QStringLiteral("file"));
    QCOMPARE(f1link.value(u"size").toInteger(), 9);
    QVERIFY(f1link.value(u"linkTarget").isNull());

    const Run merged = lamina({ QStringLiteral("ls"), tar, QStringLiteral("usr") });
    QCOMPARE(merged.code, 0);
    QCOMPARE(QString::fromUtf8(merged.out).count(u'\n'), 2); // usr and usr/new
    QCOMPARE(lamina({ QStringLiteral("ls"), QStringLiteral("--layer"), QStringLiteral("9"), tar }).code, 2);

    QCOMPARE(lamina({ QStringLiteral("cat"), tar, QStringLiteral("f1") }).out, QByteArray("v2"));
    QCOMPARE(
        lamina({ QStringLiteral("cat"), QStringLiteral("--upto"), QStringLiteral("0"), tar, QStringLiteral("f1") }).out,
        QByteArray("v0"));
    QCOMPARE(
        lamina({ QStringLiteral("cat"), QStringLiteral("--layer"), QStringLiteral("0"), tar, QStringLiteral("a/gone") })
            .out,
        QByteArray("gone0"));
    const Run gone = lamina({ QStringLiteral("cat"), tar, QStringLiteral("a/gone") });
    QCOMPARE(gone.code, 1);
    QVERIFY(gone.err.contains("not in the image"));
    // A folder is not a file; nor is the root, which has no entry to say so.
    for (const QString &folder : { QStringLiteral("usr"), QStringLiteral("/"), QStringLiteral(".") }) {
        const Run notFile = lamina({ QStringLiteral("cat"), tar, folder });
        QCOMPARE(notFile.code, 1);
        QVERIFY2(notFile.err.contains("not a file"), notFile.err.constData());
    }

    const QString dest = dir.filePath(QStringLiteral("out"));
    const Run extract = lamina({ QStringLiteral("extract"), tar, QStringLiteral("usr"), dest });
    QCOMPARE(extract.code, 0);
    QVERIFY(QFileInfo::exists(dest + QStringLiteral("/usr/new")));

    const Run inspect = lamina({ QStringLiteral("inspect"), QStringLiteral("--json"), tar });
    const QJsonObject image = QJsonDocument::fromJson(inspect.out).object().value(u"images").toArray().at(0).toObject();
    QCOMPARE(image.value(u"wastedBytes").toInteger(), 1024); // layer 1's f1 (9 bytes) lives on as f1link
    const QJsonObject layer1 = image.value(u"layers").toArray().at(1).toObject();
    QCOMPARE(layer1.value(u"contribution").toInteger(), -993);
    QCOMPARE(layer1.value(u"fileCount").toInt(), 5);
    QVERIFY(layer1.value(u"uncompressedSize").toInteger() > 0);
}

void TestCli::composeByPlatformToAFolder()
{
    QTemporaryDir dir;
    QCOMPARE(lamina::test::runPython(
                 { lamina::test::source(QStringLiteral("tests/fixtures/make_fixtures.py")), dir.path() }),
        0);
    const QString out = dir.filePath(QStringLiteral("arm"));
    const Run r = lamina({ QStringLiteral("compose"), dir.filePath(QStringLiteral("oci-dir")),
        QStringLiteral("--platform"), QStringLiteral("linux/arm64/v8"), QStringLiteral("--write"),
        QStringLiteral("/etc/motd:hi"), QStringLiteral("--format"), QStringLiteral("oci-dir"),
        QStringLiteral("--layer-compression"), QStringLiteral("zstd"), QStringLiteral("-o"), out });
    QVERIFY2(r.code == 0, QByteArray(r.out + r.err).constData());
    const Run inspect = lamina({ QStringLiteral("inspect"), QStringLiteral("--json"), out });
    QCOMPARE(inspect.code, 0);
    const QJsonObject image = QJsonDocument::fromJson(inspect.out).object().value(u"images").toArray().at(0).toObject();
    QCOMPARE(image.value(u"platform").toString(), QStringLiteral("linux/arm64/v8"));
    QCOMPARE(image.value(u"layers").toArray().size(), 3);
    const Run cat = lamina({ QStringLiteral("cat"), out, QStringLiteral("/etc/motd") });
    QCOMPARE(cat.out, QByteArray("hi"));
    const Run none = lamina({ QStringLiteral("compose"), dir.filePath(QStringLiteral("oci-dir")),
        QStringLiteral("--platform"), QStringLiteral("linux/ppc64le"), QStringLiteral("--mkdir"), QStringLiteral("/x"),
        QStringLiteral("-o"), dir.filePath(QStringLiteral("no.tar")) });
    QCOMPARE(none.code, 2);
    QVERIFY2(none.err.contains("no image for linux/ppc64le"), none.err.constData());
    QCOMPARE(lamina({ QStringLiteral("compose"), QStringLiteral("--platform"), QStringLiteral("arm64"),
                        QStringLiteral("-o"), out })
                 .code,
        2);
}

void TestCli::inspectVerifyHashesWhileIndexing()
{
    // Uncompressed layers (a Docker save) and gzip layers (skopeo's OCI archive): every layer
    // verified in the same read that lists its entries.
    for (const QString &path : { lamina::test::source(QStringLiteral("resources/samples/docker24-save.tar")),
             lamina::test::corpus(QStringLiteral("gen__skopeo-oci-archive.tar")) }) {
        const Run r = lamina({ QStringLiteral("inspect"), QStringLiteral("--json"), QStringLiteral("--verify"), path });
        QCOMPARE(r.code, 0);
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QVERIFY(o.value(u"verification").toArray().isEmpty());
        const QJsonArray layers = o.value(u"images").toArray().at(0).toObject().value(u"layers").toArray();
        QVERIFY(!layers.isEmpty());
        for (const QJsonValue &l : layers) {
            QCOMPARE(l.toObject().value(u"verified").toBool(), true);
            QVERIFY(l.toObject().value(u"uncompressedSize").toDouble() > 0);
        }
        const Run text = lamina({ QStringLiteral("inspect"), QStringLiteral("--verify"), path });
        QVERIFY2(text.out.contains("Verified: every layer matches its digests"), text.out.constData());
    }
    // One flipped byte in the third layer (layers 1 and 3 share one file): that layer, and only it, fails.
    QTemporaryDir dir;
    const QString damaged = dir.filePath(QStringLiteral("damaged.tar"));
    QVERIFY(QFile::copy(lamina::test::source(QStringLiteral("resources/samples/docker24-save.tar")), damaged));
    const lamina::ImageArchive ia = lamina::openImageArchive(damaged);
    QCOMPARE(ia.images.at(0).layers.size(), 4);
    const lamina::Member &m = ia.archive->member(ia.images.at(0).layers.at(2).member);
    {
        QFile f(damaged);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.seek(m.dataOffset + 512 + 3)); // inside the first file's data
        char c = 0;
        QVERIFY(f.getChar(&c));
        QVERIFY(f.seek(m.dataOffset + 512 + 3));
        QVERIFY(f.putChar(char(c ^ 1)));
    }
    const Run r = lamina({ QStringLiteral("inspect"), QStringLiteral("--json"), QStringLiteral("--verify"), damaged });
    QCOMPARE(r.code, 1);
    const QJsonObject o = QJsonDocument::fromJson(r.out).object();
    QCOMPARE(o.value(u"verification").toArray().at(0).toObject().value(u"code").toString(),
        QStringLiteral("diffid-mismatch"));
    const QJsonArray layers = o.value(u"images").toArray().at(0).toObject().value(u"layers").toArray();
    for (int i = 0; i < layers.size(); ++i)
        QVERIFY2(layers.at(i).toObject().value(u"verified").toBool() == (i != 2), qPrintable(QString::number(i)));
}

void TestCli::windowWithoutDisplaySaysWhatToDo()
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *name : { "DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM" })
        env.remove(QString::fromLatin1(name));
    p.setProcessEnvironment(env);
    p.start(
        QStringLiteral(LAMINA_BINARY), { lamina::test::source(QStringLiteral("resources/samples/docker24-save.tar")) });
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit); // not Qt's abort
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(p.readAllStandardError().contains("lamina inspect PATH"));
}

void TestCli::commandsStartWithoutTheWindowLibraries()
{
    // The program itself needs no GUI library: the window is a module loaded only for a window.
    QProcess readelf;
    readelf.start(QStringLiteral("readelf"), { QStringLiteral("-d"), QStringLiteral(LAMINA_BINARY) });
    QVERIFY(readelf.waitForFinished(30000));
    const QByteArray needed = readelf.readAllStandardOutput();
    QVERIFY(needed.contains("libQt6Core.so"));
    QVERIFY2(!needed.contains("libQt6Gui.so") && !needed.contains("libQt6Widgets.so"), needed.constData());
    // That module beside it opens the window (offscreen here): a screenshot of a sample.
    QTemporaryDir dir;
    const QString shot = dir.filePath(QStringLiteral("shot.png"));
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(LAMINA_BINARY),
        { QStringLiteral("--screenshot"), shot, QStringLiteral("--size"), QStringLiteral("800x600"),
            lamina::test::source(QStringLiteral("resources/samples/docker24-save.tar")) });
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    QFile png(shot);
    QVERIFY(png.open(QIODevice::ReadOnly));
    const QByteArray head = png.read(24); // signature, then the IHDR chunk: width at byte 16
    QVERIFY(head.startsWith("\x89PNG"));
    QCOMPARE(qFromBigEndian<quint32>(head.constData() + 16), 800u);
    // The bench's probe: the steps it does as a user would, each timed; an unknown one refused.
    // The window keeps layer indexes in the cache as the commands do (its module has a copy of
    // core of its own, which main() does not reach): a first run stores them, a second reads them.
    QProcess probe;
    QProcessEnvironment probeEnv = env;
    probeEnv.insert(QStringLiteral("XDG_CACHE_HOME"), dir.filePath(QStringLiteral("cache")));
    probeEnv.remove(QStringLiteral("LAMINA_INDEX_CACHE_MB"));
    probe.setProcessEnvironment(probeEnv);
    probe.start(QStringLiteral(LAMINA_BINARY),
        { QStringLiteral("--ui-probe"), lamina::test::source(QStringLiteral("resources/samples/docker24-save.tar")),
            QStringLiteral("expand:etc"), QStringLiteral("expand:usr/local/bin"), QStringLiteral("filter:bin"),
            QStringLiteral("layer-only"), QStringLiteral("sort:size"), QStringLiteral("layer:1"),
            QStringLiteral("clear-filter"), QStringLiteral("regex"), QStringLiteral("expand-all"),
            QStringLiteral("finding:0"), QStringLiteral("compose") });
    QVERIFY(probe.waitForFinished(60000));
    QCOMPARE(probe.exitCode(), 0);
    const QString probed = QString::fromUtf8(probe.readAllStandardOutput());
    QVERIFY2(probed.contains(u"files shown: "), qPrintable(probed));
    QDirIterator stored(dir.filePath(QStringLiteral("cache/lamina/index")), QDir::Files, QDirIterator::Subdirectories);
    QVERIFY2(stored.hasNext(), "the window stored no layer index");
    for (const char *step : { "expand:etc", "expand:usr/local/bin", "filter:bin", "layer-only", "sort:size", "layer:1",
             "clear-filter", "regex", "expand-all", "finding:0", "compose" })
        QVERIFY2(QRegularExpression(
                     // The gap names what ran longest in it (an event, its type and its receiver's class,
                     // or the step's own call) and how many events it held.
                     QStringLiteral("^step %1: \\d+ ms, longest UI-thread gap \\d+ ms "
                                    "\\((no event|\\d+ ms in (the start|step \\S+|\\w+ to [\\w:]+); \\d+ event\\(s\\), "
                                    "\\d+ of them (the start|step \\S+|\\w+ to [\\w:]+))\\)$")
                         .arg(QLatin1String(step)),
                     QRegularExpression::MultilineOption)
                     .match(probed)
                     .hasMatch(),
            qPrintable(probed));
    // And its files view's tree, once the files were shown; opened again, the window takes that
    // tree (a cache file served is marked used: its time set to now).
    QDirIterator trees(dir.filePath(QStringLiteral("cache/lamina/index")), { QStringLiteral("*.tree") }, QDir::Files,
        QDirIterator::Subdirectories);
    QVERIFY2(trees.hasNext(), "the window stored no tree");
    const QString tree = trees.next();
    QVERIFY(!trees.hasNext());
    const QDateTime old = QDateTime::currentDateTimeUtc().addDays(-30);
    const auto inode = [](const QString &path) {
        struct stat st;
        return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? qint64(st.st_ino) : qint64(-1);
    };
    const qint64 storedInode = inode(tree);
    {
        QFile f(tree);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.setFileTime(old, QFileDevice::FileModificationTime));
    }
    probe.start(QStringLiteral(LAMINA_BINARY),
        { QStringLiteral("--ui-probe"), lamina::test::source(QStringLiteral("resources/samples/docker24-save.tar")) });
    QVERIFY(probe.waitForFinished(60000));
    QCOMPARE(probe.exitCode(), 0);
    QVERIFY(probe.readAllStandardOutput().contains("files shown: "));
    // Used (marked now), not written again (another file renamed there).
    QVERIFY2(QFileInfo(tree).lastModified() > old.addDays(29), "the tree was not taken from the cache");
    QCOMPARE(inode(tree), storedInode);
    probe.start(QStringLiteral(LAMINA_BINARY),
        { QStringLiteral("--ui-probe"), lamina::test::source(QStringLiteral("resources/samples/docker24-save.tar")),
            QStringLiteral("wiggle") });
    QVERIFY(probe.waitForFinished(60000));
    QCOMPARE(probe.exitCode(), 2);
    QVERIFY(probe.readAllStandardError().contains("unknown probe step wiggle"));
    // A step that cannot happen in this archive would measure nothing: refused, not reported.
    for (const char *step : { "image:1", "finding:1", "finding:-1" }) {
        probe.start(QStringLiteral(LAMINA_BINARY),
            { QStringLiteral("--ui-probe"), lamina::test::source(QStringLiteral("resources/samples/docker24-save.tar")),
                QLatin1String(step) });
        QVERIFY(probe.waitForFinished(60000));
        QCOMPARE(probe.exitCode(), 2);
        const QByteArray said = probe.readAllStandardError();
        QVERIFY2(said.contains(QByteArray("step ").append(step).append(": the archive has 1 ")), said.constData());
        QVERIFY(probe.readAllStandardOutput().indexOf("step ") < 0);
    }
    // Without the module, commands still work and a window says what is missing.
    const QString alone = dir.filePath(QStringLiteral("lamina"));
    QVERIFY(QFile::copy(QStringLiteral(LAMINA_BINARY), alone));
    QProcess cli;
    cli.start(alone,
        { QStringLiteral("check"), lamina::test::source(QStringLiteral("resources/samples/docker24-save.tar")) });
    QVERIFY(cli.waitForFinished(30000));
    QCOMPARE(cli.exitCode(), 0);
    QProcess window;
    window.setProcessEnvironment(env);
    window.start(alone, { lamina::test::source(QStringLiteral("resources/samples/docker24-save.tar")) });
    QVERIFY(window.waitForFinished(30000));
    QCOMPARE(window.exitStatus(), QProcess::NormalExit);
    QCOMPARE(window.exitCode(), 2);
    QVERIFY(window.readAllStandardError().contains("cannot load the window (lamina-window.so)"));
}

void TestCli::scriptingDetails()
{
    QTemporaryDir dir;
    const QString tar = dir.filePath(QStringLiteral("rules.tar"));
    QCOMPARE(
        lamina::test::runPython({ lamina::test::source(QStringLiteral("tests/fixtures/make_layer_rules.py")), tar }),
        0);

    // A file of another layer: said where it is.
    const Run cat = lamina(
        { QStringLiteral("cat"), QStringLiteral("--layer"), QStringLiteral("0"), tar, QStringLiteral("usr/new") });
    QCOMPARE(cat.code, 1);
    QVERIFY2(cat.err.contains("not in layer 0 of image 0; it is in layer(s) 1"), cat.err.constData());

    // Images are numbered from 0 in text as in --image and --json.
    const Run inspect = lamina({ QStringLiteral("inspect"), tar });
    QVERIFY2(inspect.out.contains("Image 0: ") && !inspect.out.contains("Image 1: "), inspect.out.constData());

    // ls --json answers on stdout with an object when the archive cannot be read, as inspect and check do.
    const QString junk = dir.filePath(QStringLiteral("junk.tar"));
    QFile f(junk);
    QVERIFY(f.open(QIODevice::WriteOnly) && f.write(QByteArray(2048, 'x')) == 2048);
    f.close();
    for (const QString &command : { QStringLiteral("ls"), QStringLiteral("check"), QStringLiteral("inspect") }) {
        const Run r = lamina({ command, QStringLiteral("--json"), junk });
        QCOMPARE(r.code, 2);
        const QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QVERIFY2(!o.value(u"errors").toArray().isEmpty(), qPrintable(command + u'\n' + QString::fromUtf8(r.out)));
    }

    // An unknown option without a display is an unknown option, not "no display".
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *name : { "DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM" })
        env.remove(QString::fromLatin1(name));
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(LAMINA_BINARY), { QStringLiteral("--bogus") });
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 2);
    const QByteArray err = p.readAllStandardError();
    QVERIFY2(err.contains("unknown option --bogus") && !err.contains("no display"), err.constData());
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
