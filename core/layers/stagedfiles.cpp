// SPDX-License-Identifier: MIT
#include "layers/stagedfiles.h"

#include "layers/indexbuilder_p.h"
#include "util/checkedsize.h"
#include "write/safewrite.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QScopeGuard>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace lamina {

namespace {

/// Left free beside the kept files: the output the command writes next needs room too.
constexpr qint64 kReserveBytes = 256ll << 20;

QByteArray fileName(int member, int header)
{
    return QByteArray::number(member) + '-' + QByteArray::number(header);
}

} // namespace

/// The capture of one member's layer.
class StagedCapture : public FileCapture
{
public:
    StagedCapture(StagedFiles &staged, int member)
        : m_staged(staged)
        , m_member(member)
    {
    }
    ~StagedCapture() override
    {
        if (m_fd >= 0)
            m_staged.close(m_member, m_header, m_fd, m_size, false);
    }
    int begin(int header, QByteArrayView path, qint64 size) override
    {
        if (m_fd >= 0)
            m_staged.close(m_member, m_header, m_fd, m_size, false);
        m_header = header;
        m_size = size;
        m_fd = m_staged.open(m_member, header, path, size);
        return m_fd;
    }
    void end(int header, bool complete) override
    {
        if (m_fd >= 0 && header == m_header)
            m_staged.close(m_member, m_header, m_fd, m_size, complete);
        m_fd = -1;
    }

private:
    StagedFiles &m_staged;
    const int m_member;
    int m_header = -1;
    qint64 m_size = 0;
    int m_fd = -1;
};

StagedFiles::StagedFiles(const QList<QByteArray> &paths, const QString &parent, bool below, qint64 budget)
    : m_parent(parent)
    , m_below(below)
    , m_budget(budget)
{
    for (const QByteArray &p : paths) {
        // A path that climbs out of the root keeps nothing: resolveInTree stops ".." at the root,
        // and what it reaches is read from the archive.
        const QByteArray clean = IndexBuilder::normalise(p);
        if (!clean.isNull())
            m_paths.append(clean);
    }
}

StagedFiles::~StagedFiles()
{
    removeFolder();
}

void StagedFiles::removeFolder()
{
    if (m_dirfd < 0)
        return;
    ::close(m_dirfd);
    m_dirfd = -1;
    m_kept.clear();
    m_bytes = 0;
    removeTreeAt(m_parentfd, m_folder.constData());
    ::close(m_parentfd);
    m_parentfd = -1;
}

std::unique_ptr<FileCapture> StagedFiles::captureOf(int member)
{
    if (m_paths.isEmpty() || m_failed)
        return nullptr;
    return std::make_unique<StagedCapture>(*this, member);
}

bool StagedFiles::wants(QByteArrayView path) const
{
    for (const QByteArray &p : m_paths) {
        if (path == p)
            return true;
        if (m_below && (p.isEmpty() || (path.startsWith(p) && path.size() > p.size() && path.at(p.size()) == '/')))
            return true;
    }
    return false;
}

bool StagedFiles::makeFolder()
{
    if (m_dirfd >= 0)
        return true;
    if (m_failed)
        return false;
    m_failed = true;
    // The folders made for the parent, so that a command that fails can leave none behind.
    for (QString at = QDir::cleanPath(QDir(m_parent).absolutePath()); !QFileInfo::exists(at);) {
        m_created.append(at);
        const QString up = QFileInfo(at).path();
        if (up == at)
            break;
        at = up;
    }
    if (!QDir().mkpath(m_parent))
        return false;
    const int parent = ::open(QFile::encodeName(m_parent).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (parent < 0)
        return false;
    const auto closeParent = qScopeGuard([&] {
        if (m_dirfd < 0)
            ::close(parent);
    });
    // What a killed run kept here (a cat in $TMPDIR, an extract in its destination) is removed
    // first: it would hold space this run's budget counts on.
    removeStalePartialsAt(parent);
    if (m_budget < 0) {
        struct statvfs vfs;
        const qint64 free = ::fstatvfs(parent, &vfs) == 0 ? qint64(vfs.f_bavail) * qint64(vfs.f_frsize) : 0;
        m_budget = std::max<qint64>(0, free - std::max(kReserveBytes, free / 10));
    }
    // Named as a temporary of Lamina's: a killed run's folder is removed by a later one
    // (removeStalePartials), never mistaken for the user's.
    m_folder = partialNameFor(parent, "staged");
    if (::mkdirat(parent, m_folder.constData(), 0700) == 0)
        m_dirfd = ::openat(parent, m_folder.constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    // The folder is removed where it was made, whatever becomes of the parent's path.
    if (m_dirfd >= 0)
        m_parentfd = parent;
    m_failed = m_dirfd < 0;
    return !m_failed;
}

int StagedFiles::open(int member, int header, QByteArrayView path, qint64 size)
{
    // The budget is known once the folder is made (the space free there).
    if (size < 0 || (m_budget >= 0 && addSizes(m_bytes, size) > m_budget) || !wants(path))
        return -1;
    if (!makeFolder() || addSizes(m_bytes, size) > m_budget)
        return -1;
    const int fd = ::openat(
        m_dirfd, fileName(member, header).constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0)
        m_bytes = addSizes(m_bytes, size); // held against the budget while it is written
    return fd;
}

void StagedFiles::close(int member, int header, int fd, qint64 size, bool complete)
{
    const QByteArray name = fileName(member, header);
    // The size is set last: a sparse file may end in a hole.
    if (complete && ::ftruncate(fd, off_t(size)) != 0)
        complete = false;
    ::close(fd);
    if (complete) {
        m_kept.insert(keyOf(member, header), size);
        return;
    }
    ::unlinkat(m_dirfd, name.constData(), 0);
    m_bytes -= size;
}

std::optional<StagedFiles::Kept> StagedFiles::find(int member, int header) const
{
    const auto it = m_kept.constFind(keyOf(member, header));
    if (it == m_kept.cend())
        return std::nullopt;
    return Kept { m_dirfd, fileName(member, header), *it };
}

void StagedFiles::taken(int member, int header)
{
    if (const auto it = m_kept.constFind(keyOf(member, header)); it != m_kept.cend()) {
        m_bytes -= *it;
        m_kept.erase(it);
    }
}

void StagedFiles::keepOnly(const QSet<quint64> &keep)
{
    for (auto it = m_kept.begin(); it != m_kept.end();) {
        if (keep.contains(it.key())) {
            ++it;
            continue;
        }
        ::unlinkat(m_dirfd, fileName(int(it.key() >> 32), int(quint32(it.key()))).constData(), 0);
        m_bytes -= it.value();
        it = m_kept.erase(it);
    }
}

void StagedFiles::removeCreatedParent()
{
    removeFolder();
    for (const QString &folder : std::as_const(m_created))
        if (!QDir().rmdir(folder))
            break;
    m_created.clear();
}

} // namespace lamina
