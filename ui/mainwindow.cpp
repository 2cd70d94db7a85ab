// SPDX-License-Identifier: MIT
#include "mainwindow.h"

#include "format/inspectreport.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QSplitter>
#include <QStatusBar>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace lamina {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
{
    setWindowTitle(QStringLiteral("Lamina"));
    setAcceptDrops(true);
    resize(1200, 720);

    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open Archive…"), QKeySequence::Open, this, &MainWindow::chooseFile);
    file->addAction(tr("Open &Layout Folder…"), this, &MainWindow::chooseFolder);
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    m_summary = new QLabel(tr("Open an image archive (File ▸ Open) or drop one here."));
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setWordWrap(true);

    m_images = new QTreeWidget;
    m_images->setObjectName(QStringLiteral("images"));
    m_images->setHeaderLabels({tr("Image"), tr("Platform"), tr("Layers"), tr("From")});
    m_images->setRootIsDecorated(false);

    m_layers = new QTreeWidget;
    m_layers->setObjectName(QStringLiteral("layers"));
    m_layers->setHeaderLabels({tr("#"), tr("Diff ID"), tr("Size"), tr("Compression"), tr("Media type"),
                               tr("Legacy ID"), tr("Member")});
    m_layers->setRootIsDecorated(false);
    m_layers->setAlternatingRowColors(true);

    m_errors = new QPlainTextEdit;
    m_errors->setObjectName(QStringLiteral("errors"));
    m_errors->setReadOnly(true);
    m_errors->setPlaceholderText(tr("Nothing unreadable."));

    auto *top = new QSplitter(Qt::Horizontal);
    top->addWidget(m_images);
    top->addWidget(m_layers);
    top->setStretchFactor(1, 3);
    auto *vertical = new QSplitter(Qt::Vertical);
    vertical->addWidget(top);
    vertical->addWidget(m_errors);
    vertical->setStretchFactor(0, 4);
    vertical->setSizes({540, 120});
    top->setSizes({340, 860});

    auto *central = new QWidget;
    auto *layout = new QVBoxLayout(central);
    layout->addWidget(m_summary);
    layout->addWidget(vertical, 1);
    setCentralWidget(central);

    connect(m_images, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem *item) {
        showImage(item ? m_images->indexOfTopLevelItem(item) : -1);
    });
    connect(&m_watcher, &QFutureWatcher<ImageArchive>::finished, this, [this] {
        showArchive(m_watcher.result());
        Q_EMIT archiveLoaded();
    });
}

void MainWindow::openPath(const QString &path)
{
    if (m_watcher.isRunning())
        return;
    statusBar()->showMessage(tr("Reading %1…").arg(QFileInfo(path).fileName()));
    m_watcher.setFuture(QtConcurrent::run([path] { return openImageArchive(path); }));
}

void MainWindow::chooseFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open Image Archive"), {},
                                                      tr("Image archives (*.tar *.tar.gz *.tgz *.tar.zst *.tar.xz *.tar.bz2);;All files (*)"));
    if (!path.isEmpty())
        openPath(path);
}

void MainWindow::chooseFolder()
{
    const QString path = QFileDialog::getExistingDirectory(this, tr("Open OCI Layout Folder"));
    if (!path.isEmpty())
        openPath(path);
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
        openPath(urls.constFirst().toLocalFile());
}

void MainWindow::showArchive(const ImageArchive &ia)
{
    m_archive = ia;
    setWindowTitle(QStringLiteral("%1 — Lamina").arg(QFileInfo(ia.path).fileName()));
    QString container = tr("folder");
    if (ia.archive && ia.archive->container() == Container::Tar) {
        container = ia.archive->compression() == Compression::None
            ? tr("uncompressed tar")
            : tr("%1-compressed tar").arg(compressionName(ia.archive->compression()));
    }
    m_summary->setText(tr("<b>%1</b> — %2, layout <b>%3</b>, %n image(s)", nullptr, int(ia.images.size()))
                           .arg(QFileInfo(ia.path).fileName().toHtmlEscaped(), container, layoutName(ia.layout)));
    m_images->clear();
    for (const Image &img : ia.images) {
        auto *item = new QTreeWidgetItem(m_images);
        item->setText(0, img.tags.isEmpty() ? tr("(untagged)") : img.tags.join(QStringLiteral(", ")));
        item->setText(1, img.platform.toString());
        item->setText(2, QString::number(img.layers.size()));
        item->setText(3, img.source == ImageSource::Manifest ? tr("manifest.json")
                         : img.source == ImageSource::Oci ? tr("OCI index") : tr("legacy chain"));
    }
    for (int c = 0; c < m_images->columnCount(); ++c)
        m_images->resizeColumnToContents(c);
    m_errors->setPlainText(ia.errors.join(u'\n'));
    statusBar()->showMessage(ia.ok() ? tr("Read %1").arg(ia.path) : tr("No image could be read from %1").arg(ia.path));
    if (!ia.images.isEmpty())
        m_images->setCurrentItem(m_images->topLevelItem(0));
    else
        showImage(-1);
}

void MainWindow::showImage(int index)
{
    m_layers->clear();
    if (index < 0 || index >= m_archive.images.size())
        return;
    const QLocale locale;
    const Image &img = m_archive.images.at(index);
    for (const ImageLayer &l : img.layers) {
        auto *item = new QTreeWidgetItem(m_layers);
        item->setText(0, QString::number(l.index));
        item->setText(1, l.diffId.isEmpty() ? tr("—") : shortDigest(l.diffId));
        item->setToolTip(1, l.diffId);
        item->setText(2, l.size >= 0 ? locale.formattedDataSize(l.size) : tr("?"));
        item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
        item->setText(3, compressionName(l.compression));
        item->setText(4, l.mediaType);
        item->setText(5, l.legacyId.left(12));
        item->setToolTip(5, l.legacyId);
        item->setText(6, l.resolvedPath.isEmpty() || l.resolvedPath == l.path ? l.path
                                                                                 : QStringLiteral("%1 → %2").arg(l.path, l.resolvedPath));
        if (!l.error.isEmpty()) {
            item->setForeground(6, QColor(Qt::red));
            item->setToolTip(6, l.error);
        }
    }
    for (int c = 0; c < m_layers->columnCount() - 1; ++c)
        m_layers->resizeColumnToContents(c);
}

} // namespace lamina
