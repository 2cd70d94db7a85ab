// SPDX-License-Identifier: MIT
#pragma once

#include <QString>
#include <QtGlobal>

#include <functional>
#include <memory>

namespace lamina {

/// A gzip stream compressed on several cores (docs/compose.md, "Layers gzip'd on every core").
/// libarchive's gzip filter deflates one stream on one core; here the input is cut into blocks
/// of kBlock bytes, deflated side by side, each primed with the last 32 KiB of the block before
/// it (so it compresses about as well as one stream), and joined into one gzip member: every
/// block but the last ends on a byte boundary (an empty stored block), the last ends the stream.
/// Where the blocks are cut depends only on the input, so the bytes are the same whatever the
/// number of threads or their timing. The output goes to `sink` in order, from the thread that
/// calls add() and finish().
class ParallelGzip
{
public:
    static constexpr qsizetype kBlock = 1 << 20;
    using Sink = std::function<bool(const char *data, qint64 size)>;

    /// `helpers`: threads beside the caller's, leased once the stream is longer than a block; -1
    /// takes as many as the thread budget grants then (util/threadbudget.h).
    explicit ParallelGzip(Sink sink, int helpers = -1);
    ~ParallelGzip();
    ParallelGzip(const ParallelGzip &) = delete;
    ParallelGzip &operator=(const ParallelGzip &) = delete;

    bool add(const char *data, qint64 size);
    /// Ends the stream (the last block, the CRC and length). False when anything failed.
    bool finish();
    QString error() const;

private:
    struct State;
    std::unique_ptr<State> d;
};

} // namespace lamina
