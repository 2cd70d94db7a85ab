// SPDX-License-Identifier: MIT
#include "archive/readerfeed_p.h"

namespace lamina {

ReaderFeed::ReaderFeed(MemberReader &reader, const Progress *progress, qint64 chunk)
    : m_reader(reader)
    , m_progress(progress)
    , m_buffer(int(chunk), Qt::Uninitialized)
    , m_readSize(chunk)
{
}

void ReaderFeed::allowSkips()
{
    m_skips = m_reader.canSeek();
    if (m_skips)
        m_readSize = kSmallRead;
}

qint64 ReaderFeed::pull()
{
    if (m_progress && m_progress->cancelled()) {
        error = QStringLiteral("cancelled");
        return -1;
    }
    if (m_skips && ++m_readsSinceSkip > 4)
        m_readSize = std::min<qint64>(m_readSize * 2, m_buffer.size());
    const qint64 n = m_reader.read(m_buffer.data(), m_readSize);
    if (n < 0) {
        error = m_reader.error();
        return -1;
    }
    if (hash)
        hash->add(m_buffer.constData(), n);
    if (onData)
        onData(m_buffer.constData(), n);
    if (onRead)
        onRead(n);
    bytes += n;
    return n;
}

void ReaderFeed::attach(struct archive *a)
{
    archive_read_set_callback_data(a, this);
    archive_read_set_read_callback(a, &ReaderFeed::read);
    archive_read_set_skip_callback(a, &ReaderFeed::skip);
}

la_ssize_t ReaderFeed::read(struct archive *, void *self, const void **out)
{
    auto *f = static_cast<ReaderFeed *>(self);
    const qint64 n = f->pull();
    *out = f->m_buffer.constData();
    return n < 0 ? -1 : la_ssize_t(n);
}

la_int64_t ReaderFeed::skip(struct archive *, void *self, la_int64_t request)
{
    auto *f = static_cast<ReaderFeed *>(self);
    if (!f->m_skips || f->hash || f->onData)
        return 0; // libarchive then reads through
    const qint64 n = f->m_reader.skip(request);
    f->bytes += n;
    f->m_readSize = kSmallRead;
    f->m_readsSinceSkip = 0;
    return n;
}

} // namespace lamina
