// SPDX-License-Identifier: MIT
// core/write: the output writer (tar, compressed stream, folder; kernel copies) and the installs
// that never leave a half-written target.
#include "archive/archive.h"
#include "archive/memberreader.h"
#include "util/threadbudget.h"
#include "write/install.h"
#include "write/outputwriter.h"
#include "write/parallelgzip.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

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

/// `bytes` through gzip -dc (GNU gzip, which shares no code with the writer).
QByteArray gunzip(const QByteArray &bytes)
{
    QProcess p;
    p.start(QStringLiteral("gzip"), { QStringLiteral("-dc") });
    p.write(bytes);
    p.closeWriteChannel();
    QByteArray out;
    while (p.waitForReadyRead(60000) || p.bytesAvailable())
        out += p.readAllStandardOutput();
    p.waitForFinished(60000);
    return p.exitCode() == 0 ? out : QByteArray("gzip -dc failed");
}

/// How many bytes of `bytes` zlib's gzip reader takes as one member (all of them for one member).
qsizetype firstMemberLength(const QByteArray &bytes)
{
    z_stream s {};
    if (inflateInit2(&s, 15 + 16) != Z_OK)
        return -1;
    QByteArray out(1 << 16, '\0');
    s.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(bytes.constData()));
    s.avail_in = uInt(bytes.size());
    int r = Z_OK;
    while (r == Z_OK) {
        s.next_out = reinterpret_cast<Bytef *>(out.data());
        s.avail_out = uInt(out.size());
        r = inflate(&s, Z_NO_FLUSH);
    }
    const qsizetype taken = bytes.size() - qsizetype(s.avail_in);
    inflateEnd(&s);
    return r == Z_STREAM_END ? taken : -1;
}

QByteArray gzipParallel(const QByteArray &input, int helpers, qsizetype step)
{
    QByteArray out;
    ParallelGzip gz(
        [&](const char *p, qint64 n) {
            out.append(p, n);
            return true;
        },
        helpers);
    for (qsizetype at = 0; at < input.size(); at += step)
        if (!gz.add(input.constData() + at, std::min(step, input.size() - at)))
            return {};
    return gz.finish() ? out : QByteArray();
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

    // The gzip compressed on several cores is one gzip member, the same bytes whatever the number
    // of threads and however the input is handed over, and about as small as gzip -6 makes it.
    void parallelGzipIsOneStream()
    {
        const qsizetype block = ParallelGzip::kBlock;
        QRandomGenerator random(11);
        QByteArray text;
        while (text.size() < 5 * block + 100) // compressible, with repeats across block boundaries
            text += "layer/usr/share/doc/package-" + QByteArray::number(random.bounded(500)) + "/copyright\n";
        QByteArray noise(3 * block, '\0');
        for (char &c : noise)
            c = char(random.bounded(256));
        const QList<QByteArray> inputs = { QByteArray(), QByteArray("x"), text.left(block - 1), text.left(block),
            text.left(block + 1), text.left(3 * block + 17), text.left(5 * block), noise + text.left(block / 2) };
        for (const QByteArray &input : inputs) {
            const QByteArray one = gzipParallel(input, 0, 65536);
            QVERIFY(!one.isEmpty());
            QCOMPARE(gzipParallel(input, 1, 4096), one);
            QCOMPARE(gzipParallel(input, 3, block + 3), one);
            QCOMPARE(gunzip(one), input);
            QCOMPARE(firstMemberLength(one), one.size());
            QProcess gzip;
            gzip.start(QStringLiteral("gzip"), { QStringLiteral("-6nc") });
            gzip.write(input);
            gzip.closeWriteChannel();
            QVERIFY(gzip.waitForFinished(60000));
            const qsizetype serial = gzip.readAllStandardOutput().size();
            QVERIFY2(one.size() <= serial + serial / 100 + 16 * (input.size() / block + 1),
                qPrintable(QStringLiteral("%1 bytes against gzip's %2").arg(one.size()).arg(serial)));
        }
    }

    // An archive gzip'd as a whole is opened before the base is indexed: its compressor takes no
    // helper from the thread budget until it has more than a block to compress.
    void parallelGzipLeasesHelpersWhenNeeded()
    {
        QVERIFY2(threadBudgetSize() >= 2, "the test needs two cores");
        QCOMPARE(threadBudgetInUse(), 0);
        qint64 written = 0;
        ParallelGzip gz([&](const char *, qint64 n) {
            written += n;
            return true;
        });
        const QByteArray block(ParallelGzip::kBlock, 'a');
        QVERIFY(gz.add(block.constData(), block.size()));
        QCOMPARE(threadBudgetInUse(), 0);
        QVERIFY(gz.add("b", 1)); // a second block: the first is handed over, with helpers
        QCOMPARE(threadBudgetInUse(), threadBudgetSize() - 1);
        QVERIFY(gz.finish());
        QVERIFY(written > 0);
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
