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
#include "layers/stagedfiles.h"
#include "layers/streamedlayers.h"
#include "util/workcounters.h"

#include <QCryptographicHash>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QStandardPaths>

#include <csignal>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace lamina;

namespace {

/// A hang detector, not a speed test: a command still running after this long on a loaded 2-core
/// machine (or under ASan) is stuck. Work is bounded below by bytes and memory instead.
constexpr int kMaxSecondsPerCommand = 300;
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
    QDirIterator it(
        path, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
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
            h.addData(QByteArray(
                QByteArray::number(info.size()) + ' ' + QByteArray::number(info.lastModified().toMSecsSinceEpoch())));
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
    int exitCode = -1; ///< -1 when killed by a signal or timed out
    int signal = 0;
    bool timedOut = false;
    double seconds = 0;
    qint64 maxRssKiB = 0;
    QString output; ///< stdout and stderr together
};

/// Runs the CLI in a child with resource caps and measures its wall time and peak memory
/// (wait4's rusage is the child's own).
Run runLimited(const QStringList &args, const QString &workDir, bool discardStdout = false)
{
    Run r;
    char outTemplate[] = "/tmp/lamina-hostile-out-XXXXXX";
    const int outFd = ::mkstemp(outTemplate);
    ::unlink(outTemplate);
    QList<QByteArray> argv8 { QByteArray(LAMINA_BINARY) };
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
        struct rlimit as
        {
            rlim_t(kAddressSpaceCap), rlim_t(kAddressSpaceCap)
        };
        struct rlimit fsize
        {
            rlim_t(kFileSizeCap), rlim_t(kFileSizeCap)
        };
        struct rlimit cpu
        {
            rlim_t(kMaxSecondsPerCommand * 2), rlim_t(kMaxSecondsPerCommand * 2)
        };
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
    struct rusage usage
    {
    };
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
    QDirIterator it(
        root, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
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
    QDirIterator it(
        dest, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
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
    void composeSpecHostPaths();
    // Cases of make_hostile_fs.py that need a prepared destination or input.
    void extractKeepsExistingFolders();
    void composeOutputAliasesBase();
    void specialInputs();
    void linkedInput();
    void extractDeepFolders();
    void composeFullDisk();
    void namesEscaped();
    void skopeoDirFolder();

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
    const int rc
        = test::runPython({ test::source(QStringLiteral("tests/fixtures/make_hostile.py")), casePath({}) }, &output);
    QVERIFY2(rc == 0, qPrintable(output));
    qInfo("generated the hostile archives in %.1f s", t.elapsed() / 1000.0);
    QFile f(casePath(QStringLiteral("cases.json")));
    QVERIFY(f.open(QIODevice::ReadOnly));
    m_cases = QJsonDocument::fromJson(f.readAll()).object();
    QVERIFY(m_cases.size() > 30);
    const int fsRc
        = test::runPython({ test::source(QStringLiteral("tests/fixtures/make_hostile_fs.py")), casePath({}) }, &output);
    QVERIFY2(fsRc == 0, qPrintable(output));
    QFile fs(casePath(QStringLiteral("cases-fs.json")));
    QVERIFY(fs.open(QIODevice::ReadOnly));
    const QJsonObject fsCases = QJsonDocument::fromJson(fs.readAll()).object();
    QVERIFY(!fsCases.isEmpty());
    for (auto it = fsCases.begin(); it != fsCases.end(); ++it)
        m_cases.insert(it.key(), it.value());
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
        text << copyLayerFile(
            ia, 0, tree.layers(), tree.node(node).layer, tree.node(node).entry, [&](const char *, qint64 n) {
                catBytes += n;
                return catBytes <= kMaxStreamedPerCase;
            });
    }
    // All images' layers in one pass, as inspect reads them: each layer file once, with the sizes.
    QList<ImageSizes> sizes;
    const QList<ImageLayers> indexed = indexAllImageLayers(ia, {}, {}, &sizes);
    // The work of the extractions alone, for the cases that bound it.
    qint64 extractDecompressed = 0, extractPasses = 0, extractTrees = 0;
    QSet<QList<int>> stacks; // images with the same layer files extract alike: once is enough
    QHash<int, ExtractResult> extracted;
    for (int i = 0; i < ia.images.size(); ++i) {
        const ImageLayers &layers = indexed.at(i);
        text << layers.errors;
        bool all = !layers.layers.isEmpty();
        for (const auto &l : layers.layers) {
            all = all && l;
            if (l) {
                text << l->problems;
                for (const LayerIndex::Issue &issue : l->issues)
                    text << issue.code + QStringLiteral(": ") + issue.message;
            }
        }
        QList<int> stack;
        for (const ImageLayer &l : ia.images.at(i).layers)
            stack << l.member;
        if (!all || stacks.contains(stack))
            continue;
        stacks.insert(stack);
        const MergedTree tree = MergedTree::build(layers.layers, int(layers.layers.size()) - 1);
        const qint64 decompressed = work::counters().decompressedBytes, passes = work::counters().layerPasses,
                     trees = work::counters().treesBuilt;
        const ExtractResult x = extractNode(ia, i, tree, tree.root(), dest + QString::number(i), false);
        extractDecompressed += work::counters().decompressedBytes - decompressed;
        extractPasses += work::counters().layerPasses - passes;
        extractTrees += work::counters().treesBuilt - trees;
        text << x.error << x.skipped;
        extracted.insert(i, x);
        QVERIFY2(forbidden(dest + QString::number(i)).isEmpty(),
            qPrintable(forbidden(dest + QString::number(i)).join(u'\n')));
    }
    qInfo("%s: %.2f s in the library", qPrintable(name), timer.elapsed() / 1000.0);
    if (const int most = c.value(u"max_trees").toInt(); most > 0)
        QVERIFY2(work::counters().treesBuilt <= most,
            qPrintable(QStringLiteral("%1 merged trees built for %2 images")
                           .arg(work::counters().treesBuilt.load())
                           .arg(ia.images.size())));
    // What stays in memory once the views are read (issue 16 item 15): only what they name.
    if (c.contains(u"max_captured") && ia.archive)
        QVERIFY2(ia.archive->capturedBytes() <= qint64(c.value(u"max_captured").toDouble()),
            qPrintable(QStringLiteral("%1 bytes of members kept after opening").arg(ia.archive->capturedBytes())));
    if (const qint64 most = qint64(c.value(u"max_metadata").toDouble()); most > 0)
        QVERIFY2(work::counters().metadataBytes <= most,
            qPrintable(QStringLiteral("%1 bytes of metadata read in %2 reads")
                           .arg(work::counters().metadataBytes.load())
                           .arg(work::counters().metadataReads.load())));
    if (const QJsonObject bounds = c.value(u"extract_bounds").toObject(); !bounds.isEmpty()) {
        // One pass per layer stream (or over the whole compressed archive), one tree per layer
        // that links downwards: not one of each per file.
        const QString work = QStringLiteral("extracting: %1 bytes decompressed, %2 layer passes, %3 trees built")
                                 .arg(extractDecompressed)
                                 .arg(extractPasses)
                                 .arg(extractTrees);
        QVERIFY2(extractDecompressed <= qint64(bounds.value(u"decompressed").toDouble()), qPrintable(work));
        QVERIFY2(extractPasses <= bounds.value(u"passes").toInt(), qPrintable(work));
        QVERIFY2(extractTrees <= bounds.value(u"trees").toInt(), qPrintable(work));
        qInfo("%s", qPrintable(work));
    }
    const qint64 streamed = work::counters().decompressedBytes + work::counters().entryBytesStreamed;
    QVERIFY2(streamed <= kMaxStreamedPerCase,
        qPrintable(QStringLiteral("%1 bytes decompressed or streamed (cat: %2)").arg(streamed).arg(catBytes)));

    // Opened again with its layers indexed in the pass that opens it, as inspect, ls and compose
    // open an archive compressed as a whole: the same members and the same layers, with the
    // same problems.
    if (ia.archive) {
        StreamedLayers streamed;
        const ImageArchive again = openImageArchive(input, {}, {}, streamed.tap());
        QVERIFY(again.archive);
        QCOMPARE(again.archive->members().size(), ia.archive->members().size());
        QCOMPARE(again.archive->truncated(), ia.archive->truncated());
        QCOMPARE(again.images.size(), ia.images.size());
        LayerIndexOptions known;
        known.knownByMember = streamed.indexed();
        const QList<ImageLayers> tapped = indexAllImageLayers(again, known);
        for (int i = 0; i < tapped.size(); ++i) {
            QStringList got = tapped.at(i).errors, want = indexed.at(i).errors;
            got.sort();
            want.sort();
            QCOMPARE(got, want);
            QCOMPARE(tapped.at(i).layers.size(), indexed.at(i).layers.size());
            for (int l = 0; l < tapped.at(i).layers.size(); ++l) {
                const auto &a = tapped.at(i).layers.at(l);
                const auto &b = indexed.at(i).layers.at(l);
                QCOMPARE(bool(a), bool(b));
                if (a) {
                    QCOMPARE(a->size(), b->size());
                    QCOMPARE(a->problems, b->problems);
                    QCOMPARE(a->complete, b->complete);
                }
            }
        }
    }

    // Extracted again as `extract` does an archive compressed as a whole: from the copies kept
    // while it opened, where they are kept. The same files, the same errors and skips.
    if (ia.archive && !ia.archive->seekable()) {
        for (auto it = extracted.cbegin(); it != extracted.cend(); ++it) {
            const int i = it.key();
            const QString again = dest + QString::number(i) + QStringLiteral("-kept");
            auto staged = std::make_unique<StagedFiles>(QList<QByteArray> { QByteArray("/") }, again);
            StreamedLayers streamed;
            streamed.stage(staged.get());
            const ImageArchive reopened = openImageArchive(input, {}, {}, streamed.tap());
            LayerIndexOptions known;
            known.knownByMember = streamed.indexed();
            const ImageLayers layers = indexImageLayers(reopened, i, known);
            const MergedTree tree = MergedTree::build(layers.layers, int(layers.layers.size()) - 1);
            qInfo("image %d: %d files kept while opening", i, staged->count());
            const ExtractResult x = extractNode(reopened, i, tree, tree.root(), again, false, {}, staged.get());
            staged.reset(); // the copies not used go with their folder
            QCOMPARE(x.error, it.value().error);
            QStringList got = x.skipped, want = it.value().skipped;
            got.sort();
            want.sort();
            QCOMPARE(got, want);
            QCOMPARE(x.files, it.value().files);
            QCOMPARE(lamina::test::folderListing(again), lamina::test::folderListing(dest + QString::number(i)));
            QVERIFY2(forbidden(again).isEmpty(), qPrintable(forbidden(again).join(u'\n')));
        }
    }

    const QString all = text.join(u'\n');
    for (const QJsonValue &v : c.value(u"expect").toArray())
        QVERIFY2(all.contains(v.toString()),
            qPrintable(QStringLiteral("\"%1\" not reported; got:\n%2").arg(v.toString(), all.left(3000))));
    for (const QJsonValue &v : c.value(u"absent").toArray())
        QVERIFY2(!all.contains(v.toString()),
            qPrintable(QStringLiteral("\"%1\" in the output:\n%2").arg(v.toString(), all.left(3000))));
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
    QList<QStringList> commands {
        { QStringLiteral("check"), input },
        { QStringLiteral("check"), QStringLiteral("--verify"), input },
        { QStringLiteral("inspect"), QStringLiteral("--json"), input },
        { QStringLiteral("ls"), input },
        { QStringLiteral("extract"), input, QStringLiteral("/"), dest },
    };
    if (const QString cat = c.value(u"cat").toString(); !cat.isEmpty())
        commands.append({ QStringLiteral("cat"), input, cat });
    QString all;
    for (const QStringList &args : commands) {
        const Run r = runLimited(args, root.path(), args.constFirst() == u"cat");
        const QString what = args.constFirst() + u' ' + name;
        QVERIFY2(
            !r.timedOut, qPrintable(what + QStringLiteral(": still running after %1 s").arg(kMaxSecondsPerCommand)));
        QVERIFY2(r.signal == 0,
            qPrintable(what + QStringLiteral(": killed by signal %1\n%2").arg(r.signal).arg(r.output.left(2000))));
        QVERIFY2(r.exitCode >= 0 && r.exitCode <= 2,
            qPrintable(what + QStringLiteral(": exit %1\n%2").arg(r.exitCode).arg(r.output.left(2000))));
        QVERIFY2(r.maxRssKiB < kMaxResidentMiB * 1024,
            qPrintable(what + QStringLiteral(": %1 MiB resident").arg(r.maxRssKiB / 1024)));
        qInfo("%s: exit %d, %.2f s, %lld MiB", qPrintable(what), r.exitCode, r.seconds, r.maxRssKiB / 1024);
        all += r.output;
    }
    for (const QJsonValue &v : c.value(u"expect").toArray())
        QVERIFY2(all.contains(v.toString()),
            qPrintable(QStringLiteral("\"%1\" not reported; got:\n%2").arg(v.toString(), all.left(3000))));
    for (const QJsonValue &v : c.value(u"absent").toArray())
        QVERIFY2(!all.contains(v.toString()),
            qPrintable(QStringLiteral("\"%1\" in the output:\n%2").arg(v.toString(), all.left(3000))));
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
    const Run r = runLimited(
        { QStringLiteral("compose"), QStringLiteral("--spec"), spec, QStringLiteral("-o"), out }, root.path());
    QVERIFY2(r.signal == 0 && !r.timedOut, qPrintable(r.output));
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.output.contains(u"kMaxJsonDepth"), qPrintable(r.output));
    QVERIFY(!QFileInfo::exists(out));
}

namespace {

mode_t modeOf(const QString &path)
{
    struct stat st;
    return ::lstat(QFile::encodeName(path).constData(), &st) == 0 ? st.st_mode & 07777 : mode_t(-1);
}

} // namespace

void TestHostile::extractKeepsExistingFolders()
{
    if (QByteArray(LAMINA_BINARY).isEmpty())
        QSKIP("built without the application (core-only build)");
    const QString input = casePath(QStringLiteral("fs-folder-modes.tar"));
    QTemporaryDir root;
    QVERIFY(root.isValid());
    const QString dest = root.filePath(QStringLiteral("home"));
    for (const auto &[folder, mode] : { std::pair { QStringLiteral(".ssh"), 0700 }, { QStringLiteral("private"), 0700 },
             { QStringLiteral("tmp"), 0755 } }) {
        QVERIFY(QDir().mkpath(dest + u'/' + folder));
        QVERIFY(::chmod(QFile::encodeName(dest + u'/' + folder).constData(), mode_t(mode)) == 0);
    }
    Run r = runLimited({ QStringLiteral("extract"), input, QStringLiteral("/"), dest }, root.path());
    QVERIFY2(r.exitCode == 0, qPrintable(r.output));
    // Without --force, folders that were there keep their attributes; the files land inside.
    QCOMPARE(modeOf(dest + QStringLiteral("/.ssh")), mode_t(0700));
    QCOMPARE(modeOf(dest + QStringLiteral("/private")), mode_t(0700));
    QCOMPARE(modeOf(dest + QStringLiteral("/tmp")), mode_t(0755));
    QVERIFY(QFileInfo::exists(dest + QStringLiteral("/.ssh/authorized_keys")));

    // A new folder takes the image's mode (write for others included: it is the image's own folder).
    const QString fresh = root.filePath(QStringLiteral("fresh"));
    r = runLimited({ QStringLiteral("extract"), input, QStringLiteral("/"), fresh }, root.path());
    QVERIFY2(r.exitCode == 0, qPrintable(r.output));
    QCOMPARE(modeOf(fresh + QStringLiteral("/.ssh")), mode_t(0777));

    // With --force the image's mode applies, but an existing folder never gains write for group or others.
    r = runLimited(
        { QStringLiteral("extract"), QStringLiteral("--force"), input, QStringLiteral("/"), dest }, root.path());
    QVERIFY2(r.exitCode == 0, qPrintable(r.output));
    QCOMPARE(modeOf(dest + QStringLiteral("/.ssh")), mode_t(0755));
    QCOMPARE(modeOf(dest + QStringLiteral("/private")), mode_t(0755));
    QCOMPARE(modeOf(dest + QStringLiteral("/tmp")) & 0022, mode_t(0));
}

void TestHostile::composeOutputAliasesBase()
{
    if (QByteArray(LAMINA_BINARY).isEmpty())
        QSKIP("built without the application (core-only build)");
    QTemporaryDir root;
    QVERIFY(root.isValid());
    QVERIFY(QDir(root.path()).mkpath(QStringLiteral("real/inner")));
    const QString base = root.filePath(QStringLiteral("real/base.tar"));
    QVERIFY(QFile::copy(casePath(QStringLiteral("fs-folder-modes.tar")), base));
    const QByteArray before = fingerprint(base);
    struct stat st;
    QVERIFY(::stat(QFile::encodeName(base).constData(), &st) == 0);
    const ino_t inode = st.st_ino;
    // Every other name of the same file: a hard link, a path through a linked folder, and (when this
    // runs as root) a bind mount of the folder.
    const QString hard = root.filePath(QStringLiteral("alias.tar"));
    QVERIFY(::link(QFile::encodeName(base).constData(), QFile::encodeName(hard).constData()) == 0);
    QVERIFY(QFile::link(root.filePath(QStringLiteral("real")), root.filePath(QStringLiteral("linked"))));
    QStringList aliases { hard, root.filePath(QStringLiteral("linked/base.tar")) };
    const QString mountPoint = root.filePath(QStringLiteral("bound"));
    QVERIFY(QDir().mkpath(mountPoint));
    const bool bound = QProcess::execute(QStringLiteral("mount"),
                           { QStringLiteral("--bind"), root.filePath(QStringLiteral("real")), mountPoint })
        == 0;
    const auto unmount = qScopeGuard([&] {
        if (bound)
            QProcess::execute(QStringLiteral("umount"), { mountPoint });
    });
    if (bound)
        aliases << mountPoint + QStringLiteral("/base.tar");
    else
        qInfo("no bind mount (not root, or no mount namespace): checked through a hard link and a linked folder");
    for (const QString &alias : std::as_const(aliases)) {
        const Run r = runLimited({ QStringLiteral("compose"), base, QStringLiteral("--label"), QStringLiteral("a=b"),
                                     QStringLiteral("-o"), alias },
            root.path());
        QVERIFY2(r.exitCode == 2 && r.output.contains(u"overwrite the base"), qPrintable(alias + u'\n' + r.output));
        QCOMPARE(fingerprint(base), before);
        QVERIFY(::stat(QFile::encodeName(base).constData(), &st) == 0 && st.st_ino == inode);
        QVERIFY(::stat(QFile::encodeName(hard).constData(), &st) == 0 && st.st_ino == inode);
    }

    // A base folder reached through another name: nothing may be written inside it.
    const QString layout = root.filePath(QStringLiteral("real/inner"));
    Run r = runLimited({ QStringLiteral("compose"), base, QStringLiteral("--format"), QStringLiteral("oci-dir"),
                           QStringLiteral("-o"), layout },
        root.path());
    QVERIFY2(r.exitCode == 0, qPrintable(r.output));
    const QByteArray layoutBefore = fingerprint(layout);
    QStringList inside { root.filePath(QStringLiteral("linked/inner/out.tar")) };
    if (bound)
        inside << mountPoint + QStringLiteral("/inner/out.tar");
    for (const QString &target : std::as_const(inside)) {
        r = runLimited({ QStringLiteral("compose"), layout, QStringLiteral("-o"), target }, root.path());
        QVERIFY2(
            r.exitCode == 2 && r.output.contains(u"inside the base folder"), qPrintable(target + u'\n' + r.output));
        QCOMPARE(fingerprint(layout), layoutBefore);
    }
}

void TestHostile::specialInputs()
{
    if (QByteArray(LAMINA_BINARY).isEmpty())
        QSKIP("built without the application (core-only build)");
    QTemporaryDir root;
    QVERIFY(root.isValid());
    // A FIFO with no writer: open() without O_NONBLOCK waits for one forever.
    const QString fifo = root.filePath(QStringLiteral("image.tar"));
    QVERIFY(::mkfifo(QFile::encodeName(fifo).constData(), 0600) == 0);
    const QString spec = root.filePath(QStringLiteral("spec.json"));
    QFile f(spec);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("{\"base\": \"image.tar\"}");
    f.close();
    const QString fifoSpec = root.filePath(QStringLiteral("fifo.json"));
    QVERIFY(::mkfifo(QFile::encodeName(fifoSpec).constData(), 0600) == 0);
    const QString out = root.filePath(QStringLiteral("out.tar"));
    const QList<QStringList> onFifo {
        { QStringLiteral("inspect"), fifo },
        { QStringLiteral("check"), QStringLiteral("--verify"), fifo },
        { QStringLiteral("verify"), fifo },
        { QStringLiteral("ls"), fifo },
        { QStringLiteral("cat"), fifo, QStringLiteral("/etc/motd") },
        { QStringLiteral("extract"), fifo, QStringLiteral("/"), root.filePath(QStringLiteral("dest")) },
        { QStringLiteral("compose"), fifo, QStringLiteral("-o"), out },
        { QStringLiteral("compose"), QStringLiteral("--spec"), spec, QStringLiteral("-o"), out },
    };
    for (const QStringList &args : onFifo) {
        const Run r = runLimited(args, root.path());
        QVERIFY2(!r.timedOut && r.signal == 0, qPrintable(args.join(u' ') + QStringLiteral(": blocked")));
        QVERIFY2(r.exitCode == 2 && r.output.contains(u"a FIFO (named pipe), not a file"),
            qPrintable(args.join(u' ') + u'\n' + r.output));
    }
    Run r = runLimited(
        { QStringLiteral("compose"), QStringLiteral("--spec"), fifoSpec, QStringLiteral("-o"), out }, root.path());
    QVERIFY2(!r.timedOut && r.exitCode == 2 && r.output.contains(u"not a regular file"), qPrintable(r.output));
    QVERIFY(!QFileInfo::exists(out));

    // Each says what is wrong, not an empty or a wrong reason.
    r = runLimited({ QStringLiteral("check"), QStringLiteral("/dev/zero") }, root.path());
    QVERIFY2(r.exitCode == 2 && r.output.contains(u"a character device, not a file") && !r.output.contains(u"empty"),
        qPrintable(r.output));
    r = runLimited({ QStringLiteral("check"), QStringLiteral("/proc/self/mem") }, root.path());
    QVERIFY2(r.exitCode == 2 && r.output.contains(u"Input/output error"), qPrintable(r.output));
    // A spec too big is refused with its reason alone, not followed by the whole usage.
    QVERIFY(f.open(QIODevice::WriteOnly));
    QVERIFY(f.resize(65ll << 20)); // sparse: nothing is read before the size is checked
    f.close();
    r = runLimited(
        { QStringLiteral("compose"), QStringLiteral("--spec"), spec, QStringLiteral("-o"), out }, root.path());
    QVERIFY2(r.exitCode == 2 && r.output.contains(u"kMaxMetadataMemberSize") && !r.output.contains(u"Usage"),
        qPrintable(r.output));

    // Layout folders (written here by hand): a FIFO index.json, and a blobs/sha256 that cannot be listed.
    const QString layout = root.filePath(QStringLiteral("layout"));
    QVERIFY(QDir().mkpath(layout + QStringLiteral("/blobs/sha256")));
    QFile marker(layout + QStringLiteral("/oci-layout"));
    QVERIFY(marker.open(QIODevice::WriteOnly) && marker.write("{\"imageLayoutVersion\": \"1.0.0\"}") > 0);
    marker.close();
    QVERIFY(::mkfifo(QFile::encodeName(layout + QStringLiteral("/index.json")).constData(), 0644) == 0);
    r = runLimited({ QStringLiteral("check"), layout }, root.path());
    QVERIFY2(!r.timedOut && r.output.contains(u"index.json: a FIFO, socket or device, not a regular file")
            && !r.output.contains(u"resolve it first"),
        qPrintable(r.output));
    QVERIFY(QFile::remove(layout + QStringLiteral("/index.json")));
    QFile index(layout + QStringLiteral("/index.json"));
    QVERIFY(index.open(QIODevice::WriteOnly));
    index.write("{\"schemaVersion\": 2, \"manifests\": [{\"mediaType\": "
                "\"application/vnd.oci.image.manifest.v1+json\", \"size\": 2, "
                "\"digest\": \"sha256:"
        + QByteArray(64, 'a') + "\"}]}");
    index.close();
    // root lists any folder: the command runs as nobody, for whom a folder of mode 000 cannot be listed.
    if (::geteuid() == 0 && !QStandardPaths::findExecutable(QStringLiteral("setpriv")).isEmpty()) {
        QVERIFY(::chmod(QFile::encodeName(root.path()).constData(), 0755) == 0);
        QVERIFY(::chmod(QFile::encodeName(layout + QStringLiteral("/blobs/sha256")).constData(), 0) == 0);
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(QStringLiteral("setpriv"),
            { QStringLiteral("--reuid=65534"), QStringLiteral("--regid=65534"), QStringLiteral("--clear-groups"),
                QStringLiteral(LAMINA_BINARY), QStringLiteral("check"), layout });
        QVERIFY(p.waitForFinished(120000));
        const QString output = QString::fromUtf8(p.readAll());
        QVERIFY2(output.contains(u"blobs/sha256: cannot list the folder: Permission denied"), qPrintable(output));
        // The manifest the index names may well be there: its finding says why it was not found.
        QVERIFY2(output.contains(u"cannot be found: blobs/sha256: cannot list the folder")
                && !output.contains(u"is not in the archive"),
            qPrintable(output));
        ::chmod(QFile::encodeName(layout + QStringLiteral("/blobs/sha256")).constData(), 0755);
    } else {
        qInfo("not root, or no setpriv: the unlistable folder is not checked");
    }
}

void TestHostile::linkedInput()
{
    if (QByteArray(LAMINA_BINARY).isEmpty())
        QSKIP("built without the application (core-only build)");
    QTemporaryDir root;
    QVERIFY(root.isValid());
    // An uncompressed archive (members read in place) named through a link and a linked folder.
    const QString input = casePath(QStringLiteral("fs-folder-modes.tar"));
    const QString link = root.filePath(QStringLiteral("link.tar"));
    QVERIFY(QFile::link(input, link));
    QVERIFY(QFile::link(QFileInfo(input).absolutePath(), root.filePath(QStringLiteral("cases"))));
    for (const QString &path : { link, root.filePath(QStringLiteral("cases/fs-folder-modes.tar")) }) {
        Run r = runLimited({ QStringLiteral("cat"), path, QStringLiteral("/.ssh/authorized_keys") }, root.path());
        QVERIFY2(r.exitCode == 0 && r.output == u"ssh-ed25519 AAAA attacker\n", qPrintable(path + u'\n' + r.output));
        r = runLimited({ QStringLiteral("inspect"), path }, root.path());
        QVERIFY2(r.exitCode == 0 && r.output.contains(u"hostile:1") && !r.output.contains(u"ELOOP")
                && !r.output.contains(u"links"),
            qPrintable(path + u'\n' + r.output));
    }
}

void TestHostile::extractDeepFolders()
{
    if (QByteArray(LAMINA_BINARY).isEmpty())
        QSKIP("built without the application (core-only build)");
    if (QStandardPaths::findExecutable(QStringLiteral("prlimit")).isEmpty())
        QSKIP("no prlimit to lower the descriptor limit");
    QTemporaryDir root;
    QVERIFY(root.isValid());
    const QString dest = root.filePath(QStringLiteral("out"));
    // 256 descriptors for 1,500 nested folders: one held per level would run out.
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(QStringLiteral("prlimit"),
        { QStringLiteral("--nofile=256"), QStringLiteral(LAMINA_BINARY), QStringLiteral("extract"),
            casePath(QStringLiteral("fs-deep-folders.tar")), QStringLiteral("/"), dest });
    QVERIFY(p.waitForFinished(300000));
    const QString output = QString::fromUtf8(p.readAll());
    QVERIFY2(p.exitCode() == 0 && output.contains(u"1500 folder(s)"), qPrintable(output.left(2000)));
    QString bottom = dest;
    for (int i = 0; i < 1500; ++i)
        bottom += QStringLiteral("/d");
    QFile f(bottom + QStringLiteral("/bottom"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("reached\n"));
}

void TestHostile::composeFullDisk()
{
    if (QByteArray(LAMINA_BINARY).isEmpty())
        QSKIP("built without the application (core-only build)");
    QTemporaryDir root;
    QVERIFY(root.isValid());
    const QString small = root.filePath(QStringLiteral("small"));
    QVERIFY(QDir().mkpath(small));
    if (QProcess::execute(QStringLiteral("mount"),
            { QStringLiteral("-t"), QStringLiteral("tmpfs"), QStringLiteral("-o"), QStringLiteral("size=256k"),
                QStringLiteral("tmpfs"), small })
        != 0)
        QSKIP("cannot mount a small file system here (needs root)");
    const auto unmount = qScopeGuard([&] { QProcess::execute(QStringLiteral("umount"), { small }); });
    const QString input = casePath(QStringLiteral("fs-mebibyte.tar"));
    const QString out = small + QStringLiteral("/out.tar");
    const Run r = runLimited({ QStringLiteral("compose"), input, QStringLiteral("--label"), QStringLiteral("a=b"),
                                 QStringLiteral("-o"), out },
        root.path());
    // The full disk is the output's: named first, with the reason.
    QVERIFY2(r.exitCode == 2 && r.output.contains(out + QStringLiteral(": cannot write"))
            && r.output.contains(u"No space left on device"),
        qPrintable(r.output));
    QVERIFY(!QFileInfo::exists(out));
    QCOMPARE(QDir(small).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());
}

void TestHostile::namesEscaped()
{
    if (QByteArray(LAMINA_BINARY).isEmpty())
        QSKIP("built without the application (core-only build)");
    QTemporaryDir root;
    QVERIFY(root.isValid());
    const QString input = casePath(QStringLiteral("fs-odd-names.tar"));
    auto run = [&](const QStringList &args) {
        QProcess p;
        p.start(QStringLiteral(LAMINA_BINARY), args);
        p.waitForFinished(120000);
        return p.readAllStandardOutput();
    };
    // Text: one line per entry (no forged line), no terminal escape, \xff and \xfe apart.
    const QByteArray text = run({ QStringLiteral("ls"), input });
    const QList<QByteArray> lines = text.trimmed().split('\n');
    QCOMPARE(lines.size(), 10);
    QVERIFY2(!text.contains('\x1b') && !text.contains("\xc2\x9b"), text.constData());
    QVERIFY(text.contains("names/a\\nforged 0:0 1 /etc/shadow\n"));
    QVERIFY(text.contains("names/bad\\xff\n") && text.contains("names/bad\\xfe\n"));
    QVERIFY(text.contains("names/back\\\\x41slash\n"));
    QVERIFY2(text.contains("drwxrwxrwt 0:0") && text.contains(" sticky\n"), text.constData()); // the sticky bit shows
    // JSON: UTF-8 names exact, the others escaped and marked.
    const QJsonArray entries
        = QJsonDocument::fromJson(run({ QStringLiteral("ls"), QStringLiteral("--json"), input })).array();
    QStringList paths, escaped;
    for (const QJsonValue &v : entries) {
        paths << v[u"path"].toString();
        if (v[u"pathEscaped"].toBool())
            escaped << v[u"path"].toString();
    }
    QVERIFY(paths.contains(QStringLiteral("names/a\nforged 0:0 1 /etc/shadow")));
    QVERIFY(paths.contains(QStringLiteral("names/\x1b[31mred\x1b[0m")));
    QCOMPARE(escaped, (QStringList { QStringLiteral("names/bad\\xfe"), QStringLiteral("names/bad\\xff") }));
    // The escaped form addresses each file in cat and extract; a literal backslash name still works.
    QCOMPARE(run({ QStringLiteral("cat"), input, QStringLiteral("names/bad\\xff") }), QByteArray("ff\n"));
    QCOMPARE(run({ QStringLiteral("cat"), input, QStringLiteral("names/bad\\xfe") }), QByteArray("fe\n"));
    QCOMPARE(run({ QStringLiteral("cat"), input, QStringLiteral("names/back\\x41slash") }), QByteArray("backslash\n"));
    QCOMPARE(
        run({ QStringLiteral("cat"), input, QStringLiteral("names/back\\\\x41slash") }), QByteArray("backslash\n"));
    const QString dest = root.filePath(QStringLiteral("out"));
    run({ QStringLiteral("extract"), input, QStringLiteral("names/bad\\xfe"), dest });
    const int fd = ::open(QByteArray(QFile::encodeName(dest) + "/bad\xfe").constData(), O_RDONLY);
    QVERIFY(fd >= 0);
    char got[8] = {};
    QCOMPARE(::read(fd, got, sizeof got), ssize_t(3));
    ::close(fd);
    QCOMPARE(QByteArray(got), QByteArray("fe\n"));
}

void TestHostile::skopeoDirFolder()
{
    if (QByteArray(LAMINA_BINARY).isEmpty())
        QSKIP("built without the application (core-only build)");
    // podman loads these folders (containers-image's directory transport): Lamina reads them too.
    const QString folder = casePath(QStringLiteral("fs-skopeo-dir"));
    const QByteArray before = fingerprint(folder);
    QTemporaryDir root;
    QVERIFY(root.isValid());
    Run r = runLimited({ QStringLiteral("check"), QStringLiteral("--verify"), folder }, root.path());
    QVERIFY2(r.exitCode == 0 && r.output.contains(u"1 image(s), 0 error(s)"), qPrintable(r.output));
    r = runLimited({ QStringLiteral("inspect"), folder }, root.path());
    QVERIFY2(r.output.contains(u"skopeo dir:") && r.output.contains(u"Cmd:         [sh]"), qPrintable(r.output));
    r = runLimited({ QStringLiteral("cat"), folder, QStringLiteral("/etc/motd") }, root.path());
    QCOMPARE(r.output, QStringLiteral("from a dir: folder\n"));
    QCOMPARE(fingerprint(folder), before); // nothing made up is written
}

void TestHostile::composeSpecHostPaths()
{
    // A composition file from someone else must not pull any host file into the image (issue 16,
    // item 12): host paths stay in the file's folder, as docker build's COPY stays in its context.
    if (QByteArray(LAMINA_BINARY).isEmpty())
        QSKIP("built without the application (core-only build)");
    QTemporaryDir root;
    QVERIFY(root.isValid());
    QVERIFY(QDir(root.path()).mkpath(QStringLiteral("project/site"))
        && QDir(root.path()).mkpath(QStringLiteral("private")));
    for (const QString &file : { QStringLiteral("project/site/index.html"), QStringLiteral("private/secret") }) {
        QFile f(root.filePath(file));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("content of " + file.toUtf8());
    }
    QVERIFY(QFile::link(root.filePath(QStringLiteral("private")), root.filePath(QStringLiteral("project/door"))));
    auto spec = [&](const QString &name, const QString &host) {
        const QString path = root.filePath(QStringLiteral("project/") + name);
        QFile f(path);
        if (f.open(QIODevice::WriteOnly))
            f.write(QJsonDocument(QJsonObject { { QStringLiteral("layers"),
                                      QJsonArray { QJsonObject { { QStringLiteral("ops"),
                                          QJsonArray { QJsonObject { { QStringLiteral("op"), QStringLiteral("add") },
                                              { QStringLiteral("host"), host },
                                              { QStringLiteral("path"), QStringLiteral("/x") } } } } } } } })
                        .toJson());
        return path;
    };
    struct Case
    {
        QString name, host, why;
    };
    const QList<Case> refused { { QStringLiteral("shadow.json"), QStringLiteral("/etc/shadow"),
                                    QStringLiteral("is an absolute path") },
        { QStringLiteral("up.json"), QStringLiteral("../private/secret"), QStringLiteral("leaving the file's folder") },
        { QStringLiteral("updown.json"), QStringLiteral("site/../../private"),
            QStringLiteral("leaving the file's folder") },
        { QStringLiteral("door.json"), QStringLiteral("door/secret"), QStringLiteral("symbolic link") } };
    const QString out = root.filePath(QStringLiteral("out.tar"));
    for (const Case &c : refused) {
        const Run r = runLimited(
            { QStringLiteral("compose"), QStringLiteral("--spec"), spec(c.name, c.host), QStringLiteral("-o"), out },
            root.path());
        QVERIFY2(r.signal == 0 && !r.timedOut, qPrintable(r.output));
        QVERIFY2(r.exitCode == 2 && r.output.contains(c.why) && r.output.contains(c.host)
                && r.output.contains(u"--allow-host-paths"),
            qPrintable(c.name + u'\n' + r.output));
        QVERIFY(!QFileInfo::exists(out));
    }
    // Inside the folder it is read; outside, only when allowed, and then what it names is added.
    Run r = runLimited({ QStringLiteral("compose"), QStringLiteral("--spec"),
                           spec(QStringLiteral("site.json"), QStringLiteral("site")), QStringLiteral("-o"), out },
        root.path());
    QVERIFY2(r.exitCode == 0, qPrintable(r.output));
    QVERIFY(QFile::remove(out));
    r = runLimited(
        { QStringLiteral("compose"), QStringLiteral("--allow-host-paths"), QStringLiteral("--spec"),
            spec(QStringLiteral("up.json"), QStringLiteral("../private/secret")), QStringLiteral("-o"), out },
        root.path());
    QVERIFY2(r.exitCode == 0, qPrintable(r.output));
    const ImageArchive written = openImageArchive(out);
    QVERIFY(written.ok());
    const ImageLayers layers = indexImageLayers(written, 0);
    QCOMPARE(layers.layers.constLast()->entry(layers.layers.constLast()->find("x")).size,
        qint64(strlen("content of private/secret")));
}

QTEST_GUILESS_MAIN(TestHostile)
#include "tst_hostile.moc"
