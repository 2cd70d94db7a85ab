// SPDX-License-Identifier: MIT
#include "write/safewrite.h"

#include <QByteArray>
#include <QFile>
#include <QFileInfo>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lamina {

namespace {

std::atomic<int> g_counter { 0 };

constexpr int kKeyBytes = 32;
constexpr int kMacHex = 24; // 96 bits: not guessable, short enough to leave room for the name

QByteArray randomBytes(int n)
{
    QByteArray out(n, Qt::Uninitialized);
    for (int got = 0; got < n;) {
        const ssize_t r = ::getrandom(out.data() + got, size_t(n - got), 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return {};
        got += int(r);
    }
    return out;
}

QByteArray readKey(const QByteArray &path)
{
    const int fd = ::open(path.constData(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return {};
    struct stat st;
    QByteArray key(kKeyBytes, Qt::Uninitialized);
    // Only a key file of our own, not readable by others, can prove anything.
    const bool ok = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & 077) == 0
        && st.st_size == kKeyBytes && ::read(fd, key.data(), kKeyBytes) == kKeyBytes;
    ::close(fd);
    return ok ? key : QByteArray();
}

/// The per-user key, made on first use. Without a place to keep it, a key for this process only:
/// its temporaries are then never recognised by a later run, which is safe.
QByteArray loadKey()
{
    QByteArray dir = qgetenv("XDG_STATE_HOME");
    if (dir.isEmpty() || !dir.startsWith('/')) {
        const QByteArray home = qgetenv("HOME");
        dir = home.isEmpty() ? QByteArray() : home + "/.local/state";
    }
    if (!dir.isEmpty()) {
        dir += "/lamina";
        // Each level made 0700 when missing; existing ones are left as they are.
        for (qsizetype at = 1; at <= dir.size(); ++at)
            if (at == dir.size() || dir.at(at) == '/')
                ::mkdir(dir.left(at).constData(), 0700);
        const QByteArray path = dir + "/temporaries.key";
        QByteArray key = readKey(path);
        if (!key.isEmpty())
            return key;
        key = randomBytes(kKeyBytes);
        QByteArray tmp = path + ".XXXXXX";
        const int fd = key.isEmpty() ? -1 : ::mkstemp(tmp.data());
        if (fd >= 0) {
            const bool written = ::write(fd, key.constData(), kKeyBytes) == kKeyBytes && ::fsync(fd) == 0;
            ::close(fd);
            // link() never replaces: of two runs making the key at once, one wins and both read it.
            if (written)
                ::link(tmp.constData(), path.constData());
            ::unlink(tmp.constData());
            if (const QByteArray stored = readKey(path); !stored.isEmpty())
                return stored;
        }
    }
    QByteArray key = randomBytes(kKeyBytes);
    if (key.isEmpty())
        key = QByteArray::number(qint64(::getpid())) + QByteArray::number(qint64(::time(nullptr)))
            + QByteArray::number(quintptr(&key));
    return key;
}

const QByteArray &key()
{
    static std::once_flag once;
    static QByteArray k;
    std::call_once(once, [] { k = loadKey(); });
    return k;
}

QByteArray macOf(const QByteArray &kept, QByteArrayView pid, QByteArrayView n, const struct stat &dir)
{
    const QByteArray message = QByteArray("lamina-partial") + '\0' + kept + '\0' + pid.toByteArray() + '\0'
        + n.toByteArray() + '\0' + QByteArray::number(quint64(dir.st_dev)) + '\0'
        + QByteArray::number(quint64(dir.st_ino));
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    const QByteArray &k = key();
    if (!HMAC(EVP_sha256(), k.constData(), int(k.size()), reinterpret_cast<const unsigned char *>(message.constData()),
            size_t(message.size()), out, &len))
        return {};
    return QByteArray(reinterpret_cast<const char *>(out), int(len)).toHex().left(kMacHex);
}

QByteArray partialName(const QByteArray &name, const struct stat &dir)
{
    const QByteArray pid = QByteArray::number(::getpid());
    const QByteArray n = QByteArray::number(++g_counter);
    const qsizetype suffixSize = qsizetype(sizeof(kPartialMarker) - 1) + pid.size() + 1 + n.size() + 1 + kMacHex;
    // NAME_MAX is 255 bytes on every Linux file system Lamina writes to; 7 more are left for the
    // "-XXXXXX" a temporary folder's name may end with.
    const QByteArray kept = name.left(std::max<qsizetype>(0, 255 - 1 - 7 - suffixSize));
    return '.' + kept + kPartialMarker + pid + '-' + n + '-' + macOf(kept, pid, n, dir);
}

bool isDigits(QByteArrayView s)
{
    if (s.isEmpty())
        return false;
    for (char c : s)
        if (c < '0' || c > '9')
            return false;
    return true;
}

/// The pid of the writer of a temporary in the folder `dir`, or 0 when the name does not prove
/// that Lamina made it there.
pid_t ownerOf(QByteArrayView name, const struct stat &dir)
{
    const qsizetype at = name.lastIndexOf(QByteArrayView(kPartialMarker));
    if (at < 1 || name.at(0) != '.')
        return 0;
    const QByteArray kept = name.sliced(1, at - 1).toByteArray();
    QByteArrayView rest = name.sliced(at + qsizetype(sizeof(kPartialMarker) - 1));
    const QList<QByteArrayView> parts = [&] {
        QList<QByteArrayView> p;
        qsizetype from = 0;
        for (qsizetype i = 0; i <= rest.size(); ++i)
            if (i == rest.size() || rest.at(i) == '-') {
                p << rest.sliced(from, i - from);
                from = i + 1;
            }
        return p;
    }();
    // pid-n-mac, or pid-n-mac-XXXXXX for a folder made from a template.
    if (parts.size() < 3 || parts.size() > 4 || !isDigits(parts.at(0)) || !isDigits(parts.at(1))
        || parts.at(2).size() != kMacHex)
        return 0;
    if (parts.size() == 4) {
        if (parts.at(3).size() != 6)
            return 0;
        for (char c : parts.at(3))
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
                return 0;
    }
    const QByteArray expected = macOf(kept, parts.at(0), parts.at(1), dir);
    if (expected.isEmpty() || parts.at(2) != QByteArrayView(expected))
        return 0;
    bool ok = false;
    const long pid = parts.at(0).toByteArray().toLong(&ok);
    return ok && pid > 0 ? pid_t(pid) : 0;
}

bool stale(pid_t pid)
{
    return pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH;
}

bool kept(const struct stat &st, const QList<FileId> &keep)
{
    return keep.contains(FileId { st.st_dev, st.st_ino });
}

/// Removes `name` in `dirfd`: a file or a link, or a folder with what it holds on the same device.
/// Anything in `keep` stays (and so does every folder above it). True when it is gone.
bool removeAt(int dirfd, const char *name, dev_t device, const QList<FileId> &keep)
{
    struct stat st;
    if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || st.st_dev != device || kept(st, keep))
        return false;
    if (!S_ISDIR(st.st_mode))
        return (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) && ::unlinkat(dirfd, name, 0) == 0;
    const int fd = ::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    DIR *d = ::fdopendir(fd);
    if (!d) {
        ::close(fd);
        return false;
    }
    QList<QByteArray> names;
    while (struct dirent *e = ::readdir(d))
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
            names << QByteArray(e->d_name);
    bool all = true;
    for (const QByteArray &n : std::as_const(names))
        all = removeAt(::dirfd(d), n.constData(), device, keep) && all;
    ::closedir(d);
    return all && ::unlinkat(dirfd, name, AT_REMOVEDIR) == 0;
}

} // namespace

bool removeTreeAt(int dirfd, const char *name)
{
    struct stat dir;
    return ::fstat(dirfd, &dir) == 0 && removeAt(dirfd, name, dir.st_dev, {});
}

QString partialPathFor(const QString &target)
{
    const QFileInfo info(target);
    struct stat dir
    {
    };
    ::stat(QFile::encodeName(info.absolutePath()).constData(), &dir);
    return info.absolutePath() + u'/' + QFile::decodeName(partialName(QFile::encodeName(info.fileName()), dir));
}

QByteArray partialNameFor(int dirfd, const QByteArray &name)
{
    struct stat dir
    {
    };
    ::fstat(dirfd, &dir);
    return partialName(name, dir);
}

int removeStalePartialsAt(int dirfd, const QList<FileId> &keep)
{
    struct stat self;
    if (::fstat(dirfd, &self) != 0)
        return 0;
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
        // Cheap test first: most names are not temporaries at all.
        if (e->d_name[0] != '.' || !std::strstr(e->d_name, kPartialMarker))
            continue;
        const pid_t pid = ownerOf(QByteArrayView(e->d_name), self);
        if (pid && stale(pid))
            doomed.append(QByteArray(e->d_name));
    }
    ::closedir(d);
    int removed = 0;
    for (const QByteArray &name : std::as_const(doomed))
        removed += removeAt(dirfd, name.constData(), self.st_dev, keep) ? 1 : 0;
    return removed;
}

int removeStalePartials(const QString &dir, const QList<FileId> &keep)
{
    const int fd = ::open(QFile::encodeName(dir).constData(), O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    const int n = removeStalePartialsAt(fd, keep);
    ::close(fd);
    return n;
}

FileId fileIdOf(const QString &path)
{
    struct stat st;
    if (path.isEmpty() || ::stat(QFile::encodeName(path).constData(), &st) != 0)
        return {};
    return { st.st_dev, st.st_ino };
}

bool folderHolds(const FileId &folder, const QString &path)
{
    if (folder == FileId {})
        return false;
    const QFileInfo info(path);
    int fd
        = ::open(QFile::encodeName(info.absolutePath()).constData(), O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_CLOEXEC);
    // Upwards through "..", which the kernel resolves (bind mounts and links included) and which
    // ends at the root, whose ".." is itself.
    for (int depth = 0; fd >= 0 && depth < 4096; ++depth) {
        struct stat st;
        if (::fstat(fd, &st) != 0)
            break;
        if (FileId { st.st_dev, st.st_ino } == folder) {
            ::close(fd);
            return true;
        }
        const int up = ::openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct stat upSt;
        const bool top = up < 0 || (::fstat(up, &upSt) == 0 && upSt.st_dev == st.st_dev && upSt.st_ino == st.st_ino);
        ::close(fd);
        fd = up;
        if (top)
            break;
    }
    if (fd >= 0)
        ::close(fd);
    return false;
}

} // namespace lamina
