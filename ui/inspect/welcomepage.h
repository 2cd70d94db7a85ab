// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

class QTreeWidget;

namespace lamina {

/// What a window shows before an archive is open: how to open one (buttons, drop), the bundled
/// sample with what it shows, the tour, and the archives opened before with their layout and size.
class WelcomePage : public QWidget
{
    Q_OBJECT
public:
    explicit WelcomePage(QWidget *parent = nullptr);

    /// Lists the recent archives (QSettings "recent", with the layouts "recentLayouts" noted when
    /// they were opened); one no longer there is listed greyed, and cannot be opened.
    void refresh();
    QTreeWidget *recent() const { return m_recent; }

Q_SIGNALS:
    void openFileRequested();
    void openFolderRequested();
    void sampleRequested();
    void tourRequested();
    void recentRequested(const QString &path);

private:
    QTreeWidget *m_recent = nullptr;
};

/// Notes that `path` was opened with `layout`, first in the recent list (ten kept).
void rememberRecent(const QString &path, const QString &layout);
/// The bundled sample (nixpkgs' buildImage on a layered image), copied out of the program's
/// resources into the cache folder the first time, since archives are read from files. Empty
/// with `error` set when it cannot be written.
QString sampleArchivePath(QString *error = nullptr);

} // namespace lamina
