// SPDX-License-Identifier: MIT
#pragma once

#include "format/imagearchive.h"

#include <QSet>
#include <QWidget>

namespace lamina {

/// The heart of the window: an image's legacy parent chain (drawn top to bottom from the tagged
/// top layer down along `parent`) beside its manifest list (top layer first) and, when present,
/// its OCI manifest, with a line joining the same layer in each. A missing parent is a red ghost
/// node; a loop is drawn back to where it closes; lines that cross or end nowhere show
/// disagreement at a glance.
class ChainView : public QWidget
{
    Q_OBJECT
public:
    explicit ChainView(QWidget *parent = nullptr);
    void setImage(const ImageArchive *archive, int image);
    void setHighlighted(const QSet<int> &layers, const QStringList &members);
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return sizeHint(); }

Q_SIGNALS:
    void layerClicked(int layer);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;

private:
    struct Box
    {
        QRectF rect;
        QString title;
        QString detail;
        enum Kind { Legacy, Ghost, Manifest, Oci, Orphan } kind = Legacy;
        bool fork = false; ///< other legacy dirs name the same parent or this as parent
        int layer = -1; ///< manifest position it stands for
        QString id;
        bool highlighted = false;
    };
    void layout();
    qreal layoutLegacyColumn(const Image &img, QHash<QString, int> *legacyBox);
    QHash<int, int> layoutManifestColumn(const Image &img, const QHash<QString, int> &legacyBox);
    void layoutOrphans(const Image &img, const QHash<QString, int> &legacyBox, qreal chainBottom);
    void layoutOciColumn(const Image &img, const QHash<int, int> &manifestBox);
    bool memberHighlighted(const QString &member) const;

    const ImageArchive *m_archive = nullptr;
    int m_image = -1;
    QList<Box> m_boxes;
    QList<QPair<int, int>> m_links; ///< box indices
    QList<QPair<int, int>> m_forkLinks; ///< an orphan branch to its parent on the chain
    QString m_cycleNote;
    int m_cycleFrom = -1, m_cycleTo = -1; ///< box indices of a loop's last node and where it closes
    QString m_noChain;
    QString m_noOci; ///< the archive has an OCI index, but nothing in it describes this image
    QSet<int> m_highlightLayers;
    QStringList m_highlightMembers;
    QSize m_size { 600, 300 };
};

/// Why an archive has no legacy chain, in words: which producers omit it.
QString noLegacyChainReason(const ImageArchive &ia);

} // namespace lamina
