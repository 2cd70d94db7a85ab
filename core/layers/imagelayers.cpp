// SPDX-License-Identifier: MIT
#include "layers/imagelayers.h"

#include <QHash>
#include <QSet>
#include <QThread>

#include "archive/libarchive_p.h"

#include <archive.h>
#include <archive_entry.h>

#include <mutex>
#include <thread>

namespace lamina {

namespace {

/// Indexes the layers of `images` of the archive, each layer file once however many images or
/// positions use it.
QList<ImageLayers> indexLayersOf(const ImageArchive &ia, const QList<int> &images, const LayerIndexOptions &options, const Progress &progress,
                                 const std::function<void(int, const std::shared_ptr<const LayerIndex> &)> &onLayer)
{
    QList<ImageLayers> out(images.size());
    if (!ia.archive)
        return out;
    const Archive &ar = *ia.archive;
    QHash<int, QList<std::pair<int, int>>> positions; // member → (slot in `out`, layer position)
    for (int slot = 0; slot < images.size(); ++slot) {
        const Image &img = ia.images.at(images.at(slot));
        out[slot].layers.resize(img.layers.size());
        for (const ImageLayer &l : img.layers) {
            if (l.member >= 0)
                positions[l.member].append({slot, l.index});
            else
                out[slot].errors.append(QStringLiteral("layer %1: %2").arg(l.index).arg(l.error.isEmpty() ? QStringLiteral("no file") : l.error));
        }
    }
    std::mutex lock;
    qint64 total = 0, done = 0;
    for (auto it = positions.cbegin(); it != positions.cend(); ++it)
        total += ar.member(it.key()).size;
    auto deliver = [&](int member, const LayerIndexResult &r) {
        std::lock_guard<std::mutex> guard(lock);
        done += ar.member(member).size;
        progress.update(done, total); // per layer: results arrive layer by layer
        for (const auto &[slot, pos] : positions.value(member)) {
            ImageLayers &o = out[slot];
            if (!r.index) {
                o.errors.append(QStringLiteral("layer %1 (%2): %3").arg(pos).arg(ar.member(member).path, r.error));
                continue;
            }
            o.layers[pos] = r.index;
            for (const QString &p : r.index->problems)
                o.errors.append(QStringLiteral("layer %1 (%2): %3").arg(pos).arg(ar.member(member).path, p));
            if (onLayer)
                onLayer(pos, r.index);
        }
    };
    QList<int> members = positions.keys();
    if (ar.seekable()) {
        std::sort(members.begin(), members.end(), [&](int a, int b) { return ar.member(a).size > ar.member(b).size; });
        std::atomic<int> next{0};
        auto work = [&] {
            for (int i; (i = next++) < members.size();) {
                if (progress.cancelled())
                    return;
                deliver(members.at(i), indexLayer(ar, members.at(i), options, progress));
            }
        };
        const int threads = std::min<int>(std::max(1, QThread::idealThreadCount()), int(members.size()));
        std::vector<std::thread> pool;
        for (int t = 1; t < threads; ++t)
            pool.emplace_back(work);
        work();
        for (std::thread &t : pool)
            t.join();
    } else {
        QString error;
        const QSet<int> wanted(members.begin(), members.end());
        // One pass over the compressed archive: each layer is indexed as the stream reaches it
        // (indexLayer() would start a pass of its own).
        if (!ar.scanMembers(wanted, [&](int member, MemberReader &reader) {
                deliver(member, indexLayerFromReader(reader, sniffCompression(ar.head(member)), options, progress, ar.member(member).size));
                return !progress.cancelled();
            }, progress, &error))
            for (ImageLayers &o : out)
                o.errors.append(error);
    }
    for (ImageLayers &o : out)
        o.cancelled = progress.cancelled();
    return out;
}

} // namespace

ImageLayers indexImageLayers(const ImageArchive &ia, int image, const LayerIndexOptions &options, const Progress &progress,
                             const std::function<void(int, const std::shared_ptr<const LayerIndex> &)> &onLayer)
{
    if (image < 0 || image >= ia.images.size())
        return {};
    return indexLayersOf(ia, {image}, options, progress, onLayer).constFirst();
}

QList<ImageLayers> indexAllImageLayers(const ImageArchive &ia, const LayerIndexOptions &options, const Progress &progress)
{
    QList<int> all;
    for (int i = 0; i < ia.images.size(); ++i)
        all << i;
    return indexLayersOf(ia, all, options, progress, {});
}

ImageSizes imageSizes(const ImageLayers &layers)
{
    ImageSizes sizes;
    const MergedTree tree = MergedTree::build(layers.layers, int(layers.layers.size()) - 1, false);
    for (int i = 0; i < layers.layers.size(); ++i) {
        ImageSizes::Layer l;
        if (const auto &li = layers.layers.at(i)) {
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

namespace {

struct ReaderFeed
{
    MemberReader *reader;
    QByteArray buffer = QByteArray(256 * 1024, Qt::Uninitialized);
    static la_ssize_t read(struct archive *, void *data, const void **out)
    {
        auto *f = static_cast<ReaderFeed *>(data);
        const qint64 n = f->reader->read(f->buffer.data(), f->buffer.size());
        *out = f->buffer.constData();
        return n < 0 ? -1 : la_ssize_t(n);
    }
};

FileRead streamEntry(MemberReader &reader, int header, qint64 size, qint64 maxBytes)
{
    FileRead r;
    ReaderFeed feed{&reader};
    struct archive *a = archive_read_new();
    supportCompressions(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    archive_read_set_callback_data(a, &feed);
    archive_read_set_read_callback(a, &ReaderFeed::read);
    if (archive_read_open1(a) != ARCHIVE_OK) {
        r.error = QString::fromLocal8Bit(archive_error_string(a));
        archive_read_free(a);
        return r;
    }
    struct archive_entry *e = nullptr;
    int at = 0;
    for (int rc; (rc = archive_read_next_header(a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN;) {
        if (at++ != header)
            continue;
        const qint64 want = std::min(size, maxBytes);
        r.data.resize(want);
        qint64 got = 0;
        la_ssize_t n;
        while (got < want && (n = archive_read_data(a, r.data.data() + got, size_t(want - got))) > 0)
            got += n;
        r.data.truncate(got);
        if (got < want)
            r.error = QStringLiteral("truncated: %1 of %2 bytes").arg(got).arg(want);
        archive_read_free(a);
        return r;
    }
    r.error = QStringLiteral("the entry was not found again in the layer stream");
    archive_read_free(a);
    return r;
}

} // namespace

FileRead readLayerFile(const ImageArchive &ia, int image, const MergedTree::Layers &layers, int layer, int entry,
                       qint64 maxBytes)
{
    FileRead r;
    if (!ia.archive || layer < 0 || layer >= layers.size() || !layers.at(layer)) {
        r.error = QStringLiteral("layer %1 is not indexed").arg(layer);
        return r;
    }
    const LayerIndex *li = layers.at(layer).get();
    // A hardlink names an earlier entry of the same layer (Docker's writer), or, accepted on apply,
    // a file of a lower layer (FORMATS.md §6).
    for (int hops = 0; li->entry(entry).type == EntryType::Hardlink; ++hops) {
        const QByteArray target = li->linkTarget(entry);
        const int inLayer = li->find(target);
        if (inLayer >= 0 && inLayer != entry && hops < 8) {
            entry = inLayer;
            continue;
        }
        const MergedTree below = MergedTree::build(layers, layer - 1);
        const int node = below.find(target);
        if (node < 0 || hops >= 8) {
            r.error = QStringLiteral("%1: a hard link to %2, which is not in the image").arg(QString::fromUtf8(li->path(entry)), QString::fromUtf8(target));
            return r;
        }
        layer = below.node(node).layer;
        entry = below.node(node).entry;
        li = layers.at(layer).get();
    }
    const LayerEntry &e = li->entry(entry);
    if (e.type != EntryType::File) {
        r.error = QStringLiteral("%1 is a %2, not a file").arg(QString::fromUtf8(li->path(entry)), entryTypeName(e.type));
        return r;
    }
    if (e.size > maxBytes) {
        r.error = QStringLiteral("%1: %2 bytes, more than the %3 read at once").arg(QString::fromUtf8(li->path(entry))).arg(e.size).arg(maxBytes);
        return r;
    }
    const Archive &ar = *ia.archive;
    const int member = ia.images.at(image).layers.at(layer).member;
    QString error;
    if (ar.seekable()) {
        std::unique_ptr<MemberReader> reader = ar.openMember(member, &error);
        if (!reader) {
            r.error = error;
            return r;
        }
        if (li->compression == Compression::None && e.dataOffset >= 0) {
            // Seek straight to the file inside the layer inside the archive.
            reader->skip(e.dataOffset);
            r.data.resize(e.size);
            qint64 got = 0;
            while (got < e.size) {
                const qint64 n = reader->read(r.data.data() + got, e.size - got);
                if (n <= 0)
                    break;
                got += n;
            }
            if (got < e.size) {
                r.data.truncate(got);
                r.error = reader->error().isEmpty() ? QStringLiteral("truncated") : reader->error();
            }
            return r;
        }
        return streamEntry(*reader, e.header, e.size, maxBytes);
    }
    const bool ok = ar.scanMembers({member}, [&](int, MemberReader &reader) {
        r = streamEntry(reader, e.header, e.size, maxBytes);
        return false;
    }, {}, &error);
    if (!ok && r.data.isEmpty() && r.error.isEmpty())
        r.error = error;
    return r;
}

} // namespace lamina
