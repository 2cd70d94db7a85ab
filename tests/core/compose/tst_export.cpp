// SPDX-License-Identifier: MIT
// Composing on real bases and writing docker archives that real tools accept: skopeo copies them
// (checking every digest), podman loads them and shows the settings; the nixpkgs case comes out
// with a consistent legacy chain; the same composition gives the same bytes.
#include "check/checks.h"
#include "compose/commandline.h"
#include "compose/composition.h"
#include "compose/compositionjson.h"
#include "compose/preview.h"
#include "format/imagearchive.h"
#include "layers/extract.h"
#include "layers/imagelayers.h"
#include "layers/indexcache.h"
#include "testsupport.h"
#include "util/sha256.h"
#include "util/workcounters.h"

#include <QDir>
#include <QDirIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <clocale>

#include <sys/stat.h>

using namespace lamina;

class TestExport : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void nixScenarioGetsAConsistentChain();
    void podmanLoadsIt_data();
    void podmanLoadsIt();
    void ociFolderOfOnePlatform();
    void wholeCompressedBaseOfCompressedLayers();
    void wholeCompressedBaseStreamedOnce_data();
    void wholeCompressedBaseStreamedOnce();
    void damagedBaseIsCaughtByTheVerification();
    void namesDoNotDependOnTheLocale();
    void everyBaseLayout_data();
    void everyBaseLayout();
    void reproducible();
    void refusals();
    void preflightChecks();
    void compressedOutput_data();
    void compressedOutput();
    void specFile();
    void ociFormats_data();
    void ociFormats();
    void ociBlobsHashedAsWritten_data();
    void ociBlobsHashedAsWritten();
    void compressedBaseDecompressedOnce();
    void baseBlobsWrittenByTheIndexingRead();
    void baseLayersWrittenWhileIndexed();
    void previewAgreesWithExport();
    void previewWritesOnlyChangedLayers();
    void commandLineMakesTheSameImage();
    void foldersKeepTheirAttributes();
    void tagsAreNormalisedOrRefused();
    void composeForScripts();
    void runnableOnBusybox_data();
    void runnableOnBusybox();

private:
    /// What follows from the format asked for, not from the content: an OCI layout without
    /// manifest.json (Docker ≤ 28 refuses it) or a compressed archive (podman 4.3 and containerd 1.x
    /// refuse it; docs/loaders.md).
    static bool formatChosen(const Finding &f)
    {
        return (f.code == u"oci-only" && f.severity == Severity::Warning) || f.code == u"archive-compressed";
    }
    static Composition nixComposition()
    {
        Composition c;
        c.basePath = test::source(QStringLiteral("resources/samples/nix-layered-base.tar"));
        LayerSpec layer;
        LayerOp mkdir;
        mkdir.kind = LayerOp::Mkdir;
        mkdir.imagePath = QStringLiteral("/example-output");
        mkdir.mode = 0777;
        layer.ops << mkdir;
        c.layers << layer;
        c.config.workingDir = QStringLiteral("/example-output");
        c.config.setEnv << qMakePair(QStringLiteral("PATH"), QStringLiteral("/bin:/usr/bin"));
        c.config.cmd = QStringList { QStringLiteral("/bin/sh"), QStringLiteral("-c"),
            QStringLiteral("echo hello > foo; cat foo") };
        c.tags << QStringLiteral("example:composed");
        return c;
    }
    static int run(const QString &program, const QStringList &args, QByteArray *out = nullptr, const QString &cwd = {})
    {
        QProcess p;
        if (!cwd.isEmpty())
            p.setWorkingDirectory(cwd);
        p.start(program, args);
        if (!p.waitForFinished(180000))
            return -1;
        if (out)
            *out = p.readAllStandardOutput() + p.readAllStandardError();
        return p.exitCode();
    }
    /// The compose bases of tests/fixtures/make_compose_bases.py, written once.
    QString composeBase(const QString &name)
    {
        const QString dir = m_dir.filePath(QStringLiteral("compose-bases"));
        if (!QFileInfo::exists(dir + u'/' + name)) {
            QString output;
            if (test::runPython({ test::source(QStringLiteral("tests/fixtures/make_compose_bases.py")), dir }, &output)
                != 0)
                qWarning("make_compose_bases.py: %s", qPrintable(output));
        }
        return dir + u'/' + name;
    }
    /// dive's image written again as an OCI folder of `compression` blobs (`name` in the test's
    /// folder): the base the tests of one read per base blob compose on, with the sizes of its
    /// layers as stored and uncompressed. An empty path when it could not be made.
    struct CompressedBase
    {
        QString path;
        qint64 stored = 0;
        qint64 uncompressed = 0;
    };
    CompressedBase compressedDive(const QString &name, Compression compression)
    {
        Composition first;
        first.basePath = test::corpus(QStringLiteral("dive__test-docker-image.tar"));
        first.created = QStringLiteral("2024-01-01T00:00:00Z");
        ExportOptions options;
        options.format = ExportFormat::OciDir;
        options.layerCompression = compression;
        options.output = m_dir.filePath(name);
        CompressedBase out;
        const ImageArchive base
            = exportComposition(first, options).ok() ? openImageArchive(options.output) : ImageArchive();
        if (base.images.size() != 1)
            return out;
        for (const ImageLayer &l : base.images.at(0).layers)
            out.stored += base.archive->member(l.member).size;
        for (const auto &index : indexImageLayers(base, 0).layers)
            out.uncompressed += index ? index->uncompressedSize : 0;
        out.path = options.output;
        return out;
    }
    /// A new layer writing one file.
    static LayerSpec textLayer(const QString &imagePath, const QByteArray &text)
    {
        LayerOp op;
        op.kind = LayerOp::WriteText;
        op.imagePath = imagePath;
        op.text = text;
        LayerSpec layer;
        layer.ops << op;
        return layer;
    }
    /// What those tests compose on it: a Cmd, no new layer.
    static Composition cmdShOn(const QString &base)
    {
        Composition c;
        c.basePath = base;
        c.config.cmd = QStringList { QStringLiteral("sh") };
        c.created = QStringLiteral("2024-01-02T00:00:00Z");
        return c;
    }

    QTemporaryDir m_dir;
};

void TestExport::initTestCase()
{
    QVERIFY(m_dir.isValid());
    for (const char *tool : { "skopeo", "podman" })
        if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty())
            QFAIL("skopeo and podman are needed; ./test installs them");
}

// tests/core/check/tst_loaders loads every archive these tests wrote with the real loaders: it names a folder
// to keep them in.
void TestExport::cleanupTestCase()
{
    const QString keep = qEnvironmentVariable("LAMINA_KEEP_EXPORTS");
    if (keep.isEmpty())
        return;
    QDir().mkpath(keep);
    const QFileInfoList files = QDir(m_dir.path()).entryInfoList(QDir::Files);
    for (const QFileInfo &fi : files)
        if (fi.suffix() != u"json" && !fi.fileName().startsWith(u"input-")) // outputs only
            QFile::copy(fi.filePath(), keep + u'/' + fi.fileName());
}

void TestExport::nixScenarioGetsAConsistentChain()
{
    const QString out = m_dir.filePath(QStringLiteral("nix.tar"));
    ExportOptions options;
    options.output = out;
    const ExportResult r = exportComposition(nixComposition(), options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QVERIFY(!r.base); // the base's opening goes with the export unless asked for (convert)
    for (const Finding &f : r.checks)
        QVERIFY2(f.severity == Severity::Info, qPrintable(f.code + QStringLiteral(": ") + f.message));
    const ImageArchive ia = openImageArchive(out);
    QVERIFY(ia.ok());
    const Image &img = ia.images.at(0);
    QCOMPARE(img.layers.size(), 3);
    // The chain, walked from the tag down along parent, is the manifest order reversed.
    QCOMPARE(img.legacyChainIds.size(), img.layers.size());
    for (int i = 0; i < img.layers.size(); ++i)
        QCOMPARE(img.layers.at(i).legacyId, img.legacyChainIds.at(img.layers.size() - 1 - i));
    for (const Finding &f : checkArchive(ia))
        QVERIFY(f.code != u"dangling-parent");
    QCOMPARE(img.configDigest, r.imageId);
    const QJsonObject cfg = img.config->config;
    QCOMPARE(cfg.value(u"WorkingDir").toString(), QStringLiteral("/example-output"));
    QCOMPARE(cfg.value(u"Cmd").toArray().at(2).toString(), QStringLiteral("echo hello > foo; cat foo"));
    // The base's other settings are kept, and the new layer has a meaningful history line.
    const ImageArchive base = openImageArchive(test::source(QStringLiteral("resources/samples/nix-layered-base.tar")));
    for (auto it = base.images.at(0).config->config.begin(); it != base.images.at(0).config->config.end(); ++it)
        if (it.key() != u"WorkingDir" && it.key() != u"Cmd" && it.key() != u"Env")
            QCOMPARE(cfg.value(it.key()), it.value());
    QVERIFY(img.config->history.constLast().createdBy.contains(u"MKDIR /example-output 0777"));
    // The folder is in the image, with its mode.
    const ImageLayers layers = indexImageLayers(ia, 0);
    const MergedTree tree = MergedTree::build(layers.layers, 2);
    const int node = tree.find("example-output");
    QVERIFY(node >= 0);
    QCOMPARE(tree.entry(node).mode, 0777u);
}

void TestExport::podmanLoadsIt_data()
{
    QTest::addColumn<int>("format");
    QTest::newRow("docker") << int(ExportFormat::Docker);
    QTest::newRow("docker-oci") << int(ExportFormat::DockerOci);
    QTest::newRow("oci") << int(ExportFormat::Oci);
    QTest::newRow("oci-dir") << int(ExportFormat::OciDir);
}

void TestExport::podmanLoadsIt()
{
    QFETCH(int, format);
    ExportOptions options;
    options.format = ExportFormat(format);
    options.output = m_dir.filePath(QStringLiteral("podman-%1").arg(format));
    const ExportResult r = exportComposition(nixComposition(), options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    const QString root = m_dir.filePath(QStringLiteral("podman-root"));
    const QString runroot = m_dir.filePath(QStringLiteral("podman-run"));
    const QStringList base { QStringLiteral("--root"), root, QStringLiteral("--runroot"), runroot,
        QStringLiteral("--storage-driver"), QStringLiteral("vfs") };
    QByteArray log;
    // podman 4.3 names an image loaded from a folder after the folder's path, which must then be
    // a valid (lowercase) reference: loaded by a relative name from the folder's parent. Archives
    // are named by their tag. Either way the image is looked up by the ID Lamina reported.
    QVERIFY2(
        run(QStringLiteral("podman"),
            base + QStringList { QStringLiteral("load"), QStringLiteral("-i"), QFileInfo(options.output).fileName() },
            &log, m_dir.path())
            == 0,
        log.constData());
    QByteArray inspect;
    QCOMPARE(run(QStringLiteral("podman"),
                 base + QStringList { QStringLiteral("image"), QStringLiteral("inspect"), r.imageId.mid(7) }, &inspect),
        0);
    const QJsonObject image = QJsonDocument::fromJson(inspect).array().at(0).toObject();
    QCOMPARE(image.value(u"Id").toString(), r.imageId.mid(7));
    if (options.format != ExportFormat::OciDir)
        QVERIFY2(image.value(u"RepoTags").toArray().contains(QJsonValue(QStringLiteral("localhost/example:composed"))),
            inspect.constData());
    const QJsonObject config = image.value(u"Config").toObject();
    QCOMPARE(config.value(u"WorkingDir").toString(), QStringLiteral("/example-output"));
    QCOMPARE(config.value(u"Cmd").toArray().size(), 3);
    QVERIFY(config.value(u"Env").toArray().contains(QJsonValue(QStringLiteral("PATH=/bin:/usr/bin"))));
    QCOMPARE(run(QStringLiteral("podman"),
                 base + QStringList { QStringLiteral("rmi"), QStringLiteral("--force"), r.imageId.mid(7) }, &log),
        0);
    // podman's storage is owned by the test: clean it up, vfs layers are read-only copies.
    run(QStringLiteral("chmod"), { QStringLiteral("-R"), QStringLiteral("u+w"), root });
}

void TestExport::ociFolderOfOnePlatform()
{
    // The fixture generator's multi-platform folder: linux/amd64 with gzip layers, linux/arm64/v8
    // with zstd layers.
    QString output;
    QVERIFY2(test::runPython({ test::source(QStringLiteral("tests/fixtures/make_fixtures.py")),
                                 m_dir.filePath(QStringLiteral("fixtures")) },
                 &output)
            == 0,
        qPrintable(output));
    const QString basePath = m_dir.filePath(QStringLiteral("fixtures/oci-dir"));
    const ImageArchive baseArchive = openImageArchive(basePath);
    QCOMPARE(baseArchive.images.size(), 2);
    QCOMPARE(baseArchive.images.at(1).platform.toString(), QStringLiteral("linux/arm64/v8"));

    Composition c = nixComposition();
    c.basePath = basePath;
    c.basePlatform = QStringLiteral("linux/arm64/v8");
    c.config.cmd = QStringList { QStringLiteral("/bin/sh") };
    ExportOptions options;
    options.format = ExportFormat::OciDir;
    options.layerCompression = Compression::Zstd;
    options.output = m_dir.filePath(QStringLiteral("arm-layout"));
    ExportResult r = exportComposition(c, options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(r.baseImage, 1);
    for (const Finding &f : r.checks)
        QVERIFY2(
            f.severity == Severity::Info || formatChosen(f), qPrintable(f.code + QStringLiteral(": ") + f.message));

    const ImageArchive written = openImageArchive(options.output);
    QCOMPARE(written.archive->container(), Container::Directory);
    QCOMPARE(written.layout, Layout::OciLayout);
    QCOMPARE(written.images.size(), 1);
    QCOMPARE(written.images.at(0).platform.toString(), QStringLiteral("linux/arm64/v8"));
    const QList<ImageLayer> &baseLayers = baseArchive.images.at(1).layers;
    QCOMPARE(written.images.at(0).layers.size(), baseLayers.size() + 1);
    // The zstd base blobs are copied as they are: same digests, same bytes, never recompressed.
    for (int i = 0; i < baseLayers.size(); ++i) {
        QCOMPARE(written.images.at(0).layers.at(i).digest, baseLayers.at(i).digest);
        QCOMPARE(written.images.at(0).layers.at(i).compression, Compression::Zstd);
    }
    QByteArray log;
    const QString dest = m_dir.filePath(QStringLiteral("arm-copy"));
    QVERIFY2(run(QStringLiteral("skopeo"),
                 { QStringLiteral("copy"), QStringLiteral("--quiet"),
                     QStringLiteral("oci:") + options.output + QStringLiteral(":composed"),
                     QStringLiteral("oci:") + dest + QStringLiteral(":t") },
                 &log)
            == 0,
        log.constData());

    // Written again over itself: the layout is replaced whole, and still complete.
    c.config.workingDir = QStringLiteral("/again");
    const ExportResult again = exportComposition(c, options);
    QVERIFY2(again.ok(), qPrintable(again.error));
    QVERIFY(again.imageId != r.imageId);
    QCOMPARE(openImageArchive(options.output).images.at(0).configDigest, again.imageId);
    QVERIFY(QDir(QFileInfo(options.output).absolutePath())
                .entryList({ QStringLiteral("*.lamina-part-*") }, QDir::AllEntries | QDir::Hidden)
                .isEmpty());
    const QStringList left
        = QDir(m_dir.path()).entryList({ QStringLiteral("*.lamina-part-*") }, QDir::AllEntries | QDir::Hidden);
    QVERIFY2(left.isEmpty(), qPrintable(left.join(u' ')));

    // A folder with anything else in it is the user's: refused, untouched.
    const QString mine = m_dir.filePath(QStringLiteral("mine"));
    QVERIFY(QDir().mkpath(mine));
    QFile note(mine + QStringLiteral("/notes.txt"));
    QVERIFY(note.open(QIODevice::WriteOnly) && note.write("keep me") == 7);
    note.close();
    options.output = mine;
    r = exportComposition(c, options);
    QVERIFY(r.error.contains(u"choose a new folder"));
    QCOMPARE(QDir(mine).entryList(QDir::Files), QStringList { QStringLiteral("notes.txt") });

    // A platform the base lacks is named, with those it has.
    c.basePlatform = QStringLiteral("linux/s390x");
    options.output = m_dir.filePath(QStringLiteral("s390x"));
    r = exportComposition(c, options);
    QVERIFY2(
        r.error.contains(u"linux/s390x") && r.error.contains(u"linux/arm64/v8") && r.error.contains(u"linux/amd64"),
        qPrintable(r.error));
    QVERIFY(!QFileInfo::exists(options.output));

    // Writing into the base folder is refused.
    c.basePlatform = QStringLiteral("linux/amd64");
    options.output = basePath + QStringLiteral("/inside");
    r = exportComposition(c, options);
    QVERIFY2(r.error.contains(u"inside the base folder"), qPrintable(r.error));
    QVERIFY(!QFileInfo::exists(options.output));
}

void TestExport::everyBaseLayout_data()
{
    QTest::addColumn<QString>("base");
    QTest::newRow("docker 18 save") << test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    QTest::newRow("skopeo docker archive (symlinked layers)")
        << test::corpus(QStringLiteral("gen__skopeo-docker-archive.tar"));
    QTest::newRow("skopeo oci archive (gzip layers)") << test::corpus(QStringLiteral("gen__skopeo-oci-archive.tar"));
    QTest::newRow("docker 25 hybrid") << test::corpus(QStringLiteral("ggcr__hello-world-v25.tar"));
    QTest::newRow("oci zstd layer") << test::corpus(QStringLiteral("dive__test-oci-zstd-image.tar"));
    QTest::newRow("umoci folder") << test::corpus(QStringLiteral("gen__umoci-layout"));
    QTest::newRow("nix layered") << test::corpus(QStringLiteral("gen__nix-stream-layered-image.tar"));
    QTest::newRow("jib") << test::corpus(QStringLiteral("jib__jib-image.tar"));
    QTest::newRow("docker save gzip'd whole") << test::corpus(QStringLiteral("trivy__alpine-311.tar.gz"));
    QTest::newRow("test_link (duplicate layer)") << test::corpus(QStringLiteral("ggcr__test_link.tar"));
}

void TestExport::everyBaseLayout()
{
    QFETCH(QString, base);
    Composition c;
    c.basePath = base;
    c.baseImage = base.contains(u"test_link") || base.contains(u"umoci") ? 1 : 0;
    c.layers << textLayer(QStringLiteral("/etc/composed-by"), "lamina\n");
    c.config.workingDir = QStringLiteral("/srv/work");
    c.tags << QStringLiteral("composed:test");
    const QString out
        = m_dir.filePath(QStringLiteral("out-%1.tar")
                             .arg(QString::fromLatin1(QTest::currentDataTag()).replace(u' ', u'-').remove(u'\'')));
    ExportOptions options;
    options.output = out;
    const ExportResult r = exportComposition(c, options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    for (const Finding &f : r.checks)
        QVERIFY2(f.severity == Severity::Info, qPrintable(f.code + QStringLiteral(": ") + f.message));
    // skopeo checks every digest while copying.
    QByteArray log;
    const QString dest = m_dir.filePath(QStringLiteral("oci-%1").arg(QFileInfo(out).baseName()));
    QVERIFY2(run(QStringLiteral("skopeo"),
                 { QStringLiteral("copy"), QStringLiteral("--quiet"), QStringLiteral("docker-archive:") + out,
                     QStringLiteral("oci:") + dest + QStringLiteral(":t") },
                 &log)
            == 0,
        log.constData());
    // The new file and the working folder are in the merged tree, on top of the base's files.
    const ImageArchive ia = openImageArchive(out);
    const ImageLayers layers = indexImageLayers(ia, 0);
    const MergedTree tree = MergedTree::build(layers.layers, int(layers.layers.size()) - 1);
    QVERIFY(tree.find("etc/composed-by") >= 0);
    QVERIFY(tree.find("srv/work") >= 0);
    const ImageArchive original = openImageArchive(base);
    QCOMPARE(ia.images.at(0).layers.size(), original.images.at(c.baseImage).layers.size() + 1);
    for (int i = 0; i < original.images.at(c.baseImage).layers.size(); ++i)
        QCOMPARE(ia.images.at(0).layers.at(i).diffId, original.images.at(c.baseImage).layers.at(i).diffId);
}

void TestExport::reproducible()
{
    ExportOptions a, b;
    a.output = m_dir.filePath(QStringLiteral("r1.tar"));
    b.output = m_dir.filePath(QStringLiteral("r2.tar"));
    QVERIFY(exportComposition(nixComposition(), a).ok());
    const mode_t old = ::umask(0077);
    QVERIFY(exportComposition(nixComposition(), b).ok());
    ::umask(old);
    QFile fa(a.output), fb(b.output);
    QVERIFY(fa.open(QIODevice::ReadOnly) && fb.open(QIODevice::ReadOnly));
    QVERIFY(fa.readAll() == fb.readAll());
}

void TestExport::refusals()
{
    // Output = input.
    const QString copy = m_dir.filePath(QStringLiteral("input-base-copy.tar"));
    QVERIFY(QFile::copy(test::source(QStringLiteral("resources/samples/nix-layered-base.tar")), copy));
    QFile::setPermissions(copy, QFile::ReadOwner | QFile::WriteOwner);
    const QByteArray before = [&] {
        QFile f(copy);
        f.open(QIODevice::ReadOnly);
        return f.readAll();
    }();
    Composition c = nixComposition();
    c.basePath = copy;
    ExportOptions options;
    options.output = copy;
    ExportResult r = exportComposition(c, options);
    QVERIFY(!r.ok());
    QVERIFY(r.error.contains(u"overwrite the base"));
    QFile f(copy);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.readAll() == before);
    // An unwritable target.
    options.output = QStringLiteral("/proc/lamina-cannot-write-here.tar");
    QVERIFY(!exportComposition(nixComposition(), options).ok());
    // A host path that does not exist, an image path climbing out: nothing is left behind.
    c = nixComposition();
    LayerOp add;
    add.kind = LayerOp::AddHost;
    add.hostPath = QStringLiteral("/nonexistent/file");
    add.imagePath = QStringLiteral("/x");
    c.layers.first().ops << add;
    options.output = m_dir.filePath(QStringLiteral("refused.tar"));
    r = exportComposition(c, options);
    QVERIFY(!r.ok());
    QVERIFY(r.error.contains(u"/nonexistent/file"));
    c = nixComposition();
    LayerOp escape;
    escape.kind = LayerOp::WriteText;
    escape.imagePath = QStringLiteral("../../etc/passwd");
    c.layers.first().ops << escape;
    r = exportComposition(c, options);
    QVERIFY(!r.ok());
    QVERIFY(r.error.contains(u"climbs out"));
    QVERIFY(!QFileInfo::exists(options.output));
    QVERIFY(QDir(QFileInfo(options.output).absolutePath())
                .entryList({ QStringLiteral("*.lamina-part-*") }, QDir::AllEntries | QDir::Hidden)
                .isEmpty());
    QCOMPARE(
        QDir(m_dir.path()).entryList({ QStringLiteral("*.lamina-part-*") }, QDir::AllEntries | QDir::Hidden).size(), 0);
}

void TestExport::preflightChecks()
{
    // The nixpkgs composition runs: nothing to report.
    ExportOptions options;
    options.output = m_dir.filePath(QStringLiteral("preflight-ok.tar"));
    ExportResult r = exportComposition(nixComposition(), options);
    QVERIFY(r.ok());
    QVERIFY2(r.preflight.isEmpty(), qPrintable(r.preflight.value(0).message));

    // A command that is not there, a working folder left out, a folder over a symlink, set-id.
    Composition c;
    c.basePath = test::source(QStringLiteral("resources/samples/nix-layered-base.tar"));
    LayerSpec first, second;
    LayerOp link;
    link.kind = LayerOp::Symlink;
    link.imagePath = QStringLiteral("/sbin");
    link.linkTarget = QStringLiteral("usr/sbin");
    first.ops << link;
    LayerOp setuid;
    setuid.kind = LayerOp::WriteText;
    setuid.imagePath = QStringLiteral("/usr/local/bin/tool");
    setuid.text = "#!/bin/sh\n";
    setuid.mode = 04755;
    first.ops << setuid;
    LayerOp mkdir;
    mkdir.kind = LayerOp::Mkdir;
    mkdir.imagePath = QStringLiteral("/sbin/extra");
    second.ops << mkdir;
    c.layers << first << second;
    c.config.cmd = QStringList { QStringLiteral("frobnicate") };
    c.config.workingDir = QStringLiteral("/nowhere");
    c.createWorkdir = false;
    c.tags.clear(); // and no name to find it by
    options.output = m_dir.filePath(QStringLiteral("preflight-bad.tar"));
    r = exportComposition(c, options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QSet<QString> codes;
    for (const Finding &f : r.preflight)
        codes.insert(f.code);
    QCOMPARE(codes,
        (QSet<QString> { QStringLiteral("command-not-found"), QStringLiteral("workdir-missing"),
            QStringLiteral("shadowed-entry"), QStringLiteral("setuid-file"), QStringLiteral("untagged") }));
    for (const Finding &f : r.preflight) {
        if (f.code == u"shadowed-entry")
            QVERIFY2(f.message.contains(u"/sbin") && f.message.contains(u"symlink"), qPrintable(f.message));
        QVERIFY(!codeInfo(f.code).explanation.isEmpty());
    }
    // A command that is there but not executable.
    c = nixComposition();
    c.config.cmd = QStringList { QStringLiteral("/etc/os-release") };
    options.output = m_dir.filePath(QStringLiteral("preflight-noexec.tar"));
    r = exportComposition(c, options);
    QCOMPARE(r.preflight.size(), 1);
    QCOMPARE(r.preflight.constFirst().code, QStringLiteral("command-not-executable"));
    // The CLI says it with exit status 1.
    QProcess p;
    p.start(QStringLiteral(LAMINA_BINARY),
        { QStringLiteral("compose"), test::source(QStringLiteral("resources/samples/nix-layered-base.tar")),
            QStringLiteral("--cmd"), QStringLiteral("[\"frobnicate\"]"), QStringLiteral("-o"),
            m_dir.filePath(QStringLiteral("cli.tar")) });
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 1);
    QVERIFY(p.readAllStandardError().contains("ERROR command-not-found"));
}

void TestExport::compressedOutput_data()
{
    QTest::addColumn<int>("compression");
    QTest::newRow("gzip") << int(Compression::Gzip);
    QTest::newRow("zstd") << int(Compression::Zstd);
}

void TestExport::compressedOutput()
{
    QFETCH(int, compression);
    ExportOptions a, b;
    a.compress = b.compress = Compression(compression);
    a.output = m_dir.filePath(QStringLiteral("c1-%1").arg(compression));
    b.output = m_dir.filePath(QStringLiteral("c2-%1").arg(compression));
    QVERIFY(exportComposition(nixComposition(), a).ok());
    QTest::qWait(1100); // a second later: a time stamp would show
    const ExportResult r = exportComposition(nixComposition(), b);
    QVERIFY(r.ok());
    for (const Finding &f : r.checks)
        QVERIFY2(f.severity == Severity::Info || formatChosen(f), qPrintable(f.message));
    QFile fa(a.output), fb(b.output);
    QVERIFY(fa.open(QIODevice::ReadOnly) && fb.open(QIODevice::ReadOnly));
    const QByteArray bytes = fa.readAll();
    QVERIFY(bytes == fb.readAll());
    const ImageArchive ia = openImageArchive(a.output);
    QCOMPARE(int(ia.archive->compression()), compression);
    QCOMPARE(ia.images.at(0).configDigest, r.imageId);
    if (compression == int(Compression::Gzip)) {
        QCOMPARE(bytes.mid(4, 4), QByteArray(4, '\0')); // gzip MTIME 0 (RFC 1952), as pigz -n writes
        QVERIFY(!(bytes.at(3) & 0x08)); // no file name
    }
}

void TestExport::specFile()
{
    // Round trip: the JSON form holds everything.
    Composition c = nixComposition();
    c.config.labels << qMakePair(QStringLiteral("org.example"), QStringLiteral("yes"));
    c.config.exposedPorts << QStringLiteral("8080");
    c.layers.first().ops.first().uid = 1000;
    const QJsonObject json = compositionToJson(c);
    QString error;
    const Composition back = compositionFromJson(json, QStringLiteral("/"), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(compositionToJson(back), json);
    // Wrong types are named.
    QJsonObject broken = json;
    broken.insert(QStringLiteral("tags"), QStringLiteral("not-a-list"));
    compositionFromJson(broken, QStringLiteral("/"), &error);
    QVERIFY2(error.contains(u"tags"), qPrintable(error));
    QJsonObject badOp { { QStringLiteral("layers"),
        QJsonArray { QJsonObject { { QStringLiteral("ops"),
            QJsonArray { QJsonObject { { QStringLiteral("op"), QStringLiteral("explode") } } } } } } } };
    error.clear();
    compositionFromJson(badOp, QStringLiteral("/"), &error);
    QVERIFY2(error.contains(u"explode"), qPrintable(error));
    // An engine's image as the base stays its reference, not a path beside the spec.
    Composition onEngine = c;
    onEngine.basePath = QStringLiteral("docker://alpine:3");
    error.clear();
    QCOMPARE(compositionFromJson(compositionToJson(onEngine), QStringLiteral("/specs"), &error).basePath,
        QStringLiteral("docker://alpine:3"));
    // The CLI: --save-spec, then --spec, gives the same bytes as the options themselves.
    const QString spec = m_dir.filePath(QStringLiteral("spec.json"));
    const QString base = test::source(QStringLiteral("resources/samples/nix-layered-base.tar"));
    const QStringList options { QStringLiteral("--mkdir"), QStringLiteral("/example-output:0777"),
        QStringLiteral("--workdir"), QStringLiteral("/example-output"), QStringLiteral("--env"),
        QStringLiteral("PATH=/bin:/usr/bin"), QStringLiteral("--cmd-shell"),
        QStringLiteral("echo hello > foo; cat foo"), QStringLiteral("--tag"), QStringLiteral("example:composed") };
    QCOMPARE(run(QStringLiteral(LAMINA_BINARY),
                 QStringList { QStringLiteral("compose"), base } + options
                     + QStringList { QStringLiteral("--save-spec"), spec, QStringLiteral("-o"),
                         m_dir.filePath(QStringLiteral("flags.tar")) }),
        0);
    QCOMPARE(run(QStringLiteral(LAMINA_BINARY),
                 { QStringLiteral("compose"), QStringLiteral("--spec"), spec, QStringLiteral("-o"),
                     m_dir.filePath(QStringLiteral("spec.tar")) }),
        0);
    QFile a(m_dir.filePath(QStringLiteral("flags.tar"))), b(m_dir.filePath(QStringLiteral("spec.tar")));
    QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
    QVERIFY(a.readAll() == b.readAll());
}

void TestExport::ociFormats_data()
{
    QTest::addColumn<int>("format");
    QTest::addColumn<int>("layers");
    QTest::newRow("oci, gzip layers") << int(ExportFormat::Oci) << int(Compression::Gzip);
    QTest::newRow("oci, zstd layers") << int(ExportFormat::Oci) << int(Compression::Zstd);
    QTest::newRow("oci, uncompressed layers") << int(ExportFormat::Oci) << int(Compression::None);
    QTest::newRow("docker-oci (Docker 25 layout)") << int(ExportFormat::DockerOci) << int(Compression::None);
}

void TestExport::ociFormats()
{
    QFETCH(int, format);
    QFETCH(int, layers);
    ExportOptions options;
    options.format = ExportFormat(format);
    options.layerCompression = Compression(layers);
    options.output = m_dir.filePath(QStringLiteral("oci-%1-%2.tar").arg(format).arg(layers));
    Composition c = nixComposition();
    c.basePath = test::corpus(QStringLiteral("gen__skopeo-oci-archive.tar")); // gzip base layers
    c.config.cmd = QStringList { QStringLiteral("sh") };
    const ExportResult r = exportComposition(c, options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    for (const Finding &f : r.checks)
        QVERIFY2(
            f.severity == Severity::Info || formatChosen(f), qPrintable(f.code + QStringLiteral(": ") + f.message));
    QVERIFY2(r.preflight.isEmpty(), qPrintable(r.preflight.value(0).message));
    const ImageArchive ia = openImageArchive(options.output);
    QCOMPARE(ia.layout, options.format == ExportFormat::Oci ? Layout::OciLayout : Layout::DockerOci);
    QCOMPARE(ia.images.at(0).tags.constFirst(), QStringLiteral("example:composed"));
    const Compression expected = options.format == ExportFormat::DockerOci ? Compression::None : Compression(layers);
    for (const ImageLayer &l : ia.images.at(0).layers)
        QCOMPARE(l.compression, expected);
    // skopeo checks every digest while copying; umoci unpacks the result with the new folder.
    const QString dest = m_dir.filePath(QStringLiteral("copy-%1-%2").arg(format).arg(layers));
    const QString source = options.format == ExportFormat::Oci
        ? QString(QStringLiteral("oci-archive:") + options.output + QStringLiteral(":composed"))
        : QString(QStringLiteral("docker-archive:") + options.output);
    QByteArray log;
    QVERIFY2(run(QStringLiteral("skopeo"),
                 { QStringLiteral("copy"), QStringLiteral("--quiet"), source,
                     QStringLiteral("oci:") + dest + QStringLiteral(":t") },
                 &log)
            == 0,
        log.constData());
    // umoci 0.4.7 (Debian 12) refuses zstd layers ("blob is not correct mediatype"): there the
    // unpacking is Lamina's own, below; skopeo has checked the digests already.
    if (layers == int(Compression::Zstd)) {
        const ImageLayers indexed = indexImageLayers(ia, 0);
        const MergedTree tree = MergedTree::build(indexed.layers, int(indexed.layers.size()) - 1);
        QCOMPARE(tree.entry(tree.find("example-output")).mode, 0777u);
        return;
    }
    const QString bundle = m_dir.filePath(QStringLiteral("bundle-%1-%2").arg(format).arg(layers));
    QVERIFY2(run(QStringLiteral("umoci"),
                 { QStringLiteral("raw"), QStringLiteral("unpack"), QStringLiteral("--rootless"),
                     QStringLiteral("--image"), dest + QStringLiteral(":t"), bundle },
                 &log)
            == 0,
        log.constData());
    QFileInfo folder(bundle + QStringLiteral("/example-output"));
    QVERIFY(folder.isDir());
    QCOMPARE(int(folder.permissions() & (QFile::ReadOther | QFile::WriteOther | QFile::ExeOther)),
        int(QFile::ReadOther | QFile::WriteOther | QFile::ExeOther)); // mode 0777
    QVERIFY(QFileInfo::exists(bundle + QStringLiteral("/bin/busybox"))
        || QFileInfo::exists(bundle + QStringLiteral("/bin/sh")));
    // The same again gives the same bytes.
    ExportOptions again = options;
    again.output = options.output + QStringLiteral(".again");
    QVERIFY(exportComposition(c, again).ok());
    QFile a(options.output), b(again.output);
    QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
    QVERIFY(a.readAll() == b.readAll());
}

namespace {

PreviewBase previewBase(const QString &path, int image = 0)
{
    const ImageArchive ia = openImageArchive(path);
    PreviewBase base;
    base.layers = indexImageLayers(ia, image).layers;
    base.settings = ia.images.at(image).config->config;
    return base;
}

QStringList findingLines(const QList<Finding> &findings)
{
    QStringList out;
    for (const Finding &f : findings)
        out << f.code + u' ' + severityName(f.severity) + u' ' + f.message;
    out.sort();
    return out;
}

} // namespace

void TestExport::ociBlobsHashedAsWritten_data()
{
    QTest::addColumn<int>("layers");
    QTest::newRow("gzip") << int(Compression::Gzip);
    QTest::newRow("zstd") << int(Compression::Zstd);
}

/// A layer compressed for an OCI blob gets its digest and size while it is written: the
/// compressed file is never read back to hash it (its copy into the output is the kernel's).
void TestExport::ociBlobsHashedAsWritten()
{
    QFETCH(int, layers);
    Composition c;
    c.basePath = test::corpus(QStringLiteral("dive__test-docker-image.tar")); // 14 uncompressed layers
    c.config.cmd = QStringList { QStringLiteral("sh") }; // no new layer: no work file of our own to read
    c.created = QStringLiteral("2024-01-01T00:00:00Z");
    ExportOptions options;
    options.format = ExportFormat::OciDir;
    options.layerCompression = Compression(layers);
    options.output = m_dir.filePath(QStringLiteral("hashed-as-written-%1").arg(layers));
    work::counters().reset();
    const ExportResult r = exportComposition(c, options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    QCOMPARE(work::counters().fileBytesRead.load(), qint64(0));
    // The digests given are those of the bytes on disk.
    const ImageArchive ia = openImageArchive(options.output);
    QCOMPARE(ia.images.size(), 1);
    QCOMPARE(ia.images.at(0).layers.size(), 14);
    for (const ImageLayer &l : ia.images.at(0).layers) {
        QCOMPARE(l.compression, Compression(layers));
        QFile blob(options.output + u'/' + l.path);
        QVERIFY2(blob.open(QIODevice::ReadOnly), qPrintable(l.path));
        QCOMPARE(Sha256::of(blob.readAll()), l.digest);
        QCOMPARE(blob.size(), l.size);
    }
}

/// Composing on a base of gzip layers written as OCI gzip: each base blob is copied as it is and
/// decompressed once, when the base is indexed; the copy is verified by its stored digest, its diff
/// ID taken from that pass. A blob damaged in the base is still caught.
void TestExport::compressedBaseDecompressedOnce()
{
    const CompressedBase gzipBase = compressedDive(QStringLiteral("gzip-base"), Compression::Gzip);
    QVERIFY(!gzipBase.path.isEmpty());
    const qint64 uncompressed = gzipBase.uncompressed;
    const Composition c = cmdShOn(gzipBase.path);
    ExportOptions options;
    options.format = ExportFormat::OciDir;
    options.layerCompression = Compression::Gzip;
    options.output = m_dir.filePath(QStringLiteral("on-gzip-base"));
    work::counters().reset();
    const ExportResult r = exportComposition(c, options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    for (const Finding &f : r.checks)
        QVERIFY2(f.severity != Severity::Error, qPrintable(f.code + u": " + f.message));
    // One pass over the base layers' streams (the config is a few hundred bytes more), not two.
    QVERIFY2(work::counters().decompressedBytes < uncompressed + 65536,
        qPrintable(QStringLiteral("%1 bytes decompressed for %2 bytes of layers")
                       .arg(work::counters().decompressedBytes.load())
                       .arg(uncompressed)));

    // One byte of a base blob flipped inside its deflate stream: the copy's diff ID is the damaged
    // pass's, or the blob does not inflate; either way the check says so.
    const ImageArchive base = openImageArchive(gzipBase.path);
    QCOMPARE(base.images.size(), 1);
    const ImageLayer &victim = base.images.at(0).layers.at(1);
    {
        QFile f(gzipBase.path + u'/' + victim.path);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.size() > 200);
        QVERIFY(f.seek(f.size() / 2));
        char byte = 0;
        QVERIFY(f.getChar(&byte));
        QVERIFY(f.seek(f.size() / 2));
        QVERIFY(f.putChar(char(byte ^ 0x01)));
    }
    options.output = m_dir.filePath(QStringLiteral("on-damaged-gzip-base"));
    const ExportResult damaged = exportComposition(c, options);
    QStringList codes;
    for (const Finding &f : damaged.checks)
        if (f.severity == Severity::Error)
            codes << f.code;
    QVERIFY2(!damaged.ok() || !codes.isEmpty(), qPrintable(damaged.error));
    // The damaged blob's copy made while indexing is not whole, or is adopted under the name the
    // base gives it; nothing written on the way is left in the folder.
    if (damaged.ok())
        for (const QString &name :
            QDir(options.output + QStringLiteral("/blobs/sha256")).entryList(QDir::Files | QDir::Hidden))
            QVERIFY2(!name.startsWith(u'.'), qPrintable(name));
}

/// Every file of an OCI folder, by path: its bytes.
static QHash<QString, QByteArray> folderFiles(const QString &root)
{
    QHash<QString, QByteArray> files;
    QDirIterator it(root, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        QFile f(it.next());
        if (f.open(QIODevice::ReadOnly))
            files.insert(QDir(root).relativeFilePath(f.fileName()), f.readAll());
    }
    return files;
}

/// An OCI folder composed on a base of compressed blobs gets each base blob written by the read
/// that indexes and hashes it: every stored byte and every uncompressed byte is hashed once, and
/// no copy is read back. With the base's indexes in the cache nothing is read while indexing; the
/// blobs are then copied and hashed as written, and the folder is the same to the byte.
void TestExport::baseBlobsWrittenByTheIndexingRead()
{
    for (const Compression compression : { Compression::Gzip, Compression::Zstd }) {
        const QString tag = compressionName(compression);
        const CompressedBase base = compressedDive(QStringLiteral("read-once-base-") + tag, compression);
        QVERIFY(!base.path.isEmpty());
        const qint64 stored = base.stored, uncompressed = base.uncompressed;
        const Composition c = cmdShOn(base.path);
        ExportOptions options;
        options.format = ExportFormat::OciDir;
        options.layerCompression = compression;
        options.output = m_dir.filePath(QStringLiteral("read-once-") + tag);
        work::counters().reset();
        const ExportResult r = exportComposition(c, options);
        QVERIFY2(r.ok(), qPrintable(r.error));
        for (const Finding &f : r.checks)
            QVERIFY2(f.severity != Severity::Error, qPrintable(f.code + u": " + f.message));
        // The config, manifest and index are a few kilobytes; a blob read back would be its size.
        const qint64 hashed = work::counters().hashedBytes;
        QVERIFY2(hashed >= stored + uncompressed && hashed < stored + uncompressed + 65536,
            qPrintable(QStringLiteral("%1: %2 bytes hashed for %3 stored and %4 uncompressed")
                           .arg(tag)
                           .arg(hashed)
                           .arg(stored)
                           .arg(uncompressed)));
        const QHash<QString, QByteArray> once = folderFiles(options.output);
        QCOMPARE(once.size(), 2 + 14 + 2); // oci-layout, index.json, the layers, config, manifest
        for (auto it = once.cbegin(); it != once.cend(); ++it)
            if (it.key().startsWith(u"blobs/"))
                QCOMPARE(Sha256::of(it.value()).mid(7), it.key().section(u'/', 2));

        // Indexed before: the same folder, its blobs copied and hashed as written.
        QTemporaryDir cacheDir;
        IndexCache::setProcessDefault(std::make_shared<IndexCache>(cacheDir.path(), qint64(1) << 30));
        const auto noCache = qScopeGuard([] { IndexCache::setProcessDefault(nullptr); });
        options.output = m_dir.filePath(QStringLiteral("read-once-cache-filled-") + tag);
        QVERIFY(exportComposition(c, options).ok());
        options.output = m_dir.filePath(QStringLiteral("read-once-from-cache-") + tag);
        work::counters().reset();
        const ExportResult cached = exportComposition(c, options);
        QVERIFY2(cached.ok(), qPrintable(cached.error));
        QCOMPARE(work::counters().layersIndexed.load(), qint64(0));
        QVERIFY(work::counters().hashedBytes >= stored);
        QCOMPARE(cached.checks.size(), r.checks.size());
        QCOMPARE(folderFiles(options.output), once);
        IndexCache::setProcessDefault(nullptr);

        // Cancelled once the first base layers are indexed, their blobs written: nothing of the
        // output is left beside the target.
        options.output = m_dir.filePath(QStringLiteral("read-once-cancelled-") + tag);
        std::atomic<bool> cancel { false };
        Progress progress;
        progress.cancel = &cancel;
        progress.report = [&](qint64 done, qint64) {
            if (done > 0)
                cancel = true;
        };
        const ExportResult stopped = exportComposition(c, options, progress);
        QVERIFY(!stopped.ok());
        QVERIFY2(QDir(m_dir.path())
                     .entryList({ QStringLiteral("*read-once-cancelled*") }, QDir::AllEntries | QDir::Hidden)
                     .isEmpty(),
            qPrintable(QDir(m_dir.path()).entryList(QDir::AllEntries | QDir::Hidden).join(u' ')));
    }
}

/// A docker archive on a base of uncompressed layers gets the base's layers copied while the base
/// is indexed for the new layers (their folders' attributes). The archive is byte for byte the one
/// made on the same image stored as gzip blobs, where the indexing (which decompresses them) comes
/// before any writing.
void TestExport::baseLayersWrittenWhileIndexed()
{
    Composition first;
    first.basePath = test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    first.created = QStringLiteral("2024-01-01T00:00:00Z");
    ExportOptions plain;
    plain.format = ExportFormat::Docker;
    plain.output = m_dir.filePath(QStringLiteral("while-indexed-plain.tar"));
    QVERIFY(exportComposition(first, plain).ok());
    const QString gzipBase = compressedDive(QStringLiteral("while-indexed-gzip"), Compression::Gzip).path;
    QVERIFY(!gzipBase.isEmpty());

    Composition c;
    c.created = QStringLiteral("2024-01-02T00:00:00Z");
    c.layers << textLayer(QStringLiteral("/root/written"), "lamina\n"); // the base's /root is 0700: kept so
    c.config.workingDir = QStringLiteral("/srv/work");
    c.tags << QStringLiteral("composed:while-indexed");
    QByteArray bytes[2];
    const QString bases[2] = { plain.output, gzipBase };
    for (int i = 0; i < 2; ++i) {
        c.basePath = bases[i];
        ExportOptions options;
        options.format = ExportFormat::Docker;
        options.output = m_dir.filePath(QStringLiteral("while-indexed-out-%1.tar").arg(i));
        const ExportResult r = exportComposition(c, options);
        QVERIFY2(r.ok(), qPrintable(r.error));
        for (const Finding &f : r.checks)
            QVERIFY2(f.severity != Severity::Error, qPrintable(f.code + u": " + f.message));
        QFile f(options.output);
        QVERIFY(f.open(QIODevice::ReadOnly));
        bytes[i] = f.readAll();
    }
    QVERIFY(bytes[0].size() > 1000000);
    QVERIFY(bytes[0] == bytes[1]);
    // The base's folder was there to keep: the new layer lists it with the base's attributes.
    const ImageArchive out = openImageArchive(m_dir.filePath(QStringLiteral("while-indexed-out-0.tar")));
    QCOMPARE(out.images.size(), 1);
    const MergedTree::Layers layers = indexImageLayers(out, 0).layers;
    const MergedTree below = MergedTree::build(layers, int(layers.size()) - 2);
    const LayerIndex &top = *layers.constLast();
    bool listed = false;
    for (int e = 0; e < top.size(); ++e) {
        if (top.path(e) != "root")
            continue;
        const int old = below.find("root");
        QVERIFY(old >= 0);
        QCOMPARE(top.entry(e).mode & 07777, 0700u);
        QCOMPARE(top.entry(e).mode, below.entry(old).mode);
        listed = true;
    }
    QVERIFY(listed);

    // A new layer that cannot be written says so before any of the base is copied (and hashed).
    LayerOp missing;
    missing.kind = LayerOp::AddHost;
    missing.hostPath = m_dir.filePath(QStringLiteral("no-such-host-file"));
    missing.imagePath = QStringLiteral("/x");
    c.layers.last().ops << missing;
    c.basePath = plain.output;
    ExportOptions options;
    options.format = ExportFormat::Docker;
    options.output = m_dir.filePath(QStringLiteral("while-indexed-refused.tar"));
    work::counters().reset();
    const ExportResult refused = exportComposition(c, options);
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error.contains(u"no-such-host-file"), qPrintable(refused.error));
    QVERIFY2(work::counters().hashedBytes < 65536, qPrintable(QString::number(work::counters().hashedBytes)));
    QVERIFY(!QFileInfo::exists(options.output));
}

void TestExport::previewAgreesWithExport()
{
    // The preview runs the export's checks on layers it writes itself: same findings, without an archive.
    const PreviewBase base = previewBase(test::source(QStringLiteral("resources/samples/nix-layered-base.tar")));
    Composition bad = nixComposition();
    LayerSpec extra;
    LayerOp link;
    link.kind = LayerOp::Symlink;
    link.imagePath = QStringLiteral("/usr/local");
    link.linkTarget = QStringLiteral("/opt");
    LayerOp setuid;
    setuid.kind = LayerOp::WriteText;
    setuid.imagePath = QStringLiteral("/opt/tool");
    setuid.mode = 04755;
    extra.ops << link << setuid;
    bad.layers << extra;
    bad.config.cmd = QStringList { QStringLiteral("/etc/motd") };
    bad.config.workingDir = QStringLiteral("/srv/app");
    for (const Composition &c : { nixComposition(), bad }) {
        ExportOptions options;
        options.output = m_dir.filePath(QStringLiteral("agree.tar"));
        const ExportResult r = exportComposition(c, options);
        QVERIFY2(r.ok(), qPrintable(r.error));
        const ComposePreview p = previewComposition(c, base);
        QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
        QCOMPARE(findingLines(p.findings), findingLines(r.preflight));
        QCOMPARE(p.layers.size(), base.layers.size() + c.layers.size());
        const ImageArchive written = openImageArchive(options.output);
        QCOMPARE(p.settings, written.images.at(0).config->config);
    }
    const QSet<QString> expected { QStringLiteral("command-not-executable"), QStringLiteral("shadowed-entry"),
        QStringLiteral("setuid-file"), QStringLiteral("workdir-missing") };
    QSet<QString> codes;
    for (const Finding &f : previewComposition(bad, base).findings) {
        codes.insert(f.code);
        if (f.code == u"setuid-file") {
            QCOMPARE(f.paths, QStringList { QStringLiteral("/opt/tool") });
            QCOMPARE(f.layers, QList<int> { 3 }); // the second new layer, above two base layers
        }
    }
    QCOMPARE(codes, expected);
    // The tree and its marks: the folder added with its mode, nothing of the base changed.
    const ComposePreview p = previewComposition(nixComposition(), base);
    const int node = p.tree->find("example-output");
    QVERIFY(node > 0);
    QCOMPARE(p.tree->entry(node).mode, 0777u);
    QCOMPARE(p.changes.value("example-output"), Change::Added);
    QVERIFY(!p.changes.contains("bin/bash"));
    // A host file that is not there is an error of the preview, not a crash or a finding.
    Composition missing = nixComposition();
    LayerOp add;
    add.kind = LayerOp::AddHost;
    add.hostPath = QStringLiteral("/nonexistent/file");
    add.imagePath = QStringLiteral("/x");
    missing.layers.first().ops << add;
    QVERIFY(previewComposition(missing, base).error.contains(u"/nonexistent/file"));
}

void TestExport::previewWritesOnlyChangedLayers()
{
    const PreviewBase base = previewBase(test::source(QStringLiteral("resources/samples/nix-layered-base.tar")));
    Composition c = nixComposition();
    const ComposePreview first = previewComposition(c, base);
    QCOMPARE(first.indexed.size(), 1);
    // A config edit: the layer's index is the same object, nothing was written.
    c.config.cmd = QStringList { QStringLiteral("/bin/bash") };
    const ComposePreview second = previewComposition(c, base, first.indexed);
    QCOMPARE(second.layers.constLast().get(), first.layers.constLast().get());
    QVERIFY(second.findings.isEmpty());
    // An operation changed: written again.
    c.layers.first().ops.first().mode = 0755;
    const ComposePreview third = previewComposition(c, base, second.indexed);
    QVERIFY(third.layers.constLast().get() != first.layers.constLast().get());
    QCOMPARE(third.tree->entry(third.tree->find("example-output")).mode, 0755u);
}

void TestExport::commandLineMakesTheSameImage()
{
    // Host names a shell would mangle, an owner change, each kind of operation, two layers.
    const QString hostDir = m_dir.filePath(QStringLiteral("it's a \"dir\" $HOME"));
    QVERIFY(QDir().mkpath(hostDir + QStringLiteral("/sub")));
    QFile file(hostDir + QStringLiteral("/sub/run me.sh"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("#!/bin/sh\necho hi\n");
    file.close();
    Composition c = nixComposition();
    LayerOp add;
    add.kind = LayerOp::AddHost;
    add.hostPath = hostDir;
    add.imagePath = QStringLiteral("/opt/app dir");
    add.mode = 0750;
    add.uid = 1000;
    add.gid = 100;
    LayerOp text;
    text.kind = LayerOp::WriteText;
    text.imagePath = QStringLiteral("/etc/motd");
    text.text = "it's `here` & $now\n";
    LayerOp link;
    link.kind = LayerOp::Symlink;
    link.imagePath = QStringLiteral("/usr/local/bin/run");
    link.linkTarget = QStringLiteral("../../../opt/app dir/sub/run me.sh");
    LayerOp del;
    del.kind = LayerOp::Delete;
    del.imagePath = QStringLiteral("/usr/share/doc/README");
    LayerSpec second;
    second.ops << text << link << del;
    c.layers.first().ops << add;
    c.layers << second;
    c.config.entrypoint = QStringList { QStringLiteral("/bin/sh"), QStringLiteral("-e") };
    c.config.labels << qMakePair(QStringLiteral("note"), QStringLiteral("a; b"));
    c.config.unsetEnv << QStringLiteral("HOME");
    c.config.exposedPorts << QStringLiteral("8080");
    c.created = QStringLiteral("2024-05-01T12:00:00Z");
    ExportOptions options;
    options.format = ExportFormat::Oci;
    options.layerCompression = Compression::Zstd;
    options.output = m_dir.filePath(QStringLiteral("direct.tar"));
    const ExportResult direct = exportComposition(c, options);
    QVERIFY2(direct.ok(), qPrintable(direct.error));
    options.output = m_dir.filePath(QStringLiteral("from shell.tar"));
    QString why;
    const QString line = composeCommandLine(c, options, QStringLiteral(LAMINA_BINARY), &why);
    QVERIFY2(!line.isEmpty(), qPrintable(why));
    QByteArray out;
    QCOMPARE(run(QStringLiteral("/bin/sh"), { QStringLiteral("-c"), line }, &out), 0);
    QVERIFY2(out.contains(QByteArray("image ID " + direct.imageId.toLatin1())), out.constData());
    // What the command line cannot say is named, not silently dropped.
    text.mode = 0600;
    c.layers.last().ops.first() = text;
    QVERIFY(composeCommandLine(c, options, QStringLiteral("lamina"), &why).isEmpty());
    QVERIFY(why.contains(u"/etc/motd"));
    QCOMPARE(shellQuote(QStringLiteral("it's")), QStringLiteral("'it'\\''s'"));
    QCOMPARE(shellQuote(QStringLiteral("/a/b:c")), QStringLiteral("/a/b:c"));
    QCOMPARE(shellQuote(QString()), QStringLiteral("''"));
}

void TestExport::wholeCompressedBaseOfCompressedLayers()
{
    // skopeo's OCI archive (gzip layers), gzip'd whole: its layers are read in one pass, kept as
    // stored, then copied as they are into gzip OCI output and decompressed into docker output.
    const QString source = test::corpus(QStringLiteral("gen__skopeo-oci-archive.tar"));
    const QString basePath = m_dir.filePath(QStringLiteral("oci-archive.tar.gz"));
    QVERIFY(test::gzipWhole(source, basePath));
    const ImageArchive original = openImageArchive(source);
    QCOMPARE(openImageArchive(basePath).archive->compression(), Compression::Gzip);

    Composition c = nixComposition();
    c.basePath = basePath;
    c.config.cmd = QStringList { QStringLiteral("sh") };
    for (const ExportFormat format : { ExportFormat::Oci, ExportFormat::Docker }) {
        ExportOptions options;
        options.format = format;
        options.output = m_dir.filePath(QStringLiteral("from-gz-%1.tar").arg(int(format)));
        const ExportResult r = exportComposition(c, options);
        QVERIFY2(r.ok(), qPrintable(r.error));
        for (const Finding &f : r.checks)
            QVERIFY2(
                f.severity == Severity::Info || formatChosen(f), qPrintable(f.code + QStringLiteral(": ") + f.message));
        const ImageArchive written = openImageArchive(options.output);
        const QList<ImageLayer> &before = original.images.at(0).layers;
        QCOMPARE(written.images.at(0).layers.size(), before.size() + 1);
        for (int i = 0; i < before.size(); ++i) {
            QCOMPARE(written.images.at(0).layers.at(i).diffId, before.at(i).diffId);
            if (format == ExportFormat::Oci)
                QCOMPARE(written.images.at(0).layers.at(i).digest, before.at(i).digest); // not recompressed
            else
                QCOMPARE(written.images.at(0).layers.at(i).compression, Compression::None);
        }
    }
}

void TestExport::wholeCompressedBaseStreamedOnce_data()
{
    QTest::addColumn<int>("format");
    QTest::addColumn<bool>("newLayer");
    QTest::newRow("docker archive, a new layer") << int(ExportFormat::Docker) << true;
    QTest::newRow("docker archive, the config alone") << int(ExportFormat::Docker) << false;
    QTest::newRow("OCI folder, a new layer") << int(ExportFormat::OciDir) << true;
}

// A base compressed as a whole cannot be read at an offset: it is streamed once, to open it (its
// members listed, its metadata read) and, in the same pass, to index its layers and write them
// into the working folder; the export then reads them from there.
void TestExport::wholeCompressedBaseStreamedOnce()
{
    QFETCH(int, format);
    QFETCH(bool, newLayer);
    const QString source = test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    // In a folder of their own: the loaders judge the same exports from a base gzip'd whole in
    // everyBaseLayout.
    const QString dir = m_dir.filePath(QStringLiteral("streamed-once"));
    QVERIFY(QDir().mkpath(dir));
    const QString basePath = dir + QStringLiteral("/dive-whole.tar.gz");
    if (!QFileInfo::exists(basePath))
        QVERIFY(test::gzipWhole(source, basePath));
    QVERIFY(!openImageArchive(basePath).archive->seekable());
    const qint64 streamed = QFileInfo(source).size(); // one pass over the outer stream
    Composition c = cmdShOn(source);
    if (newLayer)
        c.layers << textLayer(QStringLiteral("/etc/composed-by"), "lamina\n");
    // The same export from the archive as it is (seekable) first: whatever it decompresses is not
    // the outer stream.
    qint64 decompressed[2] = {};
    QString output;
    for (int whole = 0; whole < 2; ++whole) {
        c.basePath = whole ? basePath : source;
        ExportOptions options;
        options.format = ExportFormat(format);
        output = dir
            + QStringLiteral("/from-whole-%1-%2-%3%4")
                  .arg(format)
                  .arg(newLayer)
                  .arg(whole)
                  .arg(options.format == ExportFormat::OciDir ? QString() : QStringLiteral(".tar"));
        options.output = output;
        work::counters().reset();
        const ExportResult r = exportComposition(c, options);
        QVERIFY2(r.ok(), qPrintable(r.error));
        for (const Finding &f : r.checks)
            QVERIFY2(f.severity != Severity::Error || f.code == u"command-not-found" || formatChosen(f),
                qPrintable(f.code + u": " + f.message));
        decompressed[whole] = work::counters().decompressedBytes;
    }
    const qint64 outer = decompressed[1] - decompressed[0];
    QVERIFY2(outer >= streamed && outer < streamed + 65536,
        qPrintable(QStringLiteral("%1 bytes more decompressed; the outer stream has %2").arg(outer).arg(streamed)));
    const ImageArchive written = openImageArchive(output);
    QCOMPARE(written.images.size(), 1);
    QCOMPARE(
        written.images.at(0).layers.size(), openImageArchive(source).images.at(0).layers.size() + (newLayer ? 1 : 0));
}

void TestExport::damagedBaseIsCaughtByTheVerification()
{
    // One byte of a base layer flipped: the export copies it as it is (by the kernel), and the
    // hashing of what was written must notice that the layer no longer has its diff ID.
    const QString basePath = m_dir.filePath(QStringLiteral("input-damaged-base.tar"));
    QVERIFY(QFile::copy(test::source(QStringLiteral("resources/samples/nix-layered-base.tar")), basePath));
    const ImageArchive base = openImageArchive(basePath);
    const Member &layer = base.archive->member(base.images.at(0).layers.at(0).member);
    QVERIFY(layer.dataOffset > 0 && layer.size > 1000);
    {
        QFile f(basePath);
        QVERIFY(f.open(QIODevice::ReadWrite));
        QVERIFY(f.seek(layer.dataOffset + 600)); // file content, past the first header
        char byte = 0;
        QVERIFY(f.getChar(&byte));
        QVERIFY(f.seek(layer.dataOffset + 600));
        QVERIFY(f.putChar(char(byte ^ 0x20)));
    }
    for (const ExportFormat format : { ExportFormat::Docker, ExportFormat::OciDir }) {
        Composition c = nixComposition();
        c.basePath = basePath;
        ExportOptions options;
        options.format = format;
        options.layerCompression = Compression::None;
        options.output = m_dir.filePath(QStringLiteral("from-damaged-%1").arg(int(format)));
        const ExportResult r = exportComposition(c, options);
        QVERIFY2(r.ok(), qPrintable(r.error));
        QStringList codes;
        for (const Finding &f : r.checks)
            codes << f.code;
        QVERIFY2(codes.contains(format == ExportFormat::Docker ? QStringLiteral("diffid-mismatch")
                                                               : QStringLiteral("blob-digest-mismatch")),
            qPrintable(codes.join(u' ')));
    }
}

void TestExport::namesDoNotDependOnTheLocale()
{
    // Non-ASCII names, written while the process's locale is C (a bare shell, a cron job): once
    // a crash in libarchive's PAX writer, which converts names to the locale's character set.
    // The archive must be byte for byte the one written in a UTF-8 locale.
    const QString hostFile = m_dir.filePath(QStringLiteral("h\u00e9llo-\u6587\u4ef6.txt"));
    {
        QFile f(hostFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("hi\n");
    }
    Composition c = nixComposition();
    LayerOp add;
    add.kind = LayerOp::AddHost;
    add.hostPath = hostFile;
    add.imagePath = QStringLiteral("/opt/h\u00e9llo-\u6587\u4ef6.txt");
    c.layers.first().ops << add;
    LayerOp text;
    text.kind = LayerOp::WriteText;
    text.imagePath = QStringLiteral("/etc/caf\u00e9");
    text.text = "au lait\n";
    c.layers.first().ops << text;
    const QByteArray saved = std::setlocale(LC_ALL, nullptr);
    auto restore = qScopeGuard([&] { std::setlocale(LC_ALL, saved.constData()); });
    QByteArray written[2];
    const char *locales[2] = { "C", "C.UTF-8" };
    for (int i = 0; i < 2; ++i) {
        QVERIFY(std::setlocale(LC_ALL, locales[i]));
        for (const ExportFormat format : { ExportFormat::Docker, ExportFormat::Oci }) {
            ExportOptions options;
            options.format = format;
            options.output = m_dir.filePath(QStringLiteral("names-%1-%2.tar").arg(i).arg(int(format)));
            const ExportResult r = exportComposition(c, options);
            QVERIFY2(r.ok(), qPrintable(QStringLiteral("%1: %2").arg(QLatin1String(locales[i]), r.error)));
            QFile f(options.output);
            QVERIFY(f.open(QIODevice::ReadOnly));
            written[i] += f.readAll();
        }
    }
    QVERIFY(written[0] == written[1]);
    // And the names are there, as UTF-8.
    const ImageArchive ia
        = openImageArchive(m_dir.filePath(QStringLiteral("names-0-%1.tar").arg(int(ExportFormat::Docker))));
    QVERIFY(ia.archive);
    const ImageLayers layers = indexImageLayers(ia, 0, {}, Progress());
    const LayerIndex &top = *layers.layers.constLast();
    QStringList names;
    for (int i = 0; i < top.size(); ++i)
        names << QString::fromUtf8(top.path(i));
    QVERIFY2(names.contains(QStringLiteral("opt/h\u00e9llo-\u6587\u4ef6.txt")), qPrintable(names.join(u' ')));
    QVERIFY2(names.contains(QStringLiteral("etc/caf\u00e9")), qPrintable(names.join(u' ')));
}

void TestExport::foldersKeepTheirAttributes()
{
    // Writing into folders the base has must not change them: /tmp stays 1777, /root 0700, a
    // folder of 65534's stays theirs (issue 16, item 1). Checked in the layer as written, and in
    // the tree podman builds from it.
    const QString base = composeBase(QStringLiteral("alpine-like.tar"));
    QFile expectedFile(composeBase(QStringLiteral("alpine-like.json")));
    QVERIFY(expectedFile.open(QIODevice::ReadOnly));
    const QJsonObject expected = QJsonDocument::fromJson(expectedFile.readAll()).object();
    Composition c;
    c.basePath = base;
    c.tags << QStringLiteral("folders:kept");
    auto op
        = [](LayerOp::Kind kind, const QString &path, const QByteArray &text = {}, std::optional<quint32> mode = {}) {
              LayerOp o;
              o.kind = kind;
              o.imagePath = path;
              o.text = text;
              o.mode = mode;
              return o;
          };
    LayerSpec first, second;
    first.ops << op(LayerOp::WriteText, QStringLiteral("/tmp/hello"), "hi\n")
              << op(LayerOp::WriteText, QStringLiteral("/root/.profile"), "x")
              << op(LayerOp::WriteText, QStringLiteral("/srv/svc/conf"), "c")
              << op(LayerOp::Mkdir, QStringLiteral("/srv")) << op(LayerOp::Mkdir, QStringLiteral("/data"), {}, 0750);
    second.ops << op(LayerOp::WriteText, QStringLiteral("/data/x"), "y");
    c.layers << first << second;
    ExportOptions options;
    options.output = m_dir.filePath(QStringLiteral("folders.tar"));
    const ExportResult r = exportComposition(c, options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    for (const Finding &f : r.preflight)
        QVERIFY2(f.code != u"folder-changed", qPrintable(f.message));

    const ImageArchive written = openImageArchive(options.output);
    QVERIFY(written.ok());
    const ImageLayers layers = indexImageLayers(written, 0);
    QCOMPARE(layers.layers.size(), 3);
    const LayerIndex &one = *layers.layers.at(1);
    for (const QString &path :
        { QStringLiteral("tmp"), QStringLiteral("root"), QStringLiteral("srv"), QStringLiteral("srv/svc") }) {
        const int e = one.find(path.toUtf8());
        QVERIFY2(e >= 0, qPrintable(path));
        const QJsonArray want = expected.value(path).toArray();
        QCOMPARE(one.entry(e).type, EntryType::Directory);
        QVERIFY2(!(one.entry(e).flags & LayerEntry::Implicit), qPrintable(path));
        QCOMPARE(quint32(one.entry(e).mode), quint32(want.at(0).toInt()));
        QCOMPARE(one.entry(e).uid, quint32(want.at(1).toInt()));
        QCOMPARE(one.entry(e).gid, quint32(want.at(2).toInt()));
        QCOMPARE(one.entry(e).mtime, qint64(want.at(3).toInteger()));
    }
    QCOMPARE(quint32(one.entry(one.find("data")).mode), 0750u); // new, with the mode asked
    const LayerIndex &two = *layers.layers.at(2);
    QCOMPARE(quint32(two.entry(two.find("data")).mode), 0750u); // as the layer below left it
    QCOMPARE(two.entry(two.find("data")).mtime, 1); // the composition's time, as layer 1 wrote it

    // What podman makes of it: the container's tree, exported.
    const QStringList podman { QStringLiteral("--root"), m_dir.filePath(QStringLiteral("folders-root")),
        QStringLiteral("--runroot"), m_dir.filePath(QStringLiteral("folders-run")), QStringLiteral("--storage-driver"),
        QStringLiteral("vfs") };
    QByteArray log;
    QVERIFY2(run(QStringLiteral("podman"),
                 podman + QStringList { QStringLiteral("load"), QStringLiteral("-i"), options.output }, &log)
            == 0,
        log.constData());
    QByteArray container;
    QVERIFY2(
        run(QStringLiteral("podman"), podman + QStringList { QStringLiteral("create"), r.imageId.mid(7) }, &container)
            == 0,
        container.constData());
    const QString id = QString::fromUtf8(container.trimmed()).split(u'\n').constLast();
    const QString exported = m_dir.filePath(QStringLiteral("folders-container.tar"));
    QVERIFY2(run(QStringLiteral("podman"),
                 podman + QStringList { QStringLiteral("export"), QStringLiteral("-o"), exported, id }, &log)
            == 0,
        log.constData());
    QString listing;
    QVERIFY(test::runPython({ QStringLiteral("-c"),
                                QStringLiteral("import json, sys, tarfile\n"
                                               "t = tarfile.open(sys.argv[1])\n"
                                               "print(json.dumps({m.name.rstrip('/'): [m.mode & 0o7777, m.uid, m.gid] "
                                               "for m in t if m.isdir()}))\n"),
                                exported },
                &listing)
        == 0);
    const QJsonObject tree = QJsonDocument::fromJson(listing.toUtf8()).object();
    for (const QString &path : { QStringLiteral("tmp"), QStringLiteral("root"), QStringLiteral("srv/svc") }) {
        const QJsonArray want = expected.value(path).toArray();
        QCOMPARE(tree.value(path).toArray().at(0).toInt(), want.at(0).toInt());
        QCOMPARE(tree.value(path).toArray().at(1).toInt(), want.at(1).toInt());
    }
    QCOMPARE(tree.value(QStringLiteral("data")).toArray().at(0).toInt(), 0750);
    run(QStringLiteral("podman"), podman + QStringList { QStringLiteral("rm"), QStringLiteral("--force"), id });
    run(QStringLiteral("podman"),
        podman + QStringList { QStringLiteral("rmi"), QStringLiteral("--force"), r.imageId.mid(7) });
    run(QStringLiteral("chmod"),
        { QStringLiteral("-R"), QStringLiteral("u+w"), m_dir.filePath(QStringLiteral("folders-root")) });

    // A host folder whose subfolder is 0700 still changes /tmp: reported, since nothing asked it.
    QTemporaryDir host;
    QVERIFY(QDir(host.path()).mkpath(QStringLiteral("tree/tmp")));
    QVERIFY(QFile::setPermissions(
        host.filePath(QStringLiteral("tree/tmp")), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    Composition hostTree;
    hostTree.basePath = base;
    LayerOp add = op(LayerOp::AddHost, QStringLiteral("/"));
    add.hostPath = host.filePath(QStringLiteral("tree"));
    hostTree.layers << LayerSpec { { add }, 1 };
    options.output = m_dir.filePath(QStringLiteral("folders-host.tar"));
    ExportResult h = exportComposition(hostTree, options);
    QVERIFY2(h.ok(), qPrintable(h.error));
    QStringList changed;
    for (const Finding &f : h.preflight)
        if (f.code == u"folder-changed")
            changed << f.message;
    QCOMPARE(changed.size(), 1);
    QVERIFY2(changed.constFirst().contains(u"/tmp") && changed.constFirst().contains(u"1777 → 0700"),
        qPrintable(changed.constFirst()));
    QVERIFY(!codeInfo(QStringLiteral("folder-changed")).explanation.isEmpty());
    // Asked for, it is not reported.
    hostTree.layers.first().ops.first().mode = 0700;
    hostTree.layers.first().ops << op(LayerOp::Mkdir, QStringLiteral("/tmp"), {}, 0700);
    h = exportComposition(hostTree, options);
    QVERIFY2(h.ok(), qPrintable(h.error));
    for (const Finding &f : h.preflight)
        QVERIFY2(f.code != u"folder-changed", qPrintable(f.message));
}

void TestExport::tagsAreNormalisedOrRefused()
{
    // "d" is d:latest to every loader: manifest.json, repositories and the index must say so.
    // A reference outside Docker's grammar is refused before anything is written (issue 16,
    // item 10); podman accepts what is written.
    const QString base = composeBase(QStringLiteral("alpine-like.tar"));
    Composition c;
    c.basePath = base;
    c.tags << QStringLiteral("d") << QStringLiteral("registry.example.com:5000/team/app_x-y:1.2_b")
           << QStringLiteral("d:latest");
    const QStringList normal { QStringLiteral("d:latest"),
        QStringLiteral("registry.example.com:5000/team/app_x-y:1.2_b") };
    for (const ExportFormat format : { ExportFormat::Docker, ExportFormat::Oci }) {
        // podman 4.3 loads an OCI archive only when its index names one image ("more than one
        // image in oci, choose an image"): the OCI one gets the name that needs normalising.
        const QStringList want = format == ExportFormat::Docker ? normal : normal.mid(0, 1);
        if (format == ExportFormat::Oci)
            c.tags = QStringList { QStringLiteral("d") };
        ExportOptions options;
        options.format = format;
        options.output = m_dir.filePath(QStringLiteral("tags-%1.tar").arg(int(format)));
        const ExportResult r = exportComposition(c, options);
        QVERIFY2(r.ok(), qPrintable(r.error));
        QString listing;
        QVERIFY(test::runPython(
                    { QStringLiteral("-c"),
                        QStringLiteral(
                            "import json, sys, tarfile\n"
                            "t = tarfile.open(sys.argv[1])\n"
                            "names = ('manifest.json', 'repositories', 'index.json')\n"
                            "print(json.dumps({m.name: json.load(t.extractfile(m)) for m in t if m.name in names}))\n"),
                        options.output },
                    &listing)
            == 0);
        const QJsonObject files = QJsonDocument::fromJson(listing.toUtf8()).object();
        if (format == ExportFormat::Docker) {
            QStringList repoTags;
            for (const QJsonValue &v :
                files.value(u"manifest.json").toArray().at(0).toObject().value(u"RepoTags").toArray())
                repoTags << v.toString();
            QCOMPARE(repoTags, normal);
            const QJsonObject repositories = files.value(u"repositories").toObject();
            QCOMPARE(repositories.keys(),
                (QStringList { QStringLiteral("d"), QStringLiteral("registry.example.com:5000/team/app_x-y") }));
            QCOMPARE(repositories.value(u"d").toObject().keys(), QStringList { QStringLiteral("latest") });
        } else {
            QStringList names, refs;
            for (const QJsonValue &v : files.value(u"index.json").toObject().value(u"manifests").toArray()) {
                names << v.toObject().value(u"annotations").toObject().value(u"io.containerd.image.name").toString();
                refs << v.toObject()
                            .value(u"annotations")
                            .toObject()
                            .value(u"org.opencontainers.image.ref.name")
                            .toString();
            }
            QCOMPARE(names, want);
            QCOMPARE(refs, QStringList { QStringLiteral("latest") });
        }
        const QStringList podman { QStringLiteral("--root"), m_dir.filePath(QStringLiteral("tags-root")),
            QStringLiteral("--runroot"), m_dir.filePath(QStringLiteral("tags-run")), QStringLiteral("--storage-driver"),
            QStringLiteral("vfs") };
        QByteArray log, inspect;
        QVERIFY2(run(QStringLiteral("podman"),
                     podman + QStringList { QStringLiteral("load"), QStringLiteral("-i"), options.output }, &log)
                == 0,
            log.constData());
        QCOMPARE(run(QStringLiteral("podman"),
                     podman + QStringList { QStringLiteral("image"), QStringLiteral("inspect"), r.imageId.mid(7) },
                     &inspect),
            0);
        const QJsonArray loaded
            = QJsonDocument::fromJson(inspect).array().at(0).toObject().value(u"RepoTags").toArray();
        QVERIFY2(loaded.contains(QJsonValue(QStringLiteral("localhost/d:latest"))), inspect.constData());
        if (want.size() > 1)
            QVERIFY2(loaded.contains(QJsonValue(want.at(1))), inspect.constData());
        run(QStringLiteral("podman"),
            podman + QStringList { QStringLiteral("rmi"), QStringLiteral("--force"), r.imageId.mid(7) });
        run(QStringLiteral("chmod"),
            { QStringLiteral("-R"), QStringLiteral("u+w"), m_dir.filePath(QStringLiteral("tags-root")) });
    }

    // Refused, naming the tag, with nothing written; the command line exits 2.
    const QStringList bads { QStringLiteral("Bad:Tag"), QStringLiteral("d:"), QStringLiteral("d:.x"),
        QStringLiteral("d@sha256:00"), QStringLiteral("a//b"), QStringLiteral("d:") + QString(129, u'x'),
        QStringLiteral("-d"), QStringLiteral("d\n"), QStringLiteral("caf\u00e9"), QString(300, u'a') };
    for (const QString &bad : bads) {
        Composition b = c;
        b.tags = QStringList { bad };
        ExportOptions options;
        options.output = m_dir.filePath(QStringLiteral("tags-bad.tar"));
        const ExportResult r = exportComposition(b, options);
        QVERIFY2(!r.ok() && r.error.contains(bad)
                && r.error.contains(u"not a valid image reference") != r.error.contains(u"255"),
            qPrintable(bad + QStringLiteral(": ") + r.error));
        QVERIFY(!QFileInfo::exists(options.output));
    }
    QProcess p;
    const QString out = m_dir.filePath(QStringLiteral("tags-cli.tar"));
    p.start(QStringLiteral(LAMINA_BINARY),
        { QStringLiteral("compose"), base, QStringLiteral("--tag"), QStringLiteral("Bad:Tag"), QStringLiteral("-o"),
            out });
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 2);
    QVERIFY(p.readAllStandardError().contains("the tag \"Bad:Tag\" is not a valid image reference"));
    QVERIFY(!QFileInfo::exists(out));
}

void TestExport::composeForScripts()
{
    // Issue 16, item 23 (compose): -o - is refused, not a file named "-"; status lines go to
    // standard error; --layer-compression with a docker format is refused, not ignored; every
    // legacy json says the composition's time; a delete of nothing is a warning.
    const QString base = composeBase(QStringLiteral("alpine-like.tar"));
    const QString cwd = m_dir.filePath(QStringLiteral("scripting"));
    QVERIFY(QDir().mkpath(cwd));
    auto compose = [&](const QStringList &args, QByteArray *out, QByteArray *err) {
        QProcess p;
        p.setWorkingDirectory(cwd);
        p.start(QStringLiteral(LAMINA_BINARY), QStringList { QStringLiteral("compose"), base } + args);
        if (!p.waitForFinished(60000))
            return -1;
        *out = p.readAllStandardOutput();
        *err = p.readAllStandardError();
        return p.exitCode();
    };
    QByteArray out, err;
    QCOMPARE(compose({ QStringLiteral("--write"), QStringLiteral("/a:b"), QStringLiteral("-o"), QStringLiteral("-") },
                 &out, &err),
        2);
    QVERIFY2(err.contains("-o -: the image cannot be written to standard output"), err.constData());
    QVERIFY(out.isEmpty());
    QVERIFY(!QFileInfo::exists(cwd + QStringLiteral("/-")));
    QVERIFY(QDir(cwd).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot).isEmpty());

    QCOMPARE(compose({ QStringLiteral("--write"), QStringLiteral("/a:b"), QStringLiteral("--layer-compression"),
                         QStringLiteral("zstd"), QStringLiteral("-o"), QStringLiteral("x.tar") },
                 &out, &err),
        2);
    QVERIFY2(err.contains("--layer-compression applies to --format oci and oci-dir"), err.constData());
    QVERIFY(!QFileInfo::exists(cwd + QStringLiteral("/x.tar")));
    QCOMPARE(compose({ QStringLiteral("--format"), QStringLiteral("oci"), QStringLiteral("--layer-compression"),
                         QStringLiteral("zstd"), QStringLiteral("-o"), QStringLiteral("x.tar") },
                 &out, &err),
        0);

    const QString created = QStringLiteral("2024-05-01T12:00:00Z");
    QCOMPARE(compose({ QStringLiteral("--delete"), QStringLiteral("/not/there"), QStringLiteral("--delete"),
                         QStringLiteral("/etc/os-release"), QStringLiteral("--new-layer"), QStringLiteral("--write"),
                         QStringLiteral("/a:b"), QStringLiteral("--created"), created, QStringLiteral("-o"),
                         QStringLiteral("y.tar") },
                 &out, &err),
        0);
    QVERIFY2(out.isEmpty(), out.constData());
    QVERIFY2(err.contains("image ID sha256:") && err.contains("wrote y.tar"), err.constData());
    QVERIFY2(err.contains("WARNING nothing-to-delete: /not/there"), err.constData());
    QVERIFY2(!err.contains("/etc/os-release"), err.constData());
    QString listing;
    QVERIFY(test::runPython({ QStringLiteral("-c"),
                                QStringLiteral("import json, sys, tarfile\n"
                                               "t = tarfile.open(sys.argv[1])\n"
                                               "print(json.dumps([json.load(t.extractfile(m))['created'] for m in t if "
                                               "m.name.endswith('/json')]))\n"),
                                cwd + QStringLiteral("/y.tar") },
                &listing)
        == 0);
    const QJsonArray times = QJsonDocument::fromJson(listing.toUtf8()).array();
    QCOMPARE(times.size(), 3);
    for (const QJsonValue &t : times)
        QCOMPARE(t.toString(), created);
}

// Outputs a real runtime can start: dive's busybox image with a new layer and a command whose
// output says the working folder, the layer's file and the environment took effect. Each
// archive is kept beside "<name>.run.txt", what running it must print: tests/core/check/tst_loaders runs it
// with docker (also after loading the legacy chain alone), containerd and podman
// (tests/loaders/judgeexports.py).
void TestExport::runnableOnBusybox_data()
{
    QTest::addColumn<int>("format");
    QTest::newRow("docker") << int(ExportFormat::Docker);
    QTest::newRow("docker-oci") << int(ExportFormat::DockerOci);
    QTest::newRow("oci") << int(ExportFormat::Oci);
}

void TestExport::runnableOnBusybox()
{
    QFETCH(int, format);
    Composition c;
    c.basePath = test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    LayerSpec layer;
    LayerOp dir;
    dir.kind = LayerOp::Mkdir;
    dir.imagePath = QStringLiteral("/srv/app");
    layer.ops << dir;
    LayerOp text;
    text.kind = LayerOp::WriteText;
    text.imagePath = QStringLiteral("/srv/app/greeting");
    text.text = "hello from a composed layer\n";
    layer.ops << text;
    LayerOp link;
    link.kind = LayerOp::Symlink;
    link.imagePath = QStringLiteral("/srv/app/link");
    link.linkTarget = QStringLiteral("greeting");
    layer.ops << link;
    c.layers << layer;
    c.config.workingDir = QStringLiteral("/srv/app");
    c.config.setEnv << qMakePair(QStringLiteral("WHO"), QStringLiteral("lamina"));
    c.config.entrypoint = QStringList { QStringLiteral("/bin/sh"), QStringLiteral("-c") };
    c.config.cmd = QStringList { QStringLiteral("pwd; cat link; echo \"made by $WHO\"") };
    c.tags << QStringLiteral("lamina-test/runnable:%1").arg(format);
    ExportOptions options;
    options.format = ExportFormat(format);
    const QString name = QStringLiteral("run-%1.tar").arg(QLatin1String(QTest::currentDataTag()));
    options.output = m_dir.filePath(name);
    const ExportResult r = exportComposition(c, options);
    QVERIFY2(r.ok(), qPrintable(r.error));
    const ImageArchive ia = openImageArchive(options.output);
    QVERIFY(ia.ok());
    QCOMPARE(ia.images.size(), 1);
    QCOMPARE(ia.images.at(0).configDigest, r.imageId);
    QFile expected(options.output + QStringLiteral(".run.txt"));
    QVERIFY(expected.open(QIODevice::WriteOnly));
    expected.write("/srv/app\nhello from a composed layer\nmade by lamina\n");
}

QTEST_GUILESS_MAIN(TestExport)
#include "tst_export.moc"
