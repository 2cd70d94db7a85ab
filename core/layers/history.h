// SPDX-License-Identifier: MIT
#pragma once

#include "format/imagearchive.h"
#include "layers/mergedtree.h"
#include "util/progress.h"

namespace lamina {

/// One thing a layer did to a path (the path asked about, or one under it).
struct PathEvent
{
    int layer = -1;
    QByteArray path;
    Change change = Change::None; ///< Added, Modified (written again) or Removed
    EntryType type = EntryType::File; ///< what the layer stored (for Removed: what was removed)
    qint64 size = 0;
    quint16 mode = 0;
    quint32 uid = 0;
    quint32 gid = 0;
    QByteArray linkTarget;
    QString digest; ///< sha256 of a regular file's bytes, when asked for and readable
    QString error; ///< why the bytes could not be hashed
    int entry = -1; ///< the layer entry (not for Removed)
};

/// Every layer that added, changed or removed `path` or anything under it, bottom layer first,
/// from the layers' own entries (docs/layers.md: whiteouts and opaque folders remove, a folder
/// listed again with the same mode and owner is unchanged). With `digests`, each regular file a
/// layer stores is hashed (its bytes read from the archive).
QList<PathEvent> pathHistory(const ImageArchive &ia, int image, const MergedTree::Layers &layers, QByteArrayView path,
    bool digests, const Progress &progress = {});

} // namespace lamina
