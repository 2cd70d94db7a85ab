// SPDX-License-Identifier: MIT
#pragma once

#include <functional>

namespace lamina {

/// The helper threads core may start, shared by every call in the process. A function that
/// splits work (indexing layers, verifying members, hashing an export) runs it on its own thread
/// and on as many helpers as the budget grants at that moment, so that calls running side by side
/// (the window's verification, indexing and preview, each on a pool thread) never start more
/// helpers together than the machine has cores. The calling thread always works, so a call
/// granted none still finishes.

/// Runs `work` on the calling thread and on up to `wanted - 1` helper threads, as many as the
/// budget grants; returns when every one has returned. `work` pulls its items itself.
void runShared(int wanted, const std::function<void()> &work);

/// Helpers granted now and not yet returned, across the process (for tests).
int threadBudgetInUse();
/// The budget: one helper per core.
int threadBudgetSize();

/// Helper threads granted to an owner for as long as it lives, for work that runs beside the
/// owner rather than with it (the export's hashing while it writes).
class ThreadLease
{
public:
    explicit ThreadLease(int wanted);
    ~ThreadLease();
    ThreadLease(const ThreadLease &) = delete;
    ThreadLease &operator=(const ThreadLease &) = delete;
    int granted() const { return m_granted; }

private:
    int m_granted = 0;
};

} // namespace lamina
