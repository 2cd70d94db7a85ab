// SPDX-License-Identifier: MIT
#include "engine/httpexchange_p.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace lamina::http {

QString systemError(int err)
{
    return QString::fromLocal8Bit(std::strerror(err));
}

namespace {

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

} // namespace

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

QString answered(const QString &where, Exchange &x, const Response &r)
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
    // The engine's JSON "message", else its first words.
    QString message = QJsonDocument::fromJson(body).object().value(QStringLiteral("message")).toString();
    if (message.isEmpty())
        message = QString::fromUtf8(body.left(300)).trimmed();
    return QStringLiteral("%1 answered %2 %3%4")
        .arg(where)
        .arg(r.status)
        .arg(QString::fromLatin1(r.reason), message.isEmpty() ? QString() : u": " + message);
}

} // namespace lamina::http
