// SPDX-License-Identifier: MIT
// Images that live in an engine rather than in a file: `docker://NAME` and `podman://NAME`
// (docs/engines.md). The engine's API writes the same bytes `docker save` does; they are streamed
// into a file of Lamina's cache, which the archive reader then opens as any other archive.
#pragma once

#include "util/progress.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace lamina {

struct EngineReference
{
    enum class Engine { Docker, Podman };
    Engine engine = Engine::Docker;
    QString name; ///< as the engine takes it: "alpine", "alpine:3.19", "repo@sha256:…", an image ID
    QString text() const;
};

/// `docker://NAME` or `podman://NAME`; nothing for any other text (a path). A reference with an
/// empty name, or one that could be no image name (spaces, control characters), is nothing too.
std::optional<EngineReference> parseEngineReference(const QString &text);

/// Where the engine's API listens: for Docker DOCKER_HOST (unix://PATH) or /var/run/docker.sock;
/// for podman CONTAINER_HOST (unix://PATH), else $XDG_RUNTIME_DIR/podman/podman.sock (rootless),
/// else /run/podman/podman.sock. A DOCKER_HOST that is no unix socket (tcp://, ssh://) is named
/// in `error` and "" returned.
QString engineSocket(EngineReference::Engine engine, QString *error = nullptr);

struct EngineSaved
{
    QString file; ///< the saved archive, in the engines' cache folder; "" on failure
    qint64 bytes = 0;
    QString how; ///< "saved from the Docker engine at /var/run/docker.sock", "saved by `podman image save`"
    QString error; ///< names the engine, the socket and the reason
};

/// Saves `ref` from its engine into a new file under `folder` (made when missing): GET
/// /images/NAME/get over the API socket, the body streamed to disk as it comes. When podman has
/// no API service running, `podman image save` is run instead (its archive written straight to
/// the file). Reports the bytes so far (total 0: unknown) and stops when cancelled. On failure
/// nothing is left in `folder`. Files older than a day that an earlier run left there are removed.
EngineSaved saveFromEngine(const EngineReference &ref, const QString &folder, const Progress &progress = {});

struct EngineLoaded
{
    QStringList loaded; ///< what the engine said it loaded ("Loaded image: lamina/x:1")
    QString how; ///< "the Docker engine at …", "`podman load`"
    QString error; ///< names the engine, the socket and the reason; "" when loaded
};

/// Loads a docker-archive file into an engine: POST /images/load over the API socket, the file
/// streamed as the request's body; without a podman service, `podman load -i FILE`.
EngineLoaded loadIntoEngine(EngineReference::Engine engine, const QString &archive, const Progress &progress = {});
/// For tests: the same over the socket at `socketPath`, with no podman fallback.
EngineLoaded loadThroughSocket(
    EngineReference::Engine engine, const QString &socketPath, const QString &archive, const Progress &progress = {});

struct EngineImage
{
    QString reference; ///< "docker://alpine:3.19"; an untagged image by its ID
    QString id; ///< "sha256:…"
    qint64 size = 0;
    qint64 created = 0; ///< seconds since the epoch
};

struct EngineImages
{
    QList<EngineImage> images; ///< by reference
    QString how; ///< "the Docker engine at …"
    QString error;
};

/// The images an engine has: GET /images/json over its socket, or `podman images --format json`
/// when no podman service runs. What "Open Image…" offers.
EngineImages listEngineImages(EngineReference::Engine engine, const Progress &progress = {});
/// For tests: the same over the socket at `socketPath`.
EngineImages listThroughSocket(
    EngineReference::Engine engine, const QString &socketPath, const Progress &progress = {});

/// The folder saveFromEngine() uses by default: $XDG_CACHE_HOME/lamina/engines.
QString engineCacheFolder();

/// For tests: the same over the socket at `socketPath`, with no podman fallback.
EngineSaved saveFromSocket(
    const EngineReference &ref, const QString &socketPath, const QString &folder, const Progress &progress = {});

} // namespace lamina
