// SPDX-License-Identifier: MIT
// `lamina cat`: a file's bytes from the merged view or from one layer, to standard output.
#include "command.h"

#include <QFile>

#include <cstdio>

namespace lamina::cli {

int cat(const QStringList &args, QTextStream &out, QTextStream &err)
{
    const LayerArgs a = parseLayerArgs(args);
    if (!a.problem.isEmpty() || a.positional.size() != 2)
        return usage(err, a.problem.isEmpty() ? QStringLiteral("cat: PATH FILE") : a.problem);
    ImageArchive ia;
    ImageLayers layers;
    if (!openLayers(a, err, &ia, &layers))
        return 2;
    const MergedTree tree = chosenTree(a, layers);
    QString error;
    const int node = findNamedFile(a, layers, tree, true, &error);
    if (node < 0) {
        err << "lamina: " << error << '\n';
        return 1;
    }
    out.flush();
    QFile stdoutFile;
    (void)stdoutFile.open(stdout, QIODevice::Unbuffered | QIODevice::WriteOnly);
    // Streamed: a file's claimed size never decides how much is held in memory.
    const QString failed = copyLayerFile(ia, a.image, tree.layers(), tree.node(node).layer, tree.node(node).entry,
        [&](const char *data, qint64 size) { return stdoutFile.write(data, size) == size; });
    if (!failed.isEmpty()) {
        err << "lamina: " << failed << '\n';
        return 1;
    }
    return 0;
}

} // namespace lamina::cli
