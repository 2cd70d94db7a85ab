// SPDX-License-Identifier: MIT
// The index cache's tree files (MergedTree::fromCachePayload): as someone able to write the cache
// folder could craft them (the checksum in the header is theirs to compute). The input is up to
// eight layer tars separated by "\n==layer==\n", then optionally "\n==edits==\n" and 8-byte edits
// (a 32-bit offset, then a 32-bit value written there). The layers are indexed and merged, the
// tree's own payload is made and edited, and what is read back, when accepted, is walked as the
// window walks a tree: every path and lookup, children, links, sizes, changes, wasted space.
#include "fuzzsupport.h"

#include "layers/layerindex.h"
#include "layers/mergedtree.h"

#include <cstring>

using namespace lamina;

static constexpr QByteArrayView kEdits("\n==edits==\n");

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QByteArrayView all(reinterpret_cast<const char *>(data), qsizetype(size));
    QByteArrayView edits;
    if (const qsizetype at = all.indexOf(kEdits); at >= 0) {
        edits = all.sliced(at + kEdits.size());
        all = all.first(at);
    }
    MergedTree::Layers layers;
    if (!fuzz::indexSeparatedLayers(all, &layers))
        return 0;
    QByteArray payload = MergedTree::build(layers, int(layers.size()) - 1).cachePayload();
    if (payload.isEmpty())
        return 0;
    for (qsizetype at = 0; at + 8 <= edits.size(); at += 8) {
        quint32 offset = 0, value = 0;
        std::memcpy(&offset, edits.constData() + at, 4);
        std::memcpy(&value, edits.constData() + at + 4, 4);
        const qsizetype to = qsizetype(offset % quint32(payload.size()));
        std::memcpy(payload.data() + to, &value, size_t(std::min<qsizetype>(4, payload.size() - to)));
    }
    // Both ways a payload is read: copied, and in place in bytes kept alive.
    const auto kept = std::make_shared<QByteArray>(payload);
    for (const auto &tree :
        { MergedTree::fromCachePayload(payload, layers), MergedTree::fromCachePayload(*kept, layers, kept) }) {
        if (!tree)
            continue;
        for (int n = 0; n < std::min(tree->nodeCount(), 4096); ++n) {
            const QByteArray p = tree->path(n);
            tree->find(p);
            tree->children(n, tree->topLayer());
            tree->treeBytes(n);
            tree->linkTarget(n);
            tree->linkPeer(n);
            tree->contentOf(n);
            if (n > 0)
                tree->entry(n);
        }
        for (const MergedTree::ChangeRecord &c : tree->changes())
            tree->find(c.path);
        tree->stats();
        wastedSpace(*tree);
    }
    return 0;
}
