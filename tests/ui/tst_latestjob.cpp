// SPDX-License-Identifier: MIT
// The window's job runner: the newest start wins, a superseded or cancelled job is never
// delivered, nothing reaches an owner that is gone, and progress arrives on the owner's thread.
#include "common/latestjob.h"

#include <QApplication>
#include <QSemaphore>
#include <QTest>
#include <QThread>

#include <optional>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

using namespace lamina;

namespace {

int niceOfThisThread()
{
    return getpriority(PRIO_PROCESS, id_t(gettid()));
}

} // namespace

class TestLatestJob : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void newestStartWins()
    {
        QObject owner;
        LatestJob<int> job(&owner);
        QSemaphore release;
        std::atomic<bool> firstSawCancel = false;
        QList<int> delivered;
        job.start(
            [&](const Progress &p) {
                release.acquire();
                firstSawCancel = p.cancelled();
                return 1;
            },
            [&](int r) { delivered << r; });
        const quint64 second = job.start([](const Progress &) { return 2; }, [&](int r) { delivered << r; });
        QCOMPARE(job.latestId(), second);
        release.release();
        QTRY_VERIFY(!job.isRunning());
        QVERIFY(firstSawCancel); // the older job was told to stop
        QCOMPARE(delivered, QList<int> { 2 });
    }

    void jobsYieldToTheUiThread()
    {
        // With both cores busy indexing or hashing, a UI thread of the same weight as the workers
        // waited for a core (gaps over 100 ms on a 200-layer image). Jobs, and the helper threads
        // core starts inside them, run nicer; the UI thread keeps its own value.
        const int ui = niceOfThisThread();
        QObject owner;
        LatestJob<QPair<int, int>> job(&owner);
        std::optional<QPair<int, int>> seen;
        job.start(
            [](const Progress &) {
                int helper = 0;
                std::thread([&] { helper = niceOfThisThread(); }).join();
                return qMakePair(niceOfThisThread(), helper);
            },
            [&](QPair<int, int> r) { seen = r; });
        QTRY_VERIFY(seen.has_value());
        QCOMPARE(niceOfThisThread(), ui);
        QCOMPARE(seen->first, std::min(19, ui + kBackgroundNice));
        QCOMPARE(seen->second, seen->first);
    }

    void cancelledJobIsDropped()
    {
        QObject owner;
        LatestJob<int> job(&owner);
        QSemaphore release;
        bool delivered = false;
        job.start(
            [&](const Progress &p) {
                release.acquire();
                return p.cancelled() ? -1 : 1;
            },
            [&](int) { delivered = true; });
        QVERIFY(job.isRunning());
        job.cancel();
        release.release();
        QTRY_VERIFY(!job.isRunning());
        QVERIFY(!delivered);
    }

    void ownerGoneGetsNothing()
    {
        QSemaphore release;
        auto delivered = std::make_shared<std::atomic<int>>(0);
        {
            auto *owner = new QObject;
            auto *job = new LatestJob<int>(owner);
            job->start(
                [&](const Progress &) {
                    release.acquire();
                    return 1;
                },
                [delivered](int) { ++*delivered; });
            // The owner and its runner go first; the job finishes later and must not post.
            delete job;
            delete owner;
        }
        release.release();
        QVERIFY(backgroundPool()->waitForDone(60000));
        QCoreApplication::processEvents();
        QCOMPARE(delivered->load(), 0);
    }

    void aJobCountsAgainstTheThreadBudget()
    {
        // Core's helpers started inside a job see one thread less: the window's jobs and core's
        // helpers share one bound.
        QObject owner;
        LatestJob<int> job(&owner);
        int inUse = -1;
        job.start([](const Progress &) { return threadBudgetInUse(); }, [&](int n) { inUse = n; });
        QTRY_VERIFY(!job.isRunning());
        QCOMPARE(inUse, 1);
        QCOMPARE(threadBudgetInUse(), 0); // given back when the job ends
    }

    void progressOnOwnersThread()
    {
        QObject owner;
        LatestJob<int> job(&owner);
        QList<qint64> seen;
        bool onOwnerThread = true;
        job.start(
            [](const Progress &p) {
                for (int i = 1; i <= 5; ++i)
                    p.update(i, 5);
                return 0;
            },
            [](int) {},
            [&](qint64 done, qint64 total) {
                onOwnerThread = onOwnerThread && QThread::currentThread() == owner.thread();
                seen << done;
                QCOMPARE(total, qint64(5));
            });
        QTRY_VERIFY(!job.isRunning());
        QCoreApplication::processEvents();
        QVERIFY(onOwnerThread);
        QVERIFY(!seen.isEmpty());
        QCOMPARE(seen.constLast(), qint64(5)); // coalesced, but the newest value always arrives
    }
};

QTEST_MAIN(TestLatestJob)
#include "tst_latestjob.moc"
