// SPDX-License-Identifier: MIT
// Private to core/engine: what a pull and a push both read of manifests: media types, bounds, and
// blob descriptors checked before any file is named by them (a registry's JSON is data from the
// network; docs/engines.md, "Registries").
#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

#include <optional>

namespace lamina::registry {

/// Manifests and lists are small; containers/image refuses those over 4 MiB too.
constexpr qint64 kMaxManifestBytes = 4 << 20;
constexpr qint64 kMaxConfigBytes = 64 << 20;

inline const QString kOciIndex = QStringLiteral("application/vnd.oci.image.index.v1+json");
inline const QString kOciManifest = QStringLiteral("application/vnd.oci.image.manifest.v1+json");
inline const QString kDockerList = QStringLiteral("application/vnd.docker.distribution.manifest.list.v2+json");
inline const QString kDockerManifest = QStringLiteral("application/vnd.docker.distribution.manifest.v2+json");

/// "sha256:" and 64 lower-case hex digits, nothing after.
bool validDigest(const QString &digest);

/// A descriptor of a manifest, checked: a registry's JSON names the files Lamina writes.
struct Blob
{
    QString mediaType;
    QString digest;
    qint64 size = -1;
};

/// The descriptor `value`, or nothing with `error` saying what is wrong with it.
std::optional<Blob> blobOf(const QJsonValue &value, QString *error);

/// The JSON object in the file `path` (at most kMaxManifestBytes); empty when there is none.
QJsonObject readJson(const QString &path);

} // namespace lamina::registry
