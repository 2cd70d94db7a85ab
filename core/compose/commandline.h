// SPDX-License-Identifier: MIT
#pragma once

#include "compose/composition.h"
#include "engine/enginesource.h"

#include <optional>

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

/// The words of the option values: "none", "gzip", "zstd"; "docker", "docker-oci", "oci", "oci-dir".
QString compressionWord(Compression compression);
std::optional<Compression> parseCompressionWord(const QString &word);
QString formatWord(ExportFormat format);
std::optional<ExportFormat> parseFormatWord(const QString &word);

/// `lamina compose` arguments, parsed.
struct ComposeArguments
{
    Composition composition;
    ExportOptions options;
    QString saveSpec; ///< --save-spec FILE
    std::optional<EngineReference::Engine> load; ///< --load docker|podman: the written archive goes there too
    bool layerCompressionGiven = false;
    QString error; ///< what is wrong, when something is
    bool usageError = false; ///< the error is a mistake in the command line, not in a file it names
    bool ok() const { return error.isEmpty(); }
};

/// Parses the arguments after "compose": the inverse of composeCommandLine(). `created` is the
/// time when no --created is given (the caller reads SOURCE_DATE_EPOCH). Host paths are made
/// absolute; a --spec file is read where it stands, with the limits of readCompositionFile().
ComposeArguments parseComposeArguments(const QStringList &args, const QString &created = {});

} // namespace lamina
