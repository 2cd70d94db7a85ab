// SPDX-License-Identifier: MIT
// Outer archive indexing and everything opening an archive does: the tar (or compressed tar) is
// indexed, its three views read and joined, checked, reported, and the first image's layers
// indexed and merged, as `lamina check --verify` and the window do (a tar compressed as a whole
// with its layers indexed in the pass that opens it).
#include "fuzzsupport.h"

#include "check/checks.h"
#include "format/imagearchive.h"
#include "format/inspectreport.h"
#include "layers/imagelayers.h"
#include "layers/streamedlayers.h"

#include <QFile>

using namespace lamina;

static lamina::LayerIndexOptions withDigests()
{
    lamina::LayerIndexOptions o;
    o.computeDigests = true;
    return o;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    if (sniffCompression(bytes) == Compression::None)
        fuzz::fixTarChecksums(bytes);
    const QString path = fuzz::scratch() + QStringLiteral("/input.tar");
    if (!fuzz::writeFile(path, bytes))
        return 0;
    StreamedLayers streamed(withDigests());
    const ImageArchive ia = openImageArchive(path, {}, {}, streamed.tap());
    checkArchive(ia);
    inspectJson(ia);
    inspectText(ia);
    if (!ia.images.isEmpty()) {
        LayerIndexOptions options = withDigests();
        options.knownByMember = streamed.indexed();
        const ImageLayers layers = indexImageLayers(ia, 0, options);
        bool all = !layers.layers.isEmpty();
        for (const auto &l : layers.layers)
            all = all && l;
        if (all) {
            const MergedTree tree = MergedTree::build(layers.layers, int(layers.layers.size()) - 1);
            imageSizes(layers);
            for (int n = 1; n < std::min(tree.nodeCount(), 64); ++n)
                readLayerFile(ia, 0, layers.layers, tree.node(n).layer, tree.node(n).entry, 1 << 20);
        }
    }
    QFile::remove(path);
    return 0;
}
