// SPDX-License-Identifier: MIT
// The main window's ways in: a file, a folder or an engine's or registry's image chosen or dropped,
// the archives opened before, and a second archive to compare the one shown with.
#include "check/checks.h"
#include "compare/comparewindow.h"
#include "compose/composerpanel.h"
#include "inspect/archiveheader.h"
#include "inspect/openimagedialog.h"
#include "inspect/welcomepage.h"
#include "layers/streamedlayers.h"
#include "mainwindow.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QSettings>
#include <QStatusBar>

namespace lamina {

void MainWindow::openAsked(const QString &path)
{
    // The composition follows the window to the new archive (re-based on it): unsaved, it is
    // saved or discarded first, as the user says.
    if (m_composer->maybeSave())
        openPath(path);
}

void MainWindow::openPath(const QString &path)
{
    // What runs is about the archive no longer shown: stopped, its results dropped.
    cancelWork();
    m_indexJob.cancel();
    m_treeJob.cancel();
    m_verifyJob.cancel();
    hideProgress();
    statusBar()->showMessage(tr("Reading %1…").arg(shownName(path)));
    m_progress->setRange(0, 0);
    m_progress->setFormat(QString());
    m_progress->show();
    // The dialog's "insecure" holds for the reference it was given, Reload included, and for
    // nothing opened after: a recent entry of it later is verified again.
    RegistryOptions registry;
    registry.insecure = !path.isEmpty() && path == m_insecureReference;
    m_openJob.start(
        [path, registry](const Progress &progress) {
            Opened o;
            // Cancelled by opening another: an engine's image stops downloading then.
            // Compressed as a whole, its layers are indexed and hashed in the same pass, for the
            // indexing and the verification that follow.
            LayerIndexOptions options;
            options.computeDigests = true;
            StreamedLayers streamed(options, progress);
            o.archive = openImageArchive(path, progress, registry, streamed.tap());
            o.layers = streamed.indexed();
            o.findings = checkArchive(o.archive);
            return o;
        },
        [this, path, registry](Opened opened) {
            m_progress->hide();
            if (!opened.archive.archive) {
                // Nothing of it could be read: what is on screen (and being composed) stays.
                const QString why = opened.archive.errors.join(QStringLiteral("; "));
                m_header->showOpenFailed(path, why, m_archive.path);
                statusBar()->showMessage(tr("Could not open %1").arg(shownName(path)));
                Q_EMIT openFailed(why);
                return;
            }
            rememberRecent(path, layoutName(opened.archive.layout));
            // Cleared only once another archive is shown: a failed open leaves the Reload of
            // the one on screen as it was asked.
            if (!registry.insecure)
                m_insecureReference.clear();
            // How to pull this archive again to convert it; the composer takes it with the base
            // (showIndexed), so that an export never pulls one base with another's choice.
            m_registry = registry;
            m_welcome->refresh();
            showOpened(opened);
            Q_EMIT archiveLoaded();
        });
}

void MainWindow::fillRecentMenu()
{
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(QStringLiteral("recent")).toStringList();
    for (const QString &path : recent)
        m_recentMenu->addAction(path, this, [this, path] { openAsked(path); });
    if (recent.isEmpty())
        m_recentMenu->addAction(tr("(nothing yet)"))->setEnabled(false);
}

void MainWindow::fillCompareMenu(QMenu *menu, const QByteArray &path, int imageA)
{
    menu->clear();
    const int a = imageA >= 0 ? imageA : m_image;
    if (!m_archive.ok() || a < 0 || a >= m_archive.images.size()) {
        menu->addAction(tr("(open an archive first)"))->setEnabled(false);
        return;
    }
    for (int i = 0; i < m_archive.images.size(); ++i) {
        if (i == a)
            continue;
        const Image &img = m_archive.images.at(i);
        QString name = img.tags.isEmpty() ? tr("untagged") : img.tags.constFirst();
        if (!img.platform.isEmpty())
            name += QStringLiteral(" (%1)").arg(img.platform.toString());
        menu->addAction(tr("Image %1 of This Archive: %2").arg(i).arg(name), this,
            [this, i, path, a] { compareWith({}, i, path, a); });
    }
    if (m_archive.images.size() > 1)
        menu->addSeparator();
    if (path.isEmpty() && imageA < 0) {
        menu->addAction(m_compareArchive);
    } else {
        menu->addAction(tr("Another &Archive…"), this, [this, path, a] { chooseCompare(false, path, a); });
    }
    menu->addAction(tr("Another &Layout Folder…"), this, [this, path, a] { chooseCompare(true, path, a); });
    QStringList recent = QSettings().value(QStringLiteral("recent")).toStringList();
    recent.removeAll(m_archive.path);
    if (!recent.isEmpty()) {
        menu->addSeparator();
        for (const QString &other : recent.mid(0, 8))
            menu->addAction(other, this, [this, other, path, a] { compareWith(other, 0, path, a); });
    }
}

void MainWindow::askCompareWith(const QByteArray &path, int imageA)
{
    if (!m_archive.ok())
        return;
    // With other images or recent archives to offer, a menu; else straight to the file dialog.
    QMenu menu(this);
    fillCompareMenu(&menu, path, imageA);
    if (m_archive.images.size() > 1 || QSettings().value(QStringLiteral("recent")).toStringList().size() > 1)
        menu.exec(QCursor::pos());
    else
        chooseCompare(false, path, imageA);
}

void MainWindow::chooseCompare(bool folder, const QByteArray &path, int imageA)
{
    if (!m_archive.ok())
        return;
    QSettings settings;
    const QString start = settings.value(QStringLiteral("open/folder")).toString();
    const QString other = folder
        ? QFileDialog::getExistingDirectory(this, tr("Compare With an OCI Layout Folder"), start)
        : QFileDialog::getOpenFileName(this, tr("Compare With an Image Archive"), start,
            tr("Image archives (*.tar *.tar.gz *.tgz *.tar.zst *.tar.xz *.tar.bz2);;All files (*)"));
    if (other.isEmpty())
        return;
    settings.setValue(QStringLiteral("open/folder"), QFileInfo(other).absolutePath());
    compareWith(other, 0, path, imageA);
}

CompareWindow *MainWindow::compareWith(const QString &pathB, int imageB, const QByteArray &selectPath, int imageA)
{
    if (!m_archive.ok())
        return nullptr;
    CompareSide a { m_archive, imageA >= 0 ? imageA : std::max(m_image, 0), {} };
    // The layers this window indexed serve when they are all there and the config names each
    // one's diff ID (else the comparison indexes them again, hashing).
    if (a.image == m_image && !m_indexJob.isRunning() && !m_layers.cancelled) {
        const Image &img = m_archive.images.at(a.image);
        bool usable = m_layers.layers.size() == img.layers.size();
        for (int k = 0; usable && k < img.layers.size(); ++k)
            usable = m_layers.layers.at(k) && !img.layers.at(k).diffId.isEmpty();
        if (usable)
            a.layers = m_layers.layers;
    }
    auto *window = new CompareWindow(a, pathB, imageB, selectPath, this);
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->show();
    return window;
}

void MainWindow::chooseFile()
{
    QSettings settings;
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Image Archive"),
        settings.value(QStringLiteral("open/folder")).toString(),
        tr("Image archives (*.tar *.tar.gz *.tgz *.tar.zst *.tar.xz *.tar.bz2);;All files (*)"));
    if (path.isEmpty())
        return;
    settings.setValue(QStringLiteral("open/folder"), QFileInfo(path).absolutePath());
    openAsked(path);
}

void MainWindow::chooseFolder()
{
    QSettings settings;
    const QString path = QFileDialog::getExistingDirectory(
        this, tr("Open OCI Layout Folder"), settings.value(QStringLiteral("open/folder")).toString());
    if (path.isEmpty())
        return;
    // The folder it is in: the next archive is more likely a sibling than inside this layout.
    settings.setValue(QStringLiteral("open/folder"), QFileInfo(path).absolutePath());
    openAsked(path);
}

void MainWindow::chooseEngineImage()
{
    OpenImageDialog dialog(this);
    if (dialog.exec() == QDialog::Accepted)
        openChosenImage(dialog.reference(), dialog.insecure());
}

void MainWindow::openChosenImage(const QString &reference, bool insecure)
{
    if (!m_composer->maybeSave())
        return;
    m_insecureReference = insecure && reference.startsWith(u"registry://") ? reference : QString();
    openPath(reference);
}

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (event->mimeData()->hasUrls())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.constFirst().isLocalFile())
        openAsked(urls.constFirst().toLocalFile());
}

} // namespace lamina
