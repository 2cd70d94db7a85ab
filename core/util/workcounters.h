// SPDX-License-Identifier: MIT
// Counts of the work done on untrusted input, process-wide, so that tests can bound the work a
// hostile archive causes (bytes decompressed, metadata read, trees built) instead of timing it.
#pragma once

#include <QCoreApplication>
#include <QThread>
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
    /// Layer streams indexed entry by entry (indexLayerFromReader).
    std::atomic<qint64> layersIndexed { 0 };
    /// Of all the above, what the application's main thread did: a window must leave this work
    /// to its workers, and tests bound it instead of timing the main thread.
    std::atomic<qint64> mainThreadWork { 0 };
    /// Bytes read through openFileReader() (files outside an archive: host files, an export's
    /// work files), on any thread.
    std::atomic<qint64> fileBytesRead { 0 };
    /// Bytes handed to SHA-256, on any thread (not counted as main-thread work).
    std::atomic<qint64> hashedBytes { 0 };

    /// Adds `n` to `counter`, and to mainThreadWork when called on the main thread.
    void add(std::atomic<qint64> &counter, qint64 n)
    {
        counter += n;
        const QCoreApplication *app = QCoreApplication::instance();
        if (app && QThread::currentThread() == app->thread())
            mainThreadWork += n;
    }

    void reset()
    {
        decompressedBytes = 0;
        entryBytesStreamed = 0;
        metadataBytes = 0;
        metadataReads = 0;
        layerPasses = 0;
        treesBuilt = 0;
        layersIndexed = 0;
        mainThreadWork = 0;
        fileBytesRead = 0;
        hashedBytes = 0;
    }
};

inline Counters &counters()
{
    static Counters c;
    return c;
}

} // namespace lamina::work
