// SPDX-License-Identifier: MIT
#pragma once

#include "format/imagearchive.h"

#include <QFutureWatcher>
#include <QMainWindow>

class QLabel;
class QPlainTextEdit;
class QTreeWidget;

namespace lamina {

/// The main window: the images of an archive, the layers of the selected one with the three
/// views joined, and what could not be read. Opening runs off the UI thread.
class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(QWidget *parent = nullptr);

    /// Opens an archive or layout folder in the background; the views fill when it is read.
    void openPath(const QString &path);
    const ImageArchive &current() const { return m_archive; }

Q_SIGNALS:
    void archiveLoaded();

protected:
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dropEvent(QDropEvent *event) override;

private:
    void chooseFile();
    void chooseFolder();
    void showArchive(const ImageArchive &ia);
    void showImage(int index);

    ImageArchive m_archive;
    QFutureWatcher<ImageArchive> m_watcher;
    QTreeWidget *m_images = nullptr;
    QTreeWidget *m_layers = nullptr;
    QPlainTextEdit *m_errors = nullptr;
    QLabel *m_summary = nullptr;
};

} // namespace lamina
