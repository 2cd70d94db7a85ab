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

/// The legacy json of layer `i`; the top layer's (with `config`) carries the image's settings.
QJsonObject legacyJson(
    const QStringList &ids, int i, const QString &created, const QJsonValue &os, const ComposedConfig *top = nullptr)
{
    QJsonObject json { { QStringLiteral("id"), ids.at(i) },
        { QStringLiteral("created"), created }, // the composition's time, as the config says
        { QStringLiteral("os"), os } };
    if (i > 0)
        json.insert(QStringLiteral("parent"), ids.at(i - 1));
    if (top) {
        // The top layer carries the image's own settings, which legacy loaders make the config.
        const QJsonObject &config = top->config;
        json.insert(QStringLiteral("config"), top->settings);
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

DockerLayoutWriter::DockerLayoutWriter(
    OutputWriter &w, const Archive *base, BackgroundHasher *hasher, const Progress &progress)
    : m_w(w)
    , m_base(base)
    , m_hasher(hasher)
    , m_progress(progress)
{
}

bool DockerLayoutWriter::writeLayer(
    const QList<LayerSource> &layers, int i, const QStringList &ids, const QJsonObject &json)
{
    const LayerSource &s = layers.at(i);
    const QString id = ids.at(i);
    const QString layerPath = id + QStringLiteral("/layer.tar");
    if (!m_w.header(id + u'/', OutputWriter::Kind::Folder) || !m_w.bytes(id + QStringLiteral("/VERSION"), "1.0")
        || !m_w.bytes(id + QStringLiteral("/json"), QJsonDocument(json).toJson(QJsonDocument::Compact)))
        return false;
    m_ids << id;
    if (m_storedAt.contains(s.diffId)) {
        // Stored once: the second copy is a relative link, as Docker ≤ 24 writes (docs/formats.md §1.2).
        return m_w.header(
            layerPath, OutputWriter::Kind::Symlink, 0, QStringLiteral("../") + m_storedAt.value(s.diffId));
    }
    m_storedAt.insert(s.diffId, layerPath);
    if (!m_w.header(layerPath, OutputWriter::Kind::File, s.size) || !copyLayer(m_w, s, m_base, m_progress))
        return false;
    if (m_hasher)
        m_hasher->addWritten(m_w, s.size, Compression::None);
    return true;
}

bool DockerLayoutWriter::writeLower(const QList<LayerSource> &layers, const QString &os, const QString &created)
{
    m_os = os;
    m_created = created;
    QStringList diffIds;
    for (const LayerSource &s : layers)
        diffIds << s.diffId;
    // One more, unknown, layer on top: the IDs below it do not depend on it.
    const QStringList ids = legacyLayerIds(diffIds + QStringList { QString() }, Digest());
    for (int i = m_ids.size(); i < layers.size(); ++i)
        if (!writeLayer(layers, i, ids, legacyJson(ids, i, created, os)))
            return false;
    return true;
}

bool DockerLayoutWriter::finish(const DockerLayoutInput &in)
{
    QStringList diffIds;
    for (const LayerSource &s : in.layers)
        diffIds << s.diffId;
    const QStringList ids = legacyLayerIds(diffIds, in.config.imageId);
    const QJsonValue os = in.config.config.value(QStringLiteral("os"));
    if (!m_ids.isEmpty()
        && (m_ids.size() >= ids.size() || ids.mid(0, m_ids.size()) != m_ids || os.toString() != m_os
            || in.created != m_created)) {
        m_w.setError(QStringLiteral("the layers written first are not those of the image (an internal error)"));
        return false;
    }
    for (int i = int(m_ids.size()); i < in.layers.size(); ++i) {
        const bool top = i == in.layers.size() - 1;
        if (!writeLayer(in.layers, i, ids, legacyJson(ids, i, in.created, os, top ? &in.config : nullptr)))
            return false;
    }
    QStringList layerPaths;
    for (const QString &id : std::as_const(ids))
        layerPaths << id + QStringLiteral("/layer.tar");
    const QString configName = in.config.imageId.encoded() + QStringLiteral(".json");
    const QJsonObject entry { { QStringLiteral("Config"), configName },
        { QStringLiteral("RepoTags"),
            in.tags.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(QJsonArray::fromStringList(in.tags)) },
        { QStringLiteral("Layers"), QJsonArray::fromStringList(layerPaths) } };
    const QJsonObject repositories = repositoriesFor(in.tags, ids.isEmpty() ? QString() : ids.constLast());
    return m_w.bytes(configName, in.config.bytes)
        && m_w.bytes(
            QStringLiteral("manifest.json"), QJsonDocument(QJsonArray { entry }).toJson(QJsonDocument::Compact))
        // Written untagged too, as {}: Docker's legacy loader (moby image/tarexport/load.go,
        // legacyLoad) loads the layer folders, then fails when there is no repositories file,
        // so without it the legacy chain alone would not load (tst_loaders judges it).
        && m_w.bytes(QStringLiteral("repositories"), QJsonDocument(repositories).toJson(QJsonDocument::Compact));
}

bool writeDockerLayout(OutputWriter &w, const DockerLayoutInput &in, BackgroundHasher *hasher, const Progress &progress)
{
    return DockerLayoutWriter(w, in.base, hasher, progress).finish(in);
}

} // namespace lamina
