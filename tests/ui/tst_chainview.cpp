// SPDX-License-Identifier: MIT
// The chain view draws only the views an archive has, under their own names, says which are
// missing, names each layer by the digest its view uses, explains its colours in a legend, and
// takes them from the palette. Archives from make_findings.py and the corpus.
#include "chainview.h"
#include "format/inspectreport.h"
#include "testsupport.h"

#include <QApplication>
#include <QFile>
#include <QHelpEvent>
#include <QTemporaryDir>
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
    QTest::newRow("truncated") << generated + QStringLiteral("truncated.tar") << QStringList { legacy } << legacyOnly;
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
    QVERIFY2(o.detail.startsWith(QStringLiteral("blobs/sha256/") + hex.left(8) + u'…'), qPrintable(o.detail));
    QVERIFY2(
        QFontMetricsF(v.font()).horizontalAdvance(o.detail) <= o.rect.width() - 16, qPrintable(o.detail)); // not elided
    QVERIFY2(!o.detail.contains(u"tar"), qPrintable(o.detail));
    QVERIFY2(o.toolTip.contains(ia.oci.manifests.at(0).layers.at(0).mediaType), qPrintable(o.toolTip));
    QVERIFY2(o.toolTip.contains(QStringLiteral("blobs/sha256/") + hex), qPrintable(o.toolTip));

    // dive's OCI archive: the uncompressed media type no longer stands in for the name.
    const ImageArchive dive = openImageArchive(test::corpus(QStringLiteral("dive__test-oci-uncompressed-image.tar")));
    QVERIFY(dive.ok());
    v.setImage(&dive, 0);
    const ChainView::Node &d = v.nodes().at(nodeOf(v, ChainView::Node::Oci, 0));
    QVERIFY2(d.detail.startsWith(u"blobs/sha256/"), qPrintable(d.detail));
    QVERIFY2(QFontMetricsF(v.font()).horizontalAdvance(d.detail) <= d.rect.width() - 16, qPrintable(d.detail));
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
