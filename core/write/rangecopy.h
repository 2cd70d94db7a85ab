// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

namespace lamina {

/// Copies `length` bytes from `in` at `offset` to `out` at its position, by the kernel when it can
/// (copy_file_range: no trip through user space, and a reflink where the file system has them),
/// else by pread and write. Returns the bytes copied (fewer: `in` ended early), or -1 with `error`.
qint64 copyRange(int in, qint64 offset, int out, qint64 length, QString *error);

/// Writes all of `p` to `fd`, retrying short writes and interruptions. False with `error` on failure.
bool writeAll(int fd, const char *p, size_t length, QString *error);

} // namespace lamina
