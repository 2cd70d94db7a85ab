// SPDX-License-Identifier: MIT
// docs/engines.md, "Registries": the distribution API's requests, authentication and retries.
#include "engine/registryclient_p.h"

#include "engine/httpexchange_p.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QThread>
#include <QUrlQuery>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace lamina::registry {

using namespace http;

namespace {

constexpr int kMaxRedirects = 5;
constexpr qint64 kMaxTokenAnswer = 1 << 20;

/// docker.io's names are served by registry-1.docker.io, its credentials stored under the old
/// index's address (moby, daemon/pkg/registry/config.go: DefaultRegistryHost, IndexServer).
QString apiHost(const RegistryReference &ref)
{
    if (ref.hostName() == u"docker.io" || ref.hostName() == u"index.docker.io")
        return QStringLiteral("registry-1.docker.io");
    return ref.hostName();
}

/// Docker lets a registry on this machine speak plain HTTP (moby, daemon/pkg/registry/config.go:
/// loadInsecureRegistries always adds 127.0.0.0/8 and ::1/128).
bool onThisMachine(const QString &host)
{
    if (host == u"localhost")
        return true;
    const QByteArray name = host.toLatin1();
    in_addr v4;
    if (::inet_pton(AF_INET, name.constData(), &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    return host == u"::1";
}

bool loopback(const sockaddr_storage &peer)
{
    if (peer.ss_family == AF_INET)
        return (ntohl(reinterpret_cast<const sockaddr_in &>(peer).sin_addr.s_addr) >> 24) == 127;
    if (peer.ss_family == AF_INET6) {
        const in6_addr &a = reinterpret_cast<const sockaddr_in6 &>(peer).sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(&a))
            return true;
        return IN6_IS_ADDR_V4MAPPED(&a) && a.s6_addr[12] == 127;
    }
    return false;
}

/// "CODE (message)" for each of a registry's errors ({"errors":[{"code","message"}]}), else the
/// body's first words.
QString registryErrors(const QByteArray &body)
{
    QStringList said;
    for (const QJsonValue &e : QJsonDocument::fromJson(body).object().value(QStringLiteral("errors")).toArray()) {
        const QJsonObject o = e.toObject();
        const QString code = o.value(QStringLiteral("code")).toString();
        const QString message = o.value(QStringLiteral("message")).toString();
        said << (message.isEmpty() ? code : QStringLiteral("%1 (%2)").arg(code, message));
    }
    if (said.isEmpty())
        return QString::fromUtf8(body.left(300)).simplified();
    return said.join(QStringLiteral("; "));
}

/// What an error code means for the user, in the distribution spec's terms.
QString meaning(int status, const QByteArray &body)
{
    const QString b = QString::fromUtf8(body);
    if (b.contains(u"NAME_UNKNOWN"))
        return QStringLiteral("the registry has no such repository");
    if (b.contains(u"MANIFEST_UNKNOWN"))
        return QStringLiteral("the repository has no such tag or digest");
    if (b.contains(u"BLOB_UNKNOWN"))
        return QStringLiteral("the repository lacks a blob its manifest names");
    if (status == 401)
        return QStringLiteral("the registry wants credentials it was not given or refused");
    if (status == 403 || b.contains(u"DENIED"))
        return QStringLiteral("access is denied to these credentials");
    if (status == 404)
        return QStringLiteral("not found");
    return {};
}

} // namespace

Challenge parseChallenge(const QByteArray &header)
{
    Challenge c;
    const QByteArray h = header.trimmed();
    const qsizetype space = h.indexOf(' ');
    c.scheme = QString::fromLatin1(space < 0 ? h : h.left(space)).toLower();
    if (space < 0)
        return c;
    // auth-param = token "=" ( token / quoted-string ), separated by commas
    const QByteArray rest = h.mid(space + 1);
    qsizetype i = 0;
    while (i < rest.size()) {
        while (i < rest.size() && (rest.at(i) == ' ' || rest.at(i) == ','))
            ++i;
        const qsizetype eq = rest.indexOf('=', i);
        if (eq < 0)
            break;
        const QString name = QString::fromLatin1(rest.mid(i, eq - i)).trimmed().toLower();
        i = eq + 1;
        QByteArray value;
        if (i < rest.size() && rest.at(i) == '"') {
            for (++i; i < rest.size() && rest.at(i) != '"'; ++i) {
                if (rest.at(i) == '\\' && i + 1 < rest.size())
                    ++i;
                value.append(rest.at(i));
            }
            ++i; // the closing quote
        } else {
            const qsizetype comma = rest.indexOf(',', i);
            value = rest.mid(i, comma < 0 ? -1 : comma - i).trimmed();
            i = comma < 0 ? rest.size() : comma;
        }
        c.params.insert(name, QString::fromUtf8(value));
    }
    return c;
}

Client::Client(const RegistryReference &ref, const RegistryOptions &options, const Progress &progress)
    : m_ref(ref)
    , m_options(options)
    , m_progress(progress)
    , m_where(QStringLiteral("the registry at %1").arg(ref.host))
{
}

bool Client::isHome(const QUrl &url, bool schemeUnknownYet) const
{
    // The registry's own scheme, host and port: only there do its credentials go.
    const QUrl home = urlOf(QString());
    if (url.host() != home.host())
        return false;
    if (m_scheme.isEmpty() && schemeUnknownYet)
        return url.port(-1) == home.port(-1) && (url.scheme() == u"https" || url.scheme() == u"http");
    return url.scheme() == home.scheme() && url.port(-1) == home.port(-1);
}

QString Client::transport() const
{
    if (m_scheme != u"https")
        return QStringLiteral("HTTP");
    return m_unverified ? QStringLiteral("HTTPS without verifying its certificate") : QStringLiteral("HTTPS");
}

QUrl Client::urlOf(const QString &path) const
{
    QUrl url;
    url.setScheme(m_scheme.isEmpty() ? QStringLiteral("https") : m_scheme);
    url.setHost(apiHost(m_ref));
    if (m_ref.host.endsWith(u':' + QString::number(m_ref.port())))
        url.setPort(m_ref.port());
    const qsizetype q = path.indexOf(u'?');
    url.setPath(q < 0 ? path : path.left(q));
    if (q >= 0)
        url.setQuery(path.mid(q + 1));
    return url;
}

bool Client::once(const Request &request, const QUrl &url, bool withAuth, Answer *answer)
{
    QString *error = &answer->error;
    const QString host = url.host();
    const bool registryHost = isHome(url, true);
    const int port = url.port(url.scheme() == u"https" ? 443 : 80);
    // Whoever else a registry sends Lamina to is named in errors as such.
    const QString where = registryHost ? m_where
                                       : QStringLiteral("%1 (where the registry at %2 sent Lamina)")
                                             .arg(url.toDisplayString(QUrl::RemoveQuery | QUrl::RemoveUserInfo
                                                      | QUrl::RemovePath | QUrl::RemoveFragment),
                                                 m_ref.host);
    // Plain HTTP only to the registry's own address, when that is on this machine or the user
    // said --insecure for it: a registry must not send Lamina (and a token's credentials) to
    // another port or host in clear text.
    const bool clearAllowed = registryHost && (onThisMachine(host) || m_options.insecure);
    if (url.scheme() != u"https" && !clearAllowed) {
        *error = QStringLiteral("%1 sent Lamina to %2, which is not HTTPS")
                     .arg(m_where, url.toDisplayString(QUrl::RemoveQuery | QUrl::RemoveUserInfo));
        return false;
    }
    const int fd = connectTcp(host, port, m_progress, error);
    if (fd < 0) {
        *error = QStringLiteral("%1: %2").arg(where, *error);
        return false;
    }
    const auto closeFd = qScopeGuard([fd] { ::close(fd); });
    std::unique_ptr<Stream> stream;
    QUrl target = url;
    if (url.scheme() == u"https") {
        QString tlsError;
        bool untrusted = false;
        // --insecure is for the registry named, not for whatever it sends Lamina to.
        const bool verify = !(registryHost && m_options.insecure);
        // The registry's own certificate folder (certs.d) counts for the registry alone.
        const http::TlsExtras *extras = nullptr;
        if (registryHost) {
            extras = tlsExtras(error);
            if (!error->isEmpty()) {
                *error = QStringLiteral("%1: %2").arg(m_where, *error);
                return false;
            }
        }
        stream = startTls(fd, host, verify, m_progress, &tlsError, &untrusted, extras);
        if (!stream) {
            // A registry on this machine that speaks plain HTTP, as Docker allows. One that
            // speaks TLS with a certificate Lamina does not trust is not asked without it.
            if (clearAllowed && m_scheme.isEmpty() && !untrusted && !m_progress.cancelled()) {
                m_scheme = QStringLiteral("http");
                target.setScheme(m_scheme);
                return once(request, target, withAuth, answer);
            }
            if (registryHost)
                tlsError += clientCertificateHint(tlsError);
            *error = QStringLiteral("%1: %2%3")
                         .arg(where, tlsError,
                             untrusted && registryHost
                                 ? QStringLiteral(" (its authority as a .crt file in %1 makes it trusted; --insecure, "
                                                  "or \"Don't verify the registry's certificate\" in the window, skips "
                                                  "that check for this registry)")
                                       .arg(certificateFolderNamed())
                                 : QString());
            return false;
        }
        if (registryHost && !verify)
            m_unverified = true;
    } else {
        // "localhost" is a name: what it led to must be this machine for bytes to go in clear.
        sockaddr_storage peer {};
        socklen_t length = sizeof peer;
        if (!m_options.insecure
            && (::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &length) != 0 || !loopback(peer))) {
            *error = QStringLiteral("%1: %2 is not on this machine, and Lamina speaks plain HTTP only to this machine")
                         .arg(m_where, host);
            return false;
        }
        stream = std::make_unique<Stream>(fd);
    }
    if (registryHost && m_scheme.isEmpty())
        m_scheme = target.scheme();
    Exchange x(*stream, m_progress, where);
    x.setIdleLimit(m_options.idleSeconds * 1000);
    QByteArray resource = target.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority | QUrl::RemoveFragment);
    if (!resource.startsWith('/'))
        resource.prepend('/');
    QByteArray hostHeader = target.host(QUrl::FullyEncoded).toUtf8();
    if (hostHeader.contains(':'))
        hostHeader = '[' + hostHeader + ']';
    if (target.port() >= 0)
        hostHeader += ':' + QByteArray::number(target.port());
    QByteArray head = request.method + ' ' + resource + " HTTP/1.1\r\nHost: " + hostHeader
        + "\r\nUser-Agent: lamina\r\nAccept: " + request.accept + "\r\n";
    if (withAuth && !m_authorization.isEmpty())
        head += "Authorization: " + m_authorization + "\r\n";
    if (!request.contentType.isEmpty())
        head += "Content-Type: " + request.contentType + "\r\n";
    if (!request.contentRange.isEmpty())
        head += "Content-Range: " + request.contentRange + "\r\n";
    if (request.bodySize >= 0 || request.method == "POST" || request.method == "PUT")
        head += "Content-Length: " + QByteArray::number(std::max<qint64>(request.bodySize, 0)) + "\r\n";
    head += "Connection: close\r\n\r\n";
    bool sent = x.send(head, error);
    if (sent && request.bodySize > 0 && request.body) {
        qint64 total = 0;
        sent = request.body(
            [&](const char *data, qint64 n) {
                total += n;
                return x.send(QByteArray::fromRawData(data, n), error);
            },
            error);
        if (sent && total != request.bodySize) {
            *error = QStringLiteral("%1 bytes were to be sent, and %2 were").arg(request.bodySize).arg(total);
            sent = false;
        }
    }
    // The answer to a request with a long body comes once it is sent: the deadline starts then.
    x.setDeadline(qint64(m_options.answerSeconds) * 1000);
    Response r;
    if (!sent || !readHead(x, &r, error)) {
        // TLS 1.3 finishes the handshake before a server refuses the client: its alert comes
        // with the answer.
        *error
            = QStringLiteral("%1: %2%3").arg(where, *error, registryHost ? clientCertificateHint(*error) : QString());
        return false;
    }
    answer->status = r.status;
    answer->reason = r.reason;
    answer->location = r.header("location");
    answer->digest = r.header("docker-content-digest");
    answer->challenge = r.header("www-authenticate");
    answer->contentType = r.header("content-type");
    answer->retryAfter = r.header("retry-after");
    answer->range = r.header("range");
    answer->chunkMin = r.header("oci-chunk-min-length");
    if (request.method == "HEAD")
        return true; // a HEAD answer has a length but no body
    if (r.status != 200 || !request.sink) {
        QString ignored;
        readBody(
            x, r, kMaxErrorBody,
            [answer](const char *data, qint64 n) {
                answer->body.append(data, n);
                return true;
            },
            &ignored);
        return true;
    }
    if (request.expected >= 0 && r.length >= 0 && r.length != request.expected) {
        *error = QStringLiteral("%1 says it has %2 bytes, where the manifest gives %3")
                     .arg(where)
                     .arg(r.length)
                     .arg(request.expected);
        return false;
    }
    if (r.length > request.limit) {
        *error = QStringLiteral("%1 would send %2 bytes, more than the %3 expected")
                     .arg(where)
                     .arg(r.length)
                     .arg(request.limit);
        return false;
    }
    // The body may be long: silence ends it, not the time it takes.
    x.setDeadline(-1);
    if (!readBody(x, r, request.limit, request.sink, error)) {
        if (!error->isEmpty())
            *error = QStringLiteral("%1: %2").arg(where, *error);
        return false;
    }
    return true;
}

bool Client::send(const Request &request, Answer *answer)
{
    QUrl url = request.url.isEmpty() ? urlOf(request.path) : request.url;
    int redirects = 0, retries = 0;
    bool authTried = false;
    const bool follows = request.method == "GET" || request.method == "HEAD";
    for (;;) {
        *answer = Answer();
        const bool home = isHome(url, true);
        if (!once(request, url, home, answer))
            return false;
        if (home && m_scheme == u"http")
            url.setScheme(m_scheme); // found out on the way
        const bool stillHome = isHome(url, false);
        if (answer->status == 401 && stillHome && !authTried) {
            authTried = true;
            if (!authenticate(answer->challenge, &answer->error))
                return false;
            continue;
        }
        if (follows && answer->status >= 300 && answer->status < 400 && !answer->location.isEmpty()) {
            if (++redirects > kMaxRedirects) {
                answer->error = QStringLiteral("%1 redirected Lamina more than %2 times for %3")
                                    .arg(m_where)
                                    .arg(kMaxRedirects)
                                    .arg(request.path);
                return false;
            }
            url = url.resolved(QUrl::fromEncoded(answer->location));
            continue;
        }
        if (request.retry && (answer->status == 429 || answer->status >= 500) && retries < kMaxRetries) {
            if (!pause(++retries, answer->retryAfter)) {
                answer->error = QStringLiteral("cancelled");
                return false;
            }
            continue;
        }
        return true;
    }
}

QString Client::refused(const Request &request, const Answer &answer) const
{
    const QString why = meaning(answer.status, answer.body);
    const QString said = registryErrors(answer.body);
    QString error = QStringLiteral("%1 answered %2 %3 to %4 %5%6%7")
                        .arg(m_where)
                        .arg(answer.status)
                        .arg(QString::fromLatin1(answer.reason), QString::fromLatin1(request.method),
                            request.url.isEmpty() ? request.path : request.url.path(),
                            said.isEmpty() ? QString() : u": " + said, why.isEmpty() ? QString() : u": " + why);
    if (answer.status == 401 && isHome(request.url.isEmpty() ? urlOf(request.path) : request.url, false)) {
        QString ignored;
        const std::optional<Credentials> &credentials = this->credentials(&ignored);
        error += credentials
            ? QStringLiteral(" (the credentials for %1 in %2 were refused)").arg(m_ref.host, credentials->file)
            : QStringLiteral(" (no credentials are stored for %1: `docker login` or `podman login` stores them)")
                  .arg(m_ref.host);
    }
    return error;
}

bool Client::get(const QString &path, const QByteArray &accept, qint64 limit, qint64 expected,
    const std::function<bool(const char *, qint64)> &sink, Answer *answer)
{
    Request request;
    request.path = path;
    request.accept = accept;
    request.limit = limit;
    request.expected = expected;
    request.sink = sink;
    if (!send(request, answer))
        return false;
    if (answer->status == 200)
        return true;
    answer->error = refused(request, *answer);
    return false;
}

bool Client::authenticate(const QByteArray &header, QString *error)
{
    const Challenge c = parseChallenge(header);
    QString lookup;
    const std::optional<Credentials> &credentials = this->credentials(&lookup);
    // A helper that failed is not taken for "none stored": anonymous access would only end in a
    // 401 that hides why (both Docker and podman stop here too).
    if (!lookup.isEmpty()) {
        *error = QStringLiteral("%1 asks for credentials, and looking them up failed: %2").arg(m_where, lookup);
        return false;
    }
    const bool identity = credentials && !credentials->identityToken.isEmpty();
    const QByteArray basic = credentials && !identity
        ? "Basic " + QByteArray(credentials->user + ':' + credentials->password).toBase64()
        : QByteArray();
    if (c.scheme == u"basic") {
        if (identity) {
            *error = QStringLiteral("%1 asks for a user name and password, and the credentials from %2 are an identity "
                                    "token, which goes only to a token service")
                         .arg(m_where, credentials->file);
            return false;
        }
        if (!credentials) {
            *error
                = QStringLiteral("%1 asks for a user name and password, and none is stored for %2 (`docker login` or "
                                 "`podman login` stores them)")
                      .arg(m_where, m_ref.host);
            return false;
        }
        m_authorization = basic;
        return true;
    }
    if (c.scheme != u"bearer" || c.params.value(QStringLiteral("realm")).isEmpty()) {
        *error = QStringLiteral("%1 answered 401 with a challenge Lamina cannot meet: \"%2\"")
                     .arg(m_where, QString::fromLatin1(header.left(120)));
        return false;
    }
    QUrl realm(c.params.value(QStringLiteral("realm")));
    if (!realm.isValid() || (realm.scheme() != u"https" && realm.scheme() != u"http")) {
        *error = QStringLiteral("%1 names a token service Lamina cannot use: \"%2\"")
                     .arg(m_where, c.params.value(QStringLiteral("realm")).left(120));
        return false;
    }
    QUrlQuery query(realm);
    if (const QString service = c.params.value(QStringLiteral("service")); !service.isEmpty())
        query.addQueryItem(QStringLiteral("service"), service);
    const QString scope = c.params.value(QStringLiteral("scope"));
    query.addQueryItem(
        QStringLiteral("scope"), scope.isEmpty() ? QStringLiteral("repository:%1:pull").arg(m_ref.repository) : scope);
    // The token service sees the credentials: over HTTPS only, or on this machine.
    const QByteArray saved = std::exchange(m_authorization, basic);
    QByteArray body;
    Request ask;
    QByteArray form;
    if (identity) {
        // OAuth 2's refresh: the identity token in a form POSTed to the realm, as Docker's
        // distribution client does (registry/client/auth/session.go, fetchTokenWithOAuth).
        QUrlQuery fields = query;
        fields.addQueryItem(QStringLiteral("grant_type"), QStringLiteral("refresh_token"));
        fields.addQueryItem(QStringLiteral("refresh_token"), QString::fromUtf8(credentials->identityToken));
        fields.addQueryItem(QStringLiteral("client_id"), QStringLiteral("lamina"));
        form = fields.toString(QUrl::FullyEncoded).toUtf8();
        ask.method = "POST";
        ask.contentType = "application/x-www-form-urlencoded";
        ask.bodySize = form.size();
        ask.body = [&form](const std::function<bool(const char *, qint64)> &send, QString *) {
            return send(form.constData(), form.size());
        };
    } else {
        realm.setQuery(query);
    }
    ask.accept = "application/json";
    ask.limit = kMaxTokenAnswer;
    ask.sink = [&body](const char *data, qint64 n) {
        body.append(data, n);
        return true;
    };
    Answer head;
    const bool ok = once(ask, realm, true, &head);
    m_authorization = saved;
    if (!ok) {
        *error = QStringLiteral("the token service %1: %2").arg(realm.toDisplayString(QUrl::RemoveQuery), head.error);
        return false;
    }
    if (head.status != 200) {
        *error = QStringLiteral("the token service %1 answered %2 %3%4")
                     .arg(realm.toDisplayString(QUrl::RemoveQuery))
                     .arg(head.status)
                     .arg(QString::fromLatin1(head.reason),
                         identity          ? QStringLiteral(" to the identity token from %1").arg(credentials->file)
                             : credentials ? QStringLiteral(" to the credentials from %1").arg(credentials->file)
                                           : QStringLiteral(" to an anonymous request"));
        return false;
    }
    const QJsonObject o = QJsonDocument::fromJson(body).object();
    QString token = o.value(QStringLiteral("token")).toString();
    if (token.isEmpty())
        token = o.value(QStringLiteral("access_token")).toString();
    if (token.isEmpty() || token.contains(u'\r') || token.contains(u'\n')) {
        *error = QStringLiteral("the token service %1 gave no token").arg(realm.toDisplayString(QUrl::RemoveQuery));
        return false;
    }
    m_authorization = "Bearer " + token.toLatin1();
    return true;
}

const std::optional<Credentials> &Client::credentials(QString *error) const
{
    if (!m_credentialsLooked) {
        m_credentials = credentialsFor(m_ref.host, &m_credentialsError);
        m_credentialsLooked = true;
    }
    *error = m_credentialsError;
    return m_credentials;
}

bool Client::pause(int attempt, const QByteArray &retryAfter)
{
    // What the registry asks for (seconds), else 0.5 s, 1 s, 2 s; never more than 10 s.
    bool given = false;
    const int asked = retryAfter.trimmed().toInt(&given);
    const int ms = std::min(10000, given && asked >= 0 ? asked * 1000 : 500 << (attempt - 1));
    for (int waited = 0; waited < ms; waited += 50) {
        if (m_progress.cancelled())
            return false;
        QThread::msleep(50);
    }
    return !m_progress.cancelled();
}

} // namespace lamina::registry
