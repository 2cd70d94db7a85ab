// SPDX-License-Identifier: MIT
// Private to core/check: the state checkArchive() carries through the checks of every view. Each
// group of checks is defined in the file named beside it.
#pragma once

#include "check/finding.h"
#include "format/imagearchive.h"

#include <QList>
#include <QSet>
#include <QString>
#include <QStringList>

namespace lamina {

class Checker
{
public:
    explicit Checker(const ImageArchive &ia)
        : m_ia(ia)
        , m_ar(*ia.archive)
    {
    }

    QList<Finding> run();

private:
    // checks.cpp
    Finding &add(const char *code, Severity severity, const QString &message, const QString &specific = {});
    bool hasManifest() const { return m_ia.manifest.present; }
    Severity legacySeverity() const { return hasManifest() || m_ia.oci.present ? Severity::Warning : Severity::Error; }
    int imageOfEntry(int entry) const;
    int imageOfOci(int manifest) const;
    bool isUnsafe(const QString &p) const;
    bool isLink(const QString &path) const;
    static QString shortList(const QStringList &ids);

    // archivechecks.cpp
    void archiveLevel();
    void orphans();

    // manifestchecks.cpp
    void manifestLevel();
    void checkConfig(
        const LoadedConfig &c, int image, const QString &where, bool fromManifest, const Descriptor &descriptor);
    void checkConfigTypes(const ImageConfig &cfg, int image, const QString &member);
    void checkParent(const ManifestEntry &e);
    void checkLayerSources(const ManifestEntry &e);

    // ocichecks.cpp
    void ociLevel();
    void ociLayoutProblems(const OciView &o);
    void ociManifestLevel(int i);
    void manifestAgainstOci(const OciView &o);

    // imagechecks.cpp
    void imageLevel(int index);
    void checkHistory(const Image &img, int index, const QString &name);
    void layerNotFound(const Image &img, int index, const QString &name, const ImageLayer &l);
    void checkLayerLinkHops(int index, const QString &name, const ImageLayer &l);
    void checkMediaType(int index, const QString &name, const ImageLayer &l);
    void crossImage();

    // legacychecks.cpp
    QSet<QString> dirsStoring(const ImageLayer &l) const;
    void checkChain(const Image &img, int index, const QString &name);
    void legacyLevel();
    QSet<QString> legacyDirsUsedByManifest() const;
    void danglingParent(const LegacyLayer &l, Severity sev);
    void repositoriesVsTags();
    void legacyJsonRefused();

    const ImageArchive &m_ia;
    const Archive &m_ar;
    QList<Finding> m_findings;
    bool m_indexInvalid = false;
    View m_view = View::Archive;
};

} // namespace lamina
