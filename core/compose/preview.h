// SPDX-License-Identifier: MIT
#pragma once

#include "compose/composition.h"
#include "layers/mergedtree.h"

#include <QHash>
#include <QJsonObject>

#include <memory>

namespace lamina {

/// What the preview starts from: the base image already indexed (the window has done that).
struct PreviewBase
{
    MergedTree::Layers layers; ///< the base's layers bottom to top; empty for an image from scratch
    QJsonObject settings; ///< the base config's "config" object
};

/// A composition as it would come out, without writing an archive.
struct ComposePreview
{
    MergedTree::Layers layers; ///< the base's layers, then the new ones
    int baseLayers = 0;
    std::shared_ptr<const MergedTree> tree; ///< the resulting filesystem
    QHash<QByteArray, Change> changes; ///< net changes against the base, by path ("etc/x")
    QJsonObject settings; ///< the resulting config's "config" object
    bool workdirAdded = false;
    QList<Finding> findings; ///< preflightChecks() of the result
    QString error; ///< a layer that cannot be written (host file gone, path climbing out)
    bool cancelled = false;
    /// The new layers' indexes by a key of what went into them; hand back to the next preview so
    /// that only layers that changed are written again (typing a command writes nothing).
    QHash<QByteArray, std::shared_ptr<const LayerIndex>> indexed;
};

/// Builds the preview: the layers of layersToWrite() written with writeLayer() to temporary
/// files (deleted again) and indexed, a merged tree over the base and them, the edited config,
/// and the same checks as the export. A layer whose key is in `reuse` is not written again; the
/// key covers its operations, the composition's `created` and the size and time of each host
/// path added (not of the files inside an added folder). Runs on any thread; cancellable between
/// layers.
ComposePreview previewComposition(const Composition &composition, const PreviewBase &base,
    const QHash<QByteArray, std::shared_ptr<const LayerIndex>> &reuse = {}, const Progress &progress = {});

} // namespace lamina
