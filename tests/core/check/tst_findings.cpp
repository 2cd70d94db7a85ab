// SPDX-License-Identifier: MIT
// Findings: every code on an archive built for it by tests/fixtures/make_findings.py (Python,
// independent of Lamina), asserting the exact set of codes; clean archives of every layout; the
// corpus; the nixpkgs case; verification.
#include "check/checkreport.h"
#include "check/checks.h"
#include "check/loaders.h"
#include "check/verify.h"
#include "format/imagearchive.h"
#include "layers/imagelayers.h"
#include "testsupport.h"

#include <QDir>
#include <QDirIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace lamina;

class TestFindings : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void everyCodeIsCovered();
    void fixture_data();
    void fixture();
    void cleanControlsHaveNoErrorOrWarning();
    void corpus_data();
    void corpus();
    void nixScenarioIsExplained();
    void verificationFindsOneCorruptedByte();
    void verificationIsTheSameInParallelAndStreaming();
    void everyFindingIsComplete();
    void ociImagesStayListedWithEveryName();
    void layerContentsLoadersRefuse();
    void loaderVerdictsOfAnOciOnlyArchive();
    void legacyHeadsNoTagReachesAreImages();
    void longLegacyChainIsReadWhole();
    void truncationIsToldOneWay();
    void orphanBlobsExplainedEach();

private:
    static QList<Finding> findingsFor(const QString &path, bool verify, ImageArchive *out = nullptr)
    {
        ImageArchive ia = openImageArchive(path);
        QList<Finding> f = checkArchive(ia);
        if (verify)
            f += verifyLayers(ia).findings; // as `lamina check --verify`
        if (out)
            *out = ia;
        return f;
    }
    static QStringList codes(const QList<Finding> &findings)
    {
        QSet<QString> set;
        for (const Finding &f : findings)
            set.insert(f.code);
        QStringList list(set.begin(), set.end());
        list.sort();
        return list;
    }
    QTemporaryDir m_dir;
    QJsonObject m_expected;
};

void TestFindings::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QString output;
    const int rc
        = test::runPython({ test::source(QStringLiteral("tests/fixtures/make_findings.py")), m_dir.path() }, &output);
    QVERIFY2(rc == 0, qPrintable(output));
    QFile f(m_dir.filePath(QStringLiteral("expected-findings.json")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    m_expected = QJsonDocument::fromJson(f.readAll()).object();
    QVERIFY(m_expected.size() > 40);
}

void TestFindings::everyCodeIsCovered()
{
    QSet<QString> covered;
    for (const QJsonValue &v : std::as_const(m_expected))
        for (const QJsonValue &c : v.toObject().value(u"codes").toArray())
            covered.insert(c.toString());
    for (const QString &code : findingCodes())
        QVERIFY2(covered.contains(code), qPrintable(code + QStringLiteral(" has no fixture")));
    for (const QString &code : std::as_const(covered))
        QVERIFY2(findingCodes().contains(code), qPrintable(code + QStringLiteral(" is not a known code")));
}

void TestFindings::fixture_data()
{
    QTest::addColumn<QString>("name");
    for (const QString &name : m_expected.keys())
        QTest::newRow(qPrintable(name)) << name;
}

void TestFindings::fixture()
{
    QFETCH(QString, name);
    const QJsonObject exp = m_expected.value(name).toObject();
    const QList<Finding> findings = findingsFor(m_dir.filePath(name), exp.value(u"verify").toBool());
    QStringList expected;
    for (const QJsonValue &c : exp.value(u"codes").toArray())
        expected << c.toString();
    expected.sort();
    QStringList detail;
    for (const Finding &f : findings)
        detail << QStringLiteral("%1 %2: %3").arg(severityName(f.severity), f.code, f.message);
    QVERIFY2(codes(findings) == expected,
        qPrintable(QStringLiteral("got [%1], expected [%2]\n%3")
                       .arg(codes(findings).join(QStringLiteral(", ")), expected.join(QStringLiteral(", ")),
                           detail.join(u'\n'))));
    const QJsonObject severities = exp.value(u"severities").toObject();
    for (auto it = severities.begin(); it != severities.end(); ++it) {
        for (const Finding &f : findings)
            if (f.code == it.key())
                QVERIFY2(severityName(f.severity) == it.value().toString(),
                    qPrintable(QStringLiteral("%1 is %2, expected %3")
                                   .arg(f.code, severityName(f.severity), it.value().toString())));
    }
}

void TestFindings::cleanControlsHaveNoErrorOrWarning()
{
    int clean = 0;
    for (const QString &name : m_expected.keys()) {
        // The legacy format and an OCI layout without manifest.json are refused by some loader
        // whatever their content (legacy-only, oci-only).
        const QJsonArray codes = m_expected.value(name).toObject().value(u"codes").toArray();
        if (!name.startsWith(u"clean-") || codes.contains(QStringLiteral("legacy-only"))
            || codes.contains(QStringLiteral("oci-only")))
            continue;
        ++clean;
        for (const Finding &f : findingsFor(m_dir.filePath(name), true))
            QVERIFY2(f.severity == Severity::Info,
                qPrintable(name + QStringLiteral(": ") + f.code + QStringLiteral(": ") + f.message));
    }
    QVERIFY(clean >= 10);
}

void TestFindings::corpus_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QStringList>("expected");
    QTest::newRow("almostempty") << "cimage__almostempty.tar" << QStringList {};
    QTest::newRow("dive docker 18") << "dive__test-docker-image.tar" << QStringList {};
    QTest::newRow("dive oci") << "dive__test-oci-uncompressed-image.tar" << QStringList { QStringLiteral("oci-only") };
    QTest::newRow("dive oci zstd") << "dive__test-oci-zstd-image.tar" << QStringList { QStringLiteral("oci-only") };
    QTest::newRow("nix layered") << "gen__nix-stream-layered-image.tar"
                                 << QStringList { QStringLiteral("no-legacy-chain") };
    QTest::newRow("skopeo docker") << "gen__skopeo-docker-archive.tar" << QStringList {};
    QTest::newRow("skopeo oci") << "gen__skopeo-oci-archive.tar" << QStringList { QStringLiteral("oci-only") };
    // Two tags, two entries in index.json: podman load refuses the folder ("more than one image in oci").
    // Folders are judged as the tar of their contents: without manifest.json, oci-only.
    QTest::newRow("umoci") << "gen__umoci-layout"
                           << QStringList { QStringLiteral("oci-index-ambiguous"), QStringLiteral("oci-only") };
    // Docker 25.0.0 saved untagged images with "manifests": null in index.json.
    QTest::newRow("docker 25") << "ggcr__hello-world-v25.tar"
                               << QStringList { QStringLiteral("manifest-oci-mismatch"),
                                      QStringLiteral("no-legacy-chain"), QStringLiteral("orphan-layer") };
    QTest::newRow("v1.0 legacy") << "ggcr__no_manifest.tar" << QStringList { QStringLiteral("legacy-only") };
    QTest::newRow("null manifest") << "ggcr__null_manifest.tar"
                                   << QStringList { QStringLiteral("manifest-invalid"),
                                          QStringLiteral("no-legacy-chain") };
    QTest::newRow("test_link") << "ggcr__test_link.tar" << QStringList { QStringLiteral("multiple-images") };
    QTest::newRow("jib") << "jib__jib-image.tar" << QStringList { QStringLiteral("no-legacy-chain") };
    QTest::newRow("empty tar") << "scalibr__empty.tar" << QStringList { QStringLiteral("not-an-image") };
    QTest::newRow("alpine gzip") << "trivy__alpine-311.tar.gz" << QStringList { QStringLiteral("archive-compressed") };
    QTest::newRow("bad index") << "trivy__test_bad_index_json.oci"
                               << QStringList { QStringLiteral("index-invalid"), QStringLiteral("oci-only") };
}

void TestFindings::corpus()
{
    QFETCH(QString, file);
    QFETCH(QStringList, expected);
    const QList<Finding> findings = findingsFor(test::corpus(file), true);
    QStringList detail;
    for (const Finding &f : findings)
        detail << f.code + QStringLiteral(": ") + f.message;
    QVERIFY2(codes(findings) == expected, qPrintable(detail.join(u'\n')));
    // Docker saves of every generation load with the Docker of their generation (1.10–24, or
    // 25–28 for the v25 save); newer loaders may refuse the oldest (legacy-only) or Docker 25.0.0's
    // empty index, and then it is an error.
    if (file.contains(u"docker") || file.contains(u"test_link") || file.contains(u"v25") || file.contains(u"alpine")
        || file.contains(u"almostempty") || file.contains(u"no_manifest")) {
        const ImageArchive ia = openImageArchive(test::corpus(file));
        const QList<LoaderVerdict> verdicts = loaderVerdicts(ia, findings);
        QCOMPARE(verdicts.at(file.contains(u"v25") ? 1 : 0).verdict, Verdict::Loads);
        for (const Finding &f : findings)
            if (f.severity == Severity::Error)
                QVERIFY2(
                    f.code == u"legacy-only" || f.code == u"manifest-oci-mismatch" || f.code == u"archive-compressed",
                    qPrintable(f.message));
    }
}

void TestFindings::nixScenarioIsExplained()
{
    ImageArchive ia;
    const QList<Finding> findings
        = findingsFor(test::source(QStringLiteral("resources/samples/nix-buildimage-on-layered.tar.gz")), true, &ia);
    // The sample is gzip'd as nix writes it, which podman 4.3 refuses (archive-compressed).
    QCOMPARE(
        codes(findings), (QStringList { QStringLiteral("archive-compressed"), QStringLiteral("dangling-parent") }));
    const Finding &f = findings.at(findings.at(0).code == u"dangling-parent" ? 0 : 1);
    QCOMPARE(f.severity, Severity::Warning); // manifest.json is right, so current loaders are fine
    QCOMPARE(f.image, 0);
    QCOMPARE(f.layers, QList<int> { int(ia.images.at(0).layers.size() - 1) });
    QVERIFY(f.explanation.contains(u"buildImage"));
    QVERIFY(f.explanation.contains(u"c88337c9"));
    QVERIFY(f.explanation.contains(u"image ID"));
    QVERIFY(f.members.constFirst().endsWith(u"/json"));
    QVERIFY(!f.loaders.dockerClassic.isEmpty() && !f.loaders.podman.isEmpty());
    QCOMPARE(checkExitCode(ia, findings), 1);
}

void TestFindings::verificationFindsOneCorruptedByte()
{
    // A clean Docker save, then the same with one byte of one layer flipped.
    const QString clean = m_dir.filePath(QStringLiteral("clean-docker24.tar"));
    QVERIFY(QFileInfo::exists(clean));
    QCOMPARE(codes(findingsFor(clean, true)), QStringList {});
    ImageArchive ia = openImageArchive(clean);
    const ImageLayer &layer = ia.images.at(0).layers.at(0);
    const Member &m = ia.archive->member(layer.member);
    const QString broken = m_dir.filePath(QStringLiteral("one-byte-flipped.tar"));
    QVERIFY(QFile::copy(clean, broken));
    QFile f(broken);
    QVERIFY(f.open(QIODevice::ReadWrite));
    QVERIFY(f.seek(m.dataOffset + m.size / 2));
    char c;
    QVERIFY(f.getChar(&c));
    QVERIFY(f.seek(m.dataOffset + m.size / 2));
    QVERIFY(f.putChar(char(c ^ 0x20)));
    f.close();
    ImageArchive out;
    const QList<Finding> findings = findingsFor(broken, true, &out);
    QCOMPARE(codes(findings), QStringList { QStringLiteral("diffid-mismatch") });
    QCOMPARE(findings.constFirst().layers, QList<int> { 0 });
    QCOMPARE(findings.constFirst().members, QStringList { layer.resolvedPath });
    QCOMPARE(checkExitCode(out, findings), 1);
    // Without hashing the damage cannot be seen.
    QCOMPARE(codes(findingsFor(broken, false)), QStringList {});
}

void TestFindings::verificationIsTheSameInParallelAndStreaming()
{
    // The same archive read by seeking (two threads) and gzip'd as a whole (one stream).
    const QString tar = test::corpus(QStringLiteral("dive__test-docker-image.tar"));
    const QString gz = m_dir.filePath(QStringLiteral("dive.tar.gz"));
    QCOMPARE(QProcess::execute(
                 QStringLiteral("sh"), { QStringLiteral("-c"), QStringLiteral("gzip -n -c '%1' > '%2'").arg(tar, gz) }),
        0);
    const ImageArchive a = openImageArchive(tar);
    const ImageArchive b = openImageArchive(gz);
    const VerifyReport ra = verifyArchive(a, {}, 2);
    const VerifyReport rb = verifyArchive(b);
    QCOMPARE(ra.members.size(), 14);
    QCOMPARE(rb.members.size(), 14);
    for (int i = 0; i < 14; ++i) {
        const ImageLayer &la = a.images.at(0).layers.at(i);
        const ImageLayer &lb = b.images.at(0).layers.at(i);
        QCOMPARE(ra.members.value(la.member).uncompressed, la.diffId);
        QCOMPARE(rb.members.value(lb.member).uncompressed, lb.diffId);
    }
    QCOMPARE(ra.bytesRead, rb.bytesRead);
    // Gzip'd layers: the diff ID over the decompressed stream, the digest over the stored bytes.
    const ImageArchive oci = openImageArchive(test::corpus(QStringLiteral("gen__skopeo-oci-archive.tar")));
    const VerifyReport ro = verifyArchive(oci);
    for (const ImageLayer &l : oci.images.at(0).layers) {
        QCOMPARE(ro.members.value(l.member).stored, l.digest);
        QCOMPARE(ro.members.value(l.member).uncompressed, l.diffId);
        QVERIFY(ro.members.value(l.member).uncompressedBytes > ro.members.value(l.member).storedBytes);
    }
}

void TestFindings::everyFindingIsComplete()
{
    for (const QString &name : m_expected.keys()) {
        for (const Finding &f : findingsFor(m_dir.filePath(name), true)) {
            QVERIFY2(!f.message.isEmpty() && f.explanation.size() > 60, qPrintable(name + u' ' + f.code));
            QVERIFY(!f.loaders.dockerClassic.isEmpty() && !f.loaders.containerd.isEmpty() && !f.loaders.podman.isEmpty()
                && !f.loaders.ggcr.isEmpty());
            const QJsonObject o = findingJson(f);
            for (const char *key :
                { "code", "severity", "message", "explanation", "image", "layers", "members", "loaders" })
                QVERIFY(o.contains(QLatin1String(key)));
        }
    }
}

// Issue 16 item 8: an index naming one manifest four times lists one image with the four
// names; a manifest or config blob cut short keeps its image listed, with error findings.
void TestFindings::ociImagesStayListedWithEveryName()
{
    ImageArchive ia;
    findingsFor(m_dir.filePath(QStringLiteral("oci-index-ambiguous.tar")), false, &ia);
    QCOMPARE(ia.images.size(), 1);
    QCOMPARE(ia.images.at(0).tags,
        (QStringList {
            QStringLiteral("latest"), QStringLiteral("3"), QStringLiteral("3.18"), QStringLiteral("3.18.3") }));

    QList<Finding> f = findingsFor(m_dir.filePath(QStringLiteral("blob-size-mismatch-config-short.tar")), false, &ia);
    QCOMPARE(ia.images.size(), 1);
    QCOMPARE(ia.images.at(0).tags, QStringList { QStringLiteral("1.0") });
    QCOMPARE(ia.images.at(0).layers.size(), 2);
    bool sized = false;
    for (const Finding &x : f)
        sized |= x.code == u"blob-size-mismatch" && x.image == 0 && x.message.startsWith(u"config ");
    QVERIFY(sized);

    f = findingsFor(m_dir.filePath(QStringLiteral("blob-size-mismatch-manifest-short.tar")), false, &ia);
    QCOMPARE(ia.images.size(), 2);
    QCOMPARE(ia.images.at(0).tags, QStringList { QStringLiteral("a") });
    QCOMPARE(ia.images.at(1).tags, QStringList { QStringLiteral("b") });
    QVERIFY(ia.images.at(1).layers.isEmpty());
    sized = false;
    for (const Finding &x : f)
        sized |= x.code == u"blob-size-mismatch" && x.image == 1;
    QVERIFY(sized);
    // The size alone every loader tolerates (docs/loaders.md); the bytes not matching the digest,
    // containerd and podman refuse.
    bool digest = false;
    for (const Finding &x : f)
        digest |= x.code == u"blob-digest-mismatch" && x.image == 1 && x.severity == Severity::Error;
    QVERIFY(digest);
}

// Issue 16 item 9: what podman does with each layer-* fixture, loaded into a throwaway store
// (vfs): the refusals the findings quote, and the trees of the layers it accepts.
void TestFindings::layerContentsLoadersRefuse()
{
    const QString podman = QStandardPaths::findExecutable(QStringLiteral("podman"));
    if (podman.isEmpty())
        QFAIL("podman is needed to compare with a loader");
    QTemporaryDir store;
    auto load = [&](const QString &name, QString *image) {
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(podman,
            { QStringLiteral("--root"), store.filePath(QStringLiteral("root")), QStringLiteral("--runroot"),
                store.filePath(QStringLiteral("run")), QStringLiteral("--storage-driver"), QStringLiteral("vfs"),
                QStringLiteral("load"), QStringLiteral("-i"), m_dir.filePath(name) });
        p.waitForFinished(120000);
        const QString out = QString::fromUtf8(p.readAll());
        if (image) {
            const QRegularExpressionMatch m = QRegularExpression(QStringLiteral("Loaded image: (\\S+)")).match(out);
            *image = m.captured(1);
        }
        return std::make_pair(p.exitCode(), out);
    };
    const QList<std::pair<QString, QString>> refused {
        { QStringLiteral("layer-duplicate-path.tar"), QStringLiteral("duplicates of file paths not supported") },
        { QStringLiteral("layer-hardlink-invalid.tar"), QStringLiteral("no such file or directory") },
        { QStringLiteral("layer-hardlink-invalid-nothing.tar"), QStringLiteral("no such file or directory") },
        { QStringLiteral("layer-whiteout-invalid-dotdot.tar"), QStringLiteral("device or resource busy") },
        { QStringLiteral("layer-damaged.tar"), QStringLiteral("invalid tar header") },
        { QStringLiteral("layer-damaged-overflow.tar"), QStringLiteral("invalid tar header") },
    };
    for (const auto &[name, why] : refused) {
        const auto [code, out] = load(name, nullptr);
        QVERIFY2(code != 0 && out.contains(why), qPrintable(name + QStringLiteral(": ") + out));
        // ... and Lamina says so, as an error.
        bool found = false;
        for (const Finding &f : findingsFor(m_dir.filePath(name), true))
            found |= f.code.startsWith(u"layer-") && f.severity == Severity::Error;
        QVERIFY2(found, qPrintable(name));
    }
    // Accepted: .wh.. removes its folder, an opaque marker under a file keeps the file; Lamina's
    // merged tree is the same.
    for (const QString &name :
        { QStringLiteral("layer-whiteout-invalid.tar"), QStringLiteral("layer-whiteout-invalid-opaque.tar"),
            QStringLiteral("layer-whiteout-invalid-opaque-lower.tar") }) {
        QString image;
        const auto [code, out] = load(name, &image);
        QVERIFY2(code == 0 && !image.isEmpty(), qPrintable(out));
        QProcess mount;
        mount.start(podman,
            { QStringLiteral("--root"), store.filePath(QStringLiteral("root")), QStringLiteral("--runroot"),
                store.filePath(QStringLiteral("run")), QStringLiteral("--storage-driver"), QStringLiteral("vfs"),
                QStringLiteral("image"), QStringLiteral("mount"), image });
        QVERIFY(mount.waitForFinished(60000));
        const QString root = QString::fromUtf8(mount.readAllStandardOutput()).trimmed();
        QVERIFY2(mount.exitCode() == 0 && !root.isEmpty(), mount.readAllStandardError().constData());
        QStringList theirs;
        QDirIterator it(
            root, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QFileInfo fi(it.next());
            theirs << fi.filePath().mid(root.size() + 1) + (fi.isDir() ? QStringLiteral("/") : QString());
        }
        theirs.sort();
        const ImageArchive ia = openImageArchive(m_dir.filePath(name));
        const ImageLayers layers = indexImageLayers(ia, 0);
        const MergedTree tree = MergedTree::build(layers.layers, int(layers.layers.size()) - 1);
        QStringList ours;
        QList<int> stack { tree.root() };
        while (!stack.isEmpty()) {
            const int n = stack.takeLast();
            if (n != tree.root())
                ours << QString::fromUtf8(tree.path(n))
                        + (tree.entry(n).type == EntryType::Directory ? QStringLiteral("/") : QString());
            stack += tree.children(n);
        }
        ours.sort();
        QCOMPARE(ours, theirs);
    }
}

// check --json's "loaderVerdicts" and the human check's first lines, on dive's OCI-only archive
// (docs/loaders.md: Docker 20.10 refuses it, containerd 1.6 and podman 4.3 load it).
void TestFindings::loaderVerdictsOfAnOciOnlyArchive()
{
    ImageArchive ia;
    const QList<Finding> findings
        = findingsFor(test::corpus(QStringLiteral("dive__test-oci-uncompressed-image.tar")), false, &ia);
    const QJsonArray a = loaderVerdictsJson(loaderVerdicts(ia, findings));
    QCOMPARE(a.size(), loaderRanges().size());
    const QJsonObject docker = a.at(0).toObject();
    QCOMPARE(docker.value(u"loader").toString(), QStringLiteral("docker"));
    QCOMPARE(docker.value(u"versions").toObject().value(u"from").toString(), QStringLiteral("1.10"));
    QCOMPARE(docker.value(u"versions").toObject().value(u"to").toString(), QStringLiteral("24.0"));
    QCOMPARE(docker.value(u"verdict").toString(), QStringLiteral("refuses"));
    QCOMPARE(docker.value(u"because").toArray(), QJsonArray { QStringLiteral("oci-only") });
    QVERIFY(docker.value(u"message").toString().contains(u"blobs/json: no such file or directory"));
    QCOMPARE(docker.value(u"observed").toBool(), true);
    for (const QJsonValue &v : a) {
        const QJsonObject o = v.toObject();
        QCOMPARE(o.keys(),
            (QStringList { QStringLiteral("because"), QStringLiteral("loader"), QStringLiteral("message"),
                QStringLiteral("observed"), QStringLiteral("verdict"), QStringLiteral("versions") }));
        if (o.value(u"loader").toString() == u"podman" || o.value(u"loader").toString() == u"containerd") {
            QCOMPARE(o.value(u"verdict").toString(), QStringLiteral("loads"));
            QVERIFY(o.value(u"message").isNull());
        }
    }
    QVERIFY(a.at(4).toObject().value(u"versions").toObject().value(u"to").isNull()); // containerd 2 and later
    const QStringList lines = checkText(ia, findings, false).split(u'\n');
    QVERIFY(lines.at(1).startsWith(QStringLiteral("  Docker 1.10–24: refuses (oci-only)")));
    QCOMPARE(lines.at(loaderRanges().size()).trimmed(),
        QStringLiteral("go-containerregistry: refuses (oci-only): \"file manifest.json not found in tar\""));
}

// Docker's legacy loader loads every <id> folder before it sets the tags (docs/formats.md §4.2):
// a `repositories` naming no folder leaves the chain loaded, untagged, and so does Lamina list it.
void TestFindings::legacyHeadsNoTagReachesAreImages()
{
    ImageArchive ia;
    findingsFor(m_dir.filePath(QStringLiteral("repositories-mismatch-legacy.tar")), false, &ia);
    QCOMPARE(ia.images.size(), 1);
    QVERIFY(ia.images.at(0).tags.isEmpty());
    QCOMPARE(ia.images.at(0).layers.size(), 2);
    QCOMPARE(ia.images.at(0).legacyChainIds.size(), 2);

    // Tagged chains are not listed twice.
    findingsFor(m_dir.filePath(QStringLiteral("clean-v10-legacy.tar")), false, &ia);
    QCOMPARE(ia.images.size(), 1);
    QVERIFY(!ia.images.at(0).tags.isEmpty());
}

void TestFindings::longLegacyChainIsReadWhole()
{
    // 1,300 layers: the jsons are read in chunks on several threads; every layer must be there,
    // linked, and the problems listed in member order.
    const QString tar = m_dir.filePath(QStringLiteral("long-chain.tar"));
    QVERIFY(test::writeTar(tar,
        QStringLiteral(
            "import json\n"
            "parent = None\n"
            "for k in range(1300):\n"
            "    lid = '%064x' % (k + 1)\n"
            "    doc = {'id': lid, 'os': 'linux', 'architecture': 'amd64'}\n"
            "    if parent: doc['parent'] = parent\n"
            "    add(lid + '/VERSION', b'1.0')\n"
            "    add(lid + '/json', b'not json' if k == 700 else b'[1]' if k == 1200 else json.dumps(doc).encode())\n"
            "    add(lid + '/layer.tar', bytes(1024))\n"
            "    parent = lid\n"
            "add('repositories', json.dumps({'long': {'latest': parent}}).encode())\n")));
    ImageArchive ia;
    findingsFor(tar, false, &ia);
    const LegacyView &legacy = ia.legacy;
    QCOMPARE(legacy.layers.size(), 1300);
    QCOMPARE(legacy.byId.size(), 1300);
    const auto id = [](int k) { return QStringLiteral("%1").arg(k + 1, 64, 16, QLatin1Char('0')); };
    const LegacyLayer *top = legacy.layer(id(1299));
    QVERIFY(top);
    QCOMPARE(top->parent, id(1298));
    QCOMPARE(top->layerPath, id(1299) + QStringLiteral("/layer.tar"));
    QCOMPARE(ia.archive->member(top->layerMember).path, top->layerPath);
    QCOMPARE(top->version, QStringLiteral("1.0"));
    QVERIFY(legacy.layer(id(0))->parent.isEmpty());
    QVERIFY(legacy.layer(id(700))->parent.isEmpty()); // its json did not parse
    const QString problems = legacy.problems.join(u'\n');
    const qsizetype bad = problems.indexOf(id(700) + QStringLiteral("/json"));
    const qsizetype array = problems.indexOf(id(1200) + QStringLiteral("/json: must be a JSON object"));
    QVERIFY2(bad >= 0 && array > bad, qPrintable(problems));
}

// An archive cut inside a layer: every finding names the same cut, whichever read met it (one that
// skipped file data, as the window's indexing does, or one that hashed every byte), numbers the
// image as --image does, and does not say that what may have been past the cut is absent.
void TestFindings::truncationIsToldOneWay()
{
    const QString cut = m_dir.filePath(QStringLiteral("dive-cut.tar"));
    QVERIFY(test::writeCut(test::corpus(QStringLiteral("dive__test-docker-image.tar")), cut, 100000));
    ImageArchive ia;
    const QList<Finding> cli = findingsFor(cut, true, &ia);
    QVERIFY(ia.archive->truncated());
    // The window: the shown image indexed first (file data skipped), then verified with it.
    LayerIndexOptions options;
    const ImageLayers shown = indexImageLayers(ia, 0, options);
    for (int i = 0; i < ia.images.at(0).layers.size(); ++i)
        if (ia.images.at(0).layers.at(i).member >= 0 && shown.layers.value(i))
            options.knownByMember.insert(ia.images.at(0).layers.at(i).member, shown.layers.at(i));
    options.computeDigests = true;
    const QList<Finding> window = layerContentFindings(ia, indexAllImageLayers(ia, options));
    const QString problems = ia.archive->problems().join(u'\n');
    const QRegularExpression told(QStringLiteral("the archive ends (\\d+) bytes into this member's (\\d+) bytes"));
    const QRegularExpressionMatch atOpening = told.match(problems);
    QVERIFY2(atOpening.hasMatch(), qPrintable(problems));
    int layerFindings = 0;
    for (const QList<Finding> &findings : { cli, window }) {
        for (const Finding &f : findings) {
            QVERIFY2(!f.message.contains(u"before the member does"), qPrintable(f.message));
            if (f.message.contains(u"the archive ends")) {
                QVERIFY2(told.match(f.message).captured(0) == atOpening.captured(0), qPrintable(f.message));
                ++layerFindings;
            }
            QVERIFY2(!f.message.contains(u"image 1"), qPrintable(f.message));
            if (f.code == u"legacy-only")
                QVERIFY2(f.message.contains(u"breaks off before any manifest.json"), qPrintable(f.message));
        }
    }
    QVERIFY(layerFindings >= 2);
    QVERIFY(codes(cli).contains(QStringLiteral("legacy-only")));
    QVERIFY(codes(window).contains(QStringLiteral("layer-damaged")));
    // A manifest.json naming no image does not "describe the images".
    for (const Finding &f : findingsFor(test::corpus(QStringLiteral("ggcr__null_manifest.tar")), false))
        if (f.code == u"no-legacy-chain")
            QVERIFY2(f.message.startsWith(u"manifest.json names no image"), qPrintable(f.message));
}

// Docker 25's hello-world: its layer's legacy json as a blob nothing names, and one more blob.
void TestFindings::orphanBlobsExplainedEach()
{
    const QList<Finding> found = findingsFor(test::corpus(QStringLiteral("ggcr__hello-world-v25.tar")), false);
    const auto orphan
        = std::find_if(found.begin(), found.end(), [](const Finding &f) { return f.code == u"orphan-layer"; });
    QVERIFY(orphan != found.end());
    QCOMPARE(orphan->members.size(), 2);
    QCOMPARE(orphan->explanation.section(QStringLiteral("\n\n"), -1),
        QStringLiteral("1 of the 2 looks like a layer's legacy v1 json, which Docker 25–28 write as a blob nothing "
                       "references. The other is a file no view names."));
}

QTEST_GUILESS_MAIN(TestFindings)
#include "tst_findings.moc"
