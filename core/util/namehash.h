// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArrayView>
#include <QRandomGenerator>

namespace lamina {

/// Hashing of names read from archives, for the open-addressing tables of the indexer and the
/// merged tree. FNV-1a over 64 bits, started from a seed drawn once per process: a crafted layer
/// cannot then make a million names fall into one probe chain (a hang, not just slowness), as it
/// could with a fixed function. Not qHash: Qt 6.4's AES hash mixes legacy-SSE and AVX code, and
/// on these machines that stall made it a tenth of all indexing time (perf).
inline quint64 nameHashSeed()
{
    static const quint64 seed = QRandomGenerator::system()->generate64() | 1;
    return seed;
}

inline quint64 nameHash(QByteArrayView name, quint64 seed)
{
    quint64 h = 14695981039346656037ull ^ seed;
    for (char c : name)
        h = (h ^ quint8(c)) * 1099511628211ull;
    // FNV's low bits mix poorly; tables index by them.
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    h ^= h >> 32;
    return h;
}

} // namespace lamina
