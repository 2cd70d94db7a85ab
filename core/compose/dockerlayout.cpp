// SPDX-License-Identifier: MIT
// The docker archive an export writes: manifest.json and a legacy chain that agree.
#include "compose/dockerlayout.h"

#include "util/sha256.h"
#include "write/backgroundhasher.h"
#include "write/outputwriter.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>

namespace lamina {

QStringList legacyLayerIds(const QStringList &diffIds, const Digest &imageId)
{
    QStringList ids;
    QString chain;
    for (int i = 0; i < diffIds.size(); ++i) {
        chain = chain.isEmpty() ? diffIds.at(i) : Sha256::of((chain + u' ' + diffIds.at(i)).toUtf8());
        const QString parent = ids.isEmpty() ? QString() : ids.constLast();
        const QString top = i == diffIds.size() - 1 ? imageId.toString() : QString();
        ids << Sha256::of(QStringLiteral("lamina-v1\n%1\n%2\n%3\n").arg(chain, parent, top).toUtf8()).mid(7);
    }
    return ids;
}

namespace {

QJsonObject legacyJson(const DockerLayoutInput &in, const QStringList &ids, int i)
{
    const QJsonObject &config = in.config.config;
    QJsonObject json { { QStringLiteral("id"), ids.at(i) },
        { QStringLiteral("created"), in.created }, // the composition's time, as the config says
        { QStringLiteral("os"), config.value(QStringLiteral("os")) } };
    if (i > 0)
        json.insert(QStringLiteral("parent"), ids.at(i - 1));
    if (i == ids.size() - 1) {
        // The top layer carries the image's own settings, which legacy loaders make the config.
        json.insert(QStringLiteral("config"), in.config.settings);
        json.insert(QStringLiteral("architecture"), config.value(QStringLiteral("architecture")));
        if (config.contains(QStringLiteral("variant")))
            json.insert(QStringLiteral("variant"), config.value(QStringLiteral("variant")));
    }
    return json;
}

QJsonObject repositoriesFor(const QStringList &tags, const QString &topId)
{
    QJsonObject repositories;
    for (const QString &tag : tags) {
        const qsizetype colon = tag.lastIndexOf(u':');
        const QString repo = colon > tag.lastIndexOf(u'/') ? tag.left(colon) : tag;
        const QString name = colon > tag.lastIndexOf(u'/') ? tag.mid(colon + 1) : QStringLiteral("latest");
        QJsonObject names = repositories.value(repo).toObject();
        names.insert(name, topId);
        repositories.insert(repo, names);
    }
    return repositories;
}

} // namespace

bool writeDockerLayout(OutputWriter &w, const DockerLayoutInput &in, BackgroundHasher *hasher, const Progress &progress)
{
    QStringList diffIds;
    for (const LayerSource &s : in.layers)
        diffIds << s.diffId;
    const QStringList ids = legacyLayerIds(diffIds, in.config.imageId);
    QHash<QString, QString> storedAt; // diff ID → the layer.tar that holds it
    QStringList layerPaths;
    for (int i = 0; i < in.layers.size(); ++i) {
        const LayerSource &s = in.layers.at(i);
        const QString id = ids.at(i);
        const QString layerPath = id + QStringLiteral("/layer.tar");
        layerPaths << layerPath;
        if (!w.header(id + u'/', OutputWriter::Kind::Folder) || !w.bytes(id + QStringLiteral("/VERSION"), "1.0")
            || !w.bytes(
                id + QStringLiteral("/json"), QJsonDocument(legacyJson(in, ids, i)).toJson(QJsonDocument::Compact)))
            return false;
        if (storedAt.contains(s.diffId)) {
            // Stored once: the second copy is a relative link, as Docker ≤ 24 writes (docs/formats.md §1.2).
            if (!w.header(layerPath, OutputWriter::Kind::Symlink, 0, QStringLiteral("../") + storedAt.value(s.diffId)))
                return false;
            continue;
        }
        storedAt.insert(s.diffId, layerPath);
        if (!w.header(layerPath, OutputWriter::Kind::File, s.size) || !copyLayer(w, s, in.base, progress))
            return false;
        if (hasher)
            hasher->addWritten(w, s.size, Compression::None);
    }
    const QString configName = in.config.imageId.encoded() + QStringLiteral(".json");
    const QJsonObject entry { { QStringLiteral("Config"), configName },
        { QStringLiteral("RepoTags"),
            in.tags.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(QJsonArray::fromStringList(in.tags)) },
        { QStringLiteral("Layers"), QJsonArray::fromStringList(layerPaths) } };
    const QJsonObject repositories = repositoriesFor(in.tags, ids.isEmpty() ? QString() : ids.constLast());
    return w.bytes(configName, in.config.bytes)
        && w.bytes(QStringLiteral("manifest.json"), QJsonDocument(QJsonArray { entry }).toJson(QJsonDocument::Compact))
        // Written untagged too, as {}: Docker's legacy loader (moby image/tarexport/load.go,
        // legacyLoad) loads the layer folders, then fails when there is no repositories file,
        // so without it the legacy chain alone would not load (tst_loaders judges it).
        && w.bytes(QStringLiteral("repositories"), QJsonDocument(repositories).toJson(QJsonDocument::Compact));
}

} // namespace lamina
