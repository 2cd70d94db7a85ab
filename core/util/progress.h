// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

#include <atomic>
#include <functional>

namespace lamina {

/// Progress and cancellation handed to long core functions. Both parts are optional.
/// `report` is called from the worker's thread, at most every few megabytes, with the bytes done
/// and the total (0 when unknown). `cancel` is polled between members and chunks; once it reads
/// true the function returns as soon as it can, with what it has and a "cancelled" outcome.
struct Progress
{
    std::function<void(qint64 done, qint64 total)> report;
    const std::atomic<bool> *cancel = nullptr;

    bool cancelled() const { return cancel && cancel->load(std::memory_order_relaxed); }
    /// The cancel flag alone: for work inside a job whose own counts would not fit its total.
    Progress cancelOnly() const { return { {}, cancel }; }
    void update(qint64 done, qint64 total) const
    {
        if (report)
            report(done, total);
    }
};

} // namespace lamina
