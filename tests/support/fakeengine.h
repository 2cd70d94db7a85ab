// SPDX-License-Identifier: MIT
// An engine that answers as the test tells it: a unix socket server for one connection, for the
// tests of docker:// and podman:// (core/engine/enginesource.h).
#pragma once

#include <QByteArray>
#include <QFile>
#include <QString>

#include <atomic>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

namespace lamina::test {

/// Answers one connection on a unix socket with `answer` (after reading the request), then
/// closes it; with `hang`, keeps it open without a word more until stopped.
class FakeEngine
{
public:
    FakeEngine(const QString &path, QByteArray answer, bool hang = false)
        : m_path(path)
    {
        m_listener = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un a {};
        a.sun_family = AF_UNIX;
        const QByteArray p = QFile::encodeName(path);
        std::memcpy(a.sun_path, p.constData(), size_t(p.size()));
        m_ok = ::bind(m_listener, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0 && ::listen(m_listener, 4) == 0;
        m_thread = std::thread([this, answer, hang] {
            const int fd = ::accept(m_listener, nullptr, nullptr);
            if (fd < 0)
                return;
            char buf[4096];
            QByteArray request;
            while (!request.contains("\r\n\r\n")) {
                const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
                if (n <= 0)
                    break;
                request.append(buf, n);
            }
            m_request = request;
            for (qsizetype done = 0; done < answer.size();) {
                const ssize_t n = ::send(fd, answer.constData() + done, size_t(answer.size() - done), MSG_NOSIGNAL);
                if (n <= 0)
                    break;
                done += n;
            }
            while (hang && !m_stop)
                ::usleep(10000);
            ::close(fd);
        });
    }
    ~FakeEngine()
    {
        m_stop = true;
        ::shutdown(m_listener, SHUT_RDWR);
        ::close(m_listener);
        m_thread.join();
        QFile::remove(m_path);
    }
    bool ok() const { return m_ok; }
    QByteArray request() const { return m_request; }

private:
    QString m_path;
    int m_listener = -1;
    bool m_ok = false;
    std::atomic<bool> m_stop { false };
    std::thread m_thread;
    QByteArray m_request;
};

/// `body` in HTTP chunks of about size/pieces bytes, with the last, empty one.
inline QByteArray chunked(const QByteArray &body, int pieces = 3)
{
    QByteArray out;
    const qsizetype step = std::max<qsizetype>(1, body.size() / pieces);
    for (qsizetype at = 0; at < body.size(); at += step) {
        const QByteArray part = body.mid(at, step);
        out += QByteArray::number(part.size(), 16) + "\r\n" + part + "\r\n";
    }
    return out + "0\r\n\r\n";
}

} // namespace lamina::test
