// SPDX-License-Identifier: MIT
#include "imagelist.h"

#include "util/checkedsize.h"

#include <QLocale>

namespace lamina {

ImageList::ImageList(QWidget *parent)
    : QTreeWidget(parent)
{
    setObjectName(QStringLiteral("images"));
    setHeaderLabels({ tr("Image"), tr("Platform"), tr("Layers"), tr("Size") });
    setRootIsDecorated(false);
    connect(this, &QTreeWidget::currentItemChanged, this,
        [this](QTreeWidgetItem *item) { Q_EMIT imageSelected(item ? indexOfTopLevelItem(item) : -1); });
}

void ImageList::setArchive(const ImageArchive &ia)
{
    const QSignalBlocker blocker(this);
    clear();
    for (const Image &img : ia.images) {
        auto *item = new QTreeWidgetItem(this);
        item->setText(0, img.tags.isEmpty() ? tr("(untagged)") : img.tags.join(QStringLiteral(", ")));
        item->setText(1, img.platform.toString());
        item->setText(2, QString::number(img.layers.size()));
        qint64 stored = 0;
        for (const ImageLayer &l : img.layers)
            stored = addSizes(stored, std::max<qint64>(0, l.size));
        item->setText(3, QLocale().formattedDataSize(stored));
        item->setToolTip(0, img.configDigest);
    }
    for (const int a : ia.artifacts) {
        auto *item = new QTreeWidgetItem(this);
        const OciManifest &m = ia.oci.manifests.at(a);
        item->setText(
            0, tr("artifact: %1").arg(m.artifactType.isEmpty() ? m.configDescriptor.mediaType : m.artifactType));
        item->setDisabled(true);
    }
    resizeColumnToContents(0);
}

void ImageList::select(int image)
{
    if (image >= 0 && image < topLevelItemCount())
        setCurrentItem(topLevelItem(image));
}

} // namespace lamina
