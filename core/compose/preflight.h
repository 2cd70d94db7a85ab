// SPDX-License-Identifier: MIT
#pragma once

#include "check/finding.h"
#include "compose/layerwriter.h"
#include "layers/mergedtree.h"

#include <QJsonObject>

namespace lamina {

/// The checks of a composed image as a container would see it (docs/compose.md, "Checks of the
/// composed image"): the command (first word of Entrypoint, else Cmd) found along the image's PATH
/// and executable, WorkingDir a folder, new entries replacing another kind, set-id bits in new
/// layers. One implementation for the export (run on the re-opened output) and the composer's
/// preview (run on layers written to temporary files).
///
/// `layers`: every layer bottom to top, the base's `baseLayers` first; a null layer counts as
/// empty. `settings`: the resulting config's "config" object. `workdirAdded`: WorkingDir was put
/// into the last new layer because the image lacked it (reported as information). Findings carry
/// the layer and the image path they concern. Pure: callable from any thread.
///
/// `newLayers`: the specs the new layers were written from (the layers above `baseLayers`, in
/// order), to tell a folder mode or owner the user asked for (a `Mkdir` or `AddHost` with a mode)
/// from one a layer changes by the way (`folder-changed`).
QList<Finding> preflightChecks(const MergedTree::Layers &layers, int baseLayers, const QJsonObject &settings,
    bool workdirAdded, const QList<LayerSpec> &newLayers = {});

/// Checks of the names the output gives the image: `untagged` when it has none.
QList<Finding> tagChecks(const QStringList &tags);

} // namespace lamina
