// SPDX-License-Identifier: MIT
#pragma once

#include "layers/imagelayers.h"
#include "util/progress.h"

namespace lamina {

class StagedFiles;

/// Follows symbolic links inside the image (absolute targets from the image root, ".." stopping
/// at the root, as in a container), never on the host. Returns the node, or -1 with `error`.
int resolveInTree(const MergedTree &tree, QByteArrayView path, bool followLast, QString *error);

struct ExtractResult
{
    int files = 0;
    int folders = 0;
    int links = 0;
    QStringList skipped; ///< device nodes, fifos, existing files, each with why
    QString error; ///< why extraction stopped
    bool ok() const { return error.isEmpty(); }
};

/// Writes the node `node` of `tree` (a file or a whole folder) into the host folder `dest`.
/// Nothing is written outside `dest`: every path is built component by component with
/// O_NOFOLLOW, symlinks are created as links and never followed, device nodes and fifos are not
/// created, set-id bits are dropped, and existing files are kept unless `overwrite`. `progress`
/// gets the bytes of file content written of the node's total; once cancelled, the file being
/// written is removed and extraction stops with the error "…: cancelled". Files kept in `staged`
/// while the archive was opened are moved into place instead of being read again.
ExtractResult extractNode(const ImageArchive &ia, int image, const MergedTree &tree, int node, const QString &dest,
    bool overwrite, const Progress &progress = {}, StagedFiles *staged = nullptr);

} // namespace lamina
