// SPDX-License-Identifier: MIT
// Shared by the fuzz targets: a scratch folder per process, writing inputs to files (the archive
// readers take paths), a memory reader, tar checksum repair so that mutated headers reach
// the parsers instead of stopping at libarchive's checksum test, and the splitting of an input
// into layers.
#pragma once

#include "archive/memberreader.h"
#include "layers/layerindex.h"
#include "layers/mergedtree.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QString>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace lamina::fuzz {

inline QString scratch()
{
    static QTemporaryDir dir(QDir::tempPath() + QStringLiteral("/lamina-fuzz-XXXXXX"));
    return dir.path();
}

inline bool writeFile(const QString &path, const QByteArray &data)
{
    QDir().mkpath(path.section(u'/', 0, -2));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    return f.write(data) == data.size();
}

class BufferReader : public MemberReader
{
public:
    explicit BufferReader(QByteArrayView data)
        : m_data(data)
    {
    }
    qint64 read(char *buffer, qint64 max) override
    {
        const qint64 n = std::min<qint64>(max, m_data.size() - m_at);
        std::memcpy(buffer, m_data.data() + m_at, size_t(n));
        m_at += n;
        return n;
    }
    QString error() const override { return {}; }

private:
    QByteArrayView m_data;
    qint64 m_at = 0;
};

/// Walks the blocks of an uncompressed tar and rewrites each header's checksum (POSIX ustar:
/// octal sum of the header with the field counted as spaces), stopping at the first block whose
/// size field is not octal.
inline void fixTarChecksums(QByteArray &tar)
{
    qsizetype at = 0;
    while (at + 512 <= tar.size()) {
        unsigned char *h = reinterpret_cast<unsigned char *>(tar.data() + at);
        if (std::all_of(h, h + 512, [](unsigned char c) { return c == 0; })) {
            at += 512;
            continue;
        }
        unsigned sum = 0;
        for (int i = 0; i < 512; ++i)
            sum += (i >= 148 && i < 156) ? unsigned(' ') : h[i];
        std::snprintf(reinterpret_cast<char *>(h) + 148, 8, "%06o", sum & 0777777u);
        h[155] = ' ';
        qint64 size = 0;
        for (int i = 124; i < 136 && h[i] >= '0' && h[i] <= '7'; ++i)
            size = size * 8 + (h[i] - '0');
        at += 512 + ((size + 511) / 512) * 512;
    }
}

/// The layers of an input that is up to eight layer tars separated by "\n==layer==\n" (a layer
/// uncompressed or compressed, an uncompressed one with its header checksums repaired), each
/// indexed. False when a part is no layer at all: nothing to merge.
inline bool indexSeparatedLayers(QByteArrayView all, MergedTree::Layers *layers)
{
    static constexpr QByteArrayView kSeparator("\n==layer==\n");
    qsizetype from = 0;
    while (layers->size() < 8 && from <= all.size()) {
        qsizetype end = all.indexOf(kSeparator, from);
        if (end < 0)
            end = all.size();
        QByteArray part = all.sliced(from, end - from).toByteArray();
        from = end + kSeparator.size();
        const Compression compression = sniffCompression(part);
        if (compression == Compression::None)
            fixTarChecksums(part);
        BufferReader reader(part);
        const LayerIndexResult r = indexLayerFromReader(reader, compression, {}, {}, part.size());
        if (!r.index)
            return false;
        layers->append(r.index);
    }
    return true;
}

} // namespace lamina::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
