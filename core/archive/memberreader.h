// SPDX-License-Identifier: MIT
#pragma once

#include <QString>
#include <QtGlobal>

namespace lamina {

/// Pull-style access to one member's bytes, so that big members are never held in memory.
/// Not thread-safe; one reader per thread.
class MemberReader
{
public:
    virtual ~MemberReader() = default;
    /// Reads up to `max` bytes; returns the count, 0 at the end of the member, -1 on error
    /// (then error() says why).
    virtual qint64 read(char *buffer, qint64 max) = 0;
    virtual QString error() const = 0;
};

} // namespace lamina
