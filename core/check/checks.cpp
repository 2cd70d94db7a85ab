// SPDX-License-Identifier: MIT
// The checks of docs/findings.md that run on open (docs/formats.md §5): the order the views are
// checked in, and what the checks of every view share. The checks themselves are in archivechecks.cpp,
// manifestchecks.cpp, ocichecks.cpp, imagechecks.cpp and legacychecks.cpp.
#include "check/checks.h"
#include "check/checker_p.h"
#include "check/loaders.h"

namespace lamina {

QList<Finding> Checker::run()
{
    m_view = View::Archive;
    archiveLevel();
    m_view = View::Manifest;
    manifestLevel();
    m_view = View::Oci;
    ociLevel();
    for (int i = 0; i < m_ia.images.size(); ++i) {
        const ImageSource source = m_ia.images.at(i).source;
        m_view = source == ImageSource::Oci ? View::Oci : source == ImageSource::Legacy ? View::Legacy : View::Manifest;
        imageLevel(i);
    }
    m_view = View::Legacy;
    legacyLevel();
    m_view = View::Manifest;
    crossImage();
    orphans();
    sortFindings(m_findings);
    return m_findings;
}

Finding &Checker::add(const char *code, Severity severity, const QString &message, const QString &specific)
{
    m_findings.append(makeFinding(code, severity, message, specific));
    m_findings.last().view = m_view;
    return m_findings.last();
}

int Checker::imageOfEntry(int entry) const
{
    for (int i = 0; i < m_ia.images.size(); ++i)
        if (m_ia.images.at(i).manifestEntry == entry)
            return i;
    return -1;
}

int Checker::imageOfOci(int manifest) const
{
    for (int i = 0; i < m_ia.images.size(); ++i)
        if (m_ia.images.at(i).ociManifest == manifest)
            return i;
    return -1;
}

bool Checker::isUnsafe(const QString &p) const
{
    bool escapes = false;
    normaliseMemberPath(p, &escapes);
    return p.startsWith(u'/') || escapes;
}

bool Checker::isLink(const QString &path) const
{
    const int idx = m_ar.find(normaliseMemberPath(path));
    return idx >= 0 && (m_ar.member(idx).type == MemberType::Symlink || m_ar.member(idx).type == MemberType::Hardlink);
}

QString Checker::shortList(const QStringList &ids)
{
    QStringList s;
    for (const QString &id : ids)
        s << id.left(12);
    return s.join(QStringLiteral(", "));
}

QList<Finding> checkArchive(const ImageArchive &ia)
{
    if (!ia.archive)
        return {};
    QList<Finding> findings = Checker(ia).run();
    deriveSeverities(ia, findings);
    return findings;
}

} // namespace lamina
