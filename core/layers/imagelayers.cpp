// SPDX-License-Identifier: MIT
// Indexing the layers of the archive's images, each layer file once however many images use it,
// and the images' sizes; layerfiles.cpp reads files out of the layers indexed.
#include "layers/imagelayers.h"

#include <QHash>
#include <QSet>
#include <QThread>

#include "layers/indexcache.h"
#include "util/checkedsize.h"
#include "util/threadbudget.h"

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace lamina {

QHash<int, qint64> descriptorLimits(const ImageArchive &ia)
{
    // The largest size any descriptor gives a member: a member named by several descriptors is
    // only read past all of them.
    QHash<int, qint64> limits;
    for (const Image &img : ia.images)
        for (const ImageLayer &l : img.layers)
            if (l.member >= 0 && l.descriptorSize >= 0)
                limits[l.member] = std::max(limits.value(l.member, 0), l.descriptorSize);
    return limits;
}

namespace {

/// The index cache's key of the tree of image `image` as indexImageLayers() hands it out (with
/// the change list and folder totals): empty without a cache or when a layer has no key (no
/// file, or a member read by streaming).
QByteArray imageTreeKey(const ImageArchive &ia, int image, const IndexCache *cache)
{
    if (!cache || !ia.archive || image < 0 || image >= ia.images.size())
        return {};
    QList<QByteArray> keys;
    for (const ImageLayer &l : ia.images.at(image).layers) {
        const std::optional<QByteArray> key = l.member >= 0 ? cache->keyFor(*ia.archive, l.member) : std::nullopt;
        if (!key)
            return {};
        keys << *key;
    }
    return IndexCache::treeKey(keys, true, true);
}

ImageSizes sizesOf(const MergedTree::Layers &layers, const MergedTree &tree)
{
    ImageSizes sizes;
    for (int i = 0; i < layers.size(); ++i) {
        ImageSizes::Layer l;
        if (const auto &li = layers.at(i)) {
            l.storedSize = li->storedSize;
            l.uncompressedSize = li->uncompressedSize;
            l.fileCount = li->fileCount;
        }
        if (i < tree.stats().size()) {
            l.contribution = tree.stats().at(i).contribution;
            l.cumulative = tree.stats().at(i).cumulative;
        }
        sizes.layers.append(l);
    }
    sizes.wasted = wastedSpace(tree);
    return sizes;
}

/// What indexLayersOf's workers and the tree builder beside them share.
struct LayersOfImages
{
    using OnLayer = std::function<void(int, const std::shared_ptr<const LayerIndex> &)>;
    LayersOfImages(const ImageArchive &ia, const QList<int> &images, const LayerIndexOptions &options,
        const Progress &progress, const OnLayer &onLayer)
        : ia(ia)
        , ar(*ia.archive)
        , images(images)
        , options(options)
        , progress(progress)
        , onLayer(onLayer)
    {
    }

    const ImageArchive &ia;
    const Archive &ar;
    const QList<int> &images;
    const LayerIndexOptions &options;
    const Progress &progress;
    const OnLayer &onLayer;

    QList<ImageLayers> out;
    QHash<int, QList<std::pair<int, int>>> positions; // member → (slot in `out`, layer position)
    std::mutex lock;
    std::condition_variable arrival;
    QList<QList<bool>> arrived; // per slot and position: delivered (or never coming)
    bool indexingDone = false;
    qint64 total = 0, done = 0;
    QHash<int, qint64> limits;
    QList<int> overBudget; // slots whose tree would have gone past options.maxMergedEntries
    bool keepTrees = false; // the trees are wanted whole, not only their sizes
    QList<std::shared_ptr<const MergedTree>> trees; // per slot, when kept

    /// An index made before (knownByMember) that holds for this run: one hashed whole stands
    /// only where no descriptor says the member is shorter (read past that, its digests are not
    /// the descriptor's stream's).
    std::shared_ptr<const LayerIndex> knownIndex(int member) const
    {
        std::shared_ptr<const LayerIndex> known = member >= 0 ? options.knownByMember.value(member) : nullptr;
        if (known && !known->storedDigest.isEmpty() && limits.contains(member)
            && ar.member(member).size > limits.value(member))
            return nullptr;
        return known;
    }

    void plan()
    {
        // Hashing reads a blob to its end: never more than a byte past what a descriptor gives.
        if (options.computeDigests)
            limits = descriptorLimits(ia);
        out.resize(images.size());
        for (int slot = 0; slot < images.size(); ++slot) {
            const Image &img = ia.images.at(images.at(slot));
            out[slot].layers.resize(img.layers.size());
            for (const ImageLayer &l : img.layers) {
                if (const auto known = knownIndex(l.member)) {
                    out[slot].layers[l.index] = known;
                    for (const QString &p : known->problems)
                        out[slot].errors.append(
                            QStringLiteral("layer %1 (%2): %3").arg(l.index).arg(ar.member(l.member).path, p));
                } else if (const auto known = l.member >= 0 && !l.diffId.isEmpty()
                               ? options.knownByDiffId.value(l.diffId)
                               : std::shared_ptr<const LayerIndex>();
                           known && known->compression == l.compression
                           && known->storedSize == ar.member(l.member).size)
                    // The same stream stored alike: the index's offsets and sizes hold for this
                    // member too. Stored otherwise (another compression, a truncated copy), it is
                    // read on its own.
                    out[slot].layers[l.index] = known;
                else if (l.member >= 0)
                    positions[l.member].append({ slot, l.index });
                else
                    out[slot].errors.append(QStringLiteral("layer %1: %2")
                                                .arg(l.index)
                                                .arg(l.error.isEmpty() ? QStringLiteral("no file") : l.error));
            }
        }
        arrived.resize(images.size());
        for (int slot = 0; slot < images.size(); ++slot) {
            arrived[slot].fill(false, out.at(slot).layers.size());
            for (const ImageLayer &l : ia.images.at(images.at(slot)).layers)
                if ((l.member < 0 || out.at(slot).layers.value(l.index)) && l.index >= 0
                    && l.index < arrived.at(slot).size())
                    arrived[slot][l.index] = true;
        }
        for (auto it = positions.cbegin(); it != positions.cend(); ++it)
            total = addSizes(total, ar.member(it.key()).size);
    }

    LayerIndexResult index(int member, MemberReader &reader) const
    {
        const Compression compression = ar.compressionOf(member);
        const std::unique_ptr<StoredCopy> copy = options.storedCopyOf(member);
        if (!limits.contains(member))
            return indexLayerFromReader(reader, compression, options, progress, ar.member(member).size, copy.get());
        LimitedReader limited(reader, limits.value(member), ar.member(member).path);
        return indexLayerFromReader(limited, compression, options, progress, ar.member(member).size, copy.get());
    }

    void deliver(int member, const LayerIndexResult &r)
    {
        std::lock_guard<std::mutex> guard(lock);
        done = addSizes(done, ar.member(member).size);
        progress.update(done, total); // per layer: results arrive layer by layer
        arrival.notify_all();
        for (const auto &[slot, pos] : positions.value(member)) {
            ImageLayers &o = out[slot];
            if (!r.index) {
                arrived[slot][pos] = true;
                o.errors.append(QStringLiteral("layer %1 (%2): %3").arg(pos).arg(ar.member(member).path, r.error));
                continue;
            }
            o.layers[pos] = r.index;
            arrived[slot][pos] = true;
            for (const QString &p : r.index->problems)
                o.errors.append(QStringLiteral("layer %1 (%2): %3").arg(pos).arg(ar.member(member).path, p));
            if (onLayer)
                onLayer(pos, r.index);
        }
    }

    /// Each image's tree, built while the workers read: image by image (one tree in memory at a
    /// time), each layer applied as soon as it and those below it have arrived. Images with the
    /// same stack of layer files have the same tree, hence the same sizes: one tree per distinct
    /// stack (a thousand tags of one image build one).
    void mergeSizes(QList<ImageSizes> &sizes)
    {
        QHash<QList<int>, int> stacks; // members bottom to top → the first slot with them
        // Entries applied in all: distinct stacks still share their layers, and a thousand
        // images of a thousand layers would apply each entry a million times.
        qint64 applied = 0;
        for (int slot = 0; slot < images.size(); ++slot) {
            QList<int> stack;
            for (const ImageLayer &l : ia.images.at(images.at(slot)).layers)
                stack << l.member;
            if (const auto same = stacks.constFind(stack); same != stacks.cend()) {
                sizes[slot] = sizes.at(*same);
                continue;
            }
            const int count = int(out.at(slot).layers.size());
            // A tree the window built before of these very layer files is taken from the cache
            // (mapped, nothing rebuilt): reopening then waits for no tree at all.
            // Mapped and its checksum checked now, while the layers are still being loaded.
            const QByteArray cacheKey = keepTrees ? treeKeyOf(slot) : QByteArray();
            const std::optional<IndexCache::Stored> mapped
                = cacheKey.isEmpty() ? std::nullopt : options.cache->mapTree(cacheKey);
            const bool cached = mapped.has_value();
            std::optional<MergedTree::Incremental> tree;
            if (!cached)
                tree.emplace(count, keepTrees, keepTrees);
            MergedTree::Layers given;
            bool over = false;
            for (int pos = 0; pos < count && !over; ++pos) {
                std::shared_ptr<const LayerIndex> layer;
                {
                    std::unique_lock<std::mutex> guard(lock);
                    arrival.wait(guard, [&] { return indexingDone || arrived.at(slot).at(pos); });
                    layer = out.at(slot).layers.at(pos);
                }
                if (layer && applied + layer->size() > options.maxMergedEntries) {
                    over = true;
                    break;
                }
                applied += layer ? layer->size() : 0;
                given.append(layer);
                if (tree)
                    tree->add(layer);
            }
            if (over) {
                overBudget.append(slot);
                continue;
            }
            stacks.insert(stack, slot);
            std::shared_ptr<const MergedTree> merged
                = cached ? options.cache->treeFrom(cacheKey, *mapped, given) : nullptr;
            if (!merged) {
                if (!tree) { // refused: built after all
                    tree.emplace(count, keepTrees, keepTrees);
                    for (const auto &layer : std::as_const(given))
                        tree->add(layer);
                }
                merged = std::make_shared<const MergedTree>(tree->finish());
            }
            sizes[slot] = sizesOf(merged->layers(), *merged);
            if (keepTrees)
                trees[slot] = std::move(merged);
        }
    }

    QByteArray treeKeyOf(int slot) const { return imageTreeKey(ia, images.at(slot), options.cache.get()); }

    void indexSeekable(QList<int> members)
    {
        // Bottom first, in the order the tree built beside the workers applies the layers: taken
        // biggest first, layers of similar sizes arrive in no order, and the tree waits for its
        // next layer while the workers run ahead, then merges most of the image alone once they
        // are done (scale.tar, 200 layers of about 100 MB: the merging ran alone for the last 2 s
        // of 8). A layer far bigger than the typical one still goes first, so that it does not
        // start last and outlast the rest.
        QList<qint64> sizes;
        for (const int m : std::as_const(members))
            sizes << ar.member(m).size;
        std::sort(sizes.begin(), sizes.end());
        const qint64 typical = sizes.isEmpty() ? 0 : sizes.at(sizes.size() / 2);
        const auto big = [&](int member) { return ar.member(member).size > 2 * typical; };
        const auto firstUse = [&](int member) {
            const auto &uses = positions.value(member);
            return *std::min_element(uses.cbegin(), uses.cend());
        };
        std::sort(members.begin(), members.end(), [&](int a, int b) {
            if (big(a) != big(b))
                return big(a);
            if (big(a) && ar.member(a).size != ar.member(b).size)
                return ar.member(a).size > ar.member(b).size;
            return firstUse(a) < firstUse(b);
        });
        std::atomic<int> next { 0 };
        auto work = [&] {
            for (int i; (i = next++) < members.size();) {
                if (progress.cancelled())
                    return;
                // A member no larger than its descriptor says is read the same with or without
                // the limit: through indexLayer(), which also keeps and finds it in the cache.
                if (!limits.contains(members.at(i)) || ar.member(members.at(i)).size <= limits.value(members.at(i))) {
                    deliver(members.at(i), indexLayer(ar, members.at(i), options, progress));
                    continue;
                }
                QString error;
                std::unique_ptr<MemberReader> reader = ar.openMember(members.at(i), &error, progress.cancelOnly());
                LayerIndexResult r;
                if (reader)
                    r = index(members.at(i), *reader);
                else
                    r.error = error;
                deliver(members.at(i), r);
            }
        };
        runShared(std::min<int>(std::max(1, QThread::idealThreadCount()), int(members.size())), work);
    }

    void indexStreamed(const QList<int> &members)
    {
        QString error;
        const QSet<int> wanted(members.begin(), members.end());
        // One pass over the compressed archive: each layer is indexed as the stream reaches it
        // (indexLayer() would start a pass of its own).
        if (!ar.scanMembers(
                wanted,
                [&](int member, MemberReader &reader) {
                    deliver(member, index(member, reader));
                    return !progress.cancelled();
                },
                progress, &error))
            for (ImageLayers &o : out)
                o.errors.append(error);
    }

    /// What the layers alone tell of the images over budget; the figures of the tree are
    /// missing, and say why.
    void sizesWithoutTrees(QList<ImageSizes> &sizes) const
    {
        for (const int slot : std::as_const(overBudget)) {
            ImageSizes &s = sizes[slot];
            s = {};
            for (const auto &li : std::as_const(out.at(slot).layers)) {
                ImageSizes::Layer l;
                if (li) {
                    l.storedSize = li->storedSize;
                    l.uncompressedSize = li->uncompressedSize;
                    l.fileCount = li->fileCount;
                }
                s.layers.append(l);
            }
            s.error = QStringLiteral("sizes not computed: the images' merged trees would apply more than %1 layer "
                                     "entries in all%2")
                          .arg(options.maxMergedEntries)
                          .arg(limits::note("kMaxMergedEntriesTotal", options.maxMergedEntries));
        }
    }
};

/// Indexes the layers of `images` of the archive, each layer file once however many images or
/// positions use it.
QList<ImageLayers> indexLayersOf(const ImageArchive &ia, const QList<int> &images, const LayerIndexOptions &options,
    const Progress &progress, const std::function<void(int, const std::shared_ptr<const LayerIndex> &)> &onLayer,
    QList<ImageSizes> *sizes = nullptr, QList<std::shared_ptr<const MergedTree>> *trees = nullptr)
{
    if (!ia.archive)
        return QList<ImageLayers>(images.size());
    LayersOfImages run(ia, images, options, progress, onLayer);
    run.plan();
    // Layers indexed before are shown as the rest are: each as it comes.
    if (onLayer)
        for (const ImageLayers &o : std::as_const(run.out))
            for (int pos = 0; pos < o.layers.size(); ++pos)
                if (o.layers.at(pos))
                    onLayer(pos, o.layers.at(pos));
    run.keepTrees = sizes && trees;
    run.trees.resize(images.size());
    std::thread merger;
    if (sizes) {
        sizes->resize(images.size());
        merger = std::thread([&] { run.mergeSizes(*sizes); });
    }
    if (run.ar.seekable())
        run.indexSeekable(run.positions.keys());
    else
        run.indexStreamed(run.positions.keys());
    {
        std::lock_guard<std::mutex> guard(run.lock);
        run.indexingDone = true;
    }
    run.arrival.notify_all();
    if (merger.joinable())
        merger.join();
    if (sizes)
        run.sizesWithoutTrees(*sizes);
    for (ImageLayers &o : run.out)
        o.cancelled = progress.cancelled();
    if (trees)
        *trees = run.trees;
    return run.out;
}

} // namespace

ImageLayers indexImageLayers(const ImageArchive &ia, int image, const LayerIndexOptions &options,
    const Progress &progress, const std::function<void(int, const std::shared_ptr<const LayerIndex> &)> &onLayer,
    ImageSizes *sizes, std::shared_ptr<const MergedTree> *tree)
{
    if (image < 0 || image >= ia.images.size())
        return {};
    QList<ImageSizes> all;
    QList<std::shared_ptr<const MergedTree>> trees;
    ImageLayers out
        = indexLayersOf(ia, { image }, options, progress, onLayer, sizes ? &all : nullptr, tree ? &trees : nullptr)
              .constFirst();
    if (sizes)
        *sizes = all.value(0);
    if (tree)
        *tree = trees.value(0);
    return out;
}

void storeImageTree(const ImageArchive &ia, int image, const MergedTree &tree, const LayerIndexOptions &options)
{
    const QByteArray key = imageTreeKey(ia, image, options.cache.get());
    if (key.isEmpty() || options.cache->hasTree(key) || tree.topLayer() != ia.images.at(image).layers.size() - 1)
        return;
    for (int l = 0; l <= tree.topLayer(); ++l)
        if (!tree.layers().at(l))
            return; // a layer that could not be read: built again next time, as it may be read then
    options.cache->storeTree(key, tree);
}

std::optional<IndexCache::Stored> loadImageTreeExtra(
    const ImageArchive &ia, int image, const QString &name, const LayerIndexOptions &options)
{
    const QByteArray key = imageTreeKey(ia, image, options.cache.get());
    return key.isEmpty() ? std::nullopt : options.cache->loadExtra(key, name);
}

void storeImageTreeExtra(
    const ImageArchive &ia, int image, const QString &name, QByteArrayView bytes, const LayerIndexOptions &options)
{
    if (const QByteArray key = imageTreeKey(ia, image, options.cache.get()); !key.isEmpty())
        options.cache->storeExtra(key, name, bytes);
}

ImageSizes imageSizes(const ImageLayers &layers)
{
    return sizesOf(layers.layers, MergedTree::build(layers.layers, int(layers.layers.size()) - 1, false, false));
}

QList<ImageLayers> indexAllImageLayers(
    const ImageArchive &ia, const LayerIndexOptions &options, const Progress &progress, QList<ImageSizes> *sizes)
{
    QList<int> all;
    for (int i = 0; i < ia.images.size(); ++i)
        all << i;
    return indexLayersOf(ia, all, options, progress, {}, sizes);
}

} // namespace lamina
