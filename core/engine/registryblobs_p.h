// SPDX-License-Identifier: MIT
// Private to core/engine: the blob cache a pull fills (docs/engines.md, "Registries"), and the
// fetcher of the layers a pull leaves in the registry until something reads them.
#pragma once

#include "archive/remoteblobs.h"
#include "engine/registryblob_p.h"
#include "engine/registrysource.h"

#include <QString>

#include <memory>

namespace lamina::registry {

class Client;

/// A size in MiB from the environment variable `variable` (a number, 0 or more), else
/// `defaultMiB`: in bytes.
qint64 bytesFromEnvironment(const char *variable, qint64 defaultMiB);

/// The blob cache's folder for a pull with `options`.
QString blobFolderOf(const RegistryOptions &options);

/// Keeps the blob cache within its bound, the least recently used blobs going first. A blob a
/// pulled layout still links to keeps its bytes there.
void trimBlobs(const QString &folder, qint64 bound);

/// Links the blob the cache holds (verified when it was kept) to `to`; false when it has none.
bool linkCached(const Blob &blob, const QString &blobs, const QString &to);

/// Blobs a pull brought, from the network or from the cache.
struct Fetched
{
    int fromNetwork = 0;
    int fromCache = 0;
    qint64 bytes = 0; ///< over the network
};

/// Brings `blob` to the file `to`: linked from the cache when it has it, else fetched through
/// `client`, checked against its size and digest, kept in the cache and linked. `*done` counts
/// bytes towards `total` for `progress`. On failure nothing is at `to` nor half kept in the
/// cache, and `error` says why (without the reference: the caller's prefix).
bool fetchBlob(Client &client, const RegistryReference &ref, const Blob &blob, const QString &blobs, const QString &to,
    const Progress &progress, qint64 *done, qint64 total, Fetched *fetched, QString *error);

/// A pulled layout's layers not fetched yet, fetched from the registry at `ref` when the archive
/// reads them: a client kept per fetch running at once, so that a token the registry gave is
/// asked for once per client rather than per layer.
std::shared_ptr<RemoteBlobs> registryBlobs(const RegistryReference &ref, const RegistryOptions &options);

} // namespace lamina::registry
