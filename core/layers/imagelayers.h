// SPDX-License-Identifier: MIT
#pragma once

#include "format/imagearchive.h"
#include "layers/indexcache.h"
#include "layers/mergedtree.h"

#include <functional>

namespace lamina {

struct ImageLayers
{
    MergedTree::Layers layers; ///< one per image layer, bottom to top; null where unreadable
    QStringList errors; ///< "layer N (member): reason"
    bool cancelled = false;
};

struct ImageSizes;
class StagedFiles;

/// Indexes every layer of image `image`: in parallel on all cores when the archive is seekable,
/// in one streaming pass otherwise; a file used by several positions is read once. `onLayer` is
/// called from the worker threads as each layer is done (layers arrive in any order). With
/// `sizes`, imageSizes() too, computed while the layers are read (see indexAllImageLayers). With
/// `tree` as well, the merged tree those sizes were computed on, kept whole (the change list and
/// folder totals too, as MergedTree::build() makes it): one who shows the image's files next
/// need not build it a second time. Null when the sizes were not computed on a tree. A tree
/// stored in the index cache for these layer files (storeImageTree) is taken from there.
ImageLayers indexImageLayers(const ImageArchive &ia, int image, const LayerIndexOptions &options = {},
    const Progress &progress = {},
    const std::function<void(int layer, const std::shared_ptr<const LayerIndex> &)> &onLayer = {},
    ImageSizes *sizes = nullptr, std::shared_ptr<const MergedTree> *tree = nullptr);
/// Keeps `tree`, the tree indexImageLayers() handed out for image `image`, in `options.cache` for
/// the next time: when every layer of the image is a file the cache can name, and the tree is
/// not there already. Writes tens of megabytes for a million entries: for when nothing waits.
void storeImageTree(const ImageArchive &ia, int image, const MergedTree &tree, const LayerIndexOptions &options = {});
/// Bytes kept in `options.cache` beside that tree under `name` (IndexCache::loadExtra): nothing
/// without a cache, when a layer has no key, or when none are kept.
std::optional<IndexCache::Stored> loadImageTreeExtra(
    const ImageArchive &ia, int image, const QString &name, const LayerIndexOptions &options = {});
/// Keeps bytes beside the tree of image `image`, worked out from that tree, for the next time.
void storeImageTreeExtra(const ImageArchive &ia, int image, const QString &name, QByteArrayView bytes,
    const LayerIndexOptions &options = {});

/// Sizes of an image's layers once indexed (docs/layers.md defines each figure).
struct ImageSizes
{
    struct Layer
    {
        qint64 storedSize = -1; ///< bytes of the layer blob
        qint64 uncompressedSize = -1; ///< bytes of the uncompressed tar stream
        qint64 contribution = 0; ///< visible file bytes it adds net (negative when it deletes more)
        qint64 cumulative = 0; ///< visible file bytes after it
        int fileCount = 0; ///< regular files it holds
    };
    QList<Layer> layers;
    WastedSpace wasted;
    /// Why the figures of the merged tree (contribution, cumulative, waste) are missing: "" when
    /// they were computed.
    QString error;
};
ImageSizes imageSizes(const ImageLayers &layers);

/// indexImageLayers for every image of the archive at once: a layer file shared by several images
/// is read once. With `sizes`, each image's imageSizes() too, computed while the layers are
/// read: a thread applies each image's layers in order as they arrive, so that merging overlaps
/// the reading instead of following it.
QList<ImageLayers> indexAllImageLayers(const ImageArchive &ia, const LayerIndexOptions &options = {},
    const Progress &progress = {}, QList<ImageSizes> *sizes = nullptr);

/// For each member some OCI descriptor gives a size, the largest size given: what verification
/// and indexing with digests read at most (plus one byte, to see that the blob is longer).
QHash<int, qint64> descriptorLimits(const ImageArchive &ia);

/// Size of the file entry `entry` of layer `layer` (hardlinks followed), or -1 with `error`.
qint64 layerFileSize(const MergedTree::Layers &layers, int layer, int entry, QString *error);

/// Streams the bytes of entry `entry` of layer `layer` (hardlinks followed as readLayerFile does)
/// to `sink` in chunks of at most 1 MiB; `sink` returns false to stop. Returns "" on success,
/// else why the bytes could not all be read (truncation, a decompression bomb, no such entry).
/// The holes of a sparse file go to `hole` (their length, in file order between the data), or,
/// without it, to `sink` as zeros.
/// A file kept in `staged` while the archive was opened is read from there.
QString copyLayerFile(const ImageArchive &ia, int image, const MergedTree::Layers &layers, int layer, int entry,
    const std::function<bool(const char *data, qint64 size)> &sink, const std::function<bool(qint64 length)> &hole = {},
    const StagedFiles *staged = nullptr);

/// Follows hard links to the regular-file entries holding the bytes, as copyLayerFile does (within
/// the link's layer, then in the tree below it). The tree below a layer is built once and kept
/// while links of that layer are resolved: resolving links grouped by layer builds one tree per
/// layer that links downwards, however many links there are.
class FileResolver
{
public:
    explicit FileResolver(const MergedTree::Layers &layers)
        : m_layers(layers)
    {
    }
    /// The (layer, entry) of the file; false with `error` when there is none.
    bool resolve(int *layer, int *entry, QString *error);

private:
    const MergedTree::Layers &m_layers;
    int m_belowOf = -1; ///< the layer whose lower tree m_below is
    std::shared_ptr<const MergedTree> m_below;
};

/// What copyLayerFiles does with each file it reaches.
enum class FileStart { Copy, Skip, Stop };
struct FileCopy
{
    /// Called as file `i` is reached in its layer's stream: Copy hands its bytes to `sink` and
    /// `hole`, then calls `end`; Skip passes over it; Stop ends the whole copy.
    std::function<FileStart(int i)> begin;
    std::function<bool(const char *data, qint64 size)> sink;
    std::function<bool(qint64 length)> hole;
    /// `error` is "" when every byte came; returns false to stop the whole copy.
    std::function<bool(int i, const QString &error)> end;
};

/// Copies many regular-file entries of image `image`: `files` are (layer, entry) pairs as
/// FileResolver gives them, each at most once. Each layer stream is read once, in order (an
/// uncompressed layer of a seekable archive by seeking forward), and an archive that cannot
/// seek is read once in all: extracting a folder costs one pass, not one per file. Returns ""
/// when every file was handed out, else the first error (also given to `end`).
QString copyLayerFiles(const ImageArchive &ia, int image, const MergedTree::Layers &layers,
    const QList<std::pair<int, int>> &files, const FileCopy &copy);

struct FileRead
{
    QByteArray data;
    QString error;
    bool ok() const { return error.isEmpty(); }
};

/// The bytes of entry `entry` of layer `layer` (hardlinks followed within the layer, then in the
/// tree below). Seeks in an uncompressed layer of a seekable archive; streams otherwise.
FileRead readLayerFile(const ImageArchive &ia, int image, const MergedTree::Layers &layers, int layer, int entry,
    qint64 maxBytes = 256ll << 20);

} // namespace lamina
