// SPDX-License-Identifier: MIT
// Hostile and broken archives (tests/fixtures/make_hostile.py): each must be read in bounded
// time and memory, reported with a reason naming what is wrong, left unmodified, and extracted
// without writing anything outside the destination — through the library and through the CLI.
#include "testsupport.h"

#include "check/checks.h"
#include "check/verify.h"
#include "format/imagearchive.h"
#include "format/inspectreport.h"
#include "layers/extract.h"
#include "layers/imagelayers.h"
#include "util/workcounters.h"

#include <QCryptographicHash>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <csignal>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace lamina;

namespace {

/// Bounds every case must stay within, on a loaded 2-core machine.
constexpr int kMaxSecondsPerCommand = 30;
constexpr qint64 kMaxResidentMiB = 512;
/// Work one case may cause through the library (open, check, inspect, index, verify, extract and
/// cat together): bytes out of decompressors plus file bytes streamed. The decompression alarm
/// stops a stream after 1 GiB (kDecompressionAlarmFloor), so a bomb costs at most about that per
/// pass; without the alarm the bombs here give 25 GiB to 1 TiB.
constexpr qint64 kMaxStreamedPerCase = 6ll << 30;
/// Backstops in the child (a runaway must fail the test, not the machine).
constexpr qint64 kAddressSpaceCap = 4ll << 30;
constexpr qint64 kFileSizeCap = 64ll << 20;

/// Hash of a file, or of a folder's names, link targets, modes and contents.
QByteArray fingerprint(const QString &path)
{
    QCryptographicHash h(QCryptographicHash::Sha256);
    const QFileInfo top(path);
    if (!top.isDir()) {
        QFile f(path);
        if (f.open(QIODevice::ReadOnly))
            h.addData(&f);
        return h.result().toHex();
    }
    QDirIterator it(path, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    QStringList entries;
    while (it.hasNext())
        entries << it.next();
    entries.sort();
    for (const QString &e : std::as_const(entries)) {
        const QFileInfo info(e);
        h.addData(QFile::encodeName(e));
        h.addData(QByteArray::number(uint(info.permissions())));
        if (info.isSymLink()) {
            h.addData(QFile::encodeName(info.symLinkTarget()));
        } else if (info.isFile() && info.size() > (64 << 20)) {
            // Sparse blobs of a terabyte: their size and time stand for their bytes.
            h.addData(QByteArray(QByteArray::number(info.size()) + ' ' + QByteArray::number(info.lastModified().toMSecsSinceEpoch())));
        } else if (info.isFile()) {
            QFile f(e);
            if (f.open(QIODevice::ReadOnly))
                h.addData(&f);
        }
    }
    return h.result().toHex();
}

struct Run
{
    int exitCode = -1;   ///< -1 when killed by a signal or timed out
    int signal = 0;
    bool timedOut = false;
    double seconds = 0;
    qint64 maxRssKiB = 0;
    QString output;      ///< stdout and stderr together
};

/// Runs the CLI in a child with resource caps and measures its wall time and peak memory
/// (wait4's rusage is the child's own).
Run runLimited(const QStringList &args, const QString &workDir, bool discardStdout = false)
{
    Run r;
    char outTemplate[] = "/tmp/lamina-hostile-out-XXXXXX";
    const int outFd = ::mkstemp(outTemplate);
    ::unlink(outTemplate);
    QList<QByteArray> argv8{QByteArray(LAMINA_BINARY)};
    for (const QString &a : args)
        argv8 << QFile::encodeName(a);
    std::vector<char *> argv;
    for (QByteArray &a : argv8)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    const QByteArray dir = QFile::encodeName(workDir);
    QElapsedTimer timer;
    timer.start();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(outFd, 1);
        ::dup2(outFd, 2);
        if (discardStdout) {
            // A `cat` of a hostile file may produce more than the file size cap lets through,
            // which would stop it before the limit under test does.
            const int null = ::open("/dev/null", O_WRONLY);
            ::dup2(null, 1);
        }
        if (::chdir(dir.constData()) != 0)
            ::_exit(127);
        struct rlimit as{rlim_t(kAddressSpaceCap), rlim_t(kAddressSpaceCap)};
        struct rlimit fsize{rlim_t(kFileSizeCap), rlim_t(kFileSizeCap)};
        struct rlimit cpu{rlim_t(kMaxSecondsPerCommand * 2), rlim_t(kMaxSecondsPerCommand * 2)};
        ::setrlimit(RLIMIT_AS, &as);
        ::setrlimit(RLIMIT_FSIZE, &fsize);
        ::setrlimit(RLIMIT_CPU, &cpu);
        // A write past the file size cap then fails with EFBIG instead of killing the process.
        ::signal(SIGXFSZ, SIG_IGN);
        ::setenv("QT_QPA_PLATFORM", "offscreen", 1);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    int status = 0;
    struct rusage usage{};
    for (;;) {
        const pid_t done = ::wait4(pid, &status, WNOHANG, &usage);
        if (done == pid)
            break;
        if (timer.elapsed() > kMaxSecondsPerCommand * 1000) {
            r.timedOut = true;
            ::kill(pid, SIGKILL);
            ::wait4(pid, &status, 0, &usage);
            break;
        }
        ::usleep(10 * 1000);
    }
    r.seconds = timer.elapsed() / 1000.0;
    r.maxRssKiB = usage.ru_maxrss;
    if (WIFEXITED(status))
        r.exitCode = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        r.signal = WTERMSIG(status);
    QFile out;
    if (out.open(outFd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle)) {
        out.seek(0);
        r.output = QString::fromUtf8(out.readAll());
    }
    return r;
}

/// Everything under `root` except the destination folder and what is inside it.
QStringList strays(const QString &root, const QString &dest)
{
    QStringList found;
    QDirIterator it(root, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString p = it.next();
        if (p != dest && !p.startsWith(dest + u'/'))
            found << p;
    }
    return found;
}

/// Entries under `dest` that extraction must never create: devices, fifos, set-id files, and
/// leftovers of its temporaries.
QStringList forbidden(const QString &dest)
{
    QStringList found;
    QDirIterator it(dest, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString p = it.next();
        struct stat st;
        if (::lstat(QFile::encodeName(p).constData(), &st) != 0)
            continue;
        if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)
            || (S_ISREG(st.st_mode) && (st.st_mode & (S_ISUID | S_ISGID))) || it.fileName().contains(u".lamina-part-"))
            found << p;
    }
    return found;
}

} // namespace

class TestHostile : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    // The CLI first: a forked child's peak memory counts what it shared with this process
    // before exec, so the measurement is only tight while this process is still small.
    void cli_data();
    void cli();
    void library_data();
    void library();
    void composeSpec();

private:
    void rows();
    QString casePath(const QString &name) const { return m_dir.filePath(QStringLiteral("cases/") + name); }
    QTemporaryDir m_dir;
    QJsonObject m_cases;
};

void TestHostile::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY(QDir(m_dir.path()).mkpath(QStringLiteral("cases")));
    QElapsedTimer t;
    t.start();
    QString output;
    const int rc = test::runPython({test::source(QStringLiteral("tests/fixtures/make_hostile.py")), casePath({})}, &output);
    QVERIFY2(rc == 0, qPrintable(output));
    qInfo("generated the hostile archives in %.1f s", t.elapsed() / 1000.0);
    QFile f(casePath(QStringLiteral("cases.json")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    m_cases = QJsonDocument::fromJson(f.readAll()).object();
    QVERIFY(m_cases.size() > 30);
}

void TestHostile::rows()
{
    QTest::addColumn<QString>("name");
    for (const QString &name : m_cases.keys())
        QTest::newRow(qPrintable(name)) << name;
}

void TestHostile::library_data()
{
    rows();
}

void TestHostile::library()
{
    QFETCH(QString, name);
    const QJsonObject c = m_cases.value(name).toObject();
    const QString input = casePath(name);
    const QByteArray before = fingerprint(input);
    QTemporaryDir root;
    QVERIFY(root.isValid());
    const QString dest = root.filePath(QStringLiteral("out"));

    QElapsedTimer timer;
    timer.start();
    work::counters().reset();
    const ImageArchive ia = openImageArchive(input);
    QStringList text = ia.errors;
    for (const Finding &f : checkArchive(ia))
        text << f.message << f.explanation;
    text << QString::fromUtf8(QJsonDocument(inspectJson(ia)).toJson());
    const VerifyReport verified = verifyArchive(ia, {}, 1);
    for (const Finding &f : verificationFindings(ia, verified))
        text << f.message << f.explanation;
    // Streamed bytes are counted here too, and the sink gives up past the case's bound, so that
    // a missing alarm fails the test instead of streaming a terabyte.
    qint64 catBytes = 0;
    if (const QString cat = c.value(u"cat").toString(); !cat.isEmpty() && !ia.images.isEmpty()) {
        const ImageLayers layers = indexImageLayers(ia, 0);
        const MergedTree tree = MergedTree::build(layers.layers, int(layers.layers.size()) - 1);
        QString error;
        const int node = resolveInTree(tree, cat.toUtf8(), true, &error);
        QVERIFY2(node >= 0, qPrintable(error));
        text << copyLayerFile(ia, 0, tree.layers(), tree.node(node).layer, tree.node(node).entry, [&](const char *, qint64 n) {
            catBytes += n;
            return catBytes <= kMaxStreamedPerCase;
        });
    }
    // All images' layers in one pass, as inspect reads them: each layer file once.
    const QList<ImageLayers> indexed = indexAllImageLayers(ia);
    for (int i = 0; i < ia.images.size(); ++i) {
        const ImageLayers &layers = indexed.at(i);
        text << layers.errors;
        bool all = !layers.layers.isEmpty();
        for (const auto &l : layers.layers) {
            all = all && l;
            if (l)
                text << l->problems;
        }
        if (!all)
            continue;
        const MergedTree tree = MergedTree::build(layers.layers, int(layers.layers.size()) - 1);
        const ExtractResult x = extractNode(ia, i, tree, tree.root(), dest + QString::number(i), false);
        text << x.error << x.skipped;
        QVERIFY2(forbidden(dest + QString::number(i)).isEmpty(), qPrintable(forbidden(dest + QString::number(i)).join(u'\n')));
    }
    const double seconds = timer.elapsed() / 1000.0;
    QVERIFY2(seconds < kMaxSecondsPerCommand, qPrintable(QStringLiteral("%1 s").arg(seconds)));
    if (const qint64 most = qint64(c.value(u"max_metadata").toDouble()); most > 0)
        QVERIFY2(work::counters().metadataBytes <= most,
                 qPrintable(QStringLiteral("%1 bytes of metadata read in %2 reads").arg(work::counters().metadataBytes.load())
                                .arg(work::counters().metadataReads.load())));
    const qint64 streamed = work::counters().decompressedBytes + work::counters().entryBytesStreamed;
    QVERIFY2(streamed <= kMaxStreamedPerCase,
             qPrintable(QStringLiteral("%1 bytes decompressed or streamed (cat: %2)").arg(streamed).arg(catBytes)));

    const QString all = text.join(u'\n');
    for (const QJsonValue &v : c.value(u"expect").toArray())
        QVERIFY2(all.contains(v.toString()), qPrintable(QStringLiteral("\"%1\" not reported; got:\n%2").arg(v.toString(), all.left(3000))));
    for (const QJsonValue &v : c.value(u"absent").toArray())
        QVERIFY2(!all.contains(v.toString()), qPrintable(QStringLiteral("\"%1\" in the output:\n%2").arg(v.toString(), all.left(3000))));
    if (name.startsWith(u"truncated-") && !c.value(u"intact").toBool())
        QVERIFY2(!ia.ok() || !ia.errors.isEmpty() || ia.archive->truncated(), "a cut archive reads as complete");
    // Only the destinations ("out0", "out1", …) may appear in the scratch folder.
    QStringList written;
    QDirIterator it(root.path(), QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot);
    while (it.hasNext()) {
        const QString p = it.next();
        if (!it.fileName().startsWith(u"out"))
            written << p;
    }
    QVERIFY2(written.isEmpty(), qPrintable(written.join(u'\n')));
    for (const QJsonValue &v : c.value(u"escapes").toArray())
        QVERIFY2(!QFileInfo::exists(v.toString()), qPrintable(v.toString() + QStringLiteral(" was written")));
    QCOMPARE(fingerprint(input), before);
}

void TestHostile::cli_data()
{
    rows();
}

void TestHostile::cli()
{
    if (QByteArray(LAMINA_BINARY).isEmpty())
        QSKIP("built without the application (core-only build)");
    QFETCH(QString, name);
    const QJsonObject c = m_cases.value(name).toObject();
    const QString input = casePath(name);
    const QByteArray before = fingerprint(input);
    QTemporaryDir root;
    QVERIFY(root.isValid());
    const QString dest = root.filePath(QStringLiteral("out"));
    QList<QStringList> commands{
        {QStringLiteral("check"), input},
        {QStringLiteral("check"), QStringLiteral("--verify"), input},
        {QStringLiteral("inspect"), QStringLiteral("--json"), input},
        {QStringLiteral("ls"), input},
        {QStringLiteral("extract"), input, QStringLiteral("/"), dest},
    };
    if (const QString cat = c.value(u"cat").toString(); !cat.isEmpty())
        commands.append({QStringLiteral("cat"), input, cat});
    QString all;
    for (const QStringList &args : commands) {
        const Run r = runLimited(args, root.path(), args.constFirst() == u"cat");
        const QString what = args.constFirst() + u' ' + name;
        QVERIFY2(!r.timedOut, qPrintable(what + QStringLiteral(": still running after %1 s").arg(kMaxSecondsPerCommand)));
        QVERIFY2(r.signal == 0, qPrintable(what + QStringLiteral(": killed by signal %1\n%2").arg(r.signal).arg(r.output.left(2000))));
        QVERIFY2(r.exitCode >= 0 && r.exitCode <= 2, qPrintable(what + QStringLiteral(": exit %1\n%2").arg(r.exitCode).arg(r.output.left(2000))));
        QVERIFY2(r.maxRssKiB < kMaxResidentMiB * 1024,
                 qPrintable(what + QStringLiteral(": %1 MiB resident").arg(r.maxRssKiB / 1024)));
        qInfo("%s: exit %d, %.2f s, %lld MiB", qPrintable(what), r.exitCode, r.seconds, r.maxRssKiB / 1024);
        all += r.output;
    }
    for (const QJsonValue &v : c.value(u"expect").toArray())
        QVERIFY2(all.contains(v.toString()), qPrintable(QStringLiteral("\"%1\" not reported; got:\n%2").arg(v.toString(), all.left(3000))));
    for (const QJsonValue &v : c.value(u"absent").toArray())
        QVERIFY2(!all.contains(v.toString()), qPrintable(QStringLiteral("\"%1\" in the output:\n%2").arg(v.toString(), all.left(3000))));
    const QStringList outside = strays(root.path(), dest);
    QVERIFY2(outside.isEmpty(), qPrintable(QStringLiteral("written outside the destination:\n") + outside.join(u'\n')));
    if (QFileInfo::exists(dest))
        QVERIFY2(forbidden(dest).isEmpty(), qPrintable(forbidden(dest).join(u'\n')));
    for (const QJsonValue &v : c.value(u"escapes").toArray())
        QVERIFY2(!QFileInfo::exists(v.toString()), qPrintable(v.toString() + QStringLiteral(" was written")));
    QCOMPARE(fingerprint(input), before);
}

void TestHostile::composeSpec()
{
    if (QByteArray(LAMINA_BINARY).isEmpty())
        QSKIP("built without the application (core-only build)");
    QTemporaryDir root;
    QVERIFY(root.isValid());
    const QString spec = root.filePath(QStringLiteral("deep.json"));
    QFile f(spec);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\"layers\": " + QByteArray(100000, '[') + QByteArray(100000, ']') + "}");
    f.close();
    const QString out = root.filePath(QStringLiteral("out.tar"));
    const Run r = runLimited({QStringLiteral("compose"), QStringLiteral("--spec"), spec, QStringLiteral("-o"), out}, root.path());
    QVERIFY2(r.signal == 0 && !r.timedOut, qPrintable(r.output));
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.output.contains(u"kMaxJsonDepth"), qPrintable(r.output));
    QVERIFY(!QFileInfo::exists(out));
}

QTEST_GUILESS_MAIN(TestHostile)
#include "tst_hostile.moc"
