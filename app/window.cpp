// SPDX-License-Identifier: MIT
// The window, in a module of its own (lamina-window.so) that the program loads only when it opens
// a window: the command line then starts without Qt's widget, GUI and OpenGL libraries, whose
// loading was most of its start-up time (bench/RESULTS.md: check against skopeo inspect).
#include "compose/composerpanel.h"
#include "filetreemodel.h"
#include "inspect/imagelist.h"
#include "inspect/layerspage.h"
#include "layers/indexcache.h"
#include "mainwindow.h"

#include <QApplication>
#include <QCheckBox>
#include <QElapsedTimer>
#include <QHash>
#include <QIcon>
#include <QKeyEvent>
#include <QLineEdit>
#include <QMetaEnum>
#include <QTimer>
#include <QTreeView>

#include <QTreeWidget>
#include <algorithm>

#include <algorithm>
#include <cstdio>

namespace {

/// `lamina --screenshot OUT.png [--size WxH] PATH`: open PATH, wait until everything is loaded,
/// save a picture of the window and quit (works with QT_QPA_PLATFORM=offscreen). With
/// `--compose SPEC.json` instead of PATH: the composer on that composition (its base opened),
/// once its preview and checks are shown; `--finding N` then selects the composer's check N.
int screenshot(QApplication &app, const QStringList &args)
{
    QString out, path, spec;
    QSize size(1400, 900);
    int tab = 0, finding = -1;
    for (int i = 2; i < args.size(); ++i) {
        if (args.at(i) == u"--tab" && i + 1 < args.size()) {
            tab = args.at(++i).toInt();
        } else if (args.at(i) == u"--compose" && i + 1 < args.size()) {
            spec = args.at(++i);
        } else if (args.at(i) == u"--finding" && i + 1 < args.size()) {
            finding = args.at(++i).toInt();
        } else if (args.at(i) == u"--size" && i + 1 < args.size()) {
            const QStringList wh = args.at(++i).split(u'x');
            size = QSize(wh.value(0).toInt(), wh.value(1).toInt());
        } else if (out.isEmpty()) {
            out = args.at(i);
        } else {
            path = args.at(i);
        }
    }
    if (out.isEmpty() || (path.isEmpty() == spec.isEmpty()) || !size.isValid()) {
        std::fputs("usage: lamina --screenshot OUT.png [--size WxH] [--tab N] [--finding N] PATH\n"
                   "       lamina --screenshot OUT.png [--size WxH] [--finding N] --compose SPEC.json\n",
            stderr);
        return 2;
    }
    lamina::MainWindow window;
    window.resize(size);
    window.show();
    int result = 1;
    if (!spec.isEmpty()) {
        lamina::ComposerPanel *composer = window.composer();
        auto grab = [&] {
            if (finding >= 0) {
                auto *findings = composer->findChild<QTreeWidget *>(QStringLiteral("composerFindings"));
                findings->setCurrentItem(findings->topLevelItem(finding));
            }
            QTimer::singleShot(200, &window, [&] {
                result = window.grab().save(out) ? 0 : 1;
                app.quit();
            });
        };
        // The base opens and is indexed first; then the preview of the composition on it.
        bool based = false;
        QObject::connect(&window, &lamina::MainWindow::layersIndexed, &window, [&] { based = true; });
        QObject::connect(composer, &lamina::ComposerPanel::previewUpdated, &window, [&] {
            if (based && !composer->previewPending())
                grab();
        });
        QObject::connect(&window, &lamina::MainWindow::layersIndexed, &window, [&] {
            if (!composer->previewPending())
                grab();
        });
        window.showPage(lamina::MainWindow::ComposePage);
        QString error;
        // A picture of the preview, never an export: the documentation's demo file reads the
        // project's own folders beside it (docs/screenshots/compose-demo.json).
        if (!composer->loadSpec(spec, &error, true)) {
            std::fprintf(stderr, "lamina: %s\n", qPrintable(error));
            return 2;
        }
        QTimer::singleShot(120000, &app, [&] { app.quit(); });
        app.exec();
        return result;
    }
    auto save = [&] {
        window.showTab(lamina::MainWindow::Tab(std::clamp(tab, 0, int(lamina::MainWindow::ArchiveMapTab))));
        if (finding >= 0)
            window.selectFinding(finding);
        QTimer::singleShot(200, &window, [&] {
            result = window.grab().save(out) ? 0 : 1;
            app.quit();
        });
    };
    QObject::connect(&window, &lamina::MainWindow::archiveLoaded, &window, [&] {
        if (window.current().images.isEmpty())
            save();
    });
    QObject::connect(&window, &lamina::MainWindow::layersIndexed, &window, save);
    QTimer::singleShot(120000, &app, [&] { app.quit(); });
    window.openPath(path);
    app.exec();
    return result;
}

/// Watches the events the UI thread is given, to say which one ran longest before the next.
class EventWatch : public QObject
{
public:
    EventWatch() { m_clock.start(); }
    /// "80 ms in Paint to lamina::ChainView": the longest run since restart().
    QString slowest() const
    {
        if (m_worstMs < 0)
            return QStringLiteral("no event");
        // Many short events hold the thread as well as one long one: both are said.
        Run most;
        int mostCount = 0;
        for (auto it = m_counts.cbegin(); it != m_counts.cend(); ++it)
            if (it.value() > mostCount) {
                mostCount = it.value();
                most = { it.key().first, it.key().second, false };
            }
        return QStringLiteral("%1 ms in %2; %3 event(s), %4 of them %5")
            .arg(m_worstMs)
            .arg(describe(m_worst))
            .arg(m_events)
            .arg(mostCount)
            .arg(describe(most));
    }
    void restart()
    {
        m_worstMs = -1;
        m_worst = {};
        m_events = 0;
        m_counts.clear();
    }
    /// What the probe does itself from here (a step's direct call), timed as if it were an event.
    void mark(const QString &step)
    {
        note(m_clock.elapsed());
        m_step = step;
        m_last = { 0, nullptr, true };
    }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        // Only what the event is, kept as it is: formatting each one would add to what is timed.
        note(m_clock.elapsed());
        m_last = { int(event->type()), watched->metaObject()->className(), false };
        ++m_events;
        ++m_counts[{ m_last.type, m_last.receiver }];
        return false;
    }

private:
    struct Run
    {
        int type = 0;
        const char *receiver = nullptr; ///< its class's name, static in its meta-object
        bool step = false; ///< the probe's own call for m_step
    };
    void note(qint64 now)
    {
        if (now - m_lastStart > m_worstMs) {
            m_worstMs = now - m_lastStart;
            m_worst = m_last;
        }
        m_lastStart = now;
    }
    QString describe(const Run &r) const
    {
        if (r.step)
            return QStringLiteral("step ") + m_step;
        if (!r.receiver)
            return QStringLiteral("the start");
        // The event's type and the receiver's class; a queued call names its slot's class only.
        const char *type = QMetaEnum::fromType<QEvent::Type>().valueToKey(r.type);
        return QStringLiteral("%1 to %2")
            .arg(type ? QString::fromLatin1(type) : QStringLiteral("Event%1").arg(r.type),
                QString::fromLatin1(r.receiver));
    }
    QElapsedTimer m_clock;
    qint64 m_lastStart = 0;
    qint64 m_worstMs = -1;
    int m_events = 0;
    QHash<std::pair<int, const char *>, int> m_counts; ///< events by type and receiver's class
    Run m_last;
    Run m_worst;
    QString m_step;
};

/// `lamina --ui-probe PATH [STEP]...`: opens PATH in the window (offscreen) and prints the longest
/// gap between two ticks of a 5 ms heartbeat on the UI thread until everything is loaded and
/// verified; then does each STEP as a user would and prints how long it took until the window
/// was idle again and the longest gap meanwhile (bench/ records both). Steps: `filter:TEXT` (typed
/// one character at a time), `clear-filter`, `layer-only` and `regex` (toggled), `sort:name|size`, `layer:N`,
/// `expand:PATH` (a folder in the files), `expand-all`, `image:N`, `finding:N`, `compose` (the
/// Compose page), `add:HOSTPATH` (a file or folder added to the composition at /).
int uiProbe(QApplication &app, const QString &path, const QStringList &steps)
{
    lamina::MainWindow window;
    window.resize(1280, 720);
    window.show();
    QElapsedTimer clock;
    qint64 last = 0, longest = 0;
    QTimer beat;
    beat.setInterval(5);
    // What held the UI thread: the event that began before the longest stretch without another.
    // A gap names its cause, so a stall found by the bench can be looked for in the code.
    EventWatch watch;
    app.installEventFilter(&watch);
    QString longestCause;
    qint64 longestEnd = 0; ///< when the longest gap ended, to set beside "archive shown" and the rest
    bool shown = false;
    QObject::connect(&beat, &QTimer::timeout, [&] {
        const qint64 now = clock.elapsed();
        // The first beat comes once the window's first show (polish, layout, the first expose
        // and paint) is done: that is timed apart, as the first paint, not as a stall of a
        // window on screen.
        if (!shown) {
            shown = true;
            std::printf("window first painted: %lld ms\n", static_cast<long long>(now));
            watch.restart();
            last = now;
            return;
        }
        if (now - last > longest) {
            longest = now - last;
            longestCause = watch.slowest();
            longestEnd = now;
        }
        watch.restart();
        last = now;
    });
    auto *page = window.findChild<lamina::LayersPage *>();
    // Idle: no background job runs and the event queue is drained.
    auto settle = [&] {
        do
            QCoreApplication::processEvents(QEventLoop::AllEvents, 50);
        while (window.busy());
        QCoreApplication::processEvents();
    };
    auto runSteps = [&] {
        window.showTab(lamina::MainWindow::LayersTab);
        settle();
        for (const QString &step : steps) {
            const QString verb = step.section(u':', 0, 0), arg = step.section(u':', 1);
            // A step that cannot happen here measures nothing: refused, as a folder not shown is.
            const qsizetype count = verb == u"image" ? window.current().images.size()
                : verb == u"finding"                 ? window.findings().size()
                                                     : -1;
            if (count >= 0 && (arg.toInt() < 0 || arg.toInt() >= count)) {
                std::fprintf(stderr, "lamina: step %s: the archive has %lld %s(s)\n", qPrintable(step),
                    static_cast<long long>(count), qPrintable(verb));
                app.exit(2);
                return;
            }
            if (verb == u"expand") {
                // A user opens the folders above first: expanding a folder inside a closed one
                // only records it (nothing laid out, nothing to measure).
                for (qsizetype slash = arg.indexOf(u'/'); slash > 0; slash = arg.indexOf(u'/', slash + 1))
                    page->filesView()->expand(page->filesModel()->indexOfPath(arg.left(slash).toUtf8()));
                settle();
            }
            last = clock.elapsed();
            longest = 0;
            longestCause = QStringLiteral("no event");
            watch.restart();
            watch.mark(step);
            const qint64 start = clock.elapsed();
            if (verb == u"filter") {
                for (const QChar c : arg) {
                    QKeyEvent press(QEvent::KeyPress, 0, Qt::NoModifier, QString(c));
                    QCoreApplication::sendEvent(page->filter(), &press);
                    QCoreApplication::processEvents();
                }
            } else if (verb == u"clear-filter") {
                page->filter()->clear();
            } else if (verb == u"layer-only") {
                page->layerOnly()->toggle();
            } else if (verb == u"regex") {
                page->findChild<QCheckBox *>(QStringLiteral("regex"))->toggle();
            } else if (verb == u"sort") {
                page->filesView()->sortByColumn(
                    arg == u"size" ? lamina::FileTreeModel::SizeColumn : lamina::FileTreeModel::NameColumn,
                    Qt::AscendingOrder);
            } else if (verb == u"layer") {
                window.selectLayer(arg.toInt());
            } else if (verb == u"expand") {
                const QModelIndex folder = page->filesModel()->indexOfPath(arg.toUtf8());
                if (!folder.isValid()) {
                    std::fprintf(stderr, "lamina: no folder %s shown\n", qPrintable(arg));
                    app.exit(2);
                    return;
                }
                page->filesView()->expand(folder);
            } else if (verb == u"expand-all") {
                page->expandAll();
            } else if (verb == u"image") {
                window.findChild<lamina::ImageList *>()->select(arg.toInt());
            } else if (verb == u"finding") {
                window.selectFinding(arg.toInt());
            } else if (verb == u"compose") {
                window.showPage(lamina::MainWindow::ComposePage);
            } else if (verb == u"add") {
                window.composer()->addHostPaths({ arg }, QStringLiteral("/"));
            } else {
                std::fprintf(stderr, "lamina: unknown probe step %s\n", qPrintable(step));
                app.exit(2);
                return;
            }
            settle();
            std::printf("step %s: %lld ms, longest UI-thread gap %lld ms (%s)\n", qPrintable(step),
                static_cast<long long>(clock.elapsed() - start), static_cast<long long>(longest),
                qPrintable(longestCause));
            std::fflush(stdout);
        }
        window.composer()->discard(); // a composition the steps made is not the user's to save
        app.quit();
    };
    auto finish = [&] {
        std::printf("longest UI-thread gap: %lld ms, ending at %lld ms (total %lld ms; %s)\n",
            static_cast<long long>(longest), static_cast<long long>(longestEnd),
            static_cast<long long>(clock.elapsed()), qPrintable(longestCause));
        std::fflush(stdout);
        if (steps.isEmpty()) {
            beat.stop();
            app.quit();
            return;
        }
        QTimer::singleShot(0, &window, runSteps);
    };
    QObject::connect(&window, &lamina::MainWindow::archiveLoaded, &window, [&] {
        if (window.current().images.isEmpty())
            finish();
    });
    QObject::connect(&window, &lamina::MainWindow::verified, &window, finish);
    // When each stage reached the screen: what reopening from the index cache is measured by.
    QObject::connect(&window, &lamina::MainWindow::archiveLoaded, &window,
        [&] { std::printf("archive shown: %lld ms\n", static_cast<long long>(clock.elapsed())); });
    bool filesShown = false;
    QObject::connect(page->filesModel(), &lamina::FileTreeModel::shaped, &window, [&] {
        if (filesShown || page->filesModel()->rowCount() == 0)
            return;
        filesShown = true;
        std::printf("files shown: %lld ms\n", static_cast<long long>(clock.elapsed()));
    });
    clock.start();
    beat.start();
    window.openPath(path);
    return app.exec();
}

} // namespace

extern "C" Q_DECL_EXPORT int lamina_window_main(int argc, char **argv)
{
    QStringList args;
    for (int i = 0; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    // This module holds a copy of core of its own, whose process-wide settings main() did not
    // reach: without this the window never used the index cache (reopening many.tar read every
    // layer again, 1.3 s).
    lamina::IndexCache::setProcessDefault(lamina::IndexCache::fromEnvironment());
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Lamina"));
    QApplication::setApplicationVersion(QStringLiteral(LAMINA_VERSION));
    QApplication::setOrganizationName(QStringLiteral("Lamina"));
    QApplication::setDesktopFileName(QStringLiteral("io.github.lamina.Lamina"));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/io.github.lamina.Lamina.svg")));
    if (args.value(1) == u"--screenshot")
        return screenshot(app, args);
    if (args.value(1) == u"--ui-probe" && args.size() >= 3)
        return uiProbe(app, args.at(2), args.mid(3));
    lamina::MainWindow window;
    window.show();
    if (args.size() > 1)
        window.openPath(args.at(1));
    // Once the window is up: what a run that ended without saving left.
    QTimer::singleShot(0, &window, [&window] { window.composer()->offerRestore(); });
    return app.exec();
}
