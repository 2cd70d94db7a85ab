// SPDX-License-Identifier: MIT
#include "engine/httpexchange_p.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QStringList>

#include <QElapsedTimer>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace lamina::http {

QString systemError(int err)
{
    return QString::fromLocal8Bit(std::strerror(err));
}

qint64 Stream::receive(char *to, qint64 max, short *wait, QString *error)
{
    const ssize_t n = ::recv(m_fd, to, size_t(max), MSG_DONTWAIT);
    if (n >= 0)
        return n;
    if (errno == EINTR || errno == EAGAIN) {
        *wait = POLLIN;
        return -2;
    }
    *error = QStringLiteral("cannot read the answer: %1").arg(systemError(errno));
    return -1;
}

qint64 Stream::transmit(const char *from, qint64 n, short *wait, QString *error)
{
    const ssize_t sent = ::send(m_fd, from, size_t(n), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent >= 0)
        return sent;
    if (errno == EINTR || errno == EAGAIN) {
        *wait = POLLOUT;
        return -2;
    }
    *error = QStringLiteral("cannot send the request: %1").arg(systemError(errno));
    return -1;
}

namespace {

/// OpenSSL's queued errors as one line (and the queue emptied).
QString sslErrors()
{
    QStringList said;
    for (unsigned long e; (e = ERR_get_error()) != 0;) {
        char text[256];
        ERR_error_string_n(e, text, sizeof text);
        said << QString::fromLatin1(text);
    }
    return said.join(QStringLiteral("; "));
}

/// OpenSSL writes to its socket with write(), and a peer that has closed makes that raise
/// SIGPIPE, which ends the process: blocked on this thread while OpenSSL runs, and a SIGPIPE it
/// raised taken back before the mask is restored (what a library may do; the process's handlers
/// are not its to change).
class NoSigpipe
{
public:
    NoSigpipe()
    {
        sigemptyset(&m_pipe);
        sigaddset(&m_pipe, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        m_pendingBefore = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &m_pipe, &m_old);
    }
    ~NoSigpipe()
    {
        sigset_t pending;
        sigpending(&pending);
        if (!m_pendingBefore && sigismember(&pending, SIGPIPE) == 1) {
            const timespec none {};
            while (sigtimedwait(&m_pipe, nullptr, &none) < 0 && errno == EINTR) { }
        }
        pthread_sigmask(SIG_SETMASK, &m_old, nullptr);
    }

private:
    sigset_t m_pipe;
    sigset_t m_old;
    bool m_pendingBefore = false;
};

class TlsStream : public Stream
{
public:
    TlsStream(int fd, SSL_CTX *context, SSL *ssl)
        : Stream(fd)
        , m_context(context)
        , m_ssl(ssl)
    {
    }
    ~TlsStream() override
    {
        SSL_free(m_ssl);
        SSL_CTX_free(m_context);
    }
    qint64 receive(char *to, qint64 max, short *wait, QString *error) override
    {
        size_t n = 0;
        const NoSigpipe guard;
        errno = 0;
        if (SSL_read_ex(m_ssl, to, size_t(max), &n) == 1)
            return qint64(n);
        return failed(SSL_get_error(m_ssl, 0), wait, error, true);
    }
    qint64 transmit(const char *from, qint64 n, short *wait, QString *error) override
    {
        size_t sent = 0;
        const NoSigpipe guard;
        errno = 0;
        if (SSL_write_ex(m_ssl, from, size_t(n), &sent) == 1)
            return qint64(sent);
        const int code = SSL_get_error(m_ssl, 0);
        const int err = errno;
        if (code == SSL_ERROR_SYSCALL && (err == EPIPE || err == ECONNRESET)) {
            // The peer closed, perhaps after an alert saying why (TLS 1.3 refuses a client
            // certificate after the handshake): read, that is the reason rather than the pipe.
            ERR_clear_error();
            char byte = 0;
            size_t got = 0;
            if (SSL_read_ex(m_ssl, &byte, 1, &got) != 1)
                if (const QString said = sslErrors(); said.contains(u"alert")) {
                    *error = QStringLiteral("TLS: %1").arg(said);
                    return -1;
                }
            errno = err;
        }
        return failed(code, wait, error, false);
    }
    bool buffered() const override { return SSL_pending(m_ssl) > 0; }

private:
    qint64 failed(int code, short *wait, QString *error, bool reading)
    {
        switch (code) {
        case SSL_ERROR_WANT_READ:
            *wait = POLLIN;
            return -2;
        case SSL_ERROR_WANT_WRITE:
            *wait = POLLOUT;
            return -2;
        case SSL_ERROR_ZERO_RETURN:
            return 0;
        case SSL_ERROR_SYSCALL:
            if (errno == EINTR || errno == EAGAIN) {
                *wait = reading ? POLLIN : POLLOUT;
                return -2;
            }
            break;
        default:
            break;
        }
        const QString said = sslErrors();
        *error = QStringLiteral("TLS: %1").arg(said.isEmpty() ? systemError(errno) : said);
        return -1;
    }
    SSL_CTX *m_context;
    SSL *m_ssl;
};

bool readOneHead(Exchange &x, Response *r, QString *error)
{
    QByteArray line;
    if (!x.line(&line, kMaxHeaderBytes, error)) {
        if (error->isEmpty())
            *error = QStringLiteral("%1 closed the connection without an answer").arg(x.peer());
        return false;
    }
    // "HTTP/1.1 200 OK"
    const QList<QByteArray> parts = line.split(' ');
    bool ok = false;
    if (parts.size() >= 2 && parts.at(0).startsWith("HTTP/1."))
        r->status = parts.at(1).toInt(&ok);
    if (!ok) {
        *error = QStringLiteral("%1's answer is not HTTP: \"%2\"").arg(x.peer(), QString::fromLatin1(line.left(80)));
        return false;
    }
    r->reason = parts.mid(2).join(' ');
    qsizetype total = line.size();
    for (;;) {
        if (!x.line(&line, kMaxHeaderBytes, error)) {
            if (error->isEmpty())
                *error = QStringLiteral("%1 closed the connection within the answer's headers").arg(x.peer());
            return false;
        }
        total += line.size();
        if (total > kMaxHeaderBytes) {
            *error = QStringLiteral("%1's answer has more than %2 bytes of headers").arg(x.peer()).arg(kMaxHeaderBytes);
            return false;
        }
        if (line.isEmpty())
            return true;
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        r->headers.append({ name, value });
        if (name == "transfer-encoding")
            r->chunked = value.toLower().contains("chunked");
        else if (name == "content-length") {
            r->length = value.toLongLong(&ok);
            if (!ok || r->length < 0) {
                *error = QStringLiteral("%1's answer has a bad Content-Length: \"%2\"")
                             .arg(x.peer(), QString::fromLatin1(value.left(40)));
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
                *error = QStringLiteral("%1 stopped sending after %2 bytes").arg(x.peer()).arg(total);
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
                *error = QStringLiteral("%1 stopped sending after %2 bytes").arg(x.peer()).arg(total);
            return false;
        }
        bool ok = false;
        const qint64 size = line.split(';').constFirst().trimmed().toLongLong(&ok, 16);
        if (!ok || size < 0) {
            *error = QStringLiteral("%1's answer has a bad chunk size: \"%2\"")
                         .arg(x.peer(), QString::fromLatin1(line.left(40)));
            return false;
        }
        if (size == 0)
            return true; // trailers, if any, are not needed
        if (!copy(size) || !x.line(&line, 16, error)) {
            if (error->isEmpty())
                *error = QStringLiteral("%1 stopped sending after %2 bytes").arg(x.peer()).arg(total);
            return false;
        }
        if (!line.isEmpty()) {
            *error = QStringLiteral("%1's answer has a chunk longer than its size says (after %2 bytes)")
                         .arg(x.peer())
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

int connectTcp(const QString &host, int port, const Progress &progress, QString *error)
{
    addrinfo hints {};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo *found = nullptr;
    const QByteArray name = host.toUtf8();
    const QByteArray service = QByteArray::number(port);
    if (const int rc = ::getaddrinfo(name.constData(), service.constData(), &hints, &found); rc != 0) {
        *error
            = QStringLiteral("cannot find the address of %1: %2").arg(host, QString::fromLocal8Bit(gai_strerror(rc)));
        return -1;
    }
    const auto freeFound = qScopeGuard([found] { ::freeaddrinfo(found); });
    QString last;
    for (const addrinfo *a = found; a; a = a->ai_next) {
        const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0) {
            last = systemError(errno);
            continue;
        }
        int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            QElapsedTimer clock;
            clock.start();
            for (;;) {
                if (progress.cancelled()) {
                    ::close(fd);
                    *error = QStringLiteral("cancelled");
                    return -1;
                }
                pollfd p { fd, POLLOUT, 0 };
                const int ready = ::poll(&p, 1, kPollMilliseconds);
                if (ready > 0) {
                    int err = 0;
                    socklen_t len = sizeof err;
                    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
                    errno = err;
                    rc = err == 0 ? 0 : -1;
                    break;
                }
                if (ready < 0 && errno != EINTR) {
                    rc = -1;
                    break;
                }
                if (clock.elapsed() > 30 * 1000) {
                    errno = ETIMEDOUT;
                    rc = -1;
                    break;
                }
            }
        }
        if (rc == 0) {
            const int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            return fd;
        }
        last = systemError(errno);
        ::close(fd);
    }
    *error = QStringLiteral("cannot connect to %1:%2: %3").arg(host).arg(port).arg(last);
    return -1;
}

std::unique_ptr<Stream> startTls(int fd, const QString &host, bool verify, const Progress &progress, QString *error,
    bool *untrusted, const TlsExtras *extras)
{
    if (untrusted)
        *untrusted = false;
    ERR_clear_error();
    SSL_CTX *context = SSL_CTX_new(TLS_client_method());
    if (!context) {
        *error = QStringLiteral("TLS: %1").arg(sslErrors());
        return {};
    }
    SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
    // No SSL_OP_IGNORE_UNEXPECTED_EOF: a connection cut without TLS's goodbye is an error, so that
    // a body that ends at the close cannot be shortened by someone on the way.
    SSL_CTX_set_default_verify_paths(context);
    if (extras) {
        QString failed;
        for (const QString &file : extras->authorities)
            if (failed.isEmpty()
                && SSL_CTX_load_verify_locations(context, QFile::encodeName(file).constData(), nullptr) != 1)
                failed = QStringLiteral("TLS: cannot read the authority %1: %2").arg(file, sslErrors());
        if (failed.isEmpty() && !extras->certificate.isEmpty()
            && (SSL_CTX_use_certificate_chain_file(context, QFile::encodeName(extras->certificate).constData()) != 1
                || SSL_CTX_use_PrivateKey_file(context, QFile::encodeName(extras->key).constData(), SSL_FILETYPE_PEM)
                    != 1
                || SSL_CTX_check_private_key(context) != 1))
            failed = QStringLiteral("TLS: cannot use the client certificate %1 with its key %2: %3")
                         .arg(extras->certificate, extras->key, sslErrors());
        if (!failed.isEmpty()) {
            SSL_CTX_free(context);
            *error = failed;
            return {};
        }
    }
    SSL_CTX_set_verify(context, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    SSL *ssl = SSL_new(context);
    if (!ssl) {
        SSL_CTX_free(context);
        *error = QStringLiteral("TLS: %1").arg(sslErrors());
        return {};
    }
    auto stream = std::make_unique<TlsStream>(fd, context, ssl);
    const QByteArray name = host.toUtf8();
    in6_addr ip;
    const bool isIp
        = ::inet_pton(AF_INET, name.constData(), &ip) == 1 || ::inet_pton(AF_INET6, name.constData(), &ip) == 1;
    if (!isIp)
        SSL_set_tlsext_host_name(ssl, name.constData());
    if (verify) {
        X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
        if (isIp ? X509_VERIFY_PARAM_set1_ip_asc(param, name.constData()) != 1
                 : X509_VERIFY_PARAM_set1_host(param, name.constData(), size_t(name.size())) != 1) {
            *error = QStringLiteral("TLS: cannot check the certificate against %1").arg(host);
            return {};
        }
    }
    SSL_set_fd(ssl, fd);
    QElapsedTimer clock;
    clock.start();
    for (;;) {
        int rc;
        {
            const NoSigpipe guard;
            rc = SSL_connect(ssl);
        }
        if (rc == 1)
            return stream;
        const int code = SSL_get_error(ssl, rc);
        short want = 0;
        if (code == SSL_ERROR_WANT_READ)
            want = POLLIN;
        else if (code == SSL_ERROR_WANT_WRITE)
            want = POLLOUT;
        else {
            const long verified = SSL_get_verify_result(ssl);
            const QString said = sslErrors();
            if (verify && verified != X509_V_OK && untrusted)
                *untrusted = true;
            if (verify && verified != X509_V_OK)
                *error = QStringLiteral("TLS: the certificate of %1 is not trusted: %2")
                             .arg(host, QString::fromLatin1(X509_verify_cert_error_string(verified)));
            else
                *error = QStringLiteral("TLS handshake with %1 failed: %2")
                             .arg(host, said.isEmpty() ? QStringLiteral("the connection was closed") : said);
            return {};
        }
        if (progress.cancelled()) {
            *error = QStringLiteral("cancelled");
            return {};
        }
        if (clock.elapsed() > 30 * 1000) {
            *error = QStringLiteral("TLS handshake with %1: no answer for 30 seconds").arg(host);
            return {};
        }
        pollfd p { fd, want, 0 };
        ::poll(&p, 1, kPollMilliseconds);
    }
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
