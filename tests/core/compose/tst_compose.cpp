// SPDX-License-Identifier: MIT
// Writing new layers: what goes in, in which order, byte for byte the same every time, read back
// by Python's tarfile (independent of Lamina) and by Lamina's own layer index.
#include "archive/archive.h"
#include "compose/layerwriter.h"
#include "layers/layerindex.h"
#include "testsupport.h"
#include "util/sha256.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

using namespace lamina;

class TestCompose : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void layerHoldsWhatWasAsked();
    void reproducibleWhateverTheHost();
    void refusals_data();
    void refusals();
    void nothingDroppedSilently_data();
    void nothingDroppedSilently();
    void unreadableFolderIsAnError();
    void mkdirKeepsWhatIsThere();

private:
    LayerSpec spec() const;
    static QJsonArray listWithPython(const QString &tar)
    {
        const QString script = QStringLiteral(
            "import json, sys, tarfile\n"
            "out = []\n"
            "with tarfile.open(sys.argv[1]) as t:\n"
            "    for m in t:\n"
            "        out.append({'name': m.name, 'type': m.type.decode(), 'mode': m.mode, 'uid': m.uid, 'gid': m.gid,\n"
            "                    'uname': m.uname, 'gname': m.gname, 'mtime': m.mtime, 'size': m.size, 'link': "
            "m.linkname,\n"
            "                    'pax': sorted(m.pax_headers.keys()),\n"
            "                    'data': t.extractfile(m).read().decode('latin-1') if m.isfile() else None})\n"
            "print(json.dumps(out))\n");
        QString output;
        if (test::runPython({ QStringLiteral("-c"), script, tar }, &output) != 0)
            return {};
        return QJsonDocument::fromJson(output.toUtf8()).array();
    }
    QTemporaryDir m_host;
    QTemporaryDir m_out;
};

void TestCompose::initTestCase()
{
    QVERIFY(m_host.isValid() && m_out.isValid());
    QDir(m_host.path()).mkpath(QStringLiteral("app/lib"));
    QFile f(m_host.filePath(QStringLiteral("app/run.sh")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("#!/bin/sh\necho hi\n");
    f.close();
    QFile::setPermissions(f.fileName(),
        QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner | QFile::ReadGroup | QFile::ExeGroup | QFile::ReadOther
            | QFile::ExeOther);
    QFile g(m_host.filePath(QStringLiteral("app/lib/data.bin")));
    QVERIFY(g.open(QIODevice::WriteOnly));
    g.write(QByteArray(3000, 'x'));
    g.close();
    QVERIFY(QFile::link(QStringLiteral("run.sh"), m_host.filePath(QStringLiteral("app/start"))));
}

LayerSpec TestCompose::spec() const
{
    LayerSpec s;
    LayerOp add;
    add.kind = LayerOp::AddHost;
    add.hostPath = m_host.filePath(QStringLiteral("app"));
    add.imagePath = QStringLiteral("/opt/app");
    s.ops << add;
    LayerOp mkdir;
    mkdir.kind = LayerOp::Mkdir;
    mkdir.imagePath = QStringLiteral("/example-output");
    mkdir.mode = 0777;
    s.ops << mkdir;
    LayerOp link;
    link.kind = LayerOp::Symlink;
    link.imagePath = QStringLiteral("/usr/local/bin/app");
    link.linkTarget = QStringLiteral("/opt/app/run.sh");
    s.ops << link;
    LayerOp text;
    text.kind = LayerOp::WriteText;
    text.imagePath = QStringLiteral("etc/motd");
    text.text = "hello\n";
    s.ops << text;
    LayerOp del;
    del.kind = LayerOp::Delete;
    del.imagePath = QStringLiteral("/etc/old.conf");
    s.ops << del;
    LayerOp opaque;
    opaque.kind = LayerOp::Opaque;
    opaque.imagePath = QStringLiteral("/var/cache");
    s.ops << opaque;
    return s;
}

void TestCompose::layerHoldsWhatWasAsked()
{
    const QString tar = m_out.filePath(QStringLiteral("layer.tar"));
    const WrittenLayer w = writeLayer(spec(), tar);
    QVERIFY2(w.ok(), qPrintable(w.error));
    QVERIFY(QDir(QFileInfo(tar).absolutePath())
                .entryList({ QStringLiteral("*.lamina-part-*") }, QDir::AllEntries | QDir::Hidden)
                .isEmpty());
    QFile f(tar);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray bytes = f.readAll();
    QCOMPARE(qint64(bytes.size()), w.size);
    QVERIFY(bytes.endsWith(QByteArray(1024, '\0')));
    QCOMPARE(bytes.size() % 512, 0);

    const QJsonArray entries = listWithPython(tar);
    QStringList names;
    for (const QJsonValue &v : entries)
        names << v.toObject().value(u"name").toString();
    // Parents first, whiteouts before their siblings, missing folders added.
    QCOMPARE(names,
        (QStringList { QStringLiteral("etc"), QStringLiteral("etc/.wh.old.conf"), QStringLiteral("etc/motd"),
            QStringLiteral("example-output"), QStringLiteral("opt"), QStringLiteral("opt/app"),
            QStringLiteral("opt/app/lib"), QStringLiteral("opt/app/lib/data.bin"), QStringLiteral("opt/app/run.sh"),
            QStringLiteral("opt/app/start"), QStringLiteral("usr"), QStringLiteral("usr/local"),
            QStringLiteral("usr/local/bin"), QStringLiteral("usr/local/bin/app"), QStringLiteral("var"),
            QStringLiteral("var/cache"), QStringLiteral("var/cache/.wh..wh..opq") }));
    for (const QJsonValue &v : entries) {
        const QJsonObject e = v.toObject();
        QCOMPARE(e.value(u"uid").toInt(), 0);
        QCOMPARE(e.value(u"uname").toString(), QString());
        QCOMPARE(e.value(u"mtime").toInteger(), 1);
        QVERIFY2(e.value(u"pax").toArray().isEmpty(), qPrintable(e.value(u"name").toString())); // ustar suffices here
        const QString name = e.value(u"name").toString();
        if (name == u"example-output")
            QCOMPARE(e.value(u"mode").toInt(), 0777);
        if (name == u"opt/app/run.sh") {
            QCOMPARE(e.value(u"mode").toInt(), 0755);
            QCOMPARE(e.value(u"data").toString(), QStringLiteral("#!/bin/sh\necho hi\n"));
        }
        if (name == u"opt/app/start") {
            QCOMPARE(e.value(u"type").toString(), QStringLiteral("2"));
            QCOMPARE(e.value(u"link").toString(), QStringLiteral("run.sh"));
        }
        if (name == u"usr/local/bin/app")
            QCOMPARE(e.value(u"link").toString(), QStringLiteral("/opt/app/run.sh"));
        if (name == u"usr")
            QCOMPARE(e.value(u"mode").toInt(), 0755);
    }
    // The diff ID is the sha256 of the bytes.
    QCOMPARE(w.diffId, Sha256::of(bytes));

    // Lamina's own reader sees the whiteout and the opaque folder as such.
    const QString outer = m_out.filePath(QStringLiteral("outer.tar"));
    QVERIFY(test::writeTar(outer, QStringLiteral("add('layer.tar', open('%1', 'rb').read())\n").arg(tar)));
    const auto archive = Archive::open(outer);
    LayerIndexOptions options;
    options.computeDigests = true;
    const LayerIndexResult index = indexLayer(*archive.archive, 0, options);
    QVERIFY(index.index);
    QVERIFY(index.index->problems.isEmpty());
    QCOMPARE(index.index->diffId, w.diffId);
    const int whiteout = index.index->find("etc/old.conf");
    QVERIFY(whiteout >= 0);
    QCOMPARE(index.index->entry(whiteout).type, EntryType::Whiteout);
    QVERIFY(index.index->entry(index.index->find("var/cache")).flags & LayerEntry::Opaque);
}

void TestCompose::reproducibleWhateverTheHost()
{
    const QString a = m_out.filePath(QStringLiteral("a.tar"));
    const QString b = m_out.filePath(QStringLiteral("b.tar"));
    QVERIFY(writeLayer(spec(), a).ok());
    // Other host mtimes and another umask: nothing of it may show in the layer.
    struct utimbuf times
    {
        1000000, 1000000
    };
    ::utime(QFile::encodeName(m_host.filePath(QStringLiteral("app/run.sh"))).constData(), &times);
    ::utime(QFile::encodeName(m_host.filePath(QStringLiteral("app/lib"))).constData(), &times);
    const mode_t old = ::umask(0077);
    const WrittenLayer w = writeLayer(spec(), b);
    ::umask(old);
    QVERIFY(w.ok());
    QFile fa(a), fb(b);
    QVERIFY(fa.open(QIODevice::ReadOnly) && fb.open(QIODevice::ReadOnly));
    QVERIFY(fa.readAll() == fb.readAll());
}

void TestCompose::refusals_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("imagePath");
    QTest::addColumn<QString>("hostPath");
    QTest::addColumn<QString>("error");
    QTest::newRow("image path climbing out") << int(LayerOp::WriteText) << "../../etc/passwd"
                                             << ""
                                             << "climbs out";
    QTest::newRow("host path missing") << int(LayerOp::AddHost) << "/x"
                                       << "/nonexistent/host/file"
                                       << "No such file";
    QTest::newRow("the root itself") << int(LayerOp::Mkdir) << "/"
                                     << ""
                                     << "below the root";
}

void TestCompose::refusals()
{
    QFETCH(int, kind);
    QFETCH(QString, imagePath);
    QFETCH(QString, hostPath);
    QFETCH(QString, error);
    LayerSpec s;
    LayerOp op;
    op.kind = LayerOp::Kind(kind);
    op.imagePath = imagePath;
    op.hostPath = hostPath;
    s.ops << op;
    const QString tar = m_out.filePath(QStringLiteral("refused.tar"));
    const WrittenLayer w = writeLayer(s, tar);
    QVERIFY(!w.ok());
    QVERIFY2(w.error.contains(error), qPrintable(w.error));
    QVERIFY(!QFileInfo::exists(tar));
    QVERIFY(QDir(QFileInfo(tar).absolutePath())
                .entryList({ QStringLiteral("*.lamina-part-*") }, QDir::AllEntries | QDir::Hidden)
                .isEmpty());
}

void TestCompose::nothingDroppedSilently_data()
{
    // Host content the layer cannot hold as it is, or that loaders would read as something else,
    // stops the layer with the reason (issue 16, item 11): nothing is dropped, cut or turned
    // into a whiteout without a word.
    QTest::addColumn<int>("kind");
    QTest::addColumn<QString>("imagePath");
    QTest::addColumn<QByteArray>("hostName"); // a file made in a fresh host folder, added whole
    QTest::addColumn<QString>("hostPath"); // else this host path is added
    QTest::addColumn<QStringList>("error");
    QTest::newRow("host name not UTF-8") << int(LayerOp::AddHost) << "/srv" << QByteArray("bad\xff\xfename") << ""
                                         << QStringList { QStringLiteral("bad\\xff\\xfename"),
                                                QStringLiteral("not UTF-8") };
    QTest::newRow("host file named .wh.") << int(LayerOp::AddHost) << "/" << QByteArray(".wh.bin") << ""
                                          << QStringList { QStringLiteral(".wh.bin"), QStringLiteral("whiteout") };
    QTest::newRow("host opaque marker") << int(LayerOp::AddHost) << "/srv" << QByteArray(".wh..wh..opq") << ""
                                        << QStringList { QStringLiteral(".wh..wh..opq"), QStringLiteral("whiteout") };
    QTest::newRow("written .wh. file") << int(LayerOp::WriteText) << "/.wh.bin" << QByteArray() << ""
                                       << QStringList { QStringLiteral(".wh.bin"), QStringLiteral("whiteout") };
    QTest::newRow("folder below .wh.") << int(LayerOp::Mkdir) << "/a/.wh.b/c" << QByteArray() << ""
                                       << QStringList { QStringLiteral(".wh.b"), QStringLiteral("whiteout") };
    QTest::newRow("added onto .wh.") << int(LayerOp::AddHost) << "/etc/.wh.passwd" << QByteArray("x") << ""
                                     << QStringList { QStringLiteral(".wh.passwd"), QStringLiteral("whiteout") };
    // A /proc file says 0 bytes and holds more: the same check as a file that grows while read.
    QTest::newRow("more bytes than measured")
        << int(LayerOp::AddHost) << "/status" << QByteArray() << "/proc/self/status"
        << QStringList { QStringLiteral("/proc/self/status"), QStringLiteral("more than the 0 bytes") };
}

void TestCompose::nothingDroppedSilently()
{
    QFETCH(int, kind);
    QFETCH(QString, imagePath);
    QFETCH(QByteArray, hostName);
    QFETCH(QString, hostPath);
    QFETCH(QStringList, error);
    QTemporaryDir host;
    QVERIFY(host.isValid());
    LayerOp op;
    op.kind = LayerOp::Kind(kind);
    op.imagePath = imagePath;
    op.text = "x";
    op.hostPath = hostPath;
    if (!hostName.isEmpty()) {
        const QByteArray file = QFile::encodeName(host.path()) + '/' + hostName;
        QFile f(QFile::decodeName(file));
        const int fd = ::open(file.constData(), O_WRONLY | O_CREAT | O_EXCL, 0644);
        QVERIFY(fd >= 0);
        QCOMPARE(::write(fd, "data", 4), 4);
        ::close(fd);
        op.hostPath = imagePath.contains(u".wh.") ? QFile::decodeName(file) : host.path();
    }
    LayerSpec s;
    s.ops << op;
    const QString tar = m_out.filePath(QStringLiteral("dropped.tar"));
    const WrittenLayer w = writeLayer(s, tar);
    QVERIFY2(!w.ok(), "written without a word");
    for (const QString &part : error)
        QVERIFY2(w.error.contains(part), qPrintable(w.error));
    QVERIFY(!QFileInfo::exists(tar));
}

void TestCompose::unreadableFolderIsAnError()
{
    // A host folder the user cannot list was stored as an empty d--------- folder. Root lists
    // anything, so the layer is written by a child running as nobody (65534).
    QTemporaryDir host;
    QVERIFY(host.isValid());
    QVERIFY(QDir(host.path()).mkpath(QStringLiteral("app/secret")));
    QFile f(host.filePath(QStringLiteral("app/secret/key")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.close();
    QVERIFY(::chmod(QFile::encodeName(host.path()).constData(), 0755) == 0);
    QVERIFY(::chmod(QFile::encodeName(host.filePath(QStringLiteral("app/secret"))).constData(), 0) == 0);
    QTemporaryDir out;
    QVERIFY(out.isValid());
    QVERIFY(::chmod(QFile::encodeName(out.path()).constData(), 0777) == 0);
    LayerSpec s;
    LayerOp add;
    add.kind = LayerOp::AddHost;
    add.hostPath = host.filePath(QStringLiteral("app"));
    add.imagePath = QStringLiteral("/app");
    s.ops << add;
    const QString tar = out.filePath(QStringLiteral("unreadable.tar"));
    int pipeFds[2];
    QVERIFY(::pipe(pipeFds) == 0);
    const pid_t child = ::fork();
    QVERIFY(child >= 0);
    if (child == 0) {
        ::close(pipeFds[0]);
        if (::geteuid() == 0
            && (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0
                || ::setresuid(65534, 65534, 65534) != 0))
            ::_exit(3);
        const WrittenLayer w = writeLayer(s, tar);
        const QByteArray message = w.ok() ? QByteArray("written") : w.error.toUtf8();
        [[maybe_unused]] const ssize_t n = ::write(pipeFds[1], message.constData(), size_t(message.size()));
        ::_exit(0);
    }
    ::close(pipeFds[1]);
    QByteArray message;
    char buffer[4096];
    ssize_t n;
    while ((n = ::read(pipeFds[0], buffer, sizeof buffer)) > 0)
        message.append(buffer, n);
    ::close(pipeFds[0]);
    int status = 0;
    QCOMPARE(::waitpid(child, &status, 0), child);
    ::chmod(QFile::encodeName(host.filePath(QStringLiteral("app/secret"))).constData(), 0755);
    QVERIFY2(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child could not drop to nobody");
    QVERIFY2(message.contains("app/secret: cannot read the folder: Permission denied"), message.constData());
    QVERIFY(!QFileInfo::exists(tar));
}

void TestCompose::mkdirKeepsWhatIsThere()
{
    // --mkdir without a mode is mkdir -p: a folder the tree below has, or that an earlier
    // operation of the layer made, stays as it is; a mode given is written.
    LayerSpec s;
    LayerOp data;
    data.kind = LayerOp::Mkdir;
    data.imagePath = QStringLiteral("/data");
    data.mode = 0750;
    LayerOp again = data;
    again.mode.reset();
    LayerOp tmp = again;
    tmp.imagePath = QStringLiteral("/tmp");
    LayerOp root = data;
    root.imagePath = QStringLiteral("/root");
    root.mode = 0711;
    s.ops << data << again << tmp << root;
    const FolderBelow below = [](const QString &path) -> std::optional<ExistingFolder> {
        if (path == u"tmp")
            return ExistingFolder { 01777, 0, 0, 1234 };
        if (path == u"root")
            return ExistingFolder { 0700, 0, 0, 1234 };
        return std::nullopt;
    };
    const QString tar = m_out.filePath(QStringLiteral("mkdir.tar"));
    QVERIFY(writeLayer(s, tar, {}, below).ok());
    QHash<QString, QPair<int, qint64>> modes;
    for (const QJsonValue &v : listWithPython(tar))
        modes.insert(v.toObject().value(u"name").toString(),
            { v.toObject().value(u"mode").toInt(), v.toObject().value(u"mtime").toInteger() });
    QCOMPARE(modes.value(QStringLiteral("data")), qMakePair(0750, qint64(1)));
    QCOMPARE(modes.value(QStringLiteral("tmp")), qMakePair(01777, qint64(1234)));
    QCOMPARE(modes.value(QStringLiteral("root")), qMakePair(0711, qint64(1)));
}

QTEST_GUILESS_MAIN(TestCompose)
#include "tst_compose.moc"
