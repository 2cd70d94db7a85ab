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
#include <QProcess>
#include <QScopeGuard>
#include <QStandardPaths>
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
constexpr int kMaxRetries = 3;
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

QJsonObject readJsonFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly) || f.size() > (4 << 20))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
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

/// What docker-credential-helpers answers `get` with, on stdout and exit status 1, when it has
/// nothing for the address (credentials/error.go: errCredentialsNotFoundMessage).
constexpr QLatin1StringView kNotFound("credentials not found in native keychain");

/// Runs `docker-credential-NAME get` with `server` on its stdin, as both tools do
/// (docker-credential-helpers, client/client.go: Get). Credentials; or nothing, with `error`
/// empty when the helper has none for `server`, else saying why. What the helper prints on
/// success may hold a secret and is never quoted; its words on failure are.
std::optional<Credentials> askHelper(
    const QString &name, const QString &server, const QString &named, int milliseconds, QString *error)
{
    const QString program = QStringLiteral("docker-credential-") + name;
    const QString from = QStringLiteral("%1 (%2)").arg(program, named);
    // A name is a suffix looked up on PATH, never a path of its own.
    if (name.contains(u'/') || name.contains(QChar(0))) {
        *error = QStringLiteral("the credential helper \"%1\" named by %2 is not a helper's name").arg(name, named);
        return std::nullopt;
    }
    const QString path = QStandardPaths::findExecutable(program);
    if (path.isEmpty()) {
        *error = QStringLiteral("the credential helper %1, named by %2, is not on PATH").arg(program, named);
        return std::nullopt;
    }
    QProcess p;
    p.setProgram(path);
    p.setArguments({ QStringLiteral("get") });
    p.start();
    if (!p.waitForStarted(milliseconds)) {
        *error = QStringLiteral("cannot run %1: %2").arg(from, p.errorString());
        return std::nullopt;
    }
    p.write(server.toUtf8());
    p.closeWriteChannel();
    if (!p.waitForFinished(milliseconds)) {
        // A helper waiting on a locked keychain or a prompt nobody sees must not hold the pull.
        p.kill();
        p.waitForFinished(2000);
        *error = QStringLiteral("%1 did not answer within %2 seconds and was stopped")
                     .arg(from)
                     .arg(milliseconds / 1000.0);
        return std::nullopt;
    }
    const QByteArray out = p.readAllStandardOutput();
    if (p.exitStatus() != QProcess::NormalExit || p.exitCode() != 0) {
        if (QString::fromUtf8(out).trimmed() == kNotFound)
            return std::nullopt;
        QString said = QString::fromUtf8(out).trimmed();
        if (said.isEmpty())
            said = QString::fromUtf8(p.readAllStandardError()).trimmed();
        said = said.section(u'\n', 0, 0).left(200);
        *error = p.exitStatus() != QProcess::NormalExit
            ? QStringLiteral("%1 crashed").arg(from)
            : QStringLiteral("%1 failed (exit status %2)%3")
                  .arg(from)
                  .arg(p.exitCode())
                  .arg(said.isEmpty() ? QString() : QStringLiteral(": ") + said);
        return std::nullopt;
    }
    const QJsonObject o = QJsonDocument::fromJson(out).object();
    const QString user = o.value(QStringLiteral("Username")).toString();
    const QString secret = o.value(QStringLiteral("Secret")).toString();
    // A user name may be empty (an access token alone); Docker sends it so all the same.
    if (!o.value(QStringLiteral("Username")).isString() || secret.isEmpty()) {
        *error = QStringLiteral("%1 printed no credentials Lamina can read (a JSON object with Username and Secret)")
                     .arg(from);
        return std::nullopt;
    }
    // The user "<token>" says the secret is an identity token (docker/cli,
    // cli/config/credentials/native_store.go, getCredentialsFromStore): traded at the token
    // service, never sent to the registry as a password.
    if (user == u"<token>")
        return Credentials { {}, {}, secret.toUtf8(), from };
    return Credentials { user.toUtf8(), secret.toUtf8(), {}, from };
}

} // namespace

std::optional<Credentials> credentialsFor(const QString &host, QString *error, int helperMilliseconds)
{
    QString ignored;
    QString &why = error ? *error : ignored;
    why.clear();
    QStringList files;
    if (const QString f = qEnvironmentVariable("REGISTRY_AUTH_FILE"); !f.isEmpty())
        files << f;
    if (const QString run = qEnvironmentVariable("XDG_RUNTIME_DIR"); !run.isEmpty())
        files << run + QStringLiteral("/containers/auth.json");
    QString config = qEnvironmentVariable("XDG_CONFIG_HOME");
    if (config.isEmpty())
        config = QDir::homePath() + QStringLiteral("/.config");
    files << config + QStringLiteral("/containers/auth.json");
    const QString docker = qEnvironmentVariable("DOCKER_CONFIG");
    const QString dockerFile
        = (docker.isEmpty() ? QDir::homePath() + QStringLiteral("/.docker") : docker) + QStringLiteral("/config.json");
    files << dockerFile;
    const bool hub = host == u"docker.io" || host == u"index.docker.io" || host == u"registry-1.docker.io";
    QStringList keys { host, QStringLiteral("https://") + host, QStringLiteral("http://") + host,
        QStringLiteral("https://%1/v1/").arg(host), QStringLiteral("https://%1/v2/").arg(host) };
    if (hub)
        keys << QStringLiteral("https://index.docker.io/v1/") << QStringLiteral("docker.io");
    for (const QString &file : std::as_const(files)) {
        const QJsonObject o = readJsonFile(file);
        const bool dockers = file == dockerFile;
        // Docker asks its helpers for the hub by the old index's address, and keys credHelpers so
        // (docker/cli, cli/config/configfile/file.go: GetAuthConfig, getAuthConfigKey);
        // containers/image by the registry's name (pkg/docker/config/config.go:
        // findCredentialsInFile, getCredsFromCredHelper).
        const QString server = dockers && hub ? QStringLiteral("https://index.docker.io/v1/")
            : hub                             ? QStringLiteral("docker.io")
                                              : host;
        // A credHelpers entry for the registry comes before the file's "auths" in both tools;
        // credsStore, the default helper, is Docker's alone (getConfiguredCredentialStore), and
        // when set Docker reads no "auths" field beside it (GetCredentialsStore).
        QString helper = o.value(QStringLiteral("credHelpers")).toObject().value(server).toString();
        QString named = QStringLiteral("credHelpers in %1").arg(file);
        if (helper.isEmpty() && dockers) {
            helper = o.value(QStringLiteral("credsStore")).toString();
            named = QStringLiteral("credsStore in %1").arg(file);
        }
        if (!helper.isEmpty()) {
            std::optional<Credentials> found = askHelper(helper, server, named, helperMilliseconds, &why);
            if (found || !why.isEmpty())
                return found;
            // Nothing stored there: podman goes on to the next file (getCredentialsWithHomeDir);
            // Docker's file is the last, and Docker is then anonymous too.
            continue;
        }
        const QJsonObject auths = o.value(QStringLiteral("auths")).toObject();
        for (const QString &key : std::as_const(keys)) {
            const QJsonObject entry = auths.value(key).toObject();
            const QByteArray auth = entry.value(QStringLiteral("auth")).toString().toLatin1();
            const QByteArray plain = QByteArray::fromBase64(auth);
            const qsizetype colon = plain.indexOf(':');
            // An identity token beside the user name `docker login` keeps it with: it is what
            // goes to the token service (containers/image, pkg/docker/config: IdentityToken).
            if (const QString identity = entry.value(QStringLiteral("identitytoken")).toString(); !identity.isEmpty())
                return Credentials { colon > 0 ? plain.left(colon) : QByteArray(), {}, identity.toUtf8(), file };
            if (auth.isEmpty() || colon <= 0)
                continue;
            return Credentials { plain.left(colon), plain.mid(colon + 1), {}, file };
        }
    }
    return std::nullopt;
}

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

const http::TlsExtras *Client::tlsExtras(QString *error) const
{
    if (!m_tlsLooked) {
        m_tlsLooked = true;
        m_tlsFolder = certificateFolderFor(m_ref.host);
        if (!m_tlsFolder.isEmpty())
            readCertificateFolder(m_tlsFolder, &m_tls, &m_tlsError);
    }
    *error = m_tlsError;
    return m_tlsFolder.isEmpty() ? nullptr : &m_tls;
}

QString Client::certificateFolderNamed() const
{
    return m_tlsFolder.isEmpty() ? QDir::homePath() + QStringLiteral("/.config/containers/certs.d/") + m_ref.host
                                 : m_tlsFolder;
}

QString Client::clientCertificateHint(const QString &tlsError) const
{
    if (!tlsError.contains(u"certificate required"))
        return {};
    return QStringLiteral(" (the registry asks for a client certificate: NAME.cert with its NAME.key in %1)")
        .arg(certificateFolderNamed());
}

QString certificateFolderFor(const QString &host)
{
    // A host that could name another folder ("..", a slash) names none.
    if (host.isEmpty() || host.contains(u'/') || host.startsWith(u'.'))
        return {};
    const QStringList bases { QDir::homePath() + QStringLiteral("/.config/containers/certs.d"),
        QStringLiteral("/etc/containers/certs.d"), QStringLiteral("/etc/docker/certs.d") };
    for (const QString &base : bases) {
        const QString folder = base + u'/' + host;
        if (QFileInfo(folder).isDir())
            return folder;
    }
    return {};
}

bool readCertificateFolder(const QString &folder, http::TlsExtras *extras, QString *error)
{
    *extras = {};
    const QDir dir(folder);
    const QStringList files = dir.entryList(QDir::Files | QDir::Readable, QDir::Name);
    for (const QString &f : files) {
        if (f.endsWith(u".crt")) {
            extras->authorities << dir.filePath(f);
        } else if (f.endsWith(u".cert")) {
            const QString key = f.chopped(5) + QStringLiteral(".key");
            if (!files.contains(key)) {
                *error = QStringLiteral("the client certificate %1 has no key %2 beside it").arg(dir.filePath(f), key);
                return false;
            }
            if (extras->certificate.isEmpty()) {
                extras->certificate = dir.filePath(f);
                extras->key = dir.filePath(key);
            }
        } else if (f.endsWith(u".key") && !files.contains(f.chopped(4) + QStringLiteral(".cert"))) {
            *error = QStringLiteral("the key %1 has no client certificate %2 beside it")
                         .arg(dir.filePath(f), f.chopped(4) + QStringLiteral(".cert"));
            return false;
        }
    }
    return true;
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
        if ((answer->status == 429 || answer->status >= 500) && retries < kMaxRetries) {
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
