// SPDX-License-Identifier: MIT
#include "layers/extract.h"

#include "util/safewrite.h"

#include <QDir>
#include <QFile>
#include <QThread>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace lamina {

/// Stack for the extraction walk: 2,048 levels at up to 32 KiB a frame (ASan's frames are large).
constexpr uint kWalkStackBytes = 64u << 20;

int resolveInTree(const MergedTree &tree, QByteArrayView path, bool followLast, QString *error)
{
    QList<QByteArray> todo = path.toByteArray().split('/');
    QList<int> stack { tree.root() };
    int hops = 0;
    while (!todo.isEmpty()) {
        const QByteArray part = todo.takeFirst();
        if (part.isEmpty() || part == ".")
            continue;
        if (part == "..") {
            if (stack.size() > 1)
                stack.removeLast();
            continue;
        }
        const int node = tree.childNamed(stack.constLast(), part);
        if (node < 0) {
            *error = QStringLiteral("%1: not in the image").arg(QString::fromUtf8(path.toByteArray()));
            return -1;
        }
        const LayerEntry &e = tree.entry(node);
        if (e.type == EntryType::Symlink && (followLast || !todo.isEmpty())) {
            if (++hops > kMaxLinkHops) {
                *error = QStringLiteral("%1: symbolic links loop (more than %2 hops, the link hop limit)")
                             .arg(QString::fromUtf8(path.toByteArray()))
                             .arg(kMaxLinkHops);
                return -1;
            }
            const QByteArray target = tree.layerIndex(tree.node(node).layer).linkTarget(tree.node(node).entry);
            if (target.startsWith('/'))
                stack = { tree.root() };
            todo = target.split('/') + todo;
            continue;
        }
        stack.append(node);
    }
    return stack.constLast();
}

namespace {

class Writer
{
public:
    Writer(const ImageArchive &ia, int image, const MergedTree &tree, bool overwrite, ExtractResult &result)
        : m_ia(ia)
        , m_image(image)
        , m_tree(tree)
        , m_overwrite(overwrite)
        , m_result(result)
        , m_keep { fileIdOf(ia.path) }
    {
    }

    // Writes `node` as `name` inside the open folder `dirfd`. Deep down, `dirfd` is closed while
    // the folder's contents are written and reopened after (hence the reference), so that the
    // descriptors held stay bounded however deep the image's folders go.
    bool write(int &dirfd, int node, const QByteArray &name)
    {
        if (name.isEmpty() || name == "." || name == ".." || name.contains('/')) {
            m_result.error = QStringLiteral("refusing the name \"%1\"").arg(QString::fromUtf8(name));
            return false;
        }
        const LayerEntry &e = m_tree.entry(node);
        const QString shown = QString::fromUtf8(m_tree.path(node));
        switch (e.type) {
        case EntryType::Directory: {
            const bool created = ::mkdirat(dirfd, name.constData(), 0700) == 0;
            if (!created && errno != EEXIST) {
                m_result.error = QStringLiteral("%1: cannot create the folder: %2")
                                     .arg(shown, QString::fromLocal8Bit(strerror(errno)));
                return false;
            }
            int fd = ::openat(dirfd, name.constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) {
                m_result.error = QStringLiteral("%1: cannot enter the folder (a link or a file is in the way): %2")
                                     .arg(shown, QString::fromLocal8Bit(strerror(errno)));
                return false;
            }
            ++m_result.folders;
            removeStalePartialsAt(fd, m_keep);
            struct stat parent;
            const bool release = m_depth >= kHeldFolders && ::fstat(dirfd, &parent) == 0;
            if (release) {
                ::close(dirfd);
                dirfd = -1;
            }
            ++m_depth;
            bool ok = true;
            for (int c : m_tree.children(node)) {
                if (!(ok = write(fd, c, m_tree.name(c))))
                    break;
            }
            --m_depth;
            if (release) {
                // The parent again, through "..", and only if it is still the folder it was.
                struct stat again;
                dirfd = fd < 0 ? -1 : ::openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dirfd < 0 || ::fstat(dirfd, &again) != 0 || again.st_dev != parent.st_dev
                    || again.st_ino != parent.st_ino) {
                    if (dirfd >= 0)
                        ::close(dirfd);
                    dirfd = -1;
                    if (ok)
                        m_result.error = QStringLiteral("%1: the folder was moved while it was extracted").arg(shown);
                    ok = false;
                }
            }
            if (fd < 0)
                return false;
            // A folder that was there keeps its attributes (it may be the user's ~/.ssh); with
            // overwrite it takes the image's mode, but never gains write for group or others.
            struct stat was;
            if (created)
                ::fchmod(fd, e.mode & 01777);
            else if (m_overwrite && ::fstat(fd, &was) == 0)
                ::fchmod(fd, (e.mode & 01777 & ~mode_t(022)) | (was.st_mode & e.mode & 022));
            ::close(fd);
            return ok;
        }
        case EntryType::Symlink: {
            const QByteArray target = m_tree.layerIndex(m_tree.node(node).layer).linkTarget(m_tree.node(node).entry);
            if (m_overwrite)
                ::unlinkat(dirfd, name.constData(), 0);
            if (::symlinkat(target.constData(), dirfd, name.constData()) != 0) {
                m_result.skipped.append(QStringLiteral("%1: %2").arg(shown, QString::fromLocal8Bit(strerror(errno))));
                return true;
            }
            ++m_result.links;
            return true;
        }
        case EntryType::File:
        case EntryType::Hardlink: {
            struct stat st;
            if (!m_overwrite && ::fstatat(dirfd, name.constData(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
                m_result.skipped.append(QStringLiteral("%1: already exists; kept (overwrite not asked)").arg(shown));
                return true;
            }
            QString unresolved;
            if (layerFileSize(layersOf(), m_tree.node(node).layer, m_tree.node(node).entry, &unresolved) < 0) {
                // A hard link to nothing in the image: nothing to write, the rest still is.
                m_result.skipped.append(unresolved);
                return true;
            }
            // Written under a temporary name beside the target and renamed when complete: killed
            // at any point, the target holds the old file or the whole new one (docs/limits.md).
            const QByteArray part = partialNameFor(dirfd, name);
            const int fd
                = ::openat(dirfd, part.constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (fd < 0) {
                m_result.error
                    = QStringLiteral("%1: cannot create: %2").arg(shown, QString::fromLocal8Bit(strerror(errno)));
                return false;
            }
            QString writeError;
            bool holes = false;
            QString readError = copyLayerFile(
                m_ia, m_image, layersOf(), m_tree.node(node).layer, m_tree.node(node).entry,
                [&](const char *data, qint64 size) {
                    for (qint64 done = 0; done < size;) {
                        const ssize_t n = ::write(fd, data + done, size_t(size - done));
                        if (n < 0 && errno == EINTR)
                            continue;
                        if (n <= 0) {
                            writeError
                                = QStringLiteral("write failed: %1").arg(QString::fromLocal8Bit(strerror(errno)));
                            return false;
                        }
                        done += n;
                    }
                    return true;
                },
                [&](qint64 length) {
                    // A sparse file's hole stays a hole: skipped, never written as zeros.
                    if (::lseek(fd, off_t(length), SEEK_CUR) < 0) {
                        writeError
                            = QStringLiteral("cannot skip a hole: %1").arg(QString::fromLocal8Bit(strerror(errno)));
                        return false;
                    }
                    holes = true;
                    return true;
                });
            // A hole at the end is only an offset until the file is given its size.
            if (holes && readError.isEmpty() && writeError.isEmpty()) {
                const off_t end = ::lseek(fd, 0, SEEK_CUR);
                if (end < 0 || ::ftruncate(fd, end) != 0)
                    writeError = QStringLiteral("cannot set the size after a hole: %1")
                                     .arg(QString::fromLocal8Bit(strerror(errno)));
            }
            // Set-id bits are dropped: extraction is for looking at files, not for running them as another user.
            ::fchmod(fd, e.mode & 0777);
            const bool synced = ::fsync(fd) == 0;
            ::close(fd);
            const QString failed = !writeError.isEmpty() ? writeError
                : !readError.isEmpty()                   ? readError
                : !synced ? QStringLiteral("cannot sync: %1").arg(QString::fromLocal8Bit(strerror(errno)))
                          : QString();
            if (!failed.isEmpty()) {
                ::unlinkat(dirfd, part.constData(), 0);
                m_result.error = QStringLiteral("%1: %2").arg(shown, failed);
                return false;
            }
            const int renamed = m_overwrite
                ? ::renameat(dirfd, part.constData(), dirfd, name.constData())
                : ::renameat2(dirfd, part.constData(), dirfd, name.constData(), RENAME_NOREPLACE);
            if (renamed != 0) {
                const int why = errno;
                ::unlinkat(dirfd, part.constData(), 0);
                if (why == EEXIST) {
                    m_result.skipped.append(
                        QStringLiteral("%1: already exists; kept (overwrite not asked)").arg(shown));
                    return true;
                }
                m_result.error = QStringLiteral("%1: cannot rename into place: %2")
                                     .arg(shown, QString::fromLocal8Bit(strerror(why)));
                return false;
            }
            ++m_result.files;
            return true;
        }
        case EntryType::CharDevice:
        case EntryType::BlockDevice:
        case EntryType::Fifo:
            m_result.skipped.append(QStringLiteral("%1: a %2, not created").arg(shown, entryTypeName(e.type)));
            return true;
        case EntryType::Whiteout:
            return true;
        }
        return true;
    }

    const MergedTree::Layers &layersOf() const { return m_tree.layers(); }

private:
    const ImageArchive &m_ia;
    int m_image;
    const MergedTree &m_tree;
    bool m_overwrite;
    ExtractResult &m_result;
    // Folders held open on the way down before each level starts closing its parent: enough for
    // any ordinary image, far below the usual limit of 1024 descriptors.
    static constexpr int kHeldFolders = 64;
    int m_depth = 0;
    // The input, wherever it is below the destination, is never taken for a temporary.
    const QList<FileId> m_keep;
};

} // namespace

ExtractResult extractNode(
    const ImageArchive &ia, int image, const MergedTree &tree, int node, const QString &dest, bool overwrite)
{
    ExtractResult result;
    if (!QDir().mkpath(dest)) {
        result.error = QStringLiteral("%1: cannot create the destination folder").arg(dest);
        return result;
    }
    const int destfd = ::open(QFile::encodeName(dest).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (destfd < 0) {
        result.error = QStringLiteral("%1: cannot open: %2").arg(dest, QString::fromLocal8Bit(strerror(errno)));
        return result;
    }
    // A claimed size alone must not fill the disk: refuse up front what cannot fit.
    struct statvfs vfs;
    const qint64 needed = tree.treeBytes(node);
    if (::fstatvfs(destfd, &vfs) == 0 && needed > qint64(vfs.f_bavail) * qint64(vfs.f_frsize)) {
        result.error = QStringLiteral("%1: the files to extract take %2 bytes, more than the %3 bytes free there")
                           .arg(dest)
                           .arg(needed)
                           .arg(qint64(vfs.f_bavail) * qint64(vfs.f_frsize));
        ::close(destfd);
        return result;
    }
    Writer w(ia, image, tree, overwrite, result);
    removeStalePartialsAt(destfd, { fileIdOf(ia.path) });
    int fd = destfd; // the top levels are above kHeldFolders: never released
    auto walk = [&] {
        if (node == tree.root()) {
            for (int c : tree.children(node))
                if (!w.write(fd, c, tree.name(c)))
                    break;
        } else {
            w.write(fd, node, tree.name(node));
        }
    };
    // The walk recurses once per folder level, and a path of 4,096 bytes can be 2,048 levels deep:
    // more than a default thread stack holds (a pool thread's, or any thread's under ASan). It runs
    // on a thread of its own whose stack is sized for that depth; only the pages used are touched.
    QThread *walker = QThread::create(walk);
    walker->setStackSize(kWalkStackBytes);
    walker->start();
    walker->wait();
    delete walker;
    if (fd >= 0)
        ::close(fd);
    return result;
}

} // namespace lamina
