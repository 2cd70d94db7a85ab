// SPDX-License-Identifier: MIT
#include "layers/history.h"

#include "layers/imagelayers.h"
#include "util/sha256.h"

#include <QHash>

#include <map>

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
    // The path and what is under it, in the tree so far. Sorted, so that what is under a folder
    // is one range: its paths start with "folder/", and '/' + 1 is '0'.
    std::map<QByteArray, State> live;
    const QByteArray wanted = path.toByteArray();
    const auto removeUnder = [&](int layer, const QByteArray &folder, bool itself, const QSet<QByteArray> &kept) {
        auto it = folder.isEmpty() ? live.begin() : live.lower_bound(folder);
        const auto end = folder.isEmpty() ? live.end() : live.lower_bound(folder + '0');
        while (it != end) {
            if ((!itself && it->first == folder) || !(it->first == folder || under(it->first, folder))
                || kept.contains(it->first)) {
                ++it;
                continue;
            }
            PathEvent e;
            e.layer = layer;
            e.path = it->first;
            e.change = Change::Removed;
            e.type = it->second.type;
            events.append(e);
            it = live.erase(it);
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
            const auto before = live.find(ev.path);
            const State now { le.type, le.mode, le.uid, le.gid };
            if (before == live.end()) {
                ev.change = Change::Added;
            } else {
                const State &was = before->second;
                const bool sameFolder = was.type == EntryType::Directory && le.type == EntryType::Directory
                    && was.mode == le.mode && was.uid == le.uid && was.gid == le.gid;
                if (sameFolder)
                    continue;
                ev.change = Change::Modified;
            }
            live.insert_or_assign(ev.path, now);
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
