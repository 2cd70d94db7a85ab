// SPDX-License-Identifier: MIT
#include "compose/layersource.h"

#include "archive/inflater_p.h"
#include "archive/memberreader.h"
#include "archive/readerfeed_p.h"
#include "write/outputwriter.h"

namespace lamina {

std::unique_ptr<MemberReader> openLayerSource(const LayerSource &source, const Archive *base, QString *error)
{
    return source.file.isEmpty() ? base->openMember(source.member, error) : openFileReader(source.file, error);
}

namespace {

bool copyStored(OutputWriter &w, MemberReader &reader, qint64 expected, const Progress &progress, qint64 *written)
{
    int fd = -1;
    qint64 offset = 0, length = 0;
    if (w.canCopyRange() && reader.fileRange(&fd, &offset, &length)) {
        if (length != expected) {
            w.setError(QStringLiteral("a layer has %1 bytes, %2 were expected").arg(length).arg(expected));
            return false;
        }
        // In slices, so that cancelling is noticed during a big layer.
        constexpr qint64 slice = 256ll << 20;
        for (qint64 done = 0; done < length; done += slice) {
            if (progress.cancelled()) {
                w.setError(QStringLiteral("cancelled"));
                return false;
            }
            if (!w.copyFrom(fd, offset + done, std::min(slice, length - done)))
                return false;
        }
        *written = length;
        return true;
    }
    QByteArray buffer(1 << 20, Qt::Uninitialized);
    qint64 n;
    while ((n = reader.read(buffer.data(), buffer.size())) > 0) {
        if (progress.cancelled()) {
            w.setError(QStringLiteral("cancelled"));
            return false;
        }
        if (!w.data(buffer.constData(), n))
            return false;
        *written += n;
    }
    if (n < 0)
        w.setError(reader.error());
    return n == 0;
}

bool copyDecompressed(OutputWriter &w, MemberReader &reader, const Progress &progress, qint64 *written)
{
    // The docker formats store layers uncompressed, so that the file's digest is its diff ID
    // (docs/formats.md §3.1).
    ReaderFeed feed(reader, &progress);
    Inflater inflater;
    inflater.progress = &progress;
    bool ok = inflater.open(&feed, &ReaderFeed::read);
    la_ssize_t n = 0;
    const void *block = nullptr;
    while (ok && (n = inflater.next(&block)) > 0) {
        if (progress.cancelled() || !w.data(static_cast<const char *>(block), n)) {
            ok = false;
            break;
        }
        *written += n;
    }
    if (n >= 0 && ok)
        return true;
    const QString why = inflater.bomb() ? inflater.bombMessage(QStringLiteral("the layer"))
        : feed.error.isEmpty()          ? inflater.error()
                                        : feed.error;
    if (progress.cancelled())
        w.setError(QStringLiteral("cancelled"));
    else if (w.error().isEmpty()) // else the output failed, which says more
        w.setError(QStringLiteral("cannot decompress a base layer: %1").arg(why));
    return false;
}

} // namespace

bool copyLayer(OutputWriter &w, const LayerSource &source, const Archive *base, const Progress &progress, bool raw)
{
    QString error;
    const std::unique_ptr<MemberReader> reader = openLayerSource(source, base, &error);
    if (!reader) {
        w.setError(error);
        return false;
    }
    const bool asStored = raw || source.compression == Compression::None;
    const qint64 expected = asStored && source.compression != Compression::None ? source.storedSize : source.size;
    qint64 written = 0;
    const bool ok = asStored ? copyStored(w, *reader, expected, progress, &written)
                             : copyDecompressed(w, *reader, progress, &written);
    if (!ok)
        return false;
    if (written != expected) {
        w.setError(QStringLiteral("a layer gave %1 bytes, %2 were expected").arg(written).arg(expected));
        return false;
    }
    return true;
}

Digest hashStoredLayer(const LayerSource &source, const Archive *base, QString *error)
{
    const std::unique_ptr<MemberReader> reader = openLayerSource(source, base, error);
    return reader ? sha256OfReader(*reader, error) : Digest();
}

} // namespace lamina
