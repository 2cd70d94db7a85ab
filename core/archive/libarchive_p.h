// SPDX-License-Identifier: MIT
// Private to core: what every libarchive reader here is set up with.
#pragma once

#include <archive.h>

namespace lamina {

/// The compressions Lamina reads, for whole archives and for layers alike (docs/formats.md §1.10, §2.5).
inline void supportCompressions(struct archive *a)
{
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_filter_xz(a);
    archive_read_support_filter_bzip2(a);
}

} // namespace lamina
