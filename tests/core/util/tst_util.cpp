// SPDX-License-Identifier: MIT
// core/util: the digest value type and the thread budget shared by every core call.
#include "format/views.h"
#include "util/digest.h"
#include "util/sha256.h"
#include "util/threadbudget.h"
#include "util/workcounters.h"

#include <QTest>
#include <QThread>

#include <atomic>
#include <thread>

using namespace lamina;

class TestUtil : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void digestParses()
    {
        const QString hex(64, u'a');
        const Digest d = Digest::parse(QStringLiteral("sha256:") + hex);
        QVERIFY(d.isValid());
        QVERIFY(d.isSha256());
        QCOMPARE(d.encoded(), hex);
        QCOMPARE(d.blobPath(), QStringLiteral("blobs/sha256/") + hex);
        QCOMPARE(d.toString(), QStringLiteral("sha256:") + hex);
        QString why;
        QVERIFY(!Digest::parse(QStringLiteral("sha256:") + hex.left(63), &why).isValid());
        QVERIFY2(why.contains(QStringLiteral("not a valid sha256 digest")), qPrintable(why));
        QVERIFY(!Digest::parse(QStringLiteral("sha256:") + hex.toUpper()).isValid());
        QVERIFY(!Digest::parse(QStringLiteral("sha256/../../etc:x")).isValid());
        QVERIFY(!Digest::parse(QString()).isValid());
        QCOMPARE(Digest::parse(QStringLiteral("sha256:") + hex), d);
        // An unregistered algorithm is well formed, not checked for length.
        QVERIFY(
            Digest::parse(QStringLiteral("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8")).isValid());
        QCOMPARE(Digest::sha256Of("abc").toString(), Sha256::of("abc"));
        QStringList errors;
        QCOMPARE(blobPathForDigest(QStringLiteral("sha512:x"), QStringLiteral("here"), &errors), QString());
        QCOMPARE(errors.size(), 1);
        QVERIFY(errors.constFirst().startsWith(QStringLiteral("here: ")));
    }

    void mainThreadWorkIsCounted()
    {
        work::Counters &c = work::counters();
        c.reset();
        c.add(c.treesBuilt, 1); // here, on the main thread
        std::thread([&] { c.add(c.decompressedBytes, 1000); }).join();
        QCOMPARE(c.treesBuilt.load(), qint64(1));
        QCOMPARE(c.decompressedBytes.load(), qint64(1000));
        QCOMPARE(c.mainThreadWork.load(), qint64(1)); // the worker's bytes are not the main thread's
        c.reset();
    }

    void threadBudgetBoundsHelpers()
    {
        // Four callers at once, each asking for far more helpers than there are cores: together
        // they never run more than the callers plus the budget, and each finishes its items.
        std::atomic<int> running = 0, most = 0;
        std::atomic<int> items = 0;
        auto caller = [&] {
            std::atomic<int> next = 0;
            runShared(64, [&] {
                while (next++ < 200) {
                    const int now = ++running;
                    int seen = most.load();
                    while (now > seen && !most.compare_exchange_weak(seen, now)) { }
                    QThread::usleep(200);
                    --running;
                    ++items;
                }
            });
        };
        std::vector<std::thread> callers;
        for (int i = 0; i < 4; ++i)
            callers.emplace_back(caller);
        for (std::thread &t : callers)
            t.join();
        QCOMPARE(items.load(), 4 * 200);
        QVERIFY2(most.load() <= 4 + threadBudgetSize(), qPrintable(QString::number(most.load())));
        QCOMPARE(threadBudgetInUse(), 0); // every helper given back
        {
            const ThreadLease all(threadBudgetSize() + 5);
            QCOMPARE(all.granted(), threadBudgetSize());
            const ThreadLease none(3);
            QCOMPARE(none.granted(), 0); // nothing left: the caller works alone
            std::atomic<int> alone = 0;
            runShared(8, [&] { ++alone; });
            QCOMPARE(alone.load(), 1);
        }
        QCOMPARE(threadBudgetInUse(), 0);
    }
};

QTEST_GUILESS_MAIN(TestUtil)
#include "tst_util.moc"
