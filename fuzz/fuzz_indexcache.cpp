// SPDX-License-Identifier: MIT
// The index cache's reader (layers/indexcache.h): a cache file's payload, as someone able to
// write the cache folder could craft it (the digest in the header is theirs to compute), checked
// and, when accepted, walked as the views walk an index: every path (parent chains), every
// folder's children, every lookup by path.
#include "fuzzsupport.h"

#include "layers/indexcache.h"

using namespace lamina;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const std::shared_ptr<const LayerIndex> index
        = IndexCache::fromPayload(QByteArrayView(reinterpret_cast<const char *>(data), qsizetype(size)));
    if (!index)
        return 0;
    for (int i = 0; i < index->size(); ++i) {
        const QByteArray p = index->path(i);
        index->find(p);
        index->children(i);
        index->linkTarget(i);
        index->xattrs(i);
        index->linkSource(i);
    }
    index->children(-1);
    index->memoryBytes();
    return 0;
}
