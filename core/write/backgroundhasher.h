// SPDX-License-Identifier: MIT
#pragma once

#include "archive/archive.h"
#include "check/verify.h"
#include "util/progress.h"
#include "util/threadbudget.h"

#include <QHash>
#include <QString>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace lamina {

class OutputWriter;

/// Hashes what an export has just written while it writes the rest (the writing waits on the
/// disk, the hashing on the processor), so that verifying the output costs no second pass. Each
/// range is read back from the written file, not taken from the bytes handed to the kernel.
class BackgroundHasher
{
public:
    explicit BackgroundHasher(const Progress &progress);
    ~BackgroundHasher();
    BackgroundHasher(const BackgroundHasher &) = delete;
    BackgroundHasher &operator=(const BackgroundHasher &) = delete;

    /// `key` names the member in the finished output: its data offset in a tar, its path in a folder.
    /// With `openNow` the file is opened here, so that the job still reads it once it is renamed.
    void add(
        const QString &key, const QString &file, qint64 offset, qint64 size, Compression compression, bool openNow);
    /// Queues the member `w` has just written, `size` bytes stored with `compression`.
    void addWritten(const OutputWriter &w, qint64 size, Compression compression);
    /// Whether a job will open its file by name (out of descriptors, or not asked to open it now):
    /// then the file must stay where it is until finish().
    bool needsName() const;
    /// Waits for every job; the digests by key.
    QHash<QString, MemberDigest> finish();

private:
    struct Job
    {
        QString key, file;
        int fd;
        qint64 offset, size;
        Compression compression;
    };
    void work();

    const Progress &m_progress;
    ThreadLease m_lease;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Job> m_jobs;
    std::vector<std::thread> m_threads;
    QHash<QString, MemberDigest> m_results;
    bool m_done = false;
    bool m_byName = false;
};

} // namespace lamina
