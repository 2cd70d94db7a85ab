// SPDX-License-Identifier: MIT
// docs/engines.md: an engine's image saved over its API socket, or by `podman image save`.
#include "engine/enginesource.h"

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

namespace {

/// Response headers longer than this are no engine's.
constexpr qsizetype kMaxHeaderBytes = 64 * 1024;
/// An error's body is read up to this much for its message.
constexpr qsizetype kMaxErrorBody = 64 * 1024;
/// Silence this long means the engine is stuck: saving a big image starts slowly (the engine
/// prepares each layer) but then streams.
constexpr int kIdleMilliseconds = 300 * 1000;
/// An engine's list of images is read up to this much (a few hundred bytes an image).
constexpr qint64 kMaxImageList = 64 << 20;
/// How often a wait looks at the cancel flag.
constexpr int kPollMilliseconds = 200;

QString engineName(EngineReference::Engine e)
{
    return e == EngineReference::Engine::Docker ? QStringLiteral("Docker") : QStringLiteral("podman");
}

QString systemError(int err)
{
    return QString::fromLocal8Bit(std::strerror(err));
}

/// One blocking HTTP/1.1 exchange on a connected socket, read through a buffer.
class Exchange
{
public:
    Exchange(int fd, const Progress &progress)
        : m_fd(fd)
        , m_progress(progress)
    {
    }

    bool send(const QByteArray &request, QString *error)
    {
        for (qsizetype done = 0; done < request.size();) {
            if (!wait(POLLOUT, error))
                return false;
            const ssize_t n
                = ::send(m_fd, request.constData() + done, size_t(request.size() - done), MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0) {
                *error = QStringLiteral("cannot send the request: %1").arg(systemError(errno));
                return false;
            }
            done += n;
        }
        return true;
    }

    /// A line without its CRLF; false at the end of the stream, on a line longer than `limit`,
    /// or on an error (then `error` says which).
    bool line(QByteArray *out, qsizetype limit, QString *error)
    {
        for (;;) {
            const qsizetype nl = m_buffer.indexOf('\n', m_pos);
            if (nl >= 0) {
                *out = m_buffer.mid(m_pos, nl - m_pos);
                if (out->endsWith('\r'))
                    out->chop(1);
                m_pos = nl + 1;
                return true;
            }
            if (m_buffer.size() - m_pos > limit) {
                *error = QStringLiteral("the engine's answer has a line of more than %1 bytes").arg(limit);
                return false;
            }
            if (!fill(error))
                return false;
        }
    }

    /// Up to `max` bytes; 0 at the end of the stream, -1 on an error.
    qint64 read(char *to, qint64 max, QString *error)
    {
        if (m_pos >= m_buffer.size()) {
            m_buffer.clear();
            m_pos = 0;
            // Big reads straight into the destination: the buffer is for headers and chunk sizes.
            if (max >= 64 * 1024) {
                ssize_t n;
                do {
                    if (!wait(POLLIN, error))
                        return -1;
                    n = ::recv(m_fd, to, size_t(max), MSG_DONTWAIT);
                } while (n < 0 && (errno == EINTR || errno == EAGAIN));
                if (n < 0) {
                    *error = QStringLiteral("cannot read the answer: %1").arg(systemError(errno));
                    return -1;
                }
                return n;
            }
            if (!fill(error))
                return error->isEmpty() ? 0 : -1;
        }
        const qint64 n = std::min<qint64>(max, m_buffer.size() - m_pos);
        std::memcpy(to, m_buffer.constData() + m_pos, size_t(n));
        m_pos += n;
        return n;
    }

private:
    /// Waits until the socket can be read (POLLIN) or written (POLLOUT), the engine's silence
    /// lasts too long, or the user cancels.
    bool wait(short events, QString *error)
    {
        int silent = 0;
        for (;;) {
            if (m_progress.cancelled()) {
                *error = QStringLiteral("cancelled");
                return false;
            }
            pollfd p { m_fd, events, 0 };
            const int rc = ::poll(&p, 1, kPollMilliseconds);
            if (rc > 0)
                return true;
            if (rc < 0 && errno != EINTR) {
                *error = QStringLiteral("cannot wait for the answer: %1").arg(systemError(errno));
                return false;
            }
            silent += kPollMilliseconds;
            if (silent >= kIdleMilliseconds) {
                *error = QStringLiteral("the engine sent nothing for %1 seconds").arg(kIdleMilliseconds / 1000);
                return false;
            }
        }
    }

    /// Reads more into the buffer; false at the end (error empty) or on an error.
    bool fill(QString *error)
    {
        if (m_pos > 0) {
            m_buffer.remove(0, m_pos);
            m_pos = 0;
        }
        const qsizetype old = m_buffer.size();
        m_buffer.resize(old + 16 * 1024);
        ssize_t n;
        do {
            if (!wait(POLLIN, error)) {
                m_buffer.resize(old);
                return false;
            }
            n = ::recv(m_fd, m_buffer.data() + old, 16 * 1024, MSG_DONTWAIT);
        } while (n < 0 && (errno == EINTR || errno == EAGAIN));
        m_buffer.resize(old + std::max<ssize_t>(n, 0));
        if (n < 0) {
            *error = QStringLiteral("cannot read the answer: %1").arg(systemError(errno));
            return false;
        }
        return n > 0;
    }

    int m_fd;
    const Progress &m_progress;
    QByteArray m_buffer;
    qsizetype m_pos = 0;
};

struct Response
{
    int status = 0;
    QByteArray reason;
    bool chunked = false;
    qint64 length = -1; ///< Content-Length, or -1
};

bool readOneHead(Exchange &x, Response *r, QString *error)
{
    QByteArray line;
    if (!x.line(&line, kMaxHeaderBytes, error)) {
        if (error->isEmpty())
            *error = QStringLiteral("the engine closed the connection without an answer");
        return false;
    }
    // "HTTP/1.1 200 OK"
    const QList<QByteArray> parts = line.split(' ');
    bool ok = false;
    if (parts.size() >= 2 && parts.at(0).startsWith("HTTP/1."))
        r->status = parts.at(1).toInt(&ok);
    if (!ok) {
        *error = QStringLiteral("the engine's answer is not HTTP: \"%1\"").arg(QString::fromLatin1(line.left(80)));
        return false;
    }
    r->reason = parts.mid(2).join(' ');
    qsizetype total = line.size();
    for (;;) {
        if (!x.line(&line, kMaxHeaderBytes, error)) {
            if (error->isEmpty())
                *error = QStringLiteral("the engine closed the connection within the answer's headers");
            return false;
        }
        total += line.size();
        if (total > kMaxHeaderBytes) {
            *error = QStringLiteral("the engine's answer has more than %1 bytes of headers").arg(kMaxHeaderBytes);
            return false;
        }
        if (line.isEmpty())
            return true;
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (name == "transfer-encoding")
            r->chunked = value.toLower().contains("chunked");
        else if (name == "content-length") {
            r->length = value.toLongLong(&ok);
            if (!ok || r->length < 0) {
                *error = QStringLiteral("the engine's answer has a bad Content-Length: \"%1\"")
                             .arg(QString::fromLatin1(value.left(40)));
                return false;
            }
        }
    }
}

bool readHead(Exchange &x, Response *r, QString *error)
{
    for (;;) {
        *r = Response();
        if (!readOneHead(x, r, error))
            return false;
        if (r->status >= 200)
            return true; // an interim 1xx answer is followed by the real one
    }
}

/// Hands the body to `sink` as it comes, decoding chunks. False on a break or an error.
bool readBody(
    Exchange &x, const Response &r, qint64 limit, const std::function<bool(const char *, qint64)> &sink, QString *error)
{
    QByteArray buffer(256 * 1024, Qt::Uninitialized);
    qint64 total = 0;
    // Reads exactly `want` bytes (or, with want < 0, up to the end of the stream).
    const auto copy = [&](qint64 want) {
        while (want != 0) {
            const qint64 n
                = x.read(buffer.data(), want < 0 ? buffer.size() : std::min<qint64>(want, buffer.size()), error);
            if (n < 0)
                return false;
            if (n == 0) {
                if (want < 0)
                    return true;
                *error = QStringLiteral("the engine stopped sending after %1 bytes").arg(total);
                return false;
            }
            total += n;
            if (limit >= 0 && total > limit) {
                *error = QStringLiteral("the answer passes %1 bytes").arg(limit);
                return false;
            }
            if (!sink(buffer.constData(), n))
                return false;
            if (want > 0)
                want -= n;
        }
        return true;
    };
    if (!r.chunked)
        return copy(r.length);
    for (;;) {
        QByteArray line;
        if (!x.line(&line, 1024, error)) {
            if (error->isEmpty())
                *error = QStringLiteral("the engine stopped sending after %1 bytes").arg(total);
            return false;
        }
        bool ok = false;
        const qint64 size = line.split(';').constFirst().trimmed().toLongLong(&ok, 16);
        if (!ok || size < 0) {
            *error = QStringLiteral("the engine's answer has a bad chunk size: \"%1\"")
                         .arg(QString::fromLatin1(line.left(40)));
            return false;
        }
        if (size == 0)
            return true; // trailers, if any, are not needed
        if (!copy(size) || !x.line(&line, 16, error)) {
            if (error->isEmpty())
                *error = QStringLiteral("the engine stopped sending after %1 bytes").arg(total);
            return false;
        }
        if (!line.isEmpty()) {
            *error = QStringLiteral("the engine's answer has a chunk longer than its size says (after %1 bytes)")
                         .arg(total);
            return false;
        }
    }
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

/// A connected socket, or -1 with `error` saying why ("<where>: …").
int connectTo(const QString &socketPath, const QString &where, QString *error)
{
    sockaddr_un address {};
    const QByteArray encoded = QFile::encodeName(socketPath);
    if (encoded.size() >= qsizetype(sizeof address.sun_path)) {
        *error = QStringLiteral("%1: the socket's path is too long").arg(where);
        return -1;
    }
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, encoded.constData(), size_t(encoded.size()));
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        *error = QStringLiteral("%1: cannot make a socket: %2").arg(where, systemError(errno));
        return -1;
    }
    if (::connect(fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) != 0) {
        const int err = errno;
        ::close(fd);
        *error = err == ENOENT ? QStringLiteral("%1: no engine listens there (the socket does not exist)").arg(where)
            : err == ECONNREFUSED
            ? QStringLiteral("%1: the socket refuses connections (the engine is not running)").arg(where)
            : err == EACCES
            ? QStringLiteral("%1: permission denied (the socket's owner or group may connect)").arg(where)
            : QStringLiteral("%1: cannot connect: %2").arg(where, systemError(err));
        return -1;
    }
    return fd;
}

/// The message of an engine's error answer: its JSON "message", else its first words.
QString errorMessage(Exchange &x, const Response &r)
{
    QByteArray body;
    QString ignored;
    readBody(
        x, r, kMaxErrorBody,
        [&body](const char *data, qint64 n) {
            body.append(data, n);
            return true;
        },
        &ignored);
    const QString message = QJsonDocument::fromJson(body).object().value(QStringLiteral("message")).toString();
    return message.isEmpty() ? QString::fromUtf8(body.left(300)).trimmed() : message;
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
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.setProcessEnvironment(withoutContainerHost());
    p.start(QStringLiteral("podman"),
        { QStringLiteral("image"), QStringLiteral("save"), QStringLiteral("--format"), QStringLiteral("docker-archive"),
            QStringLiteral("-o"), file, ref.name });
    if (!p.waitForStarted(30000)) {
        saved.error = QStringLiteral("%1: podman has no API service running and `podman image save` cannot be "
                                     "run: %2")
                          .arg(ref.text(), p.errorString());
        return saved;
    }
    while (!p.waitForFinished(kPollMilliseconds)) {
        if (progress.cancelled()) {
            p.kill();
            p.waitForFinished(5000);
            saved.error = QStringLiteral("%1: cancelled").arg(ref.text());
            return saved; // `reserve` removes what podman wrote
        }
        progress.update(QFileInfo(file).size(), 0);
    }
    const QString output = QString::fromLocal8Bit(p.readAll()).trimmed();
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        saved.error = QStringLiteral("%1: `podman image save` failed: %2")
                          .arg(ref.text(), output.isEmpty() ? QStringLiteral("exit %1").arg(p.exitCode()) : output);
        return saved;
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
        const QString message = errorMessage(x, r);
        saved.error = QStringLiteral("%1 answered %2 %3%4")
                          .arg(where)
                          .arg(r.status)
                          .arg(QString::fromLatin1(r.reason), message.isEmpty() ? QString() : u": " + message);
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
        const QString message = errorMessage(x, r);
        loaded.error = QStringLiteral("%1 answered %2 %3%4")
                           .arg(where)
                           .arg(r.status)
                           .arg(QString::fromLatin1(r.reason), message.isEmpty() ? QString() : u": " + message);
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
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.setProcessEnvironment(withoutContainerHost());
    p.start(QStringLiteral("podman"), { QStringLiteral("load"), QStringLiteral("-i"), archive });
    if (!p.waitForStarted(30000)) {
        loaded.error = QStringLiteral("`podman load` cannot be run: %1").arg(p.errorString());
        return loaded;
    }
    while (!p.waitForFinished(kPollMilliseconds)) {
        if (progress.cancelled()) {
            p.kill();
            p.waitForFinished(5000);
            loaded.error = QStringLiteral("`podman load`: cancelled");
            return loaded;
        }
    }
    const QString output = QString::fromLocal8Bit(p.readAll()).trimmed();
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        loaded.error = QStringLiteral("`podman load` failed: %1")
                           .arg(output.isEmpty() ? QStringLiteral("exit %1").arg(p.exitCode()) : output);
        return loaded;
    }
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
        const QString message = errorMessage(x, r);
        list.error = QStringLiteral("%1 answered %2 %3%4")
                         .arg(where)
                         .arg(r.status)
                         .arg(QString::fromLatin1(r.reason), message.isEmpty() ? QString() : u": " + message);
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
    QProcess p;
    p.setProcessEnvironment(withoutContainerHost());
    p.start(QStringLiteral("podman"), { QStringLiteral("images"), QStringLiteral("--format"), QStringLiteral("json") });
    if (!p.waitForStarted(30000)) {
        list.error = QStringLiteral("`podman images` cannot be run: %1").arg(p.errorString());
        return list;
    }
    while (!p.waitForFinished(kPollMilliseconds)) {
        if (progress.cancelled()) {
            p.kill();
            p.waitForFinished(5000);
            list.error = QStringLiteral("`podman images`: cancelled");
            return list;
        }
    }
    const QByteArray out = p.readAllStandardOutput();
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        list.error = QStringLiteral("`podman images` failed: %1")
                         .arg(QString::fromLocal8Bit(p.readAllStandardError()).trimmed());
        return list;
    }
    list.images = imagesFromJson(engine, out, &error);
    if (!error.isEmpty())
        list.error = QStringLiteral("`podman images`: %1").arg(error);
    return list;
}

} // namespace lamina
