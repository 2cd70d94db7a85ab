// SPDX-License-Identifier: MIT
#include "cli.h"
#include "mainwindow.h"

#include <QApplication>
#include <QCoreApplication>

#include <memory>

int main(int argc, char **argv)
{
    QStringList args;
    for (int i = 0; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);

    // The command line never needs a display: pick the application class before constructing it.
    if (lamina::isCliInvocation(args)) {
        QCoreApplication app(argc, argv);
        QCoreApplication::setApplicationName(QStringLiteral("lamina"));
        QCoreApplication::setApplicationVersion(QStringLiteral(LAMINA_VERSION));
        return lamina::runCli(args);
    }
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Lamina"));
    QApplication::setApplicationVersion(QStringLiteral(LAMINA_VERSION));
    QApplication::setOrganizationName(QStringLiteral("Lamina"));
    lamina::MainWindow window;
    window.show();
    if (args.size() > 1)
        window.openPath(args.at(1));
    return app.exec();
}
