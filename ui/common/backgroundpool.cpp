// SPDX-License-Identifier: MIT
#include "backgroundpool.h"

#include <QCoreApplication>
#include <QThread>
#include <QThreadPool>

namespace lamina {

QThreadPool *backgroundPool()
{
    static QThreadPool *pool = [] {
        // Owned by the application, so that its threads are joined when the application ends.
        auto *p = new QThreadPool(QCoreApplication::instance());
        // More threads than cores: a long verification must not hold up the tree a click asks
        // for or the composer's preview behind it (verification runs at a low priority).
        p->setMaxThreadCount(QThread::idealThreadCount() + 2);
        return p;
    }();
    return pool;
}

} // namespace lamina
