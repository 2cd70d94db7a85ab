// SPDX-License-Identifier: MIT
// The file part of comparing two images (docs/compare.md): the merged trees walked side by side,
// and the bytes hashed where the stored entries cannot tell.
#include "compare/diffdetail_p.h"

#include "layers/imagelayers.h"
#include "util/sha256.h"

#include <QSet>

#include <optional>

namespace lamina::diffdetail {

QString diffIdOf(const DiffSide &s, int layer)
{
    const QString &claimed = s.archive->images.at(s.image).layers.at(layer).diffId;
    if (!claimed.isEmpty())
        return claimed;
    const auto &index = s.layers.value(layer);
    return index ? index->diffId : QString();
}
/// Hashes regular-file entries of one side, each layer read once (copyLayerFiles).
QHash<std::pair<int, int>, QString> hashFiles(const DiffSide &s, const QString &side, QList<std::pair<int, int>> files,
    QStringList *errors, const Progress &progress)
{
    QHash<std::pair<int, int>, QString> out;
    std::sort(files.begin(), files.end());
    files.erase(std::unique(files.begin(), files.end()), files.end());
    if (files.isEmpty())
        return out;
    std::optional<Sha256> hash;
    FileCopy copy;
    copy.begin = [&](int) {
        hash.emplace();
        return progress.cancelled() ? FileStart::Stop : FileStart::Copy;
    };
    copy.sink = [&](const char *data, qint64 n) {
        hash->add(data, n);
        return !progress.cancelled();
    };
    copy.hole = [&](qint64 length) {
        static const QByteArray zeros(1 << 16, '\0');
        for (qint64 left = length; left > 0; left -= zeros.size())
            hash->add(zeros.constData(), std::min<qint64>(left, zeros.size()));
        return !progress.cancelled();
    };
    copy.end = [&](int i, const QString &error) {
        const auto [layer, entry] = files.at(i);
        if (error.isEmpty())
            out.insert(files.at(i), hash->finish());
        else if (errors->size() < 100)
            *errors << QStringLiteral("%1: layer %2: %3: %4")
                           .arg(side)
                           .arg(layer)
                           .arg(QString::fromUtf8(s.layers.at(layer)->path(entry)), error);
        return !progress.cancelled();
    };
    copyLayerFiles(*s.archive, s.image, s.layers, files, copy);
    return out;
}

namespace {

/// What a path is in a merged tree, as compared: hard links count as the files they name.
struct Seen
{
    EntryType type = EntryType::File;
    qint64 size = 0;
    quint16 mode = 0;
    quint32 uid = 0, gid = 0;
    qint64 mtime = 0;
    QByteArray link;
    QList<std::pair<QByteArray, QByteArray>> xattrs;
    int layer = -1, entry = -1; ///< the bytes of a regular file
    QString error; ///< why a hard link's file could not be found
};

Seen seen(const MergedTree &tree, int node, FileResolver &resolver)
{
    // A live hard link is a second name of its file (one inode): its mode, owner, times and bytes
    // are the file's, as unpacking leaves them.
    int shown = node;
    if (const int peer = tree.linkPeer(node); peer >= 0)
        shown = peer;
    const LayerEntry &e = tree.entry(shown);
    Seen s;
    s.type = e.type;
    s.mode = e.mode;
    s.uid = e.uid;
    s.gid = e.gid;
    s.mtime = e.mtime;
    if (e.type == EntryType::Symlink)
        s.link = tree.linkTarget(shown);
    const auto [layer, entry] = tree.contentOf(shown);
    if (e.flags & LayerEntry::HasXattrs)
        s.xattrs = tree.layerIndex(layer).xattrs(entry);
    if (e.type == EntryType::File || e.type == EntryType::Hardlink) {
        s.layer = layer;
        s.entry = entry;
        // What the tree did not tie to a file (a link to a lower layer's file it could not place)
        // is resolved as extraction resolves it.
        if (tree.layerIndex(s.layer).entry(s.entry).type == EntryType::Hardlink
            && !resolver.resolve(&s.layer, &s.entry, &s.error))
            s.layer = s.entry = -1;
        s.type = EntryType::File;
        s.size = s.layer >= 0 ? tree.layerIndex(s.layer).entry(s.entry).size : e.size;
    }
    return s;
}

class FileComparer
{
public:
    FileComparer(const DiffSide &a, const DiffSide &b, ImageDiff *out, const Progress &progress)
        : m_a(a)
        , m_b(b)
        , m_out(out)
        , m_progress(progress)
        , m_resolverA(a.layers)
        , m_resolverB(b.layers)
    {
    }

    void run()
    {
        const int topA = int(m_a.layers.size()) - 1;
        const int topB = int(m_b.layers.size()) - 1;
        m_treeA = MergedTree::build(m_a.layers, topA, false, false);
        m_treeB = MergedTree::build(m_b.layers, topB, false, false);
        walk();
        if (m_progress.cancelled())
            return;
        hashUndecided();
        std::sort(m_out->files.begin(), m_out->files.end(),
            [](const ImageDiff::File &x, const ImageDiff::File &y) { return x.path < y.path; });
    }

private:
    void walk()
    {
        QList<std::pair<int, int>> stack { { m_treeA.root(), m_treeB.root() } };
        qint64 visited = 0;
        while (!stack.isEmpty()) {
            if ((++visited & 1023) == 0 && m_progress.cancelled())
                return;
            const auto [na, nb] = stack.takeLast();
            const QList<int> ca = na >= 0 ? m_treeA.children(na) : QList<int>();
            const QList<int> cb = nb >= 0 ? m_treeB.children(nb) : QList<int>();
            qsizetype i = 0, j = 0;
            while (i < ca.size() || j < cb.size()) {
                const int x = i < ca.size() ? ca.at(i) : -1;
                const int y = j < cb.size() ? cb.at(j) : -1;
                int order = 0;
                if (x < 0)
                    order = 1;
                else if (y < 0)
                    order = -1;
                else
                    order = compareNames(m_treeA.nameView(x), m_treeB.nameView(y));
                if (order < 0) {
                    onlyIn(true, x, &stack);
                    ++i;
                } else if (order > 0) {
                    onlyIn(false, y, &stack);
                    ++j;
                } else {
                    both(x, y, &stack);
                    ++i;
                    ++j;
                }
            }
        }
    }

    static int compareNames(QByteArrayView x, QByteArrayView y)
    {
        const int c = std::memcmp(x.data(), y.data(), size_t(std::min(x.size(), y.size())));
        return c != 0 ? c : (x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0);
    }

    void onlyIn(bool inA, int node, QList<std::pair<int, int>> *stack)
    {
        const MergedTree &tree = inA ? m_treeA : m_treeB;
        ImageDiff::File f;
        f.path = tree.path(node);
        f.change = inA ? Change::Removed : Change::Added;
        const Seen s = seen(tree, node, inA ? m_resolverA : m_resolverB);
        fill(f, s, inA);
        if (!s.error.isEmpty())
            m_out->errors << QStringLiteral("%1: %2").arg(inA ? u'A' : u'B').arg(s.error);
        m_out->files.append(f);
        if (s.type == EntryType::Directory)
            stack->append(inA ? std::pair { node, -1 } : std::pair { -1, node });
    }

    static void fill(ImageDiff::File &f, const Seen &s, bool inA)
    {
        (inA ? f.typeA : f.typeB) = s.type;
        (inA ? f.sizeA : f.sizeB) = s.size;
        (inA ? f.modeA : f.modeB) = s.mode;
        (inA ? f.uidA : f.uidB) = s.uid;
        (inA ? f.gidA : f.gidB) = s.gid;
        (inA ? f.mtimeA : f.mtimeB) = s.mtime;
        (inA ? f.linkA : f.linkB) = s.link;
        (inA ? f.layerA : f.layerB) = s.layer;
        (inA ? f.entryA : f.entryB) = s.entry;
    }

    void both(int x, int y, QList<std::pair<int, int>> *stack)
    {
        const Seen sa = seen(m_treeA, x, m_resolverA);
        const Seen sb = seen(m_treeB, y, m_resolverB);
        quint8 causes = 0;
        bool undecided = false;
        if (sa.type != sb.type) {
            causes |= CauseType;
        } else if (sa.type == EntryType::File) {
            if (sa.size != sb.size)
                causes |= CauseSize | CauseContent;
            else if (sa.size > 0 && !sameStored(sa, sb))
                undecided = true; // hashed later, all files of a layer in one read
        } else if (sa.type == EntryType::Symlink && sa.link != sb.link) {
            causes |= CauseLink;
        }
        if (sa.mode != sb.mode)
            causes |= CauseMode;
        if (sa.uid != sb.uid || sa.gid != sb.gid)
            causes |= CauseOwner;
        if (sa.mtime != sb.mtime)
            causes |= CauseMtime;
        if (sa.xattrs != sb.xattrs)
            causes |= CauseXattrs;
        const bool dirA = sa.type == EntryType::Directory;
        const bool dirB = sb.type == EntryType::Directory;
        if (dirA || dirB)
            stack->append({ dirA ? x : -1, dirB ? y : -1 });
        if (causes == 0 && !undecided)
            return;
        ImageDiff::File f;
        f.path = m_treeB.path(y);
        f.change = Change::Modified;
        f.causes = causes;
        fill(f, sa, true);
        fill(f, sb, false);
        if (!sa.error.isEmpty())
            m_out->errors << QStringLiteral("A: %1").arg(sa.error);
        if (!sb.error.isEmpty())
            m_out->errors << QStringLiteral("B: %1").arg(sb.error);
        if (undecided)
            m_undecided << m_out->files.size();
        m_out->files.append(f);
    }

    /// The same bytes without reading them: the same entry of a layer with the same diff ID.
    bool sameStored(const Seen &sa, const Seen &sb) const
    {
        if (sa.layer < 0 || sb.layer < 0 || sa.entry != sb.entry)
            return false;
        const QString x = diffIdOf(m_a, sa.layer);
        return !x.isEmpty() && x == diffIdOf(m_b, sb.layer);
    }

    void hashUndecided()
    {
        QList<std::pair<int, int>> filesA, filesB;
        for (const qsizetype i : std::as_const(m_undecided)) {
            const ImageDiff::File &f = m_out->files.at(i);
            if (f.layerA >= 0 && f.layerB >= 0) {
                filesA.append({ f.layerA, f.entryA });
                filesB.append({ f.layerB, f.entryB });
            }
        }
        const auto hashesA = hashFiles(m_a, QStringLiteral("A"), filesA, &m_out->errors, m_progress);
        const auto hashesB = hashFiles(m_b, QStringLiteral("B"), filesB, &m_out->errors, m_progress);
        // Files found the same are dropped; the list stays in walk order until sorted.
        QSet<qsizetype> same;
        for (const qsizetype i : std::as_const(m_undecided)) {
            ImageDiff::File &f = m_out->files[i];
            const QString x = hashesA.value({ f.layerA, f.entryA });
            const QString y = hashesB.value({ f.layerB, f.entryB });
            if (x.isEmpty() || y.isEmpty()) {
                f.compared = false; // unreadable (said in errors): it cannot be called the same
                continue;
            }
            if (x != y)
                f.causes |= CauseContent;
            else if (f.causes == 0)
                same.insert(i);
        }
        if (same.isEmpty())
            return;
        QList<ImageDiff::File> kept;
        kept.reserve(m_out->files.size() - same.size());
        for (qsizetype i = 0; i < m_out->files.size(); ++i)
            if (!same.contains(i))
                kept.append(std::move(m_out->files[i]));
        m_out->files = std::move(kept);
    }

    const DiffSide &m_a;
    const DiffSide &m_b;
    ImageDiff *m_out;
    const Progress &m_progress;
    FileResolver m_resolverA, m_resolverB;
    MergedTree m_treeA, m_treeB;
    QList<qsizetype> m_undecided;
};

} // namespace

void compareFiles(const DiffSide &a, const DiffSide &b, ImageDiff *out, const Progress &progress)
{
    FileComparer(a, b, out, progress).run();
}

} // namespace lamina::diffdetail
