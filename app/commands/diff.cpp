// SPDX-License-Identifier: MIT
// `lamina diff`: two images compared, and why their digests differ (docs/compare.md).
#include "command.h"

#include "compare/imagediff.h"
#include "layers/streamedlayers.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace lamina::cli {

namespace {

/// One side as the command line chose it: an archive, and an image of it by number or platform.
struct Chosen
{
    ImageArchive archive;
    QHash<int, std::shared_ptr<const LayerIndex>> opened; ///< layers indexed while it was opened
    int image = 0;
    ImageLayers layers;
};

QString shortDigest(const QString &d)
{
    return d.isEmpty() ? QStringLiteral("(no diff ID)") : d.left(19) + u'…';
}

QString valueText(const QJsonValue &v)
{
    if (v.isUndefined() || v.isNull())
        return QStringLiteral("(none)");
    if (v.isString())
        return u'"' + v.toString() + u'"';
    if (v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    if (v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    return v.toVariant().toString();
}

QString fileLine(const ImageDiff::File &f, bool inA)
{
    const EntryType type = inA ? f.typeA : f.typeB;
    QString line = QStringLiteral("%1 %2 %3:%4")
                       .arg(entryTypeName(type))
                       .arg(QString::number(inA ? f.modeA : f.modeB, 8).rightJustified(4, u'0'))
                       .arg(inA ? f.uidA : f.uidB)
                       .arg(inA ? f.gidA : f.gidB);
    if (type == EntryType::File)
        line += QStringLiteral(" %1").arg(inA ? f.sizeA : f.sizeB);
    if (type == EntryType::Symlink)
        line += QStringLiteral(" -> ") + escapedName(inA ? f.linkA : f.linkB);
    return line;
}

void printText(const ImageDiff &d, const Chosen &a, const Chosen &b, QTextStream &out)
{
    const auto side = [&](const char *name, const Chosen &c) {
        const Image &img = c.archive.images.at(c.image);
        out << name << ": " << c.archive.path << " image " << c.image;
        if (!img.tags.isEmpty())
            out << " (" << img.tags.join(QStringLiteral(", ")) << ')';
        out << ", " << img.layers.size() << " layer(s)";
        if (!img.configDigest.isEmpty())
            out << ", ID " << shortDigest(img.configDigest);
        out << '\n';
    };
    side("A", a);
    side("B", b);
    out << "\nLayers (A B):\n";
    for (const ImageDiff::LayerRow &r : d.layers) {
        const QString na = r.a >= 0 ? QString::number(r.a) : QStringLiteral(".");
        const QString nb = r.b >= 0 ? QString::number(r.b) : QStringLiteral(".");
        out << "  ";
        switch (r.kind) {
        case ImageDiff::LayerRow::Shared:
            out << (r.sameFilesOtherBytes ? "~ " : "= ") << na.rightJustified(3) << ' ' << nb.rightJustified(3) << "  "
                << shortDigest(r.diffIdA);
            if (r.sameFilesOtherBytes)
                out << "  stored otherwise: " << compressionName(r.compressionA) << ' ' << r.sizeA << " bytes, "
                    << compressionName(r.compressionB) << ' ' << r.sizeB << " bytes";
            break;
        case ImageDiff::LayerRow::Moved:
            out << "> " << na.rightJustified(3) << ' ' << nb.rightJustified(3) << "  "
                << shortDigest(r.a >= 0 ? r.diffIdA : r.diffIdB)
                << (r.a >= 0 ? QStringLiteral("  moved: layer %1 of B").arg(r.movedTo)
                             : QStringLiteral("  moved: layer %1 of A").arg(r.movedTo));
            break;
        case ImageDiff::LayerRow::Replaced:
            out << "! " << na.rightJustified(3) << ' ' << nb.rightJustified(3) << "  " << shortDigest(r.diffIdA)
                << " / " << shortDigest(r.diffIdB)
                << (r.sameFilesOtherBytes ? "  the same files in other tar bytes" : "  other layers");
            break;
        case ImageDiff::LayerRow::OnlyA:
            out << "- " << na.rightJustified(3) << ' ' << nb.rightJustified(3) << "  " << shortDigest(r.diffIdA)
                << "  only in A";
            break;
        case ImageDiff::LayerRow::OnlyB:
            out << "+ " << na.rightJustified(3) << ' ' << nb.rightJustified(3) << "  " << shortDigest(r.diffIdB)
                << "  only in B";
            break;
        }
        out << '\n';
    }
    if (!d.config.isEmpty()) {
        out << "\nConfig:\n";
        for (const ImageDiff::ConfigField &f : d.config)
            out << "  " << f.field << ": " << valueText(f.a) << " -> " << valueText(f.b) << "  ("
                << diffClassKey(f.kind) << ")\n";
    }
    if (!d.files.isEmpty()) {
        out << "\nFiles:\n";
        for (const ImageDiff::File &f : d.files) {
            const QString path = escapedName(f.path);
            if (f.change == Change::Added)
                out << "  A " << path << "  " << fileLine(f, false) << '\n';
            else if (f.change == Change::Removed)
                out << "  D " << path << "  " << fileLine(f, true) << '\n';
            else
                out << "  M " << path << "  [" << diffCauseNames(f.causes).join(u',') << "] " << fileLine(f, true)
                    << " -> " << fileLine(f, false) << '\n';
        }
    }
    out << "\nWhy the digests differ:\n";
    for (int c = 0; c < kDiffClassCount; ++c) {
        const ImageDiff::Tally &t = d.why.at(c);
        const DiffClass k = DiffClass(c);
        const char *unit = k == DiffClass::Order || k == DiffClass::Compression ? "layer(s)"
            : k == DiffClass::Metadata                                          ? "field(s)"
            : k == DiffClass::Content                                           ? "file(s) or field(s)"
                                                                                : "file(s)";
        out << "  " << diffClassKey(k).leftJustified(12) << ' ' << t.count << ' ' << unit;
        if (t.bytes > 0)
            out << ", " << t.bytes << " bytes";
        out << '\n';
    }
    out << '\n' << d.summary() << '\n';
}

} // namespace

int diff(const QStringList &args, QTextStream &out, QTextStream &err)
{
    bool json = false;
    QStringList paths;
    QList<int> images;
    QStringList platforms;
    RegistryOptions registry;
    for (int i = 0; i < args.size(); ++i) {
        const QString &x = args.at(i);
        if (x == u"--json") {
            json = true;
        } else if (x == u"--insecure") {
            registry.insecure = true;
        } else if (x == u"--image") {
            bool ok = false;
            const int n = i + 1 < args.size() ? args.at(++i).toInt(&ok) : -1;
            if (!ok || n < 0)
                return usage(err, QStringLiteral("diff: --image needs a number from 0"));
            images << n;
        } else if (x == u"--platform") {
            if (i + 1 >= args.size())
                return usage(err, QStringLiteral("diff: --platform needs OS/ARCH[/VARIANT]"));
            platforms << args.at(++i);
        } else if (x.startsWith(u"--")) {
            return usage(err, QStringLiteral("diff: unknown option %1").arg(x));
        } else {
            paths << x;
        }
    }
    if (paths.isEmpty() || paths.size() > 2 || images.size() > 2 || platforms.size() > 2
        || (!images.isEmpty() && !platforms.isEmpty()))
        return usage(err,
            QStringLiteral("diff: [--json] A B [--image N [--image M] | --platform P [--platform Q]], or "
                           "PATH --image N --image M"));
    if (paths.size() == 1 && images.size() < 2 && platforms.size() < 2)
        return usage(err, QStringLiteral("diff: one PATH compares two of its images: --image N --image M"));
    // One selector applies to both sides; two are A's then B's.
    Chosen a, b;
    const auto open = [&](const QString &path, Chosen *c, int which) {
        // Compressed as a whole, its layers are indexed in the pass that opens it.
        StreamedLayers streamed;
        c->archive = openImageArchive(path, {}, registry, streamed.tap());
        c->opened = streamed.indexed();
        if (!c->archive.ok()) {
            err << "lamina: no image could be read from " << path << '\n';
            for (const QString &e : c->archive.errors)
                err << "  " << e << '\n';
            return false;
        }
        if (!platforms.isEmpty()) {
            QString why;
            c->image = findImageForPlatform(c->archive, platforms.at(std::min(which, int(platforms.size()) - 1)), &why);
            if (c->image < 0) {
                err << "lamina: " << path << ": " << why << '\n';
                return false;
            }
        } else if (!images.isEmpty()) {
            c->image = images.at(std::min(which, int(images.size()) - 1));
        }
        if (c->image >= c->archive.images.size()) {
            err << "lamina: " << path << " has " << c->archive.images.size() << " image(s); --image counts from 0\n";
            return false;
        }
        return true;
    };
    if (!open(paths.at(0), &a, 0))
        return 2;
    if (paths.size() == 2) {
        if (!open(paths.at(1), &b, 1))
            return 2;
    } else {
        b.archive = a.archive;
        b.opened = a.opened;
        if (!platforms.isEmpty()) {
            QString why;
            b.image = findImageForPlatform(b.archive, platforms.at(1), &why);
            if (b.image < 0) {
                err << "lamina: " << paths.at(0) << ": " << why << '\n';
                return 2;
            }
        } else {
            b.image = images.at(1);
            if (b.image >= b.archive.images.size()) {
                err << "lamina: " << paths.at(0) << " has " << b.archive.images.size()
                    << " image(s); --image counts from 0\n";
                return 2;
            }
        }
    }
    // Layers the config gives no diff ID are hashed, so that they can be matched.
    const auto index = [&](Chosen *c, const DiffSide *other) {
        c->layers = indexLayersForDiff(c->archive, c->image, {}, other, c->opened);
        for (const QString &e : c->layers.errors)
            err << "lamina: " << c->archive.path << ": " << e << '\n';
    };
    index(&a, nullptr);
    // The layers B shares with A (by diff ID) are not read again.
    const DiffSide sideA { &a.archive, a.image, a.layers.layers };
    index(&b, &sideA);
    const ImageDiff d = diffImages({ &a.archive, a.image, a.layers.layers }, { &b.archive, b.image, b.layers.layers });
    for (const QString &e : d.errors)
        err << "lamina: " << e << '\n';
    if (json) {
        QJsonObject o = imageDiffJson(d);
        const auto side = [](const Chosen &c) {
            const Image &img = c.archive.images.at(c.image);
            return QJsonObject { { QStringLiteral("path"), c.archive.path }, { QStringLiteral("image"), c.image },
                { QStringLiteral("id"), img.configDigest },
                { QStringLiteral("tags"), QJsonArray::fromStringList(img.tags) } };
        };
        o.insert(QStringLiteral("a"), side(a));
        o.insert(QStringLiteral("b"), side(b));
        out << QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented));
    } else {
        printText(d, a, b, out);
    }
    // As diff(1): 0 the same, 1 different, 2 trouble (a part that could not be compared).
    if (!a.layers.errors.isEmpty() || !b.layers.errors.isEmpty() || !d.errors.isEmpty())
        return 2;
    return d.identical() ? 0 : 1;
}

} // namespace lamina::cli
