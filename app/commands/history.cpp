// SPDX-License-Identifier: MIT
// `lamina history`: every layer that added, changed or removed a path (or what is under it).
#include "command.h"

#include "archive/archive.h"
#include "compare/imagediff.h"
#include "layers/history.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace lamina::cli {

int history(const QStringList &args, QTextStream &out, QTextStream &err)
{
    const LayerArgs a = parseLayerArgs(args);
    if (!a.problem.isEmpty() || a.positional.size() != 2 || a.layer >= 0 || a.upto >= 0 || a.from >= 0)
        return usage(err,
            a.problem.isEmpty() ? QStringLiteral("history: [--json] [--image N] PATH FILE")
                                : QStringLiteral("history: ") + a.problem);
    ImageArchive ia;
    ImageLayers layers;
    QStringList why;
    if (!openLayers(a, err, &ia, &layers, &why))
        return 2;
    const QByteArray path = normaliseMemberPath(a.positional.at(1)).toUtf8();
    const QList<PathEvent> events = pathHistory(ia, a.image, layers.layers, path, true);
    // Non-empty history entries map in order onto the layers (docs/formats.md §2.3).
    QStringList createdBy;
    if (const Image &img = ia.images.at(a.image); img.config)
        for (const HistoryEntry &h : img.config->history)
            if (!h.emptyLayer)
                createdBy << h.createdBy;
    if (a.json) {
        QJsonArray arr;
        for (const PathEvent &e : events) {
            const bool removed = e.change == Change::Removed;
            arr.append(QJsonObject {
                { QStringLiteral("layer"), e.layer },
                { QStringLiteral("change"), changeWord(e.change) },
                { QStringLiteral("path"), QString::fromUtf8(e.path) },
                { QStringLiteral("type"), entryTypeName(e.type) },
                { QStringLiteral("size"), removed ? QJsonValue() : QJsonValue(double(e.size)) },
                { QStringLiteral("mode"),
                    removed ? QJsonValue() : QJsonValue(QString::number(e.mode, 8).rightJustified(4, u'0')) },
                { QStringLiteral("owner"),
                    removed ? QJsonValue() : QJsonValue(QStringLiteral("%1:%2").arg(e.uid).arg(e.gid)) },
                { QStringLiteral("uid"), removed ? QJsonValue() : QJsonValue(double(e.uid)) },
                { QStringLiteral("gid"), removed ? QJsonValue() : QJsonValue(double(e.gid)) },
                { QStringLiteral("linkTarget"),
                    e.linkTarget.isEmpty() ? QJsonValue() : QJsonValue(QString::fromUtf8(e.linkTarget)) },
                { QStringLiteral("digest"), e.digest.isEmpty() ? QJsonValue() : QJsonValue(e.digest) },
                { QStringLiteral("createdBy"),
                    e.layer < createdBy.size() ? QJsonValue(createdBy.at(e.layer)) : QJsonValue() },
            });
        }
        out << QString::fromUtf8(QJsonDocument(arr).toJson(QJsonDocument::Indented));
        return events.isEmpty() ? 1 : 0;
    }
    if (events.isEmpty()) {
        err << "lamina: no layer of image " << a.image << " stores or removes " << escapedName(path) << '\n';
        return 1;
    }
    int shownLayer = -1;
    for (const PathEvent &e : events) {
        if (e.layer != shownLayer) {
            shownLayer = e.layer;
            out << "layer " << e.layer;
            if (e.layer < createdBy.size() && !createdBy.at(e.layer).isEmpty())
                out << ": " << createdBy.at(e.layer).simplified();
            out << '\n';
        }
        out << "  " << changeLetter(e.change) << ' ';
        if (e.change == Change::Removed) {
            out << "removed " << escapedName(e.path) << '\n';
            continue;
        }
        out << entryTypeName(e.type) << ' ' << QString::number(e.mode, 8).rightJustified(4, u'0') << ' ' << e.uid << ':'
            << e.gid << ' ' << e.size << ' ' << escapedName(e.path);
        if (!e.linkTarget.isEmpty())
            out << " -> " << escapedName(e.linkTarget);
        if (!e.digest.isEmpty())
            out << ' ' << e.digest;
        else if (!e.error.isEmpty())
            out << " (not hashed: " << e.error << ')';
        out << '\n';
    }
    return 0;
}

} // namespace lamina::cli
