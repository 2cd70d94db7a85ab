// SPDX-License-Identifier: MIT
// lamina convert: every image of the corpus and of the findings fixtures written again in each
// layout. Each output must check without errors it did not have, keep its image ID, tags, config
// and merged tree (compared with diffImages), pass skopeo copy and umoci unpack, and say what it
// repaired.
#include "check/checks.h"
#include "compare/imagediff.h"
#include "compose/convert.h"
#include "testsupport.h"
#include "util/workcounters.h"

#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace lamina;

class TestConvert : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void corpus_data();
    void corpus();
    void findingsFixtures();
    void damagedLayerStaysAnError();
    void wholeCompressedInputStreamedOnce();
    void imageChosenOnceOpen();

private:
    static QSet<QString> errorCodes(const QList<Finding> &findings)
    {
        QSet<QString> out;
        for (const Finding &f : findings)
            if (f.severity == Severity::Error)
                out.insert(f.code);
        return out;
    }
    QString output(ExportFormat format)
    {
        ++m_outputs;
        return m_dir.filePath(QStringLiteral("out-%1%2")
                                  .arg(m_outputs)
                                  .arg(format == ExportFormat::OciDir ? QString() : QStringLiteral(".tar")));
    }
    void copiedAndUnpacked(const ExportOptions &options, const ImageArchive &out, const QString &what = {});
    static bool run(const QString &program, const QStringList &args, QString *log)
    {
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(program, args);
        const bool ok = p.waitForFinished(120000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
        *log = QString::fromUtf8(p.readAll()).right(2000);
        return ok;
    }
    QTemporaryDir m_dir;
    QStringList m_fixtures;
    int m_outputs = 0;
};

void TestConvert::initTestCase()
{
    QVERIFY(m_dir.isValid());
    for (const char *tool : { "skopeo", "umoci" })
        if (QStandardPaths::findExecutable(QString::fromLatin1(tool)).isEmpty())
            QFAIL("skopeo and umoci are needed; ./test installs them");
    QString log;
    QVERIFY2(test::runPython({ test::source(QStringLiteral("tests/fixtures/make_findings.py")),
                                 m_dir.filePath(QStringLiteral("findings")) },
                 &log)
            == 0,
        qPrintable(log));
    QFile f(m_dir.filePath(QStringLiteral("findings/expected-findings.json")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    m_fixtures = QJsonDocument::fromJson(f.readAll()).object().keys();
    QVERIFY(m_fixtures.size() > 40);
}

void TestConvert::corpus_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("format");
    for (const QFileInfo &fi : QDir(test::corpus()).entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (fi.fileName() == u"CATALOG.md")
            continue;
        for (const ExportFormat f :
            { ExportFormat::Docker, ExportFormat::DockerOci, ExportFormat::Oci, ExportFormat::OciDir })
            QTest::addRow("%s-%d", qPrintable(fi.fileName()), int(f)) << fi.filePath() << int(f);
    }
}

void TestConvert::corpus()
{
    QFETCH(QString, path);
    QFETCH(int, format);
    const ImageArchive in = openImageArchive(path);
    if (!in.ok())
        QSKIP("no image to convert (the archive is refused when opened: tst_corpus)");
    const QSet<QString> errorsBefore = errorCodes(checkArchive(in));
    for (int image = 0; image < in.images.size(); ++image) {
        ExportOptions options;
        options.format = ExportFormat(format);
        options.output = output(options.format);
        const ConvertResult r = convertArchive(path, image, {}, options, true);
        QVERIFY2(r.ok(), qPrintable(r.written.error));
        // A legacy-only image gets the config Docker's legacy loader makes (its ID compared with
        // Docker's in tst_loaders); any other keeps its own.
        const bool legacyOnly = !in.images.at(image).config;
        QCOMPARE(r.configFromLegacy, legacyOnly);
        const QString id = legacyOnly ? r.inputImageId : in.images.at(image).configDigest;
        QVERIFY(id.startsWith(u"sha256:"));
        // Clean, or with no error the input did not have.
        for (const QString &code : errorCodes(r.written.checks))
            QVERIFY2(errorsBefore.contains(code), qPrintable(code));
        QCOMPARE(r.written.imageId, id);
        const ImageArchive out = openImageArchive(options.output);
        QCOMPARE(out.images.size(), 1);
        QCOMPARE(out.images.at(0).configDigest, id);
        QCOMPARE(out.images.at(0).tags.size(), in.images.at(image).tags.size());
        // The same config and the same files: the layers may only be stored otherwise.
        const ImageLayers li = indexLayersForDiff(in, image);
        const ImageLayers lo = indexLayersForDiff(out, 0);
        const ImageDiff d = diffImages({ &in, image, li.layers }, { &out, 0, lo.layers });
        QVERIFY2(d.files.isEmpty(), qPrintable(d.summary()));
        if (!legacyOnly) {
            QVERIFY2(d.config.isEmpty(), qPrintable(d.summary()));
            for (const ImageDiff::LayerRow &row : d.layers)
                QCOMPARE(row.kind, ImageDiff::LayerRow::Shared);
        }
        copiedAndUnpacked(options, out);
        if (QTest::currentTestFailed())
            return;
    }
}

// skopeo copies a converted archive, umoci unpacks the copy.
void TestConvert::copiedAndUnpacked(const ExportOptions &options, const ImageArchive &out, const QString &what)
{
    // skopeo copies it, umoci unpacks the copy.
    const QString source = (options.format == ExportFormat::Oci             ? QStringLiteral("oci-archive:")
                                   : options.format == ExportFormat::OciDir ? QStringLiteral("oci:")
                                                                            : QStringLiteral("docker-archive:"))
        + options.output;
    const QString copy = m_dir.filePath(QStringLiteral("skopeo-%1").arg(m_outputs));
    QString log;
    QVERIFY2(run(QStringLiteral("skopeo"),
                 { QStringLiteral("copy"), QStringLiteral("--quiet"), source, u"oci:" + copy + u":latest" }, &log),
        qPrintable(source + u": " + log));
    // Debian 12's umoci (0.4) unpacks no zstd layer ("blob is not correct mediatype"), and
    // convert keeps zstd layers as they are.
    const bool zstd = std::any_of(out.images.at(0).layers.begin(), out.images.at(0).layers.end(),
        [](const ImageLayer &l) { return l.compression == Compression::Zstd; });
    if (zstd)
        return;
    // umoci makes a runtime config only for os "linux"; a config without one is kept as it is
    // (the image ID stays), so its copy is unpacked by nothing here.
    if (out.images.at(0).config && out.images.at(0).config->raw.value(u"os").toString() != u"linux")
        return;
    QVERIFY2(run(QStringLiteral("umoci"),
                 { QStringLiteral("unpack"), QStringLiteral("--rootless"), QStringLiteral("--image"), copy + u":latest",
                     copy + u"-bundle" },
                 &log),
        qPrintable(what + u' ' + copy + u": " + log));
    QVERIFY(QFileInfo(copy + u"-bundle/rootfs").isDir());
}

// Each findings fixture with an image config: converted to a docker archive, it loses every error
// about how its views describe the image, and keeps only those about its bytes (a layer whose bytes
// do not match its diff ID stays an error: convert never rewrites a digest to fit), and those of a
// config it keeps as it is.
void TestConvert::findingsFixtures()
{
    int converted = 0, repairedSome = 0, judged = 0;
    QStringList left;
    QSet<QString> seenRepaired;
    const QSet<QString> aboutBytes { QStringLiteral("diffid-mismatch"), QStringLiteral("blob-digest-mismatch"),
        QStringLiteral("layer-damaged"), QStringLiteral("layer-duplicate-path"),
        QStringLiteral("layer-hardlink-invalid"), QStringLiteral("layer-whiteout-invalid"),
        QStringLiteral("layer-entry-unsupported"),
        // A config a loader refuses is written as it is: mending it would change the image ID,
        // which convert keeps (docs/compose.md).
        QStringLiteral("config-type-error") };
    for (const QString &name : std::as_const(m_fixtures)) {
        const QString path = m_dir.filePath(QStringLiteral("findings/") + name);
        const ImageArchive in = openImageArchive(path);
        if (!in.ok() || in.images.size() != 1)
            continue;
        ExportOptions options;
        options.output = output(options.format);
        const ConvertResult r = convertArchive(path, 0, {}, options, true);
        if (!r.ok())
            continue; // a layer missing or unreadable: nothing consistent can be written
        ++converted;
        bool bytesWrong = false;
        for (const QString &code : errorCodes(r.written.checks)) {
            if (!aboutBytes.contains(code))
                left << name + u": " + code;
            bytesWrong = bytesWrong || aboutBytes.contains(code);
        }
        // The same image: its config (or, legacy-only, the one Docker makes) and its files, unless
        // its bytes are wrong: those stay wrong.
        const ImageArchive out = openImageArchive(options.output);
        QCOMPARE(out.images.size(), 1);
        QCOMPARE(out.images.at(0).configDigest, in.images.at(0).config ? in.images.at(0).configDigest : r.inputImageId);
        if (!bytesWrong) {
            const ImageLayers li = indexLayersForDiff(in, 0);
            const ImageLayers lo = indexLayersForDiff(out, 0);
            const ImageDiff d = diffImages({ &in, 0, li.layers }, { &out, 0, lo.layers });
            QVERIFY2(d.files.isEmpty(), qPrintable(name + u": " + d.summary()));
        }
        // Copied and unpacked where the output checks clean (a config kept with its faults, such
        // as a rootfs type other than "layers", is refused by umoci as by the loaders).
        const bool clean = std::none_of(r.written.checks.begin(), r.written.checks.end(),
            [](const Finding &f) { return f.severity != Severity::Info; });
        if (clean) {
            copiedAndUnpacked(options, out, name);
            if (QTest::currentTestFailed())
                return;
            ++judged;
        }
        // What the window offers to repair is repaired, whatever its severity.
        QSet<QString> after;
        for (const Finding &f : r.written.checks)
            after.insert(f.code);
        for (const Finding &f : checkArchive(in)) {
            if (convertRepairs(f.code) && after.contains(f.code))
                left << name + u": " + f.code + u" offered as repaired, still there";
            else if (convertRepairs(f.code))
                seenRepaired.insert(f.code);
        }
        repairedSome += !r.repaired.isEmpty();
    }
    qInfo("%d fixtures converted, %d with something repaired, %d copied by skopeo and unpacked by umoci", converted,
        repairedSome, judged);
    QVERIFY2(left.isEmpty(), qPrintable(left.join(u'\n')));
    // Every code offered as repaired was seen repaired here.
    for (const QString &code : findingCodes())
        if (convertRepairs(code))
            QVERIFY2(seenRepaired.contains(code), qPrintable(code));
    QVERIFY(converted >= 30);
    QVERIFY(judged >= 30);
    QVERIFY(repairedSome >= 15);
}

// A base layer whose tar breaks off is copied as it is, and the check of what was written says
// so: hashing the copy alone would call it verified.
void TestConvert::damagedLayerStaysAnError()
{
    for (const char *name : { "layer-damaged.tar", "layer-damaged-overflow.tar" }) {
        ExportOptions options;
        options.output = output(options.format);
        const ConvertResult r
            = convertArchive(m_dir.filePath(QStringLiteral("findings/") + QLatin1String(name)), 0, {}, options, true);
        QVERIFY2(r.ok(), qPrintable(r.written.error));
        QVERIFY2(errorCodes(r.written.checks).contains(QStringLiteral("layer-damaged")), name);
    }
}

// An input compressed as a whole cannot be read at an offset: the export's opening streams it
// once, and chooses the image, takes its tags and its layers' compression from that one reading.
void TestConvert::wholeCompressedInputStreamedOnce()
{
    const QString source = test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    const QString whole = m_dir.filePath(QStringLiteral("dive-whole.tar.gz"));
    QVERIFY(test::gzipWhole(source, whole));
    QVERIFY(!openImageArchive(whole).archive->seekable());
    qint64 decompressed[2] = {};
    QString outputs[2];
    for (int compressed = 0; compressed < 2; ++compressed) {
        ExportOptions options;
        options.format = ExportFormat::Oci;
        options.output = outputs[compressed] = output(options.format);
        work::counters().reset();
        const ConvertResult r = convertArchive(compressed ? whole : source, -1, {}, options, true);
        QVERIFY2(r.ok(), qPrintable(r.written.error));
        decompressed[compressed] = work::counters().decompressedBytes;
        QCOMPARE(r.image, 0);
        QCOMPARE(r.tags, openImageArchive(source).images.at(0).tags);
        QCOMPARE(r.written.tags.size(), r.tags.size());
        QCOMPARE(r.inputImageId, openImageArchive(source).images.at(0).configDigest);
        QVERIFY2(r.repaired.join(u'\n').contains(u"archive-compressed") == bool(compressed),
            qPrintable(r.repaired.join(u'\n')));
    }
    // Whatever else the conversion decompresses (its output, read back) is the same both ways.
    const qint64 outer = decompressed[1] - decompressed[0];
    const qint64 streamed = QFileInfo(source).size();
    QVERIFY2(outer >= streamed && outer < streamed + 65536,
        qPrintable(QStringLiteral("%1 bytes more decompressed; the outer stream has %2").arg(outer).arg(streamed)));
    // And the same output, byte for byte.
    const auto bytes = [](const QString &path) {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    };
    QVERIFY(!bytes(outputs[0]).isEmpty());
    QVERIFY(bytes(outputs[1]) == bytes(outputs[0]));
}

// The image to convert is chosen once the input is open: by number, by platform, or the only one.
void TestConvert::imageChosenOnceOpen()
{
    const QString two = test::corpus(QStringLiteral("gen__umoci-layout"));
    ExportOptions options;
    options.format = ExportFormat::Oci;
    options.output = output(options.format);
    ConvertResult r = convertArchive(two, -1, {}, options, true);
    QVERIFY(!r.ok());
    QVERIFY2(r.written.error.contains(u"holds 2 images: choose one with --image N or --platform"),
        qPrintable(r.written.error));
    r = convertArchive(two, 5, {}, options, true);
    QVERIFY2(r.written.error.contains(u"holds 2 image(s), numbered from 0"), qPrintable(r.written.error));
    r = convertArchive(two, -1, QStringLiteral("plan9/mips"), options, true);
    QVERIFY2(r.written.error.contains(u"has no image for plan9/mips"), qPrintable(r.written.error));
    r = convertArchive(m_dir.filePath(QStringLiteral("missing.tar")), -1, {}, options, true);
    QVERIFY2(r.written.error.startsWith(u"no image could be read from "), qPrintable(r.written.error));
    QVERIFY(!QFileInfo::exists(options.output));
    r = convertArchive(two, 1, {}, options, true);
    QVERIFY2(r.ok(), qPrintable(r.written.error));
    QCOMPARE(r.image, 1);
    QCOMPARE(r.inputImageId, openImageArchive(two).images.at(1).configDigest);
    QCOMPARE(openImageArchive(options.output).images.at(0).configDigest, r.inputImageId);
}

QTEST_GUILESS_MAIN(TestConvert)
#include "tst_convert.moc"
