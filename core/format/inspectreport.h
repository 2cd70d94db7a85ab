// SPDX-License-Identifier: MIT
#pragma once

#include "format/imagearchive.h"

#include <QJsonObject>
#include <QString>

#include <functional>

namespace lamina {

/// Adds keys to the object of one image (`layer` -1) or of one of its layers.
using InspectExtras = std::function<void(int image, int layer, QJsonObject &object)>;

/// The `lamina inspect --json` object (keys documented in README.md; existing keys stay stable).
/// `extras` adds what is known beyond the views (layer sizes, verification) where it belongs.
QJsonObject inspectJson(const ImageArchive &ia, const InspectExtras &extras = {});
/// The human-readable `lamina inspect` text.
QString inspectText(const ImageArchive &ia);

/// How findings name an image: its first tag, or "image N" numbered from 0 as `--image` takes it.
QString imageName(const Image &img, int index);

/// "sha256:0123456789ab" — the first 12 hex digits, as Docker shows IDs.
QString shortDigest(const QString &digest);

} // namespace lamina
