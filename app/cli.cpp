// SPDX-License-Identifier: MIT
#include "cli.h"

#include "check/checkreport.h"
#include "check/checks.h"
#include "check/verify.h"
#include "format/imagearchive.h"
#include "format/inspectreport.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QTextStream>

#include <unistd.h>

namespace lamina {

namespace {

const char *const kUsage =
    "Usage:\n"
    "  lamina [PATH]                  open the window (on PATH, an archive or OCI layout folder)\n"
    "  lamina inspect [--json] PATH   describe the images, layers and views of an archive\n"
    "  lamina check [--json] [--verify] [--explain] PATH\n"
    "                                 where the views disagree with each other (and, with --verify,\n"
    "                                 with the bytes); exit 0 no error, 1 errors found, 2 unreadable\n"
    "  lamina verify [--json] PATH    check --verify: hash every layer, with progress and throughput\n"
    "  lamina --help | --version\n"
    "\n"
    "Exit status of inspect: 0 when at least one image was read, 2 otherwise.\n";

int usage(QTextStream &err, const QString &problem)
{
    if (!problem.isEmpty())
        err << "lamina: " << problem << '\n';
    err << kUsage;
    return 2;
}

int inspect(const QStringList &args, QTextStream &out, QTextStream &err)
{
    bool json = false;
    QString path;
    for (const QString &a : args) {
        if (a == u"--json")
            json = true;
        else if (a.startsWith(u"--"))
            return usage(err, QStringLiteral("inspect: unknown option %1").arg(a));
        else if (path.isEmpty())
            path = a;
        else
            return usage(err, QStringLiteral("inspect: one PATH only"));
    }
    if (path.isEmpty())
        return usage(err, QStringLiteral("inspect: PATH is missing"));
    const ImageArchive ia = openImageArchive(path);
    if (json)
        out << QString::fromUtf8(QJsonDocument(inspectJson(ia)).toJson(QJsonDocument::Indented));
    else
        out << inspectText(ia);
    out.flush();
    if (!json && !ia.ok())
        err << "lamina: no image could be read from " << path << '\n';
    return ia.ok() ? 0 : 2;
}

int check(const QStringList &args, QTextStream &out, QTextStream &err, bool verify)
{
    bool json = false, explain = false;
    QString path;
    for (const QString &a : args) {
        if (a == u"--json")
            json = true;
        else if (a == u"--explain")
            explain = true;
        else if (a == u"--verify")
            verify = true;
        else if (a.startsWith(u"--"))
            return usage(err, QStringLiteral("check: unknown option %1").arg(a));
        else if (path.isEmpty())
            path = a;
        else
            return usage(err, QStringLiteral("check: one PATH only"));
    }
    if (path.isEmpty())
        return usage(err, QStringLiteral("check: PATH is missing"));
    const ImageArchive ia = openImageArchive(path);
    QList<Finding> findings = checkArchive(ia);
    if (verify && ia.archive) {
        const bool tty = ::isatty(STDERR_FILENO);
        Progress progress;
        progress.report = [&err, tty](qint64 done, qint64 total) {
            if (!tty || total <= 0)
                return;
            err << QStringLiteral("\rverifying: %1%").arg(int(100.0 * double(done) / double(total)));
            err.flush();
        };
        const VerifyReport report = verifyArchive(ia, progress);
        if (tty)
            err << "\r";
        const double mb = double(report.bytesRead) / 1e6;
        err << QStringLiteral("verified %1 layer file(s), %2 MB in %3 s (%4 MB/s)\n")
                   .arg(report.members.size())
                   .arg(mb, 0, 'f', 1)
                   .arg(report.seconds, 0, 'f', 2)
                   .arg(report.seconds > 0 ? mb / report.seconds : 0.0, 0, 'f', 0);
        err.flush();
        findings += verificationFindings(ia, report);
        sortFindings(findings);
    }
    if (json) {
        QJsonObject o = inspectJson(ia);
        o.insert(QStringLiteral("findings"), findingsJson(findings));
        out << QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented));
    } else {
        out << checkText(ia, findings, explain);
    }
    return checkExitCode(ia, findings);
}

} // namespace

bool isCliInvocation(const QStringList &args)
{
    if (args.size() < 2)
        return false;
    static const QStringList commands = {QStringLiteral("inspect"), QStringLiteral("check"), QStringLiteral("verify"), QStringLiteral("help"), QStringLiteral("--help"),
                                         QStringLiteral("-h"), QStringLiteral("--version")};
    return commands.contains(args.at(1));
}

int runCli(const QStringList &args)
{
    QTextStream out(stdout);
    QTextStream err(stderr);
    const QString command = args.value(1);
    if (command == u"--help" || command == u"-h" || command == u"help") {
        out << kUsage;
        return 0;
    }
    if (command == u"--version") {
        out << "lamina " << QCoreApplication::applicationVersion() << '\n';
        return 0;
    }
    if (command == u"inspect")
        return inspect(args.mid(2), out, err);
    if (command == u"check")
        return check(args.mid(2), out, err, false);
    if (command == u"verify")
        return check(args.mid(2), out, err, true);
    return usage(err, QStringLiteral("unknown command %1").arg(command));
}

} // namespace lamina
