// SPDX-License-Identifier: MIT
// The bundled samples: made by the committed generator, and read as what they are — above all the
// nixpkgs buildImage-on-layered case whose legacy parent names the base image, not a layer.
#include "format/imagearchive.h"
#include "testsupport.h"
#include "util/sha256.h"

#include <QDirIterator>
#include <QJsonArray>
#include <QJsonDocument>
#include <QStandardPaths>
#include <QTest>

using namespace lamina;

class TestSamples : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void generatorIsReproducible();
    void generatorReproducesDockersV1Ids();
    void nixBuildImageOnLayeredBase();
    void docker24Save();
    void docker25Save();
    void skopeoAgreesOnLayers_data();
    void skopeoAgreesOnLayers();

private:
    static QString sample(const QString &name) { return test::source(QStringLiteral("resources/samples/") + name); }
};

void TestSamples::generatorIsReproducible()
{
    QTemporaryDir dir;
    QString output;
    QCOMPARE(
        test::runPython({ test::source(QStringLiteral("resources/samples/make-samples.py")), dir.path() }, &output), 0);
    int compared = 0;
    QDirIterator it(dir.path(), QDir::Files);
    while (it.hasNext()) {
        const QString made = it.next();
        QFile a(made), b(sample(it.fileName()));
        QVERIFY(a.open(QIODevice::ReadOnly));
        QVERIFY2(b.open(QIODevice::ReadOnly), qPrintable(it.fileName()));
        QVERIFY2(a.readAll() == b.readAll(),
            qPrintable(it.fileName() + QStringLiteral(" differs from the committed sample")));
        ++compared;
    }
    QCOMPARE(compared, 4);
}

void TestSamples::generatorReproducesDockersV1Ids()
{
    // The generator derives Docker ≤ 24 v1 IDs itself; it must reproduce a real Docker save.
    QString output;
    const int rc = test::runPython(
        { test::source(QStringLiteral("resources/samples/imagegen.py")), QStringLiteral("--selftest"), test::corpus() },
        &output);
    QVERIFY2(rc == 0, qPrintable(output));
}

void TestSamples::nixBuildImageOnLayeredBase()
{
    const ImageArchive base = openImageArchive(sample(QStringLiteral("nix-layered-base.tar")));
    QCOMPARE(base.layout, Layout::DockerManifest);
    QVERIFY(!base.legacy.present); // streamLayeredImage writes no json, no VERSION, no repositories
    QCOMPARE(base.images.size(), 1);
    const QString baseImageId = base.images.at(0).configDigest.mid(7);

    const ImageArchive ia = openImageArchive(sample(QStringLiteral("nix-buildimage-on-layered.tar.gz")));
    QVERIFY2(ia.errors.isEmpty(), qPrintable(ia.errors.join(u'\n')));
    QCOMPARE(ia.archive->compression(), Compression::Gzip);
    QCOMPARE(ia.images.size(), 1);
    const Image &img = ia.images.at(0);
    QCOMPARE(img.tags, QStringList { QStringLiteral("example:latest") });
    QCOMPARE(img.layers.size(), base.images.at(0).layers.size() + 1);
    // Base layers keep their paths and diff IDs; only the new top layer has a legacy directory.
    for (int i = 0; i < base.images.at(0).layers.size(); ++i) {
        QCOMPARE(img.layers.at(i).path, base.images.at(0).layers.at(i).path);
        QCOMPARE(img.layers.at(i).diffId, base.images.at(0).layers.at(i).diffId);
        QVERIFY(img.layers.at(i).legacyId.isEmpty());
    }
    const ImageLayer &top = img.layers.constLast();
    QVERIFY(!top.legacyId.isEmpty());
    QCOMPARE(img.legacyChainIds, QStringList { top.legacyId });
    // The heart of the matter: `parent` is the base *image* ID, which names no layer directory.
    const LegacyLayer *legacy = ia.legacy.layer(top.legacyId);
    QVERIFY(legacy);
    QCOMPARE(legacy->parent, baseImageId);
    QCOMPARE(ia.legacy.chains.size(), 1);
    QCOMPARE(ia.legacy.chains.at(0).missingParent, baseImageId);
    QCOMPARE(legacy->version, QStringLiteral("1.0"));
    // nix: layerID = sha256 of the json before id and Size were added, so it differs from the file.
    QVERIFY(!legacy->jsonId.isEmpty());
    const QJsonObject cfg = img.config->config;
    QCOMPARE(cfg.value(u"WorkingDir").toString(), QStringLiteral("/example-output"));
    QCOMPARE(cfg.value(u"Cmd").toArray().at(2).toString(), QStringLiteral("echo hello > foo; cat foo"));
    QVERIFY(cfg.value(u"Env").toArray().at(0).toString().startsWith(u"PATH="));
}

void TestSamples::docker24Save()
{
    const ImageArchive ia = openImageArchive(sample(QStringLiteral("docker24-save.tar")));
    QVERIFY2(ia.errors.isEmpty(), qPrintable(ia.errors.join(u'\n')));
    QCOMPARE(ia.layout, Layout::DockerManifest);
    const Image &img = ia.images.at(0);
    QCOMPARE(img.layers.size(), 4);
    QCOMPARE(img.legacyChainIds.size(), 4);
    // Layers 1 and 3 are the same empty layer: stored once, the second a relative symlink.
    QCOMPARE(img.layers.at(1).diffId, img.layers.at(3).diffId);
    QCOMPARE(img.layers.at(1).member, img.layers.at(3).member);
    QVERIFY(img.layers.at(1).legacyId != img.layers.at(3).legacyId);
    QCOMPARE(ia.archive->member(ia.archive->find(img.layers.at(3).path)).type, MemberType::Symlink);
    for (int i = 0; i < 4; ++i)
        QCOMPARE(img.layers.at(i).legacyId, img.legacyChainIds.at(3 - i));
}

void TestSamples::docker25Save()
{
    const ImageArchive ia = openImageArchive(sample(QStringLiteral("docker25-save.tar")));
    QVERIFY2(ia.errors.isEmpty(), qPrintable(ia.errors.join(u'\n')));
    QCOMPARE(ia.layout, Layout::DockerOci);
    const Image &img = ia.images.at(0);
    QVERIFY(img.ociManifest >= 0);
    QCOMPARE(img.layers.size(), 4);
    QCOMPARE(img.layers.at(1).path, img.layers.at(3).path); // a duplicate is the same blob twice
    QVERIFY(img.legacyChainIds.isEmpty());
    // repositories names the top layer's diff ID, which is no directory.
    QCOMPARE(ia.legacy.repositories.size(), 1);
    QCOMPARE(ia.legacy.repositories.at(0).id, img.layers.constLast().diffId.mid(7));
    QCOMPARE(ia.legacy.chains.at(0).missingParent, ia.legacy.repositories.at(0).id);
}

void TestSamples::skopeoAgreesOnLayers_data()
{
    QTest::addColumn<QString>("file");
    QTest::newRow("docker24") << "docker24-save.tar";
    QTest::newRow("nix base") << "nix-layered-base.tar";
}

void TestSamples::skopeoAgreesOnLayers()
{
    // An independent reader: skopeo's docker-archive transport reports the layer digests, which
    // for these uncompressed archives are the diff IDs.
    if (QStandardPaths::findExecutable(QStringLiteral("skopeo")).isEmpty())
        QFAIL("skopeo is not installed; ./test installs it");
    QFETCH(QString, file);
    QProcess p;
    p.start(QStringLiteral("skopeo"), { QStringLiteral("inspect"), QStringLiteral("docker-archive:") + sample(file) });
    QVERIFY(p.waitForFinished(60000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    const QJsonObject info = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    QStringList skopeoLayers;
    for (const QJsonValue &v : info.value(u"Layers").toArray())
        skopeoLayers << v.toString();
    const ImageArchive ia = openImageArchive(sample(file));
    QStringList ours;
    for (const ImageLayer &l : ia.images.at(0).layers)
        ours << l.diffId;
    QCOMPARE(ours, skopeoLayers);
}

QTEST_GUILESS_MAIN(TestSamples)
#include "tst_samples.moc"
