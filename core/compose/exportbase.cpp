// SPDX-License-Identifier: MIT
#include "compose/exportbase.h"

#include "archive/memberreader.h"
#include "compose/config.h"
#include "compose/prewritten.h"
#include "format/legacyconfig.h"
#include "layers/imagelayers.h"
#include "layers/streamedlayers.h"

#include <QFile>
#include <QJsonDocument>
#include <QSet>

#include <mutex>

namespace lamina {

ExportBase::ExportBase()
    : config(scratchConfig())
{
}

ExportBase::~ExportBase()
{
    stopIndexing->store(true); // the future's destructor then waits for a quick end
}

MergedTree::Layers ExportBase::finalIndexes()
{
    if (laterIndexes.valid())
        indexes = laterIndexes.get();
    return indexes;
}

namespace {

int chooseImage(const Composition &composition, const ImageArchive &archive, QString *error)
{
    int image = composition.baseImage;
    if (!composition.basePlatform.isEmpty()) {
        image = findImageForPlatform(archive, composition.basePlatform, error);
        if (image < 0) {
            *error = QStringLiteral("%1 has %2").arg(composition.basePath, *error);
            return -1;
        }
    } else if (image < 0 && archive.images.size() == 1) {
        image = 0;
    } else if (image < 0 && archive.images.size() > 1) {
        *error = QStringLiteral("%1 holds %2 images: choose one with --image N or --platform")
                     .arg(composition.basePath)
                     .arg(archive.images.size());
        return -1;
    }
    if (image < 0 || image >= archive.images.size()) {
        *error = QStringLiteral("%1 holds %2 image(s), numbered from 0")
                     .arg(composition.basePath)
                     .arg(archive.images.size());
        return -1;
    }
    return image;
}

/// Whether writing needs the base's files first: the sizes of compressed layers, the working
/// folder's test, and the folders new layers go through, which they write with the base's
/// attributes. Otherwise the base is indexed while the output is written, or not at all.
bool indexesNeededFirst(const Composition &composition, const Image &img)
{
    for (const ImageLayer &l : img.layers)
        if (l.compression != Compression::None)
            return true;
    if (composition.createWorkdir && composition.config.workingDir && !composition.config.workingDir->isEmpty())
        return true;
    for (const LayerSpec &l : composition.layers)
        if (!l.ops.isEmpty())
            return true;
    return false;
}

/// Reads a base compressed as a whole once, keeping the wanted layers as files (as stored:
/// decompressed or copied as they are when written).
bool streamLayersOut(
    ExportBase *base, const QSet<int> &members, const QString &workDir, const Progress &progress, QString *error)
{
    int n = 0;
    return base->archive.archive->scanMembers(
        members,
        [&](int member, MemberReader &reader) {
            const QString path = workDir + QStringLiteral("/base-%1.tar").arg(n++);
            QFile f(path);
            if (!f.open(QIODevice::WriteOnly))
                return false;
            QByteArray buffer(1 << 20, Qt::Uninitialized);
            qint64 got;
            while ((got = reader.read(buffer.data(), buffer.size())) > 0)
                if (f.write(buffer.constData(), got) != got)
                    return false;
            for (LayerSource &s : base->layers)
                if (s.member == member)
                    s.file = path;
            return got == 0;
        },
        progress, error);
}

/// The layers of a base read by streaming (compressed as a whole), written into the working
/// folder by the pass that indexes them, as streamLayersOut() writes them: the archive is then
/// not streamed a second time for them.
class WorkingCopies
{
public:
    explicit WorkingCopies(const QString &workDir)
        : m_workDir(workDir)
    {
    }

    /// LayerIndexOptions::copyStored.
    std::unique_ptr<StoredCopy> open(int member)
    {
        auto copy
            = std::make_unique<Copy>(*this, member, m_workDir + QStringLiteral("/base-member-%1.tar").arg(member));
        return copy->ok ? std::move(copy) : nullptr;
    }
    /// The file of a whole copy of `member`, or "".
    QString whole(int member) const
    {
        std::lock_guard<std::mutex> guard(m_lock);
        return m_whole.value(member);
    }

private:
    class Copy : public StoredCopy
    {
    public:
        Copy(WorkingCopies &owner, int member, const QString &path)
            : owner(owner)
            , member(member)
            , file(path)
        {
            ok = file.open(QIODevice::WriteOnly | QIODevice::Truncate);
        }
        void add(const char *data, qint64 size) override { ok = ok && file.write(data, size) == size; }
        void finish(bool whole) override
        {
            file.close();
            if (!whole || !ok || file.error() != QFileDevice::NoError) {
                file.remove(); // streamed again by streamLayersOut()
                return;
            }
            std::lock_guard<std::mutex> guard(owner.m_lock);
            owner.m_whole.insert(member, file.fileName());
        }

        WorkingCopies &owner;
        const int member;
        QFile file;
        bool ok = false;
    };

    const QString m_workDir;
    mutable std::mutex m_lock;
    QHash<int, QString> m_whole;
};

/// A legacy-only base: its layers hashed (their diff IDs), then the config Docker's legacy loader
/// would make (docs/formats.md §3.5).
bool configFromLegacy(ExportBase *base, const Progress &progress, ImageLayers *indexed, QString *error,
    WorkingCopies *copies, const QHash<int, std::shared_ptr<const LayerIndex>> &known)
{
    Image &img = base->archive.images[base->image];
    LayerIndexOptions options;
    options.computeDigests = true;
    if (copies)
        options.copyStored = [copies](int member) { return copies->open(member); };
    options.takeOpened(known); // those hashed then: the diff IDs are what this needs
    *indexed = indexImageLayers(base->archive, base->image, options, progress);
    base->indexes = indexed->layers;
    QStringList diffIds;
    for (ImageLayer &l : img.layers) {
        const auto &index = indexed->layers.value(l.index);
        if (!index || !index->complete || index->diffId.isEmpty()) {
            *error = QStringLiteral("base layer %1 could not be read: %2")
                         .arg(l.index)
                         .arg(!l.error.isEmpty()        ? l.error
                                 : progress.cancelled() ? QStringLiteral("cancelled")
                                                        : indexed->errors.value(0, QStringLiteral("unreadable")));
            return false;
        }
        l.diffId = index->diffId;
        diffIds << l.diffId;
    }
    const LegacyConfig made = legacyImageConfig(base->archive, img, diffIds);
    if (!made.ok()) {
        *error
            = QStringLiteral("the base is legacy-only and Docker's legacy loader would refuse it: %1").arg(made.error);
        return false;
    }
    base->configBytes = made.bytes;
    base->config = QJsonDocument::fromJson(made.bytes).object();
    base->configFromLegacy = true;
    base->configRewritten = made.rewritten;
    return true;
}

bool findLayers(ExportBase *base, const ImageLayers &indexed, const QString &workDir, const Progress &progress,
    QString *error, const WorkingCopies *copies)
{
    const Archive &archive = *base->archive.archive;
    QSet<int> needStreaming;
    for (const ImageLayer &l : base->archive.images.at(base->image).layers) {
        if (l.member < 0 || l.diffId.isEmpty()) {
            *error = QStringLiteral("base layer %1 is missing (%2)")
                         .arg(l.index)
                         .arg(l.error.isEmpty() ? QStringLiteral("no diff ID") : l.error);
            return false;
        }
        LayerSource s;
        s.diffId = l.diffId;
        s.member = l.member;
        s.compression = l.compression;
        s.storedSize = archive.member(l.member).size;
        s.storedDigest = Digest::parse(l.digest);
        const auto &li = indexed.layers.value(l.index);
        // No descriptor gave it (a docker archive's layer): the digest the indexing computed
        // of the same stored bytes, rather than a second read for it.
        if (!s.storedDigest.isSha256() && li && li->complete && !li->storedDigest.isEmpty())
            s.storedDigest = Digest::parse(li->storedDigest);
        if (!s.storedDigest.isSha256())
            s.storedDigest = {};
        s.size = l.compression == Compression::None ? s.storedSize : (li ? li->uncompressedSize : -1);
        if (s.size < 0) {
            *error = QStringLiteral("base layer %1 could not be read").arg(l.index);
            return false;
        }
        if (!archive.seekable()) {
            s.file = copies ? copies->whole(l.member) : QString();
            if (s.file.isEmpty())
                needStreaming.insert(l.member);
        }
        base->layers << s;
    }
    if (needStreaming.isEmpty())
        return true;
    QString why;
    if (streamLayersOut(base, needStreaming, workDir, progress, &why))
        return true;
    *error = QStringLiteral("the base could not be streamed: %1").arg(why);
    return false;
}

/// Indexes the base on a thread of its own, stopped when the base is dropped.
void indexInBackground(ExportBase *base)
{
    Progress background;
    background.cancel = base->stopIndexing.get();
    base->laterIndexes = std::async(
        std::launch::async, [archive = base->archive, image = base->image, background, keep = base->stopIndexing] {
            return indexImageLayers(archive, image, {}, background).layers;
        });
}

} // namespace

Compression storedCompression(const Image &img, Compression otherwise)
{
    if (img.layers.isEmpty())
        return otherwise;
    const Compression first = img.layers.constFirst().compression;
    const bool alike = std::all_of(
        img.layers.begin(), img.layers.end(), [first](const ImageLayer &l) { return l.compression == first; });
    return alike && (first == Compression::None || first == Compression::Gzip || first == Compression::Zstd)
        ? first
        : otherwise;
}

bool loadExportBase(const Composition &composition, const ExportOptions &options, const QString &workDir,
    const Progress &progress, ExportBase *base, QString *error,
    const std::function<PrewrittenBlobs *(const Image &)> &prewrite, bool writesBaseFirst)
{
    if (composition.basePath.isEmpty())
        return true;
    // A base compressed as a whole is read once: the pass that opens it indexes its layers and
    // writes them into the working folder (where findLayers() would otherwise stream them once
    // more), computing the digests of the compressed ones when the result is checked (see below).
    WorkingCopies copiesMade(workDir);
    LayerIndexOptions openOptions;
    openOptions.computeDigests = options.checkResult;
    openOptions.copyStored = [&copiesMade](int member) { return copiesMade.open(member); };
    StreamedLayers streamedLayers(openOptions, progress);
    streamedLayers.hashCompressedOnly();
    base->archive = openImageArchive(composition.basePath, progress, options.registry, streamedLayers.tap());
    if (!base->archive.ok()) {
        *error = QStringLiteral("no image could be read from %1: %2")
                     .arg(composition.basePath, base->archive.errors.value(0, QStringLiteral("not an image archive")));
        return false;
    }
    base->image = chooseImage(composition, base->archive, error);
    if (base->image < 0)
        return false;
    Image &img = base->archive.images[base->image];
    PrewrittenBlobs *const prewritten = prewrite ? prewrite(img) : nullptr;
    ImageLayers indexed;
    const bool streamed = !base->archive.archive->seekable();
    WorkingCopies *const copies = streamed ? &copiesMade : nullptr;
    if (!img.config && img.source == ImageSource::Legacy) {
        if (!configFromLegacy(base, progress, &indexed, error, copies, streamedLayers.indexed()))
            return false;
    } else if (!img.config || !img.config->hasRootfs) {
        *error = QStringLiteral("the base image has no usable config");
        return false;
    } else {
        base->config = img.config->raw;
        // The stored bytes only when they are written as they are (convert): a composed config is
        // written anew from `config`.
        if (composition.keepBaseConfig) {
            const Archive::Resolved r = base->archive.archive->resolve(img.configPath);
            if (r.index >= 0)
                base->configBytes = base->archive.archive->read(r.index).data;
        }
    }
    if (base->configFromLegacy)
        return findLayers(base, indexed, workDir, progress, error, copies); // indexed, with digests, for its config
    const bool uncompressed = std::all_of(
        img.layers.begin(), img.layers.end(), [](const ImageLayer &l) { return l.compression == Compression::None; });
    const bool needed = indexesNeededFirst(composition, img);
    if (needed && writesBaseFirst && uncompressed && !streamed) {
        // Only the new layers need the indexes (the folders they go through, the working
        // folder): the base's layers are written meanwhile.
        indexInBackground(base);
        base->indexingWhileWriting = true;
    } else if (needed || streamed) {
        // A compressed base layer is decompressed once, here: with the result checked, its diff ID
        // is computed in the same pass, so that the copy written can be verified by its stored
        // bytes alone (exportComposition).
        // Only for compressed layers: an uncompressed one is hashed as it is written anyway, and
        // hashing it here too puts a second read of every byte before the writing (on big.tar,
        // 5.4-5.7 s became 6.8-9.9 s).
        LayerIndexOptions indexOptions;
        indexOptions.computeDigests = options.checkResult
            && std::any_of(img.layers.begin(), img.layers.end(),
                [](const ImageLayer &l) { return l.compression != Compression::None; });
        // Streamed, the layers were indexed, and written into the working folder, by the pass
        // that opened the base; any it did not take are read here, in one pass, written on the
        // way. Otherwise the blobs an OCI folder copies as they are, written into it in this
        // same read.
        if (copies) {
            indexOptions.copyStored = [copies](int member) { return copies->open(member); };
            indexOptions.knownByMember = streamedLayers.indexed();
        } else if (prewritten) {
            for (const ImageLayer &l : img.layers)
                if (l.member >= 0 && l.compression == prewritten->compression())
                    prewritten->want(l.member);
            indexOptions.copyStored = [prewritten](int member) { return prewritten->open(member); };
        }
        indexed = indexImageLayers(base->archive, base->image, indexOptions, progress);
        base->indexes = indexed.layers;
    } else if (options.checkResult) {
        indexInBackground(base);
    }
    return findLayers(base, indexed, workDir, progress, error, copies);
}

} // namespace lamina
