// SPDX-License-Identifier: MIT
// core/compose/preflight: the checks of a composed image, on layers spelled out as text (no tar
// file): each finding raised by exactly the entries that should raise it, and not otherwise.
#include "compose/preflight.h"
#include "layers/sharedtree.h"
#include "layertext.h"
#include "util/workcounters.h"

#include <QJsonArray>
#include <QTest>

using namespace lamina;
using namespace lamina::test;

namespace {

const QString kBase = QStringLiteral(R"(
d /bin 0755
f /bin/busybox 0755 #!busybox
l /bin/sh busybox
f /bin/notes 0644 text
d /etc 0755
f /etc/passwd 0644 root:x:0:0
d /tmp 1777
d /usr 0755
)");

QJsonObject settings(const QStringList &cmd, const QString &workdir = {})
{
    QJsonObject s { { QStringLiteral("Cmd"), QJsonArray::fromStringList(cmd) } };
    if (!workdir.isEmpty())
        s.insert(QStringLiteral("WorkingDir"), workdir);
    return s;
}

QStringList codes(const QList<Finding> &findings)
{
    QStringList list;
    for (const Finding &f : findings)
        list << f.code + u' ' + f.paths.value(0);
    list.sort();
    return list;
}

QList<Finding> preflight(const QString &newLayer, const QJsonObject &cfg, QList<LayerSpec> specs = { LayerSpec() })
{
    return preflightChecks(layersFromText({ kBase, newLayer }), 1, cfg, false, specs);
}

} // namespace

class TestPreflight : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aSoundLayerRaisesNothing()
    {
        const QList<Finding> f = preflight(QStringLiteral("d /etc 0755\nf /etc/motd 0644 hello"),
            settings(
                { QStringLiteral("/bin/sh"), QStringLiteral("-c"), QStringLiteral("true") }, QStringLiteral("/etc")));
        QVERIFY2(f.isEmpty(), qPrintable(codes(f).join(u'\n')));
    }

    void anUntaggedOutputIsNamed()
    {
        const QList<Finding> untagged = tagChecks({});
        QCOMPARE(untagged.size(), 1);
        QCOMPARE(untagged.constFirst().code, QStringLiteral("untagged"));
        QCOMPARE(untagged.constFirst().severity, Severity::Warning);
        QVERIFY(!codeInfo(QStringLiteral("untagged")).explanation.isEmpty());
        QVERIFY(tagChecks({ QStringLiteral("example.com/app:1") }).isEmpty());
    }
    void theCommandIsLookedFor()
    {
        QCOMPARE(codes(preflight({}, settings({ QStringLiteral("nosuch") }))),
            QStringList { QStringLiteral("command-not-found ") });
        // Through PATH, and through the link /bin/sh → busybox.
        QVERIFY(preflight({}, settings({ QStringLiteral("sh") })).isEmpty());
        QCOMPARE(codes(preflight({}, settings({ QStringLiteral("/bin/notes") }))),
            QStringList { QStringLiteral("command-not-executable /bin/notes") });
        // A new layer that deletes the program breaks the command.
        QCOMPARE(codes(preflight(QStringLiteral("w /bin/busybox"), settings({ QStringLiteral("/bin/busybox") }))),
            QStringList { QStringLiteral("command-not-found ") });
    }

    void theWorkingFolderMustBeAFolder()
    {
        QCOMPARE(codes(preflight({}, settings({ QStringLiteral("sh") }, QStringLiteral("/etc/passwd")))),
            QStringList { QStringLiteral("workdir-missing /etc/passwd") });
        QVERIFY(preflight({}, settings({ QStringLiteral("sh") }, QStringLiteral("/"))).isEmpty());
    }

    void whatANewLayerReplaces()
    {
        const QJsonObject cfg = settings({ QStringLiteral("sh") });
        QCOMPARE(codes(preflight(QStringLiteral("w /nothing"), cfg)),
            QStringList { QStringLiteral("nothing-to-delete /nothing") });
        QCOMPARE(codes(preflight(QStringLiteral("d /etc 0755\nd /etc/passwd 0755"), cfg)),
            QStringList { QStringLiteral("shadowed-entry /etc/passwd") });
        QCOMPARE(codes(preflight(QStringLiteral("f /usr 0644 x"), cfg)),
            QStringList { QStringLiteral("shadowed-entry /usr") });
        QCOMPARE(codes(preflight(QStringLiteral("f /bin/su 4755 x"), cfg)),
            QStringList { QStringLiteral("setuid-file /bin/su") });
    }

    void aFolderChangedByTheWayIsNamed()
    {
        const QJsonObject cfg = settings({ QStringLiteral("sh") });
        // /tmp listed again with 0755 and another owner: the layer would close it.
        const QString layer = QStringLiteral("d /tmp 0755 1000:1000\nf /tmp/x 0644 x");
        const QList<Finding> f = preflight(layer, cfg);
        QCOMPARE(codes(f), QStringList { QStringLiteral("folder-changed /tmp") });
        QVERIFY2(f.constFirst().message.contains(u"mode 1777 → 0755")
                && f.constFirst().message.contains(u"owner 0:0 → 1000:1000"),
            qPrintable(f.constFirst().message));
        // Unless an operation asked for that mode.
        LayerSpec asked;
        LayerOp mkdir;
        mkdir.kind = LayerOp::Mkdir;
        mkdir.imagePath = QStringLiteral("/tmp");
        mkdir.mode = 0755;
        asked.ops << mkdir;
        QVERIFY(preflight(layer, cfg, { asked }).isEmpty());
    }

    void theBaseTreeShownIsBorrowed()
    {
        // The window holds the base's tree: the checks use it and build only the result's
        // (at a million entries each tree is tens of megabytes).
        const MergedTree::Layers layers = layersFromText({ kBase, QStringLiteral("f /etc/motd 0644 hi") });
        const auto shown = sharedMergedTree(layers, 0);
        work::counters().reset();
        const QList<Finding> f = preflightChecks(layers, 1, settings({ QStringLiteral("sh") }), false, { LayerSpec() });
        QVERIFY2(f.isEmpty(), qPrintable(codes(f).join(u'\n')));
        QCOMPARE(work::counters().treesBuilt.load(), qint64(1));
        // With nothing shown, one tree below the new layer and one of the result.
        const auto others = layersFromText({ kBase, QStringLiteral("f /etc/motd 0644 hi") });
        work::counters().reset();
        QVERIFY(preflightChecks(others, 1, settings({ QStringLiteral("sh") }), false, { LayerSpec() }).isEmpty());
        QCOMPARE(work::counters().treesBuilt.load(), qint64(2));
    }
};

QTEST_GUILESS_MAIN(TestPreflight)
#include "tst_preflight.moc"
