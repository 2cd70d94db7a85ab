// SPDX-License-Identifier: MIT
// `lamina extract`: the first image's merged tree written into a fresh folder. Traps when anything
// appears beside that folder (a write that escaped it through a link, "..", or an absolute name).
#include "fuzzsupport.h"

#include "format/imagearchive.h"
#include "layers/extract.h"
#include "layers/imagelayers.h"

#include <QDir>
#include <QFile>

#include <cstdlib>

using namespace lamina;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    if (sniffCompression(bytes) == Compression::None)
        fuzz::fixTarChecksums(bytes);
    // scratch/run/{input.tar,dest}: after extracting into dest, run/ must hold those two only.
    const QString run = fuzz::scratch() + QStringLiteral("/run");
    QDir(run).removeRecursively();
    const QString path = run + QStringLiteral("/input.tar");
    const QString dest = run + QStringLiteral("/dest");
    if (!fuzz::writeFile(path, bytes) || !QDir().mkpath(dest))
        return 0;
    const ImageArchive ia = openImageArchive(path);
    if (!ia.images.isEmpty()) {
        const ImageLayers layers = indexImageLayers(ia, 0, LayerIndexOptions {});
        bool all = !layers.layers.isEmpty();
        for (const auto &l : layers.layers)
            all = all && l;
        if (all) {
            const MergedTree tree = MergedTree::build(layers.layers, int(layers.layers.size()) - 1);
            extractNode(ia, 0, tree, tree.root(), dest, false);
            const QStringList beside = QDir(run).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System);
            if (beside != QStringList { QStringLiteral("dest"), QStringLiteral("input.tar") })
                std::abort();
        }
    }
    QDir(run).removeRecursively();
    return 0;
}
