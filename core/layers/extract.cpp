// SPDX-License-Identifier: MIT
#include "layers/extract.h"

#include "layers/stagedfiles.h"
#include "util/checkedsize.h"
#include "write/safewrite.h"

#include <QDir>
#include <QFile>
#include <QScopeGuard>
#include <QSet>
#include <QThread>

#include <limits>
#include <numeric>

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

namespace {

QString lastError()
{
    return QString::fromLocal8Bit(strerror(errno));
}

/// Writes a subtree in three steps: the walk creates the folders and links and lists the files;
/// then the files are written layer by layer, each layer stream read once in order
/// (copyLayerFiles); then the folders whose mode would have kept the files out get it.
class Writer
{
public:
    Writer(const ImageArchive &ia, int image, const MergedTree &tree, bool overwrite, ExtractResult &result,
        const Progress &progress, qint64 total, StagedFiles *staged)
        : m_ia(ia)
        , m_image(image)
        , m_tree(tree)
        , m_overwrite(overwrite)
        , m_result(result)
        , m_progress(progress)
        , m_total(total)
        , m_keep { fileIdOf(ia.archive ? ia.archive->path() : ia.path) }
        , m_staged(staged)
    {
    }
    ~Writer()
    {
        if (m_out.fd >= 0) {
            // Stopped in the middle of a file: its temporary goes.
            ::close(m_out.fd);
            ::unlinkat(m_out.dirfd, m_out.part.constData(), 0);
            ::close(m_out.dirfd);
        }
        for (const int fd : std::as_const(m_open))
            ::close(fd);
    }

    // Writes `node` as `name` inside the open folder `dirfd`, which is the folder node `folder`
    // (-1: the destination). Deep down, `dirfd` is closed while the folder's contents are written
    // and reopened after (hence the reference), so that the descriptors held stay bounded however
    // deep the image's folders go.
    bool write(int &dirfd, int folder, int node, const QByteArray &name)
    {
        if (name.isEmpty() || name == "." || name == ".." || name.contains('/')) {
            m_result.error = QStringLiteral("refusing the name \"%1\"").arg(QString::fromUtf8(name));
            return false;
        }
        const LayerEntry &e = m_tree.entry(node);
        switch (e.type) {
        case EntryType::Directory: {
            const QString shown = QString::fromUtf8(m_tree.path(node));
            const bool created = ::mkdirat(dirfd, name.constData(), 0700) == 0;
            if (!created && errno != EEXIST) {
                m_result.error = QStringLiteral("%1: cannot create the folder: %2").arg(shown, lastError());
                return false;
            }
            int fd = ::openat(dirfd, name.constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) {
                m_result.error = QStringLiteral("%1: cannot enter the folder (a link or a file is in the way): %2")
                                     .arg(shown, lastError());
                return false;
            }
            m_folderOf.insert(node, folder);
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
                if (!(ok = write(fd, node, c, m_tree.name(c))))
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
            mode_t mode = 0;
            bool change = false;
            if (created) {
                mode = e.mode & 01777;
                change = true;
            } else if (m_overwrite && ::fstat(fd, &was) == 0) {
                mode = (e.mode & 01777 & ~mode_t(022)) | (was.st_mode & e.mode & 022);
                change = true;
            }
            // The files are written after the walk: a mode that would keep them out (0555, say,
            // for anyone but root) waits until they are in.
            if (change && (mode & 0700) == 0700)
                ::fchmod(fd, mode);
            else if (change)
                m_lateModes.append({ node, mode });
            ::close(fd);
            return ok;
        }
        case EntryType::Symlink: {
            const QByteArray target = m_tree.layerIndex(m_tree.node(node).layer).linkTarget(m_tree.node(node).entry);
            if (m_overwrite)
                ::unlinkat(dirfd, name.constData(), 0);
            if (::symlinkat(target.constData(), dirfd, name.constData()) != 0) {
                m_result.skipped.append(
                    QStringLiteral("%1: %2").arg(QString::fromUtf8(m_tree.path(node)), lastError()));
                return true;
            }
            ++m_result.links;
            return true;
        }
        case EntryType::File:
        case EntryType::Hardlink:
            m_files.append({ node, folder, name });
            return true;
        case EntryType::CharDevice:
        case EntryType::BlockDevice:
        case EntryType::Fifo:
            m_result.skipped.append(QStringLiteral("%1: a %2, not created")
                                        .arg(QString::fromUtf8(m_tree.path(node)), entryTypeName(e.type)));
            return true;
        case EntryType::Whiteout:
            return true;
        }
        return true;
    }

    /// Writes the files the walk listed. Hard links are resolved grouped by layer (one tree
    /// below each layer that links downwards), then every distinct file's bytes are read once,
    /// in stream order; the other names of the same bytes are copied from the first one written.
    bool writeFiles(int destfd)
    {
        m_destfd = destfd;
        QList<qsizetype> order(m_files.size());
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](qsizetype a, qsizetype b) {
            return m_tree.node(m_files.at(a).node).layer < m_tree.node(m_files.at(b).node).layer;
        });
        FileResolver resolver(m_tree.layers());
        QHash<std::pair<int, int>, int> sourceIndex;
        for (const qsizetype f : std::as_const(order)) {
            const Pending &p = m_files.at(f);
            auto [layer, entry] = m_tree.contentOf(p.node);
            QString unresolved;
            if (!resolver.resolve(&layer, &entry, &unresolved)) {
                // A hard link to nothing in the image: nothing to write, the rest still is.
                m_result.skipped.append(unresolved);
                continue;
            }
            const std::pair<int, int> key { layer, entry };
            auto it = sourceIndex.constFind(key);
            if (it == sourceIndex.cend()) {
                it = sourceIndex.insert(key, int(m_sources.size()));
                m_sources.append(key);
                m_names.append(QList<qsizetype>());
            }
            m_names[*it].append(f);
        }
        // Each source's names in the order the walk met them.
        for (QList<qsizetype> &names : m_names)
            std::sort(names.begin(), names.end());

        // Files kept while the archive was opened are moved into place; only the others are read
        // from the archive. The kept copies that do not count go first, freeing their space.
        QList<std::pair<int, int>> streamed;
        QList<int> streamedSource; ///< per entry of `streamed`, its index in m_sources
        QList<quint64> keys(m_sources.size(), ~quint64(0));
        if (m_staged) {
            const Image &img = m_ia.images.at(m_image);
            for (int s = 0; s < m_sources.size(); ++s) {
                const auto [layer, entry] = m_sources.at(s);
                if (layer < img.layers.size() && img.layers.at(layer).member >= 0)
                    keys[s]
                        = StagedFiles::keyOf(img.layers.at(layer).member, m_tree.layerIndex(layer).entry(entry).header);
            }
            m_staged->keepOnly(QSet<quint64>(keys.cbegin(), keys.cend()));
        }
        for (int s = 0; s < m_sources.size(); ++s) {
            if (m_staged && keys.at(s) != ~quint64(0)) {
                const int member = int(keys.at(s) >> 32), header = int(quint32(keys.at(s)));
                if (const std::optional<StagedFiles::Kept> kept = m_staged->find(member, header)) {
                    if (!writeKept(s, *kept, member, header))
                        return false;
                    continue;
                }
            }
            streamedSource.append(s);
            streamed.append(m_sources.at(s));
        }
        if (streamed.isEmpty())
            return m_result.error.isEmpty();

        FileCopy copy;
        copy.begin = [&](int i) { return begin(streamedSource.at(i)); };
        copy.sink = [&](const char *data, qint64 size) {
            if (m_progress.cancelled()) {
                m_out.writeError = QStringLiteral("cancelled");
                return false;
            }
            if (!writeAll(m_out.fd, data, size))
                return false;
            m_done += size;
            m_progress.update(m_done, m_total);
            return true;
        };
        copy.hole = [&](qint64 length) {
            // A sparse file's hole stays a hole: skipped, never written as zeros.
            if (::lseek(m_out.fd, off_t(length), SEEK_CUR) < 0) {
                m_out.writeError = QStringLiteral("cannot skip a hole: %1").arg(lastError());
                return false;
            }
            m_out.holes = true;
            return true;
        };
        copy.end = [&](int i, const QString &error) { return end(streamedSource.at(i), error); };
        copyLayerFiles(m_ia, m_image, m_tree.layers(), streamed, copy);
        return m_result.error.isEmpty();
    }

    /// Gives the folders the modes that had to wait for their files, deepest first (the walk
    /// listed each after what it holds).
    void applyLateModes()
    {
        for (const auto &[node, mode] : std::as_const(m_lateModes)) {
            const int fd = openFolder(node);
            if (fd < 0)
                continue;
            ::fchmod(fd, mode);
            forget(node);
        }
    }

private:
    struct Pending
    {
        int node = -1;
        int folder = -1; ///< the folder node it goes into; -1: the destination itself
        QByteArray name;
    };
    /// The file being written from a layer stream.
    struct Output
    {
        qsizetype file = -1; ///< in m_files
        int dirfd = -1;
        int fd = -1;
        QByteArray part;
        bool holes = false;
        QString writeError;
    };

    bool writeAll(int fd, const char *data, qint64 size)
    {
        for (qint64 done = 0; done < size;) {
            const ssize_t n = ::write(fd, data + done, size_t(size - done));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                m_out.writeError = QStringLiteral("write failed: %1").arg(lastError());
                return false;
            }
            done += n;
        }
        return true;
    }

    QString shown(qsizetype file) const { return QString::fromUtf8(m_tree.path(m_files.at(file).node)); }

    /// Opens a temporary beside file `file` (written under it and renamed when complete: killed
    /// at any point, the target holds the old file or the whole new one, docs/limits.md).
    /// Returns false when the file is to be skipped or writing must stop (m_result.error).
    bool open(qsizetype file, Output *out)
    {
        const Pending &p = m_files.at(file);
        *out = {};
        out->file = file;
        const int folder = openFolder(p.folder);
        if (folder < 0)
            return false;
        struct stat st;
        if (!m_overwrite && ::fstatat(folder, p.name.constData(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
            m_result.skipped.append(QStringLiteral("%1: already exists; kept (overwrite not asked)").arg(shown(file)));
            return false;
        }
        // A descriptor of its own: the folder cache may close its copy while other names of the
        // same bytes are written elsewhere.
        out->dirfd = ::fcntl(folder, F_DUPFD_CLOEXEC, 0);
        if (out->dirfd >= 0) {
            out->part = partialNameFor(out->dirfd, p.name);
            out->fd
                = ::openat(out->dirfd, out->part.constData(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        }
        if (out->fd < 0) {
            m_result.error = QStringLiteral("%1: cannot create: %2").arg(shown(file), lastError());
            if (out->dirfd >= 0)
                ::close(out->dirfd);
            out->dirfd = -1;
            return false;
        }
        return true;
    }

    /// Completes the temporary and renames it into place; false when writing must stop.
    bool finish(Output &out, const QString &readError)
    {
        const Pending &p = m_files.at(out.file);
        const auto closeFolder = qScopeGuard([&] {
            ::close(out.dirfd);
            out.dirfd = -1;
        });
        // A hole at the end is only an offset until the file is given its size.
        if (out.holes && readError.isEmpty() && out.writeError.isEmpty()) {
            const off_t end = ::lseek(out.fd, 0, SEEK_CUR);
            if (end < 0 || ::ftruncate(out.fd, end) != 0)
                out.writeError = QStringLiteral("cannot set the size after a hole: %1").arg(lastError());
        }
        // Set-id bits are dropped: extraction is for looking at files, not for running them as another user.
        ::fchmod(out.fd, m_tree.entry(p.node).mode & 0777);
        const bool synced = ::fsync(out.fd) == 0;
        const QString failed = !out.writeError.isEmpty() ? out.writeError
            : !readError.isEmpty()                       ? readError
            : !synced                                    ? QStringLiteral("cannot sync: %1").arg(lastError())
                                                         : QString();
        ::close(out.fd);
        out.fd = -1;
        if (!failed.isEmpty()) {
            ::unlinkat(out.dirfd, out.part.constData(), 0);
            if (m_result.error.isEmpty())
                m_result.error = QStringLiteral("%1: %2").arg(shown(out.file), failed);
            return false;
        }
        const int renamed = m_overwrite
            ? ::renameat(out.dirfd, out.part.constData(), out.dirfd, p.name.constData())
            : ::renameat2(out.dirfd, out.part.constData(), out.dirfd, p.name.constData(), RENAME_NOREPLACE);
        if (renamed != 0) {
            const int why = errno;
            ::unlinkat(out.dirfd, out.part.constData(), 0);
            if (why == EEXIST) {
                m_result.skipped.append(
                    QStringLiteral("%1: already exists; kept (overwrite not asked)").arg(shown(out.file)));
                return true;
            }
            m_result.error = QStringLiteral("%1: cannot rename into place: %2")
                                 .arg(shown(out.file), QString::fromLocal8Bit(strerror(why)));
            return false;
        }
        ++m_result.files;
        return true;
    }

    /// Writes source `source` from its copy kept while the archive was opened: the temporary
    /// becomes that copy (renamed; copied where a mount below the destination is in between).
    bool writeKept(int source, const StagedFiles::Kept &kept, int member, int header)
    {
        const FileStart start = begin(source);
        if (start != FileStart::Copy)
            return start == FileStart::Skip;
        int fd = ::openat(kept.dirfd, kept.name.constData(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (m_progress.cancelled()) {
            m_out.writeError = QStringLiteral("cancelled");
        } else if (fd < 0 || ::lseek(fd, 0, SEEK_END) < 0) {
            m_out.writeError = QStringLiteral("cannot open the copy kept while opening: %1").arg(lastError());
        } else if (::renameat(kept.dirfd, kept.name.constData(), m_out.dirfd, m_out.part.constData()) == 0) {
            // At its end already: finish() sets the size from the offset, a hole at the end included.
            ::close(m_out.fd);
            m_out.fd = std::exchange(fd, -1);
            m_out.holes = true;
        } else {
            m_out.writeError = copyFile(fd, m_out.fd, &m_out.holes);
        }
        if (fd >= 0)
            ::close(fd);
        m_staged->taken(member, header);
        m_done += kept.size;
        m_progress.update(m_done, m_total);
        return end(source, {});
    }

    FileStart begin(int source)
    {
        // The first of the names that can be written takes the bytes from the stream.
        for (const qsizetype f : m_names.at(source)) {
            if (open(f, &m_out))
                return FileStart::Copy;
            if (!m_result.error.isEmpty())
                return FileStart::Stop;
            m_copied.insert(f);
        }
        return FileStart::Skip;
    }

    bool end(int source, const QString &readError)
    {
        if (m_out.fd < 0) {
            // Never begun: the layer could not be read up to it.
            if (m_result.error.isEmpty() && !readError.isEmpty())
                m_result.error = QStringLiteral("%1: %2").arg(shown(m_names.at(source).constFirst()), readError);
            return false;
        }
        Output first = m_out;
        m_out = {};
        bool ok = readError.isEmpty() && first.writeError.isEmpty();
        // The other names of the same bytes: hard links to the first, as the layer made them
        // (busybox's 400 applets are one file, not 400 copies of it); where their modes differ
        // (one inode has one mode) or the file system links nothing, copies with the holes kept.
        bool sized = false;
        for (const qsizetype f : m_names.at(source)) {
            if (!ok)
                break;
            if (f == first.file || m_copied.contains(f))
                continue;
            Output other;
            if (!open(f, &other)) {
                ok = m_result.error.isEmpty();
                continue;
            }
            if (!(modeOf(f) == modeOf(first.file) && sizeOnce(first, &sized) && linkTo(first, other)))
                other.writeError = copyFile(first.fd, other.fd, &other.holes);
            ok = finish(other, {});
        }
        const bool written = finish(first, readError);
        return ok && written;
    }

    mode_t modeOf(qsizetype file) const { return m_tree.entry(m_files.at(file).node).mode & 0777; }

    /// Gives the first copy its size before other names are linked to it and renamed into place:
    /// a hole at its end is only an offset until then (finish() sets it again, to the same).
    bool sizeOnce(const Output &first, bool *sized)
    {
        if (*sized || !first.holes)
            return *sized = true;
        const off_t end = ::lseek(first.fd, 0, SEEK_CUR);
        return *sized = end >= 0 && ::ftruncate(first.fd, end) == 0;
    }

    /// Makes `other`'s temporary a second name of the file open as `first` (that very file,
    /// through /proc/self/fd, not whatever its name holds now); false, the temporary untouched,
    /// when it cannot be.
    bool linkTo(const Output &first, Output &other)
    {
        const QByteArray self = "/proc/self/fd/" + QByteArray::number(first.fd);
        const QByteArray linked = partialNameFor(other.dirfd, m_files.at(other.file).name);
        if (::linkat(AT_FDCWD, self.constData(), other.dirfd, linked.constData(), AT_SYMLINK_FOLLOW) != 0)
            return false;
        const int fd = ::fcntl(first.fd, F_DUPFD_CLOEXEC, 0);
        // Over the empty temporary, so that a kill leaves one temporary, never a second one.
        if (fd < 0 || ::renameat(other.dirfd, linked.constData(), other.dirfd, other.part.constData()) != 0) {
            ::unlinkat(other.dirfd, linked.constData(), 0);
            if (fd >= 0)
                ::close(fd);
            return false;
        }
        ::close(other.fd);
        other.fd = fd; // finish() syncs and sets the mode, the same as the first's; it seeks nothing
        return true;
    }

    /// Copies the written file `from` into `to`: its data segments, leaving its holes as holes.
    static QString copyFile(int from, int to, bool *holes)
    {
        // Its end is where writing it stopped: a hole at the end is not part of its size yet.
        const off_t size = ::lseek(from, 0, SEEK_CUR);
        if (size < 0)
            return QStringLiteral("cannot read the first copy: %1").arg(lastError());
        // Finding data and holes moves the first copy's offset, which finish() takes for its size.
        const auto restore = qScopeGuard([&] { ::lseek(from, size, SEEK_SET); });
        QByteArray buffer(1 << 20, Qt::Uninitialized);
        off_t at = 0;
        while (at < size) {
            off_t data = ::lseek(from, at, SEEK_DATA);
            off_t hole = size;
            if (data < 0 && errno == ENXIO)
                break; // only a hole is left
            if (data < 0) {
                data = at; // no hole finding on this file system: everything is data
            } else if (hole = ::lseek(from, data, SEEK_HOLE); hole < 0 || hole > size) {
                hole = size;
            }
            for (off_t pos = data; pos < hole;) {
                const ssize_t n = ::pread(from, buffer.data(), size_t(std::min<off_t>(buffer.size(), hole - pos)), pos);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0)
                    return QStringLiteral("cannot read the first copy: %1").arg(lastError());
                for (ssize_t done = 0; done < n;) {
                    const ssize_t w = ::pwrite(to, buffer.constData() + done, size_t(n - done), pos + done);
                    if (w < 0 && errno == EINTR)
                        continue;
                    if (w <= 0)
                        return QStringLiteral("write failed: %1").arg(lastError());
                    done += w;
                }
                pos += n;
            }
            at = hole;
        }
        if (::lseek(to, size, SEEK_SET) < 0)
            return QStringLiteral("cannot set the size: %1").arg(lastError());
        *holes = true; // the size is set by finish() from the offset
        return {};
    }

    /// The folder node `folder` of the destination, opened component by component from the
    /// destination without following links; the few last ones stay open (files come mostly
    /// folder by folder). -1 with m_result.error when it cannot be.
    int openFolder(int folder)
    {
        if (folder < 0)
            return m_destfd;
        if (const auto it = m_open.constFind(folder); it != m_open.cend())
            return *it;
        QList<int> chain;
        int from = m_destfd;
        for (int at = folder; at >= 0; at = m_folderOf.value(at, -1)) {
            if (const auto it = m_open.constFind(at); it != m_open.cend()) {
                from = *it;
                break;
            }
            chain.prepend(at);
        }
        int fd = from;
        for (const int at : std::as_const(chain)) {
            const int next = ::openat(fd, m_tree.name(at).constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd != from)
                ::close(fd);
            if (next < 0) {
                if (m_result.error.isEmpty())
                    m_result.error = QStringLiteral("%1: cannot enter the folder again (a link or a file is in the "
                                                    "way): %2")
                                         .arg(QString::fromUtf8(m_tree.path(at)), lastError());
                return -1;
            }
            fd = next;
        }
        if (m_open.size() >= kCachedFolders) {
            const int oldest = m_openOrder.takeFirst();
            ::close(m_open.take(oldest));
        }
        m_open.insert(folder, fd);
        m_openOrder.append(folder);
        return fd;
    }
    void forget(int folder)
    {
        if (const auto it = m_open.constFind(folder); it != m_open.cend()) {
            ::close(*it);
            m_open.erase(it);
            m_openOrder.removeOne(folder);
        }
    }

    const ImageArchive &m_ia;
    int m_image;
    const MergedTree &m_tree;
    bool m_overwrite;
    ExtractResult &m_result;
    const Progress &m_progress;
    const qint64 m_total;
    qint64 m_done = 0;
    // Folders held open on the way down before each level starts closing its parent: enough for
    // any ordinary image, far below the usual limit of 1024 descriptors.
    static constexpr int kHeldFolders = 64;
    int m_depth = 0;
    // The input, wherever it is below the destination, is never taken for a temporary.
    const QList<FileId> m_keep;
    StagedFiles *m_staged;

    QHash<int, int> m_folderOf; ///< folder node → the folder node it was written into (-1: the destination)
    QList<Pending> m_files; ///< in the walk's order
    QList<std::pair<int, mode_t>> m_lateModes;
    QList<std::pair<int, int>> m_sources; ///< distinct (layer, entry) holding file bytes
    QList<QList<qsizetype>> m_names; ///< per source, the files (in m_files) showing its bytes
    QSet<qsizetype> m_copied; ///< skipped while looking for a name to write first
    Output m_out;
    int m_destfd = -1;
    static constexpr int kCachedFolders = 16;
    QHash<int, int> m_open; ///< folder node → open descriptor
    QList<int> m_openOrder;
};

} // namespace

ExtractResult extractNode(const ImageArchive &ia, int image, const MergedTree &tree, int node, const QString &dest,
    bool overwrite, const Progress &progress, StagedFiles *staged)
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
    // A claimed size alone must not fill the disk: refuse up front what cannot fit. Files kept
    // while opening are there already (those that count are moved into place, the rest removed).
    struct statvfs vfs;
    const qint64 needed = tree.treeBytes(node);
    const qint64 room = ::fstatvfs(destfd, &vfs) == 0
        ? addSizes(qint64(vfs.f_bavail) * qint64(vfs.f_frsize), staged ? staged->bytes() : 0)
        : std::numeric_limits<qint64>::max();
    if (needed > room) {
        result.error = QStringLiteral("%1: the files to extract take %2 bytes, more than the %3 bytes free there")
                           .arg(dest)
                           .arg(needed)
                           .arg(room);
        ::close(destfd);
        return result;
    }
    Writer w(ia, image, tree, overwrite, result, progress, needed, staged);
    removeStalePartialsAt(destfd, { fileIdOf(ia.archive ? ia.archive->path() : ia.path) });
    int fd = destfd; // the top levels are above kHeldFolders: never released
    auto walk = [&] {
        bool ok = true;
        if (node == tree.root()) {
            for (int c : tree.children(node))
                if (!(ok = w.write(fd, -1, c, tree.name(c))))
                    break;
        } else {
            ok = w.write(fd, -1, node, tree.name(node));
        }
        if (ok && fd >= 0)
            w.writeFiles(fd);
        w.applyLateModes();
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
