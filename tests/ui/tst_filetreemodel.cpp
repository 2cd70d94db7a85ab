// SPDX-License-Identifier: MIT
// The files the layers page shows, from layers spelled out in text: what a layer changed is
// listed once, and "This layer only" counts a folder's bytes from that layer alone.
#include "filetreemodel.h"
#include "layertext.h"

#include <QAbstractItemModelTester>
#include <QTest>

using namespace lamina;

class TestFileTreeModel : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void modifiedFileIsListedOnce();
    void layerOnlyCountsTheLayersBytes();

private:
    // Layer 1 changes the mode of /etc/a (a new copy of it), removes /etc/b, adds /opt/x.
    static std::shared_ptr<const MergedTree> tree()
    {
        const MergedTree::Layers layers = test::layersFromText({
            QStringLiteral("d /etc 0755\n"
                           "f /etc/a 0644 size=6400\n"
                           "f /etc/b 0644 size=300\n"
                           "f /etc/c 0644 size=6400\n"),
            QStringLiteral("d /etc 0755\n"
                           "f /etc/a 0444 size=6400\n"
                           "w /etc/b\n"
                           "d /opt 0755\n"
                           "f /opt/x 0644 size=100\n"),
        });
        return std::make_shared<const MergedTree>(MergedTree::build(layers, 1));
    }
    static QStringList rows(const FileTreeModel &m, const QModelIndex &parent)
    {
        QStringList out;
        for (int r = 0; r < m.rowCount(parent); ++r)
            out << m.index(r, FileTreeModel::NameColumn, parent).data().toString() + u' '
                    + m.index(r, FileTreeModel::ChangeColumn, parent).data().toString();
        return out;
    }
};

void TestFileTreeModel::modifiedFileIsListedOnce()
{
    FileTreeModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    m.setTree(tree(), 1);
    const QModelIndex etc = m.indexOfPath("etc");
    QVERIFY(etc.isValid());
    // a: modified (its mode), once; b: deleted; c: from below, unchanged.
    QCOMPARE(rows(m, etc), (QStringList { QStringLiteral("a M"), QStringLiteral("b D"), QStringLiteral("c ") }));
    const QModelIndex a = m.indexOfPath("etc/a");
    QCOMPARE(m.index(a.row(), FileTreeModel::ModeColumn, etc).data().toString(), QStringLiteral("0444"));
}

void TestFileTreeModel::layerOnlyCountsTheLayersBytes()
{
    FileTreeModel m;
    QAbstractItemModelTester tester(&m, QAbstractItemModelTester::FailureReportingMode::QtTest);
    const auto t = tree();
    m.setTree(t, 1);
    const auto bytes = [&m](const QByteArray &path) {
        const QModelIndex i = m.indexOfPath(path);
        return m.index(i.row(), FileTreeModel::SizeColumn, i.parent()).data(FileTreeModel::SortRole).toLongLong();
    };
    QCOMPARE(bytes("etc"), qint64(12800)); // merged: a and c
    m.setTree(t, 1, true);
    QCOMPARE(rows(m, {}), (QStringList { QStringLiteral("etc "), QStringLiteral("opt A") }));
    QCOMPARE(rows(m, m.indexOfPath("etc")), (QStringList { QStringLiteral("a M"), QStringLiteral("b D") }));
    QCOMPARE(bytes("etc"), qint64(6400)); // what layer 1 put there: a
    QCOMPARE(bytes("opt"), qint64(100));
}

QTEST_MAIN(TestFileTreeModel)
#include "tst_filetreemodel.moc"
