// SPDX-License-Identifier: MIT
// `lamina ls`: one layer's own entries or the merged tree, as text or JSON, with change marks.
#include "command.h"

#include "archive/archive.h"
#include "layers/layerindex.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUtf8StringView>

#include <algorithm>

namespace lamina::cli {

namespace {

QString modeString(const LayerEntry &e)
{
    static const char types[] = { '-', 'd', 'l', 'h', 'c', 'b', 'p', 'w' };
    QString s(1, QLatin1Char(types[int(e.type)]));
    const char *rwx = "rwxrwxrwx";
    for (int bit = 0; bit < 9; ++bit)
        s += (e.mode & (0400u >> bit)) ? QLatin1Char(rwx[bit]) : QLatin1Char('-');
    if (e.mode & 04000)
        s[3] = (e.mode & 0100) ? u's' : u'S';
    if (e.mode & 02000)
        s[6] = (e.mode & 0010) ? u's' : u'S';
    if (e.mode & 01000)
        s[9] = (e.mode & 0001) ? u't' : u'T';
    return s;
}

/// One line of the listing.
struct Row
{
    QByteArray path;
    const LayerEntry *entry;
    QByteArray link;
    Change change;
};

const LayerEntry &removedEntry()
{
    static const LayerEntry removed = [] {
        LayerEntry e;
        e.type = EntryType::Whiteout;
        return e;
    }();
    return removed;
}

bool underPrefix(const QByteArray &path, const QByteArray &prefix)
{
    return prefix.isEmpty() || path == prefix || path.startsWith(QByteArray(prefix + '/'));
}

/// The tree's entries under `prefix`, depth first in name order.
QList<Row> treeRows(const MergedTree &tree, const QByteArray &prefix)
{
    QList<Row> rows;
    QList<int> stack { tree.root() };
    while (!stack.isEmpty()) {
        const int n = stack.takeLast();
        if (n != tree.root()) {
            const QByteArray p = tree.path(n);
            if (underPrefix(p, prefix))
                rows.append({ p, &tree.entry(n), tree.linkTarget(n), tree.node(n).change });
        }
        const QList<int> kids = tree.children(n);
        for (auto it = kids.crbegin(); it != kids.crend(); ++it)
            stack.append(*it);
    }
    return rows;
}

/// Marks come from the tree at the chosen layer: what that layer added or changed, and what it
/// removed (its whiteouts, opaque folders and replacements) shown as deletions.
void markChanges(
    QList<Row> &rows, const LayerArgs &a, const ImageLayers &layers, const MergedTree &tree, const QByteArray &prefix)
{
    const int layerNo = a.layer >= 0 ? a.layer : tree.topLayer();
    const MergedTree full = a.layer >= 0 ? MergedTree::build(layers.layers, layerNo) : MergedTree();
    const MergedTree &at = a.layer >= 0 ? full : tree;
    for (Row &r : rows) {
        const int n = at.find(r.path);
        r.change = n >= 0 && at.node(n).layer == layerNo ? at.node(n).change : Change::None;
    }
    for (const MergedTree::ChangeRecord &c : at.changes())
        if (c.change == Change::Removed && underPrefix(c.path, prefix))
            rows.append({ c.path, &removedEntry(), QByteArray(), Change::Removed });
    std::stable_sort(rows.begin(), rows.end(), [](const Row &x, const Row &y) { return x.path < y.path; });
}

/// The net change from the tree at layer `from - 1` to `after` (the tree at --upto): what the
/// layers from..upto did together. A path added and removed again inside the range is not
/// there; one changed twice is one M (docs/layers.md).
QList<Row> rangeRows(const ImageLayers &layers, int from, const MergedTree &after, const QByteArray &prefix)
{
    QList<Row> rows;
    for (const MergedTree::ChangeRecord &c : netChanges(layers.layers, from, after.topLayer())) {
        if (!underPrefix(c.path, prefix))
            continue;
        if (c.change == Change::Removed) {
            rows.append({ c.path, &removedEntry(), QByteArray(), Change::Removed });
            continue;
        }
        const int n = after.find(c.path);
        if (n > 0)
            rows.append({ c.path, &after.entry(n), after.linkTarget(n), c.change });
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row &x, const Row &y) { return x.path < y.path; });
    return rows;
}

QJsonArray rowsJson(const QList<Row> &rows, bool changes)
{
    QJsonArray arr;
    for (const Row &r : rows) {
        QJsonObject o;
        // Exact for UTF-8 names (JSON escapes control characters itself); a name that is not
        // UTF-8 is given in escapedName()'s form, which cat and extract accept, and said to be.
        const bool utf8 = QUtf8StringView(r.path).isValidUtf8();
        o.insert(QStringLiteral("path"), utf8 ? QString::fromUtf8(r.path) : escapedName(r.path));
        if (!utf8)
            o.insert(QStringLiteral("pathEscaped"), true);
        o.insert(QStringLiteral("type"),
            r.change == Change::Removed ? QStringLiteral("whiteout") : entryTypeName(r.entry->type));
        o.insert(QStringLiteral("size"), double(r.entry->size));
        o.insert(QStringLiteral("mode"), QString::number(r.entry->mode, 8).rightJustified(4, u'0'));
        o.insert(QStringLiteral("uid"), double(r.entry->uid));
        o.insert(QStringLiteral("gid"), double(r.entry->gid));
        const bool linkUtf8 = QUtf8StringView(r.link).isValidUtf8();
        o.insert(QStringLiteral("linkTarget"),
            r.link.isEmpty() ? QJsonValue(QJsonValue::Null)
                             : QJsonValue(linkUtf8 ? QString::fromUtf8(r.link) : escapedName(r.link)));
        if (!linkUtf8)
            o.insert(QStringLiteral("linkTargetEscaped"), true);
        o.insert(QStringLiteral("change"),
            !changes || r.change == Change::None ? QJsonValue(QJsonValue::Null) : QJsonValue(changeLetter(r.change)));
        arr.append(o);
    }
    return arr;
}

void printRows(QTextStream &out, const QList<Row> &rows, bool changes)
{
    for (const Row &r : rows) {
        if (changes)
            out << changeLetter(r.change) << ' ';
        if (r.change == Change::Removed) {
            out << QStringLiteral("w--------- %1 %2 %3\n")
                       .arg(QString(9, u' '), QString(12, u' '), escapedName(r.path));
            continue;
        }
        const QString owner = QStringLiteral("%1:%2").arg(r.entry->uid).arg(r.entry->gid);
        out << modeString(*r.entry) << ' ' << owner.leftJustified(9) << ' '
            << QString::number(r.entry->size).rightJustified(12) << ' ' << escapedName(r.path);
        if (!r.link.isEmpty())
            out << (r.entry->type == EntryType::Hardlink ? " => " : " -> ") << escapedName(r.link);
        out << '\n';
    }
}

} // namespace

int ls(const QStringList &args, QTextStream &out, QTextStream &err)
{
    const LayerArgs a = parseLayerArgs(args);
    if (!a.problem.isEmpty() || a.positional.isEmpty() || a.positional.size() > 2)
        return usage(
            err, a.problem.isEmpty() ? QStringLiteral("ls: PATH [PREFIX]") : QStringLiteral("ls: ") + a.problem);
    ImageArchive ia;
    ImageLayers layers;
    QStringList why;
    if (!openLayers(a, err, &ia, &layers, &why)) {
        // A script reading --json gets an answer on stdout too, as from inspect and check.
        if (a.json)
            out << QString::fromUtf8(QJsonDocument(QJsonObject { { QStringLiteral("path"), a.positional.at(0) },
                                                       { QStringLiteral("errors"), QJsonArray::fromStringList(why) } })
                                         .toJson(QJsonDocument::Indented));
        return 2;
    }
    if (a.from >= 0 && a.from >= layers.layers.size()) {
        err << "lamina: ls: --from " << a.from << ": the image has " << layers.layers.size() << " layer(s), 0 to "
            << layers.layers.size() - 1 << '\n';
        return 2;
    }
    const MergedTree tree = chosenTree(a, layers);
    const QByteArray prefix = normaliseMemberPath(a.positional.value(1)).toUtf8();
    QList<Row> rows;
    if (a.from >= 0) {
        rows = rangeRows(layers, a.from, tree, prefix);
    } else {
        rows = treeRows(tree, prefix);
        if (a.changes || a.layer >= 0)
            markChanges(rows, a, layers, tree, prefix);
    }
    const bool changes = a.changes || a.from >= 0;
    if (a.json)
        out << QString::fromUtf8(QJsonDocument(rowsJson(rows, changes)).toJson(QJsonDocument::Indented));
    else
        printRows(out, rows, changes);
    return 0;
}

} // namespace lamina::cli
