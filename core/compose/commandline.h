// SPDX-License-Identifier: MIT
#pragma once

#include "compose/composition.h"

namespace lamina {

/// A word for a POSIX shell: as it is when it holds only safe characters, else in single quotes
/// (a quote inside written as '\'').
QString shellQuote(const QString &word);

/// The `lamina compose …` invocation (shell-quoted, `program` as its first word) that writes the
/// same image as exportComposition(composition, options). Layers without operations are left
/// out, as the command line does. Empty, with `why` set, when something has no command-line form
/// (a ':' in a path, a text file with its own mode, a label name with '='); the composition's JSON
/// file (`--spec`) holds everything.
QString composeCommandLine(
    const Composition &composition, const ExportOptions &options, const QString &program, QString *why);

} // namespace lamina
