// SPDX-License-Identifier: MIT
#pragma once

#include "compose/composition.h"

#include <QString>
#include <QStringList>

namespace lamina {

/// What an export may write, checked before anything is: the output, the time and the tags.
struct ExportTarget
{
    bool toFolder = false; ///< oci-dir
    qint64 mtime = 0; ///< the composition's time, on every member
    QStringList tags; ///< normalised as loaders list them, each once
};

/// Checks that `options` can be written for `composition`: a file path (a folder for oci-dir,
/// which may only replace a layout Lamina wrote), never the base itself nor a place inside a base
/// folder (compared by device and inode, whatever the spelling), an RFC 3339 time and valid tags.
/// False with `error` saying what to change. The export dialog asks the same before it starts.
bool checkExportTarget(
    const Composition &composition, const ExportOptions &options, ExportTarget *target, QString *error);

/// `tags` as loaders list them, each once, into `normal`: podman refuses a reference outside the
/// grammar, and a name with no tag is "name:latest" to every loader, so manifest.json and the
/// index must say so too. False with `error` at the first that is no reference.
bool normaliseTags(const QStringList &tags, QStringList *normal, QString *error);

} // namespace lamina
