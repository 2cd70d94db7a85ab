// SPDX-License-Identifier: MIT
// For tests of the window: opening an archive as a user would and waiting until its files show.
#pragma once

#include "mainwindow.h"

#include <QSignalSpy>

namespace lamina::test {

/// Opens `path` in `w` and waits until it is loaded and, when it has images, its layers indexed.
inline bool openAndWait(MainWindow &w, const QString &path)
{
    QSignalSpy loaded(&w, &MainWindow::archiveLoaded);
    QSignalSpy indexed(&w, &MainWindow::layersIndexed);
    w.openPath(path);
    if (!loaded.wait(30000))
        return false;
    return w.current().images.isEmpty() || indexed.count() > 0 || indexed.wait(30000);
}

} // namespace lamina::test
