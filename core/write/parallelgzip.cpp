// SPDX-License-Identifier: MIT
#include "write/parallelgzip.h"

#include "util/threadbudget.h"

#include <zlib.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace lamina {

namespace {

/// Deflate looks back at most this far, so a block primed with this much of the input before it
/// compresses as if the stream had not been cut there.
constexpr qsizetype kWindow = 32 * 1024;

struct Block
{
    QByteArray input;
    qsizetype size = 0; ///< of the input, which is let go once compressed
    QByteArray dictionary; ///< the end of the block before: what deflate may refer back to
    bool last = false;
    enum class State { Queued, Running, Done } state = State::Queued;
    QByteArray output;
    uLong crc = 0;
    bool ok = false;
};

/// Raw deflate of one block, as the part of one stream it is: every block but the last ends
/// with a sync flush (an empty stored block, so the next starts on a byte boundary and the final
/// bit stays unset), the last with the end of the stream.
bool deflateBlock(Block &b)
{
    b.crc = crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef *>(b.input.constData()), uInt(b.input.size()));
    z_stream s {};
    if (deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
    bool ok = b.dictionary.isEmpty()
        || deflateSetDictionary(
               &s, reinterpret_cast<const Bytef *>(b.dictionary.constData()), uInt(b.dictionary.size()))
            == Z_OK;
    b.output.resize(qsizetype(deflateBound(&s, uLong(b.input.size()))) + 64);
    s.next_in = reinterpret_cast<Bytef *>(b.input.data());
    s.avail_in = uInt(b.input.size());
    s.next_out = reinterpret_cast<Bytef *>(b.output.data());
    s.avail_out = uInt(b.output.size());
    const int flush = b.last ? Z_FINISH : Z_SYNC_FLUSH;
    while (ok) {
        const int r = deflate(&s, flush);
        if (b.last ? r == Z_STREAM_END : (r == Z_OK && s.avail_out > 0))
            break;
        if (r != Z_OK && r != Z_BUF_ERROR) {
            ok = false;
            break;
        }
        const qsizetype used = b.output.size() - qsizetype(s.avail_out); // out of room: never with deflateBound
        b.output.resize(b.output.size() * 2);
        s.next_out = reinterpret_cast<Bytef *>(b.output.data()) + used;
        s.avail_out = uInt(b.output.size() - used);
    }
    b.output.resize(b.output.size() - qsizetype(s.avail_out));
    deflateEnd(&s);
    b.input = QByteArray(); // its memory back before the block waits its turn to be written
    b.dictionary = QByteArray();
    return ok;
}

} // namespace

struct ParallelGzip::State
{
    Sink sink;
    int wantedHelpers = -1;
    std::unique_ptr<ThreadLease> lease; ///< taken at the second block: a stream of one needs no helper
    std::vector<std::thread> helpers;
    qsizetype maxInFlight = 1;

    std::mutex lock;
    std::condition_variable changed;
    std::deque<std::shared_ptr<Block>> blocks; ///< handed over, not yet written, in stream order
    bool stopping = false;

    // The caller's side.
    QByteArray filling;
    QByteArray tail; ///< the last kWindow bytes of the block handed over last
    uLong crc = crc32(0, nullptr, 0);
    quint64 length = 0;
    bool headerWritten = false;
    QString error;

    std::shared_ptr<Block> firstQueued() const
    {
        for (const std::shared_ptr<Block> &b : blocks)
            if (b->state == Block::State::Queued)
                return b;
        return nullptr;
    }

    void help()
    {
        std::unique_lock guard(lock);
        for (;;) {
            changed.wait(guard, [&] { return stopping || firstQueued(); });
            if (stopping)
                return;
            const std::shared_ptr<Block> b = firstQueued();
            b->state = Block::State::Running;
            guard.unlock();
            b->ok = deflateBlock(*b);
            guard.lock();
            b->state = Block::State::Done;
            changed.notify_all();
        }
    }

    bool emit(const char *data, qint64 size)
    {
        if (!error.isEmpty())
            return false;
        if (!sink(data, size)) {
            error = QStringLiteral("cannot write the compressed stream");
            return false;
        }
        return true;
    }

    bool write(const Block &b)
    {
        if (!b.ok) {
            if (error.isEmpty())
                error = QStringLiteral("zlib could not compress a block");
            return false;
        }
        if (!headerWritten) {
            // No file name, no time stamp: the bytes depend on the content only.
            static const char header[10] = { '\x1f', '\x8b', 8, 0, 0, 0, 0, 0, 0, 3 };
            headerWritten = true;
            if (!emit(header, sizeof header))
                return false;
        }
        crc = crc32_combine(crc, b.crc, z_off_t(b.size));
        length += quint64(b.size);
        return emit(b.output.constData(), b.output.size());
    }

    /// Writes the blocks that are done, in order. With `all`, or while too many are in flight,
    /// compresses queued ones here and waits for the rest.
    bool drain(bool all)
    {
        std::unique_lock guard(lock);
        while (!blocks.empty()) {
            const std::shared_ptr<Block> front = blocks.front();
            if (front->state == Block::State::Done) {
                blocks.pop_front();
                guard.unlock();
                if (!write(*front))
                    return false;
                guard.lock();
                continue;
            }
            if (!all && qsizetype(blocks.size()) < maxInFlight)
                break;
            if (const std::shared_ptr<Block> b = firstQueued()) {
                b->state = Block::State::Running;
                guard.unlock();
                b->ok = deflateBlock(*b);
                guard.lock();
                b->state = Block::State::Done;
                continue;
            }
            changed.wait(guard);
        }
        return error.isEmpty();
    }
    /// Helpers are leased once a stream proves longer than a block, not when the writer is made:
    /// an archive gzip'd as a whole is opened before the base is indexed, and idle helpers held
    /// through that would be taken from the indexing.
    void startHelpers()
    {
        lease = std::make_unique<ThreadLease>(wantedHelpers < 0 ? threadBudgetSize() - 1 : wantedHelpers);
        // Enough blocks in flight to keep every thread busy while the caller reads the next one,
        // and few enough to keep the memory to a few blocks a thread.
        maxInFlight = 2 * (lease->granted() + 1);
        for (int t = 0; t < lease->granted(); ++t)
            helpers.emplace_back([this] { help(); });
    }

    bool handOver(bool last)
    {
        if (!lease && !last)
            startHelpers();
        auto b = std::make_shared<Block>();
        b->input = std::move(filling);
        b->size = b->input.size();
        b->dictionary = tail;
        b->last = last;
        tail = b->input.right(kWindow);
        filling = QByteArray();
        {
            std::lock_guard guard(lock);
            blocks.push_back(b);
        }
        changed.notify_all();
        return drain(last);
    }
};

ParallelGzip::ParallelGzip(Sink sink, int helpers)
    : d(std::make_unique<State>())
{
    d->sink = std::move(sink);
    d->wantedHelpers = helpers;
}

ParallelGzip::~ParallelGzip()
{
    {
        std::lock_guard guard(d->lock);
        d->stopping = true;
    }
    d->changed.notify_all();
    for (std::thread &t : d->helpers)
        t.join();
}

bool ParallelGzip::add(const char *data, qint64 size)
{
    while (size > 0) {
        if (d->filling.size() == kBlock && !d->handOver(false)) // more follows: not the last block
            return false;
        if (d->filling.capacity() < kBlock)
            d->filling.reserve(kBlock);
        const qsizetype take = qsizetype(std::min<qint64>(size, kBlock - d->filling.size()));
        d->filling.append(data, take);
        data += take;
        size -= take;
    }
    return d->error.isEmpty();
}

bool ParallelGzip::finish()
{
    if (!d->handOver(true) || !d->drain(true))
        return false;
    char trailer[8];
    for (int i = 0; i < 4; ++i) {
        trailer[i] = char((d->crc >> (8 * i)) & 0xff);
        trailer[4 + i] = char((d->length >> (8 * i)) & 0xff); // the length modulo 2^32, as gzip keeps it
    }
    return d->emit(trailer, sizeof trailer);
}

QString ParallelGzip::error() const
{
    return d->error;
}

} // namespace lamina
