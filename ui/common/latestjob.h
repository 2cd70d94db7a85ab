// SPDX-License-Identifier: MIT
#pragma once

#include "backgroundpool.h"

#include "util/progress.h"
#include "util/threadbudget.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QMutex>
#include <QObject>
#include <QThreadPool>

#include <atomic>
#include <functional>
#include <memory>

namespace lamina {

/// A background job of which only the newest start counts. Starting again cancels the job that
/// runs; a cancelled or superseded job's result is dropped. Results and progress arrive on the
/// owner's thread, and never once the owner is gone, so the work must capture values, not the
/// owner: nothing ever waits for a job on the GUI thread.
///
/// The work gets a Progress whose `cancel` it polls and whose `report` it may call from its thread.
template <typename Result> class LatestJob
{
public:
    using Work = std::function<Result(const Progress &)>;
    using Deliver = std::function<void(Result)>;
    using Report = std::function<void(qint64 done, qint64 total)>;

    explicit LatestJob(QObject *owner)
        : m_shared(std::make_shared<Shared>())
    {
        m_shared->owner = owner;
    }
    ~LatestJob()
    {
        // After this no delivery is posted; one already posted dies with the owner's events.
        QMutexLocker lock(&m_shared->mutex);
        m_shared->owner = nullptr;
        if (m_shared->cancel)
            *m_shared->cancel = true;
    }
    LatestJob(const LatestJob &) = delete;
    LatestJob &operator=(const LatestJob &) = delete;

    /// Cancels the running job and starts `work`. `deliver` gets its result unless another start or
    /// cancel() came first; `report`, when given, gets the latest progress, at most one pending call
    /// at a time. Returns the job's id.
    quint64 start(Work work, Deliver deliver, Report report = {}, int priority = 0)
    {
        const std::shared_ptr<Shared> shared = m_shared;
        auto cancel = std::make_shared<std::atomic<bool>>(false);
        quint64 id;
        {
            QMutexLocker lock(&shared->mutex);
            if (shared->cancel)
                *shared->cancel = true;
            shared->cancel = cancel;
            id = ++shared->latest;
            ++shared->running;
        }
        auto pending = std::make_shared<std::atomic<bool>>(false);
        auto last = std::make_shared<std::pair<std::atomic<qint64>, std::atomic<qint64>>>();
        Progress progress;
        progress.cancel = cancel.get();
        if (report) {
            progress.report = [shared, id, report, pending, last](qint64 done, qint64 total) {
                last->first = done;
                last->second = total;
                if (pending->exchange(true))
                    return; // the call already posted reads the newest values
                post(shared, [shared, id, report, pending, last] {
                    pending->store(false);
                    if (shared->isLatest(id))
                        report(last->first.load(), last->second.load());
                });
            };
        }
        backgroundPool()->start(
            [shared, id, cancel, work = std::move(work), deliver = std::move(deliver), progress]() mutable {
                backgroundThreadStarts();
                // The job's own thread counts against core's thread budget while it runs, so that
                // the window's jobs and the helpers core starts inside them share one bound.
                Result result;
                {
                    const ThreadLease lease(1);
                    result = work(progress);
                }
                auto boxed = std::make_shared<Result>(std::move(result));
                const bool posted = post(shared, [shared, id, cancel, boxed, deliver] {
                    shared->finished();
                    if (shared->isLatest(id) && !*cancel)
                        deliver(std::move(*boxed));
                });
                if (!posted)
                    shared->finished();
            },
            priority);
        return id;
    }

    /// Cancels the running job; its result is not delivered.
    void cancel()
    {
        QMutexLocker lock(&m_shared->mutex);
        if (m_shared->cancel)
            *m_shared->cancel = true;
        ++m_shared->latest;
    }

    /// Whether a started job has not yet come back (delivered or dropped).
    bool isRunning() const
    {
        QMutexLocker lock(&m_shared->mutex);
        return m_shared->running > 0;
    }

    /// The id of the newest job; a result for an older one is never delivered.
    quint64 latestId() const
    {
        QMutexLocker lock(&m_shared->mutex);
        return m_shared->latest;
    }

private:
    struct Shared
    {
        mutable QMutex mutex;
        QObject *owner = nullptr;
        std::shared_ptr<std::atomic<bool>> cancel;
        quint64 latest = 0;
        int running = 0;

        bool isLatest(quint64 id)
        {
            QMutexLocker lock(&mutex);
            return id == latest;
        }
        void finished()
        {
            QMutexLocker lock(&mutex);
            --running;
        }
    };

    template <typename F> static bool post(const std::shared_ptr<Shared> &shared, F f)
    {
        QMutexLocker lock(&shared->mutex);
        if (!shared->owner)
            return false;
        QMetaObject::invokeMethod(shared->owner, std::move(f), Qt::QueuedConnection);
        return true;
    }

    std::shared_ptr<Shared> m_shared;
};

/// The job's Progress, with `cancel` (a flag a Cancel button sets) as what the work polls: a job
/// superseded or abandoned with its owner sets it at its next report, so one flag stops the work
/// either way, and a job cancelled by the user is still delivered (and says so).
inline Progress withCancel(const Progress &job, const std::shared_ptr<std::atomic<bool>> &cancel)
{
    if (job.cancelled())
        *cancel = true;
    Progress p;
    p.cancel = cancel.get();
    p.report = [job, cancel](qint64 done, qint64 total) {
        if (job.cancelled())
            *cancel = true;
        job.update(done, total);
    };
    return p;
}

} // namespace lamina
