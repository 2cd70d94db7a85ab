// SPDX-License-Identifier: MIT
// Sums of sizes taken from untrusted headers: a tar size field reaches 2^63 - 1 (base-256), and
// sparse members claim any logical size from a few bytes, so plain sums overflow (undefined
// behaviour, and a negative total that passes every "too big" test).
#pragma once

#include <QtGlobal>

#include <limits>

namespace lamina {

/// a + b, held at the largest (or smallest) qint64 instead of overflowing.
constexpr qint64 addSizes(qint64 a, qint64 b)
{
    qint64 r = 0;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? std::numeric_limits<qint64>::max() : std::numeric_limits<qint64>::min();
    return r;
}

/// a - b, held at the qint64 limits instead of overflowing.
constexpr qint64 subtractSizes(qint64 a, qint64 b)
{
    qint64 r = 0;
    if (__builtin_sub_overflow(a, b, &r))
        return b < 0 ? std::numeric_limits<qint64>::max() : std::numeric_limits<qint64>::min();
    return r;
}

} // namespace lamina
