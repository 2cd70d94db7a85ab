// SPDX-License-Identifier: MIT
#include "cli.h"
#include "layers/indexcache.h"

#include <QCoreApplication>
#include <QFileInfo>

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

/// Where lamina-window.so is: beside the program in the build tree, in the library folder once
/// installed.
QStringList windowModuleCandidates()
{
    char self[4096];
    const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    const QString dir = n > 0 ? QFileInfo(QString::fromLocal8Bit(self, int(n))).absolutePath() : QStringLiteral(".");
    return { dir + QStringLiteral("/lamina-window.so"),
        dir + QStringLiteral("/" LAMINA_WINDOW_MODULE_FROM_BINDIR "/lamina-window.so") };
}

} // namespace

int main(int argc, char **argv)
{
#if defined(__GLIBC__)
    // Layer indexes grow in big arrays, on several threads. glibc's default raises its mmap
    // threshold each time such an array is freed, so later ones come from the per-thread heaps
    // and their freed space stays in the process: 20 MB of a 1M-entry inspect's 167 MB peak.
    // A fixed threshold hands big blocks back as they are freed (measured: peak 147 MB, no
    // slower on any bench command).
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
    QStringList args;
    for (int i = 0; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    // Layer indexes kept between runs, for commands and window alike (docs/layers.md).
    lamina::IndexCache::setProcessDefault(lamina::IndexCache::fromEnvironment());

    // The command line never needs a display: pick the application class before constructing it.
    if (lamina::isCliInvocation(args)) {
        QCoreApplication app(argc, argv);
        QCoreApplication::setApplicationName(QStringLiteral("lamina"));
        QCoreApplication::setApplicationVersion(QStringLiteral(LAMINA_VERSION));
        return lamina::runCli(args);
    }
    // Without a display Qt's xcb plugin aborts with a message about plugins; say what to do instead.
    const bool tooling = args.value(1) == u"--screenshot" || args.value(1) == u"--ui-probe";
    if (!tooling && qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
        && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        fprintf(stderr,
            "lamina: no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
            "  On the command line: lamina inspect PATH, lamina check PATH (lamina --help lists them all).\n");
        return 2;
    }
    QStringList tried;
    for (const QString &path : windowModuleCandidates()) {
        if (!QFileInfo::exists(path))
            continue;
        void *module = ::dlopen(QFile::encodeName(path).constData(), RTLD_NOW | RTLD_LOCAL);
        if (!module) {
            tried << QString::fromLocal8Bit(dlerror());
            continue;
        }
        using Entry = int (*)(int, char **);
        if (const auto entry = reinterpret_cast<Entry>(::dlsym(module, "lamina_window_main")))
            return entry(argc, argv);
        tried << path + QStringLiteral(": no lamina_window_main");
    }
    if (tried.isEmpty())
        tried << QStringLiteral("not found at %1").arg(windowModuleCandidates().join(QStringLiteral(" or ")));
    fprintf(stderr,
        "lamina: cannot load the window (lamina-window.so): %s\n  The command line works without it: lamina --help.\n",
        qPrintable(tried.join(QStringLiteral("; "))));
    return 2;
}
