// SPDX-License-Identifier: MIT
#include "archive/inflater_p.h"

#include "archive/libarchive_p.h"
#include "util/limits.h"
#include "util/sha256.h"
#include "util/workcounters.h"

#include <archive_entry.h>

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
