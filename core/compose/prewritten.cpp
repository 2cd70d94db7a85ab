// SPDX-License-Identifier: MIT
#include "compose/prewritten.h"

#include "write/outputwriter.h"
#include "write/rangecopy.h"

#include <QFile>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lamina {

namespace {

// As OutputWriter does: the disk is told to start every few megabytes, so that the final sync
// finds little left to write.
constexpr qint64 kWritebackStep = 32ll << 20;

} // namespace

/// One member's copy, written by the thread that indexes it.
class BlobCopy : public StoredCopy
{
public:
    BlobCopy(PrewrittenBlobs &owner, int member, int fd, QString name)
        : m_owner(owner)
        , m_member(member)
        , m_fd(fd)
        , m_name(std::move(name))
    {
    }
    ~BlobCopy() override
    {
        if (m_fd >= 0) // never finished: the indexing stopped before it began
            finish(false);
    }

    void add(const char *data, qint64 size) override
    {
        if (m_failed)
            return;
        QString unused;
        if (!writeAll(m_fd, data, size_t(size), &unused)) {
            m_failed = true;
            return;
        }
        m_written += size;
        if (m_written - m_flushed >= kWritebackStep) {
            ::sync_file_range(m_fd, m_flushed, m_written - m_flushed, SYNC_FILE_RANGE_WRITE);
            m_flushed = m_written;
        }
    }

    void finish(bool whole) override
    {
        const struct timespec times[2] = { { m_owner.m_mtime, 0 }, { m_owner.m_mtime, 0 } };
        ::futimens(m_fd, times);
        ::sync_file_range(m_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        const bool closed = ::close(m_fd) == 0;
        m_fd = -1;
        m_owner.finished(m_member, m_name, m_written, whole && closed && !m_failed);
    }

private:
    PrewrittenBlobs &m_owner;
    int m_member;
    int m_fd;
    QString m_name;
    qint64 m_written = 0;
    qint64 m_flushed = 0;
    bool m_failed = false;
};

PrewrittenBlobs::PrewrittenBlobs(OutputWriter &w, qint64 mtime, Compression compression)
    : m_folder(w.folderFd())
    , m_mtime(mtime)
    , m_compression(compression)
{
    // The layout's own folders, made now; OutputWriter finds them there.
    if (m_folder >= 0) {
        ::mkdirat(m_folder, "blobs", 0755);
        ::mkdirat(m_folder, "blobs/sha256", 0755);
    }
}

PrewrittenBlobs::~PrewrittenBlobs()
{
    removeRest();
}

void PrewrittenBlobs::want(int member)
{
    std::lock_guard<std::mutex> guard(m_lock);
    m_wanted.insert(member);
}

std::unique_ptr<StoredCopy> PrewrittenBlobs::open(int member)
{
    std::lock_guard<std::mutex> guard(m_lock);
    if (m_folder < 0 || !m_wanted.contains(member) || m_copies.contains(member))
        return nullptr;
    // A dot name: never a digest, so it cannot meet a blob the layout writes.
    const QString name = QStringLiteral("blobs/sha256/.base-%1").arg(member);
    const int fd = ::openat(
        m_folder, QFile::encodeName(name).constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return nullptr;
    m_copies.insert(member, { name, -1, false, false });
    return std::make_unique<BlobCopy>(*this, member, fd, name);
}

void PrewrittenBlobs::finished(int member, const QString &name, qint64 size, bool whole)
{
    std::lock_guard<std::mutex> guard(m_lock);
    m_copies[member] = { name, size, whole, false };
}

QString PrewrittenBlobs::take(int member, qint64 size)
{
    std::lock_guard<std::mutex> guard(m_lock);
    const auto it = m_copies.find(member);
    if (it == m_copies.end() || !it->whole || it->taken || it->size != size)
        return {};
    it->taken = true;
    return it->name;
}

QList<int> PrewrittenBlobs::taken() const
{
    std::lock_guard<std::mutex> guard(m_lock);
    QList<int> out;
    for (auto it = m_copies.cbegin(); it != m_copies.cend(); ++it)
        if (it->taken)
            out << it.key();
    return out;
}

void PrewrittenBlobs::removeRest()
{
    std::lock_guard<std::mutex> guard(m_lock);
    for (auto it = m_copies.begin(); it != m_copies.end();) {
        if (it->taken) {
            ++it;
            continue;
        }
        ::unlinkat(m_folder, QFile::encodeName(it->name).constData(), 0);
        it = m_copies.erase(it);
    }
}

} // namespace lamina
