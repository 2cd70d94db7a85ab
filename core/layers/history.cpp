// SPDX-License-Identifier: MIT
#include "layers/history.h"

#include "layers/imagelayers.h"
#include "util/sha256.h"

#include <QHash>

namespace lamina {

namespace {

bool under(QByteArrayView path, QByteArrayView folder)
{
    return folder.isEmpty()
        || (path.size() > folder.size() && path.startsWith(folder) && path.at(folder.size()) == '/');
}

/// What a path is as far as history goes: a folder listed again the same is not a change.
struct State
{
    EntryType type = EntryType::File;
    quint16 mode = 0;
    quint32 uid = 0;
    quint32 gid = 0;
};

} // namespace

QList<PathEvent> pathHistory(const ImageArchive &ia, int image, const MergedTree::Layers &layers, QByteArrayView path,
    bool digests, const Progress &progress)
{
    QList<PathEvent> events;
    QHash<QByteArray, State> live; // the path and what is under it, in the tree so far
    const QByteArray wanted = path.toByteArray();
    const auto removeUnder = [&](int layer, QByteArrayView folder, bool itself, const QSet<QByteArray> &kept) {
        QList<QByteArray> gone;
        for (auto it = live.cbegin(); it != live.cend(); ++it)
            if (((itself && it.key() == folder) || under(it.key(), folder)) && !kept.contains(it.key()))
                gone << it.key();
        std::sort(gone.begin(), gone.end());
        for (const QByteArray &p : std::as_const(gone)) {
            PathEvent e;
            e.layer = layer;
            e.path = p;
            e.change = Change::Removed;
            e.type = live.value(p).type;
            events.append(e);
            live.remove(p);
        }
    };
    for (int k = 0; k < layers.size(); ++k) {
        if (progress.cancelled())
            break;
        const std::shared_ptr<const LayerIndex> &index = layers.at(k);
        if (!index)
            continue;
        // What the layer stores at the path or under it, in name order, and its whiteouts there.
        QList<int> provided;
        QSet<QByteArray> providedPaths;
        QList<std::pair<QByteArray, bool>> removals; ///< path, opaque (only what is under it)
        const int at = wanted.isEmpty() ? -1 : index->find(wanted);
        if (wanted.isEmpty() || at >= 0) {
            QList<int> stack;
            if (at >= 0)
                stack << at;
            else
                stack << index->children(-1);
            while (!stack.isEmpty()) {
                const int e = stack.takeFirst();
                const LayerEntry &le = index->entry(e);
                const QByteArray p = index->path(e);
                if (le.type == EntryType::Whiteout) {
                    removals.append({ p, false });
                    continue;
                }
                if (le.flags & LayerEntry::Opaque)
                    removals.append({ p, true });
                if (!(le.flags & (LayerEntry::Implicit | LayerEntry::Shadowed))) {
                    provided << e;
                    providedPaths.insert(p);
                }
                if (le.type == EntryType::Directory)
                    stack = index->children(e) + stack;
            }
        }
        // A whiteout or an opaque folder above the path removes it too.
        for (qsizetype slash = wanted.indexOf('/'); slash > 0; slash = wanted.indexOf('/', slash + 1)) {
            const int a = index->find(QByteArrayView(wanted).first(slash));
            if (a < 0)
                continue;
            if (index->entry(a).type == EntryType::Whiteout)
                removals.append({ wanted.left(slash), false });
            else if (index->entry(a).flags & LayerEntry::Opaque)
                removals.append({ wanted.left(slash), true });
        }
        // A whiteout hides only what lower layers hold (docs/formats.md §6.1): a path removed and
        // stored again by the same layer is written again, not removed and added.
        for (const auto &[p, opaque] : std::as_const(removals))
            removeUnder(k, p, !opaque, providedPaths);
        for (const int e : std::as_const(provided)) {
            const LayerEntry &le = index->entry(e);
            PathEvent ev;
            ev.layer = k;
            ev.path = index->path(e);
            ev.entry = e;
            ev.type = le.type;
            ev.size = le.size;
            ev.mode = le.mode;
            ev.uid = le.uid;
            ev.gid = le.gid;
            ev.linkTarget = index->linkTarget(e);
            const auto before = live.constFind(ev.path);
            const State now { le.type, le.mode, le.uid, le.gid };
            if (before == live.cend()) {
                ev.change = Change::Added;
            } else {
                const bool sameFolder = before->type == EntryType::Directory && le.type == EntryType::Directory
                    && before->mode == le.mode && before->uid == le.uid && before->gid == le.gid;
                if (sameFolder)
                    continue;
                ev.change = Change::Modified;
            }
            live.insert(ev.path, now);
            if (digests && le.type == EntryType::File) {
                Sha256 hash;
                ev.error = copyLayerFile(ia, image, layers, k, e, [&](const char *data, qint64 n) {
                    hash.add(data, n);
                    return !progress.cancelled();
                });
                if (ev.error.isEmpty())
                    ev.digest = hash.finish();
            }
            events.append(ev);
        }
    }
    return events;
}

} // namespace lamina
