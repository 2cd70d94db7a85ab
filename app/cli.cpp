// SPDX-License-Identifier: MIT
#include "cli.h"

#include "format/imagearchive.h"
#include "format/inspectreport.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QTextStream>

namespace lamina {

namespace {

const char *const kUsage =
    "Usage:\n"
    "  lamina [PATH]                  open the window (on PATH, an archive or OCI layout folder)\n"
    "  lamina inspect [--json] PATH   describe the images, layers and views of an archive\n"
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

} // namespace

bool isCliInvocation(const QStringList &args)
{
    if (args.size() < 2)
        return false;
    static const QStringList commands = {QStringLiteral("inspect"), QStringLiteral("help"), QStringLiteral("--help"),
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
    return usage(err, QStringLiteral("unknown command %1").arg(command));
}

} // namespace lamina
