// SPDX-License-Identifier: MIT
#pragma once

#include "compose/composition.h"

#include <optional>

class QWidget;

namespace lamina {

/// Writes the composition as `lamina compose --spec` reads it (host paths relative to the file's
/// folder); false, with `error` naming the file, when it cannot.
bool saveCompositionFile(const Composition &composition, const QString &file, QString *error);

/// Reads a composition file as `lamina compose --spec` does, with its limits (a FIFO or device is
/// refused, not waited on); host paths outside the file's folder only with `allowHostPaths`.
/// `error` names the file.
std::optional<Composition> loadCompositionFile(const QString &file, bool allowHostPaths, QString *error);

/// A composition file may come from someone else and its "add" operations copy host files into
/// the image: asks whether to go on, listing every path it reads (those outside its folder
/// marked). True when there are none or the user agrees.
bool confirmHostPaths(QWidget *parent, const QString &file, const Composition &composition);

/// The `lamina compose …` line in a dialog with Copy, or why there is none and the --spec form.
void showCommandLineDialog(QWidget *parent, const QString &line, const QString &why, const QString &output);

} // namespace lamina
