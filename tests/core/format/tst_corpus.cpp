// SPDX-License-Identifier: MIT
// Every archive of ../shared/corpus, written by real tools, opened and checked against what it
// really contains (CATALOG.md there, and the bytes themselves).
#include "format/imagearchive.h"
#include "format/inspectreport.h"
#include "testsupport.h"
#include "util/sha256.h"

#include <QDir>
#include <QTest>

using namespace lamina;

class TestCorpus : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void everyCorpusEntryIsListed();
    void archive_data();
    void archive();
    void layerBytesMatchTheirDigests_data();
    void layerBytesMatchTheirDigests();
    void dockerSaveLegacyChainLinesUp();
    void podmanSymlinkedLayersResolve();
    void docker25HybridReadsBothViews();
};

// One row per corpus entry. Images are separated by '|', values inside an image by ','.
static const struct Row
{
    const char *file;
    const char *container;
    const char *compression;
    const char *layout;
    int images;
    const char *tags; // per image
    const char *platforms; // per image
    const char *diffIds; // per image: first 8 hex digits of each diff ID, bottom to top
    const char *layerCompression;
    const char *chainLengths; // per image: legacy chain length
    const char *error; // substring of an error, or ""
} kRows[] = {
    { "cimage__almostempty.tar", "tar", "none", "docker-manifest", 1, "emptyimage:latest", "linux/amd64", "0b916d25",
        "none", "1", "" },
    { "dive__test-docker-image.tar", "tar", "none", "docker-manifest", 1, "dive-test:latest", "linux/amd64",
        "23bc2b70,a65b7d7a,93e208d4,4abad3ab,14c9a6ff,778fb577,f275b8a3,dd1effc5,8d1869a0,bc2e3642,7f648d45,a4b8f95f,"
        "22a44d45,ba689cac",
        "none,none,none,none,none,none,none,none,none,none,none,none,none,none", "14", "" },
    { "dive__test-oci-uncompressed-image.tar", "tar", "none", "oci-layout", 1, "", "linux/arm64", "356d5e7f", "none",
        "0", "" },
    { "dive__test-oci-zstd-image.tar", "tar", "none", "oci-layout", 1, "", "linux/arm64", "356d5e7f", "zstd", "0", "" },
    { "gen__nix-stream-layered-image.tar", "tar", "none", "docker-manifest", 1,
        "corpus-nix-hello:0c5wv1zl3nqa4ryaf8bxxqm3k3ylf1yy", "linux/amd64", "043c7b8b,5b1dcb90,c11a6513",
        "none,none,none", "0", "" },
    { "gen__skopeo-docker-archive.tar", "tar", "none", "docker-manifest", 1, "docker.io/corpus/dive-test:skopeo",
        "linux/amd64",
        "23bc2b70,a65b7d7a,93e208d4,4abad3ab,14c9a6ff,778fb577,f275b8a3,dd1effc5,8d1869a0,bc2e3642,7f648d45,a4b8f95f,"
        "22a44d45,ba689cac",
        "none,none,none,none,none,none,none,none,none,none,none,none,none,none", "14", "" },
    { "gen__skopeo-oci-archive.tar", "tar", "none", "oci-layout", 1, "corpus/dive-test:skopeo", "linux/amd64",
        "23bc2b70,a65b7d7a,93e208d4,4abad3ab,14c9a6ff,778fb577,f275b8a3,dd1effc5,8d1869a0,bc2e3642,7f648d45,a4b8f95f,"
        "22a44d45,ba689cac",
        "gzip,gzip,gzip,gzip,gzip,gzip,gzip,gzip,gzip,gzip,gzip,gzip,gzip,gzip", "0", "" },
    { "gen__umoci-layout", "directory", "none", "oci-layout", 2, "v1|v2", "linux/amd64|linux/amd64",
        "0445f809|0445f809,29f945c8", "gzip|gzip,gzip", "0|0", "" },
    { "ggcr__hello-world-v25.tar", "tar", "none", "docker-oci", 1, "", "linux/arm64", "12660636", "none", "0", "" },
    { "ggcr__no_manifest.tar", "tar", "none", "docker-legacy", 1, "bazel/v1/tarball:test_image", "linux/amd64", "",
        "none", "1", "" },
    { "ggcr__null_manifest.tar", "tar", "none", "docker-manifest", 0, "", "", "", "", "", "JSON literal null" },
    { "ggcr__test_link.tar", "tar", "none", "docker-manifest", 2,
        "bazel/v1/tarball:test_image_1|bazel/v1/tarball:test_image_3", "linux/amd64|linux/amd64",
        "8897395f|8897395f,6b617a27", "none|none,none", "1|2", "" },
    { "jib__jib-image.tar", "tar", "none", "docker-manifest", 1, "extraction.test:latest", "linux/amd64",
        "5e701122,f1ac3015", "gzip,gzip", "0", "" },
    { "scalibr__empty.tar", "tar", "none", "unknown", 0, "", "", "", "", "", "holds no members" },
    { "trivy__alpine-311.tar.gz", "tar", "gzip", "docker-manifest", 1, "alpine:3.11", "linux/amd64", "beee9f30", "none",
        "1", "" },
    { "trivy__test_bad_index_json.oci", "directory", "none", "oci-layout", 0, "", "", "", "", "",
        "index.json: not valid JSON" },
};

void TestCorpus::everyCorpusEntryIsListed()
{
    QDir dir(test::corpus());
    QVERIFY2(dir.exists(), qPrintable(dir.path()));
    QStringList listed;
    for (const Row &r : kRows)
        listed << QString::fromUtf8(r.file);
    const QStringList present = dir.entryList(QDir::AllEntries | QDir::NoDotAndDotDot);
    for (const QString &name : present) {
        if (name == u"CATALOG.md")
            continue;
        QVERIFY2(listed.contains(name), qPrintable(QStringLiteral("corpus entry %1 has no test row").arg(name)));
    }
}

void TestCorpus::archive_data()
{
    QTest::addColumn<int>("row");
    for (int i = 0; i < int(std::size(kRows)); ++i)
        QTest::newRow(kRows[i].file) << i;
}

static QStringList split(const char *text, char sep)
{
    const QString s = QString::fromUtf8(text);
    return s.isEmpty() ? QStringList() : s.split(QLatin1Char(sep));
}

void TestCorpus::archive()
{
    QFETCH(int, row);
    const Row &r = kRows[row];
    const ImageArchive ia = openImageArchive(test::corpus(QString::fromUtf8(r.file)));
    const QJsonObject json = inspectJson(ia);
    QCOMPARE(json.value(u"container").toString(), QString::fromUtf8(r.container));
    QCOMPARE(json.value(u"compression").toString(), QString::fromUtf8(r.compression));
    QCOMPARE(json.value(u"layout").toString(), QString::fromUtf8(r.layout));
    QCOMPARE(ia.images.size(), r.images);
    if (*r.error) {
        QVERIFY2(ia.errors.join(u'\n').contains(QString::fromUtf8(r.error)), qPrintable(ia.errors.join(u'\n')));
        for (const QString &e : ia.errors)
            QVERIFY2(e.startsWith(QString::fromUtf8(r.file) + u':'), qPrintable(e)); // names the file
    } else {
        QVERIFY2(ia.errors.isEmpty(), qPrintable(ia.errors.join(u'\n')));
    }
    const QStringList tags = split(r.tags, '|');
    const QStringList platforms = split(r.platforms, '|');
    const QStringList diffIds = split(r.diffIds, '|');
    const QStringList compressions = split(r.layerCompression, '|');
    const QStringList chains = split(r.chainLengths, '|');
    for (int i = 0; i < ia.images.size(); ++i) {
        const Image &img = ia.images.at(i);
        QCOMPARE(img.tags.join(u','), tags.value(i));
        QCOMPARE(img.platform.toString(), platforms.value(i));
        QStringList ids, comps;
        for (const ImageLayer &l : img.layers) {
            if (!l.diffId.isEmpty())
                ids << l.diffId.mid(7, 8);
            comps << compressionName(l.compression);
            QVERIFY2(l.error.isEmpty(), qPrintable(l.error));
            QVERIFY(l.member >= 0);
            QCOMPARE(l.size, ia.archive->member(l.member).size);
        }
        QCOMPARE(ids.join(u','), diffIds.value(i));
        QCOMPARE(comps.join(u','), compressions.value(i));
        QCOMPARE(QString::number(img.legacyChainIds.size()), chains.value(i));
        if (img.source != ImageSource::Legacy) {
            // The image ID is the sha256 of the exact config bytes.
            QVERIFY(isSha256Digest(img.configDigest));
        }
    }
}

void TestCorpus::layerBytesMatchTheirDigests_data()
{
    archive_data();
}

// Independent of how the views were parsed: the bytes found for each layer must hash to what the
// archive says they are (uncompressed: the diff ID; any stored blob: its digest).
void TestCorpus::layerBytesMatchTheirDigests()
{
    QFETCH(int, row);
    const ImageArchive ia = openImageArchive(test::corpus(QString::fromUtf8(kRows[row].file)));
    int checked = 0;
    for (const Image &img : ia.images) {
        for (const ImageLayer &l : img.layers) {
            const Archive::ReadResult data = ia.archive->read(l.member, 64ll << 20);
            QVERIFY2(data.ok(), qPrintable(data.error));
            const QString hash = Sha256::of(data.data);
            if (!l.digest.isEmpty()) {
                QCOMPARE(hash, l.digest);
                ++checked;
            }
            if (l.compression == Compression::None && !l.diffId.isEmpty()) {
                QCOMPARE(hash, l.diffId);
                ++checked;
            }
        }
    }
    if (ia.images.isEmpty())
        QCOMPARE(checked, 0);
    else if (QString::fromUtf8(kRows[row].file) != u"ggcr__no_manifest.tar") // v1.0 has no digests at all
        QVERIFY(checked > 0);
}

void TestCorpus::dockerSaveLegacyChainLinesUp()
{
    // Docker 18 save: 14 layer dirs, 13 with parent; the chain from the tag, reversed, is the
    // manifest's layer order, and every layer knows its v1 directory.
    const ImageArchive ia = openImageArchive(test::corpus(QStringLiteral("dive__test-docker-image.tar")));
    QCOMPARE(ia.legacy.layers.size(), 14);
    int withParent = 0;
    for (const LegacyLayer &l : ia.legacy.layers)
        withParent += l.parent.isEmpty() ? 0 : 1;
    QCOMPARE(withParent, 13);
    const Image &img = ia.images.at(0);
    QCOMPARE(img.legacyChainIds.size(), img.layers.size());
    for (int i = 0; i < img.layers.size(); ++i) {
        QCOMPARE(img.layers.at(i).legacyId, img.legacyChainIds.at(img.layers.size() - 1 - i));
        QCOMPARE(img.layers.at(i).path, img.layers.at(i).legacyId + QStringLiteral("/layer.tar"));
    }
    QCOMPARE(ia.legacy.chains.size(), 1);
    QVERIFY(ia.legacy.chains.at(0).missingParent.isEmpty());
    QVERIFY(ia.legacy.chains.at(0).cycleAt.isEmpty());
    QCOMPARE(ia.legacy.chains.at(0).tags, QStringList { QStringLiteral("dive-test:latest") });
}

void TestCorpus::podmanSymlinkedLayersResolve()
{
    // containers/image writes <diffid>.tar at the root and every <legacyid>/layer.tar as a
    // symlink to it; the legacy IDs still line up along the chain.
    const ImageArchive ia = openImageArchive(test::corpus(QStringLiteral("gen__skopeo-docker-archive.tar")));
    const Image &img = ia.images.at(0);
    for (const ImageLayer &l : img.layers) {
        const LegacyLayer *legacy = ia.legacy.layer(l.legacyId);
        QVERIFY(legacy);
        QCOMPARE(ia.archive->member(ia.archive->find(legacy->layerPath)).type, MemberType::Symlink);
        QCOMPARE(legacy->layerMember, l.member);
        QCOMPARE(legacy->layerResolvedPath, l.diffId.mid(7) + QStringLiteral(".tar"));
    }
    QVERIFY(ia.legacy.hasRepositories);

    // Docker ≤ 24's duplicate-layer link: test_link.tar image 2 layer 0 is b159…/layer.tar → 6e77….
    const ImageArchive link = openImageArchive(test::corpus(QStringLiteral("ggcr__test_link.tar")));
    const ImageLayer &dup = link.images.at(1).layers.at(0);
    QCOMPARE(dup.path, QStringLiteral("b159278ac0c8813245b6c3b22cbbe7abefe3b2ec3fac6c7e87138811e1ef2a88/layer.tar"));
    QCOMPARE(
        dup.resolvedPath, QStringLiteral("6e77476643c3155b1e9ae07dd5a4c8288bdb6590c131c222b7a3f277dec1e266/layer.tar"));
    QCOMPARE(dup.legacyId, QStringLiteral("b159278ac0c8813245b6c3b22cbbe7abefe3b2ec3fac6c7e87138811e1ef2a88"));
    QCOMPARE(link.manifest.entries.at(1).parent,
        QStringLiteral("sha256:6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e"));
}

void TestCorpus::docker25HybridReadsBothViews()
{
    const ImageArchive ia = openImageArchive(test::corpus(QStringLiteral("ggcr__hello-world-v25.tar")));
    QVERIFY(ia.manifest.present);
    QVERIFY(ia.oci.present);
    QCOMPARE(ia.oci.layoutVersion, QStringLiteral("1.0.0"));
    QVERIFY(ia.oci.indexes.at(0).manifestsNull); // Docker 25.0.0's "manifests": null
    QVERIFY(ia.manifest.entries.at(0).repoTagsNull);
    const ImageLayer &l = ia.images.at(0).layers.at(0);
    QCOMPARE(l.mediaType, QStringLiteral("application/vnd.oci.image.layer.v1.tar")); // from LayerSources
    QCOMPARE(l.digest, l.diffId);
    QVERIFY(!ia.legacy.present);
}

QTEST_GUILESS_MAIN(TestCorpus)
#include "tst_corpus.moc"
