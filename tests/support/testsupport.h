// SPDX-License-Identifier: MIT
// Small helpers shared by the tests.
#pragma once

#include <QDir>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>
#include <QTest>

namespace lamina::test {

inline QString corpus(const QString &name = {})
{
    const QString dir = QStringLiteral(LAMINA_CORPUS_DIR);
    return name.isEmpty() ? dir : dir + u'/' + name;
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

} // namespace lamina::test
