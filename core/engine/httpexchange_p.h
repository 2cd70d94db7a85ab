// SPDX-License-Identifier: MIT
// Private to core/engine: one HTTP/1.1 exchange with an engine's API over its unix socket, or with
// a registry over TCP, plain or TLS (OpenSSL). Small and blocking, with bounds on everything read,
// the cancel flag polled and a silence limit: engines and registries answer plain HTTP/1.1
// (chunked or with a length), and core links QtCore only.
#pragma once

#include "util/progress.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QString>
#include <QStringList>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>
#include <poll.h>
#include <sys/socket.h>

namespace lamina::http {

/// Response headers longer than this are no engine's.
constexpr qsizetype kMaxHeaderBytes = 64 * 1024;
/// An error's body is read up to this much for its message.
constexpr qsizetype kMaxErrorBody = 64 * 1024;
/// Silence this long means the engine is stuck: saving a big image starts slowly (the engine
/// prepares each layer) but then streams.
constexpr int kIdleMilliseconds = 300 * 1000;
/// How often a wait looks at the cancel flag.
constexpr int kPollMilliseconds = 200;

QString systemError(int err);

/// The bytes an exchange runs over: a connected socket as it is, or TLS on it.
class Stream
{
public:
    explicit Stream(int fd)
        : m_fd(fd)
    {
    }
    virtual ~Stream() = default;
    int fd() const { return m_fd; }
    /// Bytes received (> 0), 0 at the end, -1 on an error (`error` says which), or -2: call again
    /// once `*wait` (POLLIN or POLLOUT) is ready.
    virtual qint64 receive(char *to, qint64 max, short *wait, QString *error);
    /// The same for bytes sent.
    virtual qint64 transmit(const char *from, qint64 n, short *wait, QString *error);
    /// Whether bytes can be received without waiting on the socket (TLS holds decrypted ones).
    virtual bool buffered() const { return false; }

private:
    int m_fd;
};

/// One blocking HTTP/1.1 exchange on a connected stream, read through a buffer. `peer` names the
/// other side in errors ("the engine", "the registry").
class Exchange
{
public:
    Exchange(int fd, const Progress &progress, QString peer = QStringLiteral("the engine"))
        : m_owned(std::make_unique<Stream>(fd))
        , m_stream(*m_owned)
        , m_progress(progress)
        , m_peer(std::move(peer))
    {
    }
    Exchange(Stream &stream, const Progress &progress, QString peer)
        : m_stream(stream)
        , m_progress(progress)
        , m_peer(std::move(peer))
    {
    }

    const QString &peer() const { return m_peer; }
    /// Silence this long ends a wait (kIdleMilliseconds unless set).
    void setIdleLimit(int milliseconds) { m_idleLimit = milliseconds; }
    /// Every wait ends `milliseconds` from now (a peer that trickles its answer a byte at a time
    /// is never silent); -1 takes the deadline away.
    void setDeadline(qint64 milliseconds)
    {
        m_deadlineLimit = milliseconds;
        m_clock.start();
    }

    bool send(const QByteArray &request, QString *error)
    {
        short want = POLLOUT;
        for (qsizetype done = 0; done < request.size();) {
            if (!wait(want, error))
                return false;
            const qint64 n = m_stream.transmit(request.constData() + done, request.size() - done, &want, error);
            if (n == -2)
                continue;
            if (n <= 0) {
                if (error->isEmpty())
                    *error = QStringLiteral("cannot send the request: the connection was closed");
                return false;
            }
            want = POLLOUT;
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
                *error = QStringLiteral("%1's answer has a line of more than %2 bytes").arg(m_peer).arg(limit);
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
            if (max >= 64 * 1024)
                return receive(to, max, error);
            if (!fill(error))
                return error->isEmpty() ? 0 : -1;
        }
        const qint64 n = std::min<qint64>(max, m_buffer.size() - m_pos);
        std::memcpy(to, m_buffer.constData() + m_pos, size_t(n));
        m_pos += n;
        return n;
    }

private:
    /// Waits until the socket can be read (POLLIN) or written (POLLOUT), the peer's silence
    /// lasts too long, or the user cancels.
    bool wait(short events, QString *error)
    {
        int silent = 0;
        for (;;) {
            if (m_progress.cancelled()) {
                *error = QStringLiteral("cancelled");
                return false;
            }
            if (m_deadlineLimit >= 0 && m_clock.elapsed() > m_deadlineLimit) {
                *error
                    = QStringLiteral("%1 did not answer within %2 seconds").arg(m_peer).arg(m_deadlineLimit / 1000.0);
                return false;
            }
            if (events == POLLIN && m_stream.buffered())
                return true;
            pollfd p { m_stream.fd(), events, 0 };
            const int rc = ::poll(&p, 1, kPollMilliseconds);
            if (rc > 0)
                return true;
            if (rc < 0 && errno != EINTR) {
                *error = QStringLiteral("cannot wait for the answer: %1").arg(systemError(errno));
                return false;
            }
            silent += kPollMilliseconds;
            if (silent >= m_idleLimit) {
                *error = QStringLiteral("%1 sent nothing for %2 seconds").arg(m_peer).arg(m_idleLimit / 1000.0);
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
        const qint64 n = receive(m_buffer.data() + old, 16 * 1024, error);
        m_buffer.resize(old + std::max<qint64>(n, 0));
        return n > 0;
    }

    /// Up to `max` bytes from the stream, waiting as it asks; 0 at the end, -1 on an error.
    qint64 receive(char *to, qint64 max, QString *error)
    {
        short want = POLLIN;
        for (;;) {
            if (!wait(want, error))
                return -1;
            const qint64 n = m_stream.receive(to, max, &want, error);
            if (n != -2)
                return n;
        }
    }

    std::unique_ptr<Stream> m_owned;
    Stream &m_stream;
    const Progress &m_progress;
    QString m_peer;
    int m_idleLimit = kIdleMilliseconds;
    qint64 m_deadlineLimit = -1;
    QElapsedTimer m_clock;
    QByteArray m_buffer;
    qsizetype m_pos = 0;
};

struct Response
{
    int status = 0;
    QByteArray reason;
    bool chunked = false;
    qint64 length = -1; ///< Content-Length, or -1
    QList<std::pair<QByteArray, QByteArray>> headers; ///< names in lower case
    /// The first header named `name` (lower case); "" when none.
    QByteArray header(QByteArrayView name) const
    {
        for (const auto &[n, v] : headers)
            if (n == name)
                return v;
        return {};
    }
};

/// The status line and headers of an answer; an interim 1xx answer is skipped.
bool readHead(Exchange &x, Response *r, QString *error);
/// Hands the body to `sink` as it comes, decoding chunks, at most `limit` bytes (-1: any). False on
/// a break or an error.
bool readBody(Exchange &x, const Response &r, qint64 limit, const std::function<bool(const char *, qint64)> &sink,
    QString *error);
/// A connected socket, or -1 with `error` saying why ("<where>: …").
int connectTo(const QString &socketPath, const QString &where, QString *error);
/// A socket connected to `host`:`port` over TCP (each address the name has, in turn), waiting at
/// most 30 seconds and stopping when cancelled; or -1 with `error` saying why.
int connectTcp(const QString &host, int port, const Progress &progress, QString *error);
/// What a registry's certificate folder adds to a TLS connection to it (certs.d).
struct TlsExtras
{
    QStringList authorities; ///< PEM files of authorities trusted besides the system's
    QString certificate; ///< a client certificate (PEM) offered when the server asks for one
    QString key; ///< its private key
};

/// TLS on the connected socket `fd`, the peer's certificate verified against the system's
/// authorities (OpenSSL's default paths, so SSL_CERT_FILE and SSL_CERT_DIR count), those of
/// `extras`, and `host`, unless `verify` is false. Null with `error` saying why, and
/// `*untrusted` set when the peer spoke TLS but its certificate failed; the stream does not
/// close `fd`.
std::unique_ptr<Stream> startTls(int fd, const QString &host, bool verify, const Progress &progress, QString *error,
    bool *untrusted = nullptr, const TlsExtras *extras = nullptr);
/// "<where> answered 404 Not Found: <the engine's message>", the body read for the message.
QString answered(const QString &where, Exchange &x, const Response &r);

} // namespace lamina::http
