// SPDX-License-Identifier: MIT
#include "write/rangecopy.h"

#include <QByteArray>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace lamina {

qint64 copyRange(int in, qint64 offset, int out, qint64 length, QString *error)
{
    qint64 done = 0;
    bool kernel = true;
    QByteArray buffer;
    while (done < length) {
        if (kernel) {
            loff_t from = offset + done;
            const ssize_t n
                = ::copy_file_range(in, &from, out, nullptr, size_t(std::min<qint64>(length - done, 1 << 30)), 0);
            if (n > 0) {
                done += n;
                continue;
            }
            if (n == 0)
                return done;
            if (errno == EINTR)
                continue;
            if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP && errno != EBADF) {
                *error = QStringLiteral("copy failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
                return -1;
            }
            kernel = false; // another file system, or one without it: copy through a buffer
            buffer.resize(1 << 20);
        }
        const ssize_t n
            = ::pread(in, buffer.data(), size_t(std::min<qint64>(length - done, buffer.size())), offset + done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                *error = QStringLiteral("read failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
            return n < 0 ? -1 : done;
        }
        for (ssize_t put = 0; put < n;) {
            const ssize_t w = ::write(out, buffer.constData() + put, size_t(n - put));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                *error = QStringLiteral("write failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
                return -1;
            }
            put += w;
        }
        done += n;
    }
    return done;
}

bool writeAll(int fd, const char *p, size_t length, QString *error)
{
    size_t done = 0;
    while (done < length) {
        const ssize_t n = ::write(fd, p + done, length - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *error = QStringLiteral("write failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
            return false;
        }
        done += size_t(n);
    }
    return true;
}

} // namespace lamina
