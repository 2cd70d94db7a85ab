// SPDX-License-Identifier: MIT
// `lamina extract`: a file or folder of the merged view or of one layer, written into a folder.
#include "command.h"

#include "layers/extract.h"

namespace lamina::cli {

int extract(const QStringList &args, QTextStream &err)
{
    const LayerArgs a = parseLayerArgs(args);
    if (!a.problem.isEmpty() || a.positional.size() != 3)
        return usage(err, a.problem.isEmpty() ? QStringLiteral("extract: PATH FILE_OR_DIR DEST") : a.problem);
    // Copies kept while a compressed archive is opened go into the destination, so that the
    // ones that count are moved into place, not copied.
    NamedFile f;
    if (const int status = openNamedFile(a, false, err, &f, a.positional.at(2), true)) {
        f.staged->removeCreatedParent();
        return status;
    }
    const ExtractResult r
        = extractNode(f.archive, a.image, f.tree, f.node, a.positional.at(2), a.force, {}, f.staged.get());
    for (const QString &s : r.skipped)
        err << "lamina: skipped " << s << '\n';
    if (!r.ok()) {
        err << "lamina: " << r.error << '\n';
        return 1;
    }
    err << QStringLiteral("extracted %1 file(s), %2 folder(s), %3 link(s)\n").arg(r.files).arg(r.folders).arg(r.links);
    return 0;
}

} // namespace lamina::cli
