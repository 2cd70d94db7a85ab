// SPDX-License-Identifier: MIT
// A path's history across layers, from layers spelled out in text: what each layer did to the
// path and to what is under it, with whiteouts and opaque folders removing it.
#include "layers/history.h"
#include "layertext.h"
#include "util/linediff.h"

#include <QTest>

using namespace lamina;

class TestHistory : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void fileAddedChangedRemovedAndBack();
    void folderAndWhatIsUnderIt();
    void opaqueFolderAndReplacement();
    void twoVersionsLineByLine();

private:
    // "layer change path" lines, bottom layer first.
    static QStringList lines(const QStringList &layers, const QByteArray &path)
    {
        QStringList out;
        for (const PathEvent &e : pathHistory(ImageArchive {}, 0, test::layersFromText(layers), path, false))
            out << QStringLiteral("%1 %2 %3").arg(e.layer).arg(changeLetter(e.change), QString::fromUtf8(e.path));
        return out;
    }
};

void TestHistory::fileAddedChangedRemovedAndBack()
{
    const QStringList layers {
        QStringLiteral("d /etc 0755\nf /etc/a 0644 one\n"),
        QStringLiteral("d /etc 0755\nf /etc/b 0644 other\n"), // /etc listed again, unchanged: not an event
        QStringLiteral("f /etc/a 0600 two\n"),
        QStringLiteral("w /etc/a\n"),
        QStringLiteral("w /etc\n"), // a whiteout of its folder removes nothing more: it is gone
        QStringLiteral("d /etc 0755\nf /etc/a 0644 three\n"),
    };
    QCOMPARE(lines(layers, "etc/a"),
        (QStringList { QStringLiteral("0 A etc/a"), QStringLiteral("2 M etc/a"), QStringLiteral("3 D etc/a"),
            QStringLiteral("5 A etc/a") }));
    // Its mode and bytes as each layer stored them.
    const QList<PathEvent> events = pathHistory(ImageArchive {}, 0, test::layersFromText(layers), "etc/a", false);
    QCOMPARE(events.at(1).mode, quint16(0600));
    QCOMPARE(events.at(1).size, qint64(3));
    QVERIFY(lines(layers, "etc/nothing").isEmpty());
}

void TestHistory::folderAndWhatIsUnderIt()
{
    const QStringList layers {
        QStringLiteral("d /srv 0755\nd /srv/www 0755\nf /srv/www/index.html 0644 hi\n"),
        QStringLiteral("d /srv 0750\n"), // the folder's mode changed: M
        QStringLiteral("f /srv/www/new.html 0644 x\n"),
        QStringLiteral("w /srv\n"), // everything under it goes with it
    };
    QCOMPARE(lines(layers, "srv"),
        (QStringList { QStringLiteral("0 A srv"), QStringLiteral("0 A srv/www"),
            QStringLiteral("0 A srv/www/index.html"), QStringLiteral("1 M srv"), QStringLiteral("2 A srv/www/new.html"),
            QStringLiteral("3 D srv"), QStringLiteral("3 D srv/www"), QStringLiteral("3 D srv/www/index.html"),
            QStringLiteral("3 D srv/www/new.html") }));
    // The whiteout of a folder above removes a file asked about.
    QCOMPARE(lines(layers, "srv/www/index.html"),
        (QStringList { QStringLiteral("0 A srv/www/index.html"), QStringLiteral("3 D srv/www/index.html") }));
}

void TestHistory::opaqueFolderAndReplacement()
{
    const QStringList layers {
        QStringLiteral("d /var 0755\nd /var/cache 0755\nf /var/cache/old 0644 o\nf /var/cache/kept 0644 k\n"),
        // Opaque: the lower children go, except what this layer stores again there.
        QStringLiteral("d /var/cache 0755\no /var/cache\nf /var/cache/kept 0644 k2\n"),
        // A whiteout and a new copy in one layer: the path is written again, not removed.
        QStringLiteral("w /var/cache/kept\nf /var/cache/kept 0644 k3\n"),
    };
    QCOMPARE(lines(layers, "var/cache"),
        (QStringList { QStringLiteral("0 A var/cache"), QStringLiteral("0 A var/cache/kept"),
            QStringLiteral("0 A var/cache/old"), QStringLiteral("1 D var/cache/old"),
            QStringLiteral("1 M var/cache/kept"), QStringLiteral("2 M var/cache/kept") }));
    QCOMPARE(lines(layers, "var/cache/old"),
        (QStringList { QStringLiteral("0 A var/cache/old"), QStringLiteral("1 D var/cache/old") }));
}

// Two versions of a file compared as the history dialog shows them.
void TestHistory::twoVersionsLineByLine()
{
    const QStringList a { QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c"), QStringLiteral("d"),
        QStringLiteral("e"), QStringLiteral("f"), QStringLiteral("g"), QStringLiteral("h"), QStringLiteral("i") };
    QStringList b = a;
    b[1] = QStringLiteral("B");
    b.insert(8, QStringLiteral("new"));
    const QList<DiffLine> lines = diffLines(a, b);
    QStringList kinds;
    for (const DiffLine &l : lines)
        kinds << QString(QLatin1Char(" -+"[l.kind])) + l.text;
    QCOMPARE(kinds,
        (QStringList { QStringLiteral(" a"), QStringLiteral("-b"), QStringLiteral("+B"), QStringLiteral(" c"),
            QStringLiteral(" d"), QStringLiteral(" e"), QStringLiteral(" f"), QStringLiteral(" g"),
            QStringLiteral(" h"), QStringLiteral("+new"), QStringLiteral(" i") }));
    // Three lines of context; what lies between two changes further apart is left out.
    QCOMPARE(unifiedText(lines, 1), QStringLiteral(" a\n-b\n+B\n c\n…\n h\n+new\n i\n"));
    QCOMPARE(unifiedText(diffLines(a, a)), QString());
    // Too many pairs to weigh: refused, not slow.
    QStringList many, other;
    for (int i = 0; i < 3000; ++i) {
        many << QString::number(i);
        other << QString::number(i * 7);
    }
    QVERIFY(diffLines(many, other).isEmpty());
    QVERIFY(!diffLines(many, other, 10'000'000).isEmpty());
}

QTEST_MAIN(TestHistory)
#include "tst_history.moc"
