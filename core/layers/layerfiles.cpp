// SPDX-License-Identifier: MIT
// Reading files out of indexed layers: one entry, or many in one pass over each layer stream, hard
// links followed (imagelayers.h).
#include "layers/imagelayers.h"
#include "layers/stagedfiles.h"

#include <QHash>
#include <QSet>

#include "archive/inflater_p.h"
#include "archive/readerfeed_p.h"
#include "util/checkedsize.h"
#include "util/utf8locale.h"
#include "util/workcounters.h"

#include <archive.h>
#include <archive_entry.h>

#include <QScopeGuard>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace lamina {

namespace {

/// Hands a file's bytes to a sink in chunks, never more than one chunk in memory.
using Sink = std::function<bool(const char *data, qint64 size)>;
using HoleSink = std::function<bool(qint64 length)>;

QString copyRange(MemberReader &reader, qint64 size, const Sink &sink)
{
    QByteArray buffer(int(std::min<qint64>(size, 1 << 20)), Qt::Uninitialized);
    qint64 got = 0;
    while (got < size) {
        const qint64 n = reader.read(buffer.data(), std::min<qint64>(buffer.size(), size - got));
        if (n <= 0)
            return reader.error().isEmpty() ? QStringLiteral("truncated: %1 of %2 bytes").arg(got).arg(size)
                                            : reader.error();
        if (!sink(buffer.constData(), n))
            return QStringLiteral("stopped after %1 bytes").arg(got);
        got += n;
        work::counters().add(work::counters().entryBytesStreamed, n);
    }
    return {};
}

QString entryAlarm(qint64 got, qint64 read)
{
    return QStringLiteral("the entry gives more than %1 times the bytes of the layer read so far (%2 bytes from %3; "
                          "sparse holes count as written): reading stopped%4")
        .arg(limits::kMaxDecompressionRatio)
        .arg(got)
        .arg(read)
        .arg(limits::note("kMaxDecompressionRatio", limits::kMaxDecompressionRatio));
}

/// Hands `length` bytes of a hole to `hole`, or as zeros to `sink` when there is no `hole`.
bool giveHole(qint64 length, const Sink &sink, const HoleSink &hole)
{
    if (hole)
        return hole(length);
    static const QByteArray zeros(64 * 1024, '\0');
    for (qint64 done = 0; done < length;) {
        const qint64 n = std::min<qint64>(zeros.size(), length - done);
        if (!sink(zeros.constData(), n))
            return false;
        done += n;
    }
    return true;
}

/// One file entry to hand out during a pass: its tar header's position, its size, and the
/// number the caller knows it by.
struct Wanted
{
    int header = -1;
    qint64 size = 0;
    int index = -1;
};

/// One pass over a layer stream handing out the entries of `wanted` (sorted by header) as they
/// come. Returns "" when all were handed out, else the first error (given to `copy.end` too
/// when it concerns an entry).
QString streamEntries(MemberReader &reader, Compression compression, const QList<Wanted> &wanted, const FileCopy &copy)
{
    if (wanted.isEmpty())
        return {};
    const Utf8Thread utf8; // names read as the index read them
    work::counters().add(work::counters().layerPasses, 1);
    ReaderFeed feed(reader, nullptr, 256 * 1024);
    struct archive *a = archive_read_new();
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    Inflater inflater;
    const bool compressed = compression == Compression::Gzip || compression == Compression::Zstd
        || compression == Compression::Xz || compression == Compression::Bzip2;
    const auto fail = [&](qsizetype from, const QString &error) {
        archive_read_free(a);
        // Every entry not handed out learns why (the first one stops the caller).
        for (qsizetype k = from; k < wanted.size(); ++k)
            if (!copy.end(wanted.at(k).index, error))
                break;
        return error;
    };
    if (compressed) {
        if (!inflater.open(&feed, &ReaderFeed::read))
            return fail(0,
                QStringLiteral("cannot decompress the layer (%1): %2")
                    .arg(compressionName(compression), inflater.error()));
        inflater.feed(a);
    } else {
        feed.attach(a);
    }
    auto why = [&](struct archive *a) {
        if (inflater.bomb())
            return inflater.bombMessage(QStringLiteral("the layer"));
        if (!inflater.error().isEmpty())
            return inflater.error();
        if (!reader.error().isEmpty())
            return reader.error();
        return QString::fromLocal8Bit(archive_error_string(a));
    };
    if (archive_read_open1(a) != ARCHIVE_OK)
        return fail(0, why(a));
    struct archive_entry *e = nullptr;
    int at = 0;
    int rc = ARCHIVE_OK; // read only once a header was asked for; gcc -O1 cannot tell
    qsizetype next = 0;
    // What the pass has handed out, holes included: the alarm weighs it all against the bytes of
    // the layer read, so that a thousand sparse entries cannot each have the whole allowance.
    qint64 handed = 0;
    while (next < wanted.size() && ((rc = archive_read_next_header(a, &e)) == ARCHIVE_OK || rc == ARCHIVE_WARN)) {
        if (at++ != wanted.at(next).header)
            continue;
        const Wanted w = wanted.at(next++);
        const FileStart start = copy.begin(w.index);
        if (start == FileStart::Stop) {
            archive_read_free(a);
            return QStringLiteral("stopped");
        }
        if (start == FileStart::Skip)
            continue;
        const qint64 size = w.size;
        const qint64 before = handed;
        const auto stopped = [&](qint64 got) {
            archive_read_free(a);
            const QString error = QStringLiteral("stopped after %1 bytes").arg(got);
            copy.end(w.index, error);
            return error;
        };
        // Block by block with their offsets: a sparse file's holes are the gaps between blocks
        // (and after the last one, up to the file's size).
        QString error;
        qint64 got = 0;
        const void *block = nullptr;
        size_t length = 0;
        la_int64_t offset = 0;
        while (got < size && (rc = archive_read_data_block(a, &block, &length, &offset)) == ARCHIVE_OK) {
            if (offset < got || offset > size) {
                error = QStringLiteral("the sparse map is out of order or past the file's %1 bytes (a block at %2)")
                            .arg(size)
                            .arg(offset);
                break;
            }
            // The alarm on what the entry hands out, not only on what a decompressor does: a sparse
            // entry's holes come out as zeros from no input at all (1 TiB from 4 KB).
            handed = addSizes(before, addSizes(offset, qint64(length)));
            if (limits::decompressionAlarm(feed.bytes, handed))
                return fail(next - 1, entryAlarm(got, feed.bytes));
            if (offset > got && !giveHole(offset - got, copy.sink, copy.hole))
                return stopped(got);
            got = offset;
            const qint64 n = std::min<qint64>(qint64(length), size - got);
            if (n > 0 && !copy.sink(static_cast<const char *>(block), n))
                return stopped(got);
            got += n;
            work::counters().add(work::counters().entryBytesStreamed, n);
        }
        if (error.isEmpty() && rc == ARCHIVE_EOF && got < size && archive_entry_sparse_count(e) > 0) {
            handed = addSizes(before, size);
            if (limits::decompressionAlarm(feed.bytes, handed))
                return fail(next - 1, entryAlarm(got, feed.bytes));
            if (!giveHole(size - got, copy.sink, copy.hole))
                return stopped(got);
            got = size;
        }
        handed = addSizes(before, got);
        if (error.isEmpty() && got < size)
            error = rc < ARCHIVE_WARN ? why(a) : QStringLiteral("truncated: %1 of %2 bytes").arg(got).arg(size);
        if (!error.isEmpty())
            return fail(next - 1, error);
        if (!copy.end(w.index, {})) {
            archive_read_free(a);
            return QStringLiteral("stopped");
        }
    }
    if (next < wanted.size())
        return fail(
            next, rc == ARCHIVE_EOF ? QStringLiteral("the entry was not found again in the layer stream") : why(a));
    archive_read_free(a);
    return {};
}

/// One entry, as streamEntries hands it out.
QString streamEntry(
    MemberReader &reader, Compression compression, int header, qint64 size, const Sink &sink, const HoleSink &hole)
{
    QString result;
    FileCopy copy;
    copy.begin = [](int) { return FileStart::Copy; };
    copy.sink = sink;
    copy.hole = hole;
    copy.end = [&](int, const QString &error) {
        result = error;
        return true;
    };
    const QString error = streamEntries(reader, compression, { { header, size, 0 } }, copy);
    return result.isEmpty() ? error : result;
}

/// Hands a kept copy's bytes to `sink` (its holes as the zeros they read as); nullopt when the
/// copy cannot be opened, and the archive is read instead.
std::optional<QString> copyKept(const StagedFiles::Kept &kept, const Sink &sink)
{
    const int fd = ::openat(kept.dirfd, kept.name.constData(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return std::nullopt;
    const auto closing = qScopeGuard([fd] { ::close(fd); });
    QByteArray buffer(int(std::min<qint64>(std::max<qint64>(kept.size, 1), 1 << 20)), Qt::Uninitialized);
    qint64 got = 0;
    while (got < kept.size) {
        const ssize_t n = ::read(fd, buffer.data(), size_t(std::min<qint64>(buffer.size(), kept.size - got)));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return QStringLiteral("cannot read the copy kept while opening: %1")
                .arg(QString::fromLocal8Bit(strerror(errno)));
        if (n == 0)
            return QStringLiteral("truncated: %1 of %2 bytes").arg(got).arg(kept.size);
        if (!sink(buffer.constData(), n))
            return QStringLiteral("stopped after %1 bytes").arg(got);
        got += n;
    }
    return QString();
}

/// Follows hardlinks to the file entry that holds the bytes; false with `error` when there is none.
bool resolveFileEntry(const MergedTree::Layers &layers, int *layer, int *entry, QString *error)
{
    FileResolver resolver(layers);
    return resolver.resolve(layer, entry, error);
}

} // namespace

bool FileResolver::resolve(int *layer, int *entry, QString *error)
{
    const LayerIndex *li = m_layers.at(*layer).get();
    // A hardlink names an earlier entry of the same layer (Docker's writer), or, accepted on apply,
    // a file of a lower layer (docs/formats.md §6.3).
    for (int hops = 0; li->entry(*entry).type == EntryType::Hardlink; ++hops) {
        const QByteArray target = li->linkTarget(*entry);
        const int inLayer = li->linkSource(*entry);
        if (inLayer >= 0 && inLayer != *entry && hops < 8) {
            *entry = inLayer;
            continue;
        }
        if (m_belowOf != *layer) {
            // Without tree changes or folder totals: only names are looked up here.
            m_below = std::make_shared<const MergedTree>(MergedTree::build(m_layers, *layer - 1, false, false));
            m_belowOf = *layer;
        }
        const int node = hops < 8 ? m_below->find(target) : -1;
        if (node < 0) {
            *error = QStringLiteral("%1: a hard link to %2, which is not in the image")
                         .arg(QString::fromUtf8(li->path(*entry)), QString::fromUtf8(target));
            return false;
        }
        *layer = m_below->node(node).layer;
        *entry = m_below->node(node).entry;
        li = m_layers.at(*layer).get();
    }
    if (li->entry(*entry).type != EntryType::File) {
        *error = QStringLiteral("%1 is a %2, not a file")
                     .arg(QString::fromUtf8(li->path(*entry)), entryTypeName(li->entry(*entry).type));
        return false;
    }
    return true;
}

QString copyLayerFiles(const ImageArchive &ia, int image, const MergedTree::Layers &layers,
    const QList<std::pair<int, int>> &files, const FileCopy &copy)
{
    if (!ia.archive || image < 0 || image >= ia.images.size())
        return QStringLiteral("image %1 is not in the archive").arg(image);
    const Archive &ar = *ia.archive;
    const Image &img = ia.images.at(image);
    // The files of each layer member, in stream order. A member used at several positions holds
    // the same bytes, hence the same entries, at each.
    struct Group
    {
        const LayerIndex *index = nullptr;
        QList<Wanted> streamed;
        QList<std::pair<qint64, Wanted>> seeked; ///< by data offset
    };
    QHash<int, Group> groups;
    for (int i = 0; i < files.size(); ++i) {
        const auto [layer, entry] = files.at(i);
        if (layer < 0 || layer >= layers.size() || !layers.at(layer) || layer >= img.layers.size()
            || img.layers.at(layer).member < 0) {
            const QString error = QStringLiteral("layer %1 is not indexed").arg(layer);
            if (!copy.end(i, error))
                return error;
            continue;
        }
        const LayerIndex &li = *layers.at(layer);
        Group &g = groups[img.layers.at(layer).member];
        g.index = &li;
        const LayerEntry &e = li.entry(entry);
        if (ar.seekable() && li.compression == Compression::None && e.dataOffset >= 0)
            g.seeked.append({ e.dataOffset, { e.header, e.size, i } });
        else
            g.streamed.append({ e.header, e.size, i });
    }
    for (Group &g : groups) {
        std::sort(
            g.streamed.begin(), g.streamed.end(), [](const Wanted &a, const Wanted &b) { return a.header < b.header; });
        std::sort(g.seeked.begin(), g.seeked.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
    }
    QList<int> members = groups.keys();
    std::sort(members.begin(), members.end());
    if (ar.seekable()) {
        for (int member : std::as_const(members)) {
            const Group &g = groups.value(member);
            QString error;
            if (!g.seeked.isEmpty()) {
                // Seek straight to each file inside the layer inside the archive, forward only.
                std::unique_ptr<MemberReader> reader;
                qint64 at = 0;
                for (const auto &[offset, w] : g.seeked) {
                    if (!reader || offset < at) {
                        reader = ar.openMember(member, &error);
                        at = 0;
                        if (!reader) {
                            copy.end(w.index, error);
                            return error;
                        }
                    }
                    const FileStart start = copy.begin(w.index);
                    if (start == FileStart::Stop)
                        return QStringLiteral("stopped");
                    if (start == FileStart::Skip)
                        continue;
                    at += reader->skip(offset - at);
                    error = copyRange(*reader, w.size, copy.sink);
                    at += w.size;
                    if (!copy.end(w.index, error) || !error.isEmpty())
                        return error.isEmpty() ? QStringLiteral("stopped") : error;
                }
            }
            if (!g.streamed.isEmpty()) {
                std::unique_ptr<MemberReader> reader = ar.openMember(member, &error);
                if (!reader) {
                    copy.end(g.streamed.constFirst().index, error);
                    return error;
                }
                error = streamEntries(*reader, g.index->compression, g.streamed, copy);
                if (!error.isEmpty())
                    return error;
            }
        }
        return {};
    }
    // One pass over the whole archive: each layer is read as the stream reaches it.
    QString result;
    QString error;
    QSet<int> pending(members.cbegin(), members.cend());
    const bool ok = ar.scanMembers(
        pending,
        [&](int member, MemberReader &reader) {
            pending.remove(member);
            const Group &g = groups.value(member);
            result = streamEntries(reader, g.index->compression, g.streamed, copy);
            return result.isEmpty();
        },
        {}, &error);
    if (!result.isEmpty())
        return result;
    if (!ok || !pending.isEmpty()) {
        if (error.isEmpty())
            error = QStringLiteral("the layer was not found in the archive");
        for (int member : std::as_const(pending))
            for (const Wanted &w : groups.value(member).streamed)
                if (!copy.end(w.index, error))
                    return error;
        return error;
    }
    return {};
}

qint64 layerFileSize(const MergedTree::Layers &layers, int layer, int entry, QString *error)
{
    if (layer < 0 || layer >= layers.size() || !layers.at(layer)) {
        *error = QStringLiteral("layer %1 is not indexed").arg(layer);
        return -1;
    }
    if (!resolveFileEntry(layers, &layer, &entry, error))
        return -1;
    return layers.at(layer)->entry(entry).size;
}

QString copyLayerFile(const ImageArchive &ia, int image, const MergedTree::Layers &layers, int layer, int entry,
    const std::function<bool(const char *data, qint64 size)> &sink, const std::function<bool(qint64 length)> &hole,
    const StagedFiles *staged)
{
    if (!ia.archive || layer < 0 || layer >= layers.size() || !layers.at(layer))
        return QStringLiteral("layer %1 is not indexed").arg(layer);
    QString error;
    if (!resolveFileEntry(layers, &layer, &entry, &error))
        return error;
    const LayerIndex *li = layers.at(layer).get();
    const LayerEntry &e = li->entry(entry);
    const Archive &ar = *ia.archive;
    const int member = ia.images.at(image).layers.at(layer).member;
    if (staged) {
        // Kept as the archive was opened: read from there, not from the archive again.
        if (const std::optional<StagedFiles::Kept> kept = staged->find(member, e.header))
            if (const std::optional<QString> done = copyKept(*kept, sink))
                return *done;
    }
    if (ar.seekable()) {
        std::unique_ptr<MemberReader> reader = ar.openMember(member, &error);
        if (!reader)
            return error;
        if (li->compression == Compression::None && e.dataOffset >= 0) {
            // Seek straight to the file inside the layer inside the archive.
            reader->skip(e.dataOffset);
            return copyRange(*reader, e.size, sink);
        }
        return streamEntry(*reader, li->compression, e.header, e.size, sink, hole);
    }
    QString result = QStringLiteral("the layer was not found in the archive");
    const bool ok = ar.scanMembers(
        { member },
        [&](int, MemberReader &reader) {
            result = streamEntry(reader, li->compression, e.header, e.size, sink, hole);
            return false;
        },
        {}, &error);
    if (!ok && !error.isEmpty())
        return result.isEmpty() ? error : result;
    return result;
}

FileRead readLayerFile(
    const ImageArchive &ia, int image, const MergedTree::Layers &layers, int layer, int entry, qint64 maxBytes)
{
    FileRead r;
    const qint64 size = layerFileSize(layers, layer, entry, &r.error);
    if (size < 0)
        return r;
    if (size > maxBytes) {
        r.error = QStringLiteral("%1: %2 bytes, more than the %3 read at once")
                      .arg(QString::fromUtf8(layers.at(layer)->path(entry)))
                      .arg(size)
                      .arg(maxBytes);
        return r;
    }
    // Grown as bytes arrive: a size field alone never makes us allocate.
    r.error = copyLayerFile(ia, image, layers, layer, entry, [&](const char *data, qint64 n) {
        r.data.append(data, n);
        return true;
    });
    return r;
}

} // namespace lamina
