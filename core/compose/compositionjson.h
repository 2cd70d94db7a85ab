// SPDX-License-Identifier: MIT
#pragma once

#include "compose/composition.h"

#include <QJsonObject>

#include <optional>

namespace lamina {

/// A composition as JSON (schema in docs/compose.md), shared by the window and `lamina compose
/// --spec`. Host paths and the base path that are relative are taken from `baseDir`. With
/// `specDir` (the folder the file is saved in), host paths inside it are written relative to it,
/// so that the file reads them again wherever the folder goes.
QJsonObject compositionToJson(const Composition &c, const QString &specDir = {});

/// A composition file may come from someone else, and its `add` operations copy host files into
/// the image: like `docker build`'s context, a host path must stay inside `baseDir` (relative,
/// no `..` or symbolic link leading out of it) unless `allowHostPaths`. Each one that does not is
/// named in `error`. The base image path is not confined.
Composition compositionFromJson(
    const QJsonObject &o, const QString &baseDir, QString *error, bool allowHostPaths = false);

/// Reads a composition file as `lamina compose --spec` and the window's Open composition do: opened
/// without blocking and refused unless a regular file (a FIFO would block open() forever), at most
/// limits::kMaxMetadataMemberSize bytes, JSON object, then compositionFromJson. On failure returns
/// nothing and `error` says why, without the file name (the caller adds it).
std::optional<Composition> readCompositionFile(const QString &file, QString *error, bool allowHostPaths = false);

/// Every host path the composition reads: the base, then the `add` operations' host paths, in
/// order, each once.
QStringList compositionHostPaths(const Composition &c);

} // namespace lamina
