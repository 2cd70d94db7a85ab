// SPDX-License-Identifier: MIT
#pragma once

#include "archive/archive.h"
#include "layers/layerindex.h"

#include <QHash>

#include <memory>

namespace lamina {

class StagedFiles;

/// Layers indexed in the pass that opens a tar compressed as a whole, which would otherwise need
/// a pass of their own (docs/layers.md, "One pass over an archive compressed as a whole"). Which
/// members are an image's layers is known only once its metadata is read, and `docker save` and
/// OCI layouts store that after the layers: every member whose first bytes are a tar header or a
/// compressed stream is indexed as the opening streams past it.
class StreamedLayers
{
public:
    /// `options` as the layers' indexing will use them (digests, stored copies); `progress` for
    /// its cancel only (the opening reports the bytes).
    explicit StreamedLayers(LayerIndexOptions options = {}, const Progress &progress = {});
    /// For openImageArchive(); refers to this object, which must outlive the opening.
    Archive::StreamTap tap();
    /// Digests (when the options ask for them) only of compressed layers: an export hashes a
    /// layer stored as it is while writing it.
    void hashCompressedOnly() { m_hashCompressedOnly = true; }
    /// Keeps the files `files` asks for as the layers are indexed (cat, extract); `files` must
    /// outlive the opening.
    void stage(StagedFiles *files) { m_staged = files; }
    /// The members indexed, for LayerIndexOptions::knownByMember: indexImageLayers() and
    /// indexAllImageLayers() read none of those again.
    const QHash<int, std::shared_ptr<const LayerIndex>> &indexed() const { return m_indexed; }
    /// Members indexed while opening.
    int count() const { return int(m_indexed.size()); }

private:
    void index(const Member &member, MemberReader &data);

    LayerIndexOptions m_options;
    Progress m_progress;
    QHash<int, std::shared_ptr<const LayerIndex>> m_indexed;
    qint64 m_entries = 0;
    bool m_hashCompressedOnly = false;
    StagedFiles *m_staged = nullptr;
};

} // namespace lamina
