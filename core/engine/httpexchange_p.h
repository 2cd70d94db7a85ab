// SPDX-License-Identifier: MIT
// Private to core/engine: one HTTP/1.1 exchange with an engine's API over its unix socket. Small
// and blocking, with bounds on everything read, the cancel flag polled and a silence limit: the
// engines answer plain HTTP/1.1 (chunked or with a length), and core links QtCore only.
#pragma once

#include "util/progress.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
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

/// The status line and headers of an answer; an interim 1xx answer is skipped.
bool readHead(Exchange &x, Response *r, QString *error);
/// Hands the body to `sink` as it comes, decoding chunks, at most `limit` bytes (-1: any). False on
/// a break or an error.
bool readBody(Exchange &x, const Response &r, qint64 limit, const std::function<bool(const char *, qint64)> &sink,
    QString *error);
/// A connected socket, or -1 with `error` saying why ("<where>: …").
int connectTo(const QString &socketPath, const QString &where, QString *error);
/// "<where> answered 404 Not Found: <the engine's message>", the body read for the message.
QString answered(const QString &where, Exchange &x, const Response &r);

} // namespace lamina::http
