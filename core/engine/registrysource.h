// SPDX-License-Identifier: MIT
// Images that live in a registry: `registry://HOST[:PORT]/REPO[:TAG|@DIGEST]` (docs/engines.md,
// "Registries"). The manifest, its config and its layers are fetched over the OCI distribution
// API, each verified by its digest; layers are kept in a cache by digest, and the image is laid
// out as an OCI image layout folder of Lamina's cache, which the archive reader then opens.
#pragma once

#include "archive/remoteblobs.h"
#include "util/progress.h"

#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace lamina {

struct RegistryReference
{
    QString host; ///< "127.0.0.1:5000", "registry-1.docker.io" (docker.io's API)
    QString repository; ///< "library/alpine"
    QString tag; ///< "latest" when neither a tag nor a digest is given
    QString digest; ///< "sha256:…" when given (then the tag, if any, is only a name)
    QString platform; ///< "linux/arm64[/v8]" from "?platform=…"; "" for this machine's
    QString text() const; ///< the reference as written back: registry://…
    QString hostName() const; ///< the host without its port
    int port() const; ///< the port given, else 443
};

/// `registry://NAME` where NAME is as `docker pull` takes it: a first part with a dot or a colon,
/// or `localhost`, is the registry's host; without one the registry is docker.io, and a name of
/// one part is in its `library/` (`registry://alpine` is docker.io/library/alpine:latest). A
/// `?platform=OS/ARCH[/VARIANT]` at the end picks an image of a multi-platform list. Nothing for
/// any other text, or for a name the distribution API would refuse.
std::optional<RegistryReference> parseRegistryReference(const QString &text);

struct RegistryOptions
{
    /// Where verified blobs are kept by digest: $XDG_CACHE_HOME/lamina/blobs by default.
    QString blobFolder;
    /// The blob cache's bound (LAMINA_BLOB_CACHE_MB, default 4096): after a pull the least
    /// recently used blobs go until it holds. 0 keeps nothing beyond the pull.
    qint64 blobCacheBytes = -1;
    /// A registry that has not answered a request's headers after this long is given up.
    int answerSeconds = 60;
    /// Silence this long within a body ends it.
    int idleSeconds = 120;
    /// `--insecure`, asked for each run: the registry's own address is spoken to over TLS without
    /// verifying its certificate, or over plain HTTP when it speaks no TLS, wherever it is (as
    /// `skopeo --tls-verify=false` and Docker's insecure-registries). Redirects and token services
    /// elsewhere keep every rule.
    bool insecure = false;
    /// Layers the blob cache lacks are not pulled: the result's `deferred` names them, and the
    /// archive opened on its folder fetches each when something first reads it (docs/engines.md,
    /// "Layers fetched when read"). The manifest and config are pulled either way.
    bool deferLayers = false;
    /// A pushed blob larger than this goes in chunks of this size (PATCH each, then PUT with the
    /// digest), each chunk asked again alone on 429 and 5xx, and the upload picked up where the
    /// registry's Range says it is: what a proxy's bound on a request's body, or a connection cut
    /// mid-blob, then costs. -1: LAMINA_PUSH_CHUNK_MB, else 64 MiB; 0: every blob in one PUT. A
    /// registry's OCI-Chunk-Min-Length raises it.
    qint64 chunkBytes = -1;
};

struct RegistryPulled
{
    QString folder; ///< the OCI image layout made for the image; "" on failure
    /// "pulled from the registry at 127.0.0.1:5000 over HTTPS: linux/amd64 of a list of 3 platforms";
    /// "over HTTPS without verifying its certificate" with `insecure`
    QString how;
    QString error; ///< names the reference, the registry and the reason
    qint64 bytesFetched = 0; ///< blob bytes that came over the network
    int blobsFetched = 0;
    int blobsFromCache = 0;
    /// With `deferLayers`: the layers left in the registry, and what fetches them; hand it to
    /// Archive::open() with `folder`.
    Deferred deferred;
};

/// Pulls `ref` into a new folder under `folder` (made when missing): its manifest (the platform's,
/// from a list), config and layers, each checked against its digest and size before it is kept.
/// Anonymous, bearer-token and basic authentication; credentials are read from the files
/// `docker login` and `podman login` write, or asked of the credential helpers they name, never
/// written. HTTPS with the certificate verified (unless `options.insecure`);
/// plain HTTP only for a registry on this machine (127.0.0.0/8, ::1, localhost) that does not
/// speak TLS, as Docker allows, or for any registry with `options.insecure`. Redirects are followed (five at most), 429
/// and 5xx answers retried with a growing wait. Progress counts layer bytes; cancel stops it. On failure nothing is
/// left in `folder`, nor a partial blob in the cache.
RegistryPulled pullFromRegistry(const RegistryReference &ref, const QString &folder,
    const RegistryOptions &options = {}, const Progress &progress = {});

struct RegistryPlatforms
{
    bool list = false; ///< the reference names a multi-platform list (an OCI index or a Docker list)
    QStringList platforms; ///< the list's, in its order ("linux/arm64/v8"); empty for one image
    QString hostPlatform; ///< the one taken when none is named: this machine's
    QString error; ///< names the reference, the registry and the reason
};

/// What a reference's manifest offers, for a platform picker: its top manifest only is fetched
/// (and checked against a digest the reference gives). The `?platform=` of `ref` is ignored.
RegistryPlatforms registryPlatforms(
    const RegistryReference &ref, const RegistryOptions &options = {}, const Progress &progress = {});

struct RegistryPushed
{
    QString digest; ///< the manifest's, as the registry has it now
    /// "pushed to the registry at 127.0.0.1:5000 over HTTP: 1 blob sent (10 MiB), 3 there already"
    QString how;
    QString error; ///< names the reference, the registry and the reason; "" when pushed
    int blobsSent = 0;
    int blobsPresent = 0; ///< the repository had them: not sent
    int blobsMounted = 0; ///< mounted from `mountFrom`: not sent
    int blobsChunked = 0; ///< of those sent, how many went in chunks
    qint64 bytesSent = 0;
};

/// Pushes the image of the OCI image layout folder `layout` (what `compose --format oci-dir`
/// writes: one manifest) to `ref`, a tag. Each blob the repository has already (HEAD) is not
/// sent; one another repository of the same registry has (`mountFrom`, the base's) is mounted
/// from it; the others are uploaded (POST, then PUT with the digest; in chunks by PATCH first when
/// larger than `options.chunkBytes`), their bytes streamed from the layout. The manifest goes last, so that the tag
/// names a complete image or none. Progress counts the bytes of the blobs to send; cancel stops it.
RegistryPushed pushToRegistry(const QString &layout, const RegistryReference &ref, const QString &mountFrom = {},
    const RegistryOptions &options = {}, const Progress &progress = {});

/// The folder pullFromRegistry() lays images out in by default: $XDG_CACHE_HOME/lamina/registry.
QString registryCacheFolder();
/// The default blob cache: $XDG_CACHE_HOME/lamina/blobs.
QString registryBlobFolder();

/// Removes a folder pullFromRegistry() made (it carries its mark); anything else is left alone.
bool removePulledLayout(const QString &folder);
/// Share-locks a pulled folder while it is read, so that another process clearing old pulls
/// leaves it; the function returned lets go and removes it.
std::function<void()> holdPulledLayout(const QString &folder);

/// Whether `text` names an image of an engine or a registry rather than a file or folder.
bool isImageReference(const QString &text);

} // namespace lamina
