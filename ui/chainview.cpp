// SPDX-License-Identifier: MIT
#include "chainview.h"

#include "format/inspectreport.h"

#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

namespace lamina {

namespace {
constexpr qreal kBoxW = 230, kBoxH = 44, kGap = 14, kColGap = 150, kTop = 44, kLeft = 16;
}

QString noLegacyChainReason(const ImageArchive &ia)
{
    if (ia.layout == Layout::OciLayout)
        return QObject::tr("No legacy chain in this archive: it is an OCI image layout, which never has one.");
    if (ia.layout == Layout::DockerOci)
        return QObject::tr(
            "No legacy chain in this archive: Docker 25 and later write the OCI layout plus manifest.json; "
            "the legacy layer JSON survives only as unreferenced blobs.");
    return QObject::tr(
        "No legacy chain in this archive: manifest.json lists the layers, but there are no <id>/json files. "
        "nixpkgs' streamLayeredImage, go-containerregistry, Jib and containerd exports omit them.");
}

ChainView::ChainView(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("chainView"));
    setMouseTracking(false);
}

void ChainView::setImage(const ImageArchive *archive, int image)
{
    m_archive = archive;
    m_image = image;
    m_highlightLayers.clear();
    m_highlightMembers.clear();
    layout();
    updateGeometry();
    update();
}

void ChainView::setHighlighted(const QSet<int> &layers, const QStringList &members)
{
    m_highlightLayers = layers;
    m_highlightMembers = members;
    layout();
    update();
}

QSize ChainView::sizeHint() const
{
    return m_size;
}

bool ChainView::memberHighlighted(const QString &member) const
{
    for (const QString &h : m_highlightMembers)
        if (!h.isEmpty() && (h == member || h.startsWith(member + u'/') || member.startsWith(h)))
            return true;
    return false;
}

void ChainView::layout()
{
    m_boxes.clear();
    m_links.clear();
    m_forkLinks.clear();
    m_cycleNote.clear();
    m_cycleFrom = m_cycleTo = -1;
    m_noChain.clear();
    m_noOci.clear();
    if (!m_archive || m_image < 0 || m_image >= m_archive->images.size())
        return;
    const Image &img = m_archive->images.at(m_image);
    QHash<QString, int> legacyBox;
    const qreal chainBottom = layoutLegacyColumn(img, &legacyBox);
    const QHash<int, int> manifestBox = layoutManifestColumn(img, legacyBox);
    layoutOrphans(img, legacyBox, chainBottom);
    layoutOciColumn(img, manifestBox);
    const qreal x3 = kLeft + 2 * (kBoxW + kColGap);
    qreal w = img.ociManifest >= 0 || !m_noOci.isEmpty() ? x3 + kBoxW + kLeft : kLeft + kBoxW + kColGap + kBoxW + kLeft;
    qreal h = kTop;
    for (const Box &b : std::as_const(m_boxes))
        h = std::max(h, b.rect.bottom() + kGap);
    m_size = QSize(int(w) + 20, int(h) + 40);
    resize(m_size.expandedTo(parentWidget() ? parentWidget()->size() : QSize()));
}

qreal ChainView::layoutLegacyColumn(const Image &img, QHash<QString, int> *legacyBox)
{
    // Column 1: the legacy chain, top first.
    const ImageArchive &ia = *m_archive;
    const qreal x1 = kLeft;
    QHash<QString, int> childCount; // parent id → how many dirs name it
    for (const LegacyLayer &l : ia.legacy.layers)
        if (!l.parent.isEmpty())
            ++childCount[l.parent];
    qreal chainBottom = kTop;
    if (img.legacyTop.isEmpty()) {
        m_noChain = ia.legacy.layers.isEmpty() ? noLegacyChainReason(ia) : tr("No legacy chain reaches this image.");
        return chainBottom;
    }
    const LegacyChain chain = walkLegacyChain(ia.legacy, img.legacyTop);
    qreal y = kTop;
    for (const QString &id : chain.ids) {
        const LegacyLayer *l = ia.legacy.layer(id);
        Box b;
        b.kind = Box::Legacy;
        b.rect = QRectF(x1, y, kBoxW, kBoxH);
        b.id = id;
        b.title = id.left(12);
        if (l && l->layerMember >= 0)
            b.title += QStringLiteral("  ·  ") + QLocale().formattedDataSize(ia.archive->member(l->layerMember).size);
        b.detail = l && !l->parent.isEmpty() ? tr("parent %1").arg(l->parent.left(12)) : tr("bottom: no parent");
        if (l && !l->created.isEmpty() && !l->created.startsWith(u"1970"))
            b.detail += QStringLiteral(" · ") + l->created.left(10);
        if (childCount.value(id) > 1) {
            b.fork = true;
            b.detail = tr("%1 · fork ×%2").arg(b.detail).arg(childCount.value(id));
        }
        b.highlighted = memberHighlighted(id + QStringLiteral("/json"));
        legacyBox->insert(id, int(m_boxes.size()));
        m_boxes.append(b);
        y += kBoxH + kGap;
    }
    if (!chain.missingParent.isEmpty()) {
        Box g;
        g.kind = Box::Ghost;
        g.rect = QRectF(x1, y, kBoxW, kBoxH);
        g.id = chain.missingParent;
        g.title = tr("missing %1").arg(chain.missingParent.left(12));
        g.detail = tr("names no layer directory");
        g.highlighted = !m_highlightMembers.isEmpty()
            && memberHighlighted(chain.ids.isEmpty() ? QString() : chain.ids.constLast() + QStringLiteral("/json"));
        m_boxes.append(g);
        if (m_boxes.size() >= 2)
            m_links.append({ int(m_boxes.size() - 2), int(m_boxes.size() - 1) });
    }
    if (!chain.cycleAt.isEmpty()) {
        m_cycleNote = tr("parent of %1 loops back to %2").arg(chain.ids.constLast().left(12), chain.cycleAt.left(12));
        m_cycleFrom = legacyBox->value(chain.ids.constLast(), -1);
        m_cycleTo = legacyBox->value(chain.cycleAt, -1);
    }
    for (const Box &b : std::as_const(m_boxes))
        chainBottom = std::max(chainBottom, b.rect.bottom());
    return chainBottom;
}

QHash<int, int> ChainView::layoutManifestColumn(const Image &img, const QHash<QString, int> &legacyBox)
{
    // Column 2: manifest layers, top first so both columns read top-down.
    const qreal x2 = kLeft + kBoxW + kColGap;
    QHash<int, int> manifestBox;
    const int n = int(img.layers.size());
    for (int i = n - 1; i >= 0; --i) {
        const ImageLayer &l = img.layers.at(i);
        Box b;
        b.kind = Box::Manifest;
        b.rect = QRectF(x2, kTop + (n - 1 - i) * (kBoxH + kGap), kBoxW, kBoxH);
        b.layer = i;
        b.title = tr("#%1  %2").arg(i).arg(l.diffId.isEmpty() ? tr("no diff ID") : shortDigest(l.diffId));
        b.detail = l.error.isEmpty() ? l.path.section(u'/', -2) : tr("missing: %1").arg(l.path);
        b.highlighted = m_highlightLayers.contains(i) || memberHighlighted(l.resolvedPath);
        manifestBox.insert(i, int(m_boxes.size()));
        m_boxes.append(b);
    }
    // Joins: each legacy dir to the manifest layer it stores.
    for (int i = 0; i < n; ++i) {
        const QString id = img.layers.at(i).legacyId;
        if (!id.isEmpty() && legacyBox.contains(id))
            m_links.append({ legacyBox.value(id), manifestBox.value(i) });
    }
    return manifestBox;
}

void ChainView::layoutOrphans(const Image &img, const QHash<QString, int> &legacyBox, qreal chainBottom)
{
    // Legacy dirs no tagged chain reaches and no manifest layer uses: drawn apart, below the chain.
    const ImageArchive &ia = *m_archive;
    QSet<QString> reached;
    for (const RepositoryTag &t : ia.legacy.repositories)
        for (const QString &id : walkLegacyChain(ia.legacy, t.id).ids)
            reached.insert(id);
    for (const Image &other : ia.images)
        for (const ImageLayer &l : other.layers)
            if (!l.legacyId.isEmpty())
                reached.insert(l.legacyId);
    for (const QString &id : img.legacyChainIds)
        reached.insert(id);
    qreal oy = chainBottom + 3 * kGap + 20;
    for (const LegacyLayer &l : ia.legacy.layers) {
        if (reached.contains(l.id) || (ia.legacy.repositories.isEmpty() && !ia.manifest.present))
            continue;
        Box b;
        b.kind = Box::Orphan;
        b.rect = QRectF(kLeft, oy, kBoxW, kBoxH);
        b.id = l.id;
        b.title = tr("orphan %1").arg(l.id.left(12));
        b.detail = l.parent.isEmpty() ? tr("on no tagged chain")
                                      : tr("parent %1, on no tagged chain").arg(l.parent.left(12));
        b.highlighted = memberHighlighted(l.id + QStringLiteral("/json"));
        m_boxes.append(b);
        if (legacyBox.contains(l.parent))
            m_forkLinks.append({ legacyBox.value(l.parent), int(m_boxes.size() - 1) });
        oy += kBoxH + kGap;
    }
}

void ChainView::layoutOciColumn(const Image &img, const QHash<int, int> &manifestBox)
{
    // Column 3: the OCI manifest's layers, when the image has one.
    const ImageArchive &ia = *m_archive;
    const qreal x3 = kLeft + 2 * (kBoxW + kColGap);
    const int n = int(img.layers.size());
    if (img.ociManifest >= 0) {
        const OciManifest &m = ia.oci.manifests.at(img.ociManifest);
        const int k = int(m.layers.size());
        for (int i = k - 1; i >= 0; --i) {
            Box b;
            b.kind = Box::Oci;
            b.rect = QRectF(x3, kTop + (k - 1 - i) * (kBoxH + kGap), kBoxW, kBoxH);
            b.layer = i;
            b.title = tr("#%1  %2").arg(i).arg(shortDigest(m.layers.at(i).digest));
            b.detail = m.layers.at(i).mediaType.section(u'.', -2);
            b.highlighted = m_highlightLayers.contains(i);
            const int box = int(m_boxes.size());
            m_boxes.append(b);
            if (i < n && !img.layers.at(i).digest.isEmpty() && img.layers.at(i).digest == m.layers.at(i).digest)
                m_links.append({ manifestBox.value(i), box });
            else if (i < n)
                m_links.append({ manifestBox.value(i), -box - 1 }); // a disagreeing pair: drawn red
        }
    }
    if (img.ociManifest < 0 && ia.oci.present)
        m_noOci = ia.oci.indexes.isEmpty() || ia.oci.indexes.constFirst().manifests.isEmpty()
            ? tr("The OCI index lists no manifest at all, so loaders that read it (containerd, Docker 29) find no "
                 "image here.")
            : tr("No OCI manifest in the index describes this image.");
}

void ChainView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const QPalette pal = palette();
    p.fillRect(rect(), pal.base());
    if (!m_archive || m_image < 0)
        return;
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.setPen(pal.text().color());
    p.drawText(QPointF(kLeft, 22), tr("Legacy parent chain (L)"));
    p.drawText(QPointF(kLeft + kBoxW + kColGap, 22), tr("manifest.json layers (M), top first"));
    if (m_archive->images.at(m_image).ociManifest >= 0 || !m_noOci.isEmpty())
        p.drawText(QPointF(kLeft + 2 * (kBoxW + kColGap), 22), tr("OCI manifest layers (O)"));
    p.setFont(font());
    if (!m_noOci.isEmpty()) {
        p.setPen(QColor(210, 40, 40));
        p.drawText(QRectF(kLeft + 2 * (kBoxW + kColGap), kTop, kBoxW, 200), Qt::TextWordWrap, m_noOci);
    }
    if (!m_noChain.isEmpty()) {
        p.setPen(pal.placeholderText().color());
        p.drawText(QRectF(kLeft, kTop, kBoxW, 200), Qt::TextWordWrap, m_noChain);
    }

    // Lines first, under the boxes: a straight join is agreement; a crossing or red line is not.
    for (const auto &link : std::as_const(m_links)) {
        const bool bad = link.second < 0;
        const Box &a = m_boxes.at(link.first);
        const Box &b = m_boxes.at(bad ? -link.second - 1 : link.second);
        QPainterPath path;
        if (b.kind == Box::Ghost || (a.kind == Box::Legacy && b.kind == Box::Legacy)) {
            path.moveTo(a.rect.center().x(), a.rect.bottom());
            path.lineTo(b.rect.center().x(), b.rect.top());
        } else {
            const QPointF s(a.rect.right(), a.rect.center().y()), e(b.rect.left(), b.rect.center().y());
            path.moveTo(s);
            path.cubicTo(QPointF(s.x() + kColGap / 2, s.y()), QPointF(e.x() - kColGap / 2, e.y()), e);
        }
        const bool level = qAbs(a.rect.center().y() - b.rect.center().y()) < 1;
        QColor c = bad || b.kind == Box::Ghost ? QColor(210, 40, 40)
            : level                            ? QColor(60, 150, 80)
                                               : QColor(230, 140, 0);
        p.setPen(QPen(c, b.kind == Box::Ghost ? 1.5 : 2.0, b.kind == Box::Ghost ? Qt::DashLine : Qt::SolidLine));
        p.setBrush(Qt::NoBrush);
        p.drawPath(path);
    }
    for (const auto &fork : std::as_const(m_forkLinks)) {
        // A branch off the chain: from the shared parent's left edge down to the orphan.
        const QRectF a = m_boxes.at(fork.first).rect, b = m_boxes.at(fork.second).rect;
        QPainterPath path;
        path.moveTo(a.left() + 10, a.bottom());
        path.cubicTo(QPointF(a.left() - 10, a.bottom() + 20), QPointF(b.left() - 10, b.top() - 20),
            QPointF(b.left() + 10, b.top()));
        p.setPen(QPen(QColor(230, 140, 0), 1.5, Qt::DashLine));
        p.setBrush(Qt::NoBrush);
        p.drawPath(path);
    }
    for (const Box &b : std::as_const(m_boxes)) {
        QColor fill = pal.alternateBase().color();
        QColor border = pal.mid().color();
        Qt::PenStyle style = Qt::SolidLine;
        if (b.kind == Box::Ghost) {
            fill = QColor(255, 225, 225);
            border = QColor(210, 40, 40);
            style = Qt::DashLine;
        }
        if (b.kind == Box::Orphan) {
            border = pal.mid().color();
            style = Qt::DotLine;
        }
        if (b.fork)
            border = QColor(230, 140, 0);
        if (b.highlighted) {
            fill = QColor(255, 214, 102);
            border = QColor(200, 140, 0);
        }
        p.setPen(QPen(border, b.highlighted ? 2.5 : 1.2, style));
        p.setBrush(fill);
        p.drawRoundedRect(b.rect, 6, 6);
        p.setPen(b.kind == Box::Ghost ? QColor(170, 20, 20) : (b.highlighted ? QColor(Qt::black) : pal.text().color()));
        p.setFont(bold);
        p.drawText(b.rect.adjusted(8, 4, -8, -b.rect.height() / 2), Qt::AlignLeft | Qt::AlignVCenter, b.title);
        p.setFont(font());
        p.drawText(b.rect.adjusted(8, b.rect.height() / 2 - 2, -8, -4), Qt::AlignLeft | Qt::AlignVCenter,
            p.fontMetrics().elidedText(b.detail, Qt::ElideMiddle, int(b.rect.width() - 16)));
    }
    if (m_cycleFrom >= 0 && m_cycleTo >= 0) {
        // The loop drawn back to where it closes, along the left edge.
        const QRectF a = m_boxes.at(m_cycleFrom).rect, b = m_boxes.at(m_cycleTo).rect;
        QPainterPath loop;
        loop.moveTo(a.left(), a.center().y());
        loop.cubicTo(QPointF(a.left() - 14, a.center().y()), QPointF(b.left() - 14, b.center().y()),
            QPointF(b.left(), b.center().y()));
        p.setPen(QPen(QColor(210, 40, 40), 2));
        p.setBrush(Qt::NoBrush);
        p.drawPath(loop);
        p.drawLine(QPointF(b.left(), b.center().y()), QPointF(b.left() - 6, b.center().y() - 5));
        p.drawLine(QPointF(b.left(), b.center().y()), QPointF(b.left() - 6, b.center().y() + 5));
    }
    if (!m_cycleNote.isEmpty()) {
        p.setPen(QColor(210, 40, 40));
        p.drawText(QPointF(kLeft, m_size.height() - 16), QStringLiteral("↺ ") + m_cycleNote);
    }
}

void ChainView::mousePressEvent(QMouseEvent *event)
{
    for (const Box &b : std::as_const(m_boxes)) {
        if (b.rect.contains(event->position()) && b.layer >= 0) {
            Q_EMIT layerClicked(b.layer);
            return;
        }
        if (b.rect.contains(event->position()) && b.kind == Box::Legacy && m_archive) {
            const Image &img = m_archive->images.at(m_image);
            for (const ImageLayer &l : img.layers)
                if (l.legacyId == b.id)
                    Q_EMIT layerClicked(l.index);
            return;
        }
    }
}

} // namespace lamina
