// SPDX-License-Identifier: MIT
// Writing files so that a kill at any moment leaves either the previous file or the complete new
// one under the target name: bytes go to a temporary beside the target, which is renamed over it
// once complete and synced.
//
// A killed run leaves its temporary behind; a later run removes it only when it can prove that a
// Lamina process made it. The name carries the writer's process ID and a MAC (HMAC-SHA256 under a
// per-user key kept in $XDG_STATE_HOME/lamina, bound to the folder's device and inode): a name that
// merely looks like a temporary — a user's file, folder or a base archive — is never touched.
#pragma once

#include <QList>
#include <QString>

#include <sys/types.h>

namespace lamina {

/// Marker in the names of every temporary Lamina writes beside a target.
inline constexpr char kPartialMarker[] = ".lamina-part-";

/// A file's identity: device and inode.
struct FileId
{
    dev_t dev = 0;
    ino_t ino = 0;
    bool operator==(const FileId &) const = default;
};

/// "<dir>/.<name>.lamina-part-<pid>-<n>-<mac>": a fresh temporary name beside `target` (n counts
/// per process). Names too long for the file system are shortened, keeping the marker and the rest.
QString partialPathFor(const QString &target);
/// The same inside the folder open as `dirfd`, as a bare name for the *at() calls.
QByteArray partialNameFor(int dirfd, const QByteArray &name);

/// Removes the temporaries in `dir` that a Lamina process no longer running left behind, and
/// returns how many. Only names whose MAC proves they are Lamina's are considered; a stale folder
/// is emptied of files, links and folders on its own device (never following a link), and anything
/// in `keep` (the inputs) is left in place wherever it is found. Those of live processes stay.
int removeStalePartials(const QString &dir, const QList<FileId> &keep = {});
/// The same inside an open folder.
int removeStalePartialsAt(int dirfd, const QList<FileId> &keep = {});

/// Removes `name` in the folder open as `dirfd`: a file or a link, or a folder with everything
/// it holds on the device `dirfd` is on (never following a link, never crossing a mount). True
/// when it is gone.
bool removeTreeAt(int dirfd, const char *name);

/// The identity of `path` (following links), or {0, 0} when it cannot be read.
FileId fileIdOf(const QString &path);
/// True when the folder `folder` is `path`'s folder or one above it, by identity: a bind mount,
/// a symbolic link or a /proc/self/fd path reaching it counts, whatever the spelling.
bool folderHolds(const FileId &folder, const QString &path);

} // namespace lamina
