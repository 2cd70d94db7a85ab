// SPDX-License-Identifier: MIT
// Every screen of the window, light and dark, at 1280x720 and 1920x1080 (and at a scale factor of
// 2 under the tst_screens_scale2 entry), saved as pictures to look at ($LAMINA_SCREENSHOTS, or
// screens/ beside this test) and checked for what a look would catch: a button or field squeezed
// below the size its text needs, and, on a dark palette, a pane left light.
#include "compare/comparewindow.h"
#include "compose/composerpanel.h"
#include "inspect/layerspage.h"
#include "layersmodel.h"
#include "mainwindow.h"
#include "testsupport.h"

#include <QAbstractButton>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QLineEdit>
#include <QScreen>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabBar>
#include <QTest>

using namespace lamina;

class TestScreens : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QApplication::setOrganizationName(QStringLiteral("LaminaTest"));
        QStandardPaths::setTestModeEnabled(true);
        m_out = qEnvironmentVariable("LAMINA_SCREENSHOTS", QCoreApplication::applicationDirPath() + u"/screens");
        QVERIFY(QDir().mkpath(m_out));
    }
    void everyScreen_data();
    void everyScreen();
    void scaledWindowFits();
    void foldedPaneShowsTheWholeStrip();

private:
    static QPalette darkPalette()
    {
        QPalette dark(QColor(53, 53, 53), QColor(45, 45, 45));
        dark.setColor(QPalette::Base, QColor(30, 30, 30));
        dark.setColor(QPalette::AlternateBase, QColor(40, 40, 40));
        dark.setColor(QPalette::Text, QColor(230, 230, 230));
        dark.setColor(QPalette::WindowText, QColor(230, 230, 230));
        dark.setColor(QPalette::ButtonText, QColor(230, 230, 230));
        dark.setColor(QPalette::ToolTipBase, QColor(60, 60, 60));
        dark.setColor(QPalette::ToolTipText, QColor(230, 230, 230));
        dark.setColor(QPalette::PlaceholderText, QColor(150, 150, 150));
        dark.setColor(QPalette::Highlight, QColor(42, 110, 190));
        dark.setColor(QPalette::HighlightedText, Qt::white);
        dark.setColor(QPalette::Link, QColor(138, 180, 248));
        return dark;
    }
    /// The visible buttons, fields and choices narrower or lower than their text needs.
    static QStringList squeezed(QWidget *window)
    {
        QStringList found;
        for (QWidget *w : window->findChildren<QWidget *>()) {
            if (!w->isVisibleTo(window) || !(qobject_cast<QAbstractButton *>(w) || qobject_cast<QComboBox *>(w)))
                continue;
            // Qt's own: a tab bar's scroll buttons, a dock's float and close buttons (sized by the style).
            if (qobject_cast<QTabBar *>(w->parentWidget()) || w->inherits("QDockWidgetTitleButton"))
                continue;
            const QSize need = w->minimumSizeHint();
            if (w->width() < need.width() - 1 || w->height() < need.height() - 1)
                found << QStringLiteral("%1 \"%2\" %3x%4 < %5x%6")
                             .arg(QString::fromLatin1(w->metaObject()->className()),
                                 qobject_cast<QAbstractButton *>(w) ? qobject_cast<QAbstractButton *>(w)->text()
                                                                    : w->objectName())
                             .arg(w->width())
                             .arg(w->height())
                             .arg(need.width())
                             .arg(need.height());
        }
        return found;
    }
    /// The share of the picture, in 8x8 blocks, that is light: a dark palette leaves none but
    /// what is meant to stand out.
    static double lightShare(const QImage &picture)
    {
        const QImage blocks = picture.scaled(picture.size() / 8, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
        qint64 light = 0;
        for (int y = 0; y < blocks.height(); ++y)
            for (int x = 0; x < blocks.width(); ++x)
                light += QColor(blocks.pixel(x, y)).lightness() > 170;
        return double(light) / (blocks.width() * blocks.height());
    }
    QString save(QWidget &window, const QString &name)
    {
        const QImage picture = window.grab().toImage();
        const QString file = QStringLiteral("%1/%2.png").arg(m_out, name);
        if (!picture.save(file))
            qWarning("could not save %s", qPrintable(file));
        m_last = picture;
        return file;
    }

    QString m_out;
    QImage m_last;
};

void TestScreens::everyScreen_data()
{
    QTest::addColumn<bool>("dark");
    QTest::addColumn<QSize>("size");
    for (const bool dark : { false, true })
        for (const QSize size : { QSize(1280, 720), QSize(1920, 1080) })
            QTest::addRow("%s-%dx%d", dark ? "dark" : "light", size.width(), size.height()) << dark << size;
}

void TestScreens::everyScreen()
{
    QFETCH(bool, dark);
    QFETCH(QSize, size);
    QSettings().clear();
    const QPalette saved = QApplication::palette();
    if (dark)
        QApplication::setPalette(darkPalette());
    const auto restore = qScopeGuard([&] { QApplication::setPalette(saved); });
    const QString prefix
        = QStringLiteral("%1-%2x%3-").arg(dark ? u"dark" : u"light").arg(size.width()).arg(size.height());

    MainWindow w;
    w.resize(size);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    const auto check = [&](const QString &screen) {
        const QString file = save(w, prefix + screen);
        const QStringList tight = squeezed(&w);
        QVERIFY2(tight.isEmpty(), qPrintable(file + u": " + tight.join(QStringLiteral("; "))));
        if (dark) {
            const double share = lightShare(m_last);
            QVERIFY2(share < 0.02, qPrintable(QStringLiteral("%1: %2% light").arg(file).arg(100 * share)));
        }
    };
    check(QStringLiteral("welcome"));
    if (QTest::currentTestFailed())
        return;

    QSignalSpy verified(&w, &MainWindow::verified);
    w.openPath(test::source(QStringLiteral("resources/samples/nix-buildimage-on-layered.tar.gz")));
    QVERIFY(verified.wait(30000));
    // The images list gets a list's width the first time the pages show (a dock laid out while
    // hidden kept a sliver).
    QTRY_VERIFY(w.findChild<QWidget *>(QStringLiteral("imagesDock"))->width() >= 200);
    const QStringList tabs { QStringLiteral("chain"), QStringLiteral("layers"), QStringLiteral("config"),
        QStringLiteral("archive-map") };
    for (int tab = 0; tab < tabs.size(); ++tab) {
        w.showTab(MainWindow::Tab(tab));
        w.selectFinding(1); // the explanation shown, the rows it concerns marked
        QTest::qWait(50);
        check(tabs.at(tab));
        if (QTest::currentTestFailed())
            return;
    }
    // The layer the finding concerns is marked in a colour of the palette's kind.
    const QAbstractItemModel *layers = w.findChild<LayersPage *>()->layersModel();
    int marked = 0;
    for (int row = 0; row < layers->rowCount(); ++row)
        if (const QVariant brush = layers->index(row, 0).data(Qt::BackgroundRole); brush.isValid()) {
            ++marked;
            QCOMPARE(brush.value<QBrush>().color().lightness() < 128, dark);
        }
    QCOMPARE(marked, 1);
    w.showPage(MainWindow::ComposePage);
    QTest::qWait(200);
    check(QStringLiteral("compose"));
    if (QTest::currentTestFailed())
        return;
    // The compare window, each tab, against another archive.
    CompareWindow *c = w.compareWith(test::corpus(QStringLiteral("gen__umoci-layout")), 1, "opt/new/c");
    QSignalSpy compared(c, &CompareWindow::compared);
    QSignalSpy versions(c, &CompareWindow::versionsShown);
    QVERIFY(compared.wait(30000));
    QVERIFY(versions.count() > 0 || versions.wait(10000));
    QVERIFY(QTest::qWaitForWindowExposed(c));
    const QStringList compareTabs { QStringLiteral("why"), QStringLiteral("layers"), QStringLiteral("config"),
        QStringLiteral("files") };
    for (int tab = 0; tab < compareTabs.size(); ++tab) {
        c->tabs()->setCurrentIndex(tab);
        QTest::qWait(50);
        const QString file = save(*c, prefix + u"compare-" + compareTabs.at(tab));
        const QStringList tight = squeezed(c);
        QVERIFY2(tight.isEmpty(), qPrintable(file + u": " + tight.join(QStringLiteral("; "))));
        if (dark) {
            const double share = lightShare(m_last);
            QVERIFY2(share < 0.02, qPrintable(QStringLiteral("%1: %2% light").arg(file).arg(100 * share)));
        }
    }
    c->close();
}

// Run with QT_SCALE_FACTOR=2 on a 1920x1080 screen by the tst_screens_scale2 entry: the first
// window fits the screen, and nothing in it is squeezed.
void TestScreens::scaledWindowFits()
{
    if (qEnvironmentVariable("QT_SCALE_FACTOR") != u"2")
        QSKIP("the tst_screens_scale2 entry runs this with QT_SCALE_FACTOR=2");
    QSettings().clear();
    MainWindow w;
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY2(w.screen()->availableGeometry().contains(w.frameGeometry()),
        qPrintable(QStringLiteral("%1x%2 on %3x%4")
                       .arg(w.frameGeometry().width())
                       .arg(w.frameGeometry().height())
                       .arg(w.screen()->availableGeometry().width())
                       .arg(w.screen()->availableGeometry().height())));
    QSignalSpy verified(&w, &MainWindow::verified);
    w.openPath(test::source(QStringLiteral("resources/samples/nix-buildimage-on-layered.tar.gz")));
    QVERIFY(verified.wait(30000));
    for (int tab = 0; tab <= MainWindow::ArchiveMapTab; ++tab) {
        w.showTab(MainWindow::Tab(tab));
        QTest::qWait(50);
        const QString file = save(w, QStringLiteral("scale2-tab%1").arg(tab));
        const QStringList tight = squeezed(&w);
        QVERIFY2(tight.isEmpty(), qPrintable(file + u": " + tight.join(QStringLiteral("; "))));
    }
    QVERIFY(w.screen()->availableGeometry().contains(w.frameGeometry()));
}

// At 1024 wide the loader verdicts wrap to two lines after the pane folded to one: seen clipped.
void TestScreens::foldedPaneShowsTheWholeStrip()
{
    QSettings().clear();
    MainWindow w;
    w.resize(1024, 640);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QSignalSpy verified(&w, &MainWindow::verified);
    w.openPath(test::corpus(QStringLiteral("dive__test-docker-image.tar")));
    QVERIFY(verified.wait(30000));
    QVERIFY(w.findings().isEmpty()); // folded
    auto *strip = w.findChild<QWidget *>(QStringLiteral("loaderStrip"));
    QVERIFY(strip->heightForWidth(strip->width()) > strip->fontMetrics().lineSpacing() * 3 / 2); // wrapped
    QTRY_VERIFY2(strip->height() >= strip->heightForWidth(strip->width()),
        qPrintable(QStringLiteral("%1 < %2").arg(strip->height()).arg(strip->heightForWidth(strip->width()))));
    save(w, QStringLiteral("folded-1024x640"));
}

QTEST_MAIN(TestScreens)
#include "tst_screens.moc"
