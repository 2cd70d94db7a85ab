// SPDX-License-Identifier: MIT
#include "layers/cachefile_p.h"

#include <QFile>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lamina::cachefile {

namespace {

constexpr quint32 kEndianMark = 0x01020304;

QByteArray header(
    const char (&magic)[8], quint32 recordSize, const QByteArray &key, quint64 payloadSize, const QByteArray &digest)
{
    Writer w;
    w.out.append(magic, sizeof magic);
    w.pod<quint32>(recordSize);
    w.pod<quint32>(kEndianMark);
    w.out.append(key.leftJustified(kKeyBytes, '\0', true));
    w.pod<quint64>(payloadSize);
    w.out.append(digest);
    return w.out;
}
} // namespace

QByteArray wrap(const char (&magic)[8], quint32 recordSize, const QByteArray &key, const QByteArray &payload)
{
    return header(magic, recordSize, key, quint64(payload.size()), payloadDigest(payload)) + payload;
}

bool writeFile(QIODevice &device, const char (&magic)[8], quint32 recordSize, const QByteArray &key,
    const std::function<void(Writer &)> &write)
{
    // Zeros where the header goes, until the payload's digest is known.
    if (device.write(QByteArray(kHeaderBytes, '\0')) != kHeaderBytes)
        return false;
    Sha256 hash;
    Writer w(&device, &hash);
    write(w);
    if (!w.finish())
        return false;
    const qint64 size = w.size();
    const QByteArray digest = QByteArray::fromHex(hash.finish().mid(7).toLatin1());
    return device.seek(0) && device.write(header(magic, recordSize, key, quint64(size), digest)) == kHeaderBytes;
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
    if (payloadDigest(payload) != bytes.sliced(16 + kKeyBytes + 8, 32))
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
