// SPDX-License-Identifier: MIT
// Archives of every layout, written by tests/fixtures/make_fixtures.py with Python's tarfile,
// hashlib and json — independently of Lamina's code — and checked against the expectations the
// generator writes beside them (expected.json, the `lamina inspect --json` schema).
#include "format/imagearchive.h"
#include "format/inspectreport.h"
#include "testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace lamina;

class TestFixtures : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void fixture_data();
    void fixture();
    void inputsAreNotModified();

private:
    QTemporaryDir m_dir;
    QJsonObject m_expected;
    QHash<QString, QByteArray> m_before;
};

void TestFixtures::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QString output;
    const int rc
        = test::runPython({ test::source(QStringLiteral("tests/fixtures/make_fixtures.py")), m_dir.path() }, &output);
    QVERIFY2(rc == 0, qPrintable(output));
    QFile f(m_dir.filePath(QStringLiteral("expected.json")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    m_expected = QJsonDocument::fromJson(f.readAll()).object();
    QVERIFY(m_expected.size() >= 20);
    for (const QString &name : m_expected.keys()) {
        QFile in(m_dir.filePath(name));
        if (QFileInfo(in).isFile() && in.size() < (64 << 20) && in.open(QIODevice::ReadOnly))
            m_before.insert(name, in.readAll());
    }
}

void TestFixtures::fixture_data()
{
    QTest::addColumn<QString>("name");
    for (const QString &name : m_expected.keys())
        QTest::newRow(qPrintable(name)) << name;
}

static void compareValue(const QString &where, const QJsonValue &actual, const QJsonValue &expected)
{
    QVERIFY2(actual == expected,
        qPrintable(
            QStringLiteral("%1: got %2, expected %3")
                .arg(where, QString::fromUtf8(QJsonDocument(QJsonArray { actual }).toJson(QJsonDocument::Compact)),
                    QString::fromUtf8(QJsonDocument(QJsonArray { expected }).toJson(QJsonDocument::Compact)))));
}

void TestFixtures::fixture()
{
    QFETCH(QString, name);
    const QJsonObject exp = m_expected.value(name).toObject();
    const ImageArchive ia = openImageArchive(m_dir.filePath(name));
    const QJsonObject got = inspectJson(ia);
    const QString errors = ia.errors.join(u'\n');

    for (const char *key : { "container", "compression", "layout" }) {
        const QString k = QString::fromLatin1(key);
        if (exp.contains(k))
            compareValue(k, got.value(k), exp.value(k));
    }
    const QJsonArray images = got.value(u"images").toArray();
    if (exp.contains(u"imageCount"))
        QVERIFY2(images.size() == exp.value(u"imageCount").toInt(), qPrintable(errors));
    if (exp.contains(u"artifactCount"))
        QCOMPARE(got.value(u"artifacts").toArray().size(), exp.value(u"artifactCount").toInt());
    if (exp.contains(u"exitCode"))
        QCOMPARE(ia.ok() ? 0 : 2, exp.value(u"exitCode").toInt());
    for (const QJsonValue &s : exp.value(u"errorSubstrings").toArray())
        QVERIFY2(errors.contains(s.toString(), Qt::CaseInsensitive),
            qPrintable(QStringLiteral("no error mentions \"%1\"; errors:\n%2").arg(s.toString(), errors)));
    if (!exp.contains(u"errorSubstrings"))
        QVERIFY2(ia.errors.isEmpty(), qPrintable(errors));

    const QJsonArray expImages = exp.value(u"images").toArray();
    QVERIFY(expImages.size() <= images.size());
    for (int i = 0; i < expImages.size(); ++i) {
        const QJsonObject e = expImages.at(i).toObject();
        const QJsonObject g = images.at(i).toObject();
        for (auto it = e.begin(); it != e.end(); ++it) {
            if (it.key() != u"layers") {
                compareValue(QStringLiteral("image %1 %2").arg(i).arg(it.key()), g.value(it.key()), it.value());
                continue;
            }
            const QJsonArray el = it.value().toArray();
            const QJsonArray gl = g.value(u"layers").toArray();
            QVERIFY2(el.size() == gl.size(),
                qPrintable(QStringLiteral("image %1: %2 layers, expected %3").arg(i).arg(gl.size()).arg(el.size())));
            for (int j = 0; j < el.size(); ++j) {
                const QJsonObject le = el.at(j).toObject();
                const QJsonObject lg = gl.at(j).toObject();
                for (auto f = le.begin(); f != le.end(); ++f)
                    compareValue(QStringLiteral("image %1 layer %2 %3").arg(i).arg(j).arg(f.key()), lg.value(f.key()),
                        f.value());
            }
        }
    }
}

void TestFixtures::inputsAreNotModified()
{
    for (auto it = m_before.begin(); it != m_before.end(); ++it) {
        (void)openImageArchive(m_dir.filePath(it.key()));
        QFile f(m_dir.filePath(it.key()));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QVERIFY2(f.readAll() == it.value(), qPrintable(it.key()));
    }
}

QTEST_GUILESS_MAIN(TestFixtures)
#include "tst_fixtures.moc"
