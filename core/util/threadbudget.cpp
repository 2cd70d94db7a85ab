// SPDX-License-Identifier: MIT
#include "util/threadbudget.h"

#include <QThread>

#include <algorithm>
#include <mutex>
#include <thread>
#include <vector>

namespace lamina {

namespace {

std::mutex budgetMutex;
int inUse = 0;

int take(int wanted)
{
    std::lock_guard lock(budgetMutex);
    const int granted = std::clamp(threadBudgetSize() - inUse, 0, std::max(0, wanted));
    inUse += granted;
    return granted;
}

void giveBack(int n)
{
    std::lock_guard lock(budgetMutex);
    inUse -= n;
}

} // namespace

int threadBudgetSize()
{
    return std::max(1, QThread::idealThreadCount());
}

int threadBudgetInUse()
{
    std::lock_guard lock(budgetMutex);
    return inUse;
}

ThreadLease::ThreadLease(int wanted)
    : m_granted(take(wanted))
{
}

ThreadLease::~ThreadLease()
{
    giveBack(m_granted);
}

void runShared(int wanted, const std::function<void()> &work)
{
    const ThreadLease lease(wanted - 1);
    std::vector<std::thread> helpers;
    helpers.reserve(size_t(lease.granted()));
    for (int t = 0; t < lease.granted(); ++t)
        helpers.emplace_back(work);
    work();
    for (std::thread &t : helpers)
        t.join();
}

} // namespace lamina
