// SPDX-License-Identifier: MIT
#pragma once

#include "compose/composition.h"

#include <QJsonObject>

namespace lamina {

/// A composition as JSON (schema in docs/compose.md), shared by the window and `lamina compose
/// --spec`. Host paths and the base path that are relative are taken from `baseDir`.
QJsonObject compositionToJson(const Composition &c);
Composition compositionFromJson(const QJsonObject &o, const QString &baseDir, QString *error);

} // namespace lamina
