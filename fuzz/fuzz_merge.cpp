// SPDX-License-Identifier: MIT
// Merging and whiteouts: the input is up to eight layer tars separated by "\n==layer==\n"; each is
// indexed, then the tree at every layer is built, compared with the one below, and every path
// resolved through the image's symlinks.
#include "fuzzsupport.h"

#include "layers/extract.h"
#include "layers/layerindex.h"
#include "layers/mergedtree.h"

using namespace lamina;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    MergedTree::Layers layers;
    if (!fuzz::indexSeparatedLayers(QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size)), &layers))
        return 0;
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
