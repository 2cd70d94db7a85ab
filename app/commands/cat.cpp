// SPDX-License-Identifier: MIT
// `lamina cat`: a file's bytes from the merged view or from one layer, to standard output.
#include "command.h"

#include <QDir>
#include <QFile>

#include <cstdio>

namespace lamina::cli {

int cat(const QStringList &args, QTextStream &out, QTextStream &err)
{
    const LayerArgs a = parseLayerArgs(args);
    if (!a.problem.isEmpty() || a.positional.size() != 2)
        return usage(err, a.problem.isEmpty() ? QStringLiteral("cat: PATH FILE") : a.problem);
    NamedFile f;
    // Only copies of the path named: a folder named by mistake keeps nothing.
    if (const int status = openNamedFile(a, true, err, &f, QDir::tempPath(), false))
        return status;
    if (f.node == f.tree.root()) {
        // The root has no entry of its own to say what it is.
        err << "lamina: " << a.positional.at(1) << " is the image's root folder, not a file\n";
        return 1;
    }
    out.flush();
    QFile stdoutFile;
    (void)stdoutFile.open(stdout, QIODevice::Unbuffered | QIODevice::WriteOnly);
    // Streamed: a file's claimed size never decides how much is held in memory.
    const MergedTree::Node &n = f.tree.node(f.node);
    const QString failed = copyLayerFile(
        f.archive, a.image, f.tree.layers(), n.layer, n.entry,
        [&](const char *data, qint64 size) { return stdoutFile.write(data, size) == size; }, {}, f.staged.get());
    if (!failed.isEmpty()) {
        err << "lamina: " << failed << '\n';
        return 1;
    }
    return 0;
}

} // namespace lamina::cli
