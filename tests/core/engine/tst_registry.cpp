// SPDX-License-Identifier: MIT
// registry:// (docs/engines.md, "Registries"): references, credentials, challenges, and pulls from
// a registry played by tests/support/fake_registry.py on 127.0.0.1, honest or lying. The real
// registry (docker-registry, plain and TLS with htpasswd) is in tests/loaders/registry.py, run by
// tst_loaders.
#include "check/checks.h"
#include "engine/registryclient_p.h"
#include "engine/registrysource.h"
#include "fakeregistry.h"
#include "format/imagearchive.h"
#include "layers/imagelayers.h"
#include "layers/indexcache.h"
#include "testsupport.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>
#include <thread>

using namespace lamina;

namespace {

} // namespace

using test::FakeRegistry;

class TestRegistry : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void init();
    void references_data();
    void references();
    void challenges();
    void credentials();
    void credentialHelpers();
    void pullsAPlatformOfAList();
    void secondPullComesFromTheCache();
    void openedImageIsReadAndItsFolderGoes();
    void layersAreFetchedWhenRead();
    void liesInALayerAreFoundWhenItIsRead_data();
    void liesInALayerAreFoundWhenItIsRead();
    void cancelStopsAFetch();
    void indexedLayerIsNotFetchedAgain();
    void authentication_data();
    void authentication();
    void lies_data();
    void lies();
    void retriesAndRedirects();
    void chunkedAnswers();
    void pushSendsOnlyWhatIsMissing();
    void pushInChunks_data();
    void pushInChunks();
    void insecureSkipsTheCertificateOnly_data();
    void insecureSkipsTheCertificateOnly();
    void insecureIsForTheRegistryAlone();
    void certificateFolderOfTheRegistry();
    void oldPullsGoUnlessHeld();
    void cancelStopsAPull();

private:
    RegistryPulled pull(const FakeRegistry &r, const QString &rest, int answerSeconds = 60)
    {
        const std::optional<RegistryReference> ref = parseRegistryReference(r.reference(rest));
        [&] { QVERIFY(ref); }();
        RegistryOptions options;
        options.blobFolder = blobs();
        options.answerSeconds = answerSeconds;
        return ref ? pullFromRegistry(*ref, layouts(), options) : RegistryPulled();
    }
    QString blobs() const { return m_dir.filePath(QStringLiteral("blobs")); }
    QString layouts() const { return m_dir.filePath(QStringLiteral("registry")); }
    /// Files under `folder`, hidden ones too.
    static QStringList filesIn(const QString &folder)
    {
        QStringList files;
        QDirIterator it(folder, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        while (it.hasNext())
            files << it.next();
        return files;
    }
    QTemporaryDir m_dir;
    QTemporaryDir m_helpers; ///< docker-credential-lamina-*, first on PATH
};

void TestRegistry::initTestCase()
{
    QVERIFY(m_helpers.isValid());
    // Credential helpers as docker-credential-helpers' programs behave: the address on stdin,
    // credentials or "credentials not found in native keychain" (exit 1) on stdout.
    const QList<std::pair<QString, QByteArray>> helpers {
        { QStringLiteral("test"),
            "server=$(cat)\n"
            "case \"$server\" in\n"
            "127.0.0.1:*|r.io:5000) printf '{\"ServerURL\":\"%s\",\"Username\":\"lamina\",\"Secret\":\"s3cret\"}' "
            "\"$server\" ;;\n"
            // Says what it was asked for: the hub's address differs between the two tools.
            "https://index.docker.io/v1/|docker.io) printf '{\"Username\":\"%s\",\"Secret\":\"s3cret\"}' "
            "\"$server\" ;;\n"
            "*) echo 'credentials not found in native keychain'; exit 1 ;;\n"
            "esac\n" },
        { QStringLiteral("fail"), "cat >/dev/null; echo 'the keychain is locked'; exit 1\n" },
        // Leaves its process ID beside itself, so the test can see it was stopped.
        { QStringLiteral("hang"), "echo $$ > \"$0.pid\"; exec sleep 30\n" },
        { QStringLiteral("garbage"), "cat >/dev/null; echo 'lamina:s3cret is not JSON'\n" },
        { QStringLiteral("token"), "cat >/dev/null; echo '{\"Username\":\"<token>\",\"Secret\":\"good-refresh\"}'\n" },
        { QStringLiteral("badtoken"), "cat >/dev/null; echo '{\"Username\":\"<token>\",\"Secret\":\"s3cret\"}'\n" },
        // An access token with no user name, as some cloud registries' helpers give.
        { QStringLiteral("nouser"), "cat >/dev/null; echo '{\"Username\":\"\",\"Secret\":\"t0ken\"}'\n" },
        { QStringLiteral("nosecret"), "cat >/dev/null; echo '{\"Username\":\"lamina\",\"Secret\":\"\"}'\n" },
    };
    for (const auto &[name, body] : helpers) {
        QFile f(m_helpers.filePath(QStringLiteral("docker-credential-lamina-") + name));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("#!/bin/sh\n[ \"$1\" = get ] || exit 3\n" + body);
        f.close();
        QVERIFY(f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
    }
    qputenv("PATH", m_helpers.path().toUtf8() + ':' + qgetenv("PATH"));
}

void TestRegistry::init()
{
    QVERIFY(m_dir.isValid());
    QDir(m_dir.path()).removeRecursively();
    QVERIFY(QDir().mkpath(m_dir.path()));
    // No credentials of the machine's user: only those a test writes.
    qputenv("REGISTRY_AUTH_FILE", m_dir.filePath(QStringLiteral("none.json")).toUtf8());
    qputenv("XDG_RUNTIME_DIR", m_dir.filePath(QStringLiteral("run")).toUtf8());
    qputenv("XDG_CONFIG_HOME", m_dir.filePath(QStringLiteral("config")).toUtf8());
    qputenv("DOCKER_CONFIG", m_dir.filePath(QStringLiteral("docker")).toUtf8());
    qputenv("XDG_CACHE_HOME", m_dir.filePath(QStringLiteral("cache")).toUtf8());
}

void TestRegistry::references_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("host");
    QTest::addColumn<QString>("repository");
    QTest::addColumn<QString>("tag");
    QTest::addColumn<QString>("platform");
    QTest::addColumn<QString>("written");
    const QString digest = QStringLiteral("sha256:") + QString(64, u'a');
    QTest::newRow("docker hub, one part") << "registry://alpine"
                                          << "docker.io"
                                          << "library/alpine"
                                          << "latest"
                                          << ""
                                          << "registry://docker.io/library/alpine:latest";
    QTest::newRow("docker hub, user") << "registry://bitnami/redis:7"
                                      << "docker.io"
                                      << "bitnami/redis"
                                      << "7"
                                      << ""
                                      << "registry://docker.io/bitnami/redis:7";
    QTest::newRow("host and port") << "registry://127.0.0.1:5000/a/b/c:v1.2-x"
                                   << "127.0.0.1:5000"
                                   << "a/b/c"
                                   << "v1.2-x"
                                   << ""
                                   << "registry://127.0.0.1:5000/a/b/c:v1.2-x";
    QTest::newRow("localhost") << "registry://localhost/x"
                               << "localhost"
                               << "x"
                               << "latest"
                               << ""
                               << "registry://localhost/x:latest";
    QTest::newRow("digest") << QString(u"registry://quay.io/a/b@" + digest) << "quay.io"
                            << "a/b"
                            << ""
                            << "" << QString(u"registry://quay.io/a/b@" + digest);
    QTest::newRow("platform") << "registry://ghcr.io/o/i:1?platform=linux/arm/v7"
                              << "ghcr.io"
                              << "o/i"
                              << "1"
                              << "linux/arm/v7"
                              << "registry://ghcr.io/o/i:1?platform=linux/arm/v7";
    for (const char *bad : { "registry://", "registry://Upper/x", "registry://a b", "registry://x@sha256:12",
             "registry://x:", "registry://host.io/x?platform=linux", "registry://host.io/x?other=1",
             "registry://host.io:99999/x", "registry://host.io/../x", "registry://x:-tag", "docker://alpine",
             "/tmp/registry://x",
             "registry://x@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", "registry://x\n",
             "registry://x:1\n" })
        QTest::newRow(bad) << bad << ""
                           << ""
                           << ""
                           << ""
                           << "";
}

void TestRegistry::references()
{
    QFETCH(QString, text);
    QFETCH(QString, host);
    QFETCH(QString, repository);
    QFETCH(QString, tag);
    QFETCH(QString, platform);
    QFETCH(QString, written);
    const std::optional<RegistryReference> ref = parseRegistryReference(text);
    QCOMPARE(bool(ref), !host.isEmpty());
    QCOMPARE(isImageReference(text), !host.isEmpty() || text.startsWith(u"docker://"));
    if (!ref)
        return;
    QCOMPARE(ref->host, host);
    QCOMPARE(ref->repository, repository);
    QCOMPARE(ref->tag, tag);
    QCOMPARE(ref->platform, platform);
    QCOMPARE(ref->text(), written);
    QCOMPARE(parseRegistryReference(ref->text())->text(), written);
}

void TestRegistry::challenges()
{
    const registry::Challenge b
        = registry::parseChallenge("Bearer "
                                   "realm=\"https://auth.docker.io/"
                                   "token\",service=\"registry.docker.io\",scope=\"repository:library/alpine:pull\"");
    QCOMPARE(b.scheme, QStringLiteral("bearer"));
    QCOMPARE(b.params.value(QStringLiteral("realm")), QStringLiteral("https://auth.docker.io/token"));
    QCOMPARE(b.params.value(QStringLiteral("service")), QStringLiteral("registry.docker.io"));
    QCOMPARE(b.params.value(QStringLiteral("scope")), QStringLiteral("repository:library/alpine:pull"));
    const registry::Challenge q = registry::parseChallenge("Basic realm=\"a \\\"quoted\\\" one\", charset=UTF-8");
    QCOMPARE(q.scheme, QStringLiteral("basic"));
    QCOMPARE(q.params.value(QStringLiteral("realm")), QStringLiteral("a \"quoted\" one"));
    QCOMPARE(q.params.value(QStringLiteral("charset")), QStringLiteral("UTF-8"));
    QCOMPARE(registry::parseChallenge("").scheme, QString());
    QCOMPARE(registry::parseChallenge("Bearer realm=\"unterminated").params.value(QStringLiteral("realm")),
        QStringLiteral("unterminated"));
}

void TestRegistry::credentials()
{
    auto write = [](const QString &path, const QByteArray &json) {
        QDir().mkpath(QFileInfo(path).path());
        QFile f(path);
        return f.open(QIODevice::WriteOnly) && f.write(json) == json.size();
    };
    const QByteArray a = QByteArray("u1:p1").toBase64(), b = QByteArray("u2:p:2").toBase64();
    QVERIFY(!registry::credentialsFor(QStringLiteral("r.io")));
    // docker login's file: the host as written, or the hub's old index address.
    const QString docker = m_dir.filePath(QStringLiteral("docker/config.json"));
    QVERIFY(write(docker,
        "{\"auths\":{\"https://r.io\":{\"auth\":\"" + a + "\"},\"https://index.docker.io/v1/\":{\"auth\":\"" + b
            + "\"}}}"));
    auto c = registry::credentialsFor(QStringLiteral("r.io"));
    QVERIFY(c);
    QCOMPARE(c->user, QByteArray("u1"));
    QCOMPARE(c->password, QByteArray("p1"));
    QCOMPARE(c->file, docker);
    c = registry::credentialsFor(QStringLiteral("docker.io"));
    QVERIFY(c);
    QCOMPARE(c->password, QByteArray("p:2")); // only the first colon separates
    // podman's file comes first.
    const QString podman = m_dir.filePath(QStringLiteral("run/containers/auth.json"));
    QVERIFY(write(podman, "{\"auths\":{\"r.io\":{\"auth\":\"" + b + "\"}}}"));
    QCOMPARE(registry::credentialsFor(QStringLiteral("r.io"))->user, QByteArray("u2"));
    // Broken entries are passed over, never trusted.
    QVERIFY(write(podman, "{\"auths\":{\"r.io\":{\"auth\":\"bm9jb2xvbg==\"}}}")); // "nocolon"
    QCOMPARE(registry::credentialsFor(QStringLiteral("r.io"))->user, QByteArray("u1"));
    QVERIFY(write(podman, "not json"));
    QCOMPARE(registry::credentialsFor(QStringLiteral("r.io"))->user, QByteArray("u1"));
}

void TestRegistry::credentialHelpers()
{
    auto write = [](const QString &path, const QByteArray &json) {
        QDir().mkpath(QFileInfo(path).path());
        QFile f(path);
        return f.open(QIODevice::WriteOnly) && f.write(json) == json.size();
    };
    const QString docker = m_dir.filePath(QStringLiteral("docker/config.json"));
    const QString podman = m_dir.filePath(QStringLiteral("config/containers/auth.json"));
    const QByteArray stored = QByteArray("u1:p1").toBase64();
    QString error;
    // Docker's default helper; Docker reads no "auths" beside it, even for a host the helper lacks.
    QVERIFY(write(docker,
        "{\"credsStore\":\"lamina-test\",\"auths\":{\"r.io:5000\":{},\"x.io\":{\"auth\":\"" + stored + "\"}}}"));
    std::optional<registry::Credentials> c = registry::credentialsFor(QStringLiteral("r.io:5000"), &error);
    QVERIFY2(c && error.isEmpty(), qPrintable(error));
    QCOMPARE(c->user, QByteArray("lamina"));
    QCOMPARE(c->password, QByteArray("s3cret"));
    QCOMPARE(c->file, QStringLiteral("docker-credential-lamina-test (credsStore in %1)").arg(docker));
    QVERIFY(!registry::credentialsFor(QStringLiteral("x.io"), &error));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    // The hub is asked for by the old index's address in Docker's file.
    c = registry::credentialsFor(QStringLiteral("docker.io"), &error);
    QVERIFY2(c, qPrintable(error));
    QCOMPARE(c->user, QByteArray("https://index.docker.io/v1/"));
    // A registry's own helper before the default one.
    QVERIFY(write(docker, "{\"credsStore\":\"lamina-fail\",\"credHelpers\":{\"r.io:5000\":\"lamina-test\"}}"));
    c = registry::credentialsFor(QStringLiteral("r.io:5000"), &error);
    QVERIFY2(c, qPrintable(error));
    QVERIFY2(c->file.startsWith(u"docker-credential-lamina-test (credHelpers in"), qPrintable(c->file));
    // A helper that fails is an error, with its words, not "none stored".
    QVERIFY(!registry::credentialsFor(QStringLiteral("other.io"), &error));
    QVERIFY2(error.contains(u"docker-credential-lamina-fail (credsStore in " + docker
                 + u") failed (exit status 1): "
                   "the keychain is locked"),
        qPrintable(error));
    // podman's file: its credHelpers entry first; nothing there passes on to the next file.
    QVERIFY(write(docker, "{\"auths\":{\"x.io\":{\"auth\":\"" + stored + "\"}}}"));
    QVERIFY(write(podman,
        "{\"credHelpers\":{\"x.io\":\"lamina-test\",\"docker.io\":\"lamina-test\"},\"auths\":{\"x.io\":{\"auth\":\"bm8="
        "\"}}}"));
    c = registry::credentialsFor(QStringLiteral("x.io"), &error);
    QVERIFY2(c, qPrintable(error));
    QCOMPARE(c->user, QByteArray("u1"));
    QCOMPARE(c->file, docker);
    c = registry::credentialsFor(QStringLiteral("docker.io"), &error);
    QVERIFY2(c, qPrintable(error));
    QCOMPARE(c->user, QByteArray("docker.io")); // containers/image asks by the registry's name
    // A secret without a user name is used as Docker uses it (docker/cli,
    // cli/config/credentials/native_store.go, getCredentialsFromStore: any user but "<token>"
    // goes out with the secret as its password).
    QVERIFY(write(docker, "{\"credsStore\":\"lamina-nouser\"}"));
    c = registry::credentialsFor(QStringLiteral("r.io:5000"), &error);
    QVERIFY2(c, qPrintable(error));
    QCOMPARE(c->user, QByteArray());
    QCOMPARE(c->password, QByteArray("t0ken"));
    // The user "<token>": the secret is an identity token, not a password.
    QVERIFY(write(docker, "{\"credsStore\":\"lamina-token\"}"));
    c = registry::credentialsFor(QStringLiteral("r.io:5000"), &error);
    QVERIFY2(c, qPrintable(error));
    QCOMPARE(c->identityToken, QByteArray("good-refresh"));
    QVERIFY(c->user.isEmpty() && c->password.isEmpty());
    // Missing, hanging (stopped at the bound), garbage, a path: clear errors
    // that never quote what a helper printed on success.
    QVERIFY(QFile::remove(podman));
    const QList<std::pair<QByteArray, QString>> broken {
        { "lamina-missing",
            QStringLiteral("docker-credential-lamina-missing, named by credsStore in %1, is not on PATH").arg(docker) },
        { "lamina-hang",
            QStringLiteral(
                "docker-credential-lamina-hang (credsStore in %1) did not answer within 1 seconds and was stopped")
                .arg(docker) },
        { "lamina-garbage", QStringLiteral("printed no credentials Lamina can read") },
        { "lamina-nosecret", QStringLiteral("printed no credentials Lamina can read") },
        { "../lamina-test", QStringLiteral("is not a helper's name") },
    };
    for (const auto &[helper, expected] : broken) {
        QVERIFY(write(docker, "{\"credsStore\":\"" + helper + "\"}"));
        QVERIFY(!registry::credentialsFor(QStringLiteral("r.io:5000"), &error, 1000));
        QVERIFY2(error.contains(expected), qPrintable(error));
        QVERIFY2(!error.contains(u"s3cret"), qPrintable(error));
    }
    // The hanging helper was stopped at the bound, not left to sleep out its 30 seconds.
    QFile pidFile(m_helpers.filePath(QStringLiteral("docker-credential-lamina-hang.pid")));
    QVERIFY(pidFile.open(QIODevice::ReadOnly));
    const pid_t hung = pid_t(pidFile.readAll().trimmed().toInt());
    QVERIFY(hung > 0);
    QVERIFY(::kill(hung, 0) != 0 && errno == ESRCH);
}

void TestRegistry::pullsAPlatformOfAList()
{
    FakeRegistry r(QStringLiteral("ok"));
    QVERIFY(r.ok());
    RegistryPulled p = pull(r, QStringLiteral("lamina/test:multi?platform=linux/arm64"));
    QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
    QVERIFY2(p.how.contains(u"over HTTP: linux/arm64 of a list of 2 platforms"), qPrintable(p.how));
    QCOMPARE(p.blobsFetched, 2); // its config and its layer; not the other platform's
    QVERIFY(QFileInfo(p.folder).isDir());
    QVERIFY(p.folder.startsWith(layouts() + u'/'));
    // An OCI image layout: index.json names the platform's manifest by the tag.
    ImageArchive ia = openImageArchive(p.folder);
    QVERIFY2(ia.ok(), qPrintable(ia.errors.join(u'\n')));
    QCOMPARE(ia.images.size(), 1);
    QCOMPARE(ia.images.at(0).platform.toString(), QStringLiteral("linux/arm64"));
    QCOMPARE(ia.images.at(0).layers.size(), 1);
    const ImageLayers layers = indexImageLayers(ia, 0);
    QVERIFY(layers.errors.isEmpty());
    QVERIFY(layers.layers.at(0)->find("hello.txt") >= 0);
    // A platform the list lacks: the error lists those it has.
    p = pull(r, QStringLiteral("lamina/test:multi?platform=linux/s390x"));
    QVERIFY(p.folder.isEmpty());
    QVERIFY2(p.error.contains(u"no image for linux/s390x; it has linux/amd64, linux/arm64"), qPrintable(p.error));
    // Unknown names, in the registry's words and what they mean.
    p = pull(r, QStringLiteral("lamina/test:nope"));
    QVERIFY2(
        p.error.contains(u"404") && p.error.contains(u"MANIFEST_UNKNOWN") && p.error.contains(u"no such tag or digest"),
        qPrintable(p.error));
    p = pull(r, QStringLiteral("other/repo:1"));
    QVERIFY2(p.error.contains(u"NAME_UNKNOWN") && p.error.contains(u"no such repository"), qPrintable(p.error));
    // A digest that names other bytes than those sent.
    p = pull(r, QStringLiteral("lamina/test@sha256:") + QString(64, u'0'));
    QVERIFY(p.folder.isEmpty());
}

void TestRegistry::secondPullComesFromTheCache()
{
    FakeRegistry r(QStringLiteral("ok"));
    QVERIFY(r.ok());
    const RegistryPulled first = pull(r, QStringLiteral("lamina/test:amd64"));
    QVERIFY2(first.error.isEmpty(), qPrintable(first.error));
    QCOMPARE(first.blobsFetched, 2);
    QVERIFY(first.bytesFetched > 0);
    const RegistryPulled second = pull(r, QStringLiteral("lamina/test:amd64"));
    QVERIFY2(second.error.isEmpty(), qPrintable(second.error));
    QCOMPARE(second.blobsFetched, 0);
    QCOMPARE(second.blobsFromCache, 2);
    QCOMPARE(second.bytesFetched, 0);
    const QJsonObject stats = r.stats();
    for (auto it = stats.begin(); it != stats.end(); ++it)
        if (it.key().contains(u"/blobs/"))
            QCOMPARE(it.value().toInt(), 1);
    QVERIFY(first.folder != second.folder);
    QVERIFY(removePulledLayout(first.folder));
    QVERIFY(!QFileInfo::exists(first.folder));
    // Only a pull's folder is ever removed whole.
    QVERIFY(!removePulledLayout(blobs()));
    QVERIFY(QFileInfo::exists(blobs()));
    // Bound to nothing, the cache lets go of what no layout links to: an old blob of another
    // image goes, and a part an interrupted pull left a day ago; this pull's blobs stay, linked.
    const QString other = blobs() + QStringLiteral("/sha256/") + QString(64, u'f');
    const QString part = blobs() + QStringLiteral("/sha256/.part-old");
    for (const QString &f : { other, part }) {
        QFile file(f);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("old");
        file.close();
        const timespec old[2] = { { time(nullptr) - 3 * 86400, 0 }, { time(nullptr) - 3 * 86400, 0 } };
        QCOMPARE(::utimensat(AT_FDCWD, QFile::encodeName(f).constData(), old, 0), 0);
    }
    RegistryOptions options;
    options.blobFolder = blobs();
    options.blobCacheBytes = 0;
    const RegistryPulled third = pullFromRegistry(
        *parseRegistryReference(r.reference(QStringLiteral("lamina/test:amd64"))), layouts(), options);
    QVERIFY2(third.error.isEmpty(), qPrintable(third.error));
    QVERIFY(!QFileInfo::exists(other));
    QVERIFY(!QFileInfo::exists(part));
    QCOMPARE(filesIn(blobs()).size(), 2);
    // Cached blobs are read-only: a layout's link to one cannot change what the cache serves.
    for (const QString &f : filesIn(blobs()))
        QCOMPARE(QFileInfo(f).permissions() & (QFile::WriteOwner | QFile::WriteGroup | QFile::WriteOther),
            QFile::Permissions());
    QVERIFY(openImageArchive(third.folder).ok());
}

void TestRegistry::openedImageIsReadAndItsFolderGoes()
{
    FakeRegistry r(QStringLiteral("ok"));
    QVERIFY(r.ok());
    const QString cache = m_dir.filePath(QStringLiteral("cache/lamina"));
    {
        const ImageArchive ia = openImageArchive(r.reference(QStringLiteral("lamina/test:amd64")));
        QVERIFY2(ia.ok(), qPrintable(ia.errors.join(u'\n')));
        QCOMPARE(ia.path, r.reference(QStringLiteral("lamina/test:amd64")));
        QCOMPARE(shownName(ia.path), ia.path);
        QVERIFY2(ia.origin.startsWith(u"pulled from the registry at " + r.host()), qPrintable(ia.origin));
        QCOMPARE(ia.images.at(0).platform.toString(), QStringLiteral("linux/amd64"));
        QCOMPARE(QDir(cache + QStringLiteral("/registry")).entryList(QDir::Dirs | QDir::NoDotAndDotDot).size(), 1);
    }
    QVERIFY(QDir(cache + QStringLiteral("/registry")).entryList(QDir::Dirs | QDir::NoDotAndDotDot).isEmpty());
    // The config, kept for the next time; the layer was never read, so never fetched.
    QCOMPARE(filesIn(cache + QStringLiteral("/blobs")).size(), 1);
    const ImageArchive failed = openImageArchive(r.reference(QStringLiteral("lamina/test:missing")));
    QVERIFY(!failed.ok());
    QVERIFY(failed.errors.join(u'\n').contains(u"MANIFEST_UNKNOWN"));
}

namespace {

/// Requests the fake registry had for blob `digest` of lamina/test.
int requestsFor(const FakeRegistry &r, const QString &digest)
{
    return r.stats().value(QStringLiteral("/v2/lamina/test/blobs/") + digest).toInt();
}

QStringList findingLines(const ImageArchive &ia)
{
    QStringList lines;
    for (const Finding &f : checkArchive(ia))
        lines << f.code + u' ' + f.message;
    return lines;
}

} // namespace

// Opening a registry's image pulls its manifest and config only; a layer comes when something
// reads it, once however many ask at the same time, and is the same image as one pulled whole.
void TestRegistry::layersAreFetchedWhenRead()
{
    FakeRegistry r(QStringLiteral("ok"));
    QVERIFY(r.ok());
    const QString reference = r.reference(QStringLiteral("lamina/test:amd64"));
    const QString cache = m_dir.filePath(QStringLiteral("cache/lamina"));
    const ImageArchive ia = openImageArchive(reference);
    QVERIFY2(ia.ok(), qPrintable(ia.errors.join(u'\n')));
    QCOMPARE(ia.images.size(), 1);
    QCOMPARE(ia.images.at(0).layers.size(), 1);
    const ImageLayer layer = ia.images.at(0).layers.at(0);
    QVERIFY(layer.member >= 0);
    QVERIFY(ia.archive->isDeferred(layer.member));
    QCOMPARE(ia.archive->deferredCount(), 1);
    QVERIFY(ia.archive->member(layer.member).size > 0);
    QCOMPARE(ia.archive->deferredBytes(), ia.archive->member(layer.member).size);
    QCOMPARE(ia.archive->fetchedBytes(), 0);
    QVERIFY(ia.archive->head(layer.member).isEmpty());
    QCOMPARE(layer.compression, Compression::Gzip); // what the media type claims, until fetched
    QVERIFY2(ia.origin.endsWith(u"; 1 of its 1 layers are fetched when first read"), qPrintable(ia.origin));
    QVERIFY(!QFileInfo::exists(ia.archive->path() + u'/' + layer.resolvedPath));
    QCOMPARE(filesIn(cache + QStringLiteral("/blobs")).size(), 1);

    // Checking reads metadata only, and finds what it finds in the same image pulled whole.
    RegistryOptions whole;
    whole.blobFolder = blobs();
    const RegistryPulled pulled = pullFromRegistry(*parseRegistryReference(reference), layouts(), whole);
    QVERIFY2(pulled.error.isEmpty(), qPrintable(pulled.error));
    QVERIFY(pulled.deferred.members.isEmpty());
    QCOMPARE(requestsFor(r, layer.digest), 1); // that whole pull's, into its own cache
    QCOMPARE(findingLines(ia), findingLines(openImageArchive(pulled.folder)));
    QCOMPARE(requestsFor(r, layer.digest), 1);

    // Indexed from two threads at once: fetched once, verified, and kept in the cache.
    ImageLayers first, second;
    std::thread other([&] { first = indexImageLayers(ia, 0); });
    second = indexImageLayers(ia, 0);
    other.join();
    QVERIFY2(first.errors.isEmpty(), qPrintable(first.errors.join(u'\n')));
    QVERIFY2(second.errors.isEmpty(), qPrintable(second.errors.join(u'\n')));
    QVERIFY(first.layers.at(0) && first.layers.at(0)->find("hello.txt") >= 0);
    QVERIFY(second.layers.at(0) && second.layers.at(0)->find("hello.txt") >= 0);
    QCOMPARE(requestsFor(r, layer.digest), 2);
    QVERIFY(!ia.archive->isDeferred(layer.member));
    QCOMPARE(ia.archive->deferredCount(), 0);
    QCOMPARE(ia.archive->fetchedBytes(), ia.archive->deferredBytes()); // once, not twice
    QCOMPARE(ia.archive->compressionOf(layer.member), Compression::Gzip); // its own bytes now
    QCOMPARE(ia.archive->head(layer.member).left(2), QByteArray("\x1f\x8b"));
    QCOMPARE(filesIn(cache + QStringLiteral("/blobs")).size(), 2);
    for (const QString &f : filesIn(cache + QStringLiteral("/blobs")))
        QVERIFY2(!f.contains(u".part-"), qPrintable(f));

    // Opened again: the cache has every blob, nothing is left to fetch.
    const ImageArchive again = openImageArchive(reference);
    QVERIFY2(again.ok(), qPrintable(again.errors.join(u'\n')));
    QCOMPARE(again.archive->deferredCount(), 0);
    QVERIFY2(!again.origin.contains(u"fetched when first read"), qPrintable(again.origin));
    QVERIFY(indexImageLayers(again, 0).errors.isEmpty());
    QCOMPARE(requestsFor(r, layer.digest), 2);
}

void TestRegistry::liesInALayerAreFoundWhenItIsRead_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("error");
    QTest::newRow("wrong digest") << "wrong-digest"
                                  << "whose bytes hash to sha256:";
    QTest::newRow("wrong size") << "wrong-size"
                                << "where the manifest gives";
    QTest::newRow("truncated") << "truncated"
                               << "stopped sending after";
}

// The manifest and config are true, so the image opens; the layer's lie is found when it is
// read, said with the reference, and nothing of it is kept. Asked again, it is fetched again.
void TestRegistry::liesInALayerAreFoundWhenItIsRead()
{
    QFETCH(QString, mode);
    QFETCH(QString, error);
    FakeRegistry r(mode);
    QVERIFY(r.ok());
    const QString reference = r.reference(QStringLiteral("lamina/test:amd64"));
    RegistryOptions options;
    options.answerSeconds = 2;
    const ImageArchive ia = openImageArchive(reference, {}, options);
    QVERIFY2(ia.ok(), qPrintable(ia.errors.join(u'\n')));
    const ImageLayer layer = ia.images.at(0).layers.at(0);
    const QString blobCache = m_dir.filePath(QStringLiteral("cache/lamina/blobs"));
    for (int attempt = 1; attempt <= 2; ++attempt) {
        const ImageLayers layers = indexImageLayers(ia, 0);
        QCOMPARE(layers.errors.size(), 1);
        QVERIFY2(layers.errors.at(0).contains(error), qPrintable(layers.errors.at(0)));
        QVERIFY2(layers.errors.at(0).contains(reference + u": "), qPrintable(layers.errors.at(0)));
        QVERIFY(!layers.layers.at(0));
        QVERIFY(ia.archive->isDeferred(layer.member));
        QVERIFY(!QFileInfo::exists(ia.archive->path() + u'/' + layer.resolvedPath));
        QCOMPARE(filesIn(blobCache).size(), 1); // the config alone; nothing half written
        QCOMPARE(requestsFor(r, layer.digest), attempt);
    }
    // Read whole (the archive map's view of a member) or opened: the same error, nothing read.
    const Archive::ReadResult read = ia.archive->read(layer.member, 1 << 20);
    QVERIFY2(read.error.contains(error), qPrintable(read.error));
    QString why;
    QVERIFY(!ia.archive->openMember(layer.member, &why));
    QVERIFY2(why.contains(error), qPrintable(why));
}

void TestRegistry::cancelStopsAFetch()
{
    FakeRegistry r(QStringLiteral("slow-layer"));
    QVERIFY(r.ok());
    const ImageArchive ia = openImageArchive(r.reference(QStringLiteral("lamina/test:amd64")));
    QVERIFY2(ia.ok(), qPrintable(ia.errors.join(u'\n')));
    const ImageLayer layer = ia.images.at(0).layers.at(0);
    std::atomic<bool> cancel { false };
    Progress progress;
    progress.cancel = &cancel;
    std::thread later([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        cancel = true;
    });
    const ImageLayers layers = indexImageLayers(ia, 0, {}, progress);
    later.join();
    QVERIFY(!layers.layers.at(0));
    QVERIFY2(
        layers.cancelled || layers.errors.join(u'\n').contains(u"cancelled"), qPrintable(layers.errors.join(u'\n')));
    QVERIFY(ia.archive->isDeferred(layer.member));
    QVERIFY(!QFileInfo::exists(ia.archive->path() + u'/' + layer.resolvedPath));
    for (const QString &f : filesIn(m_dir.filePath(QStringLiteral("cache/lamina/blobs"))))
        QVERIFY2(!f.contains(u".part-"), qPrintable(f));
}

// A layer's index is kept under its digest: an image whose layers were indexed before shows its
// files without fetching them again, even when the blob cache let them go.
void TestRegistry::indexedLayerIsNotFetchedAgain()
{
    FakeRegistry r(QStringLiteral("ok"));
    QVERIFY(r.ok());
    const QString reference = r.reference(QStringLiteral("lamina/test:amd64"));
    LayerIndexOptions options;
    options.cache = std::make_shared<IndexCache>(m_dir.filePath(QStringLiteral("index")), 64 << 20);
    QString digest;
    {
        const ImageArchive ia = openImageArchive(reference);
        QVERIFY2(ia.ok(), qPrintable(ia.errors.join(u'\n')));
        digest = ia.images.at(0).layers.at(0).digest;
        QVERIFY(indexImageLayers(ia, 0, options).errors.isEmpty());
    }
    QCOMPARE(requestsFor(r, digest), 1);
    QVERIFY(QDir(m_dir.filePath(QStringLiteral("cache/lamina/blobs"))).removeRecursively());
    const ImageArchive ia = openImageArchive(reference);
    QVERIFY2(ia.ok(), qPrintable(ia.errors.join(u'\n')));
    const int member = ia.images.at(0).layers.at(0).member;
    QVERIFY(ia.archive->isDeferred(member));
    const ImageLayers layers = indexImageLayers(ia, 0, options);
    QVERIFY2(layers.errors.isEmpty(), qPrintable(layers.errors.join(u'\n')));
    QVERIFY(layers.layers.at(0) && layers.layers.at(0)->find("hello.txt") >= 0);
    QVERIFY(ia.archive->isDeferred(member));
    QCOMPARE(requestsFor(r, digest), 1);
}

void TestRegistry::authentication_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QByteArray>("auth");
    QTest::addColumn<QString>("error");
    QTest::addColumn<QString>("helper");
    const QByteArray good = QByteArray("lamina:s3cret").toBase64(), bad = QByteArray("lamina:wrong").toBase64();
    QTest::newRow("bearer, none stored") << "bearer" << QByteArray() << "answered 401 Unauthorized to an anonymous"
                                         << "";
    QTest::newRow("bearer, refused") << "bearer" << bad << "answered 401 Unauthorized to the credentials from"
                                     << "";
    QTest::newRow("bearer") << "bearer" << good << ""
                            << "";
    QTest::newRow("basic, none stored") << "basic" << QByteArray() << "none is stored for 127.0.0.1:"
                                        << "";
    QTest::newRow("basic, refused") << "basic" << bad << "were refused"
                                    << "";
    QTest::newRow("basic") << "basic" << good << ""
                           << "";
    QTest::newRow("bearer, helper") << "bearer" << QByteArray() << ""
                                    << "lamina-test";
    QTest::newRow("basic, helper") << "basic" << QByteArray() << ""
                                   << "lamina-test";
    QTest::newRow("bearer, helper fails") << "bearer" << QByteArray()
                                          << "asks for credentials, and looking them up failed: "
                                             "docker-credential-lamina-fail (credHelpers in"
                                          << "lamina-fail";
    QTest::newRow("basic, helper's garbage") << "basic" << QByteArray() << "printed no credentials Lamina can read"
                                             << "lamina-garbage";
    // Identity tokens: traded at the token service by OAuth 2's refresh (a POSTed form).
    QTest::newRow("bearer, helper's identity token") << "bearer" << QByteArray() << ""
                                                     << "lamina-token";
    QTest::newRow("bearer, identity token refused") << "bearer" << QByteArray()
                                                    << "answered 401 Unauthorized to the identity token from "
                                                       "docker-credential-lamina-badtoken"
                                                    << "lamina-badtoken";
    QTest::newRow("bearer, identitytoken in auths") << "bearer" << QByteArray("identity") << ""
                                                    << "";
    QTest::newRow("basic, identity token")
        << "basic" << QByteArray("identity") << "are an identity token, which goes only to a token service"
        << "";
}

void TestRegistry::authentication()
{
    QFETCH(QString, mode);
    QFETCH(QByteArray, auth);
    QFETCH(QString, error);
    QFETCH(QString, helper);
    FakeRegistry r(mode);
    QVERIFY(r.ok());
    if (!helper.isEmpty()) {
        QDir().mkpath(m_dir.filePath(QStringLiteral("docker")));
        QFile f(m_dir.filePath(QStringLiteral("docker/config.json")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"credHelpers\":{\"" + r.host().toUtf8() + "\":\"" + helper.toUtf8() + "\"}}");
    }
    const QString file = m_dir.filePath(QStringLiteral("auth.json"));
    if (!auth.isEmpty()) {
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        // "identity": what `docker login` keeps for a registry that gave an identity token.
        const QByteArray entry = auth == "identity"
            ? QByteArray("{\"auth\":\"" + QByteArray("lamina:").toBase64() + "\",\"identitytoken\":\"good-refresh\"}")
            : QByteArray("{\"auth\":\"" + auth + "\"}");
        f.write("{\"auths\":{\"" + r.host().toUtf8() + "\":" + entry + "}}");
        qputenv("REGISTRY_AUTH_FILE", file.toUtf8());
    }
    const RegistryPulled p = pull(r, QStringLiteral("lamina/test:amd64"));
    if (error.isEmpty()) {
        QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
        QVERIFY(openImageArchive(p.folder).ok());
    } else {
        QVERIFY2(p.error.contains(error), qPrintable(p.error));
        QVERIFY(!p.error.contains(u"s3cret") && !p.error.contains(u"wrong") && !p.error.contains(u"good-refresh"));
        QVERIFY(p.folder.isEmpty());
    }
}

void TestRegistry::lies_data()
{
    QTest::addColumn<QString>("mode");
    QTest::addColumn<QString>("tag");
    QTest::addColumn<QString>("error");
    QTest::newRow("wrong digest") << "wrong-digest"
                                  << "amd64"
                                  << "whose bytes hash to sha256:";
    QTest::newRow("wrong size") << "wrong-size"
                                << "amd64"
                                << "where the manifest gives";
    QTest::newRow("truncated") << "truncated"
                               << "amd64"
                               << "stopped sending after";
    QTest::newRow("redirect loop") << "redirect-loop"
                                   << "amd64"
                                   << "redirected Lamina more than 5 times";
    QTest::newRow("10 GB manifest") << "huge-length"
                                    << "amd64"
                                    << "would send 10737418240 bytes";
    QTest::newRow("slow loris") << "slow-loris"
                                << "amd64"
                                << "did not answer within 2 seconds";
    QTest::newRow("always 503") << "always-503"
                                << "amd64"
                                << "answered 503";
    QTest::newRow("blob named by a path") << "bad-digest-name"
                                          << "amd64"
                                          << "which is no sha256 digest";
}

void TestRegistry::lies()
{
    QFETCH(QString, mode);
    QFETCH(QString, tag);
    QFETCH(QString, error);
    FakeRegistry r(mode);
    QVERIFY(r.ok());
    const RegistryPulled p = pull(r, QStringLiteral("lamina/test:") + tag, 2);
    QVERIFY2(p.error.contains(error), qPrintable(p.error));
    QVERIFY2(p.error.startsWith(r.reference(QStringLiteral("lamina/test:") + tag) + u": "), qPrintable(p.error));
    QVERIFY(p.folder.isEmpty());
    // Nothing partial anywhere: no layout, no blob that was not verified.
    QVERIFY(filesIn(layouts()).isEmpty());
    for (const QString &f : filesIn(blobs()))
        QVERIFY2(!f.contains(u".part-"), qPrintable(f));
    if (mode == u"wrong-digest" || mode == u"wrong-size" || mode == u"truncated")
        QCOMPARE(filesIn(blobs()).size(), 1); // the config, which was true; not the layer
    QVERIFY(!QFileInfo::exists(m_dir.filePath(QStringLiteral("escape"))));
}

void TestRegistry::retriesAndRedirects()
{
    {
        // 429, then 503, then the blob: asked again after the wait each time.
        FakeRegistry r(QStringLiteral("retry"));
        QVERIFY(r.ok());
        const RegistryPulled p = pull(r, QStringLiteral("lamina/test:amd64"));
        QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
        const QJsonObject stats = r.stats();
        int blobRequests = 0;
        for (auto it = stats.begin(); it != stats.end(); ++it)
            if (it.key().contains(u"/blobs/"))
                blobRequests += it.value().toInt();
        QCOMPARE(blobRequests, 6); // two blobs, three times each
    }
    QVERIFY(QDir(blobs()).removeRecursively()); // the same blobs again, fetched again
    {
        // Blobs stored elsewhere: the registry redirects, the bytes come from there.
        FakeRegistry r(QStringLiteral("redirect"));
        QVERIFY(r.ok());
        const RegistryPulled p = pull(r, QStringLiteral("lamina/test:amd64"));
        QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
        const QJsonObject stats = r.stats();
        int stored = 0;
        for (auto it = stats.begin(); it != stats.end(); ++it)
            if (it.key().startsWith(u"/storage/"))
                stored += it.value().toInt();
        QCOMPARE(stored, 2);
    }
}

void TestRegistry::chunkedAnswers()
{
    FakeRegistry r(QStringLiteral("chunked"));
    QVERIFY(r.ok());
    const RegistryPulled p = pull(r, QStringLiteral("lamina/test:multi"));
    QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
    QCOMPARE(p.blobsFetched, 2);
    QVERIFY(openImageArchive(p.folder).ok());
}

// A push: HEAD first, a blob of the base's repository mounted, the rest uploaded (POST, then PUT
// with the digest), the manifest last; pulled back, the same manifest.
void TestRegistry::pushSendsOnlyWhatIsMissing()
{
    FakeRegistry r(QStringLiteral("ok"));
    QVERIFY(r.ok());
    const RegistryPulled pulled = pull(r, QStringLiteral("lamina/test:amd64"));
    QVERIFY2(pulled.error.isEmpty(), qPrintable(pulled.error));
    RegistryOptions options;
    options.blobFolder = blobs();
    auto push = [&](const QString &rest, const QString &mountFrom) {
        return pushToRegistry(pulled.folder, *parseRegistryReference(r.reference(rest)), mountFrom, options);
    };
    // Nothing there: every blob sent.
    RegistryPushed p = push(QStringLiteral("lamina/copy:1"), {});
    QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
    QCOMPARE(p.blobsSent, 2);
    QCOMPARE(p.blobsPresent, 0);
    QVERIFY(p.bytesSent > 0);
    QVERIFY2(p.how.contains(u"2 blob(s) sent"), qPrintable(p.how));
    const QJsonObject index = QJsonDocument::fromJson([&] {
        QFile f(pulled.folder + QStringLiteral("/index.json"));
        f.open(QIODevice::ReadOnly);
        return f.readAll();
    }())
                                  .object();
    const QString manifestDigest = index.value(QStringLiteral("manifests"))
                                       .toArray()
                                       .at(0)
                                       .toObject()
                                       .value(QStringLiteral("digest"))
                                       .toString();
    QCOMPARE(p.digest, manifestDigest);
    // Again: the repository has them, only the manifest goes.
    p = push(QStringLiteral("lamina/copy:2"), {});
    QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
    QCOMPARE(p.blobsSent, 0);
    QCOMPARE(p.blobsPresent, 2);
    // Another repository, with the base's to mount from: mounted, not sent.
    p = push(QStringLiteral("lamina/mounted:1"), QStringLiteral("lamina/test"));
    QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
    QCOMPARE(p.blobsMounted, 2);
    QCOMPARE(p.blobsSent, 0);
    const QJsonObject stats = r.stats();
    int puts = 0;
    for (auto it = stats.begin(); it != stats.end(); ++it)
        if (it.key().startsWith(u"PUT ") && it.key().contains(u"/blobs/uploads/"))
            puts += it.value().toInt();
    QCOMPARE(puts, 2); // the first push's two blobs, and no other
    QCOMPARE(stats.value(QStringLiteral("PUT /v2/lamina/mounted/manifests/1")).toInt(), 1);
    // Pulled back: the manifest pushed, its files.
    const RegistryPulled back = pull(r, QStringLiteral("lamina/copy:2"));
    QVERIFY2(back.error.isEmpty(), qPrintable(back.error));
    const ImageArchive ia = openImageArchive(back.folder);
    QVERIFY(ia.ok());
    QVERIFY(indexImageLayers(ia, 0).layers.at(0)->find("hello.txt") >= 0);
    // A digest is not a tag to push to; a layout of two images is refused.
    p = pushToRegistry(pulled.folder,
        *parseRegistryReference(r.reference(QStringLiteral("lamina/x@sha256:") + QString(64, u'b'))), {}, options);
    QVERIFY2(p.error.contains(u"names a tag"), qPrintable(p.error));
}

void TestRegistry::pushInChunks_data()
{
    QTest::addColumn<QString>("mode");
    QTest::newRow("registry keeps every chunk") << "ok";
    QTest::newRow("registry keeps half the first chunk") << "short-chunk";
    QTest::newRow("registry keeps half the first chunk, then fails") << "chunk-503";
}

// A blob larger than the chunk size goes as PATCHes of it, each naming its bytes, and a PUT with
// the digest; a registry that kept less of a chunk than it was sent (its Range says so) is sent
// the rest, and so is one that kept part of a chunk and then failed (the upload asked how much it
// has: sent again whole, the chunk's range would no longer follow). Pulled back, the same image.
void TestRegistry::pushInChunks()
{
    QFETCH(QString, mode);
    FakeRegistry r(mode);
    QVERIFY(r.ok());
    const RegistryPulled pulled = pull(r, QStringLiteral("lamina/test:amd64"));
    QVERIFY2(pulled.error.isEmpty(), qPrintable(pulled.error));
    const ImageArchive base = openImageArchive(pulled.folder);
    const ImageLayer layer = base.images.at(0).layers.at(0);
    const qint64 size = base.archive->member(layer.member).size;
    QVERIFY(size > 100);
    RegistryOptions options;
    options.blobFolder = blobs();
    options.chunkBytes = 40;
    const RegistryPushed p = pushToRegistry(
        pulled.folder, *parseRegistryReference(r.reference(QStringLiteral("lamina/chunked:1"))), {}, options);
    QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
    QCOMPARE(p.blobsSent, 2);
    QVERIFY2(p.how.contains(u"in chunks"), qPrintable(p.how));
    const QJsonObject stats = r.stats();
    int patches = 0, puts = 0, asked = 0;
    for (auto it = stats.begin(); it != stats.end(); ++it) {
        if (it.key().startsWith(u"PATCH /v2/lamina/chunked/blobs/uploads/"))
            patches += it.value().toInt();
        if (it.key().startsWith(u"PUT /v2/lamina/chunked/blobs/uploads/"))
            puts += it.value().toInt();
        if (it.key().startsWith(u"/v2/lamina/chunked/blobs/uploads/")) // a GET
            asked += it.value().toInt();
    }
    // The layer's chunks (one more when the registry kept half of the first), and the config's
    // when it is larger than a chunk; one PUT a blob. Where the first chunk failed, the upload
    // was asked once how much it has.
    const qint64 halfKept = mode == u"ok" ? 0 : 1;
    qint64 expected = (size + 39) / 40 + halfKept, chunked = 1;
    const qint64 configSize
        = QFileInfo(pulled.folder + QStringLiteral("/blobs/sha256/") + base.images.at(0).configDigest.mid(7)).size();
    if (configSize > 40) {
        expected += (configSize + 39) / 40 + halfKept;
        ++chunked;
    }
    QCOMPARE(patches, int(expected));
    QCOMPARE(puts, 2);
    QCOMPARE(asked, mode == u"chunk-503" ? int(chunked) : 0);
    const RegistryPulled back = pull(r, QStringLiteral("lamina/chunked:1"));
    QVERIFY2(back.error.isEmpty(), qPrintable(back.error));
    const ImageArchive ia = openImageArchive(back.folder);
    QVERIFY(ia.ok());
    QCOMPARE(ia.images.at(0).layers.at(0).digest, layer.digest);
    QVERIFY(indexImageLayers(ia, 0).layers.at(0)->find("hello.txt") >= 0);
}

void TestRegistry::insecureSkipsTheCertificateOnly_data()
{
    QTest::addColumn<QString>("mode");
    QTest::newRow("anonymous") << "ok";
    QTest::newRow("bearer") << "bearer";
    QTest::newRow("basic") << "basic";
}

// A registry with a certificate of its own: refused unless --insecure, and then said to be
// unverified wherever the image's origin is shown.
void TestRegistry::insecureSkipsTheCertificateOnly()
{
    QFETCH(QString, mode);
    QString cert, key;
    QVERIFY(test::selfSignedCertificate(QDir(m_dir.path()), &cert, &key));
    FakeRegistry r(mode, { QStringLiteral("--tls"), cert, key });
    QVERIFY(r.ok());
    if (mode != u"ok") {
        QFile f(m_dir.filePath(QStringLiteral("auth.json")));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"auths\":{\"" + r.host().toUtf8() + "\":{\"auth\":\"" + QByteArray("lamina:s3cret").toBase64()
            + "\"}}}");
        qputenv("REGISTRY_AUTH_FILE", f.fileName().toUtf8());
    }
    const RegistryReference ref = *parseRegistryReference(r.reference(QStringLiteral("lamina/test:amd64")));
    RegistryOptions options;
    options.blobFolder = blobs();
    // Verified by default: the certificate is named as the reason, and HTTP is not tried instead.
    RegistryPulled p = pullFromRegistry(ref, layouts(), options);
    QVERIFY2(p.error.contains(u"TLS: the certificate of 127.0.0.1 is not trusted") && p.error.contains(u"--insecure"),
        qPrintable(p.error));
    QVERIFY(p.folder.isEmpty());
    QVERIFY(filesIn(blobs()).isEmpty());
    // --insecure: pulled, credentials and all, and said to be unverified.
    options.insecure = true;
    p = pullFromRegistry(ref, layouts(), options);
    QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
    QVERIFY2(
        p.how.startsWith(u"pulled from the registry at " + r.host() + u" over HTTPS without verifying its certificate"),
        qPrintable(p.how));
    const ImageArchive ia = openImageArchive(ref.text(), {}, options);
    QVERIFY2(ia.ok(), qPrintable(ia.errors.join(u'\n')));
    QVERIFY2(ia.origin.contains(u"over HTTPS without verifying its certificate"), qPrintable(ia.origin));
    QVERIFY(!openImageArchive(ref.text()).ok()); // not remembered: asked for each time
    const RegistryPushed pushed
        = pushToRegistry(p.folder, *parseRegistryReference(r.reference(QStringLiteral("lamina/copy:1"))), {}, options);
    QVERIFY2(pushed.error.isEmpty(), qPrintable(pushed.error));
    QVERIFY2(pushed.how.contains(u"over HTTPS without verifying its certificate"), qPrintable(pushed.how));
    // Trusted (SSL_CERT_FILE names it), the same registry is verified and said to be.
    qputenv("SSL_CERT_FILE", cert.toUtf8());
    options.insecure = false;
    p = pullFromRegistry(ref, layouts(), options);
    qunsetenv("SSL_CERT_FILE");
    QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
    QVERIFY2(p.how.contains(u"over HTTPS") && !p.how.contains(u"without"), qPrintable(p.how));
}

// --insecure is for the registry named: a redirect to another address in clear text is refused.
void TestRegistry::insecureIsForTheRegistryAlone()
{
    FakeRegistry r(QStringLiteral("redirect-away"));
    QVERIFY(r.ok());
    RegistryOptions options;
    options.blobFolder = blobs();
    options.insecure = true;
    const RegistryPulled p = pullFromRegistry(
        *parseRegistryReference(r.reference(QStringLiteral("lamina/test:amd64"))), layouts(), options);
    QVERIFY2(p.error.contains(u"which is not HTTPS") && p.error.contains(u"http://localhost:"), qPrintable(p.error));
    QVERIFY(p.folder.isEmpty());
}

// A folder an interrupted run left goes after a day, unless a Lamina still reads it (its shared
// lock on the mark); only folders with the mark go, and never through a link.
// certs.d: the registry's folder of TLS files, as containers/image reads it. Its authority makes
// the registry's certificate trusted, and its client certificate is what a registry asking for one
// gets; a key without its certificate is said.
void TestRegistry::certificateFolderOfTheRegistry()
{
    QString cert, key, clientCert, clientKey;
    QVERIFY(test::selfSignedCertificate(QDir(m_dir.path()), &cert, &key));
    QVERIFY(QDir().mkpath(m_dir.filePath(QStringLiteral("client"))));
    QVERIFY(test::selfSignedCertificate(QDir(m_dir.filePath(QStringLiteral("client"))), &clientCert, &clientKey));
    FakeRegistry r(
        QStringLiteral("ok"), { QStringLiteral("--tls"), cert, key, QStringLiteral("--client-ca"), clientCert });
    QVERIFY(r.ok());
    const QByteArray home = qgetenv("HOME");
    qputenv("HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("home"))));
    const auto restore = qScopeGuard([&] { qputenv("HOME", home); });
    const QString folder = m_dir.filePath(QStringLiteral("home/.config/containers/certs.d/")) + r.host();
    const RegistryReference ref = *parseRegistryReference(r.reference(QStringLiteral("lamina/test:amd64")));
    RegistryOptions options;
    options.blobFolder = blobs();
    QCOMPARE(registry::certificateFolderFor(r.host()), QString());
    RegistryPulled p = pullFromRegistry(ref, layouts(), options);
    QVERIFY2(
        p.error.contains(u"is not trusted") && p.error.contains(u"as a .crt file in " + folder), qPrintable(p.error));

    // Its authority in the folder: trusted; but the registry asks for a client certificate.
    QVERIFY(QDir().mkpath(folder));
    QVERIFY(QFile::copy(cert, folder + QStringLiteral("/ca.crt")));
    QCOMPARE(registry::certificateFolderFor(r.host()), folder);
    p = pullFromRegistry(ref, layouts(), options);
    QVERIFY(p.folder.isEmpty());
    QVERIFY2(p.error.contains(u"the registry asks for a client certificate: NAME.cert with its NAME.key in " + folder),
        qPrintable(p.error));

    QVERIFY(QFile::copy(clientKey, folder + QStringLiteral("/client.key")));
    p = pullFromRegistry(ref, layouts(), options);
    QVERIFY2(p.error.contains(u"the key " + folder + u"/client.key has no client certificate client.cert beside it"),
        qPrintable(p.error));

    QVERIFY(QFile::copy(clientCert, folder + QStringLiteral("/client.cert")));
    p = pullFromRegistry(ref, layouts(), options);
    QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
    QVERIFY2(p.how.contains(u"over HTTPS") && !p.how.contains(u"without"), qPrintable(p.how));
    QVERIFY(openImageArchive(ref.text()).ok());

    // A host that would name another folder names none.
    QCOMPARE(registry::certificateFolderFor(QStringLiteral("..")), QString());
    QCOMPARE(registry::certificateFolderFor(QStringLiteral("a/../../b")), QString());
}

void TestRegistry::oldPullsGoUnlessHeld()
{
    FakeRegistry r(QStringLiteral("ok"));
    QVERIFY(r.ok());
    const QString elsewhere = m_dir.filePath(QStringLiteral("elsewhere"));
    auto make = [](const QString &folder, bool marked) {
        QDir().mkpath(folder + QStringLiteral("/blobs"));
        if (marked) {
            QFile mark(folder + QStringLiteral("/.lamina-pull"));
            mark.open(QIODevice::WriteOnly);
        }
    };
    auto age = [](const QString &path) {
        const timespec old[2] = { { time(nullptr) - 3 * 86400, 0 }, { time(nullptr) - 3 * 86400, 0 } };
        return ::utimensat(AT_FDCWD, QFile::encodeName(path).constData(), old, AT_SYMLINK_NOFOLLOW) == 0;
    };
    const QString held = layouts() + QStringLiteral("/pull-held"), free = layouts() + QStringLiteral("/pull-free"),
                  unmarked = layouts() + QStringLiteral("/pull-unmarked"),
                  fresh = layouts() + QStringLiteral("/pull-fresh"), link = layouts() + QStringLiteral("/pull-link");
    make(held, true);
    make(free, true);
    make(unmarked, false);
    make(fresh, true);
    make(elsewhere, true);
    QVERIFY(QFile::link(elsewhere, link));
    for (const QString &f : { held, free, unmarked, link, elsewhere })
        QVERIFY(age(f));
    const std::function<void()> release = holdPulledLayout(held);
    QVERIFY(age(held));
    const RegistryPulled p = pull(r, QStringLiteral("lamina/test:amd64"));
    QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
    QVERIFY(QFileInfo::exists(held));
    QVERIFY(!QFileInfo::exists(free));
    QVERIFY(QFileInfo::exists(unmarked));
    QVERIFY(QFileInfo::exists(fresh));
    QVERIFY(QFileInfo(link).isSymLink());
    QVERIFY(QFileInfo::exists(elsewhere + QStringLiteral("/.lamina-pull")));
    release(); // the last holder lets go: it goes
    QVERIFY(!QFileInfo::exists(held));
}

void TestRegistry::cancelStopsAPull()
{
    FakeRegistry r(QStringLiteral("slow-loris"));
    QVERIFY(r.ok());
    std::atomic<bool> cancel { false };
    Progress progress;
    progress.cancel = &cancel;
    std::thread later([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        cancel = true;
    });
    RegistryOptions options;
    options.blobFolder = blobs();
    const RegistryPulled p = pullFromRegistry(
        *parseRegistryReference(r.reference(QStringLiteral("lamina/test:amd64"))), layouts(), options, progress);
    later.join();
    QVERIFY2(p.error.contains(u"cancelled"), qPrintable(p.error));
    QVERIFY(filesIn(layouts()).isEmpty());
}

QTEST_GUILESS_MAIN(TestRegistry)
#include "tst_registry.moc"
