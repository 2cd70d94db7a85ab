// SPDX-License-Identifier: MIT
// Safe writes: `lamina compose -o OUT` and `lamina extract` killed with SIGKILL at random moments
// leave under the target name either what was there before or the complete new file, never a
// part of one; and the next run removes the temporaries the killed one left beside the target.
#include "testsupport.h"

#include <QCryptographicHash>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QRandomGenerator>

#include "write/safewrite.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace lamina;

namespace {

QByteArray sha(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(&f);
    return h.result().toHex();
}

QStringList partials(const QString &dir)
{
    QStringList found;
    QDirIterator it(
        dir, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        if (it.fileName().contains(u".lamina-part-"))
            found << it.filePath();
    }
    return found;
}

/// Runs the CLI to the end; returns its exit code (-1 when it crashed or hung).
int runToEnd(const QStringList &args, QString *output = nullptr)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(QStringLiteral(LAMINA_BINARY), args);
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        return -1;
    }
    if (output)
        *output = QString::fromUtf8(p.readAll());
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

/// Starts the CLI and kills it with SIGKILL after `ms` milliseconds (or lets it end first).
bool runAndKill(const QStringList &args, int ms)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(QStringLiteral(LAMINA_BINARY), args);
    if (!p.waitForStarted())
        return false;
    if (!p.waitForFinished(ms)) {
        p.kill(); // SIGKILL
        p.waitForFinished();
    }
    return true;
}

} // namespace

class TestKillWrite : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void composeKilled();
    void extractKilled();
    void onlyDeadWritersTemporariesRemoved();

private:
    QTemporaryDir m_dir;
    QString m_base;
    QRandomGenerator m_random;
};

void TestKillWrite::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // A base image whose one layer holds a 48 MiB file, so that writing it takes long enough for
    // kills to land in the middle. Written by Python's tarfile, not by Lamina.
    m_base = m_dir.filePath(QStringLiteral("base.tar"));
    const QString script = QStringLiteral(
        "import hashlib, io, json, sys, tarfile\n"
        "def tar(members):\n"
        "    b = io.BytesIO()\n"
        "    with tarfile.open(fileobj=b, mode='w', format=tarfile.PAX_FORMAT) as t:\n"
        "        for name, data in members:\n"
        "            ti = tarfile.TarInfo(name); ti.size = len(data); ti.mode = 0o644\n"
        "            t.addfile(ti, io.BytesIO(data))\n"
        "    return b.getvalue()\n"
        "big = bytes(range(256)) * (48 * 4096)\n"
        "layer = tar([('data/big.bin', big), ('etc/motd', b'hello\\n')])\n"
        "cfg = json.dumps({'architecture': 'amd64', 'os': 'linux', 'config': {},\n"
        "                  'rootfs': {'type': 'layers', 'diff_ids': ['sha256:' + "
        "hashlib.sha256(layer).hexdigest()]}}).encode()\n"
        "man = json.dumps([{'Config': 'c.json', 'RepoTags': ['base:1'], 'Layers': ['l.tar']}]).encode()\n"
        "open(sys.argv[1], 'wb').write(tar([('manifest.json', man), ('c.json', cfg), ('l.tar', layer)]))\n");
    QString output;
    QVERIFY2(test::runPython({ QStringLiteral("-c"), script, m_base }, &output) == 0, qPrintable(output));
    const quint32 seed = QRandomGenerator::global()->generate();
    m_random.seed(seed);
    qInfo("kill times drawn with seed %u", seed);
}

void TestKillWrite::composeKilled()
{
    const QString outDir = m_dir.filePath(QStringLiteral("compose"));
    QVERIFY(QDir().mkpath(outDir));
    const QString out = outDir + QStringLiteral("/new.tar");
    auto args = [&](const QString &text) {
        return QStringList { QStringLiteral("compose"), m_base, QStringLiteral("--write"),
            QStringLiteral("/etc/motd:") + text, QStringLiteral("-o"), out };
    };
    // Compose is reproducible: the complete output of each variant is known in advance.
    QString output;
    QElapsedTimer timer;
    timer.start();
    QCOMPARE(runToEnd(args(QStringLiteral("one")), &output), 0);
    const qint64 fullMs = timer.elapsed();
    const QByteArray one = sha(out);
    QCOMPARE(runToEnd(args(QStringLiteral("two")), &output), 0);
    const QByteArray two = sha(out);
    QVERIFY(one != two);
    QVERIFY(partials(outDir).isEmpty());

    int midway = 0;
    for (int round = 0; round < 12; ++round) {
        const QByteArray before = sha(out);
        const QString text = round % 2 ? QStringLiteral("one") : QStringLiteral("two");
        const int ms = int(m_random.bounded(qint64(1), std::max<qint64>(2, fullMs)));
        QVERIFY(runAndKill(args(text), ms));
        const QByteArray after = sha(out);
        QVERIFY2(after == before || after == (text == u"one" ? one : two),
            qPrintable(QStringLiteral("round %1, killed after %2 ms: the target is neither the old nor the new file")
                           .arg(round)
                           .arg(ms)));
        if (!partials(outDir).isEmpty())
            ++midway;
    }
    qInfo("%d of 12 kills left a temporary behind (the run was killed mid-write)", midway);
    // The next complete run removes what the killed ones left.
    QCOMPARE(runToEnd(args(QStringLiteral("one")), &output), 0);
    QCOMPARE(sha(out), one);
    QVERIFY2(partials(outDir).isEmpty(), qPrintable(partials(outDir).join(u'\n')));
}

void TestKillWrite::extractKilled()
{
    const QString dest = m_dir.filePath(QStringLiteral("extract"));
    QVERIFY(QDir().mkpath(dest + QStringLiteral("/data")));
    const QString target = dest + QStringLiteral("/data/big.bin");
    const QStringList args { QStringLiteral("extract"), QStringLiteral("--force"), m_base, QStringLiteral("/data"),
        dest };
    QString output;
    QElapsedTimer timer;
    timer.start();
    QCOMPARE(runToEnd(args, &output), 0);
    const qint64 fullMs = timer.elapsed();
    const QByteArray complete = sha(target);
    QVERIFY(!complete.isEmpty());

    int midway = 0;
    for (int round = 0; round < 12; ++round) {
        // The previous file: something else under the same name.
        QFile::remove(target);
        QFile old(target);
        QVERIFY(old.open(QIODevice::WriteOnly));
        old.write("the previous file\n");
        old.close();
        const QByteArray before = sha(target);
        const int ms = int(m_random.bounded(qint64(1), std::max<qint64>(2, fullMs)));
        QVERIFY(runAndKill(args, ms));
        const QByteArray after = sha(target);
        QVERIFY2(after == before || after == complete,
            qPrintable(QStringLiteral("round %1, killed after %2 ms: big.bin is neither the old nor the complete file")
                           .arg(round)
                           .arg(ms)));
        if (!partials(dest).isEmpty())
            ++midway;
    }
    qInfo("%d of 12 kills left a temporary behind (the run was killed mid-write)", midway);
    QCOMPARE(runToEnd(args, &output), 0);
    QCOMPARE(sha(target), complete);
    QVERIFY2(partials(dest).isEmpty(), qPrintable(partials(dest).join(u'\n')));
}

void TestKillWrite::onlyDeadWritersTemporariesRemoved()
{
    const QString outDir = m_dir.filePath(QStringLiteral("owners"));
    QVERIFY(QDir().mkpath(outDir));
    // Temporaries a Lamina writer really made, in a child that then ends: its pid is not running
    // any more (reuse within the test is vanishingly unlikely).
    int pipeFds[2];
    QVERIFY(::pipe(pipeFds) == 0);
    const pid_t child = ::fork();
    QVERIFY(child >= 0);
    if (child == 0) {
        const QByteArray f = QFile::encodeName(partialPathFor(outDir + QStringLiteral("/new.tar")));
        const QByteArray d
            = QFile::encodeName(partialPathFor(outDir + QStringLiteral("/layout")) + QStringLiteral("-Ab3xYz"));
        const QByteArray blobs = d + "/blobs", blob = d + "/blobs/x";
        const int fd = ::open(f.constData(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        const bool ok = fd >= 0 && ::mkdir(d.constData(), 0755) == 0 && ::mkdir(blobs.constData(), 0755) == 0
            && ::close(::open(blob.constData(), O_WRONLY | O_CREAT, 0600)) == 0;
        const QByteArray both = f + '\n' + d + '\n';
        ::_exit(ok && ::write(pipeFds[1], both.constData(), size_t(both.size())) == both.size() ? 0 : 1);
    }
    ::close(pipeFds[1]);
    int status = 0;
    QCOMPARE(::waitpid(child, &status, 0), child);
    QVERIFY(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    QByteArray names(4096, '\0');
    names.resize(::read(pipeFds[0], names.data(), size_t(names.size())));
    ::close(pipeFds[0]);
    const QString realFile = QFile::decodeName(names.split('\n').value(0));
    const QString realDir = QFile::decodeName(names.split('\n').value(1));
    QVERIFY(QFileInfo::exists(realFile) && QFileInfo::exists(realDir + QStringLiteral("/blobs/x")));

    // Names that merely look like temporaries of a dead writer: the user's, never Lamina's.
    const QString lookalike = outDir + QStringLiteral("/.new.tar.lamina-part-%1-1").arg(child);
    const QString lookalikeMac
        = outDir + QStringLiteral("/.new.tar.lamina-part-%1-5-0123456789abcdef01234567").arg(child);
    const QString userDir = outDir + QStringLiteral("/.new.tar.lamina-part-%1-2-abcdef").arg(child);
    const QString live = partialPathFor(outDir + QStringLiteral("/new.tar"));
    const QString foreign = outDir + QStringLiteral("/.new.tar.part");
    for (const QString &f : { lookalike, lookalikeMac, live, foreign }) {
        QFile file(f);
        QVERIFY(file.open(QIODevice::WriteOnly));
    }
    QVERIFY(QDir().mkpath(userDir + QStringLiteral("/blobs/sha256")));
    QFile precious(userDir + QStringLiteral("/blobs/precious"));
    QVERIFY(precious.open(QIODevice::WriteOnly));
    precious.close();
    // The base itself named like a dead writer's temporary.
    const QString base = outDir + QStringLiteral("/.base.tar.lamina-part-%1-3").arg(child);
    QVERIFY(QFile::copy(m_base, base));

    QString output;
    QCOMPARE(runToEnd({ QStringLiteral("compose"), base, QStringLiteral("-o"), outDir + QStringLiteral("/new.tar") },
                 &output),
        0);
    QVERIFY2(!QFileInfo::exists(realFile), "a dead writer's temporary file stayed");
    QVERIFY2(!QFileInfo::exists(realDir), "a dead writer's temporary folder stayed");
    QVERIFY2(QFileInfo::exists(live), "the temporary of a running writer was removed");
    QVERIFY2(QFileInfo::exists(foreign), "a file not named as Lamina's temporaries was removed");
    QVERIFY2(QFileInfo::exists(lookalike) && QFileInfo::exists(lookalikeMac),
        "a file merely named like a temporary was removed");
    QVERIFY2(QFileInfo::exists(userDir + QStringLiteral("/blobs/precious")),
        "a user's folder named like a temporary was emptied");
    QVERIFY2(QFileInfo::exists(base), "the base was removed");

    // Extract: every folder of the destination is cleaned the same way, and an input inside the
    // destination named like a temporary stays.
    const QString dest = m_dir.filePath(QStringLiteral("owners-dest"));
    QVERIFY(QDir().mkpath(dest + QStringLiteral("/data")));
    const QString inDest = dest + QStringLiteral("/data/.in.tar.lamina-part-%1-4").arg(child);
    QVERIFY(QFile::copy(m_base, inDest));
    const QString userSsh = dest + QStringLiteral("/data/.ssh.lamina-part-%1-6-zzzzzz").arg(child);
    QVERIFY(QDir().mkpath(userSsh));
    QFile keys(userSsh + QStringLiteral("/authorized_keys"));
    QVERIFY(keys.open(QIODevice::WriteOnly));
    keys.close();
    QCOMPARE(runToEnd({ QStringLiteral("extract"), inDest, QStringLiteral("/"), dest }, &output), 0);
    QVERIFY2(QFileInfo::exists(inDest), "the input inside the destination was removed");
    QVERIFY2(QFileInfo::exists(userSsh + QStringLiteral("/authorized_keys")),
        "a user's folder in the destination was emptied");
}

QTEST_GUILESS_MAIN(TestKillWrite)
#include "tst_killwrite.moc"
