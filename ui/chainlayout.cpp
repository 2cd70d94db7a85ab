// SPDX-License-Identifier: MIT
// The chain view's layout: which views get a column, the legend, and where each node goes.
#include "chainview.h"
#include "chainview_p.h"
#include "common/sizetext.h"

#include "format/inspectreport.h"

#include <QFontMetricsF>
#include <QLocale>
#include <QToolButton>

namespace lamina {

using namespace chain;

namespace {

/// A node's tooltip: what it is, then one "label: full value" line for each value it has.
QString toolTipText(const QString &heading, const QList<QPair<QString, QString>> &rows)
{
    QStringList lines { heading };
    for (const auto &[label, value] : rows)
        if (!value.isEmpty())
            lines << label + QStringLiteral(": ") + value;
    return lines.join(u'\n');
}

QString sized(const QString &path, qint64 size)
{
    return size < 0 || path.isEmpty() ? path : QStringLiteral("%1 (%2)").arg(path, sizeText(size));
}

} // namespace

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
    m_legendRects.clear();
    m_legendToggle->hide(); // shown again with a legend to fold
    setAccessibleDescription(QString());
    if (!m_archive)
        return;
    const ImageArchive &ia = *m_archive;
    if (m_image < 0 || m_image >= ia.images.size()) {
        m_missing = tr("No image in this archive: none of its views describes one.");
        const qreal w = std::max(qreal(m_availableWidth), kHeaderMinW + 2 * kLeft);
        layoutHeader(w);
        m_size = QSize(int(w), int(m_top));
        resize(m_size.expandedTo(parentWidget() ? parentWidget()->size() : QSize()));
        return;
    }
    const Image &img = ia.images.at(m_image);

    chooseColumns(img);
    const qreal columnsW = placeColumns();
    fillLegend(img);
    const qreal w = std::max({ columnsW, qreal(m_availableWidth), kHeaderMinW + 2 * kLeft });
    layoutHeader(w);

    placeNodes(img);

    qreal h = m_top;
    for (const Box &b : std::as_const(m_boxes))
        h = std::max(h, b.rect.bottom() + kGap);
    for (const Column &c : std::as_const(m_columns))
        if (!c.note.isEmpty())
            h = std::max(h, m_top + 100);
    m_size = QSize(int(w), int(h) + 40);
    QStringList description { tr("Views: %1").arg(columnTitles().join(QStringLiteral(", "))) };
    if (!m_missing.isEmpty())
        description << m_missing;
    setAccessibleDescription((description + m_notes).join(u'\n'));
    resize(m_size.expandedTo(parentWidget() ? parentWidget()->size() : QSize()));
    if (m_current >= m_boxes.size())
        m_current = -1;
}

void ChainView::chooseColumns(const Image &img)
{
    const ImageArchive &ia = *m_archive;
    // Only the views the archive has get a column, each under its own name; a view the archive
    // has that does not describe this image keeps its column, saying so.
    QStringList absent, notHere, describing;
    const auto addColumn = [&](View v, const QString &title, const QString &note) {
        m_columns.append({ v, 0, title, note });
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
        const bool someAbsent = !absent.isEmpty();
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
        // docker save writes manifest.json and the index after the layers: cut short, an archive
        // may have had them.
        if (someAbsent && ia.archive && ia.archive->truncated())
            line += tr(" The archive breaks off early: a view written after the cut would be missing too.");
        else if (someAbsent && ia.archive && !ia.archive->unterminatedAfter().isEmpty())
            line += tr(" The archive stops without the blocks that end a tar: a view written after its last member "
                       "may have been cut off.");
        m_missing = line;
    }
}

qreal ChainView::placeColumns()
{
    // Nodes and gaps grow together with the room, from the narrowest readable layout to the
    // widest useful one; beyond that the columns are centred rather than left at the left edge.
    const qsizetype n = m_columns.size();
    const auto total = [n](qreal box, qreal gap) { return qreal(n) * box + qreal(n - 1) * gap; };
    // A wide screen shows every digest whole: the widest useful node holds the longest title,
    // a manifest layer's label, its full diff ID and a size, in this font.
    QFont bold = font();
    bold.setBold(true);
    const qreal fullTitle = QFontMetricsF(bold).horizontalAdvance(
        QStringLiteral("#000  diff ID sha256:%1  ·  000.00 KiB").arg(QString(64, u'0')));
    const qreal boxMax = std::max(kBoxMaxW, std::ceil(fullTitle) + 16);
    const qreal least = total(kBoxMinW, kColGapMin), most = total(boxMax, kColGapMax);
    const qreal room = m_availableWidth - 2 * kLeft;
    const qreal t = n == 0 ? 0 : std::clamp((room - least) / (most - least), 0.0, 1.0);
    m_boxW = std::floor(kBoxMinW + t * (boxMax - kBoxMinW));
    m_colGap = std::floor(kColGapMin + t * (kColGapMax - kColGapMin));
    if (n == 0)
        return 0;
    const qreal used = total(m_boxW, m_colGap);
    qreal x = kLeft + std::floor(std::max(0.0, (room - used) / 2));
    for (Column &c : m_columns) {
        c.x = x;
        x += m_boxW + m_colGap;
    }
    return used + 2 * kLeft;
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
    // The legend flows in rows across the whole width, after its toggle; folded, only the
    // entries that fit on the first row are drawn.
    m_legendTop = y + 6;
    m_legendToggle->setVisible(!m_legend.isEmpty());
    const qreal rowH = std::max(kSwatchH, fm.height()) + 8;
    const QSize toggle(m_legendToggle->sizeHint().width(), int(rowH) - 2); // as tall as a row, not taller
    m_legendToggle->setGeometry(QRect(QPoint(int(kLeft), int(m_legendTop) + 1), toggle));
    const qreal indent = kLeft + toggle.width() + 12;
    qreal lx = indent, ly = m_legendTop;
    int firstRow = 0; // entries on the first row: all a folded legend draws
    for (const LegendItem &item : std::as_const(m_legend)) {
        const qreal itemW = kSwatchW + 6 + fm.horizontalAdvance(item.text) + 18;
        if (lx > indent && lx + itemW > width - kLeft) {
            lx = indent;
            ly += rowH;
        }
        firstRow += ly == m_legendTop ? 1 : 0;
        m_legendRects.append(QRectF(lx, ly, itemW, rowH));
        lx += itemW;
    }
    // Whole, it may leave no room for the chain it explains (a short window: one entry a row).
    m_legendCrowded = m_availableHeight > 0 && ly + rowH - m_legendTop > m_availableHeight / 3.0;
    const bool shown = legendShown();
    m_legendToggle->setArrowType(shown ? Qt::DownArrow : Qt::RightArrow);
    if (!shown) {
        m_legendRects.resize(firstRow);
        ly = m_legendTop;
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
        b.rect = QRectF(x1, y, m_boxW, kBoxH);
        b.id = b.value = id;
        b.layer = layerOf.value(id, -1);
        const qint64 size = l && l->layerMember >= 0 ? ia.archive->member(l->layerMember).size : -1;
        if (size >= 0)
            b.titleTail = QStringLiteral("  ·  ") + sizeText(size);
        b.title = id.left(12) + b.titleTail;
        b.path = l && !l->layerPath.isEmpty() ? l->layerPath : id + QStringLiteral("/layer.tar");
        if (b.layer >= 0) {
            b.diffId = img.layers.at(b.layer).diffId;
            b.digest = img.layers.at(b.layer).digest;
        }
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
        b.toolTip = toolTipText(tr("Legacy layer directory %1").arg(id),
            { { tr("file"), sized(b.path, size) }, { tr("parent"), l && !l->parent.isEmpty() ? l->parent : tr("none") },
                { tr("diff ID"), b.diffId }, { tr("blob digest"), b.digest },
                { tr("image layer"), b.layer >= 0 ? QString::number(b.layer) : QString() } });
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
        g.rect = QRectF(x1, y, m_boxW, kBoxH);
        g.id = g.value = chain.missingParent;
        g.titleLead = tr("missing ");
        g.title = g.titleLead + chain.missingParent.left(12);
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
        b.rect = QRectF(x2, m_top + (n - 1 - i) * (kBoxH + kGap), m_boxW, kBoxH);
        b.layer = i;
        b.missing = !l.error.isEmpty();
        b.diffId = b.value = l.diffId;
        b.digest = l.digest;
        b.path = l.path;
        b.titleLead = l.diffId.isEmpty() ? tr("#%1  no diff ID").arg(i) : tr("#%1  diff ID ").arg(i);
        b.title = b.titleLead + shortDigest(l.diffId);
        b.detail = l.error.isEmpty() ? l.path : tr("missing: %1").arg(l.path.isEmpty() ? tr("(empty path)") : l.path);
        b.toolTip = toolTipText(tr("Layer %1 as manifest.json lists it").arg(i),
            { { tr("file"), sized(l.path, l.error.isEmpty() ? l.size : -1) },
                { tr("diff ID"), l.diffId.isEmpty() ? tr("none") : l.diffId }, { tr("blob digest"), l.digest },
                { tr("legacy ID"), l.legacyId } });
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
        b.rect = QRectF(x, oy, m_boxW, kBoxH);
        b.id = b.value = l.id;
        b.titleLead = tr("orphan ");
        b.title = b.titleLead + l.id.left(12);
        b.path = l.layerPath;
        b.detail = l.parent.isEmpty() ? tr("on no tagged chain")
                                      : tr("parent %1, on no tagged chain").arg(l.parent.left(12));
        b.toolTip
            = toolTipText(tr("Legacy layer directory %1: no tag's chain reaches it and no image uses it.").arg(l.id),
                { { tr("file"), sized(l.layerPath, l.layerMember >= 0 ? ia.archive->member(l.layerMember).size : -1) },
                    { tr("parent"), l.parent.isEmpty() ? tr("none") : l.parent } });
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
        b.rect = QRectF(x3, m_top + (k - 1 - i) * (kBoxH + kGap), m_boxW, kBoxH);
        b.layer = i;
        b.missing = fromOci ? !img.layers.at(i).error.isEmpty() : ia.archive->find(blob) < 0;
        b.digest = b.value = d.digest;
        b.diffId = i < img.layers.size() ? img.layers.at(i).diffId : QString();
        b.path = blob;
        b.titleLead = d.digest.isEmpty() ? tr("#%1  blob (no digest)").arg(i) : tr("#%1  blob ").arg(i);
        b.title = b.titleLead + shortDigest(d.digest);
        b.detail = b.missing ? tr("missing: %1").arg(blob) : blob; // elided in the middle when drawn
        if (d.size >= 0 && !b.missing)
            b.detailTail = QStringLiteral(" · ") + sizeText(d.size);
        b.toolTip = toolTipText(tr("Layer %1 as the OCI manifest lists it").arg(i),
            { { tr("file"), sized(blob, b.missing ? -1 : d.size) }, { tr("blob digest"), d.digest },
                { tr("diff ID"), b.diffId },
                { tr("media type"), d.mediaType.isEmpty() ? tr("(none)") : d.mediaType } });
        if (fromOci && !img.layers.at(i).error.isEmpty())
            b.toolTip += u'\n' + img.layers.at(i).error;
        b.concerned = m_highlightLayers.contains(i) || memberHighlighted(blob);
        ociBox.insert(i, int(m_boxes.size()));
        m_boxes.append(b);
    }
    return ociBox;
}

} // namespace lamina
