// SPDX-License-Identifier: MIT
#pragma once

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
    QString hostPath; ///< AddHost: a file or a folder (copied whole, links kept as links)
    QString linkTarget; ///< Symlink: stored verbatim, never resolved on the host
    QByteArray text; ///< WriteText
    std::optional<quint32> mode; ///< default: defaultMode()
    quint32 uid = 0; ///< the host owner never leaks in (docs/formats.md §6.7)
    quint32 gid = 0;

    bool operator==(const LayerOp &) const = default;
};

struct LayerSpec
{
    QList<LayerOp> ops;
    qint64 mtime = 1; ///< every entry's mtime: 1970-01-01T00:00:01Z as nix does, or the composition's `created`
};

/// The mode an operation gives its entry when it names none: 0755 for a folder, 0777 for a
/// link, 0644 for a text file; for a host file or folder its own mode, read by the writer, and
/// nothing here (std::nullopt). Deletions make no entry of their own (std::nullopt).
std::optional<quint32> defaultMode(LayerOp::Kind kind);

/// A mode as people write it: octal ("755", "0644", "4755") or as `ls -l` shows it ("rwxr-xr-x",
/// s/S and t/T for the set-id and sticky bits). Nothing for anything else or above 07777.
std::optional<quint32> parseMode(const QString &text);

/// "a/b" for "/a//b/" and "./a/b"; "" with `error` set for paths that climb out of the root.
QString normaliseImagePath(const QString &path, QString *error);

} // namespace lamina
