// SPDX-License-Identifier: MIT
// Layer indexing: a layer blob (tar, or gzip/zstd/xz/bzip2 of one) as it would come out of an
// archive, indexed with digests, then walked and merged alone.
#include "fuzzsupport.h"

#include "layers/extract.h"
#include "layers/layerindex.h"
#include "layers/mergedtree.h"

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
    const Compression compression = sniffCompression(bytes);
    if (compression == Compression::None)
        fuzz::fixTarChecksums(bytes);
    fuzz::BufferReader reader(bytes);
    const LayerIndexResult r = indexLayerFromReader(reader, compression, withDigests(), {}, bytes.size());
    if (!r.index)
        return 0;
    const LayerIndex &index = *r.index;
    for (int i = 0; i < index.size(); ++i) {
        const QByteArray p = index.path(i);
        index.find(p);
        index.children(i);
        index.linkTarget(i);
        index.xattrs(i);
    }
    index.children(-1);
    index.memoryBytes();
    const MergedTree tree = MergedTree::build({ r.index }, 0);
    wastedSpace(tree);
    QString error;
    for (int n = 1; n < std::min(tree.nodeCount(), 256); ++n)
        resolveInTree(tree, tree.path(n), true, &error);
    return 0;
}
