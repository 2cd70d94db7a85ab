// SPDX-License-Identifier: MIT
#include "util/safewrite.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <atomic>
#include <cerrno>
#include <cstring>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lamina {

namespace {

std::atomic<int> g_counter{0};

QByteArray partialName(const QByteArray &name)
{
    const QByteArray suffix = QByteArray(kPartialMarker) + QByteArray::number(::getpid()) + '-' + QByteArray::number(++g_counter);
    // NAME_MAX is 255 bytes on every Linux file system Lamina writes to.
    const QByteArray kept = name.left(std::max<qsizetype>(0, 255 - 1 - suffix.size()));
    return '.' + kept + suffix;
}

/// The pid in a temporary's name, or 0 when the name is not one of ours.
pid_t ownerOf(const char *name)
{
    const char *at = std::strstr(name, kPartialMarker);
    if (!at || name[0] != '.')
        return 0;
    at += sizeof(kPartialMarker) - 1;
    long pid = 0;
    for (; *at >= '0' && *at <= '9'; ++at)
        pid = pid * 10 + (*at - '0');
    return *at == '-' && pid > 0 ? pid_t(pid) : 0;
}

bool stale(pid_t pid)
{
    return pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH;
}

void removeTreeAt(int dirfd, const char *name)
{
    const int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        if (DIR *d = ::fdopendir(fd)) {
            while (struct dirent *e = ::readdir(d)) {
                if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
                    removeTreeAt(::dirfd(d), e->d_name);
            }
            ::closedir(d);
        } else {
            ::close(fd);
        }
        ::unlinkat(dirfd, name, AT_REMOVEDIR);
        return;
    }
    ::unlinkat(dirfd, name, 0);
}

} // namespace

QString partialPathFor(const QString &target)
{
    const QFileInfo info(target);
    return info.absolutePath() + u'/' + QFile::decodeName(partialName(QFile::encodeName(info.fileName())));
}

QByteArray partialNameFor(const QByteArray &name)
{
    return partialName(name);
}

int removeStalePartialsAt(int dirfd)
{
    const int fd = ::dup(dirfd);
    if (fd < 0)
        return 0;
    DIR *d = ::fdopendir(fd);
    if (!d) {
        ::close(fd);
        return 0;
    }
    ::rewinddir(d);
    QList<QByteArray> doomed;
    while (struct dirent *e = ::readdir(d)) {
        const pid_t pid = ownerOf(e->d_name);
        if (pid && stale(pid))
            doomed.append(QByteArray(e->d_name));
    }
    ::closedir(d);
    for (const QByteArray &name : std::as_const(doomed))
        removeTreeAt(dirfd, name.constData());
    return int(doomed.size());
}

int removeStalePartials(const QString &dir)
{
    const int fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    const int n = removeStalePartialsAt(fd);
    ::close(fd);
    return n;
}

} // namespace lamina
