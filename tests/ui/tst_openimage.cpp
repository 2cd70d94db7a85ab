// SPDX-License-Identifier: MIT
// "Open Image from an Engine…": the engine's images listed (from a socket server of the test's
// own playing Docker), chosen by a click or typed with completion, opened in the window.
#include "common/sizetext.h"
#include "compose/composerpanel.h"
#include "compose/exportdialog.h"
#include "fakeengine.h"
#include "fakeregistry.h"
#include "inspect/archiveheader.h"
#include "inspect/archivemappage.h"
#include "inspect/openimagedialog.h"
#include "inspect/welcomepage.h"
#include "mainwindow.h"
#include "testsupport.h"
#include "windowsupport.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QCompleter>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

using namespace lamina;

class TestOpenImage : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QApplication::setOrganizationName(QStringLiteral("LaminaTest"));
        QStandardPaths::setTestModeEnabled(true); // the recent list away from the user's settings
        QSettings().clear();
    }
    void listsAndChooses();
    void engineAbsentIsSaid();
    void windowOpensTheChosenImage();
    void insecureIsAskedForEachOpening();
    void layersComeWhenIndexed();
    void platformIsPickedFromTheList();

private:
    QTemporaryDir m_dir;
};

static const QByteArray kList
    = R"([{"Id":"sha256:0123456789abcdef","RepoTags":["dive-test:latest"],"Size":1468006,"Created":1545000000},
    {"Id":"sha256:fedcba9876543210","RepoTags":["alpine:3"],"Size":7000000,"Created":1700000000}])";

static QByteArray jsonAnswer(const QByteArray &json)
{
    return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(json.size())
        + "\r\n\r\n" + json;
}

void TestOpenImage::listsAndChooses()
{
    const QString sock = m_dir.filePath(QStringLiteral("docker.sock"));
    test::FakeEngine engine(sock, jsonAnswer(kList));
    QVERIFY(engine.ok());
    qputenv("DOCKER_HOST", QFile::encodeName(u"unix://" + sock));
    OpenImageDialog dialog;
    QSignalSpy listed(&dialog, &OpenImageDialog::listed);
    QVERIFY(listed.wait(10000));
    auto *images = dialog.findChild<QTreeWidget *>(QStringLiteral("images"));
    QCOMPARE(images->topLevelItemCount(), 2);
    QCOMPARE(images->topLevelItem(0)->text(0), QStringLiteral("docker://alpine:3"));
    QCOMPARE(images->topLevelItem(1)->text(1), QStringLiteral("0123456789ab"));
    QVERIFY2(dialog.findChild<QLabel *>(QStringLiteral("status"))->text().contains(sock),
        qPrintable(dialog.findChild<QLabel *>(QStringLiteral("status"))->text()));
    auto *open = dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Open);
    QVERIFY(!open->isEnabled()); // nothing chosen yet
    images->setCurrentItem(images->topLevelItem(1));
    QCOMPARE(dialog.reference(), QStringLiteral("docker://dive-test:latest"));
    QVERIFY(open->isEnabled());
    // Typed without a scheme: the chosen engine's.
    auto *name = dialog.findChild<QLineEdit *>(QStringLiteral("reference"));
    name->clear();
    QTest::keyClicks(name, QStringLiteral("alp"));
    QVERIFY(name->completer()->completionCount() >= 1);
    QCOMPARE(name->completer()->currentCompletion().section(QStringLiteral("://"), -1), QStringLiteral("alpine:3"));
    name->setText(QStringLiteral("alpine:3"));
    QCOMPARE(dialog.reference(), QStringLiteral("docker://alpine:3"));
    name->setText(QStringLiteral("a b"));
    QVERIFY(!open->isEnabled()); // no image name has a space
    // A registry's image is typed whole, whichever engine is chosen.
    name->setText(QStringLiteral("registry://127.0.0.1:5000/lamina/x:1?platform=linux/arm64"));
    QCOMPARE(dialog.reference(), QStringLiteral("registry://127.0.0.1:5000/lamina/x:1?platform=linux/arm64"));
    QVERIFY(open->isEnabled());
    name->setText(QStringLiteral("registry://Bad/Name"));
    QVERIFY(!open->isEnabled());
    qunsetenv("DOCKER_HOST");
}

void TestOpenImage::engineAbsentIsSaid()
{
    qputenv("DOCKER_HOST", QFile::encodeName(u"unix://" + m_dir.filePath(QStringLiteral("none.sock"))));
    OpenImageDialog dialog;
    QSignalSpy listed(&dialog, &OpenImageDialog::listed);
    QVERIFY(listed.wait(10000));
    const QString status = dialog.findChild<QLabel *>(QStringLiteral("status"))->text();
    QVERIFY2(status.contains(u"the socket does not exist") && status.contains(u"none.sock"), qPrintable(status));
    QCOMPARE(dialog.findChild<QTreeWidget *>(QStringLiteral("images"))->topLevelItemCount(), 0);
    qunsetenv("DOCKER_HOST");
}

void TestOpenImage::windowOpensTheChosenImage()
{
    QFile corpus(test::corpus(QStringLiteral("dive__test-docker-image.tar")));
    QVERIFY(corpus.open(QIODevice::ReadOnly));
    const QString sock = m_dir.filePath(QStringLiteral("save.sock"));
    test::FakeEngine engine(sock,
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-tar\r\nTransfer-Encoding: chunked\r\n\r\n"
            + test::chunked(corpus.readAll(), 5));
    qputenv("DOCKER_HOST", QFile::encodeName(u"unix://" + sock));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("cache"))));
    {
        MainWindow w;
        QVERIFY(test::openAndWait(w, QStringLiteral("docker://dive-test:latest")));
        QCOMPARE(w.current().path, QStringLiteral("docker://dive-test:latest"));
        QCOMPARE(w.current().images.size(), 1);
        QCOMPARE(w.windowTitle(), QStringLiteral("docker://dive-test:latest — Lamina"));
        QVERIFY(w.current().origin.contains(sock));
        // Remembered by its reference, and listed as one that is there.
        QCOMPARE(QSettings().value(QStringLiteral("recent")).toStringList().value(0),
            QStringLiteral("docker://dive-test:latest"));
        auto *welcome = w.findChild<WelcomePage *>();
        welcome->refresh();
        QTreeWidgetItem *item = welcome->recent()->topLevelItem(0);
        QCOMPARE(item->text(0), QStringLiteral("docker://dive-test:latest"));
        QVERIFY(!item->isDisabled());
    }
    qunsetenv("DOCKER_HOST");
    qunsetenv("XDG_CACHE_HOME");
}

// A registry with a certificate of its own (tests/support/fake_registry.py --tls): refused as the
// dialog opens by default; with its "insecure" box, opened and said to be unverified in the header.
void TestOpenImage::insecureIsAskedForEachOpening()
{
    {
        OpenImageDialog dialog;
        auto *insecure = dialog.findChild<QCheckBox *>(QStringLiteral("insecure"));
        QVERIFY(insecure);
        QVERIFY(!insecure->isChecked());
        QVERIFY(!dialog.insecure());
        QVERIFY(insecure->text().contains(u"Don't verify the registry's certificate (insecure)"));
        insecure->setChecked(true);
        QVERIFY(dialog.insecure());
    }
    QString cert, key;
    QVERIFY(test::selfSignedCertificate(QDir(m_dir.path()), &cert, &key));
    const test::FakeRegistry registry(QStringLiteral("ok"), { QStringLiteral("--tls"), cert, key });
    QVERIFY(registry.ok());
    const QString reference = registry.reference(QStringLiteral("lamina/test:amd64"));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("cache"))));
    {
        MainWindow w;
        QSignalSpy failed(&w, &MainWindow::openFailed);
        w.openChosenImage(reference, false);
        QVERIFY(failed.wait(30000));
        QVERIFY2(failed.at(0).at(0).toString().contains(u"is not trusted"), qPrintable(failed.at(0).at(0).toString()));
        QSignalSpy loaded(&w, &MainWindow::archiveLoaded);
        w.openChosenImage(reference, true);
        QVERIFY(loaded.wait(30000));
        QVERIFY2(w.current().origin.contains(u"over HTTPS without verifying its certificate"),
            qPrintable(w.current().origin));
        const QString summary = w.findChild<ArchiveHeader *>()->summary();
        QVERIFY2(summary.contains(u"over HTTPS without verifying its certificate"), qPrintable(summary));
        // Reloaded, it stays as asked; once another archive was opened, the reference opened again
        // (from the recent list) is verified again.
        QSignalSpy indexed(&w, &MainWindow::layersIndexed);
        w.openAsked(reference);
        QVERIFY(loaded.wait(30000));
        QCOMPARE(failed.size(), 1);
        // The composer takes the choice with the base, once its layers are indexed.
        QVERIFY(!indexed.isEmpty() || indexed.wait(30000));
        // Converting it, or exporting a composition on it, pulls it again as it was opened.
        ExportDialog *convert = w.openConvertDialog(Finding());
        QVERIFY(convert && convert->options().registry.insecure);
        convert->close();
        ExportDialog *exporting = w.composer()->openExportDialog();
        QVERIFY(exporting->options().registry.insecure);
        exporting->close();
        indexed.clear();
        w.openAsked(test::corpus(QStringLiteral("dive__test-docker-image.tar")));
        QVERIFY(loaded.wait(30000));
        QVERIFY(!indexed.isEmpty() || indexed.wait(30000));
        exporting = w.composer()->openExportDialog();
        QVERIFY(!exporting->options().registry.insecure);
        exporting->close();
        w.openAsked(reference);
        QVERIFY(failed.wait(30000));
        QCOMPARE(failed.size(), 2);
    }
    qunsetenv("XDG_CACHE_HOME");
}

// A registry's image is shown from its manifest and config; its layers come while they are
// indexed (a registry that sends them slowly, so that the window is seen waiting for them), and
// the archive map says a layer is still in the registry rather than fetching it to show its bytes.
void TestOpenImage::layersComeWhenIndexed()
{
    const test::FakeRegistry registry(QStringLiteral("slow-layer"));
    QVERIFY(registry.ok());
    const QString reference = registry.reference(QStringLiteral("lamina/test:amd64"));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("cache-slow"))));
    {
        const ImageArchive ia = openImageArchive(reference);
        QVERIFY2(ia.ok(), qPrintable(ia.errors.join(u'\n')));
        const int member = ia.images.at(0).layers.at(0).member;
        const QString text = ArchiveMapPage::memberText(*ia.archive, member);
        QVERIFY2(text.contains(u"still in the registry"), qPrintable(text));
        QVERIFY(ia.archive->isDeferred(member));
    }
    {
        MainWindow w;
        QSignalSpy loaded(&w, &MainWindow::archiveLoaded);
        QSignalSpy indexed(&w, &MainWindow::layersIndexed);
        w.openChosenImage(reference, false);
        QVERIFY(loaded.wait(30000));
        QVERIFY(indexed.isEmpty());
        auto *bar = w.statusBar()->findChild<QProgressBar *>();
        QVERIFY(bar && bar->isVisibleTo(&w));
        QCOMPARE(bar->format(), QStringLiteral("Fetching and indexing: %p%"));
        QVERIFY2(w.statusBar()->currentMessage().contains(u"Fetching the layers from the registry"),
            qPrintable(w.statusBar()->currentMessage()));
        // While the layer trickles in, the status says how much of it has come.
        const qint64 size = w.current().archive->deferredBytes();
        QVERIFY(size > 0);
        QTRY_VERIFY_WITH_TIMEOUT(w.current().archive->fetchedBytes() > 0, 20000);
        QTRY_VERIFY2_WITH_TIMEOUT(
            w.statusBar()->currentMessage().contains(u" of " + sizeText(size) + u", 1 layer(s) still to come"),
            qPrintable(w.statusBar()->currentMessage()), 20000);
        QVERIFY(indexed.wait(30000));
        QVERIFY2(w.statusBar()->currentMessage().contains(u"All layers indexed"),
            qPrintable(w.statusBar()->currentMessage()));
        const ImageArchive &ia = w.current();
        const int member = ia.images.at(0).layers.at(0).member;
        QVERIFY(!ia.archive->isDeferred(member));
        QCOMPARE(ia.archive->fetchedBytes(), size);
        QVERIFY(!ArchiveMapPage::memberText(*ia.archive, member).contains(u"still in the registry"));
    }
    qunsetenv("XDG_CACHE_HOME");
}

// A registry:// reference to a multi-platform list: the dialog asks the registry (after the
// typing stops) which platforms it has, offers them, and opens the one picked.
void TestOpenImage::platformIsPickedFromTheList()
{
    const test::FakeRegistry registry;
    QVERIFY(registry.ok());
    const QString base = registry.reference(QStringLiteral("lamina/test:"));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(m_dir.filePath(QStringLiteral("cache-platforms"))));
    {
        OpenImageDialog dialog;
        dialog.show();
        auto *name = dialog.findChild<QLineEdit *>(QStringLiteral("reference"));
        auto *platform = dialog.findChild<QComboBox *>(QStringLiteral("platform"));
        auto *status = dialog.findChild<QLabel *>(QStringLiteral("platformStatus"));
        QVERIFY(name && platform && status);
        QVERIFY(!platform->isVisible() && !status->isVisible()); // nothing to pick for an engine's image
        QSignalSpy listed(&dialog, &OpenImageDialog::platformsListed);
        QTest::keyClicks(name, base + QStringLiteral("multi"));
        QVERIFY(platform->isVisible());
        QVERIFY(listed.wait(30000));
        QCOMPARE(listed.size(), 1); // asked once the typing stopped, not per key
        QVERIFY(platform->isEnabled());
        QCOMPARE(platform->count(), 3);
        QVERIFY2(platform->itemText(0).startsWith(u"This machine's (linux/"), qPrintable(platform->itemText(0)));
        QCOMPARE(platform->itemText(1), QStringLiteral("linux/amd64"));
        QCOMPARE(platform->itemText(2), QStringLiteral("linux/arm64"));
        QVERIFY2(
            status->text().contains(u"a list of 2 platform(s): linux/amd64, linux/arm64"), qPrintable(status->text()));
        // The status line is as tall as its text at its width: one line when it fits (a form
        // row's guess made it two, a blank line above it), more in a narrow dialog, one again.
        const int line = status->fontMetrics().height();
        const QSize size = dialog.size();
        dialog.resize(1400, size.height());
        QTRY_VERIFY2(status->height() < 2 * line, qPrintable(QString::number(status->height())));
        dialog.resize(360, size.height());
        QTRY_VERIFY2(status->height() >= 2 * line, qPrintable(QString::number(status->height())));
        dialog.resize(1400, size.height());
        QTRY_VERIFY2(status->height() < 2 * line, qPrintable(QString::number(status->height())));
        dialog.resize(size);
        QCOMPARE(dialog.reference(), base + QStringLiteral("multi"));
        platform->setCurrentIndex(2);
        QCOMPARE(dialog.reference(), base + QStringLiteral("multi?platform=linux/arm64"));

        // Opened as picked.
        MainWindow w;
        QSignalSpy loaded(&w, &MainWindow::archiveLoaded);
        w.openChosenImage(dialog.reference(), dialog.insecure());
        QVERIFY(loaded.wait(30000));
        QCOMPARE(w.current().images.at(0).platform.toString(), QStringLiteral("linux/arm64"));
        QVERIFY2(w.current().origin.contains(u"linux/arm64 of a list of 2 platforms"), qPrintable(w.current().origin));

        // A platform typed is the one picked; one image has nothing to pick.
        name->setText(base + QStringLiteral("multi?platform=linux/amd64"));
        QVERIFY(listed.wait(30000));
        QCOMPARE(platform->currentText(), QStringLiteral("linux/amd64"));
        QCOMPARE(dialog.reference(), base + QStringLiteral("multi?platform=linux/amd64"));
        name->setText(base + QStringLiteral("amd64"));
        QVERIFY(listed.wait(30000));
        QVERIFY(!platform->isEnabled());
        QVERIFY2(platform->currentText().contains(u"not a multi-platform list"), qPrintable(platform->currentText()));
        QCOMPARE(dialog.reference(), base + QStringLiteral("amd64"));
        // An unknown tag: the registry's words, and the reference as typed.
        name->setText(base + QStringLiteral("nope"));
        QVERIFY(listed.wait(30000));
        QVERIFY2(status->text().contains(u"MANIFEST_UNKNOWN"), qPrintable(status->text()));
        QCOMPARE(dialog.reference(), base + QStringLiteral("nope"));
        // Back to an engine's name: the row goes.
        name->setText(QStringLiteral("alpine:3"));
        QVERIFY(!platform->isVisible());
    }
    qunsetenv("XDG_CACHE_HOME");
}

QTEST_MAIN(TestOpenImage)
#include "tst_openimage.moc"
