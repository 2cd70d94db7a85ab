// SPDX-License-Identifier: MIT
// Indexing a layer tar (docs/formats.md §6.1): entries, whiteouts, opaque folders; libarchive parses,
// and decompresses in a first stage when the layer is compressed so that both digests come from
// the same pass.
#include "layers/indexbuilder_p.h"
#include "layers/indexcache.h"
#include "layers/layerindex.h"
#include "layers/stagedfiles.h"

#include "util/checkedsize.h"
#include "util/limits.h"
#include "util/sha256.h"
#include "util/utf8locale.h"
#include "util/workcounters.h"

#include "archive/inflater_p.h"
#include "archive/libarchive_p.h"
#include "archive/readerfeed_p.h"

#include <archive.h>
#include <archive_entry.h>

#include <optional>

#include <cerrno>
#include <unistd.h>

namespace lamina {

namespace {

constexpr qint64 kChunk = 256 * 1024;

/// Why the layer stream stopped, as the stage that stopped it says.
QString streamError(const Inflater &inflater, bool compressed, const ReaderFeed &outer)
{
    if (inflater.bomb())
        return inflater.bombMessage(QStringLiteral("the layer"));
    if (compressed && !inflater.error().isEmpty())
        return inflater.error();
    return outer.error;
}

/// Hands the regular files a FileCapture asks for its bytes as the index passes them.
struct Capturing
{
    FileCapture &capture;
    const ReaderFeed &feed; ///< the layer's stored bytes read so far
    qint64 handed = 0; ///< bytes given to the capture, holes included

    void file(struct archive *tar, struct archive_entry *ae, int header, QByteArrayView path, const Progress &progress)
    {
        const qint64 size = archive_entry_size(ae);
        if (size < 0)
            return;
        const int fd = capture.begin(header, path, size);
        if (fd < 0)
            return;
        // Nothing is kept that reading the file again would refuse: the alarm streamEntries
        // sounds on what it hands out, here on everything handed to the capture (a superset of
        // what a later read hands out) against the layer's bytes read at the same point.
        const qint64 before = handed;
        const auto alarm = [&](qint64 upTo) {
            handed = addSizes(before, upTo);
            return limits::decompressionAlarm(feed.bytes, handed);
        };
        // Block by block at their offsets: a sparse file's holes stay holes.
        bool ok = true;
        qint64 got = 0;
        const void *block = nullptr;
        size_t length = 0;
        la_int64_t offset = 0;
        int rc;
        while ((rc = archive_read_data_block(tar, &block, &length, &offset)) == ARCHIVE_OK) {
            if (offset < got || offset > size || qint64(length) > size - offset || progress.cancelled()
                || alarm(offset + qint64(length))
                || !writeAt(fd, static_cast<const char *>(block), qint64(length), offset)) {
                ok = false;
                break;
            }
            got = offset + qint64(length);
        }
        // A sparse file's last hole, up to its size.
        ok = ok && rc == ARCHIVE_EOF && (got == size || (archive_entry_sparse_count(ae) > 0 && !alarm(size)));
        capture.end(header, ok);
    }

    static bool writeAt(int fd, const char *data, qint64 size, qint64 at)
    {
        for (qint64 done = 0; done < size;) {
            const ssize_t n = ::pwrite(fd, data + done, size_t(size - done), off_t(at + done));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return false;
            done += n;
        }
        return true;
    }
};

/// Hands every header to `builder` until the stream ends or breaks, indexing is cancelled, or a
/// limit is reached (`limit` then says which). Returns libarchive's last answer; `header`
/// counts the headers read.
int readEntries(struct archive *tar, IndexBuilder &builder, const LayerIndex &index, const Progress &progress,
    int &header, QString &limit, Capturing *capturing)
{
    struct archive_entry *ae = nullptr;
    int rc;
    while ((rc = archive_read_next_header(tar, &ae)) == ARCHIVE_OK || rc == ARCHIVE_WARN) {
        builder.add(ae, header++, archive_filter_bytes(tar, 0),
            archive_entry_sparse_count(ae) > 0 && archive_format(tar) == ARCHIVE_FORMAT_TAR_GNUTAR);
        if (capturing && !builder.lastFile().isEmpty())
            capturing->file(tar, ae, header - 1, builder.lastFile(), progress);
        if (progress.cancelled())
            break;
        if (index.size() >= limits::kMaxLayerEntries) {
            limit = QStringLiteral("the layer holds more than %1 entries; indexing stopped there%2")
                        .arg(limits::kMaxLayerEntries)
                        .arg(limits::note("kMaxLayerEntries", limits::kMaxLayerEntries));
            break;
        }
        if (builder.nameBytes() >= limits::kMaxLayerNameBytes) {
            limit = QStringLiteral("the layer's names, link targets and folder paths take more than %1 bytes; "
                                   "indexing stopped after %2 entries%3")
                        .arg(limits::kMaxLayerNameBytes)
                        .arg(header)
                        .arg(limits::note("kMaxLayerNameBytes", limits::kMaxLayerNameBytes));
            break;
        }
    }
    return rc;
}

/// The stream broke off after `header` entries.
void recordBreak(LayerIndex &index, int header, const QString &why)
{
    index.problems.append(QStringLiteral("the layer stream breaks off after %1 entries: %2").arg(header).arg(why));
    index.issues.append({ QStringLiteral("layer-damaged"), true,
        QStringLiteral("the layer's tar breaks off after %1 entries: %2; Lamina shows the entries before it")
            .arg(header)
            .arg(why) });
}

/// Whatever follows the end-of-archive blocks still belongs to the stream's digest.
void readToEnd(LayerIndex &index, struct archive *tar, Inflater &inflater, bool compressed, ReaderFeed &outer)
{
    const void *ignored = nullptr;
    if (compressed) {
        while (inflater.next(&ignored) > 0) { }
    }
    while (ReaderFeed::read(tar, &outer, &ignored) > 0) { }
    const QString failed = streamError(inflater, compressed, outer);
    if (!failed.isEmpty()) {
        // Digests of a stream read only in part would be wrong, not just missing.
        index.complete = false;
        index.problems.append(QStringLiteral("the layer stream cannot be read to its end: %1").arg(failed));
        index.issues.append({ QStringLiteral("layer-damaged"), true,
            QStringLiteral("the layer stream cannot be read to its end: %1").arg(failed) });
    }
}

} // namespace

LayerIndexResult indexLayerFromReader(MemberReader &reader, Compression compression, const LayerIndexOptions &options,
    const Progress &progress, qint64 storedSize, StoredCopy *copy, FileCapture *capture)
{
    // libarchive turns every name into a wide string by the thread's locale, one mbrtowc call per
    // byte; the program's mbrtowc answers for this locale without asking glibc. The index keeps
    // names as stored (PAX names as UTF-8), so they read the same in any locale.
    const Utf8Thread utf8;
    work::counters().add(work::counters().layersIndexed, 1);
    auto index = std::make_shared<LayerIndex>();
    index->compression = compression;
    index->storedSize = storedSize;
    IndexBuilder builder(*index);
    Sha256 stored, uncompressed;
    const bool compressed = compression == Compression::Gzip || compression == Compression::Zstd
        || compression == Compression::Xz || compression == Compression::Bzip2;

    ReaderFeed outer(reader, &progress, kChunk);
    if (!options.computeDigests && !compressed && !copy)
        outer.allowSkips();
    if (copy)
        outer.onData = [copy](const char *data, qint64 n) { copy->add(data, n); };
    // A copy, like a digest, needs every byte: the stream is then read past the tar's end.
    const bool toEnd = options.computeDigests || copy;
    outer.hash = options.computeDigests ? &stored : nullptr;

    struct archive *tar = archive_read_new();
    archive_read_support_format_tar(tar);
    archive_read_support_format_gnutar(tar);
    archive_read_support_format_empty(tar);
    Inflater inflater;
    if (compressed) {
        // Stage 1 decompresses (its input is the stored blob), stage 2 parses the tar stream.
        inflater.progress = &progress;
        if (!inflater.open(&outer, &ReaderFeed::read)) {
            LayerIndexResult r;
            r.error = QStringLiteral("cannot decompress the layer (%1): %2")
                          .arg(compressionName(compression), inflater.error());
            archive_read_free(tar);
            return r;
        }
        inflater.hash = options.computeDigests ? &uncompressed : nullptr;
        inflater.feed(tar);
    } else {
        if (options.computeDigests)
            outer.hash = &stored; // stored bytes are the uncompressed stream
        outer.attach(tar);
    }
    LayerIndexResult r;
    if (archive_read_open1(tar) != ARCHIVE_OK) {
        // The decompressor's reason first: libarchive only knows that its input stopped.
        QString why = streamError(inflater, compressed, outer);
        if (why.isEmpty())
            why = QString::fromLocal8Bit(archive_error_string(tar));
        if (why.isEmpty())
            why = QStringLiteral("no tar header could be read");
        r.error = QStringLiteral("not a tar stream: %1").arg(why);
    } else {
        int header = 0;
        QString limit;
        std::optional<Capturing> capturing;
        if (capture)
            capturing.emplace(Capturing { *capture, outer });
        const int rc = readEntries(tar, builder, *index, progress, header, limit, capturing ? &*capturing : nullptr);
        if (progress.cancelled()) {
            r.error = QStringLiteral("cancelled");
        } else if (!limit.isEmpty()) {
            index->problems.append(limit);
        } else if (rc != ARCHIVE_EOF) {
            const QString why = streamError(inflater, compressed, outer);
            recordBreak(*index, header, !why.isEmpty() ? why : QString::fromLocal8Bit(archive_error_string(tar)));
        } else {
            index->complete = true;
        }
        if (toEnd && index->complete)
            readToEnd(*index, tar, inflater, compressed, outer);
        index->uncompressedSize = compressed ? inflater.decompressedBytes() : archive_filter_bytes(tar, 0);
    }
    archive_read_free(tar);
    if (copy)
        copy->finish(r.error.isEmpty() && index->complete && outer.error.isEmpty());
    builder.finish();
    if (options.computeDigests && index->complete) {
        index->storedDigest = stored.finish();
        index->diffId = compressed ? uncompressed.finish() : index->storedDigest;
        if (!compressed)
            index->uncompressedSize = outer.bytes;
    }
    if (r.error.isEmpty())
        r.index = std::move(index);
    return r;
}

LayerIndexResult indexLayer(
    const Archive &archive, int member, const LayerIndexOptions &options, const Progress &progress)
{
    const Member &m = archive.member(member);
    LayerIndexResult result;
    if (archive.seekable()) {
        // Indexed before, and the file unchanged: read from the cache, not from the layer.
        const std::optional<QByteArray> key = options.cache ? options.cache->keyFor(archive, member) : std::nullopt;
        if (key) {
            if (std::shared_ptr<const LayerIndex> cached = options.cache->load(*key, options.computeDigests)) {
                result.index = std::move(cached);
                return result;
            }
        }
        QString error;
        std::unique_ptr<MemberReader> reader = archive.openMember(member, &error, progress.cancelOnly());
        if (!reader) {
            result.error = error;
            return result;
        }
        // Sniffed once opened: a fetched layer's own bytes, not what its descriptor claimed.
        const std::unique_ptr<StoredCopy> copy = options.storedCopyOf(member);
        result = indexLayerFromReader(*reader, archive.compressionOf(member), options, progress, m.size, copy.get());
        if (key && result.index && result.index->complete && !progress.cancelled())
            options.cache->store(*key, *result.index);
        return result;
    }
    const Compression compression = archive.compressionOf(member);
    QString error;
    const bool ok = archive.scanMembers(
        { member },
        [&](int, MemberReader &reader) {
            const std::unique_ptr<StoredCopy> copy = options.storedCopyOf(member);
            result = indexLayerFromReader(reader, compression, options, progress, m.size, copy.get());
            return false;
        },
        progress, &error);
    if (!ok && result.error.isEmpty() && !result.index)
        result.error = error;
    return result;
}

} // namespace lamina
