// SPDX-License-Identifier: MIT
#pragma once

#include "util/progress.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace lamina {

/// One operation of a new layer (issue: compose). Image paths are absolute or relative to the
/// root; they must not climb out of it.
struct LayerOp
{
    enum Kind { AddHost, Mkdir, Symlink, WriteText, Delete, Opaque };
    Kind kind = AddHost;
    QString imagePath;
    QString hostPath;            ///< AddHost: a file or a folder (copied whole, links kept as links)
    QString linkTarget;          ///< Symlink: stored verbatim, never resolved on the host
    QByteArray text;             ///< WriteText
    std::optional<quint32> mode; ///< default: the host's mode (AddHost), 0755 (Mkdir), 0644 (WriteText)
    quint32 uid = 0;             ///< the host owner never leaks in (FORMATS.md §6)
    quint32 gid = 0;
};

struct LayerSpec
{
    QList<LayerOp> ops;
    qint64 mtime = 1; ///< every entry's mtime: 1970-01-01T00:00:01Z as nix does, or the composition's `created`
};

struct WrittenLayer
{
    QString diffId;   ///< sha256 of the tar written
    qint64 size = 0;
    int entries = 0;
    QString error;
    bool ok() const { return error.isEmpty(); }
};

/// Writes a layer tar that depends only on the spec and the host files' contents and modes:
/// entries sorted with parents first (whiteouts before their siblings), missing parent folders
/// added as 0755, one fixed mtime, numeric owners with empty names, no atime/ctime, PAX records
/// only where ustar cannot hold a value, and the end-of-archive marker with no further padding.
/// Host hard links become separate files; host symlinks are stored as links. The file appears at
/// `outPath` only when complete (written beside it, synced, renamed).
WrittenLayer writeLayer(const LayerSpec &spec, const QString &outPath, const Progress &progress = {});

/// "a/b" for "/a//b/" and "./a/b"; "" with `error` set for paths that climb out of the root.
QString normaliseImagePath(const QString &path, QString *error);

} // namespace lamina
