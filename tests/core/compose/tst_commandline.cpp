// SPDX-License-Identifier: MIT
// core/compose/commandline: `lamina compose` arguments written and parsed back give the same
// composition and options (the shell's word splitting done by Python's shlex, not by Lamina);
// the one word table for formats and compressions; the one mode rule.
#include "compose/commandline.h"
#include "compose/compositionjson.h"
#include "compose/layerop.h"
#include "testsupport.h"

#include <QJsonDocument>
#include <QTest>

using namespace lamina;
using namespace Qt::Literals::StringLiterals;

namespace {

/// The words a POSIX shell makes of `line` (shlex, posix mode), the program dropped.
QStringList shellWords(const QString &line)
{
    QProcess p;
    p.start(QStringLiteral("python3"),
        { QStringLiteral("-c"),
            QStringLiteral("import shlex,sys,json; print(json.dumps(shlex.split(sys.stdin.read())))") });
    p.write(line.toUtf8());
    p.closeWriteChannel();
    p.waitForFinished(60000);
    QStringList words;
    for (const QJsonValue &v : QJsonDocument::fromJson(p.readAllStandardOutput()).array())
        words << v.toString();
    return words.mid(2); // "lamina", "compose"
}

LayerOp op(LayerOp::Kind kind, const QString &imagePath)
{
    LayerOp o;
    o.kind = kind;
    o.imagePath = imagePath;
    return o;
}

Composition richComposition(const QString &host)
{
    Composition c;
    c.basePath = QStringLiteral("/images/base image.tar");
    c.basePlatform = QStringLiteral("linux/arm64/v8");
    LayerSpec first;
    LayerOp add = op(LayerOp::AddHost, QStringLiteral("/opt/app"));
    add.hostPath = host;
    add.mode = 0750;
    first.ops << add;
    LayerOp dir = op(LayerOp::Mkdir, QStringLiteral("/var/lib/it's"));
    dir.mode = 01777;
    dir.uid = 1000;
    dir.gid = 100;
    first.ops << dir;
    LayerOp link = op(LayerOp::Symlink, QStringLiteral("/usr/bin/app"));
    link.linkTarget = QStringLiteral("../../opt/app/run");
    link.uid = 1000;
    link.gid = 100;
    first.ops << link;
    LayerSpec second;
    LayerOp text = op(LayerOp::WriteText, QStringLiteral("/etc/motd"));
    text.text = "hello \"world\"\n$HOME `x` 'q'\n";
    second.ops << text << op(LayerOp::Delete, QStringLiteral("/tmp/junk"))
               << op(LayerOp::Opaque, QStringLiteral("/cache"));
    c.layers << first << second;
    c.config.workingDir = QStringLiteral("/opt/app");
    c.config.cmd = QStringList { QStringLiteral("run"), QStringLiteral("--flag=a b") };
    c.config.entrypoint = QStringList { QStringLiteral("/usr/bin/tini"), QStringLiteral("--") };
    c.config.setEnv << qMakePair(QStringLiteral("PATH"), QStringLiteral("/opt/app/bin:/usr/bin"));
    c.config.unsetEnv << QStringLiteral("DEBUG");
    c.config.user = QStringLiteral("app:app");
    c.config.labels << qMakePair(QStringLiteral("org.opencontainers.image.title"), QStringLiteral("An app"));
    c.config.exposedPorts << QStringLiteral("8080/tcp");
    c.config.volumes << QStringLiteral("/data");
    c.config.stopSignal = QStringLiteral("SIGTERM");
    c.createWorkdir = false;
    c.tags << QStringLiteral("example.com:5000/team/app:1.0");
    c.created = QStringLiteral("2024-05-06T07:08:09Z");
    return c;
}

} // namespace

class TestCommandLine : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void roundTrip_data()
    {
        QTest::addColumn<int>("format");
        QTest::addColumn<int>("layerCompression");
        QTest::addColumn<int>("compress");
        QTest::newRow("docker") << int(ExportFormat::Docker) << int(Compression::Gzip) << int(Compression::None);
        QTest::newRow("docker, gzip'd") << int(ExportFormat::Docker) << int(Compression::Gzip)
                                        << int(Compression::Gzip);
        QTest::newRow("docker-oci, zstd'd")
            << int(ExportFormat::DockerOci) << int(Compression::Gzip) << int(Compression::Zstd);
        QTest::newRow("oci, zstd layers") << int(ExportFormat::Oci) << int(Compression::Zstd) << int(Compression::None);
        QTest::newRow("oci-dir, plain layers")
            << int(ExportFormat::OciDir) << int(Compression::None) << int(Compression::None);
    }
    void roundTrip()
    {
        QFETCH(int, format);
        QFETCH(int, layerCompression);
        QFETCH(int, compress);
        const Composition c = richComposition(QStringLiteral("/home/me/build output"));
        ExportOptions o;
        o.format = ExportFormat(format);
        o.layerCompression = Compression(layerCompression);
        o.compress = Compression(compress);
        o.output = QStringLiteral("/out/new image.tar");
        QString why;
        const QString line = composeCommandLine(c, o, QStringLiteral("lamina"), &why);
        QVERIFY2(!line.isEmpty(), qPrintable(why));
        const ComposeArguments back = parseComposeArguments(shellWords(line));
        QVERIFY2(back.ok(), qPrintable(back.error));
        QCOMPARE(
            QJsonDocument(compositionToJson(back.composition)).toJson(), QJsonDocument(compositionToJson(c)).toJson());
        QCOMPARE(back.options.format, o.format);
        QCOMPARE(back.options.compress, o.compress);
        if (o.format == ExportFormat::Oci || o.format == ExportFormat::OciDir)
            QCOMPARE(back.options.layerCompression, o.layerCompression);
        QCOMPARE(back.options.output, o.output);
        // And once more: what is printed from what was parsed is the same line.
        QCOMPARE(composeCommandLine(back.composition, back.options, QStringLiteral("lamina"), &why), line);
    }

    void wordsAreOneTable()
    {
        for (ExportFormat f :
            { ExportFormat::Docker, ExportFormat::DockerOci, ExportFormat::Oci, ExportFormat::OciDir })
            QCOMPARE(parseFormatWord(formatWord(f)), f);
        for (Compression c : { Compression::None, Compression::Gzip, Compression::Zstd })
            QCOMPARE(parseCompressionWord(compressionWord(c)), c);
        QVERIFY(!parseFormatWord(QStringLiteral("tar")));
        QVERIFY(!parseCompressionWord(QStringLiteral("xz")));
    }

    void refusals_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("error");
        QTest::addColumn<bool>("usage");
        QTest::newRow("add without image path")
            << QStringList { u"--add"_s, u"file"_s } << u"--add HOST:IMAGE[:MODE]"_s << true;
        QTest::newRow("bad mode") << QStringList { u"--mkdir"_s, u"/a:999"_s } << u"--mkdir: bad value"_s << true;
        QTest::newRow("unknown option") << QStringList { u"--bogus"_s } << u"unknown option --bogus"_s << true;
        QTest::newRow("two bases") << QStringList { u"a.tar"_s, u"b.tar"_s } << u"one BASE only"_s << true;
        QTest::newRow("bad format") << QStringList { u"--format"_s, u"zip"_s } << u"--format: bad value"_s << true;
        QTest::newRow("load into what") << QStringList { u"--load"_s, u"k8s"_s } << u"--load: bad value"_s << true;
        QTest::newRow("env without =") << QStringList { u"--env"_s, u"X"_s } << u"--env: bad value"_s << true;
        QTest::newRow("platform without arch")
            << QStringList { u"--platform"_s, u"linux"_s } << u"--platform: bad value"_s << true;
        QTest::newRow("layer compression on docker") << QStringList { u"--layer-compression"_s, u"zstd"_s }
                                                     << u"--layer-compression applies to --format oci"_s << false;
        QTest::newRow("missing spec file")
            << QStringList { u"--spec"_s, u"/nonexistent/spec.json"_s } << u"--spec /nonexistent/spec.json:"_s << false;
    }
    void refusals()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, error);
        QFETCH(bool, usage);
        const ComposeArguments r = parseComposeArguments(args);
        QVERIFY2(r.error.startsWith(error), qPrintable(r.error));
        QCOMPARE(r.usageError, usage);
    }

    void oneModeRule()
    {
        // The command line takes what the window's mode editor takes.
        QCOMPARE(parseMode(QStringLiteral("0755")), 0755u);
        QCOMPARE(parseMode(QStringLiteral("rwsr-xr-t")), 05755u);
        QCOMPARE(parseMode(QStringLiteral("rw-r--r--")), 0644u);
        QVERIFY(!parseMode(QStringLiteral("10000")));
        QVERIFY(!parseMode(QStringLiteral("rwxrwxrwz")));
        const ComposeArguments r = parseComposeArguments({ QStringLiteral("--mkdir"), QStringLiteral("/t:rwxrwxrwt") });
        QVERIFY2(r.ok(), qPrintable(r.error));
        QCOMPARE(r.composition.layers.value(0).ops.value(0).mode, std::optional<quint32>(01777));
        QCOMPARE(defaultMode(LayerOp::Mkdir), std::optional<quint32>(0755));
        QCOMPARE(defaultMode(LayerOp::WriteText), std::optional<quint32>(0644));
        QVERIFY(!defaultMode(LayerOp::AddHost)); // the host file's own
    }
};

QTEST_GUILESS_MAIN(TestCommandLine)
#include "tst_commandline.moc"
