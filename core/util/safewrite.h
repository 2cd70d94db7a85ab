// SPDX-License-Identifier: MIT
// Writing files so that a kill at any moment leaves either the previous file or the complete new
// one under the target name: bytes go to a temporary beside the target, which is renamed over it
// once complete and synced. Temporaries carry the writer's process ID, so that a later run can
// tell its own stale ones (the writer is gone) from those of a run still going.
#pragma once

#include <QString>

namespace lamina {

/// Marker in the names of every temporary Lamina writes beside a target.
inline constexpr char kPartialMarker[] = ".lamina-part-";

/// "<dir>/.<name>.lamina-part-<pid>-<n>": a fresh temporary name beside `target` (n counts per
/// process). Names too long for the file system are shortened, keeping the marker and the pid.
QString partialPathFor(const QString &target);
/// The same inside a folder open as `dirfd`, as a bare name for the *at() calls.
QByteArray partialNameFor(const QByteArray &name);

/// Removes the temporaries in `dir` (files, or folders with their contents) that a Lamina process
/// no longer running left behind. Returns how many were removed. Those of live processes stay.
int removeStalePartials(const QString &dir);
/// The same inside an open folder.
int removeStalePartialsAt(int dirfd);

} // namespace lamina
