// SPDX-License-Identifier: MIT
// The three descriptions an image archive can carry of its layers (docs/formats.md §1–§2):
// L, the legacy parent chain; M, manifest.json with its configs; O, the OCI layout.
#pragma once

#include "archive/archive.h"
#include "format/imageconfig.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <optional>

namespace lamina {

// ---- L: `repositories` + `<id>/json` linked by `parent` ----

struct LegacyLayer
{
    QString id; ///< the directory name (what Docker's legacy loader uses)
    QString jsonId; ///< the "id" field of its json
    QString parent; ///< the "parent" field, "" on a root
    QString created;
    Platform platform;
    bool hasConfig = false;
    int jsonMember = -1; ///< the json's member; its "config" is read again when asked (legacyConfigOf)
    bool hasVersion = false;
    QString version; ///< content of VERSION, trimmed
    QString layerPath; ///< "<id>/layer.tar" when that member exists, else ""
    int layerMember = -1; ///< the member layer.tar resolves to, -1 when missing or unresolvable
    QString layerResolvedPath;
    QString layerError;
};

struct RepositoryTag
{
    QString repository;
    QString tag;
    QString id; ///< the v1 id the tag points to (should be a top layer directory)
    QString reference() const { return repository + u':' + tag; }
};

/// A walk down `parent` from one top id.
struct LegacyChain
{
    QString top;
    QStringList tags; ///< repositories tags naming this top
    QStringList ids; ///< existing directories, top to bottom
    QString missingParent; ///< the first `parent` (or the top itself) that names no directory
    QString cycleAt; ///< the id met twice, when the walk closed a loop
    bool tooLong = false; ///< the walk stopped at limits::kMaxLegacyChainLength links
};

struct LegacyView
{
    bool present = false; ///< any `<id>/json` or `repositories`
    QList<LegacyLayer> layers; ///< sorted by id
    QHash<QString, int> byId;
    bool hasRepositories = false;
    int repositoriesMember = -1;
    QList<RepositoryTag> repositories;
    QList<LegacyChain> chains; ///< one per tagged top (or per head when untagged)
    QStringList problems;

    const LegacyLayer *layer(const QString &id) const
    {
        const int i = byId.value(id, -1);
        return i < 0 ? nullptr : &layers.at(i);
    }
};

/// Walks `parent` links from `top`, stopping at a missing directory or a repeat.
LegacyChain walkLegacyChain(const LegacyView &view, const QString &top);

// ---- M: manifest.json + configs ----

struct LoadedConfig
{
    QString path; ///< member path as referenced
    int member = -1;
    QByteArray bytes;
    QString digest; ///< sha256 of the bytes: the image ID
    std::optional<ImageConfig> config;
    QString error; ///< why there is no config (not found, unreadable, not JSON)
    QStringList problems; ///< everything reported while loading it, `error` included
};

struct ManifestEntry
{
    int index = 0;
    QString configPath;
    LoadedConfig config;
    QStringList repoTags;
    bool repoTagsNull = true;
    QStringList layers; ///< paths, bottom to top
    QString parent;
    QJsonObject layerSources;
    bool lowercaseKeys = false; ///< Jib writes config/repoTags/layers
    bool fieldsValid = true; ///< every field had its JSON type
    QJsonObject raw;
};

struct ManifestView
{
    bool present = false;
    int member = -1;
    bool valid = false; ///< parsed as an array
    QList<ManifestEntry> entries;
    QStringList problems; ///< manifest.json itself: JSON, shape, field types (not configs)
};

// ---- O: oci-layout + index.json + blobs ----

struct Descriptor
{
    QString mediaType;
    QString digest;
    qint64 size = -1;
    QString artifactType;
    QJsonObject annotations;
    std::optional<Platform> platform;
    QStringList urls;
    QJsonObject raw;

    QString annotation(const QString &key) const { return annotations.value(key).toString(); }
};

struct OciManifest
{
    Descriptor descriptor; ///< how the index that lists it describes it
    QStringList indexPath; ///< digests of the nested indexes leading here ("index.json" first)
    QString refName; ///< tag from the top-level descriptor's annotations
    QString blobPath;
    int member = -1;
    QString blobDigest; ///< sha256 of the manifest bytes as stored
    QString mediaType;
    QString artifactType;
    Descriptor configDescriptor;
    QList<Descriptor> layers;
    LoadedConfig config;
    bool isImage = false; ///< false for artifacts (non-image config media type)
    QString error;
};

struct OciIndex
{
    QString path; ///< "index.json" or a blob path
    QString digest; ///< "" for index.json
    int member = -1;
    QString mediaType;
    QList<Descriptor> manifests;
    bool manifestsNull = false; ///< Docker 25.0.0 wrote "manifests": null for untagged saves
};

struct OciView
{
    bool present = false; ///< oci-layout or index.json exists
    bool hasLayoutFile = false;
    QString layoutVersion;
    bool hasIndex = false;
    QList<OciIndex> indexes; ///< index.json first, then nested ones in visiting order
    QList<OciManifest> manifests;
    QStringList problems; ///< oci-layout, index.json, nested indexes and manifests (not configs)
};

/// Parsers. Each reads only its own view and records what it could not read in the view's
/// `problems` (configs: in LoadedConfig::problems), each naming the member and the field.
LegacyView readLegacyView(const Archive &archive);
/// The "config" object of a legacy layer's json (Cmd, Env, …), read from the archive again: the
/// view keeps only the fields it walks, not every json (a chain can have tens of thousands).
QJsonObject legacyConfigOf(const Archive &archive, const LegacyLayer &layer);
ManifestView readManifestView(const Archive &archive);
OciView readOciView(const Archive &archive);

/// Reads and parses a config member (shared by M and O). With `cache`, a member already loaded
/// is taken from it (keyed by member index): a thousand entries naming one config read it once.
LoadedConfig loadConfig(const Archive &archive, const QString &path, QHash<int, LoadedConfig> *cache = nullptr);
/// "blobs/<alg>/<hex>" for a well-formed digest, else "" (and an error naming `where`).
QString blobPathForDigest(const QString &digest, const QString &where, QStringList *errors);

} // namespace lamina
