// SPDX-License-Identifier: MIT
// Comparing two images, on pairs of archives whose one difference is known
// (tests/fixtures/make_diff_pairs.py), and every corpus archive against itself.
#include "compare/imagediff.h"
#include "layers/imagelayers.h"
#include "testsupport.h"
#include "util/workcounters.h"

#include <QDir>
#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

using namespace lamina;

class TestImageDiff : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void onlyAnMtime();
    void aFileAdded();
    void layersReordered();
    void recompressed();
    void configOnly();
    void entryOrder();
    void ownerAndMode();
    void contentAtTheSameSize();
    void hardLinkForACopy();
    void corpusAgainstItself();
    void sharedLayersReadOnce();
    void otherwiseStoredLayersReadAgain();
    void hardLinksWithoutTrees();

private:
    struct Opened
    {
        ImageArchive archive;
        ImageLayers layers;
    };
    static Opened open(const QString &path)
    {
        Opened o;
        o.archive = openImageArchive(path);
        if (o.archive.ok())
            o.layers = indexLayersForDiff(o.archive, 0);
        return o;
    }
    ImageDiff pair(const QString &name)
    {
        m_a = open(m_dir.filePath(name + QStringLiteral("-a.tar")));
        m_b = open(m_dir.filePath(name + QStringLiteral("-b.tar")));
        if (!m_a.archive.ok() || !m_b.archive.ok())
            return {};
        return diffImages({ &m_a.archive, 0, m_a.layers.layers }, { &m_b.archive, 0, m_b.layers.layers });
    }
    /// The non-zero classes, "class:count".
    static QStringList why(const ImageDiff &d)
    {
        QStringList out;
        for (int c = 0; c < kDiffClassCount; ++c)
            if (d.why.at(c).count)
                out << QStringLiteral("%1:%2").arg(diffClassKey(DiffClass(c))).arg(d.why.at(c).count);
        return out;
    }
    static QStringList files(const ImageDiff &d)
    {
        QStringList out;
        for (const ImageDiff::File &f : d.files)
            out << QStringLiteral("%1 %2 %3")
                       .arg(changeWord(f.change), QString::fromUtf8(f.path), diffCauseNames(f.causes).join(u','));
        return out;
    }
    QTemporaryDir m_dir;
    Opened m_a, m_b;
};

void TestImageDiff::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QCOMPARE(test::runPython({ test::source(QStringLiteral("tests/fixtures/make_diff_pairs.py")), m_dir.path() }), 0);
}

void TestImageDiff::onlyAnMtime()
{
    const ImageDiff d = pair(QStringLiteral("mtime"));
    QCOMPARE(files(d), QStringList { QStringLiteral("changed srv/app.txt mtime") });
    QCOMPARE(why(d), QStringList { QStringLiteral("timestamps:1") });
    QCOMPARE(d.tally(DiffClass::Timestamps).bytes, qint64(29));
    QVERIFY(!d.identical());
    // The bottom layer is shared; the top one was written again.
    QCOMPARE(d.layers.size(), 2);
    QCOMPARE(d.layers.at(0).kind, ImageDiff::LayerRow::Shared);
    QCOMPARE(d.layers.at(1).kind, ImageDiff::LayerRow::Replaced);
    QVERIFY(!d.layers.at(1).sameFilesOtherBytes);
    QVERIFY(d.summary().startsWith(u"only timestamps"));
}

void TestImageDiff::aFileAdded()
{
    const ImageDiff d = pair(QStringLiteral("added"));
    QCOMPARE(files(d), QStringList { QStringLiteral("added srv/new.txt ") });
    QCOMPARE(why(d), QStringList { QStringLiteral("content:1") });
    QCOMPARE(d.tally(DiffClass::Content).bytes, qint64(4));
    const QJsonObject json = imageDiffJson(d);
    QCOMPARE(json.value(u"identical").toBool(), false);
    const QJsonObject file = json.value(u"files").toArray().at(0).toObject();
    QCOMPARE(file.value(u"path").toString(), QStringLiteral("/srv/new.txt"));
    QCOMPARE(file.value(u"change").toString(), QStringLiteral("added"));
    // Per diff ID: the shared bottom layer once, the two top layers each on their side.
    const QJsonArray layers = json.value(u"layers").toArray();
    QCOMPARE(layers.size(), 3);
    QCOMPARE(layers.at(0)[u"inA"].toInt(), 0);
    QCOMPARE(layers.at(0)[u"inB"].toInt(), 0);
    QVERIFY(layers.at(1)[u"inB"].isNull());
    QVERIFY(layers.at(2)[u"inA"].isNull());
    QCOMPARE(json.value(u"why")[u"content"].toInt(), 1);
}

void TestImageDiff::layersReordered()
{
    const ImageDiff d = pair(QStringLiteral("reordered"));
    // Disjoint layers swapped: the same files, one layer moved.
    QVERIFY(d.files.isEmpty());
    QCOMPARE(why(d), QStringList { QStringLiteral("order:1") });
    int moved = 0;
    for (const ImageDiff::LayerRow &r : d.layers)
        if (r.kind == ImageDiff::LayerRow::Moved) {
            ++moved;
            QCOMPARE(r.movedTo, r.a >= 0 ? 1 : 0); // A's layer 0 is B's layer 1
        }
    QCOMPARE(moved, 2); // one row on each side
    const QJsonArray layers = imageDiffJson(d).value(u"layers").toArray();
    QCOMPARE(layers.size(), 2); // each diff ID once, with both places
    for (const QJsonValue &l : layers)
        QVERIFY(l[u"inA"].toInt() != l[u"inB"].toInt() || l[u"kind"].toString() == u"shared");
}

void TestImageDiff::recompressed()
{
    const ImageDiff d = pair(QStringLiteral("recompressed"));
    QVERIFY(d.files.isEmpty());
    QVERIFY(d.config.isEmpty());
    QCOMPARE(why(d), QStringList { QStringLiteral("compression:2") });
    for (const ImageDiff::LayerRow &r : d.layers) {
        QCOMPARE(r.kind, ImageDiff::LayerRow::Shared);
        QVERIFY(r.sameFilesOtherBytes);
        QCOMPARE(r.compressionB, Compression::Gzip);
    }
}

void TestImageDiff::configOnly()
{
    const ImageDiff d = pair(QStringLiteral("config"));
    QVERIFY(d.files.isEmpty());
    QStringList fields;
    for (const ImageDiff::ConfigField &f : d.config)
        fields << QStringLiteral("%1 %2 %3 %4").arg(f.field, f.a.toString(), f.b.toString(), diffClassKey(f.kind));
    QCOMPARE(fields,
        (QStringList { QStringLiteral("Env:PATH /usr/bin:/bin /opt/bin:/usr/bin:/bin content"),
            QStringLiteral("created 2024-01-01T00:00:00Z 2024-06-01T00:00:00Z metadata") }));
    QCOMPARE(why(d), (QStringList { QStringLiteral("metadata:1"), QStringLiteral("content:1") }));
}

void TestImageDiff::entryOrder()
{
    const ImageDiff d = pair(QStringLiteral("entryorder"));
    QVERIFY(d.files.isEmpty());
    QCOMPARE(d.layers.at(1).kind, ImageDiff::LayerRow::Replaced);
    QVERIFY(d.layers.at(1).sameFilesOtherBytes);
    QCOMPARE(why(d), QStringList { QStringLiteral("order:1") });
}

void TestImageDiff::ownerAndMode()
{
    const ImageDiff d = pair(QStringLiteral("owner"));
    QCOMPARE(files(d), QStringList { QStringLiteral("changed srv/data.bin mode,owner") });
    QCOMPARE(why(d), QStringList { QStringLiteral("ownership:1") });
    const ImageDiff::File &f = d.files.at(0);
    QCOMPARE(f.uidA, 1000u);
    QCOMPARE(f.uidB, 0u);
    QCOMPARE(f.modeA, quint16(0600));
    QCOMPARE(f.modeB, quint16(0644));
}

void TestImageDiff::contentAtTheSameSize()
{
    const ImageDiff d = pair(QStringLiteral("content"));
    // Found by hashing both copies: the sizes agree.
    QCOMPARE(files(d), QStringList { QStringLiteral("changed srv/app.txt content") });
    QCOMPARE(why(d), QStringList { QStringLiteral("content:1") });
    QVERIFY(d.errors.isEmpty());
}

void TestImageDiff::hardLinkForACopy()
{
    // B stores etc/motd2 as a hard link to etc/motd; A stores a copy of the same bytes. The files
    // are the same; the layers differ in their tar headers only.
    const ImageDiff d = pair(QStringLiteral("hardlink"));
    QVERIFY2(d.files.isEmpty(), qPrintable(files(d).join(u'\n')));
    QCOMPARE(why(d), QStringList { QStringLiteral("order:1") });
}

void TestImageDiff::corpusAgainstItself()
{
    const QDir corpus(test::corpus());
    int compared = 0;
    for (const QFileInfo &fi : corpus.entryInfoList(QDir::Files | QDir::Dirs | QDir::NoDotAndDotDot)) {
        if (fi.fileName() == u"CATALOG.md")
            continue;
        const Opened a = open(fi.filePath());
        const Opened b = open(fi.filePath());
        for (int image = 0; image < a.archive.images.size(); ++image) {
            const ImageLayers la = indexLayersForDiff(a.archive, image);
            const ImageLayers lb = indexLayersForDiff(b.archive, image);
            const ImageDiff d = diffImages({ &a.archive, image, la.layers }, { &b.archive, image, lb.layers });
            QVERIFY2(d.identical(), qPrintable(fi.fileName() + u": " + d.summary()));
            QVERIFY(d.files.isEmpty());
            ++compared;
        }
    }
    QVERIFY(compared >= 12);
}

// Indexing B beside A takes A's index of a layer with the same diff ID instead of reading it.
void TestImageDiff::sharedLayersReadOnce()
{
    const Opened a = open(m_dir.filePath(QStringLiteral("added-a.tar")));
    const ImageArchive b = openImageArchive(m_dir.filePath(QStringLiteral("added-b.tar")));
    const DiffSide sideA { &a.archive, 0, a.layers.layers };
    const ImageLayers lb = indexLayersForDiff(b, 0, {}, &sideA);
    QCOMPARE(lb.layers.size(), 2);
    QCOMPARE(lb.layers.at(0).get(), a.layers.layers.at(0).get()); // the same index, not read again
    QVERIFY(lb.layers.at(1) && lb.layers.at(1).get() != a.layers.layers.at(1).get());
    const ImageDiff d = diffImages(sideA, { &b, 0, lb.layers });
    QCOMPARE(files(d), QStringList { QStringLiteral("added srv/new.txt ") });
}

// B's gzip copy of a layer A holds uncompressed is read on its own: A's index (its offsets, its
// compression) says nothing of how B stores it.
void TestImageDiff::otherwiseStoredLayersReadAgain()
{
    const Opened a = open(m_dir.filePath(QStringLiteral("recompressed-a.tar")));
    const ImageArchive b = openImageArchive(m_dir.filePath(QStringLiteral("recompressed-b.tar")));
    const DiffSide sideA { &a.archive, 0, a.layers.layers };
    const ImageLayers lb = indexLayersForDiff(b, 0, {}, &sideA);
    QCOMPARE(lb.layers.size(), 2);
    for (int k = 0; k < 2; ++k) {
        QVERIFY(lb.layers.at(k).get() != a.layers.layers.at(k).get());
        QCOMPARE(lb.layers.at(k)->compression, Compression::Gzip);
    }
}

// A hard link is its file's second name: compared as that file, through the tree's own link
// table, without building a tree per link (a walk alternating between two layers' links built one
// per path before).
void TestImageDiff::hardLinksWithoutTrees()
{
    work::counters().reset();
    const ImageDiff d = pair(QStringLiteral("links"));
    QVERIFY(d.errors.isEmpty());
    // f/007 and its two links are one inode: all three changed mtime.
    QCOMPARE(files(d),
        (QStringList { QStringLiteral("changed f/007 mtime"), QStringLiteral("changed l/007-1 mtime"),
            QStringLiteral("changed l/007-2 mtime") }));
    QVERIFY2(work::counters().treesBuilt <= 4, qPrintable(QString::number(work::counters().treesBuilt.load())));
}

QTEST_GUILESS_MAIN(TestImageDiff)
#include "tst_imagediff.moc"
