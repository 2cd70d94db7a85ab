// SPDX-License-Identifier: MIT
#pragma once

#include "check/finding.h"
#include "format/imagearchive.h"

#include <QJsonArray>

namespace lamina {

/// A loader over a range of versions that behave alike. Those whose `observed` is true are run on
/// every archive of the tests by tests/core/check/tst_loaders (docs/loaders.md); the others are described from
/// the named source.
struct LoaderRange
{
    QString loader; ///< "docker", "containerd", "podman", "go-containerregistry"
    QString from; ///< "X.Y"
    QString to; ///< "X.Y", or empty: up to the newest release
    QString label; ///< "Docker 1.10–24"
    LoaderFamily family;
    bool current; ///< the loader people use today: its refusal makes a finding an error
    bool observed;
    QString source; ///< the file and function the behaviour comes from
};

/// The loader ranges, in the order they are reported.
const QList<LoaderRange> &loaderRanges();

/// What one loader range does with one archive.
struct LoaderVerdict
{
    int range = -1; ///< index into loaderRanges()
    Verdict verdict = Verdict::Loads;
    QStringList because; ///< the finding codes behind a refusal or a different image
    QString message; ///< what the loader prints (a substring of it), or empty when not known
};

/// Which description of the archive a loader family reads: View::Archive when it finds none.
View viewReadBy(LoaderFamily family, const ImageArchive &ia);
/// Whether a finding concerns what `family` reads.
bool affects(const Finding &f, LoaderFamily family, const ImageArchive &ia);

/// The verdict of every loader range on an archive with these findings.
QList<LoaderVerdict> loaderVerdicts(const ImageArchive &ia, const QList<Finding> &findings);
/// `check --json`'s "loaderVerdicts".
QJsonArray loaderVerdictsJson(const QList<LoaderVerdict> &verdicts);
/// "Docker 1.10–24: refuses (oci-only): open …" — one line per range.
QString loaderVerdictLine(const LoaderVerdict &v);

/// Sets each finding's severity from what the loaders do with it: error when a current loader that
/// reads what it concerns refuses or loads another image; warning when only an older loader or a
/// library does; otherwise the check's own severity, at most warning.
void deriveSeverities(const ImageArchive &ia, QList<Finding> &findings);

} // namespace lamina
