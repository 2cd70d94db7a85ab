// SPDX-License-Identifier: MIT
// docs/engines.md: an engine's image saved over its API socket, or by `podman image save`.
#include "engine/enginesource.h"

#include "engine/httpexchange_p.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QStandardPaths>
#include <QTemporaryFile>
#include <QUrl>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace lamina {

using namespace http;

namespace {

/// An engine's list of images is read up to this much (a few hundred bytes an image).
constexpr qint64 kMaxImageList = 64 << 20;
QString engineName(EngineReference::Engine e)
{
    return e == EngineReference::Engine::Docker ? QStringLiteral("Docker") : QStringLiteral("podman");
}

QString unixPath(const QString &host, QString *error)
{
    if (host.startsWith(u"unix://") && host.size() > 7)
        return host.mid(7);
    if (host.startsWith(u"unix://")) {
        if (error)
            *error = QStringLiteral("%1 names no socket").arg(host);
        return {};
    }
    if (error)
        *error = QStringLiteral("%1 is not a unix socket; only unix:// engine addresses are supported").arg(host);
    return {};
}

/// Docker's getImagesGet (moby, router/image/image_routes.go) reports an error met after the tar
/// began by writing it into the stream, `{"errorDetail":{…},"error":"…"}`, and ends the answer as
/// if all went well. The message, when the saved bytes end with one; else "".
QString errorAtTheEnd(QFile &file)
{
    const qint64 size = file.size();
    const qint64 tail = std::min<qint64>(size, 64 * 1024);
    if (!file.seek(size - tail))
        return {};
    const QByteArray end = file.read(tail);
    const qsizetype at = end.lastIndexOf("{\"errorDetail\"");
    if (at < 0)
        return {};
    const QJsonObject o = QJsonDocument::fromJson(end.mid(at).trimmed()).object();
    const QString message = o.value(QStringLiteral("error")).toString();
    return message.isEmpty()
        ? o.value(QStringLiteral("errorDetail")).toObject().value(QStringLiteral("message")).toString()
        : message;
}

void removeStaleSaves(const QString &folder)
{
    const QDateTime dayAgo = QDateTime::currentDateTimeUtc().addDays(-1);
    const QFileInfoList old = QDir(folder).entryInfoList({ QStringLiteral("save-*") }, QDir::Files | QDir::Hidden);
    for (const QFileInfo &f : old) {
        if (f.lastModified().toUTC() >= dayAgo)
            continue;
        // A save another Lamina still reads holds a shared lock (Archive::removeWhenClosed).
        const int fd = ::open(QFile::encodeName(f.filePath()).constData(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0)
            QFile::remove(f.filePath());
        ::close(fd);
    }
}

/// podman's own command reads its local store: CONTAINER_HOST named a service that is not there.
QProcessEnvironment withoutContainerHost()
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("CONTAINER_HOST"));
    return env;
}

/// Runs podman's own command (on its local store) to its end, polling `progress` for cancel and
/// calling `tick` meanwhile. Its standard output; `error` says why not ("`podman load` failed: …").
QByteArray runPodman(
    const QStringList &args, const Progress &progress, QString *error, const std::function<void()> &tick = {})
{
    const QString name
        = QStringLiteral("`podman %1`").arg(args.value(0) == u"image" ? args.mid(0, 2).join(u' ') : args.value(0));
    QProcess p;
    p.setProcessEnvironment(withoutContainerHost());
    p.start(QStringLiteral("podman"), args);
    if (!p.waitForStarted(30000)) {
        *error = QStringLiteral("%1 cannot be run: %2").arg(name, p.errorString());
        return {};
    }
    while (!p.waitForFinished(kPollMilliseconds)) {
        if (progress.cancelled()) {
            p.kill();
            p.waitForFinished(5000);
            *error = QStringLiteral("%1: cancelled").arg(name);
            return {};
        }
        if (tick)
            tick();
    }
    const QByteArray out = p.readAllStandardOutput();
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        QString said = QString::fromLocal8Bit(p.readAllStandardError() + out).trimmed();
        *error = QStringLiteral("%1 failed: %2")
                     .arg(name, said.isEmpty() ? QStringLiteral("exit %1").arg(p.exitCode()) : said);
        return {};
    }
    return out;
}

EngineSaved podmanSave(const EngineReference &ref, const QString &folder, const Progress &progress)
{
    EngineSaved saved;
    // A name podman will create: the folder is Lamina's own.
    QTemporaryFile reserve(folder + QStringLiteral("/save-XXXXXX.tar"));
    if (!reserve.open()) {
        saved.error = QStringLiteral("%1: cannot make a file in %2: %3").arg(ref.text(), folder, reserve.errorString());
        return saved;
    }
    const QString file = reserve.fileName();
    reserve.close();
    QString error;
    runPodman({ QStringLiteral("image"), QStringLiteral("save"), QStringLiteral("--format"),
                  QStringLiteral("docker-archive"), QStringLiteral("-o"), file, QStringLiteral("--"), ref.name },
        progress, &error, [&] { progress.update(QFileInfo(file).size(), 0); });
    if (!error.isEmpty()) {
        saved.error = QStringLiteral("%1: %2").arg(ref.text(), error);
        return saved; // `reserve` removes what podman wrote
    }
    reserve.setAutoRemove(false);
    saved.how = QStringLiteral("saved by `podman image save` (no podman API service was running)");
    saved.file = file;
    saved.bytes = QFileInfo(file).size();
    return saved;
}

} // namespace

QString EngineReference::text() const
{
    return (engine == Engine::Docker ? QStringLiteral("docker://") : QStringLiteral("podman://")) + name;
}

std::optional<EngineReference> parseEngineReference(const QString &text)
{
    EngineReference ref;
    if (text.startsWith(u"docker://"))
        ref.engine = EngineReference::Engine::Docker;
    else if (text.startsWith(u"podman://"))
        ref.engine = EngineReference::Engine::Podman;
    else
        return std::nullopt;
    ref.name = text.mid(9); // both prefixes are nine characters
    // A leading '-' would reach podman's command as an option.
    if (ref.name.isEmpty() || ref.name.size() > 512 || ref.name.startsWith(u'-'))
        return std::nullopt;
    for (const QChar c : std::as_const(ref.name))
        if (c.isSpace() || c.category() == QChar::Other_Control || c == u'?' || c == u'#')
            return std::nullopt;
    return ref;
}

QString engineSocket(EngineReference::Engine engine, QString *error)
{
    if (engine == EngineReference::Engine::Docker) {
        const QString host = qEnvironmentVariable("DOCKER_HOST");
        return host.isEmpty() ? QStringLiteral("/var/run/docker.sock") : unixPath(host, error);
    }
    const QString host = qEnvironmentVariable("CONTAINER_HOST");
    if (!host.isEmpty())
        return unixPath(host, error);
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (::geteuid() != 0 && !runtime.isEmpty())
        return runtime + QStringLiteral("/podman/podman.sock");
    return QStringLiteral("/run/podman/podman.sock");
}

QString engineCacheFolder()
{
    QString base = qEnvironmentVariable("XDG_CACHE_HOME");
    if (base.isEmpty() || !QDir::isAbsolutePath(base))
        base = QDir::homePath() + QStringLiteral("/.cache");
    return base + QStringLiteral("/lamina/engines");
}

EngineSaved saveFromSocket(
    const EngineReference &ref, const QString &socketPath, const QString &folder, const Progress &progress)
{
    EngineSaved saved;
    const QString where = QStringLiteral("%1: the %2 engine at %3").arg(ref.text(), engineName(ref.engine), socketPath);
    const int fd = connectTo(socketPath, where, &saved.error);
    if (fd < 0)
        return saved;
    const auto closeFd = qScopeGuard([fd] { ::close(fd); });
    // Slashes and colons stay: the engines route /images/{name:.*}/get.
    const QByteArray name = QUrl::toPercentEncoding(ref.name, "/:@");
    Exchange x(fd, progress);
    QString error;
    Response r;
    if (!x.send("GET /images/" + name
                + "/get HTTP/1.1\r\nHost: lamina\r\nUser-Agent: lamina\r\nAccept: "
                  "application/x-tar\r\nConnection: close\r\n\r\n",
            &error)
        || !readHead(x, &r, &error)) {
        saved.error = QStringLiteral("%1: %2").arg(where, error);
        return saved;
    }
    if (r.status != 200) {
        saved.error = answered(where, x, r);
        return saved;
    }
    if (!QDir().mkpath(folder)) {
        saved.error = QStringLiteral("%1: cannot make the folder %2").arg(ref.text(), folder);
        return saved;
    }
    QTemporaryFile out(folder + QStringLiteral("/save-XXXXXX.tar"));
    if (!out.open()) {
        saved.error = QStringLiteral("%1: cannot make a file in %2: %3").arg(ref.text(), folder, out.errorString());
        return saved;
    }
    qint64 written = 0;
    const bool ok = readBody(
        x, r, -1,
        [&](const char *data, qint64 n) {
            if (out.write(data, n) != n) {
                error = QStringLiteral("cannot write %1: %2").arg(out.fileName(), out.errorString());
                return false;
            }
            written += n;
            progress.update(written, 0);
            return true;
        },
        &error);
    if (!ok || !out.flush()) {
        saved.error = QStringLiteral("%1: %2").arg(where, error.isEmpty() ? out.errorString() : error);
        return saved; // `out` removes the part written
    }
    if (const QString failed = errorAtTheEnd(out); !failed.isEmpty()) {
        saved.error = QStringLiteral("%1: the engine failed after %2 bytes of the image: %3")
                          .arg(where)
                          .arg(written)
                          .arg(failed);
        return saved;
    }
    out.setAutoRemove(false);
    saved.how = QStringLiteral("saved from the %1 engine at %2").arg(engineName(ref.engine), socketPath);
    saved.file = out.fileName();
    saved.bytes = written;
    return saved;
}

namespace {

/// Whether podman's service is to be asked: its socket takes a connection. Without one (no
/// socket, or one a stopped service left), podman's command does the work.
bool askPodmanService(const QString &socket)
{
    if (QStandardPaths::findExecutable(QStringLiteral("podman")).isEmpty())
        return true; // nothing else to ask: the socket's error says what is wrong
    QString ignored;
    const int fd = connectTo(socket, {}, &ignored);
    if (fd < 0)
        return false;
    ::close(fd);
    return true;
}

} // namespace

EngineSaved saveFromEngine(const EngineReference &ref, const QString &folder, const Progress &progress)
{
    QString error;
    const QString socket = engineSocket(ref.engine, &error);
    if (socket.isEmpty()) {
        EngineSaved saved;
        saved.error = QStringLiteral("%1: %2").arg(ref.text(), error);
        return saved;
    }
    if (QDir().mkpath(folder))
        removeStaleSaves(folder);
    // Podman runs its API only as a service someone started; without one, its command saves.
    if (ref.engine == EngineReference::Engine::Podman && !askPodmanService(socket))
        return podmanSave(ref, folder, progress);
    return saveFromSocket(ref, socket, folder, progress);
}

EngineLoaded loadThroughSocket(
    EngineReference::Engine engine, const QString &socketPath, const QString &archive, const Progress &progress)
{
    EngineLoaded loaded;
    const QString where = QStringLiteral("the %1 engine at %2").arg(engineName(engine), socketPath);
    loaded.how = where;
    QFile in(archive);
    if (!in.open(QIODevice::ReadOnly)) {
        loaded.error = QStringLiteral("%1: %2").arg(archive, in.errorString());
        return loaded;
    }
    const int fd = connectTo(socketPath, where, &loaded.error);
    if (fd < 0)
        return loaded;
    const auto closeFd = qScopeGuard([fd] { ::close(fd); });
    Exchange x(fd, progress);
    QString error;
    bool sent = x.send("POST /images/load?quiet=1 HTTP/1.1\r\nHost: lamina\r\nUser-Agent: lamina\r\n"
                       "Content-Type: application/x-tar\r\nContent-Length: "
            + QByteArray::number(in.size()) + "\r\nConnection: close\r\n\r\n",
        &error);
    QByteArray chunk(1 << 20, Qt::Uninitialized);
    for (qint64 done = 0; sent && done < in.size();) {
        if (progress.cancelled()) {
            loaded.error = QStringLiteral("%1: cancelled").arg(where);
            return loaded;
        }
        const qint64 n = in.read(chunk.data(), chunk.size());
        if (n <= 0) {
            loaded.error = QStringLiteral("%1: cannot read %2: %3").arg(where, archive, in.errorString());
            return loaded;
        }
        sent = x.send(QByteArray::fromRawData(chunk.constData(), n), &error);
        done += n;
        progress.update(done, in.size());
    }
    // An engine that refuses early closes before the body is through: its answer says why.
    Response r;
    QString headError;
    if (!readHead(x, &r, &headError)) {
        loaded.error = QStringLiteral("%1: %2").arg(where, sent ? headError : error);
        return loaded;
    }
    if (r.status != 200) {
        loaded.error = answered(where, x, r);
        return loaded;
    }
    // A stream of JSON objects: {"stream":"Loaded image: …"} or {"errorDetail":…,"error":"…"}.
    QByteArray body;
    if (!readBody(
            x, r, kMaxErrorBody * 16,
            [&body](const char *data, qint64 n) {
                body.append(data, n);
                return true;
            },
            &error)) {
        loaded.error = QStringLiteral("%1: %2").arg(where, error);
        return loaded;
    }
    for (const QByteArray &line : body.split('\n')) {
        const QJsonObject o = QJsonDocument::fromJson(line.trimmed()).object();
        if (o.contains(QStringLiteral("error")) || o.contains(QStringLiteral("errorDetail"))) {
            QString message = o.value(QStringLiteral("error")).toString();
            if (message.isEmpty())
                message = o.value(QStringLiteral("errorDetail")).toObject().value(QStringLiteral("message")).toString();
            loaded.error = QStringLiteral("%1 refused the archive: %2").arg(where, message);
            return loaded;
        }
        const QString said = o.value(QStringLiteral("stream")).toString().trimmed();
        if (!said.isEmpty())
            loaded.loaded << said;
    }
    return loaded;
}

EngineLoaded loadIntoEngine(EngineReference::Engine engine, const QString &archive, const Progress &progress)
{
    QString error;
    const QString socket = engineSocket(engine, &error);
    if (socket.isEmpty()) {
        EngineLoaded loaded;
        loaded.error = error;
        return loaded;
    }
    if (engine != EngineReference::Engine::Podman || askPodmanService(socket))
        return loadThroughSocket(engine, socket, archive, progress);
    EngineLoaded loaded;
    loaded.how = QStringLiteral("`podman load` (no podman API service was running)");
    const QString output = QString::fromLocal8Bit(
        runPodman({ QStringLiteral("load"), QStringLiteral("-i"), archive }, progress, &loaded.error));
    if (!loaded.error.isEmpty())
        return loaded;
    for (const QString &line : output.split(u'\n'))
        if (line.startsWith(u"Loaded image"))
            loaded.loaded << line.trimmed();
    return loaded;
}

namespace {

/// The images of a JSON list as Docker's /images/json (RepoTags) or podman's command (Names)
/// give it.
QList<EngineImage> imagesFromJson(EngineReference::Engine engine, const QByteArray &json, QString *error)
{
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (!doc.isArray()) {
        *error = QStringLiteral("the list of images is not a JSON array: %1").arg(parseError.errorString());
        return {};
    }
    EngineReference ref;
    ref.engine = engine;
    QList<EngineImage> images;
    for (const QJsonValue &v : doc.array()) {
        const QJsonObject o = v.toObject();
        EngineImage image;
        image.id = o.value(QStringLiteral("Id")).toString();
        if (!image.id.isEmpty() && !image.id.contains(u':'))
            image.id.prepend(QStringLiteral("sha256:"));
        image.size = qint64(o.value(QStringLiteral("Size")).toDouble());
        image.created = qint64(o.value(QStringLiteral("Created")).toDouble());
        QJsonArray names = o.value(QStringLiteral("RepoTags")).toArray();
        if (names.isEmpty())
            names = o.value(QStringLiteral("Names")).toArray();
        bool named = false;
        for (const QJsonValue &name : std::as_const(names)) {
            ref.name = name.toString();
            if (ref.name.isEmpty() || ref.name == u"<none>:<none>" || !parseEngineReference(ref.text()))
                continue;
            image.reference = ref.text();
            images << image;
            named = true;
        }
        if (!named && image.id.startsWith(u"sha256:")) {
            ref.name = image.id.mid(7);
            image.reference = ref.text();
            images << image;
        }
    }
    std::sort(images.begin(), images.end(),
        [](const EngineImage &a, const EngineImage &b) { return a.reference < b.reference; });
    return images;
}

} // namespace

EngineImages listThroughSocket(EngineReference::Engine engine, const QString &socketPath, const Progress &progress)
{
    EngineImages list;
    const QString where = QStringLiteral("the %1 engine at %2").arg(engineName(engine), socketPath);
    list.how = where;
    const int fd = connectTo(socketPath, where, &list.error);
    if (fd < 0)
        return list;
    const auto closeFd = qScopeGuard([fd] { ::close(fd); });
    Exchange x(fd, progress);
    QString error;
    Response r;
    if (!x.send("GET /images/json HTTP/1.1\r\nHost: lamina\r\nUser-Agent: lamina\r\nConnection: close\r\n\r\n", &error)
        || !readHead(x, &r, &error)) {
        list.error = QStringLiteral("%1: %2").arg(where, error);
        return list;
    }
    if (r.status != 200) {
        list.error = answered(where, x, r);
        return list;
    }
    QByteArray body;
    if (!readBody(
            x, r, kMaxImageList,
            [&body](const char *data, qint64 n) {
                body.append(data, n);
                return true;
            },
            &error)) {
        list.error = QStringLiteral("%1: %2").arg(where, error);
        return list;
    }
    list.images = imagesFromJson(engine, body, &error);
    if (!error.isEmpty())
        list.error = QStringLiteral("%1: %2").arg(where, error);
    return list;
}

EngineImages listEngineImages(EngineReference::Engine engine, const Progress &progress)
{
    QString error;
    const QString socket = engineSocket(engine, &error);
    if (socket.isEmpty()) {
        EngineImages list;
        list.error = error;
        return list;
    }
    if (engine != EngineReference::Engine::Podman || askPodmanService(socket))
        return listThroughSocket(engine, socket, progress);
    EngineImages list;
    list.how = QStringLiteral("`podman images` (no podman API service was running)");
    const QByteArray out = runPodman(
        { QStringLiteral("images"), QStringLiteral("--format"), QStringLiteral("json") }, progress, &list.error);
    if (!list.error.isEmpty())
        return list;
    list.images = imagesFromJson(engine, out, &error);
    if (!error.isEmpty())
        list.error = QStringLiteral("`podman images`: %1").arg(error);
    return list;
}

} // namespace lamina
