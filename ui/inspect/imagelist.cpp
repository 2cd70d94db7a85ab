// SPDX-License-Identifier: MIT
#include "imagelist.h"
#include "common/sizetext.h"

#include "util/checkedsize.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLocale>

namespace lamina {

namespace {

/// The first 12 hex digits, as `docker images` shows an image ID.
QString shortDigest(const QString &digest)
{
    const qsizetype colon = digest.indexOf(u':');
    return digest.mid(colon + 1, 12);
}

/// The index an OCI manifest was reached through below index.json: the image its platforms
/// belong to. "" for a manifest index.json names itself, and for images without one.
QString parentIndexOf(const ImageArchive &ia, const Image &img)
{
    if (img.ociManifest < 0 || img.ociManifest >= ia.oci.manifests.size())
        return {};
    const QStringList &path = ia.oci.manifests.at(img.ociManifest).indexPath;
    return path.size() > 1 ? path.constLast() : QString();
}

QString manifestDigestOf(const ImageArchive &ia, const Image &img)
{
    if (img.ociManifest < 0 || img.ociManifest >= ia.oci.manifests.size())
        return {};
    const OciManifest &m = ia.oci.manifests.at(img.ociManifest);
    return m.descriptor.digest.isEmpty() ? m.blobDigest : m.descriptor.digest;
}

} // namespace

ImageList::ImageList(QWidget *parent)
    : QTreeWidget(parent)
{
    setObjectName(QStringLiteral("images"));
    setHeaderLabels({ tr("Image · platform, ID"), tr("Size") });
    headerItem()->setToolTip(NameColumn,
        tr("The image's name (its first tag, +N for the others), then a row per platform with the image ID: the "
           "first 12 hex digits of the sha256 digest of its config (Ctrl+C copies it whole)"));
    headerItem()->setToolTip(SizeColumn,
        tr("Bytes of the image's layer files as stored in the archive, compressed or not; a layer file "
           "another image shares counts for both"));
    // Narrow beside the tabs: the name gives way, the size keeps its width. The ID goes under the
    // platform: beside it, one of the two would not fit in 260 pixels.
    header()->setStretchLastSection(false);
    header()->setSectionResizeMode(NameColumn, QHeaderView::Stretch);
    header()->setSectionResizeMode(SizeColumn, QHeaderView::ResizeToContents);
    header()->setMinimumSectionSize(24);
    setTextElideMode(Qt::ElideMiddle); // a reference's tag is at its end
    setIndentation(12);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setContextMenuPolicy(Qt::ActionsContextMenu);
    auto *copyDigest = new QAction(tr("Copy Digest (Image ID)"), this);
    copyDigest->setObjectName(QStringLiteral("copyDigest"));
    connect(copyDigest, &QAction::triggered, this, [this] {
        if (const QString d = currentDigest(); !d.isEmpty())
            QApplication::clipboard()->setText(d);
    });
    auto *copyManifest = new QAction(tr("Copy Manifest Digest"), this);
    copyManifest->setObjectName(QStringLiteral("copyManifestDigest"));
    connect(copyManifest, &QAction::triggered, this, [this] {
        const int image = currentImage();
        if (image >= 0)
            if (const QString d = manifestDigestOf(m_archive, m_archive.images.at(image)); !d.isEmpty())
                QApplication::clipboard()->setText(d);
    });
    auto *copyReference = new QAction(tr("Copy Reference"), this);
    copyReference->setObjectName(QStringLiteral("copyReference"));
    connect(copyReference, &QAction::triggered, this, [this] {
        if (const QString r = currentReferences(); !r.isEmpty())
            QApplication::clipboard()->setText(r);
    });
    auto *separator = new QAction(this);
    separator->setSeparator(true);
    auto *compare = new QAction(tr("Compare With…"), this);
    compare->setObjectName(QStringLiteral("compareImage"));
    connect(compare, &QAction::triggered, this, [this] {
        if (const int image = currentImage(); image >= 0)
            Q_EMIT compareRequested(image);
    });
    addActions({ copyDigest, copyManifest, copyReference, separator, compare });
    connect(this, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem *item, QTreeWidgetItem *previous) {
        // A name row stands for its platforms: the first is shown, or, moving up out of the
        // group, the row above it (else the arrow keys would stop there).
        if (item && item->childCount() > 0) {
            QTreeWidgetItem *target = item->child(0);
            if (previous && previous == item->child(0)) {
                target = itemAbove(item);
                if (target && target->childCount() > 0)
                    target = target->child(target->childCount() - 1);
                if (!target)
                    target = previous;
            }
            if (target->parent())
                target->parent()->setExpanded(true);
            setCurrentItem(target);
            return;
        }
        onCurrentChanged(item);
    });
}

void ImageList::setArchive(const ImageArchive &ia)
{
    const QSignalBlocker blocker(this);
    clear();
    m_archive = ia;
    // Platforms of one index share its name; one image under several names (an index naming a
    // manifest four times) is already one image with every tag.
    QHash<QString, QTreeWidgetItem *> groupOf;
    const QLocale locale;
    for (int i = 0; i < ia.images.size(); ++i) {
        const Image &img = ia.images.at(i);
        const QString index = parentIndexOf(ia, img);
        const QString key = img.tags.isEmpty() && index.isEmpty() ? QStringLiteral("#%1").arg(i)
                                                                  : img.tags.join(u'\n') + u'|' + index;
        QTreeWidgetItem *group = groupOf.value(key);
        if (!group) {
            group = new QTreeWidgetItem(this);
            groupOf.insert(key, group);
            QString name = img.tags.isEmpty() ? tr("(untagged)") : img.tags.constFirst();
            if (img.tags.size() > 1)
                name += QStringLiteral(" +%1").arg(img.tags.size() - 1);
            group->setText(NameColumn, name);
            group->setToolTip(
                NameColumn, img.tags.isEmpty() ? tr("No tag names this image") : img.tags.join(QLatin1Char('\n')));
            group->setData(NameColumn, ImageRole, -1);
            QFont bold = group->font(NameColumn);
            bold.setBold(true);
            group->setFont(NameColumn, bold);
            group->setFirstColumnSpanned(true);
        }
        auto *item = new QTreeWidgetItem(group);
        item->setData(NameColumn, ImageRole, i);
        const QString manifest = manifestDigestOf(ia, img);
        const QString id = img.configDigest.isEmpty() ? manifest : img.configDigest;
        item->setData(NameColumn, ShortIdRole, id.isEmpty() ? QStringLiteral("—") : shortDigest(id));
        // Half a platform says which half is missing ("linux/" read as a typo).
        const QString platform = img.platform.isEmpty() ? tr("(platform unknown)")
            : img.platform.architecture.isEmpty()       ? tr("%1, no architecture").arg(img.platform.os)
            : img.platform.os.isEmpty()                 ? tr("no OS, %1").arg(img.platform.architecture)
                                                        : img.platform.toString();
        item->setText(NameColumn, platform + u'\n' + item->data(NameColumn, ShortIdRole).toString());
        qint64 stored = 0;
        for (const ImageLayer &l : img.layers)
            stored = addSizes(stored, std::max<qint64>(0, l.size));
        item->setText(SizeColumn, sizeText(stored));
        item->setTextAlignment(SizeColumn, Qt::AlignRight | Qt::AlignVCenter);
        QStringList tip;
        if (!img.tags.isEmpty())
            tip << img.tags.join(QStringLiteral(", "));
        tip << tr("Platform: %1").arg(img.platform.isEmpty() ? tr("not stated") : platform);
        tip << tr("Image ID: %1").arg(img.configDigest.isEmpty() ? tr("unknown (no config)") : img.configDigest);
        if (!manifest.isEmpty())
            tip << tr("Manifest: %1").arg(manifest);
        tip << tr("%n layer(s), %1 stored", nullptr, int(img.layers.size())).arg(sizeText(stored));
        for (int c = NameColumn; c <= SizeColumn; ++c)
            item->setToolTip(c, tip.join(u'\n'));
    }
    for (const int a : ia.artifacts) {
        auto *item = new QTreeWidgetItem(this);
        const OciManifest &m = ia.oci.manifests.at(a);
        item->setText(NameColumn,
            tr("artifact: %1").arg(m.artifactType.isEmpty() ? m.configDescriptor.mediaType : m.artifactType));
        item->setToolTip(NameColumn, tr("Not an image (%1)").arg(m.descriptor.digest));
        item->setData(NameColumn, ImageRole, -1);
        item->setFirstColumnSpanned(true);
        item->setDisabled(true);
    }
    expandAll();
}

QTreeWidgetItem *ImageList::itemOf(int image) const
{
    for (int g = 0; g < topLevelItemCount(); ++g) {
        QTreeWidgetItem *group = topLevelItem(g);
        for (int c = 0; c < group->childCount(); ++c)
            if (group->child(c)->data(NameColumn, ImageRole).toInt() == image)
                return group->child(c);
    }
    return nullptr;
}

void ImageList::select(int image)
{
    if (QTreeWidgetItem *item = itemOf(image))
        setCurrentItem(item);
}

int ImageList::currentImage() const
{
    const QTreeWidgetItem *item = currentItem();
    const int image = item ? item->data(NameColumn, ImageRole).toInt() : -1;
    return image >= 0 && image < m_archive.images.size() ? image : -1;
}

QString ImageList::currentDigest() const
{
    const int image = currentImage();
    if (image < 0)
        return {};
    const Image &img = m_archive.images.at(image);
    return img.configDigest.isEmpty() ? manifestDigestOf(m_archive, img) : img.configDigest;
}

QString ImageList::currentReferences() const
{
    const int image = currentImage();
    return image < 0 ? QString() : m_archive.images.at(image).tags.join(u'\n');
}

void ImageList::onCurrentChanged(QTreeWidgetItem *item)
{
    const int image = item ? item->data(NameColumn, ImageRole).toInt() : -1;
    Q_EMIT imageSelected(image);
}

bool ImageList::event(QEvent *event)
{
    // Ctrl+C is the list's own while it has focus, whatever the window's menus bind it to.
    if (event->type() == QEvent::ShortcutOverride && static_cast<QKeyEvent *>(event)->matches(QKeySequence::Copy)) {
        event->accept();
        return true;
    }
    return QTreeWidget::event(event);
}

void ImageList::keyPressEvent(QKeyEvent *event)
{
    if (event->matches(QKeySequence::Copy)) {
        if (const QString d = currentDigest(); !d.isEmpty())
            QApplication::clipboard()->setText(d);
        event->accept();
        return;
    }
    QTreeWidget::keyPressEvent(event);
}

} // namespace lamina
