// SPDX-License-Identifier: MIT
#include "chainview.h"
#include "chainview_p.h"

#include "format/inspectreport.h"

#include <QLocale>
#include <QPaintEvent>
#include <QPainter>
#include <QPainterPath>
#include <QSettings>
#include <QSignalBlocker>
#include <QToolButton>

#include <utility>

namespace lamina {

using namespace chain;

namespace {

const QString kLegendShownKey = QStringLiteral("chain/legendShown");

QColor mix(const QColor &a, const QColor &b, qreal t)
{
    return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * t),
        float(a.greenF() + (b.greenF() - a.greenF()) * t), float(a.blueF() + (b.blueF() - a.blueF()) * t));
}

/// A path fitted to `width` by eliding its longest part (a digest) in the middle, so the rest of the
/// path and both ends of the digest stay.
QString elidePath(const QFontMetricsF &fm, const QString &path, qreal width)
{
    if (fm.horizontalAdvance(path) <= width)
        return path;
    QStringList parts = path.split(u'/');
    qsizetype longest = 0;
    for (qsizetype i = 1; i < parts.size(); ++i)
        if (parts.at(i).size() > parts.at(longest).size())
            longest = i;
    const QString whole = std::exchange(parts[longest], QString());
    const qreal room = width - fm.horizontalAdvance(parts.join(u'/'));
    if (room < fm.horizontalAdvance(QStringLiteral("0000…0000")))
        return fm.elidedText(path, Qt::ElideMiddle, width);
    parts[longest] = fm.elidedText(whole, Qt::ElideMiddle, room);
    return parts.join(u'/');
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
    // The line above it says already that there is none: this says why.
    if (ia.layout == Layout::OciLayout)
        return QObject::tr("An OCI image layout never has a legacy chain.");
    if (ia.layout == Layout::DockerOci)
        return QObject::tr("Docker 25 and later write the OCI layout plus manifest.json; the legacy layer JSON "
                           "survives only as unreferenced blobs.");
    return QObject::tr("manifest.json lists the layers, but there are no <id>/json files: nixpkgs' "
                       "streamLayeredImage, go-containerregistry, Jib and containerd exports omit them.");
}

ChainView::ChainView(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("chainView"));
    setAccessibleName(tr("Chain ⇄ manifest"));
    setMouseTracking(false);
    setFocusPolicy(Qt::StrongFocus); // arrows move the selection, Enter shows the layer's files
    m_legendToggle = new QToolButton(this);
    m_legendToggle->setObjectName(QStringLiteral("chainLegendToggle"));
    m_legendToggle->setText(tr("Legend"));
    m_legendToggle->setToolTip(tr("Show the whole legend, or fold it to one line"));
    m_legendToggle->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_legendToggle->setAutoRaise(true);
    m_legendToggle->setCheckable(true);
    m_legendToggle->setChecked(QSettings().value(kLegendShownKey, true).toBool());
    m_legendToggle->setArrowType(m_legendToggle->isChecked() ? Qt::DownArrow : Qt::RightArrow);
    m_legendToggle->hide();
    connect(m_legendToggle, &QToolButton::toggled, this, [this](bool shown) {
        if (!shown && m_legendCrowded && !m_legendUnfoldedHere) {
            // Drawn folded for want of room: the click asks to see it, here, whatever is stored.
            m_legendUnfoldedHere = true;
            const QSignalBlocker block(m_legendToggle);
            m_legendToggle->setChecked(true);
        } else {
            QSettings().setValue(kLegendShownKey, shown);
            m_legendUnfoldedHere = shown; // unfolded by hand: seen here even where it crowds the chain
        }
        layout();
        update();
    });
}

bool ChainView::legendShown() const
{
    return m_legendToggle->isChecked() && (!m_legendCrowded || m_legendUnfoldedHere);
}

void ChainView::setLegendShown(bool shown)
{
    m_legendToggle->setChecked(shown);
}

int ChainView::legendEntriesDrawn() const
{
    return int(m_legendRects.size());
}

qreal ChainView::legendHeight() const
{
    return m_legendRects.isEmpty() ? 0 : m_legendRects.constLast().bottom() - m_legendTop;
}

void ChainView::setAvailableSize(QSize size)
{
    if (size.width() == m_availableWidth && size.height() == m_availableHeight)
        return;
    m_availableWidth = size.width();
    m_availableHeight = size.height();
    layout();
    update();
}

void ChainView::setImage(const ImageArchive *archive, int image)
{
    m_archive = archive;
    m_image = image;
    m_highlightLayers.clear();
    m_highlightMembers.clear();
    m_selectedLayer = -1;
    m_selectedId.clear();
    m_current = -1;
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
    if (m_current >= 0 && m_boxes.at(m_current).layer != layer) {
        // The keyboard follows a selection made elsewhere, in the column it was in if it can.
        int follow = -1;
        for (int i = 0; layer >= 0 && i < m_boxes.size(); ++i)
            if (m_boxes.at(i).layer == layer
                && (follow < 0 || m_boxes.at(i).rect.left() == m_boxes.at(m_current).rect.left()))
                follow = i;
        m_current = follow;
    }
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

void ChainView::paintEvent(QPaintEvent *event)
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
    // Only what the scroll area exposes: an image of 200 layers has hundreds of boxes, and laying
    // out the text of all of them on every scroll held the window for over 100 ms.
    const QRectF exposed = event->rect();
    paintLinks(p, c, exposed); // under the boxes
    paintBoxes(p, c, exposed);
    paintCycle(p, c);
    paintFocus(p, c);
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
    for (int i = 0; i < m_legendRects.size(); ++i) {
        const QRectF r = m_legendRects.at(i);
        const QRectF sw(r.left(), r.top() + (r.height() - kSwatchH) / 2, kSwatchW, kSwatchH);
        drawSwatch(p, c, m_legend.at(i).shape, sw);
        p.setFont(font());
        p.setPen(c.text);
        p.drawText(QRectF(sw.right() + 6, r.top(), r.width(), r.height()), Qt::AlignLeft | Qt::AlignVCenter,
            m_legend.at(i).text);
    }
}

void ChainView::paintColumns(QPainter &p, const Colours &c) const
{
    QFont bold = font();
    bold.setBold(true);
    p.setFont(bold);
    p.setPen(c.text);
    for (const Column &col : std::as_const(m_columns)) {
        // A title may be wider than its nodes, up to the next column or the edge.
        const qreal room = (&col == &m_columns.constLast() ? width() - kLeft - col.x : m_boxW + m_colGap - 12);
        p.drawText(QPointF(col.x, m_titleY), p.fontMetrics().elidedText(col.title, Qt::ElideRight, int(room)));
    }
    p.setFont(font());
    for (const Column &col : std::as_const(m_columns)) {
        if (col.note.isEmpty())
            continue;
        p.setPen(col.view == View::Oci && m_archive->images.at(m_image).ociManifest < 0 ? c.missing : c.note);
        p.drawText(QRectF(col.x, m_top, m_boxW, 200), Qt::TextWordWrap, col.note);
    }
}

void ChainView::paintLinks(QPainter &p, const Colours &c, const QRectF &exposed) const
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
            path.cubicTo(QPointF(s.x() + m_colGap / 2, s.y()), QPointF(e.x() - m_colGap / 2, e.y()), e);
        }
        if (!path.controlPointRect().adjusted(-2, -2, 2, 2).intersects(exposed))
            continue;
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
        if (!path.controlPointRect().adjusted(-2, -2, 2, 2).intersects(exposed))
            continue;
        p.setPen(QPen(c.concern, 1.5, Qt::DashLine));
        p.setBrush(Qt::NoBrush);
        p.drawPath(path);
    }
}

void ChainView::paintBoxes(QPainter &p, const Colours &c, const QRectF &exposed) const
{
    QFont bold = font();
    bold.setBold(true);
    m_nodesPainted = 0;
    for (const Box &b : std::as_const(m_boxes)) {
        if (!b.rect.adjusted(-10, -10, 10, 10).intersects(exposed))
            continue; // the selection's outline and the finding's badge reach past the rect
        ++m_nodesPainted;
        drawNode(p, c, b.rect, b.missing, b.concerned, isSelected(b),
            b.kind == Box::Orphan ? Qt::DotLine : Qt::SolidLine, b.fork ? c.concern : c.nodeBorder);
        const qreal textW = b.rect.width() - 16 - (b.concerned ? 8 : 0);
        p.setPen(b.missing ? c.missing : c.text);
        p.setFont(bold);
        paintTitle(p, b, bold, textW);
        p.setFont(font());
        p.setPen(c.text);
        p.drawText(b.rect.adjusted(8, b.rect.height() / 2 - 2, -8, -4), Qt::AlignLeft | Qt::AlignVCenter,
            detailShown(b, textW));
    }
}

QString ChainView::detailShown(const Node &b, qreal textW) const
{
    // A path elides in the middle, keeping its file name's ends; the size after it goes first
    // when the two leave too little of the path.
    const QFontMetricsF fm(font());
    const qreal tailW = fm.horizontalAdvance(b.detailTail);
    if (fm.horizontalAdvance(b.detail) + tailW <= textW)
        return b.detail + b.detailTail;
    if (textW - tailW >= 170)
        return elidePath(fm, b.detail, textW - tailW) + b.detailTail;
    return elidePath(fm, b.detail, textW);
}

void ChainView::paintTitle(QPainter &p, const Box &b, const QFont &bold, qreal textW) const
{
    // The full digest or ID when it fits; otherwise its hex, elided in the middle so both ends
    // (what tells two layers apart) show. The tooltip has the whole value.
    const QFontMetricsF fm(bold);
    QString text = b.title;
    if (!b.value.isEmpty()) {
        const qreal room = textW - fm.horizontalAdvance(b.titleLead) - fm.horizontalAdvance(b.titleTail);
        QString value = b.value;
        if (fm.horizontalAdvance(value) > room) {
            const qsizetype colon = value.indexOf(u':');
            value = fm.elidedText(colon >= 0 ? value.mid(colon + 1) : value, Qt::ElideMiddle, room);
        }
        text = b.titleLead + value + b.titleTail;
    }
    p.drawText(b.rect.adjusted(8, 4, -8, -b.rect.height() / 2), Qt::AlignLeft | Qt::AlignVCenter,
        fm.elidedText(text, Qt::ElideRight, textW));
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

void ChainView::paintFocus(QPainter &p, const Colours &c) const
{
    if (!hasFocus())
        return;
    // A frame round what is visible of the view, and a dotted ring round the node the keys move.
    const QRect visible = visibleRegion().isEmpty() ? rect() : visibleRegion().boundingRect();
    p.setPen(QPen(c.selected, 2));
    p.setBrush(Qt::NoBrush);
    p.drawRect(QRectF(visible).adjusted(1, 1, -1, -1));
    if (m_current >= 0) {
        p.setPen(QPen(c.text, 1, Qt::DotLine));
        p.drawRoundedRect(m_boxes.at(m_current).rect.adjusted(-8, -8, 8, 8), 9, 9);
    }
}

} // namespace lamina
