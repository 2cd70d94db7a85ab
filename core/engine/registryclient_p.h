// SPDX-License-Identifier: MIT
// Private to core/engine: GET requests to one registry over the distribution API, with what a
// registry asks of a client: a scheme found once (HTTPS, or HTTP on this machine), a bearer token
// or basic credentials when it answers 401, redirects to where blobs are stored, and waiting and
// asking again on 429 and 5xx.
#pragma once

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
    QByteArray contentType;
    QString error; ///< why the request failed: the registry's own words when it gave any
};

struct Credentials
{
    QByteArray user;
    QByteArray password;
    QString file; ///< where they were found, for messages (never the secret)
};

/// The credentials `docker login` or `podman login` stored for `host`: REGISTRY_AUTH_FILE,
/// $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json, then
/// $DOCKER_CONFIG/config.json or ~/.docker/config.json; the first that has the host wins. Only
/// the "auth" field (base64 of user:password) is read; credential helpers are not run.
std::optional<Credentials> credentialsFor(const QString &host);

/// The parameters of a WWW-Authenticate challenge: scheme ("bearer", "basic") and its
/// auth-params (realm, service, scope), quoted strings unquoted.
struct Challenge
{
    QString scheme;
    QHash<QString, QString> params;
};
Challenge parseChallenge(const QByteArray &header);

class Client
{
public:
    Client(const RegistryReference &ref, const RegistryOptions &options, const Progress &progress);

    /// GET `path` of the registry (or a redirect's target), the body handed to `sink` as it comes.
    /// At most `limit` bytes are taken; with `expected` >= 0 a Content-Length that differs is
    /// refused before the body is read. False with `answer->error` on any failure.
    bool get(const QString &path, const QByteArray &accept, qint64 limit, qint64 expected,
        const std::function<bool(const char *, qint64)> &sink, Answer *answer);

    /// "https" or "http", once the first request found which the registry speaks.
    QString scheme() const { return m_scheme; }

private:
    struct Head;
    bool once(const QUrl &url, const QByteArray &accept, bool withAuth, qint64 limit, qint64 expected,
        const std::function<bool(const char *, qint64)> &sink, Head *head, QString *error);
    bool authenticate(const QByteArray &challenge, QString *error);
    bool pause(int attempt, const QByteArray &retryAfter);

    const RegistryReference &m_ref;
    const RegistryOptions &m_options;
    const Progress &m_progress;
    QString m_where; ///< "the registry at HOST"
    QString m_scheme; ///< "" until the first connection
    QByteArray m_authorization; ///< the Authorization header's value once one is known
    bool m_triedAuth = false;
};

} // namespace lamina::registry
