// SPDX-License-Identifier: MIT
// Small helpers shared by the tests.
#pragma once

#include "util/sha256.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <unistd.h>

namespace lamina::test {

inline QString corpus(const QString &name = {})
{
    const QString dir = QStringLiteral(LAMINA_CORPUS_DIR);
    return name.isEmpty() ? dir : dir + u'/' + name;
}

/// The first `bytes` bytes of `source` written to `target`: an archive cut short, as an
/// interrupted copy leaves it.
inline bool writeCut(const QString &source, const QString &target, qint64 bytes)
{
    QFile whole(source);
    QFile out(target);
    return whole.open(QIODevice::ReadOnly) && out.open(QIODevice::WriteOnly) && out.write(whole.read(bytes)) == bytes;
}

inline QString source(const QString &relative)
{
    return QStringLiteral(LAMINA_SOURCE_DIR "/") + relative;
}

/// Runs a Python script (the fixture generators are Python, independent of Lamina's code).
/// Returns its exit code; output goes to `output`.
inline int runPython(const QStringList &args, QString *output = nullptr, int timeoutMs = 120000)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(QStringLiteral("python3"), args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        if (output)
            *output = QStringLiteral("timed out");
        return -1;
    }
    if (output)
        *output = QString::fromUtf8(p.readAll());
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

/// Makes a self-signed certificate for 127.0.0.1 and its key in `dir` (cert.pem, key.pem), for a
/// test's own TLS server; false when openssl failed.
inline bool selfSignedCertificate(const QDir &dir, QString *cert, QString *key)
{
    *cert = dir.filePath(QStringLiteral("cert.pem"));
    *key = dir.filePath(QStringLiteral("key.pem"));
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"),
        { QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"), QStringLiteral("rsa:2048"),
            QStringLiteral("-nodes"), QStringLiteral("-keyout"), *key, QStringLiteral("-out"), *cert,
            QStringLiteral("-days"), QStringLiteral("2"), QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1"),
            QStringLiteral("-addext"), QStringLiteral("subjectAltName=IP:127.0.0.1") });
    return openssl.waitForFinished(60000) && openssl.exitStatus() == QProcess::NormalExit && openssl.exitCode() == 0;
}

/// `source` gzip'd as a whole into `target` (as `gzip -n`: no name or time in the header).
inline bool gzipWhole(const QString &source, const QString &target)
{
    QProcess gzip;
    gzip.setStandardOutputFile(target);
    gzip.start(QStringLiteral("gzip"), { QStringLiteral("-n"), QStringLiteral("-c"), source });
    return gzip.waitForFinished() && gzip.exitStatus() == QProcess::NormalExit && gzip.exitCode() == 0;
}

/// Writes a small tar with Python's tarfile from a Python snippet that gets `t` (an open
/// TarFile, PAX format) and `add(name, data=b"", type=None, link=None)`.
inline bool writeTar(const QString &path, const QString &body, QString *output = nullptr)
{
    const QString script = QStringLiteral("import io, sys, tarfile\n"
                                          "t = tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT)\n"
                                          "def add(name, data=b'', type=None, link=None):\n"
                                          "    ti = tarfile.TarInfo(name)\n"
                                          "    if type == 'sym': ti.type = tarfile.SYMTYPE; ti.linkname = link\n"
                                          "    elif type == 'hard': ti.type = tarfile.LNKTYPE; ti.linkname = link\n"
                                          "    elif type == 'dir': ti.type = tarfile.DIRTYPE\n"
                                          "    else: ti.size = len(data)\n"
                                          "    t.addfile(ti, io.BytesIO(data) if ti.isfile() else None)\n")
        + body + QStringLiteral("\nt.close()\n");
    return runPython({ QStringLiteral("-c"), script, path }, output) == 0;
}

/// A folder as sorted lines "path type size digest-or-target mode", paths relative to it: two
/// extractions compared by what they wrote.
inline QStringList folderListing(const QString &root)
{
    QStringList lines;
    QDirIterator it(
        root, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString p = it.next();
        struct stat st;
        if (::lstat(QFile::encodeName(p).constData(), &st) != 0)
            continue;
        QString what;
        if (S_ISLNK(st.st_mode)) {
            char target[4096];
            const ssize_t n = ::readlink(QFile::encodeName(p).constData(), target, sizeof target);
            what = QStringLiteral("link ") + QString::fromUtf8(target, n < 0 ? 0 : n);
        } else if (S_ISREG(st.st_mode)) {
            QFile f(p);
            Sha256 h;
            if (f.open(QIODevice::ReadOnly))
                while (!f.atEnd())
                    h.add(f.read(1 << 20));
            what = QStringLiteral("file %1 %2").arg(st.st_size).arg(h.finish());
        } else {
            what = S_ISDIR(st.st_mode) ? QStringLiteral("dir") : QStringLiteral("other");
        }
        lines << QStringLiteral("%1 %2 %3").arg(QDir(root).relativeFilePath(p), what).arg(st.st_mode & 07777, 0, 8);
    }
    lines.sort();
    return lines;
}

} // namespace lamina::test
