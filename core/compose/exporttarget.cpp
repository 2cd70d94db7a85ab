// SPDX-License-Identifier: MIT
#include "compose/exporttarget.h"

#include "compose/config.h"
#include "write/install.h"
#include "write/safewrite.h"

#include <QFileInfo>

namespace lamina {

namespace {

bool checkOutput(const Composition &composition, const ExportOptions &options, QString *error)
{
    const QFileInfo out(options.output);
    const bool toFolder = options.format == ExportFormat::OciDir;
    if (options.output.isEmpty() || (!toFolder && out.isDir())) {
        *error = QStringLiteral("the output must be a file path");
        return false;
    }
    if (toFolder && options.compress != Compression::None) {
        *error = QStringLiteral("an OCI folder cannot be compressed as a whole; compress its layers instead");
        return false;
    }
    if (toFolder && out.exists() && !replaceableLayoutFolder(options.output)) {
        *error = QStringLiteral("%1 exists and is not an OCI layout written by Lamina (only oci-layout, index.json, "
                                "blobs, manifest.json and repositories); choose a new folder")
                     .arg(options.output);
        return false;
    }
    // By device and inode, not by path: a hard link, a bind mount, a linked folder or a
    // /proc/self/fd path all reach the same base under another name.
    const FileId baseId = composition.basePath.isEmpty() ? FileId {} : fileIdOf(composition.basePath);
    if (baseId != FileId {} && out.exists() && fileIdOf(options.output) == baseId) {
        *error
            = QStringLiteral("%1: the output would overwrite the base image; choose another file").arg(options.output);
        return false;
    }
    if (baseId != FileId {} && QFileInfo(composition.basePath).isDir() && folderHolds(baseId, options.output)) {
        // Nothing may be written inside a base folder, not even the working files.
        *error = QStringLiteral("%1: the output would be written inside the base folder; choose another place")
                     .arg(options.output);
        return false;
    }
    return true;
}

} // namespace

bool checkExportTarget(
    const Composition &composition, const ExportOptions &options, ExportTarget *target, QString *error)
{
    if (!checkOutput(composition, options, error))
        return false;
    target->toFolder = options.format == ExportFormat::OciDir;
    target->mtime = parseCreated(composition.created);
    if (target->mtime < 0) {
        *error = QStringLiteral("\"%1\" is not an RFC 3339 time (like 2024-01-01T00:00:00Z)").arg(composition.created);
        return false;
    }
    return normaliseTags(composition.tags, &target->tags, error);
}

bool normaliseTags(const QStringList &tags, QStringList *normal, QString *error)
{
    normal->clear();
    for (const QString &tag : tags) {
        const QString n = normaliseTag(tag, error);
        if (n.isEmpty())
            return false;
        if (!normal->contains(n))
            *normal << n;
    }
    return true;
}

} // namespace lamina
