// SPDX-License-Identifier: MIT
// The image and layer options of ls, cat and extract, and the tree and file they choose.
#include "command.h"

#include "layers/extract.h"
#include "layers/streamedlayers.h"

namespace lamina::cli {

LayerArgs parseLayerArgs(const QStringList &args)
{
    LayerArgs a;
    for (int i = 0; i < args.size(); ++i) {
        const QString &x = args.at(i);
        auto number = [&](int *out) {
            bool ok = false;
            if (i + 1 < args.size())
                *out = args.at(++i).toInt(&ok);
            if (!ok || *out < 0)
                a.problem = QStringLiteral("%1 needs a number from 0").arg(x);
        };
        if (x == u"--json")
            a.json = true;
        else if (x == u"--merged")
            a.merged = true;
        else if (x == u"--changes")
            a.changes = true;
        else if (x == u"--force")
            a.force = true;
        else if (x == u"--insecure")
            a.registry.insecure = true;
        else if (x == u"--image")
            number(&a.image);
        else if (x == u"--layer")
            number(&a.layer);
        else if (x == u"--upto")
            number(&a.upto);
        else if (x == u"--from")
            number(&a.from);
        else if (x.startsWith(u"--"))
            a.problem = QStringLiteral("unknown option %1").arg(x);
        else
            a.positional << x;
    }
    if (a.layer >= 0 && (a.merged || a.upto >= 0))
        a.problem = QStringLiteral("--layer and --merged/--upto exclude each other");
    if (a.from >= 0 && a.layer >= 0)
        a.problem = QStringLiteral(
            "--from and --layer exclude each other (--from I --upto J: the net change of layers I..J)");
    if (a.from >= 0 && a.upto >= 0 && a.from > a.upto)
        a.problem = QStringLiteral("--from %1 comes after --upto %2").arg(a.from).arg(a.upto);
    return a;
}

bool openLayers(
    const LayerArgs &a, QTextStream &err, ImageArchive *ia, ImageLayers *layers, QStringList *why, StagedFiles *staged)
{
    QStringList ignored;
    QStringList &reasons = why ? *why : ignored;
    // Compressed as a whole, the archive's layers are indexed in the pass that opens it.
    StreamedLayers streamed;
    streamed.stage(staged);
    *ia = openImageArchive(a.positional.at(0), {}, a.registry, streamed.tap());
    if (!ia->ok()) {
        err << "lamina: no image could be read from " << a.positional.at(0) << '\n';
        for (const QString &e : ia->errors)
            err << "  " << e << '\n';
        reasons = ia->errors.isEmpty() ? QStringList { QStringLiteral("no image could be read") } : ia->errors;
        return false;
    }
    if (a.image >= ia->images.size()) {
        reasons << QStringLiteral("the archive has %1 image(s); --image counts from 0").arg(ia->images.size());
        err << "lamina: " << reasons.constLast() << '\n';
        return false;
    }
    const int count = int(ia->images.at(a.image).layers.size());
    if (a.layer >= count || a.upto >= count) {
        reasons << QStringLiteral("image %1 has %2 layer(s), numbered from 0").arg(a.image).arg(count);
        err << "lamina: " << reasons.constLast() << '\n';
        return false;
    }
    LayerIndexOptions options;
    options.knownByMember = streamed.indexed();
    *layers = indexImageLayers(*ia, a.image, options);
    for (const QString &e : layers->errors)
        err << "lamina: " << e << '\n';
    return true;
}

MergedTree chosenTree(const LayerArgs &a, const ImageLayers &layers)
{
    if (a.layer >= 0) {
        MergedTree::Layers only(layers.layers.size());
        only[a.layer] = layers.layers.at(a.layer);
        return MergedTree::build(only, a.layer);
    }
    return MergedTree::build(layers.layers, a.upto >= 0 ? a.upto : int(layers.layers.size()) - 1);
}

int findNamedFile(
    const LayerArgs &a, const ImageLayers &layers, const MergedTree &tree, bool followLast, QString *error)
{
    // The name as given, or else in the escaped form ls prints (for names that are not UTF-8).
    const QByteArray file = a.positional.at(1).toUtf8();
    int node = resolveInTree(tree, file, followLast, error);
    if (node < 0 && file.contains('\\')) {
        QString ignored;
        if (const std::optional<QByteArray> bytes = unescapedName(a.positional.at(1)))
            if (const int found = resolveInTree(tree, *bytes, followLast, &ignored); found >= 0)
                node = found;
    }
    if (node < 0 && (a.layer >= 0 || a.upto >= 0)) {
        // Not in the part asked for: say which layers hold it, rather than "not in the image".
        QStringList holders;
        for (int k = 0; k < layers.layers.size(); ++k) {
            MergedTree::Layers only(layers.layers.size());
            only[k] = layers.layers.at(k);
            QString ignored;
            if (layers.layers.at(k) && resolveInTree(MergedTree::build(only, k), file, false, &ignored) >= 0)
                holders << QString::number(k);
        }
        const QString asked
            = a.layer >= 0 ? QStringLiteral("layer %1").arg(a.layer) : QStringLiteral("layers 0 to %1").arg(a.upto);
        if (!holders.isEmpty())
            *error = QStringLiteral(
                "%1: not in %2 of image %3; it is in layer(s) %4 (--layer N, or no --layer for the whole image)")
                         .arg(a.positional.at(1), asked)
                         .arg(a.image)
                         .arg(holders.join(QStringLiteral(", ")));
    }
    return node;
}

int openNamedFile(
    const LayerArgs &a, bool followLast, QTextStream &err, NamedFile *found, const QString &stageIn, bool keepBelow)
{
    // The name as given and in the escaped form ls prints, as findNamedFile takes them.
    QList<QByteArray> names { a.positional.at(1).toUtf8() };
    if (const std::optional<QByteArray> bytes = unescapedName(a.positional.at(1)); bytes && *bytes != names.first())
        names.append(*bytes);
    found->staged = std::make_unique<StagedFiles>(names, stageIn, keepBelow);
    if (!openLayers(a, err, &found->archive, &found->layers, nullptr, found->staged.get()))
        return 2;
    found->tree = chosenTree(a, found->layers);
    QString error;
    found->node = findNamedFile(a, found->layers, found->tree, followLast, &error);
    if (found->node < 0) {
        err << "lamina: " << error << '\n';
        return 1;
    }
    return 0;
}

} // namespace lamina::cli
