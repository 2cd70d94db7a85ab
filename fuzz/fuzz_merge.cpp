// SPDX-License-Identifier: MIT
// Merging and whiteouts: the input is up to eight layer tars separated by kSeparator; each is
// indexed, then the tree at every layer is built, compared with the one below, and every path
// resolved through the image's symlinks.
#include "fuzzsupport.h"

#include "layers/extract.h"
#include "layers/layerindex.h"
#include "layers/mergedtree.h"

using namespace lamina;

static constexpr QByteArrayView kSeparator("\n==layer==\n");

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView all(reinterpret_cast<const char *>(data), qsizetype(size));
    MergedTree::Layers layers;
    qsizetype from = 0;
    while (layers.size() < 8 && from <= all.size()) {
        qsizetype end = all.indexOf(kSeparator, from);
        if (end < 0)
            end = all.size();
        QByteArray part = all.sliced(from, end - from).toByteArray();
        from = end + kSeparator.size();
        const Compression compression = sniffCompression(part);
        if (compression == Compression::None)
            fuzz::fixTarChecksums(part);
        fuzz::BufferReader reader(part);
        const LayerIndexResult r = indexLayerFromReader(reader, compression, {}, {}, part.size());
        if (!r.index)
            return 0;
        layers.append(r.index);
    }
    for (int upto = 0; upto < layers.size(); ++upto) {
        const MergedTree tree = MergedTree::build(layers, upto);
        tree.changes();
        tree.stats();
        for (int n = 0; n < std::min(tree.nodeCount(), 512); ++n) {
            tree.children(n, upto);
            tree.treeBytes(n);
            const QByteArray p = tree.path(n);
            if (tree.find(p) < 0 && n != 0 && !tree.node(n).removed)
                __builtin_trap(); // a live node must be found under its own path
            QString error;
            resolveInTree(tree, p, true, &error);
        }
        wastedSpace(tree);
        netChanges(layers, 0, upto);
        netChanges(layers, upto, int(layers.size()) - 1);
    }
    return 0;
}
