// SPDX-License-Identifier: MIT
#include "layers/extract.h"

#include <QDir>
#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lamina {

int resolveInTree(const MergedTree &tree, QByteArrayView path, bool followLast, QString *error)
{
    QList<QByteArray> todo = path.toByteArray().split('/');
    QList<int> stack{tree.root()};
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
                *error = QStringLiteral("%1: symbolic links loop").arg(QString::fromUtf8(path.toByteArray()));
                return -1;
            }
            const QByteArray target = tree.layerIndex(tree.node(node).layer).linkTarget(tree.node(node).entry);
            if (target.startsWith('/'))
                stack = {tree.root()};
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
        : m_ia(ia), m_image(image), m_tree(tree), m_overwrite(overwrite), m_result(result) {}

    // Writes `node` as `name` inside the open folder `dirfd`.
    bool write(int dirfd, int node, const QByteArray &name)
    {
        if (name.isEmpty() || name == "." || name == ".." || name.contains('/')) {
            m_result.error = QStringLiteral("refusing the name \"%1\"").arg(QString::fromUtf8(name));
            return false;
        }
        const LayerEntry &e = m_tree.entry(node);
        const QString shown = QString::fromUtf8(m_tree.path(node));
        switch (e.type) {
        case EntryType::Directory: {
            if (::mkdirat(dirfd, name.constData(), 0700) != 0 && errno != EEXIST) {
                m_result.error = QStringLiteral("%1: cannot create the folder: %2").arg(shown, QString::fromLocal8Bit(strerror(errno)));
                return false;
            }
            const int fd = ::openat(dirfd, name.constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) {
                m_result.error = QStringLiteral("%1: cannot enter the folder (a link or a file is in the way): %2")
                                     .arg(shown, QString::fromLocal8Bit(strerror(errno)));
                return false;
            }
            ++m_result.folders;
            bool ok = true;
            for (int c : m_tree.children(node)) {
                if (!(ok = write(fd, c, m_tree.name(c))))
                    break;
            }
            ::fchmod(fd, e.mode & 0777);
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
            const FileRead data = readLayerFile(m_ia, m_image, layersOf(), m_tree.node(node).layer, m_tree.node(node).entry, 1ll << 40);
            if (!data.ok()) {
                m_result.error = QStringLiteral("%1: %2").arg(shown, data.error);
                return false;
            }
            int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | (m_overwrite ? O_TRUNC : O_EXCL);
            const int fd = ::openat(dirfd, name.constData(), flags, 0600);
            if (fd < 0) {
                if (errno == EEXIST) {
                    m_result.skipped.append(QStringLiteral("%1: already exists; kept (overwrite not asked)").arg(shown));
                    return true;
                }
                m_result.error = QStringLiteral("%1: cannot create: %2").arg(shown, QString::fromLocal8Bit(strerror(errno)));
                return false;
            }
            qint64 done = 0;
            while (done < data.data.size()) {
                const ssize_t n = ::write(fd, data.data.constData() + done, size_t(data.data.size() - done));
                if (n <= 0) {
                    m_result.error = QStringLiteral("%1: write failed: %2").arg(shown, QString::fromLocal8Bit(strerror(errno)));
                    ::close(fd);
                    return false;
                }
                done += n;
            }
            // Set-id bits are dropped: extraction is for looking at files, not for running them as another user.
            ::fchmod(fd, e.mode & 0777);
            ::close(fd);
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
};

} // namespace

ExtractResult extractNode(const ImageArchive &ia, int image, const MergedTree &tree, int node, const QString &dest,
                          bool overwrite)
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
    Writer w(ia, image, tree, overwrite, result);
    if (node == tree.root()) {
        for (int c : tree.children(node))
            if (!w.write(destfd, c, tree.name(c)))
                break;
    } else {
        w.write(destfd, node, tree.name(node));
    }
    ::close(destfd);
    return result;
}

} // namespace lamina
