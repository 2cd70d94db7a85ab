// SPDX-License-Identifier: MIT
#pragma once

#include "format/imagearchive.h"

#include <QSet>
#include <QWidget>

class QMenu;
class QPainter;
class QToolButton;

namespace lamina {

/// The heart of the window: the views an archive has of an image, side by side, each under its
/// own name: the legacy chain (`<id>/json` linked by `parent`, drawn from the tagged top down),
/// manifest.json's layer list and the OCI index's manifest, top layer first, with a line joining
/// the same layer in each. Views the archive lacks are not drawn; a line above says which are
/// missing. A missing parent or layer is a red dashed node; a loop is drawn back to where it
/// closes; lines that cross or end nowhere show disagreement at a glance. It is laid out to the
/// width it is given, driven by arrows, Enter and Ctrl+C, and each node explains itself in a
/// tooltip and offers its values to copy in a context menu.
class ChainView : public QWidget
{
    Q_OBJECT
public:
    enum class View { Legacy, Manifest, Oci };

    /// One drawn node, as the tests and tooltips read it.
    struct Node
    {
        QRectF rect;
        QString title;
        QString detail;
        QString detailTail; ///< drawn after `detail` when there is room for both
        QString toolTip;
        enum Kind { Legacy, Ghost, Manifest, Oci, Orphan } kind = Legacy;
        bool missing = false; ///< named, but its directory or bytes are not in the archive
        bool fork = false; ///< other legacy dirs name the same parent or this as parent
        int layer = -1; ///< the image layer it stands for (index into Image::layers)
        QString id; ///< a legacy layer directory's ID
        QString digest; ///< the blob digest, when known
        QString diffId; ///< the uncompressed tar's digest, when known
        QString path; ///< the member holding the layer's bytes (blob or <id>/layer.tar)
        /// The full digest or ID this view names the node by: what Ctrl+C copies.
        QString value;
        QString titleLead, titleTail; ///< drawn around `value`, elided in the middle to fit
        bool concerned = false; ///< concerned by the selected finding
    };

    explicit ChainView(QWidget *parent = nullptr);
    void setImage(const ImageArchive *archive, int image);
    /// The layers and members the selected finding concerns.
    void setHighlighted(const QSet<int> &layers, const QStringList &members);
    /// The layer selected elsewhere (the layers table); -1 for none.
    void setSelectedLayer(int layer);
    /// The size the view is seen in (the scroll area's viewport). The columns are laid out in its
    /// width: nodes and the gaps between them grow and shrink with it, within bounds that keep the
    /// text readable. A legend that would take more than a third of its height is drawn folded,
    /// until its toggle unfolds it here (the choice remembered is left as it is); a height of 0 is
    /// not known, and every legend fits.
    void setAvailableSize(QSize size);
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override { return sizeHint(); }

    /// The column titles drawn, left to right: one per view the archive has.
    QStringList columnTitles() const;
    /// The line saying which views are missing ("" when the archive has all three).
    QString missingViews() const { return m_missing; }
    /// Why a view is missing, a sentence each (drawn under missingViews()).
    QStringList viewNotes() const { return m_notes; }
    /// What the legend explains, one entry per colour or shape drawn.
    QStringList legend() const;
    /// Whether the whole legend is drawn, or only its first line (remembered in QSettings; a
    /// view too short for it draws it folded all the same).
    bool legendShown() const;
    void setLegendShown(bool shown);
    /// The legend's entries drawn (all when shown, the first line's when folded) and its height.
    int legendEntriesDrawn() const;
    qreal legendHeight() const;
    const QList<Node> &nodes() const { return m_boxes; }
    /// How many nodes the last paint drew: those in the part exposed, not all of a long chain.
    int nodesLastPainted() const { return m_nodesPainted; }
    bool isSelected(const Node &n) const;
    /// A node's second line as drawn in `width`: a path keeps its ends, a digest in it elides in the middle.
    QString detailShown(const Node &n, qreal width) const;
    /// The node the keyboard moves from (index into nodes()), -1 for none.
    int currentNode() const { return m_current; }
    /// The actions a node's context menu offers: copy each value it has, show its files.
    QList<QAction *> nodeActions(int node, QObject *parent);

Q_SIGNALS:
    /// A node was clicked or reached with the keyboard: its layer is the one selected.
    void layerClicked(int layer);
    /// Enter, a double click or "Show files" on a node: show that layer's files.
    void activated(int layer);
    /// "Extract layer…" on a node: write what its layer stores to a folder.
    void extractRequested(int layer);
    /// "Compare with…" on a node: compare this image with another.
    void compareRequested();

protected:
    bool event(QEvent *event) override;
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;
    void focusInEvent(QFocusEvent *event) override;
    void focusOutEvent(QFocusEvent *event) override;
    void moveEvent(QMoveEvent *event) override;

private:
    using Box = Node;
    struct Column
    {
        View view;
        qreal x = 0; ///< set by placeColumns()
        QString title;
        QString note; ///< the view exists in the archive but does not describe this image
    };
    struct LegendItem
    {
        enum Shape { Plain, Missing, Selected, Concerned, Orphan, Fork, Parent, Loop, Agree, Moved, Disagree } shape;
        QString text;
    };
    struct Colours;
    void paintNotes(QPainter &p, const Colours &c) const;
    void paintLegend(QPainter &p, const Colours &c) const;
    void paintColumns(QPainter &p, const Colours &c) const;
    void paintLinks(QPainter &p, const Colours &c, const QRectF &exposed) const;
    void paintBoxes(QPainter &p, const Colours &c, const QRectF &exposed) const;
    void paintCycle(QPainter &p, const Colours &c) const;
    void paintFocus(QPainter &p, const Colours &c) const;
    void paintTitle(QPainter &p, const Box &b, const QFont &bold, qreal textW) const;
    void drawNode(QPainter &p, const Colours &c, const QRectF &r, bool missing, bool concerned, bool selected,
        Qt::PenStyle style, const QColor &border) const;
    void drawSwatch(QPainter &p, const Colours &c, LegendItem::Shape shape, const QRectF &sw) const;
    void layout();
    void chooseColumns(const Image &img);
    qreal placeColumns();
    void fillLegend(const Image &img);
    void placeNodes(const Image &img);
    void layoutHeader(qreal width);
    qreal layoutLegacyColumn(const Image &img, qreal x, QHash<QString, int> *legacyBox);
    QHash<int, int> layoutManifestColumn(const Image &img, qreal x);
    void layoutOrphans(const Image &img, qreal x, const QHash<QString, int> &legacyBox, qreal chainBottom);
    QHash<int, int> layoutOciColumn(const Image &img, qreal x);
    void joinLegacy(const Image &img, const QHash<QString, int> &legacyBox, const QHash<int, int> &next);
    bool memberHighlighted(const QString &member) const;
    const Column *column(View v) const;
    int boxAt(const QPointF &pos) const;
    int keyboardNode() const;
    QList<int> columnNodes(int box) const;
    int besideInColumn(int box, int step) const;
    void setCurrent(int box);
    void copyValue(const QString &value) const;

    const ImageArchive *m_archive = nullptr;
    int m_image = -1;
    QList<Box> m_boxes;
    mutable int m_nodesPainted = 0;
    QList<Column> m_columns;
    QList<LegendItem> m_legend;
    QList<QPair<int, int>> m_links; ///< box indices
    QList<QPair<int, int>> m_forkLinks; ///< an orphan branch to its parent on the chain
    QString m_cycleNote;
    int m_cycleFrom = -1, m_cycleTo = -1; ///< box indices of a loop's last node and where it closes
    QString m_missing;
    QStringList m_notes;
    QList<QRectF> m_noteRects; ///< where m_missing, then each of m_notes, is drawn
    qreal m_legendTop = 0;
    QList<QRectF> m_legendRects; ///< where each legend entry is drawn; empty when folded away
    QToolButton *m_legendToggle = nullptr;
    qreal m_boxW = 270, m_colGap = 150; ///< set by placeColumns() from the available width
    int m_availableWidth = 0;
    int m_availableHeight = 0; ///< 0: not known, every legend fits
    bool m_legendCrowded = false; ///< the last layout found no room for the whole legend
    bool m_legendUnfoldedHere = false; ///< … and the user unfolded it in this view anyway
    int m_current = -1;
    qreal m_titleY = 0;
    qreal m_top = 0; ///< where the first node row starts
    QSet<int> m_highlightLayers;
    QStringList m_highlightMembers;
    int m_selectedLayer = -1;
    QString m_selectedId; ///< a node that stands for no layer (a missing parent, an orphan)
    QSize m_size { 600, 300 };
};

/// Why an archive has no legacy chain, in words: which producers omit it.
QString noLegacyChainReason(const ImageArchive &ia);

} // namespace lamina
