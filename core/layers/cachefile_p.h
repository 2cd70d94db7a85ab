// SPDX-License-Identifier: MIT
// What the index cache's files share (layers/indexcache.h): the payload's writer and reader, the
// header around it, and mapping a file. Private to core/layers.
#pragma once

#include "util/sha256.h"

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
constexpr int kHeaderBytes = 8 + 4 + 4 + kKeyBytes + 8 + 32;
static_assert(kHeaderBytes % 8 == 0, "the payload's arrays are aligned from the file's start");

/// Writes a payload into `out`; or, given a device, straight to it a block at a time (hashing
/// what it writes), so that a payload of tens of megabytes is never held whole in memory.
class Writer
{
public:
    Writer() = default;
    Writer(QIODevice *device, Sha256 *hash)
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
    Sha256 *m_hash = nullptr;
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
    bool atEnd() const { return m_pos == m_in.size(); }

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

/// The 32 bytes of a payload's sha256.
inline QByteArray payloadDigest(QByteArrayView payload)
{
    Sha256 h;
    h.add(payload.constData(), payload.size());
    return QByteArray::fromHex(h.finish().mid(7).toLatin1());
}

/// Writes a cache file to `device` (at its start): the header, then the payload `write` gives
/// its Writer, streamed, then the header again with the payload's length and digest filled in.
bool writeFile(QIODevice &device, const char (&magic)[8], quint32 recordSize, const QByteArray &key,
    const std::function<void(Writer &)> &write);

/// A file's bytes: the 8-byte magic (kind and format), the size of the records it holds and a
/// byte-order mark (a file from another build or machine is refused), the key it was stored
/// under, the payload's length and sha256, the payload.
QByteArray wrap(const char (&magic)[8], quint32 recordSize, const QByteArray &key, const QByteArray &payload);
/// The payload of a file's bytes when the header is this build's, names `key`, and the payload
/// matches its digest.
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
