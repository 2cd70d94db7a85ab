// SPDX-License-Identifier: MIT
#pragma once

#include "compose/config.h"
#include "compose/layersource.h"

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
bool writeDockerLayout(
    OutputWriter &w, const DockerLayoutInput &input, BackgroundHasher *hasher, const Progress &progress);

} // namespace lamina
