// SPDX-License-Identifier: MIT
// Private to core/engine: GET requests to one registry over the distribution API, with what a
// registry asks of a client: a scheme found once (HTTPS, or HTTP on this machine or with
// --insecure), a bearer token
// or basic credentials when it answers 401, redirects to where blobs are stored, and waiting and
// asking again on 429 and 5xx.
#pragma once

#include "engine/httpexchange_p.h"
#include "engine/registrysource.h"

#include <QByteArray>
#include <QHash>
#include <QString>
#include <QUrl>

#include <functional>
#include <optional>

namespace lamina::registry {

struct Answer
{
    int status = 0;
    QByteArray reason;
    QByteArray contentType;
    QByteArray location; ///< where an upload goes on, or a redirect's target
    QByteArray digest; ///< Docker-Content-Digest
    QByteArray challenge; ///< WWW-Authenticate
    QByteArray retryAfter;
    QByteArray range; ///< Range of an upload's answer: "0-N", the bytes the registry has
    QByteArray chunkMin; ///< OCI-Chunk-Min-Length: the smallest chunk the registry takes
    QByteArray body; ///< of an answer other than a GET's 200, up to 64 KiB, for its message
    QString error; ///< why the request failed: the registry's own words when it gave any
};

struct Credentials
{
    QByteArray user;
    QByteArray password;
    /// An identity token (an OAuth refresh token: a helper's user "<token>", or an "auths"
    /// entry's "identitytoken"), traded at the token service for an access token.
    QByteArray identityToken;
    /// Where they were found, for messages (never the secret): a file, or a credential helper
    /// and the file that names it.
    QString file;
};

/// How long a credential helper may take before it is stopped and its lookup fails.
constexpr int kHelperMilliseconds = 10000;

/// The credentials `docker login` or `podman login` stored for `host`, from the first of
/// REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json,
/// $DOCKER_CONFIG/config.json or ~/.docker/config.json that has them (docs/engines.md,
/// "Authentication"): in each file a `credHelpers` entry for the host first, then (Docker's file
/// only) its `credsStore`, then the base64 "auth" field. A helper is run as
/// `docker-credential-NAME get`; one that says it has nothing for the host passes the lookup on
/// to the next file. Nothing with `error` empty: none stored. Nothing with `error` set: a helper
/// is missing, failed, hung past `helperMilliseconds` or printed what is not credentials; the
/// error names the helper and the file, never what it printed on success.
std::optional<Credentials> credentialsFor(
    const QString &host, QString *error = nullptr, int helperMilliseconds = kHelperMilliseconds);

/// The folder of TLS files for the registry at `host` (as a reference writes it, with its port):
/// the first of $HOME/.config/containers/certs.d/HOST, /etc/containers/certs.d/HOST and
/// /etc/docker/certs.d/HOST that exists, as containers/image looks (docker/docker_client.go,
/// dockerCertDir); "" when none does.
QString certificateFolderFor(const QString &host);

/// What the certificate folder `folder` holds, as containers/image reads one
/// (pkg/tlsclientconfig, SetupCertificates): each `*.crt` an authority trusted besides the
/// system's, and `NAME.cert` with `NAME.key` a client certificate (the first pair by name). A
/// `.cert` without its `.key`, or a `.key` without its `.cert`, is an error naming the file.
bool readCertificateFolder(const QString &folder, http::TlsExtras *extras, QString *error);

/// The parameters of a WWW-Authenticate challenge: scheme ("bearer", "basic") and its
/// auth-params (realm, service, scope), quoted strings unquoted.
struct Challenge
{
    QString scheme;
    QHash<QString, QString> params;
};
Challenge parseChallenge(const QByteArray &header);

/// One request to a registry. A body, when there is one, is written by `body` through the
/// function it is given (which sends bytes on, false when they could not be sent); it may be
/// called again for a request that is repeated (after a 401, a 429 or a 5xx).
struct Request
{
    QByteArray method = "GET";
    QString path; ///< of the registry: "/v2/REPO/…", with its query
    QUrl url; ///< instead of `path`: where an upload goes (the registry's Location)
    QByteArray accept = "*/*";
    QByteArray contentType;
    QByteArray contentRange; ///< of a chunk's PATCH: "FIRST-LAST", both counted from 0
    qint64 bodySize = -1; ///< -1: no body
    std::function<bool(const std::function<bool(const char *, qint64)> &send, QString *error)> body;
    /// A 200 answer's body, at most `limit` bytes; with `expected` >= 0 a Content-Length that
    /// differs is refused before the body is read.
    std::function<bool(const char *, qint64)> sink;
    qint64 limit = 0;
    qint64 expected = -1;
    /// Asked again after 429 and 5xx answers; false for a chunk's PATCH, which the registry may
    /// have kept part of before failing: the upload is asked where it stands instead.
    bool retry = true;
};

class Client
{
public:
    Client(const RegistryReference &ref, const RegistryOptions &options, const Progress &progress);

    /// Sends `request`, meeting a 401 challenge once, following redirects of GET and HEAD (five at
    /// most), and asking again after 429 and 5xx answers. True with the final answer in `answer`,
    /// whatever its status; false with `answer->error` when no answer could be had.
    bool send(const Request &request, Answer *answer);
    /// How many times send() asks again after 429 and 5xx answers.
    static constexpr int kMaxRetries = 3;
    /// Waits before the `attempt`th retry (from 1) as send() does: what the registry's Retry-After
    /// asks, else 0.5 s, 1 s, 2 s. False when cancelled meanwhile.
    bool pause(int attempt, const QByteArray &retryAfter);
    /// GET `path`: send(), and an answer other than 200 made an error in the registry's words.
    bool get(const QString &path, const QByteArray &accept, qint64 limit, qint64 expected,
        const std::function<bool(const char *, qint64)> &sink, Answer *answer);
    /// "the registry at HOST answered 404 Not Found to GET /v2/…: CODE (message): what it means".
    QString refused(const Request &request, const Answer &answer) const;

    /// "https" or "http", once the first request found which the registry speaks.
    QString scheme() const { return m_scheme; }
    /// "HTTPS", "HTTPS without verifying its certificate" (--insecure) or "HTTP": what a pull or
    /// push says it went over, so that an unverified one is never taken for a verified one.
    QString transport() const;
    /// The registry's own URL for `path`, by the scheme found so far.
    QUrl urlOf(const QString &path) const;

private:
    /// Whether `url` is the registry's own scheme, host and port (before the scheme is found out,
    /// either scheme when `schemeUnknownYet`).
    bool isHome(const QUrl &url, bool schemeUnknownYet) const;
    bool once(const Request &request, const QUrl &url, bool withAuth, Answer *answer);
    bool authenticate(const QByteArray &challenge, QString *error);
    /// credentialsFor() the registry's host, asked once: a helper is not run for every request.
    const std::optional<Credentials> &credentials(QString *error) const;

    const RegistryReference &m_ref;
    const RegistryOptions &m_options;
    const Progress &m_progress;
    QString m_where; ///< "the registry at HOST"
    QString m_scheme; ///< "" until the first connection
    QByteArray m_authorization; ///< the Authorization header's value once one is known
    bool m_unverified = false; ///< a TLS connection to the registry skipped the certificate's check
    /// The registry's certificate folder, read at the first TLS connection to it.
    const http::TlsExtras *tlsExtras(QString *error) const;
    /// The registry's certificate folder, or where the user's would be: for messages.
    QString certificateFolderNamed() const;
    /// What to do about a TLS error that says the registry wants a client certificate; "" for others.
    QString clientCertificateHint(const QString &tlsError) const;
    mutable bool m_tlsLooked = false;
    mutable QString m_tlsFolder;
    mutable http::TlsExtras m_tls;
    mutable QString m_tlsError;
    mutable bool m_credentialsLooked = false;
    mutable std::optional<Credentials> m_credentials;
    mutable QString m_credentialsError;
};

} // namespace lamina::registry
