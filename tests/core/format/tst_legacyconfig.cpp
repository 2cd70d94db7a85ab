// SPDX-License-Identifier: MIT
// The config Docker's legacy loader makes for a legacy-only image (docs/formats.md §3.5), and the
// Go JSON writing behind it. The image IDs below are the ones Docker 20.10 gave these archives
// when tests/core/check/tst_loaders loaded them (legacyConfigsAsDockerMakesThem runs it again on
// every ./test); here they guard the bytes without a daemon.
#include "format/gojson.h"
#include "format/imagearchive.h"
#include "format/legacyconfig.h"
#include "layers/imagelayers.h"
#include "testsupport.h"
#include "util/digest.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace lamina;

class TestLegacyConfig : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void goStrings();
    void goCompact();
    void goMapOrder();
    void goTimes_data();
    void goTimes();
    void dockerIds_data();
    void dockerIds();
    void refusals_data();
    void refusals();

private:
    LegacyConfig make(const QString &path);
    QTemporaryDir m_dir;
};

void TestLegacyConfig::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QString log;
    QVERIFY2(
        test::runPython({ test::source(QStringLiteral("tests/fixtures/make_legacy_configs.py")), m_dir.path() }, &log)
            == 0,
        qPrintable(log));
    QVERIFY2(test::runPython({ test::source(QStringLiteral("tests/fixtures/make_findings.py")),
                                 m_dir.filePath(QStringLiteral("findings")) },
                 &log)
            == 0,
        qPrintable(log));
}

void TestLegacyConfig::goStrings()
{
    QCOMPARE(gojson::string(QStringLiteral("a\"b\\c")), QByteArray("\"a\\\"b\\\\c\""));
    QCOMPARE(gojson::string(QStringLiteral("<&>")), QByteArray("\"\\u003c\\u0026\\u003e\""));
    QCOMPARE(gojson::string(QStringLiteral("\n\r\t\x01\x7f")), QByteArray("\"\\n\\r\\t\\u0001\x7f\""));
    QCOMPARE(gojson::string(QString(QChar(0x2028)) + QChar(0x2029)), QByteArray("\"\\u2028\\u2029\""));
    QCOMPARE(gojson::string(QStringLiteral("é")), QByteArray("\"\xc3\xa9\""));
}

void TestLegacyConfig::goCompact()
{
    QCOMPARE(gojson::compact(" { \"a\" : [ 1.50 , 2e3 ] ,\n\"b\":\"x < y\" } "),
        QByteArray("{\"a\":[1.50,2e3],\"b\":\"x \\u003c y\"}"));
    // An escape inside a string is kept whole; spaces inside strings are kept.
    QCOMPARE(gojson::compact("\"a\\\" b \\\\\" "), QByteArray("\"a\\\" b \\\\\""));
    QCOMPARE(gojson::compact("\"\xe2\x80\xa8\""), QByteArray("\"\\u2028\""));
}

void TestLegacyConfig::goMapOrder()
{
    const auto members = gojson::objectMembers("{\"b\":1, \"a\" : {\"z\":1,\"y\":2}, \"b\":3, \"A\":4}");
    QVERIFY(members);
    QCOMPARE(members->size(), 4);
    QCOMPARE(members->at(1).value, QByteArray("{\"z\":1,\"y\":2}"));
    QList<std::pair<QString, QByteArray>> pairs;
    for (const auto &m : *members)
        pairs.append({ m.key, m.value });
    // Byte order (upper case first); the last "b" wins; a value's own order is kept.
    QCOMPARE(gojson::sortedObject(pairs), QByteArray("{\"A\":4,\"a\":{\"z\":1,\"y\":2},\"b\":3}"));
    QVERIFY(!gojson::objectMembers("[1]"));
    QVERIFY(!gojson::objectMembers("{\"a\":"));
}

void TestLegacyConfig::goTimes_data()
{
    QTest::addColumn<QString>("in");
    QTest::addColumn<QString>("out"); // "" = refused
    QTest::newRow("utc") << "2015-10-01T00:00:00Z"
                         << "\"2015-10-01T00:00:00Z\"";
    QTest::newRow("fraction") << "2020-01-02T03:04:05.123400000+00:00"
                              << "\"2020-01-02T03:04:05.1234Z\"";
    QTest::newRow("offset") << "2015-03-04T05:06:07.5000+02:00"
                            << "\"2015-03-04T05:06:07.5+02:00\"";
    QTest::newRow("zero fraction") << "2001-02-03T04:05:06.000Z"
                                   << "\"2001-02-03T04:05:06Z\"";
    QTest::newRow("nanoseconds cut") << "2001-02-03T04:05:06.1234567891Z"
                                     << "\"2001-02-03T04:05:06.123456789Z\"";
    QTest::newRow("one-digit hour") << "2001-02-03T4:05:06Z"
                                    << "\"2001-02-03T04:05:06Z\"";
    QTest::newRow("negative zero") << "2001-02-03T04:05:06-00:00"
                                   << "\"2001-02-03T04:05:06Z\"";
    QTest::newRow("space") << "2020-01-02 03:04:05"
                           << "";
    QTest::newRow("no zone") << "2020-01-02T03:04:05"
                             << "";
    QTest::newRow("february 30") << "2021-02-30T00:00:00Z"
                                 << "";
    QTest::newRow("hour 24") << "2021-02-03T24:00:00Z"
                             << "";
}

void TestLegacyConfig::goTimes()
{
    QFETCH(QString, in);
    QFETCH(QString, out);
    const auto t = gojson::rfc3339(in);
    QCOMPARE(t.has_value(), !out.isEmpty());
    if (t)
        QCOMPARE(QString::fromUtf8(*t), out);
}

LegacyConfig TestLegacyConfig::make(const QString &path)
{
    const ImageArchive ia = openImageArchive(path);
    if (ia.images.size() != 1) {
        LegacyConfig none;
        none.error = QStringLiteral("%1 images").arg(ia.images.size());
        return none;
    }
    LayerIndexOptions options;
    options.computeDigests = true;
    QStringList diffIds;
    for (const auto &l : indexImageLayers(ia, 0, options).layers)
        diffIds << (l ? l->diffId : QString());
    return legacyImageConfig(ia, ia.images.at(0), diffIds);
}

void TestLegacyConfig::dockerIds_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<bool>("rewritten");
    QTest::addColumn<QString>("id");
    const auto at = [this](const char *name) { return QString(m_dir.path() + u'/' + QLatin1String(name)); };
    QTest::newRow("modern") << at("legacy-config-modern.tar") << false
                            << QStringLiteral(
                                   "sha256:719bcee66f65dda9fed5fe449223f3deabb799a918402c83e97c934b35dfe0bb");
    QTest::newRow("old") << at("legacy-config-old.tar") << true
                         << QStringLiteral("sha256:a98368cbe1ab84fe32d933929631d87285390a135e7c7dcd4c30fe0fbb6fe6b3");
    QTest::newRow("bare") << at("legacy-config-bare.tar") << true
                          << QStringLiteral("sha256:0da9cc700050e0a4336db7cb27abdb0626ca92d1a13eb3d01a0d95f9d197e8d1");
    QTest::newRow("clean-v10") << at("findings/clean-v10-legacy.tar") << false
                               << QStringLiteral(
                                      "sha256:d3f4d708eb8d6a7d1da411775678c13b4f7a1b41e70a0150ffd11d606ace2082");
    QTest::newRow("legacy-only") << at("findings/legacy-only.tar") << true
                                 << QStringLiteral(
                                        "sha256:a1da5d6219d04b69c0c1cebe0b2002bd46bf9bf3d994d10c7ec61e9ab6a4ae65");
    QTest::newRow("ggcr") << test::corpus(QStringLiteral("ggcr__no_manifest.tar")) << true
                          << QStringLiteral("sha256:a2673db3c3d86a802c915e140274aed9d62464681af1371c881d7f5821b05645");
}

void TestLegacyConfig::dockerIds()
{
    QFETCH(QString, path);
    QFETCH(bool, rewritten);
    QFETCH(QString, id);
    const LegacyConfig c = make(path);
    QVERIFY2(c.ok(), qPrintable(c.error));
    QCOMPARE(c.rewritten, rewritten);
    QCOMPARE(Digest::sha256Of(c.bytes).toString(), id);
    // A config every reader takes: rootfs with one diff ID per layer, one history entry each.
    const QJsonObject o = QJsonDocument::fromJson(c.bytes).object();
    const int layers = int(o.value(u"rootfs").toObject().value(u"diff_ids").toArray().size());
    QVERIFY(layers >= 1);
    QCOMPARE(o.value(u"history").toArray().size(), layers);
    QVERIFY(!o.contains(u"id") && !o.contains(u"parent") && !o.contains(u"Size"));
}

void TestLegacyConfig::refusals_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("why");
    QTest::addColumn<QString>("dockerSays"); // what tests/fixtures/make_legacy_configs.py saw Docker print
    QTest::newRow("windows") << m_dir.filePath(QStringLiteral("legacy-config-windows.tar"))
                             << "cannot load windows image on linux"
                             << "cannot load windows image on linux";
    QTest::newRow("badtime") << m_dir.filePath(QStringLiteral("legacy-config-badtime.tar"))
                             << "json.created: \"2020-01-02 03:04:05\" is not an RFC 3339 time"
                             << "parsing time";
}

void TestLegacyConfig::refusals()
{
    QFETCH(QString, path);
    QFETCH(QString, why);
    QFETCH(QString, dockerSays);
    const LegacyConfig c = make(path);
    QVERIFY(!c.ok());
    QVERIFY(c.refused);
    QVERIFY2(c.error.contains(why), qPrintable(c.error));
    QCOMPARE(c.dockerSays, dockerSays);
    QVERIFY(c.bytes.isEmpty());
    // The check that predicts it (legacy-json-refused) asks the same without hashing the layers.
    const ImageArchive ia = openImageArchive(path);
    const LegacyConfig early = legacyLoadRefusal(ia, ia.images.at(0));
    QVERIFY(early.refused);
    QCOMPARE(early.error, c.error);
    QCOMPARE(early.dockerSays, dockerSays);
    // A chain Docker loads is not refused.
    const ImageArchive fine = openImageArchive(m_dir.filePath(QStringLiteral("legacy-config-bare.tar")));
    QVERIFY(!legacyLoadRefusal(fine, fine.images.at(0)).refused);
}

QTEST_GUILESS_MAIN(TestLegacyConfig)
#include "tst_legacyconfig.moc"
