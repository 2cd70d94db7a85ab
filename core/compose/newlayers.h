// SPDX-License-Identifier: MIT
#pragma once

#include "compose/composition.h"
#include "compose/layersource.h"
#include "layers/mergedtree.h"

#include <QList>
#include <QStringList>

namespace lamina {

/// The new layers as they are written: the composition's, with WorkingDir's folder (0755) added
/// to the last one (or to a new one) when `createWorkdir` is set and neither the merged base
/// (`baseLayers`, its indexed layers) nor a new layer's mkdir has it. Shared by the export and
/// the composer's preview so that both see the same layers.
QList<LayerSpec> layersToWrite(
    const Composition &composition, const MergedTree::Layers &baseLayers, bool *workdirAdded);

/// The folders of the tree `layers` make (every one applied, nulls counting as empty), for
/// writeLayer: a new layer writes the folders it goes through with their attributes there.
FolderBelow foldersBelow(const MergedTree::Layers &layers);

/// The new layers of an export, written.
struct NewLayers
{
    QList<LayerSpec> specs; ///< layersToWrite()
    bool workdirAdded = false;
    QList<LayerSource> sources; ///< each a tar file in the working folder
    MergedTree::Layers indexes;
    QStringList diffIds;
};

/// Writes the new layers into `workDir`, each on the folders of those below it (the base's
/// `baseIndexes` and the new ones before it), every member at `mtime`. False with `error`.
bool writeNewLayers(const Composition &composition, const MergedTree::Layers &baseIndexes, qint64 mtime,
    const QString &workDir, const Progress &progress, NewLayers *layers, QString *error);

} // namespace lamina
