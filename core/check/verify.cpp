// SPDX-License-Identifier: MIT
// Verification: one read per layer member, hashing the stored bytes and, through libarchive's
// decompressors, the uncompressed stream (docs/formats.md §3.1: diff ID vs layer digest).
#include "check/verify.h"
#include "check/loaders.h"

#include "format/inspectreport.h"
#include "layers/sharedtree.h"
#include "util/checkedsize.h"
#include "util/sha256.h"
#include "util/threadbudget.h"

#include <QElapsedTimer>
#include <QSet>
#include <QThread>

#include <algorithm>

#include "archive/inflater_p.h"
#include "archive/readerfeed_p.h"

#include <archive.h>
#include <archive_entry.h>

namespace lamina {

namespace {

constexpr qint64 kChunk = 1 << 20;
constexpr qint64 kReportEvery = 16 << 20;

struct Counter
{
    std::atomic<qint64> done { 0 };
    std::atomic<qint64> lastReport { 0 };
    qint64 total = 0;
    const Progress *progress = nullptr;

    void add(qint64 n)
    {
        const qint64 now = done += n;
        qint64 last = lastReport.load();
        if (progress && progress->report && now - last >= kReportEvery && lastReport.compare_exchange_strong(last, now))
            progress->update(now, total);
    }
};

MemberDigest hashMember(MemberReader &reader, Compression compression, Counter &counter, const Progress &progress)
{
    MemberDigest d;
    d.compression = compression;
    Sha256 stored;
    ReaderFeed src(reader, &progress, kChunk);
    src.hash = &stored;
    src.onRead = [&](qint64 n) {
        d.storedBytes += n;
        counter.add(n);
    };
    const bool compressed = compression == Compression::Gzip || compression == Compression::Zstd
        || compression == Compression::Xz || compression == Compression::Bzip2;
    if (!compressed) {
        qint64 n;
        while ((n = src.pull()) > 0) { }
        if (n < 0) {
            d.error = progress.cancelled() ? QStringLiteral("cancelled") : src.error;
            return d;
        }
        d.stored = stored.finish();
        d.uncompressed = d.stored;
        d.uncompressedBytes = d.storedBytes;
        return d;
    }
    // The Inflater hands back the decompressed stream of a single compressed file, the
    // decompression alarm checked on every block.
    Inflater inflater;
    Sha256 uncompressed;
    inflater.hash = &uncompressed;
    inflater.progress = &progress;
    QString why;
    if (!inflater.open(&src, &ReaderFeed::read)) {
        why = inflater.error();
    } else {
        const void *block = nullptr;
        la_ssize_t n;
        while ((n = inflater.next(&block)) > 0)
            d.uncompressedBytes += n;
        if (n < 0)
            why = inflater.bomb() ? inflater.bombMessage(QStringLiteral("the layer")) : inflater.error();
    }
    // Whatever follows the compressed stream still belongs to the blob and its digest.
    qint64 n = 0;
    while (why.isEmpty() && (n = src.pull()) > 0) { }
    if (progress.cancelled()) {
        d.error = QStringLiteral("cancelled");
        return d;
    }
    if (!src.error.isEmpty()) {
        d.error = src.error;
        return d;
    }
    if (!why.isEmpty()) {
        d.error = QStringLiteral("cannot decompress (%1): %2").arg(compressionName(compression), why);
        return d;
    }
    d.stored = stored.finish();
    d.uncompressed = uncompressed.finish();
    return d;
}

} // namespace

MemberDigest hashMemberBytes(MemberReader &reader, Compression compression, const Progress &progress)
{
    Counter counter;
    return hashMember(reader, compression, counter, progress);
}

VerifyReport verifyArchive(
    const ImageArchive &ia, const Progress &progress, int threads, const QHash<int, MemberDigest> &known)
{
    VerifyReport report;
    if (!ia.archive)
        return report;
    const Archive &ar = *ia.archive;
    QElapsedTimer timer;
    timer.start();

    QHash<int, Compression> wanted;
    const QHash<int, qint64> limits = descriptorLimits(ia);
    for (const Image &img : ia.images)
        for (const ImageLayer &l : img.layers)
            if (l.member >= 0 && !known.contains(l.member))
                wanted.insert(l.member, l.compression);
    for (auto it = known.begin(); it != known.end(); ++it)
        report.members.insert(it.key(), it.value());
    Counter counter;
    counter.progress = &progress;
    for (auto it = wanted.begin(); it != wanted.end(); ++it)
        counter.total = addSizes(counter.total, ar.member(it.key()).size);

    // Hashes a member, never reading more than one byte past what its descriptors give.
    const auto hash = [&](int member, MemberReader &reader) {
        if (!limits.contains(member))
            return hashMember(reader, wanted.value(member), counter, progress);
        LimitedReader limited(reader, limits.value(member), ar.member(member).path);
        return hashMember(limited, wanted.value(member), counter, progress);
    };

    if (ar.seekable()) {
        // Biggest first, so the two cores finish together.
        QList<int> order = wanted.keys();
        std::sort(order.begin(), order.end(), [&](int a, int b) { return ar.member(a).size > ar.member(b).size; });
        const int n = threads > 0 ? threads : std::max(1, QThread::idealThreadCount());
        std::atomic<int> next { 0 };
        std::vector<MemberDigest> results(size_t(order.size()));
        auto work = [&] {
            for (int i; (i = next++) < order.size();) {
                if (progress.cancelled())
                    return;
                QString error;
                std::unique_ptr<MemberReader> reader = ar.openMember(order.at(i), &error, progress.cancelOnly());
                if (!reader) {
                    results[size_t(i)].error = error;
                    continue;
                }
                results[size_t(i)] = hash(order.at(i), *reader);
            }
        };
        runShared(std::min<int>(n, int(order.size())), work);
        for (int i = 0; i < order.size(); ++i)
            report.members.insert(order.at(i), results[size_t(i)]);
    } else {
        const QSet<int> keys(wanted.keyBegin(), wanted.keyEnd());
        QString error;
        const bool ok = ar.scanMembers(
            keys,
            [&](int index, MemberReader &reader) {
                report.members.insert(index, hash(index, reader));
                return !progress.cancelled();
            },
            progress, &error);
        if (!ok)
            report.error = error;
    }
    report.cancelled = progress.cancelled();
    report.bytesRead = counter.done.load();
    for (const MemberDigest &d : std::as_const(report.members))
        report.bytesVerified += d.storedBytes;
    report.seconds = double(timer.nsecsElapsed()) / 1e9;
    progress.update(report.bytesRead, counter.total);
    return report;
}

VerifyReport verifyFromIndexes(const ImageArchive &ia, const QList<ImageLayers> &indexed, const Progress &progress)
{
    QHash<int, MemberDigest> known;
    for (int i = 0; i < ia.images.size() && i < indexed.size(); ++i) {
        for (const ImageLayer &l : ia.images.at(i).layers) {
            const auto &index = indexed.at(i).layers.value(l.index);
            if (l.member < 0 || !index || index->storedDigest.isEmpty())
                continue;
            MemberDigest d;
            d.stored = index->storedDigest;
            d.uncompressed = index->diffId;
            d.storedBytes = index->storedSize;
            d.uncompressedBytes = index->uncompressedSize;
            d.compression = index->compression;
            known.insert(l.member, d);
        }
    }
    return verifyArchive(ia, progress, 0, known);
}

QList<Finding> verificationFindings(const ImageArchive &ia, const VerifyReport &report)
{
    QList<Finding> findings;
    auto add = [&](const char *code, Severity severity, int image, int layer, const QString &member,
                   const QString &message, const QString &specific) {
        Finding f = makeFinding(code, severity, message, specific);
        f.image = image;
        if (layer >= 0)
            f.layers << layer;
        if (!member.isEmpty())
            f.members << member;
        findings.append(f);
    };
    QSet<int> damaged;
    for (int i = 0; i < ia.images.size(); ++i) {
        const Image &img = ia.images.at(i);
        const QString name = imageName(img, i);
        for (const ImageLayer &l : img.layers) {
            if (l.member < 0 || !report.members.contains(l.member))
                continue;
            const MemberDigest &d = report.members.value(l.member);
            if (!d.error.isEmpty()) {
                if (d.error == u"cancelled")
                    continue;
                if (d.error.contains(u"its descriptor gives")) {
                    if (!damaged.contains(l.member)) {
                        damaged.insert(l.member);
                        add("blob-size-mismatch", Severity::Error, i, l.index, l.resolvedPath,
                            QStringLiteral("%1 layer %2: %3").arg(name).arg(l.index).arg(d.error), {});
                    }
                    continue;
                }
                if (d.error.contains(u"decompress")) {
                    add("diffid-mismatch", Severity::Error, i, l.index, l.resolvedPath,
                        QStringLiteral("%1 layer %2: %3: %4").arg(name).arg(l.index).arg(l.resolvedPath, d.error),
                        d.error.contains(u"decompression bomb")
                            ? QStringLiteral("Reading stopped at the decompression alarm, so no diff ID was computed.")
                            : QStringLiteral(
                                "The stored bytes are not a valid %1 stream, so no diff ID can be computed.")
                                  .arg(compressionName(d.compression)));
                    // The loaders stop while unpacking, before any digest is compared.
                    for (Outcome &o : findings.last().outcomes)
                        if (o.verdict == Verdict::Refuses && !d.error.contains(u"decompression bomb"))
                            o.message = QStringLiteral("unexpected EOF");
                } else if (!damaged.contains(l.member)) {
                    damaged.insert(l.member);
                    add("archive-damaged", Severity::Error, i, l.index, l.resolvedPath,
                        QStringLiteral("%1 layer %2: %3").arg(name).arg(l.index).arg(d.error), {});
                }
                continue;
            }
            if (!l.diffId.isEmpty() && d.uncompressed != l.diffId) {
                add("diffid-mismatch", Severity::Error, i, l.index, l.resolvedPath,
                    QStringLiteral("%1 layer %2: %3 hashes to %4 uncompressed, but the config says %5")
                        .arg(name)
                        .arg(l.index)
                        .arg(l.resolvedPath, shortDigest(d.uncompressed), shortDigest(l.diffId)),
                    d.stored == l.diffId && d.compression != Compression::None ? QStringLiteral(
                        "The diff ID given is the digest of the compressed file: the producer hashed the stored "
                        "blob instead of its uncompressed stream (nix buildImage on a compressed base does this).")
                                                                               : QString());
            }
            if (!l.digest.isEmpty() && l.digest.startsWith(u"sha256:") && d.stored != l.digest) {
                add("blob-digest-mismatch", Severity::Error, i, l.index, l.resolvedPath,
                    QStringLiteral("%1 layer %2: %3 hashes to %4, not the %5 it is named by")
                        .arg(name)
                        .arg(l.index)
                        .arg(l.resolvedPath, shortDigest(d.stored), shortDigest(l.digest)),
                    {});
                // The digest names an OCI blob (or a LayerSources descriptor): only its readers check it.
                findings.last().view = img.ociManifest >= 0 ? View::Oci : View::Manifest;
            }
        }
    }
    if (!report.error.isEmpty() && !report.cancelled)
        add("archive-damaged", Severity::Error, -1, -1, {}, report.error, {});
    deriveSeverities(ia, findings);
    return findings;
}

QList<Finding> layerContentFindings(const ImageArchive &ia, const QList<ImageLayers> &indexed)
{
    QList<Finding> findings;
    QSet<int> seen; // layer files: one file shared by images is reported once
    for (int i = 0; i < ia.images.size() && i < indexed.size(); ++i) {
        const Image &img = ia.images.at(i);
        const QString name = imageName(img, i);
        for (const ImageLayer &l : img.layers) {
            const auto &index = indexed.at(i).layers.value(l.index);
            if (l.member < 0 || !index || seen.contains(l.member))
                continue;
            seen.insert(l.member);
            QList<LayerIndex::Issue> issues = index->issues;
            // In the bottom layer a hard link to a path the layer does not hold names nothing.
            for (int e = 0; l.index == 0 && e < index->size(); ++e)
                if (index->entry(e).type == EntryType::Hardlink && !(index->entry(e).flags & LayerEntry::Shadowed)
                    && index->linkSource(e) < 0)
                    issues.append({ QStringLiteral("layer-hardlink-invalid"), true,
                        QStringLiteral(
                            "\"%1\": a hard link to \"%2\", which is in no layer; Lamina shows it as a link to nothing")
                            .arg(QString::fromUtf8(index->path(e)), QString::fromUtf8(index->linkTarget(e))) });
            // In the order a loader unpacking the layer meets them: the first is what it prints.
            std::stable_sort(issues.begin(), issues.end(),
                [](const LayerIndex::Issue &a, const LayerIndex::Issue &b) { return a.header < b.header; });
            qint64 order = 0;
            for (const LayerIndex::Issue &issue : std::as_const(issues)) {
                Finding f = makeFinding(issue.code.toLatin1().constData(),
                    issue.refused ? Severity::Error : Severity::Warning,
                    QStringLiteral("%1 layer %2 (%3): %4").arg(name).arg(l.index).arg(l.resolvedPath, issue.message));
                f.image = i;
                f.layers << l.index;
                f.members << l.resolvedPath;
                f.position = (qint64(l.index) << 32) + order++;
                if (f.code == u"layer-whiteout-invalid") {
                    const QString why = issue.message.contains(u"opaque") ? QStringLiteral("not a directory")
                                                                          : QStringLiteral("invalid whiteout name");
                    f.containerdOutcome(Verdict::Refuses, why);
                    if (issue.refused)
                        for (LoaderFamily fam : { LoaderFamily::DockerClassic, LoaderFamily::Podman })
                            f.outcome(fam, Verdict::Refuses, QStringLiteral("device or resource busy"));
                } else if (!issue.refused) {
                    f.outcomes.fill(Outcome {});
                }
                findings.append(f);
            }
        }
    }
    // What only the layers below show: one tree per distinct stack of layer files.
    QSet<QList<int>> stacks;
    for (int i = 0; i < ia.images.size() && i < indexed.size(); ++i) {
        const Image &img = ia.images.at(i);
        QList<int> stack;
        bool whole = !img.layers.isEmpty();
        for (const ImageLayer &l : img.layers) {
            stack << l.member;
            whole = whole && l.member >= 0 && indexed.at(i).layers.value(l.index);
        }
        if (!whole || stacks.contains(stack))
            continue;
        stacks.insert(stack);
        // The window shows this tree already, most often: borrowed, not built a second time.
        const auto shared = borrowOrBuildTree(indexed.at(i).layers, int(indexed.at(i).layers.size()) - 1);
        const MergedTree &tree = *shared;
        const QString name = imageName(img, i);
        for (const auto &[layer, message] : tree.issues()) {
            const ImageLayer &l = img.layers.at(layer);
            Finding f = makeFinding("layer-whiteout-invalid", Severity::Warning,
                QStringLiteral("%1 layer %2 (%3): %4").arg(name).arg(layer).arg(l.resolvedPath, message));
            // An opaque marker under a lower file: containerd cannot make the folder it sits in.
            f.containerdOutcome(Verdict::Refuses, QStringLiteral("not a directory"));
            f.image = i;
            f.layers << layer;
            f.members << l.resolvedPath;
            findings.append(f);
        }
    }
    deriveSeverities(ia, findings);
    return findings;
}

LayerVerification verifyLayers(
    const ImageArchive &ia, const Progress &progress, const QHash<int, std::shared_ptr<const LayerIndex>> &known)
{
    LayerVerification v;
    if (!ia.archive)
        return v;
    QElapsedTimer timer;
    timer.start();
    const qint64 readBefore = ia.archive->bytesRead();
    LayerIndexOptions options;
    options.computeDigests = true;
    options.knownByMember = known;
    const QList<ImageLayers> indexed = indexAllImageLayers(ia, options, progress);
    v.report = verifyFromIndexes(ia, indexed, progress);
    // The indexing hashed most layers as it read them (or took their digests from the index
    // cache), and verifyFromIndexes counts only what was left to hash: the report is of the
    // whole ("verified 40 layer files, 0.0 MB in 0.00 s" was printed for 2.3 GB hashed).
    v.report.bytesVerified = 0;
    for (const MemberDigest &d : std::as_const(v.report.members))
        v.report.bytesVerified += d.storedBytes;
    // Streamed (compressed as a whole), every layer was hashed in this run, while opening or
    // now, and the bytes read are the compressed archive's, not the layers': the index cache
    // keeps nothing of such an archive.
    v.report.bytesRead = ia.archive->seekable() ? std::min(ia.archive->bytesRead() - readBefore, v.report.bytesVerified)
                                                : v.report.bytesVerified;
    v.report.seconds = double(timer.nsecsElapsed()) / 1e9;
    if (!v.report.cancelled)
        v.findings = verificationFindings(ia, v.report) + layerContentFindings(ia, indexed);
    return v;
}

} // namespace lamina
