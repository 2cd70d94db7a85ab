// SPDX-License-Identifier: MIT
#include "archive/tarstream_p.h"

#include "util/textsniff.h"

#include <QFile>

#include <fcntl.h>
#include <sys/stat.h>

namespace lamina {

namespace {

/// What a file that is no archive looks like, from its first bytes: an empty file, text (shown,
/// for a user who opened the wrong file), or a zip, which people take for an archive of layers.
QString notAnArchive(const QByteArray &head)
{
    if (head.isEmpty())
        return QStringLiteral("the file is empty (0 bytes), not an image archive");
    if (head.startsWith("PK\x03\x04") || head.startsWith("PK\x05\x06"))
        return QStringLiteral("a zip archive, not a tar archive: image archives are tar files");
    const TextKind kind = sniffText(head, true);
    if (kind != TextKind::Binary) {
        QString start = decodeText(head.left(200), kind).section(u'\n', 0, 0).simplified();
        if (start.size() > 60)
            start = start.left(60) + u'…';
        return QStringLiteral("not a tar archive: it looks like text (it begins \u201c%1\u201d)").arg(start);
    }
    return QStringLiteral("not a tar archive (nor a gzip, zstd, xz or bzip2 compressed one)");
}

} // namespace

QString describeOpenError(const TarStream &s)
{
    const QString why = s.why();
    if (why.contains(u"nrecognized archive format"))
        return notAnArchive(s.head);
    return QStringLiteral("cannot read the archive: %1").arg(why);
}

QString notAFile(mode_t mode)
{
    if (S_ISFIFO(mode))
        return QStringLiteral(
            "a FIFO (named pipe), not a file: Lamina reads an archive more than once, which a pipe cannot "
            "give; save it to a file first");
    if (S_ISSOCK(mode))
        return QStringLiteral("a socket, not a file");
    if (S_ISCHR(mode))
        return QStringLiteral("a character device, not a file");
    if (S_ISBLK(mode))
        return QStringLiteral("a block device, not a file; copy the archive into a file first");
    return QStringLiteral("not a regular file or folder");
}

bool openSource(TarStream &s, const QString &path, QString *error)
{
    FileSource &src = s.src;
    // O_NONBLOCK: the path may have been replaced by a FIFO since it was looked at.
    src.fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (src.fd < 0) {
        *error = QStringLiteral("cannot open: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    struct stat st;
    if (::fstat(src.fd, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            *error = notAFile(st.st_mode);
            return false;
        }
        src.size = st.st_size;
    }
    QByteArray head(kHeadSize, Qt::Uninitialized);
    const ssize_t n = ::pread(src.fd, head.data(), size_t(head.size()), 0);
    head.truncate(n > 0 ? int(n) : 0);
    s.head = head;
    s.compression = sniffCompression(head);
    archive_read_support_format_tar(s.a);
    archive_read_support_format_gnutar(s.a);
    if (s.compression == Compression::None || s.compression == Compression::Unknown) {
        // Seeking past member data wants small reads (a big read-ahead would pull in the data the
        // seeks avoid).
        src.buffer.resize(16 * 1024);
        s.compression = Compression::None;
        archive_read_set_callback_data(s.a, &src);
        archive_read_set_read_callback(s.a, &FileSource::read);
        archive_read_set_skip_callback(s.a, &FileSource::skip);
        archive_read_set_seek_callback(s.a, &FileSource::seek);
    } else {
        s.inflater = std::make_unique<Inflater>();
        s.inflater->progress = src.progress;
        if (!s.inflater->open(&src, &FileSource::read)) {
            *error = QStringLiteral("cannot decompress the archive (%1): %2")
                         .arg(compressionName(s.compression), s.inflater->error());
            return false;
        }
        src.reportReads = false;
        s.ahead = std::make_unique<ReadAhead>(*s.inflater, [&src](qint64 compressed) { src.reportAt(compressed); });
        s.ahead->feed(s.a);
    }
    if (archive_read_open1(s.a) != ARCHIVE_OK) {
        *error = describeOpenError(s);
        return false;
    }
    return true;
}

QString entryPath(struct archive_entry *e)
{
    // Nearly every name is ASCII, the same bytes in any encoding: taken as they are, without
    // libarchive's conversion to UTF-8 (through wide characters, a sixth of opening a long chain).
    if (const char *p = archive_entry_pathname(e)) {
        const auto *bytes = reinterpret_cast<const unsigned char *>(p);
        qsizetype n = 0;
        while (bytes[n] && bytes[n] < 0x80)
            ++n;
        if (!bytes[n])
            return QString::fromLatin1(p, n);
    }
    if (const char *u = archive_entry_pathname_utf8(e))
        return QString::fromUtf8(u);
    if (const char *p = archive_entry_pathname(e))
        return QString::fromLocal8Bit(p);
    return {};
}

QString entryLink(struct archive_entry *e, bool hard)
{
    if (hard) {
        if (const char *u = archive_entry_hardlink_utf8(e))
            return QString::fromUtf8(u);
        if (const char *p = archive_entry_hardlink(e))
            return QString::fromLocal8Bit(p);
        return {};
    }
    if (const char *u = archive_entry_symlink_utf8(e))
        return QString::fromUtf8(u);
    if (const char *p = archive_entry_symlink(e))
        return QString::fromLocal8Bit(p);
    return {};
}

} // namespace lamina
