// SPDX-License-Identifier: MIT
// What the index cache's files share (layers/indexcache.h): the payload's writer and reader, the
// header around it, and mapping a file. Private to core/layers.
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QIODevice>
#include <QList>
#include <QString>

#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>

namespace lamina::cachefile {

constexpr qint64 kMaxStrings = 1 << 20;
constexpr int kKeyBytes = 64; // hex sha256
constexpr int kHeaderBytes = 8 + 4 + 4 + kKeyBytes + 8 + 8;
static_assert(kHeaderBytes % 8 == 0, "the payload's arrays are aligned from the file's start");

/// A 64-bit checksum of a payload, for a cache file damaged on disk, cut short or mixed up. It is
/// not a digest: whoever can write the cache folder can write a matching checksum, whatever it is
/// (an sha256 stored beside the bytes is recomputed as easily), so what keeps Lamina safe from a
/// crafted file is that every count, offset and link in it is checked before use. This has only
/// to notice accidents, and cheaply: the sha256 it replaced was 0.13 CPU seconds of reopening
/// many.tar (123 MB of cache files, at 1.6 GB/s a core), most of the wait for its files.
class Checksum
{
public:
    void add(const void *data, qsizetype size);
    quint64 finish() const;

private:
    /// Four lanes, each folding in every fourth 8-byte word: no lane waits for another's multiply.
    quint64 m_lane[4] = { 0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL, 0xa4093822299f31d0ULL, 0x082efa98ec4e6c89ULL };
    unsigned char m_pending[32] = {};
    int m_pendingSize = 0;
    quint64 m_total = 0;
};

/// Writes a payload into `out`; or, given a device, straight to it a block at a time (hashing
/// what it writes), so that a payload of tens of megabytes is never held whole in memory.
class Writer
{
public:
    Writer() = default;
    Writer(QIODevice *device, Checksum *hash)
        : m_device(device)
        , m_hash(hash)
    {
    }
    QByteArray out;
    template <typename T> void pod(T v)
    {
        out.append(reinterpret_cast<const char *>(&v), sizeof v);
        spillPast(kBlock);
    }
    void bytes(QByteArrayView b)
    {
        pod<quint64>(quint64(b.size()));
        raw(b);
    }
    void string(const QString &s) { bytes(s.toUtf8()); }
    /// Zeros up to the next multiple of 8 of the payload (and of the file: the header is 8s).
    void align() { out.append(QByteArray((8 - size() % 8) % 8, '\0')); }
    template <typename T> void array(const QList<T> &list)
    {
        static_assert(std::is_trivially_copyable_v<T> && alignof(T) <= 8);
        pod<quint64>(quint64(list.size()));
        align();
        if (!list.isEmpty())
            raw(QByteArrayView(reinterpret_cast<const char *>(list.constData()), qsizetype(list.size() * sizeof(T))));
    }
    /// The payload's bytes so far.
    qint64 size() const { return m_spilled + out.size(); }
    /// Writes out what is held (with a device); false when the device failed at any point.
    bool finish()
    {
        spillPast(0);
        return m_ok;
    }

private:
    static constexpr qsizetype kBlock = 1 << 20;
    void raw(QByteArrayView b)
    {
        if (!m_device || b.size() < kBlock) {
            out.append(b);
            spillPast(kBlock);
            return;
        }
        spillPast(0);
        put(b);
    }
    void spillPast(qsizetype limit)
    {
        if (m_device && out.size() > limit) {
            put(out);
            out.clear();
        }
    }
    void put(QByteArrayView b)
    {
        m_hash->add(b.constData(), b.size());
        m_ok = m_ok && m_device->write(b.constData(), b.size()) == b.size();
        m_spilled += b.size();
    }
    QIODevice *m_device = nullptr;
    Checksum *m_hash = nullptr;
    qint64 m_spilled = 0;
    bool m_ok = true;
};

/// Reads what Writer wrote; any read past the end, or a count over its bound, fails the whole.
/// `inPlace` (the caller keeps `in` alive for as long as what is read): the big arrays are not
/// copied but point into `in`, where it is aligned for them.
class Reader
{
public:
    explicit Reader(QByteArrayView in, bool inPlace = false)
        : m_in(in)
        , m_inPlace(inPlace)
    {
    }
    bool ok = true;
    template <typename T> T pod()
    {
        T v {};
        if (!take(sizeof v))
            return v;
        std::memcpy(&v, m_in.constData() + m_pos - qsizetype(sizeof v), sizeof v);
        return v;
    }
    QByteArray bytes(qint64 max, bool inPlace = false)
    {
        const quint64 n = pod<quint64>();
        if (!ok || n > quint64(max) || !take(qsizetype(n)))
            return fail<QByteArray>();
        const char *at = m_in.constData() + m_pos - qsizetype(n);
        if (inPlace && m_inPlace)
            return QByteArray::fromRawData(at, qsizetype(n));
        return QByteArray(at, qsizetype(n));
    }
    QString string() { return QString::fromUtf8(bytes(kMaxStrings)); }
    template <typename T> QList<T> array(qint64 max)
    {
        const quint64 n = pod<quint64>();
        if (!ok || n > quint64(max) || !take((8 - m_pos % 8) % 8) || !take(qsizetype(n * sizeof(T))))
            return fail<QList<T>>();
        if (n == 0)
            return {};
        const char *bytes = m_in.constData() + m_pos - qsizetype(n * sizeof(T));
        const T *at = reinterpret_cast<const T *>(bytes);
        // In place: the list points into the cache file's bytes (owning nothing; changing it would
        // copy). Written by Writer, the array is aligned in the file, so it is in a mapping of it;
        // bytes handed in another way (a test's, the fuzzer's) may not be, and are copied.
        if (m_inPlace && reinterpret_cast<quintptr>(at) % alignof(T) == 0)
            return QList<T>(QArrayDataPointer<T>::fromRawData(at, qsizetype(n)));
        // Constructed from the range, not resized then overwritten: a resize first writes
        // every entry's defaults (measured: a fifth of loading a million entries).
        QList<T> list;
        list.reserve(qsizetype(n));
        for (quint64 i = 0; i < n; ++i) {
            T v;
            std::memcpy(static_cast<void *>(&v), bytes + i * sizeof(T), sizeof(T));
            list.append(v);
        }
        return list;
    }
    /// Passes over what bytes() would read, making nothing.
    void skipBytes(qint64 max)
    {
        const quint64 n = pod<quint64>();
        if (!ok || n > quint64(max) || !take(qsizetype(n)))
            ok = false;
    }
    bool atEnd() const { return m_pos == m_in.size(); }
    qsizetype position() const { return m_pos; }

private:
    template <typename T> T fail()
    {
        ok = false;
        return T();
    }
    bool take(qsizetype n)
    {
        if (!ok || n < 0 || m_in.size() - m_pos < n)
            return ok = false;
        m_pos += n;
        return true;
    }
    QByteArrayView m_in;
    qsizetype m_pos = 0;
    bool m_inPlace = false;
};

/// A payload's checksum.
inline quint64 payloadChecksum(QByteArrayView payload)
{
    Checksum c;
    c.add(payload.constData(), payload.size());
    return c.finish();
}

/// Writes a cache file to `device` (at its start): the header, then the payload `write` gives
/// its Writer, streamed, then the header again with the payload's length and checksum filled in.
bool writeFile(QIODevice &device, const char (&magic)[8], quint32 recordSize, const QByteArray &key,
    const std::function<void(Writer &)> &write);

/// A file's bytes: the 8-byte magic (kind and format), the size of the records it holds and a
/// byte-order mark (a file from another build or machine is refused), the key it was stored
/// under, the payload's length and checksum, the payload.
QByteArray wrap(const char (&magic)[8], quint32 recordSize, const QByteArray &key, const QByteArray &payload);
/// The payload of a file's bytes when the header is this build's, names `key`, and the payload
/// matches its checksum.
std::optional<QByteArrayView> unwrap(
    const char (&magic)[8], quint32 recordSize, const QByteArray &key, QByteArrayView bytes);

/// A cache file mapped read-only: its bytes, kept mapped for as long as `mapping` lives.
struct Mapped
{
    std::shared_ptr<const void> mapping;
    QByteArrayView bytes;
};
enum class MapError { None, Missing, Unusable, NoMemory };
/// Maps the file at `path` when it is a regular file of at least a header and at most `maxBytes`.
Mapped mapFile(const QString &path, qint64 maxBytes, MapError *error);

} // namespace lamina::cachefile
