// SPDX-License-Identifier: MIT
// docker:// and podman:// (docs/engines.md): references, sockets, and an engine that answers
// wrongly, played by a unix socket server in this test. Real engines are in
// tests/loaders/engines.py, run by tst_loaders.
#include "engine/enginesource.h"
#include "fakeengine.h"
#include "format/imagearchive.h"
#include "testsupport.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace lamina;

class TestEngines : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init();
    void references();
    void sockets();
    void badAnswers_data();
    void badAnswers();
    void refusedSocket();
    void cancelWhileTheEngineIsSilent();
    void savedImageOpensAndGoes();
    void loadAnswers();
    void interimAnswerIsSkipped();
    void oldSavesGoUnlessInUse();
    void imageList();

private:
    EngineSaved save(const QByteArray &answer, QString name = QStringLiteral("alpine:3"))
    {
        const QString sock = m_dir.filePath(QStringLiteral("engine.sock"));
        test::FakeEngine engine(sock, answer);
        [&] { QVERIFY(engine.ok()); }();
        EngineReference ref;
        ref.name = name;
        return saveFromSocket(ref, sock, folder());
    }
    QString folder() const { return m_dir.filePath(QStringLiteral("cache")); }
    QStringList leftInFolder() const { return QDir(folder()).entryList(QDir::Files | QDir::Hidden); }
    QTemporaryDir m_dir;
};

void TestEngines::init()
{
    QVERIFY(m_dir.isValid());
    QDir(folder()).removeRecursively();
}

void TestEngines::references()
{
    const auto docker = parseEngineReference(QStringLiteral("docker://alpine:3.19"));
    QVERIFY(docker);
    QCOMPARE(int(docker->engine), int(EngineReference::Engine::Docker));
    QCOMPARE(docker->name, QStringLiteral("alpine:3.19"));
    QCOMPARE(docker->text(), QStringLiteral("docker://alpine:3.19"));
    const auto podman = parseEngineReference(QStringLiteral("podman://localhost/x@sha256:abc"));
    QVERIFY(podman);
    QCOMPARE(int(podman->engine), int(EngineReference::Engine::Podman));
    QCOMPARE(podman->name, QStringLiteral("localhost/x@sha256:abc"));
    for (const char *text : { "docker://", "docker://-q", "podman://--quiet", "alpine", "/tmp/docker://x",
             "docker://a b", "docker://a\nb", "docker://a?b", "registry://x" })
        QVERIFY2(!parseEngineReference(QString::fromUtf8(text)), text);
}

void TestEngines::sockets()
{
    QString error;
    qputenv("DOCKER_HOST", "unix:///run/user/7/docker.sock");
    QCOMPARE(engineSocket(EngineReference::Engine::Docker), QStringLiteral("/run/user/7/docker.sock"));
    qputenv("DOCKER_HOST", "tcp://10.0.0.1:2375");
    QCOMPARE(engineSocket(EngineReference::Engine::Docker, &error), QString());
    QVERIFY2(error.contains(u"tcp://10.0.0.1:2375") && error.contains(u"unix"), qPrintable(error));
    qputenv("DOCKER_HOST", "unix://");
    QCOMPARE(engineSocket(EngineReference::Engine::Docker, &error), QString());
    QVERIFY2(error.contains(u"names no socket"), qPrintable(error));
    qunsetenv("DOCKER_HOST");
    QCOMPARE(engineSocket(EngineReference::Engine::Docker), QStringLiteral("/var/run/docker.sock"));
    qputenv("CONTAINER_HOST", "unix:///tmp/p.sock");
    QCOMPARE(engineSocket(EngineReference::Engine::Podman), QStringLiteral("/tmp/p.sock"));
    qunsetenv("CONTAINER_HOST");
}

void TestEngines::badAnswers_data()
{
    QTest::addColumn<QByteArray>("answer");
    QTest::addColumn<QString>("said");
    const QByteArray json = "{\"message\":\"No such image: alpine:3\"}";
    QTest::newRow("404 with a message")
        << "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: "
            + QByteArray::number(json.size()) + "\r\n\r\n" + json
        << QStringLiteral("answered 404 Not Found: No such image: alpine:3");
    QTest::newRow("500 chunked") << "HTTP/1.1 500 Internal Server Error\r\nTransfer-Encoding: chunked\r\n\r\n"
            + test::chunked("{\"message\":\"write /var/lib: no space left on device\"}")
                                 << QStringLiteral("answered 500 Internal Server Error: write /var/lib: no space left");
    QTest::newRow("not HTTP") << QByteArray("SSH-2.0-OpenSSH_9.2\r\n") << QStringLiteral("is not HTTP");
    QTest::newRow("nothing") << QByteArray() << QStringLiteral("closed the connection without an answer");
    QTest::newRow("cut in the headers") << QByteArray("HTTP/1.1 200 OK\r\nContent-Le")
                                        << QStringLiteral("closed the connection within the answer's headers");
    QTest::newRow("endless header") << "HTTP/1.1 200 OK\r\nX: " + QByteArray(100 * 1024, 'a')
                                    << QStringLiteral("line of more than");
    QTest::newRow("truncated chunks") << "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n"
            + QByteArray(300, 'x') << QStringLiteral("stopped sending after 300 bytes");
    QTest::newRow("bad chunk size") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
                                    << QStringLiteral("bad chunk size");
    QTest::newRow("10 GB promised, 100 sent") << "HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n"
            + QByteArray(100, 'x') << QStringLiteral("stopped sending after 100 bytes");
    QTest::newRow("error inside the tar")
        << "HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n"
            + test::chunked(QByteArray(3000, '\0')
                + "{\"errorDetail\":{\"message\":\"open /var/lib/docker/x: no such file\"},"
                  "\"error\":\"open /var/lib/docker/x: no such file\"}\r\n")
        << QStringLiteral("the engine failed after 3115 bytes of the image: open /var/lib/docker/x: no such file");
    QTest::newRow("chunk longer than said")
        << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n")
        << QStringLiteral("a chunk longer than its size says (after 3 bytes)");
    QTest::newRow("bad length") << QByteArray("HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n")
                                << QStringLiteral("bad Content-Length");
}

void TestEngines::badAnswers()
{
    QFETCH(QByteArray, answer);
    QFETCH(QString, said);
    const EngineSaved saved = save(answer);
    QVERIFY(saved.file.isEmpty());
    QVERIFY2(saved.error.contains(said), qPrintable(saved.error));
    QVERIFY2(saved.error.startsWith(u"docker://alpine:3: the Docker engine at "), qPrintable(saved.error));
    QCOMPARE(leftInFolder(), QStringList()); // nothing partial is kept
}

void TestEngines::refusedSocket()
{
    // A socket file nobody listens on: what a crashed engine leaves.
    const QString sock = m_dir.filePath(QStringLiteral("dead.sock"));
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a {};
    a.sun_family = AF_UNIX;
    const QByteArray p = QFile::encodeName(sock);
    std::memcpy(a.sun_path, p.constData(), size_t(p.size()));
    QCOMPARE(::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a), 0);
    ::close(fd);
    EngineReference ref;
    ref.name = QStringLiteral("alpine");
    const EngineSaved saved = saveFromSocket(ref, sock, folder());
    QVERIFY2(saved.error.contains(u"refuses connections"), qPrintable(saved.error));
    QVERIFY(saved.error.contains(sock));
    const EngineSaved missing = saveFromSocket(ref, m_dir.filePath(QStringLiteral("none.sock")), folder());
    QVERIFY2(missing.error.contains(u"the socket does not exist"), qPrintable(missing.error));
}

void TestEngines::cancelWhileTheEngineIsSilent()
{
    const QString sock = m_dir.filePath(QStringLiteral("slow.sock"));
    test::FakeEngine engine(
        sock, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n", true);
    QVERIFY(engine.ok());
    std::atomic<bool> cancel { false };
    Progress progress;
    progress.cancel = &cancel;
    qint64 reported = 0;
    progress.report = [&](qint64 done, qint64) {
        reported = done;
        cancel = true; // the user cancels once the first bytes came
    };
    EngineReference ref;
    ref.name = QStringLiteral("busybox");
    const EngineSaved saved = saveFromSocket(ref, sock, folder(), progress);
    QCOMPARE(reported, qint64(16));
    QVERIFY2(saved.error.endsWith(u"cancelled"), qPrintable(saved.error));
    QCOMPARE(leftInFolder(), QStringList());
    QVERIFY(engine.request().startsWith("GET /images/busybox/get HTTP/1.1\r\n"));
}

void TestEngines::savedImageOpensAndGoes()
{
    QFile corpus(test::corpus(QStringLiteral("dive__test-docker-image.tar")));
    QVERIFY(corpus.open(QIODevice::ReadOnly));
    const QByteArray tar = corpus.readAll();
    const QString sock = m_dir.filePath(QStringLiteral("docker.sock"));
    test::FakeEngine engine(sock,
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n"
            + test::chunked(tar, 7));
    QVERIFY(engine.ok());
    qputenv("DOCKER_HOST", QFile::encodeName(u"unix://" + sock));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("xdg"))));
    const QString saves = m_dir.filePath(QStringLiteral("xdg/lamina/engines"));
    {
        const ImageArchive ia = openImageArchive(QStringLiteral("docker://dive-test:latest"));
        QVERIFY2(ia.ok(), qPrintable(ia.errors.join(u'\n')));
        QCOMPARE(ia.path, QStringLiteral("docker://dive-test:latest"));
        QCOMPARE(ia.images.size(), 1);
        QCOMPARE(ia.images.at(0).layers.size(), openImageArchive(corpus.fileName()).images.at(0).layers.size());
        QCOMPARE(ia.archive->fileSize(), qint64(tar.size()));
        QCOMPARE(QDir(saves).entryList(QDir::Files).size(), 1); // the saved archive, while it is open
        QVERIFY(engine.request().startsWith("GET /images/dive-test:latest/get HTTP/1.1\r\n"));
    }
    QCOMPARE(QDir(saves).entryList(QDir::Files), QStringList()); // gone with the last holder
    qunsetenv("DOCKER_HOST");
    qunsetenv("XDG_CACHE_HOME");
}

void TestEngines::loadAnswers()
{
    const QString archive = m_dir.filePath(QStringLiteral("small.tar"));
    QVERIFY(test::writeTar(archive, QStringLiteral("add('manifest.json', b'[]')\n")));
    const QString sock = m_dir.filePath(QStringLiteral("load.sock"));
    const auto loadWith = [&](const QByteArray &answer, QByteArray *request) {
        test::FakeEngine engine(sock, answer);
        const EngineLoaded loaded = loadThroughSocket(EngineReference::Engine::Docker, sock, archive);
        *request = engine.request();
        return loaded;
    };
    QByteArray request;
    const EngineLoaded ok = loadWith("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: "
                                     "chunked\r\n\r\n"
            + test::chunked("{\"stream\":\"Loaded image: lamina/x:1\\n\"}\r\n"),
        &request);
    QVERIFY2(ok.error.isEmpty(), qPrintable(ok.error));
    QCOMPARE(ok.loaded, QStringList { QStringLiteral("Loaded image: lamina/x:1") });
    QVERIFY(request.startsWith("POST /images/load?quiet=1 HTTP/1.1\r\n"));
    QVERIFY(request.contains(QByteArray("Content-Length: " + QByteArray::number(QFileInfo(archive).size()) + "\r\n")));
    // Docker reports a refused archive inside a 200 answer.
    const EngineLoaded refused = loadWith("HTTP/1.1 200 OK\r\nContent-Length: 85\r\n\r\n"
                                          "{\"errorDetail\":{\"message\":\"invalid tar header\"},\"error\":\"invalid "
                                          "tar header\"}\r\n      ",
        &request);
    QVERIFY2(refused.error.endsWith(u"refused the archive: invalid tar header"), qPrintable(refused.error));
    const EngineLoaded failed = loadWith(
        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 23\r\n\r\n{\"message\":\"disk full\"}", &request);
    QVERIFY2(failed.error.endsWith(u"answered 500 Internal Server Error: disk full"), qPrintable(failed.error));
    const EngineLoaded missing
        = loadThroughSocket(EngineReference::Engine::Docker, sock, m_dir.filePath(QStringLiteral("no-such.tar")));
    QVERIFY2(missing.error.contains(u"no-such.tar"), qPrintable(missing.error));
}

void TestEngines::imageList()
{
    // Docker's /images/json: an image with two tags, an untagged one, a dangling "<none>" tag.
    const QByteArray json = R"([
        {"Id":"sha256:aaaa","RepoTags":["alpine:3","alpine:latest"],"Size":7000000,"Created":1700000000},
        {"Id":"sha256:bbbb","RepoTags":[],"Size":10,"Created":1},
        {"Id":"sha256:cccc","RepoTags":["<none>:<none>"],"Size":20,"Created":2}])";
    const QString sock = m_dir.filePath(QStringLiteral("list.sock"));
    {
        test::FakeEngine engine(sock,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(json.size())
                + "\r\n\r\n" + json);
        const EngineImages list = listThroughSocket(EngineReference::Engine::Docker, sock);
        QVERIFY2(list.error.isEmpty(), qPrintable(list.error));
        QStringList refs;
        for (const EngineImage &i : list.images)
            refs << i.reference;
        QCOMPARE(refs,
            QStringList({ QStringLiteral("docker://alpine:3"), QStringLiteral("docker://alpine:latest"),
                QStringLiteral("docker://bbbb"), QStringLiteral("docker://cccc") }));
        QCOMPARE(list.images.at(0).id, QStringLiteral("sha256:aaaa"));
        QCOMPARE(list.images.at(0).size, qint64(7000000));
        QVERIFY(engine.request().startsWith("GET /images/json HTTP/1.1\r\n"));
    }
    test::FakeEngine broken(sock, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{\"a\":");
    const EngineImages list = listThroughSocket(EngineReference::Engine::Podman, sock);
    QVERIFY2(list.error.contains(u"not a JSON array"), qPrintable(list.error));
    QVERIFY(list.images.isEmpty());
}

void TestEngines::interimAnswerIsSkipped()
{
    const EngineSaved saved = save("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd");
    QVERIFY2(saved.error.isEmpty(), qPrintable(saved.error));
    QCOMPARE(saved.bytes, qint64(4));
    QFile::remove(saved.file);
}

void TestEngines::oldSavesGoUnlessInUse()
{
    // Two saves a day old that earlier runs left; another process still reads one of them.
    QDir().mkpath(folder());
    const QString inUse = folder() + QStringLiteral("/save-inuse.tar");
    const QString left = folder() + QStringLiteral("/save-left.tar");
    for (const QString &path : { inUse, left }) {
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("x");
        f.flush(); // else closing writes it, and the time is now again
        QVERIFY(f.setFileTime(QDateTime::currentDateTimeUtc().addDays(-2), QFileDevice::FileModificationTime));
    }
    const int fd = ::open(QFile::encodeName(inUse).constData(), O_RDONLY);
    QVERIFY(fd >= 0);
    QCOMPARE(::flock(fd, LOCK_SH), 0); // as Archive::removeWhenClosed() holds it
    qputenv("DOCKER_HOST", QFile::encodeName(u"unix://" + m_dir.filePath(QStringLiteral("none.sock"))));
    EngineReference ref;
    ref.name = QStringLiteral("alpine");
    QVERIFY(!saveFromEngine(ref, folder()).error.isEmpty()); // no engine; the folder is cleared first
    qunsetenv("DOCKER_HOST");
    ::close(fd);
    QVERIFY(QFile::exists(inUse));
    QVERIFY(!QFile::exists(left));
}

QTEST_GUILESS_MAIN(TestEngines)
#include "tst_engines.moc"
