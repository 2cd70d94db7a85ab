// SPDX-License-Identifier: MIT
// Which loader reads which description of an archive, and what follows from the findings about
// it. The per-code outcomes are in catalogue.cpp; docs/loaders.md has what the installed loaders
// were seen to do.
#include "check/loaders.h"

#include <QJsonObject>

#include <algorithm>
#include <limits>
#include <utility>

namespace lamina {

const QList<LoaderRange> &loaderRanges()
{
    // Docker 1.10–28 all load through the graphdriver store's tarexporter; 25–28 changed how it saves
    // (an OCI layout beside manifest.json), not how it loads. Docker 29 loads into containerd's
    // image store by default, through containerd's importer.
    static const QList<LoaderRange> ranges = {
        { QStringLiteral("docker"), QStringLiteral("1.10"), QStringLiteral("24.0"), QStringLiteral("Docker 1.10–24"),
            LoaderFamily::DockerClassic, false, true,
            QStringLiteral("moby image/tarexport/load.go (*tarexporter).Load, legacyLoad, legacyLoadImage") },
        { QStringLiteral("docker"), QStringLiteral("25.0"), QStringLiteral("28.5"), QStringLiteral("Docker 25–28"),
            LoaderFamily::DockerClassic, false, false,
            QStringLiteral("moby v25.0.0–v28.5.2 image/tarexport/load.go (*tarexporter).Load, legacyLoad: the same "
                           "manifest.json / legacy fallback as 24") },
        { QStringLiteral("docker"), QStringLiteral("29.0"), QString(), QStringLiteral("Docker 29"),
            LoaderFamily::Containerd2, true, false,
            QStringLiteral(
                "moby daemon/containerd/image_exporter.go (*ImageService).LoadImage → containerd client Import → "
                "core/images/archive/importer.go ImportIndex") },
        { QStringLiteral("containerd"), QStringLiteral("1.6"), QStringLiteral("1.7"),
            QStringLiteral("containerd 1.6–1.7"), LoaderFamily::Containerd, false, true,
            QStringLiteral("containerd images/archive/importer.go ImportIndex (ctr images import)") },
        { QStringLiteral("containerd"), QStringLiteral("2.0"), QString(), QStringLiteral("containerd 2"),
            LoaderFamily::Containerd2, true, false,
            QStringLiteral("containerd core/transfer/archive/importer.go (*ImageImportStream).Import decompresses the "
                           "stream, then "
                           "core/images/archive/importer.go ImportIndex") },
        { QStringLiteral("podman"), QStringLiteral("4.3"), QString(), QStringLiteral("podman"), LoaderFamily::Podman,
            true, true,
            QStringLiteral("containers/image docker/internal/tarfile/reader.go NewReaderFromFile, ChooseManifestItem; "
                           "oci/archive for OCI layouts (podman load tries both)") },
        { QStringLiteral("go-containerregistry"), QStringLiteral("0.5"), QString(),
            QStringLiteral("go-containerregistry"), LoaderFamily::Ggcr, false, false,
            QStringLiteral("go-containerregistry pkg/v1/tarball/image.go Image, (*image).loadTarDescriptorAndConfig") },
    };
    return ranges;
}

View viewReadBy(LoaderFamily family, const ImageArchive &ia)
{
    const bool manifest = ia.manifest.present;
    switch (family) {
    case LoaderFamily::DockerClassic:
        // No manifest.json: legacyLoad reads every top-level folder's json, whatever else is there.
        return manifest ? View::Manifest : ia.legacy.present ? View::Legacy : View::Archive;
    case LoaderFamily::Containerd2:
    case LoaderFamily::Containerd:
        // ImportIndex takes the OCI index whenever oci-layout exists, manifest.json otherwise.
        return ia.oci.hasLayoutFile ? View::Oci : manifest ? View::Manifest : View::Archive;
    case LoaderFamily::Podman:
        return manifest ? View::Manifest : ia.oci.present ? View::Oci : View::Archive;
    case LoaderFamily::Ggcr:
        return manifest ? View::Manifest : View::Archive;
    }
    return View::Archive;
}

bool affects(const Finding &f, LoaderFamily family, const ImageArchive &ia)
{
    return f.view == View::Archive || f.view == viewReadBy(family, ia);
}

static int rank(Verdict v)
{
    return v == Verdict::Refuses ? 2 : v == Verdict::LoadsDifferently ? 1 : 0;
}

QList<LoaderVerdict> loaderVerdicts(const ImageArchive &ia, const QList<Finding> &findings)
{
    QList<LoaderVerdict> out;
    const QList<LoaderRange> &ranges = loaderRanges();
    for (int r = 0; r < ranges.size(); ++r) {
        LoaderVerdict v;
        v.range = r;
        const LoaderFamily fam = ranges.at(r).family;
        // The message is that of the problem a loader meets first: the archive as a whole before its
        // descriptions, a description before the blobs it names.
        static const QStringList first
            = { QStringLiteral("archive-damaged"), QStringLiteral("archive-compressed"), QStringLiteral("not-an-image"),
                  QStringLiteral("manifest-invalid"), QStringLiteral("index-invalid"), QStringLiteral("legacy-only"),
                  QStringLiteral("oci-only"), QStringLiteral("invalid-tag"), QStringLiteral("blob-digest-mismatch") };
        QList<const Finding *> ordered;
        for (const Finding &f : findings)
            ordered << &f;
        std::stable_sort(ordered.begin(), ordered.end(), [](const Finding *a, const Finding *b) {
            // Then, inside the layers, what unpacking in order meets first.
            const auto key = [](const Finding *f) {
                const qsizetype i = first.indexOf(f->code);
                return std::make_pair(i >= 0 ? i : first.size() + (f->view == View::Archive ? 0 : 1),
                    f->position < 0 ? std::numeric_limits<qint64>::max() : f->position);
            };
            return key(a) < key(b);
        });
        for (const Finding *fp : std::as_const(ordered)) {
            const Finding &f = *fp;
            if (!affects(f, fam, ia))
                continue;
            const Outcome &o = f.outcomes.at(int(fam));
            if (o.verdict == Verdict::Loads)
                continue;
            if (rank(o.verdict) > rank(v.verdict)) {
                v.verdict = o.verdict;
                v.because.clear();
                v.message = o.message;
            }
            if (o.verdict == v.verdict && !v.because.contains(f.code))
                v.because << f.code;
        }
        out << v;
    }
    return out;
}

QJsonArray loaderVerdictsJson(const QList<LoaderVerdict> &verdicts)
{
    QJsonArray a;
    for (const LoaderVerdict &v : verdicts) {
        const LoaderRange &r = loaderRanges().at(v.range);
        QJsonObject versions;
        versions.insert(QStringLiteral("from"), r.from);
        versions.insert(QStringLiteral("to"), r.to.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(r.to));
        QJsonObject o;
        o.insert(QStringLiteral("loader"), r.loader);
        o.insert(QStringLiteral("versions"), versions);
        o.insert(QStringLiteral("verdict"), verdictName(v.verdict));
        o.insert(QStringLiteral("because"), QJsonArray::fromStringList(v.because));
        o.insert(QStringLiteral("message"), v.message.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(v.message));
        o.insert(QStringLiteral("observed"), r.observed);
        a.append(o);
    }
    return a;
}

QString loaderVerdictLine(const LoaderVerdict &v)
{
    const LoaderRange &r = loaderRanges().at(v.range);
    QString line = r.label + QStringLiteral(": ") + verdictName(v.verdict).replace(u'-', u' ');
    if (!v.because.isEmpty())
        line += QStringLiteral(" (%1)").arg(v.because.join(QStringLiteral(", ")));
    if (!v.message.isEmpty())
        line += QStringLiteral(": \"%1\"").arg(v.message);
    return line;
}

void deriveSeverities(const ImageArchive &ia, QList<Finding> &findings)
{
    const QStringList codes = findingCodes();
    for (Finding &f : findings) {
        if (!codes.contains(f.code))
            continue; // the checks of a composed image are about running it, not loading it
        bool current = false, other = false;
        for (const LoaderRange &r : loaderRanges()) {
            if (f.outcomes.at(int(r.family)).verdict == Verdict::Loads || !affects(f, r.family, ia))
                continue;
            (r.current ? current : other) = true;
        }
        if (current)
            f.severity = Severity::Error;
        else if (other || f.severity == Severity::Error)
            f.severity = Severity::Warning;
    }
    sortFindings(findings);
}

} // namespace lamina
