// SPDX-License-Identifier: MIT
#include "chainview.h"
#include "chainview_p.h"

#include "format/inspectreport.h"

#include <QHelpEvent>
#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>

namespace lamina {

using namespace chain;

namespace {

QColor mix(const QColor &a, const QColor &b, qreal t)
{
    return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * t),
        float(a.greenF() + (b.greenF() - a.greenF()) * t), float(a.blueF() + (b.blueF() - a.blueF()) * t));
}

} // namespace

/// Every colour the view draws, from the palette: greys are Base blended towards Text, so borders
/// keep their contrast on a dark Base; the signal hues take their lightness from which of Base and
/// Text is darker, so the missing red is deep on white and soft on black, never a bright pink.
struct ChainView::Colours
{
    QColor base, text, note, nodeFill, nodeBorder, missing, missingFill, concern, concernFill, selected, agree;

    explicit Colours(const QPalette &pal)
    {
        base = pal.color(QPalette::Base);
        text = pal.color(QPalette::Text);
        const bool dark = base.lightnessF() < text.lightnessF();
        const auto hue = [dark](qreal h) { return QColor::fromHslF(float(h), 0.75f, dark ? 0.66f : 0.40f); };
        note = mix(base, text, 0.65);
        nodeFill = mix(base, text, 0.06);
        nodeBorder = mix(base, text, 0.5);
        missing = hue(0.0);
        missingFill = mix(base, missing, 0.22);
        concern = hue(38.0 / 360);
        concernFill = mix(base, concern, 0.28);
        agree = hue(130.0 / 360);
        selected = pal.color(QPalette::Highlight);
    }
};

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
    setAccessibleName(tr("Chain ⇄ manifest"));
    setMouseTracking(false);
}

void ChainView::setImage(const ImageArchive *archive, int image)
{
    m_archive = archive;
    m_image = image;
    m_highlightLayers.clear();
    m_highlightMembers.clear();
    m_selectedLayer = -1;
    m_selectedId.clear();
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

void ChainView::setSelectedLayer(int layer)
{
    m_selectedLayer = layer;
    m_selectedId.clear();
    update();
}

bool ChainView::isSelected(const Node &n) const
{
    if (n.layer >= 0)
        return n.layer == m_selectedLayer;
    return !m_selectedId.isEmpty() && n.id == m_selectedId;
}

QSize ChainView::sizeHint() const
{
    return m_size;
}

QStringList ChainView::columnTitles() const
{
    QStringList out;
    for (const Column &c : m_columns)
        out << c.title;
    return out;
}

QStringList ChainView::legend() const
{
    QStringList out;
    for (const LegendItem &l : m_legend)
        out << l.text;
    return out;
}

const ChainView::Column *ChainView::column(View v) const
{
    for (const Column &c : m_columns)
        if (c.view == v)
            return &c;
    return nullptr;
}

bool ChainView::memberHighlighted(const QString &member) const
{
    for (const QString &h : m_highlightMembers)
        if (!h.isEmpty() && (h == member || h.startsWith(member + u'/') || member.startsWith(h)))
            return true;
    return false;
}

int ChainView::boxAt(const QPointF &pos) const
{
    for (int i = 0; i < m_boxes.size(); ++i)
        if (m_boxes.at(i).rect.contains(pos))
            return i;
    return -1;
}

bool ChainView::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        auto *help = static_cast<QHelpEvent *>(event);
        const int i = boxAt(help->pos());
        if (i >= 0 && !m_boxes.at(i).toolTip.isEmpty())
            QToolTip::showText(help->globalPos(), m_boxes.at(i).toolTip, this, m_boxes.at(i).rect.toRect());
        else
            QToolTip::hideText();
        return true;
    }
    return QWidget::event(event);
}

void ChainView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    const Colours c(palette());
    p.fillRect(rect(), c.base);
    if (!m_archive)
        return;
    paintNotes(p, c);
    paintLegend(p, c);
    paintColumns(p, c);
    paintLinks(p, c); // under the boxes
    paintBoxes(p, c);
    paintCycle(p, c);
}

void ChainView::paintNotes(QPainter &p, const Colours &c) const
{
    // Which views are missing, and why.
    for (int i = 0; i < m_noteRects.size(); ++i) {
        const bool summary = i == 0 && !m_missing.isEmpty();
        p.setPen(summary ? c.text : c.note);
        p.drawText(
            m_noteRects.at(i), Qt::TextWordWrap, summary ? m_missing : m_notes.at(m_missing.isEmpty() ? i : i - 1));
    }
}

void ChainView::drawNode(QPainter &p, const Colours &c, const QRectF &r, bool missing, bool concerned, bool selected,
    Qt::PenStyle style, const QColor &border) const
{
    if (selected) {
        // Selection is a thick outline around the node, so its own fill and border (a missing
        // node's red) still show.
        p.setPen(QPen(c.selected, 3.5));
        p.setBrush(Qt::NoBrush);
        p.drawRoundedRect(r.adjusted(-4, -4, 4, 4), 8, 8);
    }
    p.setPen(QPen(missing ? c.missing : border, missing ? 1.8 : 1.2, missing ? Qt::DashLine : style));
    p.setBrush(missing ? c.missingFill : concerned ? c.concernFill : c.nodeFill);
    p.drawRoundedRect(r, 6, 6);
    if (concerned) {
        // A badge in the corner: the finding's mark, whatever the node's own colour.
        const QRectF badge(r.right() - 9, r.top() - 7, 16, 16);
        p.setPen(QPen(c.base, 1.5));
        p.setBrush(c.concern);
        p.drawEllipse(badge);
        p.setPen(c.base);
        QFont f = font();
        f.setBold(true);
        f.setPointSizeF(std::max(6.0, font().pointSizeF() * 0.85));
        p.setFont(f);
        p.drawText(badge, Qt::AlignCenter, QStringLiteral("!"));
    }
}

void ChainView::drawSwatch(QPainter &p, const Colours &c, LegendItem::Shape shape, const QRectF &sw) const
{
    switch (shape) {
    case LegendItem::Plain:
        drawNode(p, c, sw, false, false, false, Qt::SolidLine, c.nodeBorder);
        break;
    case LegendItem::Missing:
        drawNode(p, c, sw, true, false, false, Qt::SolidLine, c.nodeBorder);
        break;
    case LegendItem::Selected:
        drawNode(p, c, sw.adjusted(3, 3, -3, -3), false, false, true, Qt::SolidLine, c.nodeBorder);
        break;
    case LegendItem::Concerned:
        drawNode(p, c, sw.adjusted(0, 0, -6, 0), false, true, false, Qt::SolidLine, c.nodeBorder);
        break;
    case LegendItem::Orphan:
        drawNode(p, c, sw, false, false, false, Qt::DotLine, c.nodeBorder);
        break;
    case LegendItem::Fork:
        drawNode(p, c, sw, false, false, false, Qt::SolidLine, c.concern);
        break;
    case LegendItem::Parent:
        p.setPen(QPen(c.nodeBorder, 2.0));
        p.drawLine(QPointF(sw.center().x(), sw.top()), QPointF(sw.center().x(), sw.bottom()));
        break;
    case LegendItem::Loop: {
        QPainterPath loop;
        loop.moveTo(sw.right(), sw.bottom() - 2);
        loop.cubicTo(sw.left(), sw.bottom(), sw.left(), sw.top(), sw.right(), sw.top() + 2);
        p.setPen(QPen(c.missing, 2.0));
        p.setBrush(Qt::NoBrush);
        p.drawPath(loop);
        p.drawLine(QPointF(sw.right(), sw.top() + 2), QPointF(sw.right() - 6, sw.top() - 2));
        p.drawLine(QPointF(sw.right(), sw.top() + 2), QPointF(sw.right() - 6, sw.top() + 6));
        break;
    }
    case LegendItem::Agree:
    case LegendItem::Moved:
    case LegendItem::Disagree:
        p.setPen(QPen(shape == LegendItem::Agree ? c.agree : shape == LegendItem::Moved ? c.concern : c.missing, 2.0));
        p.drawLine(QPointF(sw.left(), sw.center().y()), QPointF(sw.right(), sw.center().y()));
        break;
    }
}

void ChainView::paintLegend(QPainter &p, const Colours &c) const
{
    const QFontMetricsF fm(font());
    const qreal rowH = std::max(kSwatchH, fm.height()) + 6;
    const qreal width = std::max(qreal(m_size.width() - 20), kHeaderMinW + 2 * kLeft);
    qreal lx = kLeft, ly = m_legendTop;
    for (const LegendItem &item : std::as_const(m_legend)) {
        const qreal itemW = kSwatchW + 6 + fm.horizontalAdvance(item.text) + 18;
        if (lx > kLeft && lx + itemW > width - kLeft) {
            lx = kLeft;
            ly += rowH;
        }
        const QRectF sw(lx, ly + (rowH - kSwatchH) / 2, kSwatchW, kSwatchH);
        drawSwatch(p, c, item.shape, sw);
        p.setFont(font());
        p.setPen(c.text);
        p.drawText(QRectF(sw.right() + 6, ly, itemW, rowH), Qt::AlignLeft | Qt::AlignVCenter, item.text);
        lx += itemW;
    }
}

void ChainView::paintColumns(QPainter &p, const Colours &c) const
{
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.setPen(c.text);
    for (const Column &col : std::as_const(m_columns))
        p.drawText(QPointF(col.x, m_titleY), col.title);
    p.setFont(font());
    for (const Column &col : std::as_const(m_columns)) {
        if (col.note.isEmpty())
            continue;
        p.setPen(col.view == View::Oci && m_archive->images.at(m_image).ociManifest < 0 ? c.missing : c.note);
        p.drawText(QRectF(col.x, m_top, kBoxW, 200), Qt::TextWordWrap, col.note);
    }
}

void ChainView::paintLinks(QPainter &p, const Colours &c) const
{
    // A straight join is agreement; a crossing or red line is not.
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
        const bool parent = a.kind == Box::Legacy && b.kind == Box::Legacy;
        const QColor colour = bad || b.kind == Box::Ghost ? c.missing
            : parent                                      ? c.nodeBorder
            : level                                       ? c.agree
                                                          : c.concern;
        p.setPen(QPen(colour, b.kind == Box::Ghost ? 1.5 : 2.0, b.kind == Box::Ghost ? Qt::DashLine : Qt::SolidLine));
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
        p.setPen(QPen(c.concern, 1.5, Qt::DashLine));
        p.setBrush(Qt::NoBrush);
        p.drawPath(path);
    }
}

void ChainView::paintBoxes(QPainter &p, const Colours &c) const
{
    QFont bold = font();
    bold.setBold(true);
    for (const Box &b : std::as_const(m_boxes)) {
        drawNode(p, c, b.rect, b.missing, b.concerned, isSelected(b),
            b.kind == Box::Orphan ? Qt::DotLine : Qt::SolidLine, b.fork ? c.concern : c.nodeBorder);
        const qreal textW = b.rect.width() - 16 - (b.concerned ? 8 : 0);
        p.setPen(b.missing ? c.missing : c.text);
        p.setFont(bold);
        p.drawText(b.rect.adjusted(8, 4, -8, -b.rect.height() / 2), Qt::AlignLeft | Qt::AlignVCenter,
            QFontMetrics(bold).elidedText(b.title, Qt::ElideRight, int(textW)));
        p.setFont(font());
        p.setPen(c.text);
        p.drawText(b.rect.adjusted(8, b.rect.height() / 2 - 2, -8, -4), Qt::AlignLeft | Qt::AlignVCenter,
            p.fontMetrics().elidedText(b.detail, Qt::ElideMiddle, int(textW)));
    }
}

void ChainView::paintCycle(QPainter &p, const Colours &c) const
{
    if (m_cycleFrom >= 0 && m_cycleTo >= 0) {
        // The loop drawn back to where it closes, along the left edge.
        const QRectF a = m_boxes.at(m_cycleFrom).rect, b = m_boxes.at(m_cycleTo).rect;
        QPainterPath loop;
        loop.moveTo(a.left(), a.center().y());
        loop.cubicTo(QPointF(a.left() - 14, a.center().y()), QPointF(b.left() - 14, b.center().y()),
            QPointF(b.left(), b.center().y()));
        p.setPen(QPen(c.missing, 2));
        p.setBrush(Qt::NoBrush);
        p.drawPath(loop);
        p.drawLine(QPointF(b.left(), b.center().y()), QPointF(b.left() - 6, b.center().y() - 5));
        p.drawLine(QPointF(b.left(), b.center().y()), QPointF(b.left() - 6, b.center().y() + 5));
    }
    if (!m_cycleNote.isEmpty()) {
        p.setPen(c.missing);
        p.drawText(QPointF(kLeft, m_size.height() - 16), QStringLiteral("↺ ") + m_cycleNote);
    }
}

void ChainView::mousePressEvent(QMouseEvent *event)
{
    const int i = boxAt(event->position());
    if (i < 0)
        return;
    const Box &b = m_boxes.at(i);
    m_selectedLayer = b.layer;
    m_selectedId = b.layer >= 0 ? QString() : b.id;
    update();
    if (b.layer >= 0)
        Q_EMIT layerClicked(b.layer);
}

} // namespace lamina
