// SPDX-License-Identifier: MIT
#include "write/backgroundhasher.h"

#include "archive/memberreader.h"
#include "write/outputwriter.h"

#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace lamina {

BackgroundHasher::BackgroundHasher(const Progress &progress)
    : m_progress(progress)
    , m_lease(std::max(1, threadBudgetSize() - 1))
{
    // One thread fewer than cores, as a shared run leaves the caller's: the export's own thread
    // is writing meanwhile, and a helper is left for its gzip (write/parallelgzip.h).
    // Without a helper granted, the members are hashed in finish(), on the caller's thread.
    for (int i = 0; i < m_lease.granted(); ++i)
        m_threads.emplace_back([this] { work(); });
}

BackgroundHasher::~BackgroundHasher()
{
    finish();
}

void BackgroundHasher::add(
    const QString &key, const QString &file, qint64 offset, qint64 size, Compression compression, bool openNow)
{
    const int fd = openNow ? ::open(QFile::encodeName(file).constData(), O_RDONLY | O_CLOEXEC) : -1;
    std::lock_guard lock(m_mutex);
    m_jobs.push_back({ key, file, fd, offset, size, compression });
    m_byName = m_byName || fd < 0;
    m_wake.notify_one();
}

void BackgroundHasher::addWritten(const OutputWriter &w, qint64 size, Compression compression)
{
    if (w.isFolder())
        add(w.memberPath(), w.path() + u'/' + w.memberPath(), 0, size, compression, false);
    else if (w.memberOffset() >= 0)
        add(QString::number(w.memberOffset()), w.path(), w.memberOffset(), size, compression, true);
}

bool BackgroundHasher::needsName() const
{
    std::lock_guard lock(m_mutex);
    return m_byName;
}

QHash<QString, MemberDigest> BackgroundHasher::finish()
{
    {
        std::lock_guard lock(m_mutex);
        m_done = true;
        m_wake.notify_all();
    }
    work(); // what is left, here too
    for (std::thread &t : m_threads)
        t.join();
    m_threads.clear();
    std::lock_guard lock(m_mutex);
    return m_results;
}

void BackgroundHasher::work()
{
    for (;;) {
        Job job;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_done || !m_jobs.empty(); });
            if (m_jobs.empty())
                return;
            job = m_jobs.front();
            m_jobs.pop_front();
        }
        MemberDigest d;
        const int fd = job.fd >= 0 ? job.fd : ::open(QFile::encodeName(job.file).constData(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            d.error = QStringLiteral("%1: %2").arg(job.file, QString::fromLocal8Bit(strerror(errno)));
        } else {
            const std::unique_ptr<MemberReader> reader = fileRangeReader(fd, job.offset, job.size, job.file);
            d = hashMemberBytes(*reader, job.compression, m_progress);
        }
        std::lock_guard lock(m_mutex);
        m_results.insert(job.key, d);
    }
}

} // namespace lamina
