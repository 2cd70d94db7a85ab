// SPDX-License-Identifier: MIT
// The chain view draws only the views an archive has, under their own names, says which are
// missing, names each layer by the digest its view uses, explains its colours in a legend, and
// takes them from the palette; it is laid out to the width it has, folds its legend, is driven by
// the keyboard, and copies and explains each node. Archives from make_findings.py and the corpus.
#include "chainview.h"
#include "format/inspectreport.h"
#include "inspect/chainpage.h"
#include "mainwindow.h"
#include "testsupport.h"

#include <QApplication>
#include <QClipboard>
#include <QContextMenuEvent>
#include <QFile>
#include <QHelpEvent>
#include <QMenu>
#include <QScrollBar>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QToolButton>
#include <QToolTip>

using namespace lamina;

class TestChainView : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void showsOnlyTheViewsTheArchiveHas_data();
    void showsOnlyTheViewsTheArchiveHas();
    void nodesSayWhichDigest();
    void legendTellsSelectionFromFinding();
    void missingNodeKeepsItsColourWhenSelected_data();
    void missingNodeKeepsItsColourWhenSelected();
    void darkPaletteKeepsBordersAndSoftensRed();
    void layoutFollowsTheWidth_data();
    void layoutFollowsTheWidth();
    void legendFoldsToOneLine();
    void legendFoldsWhereItWouldCrowdTheChain();
    void keyboardMovesTheSelection();
    void enterShowsTheLayersFiles();
    void nodesExplainAndCopyThemselves();
    void paintsOnlyWhatIsExposed();
    void screenshots();

private:
    QString fixture(const QString &name) const { return m_dir.path() + u'/' + name; }
    static QPalette darkPalette()
    {
        // Qt's palette derived from a dark button colour (its Mid and Dark are darker still, as
        // in dark themes), with the roles tst_mainwindow's followsADarkPalette sets.
        QPalette dark(QColor(45, 45, 45));
        dark.setColor(QPalette::Base, QColor(30, 30, 30));
        dark.setColor(QPalette::Window, QColor(45, 45, 45));
        dark.setColor(QPalette::Text, QColor(230, 230, 230));
        dark.setColor(QPalette::WindowText, QColor(230, 230, 230));
        return dark;
    }
    static QImage render(ChainView &v)
    {
        v.resize(v.sizeHint());
        QImage picture(v.size(), QImage::Format_ARGB32);
        v.render(&picture);
        return picture;
    }
    /// A node's tooltip, as hovering shows it.
    static QString hover(ChainView &v, int node)
    {
        const QPoint at = v.nodes().at(node).rect.center().toPoint();
        QHelpEvent help(QEvent::ToolTip, at, v.mapToGlobal(at));
        QApplication::sendEvent(&v, &help);
        return QToolTip::text();
    }
    /// The legacy chain's nodes, top first.
    static QList<int> legacyNodes(const ChainView &v)
    {
        QList<int> out;
        for (int i = 0; i < v.nodes().size(); ++i)
            if (v.nodes().at(i).kind == ChainView::Node::Legacy)
                out << i;
        std::sort(out.begin(), out.end(),
            [&v](int a, int b) { return v.nodes().at(a).rect.top() < v.nodes().at(b).rect.top(); });
        return out;
    }
    static int nodeOf(const ChainView &v, ChainView::Node::Kind kind, int layer)
    {
        for (int i = 0; i < v.nodes().size(); ++i)
            if (v.nodes().at(i).kind == kind && v.nodes().at(i).layer == layer)
                return i;
        return -1;
    }
    /// A point inside a node's fill, right of its text.
    static QColor fillOf(const QImage &picture, const QRectF &r)
    {
        return picture.pixelColor(int(r.right()) - 4, int(r.center().y()));
    }

    QTemporaryDir m_dir;
};

void TestChainView::initTestCase()
{
    QApplication::setOrganizationName(QStringLiteral("LaminaTest"));
    QStandardPaths::setTestModeEnabled(true); // the legend's state away from the user's settings
    QVERIFY(m_dir.isValid());
    QString output;
    QVERIFY2(test::runPython({ test::source(QStringLiteral("tests/fixtures/make_findings.py")), m_dir.path() }, &output)
            == 0,
        qPrintable(output));
    // A docker save cut short before manifest.json: what is left is a legacy-only archive.
    QFile whole(fixture(QStringLiteral("clean-docker24.tar")));
    QVERIFY(whole.open(QIODevice::ReadOnly));
    const QByteArray bytes = whole.readAll();
    const qsizetype header = bytes.indexOf(QByteArray("manifest.json\0", 14));
    QVERIFY(header > 0 && header % 512 == 0);
    QFile cut(fixture(QStringLiteral("truncated.tar")));
    QVERIFY(cut.open(QIODevice::WriteOnly) && cut.write(bytes.left(header)) == header);
    const qsizetype layer = bytes.indexOf(QByteArray("/layer.tar\0", 11));
    QVERIFY(layer > 0);
    QFile inLayer(fixture(QStringLiteral("cut-in-a-layer.tar")));
    const qsizetype inside = layer / 512 * 512 + 512 + 100; // 100 bytes into the first layer's data
    QVERIFY(inLayer.open(QIODevice::WriteOnly) && inLayer.write(bytes.left(inside)) == inside);
    // All three views of one image: the Docker 24 save plus an OCI index and manifest over the
    // same config and layer bytes, as blobs.
    const QString threeViews = QStringLiteral(R"(
import hashlib, io, json, sys, tarfile
t = tarfile.open(sys.argv[1])
out = tarfile.open(sys.argv[2], 'w', format=tarfile.PAX_FORMAT)
members = {}
for m in t:
    data = t.extractfile(m).read() if m.isfile() else None
    out.addfile(m, io.BytesIO(data) if data is not None else None)
    if data is not None:
        members[m.name] = data
def add(name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    out.addfile(ti, io.BytesIO(data))
def blob(data, media):
    d = hashlib.sha256(data).hexdigest()
    add('blobs/sha256/' + d, data)
    return {'mediaType': media, 'digest': 'sha256:' + d, 'size': len(data)}
entry = json.loads(members['manifest.json'])[0]
manifest = {'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
            'config': blob(members[entry['Config']], 'application/vnd.oci.image.config.v1+json'),
            'layers': [blob(members[p], 'application/vnd.oci.image.layer.v1.tar') for p in entry['Layers']]}
ref = blob(json.dumps(manifest).encode(), 'application/vnd.oci.image.manifest.v1+json')
ref['annotations'] = {'org.opencontainers.image.ref.name': 'demo:1.0'}
add('index.json', json.dumps({'schemaVersion': 2, 'manifests': [ref]}).encode())
add('oci-layout', b'{"imageLayoutVersion":"1.0.0"}')
out.close()
)");
    QVERIFY2(test::runPython({ QStringLiteral("-c"), threeViews, fixture(QStringLiteral("clean-docker24.tar")),
                                 fixture(QStringLiteral("three-views.tar")) },
                 &output)
            == 0,
        qPrintable(output));
}

void TestChainView::showsOnlyTheViewsTheArchiveHas_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QStringList>("titles");
    QTest::addColumn<QString>("missing");
    const QString legacy = QStringLiteral("Legacy chain: <id>/json + parent (L)");
    const QString manifest = QStringLiteral("manifest.json (M), top first");
    const QString oci = QStringLiteral("OCI index → manifest (O), top first");
    const QString generated = QStringLiteral("gen:");
    QTest::newRow("docker 24") << generated + QStringLiteral("clean-docker24.tar") << QStringList { legacy, manifest }
                               << QStringLiteral("No OCI index in this archive: the legacy chain and manifest.json "
                                                 "describe its layers.");
    QTest::newRow("dive docker") << QStringLiteral("dive__test-docker-image.tar") << QStringList { legacy, manifest }
                                 << QStringLiteral("No OCI index in this archive: the legacy chain and manifest.json "
                                                   "describe its layers.");
    QTest::newRow("docker 25") << generated + QStringLiteral("clean-docker25.tar") << QStringList { manifest, oci }
                               << QStringLiteral("No legacy chain in this archive: manifest.json and the OCI index "
                                                 "describe its layers.");
    const QString legacyOnly = QStringLiteral(
        "No manifest.json and no OCI index in this archive: only the legacy chain describes its layers.");
    QTest::newRow("v1.0 legacy") << generated + QStringLiteral("clean-v10-legacy.tar") << QStringList { legacy }
                                 << legacyOnly;
    // Cut between two members, the tar's end blocks are missing; cut inside one, the cut is certain.
    QTest::newRow("truncated") << generated + QStringLiteral("truncated.tar") << QStringList { legacy }
                               << legacyOnly
            + QStringLiteral(" The archive stops without the blocks that end a tar: a view written after its last "
                             "member may have been cut off.");
    QTest::newRow("cut in a layer") << generated + QStringLiteral("cut-in-a-layer.tar") << QStringList { legacy }
                                    << legacyOnly
            + QStringLiteral(" The archive breaks off early: a view written after the cut would be missing too.");
    QTest::newRow("ggcr no manifest") << QStringLiteral("ggcr__no_manifest.tar") << QStringList { legacy }
                                      << legacyOnly;
    const QString ociOnly = QStringLiteral(
        "No legacy chain and no manifest.json in this archive: only the OCI index describes its layers.");
    QTest::newRow("dive oci") << QStringLiteral("dive__test-oci-uncompressed-image.tar") << QStringList { oci }
                              << ociOnly;
    QTest::newRow("umoci") << QStringLiteral("gen__umoci-layout") << QStringList { oci } << ociOnly;
    QTest::newRow("oci archive") << generated + QStringLiteral("clean-oci-archive.tar") << QStringList { oci }
                                 << ociOnly;
    // Docker 25 with "manifests": null: the index is there but names no image.
    QTest::newRow("hello v25") << QStringLiteral("ggcr__hello-world-v25.tar") << QStringList { manifest, oci }
                               << QStringLiteral("No legacy chain in this archive; the OCI index lists no manifest: "
                                                 "only manifest.json describes its layers.");
}

void TestChainView::showsOnlyTheViewsTheArchiveHas()
{
    QFETCH(QString, path);
    QFETCH(QStringList, titles);
    QFETCH(QString, missing);
    path = path.startsWith(u"gen:") ? fixture(path.mid(4)) : test::corpus(path);
    const ImageArchive ia = openImageArchive(path);
    QVERIFY2(ia.ok(), qPrintable(ia.errors.join(u'\n')));
    ChainView v;
    v.setImage(&ia, 0);
    QCOMPARE(v.columnTitles(), titles);
    QCOMPARE(v.missingViews(), missing);
    QVERIFY(v.accessibleDescription().contains(missing));
    if (!titles.contains(QStringLiteral("manifest.json (M), top first")))
        for (const ChainView::Node &n : v.nodes())
            QVERIFY2(n.kind != ChainView::Node::Manifest, qPrintable(n.title));
}

void TestChainView::nodesSayWhichDigest()
{
    // Docker 25: the same layer named by its diff ID in manifest.json and its blob in the index.
    const ImageArchive ia = openImageArchive(fixture(QStringLiteral("clean-docker25.tar")));
    QVERIFY(ia.ok());
    ChainView v;
    v.setImage(&ia, 0);
    const ChainView::Node &m = v.nodes().at(nodeOf(v, ChainView::Node::Manifest, 0));
    const ChainView::Node &o = v.nodes().at(nodeOf(v, ChainView::Node::Oci, 0));
    QVERIFY2(m.title.startsWith(u"#0  diff ID sha256:"), qPrintable(m.title));
    QVERIFY2(o.title.startsWith(u"#0  blob sha256:"), qPrintable(o.title));
    QCOMPARE(m.title.mid(m.title.indexOf(u"sha256:")), shortDigest(ia.images.at(0).layers.at(0).diffId));
    // The blob's file name where a file name belongs; its media type in the tooltip.
    const QString hex = ia.oci.manifests.at(0).layers.at(0).digest.mid(7);
    // At the narrowest: the directory whole, the name's both ends.
    QCOMPARE(o.detail, QStringLiteral("blobs/sha256/") + hex);
    QString shown = v.detailShown(o, o.rect.width() - 16);
    QVERIFY2(shown.startsWith(QStringLiteral("blobs/sha256/") + hex.left(4)) && shown.contains(u'…')
            && shown.endsWith(hex.right(4)),
        qPrintable(shown));
    QVERIFY2(QFontMetricsF(v.font()).horizontalAdvance(shown) <= o.rect.width() - 16, qPrintable(shown));
    QVERIFY2(!shown.contains(u"tar"), qPrintable(shown));
    QVERIFY2(o.toolTip.contains(ia.oci.manifests.at(0).layers.at(0).mediaType), qPrintable(o.toolTip));
    QVERIFY2(o.toolTip.contains(QStringLiteral("blobs/sha256/") + hex), qPrintable(o.toolTip));

    // dive's OCI archive: the uncompressed media type no longer stands in for the name.
    const ImageArchive dive = openImageArchive(test::corpus(QStringLiteral("dive__test-oci-uncompressed-image.tar")));
    QVERIFY(dive.ok());
    v.setImage(&dive, 0);
    const ChainView::Node &d = v.nodes().at(nodeOf(v, ChainView::Node::Oci, 0));
    shown = v.detailShown(d, d.rect.width() - 16);
    QVERIFY2(shown.startsWith(u"blobs/sha256/"), qPrintable(shown));
    QVERIFY2(QFontMetricsF(v.font()).horizontalAdvance(shown) <= d.rect.width() - 16, qPrintable(shown));
    QVERIFY2(d.toolTip.contains(u"application/vnd.oci.image.layer.v1.tar"), qPrintable(d.toolTip));
    // And the tooltip is what the node shows on hover.
    v.resize(v.sizeHint());
    v.show();
    QVERIFY(QTest::qWaitForWindowExposed(&v));
    const QPoint at = d.rect.center().toPoint();
    QHelpEvent help(QEvent::ToolTip, at, v.mapToGlobal(at));
    QApplication::sendEvent(&v, &help);
    QTRY_COMPARE(QToolTip::text(), d.toolTip);
}

void TestChainView::legendTellsSelectionFromFinding()
{
    const ImageArchive ia = openImageArchive(fixture(QStringLiteral("chain-fork.tar")));
    QVERIFY(ia.ok());
    ChainView v;
    v.setImage(&ia, 0);
    const QStringList legend = v.legend();
    for (const char *entry :
        { "missing: named, but not in the archive", "selected layer", "concerned by the selected finding",
            "orphan: a legacy dir on no tagged chain", "same layer, same position", "the views disagree" })
        QVERIFY2(legend.contains(QString::fromUtf8(entry)), entry);
    // A single view has no joins to explain.
    const ImageArchive oci = openImageArchive(fixture(QStringLiteral("clean-oci-archive.tar")));
    v.setImage(&oci, 0);
    QVERIFY(!v.legend().contains(QStringLiteral("same layer, same position")));
    QVERIFY(!v.legend().contains(QStringLiteral("orphan: a legacy dir on no tagged chain")));
    QVERIFY(!v.legend().contains(QStringLiteral("parent loop")));
    const ImageArchive cycle = openImageArchive(fixture(QStringLiteral("parent-cycle.tar")));
    v.setImage(&cycle, 0);
    QVERIFY(v.legend().contains(QStringLiteral("parent loop")));

    // Drawn: a selected node and a concerned one do not share a colour.
    v.setImage(&ia, 0);
    const int m0 = nodeOf(v, ChainView::Node::Manifest, 0), m1 = nodeOf(v, ChainView::Node::Manifest, 1);
    v.setSelectedLayer(0);
    v.setHighlighted({ 1 }, {});
    const QImage picture = render(v);
    const QRectF selected = v.nodes().at(m0).rect, concerned = v.nodes().at(m1).rect;
    const QColor ring = picture.pixelColor(int(selected.right()) + 4, int(selected.center().y()));
    QCOMPARE(ring, v.palette().color(QPalette::Highlight));
    QCOMPARE(
        picture.pixelColor(int(concerned.right()) + 4, int(concerned.center().y())), v.palette().color(QPalette::Base));
    QVERIFY(fillOf(picture, selected) != fillOf(picture, concerned));
    QVERIFY(fillOf(picture, concerned) != ring);
}

void TestChainView::missingNodeKeepsItsColourWhenSelected_data()
{
    QTest::addColumn<QString>("archive");
    QTest::addColumn<int>("kind");
    QTest::addColumn<bool>("dark");
    QTest::newRow("manifest, light") << QStringLiteral("layer-missing.tar") << int(ChainView::Node::Manifest) << false;
    QTest::newRow("manifest, dark") << QStringLiteral("layer-missing.tar") << int(ChainView::Node::Manifest) << true;
    QTest::newRow("legacy dir, dark") << QStringLiteral("layer-missing.tar") << int(ChainView::Node::Legacy) << true;
    QTest::newRow("missing parent, light")
        << QStringLiteral("dangling-parent.tar") << int(ChainView::Node::Ghost) << false;
    QTest::newRow("oci blob, light") << QStringLiteral("layer-missing-oci.tar") << int(ChainView::Node::Oci) << false;
}

void TestChainView::missingNodeKeepsItsColourWhenSelected()
{
    QFETCH(QString, archive);
    QFETCH(int, kind);
    QFETCH(bool, dark);
    const ImageArchive ia = openImageArchive(fixture(archive));
    QVERIFY(ia.ok());
    ChainView v;
    if (dark)
        v.setPalette(darkPalette());
    v.setImage(&ia, 0);
    int missing = -1;
    for (int i = 0; i < v.nodes().size(); ++i)
        if (v.nodes().at(i).kind == kind && v.nodes().at(i).missing)
            missing = i;
    QVERIFY(missing >= 0);
    const QRectF r = v.nodes().at(missing).rect;
    const QColor before = fillOf(render(v), r);
    QVERIFY2(before.hslHue() < 15 || before.hslHue() > 345, qPrintable(before.name())); // red
    if (v.nodes().at(missing).layer >= 0) {
        v.setSelectedLayer(v.nodes().at(missing).layer);
        v.setHighlighted({ v.nodes().at(missing).layer }, {}); // and concerned by the finding
    } else { // a missing parent stands for no layer: selected by a click
        QTest::mouseClick(&v, Qt::LeftButton, {}, r.center().toPoint());
    }
    QVERIFY(v.isSelected(v.nodes().at(missing)));
    const QImage picture = render(v);
    QCOMPARE(fillOf(picture, r), before);
    QCOMPARE(picture.pixelColor(int(r.right()) + 4, int(r.center().y())), v.palette().color(QPalette::Highlight));
}

void TestChainView::darkPaletteKeepsBordersAndSoftensRed()
{
    const ImageArchive ia = openImageArchive(fixture(QStringLiteral("dangling-parent.tar")));
    QVERIFY(ia.ok());
    ChainView v;
    v.setPalette(darkPalette());
    v.setImage(&ia, 0);
    const QImage picture = render(v);
    const QColor base(30, 30, 30);
    int ghost = -1;
    for (int i = 0; i < v.nodes().size(); ++i) {
        const ChainView::Node &n = v.nodes().at(i);
        if (n.kind == ChainView::Node::Ghost)
            ghost = i;
        if (n.missing)
            continue;
        // The border, in the middle of the left edge, stands out from the dark canvas.
        const QColor border = picture.pixelColor(int(n.rect.left()), int(n.rect.center().y()));
        QVERIFY2(border.lightness() - base.lightness() > 60, qPrintable(n.title + u' ' + border.name()));
    }
    QVERIFY(ghost >= 0);
    // The missing parent: dark red on a dark canvas, not a bright pink.
    const QColor fill = fillOf(picture, v.nodes().at(ghost).rect);
    QVERIFY2(fill.lightness() < 90 && fill.red() > fill.green() + 20, qPrintable(fill.name()));
}

void TestChainView::layoutFollowsTheWidth_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("columns");
    QTest::newRow("legacy, manifest.json, OCI") << fixture(QStringLiteral("three-views.tar")) << 3;
    QTest::newRow("docker 25") << fixture(QStringLiteral("clean-docker25.tar")) << 2;
    QTest::newRow("dive, 14 layers") << test::corpus(QStringLiteral("dive__test-docker-image.tar")) << 2;
}

void TestChainView::layoutFollowsTheWidth()
{
    // The chain tab of a 1024 px window is about 750 px wide: every column fits without a
    // horizontal scroll bar. At 1920 the columns spread over the room instead of sitting left.
    QFETCH(QString, path);
    QFETCH(int, columns);
    const ImageArchive ia = openImageArchive(path);
    QVERIFY(ia.ok());
    ChainPage page;
    page.resize(750, 400);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    ChainView *v = page.chain();
    v->setImage(&ia, 0);
    QCoreApplication::processEvents(); // the vertical scroll bar, when needed, shows on the next round
    QCOMPARE(v->columnTitles().size(), columns);
    const auto span = [v] {
        qreal left = 1e9, right = 0;
        for (const ChainView::Node &n : v->nodes()) {
            left = std::min(left, n.rect.left());
            right = std::max(right, n.rect.right());
        }
        return std::pair { left, right };
    };
    QCOMPARE(page.horizontalScrollBar()->maximum(), 0);
    QVERIFY2(span().second <= page.viewport()->width(), qPrintable(QString::number(span().second)));
    const qreal narrow = v->nodes().constFirst().rect.width();
    QVERIFY2(narrow >= 190, qPrintable(QString::number(narrow))); // still room for a digest and a file name

    page.resize(1650, 400); // laid out again, to the new width
    QCoreApplication::processEvents();
    QCOMPARE(page.horizontalScrollBar()->maximum(), 0);
    const auto [left, right] = span();
    QVERIFY2(right - left > 0.6 * page.viewport()->width(), qPrintable(QStringLiteral("%1..%2").arg(left).arg(right)));
    QVERIFY(v->nodes().constFirst().rect.width() > narrow);
    if (columns == 2) {
        // Room enough for every node's title whole: full digests, not elided ones.
        QFont bold = v->font();
        bold.setBold(true);
        const QFontMetricsF fm(bold);
        for (const ChainView::Node &n : v->nodes())
            QVERIFY2(fm.horizontalAdvance(n.titleLead + n.value + n.titleTail) <= n.rect.width() - 16,
                qPrintable(n.titleLead + n.value + n.titleTail));
    }
    // Centred: as much room on either side.
    QVERIFY2(qAbs(left - (page.viewport()->width() - right)) <= 2,
        qPrintable(QStringLiteral("%1..%2").arg(left).arg(right)));

    page.resize(750, 400); // and back
    QCoreApplication::processEvents();
    QCOMPARE(page.horizontalScrollBar()->maximum(), 0);
    QCOMPARE(v->nodes().constFirst().rect.width(), narrow);
}

void TestChainView::legendFoldsToOneLine()
{
    QSettings().remove(QStringLiteral("chain/legendShown"));
    const ImageArchive ia = openImageArchive(fixture(QStringLiteral("chain-fork.tar"))); // the longest legend
    QVERIFY(ia.ok());
    ChainPage page;
    page.resize(1000, 500); // the chain tab of a 1280x720 window
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    ChainView *v = page.chain();
    v->setImage(&ia, 0);
    auto *toggle = v->findChild<QToolButton *>(QStringLiteral("chainLegendToggle"));
    QVERIFY(toggle);
    QVERIFY(toggle->isVisible());
    QVERIFY(toggle->isChecked()); // shown the first time
    const qreal row = toggle->height() + 2;
    QCOMPARE(v->legendEntriesDrawn(), v->legend().size());
    // Flowing across the whole width: three rows at most (four, over 100 px, before).
    QVERIFY2(v->legendHeight() <= 3 * row + 1, qPrintable(QString::number(v->legendHeight())));
    const qreal shownTop = v->nodes().constFirst().rect.top();

    QTest::mouseClick(toggle, Qt::LeftButton);
    QVERIFY(!v->legendShown());
    QVERIFY2(v->legendHeight() <= row + 1, qPrintable(QString::number(v->legendHeight())));
    QVERIFY(v->legendEntriesDrawn() >= 1 && v->legendEntriesDrawn() < v->legend().size());
    QVERIFY2(v->nodes().constFirst().rect.top() <= shownTop - row, qPrintable(QString::number(shownTop)));
    QCOMPARE(QSettings().value(QStringLiteral("chain/legendShown")).toBool(), false);
    ChainView next; // remembered
    QVERIFY(!next.legendShown());

    // Reachable from the keyboard: Tab from the view reaches the toggle, Space unfolds it.
    QVERIFY(toggle->focusPolicy() & Qt::TabFocus);
    QTest::keyClick(toggle, Qt::Key_Space);
    QVERIFY(v->legendShown());
    QCOMPARE(v->nodes().constFirst().rect.top(), shownTop);
    QCOMPARE(QSettings().value(QStringLiteral("chain/legendShown")).toBool(), true);
    v->setImage(nullptr, -1); // nothing to explain: no toggle
    QVERIFY(!toggle->isVisible());
}

// A short, narrow window (800x500: the chain tab 480x220) drew the whole legend, an entry a row,
// and no chain without scrolling. It is drawn folded there, the choice stored left alone; its
// toggle unfolds it all the same.
void TestChainView::legendFoldsWhereItWouldCrowdTheChain()
{
    QSettings().setValue(QStringLiteral("chain/legendShown"), true);
    const ImageArchive ia = openImageArchive(fixture(QStringLiteral("chain-fork.tar")));
    QVERIFY(ia.ok());
    ChainPage page;
    page.resize(480, 220);
    page.show();
    QVERIFY(QTest::qWaitForWindowExposed(&page));
    ChainView *v = page.chain();
    v->setImage(&ia, 0);
    auto *toggle = v->findChild<QToolButton *>(QStringLiteral("chainLegendToggle"));
    QVERIFY(!v->legendShown());
    QVERIFY(v->legendEntriesDrawn() >= 1 && v->legendEntriesDrawn() < v->legend().size());
    QCOMPARE(toggle->arrowType(), Qt::RightArrow);
    QVERIFY2(v->nodes().constFirst().rect.top() < page.viewport()->height(),
        qPrintable(QString::number(v->nodes().constFirst().rect.top())));
    QCOMPARE(QSettings().value(QStringLiteral("chain/legendShown")).toBool(), true);
    QTest::mouseClick(toggle, Qt::LeftButton); // asked for: shown here, crowded or not
    QVERIFY(v->legendShown());
    QCOMPARE(v->legendEntriesDrawn(), v->legend().size());
    QCOMPARE(toggle->arrowType(), Qt::DownArrow);
    QTest::mouseClick(toggle, Qt::LeftButton); // and folded again by hand: stored
    QVERIFY(!v->legendShown());
    QCOMPARE(QSettings().value(QStringLiteral("chain/legendShown")).toBool(), false);
    QTest::mouseClick(toggle, Qt::LeftButton);
    QVERIFY(v->legendShown());
    QCOMPARE(QSettings().value(QStringLiteral("chain/legendShown")).toBool(), true);
    // Room enough: the whole legend, as before.
    ChainPage roomy;
    roomy.resize(1000, 500);
    roomy.show();
    QVERIFY(QTest::qWaitForWindowExposed(&roomy));
    roomy.chain()->setImage(&ia, 0);
    QVERIFY(roomy.chain()->legendShown());
    QCOMPARE(roomy.chain()->legendEntriesDrawn(), roomy.chain()->legend().size());
}

void TestChainView::keyboardMovesTheSelection()
{
    const ImageArchive ia = openImageArchive(test::corpus(QStringLiteral("dive__test-docker-image.tar")));
    QVERIFY(ia.ok());
    ChainPage page;
    page.resize(750, 300); // 14 layers: the view scrolls
    page.show();
    page.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&page));
    ChainView *v = page.chain();
    v->setImage(&ia, 0);
    QSignalSpy clicked(v, &ChainView::layerClicked);
    QSignalSpy activated(v, &ChainView::activated);
    const QList<int> chain = legacyNodes(*v);
    QVERIFY(chain.size() == 14);
    const auto layerOf = [v](int node) { return v->nodes().at(node).layer; };
    const auto visible = [v, &page](int node) {
        return QRect(-v->pos(), page.viewport()->size()).contains(v->nodes().at(node).rect.toRect());
    };

    // A click gives it focus and selects, as before.
    QTest::mouseClick(v, Qt::LeftButton, {}, v->nodes().at(chain.at(0)).rect.center().toPoint());
    QVERIFY(v->hasFocus());
    QCOMPARE(clicked.count(), 1);
    QCOMPARE(clicked.last().at(0).toInt(), layerOf(chain.at(0)));
    QTest::keyClick(v, Qt::Key_Down);
    QVERIFY(v->isSelected(v->nodes().at(chain.at(1))));
    QVERIFY(!v->isSelected(v->nodes().at(chain.at(0))));
    QCOMPARE(clicked.last().at(0).toInt(), layerOf(chain.at(1)));
    QTest::keyClick(v, Qt::Key_Up);
    QCOMPARE(clicked.last().at(0).toInt(), layerOf(chain.at(0)));
    QTest::keyClick(v, Qt::Key_End); // the bottom of the chain, scrolled into view
    QCOMPARE(v->currentNode(), chain.constLast());
    QCOMPARE(clicked.last().at(0).toInt(), layerOf(chain.constLast()));
    QVERIFY(page.verticalScrollBar()->value() > 0);
    QVERIFY(visible(chain.constLast()));
    // Right: the same layer in manifest.json's column.
    QTest::keyClick(v, Qt::Key_Right);
    const ChainView::Node &m = v->nodes().at(v->currentNode());
    QCOMPARE(m.kind, ChainView::Node::Manifest);
    QCOMPARE(m.layer, layerOf(chain.constLast()));
    QTest::keyClick(v, Qt::Key_Right); // no column further right: stays
    QCOMPARE(v->nodes().at(v->currentNode()).kind, ChainView::Node::Manifest);
    QTest::keyClick(v, Qt::Key_Home);
    QCOMPARE(v->nodes().at(v->currentNode()).kind, ChainView::Node::Manifest);
    QCOMPARE(v->nodes().at(v->currentNode()).layer, 13);
    QCOMPARE(page.verticalScrollBar()->value(), 0);
    QTest::keyClick(v, Qt::Key_Left);
    QCOMPARE(v->currentNode(), nodeOf(*v, ChainView::Node::Legacy, 13));
    QCOMPARE(activated.count(), 0); // moving only selects
    QTest::keyClick(v, Qt::Key_Return);
    QCOMPARE(activated.count(), 1);
    QCOMPARE(activated.last().at(0).toInt(), 13);
    QTest::keyClick(v, Qt::Key_Enter, Qt::KeypadModifier);
    QCOMPARE(activated.count(), 2);
    QTest::mouseDClick(v, Qt::LeftButton, {}, v->nodes().at(chain.at(1)).rect.center().toPoint());
    QCOMPARE(activated.count(), 3);
    QCOMPARE(activated.last().at(0).toInt(), layerOf(chain.at(1)));

    // A frame shows while it has the focus, round what is visible.
    const auto frame = [&page] {
        const QImage shot = page.viewport()->grab().toImage();
        return shot.pixelColor(1, shot.height() / 2);
    };
    QCOMPARE(frame(), v->palette().color(QPalette::Highlight));
    v->clearFocus();
    QCOMPARE(frame(), v->palette().color(QPalette::Base));
}

void TestChainView::enterShowsTheLayersFiles()
{
    // In the window: Enter on a node (as a double click) opens the Layers tab on that layer.
    MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &MainWindow::archiveLoaded);
    w.openPath(fixture(QStringLiteral("three-views.tar")));
    QVERIFY(loaded.wait(30000));
    w.showTab(MainWindow::ChainTab);
    auto *chain = w.findChild<ChainView *>(QStringLiteral("chainView"));
    auto *tabs = chain->parentWidget();
    while (tabs && !qobject_cast<QTabWidget *>(tabs))
        tabs = tabs->parentWidget();
    QVERIFY(tabs);
    auto *layers = w.findChild<QTableView *>(QStringLiteral("layers"));
    const int node = nodeOf(*chain, ChainView::Node::Oci, 0);
    QTest::mouseClick(chain, Qt::LeftButton, {}, chain->nodes().at(node).rect.center().toPoint());
    QTRY_COMPARE(layers->currentIndex().row(), 0);
    QCOMPARE(static_cast<QTabWidget *>(tabs)->currentIndex(), int(MainWindow::ChainTab)); // a click stays
    QTest::keyClick(chain, Qt::Key_Up);
    QTRY_COMPARE(layers->currentIndex().row(), 1);
    QTest::keyClick(chain, Qt::Key_Return);
    QCOMPARE(static_cast<QTabWidget *>(tabs)->currentIndex(), int(MainWindow::LayersTab));
    QCOMPARE(layers->currentIndex().row(), 1);
}

void TestChainView::nodesExplainAndCopyThemselves()
{
    const ImageArchive ia = openImageArchive(fixture(QStringLiteral("three-views.tar")));
    QVERIFY(ia.ok());
    const Image &img = ia.images.at(0);
    ChainView v;
    v.setImage(&ia, 0);
    v.resize(v.sizeHint());
    v.show();
    v.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&v));
    QSignalSpy activated(&v, &ChainView::activated);
    const QString size = QLocale().formattedDataSize(10240);
    const Descriptor &d = ia.oci.manifests.at(img.ociManifest).layers.at(0);
    const QString blob = QStringLiteral("blobs/") + QString(d.digest).replace(u':', u'/');

    // Hovering shows every full value the node has.
    const int o = nodeOf(v, ChainView::Node::Oci, 0);
    QString tip = hover(v, o);
    for (const QString &part : { d.digest, img.layers.at(0).diffId, blob, size })
        QVERIFY2(tip.contains(part), qPrintable(part + u'\n' + tip));
    const int m = nodeOf(v, ChainView::Node::Manifest, 1);
    tip = hover(v, m);
    for (const QString &part : { img.layers.at(1).diffId, img.layers.at(1).path, size })
        QVERIFY2(tip.contains(part), qPrintable(part + u'\n' + tip));
    const QList<int> chain = legacyNodes(v);
    const LegacyLayer *top = ia.legacy.layer(v.nodes().at(chain.at(0)).id);
    QVERIFY(top);
    tip = hover(v, chain.at(0));
    for (const QString &part : { top->id, top->parent, top->layerPath, size, img.layers.at(1).diffId })
        QVERIFY2(tip.contains(part), qPrintable(part + u'\n' + tip));

    // Right-click: a menu of what can be copied, then Show files.
    const auto menuOn = [&v](int node) -> QMenu * {
        const QPoint at = v.nodes().at(node).rect.center().toPoint();
        QContextMenuEvent event(QContextMenuEvent::Mouse, at, v.mapToGlobal(at));
        QApplication::sendEvent(&v, &event);
        const QList<QMenu *> menus = v.findChildren<QMenu *>(QStringLiteral("chainNodeMenu"));
        return menus.isEmpty() ? nullptr : menus.constLast();
    };
    const auto action = [](QMenu *menu, const QString &text) -> QAction * {
        for (QAction *a : menu->actions())
            if (a->text() == text)
                return a;
        return nullptr;
    };
    QMenu *menu = menuOn(o);
    QVERIFY(menu);
    QStringList texts;
    for (QAction *a : menu->actions())
        texts << a->text();
    QCOMPARE(texts,
        QStringList({ QStringLiteral("Copy digest"), QStringLiteral("Copy diff ID"), QStringLiteral("Copy file path"),
            QString(), QStringLiteral("Show files"), QStringLiteral("Extract layer…"),
            QStringLiteral("Compare with…") }));
    QSignalSpy extract(&v, &ChainView::extractRequested);
    action(menu, QStringLiteral("Extract layer…"))->trigger();
    QCOMPARE(extract.count(), 1);
    QCOMPARE(extract.last().at(0).toInt(), 0);
    action(menu, QStringLiteral("Copy digest"))->trigger();
    QCOMPARE(QGuiApplication::clipboard()->text(), d.digest);
    action(menu, QStringLiteral("Copy diff ID"))->trigger();
    QCOMPARE(QGuiApplication::clipboard()->text(), img.layers.at(0).diffId);
    action(menu, QStringLiteral("Copy file path"))->trigger();
    QCOMPARE(QGuiApplication::clipboard()->text(), blob);
    action(menu, QStringLiteral("Show files"))->trigger();
    QCOMPARE(activated.count(), 1);
    QCOMPARE(activated.last().at(0).toInt(), 0);
    menu->close();
    menu = menuOn(chain.at(0));
    QVERIFY(menu && action(menu, QStringLiteral("Copy ID")));
    action(menu, QStringLiteral("Copy ID"))->trigger();
    QCOMPARE(QGuiApplication::clipboard()->text(), top->id);
    action(menu, QStringLiteral("Copy file path"))->trigger();
    QCOMPARE(QGuiApplication::clipboard()->text(), top->layerPath);
    menu->close();

    // Ctrl+C: the selected node's full digest, diff ID or ID.
    QGuiApplication::clipboard()->clear();
    QTest::mouseClick(&v, Qt::LeftButton, {}, v.nodes().at(m).rect.center().toPoint());
    QTest::keySequence(&v, QKeySequence::Copy);
    QCOMPARE(QGuiApplication::clipboard()->text(), img.layers.at(1).diffId);
    QTest::keyClick(&v, Qt::Key_Right);
    QTest::keySequence(&v, QKeySequence::Copy);
    QCOMPARE(QGuiApplication::clipboard()->text(), ia.oci.manifests.at(img.ociManifest).layers.at(1).digest);
    // The menu key opens the selected node's menu.
    QContextMenuEvent key(QContextMenuEvent::Keyboard, QPoint(), v.mapToGlobal(QPoint()));
    QApplication::sendEvent(&v, &key);
    menu = v.findChildren<QMenu *>(QStringLiteral("chainNodeMenu")).constLast();
    action(menu, QStringLiteral("Copy file path"))->trigger();
    QCOMPARE(QGuiApplication::clipboard()->text(),
        QStringLiteral("blobs/")
            + QString(ia.oci.manifests.at(img.ociManifest).layers.at(1).digest).replace(u':', u'/'));
}

void TestChainView::paintsOnlyWhatIsExposed()
{
    // A chain of 120 layers, far taller than a screen, as docker save writes it. Painting all of
    // an image of 200 layers on each scroll held the window over 100 ms.
    const QString make = QStringLiteral(R"(
import hashlib, io, json, sys, tarfile
out = tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT)
def add(name, data):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    out.addfile(ti, io.BytesIO(data))
diffs, paths, parent = [], [], ''
for i in range(120):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT) as layer:
        data = b'layer %d\n' % i
        ti = tarfile.TarInfo('f%d' % i)
        ti.size = len(data)
        layer.addfile(ti, io.BytesIO(data))
    tar = buf.getvalue()
    diffs.append('sha256:' + hashlib.sha256(tar).hexdigest())
    v1 = hashlib.sha256(('%s %d' % (parent, i)).encode()).hexdigest()
    add(v1 + '/VERSION', b'1.0')
    add(v1 + '/json', json.dumps(dict(id=v1, parent=parent) if parent else dict(id=v1)).encode())
    add(v1 + '/layer.tar', tar)
    paths.append(v1 + '/layer.tar')
    parent = v1
config = json.dumps({'architecture': 'amd64', 'os': 'linux', 'config': {},
                     'rootfs': {'type': 'layers', 'diff_ids': diffs}}).encode()
cname = hashlib.sha256(config).hexdigest() + '.json'
add(cname, config)
add('manifest.json', json.dumps([{'Config': cname, 'RepoTags': ['tall:1'], 'Layers': paths}]).encode())
add('repositories', json.dumps({'tall': {'1': parent}}).encode())
out.close()
)");
    const QString path = fixture(QStringLiteral("tall.tar"));
    QString output;
    QVERIFY2(test::runPython({ QStringLiteral("-c"), make, path }, &output) == 0, qPrintable(output));
    const ImageArchive ia = openImageArchive(path);
    QVERIFY(ia.ok());
    ChainView v;
    v.setImage(&ia, 0);
    // A selected node and concerned ones: their outline and badge reach past the node.
    v.setSelectedLayer(60);
    v.setHighlighted({ 30, 31, 90 }, {});
    const QImage whole = render(v);
    QVERIFY2(v.nodes().size() >= 240, qPrintable(QString::number(v.nodes().size()))); // legacy + manifest
    QCOMPARE(v.nodesLastPainted(), v.nodes().size());
    // Painted in bands, as a scroll area exposes it: the same picture, each band drawing only
    // the nodes in or next to it.
    QImage banded(v.size(), QImage::Format_ARGB32);
    constexpr int kBand = 150;
    int mostInABand = 0;
    for (int y = 0; y < v.height(); y += kBand) {
        const QRegion band(0, y, v.width(), kBand);
        v.render(&banded, QPoint(0, y), band);
        mostInABand = std::max(mostInABand, v.nodesLastPainted());
    }
    // Clipped painting antialiases a few pixels of the legend above the nodes differently (with
    // or without the culling); from the first node down, every pixel is the same.
    qreal firstTop = whole.height();
    for (const ChainView::Node &n : v.nodes())
        firstTop = std::min(firstTop, n.rect.top());
    int differ = 0;
    for (int y = int(firstTop) - 12; y < whole.height(); ++y)
        for (int x = 0; x < whole.width(); ++x)
            differ += banded.pixel(x, y) != whole.pixel(x, y);
    QCOMPARE(differ, 0);
    QVERIFY2(mostInABand > 0 && mostInABand <= 16, qPrintable(QString::number(mostInABand)));
}

void TestChainView::screenshots()
{
    // Pictures to look at (not compared): light and dark, three kinds of archive.
    const QString out = qEnvironmentVariable("LAMINA_SCREENSHOTS", QDir::tempPath());
    const QList<QPair<QString, QString>> archives {
        { QStringLiteral("dive-docker"), test::corpus(QStringLiteral("dive__test-docker-image.tar")) },
        { QStringLiteral("dive-oci"), test::corpus(QStringLiteral("dive__test-oci-uncompressed-image.tar")) },
        { QStringLiteral("legacy"), test::corpus(QStringLiteral("ggcr__no_manifest.tar")) },
        { QStringLiteral("oci-missing"), fixture(QStringLiteral("layer-missing-oci.tar")) },
        { QStringLiteral("layer-missing"), fixture(QStringLiteral("layer-missing.tar")) },
        { QStringLiteral("dangling"), fixture(QStringLiteral("dangling-parent.tar")) },
        { QStringLiteral("truncated"), fixture(QStringLiteral("truncated.tar")) },
        { QStringLiteral("fork"), fixture(QStringLiteral("chain-fork.tar")) },
        { QStringLiteral("cycle"), fixture(QStringLiteral("parent-cycle.tar")) },
    };
    for (const auto &[name, path] : archives) {
        const ImageArchive ia = openImageArchive(path);
        QVERIFY(ia.ok());
        for (const bool dark : { false, true }) {
            ChainView v;
            if (dark)
                v.setPalette(darkPalette());
            v.setAvailableSize({ 1000, 0 }); // the chain tab of a 1280x720 window
            v.setImage(&ia, 0);
            v.setSelectedLayer(0);
            v.setHighlighted({ int(ia.images.at(0).layers.size()) - 1 }, {});
            const QString file = QStringLiteral("%1/chain-%2-%3.png").arg(out, name, dark ? u"dark" : u"light");
            QVERIFY2(render(v).save(file), qPrintable(file));
        }
    }
}

QTEST_MAIN(TestChainView)
#include "tst_chainview.moc"
