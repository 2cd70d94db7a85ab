// SPDX-License-Identifier: MIT
// Counts of the work done on untrusted input, process-wide, so that tests can bound the work a
// hostile archive causes (bytes decompressed, metadata read, trees built) instead of timing it.
#pragma once

#include <QtGlobal>

#include <atomic>

namespace lamina::work {

struct Counters
{
    /// Bytes handed out by every decompressor, and logical bytes of file entries streamed.
    std::atomic<qint64> decompressedBytes { 0 };
    std::atomic<qint64> entryBytesStreamed { 0 };
    /// Bytes of metadata members (JSON, repositories) read or parsed, and how many reads.
    std::atomic<qint64> metadataBytes { 0 };
    std::atomic<qint64> metadataReads { 0 };
    /// Passes over a layer's stream (indexing, reading an entry), and merged trees built.
    std::atomic<qint64> layerPasses { 0 };
    std::atomic<qint64> treesBuilt { 0 };

    void reset()
    {
        decompressedBytes = 0;
        entryBytesStreamed = 0;
        metadataBytes = 0;
        metadataReads = 0;
        layerPasses = 0;
        treesBuilt = 0;
    }
};

inline Counters &counters()
{
    static Counters c;
    return c;
}

} // namespace lamina::work
