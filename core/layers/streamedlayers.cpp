// SPDX-License-Identifier: MIT
#include "layers/streamedlayers.h"

#include "layers/stagedfiles.h"

#include "util/checkedsize.h"

namespace lamina {

StreamedLayers::StreamedLayers(LayerIndexOptions options, const Progress &progress)
    : m_options(std::move(options))
    , m_progress(progress.cancelOnly())
{
}

Archive::StreamTap StreamedLayers::tap()
{
    return [this](const Member &member, MemberReader &data) { index(member, data); };
}

void StreamedLayers::index(const Member &member, MemberReader &data)
{
    // A layer is a tar, stored as it is or compressed; configs, manifests and anything else are
    // not read here (a member that is not a layer after all is read, then forgotten).
    const Compression compression = sniffCompression(member.head);
    if (compression == Compression::Unknown || m_progress.cancelled())
        return;
    // The entries of members no image may use are held until the archive's metadata is read:
    // no more of them than the images' trees may apply in all. The rest are read, when they are
    // layers, in a pass of their own.
    if (m_entries >= m_options.maxMergedEntries)
        return;
    LayerIndexOptions options = m_options;
    if (m_hashCompressedOnly && compression == Compression::None)
        options.computeDigests = false;
    const std::unique_ptr<StoredCopy> copy = m_options.storedCopyOf(member.ordinal);
    const std::unique_ptr<FileCapture> capture = m_staged ? m_staged->captureOf(member.ordinal) : nullptr;
    const LayerIndexResult r
        = indexLayerFromReader(data, compression, options, m_progress, member.size, copy.get(), capture.get());
    if (!r.index)
        return;
    m_entries = addSizes(m_entries, r.index->size());
    m_indexed.insert(member.ordinal, r.index);
}

} // namespace lamina
