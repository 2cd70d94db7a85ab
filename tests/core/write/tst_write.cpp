// SPDX-License-Identifier: MIT
// core/write: the output writer (tar, compressed stream, folder; kernel copies) and the installs
// that never leave a half-written target.
#include "archive/archive.h"
#include "archive/memberreader.h"
#include "write/install.h"
#include "write/outputwriter.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <unistd.h>

using namespace lamina;

namespace {

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

/// What `tar -tvf` (GNU tar, independent of libarchive) lists.
QString tarListing(const QString &path)
{
    QProcess p;
    p.start(QStringLiteral("tar"), { QStringLiteral("--numeric-owner"), QStringLiteral("-tvf"), path });
    p.waitForFinished(60000);
    return QString::fromUtf8(p.readAllStandardOutput());
}

} // namespace

class TestWrite : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tarIsReproducibleAndReadable()
    {
        QTemporaryDir dir;
        QByteArray first;
        for (int run = 0; run < 2; ++run) {
            const QString path = dir.filePath(QStringLiteral("out-%1.tar").arg(run));
            QString error;
            const auto w = OutputWriter::tar(path, Compression::None, 1700000000, &error);
            QVERIFY2(w, qPrintable(error));
            QVERIFY(w->header(QStringLiteral("d/"), OutputWriter::Kind::Folder));
            QVERIFY(w->bytes(QStringLiteral("d/f"), "hello"));
            QVERIFY(w->header(QStringLiteral("d/l"), OutputWriter::Kind::Symlink, 0, QStringLiteral("f")));
            QVERIFY(w->finish(OutputWriter::Sync::Yes));
            if (run == 0)
                first = readAll(path);
            else
                QCOMPARE(readAll(path), first);
        }
        const QString listing = tarListing(dir.filePath(QStringLiteral("out-0.tar")));
        QVERIFY2(listing.contains(QStringLiteral("drwxr-xr-x 0/0")), qPrintable(listing));
        QVERIFY2(listing.contains(QRegularExpression(QStringLiteral("-rw-r--r-- 0/0 +5 2023-11-14 [0-9:]+ d/f"))),
            qPrintable(listing));
        QVERIFY2(listing.contains(QStringLiteral("d/l -> f")), qPrintable(listing));
    }

    void kernelCopyKeepsTheFraming()
    {
        // copyFrom() hands the bytes to the kernel while libarchive writes the header and padding.
        QTemporaryDir dir;
        const QString source = dir.filePath(QStringLiteral("source"));
        QByteArray content(3 * 1000 + 7, 'x');
        for (int i = 0; i < content.size(); ++i)
            content[i] = char('a' + i % 26);
        {
            QFile f(source);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("PREFIX");
            f.write(content);
        }
        const QString path = dir.filePath(QStringLiteral("out.tar"));
        QString error;
        const auto w = OutputWriter::tar(path, Compression::None, 1, &error);
        QVERIFY(w && w->canCopyRange());
        const int fd = ::open(QFile::encodeName(source).constData(), O_RDONLY | O_CLOEXEC);
        QVERIFY(fd >= 0);
        QVERIFY(w->header(QStringLiteral("copied"), OutputWriter::Kind::File, content.size()));
        QVERIFY(w->copyFrom(fd, 6, content.size()));
        ::close(fd);
        QVERIFY(w->bytes(QStringLiteral("after"), "z"));
        QVERIFY(w->finish(OutputWriter::Sync::No));
        QProcess tar;
        tar.start(QStringLiteral("tar"), { QStringLiteral("-xOf"), path, QStringLiteral("copied") });
        QVERIFY(tar.waitForFinished(60000));
        QCOMPARE(tar.readAllStandardOutput(), content);
        QVERIFY(tarListing(path).contains(QStringLiteral("after")));
    }

    void compressedOutputsAreReproducible()
    {
        QTemporaryDir dir;
        for (Compression c : { Compression::Gzip, Compression::Zstd }) {
            QByteArray first;
            for (int run = 0; run < 2; ++run) {
                const QString path = dir.filePath(QStringLiteral("blob-%1-%2").arg(int(c)).arg(run));
                QString error;
                const auto w = OutputWriter::compressedStream(path, c, &error);
                QVERIFY2(w, qPrintable(error));
                QVERIFY(!w->canCopyRange());
                QVERIFY(w->header(QStringLiteral("layer"), OutputWriter::Kind::File, 4));
                QVERIFY(w->data("data", 4));
                QVERIFY(w->finish(OutputWriter::Sync::No));
                const QByteArray bytes = readAll(path);
                QCOMPARE(sniffCompression(bytes), c);
                if (run == 0)
                    first = bytes;
                else
                    QCOMPARE(bytes, first);
            }
        }
        QString error;
        QVERIFY(!OutputWriter::compressedStream(dir.filePath(QStringLiteral("x")), Compression::Xz, &error));
        QVERIFY(!OutputWriter::tar(dir.filePath(QStringLiteral("y")), Compression::Bzip2, 1, &error));
        QVERIFY2(error.contains(QStringLiteral("gzip or zstd")), qPrintable(error));
    }

    void folderOutputRefusesToFollowLinks()
    {
        QTemporaryDir dir;
        const QString root = dir.filePath(QStringLiteral("layout"));
        QString error;
        const auto w = OutputWriter::folder(root, 1, &error);
        QVERIFY2(w, qPrintable(error));
        QVERIFY(w->isFolder());
        QVERIFY(w->header(QStringLiteral("blobs/"), OutputWriter::Kind::Folder));
        QVERIFY(w->bytes(QStringLiteral("blobs/a"), "A"));
        QVERIFY(w->header(QStringLiteral("blobs/link"), OutputWriter::Kind::Symlink, 0, QStringLiteral("/etc/passwd")));
        // A member written through the link must not reach its target.
        QVERIFY(!w->bytes(QStringLiteral("blobs/link"), "oops"));
        QVERIFY(w->error().contains(QStringLiteral("blobs/link")));
        QCOMPARE(readAll(root + QStringLiteral("/blobs/a")), QByteArray("A"));
        // One fixed time on every file, set when the file is closed.
        QCOMPARE(QFileInfo(root + QStringLiteral("/blobs/a")).lastModified().toSecsSinceEpoch(), qint64(1));
        QVERIFY(!OutputWriter::folder(root, 1, &error)); // exists already
    }

    void installReplacesOnlyLayouts()
    {
        QTemporaryDir dir;
        const QString target = dir.filePath(QStringLiteral("target"));
        QVERIFY(QDir().mkpath(target + QStringLiteral("/blobs")));
        QFile(target + QStringLiteral("/oci-layout")).open(QIODevice::WriteOnly);
        QVERIFY(replaceableLayoutFolder(target));
        QFile(target + QStringLiteral("/notes.txt")).open(QIODevice::WriteOnly);
        QVERIFY(!replaceableLayoutFolder(target)); // a file of the user's
        QVERIFY(QFile::remove(target + QStringLiteral("/notes.txt")));

        const QString part = dir.filePath(QStringLiteral("part"));
        QVERIFY(QDir().mkpath(part));
        QFile marker(part + QStringLiteral("/index.json"));
        QVERIFY(marker.open(QIODevice::WriteOnly));
        marker.close();
        QString error;
        QVERIFY2(installFolder(part, target, &error), qPrintable(error));
        QVERIFY(QFile::exists(target + QStringLiteral("/index.json")));
        QVERIFY(!QFile::exists(target + QStringLiteral("/oci-layout"))); // the previous layout is gone
        QVERIFY(!QFile::exists(part));

        const QString file = dir.filePath(QStringLiteral("file"));
        QVERIFY(!installFile(dir.filePath(QStringLiteral("missing")), file, &error));
        QVERIFY2(error.contains(QStringLiteral("cannot rename")), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestWrite)
#include "tst_write.moc"
