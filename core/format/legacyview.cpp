// SPDX-License-Identifier: MIT
// L: the legacy view (docs/formats.md §1.1, §2.2): `<id>/json` files linked by `parent`, tagged
// through `repositories`.
#include "format/views.h"

#include "format/json.h"
#include "util/threadbudget.h"

#include <QSet>
#include <algorithm>
#include <atomic>

namespace lamina {

LegacyChain walkLegacyChain(const LegacyView &view, const QString &top)
{
    LegacyChain chain;
    chain.top = top;
    QSet<int> seen; // layer positions: hashing an int, not a 64-character id, per link
    QString current = top;
    while (!current.isEmpty()) {
        const int at = view.byId.value(current, -1);
        if (at < 0) {
            chain.missingParent = current;
            break;
        }
        const LegacyLayer &layer = view.layers.at(at);
        if (seen.contains(at)) {
            // The v1 spec forbids cycles; Docker's legacy loader would recurse without end.
            chain.cycleAt = layer.id;
            break;
        }
        if (chain.ids.size() >= limits::kMaxLegacyChainLength) {
            chain.tooLong = true;
            break;
        }
        seen.insert(at);
        chain.ids.append(layer.id);
        current = layer.parent;
    }
    return chain;
}

namespace {

/// One string for values that repeat from layer to layer ("linux", "amd64", nix's fixed creation
/// date, "1.0"): a chain of 100,000 layers would otherwise hold 100,000 copies of each.
class StringPool
{
public:
    QString operator()(const QString &s)
    {
        if (s.isEmpty())
            return s;
        if (const auto it = m_seen.constFind(s); it != m_seen.cend())
            return *it;
        if (m_seen.size() < kMaxKept) // unique values (most creation dates) are not worth keeping
            m_seen.insert(s);
        return s;
    }

private:
    static constexpr int kMaxKept = 64;
    QSet<QString> m_seen;
};

/// The fields of a legacy `<id>/json` that the views use.
void readLegacyJson(const Archive &archive, const Member &m, LegacyLayer &layer, StringPool &pool, QStringList *errors)
{
    const Archive::Resolved jr = archive.resolve(m.path);
    if (jr.index < 0) {
        errors->append(QStringLiteral("%1: %2").arg(m.path, jr.error));
        return;
    }
    const Archive::ReadResult rr = archive.read(jr.index);
    if (!rr.ok()) {
        errors->append(rr.error);
        return;
    }
    const auto doc = parseJson(rr.data, m.path, errors);
    if (!doc)
        return;
    if (!doc->isObject()) {
        errors->append(
            QStringLiteral("%1: must be a JSON object, but is %2")
                .arg(m.path, doc->isArray() ? QStringLiteral("an array") : QStringLiteral("something else")));
        return;
    }
    const QJsonObject o = doc->object();
    JsonFields f(m.path, errors);
    layer.jsonId = f.string(o, QStringLiteral("id"));
    if (layer.jsonId == layer.id)
        layer.jsonId = layer.id; // one string, not two: a chain may have 100,000 of them
    layer.parent = f.string(o, QStringLiteral("parent"));
    layer.created = pool(f.string(o, QStringLiteral("created")));
    layer.platform.os = pool(f.string(o, QStringLiteral("os")));
    layer.platform.architecture = pool(f.string(o, QStringLiteral("architecture")));
    layer.platform.variant = pool(f.string(o, QStringLiteral("variant")));
    layer.hasConfig = o.value(QStringLiteral("config")).isObject();
}

/// The VERSION and layer.tar beside a legacy json.
void readLegacySiblings(const Archive &archive, LegacyLayer &layer, StringPool &pool, QStringList *errors)
{
    const QString versionPath = layer.id + QStringLiteral("/VERSION");
    if (archive.find(versionPath) >= 0) {
        layer.hasVersion = true;
        const Archive::Resolved vr = archive.resolve(versionPath);
        if (vr.index >= 0) {
            const Archive::ReadResult rr = archive.read(vr.index, 4096);
            layer.version = rr.ok() ? pool(QString::fromUtf8(rr.data).trimmed()) : QString();
        }
    }
    const int layerIndex = archive.find(layer.id + QStringLiteral("/layer.tar"));
    if (layerIndex < 0)
        return;
    // The member table's own strings, shared rather than copied.
    const QString &layerPath = archive.member(layerIndex).path;
    layer.layerPath = layerPath;
    const Archive::Resolved lr = archive.resolve(layerPath);
    layer.layerMember = lr.index;
    layer.layerResolvedPath = lr.index >= 0 ? archive.member(lr.index).path : lr.path;
    if (lr.index < 0) {
        layer.layerError = lr.error;
        errors->append(QStringLiteral("%1: %2").arg(layerPath, lr.error));
    }
}

void readLegacyLayers(const Archive &archive, LegacyView &view)
{
    const QList<Member> &members = archive.members();
    QList<int> jsons;
    for (int i = 0; i < members.size(); ++i) {
        const QString &path = members.at(i).path;
        const qsizetype slash = path.indexOf(u'/');
        if (slash <= 0 || slash != path.size() - 5 || !path.endsWith(u"/json") || path.startsWith(u"blobs/"))
            continue;
        if (archive.find(path) != i)
            continue; // an earlier duplicate; the later member wins
        jsons << i;
    }
    // Each json is read and parsed on its own, so a chain of tens of thousands of layers is split
    // among the cores; chunks keep the problems in member order.
    constexpr int kChunk = 512;
    view.layers.reserve(jsons.size()); // resize() alone would round the capacity up
    view.layers.resize(jsons.size());
    QList<QStringList> chunkProblems((jsons.size() + kChunk - 1) / kChunk);
    std::atomic<int> nextChunk { 0 };
    // Raw pointers: the threads must not go through QList's detaching accessors.
    LegacyLayer *const layers = view.layers.data();
    QStringList *const problems = chunkProblems.data();
    const auto work = [&] {
        StringPool pool;
        for (int c; (c = nextChunk.fetch_add(1)) < chunkProblems.size();) {
            for (int k = c * kChunk; k < std::min<int>((c + 1) * kChunk, jsons.size()); ++k) {
                const Member &m = members.at(jsons.at(k));
                LegacyLayer &layer = layers[k];
                layer.id = archive.sharedFolderPath(m.path.left(m.path.size() - 5));
                layer.jsonMember = jsons.at(k);
                readLegacyJson(archive, m, layer, pool, &problems[c]);
                readLegacySiblings(archive, layer, pool, &problems[c]);
            }
        }
    };
    runShared(jsons.size() > kChunk ? threadBudgetSize() : 1, work);
    for (const QStringList &p : std::as_const(chunkProblems))
        view.problems += p;
    const auto byId = [](const LegacyLayer &a, const LegacyLayer &b) { return a.id < b.id; };
    // docker save writes the folders in the order of their names: mostly sorted already.
    if (!std::is_sorted(view.layers.cbegin(), view.layers.cend(), byId))
        std::sort(view.layers.begin(), view.layers.end(), byId);
    view.byId.reserve(view.layers.size());
    for (int i = 0; i < view.layers.size(); ++i)
        view.byId.insert(view.layers.at(i).id, i);
    // A parent names another layer's id: share that string rather than keep a second copy.
    for (LegacyLayer &l : view.layers)
        if (const LegacyLayer *p = view.layer(l.parent))
            l.parent = p->id;
}

void readRepositories(const Archive &archive, LegacyView &view)
{
    QStringList *errors = &view.problems;
    const int repos = archive.find(QStringLiteral("repositories"));
    if (repos < 0)
        return;
    view.hasRepositories = true;
    view.repositoriesMember = repos;
    const Archive::Resolved rr = archive.resolve(QStringLiteral("repositories"));
    const Archive::ReadResult data = rr.index >= 0 ? archive.read(rr.index) : Archive::ReadResult { {}, rr.error };
    if (!data.ok()) {
        errors->append(QStringLiteral("repositories: %1").arg(data.error));
        return;
    }
    const auto doc = parseJson(data.data, QStringLiteral("repositories"), errors);
    if (!doc)
        return;
    if (!doc->isObject()) {
        errors->append(QStringLiteral("repositories: must be a JSON object of repository → {tag → id}"));
        return;
    }
    const QJsonObject o = doc->object();
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (!it.value().isObject()) {
            errors->append(QStringLiteral("repositories: field \"%1\" must be an object of tag → id, but is %2")
                               .arg(it.key(), jsonTypeName(it.value())));
            continue;
        }
        const QJsonObject tags = it.value().toObject();
        for (auto t = tags.begin(); t != tags.end(); ++t) {
            if (!t.value().isString()) {
                errors->append(
                    QStringLiteral("repositories: field \"%1\".\"%2\" must be a string (a layer id), but is %3")
                        .arg(it.key(), t.key(), jsonTypeName(t.value())));
                continue;
            }
            view.repositories.append({ it.key(), t.key(), t.value().toString() });
        }
    }
}

/// One chain per tagged top, in repositories order; without tags, one per head (a directory no
/// other names as parent), which is what Docker's legacy loader would load as images.
void walkChains(LegacyView &view)
{
    QStringList tops;
    QHash<QString, QStringList> tagsOf;
    for (const RepositoryTag &t : std::as_const(view.repositories)) {
        if (!tagsOf.contains(t.id))
            tops.append(t.id);
        tagsOf[t.id].append(t.reference());
    }
    // Docker's legacy loader loads every <id> folder as an image before it applies the tags
    // (docs/formats.md §4.2), so a head no tag reaches is still an image, untagged.
    // By layer position: a chain of 100,000 layers is 100,000 lookups here, not sets of ids.
    QList<bool> isParent(view.layers.size()), reached(view.layers.size());
    for (const LegacyLayer &l : std::as_const(view.layers))
        if (const int p = view.byId.value(l.parent, -1); p >= 0)
            isParent[p] = true;
    QList<LegacyChain> tagged; // each walked once, kept for below
    for (const QString &top : std::as_const(tops)) {
        LegacyChain c = walkLegacyChain(view, top);
        for (const QString &id : std::as_const(c.ids))
            reached[view.byId.value(id)] = true;
        if (tagged.size() < limits::kMaxImages)
            tagged.append(std::move(c));
    }
    for (int i = 0; i < view.layers.size(); ++i)
        if (!isParent.at(i) && !reached.at(i))
            tops.append(view.layers.at(i).id);
    for (const QString &top : std::as_const(tops)) {
        if (view.chains.size() >= limits::kMaxImages) {
            view.problems.append(QStringLiteral(
                "repositories and the legacy directories name %1 chains, more than %2; the rest were not walked%3")
                                     .arg(tops.size())
                                     .arg(limits::kMaxImages)
                                     .arg(limits::note("kMaxImages", limits::kMaxImages)));
            break;
        }
        const qsizetype n = view.chains.size();
        LegacyChain c = n < tagged.size() ? std::move(tagged[n]) : walkLegacyChain(view, top);
        c.tags = tagsOf.value(top);
        if (c.tooLong)
            view.problems.append(
                QStringLiteral("%1/json: the parent chain is longer than %2 links; the walk stopped there%3")
                    .arg(top)
                    .arg(limits::kMaxLegacyChainLength)
                    .arg(limits::note("kMaxLegacyChainLength", limits::kMaxLegacyChainLength)));
        view.chains.append(std::move(c));
    }
}

} // namespace

QJsonObject legacyConfigOf(const Archive &archive, const LegacyLayer &layer)
{
    if (layer.jsonMember < 0)
        return {};
    const Archive::Resolved jr = archive.resolve(archive.member(layer.jsonMember).path);
    if (jr.index < 0)
        return {};
    const Archive::ReadResult rr = archive.read(jr.index);
    if (!rr.ok())
        return {};
    QStringList ignored; // reading the view said what is wrong with it
    const auto doc = parseJson(rr.data, archive.member(layer.jsonMember).path, &ignored);
    return doc && doc->isObject() ? doc->object().value(QStringLiteral("config")).toObject() : QJsonObject();
}

LegacyView readLegacyView(const Archive &archive)
{
    LegacyView view;
    readLegacyLayers(archive, view);
    readRepositories(archive, view);
    view.present = !view.layers.isEmpty() || view.hasRepositories;
    walkChains(view);
    return view;
}

} // namespace lamina
