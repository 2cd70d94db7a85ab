// SPDX-License-Identifier: MIT
#pragma once

#include "check/finding.h"
#include "format/imagearchive.h"

#include <QJsonArray>
#include <QJsonObject>

namespace lamina {

QJsonObject findingJson(const Finding &f);
QJsonArray findingsJson(const QList<Finding> &findings);
/// The human `lamina check` text: one block per finding, errors first; with `explain`, the
/// explanation and what each loader does.
QString checkText(const ImageArchive &ia, const QList<Finding> &findings, bool explain);
/// The exit status of `lamina check`: 0 no error finding, 1 at least one, 2 nothing readable.
int checkExitCode(const ImageArchive &ia, const QList<Finding> &findings);

} // namespace lamina
