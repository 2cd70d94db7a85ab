// SPDX-License-Identifier: MIT
// Indexing a folder (an OCI image layout, or an unpacked docker archive) as if it were a tar.
#include "archive/builder_p.h"
#include "util/checkedsize.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>

#include "util/limits.h"
#include "util/sha256.h"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lamina {

using limits::kMaxArchiveMembers;

namespace {

QByteArray readSmallFile(const QString &path, qint64 max)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly) || f.size() > max)
        return {};
    return f.read(max);
}

} // namespace

/// containers-image's "dir:" transport (skopeo copy … dir:PATH, which podman loads): manifest.json
/// is the image's registry manifest (or list), each blob is a file named by its hex digest (a
/// list's manifests "<hex>.manifest.json"), and "version" says "Directory Transport Version: 1.x".
/// Presented as the OCI layout it amounts to, so that every view and check reads it as one.
void Archive::Builder::presentDirectoryTransport(Archive &ar, QList<Member> &found)
{
    int manifest = -1, version = -1;
    for (int i = 0; i < found.size(); ++i) {
        if (found.at(i).path == u"manifest.json" && found.at(i).type == MemberType::File)
            manifest = i;
        else if (found.at(i).path == u"version" && found.at(i).type == MemberType::File)
            version = i;
        else if (found.at(i).path == u"oci-layout" || found.at(i).path == u"index.json" || found.at(i).path == u"blobs")
            return; // a real layout
    }
    if (manifest < 0 || version < 0
        || !readSmallFile(ar.m_path + QStringLiteral("/version"), 4096).startsWith("Directory Transport Version: 1."))
        return;
    const QByteArray bytes
        = readSmallFile(ar.m_path + QStringLiteral("/manifest.json"), limits::kMaxMetadataMemberSize);
    const QJsonObject top = QJsonDocument::fromJson(bytes).object();
    if (bytes.isEmpty() || top.isEmpty())
        return;
    ar.m_directoryTransport = true;
    static const QRegularExpression blob(QStringLiteral("^([0-9a-f]{64})(\\.manifest\\.json)?$"));
    for (Member &m : found) {
        if (m.type != MemberType::File)
            continue;
        const auto match = blob.match(m.path);
        if (match.hasMatch() || &m == &found[manifest]) {
            m.storedPath = m.path;
            m.path
                = QStringLiteral("blobs/sha256/") + (match.hasMatch() ? match.captured(1) : Sha256::of(bytes).mid(7));
        }
    }
    QString mediaType = top.value(QStringLiteral("mediaType")).toString();
    if (mediaType.isEmpty())
        mediaType = top.contains(QStringLiteral("manifests"))
            ? QStringLiteral("application/vnd.oci.image.index.v1+json")
            : QStringLiteral("application/vnd.oci.image.manifest.v1+json");
    const QJsonObject descriptor { { QStringLiteral("mediaType"), mediaType },
        { QStringLiteral("digest"), Sha256::of(bytes) }, { QStringLiteral("size"), double(bytes.size()) } };
    auto madeUp = [&](const QString &path, const QByteArray &content) {
        Member m;
        m.path = path;
        m.size = content.size();
        m.mode = 0444;
        m.content = content;
        m.head = content.left(512);
        m.captured = true;
        found.append(std::move(m));
    };
    madeUp(QStringLiteral("oci-layout"), QByteArrayLiteral("{\"imageLayoutVersion\":\"1.0.0\"}"));
    madeUp(QStringLiteral("index.json"),
        QJsonDocument(QJsonObject { { QStringLiteral("schemaVersion"), 2 },
                          { QStringLiteral("manifests"), QJsonArray { descriptor } } })
            .toJson(QJsonDocument::Compact));
}

Archive::OpenResult Archive::Builder::indexDir(const QString &path, const Progress &progress, const Deferred &deferred)
{
    OpenResult result;
    std::shared_ptr<Archive> ar(new Archive);
    ar->m_path = QFileInfo(path).absoluteFilePath();
    ar->m_container = Container::Directory;
    ar->m_compression = Compression::None;

    // Links are listed as links and never followed on the host: resolve() walks them inside the
    // folder, so a link cannot lead the reader outside it. Each folder is read whole and closed
    // before the next: one descriptor at a time however deep, and a folder that cannot be listed
    // is said (not taken for an empty one).
    QList<Member> found;
    QStringList pending { QString() };
    bool full = false;
    while (!pending.isEmpty() && !full) {
        if (progress.cancelled()) {
            ar->m_cancelled = true;
            break;
        }
        const QString rel = pending.takeLast();
        const QString dirPath = rel.isEmpty() ? ar->m_path : ar->m_path + u'/' + rel;
        DIR *d = ::opendir(QFile::encodeName(dirPath).constData());
        if (!d) {
            ar->m_problems.append(
                QStringLiteral("%1: cannot list the folder: %2")
                    .arg(rel.isEmpty() ? QStringLiteral(".") : rel, QString::fromLocal8Bit(strerror(errno))));
            continue;
        }
        QList<QByteArray> names;
        errno = 0;
        while (struct dirent *e = ::readdir(d)) {
            if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
                names << QByteArray(e->d_name);
            errno = 0;
        }
        if (errno != 0)
            ar->m_problems.append(
                QStringLiteral("%1: the folder could not be listed to its end: %2")
                    .arg(rel.isEmpty() ? QStringLiteral(".") : rel, QString::fromLocal8Bit(strerror(errno))));
        ::closedir(d);
        for (const QByteArray &name : std::as_const(names)) {
            if (found.size() >= kMaxArchiveMembers) {
                ar->m_problems.append(QStringLiteral(
                    "the folder holds more than %1 entries (the member count limit); the rest were not listed")
                                          .arg(kMaxArchiveMembers));
                full = true;
                break;
            }
            const QString relName = rel.isEmpty() ? QFile::decodeName(name) : rel + u'/' + QFile::decodeName(name);
            const QByteArray native = QFile::encodeName(ar->m_path + u'/' + relName);
            struct stat st;
            if (::lstat(native.constData(), &st) != 0) {
                ar->m_problems.append(
                    QStringLiteral("%1: cannot be read: %2").arg(relName, QString::fromLocal8Bit(strerror(errno))));
                continue;
            }
            Member m;
            m.path = relName;
            m.mode = st.st_mode & 07777;
            m.mtime = st.st_mtime;
            if (S_ISREG(st.st_mode)) {
                m.type = MemberType::File;
                m.size = st.st_size;
            } else if (S_ISDIR(st.st_mode)) {
                m.type = MemberType::Directory;
                pending.append(relName);
            } else if (S_ISLNK(st.st_mode)) {
                m.type = MemberType::Symlink;
                QByteArray buf(4096, Qt::Uninitialized);
                const ssize_t n = ::readlink(native.constData(), buf.data(), size_t(buf.size()));
                if (n > 0)
                    m.linkTarget = QFile::decodeName(buf.left(int(n)));
            } else {
                m.type = MemberType::Other;
            }
            ar->m_fileSize = addSizes(ar->m_fileSize, m.size);
            found.append(std::move(m));
        }
    }
    presentDirectoryTransport(*ar, found);
    QSet<QString> toFetch;
    if (!deferred.members.isEmpty() && !ar->m_cancelled) {
        // What the folder will hold once fetched; a member already there (a blob the cache had)
        // is read as it is.
        QHash<QString, const DeferredMember *> wanted;
        for (const DeferredMember &d : deferred.members)
            if (d.size >= 0)
                wanted.insert(d.path, &d);
        ar->m_remote = deferred.source;
        for (Member &m : found)
            if (const DeferredMember *d = wanted.take(m.path); d && m.type == MemberType::File && m.size == d->size)
                m.remote = true; // fetched before (a blob the cache had): here, and named by its digest
        for (const DeferredMember *d : std::as_const(wanted)) {
            Member m;
            m.path = d->path;
            m.size = d->size;
            m.mode = 0444;
            m.remote = true;
            m.headCompression = d->claimed;
            ar->m_fileSize = addSizes(ar->m_fileSize, m.size);
            toFetch.insert(m.path);
            found.append(std::move(m));
        }
    }
    // A stable, name-sorted order, like a tar written with --sort=name.
    std::sort(found.begin(), found.end(), [](const Member &a, const Member &b) { return a.path < b.path; });
    for (Member &m : found) {
        // A remote member the folder holds already is fetched; the others are still to be.
        if (m.remote && !toFetch.contains(m.path))
            ar->m_fetches.insert(int(ar->m_members.size()), Fetch::Here);
        else if (m.remote) {
            ++ar->m_deferredLeft;
            ar->m_deferredBytes = addSizes(ar->m_deferredBytes, m.size);
        }
        addMember(*ar, std::move(m));
    }
    result.archive = std::move(ar);
    return result;
}

} // namespace lamina
