// SPDX-License-Identifier: MIT
// MainWindow's panes: the inspector page and its docks, their sizes and how they are remembered
// and reset, the View menu, the welcome page's sample and the tour.
#include "mainwindow.h"

#include "compose/composerpanel.h"
#include "help/tour.h"
#include "imagetreeview.h"
#include "inspect/archivemappage.h"
#include "inspect/chainpage.h"
#include "inspect/configpage.h"
#include "inspect/findingspage.h"
#include "inspect/imagelist.h"
#include "inspect/layerspage.h"
#include "inspect/welcomepage.h"

#include <QDockWidget>
#include <QFileInfo>
#include <QMenu>
#include <QMessageBox>
#include <QScreen>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTimer>

#include <algorithm>
#include <cstdlib>

namespace lamina {

int MainWindow::fittedFindingsHeight() const
{
    // The dock's own title bar comes on top of what its content needs.
    return m_findingsPage->fittedHeight() + m_findingsDock->sizeHint().height() - m_findingsPage->sizeHint().height();
}

void MainWindow::showPages()
{
    m_stack->setCurrentWidget(m_pages);
    // Docks take their sizes only once laid out in a visible window: the first time the pages
    // show, the images get a list's width, unless the last window's layout was restored.
    if (!m_layoutRestored) {
        m_layoutRestored = true;
        QTimer::singleShot(
            0, this, [this] { m_inspector->resizeDocks({ m_imagesDock }, { imagesWidth() }, Qt::Horizontal); });
    }
}

int MainWindow::imagesWidth() const
{
    return std::clamp(width() / 5, 200, 300);
}

void MainWindow::growFindingsToRead()
{
    // An explanation wants room to be read: a pane at the height that fits the findings (the
    // user has not set one) grows to a third of the page, once.
    if (m_findingsHeight > 0)
        return;
    const int room = m_inspector->height() * 38 / 100;
    if (m_findingsDock->height() >= room)
        return;
    m_findingsSetHeight = room;
    m_inspector->resizeDocks({ m_findingsDock }, { room }, Qt::Vertical);
}

void MainWindow::fitFindingsToTheirCount()
{
    // Only a pane at the height Lamina gave it: one the user dragged, or sized in an earlier
    // window, keeps its height. After the event loop turns: docks take sizes once laid out.
    QTimer::singleShot(0, this, [this] {
        if (m_findingsPage->folded() || m_findingsHeight > 0
            || (m_findingsSetHeight > 0 && std::abs(m_findingsDock->height() - m_findingsSetHeight) > 4))
            return;
        m_findingsSetHeight = fittedFindingsHeight();
        m_inspector->resizeDocks({ m_findingsDock }, { m_findingsSetHeight }, Qt::Vertical);
    });
}

void MainWindow::saveLayout()
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
    settings.setValue(QStringLiteral("window/inspector"), m_inspector->saveState());
    if (!m_findingsPage->folded() && std::abs(m_findingsDock->height() - m_findingsSetHeight) > 4)
        m_findingsHeight = m_findingsDock->height();
    if (m_findingsHeight > 0)
        settings.setValue(QStringLiteral("findings/height"), m_findingsHeight);
    for (QSplitter *splitter : findChildren<QSplitter *>())
        if (!splitter->objectName().isEmpty())
            settings.setValue(QStringLiteral("window/") + splitter->objectName(), splitter->saveState());
}

void MainWindow::resetLayout()
{
    m_inspector->restoreState(m_defaultInspector);
    m_inspector->resizeDocks({ m_imagesDock }, { imagesWidth() }, Qt::Horizontal);
    for (QSplitter *splitter : findChildren<QSplitter *>())
        if (m_defaultSplitters.contains(splitter->objectName()))
            splitter->restoreState(m_defaultSplitters.value(splitter->objectName()));
    m_findingsHeight = 0;
    QSettings().remove(QStringLiteral("findings/height"));
    m_findingsPage->setFoldedByUser(false);
    m_findingsSetHeight = fittedFindingsHeight();
    m_inspector->resizeDocks({ m_findingsDock }, { m_findingsSetHeight }, Qt::Vertical);
}

void MainWindow::fitToScreen()
{
    // The first window (and one restored from a bigger screen, or at a larger scale factor) fits
    // the screen it opens on, title bar and panels included.
    const QScreen *where = screen();
    if (!where)
        return;
    const QRect room = where->availableGeometry();
    const QSize most(room.width() * 95 / 100, room.height() * 90 / 100);
    if (width() > most.width() || height() > most.height())
        resize(size().boundedTo(most));
    if (!room.contains(frameGeometry()))
        move(room.topLeft() + QPoint((room.width() - width()) / 2, (room.height() - height()) / 2));
}

void MainWindow::openSample()
{
    QString error;
    const QString path = sampleArchivePath(&error);
    if (path.isEmpty())
        QMessageBox::warning(this, tr("Open the Sample"), error);
    else
        openAsked(path);
}

void MainWindow::startTour()
{
    // The tour walks the sample: opened first unless it is what is shown.
    QString error;
    const QString sample = sampleArchivePath(&error);
    if (sample.isEmpty()) {
        QMessageBox::warning(this, tr("How Images Are Stored"), error);
        return;
    }
    if (!m_tour) {
        m_tour = new Tour;
        m_tourDock = new QDockWidget(tr("How images are stored"));
        m_tourDock->setObjectName(QStringLiteral("tourDock"));
        m_tourDock->setWidget(m_tour);
        m_inspector->addDockWidget(Qt::RightDockWidgetArea, m_tourDock);
        m_viewMenu->insertAction(m_viewMenu->actions().value(2), m_tourDock->toggleViewAction());
        connect(m_tour, &Tour::memberReached, this, [this](int member) {
            showTab(ArchiveMapTab);
            m_archiveMap->selectMember(member);
        });
        connect(m_tour, &Tour::viewsReached, this, [this] { showTab(ChainTab); });
        connect(m_tour, &Tour::closeRequested, m_tourDock, &QWidget::hide);
    }
    auto begin = [this] {
        m_tourDock->show();
        m_tour->start(m_archive);
    };
    if (QFileInfo(m_archive.path) == QFileInfo(sample)) {
        begin();
        return;
    }
    auto *once = new QObject(this);
    connect(this, &MainWindow::archiveLoaded, once, [once, begin] {
        delete once;
        begin();
    });
    connect(this, &MainWindow::openFailed, once, [once] { delete once; });
    openAsked(sample);
    if (m_openJob.isRunning())
        return;
    delete once; // the user kept the composition: nothing opens
}

void MainWindow::buildViewMenu()
{
    QAction *images = m_imagesDock->toggleViewAction();
    images->setText(tr("&Images Pane"));
    m_viewMenu->addAction(images);
    QAction *findings = m_findingsDock->toggleViewAction();
    findings->setText(tr("&Loaders and Findings Pane"));
    m_viewMenu->addAction(findings);
    m_viewMenu->addSeparator();
    m_viewMenu->addAction(tr("&Reset Layout"), this, &MainWindow::resetLayout);
}

QWidget *MainWindow::buildInspector()
{
    m_images = new ImageList;
    m_chainPage = new ChainPage;
    m_chain = m_chainPage->chain();
    m_layersPage = new LayersPage;
    m_configPage = new ConfigPage;
    m_archiveMap = new ArchiveMapPage;
    m_findingsPage = new FindingsPage;
    m_tabs = new QTabWidget;
    m_tabs->insertTab(ChainTab, m_chainPage, tr("Chain ⇄ manifest"));
    m_tabs->insertTab(LayersTab, m_layersPage, tr("Layers && files"));
    m_tabs->insertTab(ConfigTab, m_configPage, tr("Config && history"));
    m_tabs->insertTab(ArchiveMapTab, m_archiveMap, tr("Archive map"));

    // A main window of its own, inside the Inspect page: its panes are docks (moved, closed,
    // floated, remembered) that the Compose page, which needs the whole window, does not carry.
    m_inspector = new QMainWindow;
    m_inspector->setObjectName(QStringLiteral("inspector"));
    m_inspector->setWindowFlags(Qt::Widget);
    m_inspector->setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowNestedDocks);
    m_inspector->setCentralWidget(m_tabs);
    m_imagesDock = new QDockWidget(tr("Images"));
    m_imagesDock->setObjectName(QStringLiteral("imagesDock"));
    m_imagesDock->setWidget(m_images);
    m_inspector->addDockWidget(Qt::LeftDockWidgetArea, m_imagesDock);
    m_findingsDock = new QDockWidget(tr("Loaders and findings"));
    m_findingsDock->setObjectName(QStringLiteral("findingsDock"));
    m_findingsDock->setWidget(m_findingsPage);
    m_inspector->addDockWidget(Qt::BottomDockWidgetArea, m_findingsDock);
    m_findingsHeight = QSettings().value(QStringLiteral("findings/height"), 0).toInt();
    connect(m_findingsPage, &FindingsPage::foldChanged, this, [this](bool folded) {
        // Unfolded, the pane gets back the height the user gave it, or what fits the findings;
        // folded, the tabs take it.
        if (folded) {
            if (std::abs(m_findingsDock->height() - m_findingsSetHeight) > 4)
                m_findingsHeight = m_findingsDock->height(); // the user dragged it
            return;
        }
        m_findingsSetHeight = m_findingsHeight > 0 ? m_findingsHeight : fittedFindingsHeight();
        m_inspector->resizeDocks({ m_findingsDock }, { m_findingsSetHeight }, Qt::Vertical);
    });
    return m_inspector;
}

} // namespace lamina
