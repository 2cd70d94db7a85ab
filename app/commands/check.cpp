// SPDX-License-Identifier: MIT
// `lamina check` and `lamina verify`: where the views of an archive disagree with each other, with
// the bytes (--verify) and with the loaders of this machine (--try-loaders).
#include "command.h"

#include "check/checkreport.h"
#include "check/checks.h"
#include "check/loaders.h"
#include "check/tryloaders.h"
#include "check/verify.h"
#include "format/inspectreport.h"
#include "layers/streamedlayers.h"

#include <QElapsedTimer>
#include <QJsonDocument>

#include <atomic>
#include <csignal>
#include <unistd.h>

namespace lamina::cli {

namespace {

/// `check --verify`: the layers read once, for their entries and both digests (what a loader
/// refuses inside a layer is a finding too), the progress on a terminal.
QList<Finding> verifyWithProgress(const ImageArchive &ia, QTextStream &err,
    const QHash<int, std::shared_ptr<const LayerIndex>> &known, double openSeconds)
{
    const bool tty = ::isatty(STDERR_FILENO);
    Progress progress;
    progress.report = [&err, tty](qint64 done, qint64 total) {
        if (!tty || total <= 0)
            return;
        err << QStringLiteral("\rverifying: %1%").arg(int(100.0 * double(done) / double(total)));
        err.flush();
    };
    LayerVerification verified = verifyLayers(ia, progress, known);
    VerifyReport &report = verified.report;
    if (!known.isEmpty())
        report.seconds += openSeconds; // the layers were hashed while the archive was opened
    if (tty)
        err << "\r";
    const double mb = double(report.bytesVerified) / 1e6, readMb = double(report.bytesRead) / 1e6;
    err << QStringLiteral("verified %1 layer file(s), %2 MB in %3 s (%4 MB/s)")
               .arg(report.members.size())
               .arg(mb, 0, 'f', 1)
               .arg(report.seconds, 0, 'f', 2)
               .arg(report.seconds > 0 ? readMb / report.seconds : 0.0, 0, 'f', 0);
    // Digests the index cache kept from an earlier read of this same unchanged file (docs/layers.md).
    if (report.bytesRead < report.bytesVerified)
        err << QStringLiteral(": %1 MB read and hashed now, the rest's digests from the index cache")
                   .arg(readMb, 0, 'f', 1);
    err << '\n';
    err.flush();
    return verified.findings;
}

/// `check --try-loaders`: each stage on a terminal; Ctrl+C cancels, the running load is stopped
/// and what it loaded still removed.
TryLoadersResult tryWithProgress(
    const QString &path, const QList<LoaderVerdict> &predicted, TryLoadersOptions options, QTextStream &err)
{
    const bool tty = ::isatty(STDERR_FILENO);
    options.stage = [&err, tty](const QString &stage) {
        if (!tty)
            return;
        err << "\r\x1b[K" << stage << QStringLiteral("…");
        err.flush();
    };
    static std::atomic<bool> interrupted { false };
    struct sigaction sa
    {
    };
    sa.sa_handler = [](int) { interrupted = true; };
    struct sigaction previous
    {
    };
    ::sigaction(SIGINT, &sa, &previous);
    Progress progress;
    progress.cancel = &interrupted;
    const TryLoadersResult tried = tryLoaders(path, predicted, options, progress);
    ::sigaction(SIGINT, &previous, nullptr);
    if (tty)
        err << "\r\x1b[K";
    err.flush();
    return tried;
}

/// With --try-loaders the question is whether the loaders did as predicted.
int triedExitCode(const TryLoadersResult &tried, QTextStream &err)
{
    bool anyRan = false, differs = false, left = false;
    for (const TriedLoader &t : std::as_const(tried.loaders)) {
        anyRan = anyRan || t.ran;
        differs = differs || (t.judged() && !t.matches());
        for (const QString &what : t.leftBehind) {
            err << "lamina: " << t.loader << " left behind: " << what << '\n';
            left = true;
        }
    }
    if (left || !anyRan)
        return 2;
    return differs ? 1 : 0;
}

} // namespace

int check(const QStringList &args, QTextStream &out, QTextStream &err, bool verify)
{
    bool json = false, explain = false, tryLoading = false;
    TryLoadersOptions tryOptions;
    RegistryOptions registry;
    QString path;
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args.at(i);
        const auto value = [&](QString *to) {
            if (i + 1 >= args.size() || args.at(i + 1).isEmpty())
                return false;
            *to = args.at(++i);
            return true;
        };
        if (a == u"--json")
            json = true;
        else if (a == u"--explain")
            explain = true;
        else if (a == u"--verify")
            verify = true;
        else if (a == u"--try-loaders")
            tryLoading = true;
        else if (a == u"--insecure")
            registry.insecure = true;
        else if (a == u"--containerd-address") {
            if (!value(&tryOptions.containerdAddress))
                return usage(err, QStringLiteral("check: --containerd-address needs containerd's socket"));
        } else if (a == u"--docker-host") {
            if (!value(&tryOptions.dockerHost))
                return usage(err, QStringLiteral("check: --docker-host needs a host (unix:///var/run/docker.sock)"));
        } else if (a.startsWith(u"--"))
            return usage(err, QStringLiteral("check: unknown option %1").arg(a));
        else if (path.isEmpty())
            path = a;
        else
            return usage(err, QStringLiteral("check: one PATH only"));
    }
    if (!tryLoading && (!tryOptions.containerdAddress.isEmpty() || !tryOptions.dockerHost.isEmpty()))
        return usage(err, QStringLiteral("check: --containerd-address and --docker-host go with --try-loaders"));
    if (path.isEmpty())
        return usage(err, QStringLiteral("check: PATH is missing"));
    // Verified, an archive compressed as a whole is read once: its layers are indexed and hashed
    // as it is opened.
    LayerIndexOptions hashing;
    hashing.computeDigests = true;
    StreamedLayers streamed(hashing);
    QElapsedTimer opening;
    opening.start();
    const ImageArchive ia = openImageArchive(path, {}, registry, verify ? streamed.tap() : Archive::StreamTap());
    const double openSeconds = double(opening.nsecsElapsed()) / 1e9;
    QList<Finding> findings = checkArchive(ia);
    if (verify && ia.archive) {
        findings += verifyWithProgress(ia, err, streamed.indexed(), openSeconds);
        sortFindings(findings);
    }
    const TryLoadersResult tried = tryLoading
        ? tryWithProgress(ia.archive ? ia.archive->path() : path, loaderVerdicts(ia, findings), tryOptions, err)
        : TryLoadersResult();
    if (json) {
        QJsonObject o = inspectJson(ia);
        o.insert(QStringLiteral("loaderVerdicts"), loaderVerdictsJson(loaderVerdicts(ia, findings)));
        if (tryLoading)
            o.insert(QStringLiteral("triedLoaders"), triedLoadersJson(tried));
        o.insert(QStringLiteral("findings"), findingsJson(findings));
        out << QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented));
    } else {
        out << checkText(ia, findings, explain);
        if (tryLoading) {
            out << "\nLoaders of this machine:\n";
            for (const TriedLoader &t : std::as_const(tried.loaders))
                out << "  " << triedLoaderLine(t) << '\n';
        }
    }
    if (!tryLoading)
        return checkExitCode(ia, findings);
    return triedExitCode(tried, err);
}

} // namespace lamina::cli
