// SPDX-License-Identifier: MIT
// Checks of the legacy view (<id>/json parent chains and the repositories file), alone and against
// manifest.json.
#include "check/checker_p.h"

#include "format/legacyconfig.h"
#include "util/sha256.h"

#include <QHash>
#include <QSet>

#include <algorithm>

namespace lamina {

// ---- L against M ----
/// The legacy dirs that store a layer: the directory of its own path, or every dir whose
/// layer.tar resolves to the same file.
QSet<QString> Checker::dirsStoring(const ImageLayer &l) const
{
    QSet<QString> dirs;
    const QStringList parts = l.path.split(u'/');
    if (parts.size() == 2 && parts.at(1) == u"layer.tar" && m_ia.legacy.layer(parts.at(0))) {
        dirs.insert(parts.at(0));
        return dirs;
    }
    for (const LegacyLayer &d : m_ia.legacy.layers)
        if (l.member >= 0 && d.layerMember == l.member)
            dirs.insert(d.id);
    return dirs;
}

void Checker::checkChain(const Image &img, int index, const QString &name)
{
    const LegacyView &legacy = m_ia.legacy;
    if (legacy.layers.isEmpty() || img.legacyTop.isEmpty() || !legacy.layer(img.legacyTop))
        return;
    const LegacyChain chain = walkLegacyChain(legacy, img.legacyTop);
    if (!chain.missingParent.isEmpty() || !chain.cycleAt.isEmpty())
        return; // dangling-parent / parent-cycle say it, with why
    QStringList bottomUp = chain.ids;
    std::reverse(bottomUp.begin(), bottomUp.end());
    if (bottomUp.size() != img.layers.size()) {
        Finding &f = add("chain-length-mismatch", Severity::Warning,
            QStringLiteral("%1: the legacy chain from %2 has %3 layers, manifest.json %4")
                .arg(name, img.legacyTop.left(12))
                .arg(bottomUp.size())
                .arg(img.layers.size()));
        f.image = index;
        return;
    }
    QList<int> off;
    for (int i = 0; i < bottomUp.size(); ++i) {
        const QSet<QString> dirs = dirsStoring(img.layers.at(i));
        if (!dirs.isEmpty() && !dirs.contains(bottomUp.at(i))) // a missing layer is layer-missing's
            off << i;
    }
    if (off.isEmpty())
        return;
    QStringList where;
    for (int i : off)
        where << QStringLiteral("position %1: chain has %2").arg(i).arg(bottomUp.at(i).left(12));
    Finding &f = add("chain-order-mismatch", Severity::Warning,
        QStringLiteral(
            "%1: the legacy chain, read bottom to top, does not match manifest.json's layers at %2 position(s)")
            .arg(name)
            .arg(off.size()),
        where.join(u'\n'));
    f.image = index;
    f.layers = off;
}

// ---- L alone ----
void Checker::legacyLevel()
{
    const LegacyView &legacy = m_ia.legacy;
    if (!legacy.present)
        return;
    const Severity sev = legacySeverity();
    QStringList badVersion;
    // (parent, child) layer positions: a list per parent cost an allocation for each of a long
    // chain's layers, to find the few parents with two children.
    QList<std::pair<int, int>> children;
    // Each layer's parent by position (-1: a root or a missing dir), looked up once: the walks
    // below follow 100,000 links of a long chain without hashing an id.
    QList<int> parentAt;
    parentAt.reserve(legacy.layers.size());
    for (const LegacyLayer &l : legacy.layers) {
        if (!l.hasVersion || l.version != u"1.0")
            badVersion << l.id;
        if (!l.jsonId.isEmpty() && l.jsonId != l.id) {
            Finding &f = add("legacy-id-mismatch", hasManifest() ? Severity::Info : Severity::Warning,
                QStringLiteral("legacy dir %1 has json id %2").arg(l.id.left(12), l.jsonId.left(12)));
            f.members << l.id + QStringLiteral("/json");
        }
        const int p = legacy.byId.value(l.parent, -1);
        parentAt.append(p);
        if (p >= 0)
            children.append({ p, int(&l - legacy.layers.constData()) });
        else if (!l.parent.isEmpty())
            danglingParent(l, sev);
    }
    if (!badVersion.isEmpty()) {
        Finding &f = add("legacy-version-invalid", Severity::Info,
            QStringLiteral("%1 legacy layer dir(s) without a VERSION of 1.0: %2")
                .arg(badVersion.size())
                .arg(shortList(badVersion)));
        for (const QString &id : badVersion)
            f.members << id + QStringLiteral("/VERSION");
    }
    // Cycles: each dir is walked once (a walk stops where an earlier one passed), so a
    // chain of 100,000 links costs 100,000 steps, not 100,000 walks. Each loop is reported once.
    QList<int> walkOf(legacy.layers.size()); // the walk that first reached a dir, 0 for none yet
    int walk = 0;
    for (int start = 0; start < legacy.layers.size(); ++start) {
        ++walk;
        QList<int> path;
        int current = start;
        while (current >= 0 && !walkOf.at(current)) {
            walkOf[current] = walk;
            path.append(current);
            current = parentAt.at(current);
        }
        if (current < 0 || walkOf.at(current) != walk)
            continue; // ended at a root, a missing dir, or a dir an earlier walk covered
        const QList<int> loop = path.mid(path.indexOf(current));
        QStringList shortLoop;
        for (const int at : loop)
            shortLoop << legacy.layers.at(at).id.left(12);
        Finding &f = add("parent-cycle", sev,
            QStringLiteral("the parent links loop: %1 → %2")
                .arg(shortLoop.join(QStringLiteral(" → ")), legacy.layers.at(current).id.left(12)));
        for (const int at : loop)
            f.members << legacy.layers.at(at).id + QStringLiteral("/json");
    }
    // Forks.
    QList<bool> onTaggedChain(legacy.layers.size());
    for (const RepositoryTag &t : legacy.repositories)
        for (int at = legacy.byId.value(t.id, -1); at >= 0 && !onTaggedChain.at(at); at = parentAt.at(at))
            onTaggedChain[at] = true;
    QSet<QString> usedByM = legacyDirsUsedByManifest();
    std::sort(children.begin(), children.end());
    for (qsizetype at = 0, end = 0; at < children.size(); at = end) {
        const int parent = children.at(at).first;
        for (end = at + 1; end < children.size() && children.at(end).first == parent;)
            ++end;
        if (end - at < 2)
            continue;
        QStringList kids; // sorted: the layers are sorted by id
        bool allUsed = true;
        for (qsizetype k = at; k < end; ++k) {
            const int child = children.at(k).second;
            kids << legacy.layers.at(child).id;
            allUsed = allUsed && (onTaggedChain.at(child) || usedByM.contains(kids.constLast()));
        }
        Finding &f = add("chain-fork", allUsed ? Severity::Info : Severity::Warning,
            QStringLiteral("%1 legacy layers name %2 as parent: %3")
                .arg(kids.size())
                .arg(legacy.layers.at(parent).id.left(12), shortList(kids)),
            allUsed ? QStringLiteral("Every branch belongs to an image of this archive: images sharing a base.")
                    : QStringLiteral("A branch belongs to no tagged image."));
        for (const QString &k : kids)
            f.members << k + QStringLiteral("/json");
    }
    repositoriesVsTags();
    legacyJsonRefused();
}

QSet<QString> Checker::legacyDirsUsedByManifest() const
{
    QSet<QString> used;
    for (const Image &img : m_ia.images)
        if (img.source == ImageSource::Manifest)
            for (const ImageLayer &l : img.layers)
                used.unite(dirsStoring(l));
    return used;
}

// Docker's legacy loader reads every json of a chain into its own types and checks its os
// (docs/formats.md §3.5): what it cannot read, it refuses, whatever the chain's shape.
void Checker::legacyJsonRefused()
{
    if (hasManifest())
        return; // the legacy loader is not used
    for (int i = 0; i < m_ia.images.size(); ++i) {
        const Image &img = m_ia.images.at(i);
        if (img.source != ImageSource::Legacy)
            continue;
        const LegacyConfig refusal = legacyLoadRefusal(m_ia, img);
        if (!refusal.refused)
            continue;
        Finding &f = add("legacy-json-refused", Severity::Warning, refusal.error);
        f.image = i;
        // The error starts with "<id>/json", then the field's path, if any.
        f.members << refusal.error.left(refusal.error.indexOf(QLatin1String("/json")) + 5);
        f.outcome(LoaderFamily::DockerClassic, Verdict::Refuses, refusal.dockerSays);
    }
}

void Checker::danglingParent(const LegacyLayer &l, Severity sev)
{
    QString specific;
    int image = -1;
    for (int i = 0; i < m_ia.images.size(); ++i) {
        const Image &img = m_ia.images.at(i);
        if (!img.layers.isEmpty() && img.layers.constLast().legacyId == l.id)
            image = i;
    }
    bool namesAConfig = false;
    for (const ManifestEntry &e : m_ia.manifest.entries)
        namesAConfig = namesAConfig || e.config.digest.mid(7) == l.parent;
    bool lowerHaveNoLegacy = image >= 0;
    if (image >= 0) {
        const Image &img = m_ia.images.at(image);
        for (int i = 0; i + 1 < img.layers.size(); ++i)
            lowerHaveNoLegacy = lowerHaveNoLegacy && img.layers.at(i).legacyId.isEmpty();
    }
    if (image >= 0 && lowerHaveNoLegacy && isHex64(l.parent) && m_ia.images.at(image).layers.size() > 1) {
        specific = QStringLiteral("This is what nixpkgs' dockerTools.buildImage has written since December 2018 "
                                  "(commit c88337c9, PR #51528) "
                                  "when its fromImage is an image with no legacy chain, such as one from "
                                  "buildLayeredImage: it takes \"parent\" "
                                  "from the base image's config file name — the base image ID, %1 — not from a "
                                  "layer. The base layers below are "
                                  "listed in manifest.json without any <id>/json, so the chain stops after one "
                                  "layer while manifest.json is "
                                  "correct. Loaders that read manifest.json are unaffected.")
                       .arg(l.parent.left(12));
    } else if (namesAConfig) {
        specific
            = QStringLiteral("The parent %1 is an image ID (the digest of a config in this archive), not a layer ID.")
                  .arg(l.parent.left(12));
    }
    Finding &f = add("dangling-parent", sev,
        QStringLiteral("legacy layer %1 names parent %2, which is not in the archive")
            .arg(l.id.left(12), l.parent.left(12)),
        specific);
    f.image = image;
    if (image >= 0)
        f.layers << int(m_ia.images.at(image).layers.size() - 1);
    f.members << l.id + QStringLiteral("/json");
}

void Checker::repositoriesVsTags()
{
    const LegacyView &legacy = m_ia.legacy;
    if (!legacy.hasRepositories)
        return;
    if (!hasManifest()) {
        for (const RepositoryTag &t : legacy.repositories) {
            if (!legacy.layer(t.id)) {
                Finding &f = add("repositories-mismatch", Severity::Error,
                    QStringLiteral("repositories tags %1 with %2, which is no layer directory")
                        .arg(t.reference(), t.id.left(12)));
                f.members << QStringLiteral("repositories");
                f.outcome(LoaderFamily::DockerClassic, Verdict::Refuses, QStringLiteral("invalid target ID"));
            }
        }
        return;
    }
    QSet<QString> repoTags, manifestTags;
    for (const RepositoryTag &t : legacy.repositories)
        repoTags.insert(familiarReference(t.reference()));
    for (const ManifestEntry &e : m_ia.manifest.entries)
        for (const QString &t : e.repoTags)
            manifestTags.insert(familiarReference(t));
    if (repoTags != manifestTags) {
        QStringList onlyRepo(QStringList(repoTags.begin(), repoTags.end())),
            onlyManifest(QStringList(manifestTags.begin(), manifestTags.end()));
        for (const QString &t : manifestTags)
            onlyRepo.removeAll(t);
        for (const QString &t : repoTags)
            onlyManifest.removeAll(t);
        onlyRepo.sort();
        onlyManifest.sort();
        Finding &f = add("repositories-mismatch", Severity::Warning,
            QStringLiteral("repositories and manifest.json tag different things: only in repositories: %1; only in "
                           "RepoTags: %2")
                .arg(onlyRepo.isEmpty() ? QStringLiteral("none") : onlyRepo.join(QStringLiteral(", ")),
                    onlyManifest.isEmpty() ? QStringLiteral("none") : onlyManifest.join(QStringLiteral(", "))));
        f.members << QStringLiteral("repositories") << QStringLiteral("manifest.json");
    }
    for (int i = 0; i < m_ia.images.size(); ++i) {
        const Image &img = m_ia.images.at(i);
        if (img.source != ImageSource::Manifest || img.layers.isEmpty())
            continue;
        const ImageLayer &top = img.layers.constLast();
        for (const RepositoryTag &t : legacy.repositories) {
            bool mine = false;
            for (const QString &tag : img.tags)
                mine = mine || familiarReference(tag) == familiarReference(t.reference());
            if (!mine || t.id == top.legacyId)
                continue;
            const bool docker25 = top.diffId.mid(7) == t.id;
            Finding &f = add("repositories-mismatch", docker25 ? Severity::Info : Severity::Warning,
                QStringLiteral("repositories tags %1 with %2, which is not the legacy dir of the image's top layer%3")
                    .arg(t.reference(), t.id.left(12),
                        top.legacyId.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(top.legacyId.left(12))),
                docker25 ? QStringLiteral("It is the top layer's diff ID: Docker 25–28 write repositories this way "
                                          "although there are no legacy directories any more.")
                         : QString());
            f.image = i;
            f.members << QStringLiteral("repositories");
        }
    }
}

} // namespace lamina
