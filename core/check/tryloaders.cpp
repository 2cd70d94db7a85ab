// SPDX-License-Identifier: MIT
// Loading an archive with the real loaders of this machine, the way tests/loaders/loadmatrix.py
// does for the tests, but into the user's daemons: every step is undone, and what could not be
// undone is reported rather than guessed at.
#include "check/tryloaders.h"

#include "write/outputwriter.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>

#include <memory>

#include <fcntl.h>
#include <unistd.h>

namespace lamina {

namespace {

constexpr int kQuickMs = 120 * 1000; ///< a version, a listing or a removal
constexpr qsizetype kOutputChars = 4000;

struct Ran
{
    bool started = false;
    bool finished = false; ///< exited by itself, within its time
    bool cancelled = false;
    int exitCode = -1;
    QString output;
    bool ok() const { return finished && exitCode == 0; }
};

/// Runs a program to its end, or until `cancel` is set (only loads pass one: a removal always
/// runs to its end) or its time is up; then it is killed.
Ran run(const QString &program, const QStringList &args, int timeoutMs, const Progress *cancel = nullptr,
    const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
{
    Ran r;
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.setProcessEnvironment(env);
    // A process group of its own: Ctrl+C in a terminal reaches the caller, which cancels, and not
    // a load in the middle of its work (nor the clean-up after it).
    p.setChildProcessModifier([] { ::setpgid(0, 0); });
    p.start(program, args);
    if (!p.waitForStarted(30000)) {
        r.output = p.errorString();
        return r;
    }
    r.started = true;
    QByteArray out;
    const QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        if ((cancel && cancel->cancelled()) || deadline.hasExpired()) {
            r.cancelled = cancel && cancel->cancelled();
            p.kill();
            p.waitForFinished(30000);
            out += p.readAll();
            r.output = QString::fromUtf8(out).trimmed();
            if (!r.cancelled)
                r.output += QStringLiteral("\n(stopped after %1 s)").arg(timeoutMs / 1000);
            return r;
        }
        if (p.waitForFinished(100))
            break;
        out += p.readAll();
        if (out.size() > 4 * kOutputChars)
            out = out.right(4 * kOutputChars); // a chatty load keeps only its end, where the error is
    }
    out += p.readAll();
    r.finished = p.exitStatus() == QProcess::NormalExit;
    r.exitCode = r.finished ? p.exitCode() : -1;
    r.output = QString::fromUtf8(out).trimmed();
    return r;
}

QString trimmedOutput(QString text)
{
    static const QRegularExpression ansi(QStringLiteral("\x1b\\[[0-9;]*[A-Za-z]"));
    text.remove(ansi);
    text = text.trimmed();
    if (text.size() > kOutputChars)
        text = QStringLiteral("…") + text.right(kOutputChars);
    return text;
}

QStringList words(const QString &text)
{
    return text.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts);
}

/// (major, minor) of "20.10.24+dfsg1", "1.6.20~ds1", "v2.0.0"; (-1, -1) when there is none.
QPair<int, int> majorMinor(const QString &version)
{
    static const QRegularExpression re(QStringLiteral("(\\d+)\\.(\\d+)"));
    const QRegularExpressionMatch m = re.match(version);
    if (!m.hasMatch())
        return { -1, -1 };
    return { m.captured(1).toInt(), m.captured(2).toInt() };
}

/// `folder`'s contents as a tar at `tar`, in name order, at the tar's root as `docker save` and
/// `skopeo copy … oci-archive:` put them. Folders, files and symbolic links; nothing else is in
/// an image's folder.
bool packFolder(const QString &folder, const QString &tar, QString *error)
{
    const std::unique_ptr<OutputWriter> w = OutputWriter::tar(tar, Compression::None, 1, error);
    if (!w)
        return false;
    const QDir root(folder);
    QStringList names;
    QDirIterator it(
        folder, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext())
        names << root.relativeFilePath(it.next());
    names.sort();
    for (const QString &name : std::as_const(names)) {
        const QFileInfo fi(root.filePath(name));
        bool ok = true;
        if (fi.isSymLink()) {
            char target[4096];
            const ssize_t n = ::readlink(QFile::encodeName(fi.filePath()).constData(), target, sizeof target);
            ok = n >= 0 && w->header(name, OutputWriter::Kind::Symlink, 0, QFile::decodeName(QByteArray(target, n)));
        } else if (fi.isDir()) {
            ok = w->header(name + u'/', OutputWriter::Kind::Folder);
        } else if (fi.isFile()) {
            const int fd = ::open(QFile::encodeName(fi.filePath()).constData(), O_RDONLY | O_CLOEXEC);
            ok = fd >= 0 && w->header(name, OutputWriter::Kind::File, fi.size()) && w->copyFrom(fd, 0, fi.size());
            if (fd >= 0)
                ::close(fd);
        }
        if (!ok) {
            *error = w->error().isEmpty() ? QStringLiteral("%1: cannot be read").arg(fi.filePath()) : w->error();
            return false;
        }
    }
    if (!w->finish(OutputWriter::Sync::No)) {
        *error = w->error();
        return false;
    }
    return true;
}

/// The steps of one loader, for the progress figures.
constexpr int kSteps = 3; // version, load, clean up

struct Context
{
    const QString &path;
    const QList<LoaderVerdict> &predicted;
    const TryLoadersOptions &options;
    const Progress &progress;
    QProcessEnvironment env; ///< TMPDIR in the throwaway folder: what a loader leaves there goes with it
    QString tmp;
    int done = 0, total = 0;
    void step(const QString &stage)
    {
        if (options.stage && !stage.isEmpty())
            options.stage(stage);
        progress.update(done++, total);
    }
};

void predict(TriedLoader &t, const Context &c)
{
    for (const LoaderVerdict &v : c.predicted)
        if (v.range == t.range)
            t.predicted = v;
    if (t.range < 0)
        t.predicted = {};
}

void finishLoad(TriedLoader &t, const Ran &r, const Context &c)
{
    t.exitCode = r.finished ? r.exitCode : -1;
    t.output = trimmedOutput(QString(r.output).replace(c.path, QStringLiteral("<archive>")));
    t.messageSeen = !t.predicted.message.isEmpty() && t.output.contains(t.predicted.message);
    if (r.cancelled || c.progress.cancelled()) {
        t.ran = false;
        t.notRun = QStringLiteral("cancelled while loading");
    } else if (!r.finished) {
        t.ran = false;
        t.notRun = r.started ? QStringLiteral("the load did not finish: ") + t.output.right(200)
                             : QStringLiteral("could not be started: ") + r.output;
    } else {
        t.ran = true;
    }
}

// ---- podman: a store of its own in a temporary folder ----

TriedLoader tryPodman(Context &c, const QString &program)
{
    TriedLoader t;
    t.loader = QStringLiteral("podman");
    const QString dir = c.tmp + QStringLiteral("/podman");
    // podman refuses a run root of more than 50 characters (its sockets live there): a short
    // folder of its own then, removed with the rest.
    QString runRoot = dir + QStringLiteral("/run");
    std::unique_ptr<QTemporaryDir> shortRun;
    if (runRoot.size() > 50) {
        shortRun = std::make_unique<QTemporaryDir>(QStringLiteral("/tmp/lamina-run-XXXXXX"));
        shortRun->setAutoRemove(false);
        if (shortRun->isValid())
            runRoot = shortRun->path();
    }
    // Every folder podman writes to is in the throwaway one: the store, its run state, libpod's
    // tmpdir (its "alive" marker there decides when the user's own podman refreshes its state),
    // networks and volumes.
    const QStringList store = { QStringLiteral("--root"), dir + QStringLiteral("/root"), QStringLiteral("--runroot"),
        runRoot, QStringLiteral("--tmpdir"), dir + QStringLiteral("/tmp"), QStringLiteral("--network-config-dir"),
        dir + QStringLiteral("/networks"), QStringLiteral("--volumepath"), dir + QStringLiteral("/volumes"),
        QStringLiteral("--storage-driver"), QStringLiteral("vfs"), QStringLiteral("--events-backend"),
        QStringLiteral("none"), QStringLiteral("--cgroup-manager"), QStringLiteral("cgroupfs") };
    c.step(QStringLiteral("podman: version"));
    const Ran version = run(program,
        store
            + QStringList { QStringLiteral("version"), QStringLiteral("--format"),
                QStringLiteral("{{.Client.Version}}") },
        kQuickMs, nullptr, c.env);
    t.version = version.ok() ? version.output.trimmed() : QString();
    t.range = loaderRangeFor(t.loader, t.version);
    predict(t, c);
    if (!version.ok()) {
        t.notRun = QStringLiteral("podman does not run: ") + trimmedOutput(version.output).right(300);
    } else if (c.progress.cancelled()) {
        t.notRun = QStringLiteral("cancelled");
    } else {
        c.step(QStringLiteral("podman: loading"));
        const Ran load = run(program,
            store + QStringList { QStringLiteral("load"), QStringLiteral("-q"), QStringLiteral("-i"), c.path },
            c.options.loadTimeoutSeconds * 1000, &c.progress, c.env);
        finishLoad(t, load, c);
        if (t.ran) {
            const Ran images = run(program, store + QStringList { QStringLiteral("images"), QStringLiteral("-aq") },
                kQuickMs, nullptr, c.env);
            t.loaded = t.exitCode == 0 && images.ok() && !words(images.output).isEmpty();
        }
    }
    c.step(QStringLiteral("podman: removing its store"));
    run(program, store + QStringList { QStringLiteral("rmi"), QStringLiteral("-af") }, kQuickMs, nullptr, c.env);
    // Not `podman system reset`: it also removes every network of the user's network folder
    // and stops the rootless pause process (podman libpod/reset.go (*Runtime).Reset).
    for (const QString &folder : { dir, runRoot }) {
        if (!QDir(folder).removeRecursively() && QFileInfo::exists(folder)) {
            // Rootless: the store's files belong to the user's subordinate IDs.
            run(program,
                store + QStringList { QStringLiteral("unshare"), QStringLiteral("rm"), QStringLiteral("-rf"), folder },
                kQuickMs, nullptr, c.env);
            QDir(folder).removeRecursively();
        }
        if (QFileInfo::exists(folder))
            t.leftBehind << QStringLiteral("the throwaway store %1 could not be removed").arg(folder);
    }
    return t;
}

// ---- containerd: a namespace of its own ----

TriedLoader tryContainerd(Context &c, const QString &program)
{
    TriedLoader t;
    t.loader = QStringLiteral("containerd");
    const QString address = c.options.containerdAddress;
    const auto ctr = [&](const QString &ns, const QStringList &args, int timeoutMs, const Progress *cancel = nullptr) {
        QStringList all = { QStringLiteral("--address"), address };
        if (!ns.isEmpty())
            all << QStringLiteral("-n") << ns;
        return run(program, all + args, timeoutMs, cancel, c.env);
    };
    c.step(QStringLiteral("containerd: version"));
    const Ran version = ctr({}, { QStringLiteral("version") }, kQuickMs);
    // "Server:\n  Version:  1.6.20~ds1\n  Revision: …"
    const qsizetype server = version.output.indexOf(QStringLiteral("Server:"));
    if (version.ok() && server >= 0) {
        static const QRegularExpression re(QStringLiteral("Version:\\s*(\\S+)"));
        t.version = re.match(version.output, server).captured(1);
    }
    t.range = loaderRangeFor(t.loader, t.version);
    predict(t, c);
    if (!version.ok() || t.version.isEmpty()) {
        t.notRun = QStringLiteral("containerd at %1 does not answer: %2")
                       .arg(address, trimmedOutput(version.output).right(300));
        return t;
    }
    const Ran namespaces
        = ctr({}, { QStringLiteral("namespaces"), QStringLiteral("ls"), QStringLiteral("-q") }, kQuickMs);
    QString ns;
    for (int attempt = 0; attempt < 10 && ns.isEmpty(); ++attempt) {
        ns = QStringLiteral("lamina-try-%1").arg(QRandomGenerator::global()->generate64(), 16, 16, QLatin1Char('0'));
        if (!namespaces.ok() || words(namespaces.output).contains(ns))
            ns.clear();
    }
    if (ns.isEmpty()) {
        t.notRun = QStringLiteral("containerd's namespaces cannot be listed: ") + trimmedOutput(namespaces.output);
        return t;
    }
    if (c.progress.cancelled()) {
        t.notRun = QStringLiteral("cancelled");
        return t;
    }
    c.step(QStringLiteral("containerd: importing"));
    // As Docker 29 and Kubernetes do: every platform's blobs, unpacked.
    const Ran load = ctr(ns,
        { QStringLiteral("images"), QStringLiteral("import"), QStringLiteral("--all-platforms"),
            QStringLiteral("--digests"), QStringLiteral("--snapshotter"), QStringLiteral("native"), c.path },
        c.options.loadTimeoutSeconds * 1000, &c.progress);
    finishLoad(t, load, c);
    c.step(QStringLiteral("containerd: removing its namespace"));
    const Ran images = ctr(ns, { QStringLiteral("images"), QStringLiteral("ls"), QStringLiteral("-q") }, kQuickMs);
    if (t.ran)
        t.loaded = t.exitCode == 0 && images.ok() && !words(images.output).isEmpty();
    // Always: a failed import leaves blobs behind too.
    if (!words(images.output).isEmpty())
        ctr(ns,
            QStringList { QStringLiteral("images"), QStringLiteral("rm"), QStringLiteral("--sync") }
                + words(images.output),
            kQuickMs);
    const Ran content = ctr(ns, { QStringLiteral("content"), QStringLiteral("ls"), QStringLiteral("-q") }, kQuickMs);
    if (!words(content.output).isEmpty())
        ctr(ns, QStringList { QStringLiteral("content"), QStringLiteral("rm") } + words(content.output), kQuickMs);
    Ran removed = ctr({}, { QStringLiteral("namespaces"), QStringLiteral("rm"), ns }, kQuickMs);
    if (!removed.ok()) {
        // A killed import can leave a lease or a snapshot that keeps the namespace.
        const Ran leases = ctr(ns, { QStringLiteral("leases"), QStringLiteral("ls"), QStringLiteral("-q") }, kQuickMs);
        for (const QString &lease : words(leases.output))
            ctr(ns, { QStringLiteral("leases"), QStringLiteral("rm"), QStringLiteral("--sync"), lease }, kQuickMs);
        const QStringList snap
            = { QStringLiteral("snapshots"), QStringLiteral("--snapshotter"), QStringLiteral("native") };
        // Children before parents: remove what can be removed until nothing more can.
        for (int round = 0; round < 200; ++round) {
            const Ran keys = ctr(ns, snap + QStringList { QStringLiteral("ls") }, kQuickMs);
            QStringList list = keys.output.split(u'\n', Qt::SkipEmptyParts).mid(1);
            if (!keys.ok() || list.isEmpty())
                break;
            bool any = false;
            for (const QString &line : std::as_const(list)) {
                const QString key = words(line).value(0);
                any = ctr(ns, snap + QStringList { QStringLiteral("rm"), key }, kQuickMs).ok() || any;
            }
            if (!any)
                break;
        }
        const Ran rest = ctr(ns, { QStringLiteral("content"), QStringLiteral("ls"), QStringLiteral("-q") }, kQuickMs);
        if (!words(rest.output).isEmpty())
            ctr(ns, QStringList { QStringLiteral("content"), QStringLiteral("rm") } + words(rest.output), kQuickMs);
        removed = ctr({}, { QStringLiteral("namespaces"), QStringLiteral("rm"), ns }, kQuickMs);
    }
    if (!removed.ok())
        t.leftBehind << QStringLiteral("containerd namespace %1 could not be removed: %2")
                            .arg(ns, trimmedOutput(removed.output).right(300));
    return t;
}

// ---- Docker: the user's daemon; exactly what the load added is removed ----

struct DockerImages
{
    bool ok = false;
    QSet<QString> ids;
    QHash<QString, QString> tags; ///< "name:tag" → image ID
};

DockerImages dockerImages(const Context &c, const QString &program)
{
    DockerImages d;
    const Ran r = run(program,
        { QStringLiteral("-H"), c.options.dockerHost, QStringLiteral("images"), QStringLiteral("-a"),
            QStringLiteral("--no-trunc"), QStringLiteral("--format"),
            QStringLiteral("{{.ID}} {{.Repository}}:{{.Tag}}") },
        kQuickMs, nullptr, c.env);
    d.ok = r.ok();
    for (const QString &line : r.output.split(u'\n', Qt::SkipEmptyParts)) {
        const QStringList w = words(line);
        if (w.size() != 2)
            continue;
        d.ids << w.at(0);
        if (!w.at(1).contains(u"<none>"))
            d.tags.insert(w.at(1), w.at(0));
    }
    return d;
}

TriedLoader tryDocker(Context &c, const QString &program)
{
    TriedLoader t;
    t.loader = QStringLiteral("docker");
    const QStringList host = { QStringLiteral("-H"), c.options.dockerHost };
    c.step(QStringLiteral("docker: version"));
    const Ran version = run(program,
        host
            + QStringList { QStringLiteral("version"), QStringLiteral("--format"),
                QStringLiteral("{{.Server.Version}}") },
        kQuickMs, nullptr, c.env);
    // Docker 25–28 keep their images in containerd when asked to, Docker 29 by default on a new
    // installation; `docker info` names the store (moby daemon/daemon.go NewDaemon chooses
    // daemon/containerd's image service when the snapshotter is in use, daemon/images' otherwise).
    const Ran info = run(program,
        host
            + QStringList { QStringLiteral("info"), QStringLiteral("--format"),
                QStringLiteral("{{json .DriverStatus}}") },
        kQuickMs, nullptr, c.env);
    t.version = version.ok() ? version.output.trimmed() : QString();
    t.range = loaderRangeFor(t.loader, t.version, info.output.contains(u"io.containerd.snapshotter"));
    predict(t, c);
    const DockerImages before = dockerImages(c, program);
    if (!version.ok() || !before.ok) {
        t.notRun = QStringLiteral("Docker at %1 does not answer: %2")
                       .arg(c.options.dockerHost, trimmedOutput(version.output).right(300));
        return t;
    }
    if (c.progress.cancelled()) {
        t.notRun = QStringLiteral("cancelled");
        return t;
    }
    c.step(QStringLiteral("docker: loading"));
    const Ran load = run(program, host + QStringList { QStringLiteral("load"), QStringLiteral("-i"), c.path },
        c.options.loadTimeoutSeconds * 1000, &c.progress, c.env);
    finishLoad(t, load, c);
    c.step(QStringLiteral("docker: removing what it loaded"));
    DockerImages after = dockerImages(c, program);
    if (!load.finished) {
        // The daemon goes on with a load whose client was stopped until it notices: wait until
        // its images stop changing before deciding what it added.
        for (int quiet = 0, second = 0; quiet < 3 && second < 120; ++second) {
            QThread::sleep(1);
            const DockerImages now = dockerImages(c, program);
            quiet = now.ids == after.ids && now.tags == after.tags ? quiet + 1 : 0;
            after = now;
        }
    }
    QSet<QString> added = after.ids - before.ids;
    // Docker 20.10 exits 0 having loaded nothing for some archives; an image already there is
    // loaded without adding one, and says so.
    if (t.ran)
        t.loaded = t.exitCode == 0 && (!added.isEmpty() || t.output.contains(u"Loaded image"));
    // Children before parents, and --no-prune: a parent that was there before stays.
    for (int round = 0; round < 100 && !added.isEmpty(); ++round) {
        run(program,
            host + QStringList { QStringLiteral("rmi"), QStringLiteral("-f"), QStringLiteral("--no-prune") }
                + QStringList(added.begin(), added.end()),
            kQuickMs, nullptr, c.env);
        after = dockerImages(c, program);
        const QSet<QString> still = after.ids - before.ids;
        if (still == added)
            break;
        added = still;
    }
    // A tag the archive took from an image that was there gets it back; one it added to an image
    // that was there is removed when that does not delete the image (another tag keeps it).
    for (auto it = before.tags.cbegin(); it != before.tags.cend(); ++it)
        if (after.tags.value(it.key()) != it.value())
            run(program, host + QStringList { QStringLiteral("tag"), it.value(), it.key() }, kQuickMs, nullptr, c.env);
    after = dockerImages(c, program);
    for (auto it = after.tags.cbegin(); it != after.tags.cend(); ++it) {
        if (before.tags.contains(it.key()))
            continue;
        int others = 0;
        for (auto jt = after.tags.cbegin(); jt != after.tags.cend(); ++jt)
            others += jt.value() == it.value() && jt.key() != it.key() ? 1 : 0;
        if (others > 0)
            run(program, host + QStringList { QStringLiteral("rmi"), QStringLiteral("--no-prune"), it.key() }, kQuickMs,
                nullptr, c.env);
    }
    after = dockerImages(c, program);
    if (!after.ok) {
        t.leftBehind << QStringLiteral("Docker's images could not be listed after the load");
    } else {
        for (const QString &id : after.ids - before.ids)
            t.leftBehind << QStringLiteral("image %1").arg(id);
        for (auto it = after.tags.cbegin(); it != after.tags.cend(); ++it)
            if (before.tags.value(it.key()) != it.value())
                t.leftBehind << QStringLiteral("tag %1 (on %2)").arg(it.key(), it.value());
        for (auto it = before.tags.cbegin(); it != before.tags.cend(); ++it)
            if (!after.tags.contains(it.key()))
                t.leftBehind << QStringLiteral("tag %1 is gone").arg(it.key());
    }
    return t;
}

} // namespace

int loaderRangeFor(const QString &loader, const QString &version, bool containerdStore)
{
    const QPair<int, int> v = majorMinor(version);
    if (v.first < 0)
        return -1;
    const QList<LoaderRange> &ranges = loaderRanges();
    int classic = -1;
    // A daemon on containerd's store loads through containerd's importer, whatever its version.
    if (loader == u"docker" && containerdStore) {
        for (int i = 0; i < ranges.size(); ++i)
            if (ranges.at(i).loader == loader && ranges.at(i).family == LoaderFamily::Containerd2)
                return i;
        return -1;
    }
    for (int i = 0; i < ranges.size(); ++i) {
        const LoaderRange &r = ranges.at(i);
        if (r.loader != loader)
            continue;
        if (loader == u"docker" && r.family == LoaderFamily::Containerd2)
            continue;
        if (r.family == LoaderFamily::DockerClassic)
            classic = i;
        const QPair<int, int> from = majorMinor(r.from), to = majorMinor(r.to);
        if (v >= from && (r.to.isEmpty() || v <= to))
            return i;
    }
    // Docker 29 kept on a graphdriver store loads through the same tarexporter as 25–28.
    if (loader == u"docker" && classic >= 0 && v > majorMinor(ranges.at(classic).to))
        return classic;
    return -1;
}

TryLoadersResult tryLoaders(const QString &path, const QList<LoaderVerdict> &predicted,
    const TryLoadersOptions &options, const Progress &progress)
{
    TryLoadersResult result;
    QTemporaryDir tmp(QDir::tempPath() + QStringLiteral("/lamina-try-XXXXXX"));
    // A folder is given to every loader as the tar of its contents: docker load and ctr import
    // read archives only, and the verdicts of a folder are those of that tar.
    const QString absolute = QFileInfo(path).absoluteFilePath();
    QString loadable = absolute;
    if (QFileInfo(absolute).isDir()) {
        loadable = tmp.filePath(QStringLiteral("folder.tar"));
        QString error;
        if (!packFolder(absolute, loadable, &error)) {
            for (const QString &l :
                { QStringLiteral("docker"), QStringLiteral("containerd"), QStringLiteral("podman") }) {
                TriedLoader t;
                t.loader = l;
                t.notRun = QStringLiteral("the folder could not be packed as a tar: %1").arg(error);
                result.loaders << t;
            }
            return result;
        }
    }
    Context c { loadable, predicted, options, progress, QProcessEnvironment::systemEnvironment(), {} };
    c.tmp = tmp.path();
    QDir(c.tmp).mkpath(QStringLiteral("tmp"));
    c.env.insert(QStringLiteral("TMPDIR"), c.tmp + QStringLiteral("/tmp"));

    const QString docker = QStandardPaths::findExecutable(QStringLiteral("docker"));
    const QString ctr = QStandardPaths::findExecutable(QStringLiteral("ctr"));
    const QString podman = QStandardPaths::findExecutable(QStringLiteral("podman"));
    const bool useDocker = !options.dockerHost.isEmpty() && !docker.isEmpty();
    const bool useContainerd = !options.containerdAddress.isEmpty() && !ctr.isEmpty();
    const bool usePodman = options.podman && !podman.isEmpty();
    c.total = kSteps * ((useDocker ? 1 : 0) + (useContainerd ? 1 : 0) + (usePodman ? 1 : 0));

    const auto notTried = [&](const QString &loader, const QString &why) {
        TriedLoader t;
        t.loader = loader;
        t.notRun = why;
        return t;
    };
    if (!QFileInfo::exists(absolute)) {
        for (const QString &l : { QStringLiteral("docker"), QStringLiteral("containerd"), QStringLiteral("podman") })
            result.loaders << notTried(l, QStringLiteral("%1 does not exist").arg(path));
        return result;
    }
    if (useDocker)
        result.loaders << tryDocker(c, docker);
    else
        result.loaders << notTried(QStringLiteral("docker"),
            options.dockerHost.isEmpty() ? QStringLiteral("not asked for (it loads into a daemon people use)")
                                         : QStringLiteral("the docker command is not installed"));
    if (useContainerd)
        result.loaders << tryContainerd(c, ctr);
    else
        result.loaders << notTried(QStringLiteral("containerd"),
            options.containerdAddress.isEmpty() ? QStringLiteral("not asked for (it needs containerd's address)")
                                                : QStringLiteral("the ctr command is not installed"));
    if (usePodman)
        result.loaders << tryPodman(c, podman);
    else
        result.loaders << notTried(QStringLiteral("podman"),
            options.podman ? QStringLiteral("podman is not installed") : QStringLiteral("not asked for"));
    progress.update(c.total, c.total);
    result.cancelled = progress.cancelled();
    // The folder held podman's store and the loaders' temporary files.
    if (!tmp.remove() && QFileInfo::exists(c.tmp))
        for (TriedLoader &t : result.loaders)
            if (t.loader == u"podman" && t.leftBehind.isEmpty())
                t.leftBehind << QStringLiteral("the temporary folder %1 could not be removed").arg(c.tmp);
    return result;
}

QJsonArray triedLoadersJson(const TryLoadersResult &result)
{
    QJsonArray a;
    const auto orNull = [](const QString &s) { return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s); };
    for (const TriedLoader &t : result.loaders) {
        QJsonObject o;
        o.insert(QStringLiteral("loader"), t.loader);
        o.insert(QStringLiteral("version"), orNull(t.version));
        o.insert(QStringLiteral("range"), t.range >= 0 ? QJsonValue(loaderRanges().at(t.range).label) : QJsonValue());
        o.insert(QStringLiteral("ran"), t.ran);
        o.insert(QStringLiteral("notRun"), orNull(t.notRun));
        o.insert(
            QStringLiteral("predicted"), t.range >= 0 ? QJsonValue(verdictName(t.predicted.verdict)) : QJsonValue());
        o.insert(QStringLiteral("because"), QJsonArray::fromStringList(t.predicted.because));
        o.insert(QStringLiteral("message"), orNull(t.predicted.message));
        o.insert(QStringLiteral("observed"),
            t.ran ? QJsonValue(t.loaded ? QStringLiteral("loads") : QStringLiteral("refuses")) : QJsonValue());
        o.insert(QStringLiteral("matches"), t.judged() ? QJsonValue(t.matches()) : QJsonValue());
        o.insert(QStringLiteral("messageSeen"), t.messageSeen);
        o.insert(QStringLiteral("exitCode"), t.ran ? QJsonValue(t.exitCode) : QJsonValue());
        o.insert(QStringLiteral("output"), t.output);
        o.insert(QStringLiteral("leftBehind"), QJsonArray::fromStringList(t.leftBehind));
        a.append(o);
    }
    return a;
}

QString triedLoaderLine(const TriedLoader &t)
{
    QString line = t.version.isEmpty() ? t.loader : t.loader + u' ' + t.version;
    if (!t.ran && t.notRun.startsWith(u"not asked"))
        return line + QStringLiteral(": not tried, ") + t.notRun;
    QString predicted = QStringLiteral("no prediction for this version");
    if (t.range >= 0) {
        predicted = QStringLiteral("predicted ") + verdictName(t.predicted.verdict).replace(u'-', u' ');
        if (!t.predicted.because.isEmpty())
            predicted += QStringLiteral(" (%1)").arg(t.predicted.because.join(QStringLiteral(", ")));
    }
    line += QStringLiteral(": ") + predicted;
    if (!t.ran)
        return line + QStringLiteral(", not tried: ") + t.notRun;
    line += QStringLiteral(", observed ") + (t.loaded ? QStringLiteral("loads") : QStringLiteral("refuses"));
    if (t.judged() && !t.matches())
        line += QStringLiteral(" — DIFFERS");
    if (!t.loaded) {
        // The loader's own words: the last line is where its error is.
        const QStringList lines = t.output.split(u'\n', Qt::SkipEmptyParts);
        if (!lines.isEmpty())
            line += QStringLiteral(": ") + lines.constLast().trimmed();
    }
    return line;
}

} // namespace lamina
