// SPDX-License-Identifier: MIT
// Exporting a composition: the pipeline of its stages (docs/compose.md). The target is checked,
// the base loaded, the new layers and the config made, the layout written beside the target and
// put in place whole, then re-opened and checked as any archive.
#include "compose/composition.h"

#include "check/checks.h"
#include "check/verify.h"
#include "compose/config.h"
#include "compose/dockerlayout.h"
#include "compose/exportbase.h"
#include "compose/exporttarget.h"
#include "compose/layerwriter.h"
#include "compose/newlayers.h"
#include "compose/ocilayout.h"
#include "compose/preflight.h"
#include "compose/prewritten.h"
#include "util/utf8locale.h"
#include "write/backgroundhasher.h"
#include "write/install.h"
#include "write/outputwriter.h"
#include "write/safewrite.h"

#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>

#include <optional>

namespace lamina {

namespace {

/// The layout written into `w`, hashed as it goes when there is a hasher.
/// A docker archive goes through `docker`, which may have written the base's layers already.
bool writeLayout(OutputWriter &w, const ExportOptions &options, const ExportBase &base, const NewLayers &added,
    const ComposedConfig &config, const ExportTarget &target, const QString &created, const QString &workDir,
    BackgroundHasher *hasher, PrewrittenBlobs *prewritten, DockerLayoutWriter *docker, const Progress &progress)
{
    const QList<LayerSource> layers = base.layers + added.sources;
    if (docker) {
        DockerLayoutInput in { layers, base.archive.archive.get(), config, target.tags, created };
        return docker->finish(in);
    }
    OciLayoutInput in { options.format, options.layerCompression, layers, base.archive.archive.get(), config,
        target.tags, workDir, prewritten };
    return writeOciLayout(w, in, hasher, progress);
}

/// The digests of the base blobs adopted from `prewritten`, by their path in the folder: the
/// stored bytes' digest the indexing computed as it wrote them.
QHash<QString, MemberDigest> prewrittenDigests(const PrewrittenBlobs &prewritten, ExportBase &base)
{
    QHash<QString, MemberDigest> out;
    const MergedTree::Layers indexes = base.finalIndexes(); // base.layers' order: bottom to top
    const QList<int> taken = prewritten.taken();
    for (int i = 0; i < base.layers.size() && i < indexes.size(); ++i) {
        const LayerSource &s = base.layers.at(i);
        const auto &index = indexes.at(i);
        if (!taken.contains(s.member) || !s.storedDigest.isValid() || !index || !index->complete
            || index->storedDigest.isEmpty())
            continue;
        MemberDigest d;
        d.stored = index->storedDigest;
        d.storedBytes = index->storedSize;
        d.compression = Compression::None; // as stored bytes: checkWritten takes the diff ID
        out.insert(s.storedDigest.blobPath(), d);
    }
    return out;
}

/// Puts the written output in place: the folder exchanged, the file renamed over the target.
/// Every hash queued is collected into `hashed` while the file is still reachable.
bool install(OutputWriter &w, const ExportOptions &options, const ExportTarget &target, BackgroundHasher *hasher,
    const Progress &progress, QHash<QString, MemberDigest> *hashed, QString *error)
{
    bool ok = w.finish(OutputWriter::Sync::Yes);
    if (target.toFolder && hasher)
        *hashed = hasher->finish(); // before the folder moves
    // The hashing of a file goes on while it is renamed (replacing a big file can wait long on
    // the disk): each member is read through a descriptor opened when it was queued.
    if (!target.toFolder && hasher && hasher->needsName())
        *hashed = hasher->finish();
    QString why = w.error();
    ok = ok && !progress.cancelled()
        && (target.toFolder ? installFolder(w.path(), options.output, &why)
                            : installFile(w.path(), options.output, &why));
    if (hasher)
        *hashed = hasher->finish();
    if (ok)
        return true;
    if (target.toFolder)
        QDir(w.path()).removeRecursively();
    else
        QFile::remove(w.path());
    *error = progress.cancelled() ? QStringLiteral("cancelled")
                                  : QStringLiteral("%1: cannot write: %2").arg(options.output, why);
    return false;
}

/// Re-opens what was written and checks it as any archive: it must stand on its own. Members
/// hashed while they were written are not read again. A compressed blob copied as it is was hashed
/// as stored bytes only: its diff ID is the one computed when the base was indexed, taken only when
/// the written bytes have the digest the base blob had then; else it is verified in full.
void checkWritten(ExportResult &result, const ExportOptions &options, const ExportTarget &target,
    const QHash<QString, MemberDigest> &hashed, const MergedTree::Layers &baseIndexes,
    const MergedTree::Layers &addedIndexes, const Progress &progress)
{
    QHash<QString, std::shared_ptr<const LayerIndex>> baseByStored;
    for (const auto &index : baseIndexes)
        if (index && index->complete && !index->storedDigest.isEmpty() && !index->diffId.isEmpty())
            baseByStored.insert(index->storedDigest, index);
    const ImageArchive written = openImageArchive(options.output);
    result.checks = checkArchive(written);
    QHash<int, MemberDigest> known;
    for (const Image &img : written.images) {
        for (const ImageLayer &l : img.layers) {
            if (l.member < 0 || !written.archive)
                continue;
            const Member &m = written.archive->member(l.member);
            const QString key = target.toFolder ? m.path
                : m.dataOffset >= 0             ? QString::number(m.dataOffset)
                                                : QString();
            const auto it = hashed.constFind(key);
            if (key.isEmpty() || it == hashed.constEnd() || it->storedBytes != m.size)
                continue;
            MemberDigest digest = *it;
            if (l.compression != Compression::None && digest.compression == Compression::None) {
                const auto base = baseByStored.constFind(digest.stored);
                if (base == baseByStored.constEnd())
                    continue; // not bytes the base pass hashed: verified in full
                digest.uncompressed = (*base)->diffId;
                digest.uncompressedBytes = (*base)->uncompressedSize;
                digest.compression = l.compression;
            }
            known.insert(l.member, digest);
        }
    }
    result.checks += verificationFindings(written, verifyArchive(written, progress, 0, known));
    // What the layers hold: hashing does not read their entries. The base's are copied with the
    // same entries (stored as they were, or decompressed), so their indexes say it; a damaged or
    // faulty base layer is as faulty in the output.
    if (written.images.size() == 1) {
        ImageLayers contents;
        contents.layers = baseIndexes + addedIndexes;
        if (contents.layers.size() == written.images.constFirst().layers.size())
            result.checks += layerContentFindings(written, { contents });
    }
    sortFindings(result.checks);
    result.loaderVerdicts = loaderVerdicts(written, result.checks);
}

/// The base's config as its bytes are: its image ID kept (for a legacy-only base, the ID Docker's
/// legacy loader gives it).
bool keepConfigBytes(const ExportBase &base, ComposedConfig *config, QString *error)
{
    if (base.configBytes.isEmpty()) {
        const Image &img = base.archive.images.at(base.image);
        *error = QStringLiteral("the base's config %1 could not be read again").arg(img.configPath);
        return false;
    }
    config->bytes = base.configBytes;
    config->imageId = Digest::sha256Of(base.configBytes);
    config->config = base.config;
    config->settings = base.config.value(u"config").toObject();
    return true;
}

} // namespace

ExportResult exportComposition(const Composition &composition, const ExportOptions &options, const Progress &progress)
{
    const Utf8Thread utf8; // names go out as UTF-8 whatever the user's locale
    ExportResult result;
    ExportTarget target;
    if (!checkExportTarget(composition, options, &target, &result.error))
        return result;
    // What a killed run left beside the target is removed first: only names that prove they are
    // Lamina's temporaries, and never the base (docs/limits.md).
    const QString outputFolder = QFileInfo(options.output).absolutePath();
    removeStalePartials(outputFolder, { fileIdOf(composition.basePath) });
    QTemporaryDir work(partialPathFor(options.output) + QStringLiteral("-XXXXXX"));
    if (!work.isValid()) {
        result.error = QStringLiteral("%1: cannot create a working folder there").arg(outputFolder);
        return result;
    }
    // The archive (or folder), written beside the target and renamed when complete. Opened
    // first: an OCI folder receives the base blobs it copies as they are while the base is read.
    const QString part = partialPathFor(options.output);
    const std::unique_ptr<OutputWriter> w = target.toFolder
        ? OutputWriter::folder(part, target.mtime, &result.error)
        : OutputWriter::tar(part, options.compress, target.mtime, &result.error);
    if (!w)
        return result;
    // Until install() takes over, a failure leaves nothing of the output behind.
    struct Abandon
    {
        const OutputWriter *w;
        ~Abandon()
        {
            if (!w)
                return;
            if (w->isFolder())
                QDir(w->path()).removeRecursively();
            else
                QFile::remove(w->path());
        }
    } abandon { w.get() };
    // What is settled only once the base is open (convert): the layer compression, the tags.
    ExportOptions settled = options;
    std::unique_ptr<PrewrittenBlobs> prewritten;
    const auto prewrite = [&](const Image &img) {
        if (options.layerCompressionAsBase)
            settled.layerCompression = storedCompression(img, options.layerCompression);
        if (target.toFolder && settled.layerCompression != Compression::None)
            prewritten = std::make_unique<PrewrittenBlobs>(*w, target.mtime, settled.layerCompression);
        return prewritten.get();
    };
    const bool docker = options.format == ExportFormat::Docker;
    ExportBase base;
    if (!loadExportBase(composition, options, work.path(), progress, &base, &result.error, prewrite, docker))
        return result;
    result.baseImage = base.image;
    if (composition.keepBaseTags && base.image >= 0
        && !normaliseTags(base.archive.images.at(base.image).tags, &target.tags, &result.error))
        return result;
    result.tags = target.tags;
    if (options.keepBase && base.image >= 0)
        result.base = std::make_shared<const ImageArchive>(base.archive);
    result.baseConfigFromLegacy = base.configFromLegacy;
    result.baseConfigRewritten = base.configRewritten;
    // The output is hashed as it is written (read back from the file), unless it is compressed as
    // a whole: then it is verified after, in one streaming pass.
    std::unique_ptr<BackgroundHasher> hasher;
    if (options.checkResult && !w->compressedAsWhole())
        hasher = std::make_unique<BackgroundHasher>(progress);
    std::optional<DockerLayoutWriter> dockerWriter;
    if (docker)
        dockerWriter.emplace(*w, base.archive.archive.get(), hasher.get(), progress);
    bool writing = true;
    if (base.indexingWhileWriting && dockerWriter && base.config.value(u"os").isString()) {
        // The base's layers are copied while the base is indexed for the new layers; the top one
        // only when a new layer will surely be above it (a working folder alone may need none).
        // A new layer that cannot be written (a host file missing) says so before any copying.
        for (const LayerSpec &spec : composition.layers) {
            result.error = checkLayerSpec(spec);
            if (!result.error.isEmpty())
                return result;
        }
        QList<LayerSource> lower = base.layers;
        if (composition.layers.isEmpty() && !lower.isEmpty())
            lower.removeLast();
        writing = dockerWriter->writeLower(lower, base.config.value(u"os").toString(), composition.created);
    }
    NewLayers added;
    if (writing && !progress.cancelled()
        && !writeNewLayers(composition, base.indexingWhileWriting ? base.finalIndexes() : base.indexes, target.mtime,
            work.path(), progress, &added, &result.error))
        return result;
    result.layerDiffIds = added.diffIds;
    ComposedConfig config = composeConfig(base.config, composition, added.specs, added.diffIds);
    if (composition.keepBaseConfig && !keepConfigBytes(base, &config, &result.error))
        return result;
    result.imageId = config.imageId.toString();

    if (writing && !progress.cancelled())
        writeLayout(*w, settled, base, added, config, target, composition.created, work.path(), hasher.get(),
            prewritten.get(), dockerWriter ? &*dockerWriter : nullptr, progress);
    if (prewritten)
        prewritten->removeRest(); // before the folder is put in place
    QHash<QString, MemberDigest> hashed;
    abandon.w = nullptr;
    if (!install(*w, options, target, hasher.get(), progress, &hashed, &result.error) || !options.checkResult)
        return result;
    if (prewritten)
        hashed.insert(prewrittenDigests(*prewritten, base));
    checkWritten(result, options, target, hashed, base.finalIndexes(), added.indexes, progress);
    const int baseLayers = base.image < 0 ? 0 : int(base.archive.images.at(base.image).layers.size());
    result.preflight = preflightChecks(
        base.finalIndexes() + added.indexes, baseLayers, config.settings, added.workdirAdded, added.specs);
    result.preflight += tagChecks(target.tags);
    sortFindings(result.preflight);
    return result;
}

} // namespace lamina
