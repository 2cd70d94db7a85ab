// SPDX-License-Identifier: MIT
#pragma once

#include "layers/layerindex.h"
#include "layers/mergedtree.h"
#include "util/buildidentity.h"

#include <QByteArray>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

class QIODevice;

namespace lamina {

/// Layer indexes kept on disk between runs (docs/layers.md, "The index cache"), so that opening
/// an archive again does not read its layers again; and the merged trees the window built of them,
/// so that it does not build them again. One file per layer, named by a key made of
/// the file that holds the layer's bytes (device, inode, size, modification time to the
/// nanosecond), where in it they are and how many, and a digest of the archive's member table:
/// a file changed in any of these ways is never served stale; and the program's build, so that
/// no other version's work is served. A cache file is checked before
/// use (its own digest, then every offset and count of the index it holds) and a file that
/// fails is deleted and the layer read again. The folder is kept under a size bound, the least
/// recently used files going first. Thread-safe; errors only ever make a miss.
class IndexCache
{
public:
    /// A cache in `folder` (created when first written), holding at most `maxBytes`. Its keys
    /// name `build` too, the program that indexes (util/buildidentity.h): what another build
    /// stored is never found, since its indexing or merging may differ.
    IndexCache(QString folder, qint64 maxBytes, QByteArray build = buildIdentity());

    /// The cache the application's commands and window use: $XDG_CACHE_HOME/lamina/index
    /// (~/.cache/lamina/index), bounded by LAMINA_INDEX_CACHE_MB (default 2048; 0 turns it off).
    /// Null until setProcessDefault(); core never sets it itself, so library users and tests
    /// get no cache unless they ask.
    static std::shared_ptr<const IndexCache> processDefault();
    static void setProcessDefault(std::shared_ptr<const IndexCache> cache);
    /// The default folder and bound from the environment; null when the bound is 0.
    static std::shared_ptr<IndexCache> fromEnvironment();

    /// The key of layer member `member`: nothing when its bytes are not at a place a key can
    /// name (a member of a compressed archive, read by streaming).
    std::optional<QByteArray> keyFor(const Archive &archive, int member) const;
    /// The index stored under `key`, or null: none, unusable (then removed), or without the
    /// digests when `needDigests`. A hit marks the file as used.
    std::shared_ptr<const LayerIndex> load(const QByteArray &key, bool needDigests) const;
    /// Stores a complete index under `key` (written beside and renamed, then the folder trimmed
    /// to its bound). Incomplete indexes are not stored.
    void store(const QByteArray &key, const LayerIndex &index) const;

    /// The key of the merged tree of the layers whose keys are `layerKeys`, bottom first, built
    /// with these flags (MergedTree::build's).
    static QByteArray treeKey(const QList<QByteArray> &layerKeys, bool recordChanges, bool folderTotals);
    /// True when a tree is stored under `key` (which may still prove unusable).
    bool hasTree(const QByteArray &key) const;
    /// The tree stored under `key`, over `layers` (the indexes of the layers its key names), or
    /// null: none, or unusable (then removed). It points into the mapped file, as indexes do.
    std::shared_ptr<const MergedTree> loadTree(const QByteArray &key, const MergedTree::Layers &layers) const;
    /// A cache file's payload, checked against its header, and what keeps it mapped.
    struct Stored
    {
        QByteArrayView bytes;
        std::shared_ptr<const void> backing;
    };
    /// loadTree() in two steps, the first of which needs no layer: the tree's file mapped and its
    /// checksum checked (while the layers are still being loaded), then the tree made of it.
    std::optional<Stored> mapTree(const QByteArray &key) const;
    std::shared_ptr<const MergedTree> treeFrom(
        const QByteArray &key, const Stored &mapped, const MergedTree::Layers &layers) const;
    /// Stores a tree under `key`, as store() does an index.
    void storeTree(const QByteArray &key, const MergedTree &tree) const;

    /// Bytes kept beside a tree, under the tree's key and a name of lower-case letters, digits and
    /// '-' (what a user of the tree worked out from it, such as the rows a view shows first).
    /// Checked as a tree file is (format, key, checksum); what they mean is for the one who
    /// stored them to check.
    std::optional<Stored> loadExtra(const QByteArray &treeKey, const QString &name) const;
    /// Stores bytes beside a tree (not again when there already), as store() does an index.
    void storeExtra(const QByteArray &treeKey, const QString &name, QByteArrayView bytes) const;

    QString folder() const { return m_folder; }
    qint64 maxBytes() const { return m_maxBytes; }

    /// What this cache did, for tests and the bench.
    struct Stats
    {
        std::atomic<qint64> hits { 0 };
        std::atomic<qint64> misses { 0 };
        std::atomic<qint64> rejected { 0 }; ///< files found unusable and removed
        std::atomic<qint64> stored { 0 };
        std::atomic<qint64> evicted { 0 };
        std::atomic<qint64> treeHits { 0 };
        std::atomic<qint64> treesRejected { 0 };
        std::atomic<qint64> treesStored { 0 };
        std::atomic<qint64> extraHits { 0 };
        std::atomic<qint64> extrasStored { 0 };
        std::atomic<qint64> listings { 0 }; ///< walks over the folder to total its files
    };
    Stats &stats() const { return m_stats; }

    /// The index as a cache file's bytes, and back (null when the bytes are not a sound index):
    /// exposed for the tests that damage them.
    static QByteArray serialize(const QByteArray &key, const LayerIndex &index);
    static std::shared_ptr<const LayerIndex> deserialize(const QByteArray &key, const QByteArray &bytes);
    /// The index a file's payload holds (what follows its header and digest), checked as
    /// deserialize() checks it: for the fuzz target, which cannot forge the digest.
    static std::shared_ptr<const LayerIndex> fromPayload(QByteArrayView payload);

private:
    QString pathOf(const QByteArray &key, QStringView suffix = u".idx") const;
    /// Writes a file through `fill` beside `path` and renames it there, then trims the folder.
    bool write(const QString &path, const std::function<bool(QIODevice &)> &fill) const;
    /// Counts a file of `bytes` just stored, and trims the folder when it may be over its bound.
    void account(qint64 bytes) const;
    /// Lists the folder, removes the least recently used files while it is over its bound, and
    /// returns the bytes left.
    qint64 trim() const;
    QString m_folder;
    qint64 m_maxBytes;
    QByteArray m_build;
    mutable Stats m_stats;
    mutable std::mutex m_sizeLock;
    /// The folder's bytes when last listed, plus what this cache stored since; -1 until listed.
    mutable qint64 m_knownBytes = -1;
    mutable qint64 m_storedSinceListing = 0;
};

} // namespace lamina
