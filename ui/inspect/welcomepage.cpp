// SPDX-License-Identifier: MIT
#include "welcomepage.h"
#include "common/sizetext.h"
#include "engine/registrysource.h"
#include "format/imagearchive.h"

#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSaveFile>
#include <QSettings>
#include <QStandardPaths>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace lamina {

namespace {

constexpr int kRecentKept = 10;
const char kSampleName[] = "nix-buildimage-on-layered.tar.gz";

} // namespace

WelcomePage::WelcomePage(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("welcome"));
    auto *title = new QLabel(tr("<h2>Lamina</h2><p>Open a container image archive to see its layers, where its "
                                "descriptions of them disagree, and what Docker, podman and containerd would "
                                "do with it.</p>"));
    title->setWordWrap(true);

    auto *openFile = new QPushButton(tr("Open Archive…"));
    openFile->setObjectName(QStringLiteral("welcomeOpen"));
    auto *openFolder = new QPushButton(tr("Open Layout Folder…"));
    connect(openFile, &QPushButton::clicked, this, &WelcomePage::openFileRequested);
    connect(openFolder, &QPushButton::clicked, this, &WelcomePage::openFolderRequested);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(openFile);
    buttons->addWidget(openFolder);
    buttons->addStretch(1);
    auto *drop = new QLabel(tr("…or drop a .tar, .tar.gz, .tar.zst or an OCI layout folder anywhere on this window."));
    drop->setWordWrap(true);

    auto *sample = new QPushButton(tr("Open the Sample"));
    sample->setObjectName(QStringLiteral("welcomeSample"));
    auto *tour = new QPushButton(tr("Take the Tour"));
    tour->setObjectName(QStringLiteral("welcomeTour"));
    connect(sample, &QPushButton::clicked, this, &WelcomePage::sampleRequested);
    connect(tour, &QPushButton::clicked, this, &WelcomePage::tourRequested);
    auto *sampleText = new QLabel(
        tr("<b>The sample</b> is a 1.5 KB image made the way nixpkgs' <code>buildImage</code> stacks a layer on a "
           "layered image. Its manifest.json lists three layers, but its legacy chain names a parent that is not "
           "in the archive: two descriptions of one image that disagree, and loaders that read different ones. "
           "<b>The tour</b> walks through it member by member: what each file is, and who reads it."));
    sampleText->setWordWrap(true);
    auto *sampleButtons = new QHBoxLayout;
    sampleButtons->addWidget(sample);
    sampleButtons->addWidget(tour);
    sampleButtons->addStretch(1);

    m_recent = new QTreeWidget;
    m_recent->setObjectName(QStringLiteral("welcomeRecent"));
    m_recent->setHeaderLabels({ tr("Archive"), tr("Layout"), tr("Size"), tr("Folder") });
    m_recent->setRootIsDecorated(false);
    m_recent->setUniformRowHeights(true);
    m_recent->setTextElideMode(Qt::ElideMiddle);
    m_recent->header()->setStretchLastSection(true);
    connect(m_recent, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem *item) {
        if (item && !item->isDisabled())
            Q_EMIT recentRequested(item->data(0, Qt::UserRole).toString());
    });

    auto *column = new QVBoxLayout;
    column->addWidget(title);
    column->addLayout(buttons);
    column->addWidget(drop);
    column->addSpacing(12);
    column->addWidget(sampleText);
    column->addLayout(sampleButtons);
    column->addSpacing(12);
    column->addWidget(new QLabel(tr("<b>Recent archives</b>")));
    column->addWidget(m_recent, 1);
    // A readable measure on a wide screen: the column does not stretch past ~70 characters.
    auto *outer = new QHBoxLayout(this);
    outer->addStretch(1);
    outer->addLayout(column, 6);
    outer->addStretch(1);
    refresh();
}

void WelcomePage::refresh()
{
    m_recent->clear();
    QSettings settings;
    const QStringList paths = settings.value(QStringLiteral("recent")).toStringList();
    const QVariantMap layouts = settings.value(QStringLiteral("recentLayouts")).toMap();
    for (const QString &path : paths) {
        const QFileInfo info(path);
        auto *item = new QTreeWidgetItem(m_recent);
        item->setText(0, shownName(path));
        item->setData(0, Qt::UserRole, path);
        item->setToolTip(0, path);
        if (isImageReference(path)) {
            // An engine's or a registry's image: asked for again when opened, so never "no longer there".
            item->setText(1, layouts.value(path).toString());
            item->setText(3, path.startsWith(u"registry://") ? tr("registry") : tr("engine"));
            continue;
        }
        item->setText(3, QDir::toNativeSeparators(info.absolutePath()));
        item->setToolTip(3, item->text(3));
        if (!info.exists()) {
            item->setText(1, tr("no longer there"));
            item->setDisabled(true);
            continue;
        }
        item->setText(1, layouts.value(path).toString());
        item->setText(2, info.isDir() ? tr("folder") : sizeText(info.size()));
        item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
    }
    if (paths.isEmpty()) {
        auto *item = new QTreeWidgetItem(m_recent, { tr("Nothing opened yet") });
        item->setDisabled(true);
    }
    for (int c = 0; c < 3; ++c)
        m_recent->resizeColumnToContents(c);
}

void rememberRecent(const QString &path, const QString &layout)
{
    // An engine's image is kept as its reference: made absolute, it became a path that is never there.
    const QString absolute = isImageReference(path) ? path : QFileInfo(path).absoluteFilePath();
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("recent")).toStringList();
    recent.removeAll(absolute);
    recent.prepend(absolute);
    recent = recent.mid(0, kRecentKept);
    QVariantMap layouts = settings.value(QStringLiteral("recentLayouts")).toMap();
    layouts.insert(absolute, layout);
    for (auto it = layouts.begin(); it != layouts.end();)
        it = recent.contains(it.key()) ? std::next(it) : layouts.erase(it);
    settings.setValue(QStringLiteral("recent"), recent);
    settings.setValue(QStringLiteral("recentLayouts"), layouts);
}

QString sampleArchivePath(QString *error)
{
    QFile bundled(QStringLiteral(":/samples/%1").arg(QLatin1String(kSampleName)));
    const QString dir = QStandardPaths::writableLocation(QStandardPaths::CacheLocation) + QStringLiteral("/samples");
    const QString path = dir + u'/' + QLatin1String(kSampleName);
    if (QFileInfo(path).size() == bundled.size())
        return path;
    // Written whole or not at all: a half-written copy would read as a broken archive.
    QSaveFile copy(path);
    if (!QDir().mkpath(dir) || !bundled.open(QIODevice::ReadOnly) || !copy.open(QIODevice::WriteOnly)
        || copy.write(bundled.readAll()) != bundled.size() || !copy.commit()) {
        if (error)
            *error = QObject::tr("Could not copy the sample to %1: %2")
                         .arg(path, copy.errorString().isEmpty() ? bundled.errorString() : copy.errorString());
        return {};
    }
    return path;
}

} // namespace lamina
