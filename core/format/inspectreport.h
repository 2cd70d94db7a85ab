// SPDX-License-Identifier: MIT
#pragma once

#include "format/imagearchive.h"

#include <QJsonObject>
#include <QString>

namespace lamina {

/// The `lamina inspect --json` object (keys documented in README.md; existing keys stay stable).
QJsonObject inspectJson(const ImageArchive &ia);
/// The human-readable `lamina inspect` text.
QString inspectText(const ImageArchive &ia);

/// "sha256:0123456789ab" — the first 12 hex digits, as Docker shows IDs.
QString shortDigest(const QString &digest);

} // namespace lamina
