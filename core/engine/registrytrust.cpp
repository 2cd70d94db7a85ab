// SPDX-License-Identifier: MIT
// docs/engines.md, "Registries": what Lamina presents to a registry and whom it trusts there,
// read where the container tools keep them (auth files, credential helpers, certs.d folders).
#include "engine/registryclient_p.h"

#include "engine/httpexchange_p.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>

namespace lamina::registry {

namespace {

QJsonObject readJsonFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly) || f.size() > (4 << 20))
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
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

} // namespace lamina::registry
