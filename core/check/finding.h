// SPDX-License-Identifier: MIT
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace lamina {

/// error: a current loader fails or loads something other than intended; warning: some loader,
/// or an older one, fails or behaves differently; info: worth knowing.
enum class Severity { Error, Warning, Info };
QString severityName(Severity s);

/// What each family of loaders does with a finding (FORMATS.md §4).
struct LoaderReactions
{
    QString dockerClassic; ///< Docker ≤ 28 with the graphdriver store (reads manifest.json; L without it)
    QString containerd; ///< Docker 29 / containerd image store (reads the OCI layout when present)
    QString podman; ///< podman / skopeo (containers/image docker-archive: manifest.json only)
    QString ggcr; ///< go-containerregistry (crane, kaniko): manifest.json only
};

/// One way the views of an archive disagree with each other or with the bytes. The code is stable
/// (docs/findings.md lists every code and when it is reported).
struct Finding
{
    QString code;
    Severity severity = Severity::Info;
    int image = -1; ///< index into ImageArchive::images, -1 when not about one image
    QList<int> layers; ///< layer positions within that image
    QStringList members; ///< archive members involved
    QStringList paths; ///< image paths involved ("/etc/x"), for checks of a composed image
    QString message; ///< one line naming what is involved
    QString explanation; ///< plain words: what the parts mean and why this happens
    LoaderReactions loaders;
};

/// The general explanation and loader reactions of a code; checks add the specifics.
struct CodeInfo
{
    QString title;
    QString explanation;
    LoaderReactions loaders;
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
