// SPDX-License-Identifier: MIT
#pragma once

#include "compose/layerop.h"
#include "util/progress.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <functional>
#include <optional>

namespace lamina {

struct WrittenLayer
{
    QString diffId; ///< sha256 of the tar written
    qint64 size = 0;
    int entries = 0;
    QString error;
    bool ok() const { return error.isEmpty(); }
};

/// A folder the image already has below the new layer: a layer that writes into it lists it again
/// (a loader applies a folder entry's mode and owner over the existing folder), so it must carry
/// these attributes, or a write into /tmp would make it 0755 and root's.
struct ExistingFolder
{
    quint32 mode = 0755;
    quint32 uid = 0, gid = 0;
    qint64 mtime = 0;
};
/// The folder at a normalised image path ("a/b") in the tree below the layer, links not followed;
/// nothing when that path is not a folder there.
using FolderBelow = std::function<std::optional<ExistingFolder>(const QString &path)>;

/// Writes a layer tar that depends only on the spec, `below` and the host files' contents and
/// modes: entries sorted with parents first (whiteouts before their siblings), parent folders the
/// tree below has written with its attributes and other missing ones added as 0755 (a `Mkdir`
/// without a mode, or an `AddHost` folder without one, onto an existing folder keeps it as it
/// is too), one fixed mtime for what the layer makes, numeric owners with empty names, no atime/ctime, PAX records
/// only where ustar cannot hold a value, and the end-of-archive marker with no further padding.
/// Host hard links become separate files; host symlinks are stored as links. The file appears at
/// `outPath` only when complete (written beside it and renamed; not synced: a working file).
WrittenLayer writeLayer(
    const LayerSpec &spec, const QString &outPath, const Progress &progress = {}, const FolderBelow &below = {});

/// Why `spec` cannot be written, or "": the checks writeLayer makes before it writes (image
/// paths, the host files and folders it adds), without the tree below, which supplies attributes
/// only. Walks the host folders it adds, as writeLayer does.
QString checkLayerSpec(const LayerSpec &spec);

} // namespace lamina
