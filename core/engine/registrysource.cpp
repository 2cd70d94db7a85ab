// SPDX-License-Identifier: MIT
// docs/engines.md, "Registries": an image pulled over the OCI distribution API into an image
// layout folder of Lamina's cache.
#include "engine/registrysource.h"

#include "archive/archive.h"
#include "engine/enginesource.h"
#include "engine/registryblob_p.h"
#include "engine/registryblobs_p.h"
#include "engine/registryclient_p.h"
#include "util/sha256.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QUrlQuery>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace lamina {

namespace registry {

bool validDigest(const QString &digest)
{
    static const QRegularExpression sha256(QStringLiteral("^sha256:[a-f0-9]{64}\\z"));
    return sha256.match(digest).hasMatch();
}

std::optional<Blob> blobOf(const QJsonValue &value, QString *error)
{
    const QJsonObject o = value.toObject();
    if (o.isEmpty()) {
        *error = QStringLiteral("the manifest lacks a descriptor (a config or a layer) it must have");
        return std::nullopt;
    }
    Blob b;
    b.mediaType = o.value(QStringLiteral("mediaType")).toString();
    b.digest = o.value(QStringLiteral("digest")).toString();
    b.size = o.value(QStringLiteral("size")).toInteger(-1);
    if (!validDigest(b.digest)) {
        *error
            = QStringLiteral("the manifest names a blob by \"%1\", which is no sha256 digest").arg(b.digest.left(80));
        return std::nullopt;
    }
    if (b.size < 0) {
        *error = QStringLiteral("the manifest gives blob %1 no size").arg(b.digest);
        return std::nullopt;
    }
    return b;
}

QJsonObject readJson(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly) || f.size() > kMaxManifestBytes)
        return {};
    return QJsonDocument::fromJson(f.readAll()).object();
}

} // namespace registry

using namespace registry;

namespace {

const QString kScheme = QStringLiteral("registry://");
/// What a pull leaves in its folder, so that only such folders are ever removed as a whole.
const QString kMark = QStringLiteral(".lamina-pull");
QString cacheBase()
{
    QString base = qEnvironmentVariable("XDG_CACHE_HOME");
    if (base.isEmpty() || !QDir::isAbsolutePath(base))
        base = QDir::homePath() + QStringLiteral("/.cache");
    return base + QStringLiteral("/lamina");
}

/// This machine's platform as image indexes name it (the Go names).
QString hostPlatform()
{
    const QString cpu = QSysInfo::currentCpuArchitecture();
    const QString arch = cpu == u"x86_64"        ? QStringLiteral("amd64")
        : cpu == u"i386"                         ? QStringLiteral("386")
        : cpu == u"arm64"                        ? QStringLiteral("arm64")
        : cpu.startsWith(u"arm")                 ? QStringLiteral("arm")
        : cpu == u"power64" || cpu == u"ppc64le" ? QStringLiteral("ppc64le")
                                                 : cpu;
    return QStringLiteral("linux/") + arch;
}

QString platformOf(const QJsonObject &descriptor)
{
    const QJsonObject p = descriptor.value(QStringLiteral("platform")).toObject();
    QString text = p.value(QStringLiteral("os")).toString() + u'/' + p.value(QStringLiteral("architecture")).toString();
    if (const QString variant = p.value(QStringLiteral("variant")).toString(); !variant.isEmpty())
        text += u'/' + variant;
    return text;
}

/// Whether `platform` can be named by `?platform=`: OS/ARCH[/VARIANT] in lower case.
bool nameablePlatform(const QString &platform)
{
    static const QRegularExpression re(QStringLiteral("^[a-z0-9]+/[a-z0-9_]+(?:/[a-z0-9]+)?\\z"));
    return re.match(platform).hasMatch();
}

/// Whether an index's platform `offered` is what `wanted` names ("linux/arm64" takes any arm64
/// variant, "linux/arm/v7" only v7).
bool platformMatches(const QString &offered, const QString &wanted)
{
    if (offered == wanted)
        return true;
    const QStringList o = offered.split(u'/'), w = wanted.split(u'/');
    return w.size() == 2 && o.size() == 3 && o.at(0) == w.at(0) && o.at(1) == w.at(1);
}

void removeStalePulls(const QString &folder)
{
    const QDateTime dayAgo = QDateTime::currentDateTimeUtc().addDays(-1);
    const QFileInfoList old
        = QDir(folder).entryInfoList({ QStringLiteral("pull-*") }, QDir::Dirs | QDir::Hidden | QDir::NoSymLinks);
    for (const QFileInfo &f : old) {
        if (f.lastModified().toUTC() >= dayAgo)
            continue;
        // A pull another Lamina still reads holds a shared lock on its mark (holdPulledLayout).
        const int fd = ::open(QFile::encodeName(f.filePath() + u'/' + kMark).constData(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0)
            removePulledLayout(f.filePath());
        ::close(fd);
    }
}

class Pull
{
public:
    Pull(const RegistryReference &ref, const RegistryOptions &options, const Progress &progress)
        : ref(ref)
        , options(options)
        , progress(progress)
        , client(ref, options, progress)
    {
    }

    RegistryPulled run(const QString &folder);
    RegistryPlatforms platforms();

private:
    bool fetchManifest(const QString &reference, const QString &expectedDigest, QByteArray *bytes, QString *mediaType,
        QString *digest);
    QString fail(const QString &why) { return error = QStringLiteral("%1: %2").arg(ref.text(), why); }

    const RegistryReference &ref;
    const RegistryOptions &options;
    const Progress &progress;
    Client client;
    QString error;
    RegistryPulled pulled;
};

bool Pull::fetchManifest(
    const QString &reference, const QString &expectedDigest, QByteArray *bytes, QString *mediaType, QString *digest)
{
    const QByteArray accept
        = (QStringList { kOciIndex, kDockerList, kOciManifest, kDockerManifest }.join(u", ")).toLatin1();
    Sha256 hash;
    registry::Answer answer;
    const bool ok = client.get(
        QStringLiteral("/v2/%1/manifests/%2").arg(ref.repository, reference), accept, kMaxManifestBytes, -1,
        [&](const char *data, qint64 n) {
            bytes->append(data, n);
            hash.add(data, n);
            return true;
        },
        &answer);
    if (!ok) {
        fail(answer.error);
        return false;
    }
    *digest = hash.finish();
    if (!expectedDigest.isEmpty() && *digest != expectedDigest) {
        fail(QStringLiteral("the registry sent manifest %1 whose bytes hash to %2").arg(expectedDigest, *digest));
        return false;
    }
    const QJsonObject o = QJsonDocument::fromJson(*bytes).object();
    *mediaType = o.value(QStringLiteral("mediaType")).toString();
    if (mediaType->isEmpty())
        *mediaType = QString::fromLatin1(answer.contentType.split(';').constFirst().trimmed());
    if (mediaType->isEmpty() && o.contains(QStringLiteral("manifests")))
        *mediaType = kOciIndex;
    if (o.isEmpty()) {
        fail(QStringLiteral("the registry's manifest %1 is not a JSON object").arg(reference));
        return false;
    }
    if (o.value(QStringLiteral("schemaVersion")).toInt() == 1) {
        fail(QStringLiteral("the registry has only a schema 1 manifest for it, which Lamina does not read"));
        return false;
    }
    return true;
}

bool writeFile(const QString &path, const QByteArray &bytes)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size() && f.flush();
}

RegistryPlatforms Pull::platforms()
{
    RegistryPlatforms out;
    out.hostPlatform = hostPlatform();
    QByteArray top;
    QString type, digest;
    if (!fetchManifest(ref.digest.isEmpty() ? ref.tag : ref.digest, ref.digest, &top, &type, &digest)) {
        out.error = error;
        return out;
    }
    out.list = type == kOciIndex || type == kDockerList;
    if (out.list)
        for (const QJsonValue &m : QJsonDocument::fromJson(top).object().value(QStringLiteral("manifests")).toArray())
            // Not an attestation's "unknown/unknown", nor what ?platform= cannot name.
            if (const QString p = platformOf(m.toObject());
                nameablePlatform(p) && p != u"unknown/unknown" && !out.platforms.contains(p))
                out.platforms << p;
    return out;
}

RegistryPulled Pull::run(const QString &folder)
{
    const QString blobs = blobFolderOf(options);
    QByteArray top;
    QString topType, topDigest;
    if (!fetchManifest(ref.digest.isEmpty() ? ref.tag : ref.digest, ref.digest, &top, &topType, &topDigest)) {
        pulled.error = error;
        return pulled;
    }
    QByteArray manifest = top;
    QString manifestType = topType, manifestDigest = topDigest;
    QString chosen;
    if (topType == kOciIndex || topType == kDockerList) {
        // A multi-platform list: the platform asked for, else this machine's.
        const QString wanted = ref.platform.isEmpty() ? hostPlatform() : ref.platform;
        const QJsonArray manifests = QJsonDocument::fromJson(top).object().value(QStringLiteral("manifests")).toArray();
        QStringList offered;
        QString digest;
        for (const QJsonValue &m : manifests) {
            const QString p = platformOf(m.toObject());
            offered << p;
            if (digest.isEmpty() && platformMatches(p, wanted))
                digest = m.toObject().value(QStringLiteral("digest")).toString();
        }
        if (digest.isEmpty()) {
            pulled.error
                = fail(QStringLiteral("the list has no image for %1; it has %2 (name one with ?platform=OS/ARCH)")
                           .arg(wanted, offered.isEmpty() ? QStringLiteral("none") : offered.join(u", ")));
            return pulled;
        }
        if (!validDigest(digest)) {
            pulled.error = fail(QStringLiteral("the list names %1's manifest by \"%2\", which is no sha256 digest")
                                    .arg(wanted, digest.left(80)));
            return pulled;
        }
        manifest.clear();
        if (!fetchManifest(digest, digest, &manifest, &manifestType, &manifestDigest)) {
            pulled.error = error;
            return pulled;
        }
        if (manifestType == kOciIndex || manifestType == kDockerList) {
            pulled.error = fail(QStringLiteral("the list's image for %1 is a list again").arg(wanted));
            return pulled;
        }
        chosen = QStringLiteral("%1 of a list of %2 platforms").arg(wanted).arg(offered.size());
    }
    const QJsonObject m = QJsonDocument::fromJson(manifest).object();
    QString why;
    const std::optional<Blob> config = blobOf(m.value(QStringLiteral("config")), &why);
    if (!config) {
        pulled.error = fail(why);
        return pulled;
    }
    if (config->size > kMaxConfigBytes) {
        pulled.error = fail(QStringLiteral("the config is %1 bytes, more than the %2 Lamina reads")
                                .arg(config->size)
                                .arg(kMaxConfigBytes));
        return pulled;
    }
    QList<Blob> layers;
    qint64 total = config->size;
    for (const QJsonValue &l : m.value(QStringLiteral("layers")).toArray()) {
        const std::optional<Blob> layer = blobOf(l, &why);
        if (!layer) {
            pulled.error = fail(why);
            return pulled;
        }
        layers << *layer;
        total += layer->size;
    }

    qint64 done = 0;
    progress.update(0, total);
    QList<Blob> all = layers;
    all.prepend(*config);

    // The layout: the manifest as the registry sent it (its digest is the image's), named by
    // the tag in index.json; its blobs linked from the cache as each is had, so that no layer is
    // copied and a cache trimmed meanwhile by another Lamina takes none away.
    if (!QDir().mkpath(folder)) {
        pulled.error = fail(QStringLiteral("cannot make the folder %1").arg(folder));
        return pulled;
    }
    removeStalePulls(folder);
    QTemporaryDir layout(folder + QStringLiteral("/pull-XXXXXX"));
    if (!layout.isValid()) {
        pulled.error = fail(QStringLiteral("cannot make a folder in %1: %2").arg(folder, layout.errorString()));
        return pulled;
    }
    const QString dir = layout.path();
    QJsonObject descriptor { { QStringLiteral("mediaType"), manifestType.isEmpty() ? kOciManifest : manifestType },
        { QStringLiteral("digest"), manifestDigest }, { QStringLiteral("size"), manifest.size() } };
    if (ref.digest.isEmpty())
        descriptor.insert(QStringLiteral("annotations"),
            QJsonObject { { QStringLiteral("org.opencontainers.image.ref.name"), ref.tag } });
    const QJsonObject index { { QStringLiteral("schemaVersion"), 2 }, { QStringLiteral("mediaType"), kOciIndex },
        { QStringLiteral("manifests"), QJsonArray { descriptor } } };
    bool ok = writeFile(dir + u'/' + kMark, ref.text().toUtf8() + '\n')
        && writeFile(dir + QStringLiteral("/oci-layout"), R"({"imageLayoutVersion":"1.0.0"})")
        && writeFile(dir + QStringLiteral("/index.json"), QJsonDocument(index).toJson(QJsonDocument::Compact))
        && QDir().mkpath(dir + QStringLiteral("/blobs/sha256"))
        && writeFile(dir + QStringLiteral("/blobs/sha256/") + manifestDigest.mid(7), manifest);
    if (!ok) {
        pulled.error = fail(QStringLiteral("cannot lay the image out in %1").arg(dir));
        return pulled;
    }
    Fetched fetched;
    for (const Blob &b : std::as_const(all)) {
        const QString to = dir + QStringLiteral("/blobs/sha256/") + b.digest.mid(7);
        if (options.deferLayers && &b != &all.constFirst()) {
            // A layer: linked when the cache has it, else left for the archive to fetch when
            // something reads it. The config is read at once by every view.
            if (QFileInfo::exists(to)) {
                continue;
            } else if (linkCached(b, blobs, to)) {
                ++fetched.fromCache;
            } else {
                DeferredMember d;
                d.path = QStringLiteral("blobs/sha256/") + b.digest.mid(7);
                d.size = b.size;
                d.claimed = compressionClaimedBy(b.mediaType);
                pulled.deferred.members.append(d);
            }
            continue;
        }
        QString why;
        if (!fetchBlob(client, ref, b, blobs, to, progress, &done, total, &fetched, &why)) {
            pulled.error = fail(progress.cancelled() ? QStringLiteral("cancelled") : why);
            return pulled;
        }
    }
    pulled.blobsFetched = fetched.fromNetwork;
    pulled.blobsFromCache = fetched.fromCache;
    pulled.bytesFetched = fetched.bytes;
    if (!pulled.deferred.members.isEmpty())
        pulled.deferred.source = registryBlobs(ref, options);
    trimBlobs(blobs,
        options.blobCacheBytes >= 0 ? options.blobCacheBytes : bytesFromEnvironment("LAMINA_BLOB_CACHE_MB", 4096));
    layout.setAutoRemove(false);
    pulled.folder = dir;
    pulled.how = QStringLiteral("pulled from the registry at %1 over %2%3")
                     .arg(ref.host, client.transport(), chosen.isEmpty() ? QString() : u": " + chosen);
    if (!pulled.deferred.members.isEmpty())
        pulled.how += QStringLiteral("; %1 of its %2 layers are fetched when first read")
                          .arg(pulled.deferred.members.size())
                          .arg(layers.size());
    return pulled;
}

} // namespace

QString RegistryReference::text() const
{
    QString t = kScheme + host + u'/' + repository;
    if (!tag.isEmpty() && (digest.isEmpty() || tag != u"latest"))
        t += u':' + tag;
    if (!digest.isEmpty())
        t += u'@' + digest;
    if (!platform.isEmpty())
        t += QStringLiteral("?platform=") + platform;
    return t;
}

QString RegistryReference::hostName() const
{
    if (host.startsWith(u'[')) // [::1]:5000
        return host.mid(1, host.indexOf(u']') - 1);
    const qsizetype colon = host.lastIndexOf(u':');
    return colon < 0 ? host : host.left(colon);
}

int RegistryReference::port() const
{
    const qsizetype close = host.lastIndexOf(u']');
    const qsizetype colon = host.lastIndexOf(u':');
    if (colon < 0 || colon < close)
        return 443;
    return host.mid(colon + 1).toInt();
}

std::optional<RegistryReference> parseRegistryReference(const QString &text)
{
    if (!text.startsWith(kScheme))
        return std::nullopt;
    QString name = text.mid(kScheme.size());
    RegistryReference ref;
    if (const qsizetype q = name.indexOf(u'?'); q >= 0) {
        const QString query = name.mid(q + 1);
        name.truncate(q);
        if (!query.startsWith(u"platform=") || !nameablePlatform(query.mid(9)))
            return std::nullopt;
        ref.platform = query.mid(9);
    }
    if (const qsizetype at = name.indexOf(u'@'); at >= 0) {
        ref.digest = name.mid(at + 1);
        name.truncate(at);
        if (!validDigest(ref.digest))
            return std::nullopt;
    }
    const qsizetype slash = name.indexOf(u'/');
    const QString first = slash < 0 ? QString() : name.left(slash);
    if (!first.isEmpty() && (first.contains(u'.') || first.contains(u':') || first == u"localhost")) {
        ref.host = first;
        name = name.mid(slash + 1);
    } else {
        ref.host = QStringLiteral("docker.io");
    }
    const qsizetype colon = name.lastIndexOf(u':');
    if (colon >= 0 && colon > name.lastIndexOf(u'/')) {
        ref.tag = name.mid(colon + 1);
        name.truncate(colon);
        if (ref.tag.isEmpty())
            return std::nullopt;
    }
    if (ref.host == u"docker.io" && !name.contains(u'/'))
        name.prepend(QStringLiteral("library/"));
    ref.repository = name;
    static const QRegularExpression host(QStringLiteral(
        R"(^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?\z)"));
    static const QRegularExpression repository(
        QStringLiteral(R"(^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*\z)"));
    static const QRegularExpression tag(QStringLiteral(R"(^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}\z)"));
    if (!host.match(ref.host).hasMatch() || !repository.match(ref.repository).hasMatch() || ref.repository.size() > 255
        || (!ref.tag.isEmpty() && !tag.match(ref.tag).hasMatch()) || ref.port() <= 0 || ref.port() > 65535)
        return std::nullopt;
    if (ref.tag.isEmpty() && ref.digest.isEmpty())
        ref.tag = QStringLiteral("latest");
    return ref;
}

RegistryPulled pullFromRegistry(
    const RegistryReference &ref, const QString &folder, const RegistryOptions &options, const Progress &progress)
{
    return Pull(ref, options, progress).run(folder);
}

RegistryPlatforms registryPlatforms(
    const RegistryReference &ref, const RegistryOptions &options, const Progress &progress)
{
    return Pull(ref, options, progress).platforms();
}

QString registryCacheFolder()
{
    return cacheBase() + QStringLiteral("/registry");
}

QString registryBlobFolder()
{
    return cacheBase() + QStringLiteral("/blobs");
}

bool removePulledLayout(const QString &folder)
{
    if (!QFileInfo(folder + u'/' + kMark).isFile() || QFileInfo(folder).isSymLink())
        return false;
    return QDir(folder).removeRecursively();
}

std::function<void()> holdPulledLayout(const QString &folder)
{
    const int fd = ::open(QFile::encodeName(folder + u'/' + kMark).constData(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0)
        ::flock(fd, LOCK_SH | LOCK_NB);
    return [folder, fd] {
        if (fd >= 0)
            ::close(fd);
        removePulledLayout(folder);
    };
}

bool isImageReference(const QString &text)
{
    return parseEngineReference(text) || parseRegistryReference(text);
}

} // namespace lamina
