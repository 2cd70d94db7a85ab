// SPDX-License-Identifier: MIT
#include "archive/inflater_p.h"

#include "archive/libarchive_p.h"
#include "util/limits.h"
#include "util/sha256.h"
#include "util/workcounters.h"

#include <archive_entry.h>

#include <cstring>

namespace lamina {

Inflater::Inflater()
    : m_raw(archive_read_new())
{
    supportCompressions(m_raw);
    archive_read_support_format_raw(m_raw);
}

Inflater::~Inflater()
{
    archive_read_free(m_raw);
}

bool Inflater::open(void *data, archive_read_callback *read)
{
    struct archive_entry *e = nullptr;
    if (archive_read_open(m_raw, data, nullptr, read, nullptr) != ARCHIVE_OK
        || archive_read_next_header(m_raw, &e) != ARCHIVE_OK) {
        m_error = QString::fromLocal8Bit(archive_error_string(m_raw));
        return false;
    }
    return true;
}

qint64 Inflater::compressedBytes() const
{
    // Filter -1 is the caller's callback: the compressed bytes taken in so far.
    return archive_filter_bytes(m_raw, -1);
}

int Inflater::filterCode() const
{
    return archive_filter_code(m_raw, 0);
}

la_ssize_t Inflater::next(const void **out)
{
    static const char nothing = 0;
    *out = &nothing;
    if (m_end)
        return 0;
    if (!m_error.isEmpty())
        return -1;
    if (progress && progress->cancelled()) {
        m_error = QStringLiteral("cancelled");
        return -1;
    }
    if (limits::decompressionAlarm(compressedBytes(), m_out)) {
        m_bomb = true;
        m_error = bombMessage(QStringLiteral("the stream"));
        return -1;
    }
    const void *block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    const int rc = archive_read_data_block(m_raw, &block, &size, &offset);
    if (rc == ARCHIVE_EOF) {
        m_end = true;
        return 0;
    }
    if (rc < ARCHIVE_OK) {
        m_error = QString::fromLocal8Bit(archive_error_string(m_raw));
        return -1;
    }
    m_out += qint64(size);
    work::counters().add(work::counters().decompressedBytes, qint64(size));
    if (hash)
        hash->add(static_cast<const char *>(block), qsizetype(size));
    *out = block;
    return la_ssize_t(size);
}

la_ssize_t Inflater::read(struct archive *, void *self, const void **out)
{
    return static_cast<Inflater *>(self)->next(out);
}

void Inflater::feed(struct archive *tar)
{
    archive_read_set_callback_data(tar, this);
    archive_read_set_read_callback(tar, &Inflater::read);
}

ReadAhead::ReadAhead(Inflater &inflater, std::function<void(qint64)> onBlock)
    : m_inflater(inflater)
    , m_onBlock(std::move(onBlock))
{
}

ReadAhead::~ReadAhead()
{
    finish();
}

void ReadAhead::feed(struct archive *tar)
{
    archive_read_set_callback_data(tar, this);
    archive_read_set_read_callback(tar, &ReadAhead::read);
    if (m_lease.granted() < 1)
        return;
    for (int b = 0; b < kBlocks; ++b) {
        m_blocks[size_t(b)].data = QByteArray(kBlockSize, Qt::Uninitialized);
        m_free.push_back(b);
    }
    m_thread = std::thread([this] { produce(); });
}

void ReadAhead::finish() const
{
    if (!m_thread.joinable())
        return;
    {
        const std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_changed.notify_all();
    m_thread.join();
}

void ReadAhead::produce()
{
    // The Inflater's last block, not yet all copied: valid until its next call.
    const char *pending = nullptr;
    qsizetype pendingSize = 0;
    bool ended = false;
    la_ssize_t last = 0;
    for (;;) {
        int b;
        {
            std::unique_lock lock(m_mutex);
            m_changed.wait(lock, [this] { return m_stop || !m_free.empty(); });
            if (m_stop)
                break;
            b = m_free.front();
            m_free.pop_front();
        }
        // Filled whole (the Inflater's blocks are smaller), so that the threads meet once a MiB.
        Block &block = m_blocks[size_t(b)];
        block.size = 0;
        while (block.size < kBlockSize) {
            if (pendingSize == 0) {
                const void *data = nullptr;
                if (ended || (last = m_inflater.next(&data)) <= 0) {
                    ended = true;
                    break;
                }
                pending = static_cast<const char *>(data);
                pendingSize = last;
            }
            const qsizetype take = std::min(pendingSize, kBlockSize - block.size);
            std::memcpy(block.data.data() + block.size, pending, size_t(take));
            block.size += take;
            pending += take;
            pendingSize -= take;
        }
        block.compressed = m_inflater.compressedBytes();
        const std::lock_guard lock(m_mutex);
        if (block.size > 0)
            m_full.push_back(b);
        else
            m_free.push_back(b);
        m_changed.notify_all();
        if (ended && pendingSize == 0) {
            m_last = last;
            break;
        }
    }
    const std::lock_guard lock(m_mutex);
    m_done = true;
    m_changed.notify_all();
}

la_ssize_t ReadAhead::next(const void **out)
{
    if (!m_thread.joinable() && !m_done)
        return m_inflater.next(out);
    std::unique_lock lock(m_mutex);
    if (m_held >= 0) {
        m_free.push_back(m_held);
        m_held = -1;
        m_changed.notify_all();
    }
    m_changed.wait(lock, [this] { return m_done || !m_full.empty(); });
    if (m_full.empty()) {
        static const char nothing = 0;
        *out = &nothing;
        return m_stop ? -1 : m_last;
    }
    m_held = m_full.front();
    m_full.pop_front();
    const Block &block = m_blocks[size_t(m_held)];
    lock.unlock();
    if (m_onBlock)
        m_onBlock(block.compressed);
    *out = block.data.constData();
    return la_ssize_t(block.size);
}

la_ssize_t ReadAhead::read(struct archive *, void *self, const void **out)
{
    return static_cast<ReadAhead *>(self)->next(out);
}

QString Inflater::bombMessage(const QString &what) const
{
    return QStringLiteral(
        "%1 decompresses to more than %2 times its size (%3 bytes from %4): a decompression bomb; reading stopped%5")
        .arg(what)
        .arg(limits::kMaxDecompressionRatio)
        .arg(m_out)
        .arg(compressedBytes())
        .arg(limits::note("kMaxDecompressionRatio", limits::kMaxDecompressionRatio));
}

} // namespace lamina
