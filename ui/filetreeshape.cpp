// SPDX-License-Identifier: MIT
#include "filetreeshape.h"

#include "filetreemodel.h"
#include "util/progress.h"

#include <QRegularExpression>

#include <algorithm>
#include <cstring>

namespace lamina {

namespace {

char asciiLower(char c)
{
    return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

/// What the filter text matches: a name (or with a '/', a path) containing it, ignoring case.
/// An ASCII text is compared byte by byte, with no string made per node.
class Matcher
{
public:
    Matcher(const QString &text, bool regex)
        : m_text(text)
        , m_byPath(text.contains(u'/'))
        , m_regex(regex)
    {
        if (regex) {
            m_re = QRegularExpression(text, QRegularExpression::CaseInsensitiveOption);
            m_re.optimize();
            return;
        }
        bool ascii = true;
        for (const QChar c : text)
            ascii = ascii && c.unicode() < 0x80;
        if (ascii)
            for (const QChar c : text)
                m_lower.append(asciiLower(char(c.unicode())));
    }

    QString error() const { return m_regex && !m_re.isValid() ? m_re.errorString() : QString(); }
    bool byPath() const { return m_byPath; }

    bool matches(QByteArrayView s) const
    {
        if (m_regex)
            return m_re.match(QString::fromUtf8(s)).hasMatch();
        if (m_lower.isEmpty())
            return QString::fromUtf8(s).contains(m_text, Qt::CaseInsensitive);
        const qsizetype n = m_lower.size();
        const char head = m_lower.at(0);
        for (qsizetype i = 0; i + n <= s.size(); ++i) {
            if (asciiLower(s.at(i)) != head)
                continue;
            qsizetype k = 1;
            while (k < n && asciiLower(s.at(i + k)) == m_lower.at(k))
                ++k;
            if (k == n)
                return true;
        }
        return false;
    }

private:
    QString m_text;
    QByteArray m_lower; ///< the text in ASCII lower case; empty when it is not ASCII
    QRegularExpression m_re;
    bool m_byPath = false;
    bool m_regex = false;
};

/// The first eight bytes of a name as a number that orders as the bytes do (shorter names
/// padded with zeros, so "a" comes before "a\0..." only by the full comparison after).
quint64 namePrefix(QByteArrayView name)
{
    quint64 key = 0;
    const qsizetype n = std::min<qsizetype>(name.size(), 8);
    for (qsizetype i = 0; i < n; ++i)
        key |= quint64(quint8(name[i])) << (56 - 8 * i);
    return key;
}

} // namespace

Change composedChange(const MergedTree &tree, int node, int firstNew, const QHash<QByteArray, Change> &changes)
{
    const MergedTree::Node &n = tree.node(node);
    // No path is built for what the base provides: only the new layers can have changed it.
    if (n.layer < firstNew && !(n.removed && n.removedBy >= firstNew))
        return Change::None;
    const Change c = changes.value(tree.path(node), Change::None);
    return n.removed && c != Change::Removed ? Change::None : c;
}

int FileTreeShape::rowOf(int node, int parent) const
{
    if (const int k = folderIndex(node); k >= 0)
        return folderRow[k];
    const int p = folderIndex(parent);
    if (p < 0)
        return -1;
    const auto begin = kids.cbegin() + first[p], end = kids.cbegin() + first[p + 1];
    const auto it = std::find(begin, end, node);
    return it == end ? -1 : int(it - begin);
}

FileTreeShape shapeFileTree(const FileTreeQuery &q, const Progress &progress)
{
    FileTreeShape shape;
    if (!q.tree)
        return shape;
    const MergedTree &t = *q.tree;
    const int n = t.nodeCount();
    const bool composed = q.firstNew >= 0;
    const QHash<QByteArray, Change> noChanges;
    const QHash<QByteArray, Change> &changes = q.changes ? *q.changes : noChanges;
    const int mark = composed ? -1 : q.markLayer;
    const bool layerOnly = q.layerOnly && !composed;
    constexpr int kPoll = 1 << 16;

    // With layerOnly: what the layer provides or removes, and the folders leading there.
    std::vector<char> relevant;
    if (layerOnly) {
        relevant.assign(size_t(n), 0);
        for (int c = 1; c < n; ++c) {
            const MergedTree::Node &x = t.node(c);
            if ((x.layer == mark && !x.removed) || (x.removed && x.removedBy == mark))
                for (int at = c; at > 0 && !relevant[size_t(at)]; at = t.node(at).parent)
                    relevant[size_t(at)] = 1;
            if ((c & (kPoll - 1)) == 0 && progress.cancelled())
                return shape;
        }
    }
    const auto listed = [&](int c) {
        const MergedTree::Node &x = t.node(c);
        if (layerOnly && !relevant[size_t(c)])
            return false;
        if (!x.removed)
            return true;
        if (composed)
            return composedChange(t, c, q.firstNew, changes) == Change::Removed;
        if (mark < 0 || x.removedBy != mark)
            return false;
        // A version the layer replaced is not a deletion: the path is there, modified, once.
        const int live = t.childNamed(x.parent, t.nameView(c));
        return live < 0 || t.node(live).removed;
    };

    // Every listed node, each after its folder (a walk from the root, children of folders only).
    std::vector<qint32> order;
    order.reserve(size_t(n));
    {
        std::vector<qint32> stack { 0 };
        while (!stack.empty()) {
            const int p = stack.back();
            stack.pop_back();
            if (p != 0 && t.entry(p).type != EntryType::Directory)
                continue;
            for (int c = t.node(p).firstChild; c >= 0; c = t.node(c).nextSibling)
                if (listed(c)) {
                    order.push_back(c);
                    stack.push_back(c);
                }
            if ((order.size() & (kPoll - 1)) == 0 && progress.cancelled())
                return shape;
        }
    }

    if (layerOnly) {
        // A folder's size is what the layer itself puts under it, as `lamina ls --layer` counts it.
        shape.layerBytes.fill(0, n);
        for (auto it = order.rbegin(); it != order.rend(); ++it) {
            const int c = *it;
            const MergedTree::Node &x = t.node(c);
            if (x.layer == mark && !x.removed && t.entry(c).type == EntryType::File)
                shape.layerBytes[c] += t.entry(c).size;
            shape.layerBytes[x.parent] += shape.layerBytes[c];
        }
    }

    // What the filter keeps: a match, and the folders leading to it; descendants come before
    // their folders walking the order backwards.
    std::vector<char> keep;
    if (!q.filter.isEmpty()) {
        const Matcher matcher(q.filter, q.regex);
        shape.error = matcher.error();
        keep.assign(size_t(n), 0);
        if (shape.error.isEmpty()) {
            qint64 done = 0;
            for (auto it = order.rbegin(); it != order.rend(); ++it) {
                const int c = *it;
                const bool hit
                    = matcher.byPath() ? matcher.matches(QByteArray('/' + t.path(c))) : matcher.matches(t.nameView(c));
                if (hit)
                    ++shape.matched;
                if (hit || keep[size_t(c)]) {
                    keep[size_t(c)] = 1;
                    keep[size_t(t.node(c).parent)] = 1;
                }
                if ((++done & (kPoll - 1)) == 0 && progress.cancelled())
                    return shape;
            }
        }
    }
    const auto kept = [&](int c) { return keep.empty() || keep[size_t(c)]; };

    // Counted into count[p + 1], summed into offsets (each folder's start kept in `first`), then
    // each child placed at its folder's next free slot, which walks count[p] up to where p + 1
    // starts. Only folders with children are kept past here.
    std::vector<qint32> count(size_t(n) + 1, 0);
    for (const int c : order)
        if (kept(c))
            ++count[size_t(t.node(c).parent) + 1];
    qint32 folderCount = 0;
    for (int p = 0; p < n; ++p)
        folderCount += count[size_t(p) + 1] > 0 ? 1 : 0;
    shape.folders.reserve(folderCount);
    shape.first.reserve(folderCount + 1);
    for (int p = 0; p < n; ++p) {
        if (count[size_t(p) + 1] > 0) {
            shape.folders.push_back(p);
            shape.first.push_back(count[size_t(p)]);
        }
        count[size_t(p) + 1] += count[size_t(p)];
    }
    const qint32 at = count[size_t(n)];
    shape.first.push_back(at);
    shape.kids.resize(at);
    shape.shown = at;
    for (const int c : order)
        if (kept(c))
            shape.kids[count[size_t(t.node(c).parent)]++] = c;
    std::vector<qint32>().swap(count);
    std::vector<qint32>().swap(order); // not needed past here: its memory goes before the sort
    std::vector<char>().swap(keep);
    std::vector<char>().swap(relevant);
    shape.folderRow.fill(-1, shape.folders.size());

    // Each folder's children in the order asked for; ties by name, then by node (a deletion
    // before what replaced it is never listed together with it, but names can repeat in a layer).
    const auto bytes = [&](int c) -> qint64 {
        // A hard link sorts where its Size column puts it: at the size of the file it names (its
        // tar header says 0).
        if (t.entry(c).type == EntryType::Hardlink) {
            const int file = t.find(t.linkTarget(c));
            return file >= 0 ? t.entry(file).size : 0;
        }
        if (t.entry(c).type != EntryType::Directory)
            return t.entry(c).size;
        return layerOnly ? shape.layerBytes[c] : t.treeBytes(c);
    };
    const auto changeKey = [&](int c) -> int {
        const MergedTree::Node &x = t.node(c);
        if (x.removed)
            return 3;
        const Change ch
            = composed ? composedChange(t, c, q.firstNew, changes) : (x.layer == mark ? x.change : Change::None);
        return int(ch);
    };
    const auto byName = [&](int a, int b) {
        const QByteArrayView na = t.nameView(a), nb = t.nameView(b);
        return na != nb ? na < nb : a < b;
    };
    const auto compareKey = [&](int a, int b) -> int {
        switch (q.sortColumn) {
        case FileTreeModel::SizeColumn: {
            const qint64 x = bytes(a), y = bytes(b);
            return x < y ? -1 : x > y ? 1 : 0;
        }
        case FileTreeModel::ChangeColumn:
            return changeKey(a) - changeKey(b);
        case FileTreeModel::ModeColumn:
            return int(t.entry(a).mode) - int(t.entry(b).mode);
        case FileTreeModel::OwnerColumn: {
            const auto x = std::pair(t.entry(a).uid, t.entry(a).gid), y = std::pair(t.entry(b).uid, t.entry(b).gid);
            return x < y ? -1 : x > y ? 1 : 0;
        }
        case FileTreeModel::LinkColumn: {
            const QByteArray x = t.linkTarget(a), y = t.linkTarget(b);
            return x < y ? -1 : x > y ? 1 : 0;
        }
        default: {
            const QByteArrayView x = t.nameView(a), y = t.nameView(b);
            return x < y ? -1 : x > y ? 1 : 0;
        }
        }
    };
    struct Keyed
    {
        quint64 key; ///< bytes, or the name's prefix
        quint64 prefix;
        qint32 node;
    };
    std::vector<Keyed> keyed;
    qint64 sorted = 0;
    for (qsizetype k = 0; k < shape.folders.size(); ++k) {
        const qint32 count = shape.first[k + 1] - shape.first[k];
        auto *begin = shape.kids.data() + shape.first[k];
        const auto before = [&](int a, int b) {
            const int key = compareKey(a, b);
            if (key != 0)
                return q.descending ? key > 0 : key < 0;
            return byName(a, b);
        };
        // A layer tar lists a folder's files sorted, as the tools that write them walk folders,
        // and the tree holds siblings newest first: children in order, or in reverse order, are
        // common and found in one pass.
        if (count > 1 && !std::is_sorted(begin, begin + count, before)) {
            if (std::is_sorted(begin, begin + count, [&](int a, int b) { return before(b, a); })) {
                std::reverse(begin, begin + count);
            } else if (q.sortColumn == FileTreeModel::NameColumn || q.sortColumn == FileTreeModel::SizeColumn) {
                // By size (the files view's first order) or by name: each child's key, and the
                // first eight bytes of its name compared as one number, are gathered once; only
                // children equal in both go to the full comparison, each a walk from the node to
                // its layer's entry and pool (cache misses): sorting a million that way took
                // 0.18 s.
                const bool bySize = q.sortColumn == FileTreeModel::SizeColumn;
                keyed.resize(size_t(count));
                for (qint32 i = 0; i < count; ++i) {
                    const quint64 prefix = namePrefix(t.nameView(begin[i]));
                    keyed[size_t(i)] = { bySize ? quint64(bytes(begin[i])) : prefix, prefix, begin[i] };
                }
                std::sort(keyed.begin(), keyed.end(), [&](const Keyed &a, const Keyed &b) {
                    if (a.key != b.key)
                        return q.descending ? a.key > b.key : a.key < b.key;
                    if (bySize && a.prefix != b.prefix)
                        return a.prefix < b.prefix; // ties by name, ascending either way
                    return before(a.node, b.node);
                });
                for (qint32 i = 0; i < count; ++i)
                    begin[i] = keyed[size_t(i)].node;
            } else {
                std::sort(begin, begin + count, before);
            }
        }
        // Rows of the children that are folders themselves (`folders` is ascending).
        for (qint32 r = 0; r < count; ++r)
            if (t.entry(begin[r]).type == EntryType::Directory)
                if (const int sub = shape.folderIndex(begin[r]); sub >= 0)
                    shape.folderRow[sub] = r;
        sorted += count;
        if (sorted >= kPoll) {
            sorted = 0;
            if (progress.cancelled())
                return shape;
        }
    }
    shape.complete = true;
    return shape;
}

bool sameQuery(const FileTreeQuery &a, const FileTreeQuery &b)
{
    return a.tree == b.tree && a.markLayer == b.markLayer && a.layerOnly == b.layerOnly && a.firstNew == b.firstNew
        && a.changes == b.changes && a.filter == b.filter && a.regex == b.regex && a.sortColumn == b.sortColumn
        && a.descending == b.descending;
}

QString keptShapeName(const FileTreeQuery &query)
{
    if (!query.filter.isEmpty() || query.layerOnly || query.firstNew >= 0 || query.changes)
        return {};
    // The version goes first: shaping that orders rows otherwise must not find these.
    return QStringLiteral("rows1-layer%1-column%2-%3")
        .arg(query.markLayer + 1)
        .arg(query.sortColumn)
        .arg(query.descending ? u"down" : u"up");
}

namespace {

constexpr char kShapeTag[8] = { 'r', 'o', 'w', 's', ' ', '1', '\n', '\0' };
constexpr qsizetype kShapeHeader = 8 + 4 * 8;

void appendList(QByteArray &out, const QList<qint32> &list)
{
    out.append(reinterpret_cast<const char *>(list.constData()), list.size() * qsizetype(sizeof(qint32)));
}

/// `count` numbers at `at`: in place when they are aligned and kept alive, else copied.
QList<qint32> listAt(const char *at, qsizetype count, bool inPlace)
{
    if (count == 0)
        return {};
    if (inPlace && reinterpret_cast<quintptr>(at) % alignof(qint32) == 0)
        return QList<qint32>(QArrayDataPointer<qint32>::fromRawData(reinterpret_cast<const qint32 *>(at), count));
    QList<qint32> list(count);
    std::memcpy(list.data(), at, size_t(count) * sizeof(qint32));
    return list;
}

} // namespace

QByteArray shapeBytes(const FileTreeShape &shape)
{
    QByteArray out(kShapeTag, sizeof kShapeTag);
    for (const qint64 v : { qint64(shape.folders.size()), qint64(shape.kids.size()), shape.shown, shape.matched })
        out.append(reinterpret_cast<const char *>(&v), sizeof v);
    appendList(out, shape.folders);
    appendList(out, shape.first);
    appendList(out, shape.folderRow);
    appendList(out, shape.kids);
    return out;
}

std::optional<FileTreeShape> shapeFromBytes(
    QByteArrayView bytes, const MergedTree &tree, std::shared_ptr<const void> backing)
{
    const qint64 n = tree.nodeCount();
    if (bytes.size() < kShapeHeader || std::memcmp(bytes.constData(), kShapeTag, sizeof kShapeTag) != 0)
        return std::nullopt;
    qint64 head[4];
    std::memcpy(head, bytes.constData() + sizeof kShapeTag, sizeof head);
    const auto [folderCount, kidCount, shown, matched] = head;
    if (folderCount < 0 || folderCount > n || kidCount < 0 || kidCount >= n || shown != kidCount || matched != 0
        || bytes.size() != kShapeHeader + (3 * folderCount + 1 + kidCount) * qint64(sizeof(qint32)))
        return std::nullopt;
    FileTreeShape shape;
    const char *at = bytes.constData() + kShapeHeader;
    const bool inPlace = backing != nullptr;
    const auto take = [&](qint64 count) {
        QList<qint32> list = listAt(at, qsizetype(count), inPlace);
        at += count * qint64(sizeof(qint32));
        return list;
    };
    shape.folders = take(folderCount);
    shape.first = take(folderCount + 1);
    shape.folderRow = take(folderCount);
    shape.kids = take(kidCount);
    shape.shown = shown;

    // Folders ascending, each a folder of the tree with its children listed, each once, under it.
    if (shape.first.constFirst() != 0 || shape.first.constLast() != kidCount)
        return std::nullopt;
    std::vector<bool> seen(size_t(n), false);
    for (qsizetype k = 0; k < shape.folders.size(); ++k) {
        const qint32 folder = shape.folders.at(k);
        if (folder < 0 || folder >= n || (k > 0 && folder <= shape.folders.at(k - 1))
            || (folder > 0 && tree.entry(folder).type != EntryType::Directory)
            || shape.first.at(k) >= shape.first.at(k + 1))
            return std::nullopt;
        for (qint32 j = shape.first.at(k); j < shape.first.at(k + 1); ++j) {
            const qint32 c = shape.kids.at(j);
            if (c <= 0 || c >= n || tree.node(c).parent != folder || seen[size_t(c)])
                return std::nullopt;
            seen[size_t(c)] = true;
        }
    }
    // Each folder's row: where its parent lists it (the root has none).
    for (qsizetype k = 0; k < shape.folders.size(); ++k) {
        const qint32 folder = shape.folders.at(k), row = shape.folderRow.at(k);
        if (folder == 0) {
            if (row != -1)
                return std::nullopt;
            continue;
        }
        const int p = shape.folderIndex(tree.node(folder).parent);
        if (p < 0 || row < 0 || row >= shape.first.at(p + 1) - shape.first.at(p)
            || shape.kids.at(shape.first.at(p) + row) != folder)
            return std::nullopt;
    }
    shape.complete = true;
    shape.backing = std::move(backing);
    return shape;
}

} // namespace lamina
