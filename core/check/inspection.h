// SPDX-License-Identifier: MIT
#pragma once

#include "check/finding.h"
#include "check/verify.h"
#include "format/imagearchive.h"
#include "layers/imagelayers.h"

#include <QJsonObject>
#include <QList>
#include <QString>

namespace lamina {

/// What `lamina inspect` adds to the views: each layer's sizes (from its headers, seeking past
/// file data where possible) and, when asked, its digests checked, every byte read once for the
/// entries and both digests. A layer file shared by several images is read once.
struct Inspection
{
    QList<ImageSizes> sizes; ///< one per image
    bool verified = false; ///< verification was asked for
    VerifyReport report;
    QList<Finding> verification; ///< the hashing findings, sorted
    double seconds = 0; ///< indexing and hashing took
};
/// `known`: layers indexed already, with inspectionOptions() (layers/streamedlayers.h).
Inspection inspectLayers(const ImageArchive &ia, bool verify, const Progress &progress = {},
    const QHash<int, std::shared_ptr<const LayerIndex>> &known = {});
/// How inspectLayers() indexes the layers.
LayerIndexOptions inspectionOptions(bool verify);

/// The `lamina inspect --json` object with the layers' sizes, the wasted space and, when verified,
/// each layer's "verified" and the "verification" findings. Figures a broken tree cannot give are
/// null, never a zero that looks measured.
QJsonObject inspectionJson(const ImageArchive &ia, const Inspection &inspection);
/// The human-readable `lamina inspect` text with the same figures.
QString inspectionText(const ImageArchive &ia, const Inspection &inspection);

} // namespace lamina
