// SPDX-License-Identifier: MIT
#include "compose/preflight.h"

#include "layers/extract.h"
#include "layers/sharedtree.h"

#include <QJsonArray>
#include <QSet>

namespace lamina {

namespace {

Finding composeFinding(
    const char *code, Severity severity, const QString &message, const QString &path = {}, int layer = -1)
{
    Finding f = makeFinding(code, severity, message);
    f.image = 0;
    if (!path.isEmpty())
        f.paths << path;
    if (layer >= 0)
        f.layers << layer;
    return f;
}

QString octal(quint32 mode)
{
    return QStringLiteral("%1").arg(mode, 4, 8, QLatin1Char('0'));
}

void checkWorkdir(const MergedTree &tree, int top, const QString &workdir, bool workdirAdded, QList<Finding> &out)
{
    if (workdirAdded) {
        out << composeFinding("workdir-missing", Severity::Info,
            QStringLiteral("WorkingDir %1 was not in the image; it was added to the new layer").arg(workdir), workdir,
            top);
        return;
    }
    if (workdir.isEmpty())
        return;
    QString error;
    const int node = top < 0 ? -1 : resolveInTree(tree, workdir.toUtf8(), true, &error);
    // The root (node 0) has no entry of its own and is always a folder.
    if (node < 0 || (node > 0 && tree.entry(node).type != EntryType::Directory))
        out << composeFinding("workdir-missing", Severity::Warning,
            QStringLiteral("WorkingDir %1 is not a folder in the image").arg(workdir), workdir);
}

/// Where the runtime looks for the program: the path itself, or each folder of PATH.
QStringList commandCandidates(const QString &program, const QString &workdir, const QJsonObject &cfg)
{
    if (program.contains(u'/'))
        return { program.startsWith(u'/') ? program : workdir + u'/' + program };
    // The runtime's default PATH when the image sets none (runc/containerd).
    QString path = QStringLiteral("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    for (const QJsonValue &v : cfg.value(QStringLiteral("Env")).toArray())
        if (v.toString().startsWith(u"PATH="))
            path = v.toString().mid(5);
    QStringList candidates;
    for (const QString &dir : path.split(u':', Qt::SkipEmptyParts))
        candidates << dir + u'/' + program;
    return candidates;
}

void checkCommand(const MergedTree &tree, int top, const QString &workdir, const QJsonObject &cfg, QList<Finding> &out)
{
    QStringList argv;
    for (const QJsonValue &v : cfg.value(QStringLiteral("Entrypoint")).toArray())
        argv << v.toString();
    if (argv.isEmpty())
        for (const QJsonValue &v : cfg.value(QStringLiteral("Cmd")).toArray())
            argv << v.toString();
    if (argv.isEmpty() || argv.constFirst().isEmpty())
        return;
    const QString program = argv.constFirst();
    const QStringList candidates = commandCandidates(program, workdir, cfg);
    int found = -1;
    QString where, error;
    for (const QString &candidate : candidates) {
        const int node = top < 0 ? -1 : resolveInTree(tree, candidate.toUtf8(), true, &error);
        if (node > 0 && tree.entry(node).type != EntryType::Directory) {
            found = node;
            where = candidate;
            break;
        }
    }
    if (found < 0) {
        out << composeFinding("command-not-found", Severity::Error,
            QStringLiteral("%1 is not in the image (looked in %2)")
                .arg(program, candidates.join(QStringLiteral(", "))));
        return;
    }
    const LayerEntry &e = tree.entry(found);
    if ((e.type != EntryType::File && e.type != EntryType::Hardlink) || !(e.mode & 0111))
        out << composeFinding("command-not-executable", Severity::Error,
            QStringLiteral("%1 (%2) is a %3 with mode %4").arg(program, where, entryTypeName(e.type), octal(e.mode)),
            where, tree.node(found).layer);
}

/// A folder entry's mode and owner replace those of the folder below when a loader applies the
/// layer; a layer that lists a folder only to reach into it must not change them.
void checkFolderKept(const LayerEntry &was, const LayerEntry &entry, const QString &shown, int l, QList<Finding> &out)
{
    QStringList changed;
    if ((was.mode & 07777) != (entry.mode & 07777))
        changed << QStringLiteral("mode %1 → %2").arg(octal(was.mode & 07777), octal(entry.mode & 07777));
    if (was.uid != entry.uid || was.gid != entry.gid)
        changed << QStringLiteral("owner %1:%2 → %3:%4").arg(was.uid).arg(was.gid).arg(entry.uid).arg(entry.gid);
    if (!changed.isEmpty())
        out << composeFinding("folder-changed", Severity::Warning,
            QStringLiteral("%1: the new layer changes the folder's %2, which no operation asked for")
                .arg(shown, changed.join(QStringLiteral(" and "))),
            shown, l);
}

/// One entry of new layer `l` against the tree below it.
void checkNewEntry(
    const LayerIndex &li, int e, const MergedTree &below, int l, const QSet<QByteArray> &asked, QList<Finding> &out)
{
    const LayerEntry &entry = li.entry(e);
    const QByteArray path = li.path(e);
    const QString shown = u'/' + QString::fromUtf8(path);
    const int old = l > 0 ? below.find(path) : -1;
    if (entry.type == EntryType::Whiteout) {
        // A deletion of what is not there is most likely a typo in the path.
        if (old < 0 || below.node(old).removed)
            out << composeFinding("nothing-to-delete", Severity::Warning,
                QStringLiteral("%1: the delete removes nothing; the image has no such path below this layer")
                    .arg(shown),
                shown, l);
        return;
    }
    if (old >= 0 && below.entry(old).type != entry.type) {
        const EntryType was = below.entry(old).type;
        const QString link = was == EntryType::Symlink ? QStringLiteral(" → %1").arg(QString::fromUtf8(
                                 below.layerIndex(below.node(old).layer).linkTarget(below.node(old).entry)))
                                                       : QString();
        out << composeFinding("shadowed-entry", Severity::Warning,
            QStringLiteral("%1: the new layer's %2 replaces the image's %3%4")
                .arg(shown, entryTypeName(entry.type), entryTypeName(was), link),
            shown, l);
    }
    if (old >= 0 && entry.type == EntryType::Directory && below.entry(old).type == EntryType::Directory
        && !(entry.flags & LayerEntry::Implicit) && !asked.contains(path))
        checkFolderKept(below.entry(old), entry, shown, l, out);
    if (entry.type == EntryType::File && (entry.mode & 06000))
        out << composeFinding(
            "setuid-file", Severity::Warning, QStringLiteral("%1 has mode %2").arg(shown, octal(entry.mode)), shown, l);
}

} // namespace

QList<Finding> preflightChecks(const MergedTree::Layers &layers, int baseLayers, const QJsonObject &cfg,
    bool workdirAdded, const QList<LayerSpec> &newLayers)
{
    QList<Finding> out;
    const int top = int(layers.size()) - 1;
    // What the new layers replace, and set-id bits they bring: each new layer against everything
    // below it, base and earlier new layers alike. Before the result's tree is built, and each
    // tree below dropped before the next: at a million entries every tree is tens of megabytes,
    // and two at once were a sixth of a compose's memory.
    for (int l = std::max(0, baseLayers); l <= top; ++l) {
        const auto &li = layers.at(l);
        if (!li)
            continue;
        // The window's tree of the base when it has one, rather than a second copy.
        const auto belowTree = l > 0 ? borrowOrBuildTree(layers, l - 1) : std::make_shared<const MergedTree>();
        const MergedTree &below = *belowTree;
        // The folders this layer's operations give a mode on purpose.
        QSet<QByteArray> asked;
        for (const LayerOp &op : newLayers.value(l - baseLayers).ops) {
            QString unused;
            if ((op.kind == LayerOp::Mkdir || op.kind == LayerOp::AddHost) && op.mode)
                asked.insert(normaliseImagePath(op.imagePath, &unused).toUtf8());
        }
        for (int e = 0; e < li->size(); ++e)
            checkNewEntry(*li, e, below, l, asked, out);
    }
    const auto shared = borrowOrBuildTree(layers, top); // the preview's own, or the window's
    const MergedTree &tree = *shared;
    const QString workdir = cfg.value(QStringLiteral("WorkingDir")).toString();
    checkWorkdir(tree, top, workdir, workdirAdded, out);
    checkCommand(tree, top, workdir, cfg, out);
    sortFindings(out);
    return out;
}

QList<Finding> tagChecks(const QStringList &tags)
{
    if (!tags.isEmpty())
        return {};
    return { composeFinding("untagged", Severity::Warning,
        QStringLiteral("the image has no tag: once loaded it is known by its ID only (give it one with a tag)")) };
}

} // namespace lamina
