// SPDX-License-Identifier: MIT
#pragma once

#include "archive/archive.h"
#include "util/progress.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

#include <functional>
#include <limits>
#include <memory>

namespace lamina {

enum class EntryType : quint8 { File, Directory, Symlink, Hardlink, CharDevice, BlockDevice, Fifo, Whiteout };
QString entryTypeName(EntryType t);

/// One entry of a layer tar, packed (56 bytes): no QObject, no per-entry allocation. The name
/// and link target live in the layer's string pool.
struct LayerEntry
{
    enum Flag : quint8 {
        Implicit = 1, ///< a folder the tar never lists, implied by a deeper path
        Opaque = 2, ///< the folder holds `.wh..wh..opq`: lower layers' children are hidden
        HasXattrs = 4,
        Shadowed = 8, ///< stored again later in the same layer; the later copy counts
    };
    qint32 parent = -1; ///< entry index of the folder holding it, -1 for the root
    quint32 nameOffset = 0;
    quint32 linkOffset = 0;
    quint16 nameLength = 0;
    quint16 linkLength = 0; ///< at most kMaxPathLength
    quint16 mode = 0; ///< permission bits (07777)
    EntryType type = EntryType::File;
    quint8 flags = 0;
    quint32 uid = 0;
    quint32 gid = 0;
    qint32 header = -1; ///< position among the layer's tar headers, -1 for implicit folders
    qint64 size = 0; ///< bytes of a regular file (0 for links, folders, whiteouts)
    qint64 mtime = 0;
    qint64 dataOffset = -1; ///< where the file's bytes start in the uncompressed layer stream
};
static_assert(sizeof(LayerEntry) == 56, "keep layer entries packed");

/// Every entry of one layer tar, indexed once. Immutable after indexLayer(); share freely
/// between threads. Whiteouts are entries of type Whiteout named after what they hide (the
/// `.wh.` prefix removed); an opaque whiteout is the Opaque flag on its folder. Other AUFS
/// `.wh..wh.*` entries are skipped. Paths are normalised: no leading "/" or "./".
class LayerIndex
{
public:
    int size() const { return int(m_entries.size()); }
    const LayerEntry &entry(int i) const { return m_entries.at(i); }
    QByteArray name(int i) const;
    QByteArrayView nameView(int i) const
    {
        const LayerEntry &e = m_entries.at(i);
        return QByteArrayView(m_pool.constData() + e.nameOffset, e.nameLength);
    }
    QByteArray linkTarget(int i) const;
    QByteArray path(int i) const;
    /// Extended attributes (PAX SCHILY.xattr.* records) of an entry with the HasXattrs flag.
    QList<std::pair<QByteArray, QByteArray>> xattrs(int i) const { return m_xattrs.value(i); }
    /// Children of a folder entry (-1: the root), sorted by name.
    QList<int> children(int folder) const;
    /// The entry at a normalised path, or -1.
    int find(QByteArrayView path) const;
    /// The entry of this layer that hard link `link` names: the copy of its target stored last
    /// before the link (what a loader applying the layer in order links to, even if the path is
    /// stored again later), else the copy stored after it (a link to a later member); -1 when
    /// this layer does not hold the target (the link names a lower layer's file).
    int linkSource(int link) const;

    qint64 storedSize = 0; ///< bytes of the layer blob
    qint64 uncompressedSize = 0; ///< bytes of the uncompressed tar stream (when read through)
    Compression compression = Compression::Unknown;
    QString storedDigest; ///< sha256 of the blob (when digests were computed)
    QString diffId; ///< sha256 of the uncompressed stream (when digests were computed)
    int fileCount = 0; ///< regular files
    qint64 fileBytes = 0; ///< their sizes added up
    int whiteoutCount = 0;
    QStringList problems; ///< unsafe or duplicate paths, unreadable parts, each naming the entry
    /// Contents a loader refuses or reads another way (docs/findings.md, the `layer-*` codes).
    struct Issue
    {
        QString code; ///< layer-duplicate-path, layer-hardlink-invalid, layer-whiteout-invalid, layer-damaged
        bool refused
            = false; ///< a current loader refuses the layer (an error), else it reads it differently (a warning)
        QString message; ///< names the entry, and says which bytes Lamina shows
        /// The header at which a loader unpacking in order meets it (the end for damage).
        int header = std::numeric_limits<int>::max();
    };
    QList<Issue> issues;
    bool complete = false; ///< read to the end without error

    /// Bytes held (entries, string pool, child table, on the heap or mapped from the index
    /// cache), for the memory budget.
    qint64 memoryBytes() const;

    // Filled by the indexer.
    QList<LayerEntry> m_entries;
    QByteArray m_pool;
    QList<qint32>
        m_childStart; ///< size()+2: children of entry i at [start[i+1], start[i+2]); root at [start[0], start[1])
    QList<qint32> m_children;
    QHash<qint32, QList<std::pair<QByteArray, QByteArray>>> m_xattrs; ///< only the few entries that have any
    /// An index read from the cache: the cache file's bytes (mapped) that the lists above point
    /// into; they own nothing then, and a copy of the index shares these bytes.
    std::shared_ptr<const void> m_backing;
    qint64 m_backingBytes = 0;
};

/// Where a layer's stored bytes are written while it is indexed: an export copying a blob as it
/// is, in the same read that indexes and hashes it (docs/compose.md, "One read of each base blob").
class StoredCopy
{
public:
    virtual ~StoredCopy() = default;
    /// The stored stream's next bytes, in order. A copy that cannot write them keeps why and
    /// ignores the rest.
    virtual void add(const char *data, qint64 size) = 0;
    /// Called once: `whole` when every stored byte passed through add(), the stream read to its
    /// end and no read failed. A copy that is not whole is of no use.
    virtual void finish(bool whole) = 0;
};

class IndexCache;
class FileCapture;
/// IndexCache::processDefault() (layers/indexcache.h), where this header cannot include it.
std::shared_ptr<const IndexCache> defaultIndexCache();

struct LayerIndexOptions
{
    /// Where indexes are kept between runs (layers/indexcache.h): the process's, set by the
    /// application; null (no cache) in the library's own use and in tests unless they set one.
    std::shared_ptr<const IndexCache> cache = defaultIndexCache();
    bool computeDigests = false; ///< hash the blob and the uncompressed stream in the same pass
    /// Layer entries applied in all when the images' sizes are computed.
    qint64 maxMergedEntries = limits::kMaxMergedEntriesTotal;
    /// Layers indexed already (another image's), by diff ID: an image layer whose config names
    /// one of these diff IDs, stored with the same compression and size, takes that index instead
    /// of being read. The diff ID is trusted, as a comparison trusts it (docs/compare.md).
    QHash<QString, std::shared_ptr<const LayerIndex>> knownByDiffId;
    /// Layers indexed already, by member: taken instead of reading the member again (a window
    /// verifying the archive whose shown image it indexed). Made without digests, they leave
    /// the hashing to verifyFromIndexes.
    QHash<int, std::shared_ptr<const LayerIndex>> knownByMember;
    /// Asked for each layer member as it is read (from any thread): a copy to write its stored
    /// bytes to, or null. A member whose index comes from the cache is not read, and gets none.
    std::function<std::unique_ptr<StoredCopy>(int member)> copyStored;

    /// What copyStored gives for `member`; null when no copy is asked for.
    std::unique_ptr<StoredCopy> storedCopyOf(int member) const { return copyStored ? copyStored(member) : nullptr; }
    /// Adds layers indexed while the archive was opened (layers/streamedlayers.h) to
    /// knownByMember: with computeDigests, only those hashed then; the others are read again for
    /// their digests.
    void takeOpened(const QHash<int, std::shared_ptr<const LayerIndex>> &opened)
    {
        for (auto it = opened.cbegin(); it != opened.cend(); ++it)
            if (!computeDigests || !it.value()->diffId.isEmpty())
                knownByMember.insert(it.key(), it.value());
    }
};

struct LayerIndexResult
{
    std::shared_ptr<const LayerIndex> index;
    QString error;
};

/// Reads one layer member's tar headers. An uncompressed layer in a seekable archive is read by
/// seeking past file data unless digests are asked for; a compressed one is decompressed once.
LayerIndexResult indexLayer(
    const Archive &archive, int member, const LayerIndexOptions &options = {}, const Progress &progress = {});
/// The same from a reader already positioned at the layer's first byte.
/// With `copy`, every stored byte read is handed to it too, and the stream is read to its end.
/// With `capture`, the regular files it asks for are written to it as they pass.
LayerIndexResult indexLayerFromReader(MemberReader &reader, Compression compression, const LayerIndexOptions &options,
    const Progress &progress, qint64 storedSize, StoredCopy *copy = nullptr, FileCapture *capture = nullptr);

} // namespace lamina
