// SPDX-License-Identifier: MIT
#include "chainview.h"

#include "format/inspectreport.h"

#include <QHelpEvent>
#include <QLocale>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>
#include <QToolTip>

namespace lamina {

namespace {
constexpr qreal kBoxW = 270, kBoxH = 44, kGap = 14, kColGap = 150, kLeft = 16, kHeaderMinW = 640;
constexpr qreal kSwatchW = 30, kSwatchH = 16;

QColor mix(const QColor &a, const QColor &b, qreal t)
{
    return QColor::fromRgbF(float(a.redF() + (b.redF() - a.redF()) * t),
        float(a.greenF() + (b.greenF() - a.greenF()) * t), float(a.blueF() + (b.blueF() - a.blueF()) * t));
}

QString shortBlobPath(const QString &path)
{
    // blobs/sha256/<64 hex> → blobs/sha256/<8 hex>…: the file name, short enough for a node.
    const qsizetype slash = path.lastIndexOf(u'/');
    const QString name = path.mid(slash + 1);
    return name.size() > 12 ? path.left(slash + 1) + name.left(8) + QStringLiteral("…") : path;
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

void ChainView::layout()
{
    m_boxes.clear();
    m_columns.clear();
    m_legend.clear();
    m_links.clear();
    m_forkLinks.clear();
    m_cycleNote.clear();
    m_cycleFrom = m_cycleTo = -1;
    m_missing.clear();
    m_notes.clear();
    m_noteRects.clear();
    setAccessibleDescription(QString());
    if (!m_archive)
        return;
    const ImageArchive &ia = *m_archive;
    if (m_image < 0 || m_image >= ia.images.size()) {
        m_missing = tr("No image in this archive: none of its views describes one.");
        layoutHeader(kHeaderMinW + 2 * kLeft);
        m_size = QSize(int(kHeaderMinW + 2 * kLeft), int(m_top));
        resize(m_size.expandedTo(parentWidget() ? parentWidget()->size() : QSize()));
        return;
    }
    const Image &img = ia.images.at(m_image);

    const qreal x = chooseColumns(img);
    fillLegend(img);
    const qreal columnsW = m_columns.isEmpty() ? 0 : x - kColGap + kLeft;
    const qreal w = std::max(columnsW, kHeaderMinW + 2 * kLeft);
    layoutHeader(w);

    placeNodes(img);

    qreal h = m_top;
    for (const Box &b : std::as_const(m_boxes))
        h = std::max(h, b.rect.bottom() + kGap);
    for (const Column &c : std::as_const(m_columns))
        if (!c.note.isEmpty())
            h = std::max(h, m_top + 100);
    m_size = QSize(int(w) + 20, int(h) + 40);
    QStringList description { tr("Views: %1").arg(columnTitles().join(QStringLiteral(", "))) };
    if (!m_missing.isEmpty())
        description << m_missing;
    setAccessibleDescription((description + m_notes).join(u'\n'));
    resize(m_size.expandedTo(parentWidget() ? parentWidget()->size() : QSize()));
}

qreal ChainView::chooseColumns(const Image &img)
{
    const ImageArchive &ia = *m_archive;
    // Only the views the archive has get a column, each under its own name; a view the archive
    // has that does not describe this image keeps its column, saying so.
    QStringList absent, notHere, describing;
    qreal x = kLeft;
    const auto addColumn = [&](View v, const QString &title, const QString &note) {
        m_columns.append({ v, x, title, note });
        x += kBoxW + kColGap;
    };
    if (!ia.legacy.layers.isEmpty()) { // a `repositories` file alone (Docker 25) chains nothing
        const QString note = img.legacyTop.isEmpty() ? tr("No legacy chain reaches this image.") : QString();
        addColumn(View::Legacy, tr("Legacy chain: <id>/json + parent (L)"), note);
        (note.isEmpty() ? describing : notHere)
            << (note.isEmpty() ? tr("the legacy chain") : tr("no legacy chain reaches this image"));
    } else {
        absent << tr("legacy chain");
        m_notes << noLegacyChainReason(ia);
    }
    if (ia.manifest.present) {
        const QString note = img.manifestEntry < 0 ? tr("manifest.json does not list this image.") : QString();
        addColumn(View::Manifest, tr("manifest.json (M), top first"), note);
        (note.isEmpty() ? describing : notHere)
            << (note.isEmpty() ? tr("manifest.json") : tr("manifest.json does not list this image"));
    } else {
        absent << tr("manifest.json");
    }
    if (ia.oci.present) {
        QString note;
        const bool listsNone = ia.oci.indexes.isEmpty() || ia.oci.indexes.constFirst().manifests.isEmpty();
        if (img.ociManifest < 0)
            note = listsNone
                ? tr("The OCI index lists no manifest at all, so loaders that read it (containerd, Docker 29) find no "
                     "image here.")
                : tr("No OCI manifest in the index describes this image.");
        addColumn(View::Oci, tr("OCI index → manifest (O), top first"), note);
        if (note.isEmpty())
            describing << tr("the OCI index");
        else
            notHere << (listsNone ? tr("the OCI index lists no manifest")
                                  : tr("no OCI manifest in the index describes this image"));
    } else {
        absent << tr("OCI index");
    }
    if (!absent.isEmpty() || !notHere.isEmpty()) {
        QStringList parts;
        if (!absent.isEmpty()) {
            const QString last = absent.takeLast();
            parts << (absent.isEmpty() ? tr("No %1 in this archive").arg(last)
                                       : tr("No %1 and no %2 in this archive").arg(absent.join(tr(", no ")), last));
        }
        parts += notHere;
        QString line = parts.join(QStringLiteral("; "));
        line[0] = line.at(0).toUpper();
        if (describing.isEmpty())
            line += tr(": no view describes this image's layers.");
        else if (describing.size() == 1)
            line += tr(": only %1 describes its layers.").arg(describing.constFirst());
        else
            line += tr(": %1 and %2 describe its layers.")
                        .arg(describing.mid(0, describing.size() - 1).join(QStringLiteral(", ")),
                            describing.constLast());
        m_missing = line;
    }
    return x;
}

void ChainView::fillLegend(const Image &img)
{
    const ImageArchive &ia = *m_archive;
    // The legend names what can be drawn here.
    const Column *legacy = column(View::Legacy);
    m_legend.append({ LegendItem::Plain, tr("a layer as this view names it") });
    m_legend.append({ LegendItem::Missing, tr("missing: named, but not in the archive") });
    m_legend.append({ LegendItem::Selected, tr("selected layer") });
    m_legend.append({ LegendItem::Concerned, tr("concerned by the selected finding") });
    if (legacy) {
        m_legend.append({ LegendItem::Orphan, tr("orphan: a legacy dir on no tagged chain") });
        m_legend.append({ LegendItem::Fork, tr("fork: several dirs name one parent") });
        m_legend.append({ LegendItem::Parent, tr("parent link") });
        if (legacy->note.isEmpty() && !walkLegacyChain(ia.legacy, img.legacyTop).cycleAt.isEmpty())
            m_legend.append({ LegendItem::Loop, tr("parent loop") });
    }
    if (m_columns.size() > 1) {
        m_legend.append({ LegendItem::Agree, tr("same layer, same position") });
        m_legend.append({ LegendItem::Moved, tr("same layer, other position") });
        m_legend.append({ LegendItem::Disagree, tr("the views disagree") });
    }
}

void ChainView::placeNodes(const Image &img)
{
    const ImageArchive &ia = *m_archive;
    const Column *legacy = column(View::Legacy);
    QHash<QString, int> legacyBox;
    qreal chainBottom = m_top;
    if (legacy && legacy->note.isEmpty())
        chainBottom = layoutLegacyColumn(img, legacy->x, &legacyBox);
    QHash<int, int> manifestBox, ociBox;
    if (const Column *c = column(View::Manifest); c && c->note.isEmpty())
        manifestBox = layoutManifestColumn(img, c->x);
    if (legacy)
        layoutOrphans(img, legacy->x, legacyBox, chainBottom);
    if (const Column *c = column(View::Oci); c && c->note.isEmpty())
        ociBox = layoutOciColumn(img, c->x);
    joinLegacy(img, legacyBox, manifestBox.isEmpty() ? ociBox : manifestBox);
    if (!manifestBox.isEmpty() && !ociBox.isEmpty() && img.ociManifest >= 0) {
        const OciManifest &m = ia.oci.manifests.at(img.ociManifest);
        for (auto it = ociBox.cbegin(); it != ociBox.cend(); ++it) {
            const int i = it.key();
            if (!manifestBox.contains(i))
                continue;
            if (!img.layers.at(i).digest.isEmpty() && img.layers.at(i).digest == m.layers.at(i).digest)
                m_links.append({ manifestBox.value(i), it.value() });
            else
                m_links.append({ manifestBox.value(i), -it.value() - 1 }); // a disagreeing pair: drawn red
        }
    }
}

void ChainView::layoutHeader(qreal width)
{
    // Top to bottom: which views are missing and why, the legend, the column titles.
    const QFontMetricsF fm(font());
    const qreal textW = width - 2 * kLeft;
    qreal y = 10;
    QStringList lines = m_notes;
    if (!m_missing.isEmpty())
        lines.prepend(m_missing);
    for (const QString &line : std::as_const(lines)) {
        const QRectF r = fm.boundingRect(QRectF(kLeft, y, textW, 1000), Qt::TextWordWrap, line);
        m_noteRects.append(QRectF(kLeft, y, textW, r.height()));
        y += r.height() + 4;
    }
    m_legendTop = y + 6;
    qreal lx = kLeft, ly = m_legendTop;
    const qreal rowH = std::max(kSwatchH, fm.height()) + 6;
    for (const LegendItem &item : std::as_const(m_legend)) {
        const qreal itemW = kSwatchW + 6 + fm.horizontalAdvance(item.text) + 18;
        if (lx > kLeft && lx + itemW > width - kLeft) {
            lx = kLeft;
            ly += rowH;
        }
        lx += itemW;
    }
    y = m_legend.isEmpty() ? y : ly + rowH + 8;
    m_titleY = y + fm.ascent();
    m_top = y + fm.height() + 12;
}

qreal ChainView::layoutLegacyColumn(const Image &img, qreal x1, QHash<QString, int> *legacyBox)
{
    // The legacy chain, top first.
    const ImageArchive &ia = *m_archive;
    QHash<QString, int> childCount; // parent id → how many dirs name it
    for (const LegacyLayer &l : ia.legacy.layers)
        if (!l.parent.isEmpty())
            ++childCount[l.parent];
    QHash<QString, int> layerOf;
    for (const ImageLayer &l : img.layers)
        if (!l.legacyId.isEmpty())
            layerOf.insert(l.legacyId, l.index);
    qreal chainBottom = m_top;
    const LegacyChain chain = walkLegacyChain(ia.legacy, img.legacyTop);
    qreal y = m_top;
    for (const QString &id : chain.ids) {
        const LegacyLayer *l = ia.legacy.layer(id);
        Box b;
        b.kind = Box::Legacy;
        b.rect = QRectF(x1, y, kBoxW, kBoxH);
        b.id = id;
        b.layer = layerOf.value(id, -1);
        b.title = id.left(12);
        if (l && l->layerMember >= 0)
            b.title += QStringLiteral("  ·  ") + QLocale().formattedDataSize(ia.archive->member(l->layerMember).size);
        b.missing = l && l->layerMember < 0; // no <id>/layer.tar, or one that resolves nowhere
        b.detail = b.missing
            ? tr("missing: %1").arg(l->layerPath.isEmpty() ? id + QStringLiteral("/layer.tar") : l->layerPath)
            : l && !l->parent.isEmpty() ? tr("parent %1").arg(l->parent.left(12))
                                        : tr("bottom: no parent");
        if (l && !l->created.isEmpty() && !l->created.startsWith(u"1970"))
            b.detail += QStringLiteral(" · ") + l->created.left(10);
        if (childCount.value(id) > 1) {
            b.fork = true;
            b.detail = tr("%1 · fork ×%2").arg(b.detail).arg(childCount.value(id));
        }
        b.toolTip
            = tr("Legacy layer directory %1\nparent: %2").arg(id, l && !l->parent.isEmpty() ? l->parent : tr("none"));
        if (b.missing)
            b.toolTip += u'\n'
                + (l->layerError.isEmpty() ? tr("%1/layer.tar is not in the archive.").arg(id) : l->layerError);
        b.concerned
            = memberHighlighted(id + QStringLiteral("/json")) || (b.layer >= 0 && m_highlightLayers.contains(b.layer));
        if (!legacyBox->isEmpty()) // the `parent` link from the box above
            m_links.append({ int(m_boxes.size() - 1), int(m_boxes.size()) });
        legacyBox->insert(id, int(m_boxes.size()));
        m_boxes.append(b);
        y += kBoxH + kGap;
    }
    if (!chain.missingParent.isEmpty()) {
        Box g;
        g.kind = Box::Ghost;
        g.missing = true;
        g.rect = QRectF(x1, y, kBoxW, kBoxH);
        g.id = chain.missingParent;
        g.title = tr("missing %1").arg(chain.missingParent.left(12));
        g.detail = tr("names no layer directory");
        g.toolTip = chain.ids.isEmpty()
            ? tr("Missing: the tag names %1, but no such directory is in the archive.").arg(chain.missingParent)
            : tr("Missing: %1/json names %2 as its parent, but no such directory is in the archive.")
                  .arg(chain.ids.constLast(), chain.missingParent);
        g.concerned = !m_highlightMembers.isEmpty()
            && memberHighlighted(chain.ids.isEmpty() ? QString() : chain.ids.constLast() + QStringLiteral("/json"));
        m_boxes.append(g);
        if (m_boxes.size() >= 2 && !chain.ids.isEmpty())
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

QHash<int, int> ChainView::layoutManifestColumn(const Image &img, qreal x2)
{
    // manifest.json's layers, top first so the columns read top-down. A layer is named here by its
    // diff ID (the config's rootfs), the digest of its uncompressed tar.
    QHash<int, int> manifestBox;
    const int n = int(img.layers.size());
    for (int i = n - 1; i >= 0; --i) {
        const ImageLayer &l = img.layers.at(i);
        Box b;
        b.kind = Box::Manifest;
        b.rect = QRectF(x2, m_top + (n - 1 - i) * (kBoxH + kGap), kBoxW, kBoxH);
        b.layer = i;
        b.missing = !l.error.isEmpty();
        b.title = l.diffId.isEmpty() ? tr("#%1  no diff ID").arg(i)
                                     : tr("#%1  diff ID %2").arg(i).arg(shortDigest(l.diffId));
        b.detail = l.error.isEmpty() ? l.path : tr("missing: %1").arg(l.path.isEmpty() ? tr("(empty path)") : l.path);
        b.toolTip = tr("Layer %1 as manifest.json lists it\npath: %2\ndiff ID: %3")
                        .arg(i)
                        .arg(l.path, l.diffId.isEmpty() ? tr("none") : l.diffId);
        if (!l.error.isEmpty())
            b.toolTip += u'\n' + l.error;
        b.concerned = m_highlightLayers.contains(i) || memberHighlighted(l.resolvedPath);
        manifestBox.insert(i, int(m_boxes.size()));
        m_boxes.append(b);
    }
    return manifestBox;
}

void ChainView::joinLegacy(const Image &img, const QHash<QString, int> &legacyBox, const QHash<int, int> &next)
{
    // Each legacy dir to the layer it stores in the next column drawn.
    for (int i = 0; i < img.layers.size(); ++i) {
        const QString id = img.layers.at(i).legacyId;
        if (!id.isEmpty() && legacyBox.contains(id) && next.contains(i))
            m_links.append({ legacyBox.value(id), next.value(i) });
    }
}

void ChainView::layoutOrphans(const Image &img, qreal x, const QHash<QString, int> &legacyBox, qreal chainBottom)
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
        b.rect = QRectF(x, oy, kBoxW, kBoxH);
        b.id = l.id;
        b.title = tr("orphan %1").arg(l.id.left(12));
        b.detail = l.parent.isEmpty() ? tr("on no tagged chain")
                                      : tr("parent %1, on no tagged chain").arg(l.parent.left(12));
        b.toolTip = tr("Legacy layer directory %1: no tag's chain reaches it and no image uses it.").arg(l.id);
        b.concerned = memberHighlighted(l.id + QStringLiteral("/json"));
        m_boxes.append(b);
        if (legacyBox.contains(l.parent))
            m_forkLinks.append({ legacyBox.value(l.parent), int(m_boxes.size() - 1) });
        oy += kBoxH + kGap;
    }
}

QHash<int, int> ChainView::layoutOciColumn(const Image &img, qreal x3)
{
    // The OCI manifest's layers. A layer is named here by its blob digest: the digest of the bytes
    // as stored (compressed or not), which is also the blob's file name.
    const ImageArchive &ia = *m_archive;
    QHash<int, int> ociBox;
    const OciManifest &m = ia.oci.manifests.at(img.ociManifest);
    const int k = int(m.layers.size());
    for (int i = k - 1; i >= 0; --i) {
        const Descriptor &d = m.layers.at(i);
        const bool fromOci = img.source == ImageSource::Oci && i < img.layers.size();
        const QString blob = fromOci && !img.layers.at(i).path.isEmpty()
            ? img.layers.at(i).path
            : QStringLiteral("blobs/") + QString(d.digest).replace(u':', u'/');
        Box b;
        b.kind = Box::Oci;
        b.rect = QRectF(x3, m_top + (k - 1 - i) * (kBoxH + kGap), kBoxW, kBoxH);
        b.layer = i;
        b.missing = fromOci ? !img.layers.at(i).error.isEmpty() : ia.archive->find(blob) < 0;
        b.title = tr("#%1  blob %2").arg(i).arg(d.digest.isEmpty() ? tr("(no digest)") : shortDigest(d.digest));
        b.detail = b.missing ? tr("missing: %1").arg(shortBlobPath(blob)) : shortBlobPath(blob);
        if (d.size >= 0 && !b.missing)
            b.detail += QStringLiteral(" · ") + QLocale().formattedDataSize(d.size);
        b.toolTip = tr("Layer %1 as the OCI manifest lists it\nblob: %2\nmedia type: %3")
                        .arg(i)
                        .arg(blob, d.mediaType.isEmpty() ? tr("(none)") : d.mediaType);
        if (fromOci && !img.layers.at(i).error.isEmpty())
            b.toolTip += u'\n' + img.layers.at(i).error;
        b.concerned = m_highlightLayers.contains(i) || memberHighlighted(blob);
        ociBox.insert(i, int(m_boxes.size()));
        m_boxes.append(b);
    }
    return ociBox;
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
