// SPDX-License-Identifier: MIT
// What core/compare/imagediff.cpp and difffiles.cpp share; not for other callers.
#pragma once

#include "compare/imagediff.h"

#include <QHash>

namespace lamina::diffdetail {

/// A layer's diff ID: the config's, else the one computed when it was indexed ("" when neither).
QString diffIdOf(const DiffSide &s, int layer);

/// The sha256 of regular-file entries (layer, entry) of one side, each layer read once
/// (copyLayerFiles); what cannot be read is said in `errors`, naming `side` ("A" or "B").
QHash<std::pair<int, int>, QString> hashFiles(const DiffSide &s, const QString &side, QList<std::pair<int, int>> files,
    QStringList *errors, const Progress &progress);

/// Walks the two images' merged trees side by side and appends the paths that differ to
/// out->files, in path order (their `kind` is left for the caller to set).
void compareFiles(const DiffSide &a, const DiffSide &b, ImageDiff *out, const Progress &progress);

} // namespace lamina::diffdetail
