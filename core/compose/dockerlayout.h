// SPDX-License-Identifier: MIT
#pragma once

#include "compose/config.h"
#include "compose/layersource.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QStringList>

namespace lamina {

class BackgroundHasher;
class OutputWriter;

/// The v1 IDs of a written chain (docs/compose.md): sha256 over the layer's chain ID, its parent's
/// v1 ID and, for the top layer, the image ID, so that the chain is consistent and changes with
/// the image. One per diff ID, bottom first, as 64 hex digits.
QStringList legacyLayerIds(const QStringList &diffIds, const Digest &imageId);

/// What a docker archive is written from.
struct DockerLayoutInput
{
    QList<LayerSource> layers; ///< every layer, base first
    const Archive *base = nullptr; ///< where base layers are read
    ComposedConfig config;
    QStringList tags; ///< normalised
    QString created; ///< the composition's time, for the legacy json files
};

/// Writes a docker archive into `w` (docs/formats.md §1.2): a legacy folder per layer (VERSION,
/// json, layer.tar; a layer used twice stored once and linked), the config, manifest.json and
/// repositories, the legacy chain and the manifest naming the same layers in the same order.
/// Every layer.tar is queued on `hasher` when there is one. False with `w.error()`.
///
/// The layers below the top may be written first, before the layers above them and the config
/// are known (writeLower): the legacy ID and json of a layer below the top depend only on the
/// layers up to it, the config's `os` and the composition's time. An export copies the base's
/// layers so while the base is still being indexed for the new layers (docs/compose.md).
class DockerLayoutWriter
{
public:
    DockerLayoutWriter(OutputWriter &w, const Archive *base, BackgroundHasher *hasher, const Progress &progress);

    /// The bottom layers, none of them the top: their folders, json and layer.tar.
    bool writeLower(const QList<LayerSource> &layers, const QString &os, const QString &created);
    /// The rest: the layers not written yet, the config, manifest.json and repositories. The
    /// layers written by writeLower must be the first of `input.layers`, with its `os` and time.
    bool finish(const DockerLayoutInput &input);

private:
    bool writeLayer(const QList<LayerSource> &layers, int i, const QStringList &ids, const QJsonObject &json);

    OutputWriter &m_w;
    const Archive *m_base;
    BackgroundHasher *m_hasher;
    const Progress &m_progress;
    QStringList m_ids; ///< of the layers written
    QString m_os, m_created; ///< what their json says
    QHash<QString, QString> m_storedAt; ///< diff ID → the layer.tar that holds it
};

/// The whole layout at once (DockerLayoutWriter::finish).
bool writeDockerLayout(
    OutputWriter &w, const DockerLayoutInput &input, BackgroundHasher *hasher, const Progress &progress);

} // namespace lamina
