// SPDX-License-Identifier: MIT
#pragma once

#include "check/finding.h"
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
QList<Finding> preflightChecks(const MergedTree::Layers &layers, int baseLayers, const QJsonObject &settings, bool workdirAdded);

} // namespace lamina
