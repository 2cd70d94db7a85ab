// SPDX-License-Identifier: MIT
// Comparing two images (docs/compare.md): layers, config, files, and why their digests differ.
#include "compare/imagediff.h"

#include "compare/diffdetail_p.h"

#include "layers/imagelayers.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QLocale>
#include <QSet>

#include <map>
#include <set>

namespace lamina {

using diffdetail::diffIdOf;
using diffdetail::hashFiles;

QString diffClassKey(DiffClass c)
{
    switch (c) {
    case DiffClass::Timestamps:
        return QStringLiteral("timestamps");
    case DiffClass::Ownership:
        return QStringLiteral("ownership");
    case DiffClass::Order:
        return QStringLiteral("order");
    case DiffClass::Compression:
        return QStringLiteral("compression");
    case DiffClass::Metadata:
        return QStringLiteral("metadata");
    case DiffClass::Content:
        return QStringLiteral("content");
    }
    return {};
}

QStringList diffCauseNames(quint8 causes)
{
    static const char *const names[] = { "content", "size", "mode", "owner", "type", "link", "mtime", "xattrs" };
    QStringList out;
    for (int bit = 0; bit < 8; ++bit)
        if (causes & (1u << bit))
            out << QString::fromLatin1(names[bit]);
    return out;
}

bool ImageDiff::identical() const
{
    // What could not be read cannot be called the same.
    return errors.isEmpty() && std::all_of(why.begin(), why.end(), [](const Tally &t) { return t.count == 0; });
}

QString ImageDiff::summary() const
{
    if (identical())
        return QStringLiteral("identical: the same layers, stored alike, the same config and the same files");
    const bool nothingFound = std::all_of(why.begin(), why.end(), [](const Tally &t) { return t.count == 0; });
    if (nothingFound)
        return QStringLiteral("no difference in what could be read, but %1 part(s) could not be read")
            .arg(errors.size());
    const auto what = [this](DiffClass c) {
        const Tally &t = tally(c);
        switch (c) {
        case DiffClass::Timestamps:
        case DiffClass::Ownership:
            return QStringLiteral("%1 (%2 file(s)%3)")
                .arg(c == DiffClass::Timestamps ? QStringLiteral("timestamps")
                                                : QStringLiteral("owners, modes or xattrs"))
                .arg(t.count)
                .arg(t.bytes > 0 ? QStringLiteral(", ") + QLocale::c().formattedDataSize(t.bytes) : QString());
        case DiffClass::Order:
            return QStringLiteral("layer or entry order, tar headers (%1 layer(s))").arg(t.count);
        case DiffClass::Compression:
            return QStringLiteral("compression (%1 layer(s))").arg(t.count);
        case DiffClass::Metadata:
            return QStringLiteral("config metadata (%1 field(s))").arg(t.count);
        case DiffClass::Content:
            return QStringLiteral("content (%1 file(s) or field(s)%2)")
                .arg(t.count)
                .arg(t.bytes > 0 ? QStringLiteral(", ") + QLocale::c().formattedDataSize(t.bytes) : QString());
        }
        return QString();
    };
    QStringList parts;
    for (int c = 0; c < kDiffClassCount; ++c)
        if (why.at(c).count > 0)
            parts << what(DiffClass(c));
    return (parts.size() == 1 ? QStringLiteral("only ") : QStringLiteral("different: "))
        + parts.join(QStringLiteral("; "));
}

namespace {

// ---- layers ----

QList<ImageDiff::LayerRow> alignLayers(const DiffSide &a, const DiffSide &b)
{
    const int n = int(a.archive->images.at(a.image).layers.size());
    const int m = int(b.archive->images.at(b.image).layers.size());
    QStringList idA, idB;
    for (int i = 0; i < n; ++i)
        idA << diffIdOf(a, i);
    for (int j = 0; j < m; ++j)
        idB << diffIdOf(b, j);
    // The longest common subsequence of diff IDs (an unknown diff ID matches nothing).
    QList<qint32> lcs(qsizetype(n + 1) * (m + 1), 0);
    const auto at = [&](int i, int j) -> qint32 & { return lcs[qsizetype(i) * (m + 1) + j]; };
    for (int i = n - 1; i >= 0; --i)
        for (int j = m - 1; j >= 0; --j)
            at(i, j) = !idA.at(i).isEmpty() && idA.at(i) == idB.at(j) ? at(i + 1, j + 1) + 1
                                                                      : std::max(at(i + 1, j), at(i, j + 1));
    QList<std::pair<int, int>> anchors;
    for (int i = 0, j = 0; i < n && j < m;) {
        if (!idA.at(i).isEmpty() && idA.at(i) == idB.at(j))
            anchors.append({ i++, j++ });
        else if (at(i + 1, j) >= at(i, j + 1))
            ++i;
        else
            ++j;
    }
    // Layers both have outside that run were moved: matched by diff ID, k-th with k-th.
    QList<int> movedA(n, -1), movedB(m, -1);
    {
        QList<bool> anchoredA(n, false), anchoredB(m, false);
        for (const auto &[i, j] : std::as_const(anchors))
            anchoredA[i] = anchoredB[j] = true;
        QHash<QString, QList<int>> leftInB;
        for (int j = 0; j < m; ++j)
            if (!anchoredB.at(j) && !idB.at(j).isEmpty())
                leftInB[idB.at(j)] << j;
        for (int i = 0; i < n; ++i) {
            if (anchoredA.at(i))
                continue;
            auto it = leftInB.find(idA.at(i));
            if (it == leftInB.end() || it->isEmpty())
                continue;
            const int j = it->takeFirst();
            movedA[i] = j;
            movedB[j] = i;
        }
    }
    const ImageArchive &ia = *a.archive;
    const ImageArchive &ib = *b.archive;
    const auto fillA = [&](ImageDiff::LayerRow &r, int i) {
        const ImageLayer &l = ia.images.at(a.image).layers.at(i);
        r.a = i;
        r.diffIdA = idA.at(i);
        r.digestA = l.digest;
        r.sizeA = l.size;
        r.compressionA = l.compression;
    };
    const auto fillB = [&](ImageDiff::LayerRow &r, int j) {
        const ImageLayer &l = ib.images.at(b.image).layers.at(j);
        r.b = j;
        r.diffIdB = idB.at(j);
        r.digestB = l.digest;
        r.sizeB = l.size;
        r.compressionB = l.compression;
    };
    QList<ImageDiff::LayerRow> rows;
    int pi = 0, pj = 0;
    anchors.append({ n, m }); // the end, as a last anchor without a row
    for (const auto &[ci, cj] : std::as_const(anchors)) {
        // The layers between two anchors, in order on each side.
        while (pi < ci || pj < cj) {
            ImageDiff::LayerRow r;
            if (pi < ci && movedA.at(pi) >= 0) {
                r.kind = ImageDiff::LayerRow::Moved;
                r.movedTo = movedA.at(pi);
                fillA(r, pi++);
            } else if (pj < cj && movedB.at(pj) >= 0) {
                r.kind = ImageDiff::LayerRow::Moved;
                r.movedTo = movedB.at(pj);
                fillB(r, pj++);
            } else if (pi < ci && pj < cj) {
                r.kind = ImageDiff::LayerRow::Replaced;
                fillA(r, pi++);
                fillB(r, pj++);
            } else if (pi < ci) {
                r.kind = ImageDiff::LayerRow::OnlyA;
                fillA(r, pi++);
            } else {
                r.kind = ImageDiff::LayerRow::OnlyB;
                fillB(r, pj++);
            }
            rows.append(r);
        }
        if (ci == n && cj == m)
            break;
        ImageDiff::LayerRow r;
        r.kind = ImageDiff::LayerRow::Shared;
        fillA(r, ci);
        fillB(r, cj);
        // The same uncompressed bytes stored otherwise: another compression, or other compressed
        // bytes (another gzip level or implementation), as the blob digests or sizes show.
        // A layer whose bytes are missing is an error, not another way of storing it.
        const ImageLayer &la = ia.images.at(a.image).layers.at(ci);
        const ImageLayer &lb = ib.images.at(b.image).layers.at(cj);
        const auto &indexA = a.layers.value(ci);
        const auto &indexB = b.layers.value(cj);
        const bool readable = la.member >= 0 && lb.member >= 0 && r.compressionA != Compression::Unknown
            && r.compressionB != Compression::Unknown && indexA && indexA->complete && indexB && indexB->complete;
        const bool compressed = r.compressionA != Compression::None || r.compressionB != Compression::None;
        r.sameFilesOtherBytes = readable
            && (r.compressionA != r.compressionB
                || (!r.digestA.isEmpty() && !r.digestB.isEmpty() && r.digestA != r.digestB)
                || (compressed && r.sizeA >= 0 && r.sizeB >= 0 && r.sizeA != r.sizeB));
        rows.append(r);
        pi = ci + 1;
        pj = cj + 1;
    }
    return rows;
}

/// Two layers that hold the same entries with the same attributes and bytes: stored otherwise
/// only in entry order or tar header details.
bool sameFiles(const DiffSide &a, int la, const DiffSide &b, int lb, QStringList *errors, const Progress &progress)
{
    const auto &ia = a.layers.value(la);
    const auto &ib = b.layers.value(lb);
    if (!ia || !ib)
        return false;
    const auto counted = [](const LayerIndex &x) {
        int n = 0;
        for (int e = 0; e < x.size(); ++e)
            n += !(x.entry(e).flags & (LayerEntry::Implicit | LayerEntry::Shadowed));
        return n;
    };
    if (counted(*ia) != counted(*ib))
        return false;
    QList<std::pair<int, int>> filesA, filesB;
    QList<std::pair<int, int>> pairs; // entry in A, entry in B, of files to hash
    for (int e = 0; e < ia->size(); ++e) {
        const LayerEntry &x = ia->entry(e);
        if (x.flags & (LayerEntry::Implicit | LayerEntry::Shadowed))
            continue;
        const int f = ib->find(ia->path(e));
        if (f < 0)
            return false;
        const LayerEntry &y = ib->entry(f);
        if (x.type != y.type || x.mode != y.mode || x.uid != y.uid || x.gid != y.gid || x.mtime != y.mtime
            || x.size != y.size || (x.flags & LayerEntry::Opaque) != (y.flags & LayerEntry::Opaque)
            || ia->linkTarget(e) != ib->linkTarget(f) || ia->xattrs(e) != ib->xattrs(f))
            return false;
        if (x.type == EntryType::File && x.size > 0) {
            filesA.append({ la, e });
            filesB.append({ lb, f });
            pairs.append({ e, f });
        }
    }
    const auto hashesA = hashFiles(a, QStringLiteral("A"), filesA, errors, progress);
    const auto hashesB = hashFiles(b, QStringLiteral("B"), filesB, errors, progress);
    for (const auto &[e, f] : std::as_const(pairs)) {
        const QString x = hashesA.value({ la, e });
        if (x.isEmpty() || x != hashesB.value({ lb, f }))
            return false;
    }
    return true;
}

// ---- config ----

/// A field set to its empty value says what a missing one does: Docker writes "Cmd": null,
/// "User": "", "Tty": false where other builders write nothing.
bool unset(const QJsonValue &v)
{
    return v.isUndefined() || v.isNull() || (v.isString() && v.toString().isEmpty())
        || (v.isArray() && v.toArray().isEmpty()) || (v.isObject() && v.toObject().isEmpty())
        || (v.isBool() && !v.toBool());
}

bool sameValue(const QJsonValue &x, const QJsonValue &y)
{
    return (unset(x) && unset(y)) || x == y;
}

/// The top-level and runtime config fields that change what runs; the others are metadata.
bool changesWhatRuns(const QString &field)
{
    static const QSet<QString> fields = { QStringLiteral("architecture"), QStringLiteral("os"),
        QStringLiteral("variant"), QStringLiteral("os.version"), QStringLiteral("os.features"), QStringLiteral("Cmd"),
        QStringLiteral("Entrypoint"), QStringLiteral("Env"), QStringLiteral("WorkingDir"), QStringLiteral("User"),
        QStringLiteral("ExposedPorts"), QStringLiteral("Volumes"), QStringLiteral("StopSignal"),
        QStringLiteral("Healthcheck"), QStringLiteral("Shell"), QStringLiteral("OnBuild") };
    return fields.contains(field);
}

/// Env as a map of variables (the first '=' splits; a later entry of a name wins, as at run time).
std::map<QString, QJsonValue> envMap(const QJsonValue &env)
{
    std::map<QString, QJsonValue> out;
    for (const QJsonValue &v : env.toArray()) {
        const QString s = v.toString();
        const qsizetype eq = s.indexOf(u'=');
        out[eq < 0 ? s : s.left(eq)] = eq < 0 ? QJsonValue(QString()) : QJsonValue(s.mid(eq + 1));
    }
    return out;
}

std::map<QString, QJsonValue> objectMap(const QJsonValue &o)
{
    std::map<QString, QJsonValue> out;
    const QJsonObject obj = o.toObject();
    for (auto it = obj.begin(); it != obj.end(); ++it)
        out[it.key()] = it.value();
    return out;
}

void compareMaps(const QString &field, const std::map<QString, QJsonValue> &x, const std::map<QString, QJsonValue> &y,
    DiffClass kind, QList<ImageDiff::ConfigField> *out)
{
    std::set<QString> keys;
    for (const auto &[k, v] : x)
        keys.insert(k);
    for (const auto &[k, v] : y)
        keys.insert(k);
    for (const QString &k : keys) {
        const auto fx = x.find(k);
        const auto fy = y.find(k);
        const QJsonValue vx = fx == x.end() ? QJsonValue(QJsonValue::Undefined) : fx->second;
        const QJsonValue vy = fy == y.end() ? QJsonValue(QJsonValue::Undefined) : fy->second;
        // A set entry present on one side only differs even when its value is empty ({}).
        if ((fx == x.end()) != (fy == y.end()) || vx != vy)
            out->append({ field + u':' + k, vx, vy, kind });
    }
}

QList<ImageDiff::ConfigField> compareConfigs(const Image &a, const Image &b, bool sameLayers)
{
    QList<ImageDiff::ConfigField> out;
    const QJsonObject ra = a.config ? a.config->raw : QJsonObject();
    const QJsonObject rb = b.config ? b.config->raw : QJsonObject();
    const auto classOf
        = [](const QString &field) { return changesWhatRuns(field) ? DiffClass::Content : DiffClass::Metadata; };
    std::set<QString> top;
    for (auto it = ra.begin(); it != ra.end(); ++it)
        top.insert(it.key());
    for (auto it = rb.begin(); it != rb.end(); ++it)
        top.insert(it.key());
    for (const QString &key : top) {
        // The layers are compared as layers; history entry by entry, below.
        if (key == u"rootfs" || key == u"history")
            continue;
        if (key == u"config") {
            const QJsonObject ca = ra.value(key).toObject();
            const QJsonObject cb = rb.value(key).toObject();
            std::set<QString> fields;
            for (auto it = ca.begin(); it != ca.end(); ++it)
                fields.insert(it.key());
            for (auto it = cb.begin(); it != cb.end(); ++it)
                fields.insert(it.key());
            for (const QString &f : fields) {
                const QJsonValue x = ca.value(f);
                const QJsonValue y = cb.value(f);
                if (sameValue(x, y))
                    continue;
                if (f == u"Env")
                    compareMaps(f, envMap(x), envMap(y), DiffClass::Content, &out);
                else if (f == u"Labels" || f == u"ExposedPorts" || f == u"Volumes")
                    compareMaps(f, objectMap(x), objectMap(y), classOf(f), &out);
                else
                    out.append({ f, x, y, classOf(f) });
            }
            continue;
        }
        const QJsonValue x = ra.value(key);
        const QJsonValue y = rb.value(key);
        if (!sameValue(x, y))
            out.append({ key, x, y, classOf(key) });
    }
    const QJsonArray ha = ra.value(u"history").toArray();
    const QJsonArray hb = rb.value(u"history").toArray();
    for (qsizetype i = 0; i < std::max(ha.size(), hb.size()); ++i) {
        const QJsonValue x = i < ha.size() ? ha.at(i) : QJsonValue(QJsonValue::Undefined);
        const QJsonValue y = i < hb.size() ? hb.at(i) : QJsonValue(QJsonValue::Undefined);
        if (x != y)
            out.append({ QStringLiteral("history[%1]").arg(i), x, y, DiffClass::Metadata });
    }
    // Configs that differ in their bytes only (key order, spacing): the image IDs say so.
    if (out.isEmpty() && sameLayers && a.configDigest != b.configDigest && a.config && b.config)
        out.append({ QStringLiteral("(config bytes)"), a.configDigest, b.configDigest, DiffClass::Order });
    return out;
}

DiffClass classOf(const ImageDiff::File &f)
{
    if (f.change != Change::Modified || !f.compared || (f.causes & (CauseContent | CauseSize | CauseType | CauseLink)))
        return DiffClass::Content;
    if (f.causes & (CauseMode | CauseOwner | CauseXattrs))
        return DiffClass::Ownership;
    return DiffClass::Timestamps;
}

QString layerKindKey(ImageDiff::LayerRow::Kind k)
{
    switch (k) {
    case ImageDiff::LayerRow::Shared:
        return QStringLiteral("shared");
    case ImageDiff::LayerRow::Moved:
        return QStringLiteral("moved");
    case ImageDiff::LayerRow::Replaced:
        return QStringLiteral("replaced");
    case ImageDiff::LayerRow::OnlyA:
        return QStringLiteral("only-a");
    case ImageDiff::LayerRow::OnlyB:
        return QStringLiteral("only-b");
    }
    return {};
}

QJsonValue orNull(const QJsonValue &v)
{
    return v.isUndefined() ? QJsonValue(QJsonValue::Null) : v;
}

QJsonValue indexOrNull(int i)
{
    return i >= 0 ? QJsonValue(i) : QJsonValue(QJsonValue::Null);
}

} // namespace

ImageLayers indexLayersForDiff(const ImageArchive &ia, int image, const Progress &progress, const DiffSide *other,
    const QHash<int, std::shared_ptr<const LayerIndex>> &known)
{
    LayerIndexOptions options;
    for (const ImageLayer &l : ia.images.at(image).layers)
        options.computeDigests = options.computeDigests || l.diffId.isEmpty();
    options.takeOpened(known);
    if (other)
        for (int k = 0; k < other->layers.size(); ++k)
            if (const QString id = diffIdOf(*other, k); !id.isEmpty() && other->layers.at(k))
                options.knownByDiffId.insert(id, other->layers.at(k));
    return indexImageLayers(ia, image, options, progress);
}

QString changeWord(Change c)
{
    switch (c) {
    case Change::Added:
        return QStringLiteral("added");
    case Change::Modified:
        return QStringLiteral("changed");
    case Change::Removed:
        return QStringLiteral("removed");
    case Change::None:
        break;
    }
    return {};
}

QJsonObject imageDiffJson(const ImageDiff &diff)
{
    QJsonArray layers;
    const auto layer = [&](const QString &diffId, int inA, int inB, const ImageDiff::LayerRow &r) {
        layers.append(QJsonObject {
            { QStringLiteral("diffId"), diffId.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(diffId) },
            { QStringLiteral("inA"), indexOrNull(inA) }, { QStringLiteral("inB"), indexOrNull(inB) },
            { QStringLiteral("kind"), layerKindKey(r.kind) },
            { QStringLiteral("sameFilesOtherBytes"), r.sameFilesOtherBytes } });
    };
    for (const ImageDiff::LayerRow &r : diff.layers) {
        switch (r.kind) {
        case ImageDiff::LayerRow::Shared:
            layer(r.diffIdA, r.a, r.b, r);
            break;
        case ImageDiff::LayerRow::Moved:
            if (r.b >= 0) // listed once, where B has it
                layer(r.diffIdB, r.movedTo, r.b, r);
            break;
        case ImageDiff::LayerRow::Replaced:
            layer(r.diffIdA, r.a, -1, r);
            layer(r.diffIdB, -1, r.b, r);
            break;
        case ImageDiff::LayerRow::OnlyA:
            layer(r.diffIdA, r.a, -1, r);
            break;
        case ImageDiff::LayerRow::OnlyB:
            layer(r.diffIdB, -1, r.b, r);
            break;
        }
    }
    QJsonArray config;
    for (const ImageDiff::ConfigField &f : diff.config)
        config.append(QJsonObject { { QStringLiteral("field"), f.field }, { QStringLiteral("a"), orNull(f.a) },
            { QStringLiteral("b"), orNull(f.b) }, { QStringLiteral("class"), diffClassKey(f.kind) } });
    QJsonArray files;
    for (const ImageDiff::File &f : diff.files) {
        QJsonObject o { { QStringLiteral("path"), QString(QStringLiteral("/") + QString::fromUtf8(f.path)) },
            { QStringLiteral("change"), changeWord(f.change) },
            { QStringLiteral("causes"), QJsonArray::fromStringList(diffCauseNames(f.causes)) },
            { QStringLiteral("class"), diffClassKey(f.kind) } };
        if (!f.compared)
            o.insert(QStringLiteral("compared"), false);
        if (f.change != Change::Added)
            o.insert(QStringLiteral("sizeA"), double(f.sizeA));
        if (f.change != Change::Removed)
            o.insert(QStringLiteral("sizeB"), double(f.sizeB));
        files.append(o);
    }
    QJsonObject why, whyBytes;
    for (int c = 0; c < kDiffClassCount; ++c) {
        why.insert(diffClassKey(DiffClass(c)), double(diff.why.at(c).count));
        whyBytes.insert(diffClassKey(DiffClass(c)), double(diff.why.at(c).bytes));
    }
    return QJsonObject { { QStringLiteral("identical"), diff.identical() }, { QStringLiteral("layers"), layers },
        { QStringLiteral("config"), config }, { QStringLiteral("files"), files }, { QStringLiteral("why"), why },
        { QStringLiteral("whyBytes"), whyBytes }, { QStringLiteral("summary"), diff.summary() },
        { QStringLiteral("errors"), QJsonArray::fromStringList(diff.errors) } };
}

ImageDiff diffImages(const DiffSide &a, const DiffSide &b, const Progress &progress)
{
    ImageDiff out;
    const Image &imageA = a.archive->images.at(a.image);
    const Image &imageB = b.archive->images.at(b.image);
    out.layers = alignLayers(a, b);
    bool sameLayers = true; // the same diff IDs in the same order: the same merged tree
    for (ImageDiff::LayerRow &r : out.layers) {
        if (progress.cancelled())
            break;
        sameLayers = sameLayers && r.kind == ImageDiff::LayerRow::Shared;
        ImageDiff::Tally *t = nullptr;
        if (r.kind == ImageDiff::LayerRow::Shared && r.sameFilesOtherBytes)
            t = &out.why[int(DiffClass::Compression)];
        else if (r.kind == ImageDiff::LayerRow::Moved && r.b >= 0)
            t = &out.why[int(DiffClass::Order)];
        else if (r.kind == ImageDiff::LayerRow::Replaced
            && (r.sameFilesOtherBytes = sameFiles(a, r.a, b, r.b, &out.errors, progress)))
            t = &out.why[int(DiffClass::Order)];
        if (t) {
            t->count += 1;
            t->bytes += std::max<qint64>(r.sizeB, 0);
        }
    }
    for (int k = 0; k < a.layers.size() || k < b.layers.size(); ++k) {
        if (k < a.layers.size() && !a.layers.at(k))
            out.errors << QStringLiteral("A: layer %1 could not be read: its files are not compared").arg(k);
        if (k < b.layers.size() && !b.layers.at(k))
            out.errors << QStringLiteral("B: layer %1 could not be read: its files are not compared").arg(k);
    }
    out.config = compareConfigs(imageA, imageB, sameLayers);
    for (const ImageDiff::ConfigField &f : std::as_const(out.config))
        out.why[int(f.kind)].count += 1;
    // The same layers in the same order make the same tree: nothing to walk.
    if (!sameLayers) {
        diffdetail::compareFiles(a, b, &out, progress);
        for (ImageDiff::File &f : out.files) {
            f.kind = classOf(f);
            ImageDiff::Tally &t = out.why[int(f.kind)];
            t.count += 1;
            t.bytes += std::max(f.change == Change::Removed ? 0 : f.sizeB, f.change == Change::Added ? 0 : f.sizeA);
        }
        // Other layers that make the same files (a layer split in two, an empty layer added):
        // stored otherwise, as the order class counts it.
        if (out.files.isEmpty() && !out.cancelled && !progress.cancelled())
            for (const ImageDiff::LayerRow &r : std::as_const(out.layers))
                if ((r.kind == ImageDiff::LayerRow::OnlyA || r.kind == ImageDiff::LayerRow::OnlyB
                        || (r.kind == ImageDiff::LayerRow::Replaced && !r.sameFilesOtherBytes))
                    // A layer that could not be read changes what nobody can tell: an error.
                    && (r.a < 0 || a.layers.value(r.a)) && (r.b < 0 || b.layers.value(r.b))) {
                    out.why[int(DiffClass::Order)].count += 1;
                    out.why[int(DiffClass::Order)].bytes += std::max<qint64>(std::max(r.sizeA, r.sizeB), 0);
                }
    }
    out.cancelled = progress.cancelled();
    return out;
}

} // namespace lamina
