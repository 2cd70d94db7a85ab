// SPDX-License-Identifier: MIT
// The first window, offscreen: opening runs in the background and fills the image and layer lists.
#include "mainwindow.h"
#include "testsupport.h"

#include <QApplication>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QTest>
#include <QTreeWidget>

class TestMainWindow : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void opensAnArchiveInTheBackground();
    void showsWhyNothingCouldBeRead();
};

static bool openAndWait(lamina::MainWindow &w, const QString &path)
{
    QSignalSpy loaded(&w, &lamina::MainWindow::archiveLoaded);
    w.openPath(path);
    return loaded.wait(30000);
}

void TestMainWindow::opensAnArchiveInTheBackground()
{
    lamina::MainWindow w;
    w.show();
    QVERIFY(openAndWait(w, lamina::test::corpus(QStringLiteral("ggcr__test_link.tar"))));
    auto *images = w.findChild<QTreeWidget *>(QStringLiteral("images"));
    auto *layers = w.findChild<QTreeWidget *>(QStringLiteral("layers"));
    QVERIFY(images && layers);
    QCOMPARE(images->topLevelItemCount(), 2);
    QCOMPARE(images->topLevelItem(1)->text(0), QStringLiteral("bazel/v1/tarball:test_image_3"));
    QCOMPARE(layers->topLevelItemCount(), 1);
    images->setCurrentItem(images->topLevelItem(1));
    QCOMPARE(layers->topLevelItemCount(), 2);
    QVERIFY(layers->topLevelItem(0)->text(6).contains(u"→")); // the symlinked duplicate layer
    QVERIFY(w.windowTitle().contains(u"ggcr__test_link.tar"));
    if (qEnvironmentVariableIsSet("LAMINA_SCREENSHOT"))
        w.grab().save(qEnvironmentVariable("LAMINA_SCREENSHOT"));
}

void TestMainWindow::showsWhyNothingCouldBeRead()
{
    lamina::MainWindow w;
    QVERIFY(openAndWait(w, lamina::test::corpus(QStringLiteral("ggcr__null_manifest.tar"))));
    QCOMPARE(w.findChild<QTreeWidget *>(QStringLiteral("images"))->topLevelItemCount(), 0);
    QVERIFY(w.findChild<QPlainTextEdit *>(QStringLiteral("errors"))->toPlainText().contains(u"JSON literal null"));
}

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
