// SPDX-License-Identifier: MIT
// core/check: where the views disagree (docs/formats.md §5), on archives spelled out as text
// (tests/support/archivetext.h, no generated tar): each finding raised by exactly the metadata
// that should raise it, and a consistent archive raising none of them.
#include "archivetext.h"
#include "check/checks.h"
#include "check/verify.h"
#include "format/imagearchive.h"

#include <QTemporaryDir>
#include <QTest>

using namespace lamina;
using namespace lamina::test;

namespace {

// One layer, a config naming it, manifest.json, and a legacy chain of one directory.
const QString kConsistent = QStringLiteral(R"(
== a/layer.tar layer
d /etc 0755
f /etc/hello 0644 hello
== a/VERSION
1.0
== a/json
{"id":"{hex:a/layer.tar}","os":"linux","architecture":"amd64","config":{}}
== c.json
{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["{diff:a/layer.tar}"]}}
== manifest.json
[{"Config":"c.json","RepoTags":["t:1"],"Layers":["a/layer.tar"]}]
== repositories
{"t":{"1":"{hex:a/layer.tar}"}}
)");

QStringList codesOf(const QString &description, bool verify = false)
{
    QTemporaryDir dir;
    if (!writeArchiveFolder(dir.path(), description))
        return { QStringLiteral("<not written>") };
    const ImageArchive ia = openImageArchive(dir.path());
    QList<Finding> findings = checkArchive(ia);
    if (verify)
        findings += verifyLayers(ia).findings;
    QStringList codes;
    for (const Finding &f : findings)
        if (f.severity != Severity::Info)
            codes << f.code;
    codes.removeDuplicates();
    codes.sort();
    return codes;
}

} // namespace

class TestDisagreements : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aConsistentArchiveRaisesNothing() { QCOMPARE(codesOf(kConsistent, true), QStringList()); }

    void aParentThatNamesNoLayer()
    {
        // The nixpkgs case: the legacy json names a parent no directory holds.
        QString d = kConsistent;
        d.replace(QStringLiteral("\"os\":\"linux\",\"architecture\""),
            QStringLiteral("\"parent\":\"%1\",\"os\":\"linux\",\"architecture\"").arg(QString(64, u'9')));
        QVERIFY(codesOf(d).contains(QStringLiteral("dangling-parent")));
    }

    void moreLayersThanDiffIds()
    {
        QString d = kConsistent;
        d.replace(QStringLiteral("\"Layers\":[\"a/layer.tar\"]"),
            QStringLiteral("\"Layers\":[\"a/layer.tar\",\"a/layer.tar\"]"));
        QVERIFY(codesOf(d).contains(QStringLiteral("layer-count-mismatch")));
    }

    void aDiffIdThatIsNotTheLayers()
    {
        QString d = kConsistent;
        d.replace(QStringLiteral("\"diff_ids\":[\"{diff:a/layer.tar}\"]"),
            QStringLiteral("\"diff_ids\":[\"sha256:%1\"]").arg(QString(64, u'0')));
        QVERIFY(!codesOf(d).contains(QStringLiteral("diffid-mismatch"))); // only hashing tells
        QVERIFY(codesOf(d, true).contains(QStringLiteral("diffid-mismatch")));
    }
};

QTEST_GUILESS_MAIN(TestDisagreements)
#include "tst_disagreements.moc"
