// SPDX-License-Identifier: MIT
#pragma once

#include "compose/composition.h"
#include "util/digest.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace lamina {

/// A config's "config" object (Env, Cmd, …) with the edits applied; every other field kept.
QJsonObject editedSettings(QJsonObject settings, const ConfigEdits &edits);

/// The history line of a new layer: "lamina compose: ADD …; MKDIR …", with the config edits on
/// the `last` one.
QString describeLayer(const LayerSpec &spec, const ConfigEdits &edits, bool last);

/// The composed image's config: the base's (`base`, every field kept) with the new layers' diff
/// IDs and history appended, the edits applied, the composition's time, and the base's build
/// container dropped. With the compact bytes that are written and their digest, the image ID.
struct ComposedConfig
{
    QJsonObject config;
    QJsonObject settings; ///< its "config" object
    QByteArray bytes;
    Digest imageId;
};
ComposedConfig composeConfig(
    QJsonObject base, const Composition &composition, const QList<LayerSpec> &layers, const QStringList &newDiffIds);

/// The config of an image from scratch: linux/amd64, no layers.
QJsonObject scratchConfig();

/// A tag as Docker's reference grammar (distribution/reference, reference.go) allows it, in the
/// form loaders list: "name:tag", ":latest" added when there is no tag ("d" → "d:latest"). The name
/// is an optional registry host[:port] and lowercase path components joined by '.', '_', '__' or
/// '-'s; the tag is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}; at most 255 characters before the tag.
/// Empty, with `error` saying why, for anything else (uppercase in the path, a digest, …).
QString normaliseTag(const QString &tag, QString *error);

/// Parses RFC 3339 ("2024-01-01T00:00:00Z") to seconds since the epoch; -1 when it is not one.
qint64 parseCreated(const QString &created);

} // namespace lamina
