// SPDX-License-Identifier: MIT
#pragma once

#include <QList>

#include <array>

#include <QString>
#include <QStringList>

namespace lamina {

/// error: a current loader fails or loads something other than intended; warning: some loader,
/// or an older one, fails or behaves differently; info: worth knowing.
enum class Severity { Error, Warning, Info };
QString severityName(Severity s);

/// What each family of loaders does with a finding (docs/formats.md §4).
struct LoaderReactions
{
    QString dockerClassic; ///< Docker ≤ 28 with the graphdriver store (reads manifest.json; L without it)
    QString containerd; ///< Docker 29 / containerd image store (reads the OCI layout when present)
    QString podman; ///< podman / skopeo (containers/image docker-archive: manifest.json only)
    QString ggcr; ///< go-containerregistry (crane, kaniko): manifest.json only
};

/// What a loader does with an archive: loads the image the archive describes, refuses it, or loads
/// another image than the one the manifest describes.
enum class Verdict { Loads, Refuses, LoadsDifferently };
QString verdictName(Verdict v);

/// The loader families whose verdicts differ (core/check/loaders.cpp names the versions).
/// Containerd2 is containerd's importer as Docker 29 and containerd 2 call it: the stream is
/// decompressed first; Containerd is containerd 1.6–1.7's, which reads a plain tar.
enum class LoaderFamily { DockerClassic, Containerd2, Containerd, Podman, Ggcr };
constexpr int kLoaderFamilies = 5;

struct Outcome
{
    Verdict verdict = Verdict::Loads;
    QString message; ///< a substring of what the loader prints; empty when not known
};

/// Which description of the archive a finding is about: a loader is affected by it only when it
/// reads that description (core/check/loaders.h).
enum class View { Archive, Manifest, Oci, Legacy };

/// One way the views of an archive disagree with each other or with the bytes. The code is stable
/// (docs/findings.md lists every code and when it is reported).
struct Finding
{
    QString code;
    Severity severity = Severity::Info;
    View view = View::Archive; ///< Archive: whatever description a loader reads
    int image = -1; ///< index into ImageArchive::images, -1 when not about one image
    QList<int> layers; ///< layer positions within that image
    QStringList members; ///< archive members involved
    QStringList paths; ///< image paths involved ("/etc/x"), for checks of a composed image
    QString message; ///< one line naming what is involved
    QString explanation; ///< plain words: what the parts mean and why this happens
    LoaderReactions loaders;
    /// For problems inside layers: where a loader unpacking in order meets it (layer, then entry),
    /// so that of several refusals the one it prints is known; -1 otherwise.
    qint64 position = -1;
    /// What each LoaderFamily does when it reads the view this finding concerns.
    std::array<Outcome, kLoaderFamilies> outcomes;

    /// Sets what `family` does for this case (a check knows more than its code's catalogue entry).
    Finding &outcome(LoaderFamily family, Verdict verdict, const QString &message = {})
    {
        outcomes[std::size_t(family)] = Outcome { verdict, message };
        return *this;
    }
    /// The same for every version of containerd's importer (Docker 29 included).
    Finding &containerdOutcome(Verdict verdict, const QString &message = {})
    {
        outcome(LoaderFamily::Containerd2, verdict, message);
        return outcome(LoaderFamily::Containerd, verdict, message);
    }
};

/// The general explanation and loader reactions of a code; checks add the specifics.
struct CodeInfo
{
    QString title;
    QString explanation;
    LoaderReactions loaders;
    std::array<Outcome, kLoaderFamilies> outcomes;
};
/// Every code Lamina can report, in catalogue order.
QStringList findingCodes();
/// The codes of the checks run on a composition's result (lamina compose).
QStringList composeCheckCodes();
/// Information on a code; an empty CodeInfo for an unknown code.
CodeInfo codeInfo(const QString &code);

/// A finding of `code` with its catalogue explanation (plus `specific`, the case's own words) and
/// loader reactions filled in; the one way every check builds its findings.
Finding makeFinding(const char *code, Severity severity, const QString &message, const QString &specific = {});

/// Sorts findings: errors first, then warnings, then info; stable within a severity.
void sortFindings(QList<Finding> &findings);

} // namespace lamina
