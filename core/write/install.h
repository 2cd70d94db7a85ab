// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

namespace lamina {

/// Whether an existing output folder may be replaced: only one that holds nothing but an image
/// layout (oci-layout, index.json, blobs, manifest.json, repositories), so that no file of the
/// user's is ever deleted. An empty folder counts.
bool replaceableLayoutFolder(const QString &path);

/// Puts the finished folder `part` at `target`: renamed there, or exchanged atomically with the
/// layout already there (which is then removed), so that `target` is always a complete layout.
bool installFolder(const QString &part, const QString &target, QString *error);

/// Renames the finished file `part` over `target` (atomic on one file system); `error` says why not.
bool installFile(const QString &part, const QString &target, QString *error);

} // namespace lamina
