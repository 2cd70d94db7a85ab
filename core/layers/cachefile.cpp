// SPDX-License-Identifier: MIT
#include "layers/cachefile_p.h"

#include <QFile>

#include <algorithm>
#include <bit>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lamina::cachefile {

namespace {

constexpr quint32 kEndianMark = 0x01020304;

QByteArray header(
    const char (&magic)[8], quint32 recordSize, const QByteArray &key, quint64 payloadSize, quint64 checksum)
{
    Writer w;
    w.out.append(magic, sizeof magic);
    w.pod<quint32>(recordSize);
    w.pod<quint32>(kEndianMark);
    w.out.append(key.leftJustified(kKeyBytes, '\0', true));
    w.pod<quint64>(payloadSize);
    w.pod<quint64>(checksum);
    return w.out;
}

constexpr quint64 kMulA = 0x9e3779b97f4a7c15ULL; // odd, bits spread: the golden ratio's
constexpr quint64 kMulB = 0xd6e8feb86659fd93ULL;

quint64 word(const unsigned char *p)
{
    quint64 w;
    std::memcpy(&w, p, sizeof w);
    return w;
}

quint64 fold(quint64 lane, quint64 w)
{
    return std::rotl(lane + w * kMulB, 31) * kMulA;
}

/// Every bit of the result depends on every bit of `h`.
quint64 scramble(quint64 h)
{
    h ^= h >> 32;
    h *= kMulB;
    h ^= h >> 29;
    h *= kMulA;
    return h ^ (h >> 32);
}
} // namespace

void Checksum::add(const void *data, qsizetype size)
{
    if (size <= 0)
        return; // an empty view may have no data pointer at all, which memcpy must not see
    const auto *p = static_cast<const unsigned char *>(data);
    m_total += quint64(size);
    if (m_pendingSize > 0) {
        const qsizetype take = std::min<qsizetype>(size, qsizetype(sizeof m_pending) - m_pendingSize);
        std::memcpy(m_pending + m_pendingSize, p, size_t(take));
        m_pendingSize += int(take);
        p += take;
        size -= take;
        if (m_pendingSize < int(sizeof m_pending))
            return;
        for (int i = 0; i < 4; ++i)
            m_lane[i] = fold(m_lane[i], word(m_pending + 8 * i));
        m_pendingSize = 0;
    }
    // In locals, in one loop: a call per stripe (as a member function through the PLT) ran at a
    // quarter of the speed.
    quint64 a = m_lane[0], b = m_lane[1], c = m_lane[2], d = m_lane[3];
    for (; size >= qsizetype(sizeof m_pending); p += sizeof m_pending, size -= qsizetype(sizeof m_pending)) {
        a = fold(a, word(p));
        b = fold(b, word(p + 8));
        c = fold(c, word(p + 16));
        d = fold(d, word(p + 24));
    }
    m_lane[0] = a;
    m_lane[1] = b;
    m_lane[2] = c;
    m_lane[3] = d;
    std::memcpy(m_pending, p, size_t(size));
    m_pendingSize = int(size);
}

quint64 Checksum::finish() const
{
    quint64 h = std::rotl(m_lane[0], 1) + std::rotl(m_lane[1], 7) + std::rotl(m_lane[2], 12) + std::rotl(m_lane[3], 18);
    h ^= m_total * kMulA;
    // The bytes after the last whole stripe, as words padded with zeros (the length above tells
    // "a" from "a\0").
    unsigned char tail[sizeof m_pending] = {};
    std::memcpy(tail, m_pending, size_t(m_pendingSize));
    for (int at = 0; at < m_pendingSize; at += 8)
        h = fold(h, word(tail + at));
    return scramble(h);
}

QByteArray wrap(const char (&magic)[8], quint32 recordSize, const QByteArray &key, const QByteArray &payload)
{
    return header(magic, recordSize, key, quint64(payload.size()), payloadChecksum(payload)) + payload;
}

bool writeFile(QIODevice &device, const char (&magic)[8], quint32 recordSize, const QByteArray &key,
    const std::function<void(Writer &)> &write)
{
    // Zeros where the header goes, until the payload's checksum is known.
    if (device.write(QByteArray(kHeaderBytes, '\0')) != kHeaderBytes)
        return false;
    Checksum hash;
    Writer w(&device, &hash);
    write(w);
    if (!w.finish())
        return false;
    const qint64 size = w.size();
    return device.seek(0) && device.write(header(magic, recordSize, key, quint64(size), hash.finish())) == kHeaderBytes;
}

std::optional<QByteArrayView> unwrap(
    const char (&magic)[8], quint32 recordSize, const QByteArray &key, QByteArrayView bytes)
{
    if (bytes.size() < kHeaderBytes || std::memcmp(bytes.constData(), magic, sizeof magic) != 0)
        return std::nullopt;
    Reader r(bytes.first(kHeaderBytes).sliced(sizeof magic));
    const quint32 size = r.pod<quint32>();
    const quint32 endian = r.pod<quint32>();
    if (size != recordSize || endian != kEndianMark)
        return std::nullopt;
    if (bytes.sliced(16, kKeyBytes) != QByteArrayView(key.leftJustified(kKeyBytes, '\0', true)))
        return std::nullopt; // another key's file under this name
    quint64 payloadSize = 0;
    std::memcpy(&payloadSize, bytes.constData() + 16 + kKeyBytes, sizeof payloadSize);
    if (payloadSize != quint64(bytes.size() - kHeaderBytes))
        return std::nullopt;
    const QByteArrayView payload = bytes.sliced(kHeaderBytes);
    quint64 checksum = 0;
    std::memcpy(&checksum, bytes.constData() + 16 + kKeyBytes + 8, sizeof checksum);
    if (payloadChecksum(payload) != checksum)
        return std::nullopt;
    return payload;
}

Mapped mapFile(const QString &path, qint64 maxBytes, MapError *error)
{
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *error = MapError::Missing;
        return {};
    }
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < kHeaderBytes || st.st_size > maxBytes) {
        ::close(fd);
        *error = MapError::Unusable;
        return {};
    }
    // Mapped, not read: what is loaded then points into the file's pages, already in memory when
    // the file was used lately, where reading would copy them into fresh memory, which costs more
    // than everything else done to load an index (docs/layers.md, "The index cache"). No cache
    // file is changed in place (a store writes a new file and renames it; the trim unlinks), so
    // the mapping keeps the bytes it was made with.
    const size_t size = size_t(st.st_size);
    void *at = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    ::close(fd);
    if (at == MAP_FAILED) {
        *error = MapError::NoMemory; // no fault of the file's
        return {};
    }
    *error = MapError::None;
    return { std::shared_ptr<const void>(at, [size](const void *p) { ::munmap(const_cast<void *>(p), size); }),
        QByteArrayView(static_cast<const char *>(at), qsizetype(size)) };
}

} // namespace lamina::cachefile
