// SPDX-License-Identifier: MIT
#include "backgroundpool.h"

#include <QCoreApplication>
#include <QThread>
#include <QThreadPool>

#include <algorithm>
#include <cerrno>

#include <sys/resource.h>
#include <unistd.h>

namespace lamina {

QThreadPool *backgroundPool()
{
    static QThreadPool *pool = [] {
        // Owned by the application, so that its threads are joined when the application ends.
        auto *p = new QThreadPool(QCoreApplication::instance());
        // More threads than cores: a long verification must not hold up the tree a click asks
        // for or the composer's preview behind it.
        p->setMaxThreadCount(QThread::idealThreadCount() + 2);
        return p;
    }();
    return pool;
}

void backgroundThreadStarts()
{
    // QThread::setPriority changes nothing for an ordinary (SCHED_OTHER) thread on Linux: Qt maps
    // the priorities onto that policy's range, which is 0 to 0. A Linux thread has a nice value
    // of its own, though (setpriority on its thread ID), and threads it starts inherit it. With
    // both cores indexing or hashing, a UI thread of equal weight waited its turn for 100 ms and
    // more; at nice 5 the workers weigh a third of it. Not undone: without RLIMIT_NICE or
    // CAP_SYS_NICE a thread may not lower its nice value again, and pool threads only ever run
    // background work.
    if (QCoreApplication::instance() && QThread::currentThread() == QCoreApplication::instance()->thread())
        return;
    thread_local bool lowered = false;
    if (lowered)
        return;
    lowered = true;
    // Relative to the process's main thread, whose ID is the process's: a pool thread started
    // from one already lowered ends at the same value, not lower again.
    errno = 0;
    const int process = getpriority(PRIO_PROCESS, id_t(getpid()));
    const pid_t self = gettid();
    const int now = getpriority(PRIO_PROCESS, id_t(self));
    if (errno == 0 && now < process + kBackgroundNice)
        setpriority(PRIO_PROCESS, id_t(self), std::min(19, process + kBackgroundNice));
}

} // namespace lamina
