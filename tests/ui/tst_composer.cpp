// SPDX-License-Identifier: MIT
// The composer in the window, offscreen: the nixpkgs case built through the panel's widgets and
// exported through its dialog, then re-opened with the core; the same image from the command line
// it shows; undo and redo; files dropped on a folder of the result; checks that follow the edits
// and select what they concern; the composition file; the layer model under QAbstractItemModelTester.
#include "check/checks.h"
#include "common/backgroundpool.h"
#include "compose/argvedit.h"
#include "compose/autosave.h"
#include "compose/commandline.h"
#include "compose/composermodel.h"
#include "compose/composerpanel.h"
#include "compose/compositiondocument.h"
#include "compose/compositionjson.h"
#include "compose/exportdialog.h"
#include "compose/livepreview.h"
#include "compose/modeedit.h"
#include "fakeengine.h"
#include "fakeregistry.h"
#include "filetreemodel.h"
#include "format/imagearchive.h"
#include "layers/imagelayers.h"
#include "mainwindow.h"
#include "testsupport.h"
#include "util/workcounters.h"

#include <QAbstractButton>
#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFileDialog>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMessageBox>
#include <QMimeData>
#include <QPointer>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QScrollArea>
#include <QScrollBar>
#include <QSemaphore>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QStyle>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QTextDocumentFragment>
#include <QThreadPool>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QTreeView>
#include <QTreeWidget>
#include <QUndoStack>
#include <QUrl>

#include <sys/stat.h>

using namespace lamina;

class TestComposer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void nixScenarioThroughThePanel();
    void argumentButtonsNeedASelection();
    void undoAndRedoEveryEdit();
    void filesDroppedOnAFolder();
    void checksFollowTheEdits();
    void compositionFile();
    void compositionPicksItsPlatform();
    void openCompositionSaysWhatItReads();
    void exportRefusesTheBase();
    void exportAsksBeforeReplacing();
    void exportNameFollowsTheFormat();
    void exportTellsImageChecksApart();
    void exportLoadsIntoAnEngine();
    void exportPushesToARegistry();
    void pushedWithoutVerifyingOpensSo();
    void unsavedCompositionIsNotLostSilently();
    void autosaveRestoresAfterACrash();
    void baseTagsAreKeptUntilEdited();
    void exportFormats_data();
    void exportFormats();
    void noVerifiedLineWithFindings();
    void modeTextAndBits();
    void modelPassesTheTester();
    void typingNeverWaitsForThePreview();
    void oneUndoStackForLayersAndSettings();
    void modelAndFormFollowTheDocument();
    void closingThePanelWaitsForNoPreview();
    void newerPreviewReplacesOlder();
    void closingTheExportDialog();
    void deletePathAsksForAPath();
    void typedArgumentsAreTaken();
    void undoNamesTheStep();
    void addFolderAsksWhere();
    void nothingSquashedAt1024x640();
    void dialogsShowTheirText();

private:
    /// Answers the modal dialogs as they come, one handler each, in order: polled, so that a
    /// dialog opened right after another is found too. Done when every handler has run.
    struct DialogAnswers
    {
        QList<std::function<void(QWidget *)>> handlers;
        QPointer<QWidget> last;
        QTimer timer;
        explicit DialogAnswers(QList<std::function<void(QWidget *)>> h)
            : handlers(std::move(h))
        {
            timer.setInterval(20);
            QObject::connect(&timer, &QTimer::timeout, [this] {
                QWidget *modal = QApplication::activeModalWidget();
                if (!modal || modal == last || !modal->isVisible() || handlers.isEmpty())
                    return;
                last = modal;
                handlers.takeFirst()(modal);
            });
            timer.start();
        }
        bool done() const { return handlers.isEmpty(); }
    };
    /// Types `text` over the image path dialog's field and presses OK; the problem shown, if any.
    static QString answerPath(QWidget *dialog, const QString &text)
    {
        auto *field = dialog->findChild<QLineEdit *>(QStringLiteral("imagePath"));
        if (!field)
            return QStringLiteral("no imagePath field");
        field->selectAll();
        QTest::keyClicks(field, text);
        auto *box = dialog->findChild<QDialogButtonBox *>();
        box->button(QDialogButtonBox::Ok)->click();
        return dialog->findChild<QLabel *>(QStringLiteral("imagePathProblem"))->text();
    }
    /// What a look would find cut in `root`'s visible widgets: a button or choice narrower than
    /// its text, a line edit that cannot show its text or hint whole, a label that is not whole
    /// (one that wraps: a word wider than the label).
    static QStringList cut(QWidget *root)
    {
        QStringList found;
        const auto report = [&](QWidget *w, const QString &text, int width, int need) {
            found << QStringLiteral("%1 %2 \"%3\" %4 < %5")
                         .arg(QString::fromLatin1(w->metaObject()->className()), w->objectName(), text)
                         .arg(width)
                         .arg(need);
        };
        for (QWidget *w : root->findChildren<QWidget *>()) {
            if (!w->isVisibleTo(root))
                continue;
            if (auto *button = qobject_cast<QAbstractButton *>(w)) {
                if (w->width() < w->minimumSizeHint().width() || w->height() < w->minimumSizeHint().height())
                    report(w, button->text(), w->width(), w->minimumSizeHint().width());
            } else if (auto *combo = qobject_cast<QComboBox *>(w)) {
                if (w->width() < w->sizeHint().width()) // as wide as its longest choice
                    report(w, combo->currentText(), w->width(), w->sizeHint().width());
            } else if (auto *line = qobject_cast<QLineEdit *>(w)) {
                // Qt's size hint for a line edit is 17 x's with its frame and margins around.
                const QFontMetrics fm = line->fontMetrics();
                const int around = line->sizeHint().width() - 17 * fm.horizontalAdvance(u'x');
                for (const QString &text : { line->text(), line->placeholderText() })
                    if (fm.horizontalAdvance(text) + around > line->width())
                        report(w, text, line->width(), fm.horizontalAdvance(text) + around);
                if (line->width() < line->sizeHint().width())
                    report(w, line->text(), line->width(), line->sizeHint().width());
            } else if (auto *label = qobject_cast<QLabel *>(w); label && !label->text().isEmpty()) {
                if (!label->wordWrap()) {
                    if (label->width() < label->minimumSizeHint().width())
                        report(w, label->text(), label->width(), label->minimumSizeHint().width());
                    continue;
                }
                const bool rich = Qt::mightBeRichText(label->text());
                QFont font = label->font();
                font.setBold(font.bold() || rich); // bold words are the widest
                const QString plain
                    = rich ? QTextDocumentFragment::fromHtml(label->text()).toPlainText() : label->text();
                for (const QString &word : plain.split(QRegularExpression(QStringLiteral("\\s+")), Qt::SkipEmptyParts))
                    if (QFontMetrics(font).horizontalAdvance(word) > label->contentsRect().width())
                        report(w, word, label->contentsRect().width(), QFontMetrics(font).horizontalAdvance(word));
            }
        }
        return found;
    }
    static void pressCancel(QWidget *dialog)
    {
        dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Cancel)->click();
    }
    /// Occupies every thread of the window's pool until release(), so that a job started
    /// meanwhile is held in its queue. A thread still held after 60 s gives up and says so: an
    /// owner that waited for its job on the GUI thread would otherwise hang the test.
    struct PoolHold
    {
        QSemaphore started, gate;
        std::atomic<int> gaveUp = 0;
        int threads = backgroundPool()->maxThreadCount();
        bool hold()
        {
            for (int i = 0; i < threads; ++i) {
                backgroundPool()->start([this] {
                    started.release();
                    if (!gate.tryAcquire(1, 60000))
                        ++gaveUp;
                });
            }
            return started.tryAcquire(threads, 60000);
        }
        bool release()
        {
            gate.release(threads);
            return backgroundPool()->waitForDone(120000);
        }
    };
    static QString nixBase() { return test::source(QStringLiteral("resources/samples/nix-layered-base.tar")); }
    /// A composition on `base` (the nix base unless told) running bash, tagged `tag` when given.
    static Composition bashOn(const QString &base = nixBase(), const QString &tag = {})
    {
        Composition c;
        c.basePath = base;
        c.config.cmd = QStringList { QStringLiteral("/bin/bash") };
        if (!tag.isEmpty())
            c.tags << tag;
        return c;
    }
    /// A panel on the nix base, its layers indexed as the window would hand them over.
    static void setNixBase(ComposerPanel &panel)
    {
        const ImageArchive ia = openImageArchive(nixBase());
        panel.setBase(ia, 0, indexImageLayers(ia, 0).layers);
    }
    static bool waitForPreview(ComposerPanel &panel)
    {
        QSignalSpy updated(&panel, &ComposerPanel::previewUpdated);
        for (int i = 0; i < 50 && panel.previewPending(); ++i)
            updated.wait(200);
        return !panel.previewPending();
    }
    static QStringList codes(const ComposerPanel &panel)
    {
        QStringList out;
        for (const Finding &f : panel.preview().findings)
            out << f.code;
        return out;
    }
    QTemporaryDir m_dir;
};

void TestComposer::initTestCase()
{
    QApplication::setOrganizationName(QStringLiteral("LaminaTest"));
    QStandardPaths::setTestModeEnabled(true); // the autosaved composition goes to a test folder
    CompositionAutosave::discard();
    QVERIFY(m_dir.isValid());
}

void TestComposer::nixScenarioThroughThePanel()
{
    MainWindow w;
    w.show();
    QSignalSpy indexed(&w, &MainWindow::layersIndexed);
    w.openPath(nixBase());
    QVERIFY(indexed.wait(30000));
    w.showPage(1);
    ComposerPanel *panel = w.composer();
    QVERIFY(panel->isVisible());
    QVERIFY(waitForPreview(*panel));
    QCOMPARE(panel->preview().baseLayers, 2);

    // A layer with the folder, its mode typed into the cell.
    panel->findChild<QAction *>(QStringLiteral("stackLayer"))->trigger();
    LayerOp mkdir;
    mkdir.kind = LayerOp::Mkdir;
    mkdir.imagePath = QStringLiteral("/example-output");
    panel->addOp(mkdir);
    ComposerModel *model = panel->model();
    QCOMPARE(model->layerCount(), 1);
    QVERIFY(model->setData(model->opIndex(0, 0, ComposerModel::ModeColumn), QStringLiteral("0777"), Qt::EditRole));
    QCOMPARE(model->op(0, 0).mode, std::optional<quint32>(0777));

    // The form: typed as a person would.
    QTest::keyClicks(panel->findChild<QLineEdit *>(QStringLiteral("workingDir")), QStringLiteral("/example-output"));
    auto *cmd = panel->findChild<ArgvEdit *>(QStringLiteral("cmd"));
    cmd->findChild<QCheckBox *>(QStringLiteral("shellForm"))->click();
    QTest::keyClicks(
        cmd->findChild<QLineEdit *>(QStringLiteral("shellCommand")), QStringLiteral("echo hello > foo; cat foo"));
    QCOMPARE(cmd->findChild<QLabel *>(QStringLiteral("argvResult"))->text(),
        QStringLiteral("→ [\"/bin/sh\", \"-c\", \"echo hello > foo; cat foo\"]"));
    // The base's tag is kept until the user names the image otherwise, as here (select all, type).
    auto *tags = panel->findChild<QLineEdit *>(QStringLiteral("tags"));
    QCOMPARE(tags->text(), QStringLiteral("example-base:latest"));
    QCOMPARE(panel->composition().tags, QStringList { QStringLiteral("example-base:latest") });
    tags->setFocus();
    QTest::keyClick(tags, Qt::Key_A, Qt::ControlModifier);
    QTest::keyClicks(tags, QStringLiteral("example:composed"));
    QTest::keyClicks(panel->findChild<QLineEdit *>(QStringLiteral("stopSignal")), QStringLiteral("SIGINT"));
    // Env: the base's PATH is listed; a changed value becomes an override, the same value none.
    QCoreApplication::processEvents(); // the table is refilled after each edit
    auto *env = panel->findChild<QTableWidget *>(QStringLiteral("env"));
    QCOMPARE(env->rowCount(), 1);
    QCOMPARE(env->item(0, 0)->text(), QStringLiteral("PATH"));
    QCOMPARE(env->item(0, 2)->text(), QStringLiteral("base"));
    env->item(0, 1)->setText(QStringLiteral("/bin:/usr/bin:/opt/bin"));
    QCOMPARE(panel->composition().config.setEnv.value(0).second, QStringLiteral("/bin:/usr/bin:/opt/bin"));
    QCoreApplication::processEvents();
    QCOMPARE(env->item(0, 2)->text(), QStringLiteral("base, changed"));
    panel->setEnv(QStringLiteral("PATH"), QStringLiteral("/bin:/usr/bin"));
    // Add: the new variable's made-up name is selected and open to be typed over.
    auto *addEnv = panel->findChild<QToolButton *>(QStringLiteral("envAdd"));
    QVERIFY(addEnv);
    addEnv->click();
    QTRY_VERIFY(env->currentItem() && env->currentItem()->text() == u"NAME1");
    const QLineEdit *editor = env->viewport()->findChild<QLineEdit *>();
    QVERIFY(editor && editor->isVisible() && editor->text() == u"NAME1");
    QTest::keyClick(env->viewport()->findChild<QLineEdit *>(), Qt::Key_Escape);
    panel->findChild<QToolButton *>(QStringLiteral("envUnset"))->click(); // and gone again
    QTRY_COMPARE(env->rowCount(), 1);

    const Composition c = panel->composition();
    QCOMPARE(c.config.workingDir, std::optional<QString>(QStringLiteral("/example-output")));
    QCOMPARE(c.config.cmd,
        std::optional<QStringList>(
            { QStringLiteral("/bin/sh"), QStringLiteral("-c"), QStringLiteral("echo hello > foo; cat foo") }));
    QCOMPARE(c.tags, QStringList { QStringLiteral("example:composed") });

    // The preview: the folder added with its mode, nothing to report.
    QVERIFY(waitForPreview(*panel));
    QVERIFY2(panel->preview().findings.isEmpty(), qPrintable(codes(*panel).join(u' ')));
    auto *result = panel->findChild<QTreeView *>(QStringLiteral("resultTree"));
    auto *resultModel = qobject_cast<FileTreeModel *>(result->model());
    const QModelIndex folder = resultModel->indexOfPath("example-output");
    QVERIFY(folder.isValid());
    QCOMPARE(folder.siblingAtColumn(FileTreeModel::ChangeColumn).data().toString(), QStringLiteral("A"));
    QCOMPARE(folder.siblingAtColumn(FileTreeModel::ModeColumn).data().toString(), QStringLiteral("0777"));
    QVERIFY(
        resultModel->indexOfPath("bin/bash").siblingAtColumn(FileTreeModel::ChangeColumn).data().toString().isEmpty());

    // Export as a docker archive through the dialog.
    ExportDialog *dialog = panel->openExportDialog();
    const QString out = m_dir.filePath(QStringLiteral("gui.tar"));
    dialog->findChild<QLineEdit *>(QStringLiteral("output"))->setText(out);
    QSignalSpy finished(dialog, &ExportDialog::finished);
    QVERIFY(dialog->start());
    QVERIFY(finished.wait(60000));
    QVERIFY2(finished.constFirst().constFirst().toBool(), qPrintable(dialog->result().error));
    QVERIFY(dialog->findChild<QLabel *>(QStringLiteral("exportStatus"))
                ->text()
                .contains(u"Re-opened and verified by Lamina"));
    QVERIFY(dialog->findChild<QPushButton *>(QStringLiteral("openResult"))->isVisible());
    const QString imageId = dialog->result().imageId;

    // Re-opened with the core.
    const ImageArchive ia = openImageArchive(out);
    QVERIFY(ia.ok());
    const Image &img = ia.images.at(0);
    QCOMPARE(img.configDigest, imageId);
    const QJsonObject cfg = img.config->config;
    QCOMPARE(cfg.value(u"WorkingDir").toString(), QStringLiteral("/example-output"));
    QCOMPARE(cfg.value(u"Cmd").toArray(),
        QJsonArray({ QStringLiteral("/bin/sh"), QStringLiteral("-c"), QStringLiteral("echo hello > foo; cat foo") }));
    QVERIFY(cfg.value(u"Env").toArray().contains(QJsonValue(QStringLiteral("PATH=/bin:/usr/bin"))));
    QCOMPARE(img.legacyChainIds.size(), img.layers.size());
    for (int i = 0; i < img.layers.size(); ++i)
        QCOMPARE(img.layers.at(i).legacyId, img.legacyChainIds.at(img.layers.size() - 1 - i));
    for (const Finding &f : checkArchive(ia))
        QVERIFY2(f.code != u"dangling-parent", qPrintable(f.message));
    QCOMPARE(img.tags, QStringList { QStringLiteral("example:composed") });
    QCOMPARE(cfg.value(u"StopSignal").toString(), QStringLiteral("SIGINT"));

    // The command line it shows writes the same image.
    QString why;
    QString line = panel->commandLine(&why);
    QVERIFY2(!line.isEmpty(), qPrintable(why));
    QVERIFY(line.startsWith(u"lamina compose "));
    QVERIFY(line.contains(u"-o " + shellQuote(out)));
    QVERIFY(QFile::rename(out, out + QStringLiteral(".gui")));
    line = shellQuote(QStringLiteral(LAMINA_BINARY)) + line.mid(6);
    QProcess shell;
    shell.start(QStringLiteral("/bin/sh"), { QStringLiteral("-c"), line });
    QVERIFY(shell.waitForFinished(60000));
    const QByteArray said = shell.readAllStandardError();
    QCOMPARE(shell.exitCode(), 0);
    QVERIFY2(said.contains(QByteArray("image ID " + imageId.toLatin1())), said.constData());
    QFile a(out), b(out + QStringLiteral(".gui"));
    QVERIFY(a.open(QIODevice::ReadOnly) && b.open(QIODevice::ReadOnly));
    QVERIFY(a.readAll() == b.readAll());
    dialog->close();
}

void TestComposer::undoAndRedoEveryEdit()
{
    ComposerPanel panel;
    setNixBase(panel);
    QUndoStack *undo = panel.undoStack();
    ComposerModel *model = panel.model();
    panel.stackLayer();
    LayerOp text;
    text.kind = LayerOp::WriteText;
    text.imagePath = QStringLiteral("/etc/motd");
    text.text = "hi\n";
    panel.addOp(text);
    QVERIFY(model->setData(model->opIndex(0, 0, ComposerModel::OwnerColumn), QStringLiteral("1000:100"), Qt::EditRole));
    QVERIFY(!model->setData(
        model->opIndex(0, 0, ComposerModel::OwnerColumn), QStringLiteral("root"), Qt::EditRole)); // refused, no step
    QVERIFY(!model->setData(model->opIndex(0, 0, ComposerModel::PathColumn), QStringLiteral("../../x"), Qt::EditRole));
    panel.deletePath(QStringLiteral("/usr/share/doc/README"), false);
    panel.stackLayer();
    panel.deletePath(QStringLiteral("/usr/share"), true);
    panel.show();
    auto *workdir = panel.findChild<QLineEdit *>(QStringLiteral("workingDir"));
    QTest::keyClicks(workdir, QStringLiteral("/srv")); // one step for the word
    panel.findChild<QCheckBox *>(QStringLiteral("createWorkdir"))->click();
    const QJsonObject done = compositionToJson(panel.composition());
    QCOMPARE(undo->count(), 8);

    undo->undo(); // create workdir
    QVERIFY(panel.composition().createWorkdir);
    undo->undo(); // the typed word
    QVERIFY(!panel.composition().config.workingDir);
    QCOMPARE(workdir->text(), QString());
    undo->undo(); // opaque
    undo->undo(); // second layer
    QCOMPARE(model->layerCount(), 1);
    undo->undo(); // whiteout
    undo->undo(); // owner
    QCOMPARE(model->op(0, 0).uid, 0u);
    undo->undo(); // the text file
    QCOMPARE(model->opCount(0), 0);
    undo->undo(); // the first layer
    QCOMPARE(model->layerCount(), 0);
    QVERIFY(!undo->canUndo());
    while (undo->canRedo())
        undo->redo();
    QCOMPARE(compositionToJson(panel.composition()), done);
    QCOMPARE(workdir->text(), QStringLiteral("/srv"));
    // Layers reorder and come back.
    model->document()->moveLayer(1, 0);
    QCOMPARE(model->op(0, 0).kind, LayerOp::Opaque);
    undo->undo();
    QCOMPARE(model->op(1, 0).kind, LayerOp::Opaque);
    QCOMPARE(compositionToJson(panel.composition()), done);
}

void TestComposer::filesDroppedOnAFolder()
{
    const QString host = m_dir.filePath(QStringLiteral("drop"));
    QVERIFY(QDir().mkpath(host + QStringLiteral("/site/css")));
    for (const QString &name :
        { QStringLiteral("app.conf"), QStringLiteral("site/index.html"), QStringLiteral("site/css/a.css") }) {
        QFile f(host + u'/' + name);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("x\n");
    }
    ComposerPanel panel;
    panel.resize(1400, 900);
    panel.show();
    setNixBase(panel);
    QVERIFY(waitForPreview(panel));
    auto *view = panel.findChild<QTreeView *>(QStringLiteral("resultTree"));
    auto *model = qobject_cast<FileTreeModel *>(view->model());
    auto drop = [&](const QModelIndex &on, const QStringList &files) {
        if (on.isValid())
            view->scrollTo(on);
        const QPoint at = on.isValid() ? view->visualRect(on).center() : QPoint(5, view->viewport()->height() - 5);
        QMimeData data;
        QList<QUrl> urls;
        for (const QString &f : files)
            urls << QUrl::fromLocalFile(host + u'/' + f);
        data.setUrls(urls);
        QDragEnterEvent enter(at, Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(view->viewport(), &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent event(at, Qt::CopyAction, &data, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(view->viewport(), &event);
        QVERIFY(event.isAccepted());
    };
    // On a folder: into it.
    const QModelIndex bin = model->indexOfPath("usr/local/bin");
    QVERIFY2(bin.isValid(),
        qPrintable(QStringLiteral("tree %1, error %2, layers %3")
                       .arg(model->tree() ? 1 : 0)
                       .arg(panel.preview().error)
                       .arg(panel.preview().layers.size())));
    drop(bin, { QStringLiteral("app.conf"), QStringLiteral("site") });
    QCOMPARE(panel.model()->layerCount(), 1);
    QCOMPARE(panel.model()->opCount(0), 2);
    QCOMPARE(panel.model()->op(0, 0).imagePath, QStringLiteral("/usr/local/bin/app.conf"));
    QCOMPARE(panel.model()->op(0, 1).imagePath, QStringLiteral("/usr/local/bin/site"));
    QCOMPARE(panel.model()->op(0, 1).kind, LayerOp::AddHost);
    QTRY_COMPARE(panel.model()->index(1, ComposerModel::SizeColumn, panel.model()->layerIndex(0)).data().toString(),
        QLocale().formattedDataSize(4)); // two files of two bytes, counted on a worker
    // On a file: into its folder. One drop is one undo step.
    QVERIFY(waitForPreview(panel));
    drop(model->indexOfPath("etc/motd"), { QStringLiteral("site/css/a.css") });
    QCOMPARE(panel.model()->op(0, 2).imagePath, QStringLiteral("/etc/a.css"));
    panel.undoStack()->undo();
    QCOMPARE(panel.model()->opCount(0), 2);
    panel.undoStack()->redo();
    // The result shows them, marked as added.
    QVERIFY(waitForPreview(panel));
    const QModelIndex added = model->indexOfPath("usr/local/bin/site/css/a.css");
    QVERIFY(added.isValid());
    QCOMPARE(added.siblingAtColumn(FileTreeModel::ChangeColumn).data().toString(), QStringLiteral("A"));
    // Below the last row: the root.
    drop({}, { QStringLiteral("app.conf") });
    QCOMPARE(panel.model()->op(0, 3).imagePath, QStringLiteral("/app.conf"));
}

void TestComposer::checksFollowTheEdits()
{
    ComposerPanel panel;
    panel.show();
    setNixBase(panel);
    QVERIFY(waitForPreview(panel));
    QVERIFY(panel.preview().findings.isEmpty()); // the base's /bin/bash runs
    panel.setShellCommand(QStringLiteral("echo hi"));
    QVERIFY(waitForPreview(panel));
    QVERIFY(panel.preview().findings.isEmpty()); // /bin/sh → bash
    panel.findChild<ArgvEdit *>(QStringLiteral("cmd"))->setShellForm(false);
    QVERIFY(waitForPreview(panel));
    QVERIFY(panel.preview().findings.isEmpty()); // the same array in exec form
    Composition c = panel.composition();
    c.config.cmd = QStringList { QStringLiteral("frobnicate") };
    c.config.workingDir = QStringLiteral("/srv/nowhere");
    c.createWorkdir = false;
    LayerSpec layer;
    LayerOp setuid;
    setuid.kind = LayerOp::WriteText;
    setuid.imagePath = QStringLiteral("/usr/local/bin/tool");
    setuid.mode = 04755;
    layer.ops << setuid;
    c.layers << layer;
    panel.setComposition(c);
    QVERIFY(waitForPreview(panel));
    QStringList found = codes(panel);
    found.sort();
    QCOMPARE(found,
        (QStringList {
            QStringLiteral("command-not-found"), QStringLiteral("setuid-file"), QStringLiteral("workdir-missing") }));
    // Selecting a check shows where: the file in the result and its layer.
    auto *findings = panel.findChild<QTreeWidget *>(QStringLiteral("composerFindings"));
    QTreeWidgetItem *setuidItem = nullptr;
    for (int i = 0; i < findings->topLevelItemCount(); ++i)
        if (findings->topLevelItem(i)->text(1) == u"setuid-file")
            setuidItem = findings->topLevelItem(i);
    QVERIFY(setuidItem);
    findings->setCurrentItem(setuidItem);
    auto *result = panel.findChild<QTreeView *>(QStringLiteral("resultTree"));
    QCOMPARE(result->currentIndex().data(FileTreeModel::PathRole).toString(), QStringLiteral("usr/local/bin/tool"));
    auto *layers = panel.findChild<QTreeView *>(QStringLiteral("composerLayers"));
    QCOMPARE(panel.model()->layerOf(layers->currentIndex()), 0);
    // Fixed by editing: the folder created, the command found.
    panel.findChild<QCheckBox *>(QStringLiteral("createWorkdir"))->click();
    panel.setShellCommand(QStringLiteral("tool"));
    QVERIFY(waitForPreview(panel));
    QCOMPARE(codes(panel), (QStringList { QStringLiteral("setuid-file"), QStringLiteral("workdir-missing") }));
    QCOMPARE(panel.preview().findings.constLast().severity, Severity::Info); // "it was added"
    // A host file that has gone: said above the checks, not a crash.
    LayerOp gone;
    gone.kind = LayerOp::AddHost;
    gone.hostPath = m_dir.filePath(QStringLiteral("not-there"));
    gone.imagePath = QStringLiteral("/x");
    panel.addOp(gone);
    QVERIFY(waitForPreview(panel));
    QVERIFY(panel.findChild<QLabel *>(QStringLiteral("previewError"))->isVisible());
    panel.undoStack()->undo();
    QVERIFY(waitForPreview(panel));
    QVERIFY(!panel.findChild<QLabel *>(QStringLiteral("previewError"))->isVisible());
}

void TestComposer::compositionFile()
{
    ComposerPanel panel;
    setNixBase(panel);
    panel.stackLayer();
    LayerOp link;
    link.kind = LayerOp::Symlink;
    link.imagePath = QStringLiteral("/usr/local/bin/greet");
    link.linkTarget = QStringLiteral("hello");
    panel.addOp(link);
    panel.setWorkingDir(QStringLiteral("/work"));
    panel.setEnv(QStringLiteral("MODE"), QStringLiteral("demo"));
    const QString file = m_dir.filePath(QStringLiteral("composition.json"));
    QString error;
    QVERIFY2(panel.saveSpec(file, &error), qPrintable(error));
    // The file is the command line's: lamina compose --spec reads it.
    QProcess p;
    p.start(QStringLiteral(LAMINA_BINARY),
        { QStringLiteral("compose"), QStringLiteral("--spec"), file, QStringLiteral("-o"),
            m_dir.filePath(QStringLiteral("from-spec.tar")) });
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    // Loaded into another panel on another base: the same composition, and the base is asked for.
    ComposerPanel other;
    QSignalSpy asked(&other, &ComposerPanel::baseRequested);
    QVERIFY2(other.loadSpec(file, &error), qPrintable(error));
    QCOMPARE(asked.size(), 1);
    QCOMPARE(asked.constFirst().constFirst().toString(), nixBase());
    QCOMPARE(compositionToJson(other.composition()).value(u"layers"),
        compositionToJson(panel.composition()).value(u"layers"));
    QCOMPARE(compositionToJson(other.composition()).value(u"config"),
        compositionToJson(panel.composition()).value(u"config"));
    QVERIFY(!other.undoStack()->canUndo());
    // A broken file is refused with its reason.
    QFile broken(m_dir.filePath(QStringLiteral("broken.json")));
    QVERIFY(broken.open(QIODevice::WriteOnly));
    broken.write("{\"layers\": [{\"ops\": [{\"op\": \"explode\"}]}]}");
    broken.close();
    QVERIFY(!other.loadSpec(broken.fileName(), &error));
    QVERIFY(error.contains(u"explode"));
}

void TestComposer::openCompositionSaysWhatItReads()
{
    // Open composition names every host path the file reads, marks those outside its folder, and
    // loads nothing unless the user agrees; loadSpec alone refuses paths outside (issue 16, item 12).
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(QDir(dir.path()).mkpath(QStringLiteral("project/site")));
    const QString spec = dir.filePath(QStringLiteral("project/hostile.json"));
    QFile f(spec);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"layers": [{"ops": [{"op": "add", "host": "/etc/shadow", "path": "/x"},
                                    {"op": "add", "host": "site", "path": "/srv"}]}]})");
    f.close();
    ComposerPanel panel;
    QString error;
    QVERIFY(!panel.loadSpec(spec, &error));
    QVERIFY2(error.contains(u"/etc/shadow") && error.contains(u"absolute"), qPrintable(error));
    QVERIFY(panel.composition().layers.value(0).ops.isEmpty());
    for (const QMessageBox::StandardButton answer : { QMessageBox::Cancel, QMessageBox::Open }) {
        QString shown;
        QTimer::singleShot(0, &panel, [&] {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            QVERIFY(box && box->objectName() == u"hostPathsQuestion");
            shown = box->text();
            box->button(answer)->click();
        });
        panel.openSpecFile(spec);
        QVERIFY2(shown.contains(u"/etc/shadow — outside the composition's folder"), qPrintable(shown));
        QVERIFY2(shown.contains(QDir::cleanPath(dir.filePath(QStringLiteral("project/site"))))
                && !shown.contains(u"site — outside"),
            qPrintable(shown));
        int adds = 0;
        for (const LayerSpec &l : panel.composition().layers)
            for (const LayerOp &op : l.ops)
                adds += op.kind == LayerOp::AddHost;
        QCOMPARE(adds, answer == QMessageBox::Open ? 2 : 0);
    }

    // A FIFO named like a composition: refused at once with the reason (it used to block the
    // window in open() until something wrote to it), as lamina compose --spec does.
    const QString fifo = dir.filePath(QStringLiteral("project/pipe.json"));
    QVERIFY(::mkfifo(QFile::encodeName(fifo).constData(), 0600) == 0);
    QVERIFY(!panel.loadSpec(fifo, &error));
    QVERIFY2(error.contains(u"not a regular file"), qPrintable(error));
    QString shown;
    QTimer::singleShot(0, &panel, [&] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        QVERIFY(box);
        shown = box->text();
        box->close();
    });
    panel.openSpecFile(fifo);
    QVERIFY2(shown.contains(u"pipe.json: not a regular file"), qPrintable(shown));
}

void TestComposer::compositionPicksItsPlatform()
{
    // A composition file naming its base by platform (lamina compose --platform): the window
    // opens the base and composes on that platform's image.
    QString output;
    QVERIFY2(test::runPython({ test::source(QStringLiteral("tests/fixtures/make_fixtures.py")), m_dir.path() }, &output)
            == 0,
        qPrintable(output));
    const QString spec = m_dir.filePath(QStringLiteral("arm.json"));
    QFile f(spec);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(R"({"base": "oci-dir", "platform": "linux/arm64", "config": {"WorkingDir": "/w"}})");
    f.close();
    MainWindow w;
    w.show();
    QSignalSpy indexed(&w, &MainWindow::layersIndexed);
    QString error;
    QVERIFY2(w.composer()->loadSpec(spec, &error), qPrintable(error));
    QVERIFY(indexed.wait(30000));
    QCOMPARE(w.composer()->composition().baseImage, 1); // linux/arm64/v8, the second image
    QCOMPARE(w.composer()->composition().basePath, m_dir.filePath(QStringLiteral("oci-dir")));
    QCOMPARE(w.composer()->composition().config.workingDir, std::optional<QString>(QStringLiteral("/w")));
    QVERIFY(waitForPreview(*w.composer()));
    QCOMPARE(w.composer()->preview().baseLayers, int(w.current().images.at(1).layers.size()));
}

// Issue 18 item 7: an existing output is replaced only when the user says so, and the next
// export starts in the folder last exported to.
void TestComposer::exportAsksBeforeReplacing()
{
    Composition c = bashOn(nixBase(), QStringLiteral("example:replace"));
    QTemporaryDir folder;
    const QString out = folder.filePath(QStringLiteral("mine.tar"));
    QFile mine(out);
    QVERIFY(mine.open(QIODevice::WriteOnly));
    mine.write("the user's own file");
    mine.close();
    const auto answer = [](const QString &button) {
        QTimer::singleShot(0, [button] {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            QVERIFY(box);
            QCOMPARE(box->objectName(), QStringLiteral("replacePrompt"));
            QVERIFY(box->text().contains(u"mine.tar already exists"));
            for (QAbstractButton *b : box->buttons())
                if (b->text().remove(u'&') == button)
                    b->click();
        });
    };
    ExportDialog dialog(c);
    ExportOptions o;
    o.output = out;
    dialog.setOptions(o);
    answer(QStringLiteral("Cancel"));
    QVERIFY(!dialog.start());
    QVERIFY(dialog.findChild<QLabel *>(QStringLiteral("exportStatus"))->text().contains(u"was kept as it is"));
    QVERIFY(mine.open(QIODevice::ReadOnly));
    QCOMPARE(mine.readAll(), QByteArray("the user's own file"));
    mine.close();

    QSignalSpy finished(&dialog, &ExportDialog::finished);
    answer(QStringLiteral("Replace"));
    QVERIFY(dialog.start());
    QVERIFY(finished.wait(60000));
    QVERIFY2(finished.constFirst().constFirst().toBool(), qPrintable(dialog.result().error));
    QVERIFY(openImageArchive(out).ok());

    // The next export is proposed in that folder, under a name not taken there.
    ExportDialog next(c);
    const QString proposed = next.findChild<QLineEdit *>(QStringLiteral("output"))->text();
    QCOMPARE(QFileInfo(proposed).absolutePath(), QFileInfo(folder.path()).absoluteFilePath());
    QVERIFY(!QFileInfo::exists(proposed));
}

// The name proposed, or typed, gets the ending of the format chosen: no folder called
// "composed.tar", no gzip'd archive called ".tar". A name of the user's own making stays.
void TestComposer::exportNameFollowsTheFormat()
{
    Composition c = bashOn(nixBase(), QStringLiteral("example:names"));
    ExportDialog dialog(c);
    auto *output = dialog.findChild<QLineEdit *>(QStringLiteral("output"));
    auto *format = dialog.findChild<QComboBox *>(QStringLiteral("format"));
    auto *compress = dialog.findChild<QComboBox *>(QStringLiteral("compress"));
    QVERIFY(output && format && compress);
    output->setText(QStringLiteral("/tmp/out/mine.tar"));
    format->setCurrentIndex(format->findData(int(ExportFormat::OciDir)));
    QCOMPARE(output->text(), QStringLiteral("/tmp/out/mine"));
    format->setCurrentIndex(format->findData(int(ExportFormat::Oci)));
    QCOMPARE(output->text(), QStringLiteral("/tmp/out/mine.tar"));
    compress->setCurrentIndex(compress->findData(int(Compression::Gzip)));
    QCOMPARE(output->text(), QStringLiteral("/tmp/out/mine.tar.gz"));
    compress->setCurrentIndex(compress->findData(int(Compression::Zstd)));
    QCOMPARE(output->text(), QStringLiteral("/tmp/out/mine.tar.zst"));
    format->setCurrentIndex(format->findData(int(ExportFormat::OciDir)));
    QCOMPARE(output->text(), QStringLiteral("/tmp/out/mine"));
    output->setText(QStringLiteral("/tmp/out/image.v2"));
    format->setCurrentIndex(format->findData(int(ExportFormat::Docker)));
    QCOMPARE(output->text(), QStringLiteral("/tmp/out/image.v2"));
    QCOMPARE(ExportDialog::withEndingFor(QStringLiteral("a.tgz"), false, Compression::None), QStringLiteral("a.tar"));
    QCOMPARE(ExportDialog::withEndingFor(QStringLiteral(".tar"), true, Compression::None), QStringLiteral(".tar"));
}

// A command the image does not have is a check of the composition, not a finding of the archive:
// `lamina check` of the output says nothing of it, so neither does the line about the archive.
void TestComposer::exportTellsImageChecksApart()
{
    Composition c = bashOn(nixBase(), QStringLiteral("example:checks"));
    c.config.cmd = QStringList { QStringLiteral("/no/such/tool") };
    QTemporaryDir folder;
    ExportDialog dialog(c);
    ExportOptions o;
    o.output = folder.filePath(QStringLiteral("checks.tar"));
    dialog.setOptions(o);
    QSignalSpy finished(&dialog, &ExportDialog::finished);
    QVERIFY(dialog.start());
    QVERIFY(finished.wait(60000));
    QVERIFY2(finished.constFirst().constFirst().toBool(), qPrintable(dialog.result().error));
    QVERIFY(std::any_of(dialog.result().preflight.begin(), dialog.result().preflight.end(),
        [](const Finding &f) { return f.code == u"command-not-found"; }));
    const QString status = dialog.findChild<QLabel *>(QStringLiteral("exportStatus"))->text();
    QVERIFY2(status.contains(u"the archive's checks passed") && !status.contains(u"written archive has findings")
            && status.contains(u"Checks of the image's settings") && status.contains(u"command-not-found"),
        qPrintable(status));
    // Another format chosen: what was written is no longer what the form says.
    auto *open = dialog.findChild<QPushButton *>(QStringLiteral("openResult"));
    QVERIFY(!open->isHidden());
    auto *format = dialog.findChild<QComboBox *>(QStringLiteral("format"));
    format->setCurrentIndex(format->findData(int(ExportFormat::OciDir)));
    QVERIFY(open->isHidden());
    QVERIFY(dialog.findChild<QLabel *>(QStringLiteral("exportStatus"))->text().isEmpty());
}

// Issue 21: the export dialog loads what it wrote into an engine, as `compose --load` does,
// offering only the engines that take the format chosen, and says what the engine answered.
void TestComposer::exportLoadsIntoAnEngine()
{
    Composition c = bashOn(nixBase(), QStringLiteral("example:load"));
    QTemporaryDir folder;
    ExportDialog dialog(c);
    ExportOptions o;
    o.output = folder.filePath(QStringLiteral("loaded.tar"));
    o.format = ExportFormat::OciDir;
    dialog.setOptions(o);
    // Neither engine loads a folder; Docker does not load an OCI archive, podman does.
    dialog.setLoadInto(EngineReference::Engine::Docker);
    QCOMPARE(dialog.loadInto(), std::nullopt);
    o.format = ExportFormat::Oci;
    dialog.setOptions(o);
    dialog.setLoadInto(EngineReference::Engine::Docker);
    QCOMPARE(dialog.loadInto(), std::nullopt);
    dialog.setLoadInto(EngineReference::Engine::Podman);
    QCOMPARE(dialog.loadInto(), std::optional(EngineReference::Engine::Podman));
    o.format = ExportFormat::Docker;
    dialog.setOptions(o);
    dialog.setLoadInto(EngineReference::Engine::Docker);
    QCOMPARE(dialog.loadInto(), std::optional(EngineReference::Engine::Docker));

    const QString sock = folder.filePath(QStringLiteral("docker.sock"));
    qputenv("DOCKER_HOST", QFile::encodeName(u"unix://" + sock));
    auto *status = dialog.findChild<QLabel *>(QStringLiteral("exportStatus"));
    QSignalSpy finished(&dialog, &ExportDialog::finished);
    {
        test::FakeEngine engine(sock,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + test::chunked("{\"stream\":\"Loaded image: example:load\\n\"}\r\n"));
        QVERIFY(dialog.start());
        QVERIFY(finished.wait(60000));
        QVERIFY(finished.constLast().constFirst().toBool());
        // The engine was handed the whole file just written, verified first.
        const QByteArray request = engine.request();
        QVERIFY2(request.startsWith("POST /images/load?quiet=1 HTTP/1.1\r\n"), request.constData());
        QVERIFY(
            request.contains(QByteArray("Content-Length: " + QByteArray::number(QFileInfo(o.output).size()) + "\r\n")));
    }
    QVERIFY(dialog.outcome().loadTried);
    QVERIFY2(dialog.outcome().loaded.error.isEmpty(), qPrintable(dialog.outcome().loaded.error));
    QVERIFY2(status->text().contains(u"Loaded into the Docker engine") && status->text().contains(u"example:load"),
        qPrintable(status->text()));

    // No engine there: the file is written and kept, and the dialog says why it was not loaded.
    QFile::remove(sock);
    QVERIFY(QFile::remove(o.output));
    QVERIFY(dialog.start());
    QVERIFY(finished.wait(60000));
    qunsetenv("DOCKER_HOST");
    QVERIFY(openImageArchive(o.output).ok());
    QVERIFY(!dialog.outcome().loaded.error.isEmpty());
    QVERIFY2(status->text().contains(u"Written, but not loaded") && status->text().contains(sock),
        qPrintable(status->text()));
}

// Issue 21: "Push to a registry" in the export dialog does what `compose -o registry://…` does:
// the image written as an OCI layout, checked, pushed (the manifest last), and the folder let go;
// "Open result" names the pushed reference with its digest.
void TestComposer::exportPushesToARegistry()
{
    const test::FakeRegistry registry;
    QVERIFY(registry.ok());
    QTemporaryDir cache;
    qputenv("XDG_CACHE_HOME", QFile::encodeName(cache.path()));
    const auto restore = qScopeGuard([&] { qunsetenv("XDG_CACHE_HOME"); });
    const Composition c = bashOn(nixBase(), QStringLiteral("example:push"));
    ExportDialog dialog(c);
    auto *output = dialog.findChild<QLineEdit *>(QStringLiteral("output"));
    auto *status = dialog.findChild<QLabel *>(QStringLiteral("exportStatus"));
    QVERIFY(output && status);
    const QString file = output->text();
    dialog.setPushing(true);
    QVERIFY(dialog.pushing());
    QCOMPARE(output->text(), QStringLiteral("registry://localhost:5000/composed:latest"));
    QCOMPARE(dialog.loadInto(), std::nullopt);
    QVERIFY(!dialog.findChild<QComboBox *>(QStringLiteral("loadInto"))->isEnabled());
    // A digest is the registry's to compute: refused before any work.
    output->setText(registry.reference(QStringLiteral("lamina/pushed@sha256:")) + QString(64, u'0'));
    QVERIFY(!dialog.start());
    QVERIFY2(status->text().contains(u"a push names a tag"), qPrintable(status->text()));

    const QString to = registry.reference(QStringLiteral("lamina/pushed:1"));
    output->setText(to);
    QSignalSpy finished(&dialog, &ExportDialog::finished);
    QSignalSpy opened(&dialog, &ExportDialog::openResult);
    QVERIFY(dialog.start());
    QVERIFY(finished.wait(60000));
    QVERIFY2(finished.constLast().constFirst().toBool(), qPrintable(status->text()));
    QVERIFY(dialog.outcome().pushTried);
    QVERIFY2(dialog.outcome().pushed.error.isEmpty(), qPrintable(dialog.outcome().pushed.error));
    const ImageArchive base = openImageArchive(nixBase());
    // A registry without the base: its layers and the new config are sent, the manifest after.
    QCOMPARE(dialog.outcome().pushed.blobsSent, int(base.images.at(0).layers.size()) + 1);
    QVERIFY(dialog.outcome().pushedTo.startsWith(to + u'@' + dialog.outcome().pushed.digest));
    QVERIFY2(status->text().contains(u"Pushed") && status->text().contains(u"pushed to the registry at 127.0.0.1:"),
        qPrintable(status->text()));
    QVERIFY2(!status->text().contains(u"Predicted"), qPrintable(status->text())); // pulled, not loaded
    // Nothing of the push is left in the cache.
    QVERIFY(QDir(cache.filePath(QStringLiteral("lamina/registry")))
                .entryList({ QStringLiteral("push-*") }, QDir::Dirs | QDir::Hidden)
                .isEmpty());
    // Read back from the registry: the base's layers, the config as written.
    const ImageArchive pushed = openImageArchive(dialog.outcome().pushedTo);
    QVERIFY2(pushed.ok(), qPrintable(pushed.errors.join(u'\n')));
    QCOMPARE(pushed.images.size(), 1);
    QCOMPARE(pushed.images.at(0).configDigest.section(u':', 1), dialog.result().imageId.section(u':', 1));
    QCOMPARE(pushed.images.at(0).layers.size(), base.images.at(0).layers.size());
    for (int i = 0; i < base.images.at(0).layers.size(); ++i)
        QCOMPARE(pushed.images.at(0).layers.at(i).diffId, base.images.at(0).layers.at(i).diffId);
    QTest::mouseClick(dialog.findChild<QPushButton *>(QStringLiteral("openResult")), Qt::LeftButton);
    QCOMPARE(opened.size(), 1);
    QCOMPARE(opened.constFirst().constFirst().toString(), dialog.outcome().pushedTo);
    QCOMPARE(opened.constFirst().at(1).toBool(), false); // verified as ever
    // Another format brings the file back.
    dialog.setPushing(false);
    QCOMPARE(output->text(), file);
}

// A push to a registry whose certificate is its own: refused unless the export was told not to
// verify it (as the base was opened: "Don't verify the registry's certificate"); "Open result"
// then opens the pushed image without verifying it either, where it used to ask to verify and fail.
void TestComposer::pushedWithoutVerifyingOpensSo()
{
    QTemporaryDir dir;
    QString cert, key;
    QVERIFY(test::selfSignedCertificate(QDir(dir.path()), &cert, &key));
    const test::FakeRegistry registry(QStringLiteral("ok"), { QStringLiteral("--tls"), cert, key });
    QVERIFY(registry.ok());
    qputenv("XDG_CACHE_HOME", QFile::encodeName(dir.filePath(QStringLiteral("cache"))));
    const auto restore = qScopeGuard([&] { qunsetenv("XDG_CACHE_HOME"); });
    const Composition c = bashOn(nixBase(), QStringLiteral("example:push"));
    const QString to = registry.reference(QStringLiteral("lamina/pushed:1"));
    {
        ExportDialog dialog(c);
        dialog.setPushing(true);
        dialog.findChild<QLineEdit *>(QStringLiteral("output"))->setText(to);
        QSignalSpy finished(&dialog, &ExportDialog::finished);
        QVERIFY(dialog.start());
        QVERIFY(finished.wait(60000));
        QVERIFY(!finished.constLast().constFirst().toBool());
        QVERIFY2(dialog.outcome().pushed.error.contains(u"is not trusted"), qPrintable(dialog.outcome().pushed.error));
    }
    ExportDialog dialog(c);
    RegistryOptions insecure;
    insecure.insecure = true;
    dialog.setRegistryOptions(insecure);
    dialog.setPushing(true);
    dialog.findChild<QLineEdit *>(QStringLiteral("output"))->setText(to);
    QSignalSpy finished(&dialog, &ExportDialog::finished);
    QSignalSpy opened(&dialog, &ExportDialog::openResult);
    QVERIFY(dialog.start());
    QVERIFY(finished.wait(60000));
    QVERIFY2(finished.constLast().constFirst().toBool(), qPrintable(dialog.outcome().pushed.error));
    QTest::mouseClick(dialog.findChild<QPushButton *>(QStringLiteral("openResult")), Qt::LeftButton);
    QCOMPARE(opened.size(), 1);
    QCOMPARE(opened.constFirst().at(1).toBool(), true);
    // And the window opens it so: the image comes, said to be had without verifying.
    MainWindow w;
    QSignalSpy loaded(&w, &MainWindow::archiveLoaded);
    w.openChosenImage(opened.constFirst().constFirst().toString(), opened.constFirst().at(1).toBool());
    QVERIFY(loaded.wait(30000));
    QVERIFY2(w.current().origin.contains(u"without verifying its certificate"), qPrintable(w.current().origin));
}

// Issue 18 item 6: closing the window or opening another archive asks before an unsaved
// composition goes; Cancel keeps everything as it was.
void TestComposer::unsavedCompositionIsNotLostSilently()
{
    MainWindow w;
    w.show();
    QSignalSpy indexed(&w, &MainWindow::layersIndexed);
    w.openPath(nixBase());
    QVERIFY(indexed.wait(30000));
    w.composer()->setWorkingDir(QStringLiteral("/srv"));
    QVERIFY(w.composer()->document()->isModified());
    const auto answer = [](QMessageBox::StandardButton button, bool *asked) {
        QTimer::singleShot(0, [button, asked] {
            auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
            QVERIFY(box);
            QCOMPARE(box->objectName(), QStringLiteral("savePrompt"));
            *asked = true;
            box->button(button)->click();
        });
    };
    bool asked = false;
    answer(QMessageBox::Cancel, &asked);
    QVERIFY(!w.close());
    QVERIFY(asked && w.isVisible());
    asked = false;
    answer(QMessageBox::Cancel, &asked);
    const QString other = test::corpus(QStringLiteral("cimage__almostempty.tar"));
    w.openAsked(other);
    QVERIFY(asked);
    QCOMPARE(w.composer()->composition().config.workingDir.value_or(QString()), QStringLiteral("/srv"));

    // Discard: the archive opens, the composer is empty and nothing is left to save.
    asked = false;
    answer(QMessageBox::Discard, &asked);
    QSignalSpy loaded(&w, &MainWindow::archiveLoaded);
    w.openAsked(other);
    QVERIFY(asked);
    QVERIFY(loaded.wait(30000));
    QVERIFY(!w.composer()->composition().config.workingDir.has_value());
    QVERIFY(!w.composer()->document()->isModified());

    // Saved: closing asks nothing (a prompt here would fail the test: nobody answers it).
    w.composer()->setWorkingDir(QStringLiteral("/srv"));
    QString error;
    QVERIFY2(w.composer()->saveSpec(m_dir.filePath(QStringLiteral("kept.json")), &error), qPrintable(error));
    QVERIFY(!w.composer()->document()->isModified());
    QVERIFY(w.close());
}

// Issue 18 item 6: an unsaved composition is kept on disk shortly after each edit, offered again
// by the next run, and gone once saved or discarded.
void TestComposer::autosaveRestoresAfterACrash()
{
    CompositionAutosave::discard();
    {
        ComposerPanel panel;
        setNixBase(panel);
        panel.setWorkingDir(QStringLiteral("/after-crash"));
        QTRY_VERIFY_WITH_TIMEOUT(CompositionAutosave::leftOver().isValid(), 30000);
        QFile kept(CompositionAutosave::path());
        QVERIFY(kept.open(QIODevice::ReadOnly));
        QVERIFY(kept.readAll().contains("/after-crash"));
    } // gone without closing, as in a crash: the copy stays

    QVERIFY(CompositionAutosave::leftOver().isValid());
    ComposerPanel next;
    QTimer::singleShot(0, [] {
        auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget());
        QVERIFY(box);
        QCOMPARE(box->objectName(), QStringLiteral("restorePrompt"));
        // Restoring opens the base in place of the archive shown: the question says which.
        QVERIFY2(box->text().contains(QDir::toNativeSeparators(nixBase())) && box->text().contains(u"in place of"),
            qPrintable(box->text()));
        for (QAbstractButton *b : box->buttons())
            if (b->text().remove(u'&') == u"Restore")
                b->click();
    });
    QSignalSpy requested(&next, &ComposerPanel::baseRequested); // the window opens the base it names
    next.offerRestore();
    QCOMPARE(next.composition().config.workingDir.value_or(QString()), QStringLiteral("/after-crash"));
    QCOMPARE(requested.size(), 1);
    QCOMPARE(requested.constFirst().constFirst().toString(), nixBase());
    QVERIFY(next.document()->isModified()); // restored, not saved
    next.discard();
    QVERIFY(!CompositionAutosave::leftOver().isValid());
}

// Issue 18 item 7: the composition is named as its base until the user names it otherwise.
void TestComposer::baseTagsAreKeptUntilEdited()
{
    CompositionDocument d;
    d.setBase(QStringLiteral("/a.tar"), 0, {}, { QStringLiteral("app:1") });
    QCOMPARE(d.composition().tags, QStringList { QStringLiteral("app:1") });
    d.setBase(QStringLiteral("/b.tar"), 0, {}, { QStringLiteral("other:2") });
    QCOMPARE(d.composition().tags, QStringList { QStringLiteral("other:2") });
    d.editSettings(CompositionDocument::TagsField,
        [](CompositionDocument::Settings &s) { s.tags = QStringList { QStringLiteral("mine:3") }; });
    d.setBase(QStringLiteral("/c.tar"), 0, {}, { QStringLiteral("third:4") });
    QCOMPARE(d.composition().tags, QStringList { QStringLiteral("mine:3") });
}

void TestComposer::exportRefusesTheBase()
{
    const QString copy = m_dir.filePath(QStringLiteral("base-copy.tar"));
    QVERIFY(QFile::copy(nixBase(), copy));
    Composition c = bashOn(copy);
    ExportDialog dialog(c);
    ExportOptions o;
    o.output = copy;
    dialog.setOptions(o);
    QVERIFY(!dialog.start());
    QVERIFY(dialog.findChild<QLabel *>(QStringLiteral("exportStatus"))->text().contains(u"overwrite the base image"));
    // Through a second name for the same file, too.
    const QString link = m_dir.filePath(QStringLiteral("link.tar"));
    QVERIFY(QFile::link(copy, link));
    o.output = link;
    dialog.setOptions(o);
    QVERIFY(!dialog.start());
    // Cancelled at once: nothing written, said so. A big (sparse) host file keeps the worker busy
    // long enough for the click to land first.
    const QString big = m_dir.filePath(QStringLiteral("big.bin"));
    QFile bigFile(big);
    QVERIFY(bigFile.open(QIODevice::WriteOnly) && bigFile.resize(256ll << 20));
    bigFile.close();
    LayerSpec layer;
    LayerOp add;
    add.kind = LayerOp::AddHost;
    add.hostPath = big;
    add.imagePath = QStringLiteral("/big.bin");
    layer.ops << add;
    c.layers << layer;
    ExportDialog busy(c);
    o.output = m_dir.filePath(QStringLiteral("cancelled.tar"));
    busy.setOptions(o);
    QSignalSpy finished(&busy, &ExportDialog::finished);
    QVERIFY(busy.start());
    QVERIFY(busy.running());
    busy.findChild<QPushButton *>(QStringLiteral("cancel"))->click();
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.constFirst().constFirst().toBool(), false);
    QVERIFY(busy.findChild<QLabel *>(QStringLiteral("exportStatus"))->text().contains(u"Cancelled"));
    QVERIFY(!QFileInfo::exists(o.output));
    QCOMPARE(
        QDir(m_dir.path()).entryList({ QStringLiteral("*.lamina-part-*") }, QDir::AllEntries | QDir::Hidden).size(), 0);
}

void TestComposer::exportFormats_data()
{
    QTest::addColumn<int>("format");
    QTest::addColumn<int>("compress");
    QTest::addColumn<QStringList>("loads");
    QTest::addColumn<QStringList>("refused");
    // The loader ranges the dialog lists, from the re-check of the written file: a gzip'd
    // docker-archive is refused by podman 4.3 and containerd 1.6, an OCI archive by Docker ≤ 28
    // (docs/loaders.md).
    QTest::newRow("docker archive, gzip'd")
        << int(ExportFormat::Docker) << int(Compression::Gzip) << QStringList { QStringLiteral("Docker 1.10–24") }
        << QStringList { QStringLiteral("podman: refuses (archive-compressed)"),
               QStringLiteral("containerd 1.6–1.7: refuses (archive-compressed)") };
    QTest::newRow("Docker 25 layout") << int(ExportFormat::DockerOci) << int(Compression::None)
                                      << QStringList { QStringLiteral("Docker 1.10–24"), QStringLiteral("podman"),
                                             QStringLiteral("containerd 1.6–1.7") }
                                      << QStringList {};
    QTest::newRow("OCI archive") << int(ExportFormat::Oci) << int(Compression::None)
                                 << QStringList { QStringLiteral("containerd 1.6–1.7"), QStringLiteral("podman") }
                                 << QStringList { QStringLiteral("Docker 1.10–24: refuses (oci-only)") };
    // A folder is judged as the tar of its contents, which Docker ≤ 28 refuses as it does the archive.
    QTest::newRow("OCI folder") << int(ExportFormat::OciDir) << int(Compression::None)
                                << QStringList { QStringLiteral("podman") }
                                << QStringList { QStringLiteral("Docker 1.10–24: refuses (oci-only)") };
}

void TestComposer::exportFormats()
{
    QFETCH(int, format);
    QFETCH(int, compress);
    QFETCH(QStringList, loads);
    QFETCH(QStringList, refused);
    ComposerPanel panel;
    setNixBase(panel);
    panel.setWorkingDir(QStringLiteral("/srv/app"));
    panel.setShellCommand(QStringLiteral("ls"));
    ExportDialog *dialog = panel.openExportDialog();
    ExportOptions o;
    o.format = ExportFormat(format);
    o.compress = Compression(compress);
    o.layerCompression = Compression::Zstd;
    o.output = m_dir.filePath(QStringLiteral("format-%1").arg(format));
    dialog->setOptions(o);
    QCOMPARE(int(dialog->options().format), format);
    QSignalSpy finished(dialog, &ExportDialog::finished);
    QVERIFY(dialog->start());
    QVERIFY(finished.wait(60000));
    QVERIFY2(finished.constFirst().constFirst().toBool(), qPrintable(dialog->result().error));
    const QString status = dialog->findChild<QLabel *>(QStringLiteral("exportStatus"))->text();
    const bool folder = format == int(ExportFormat::OciDir);
    QCOMPARE(status.contains(u"given a tar of the folder"), folder);
    QCOMPARE(status.contains(u"The written folder has findings"), folder); // oci-only, of the folder
    const QString loadsLine
        = status
              .section(
                  folder ? QStringLiteral("given a tar of the folder: ") : QStringLiteral("Predicted to load in: "), 1)
              .section(u'<', 0, 0);
    for (const QString &range : std::as_const(loads))
        QVERIFY2(loadsLine.contains(range), qPrintable(status));
    for (const QString &line : std::as_const(refused))
        QVERIFY2(
            status.section(QStringLiteral("Predicted not to load as written"), 1).contains(line), qPrintable(status));
    QVERIFY2(refused.isEmpty() == !status.contains(u"Predicted not to load as written"), qPrintable(status));
    if (format == int(ExportFormat::DockerOci))
        QVERIFY2(status.contains(u"Re-opened and verified by Lamina"), qPrintable(status));
    const ImageArchive ia = openImageArchive(o.output);
    QVERIFY(ia.ok());
    QCOMPARE(ia.images.at(0).configDigest, dialog->result().imageId);
    QCOMPARE(ia.images.at(0).config->config.value(u"WorkingDir").toString(), QStringLiteral("/srv/app"));
    // "Open result" hands the written path on (the window opens it in a new window).
    QSignalSpy open(&panel, &ComposerPanel::openResult);
    dialog->findChild<QPushButton *>(QStringLiteral("openResult"))->click();
    QCOMPARE(open.size(), 1);
    QCOMPARE(open.constFirst().constFirst().toString(), o.output);
    // The next command line uses what was exported.
    QString why;
    QVERIFY(panel.commandLine(&why).contains(shellQuote(o.output)));
    dialog->close();
}

void TestComposer::noVerifiedLineWithFindings()
{
    // A set-uid file and a command that is not there: exported, but not called verified.
    ComposerPanel panel;
    setNixBase(panel);
    LayerOp tool;
    tool.kind = LayerOp::WriteText;
    tool.imagePath = QStringLiteral("/usr/local/bin/tool");
    tool.mode = 04755;
    panel.addOp(tool);
    panel.setShellCommand(QStringLiteral("ls"));
    Composition c = panel.composition();
    c.config.entrypoint = QStringList { QStringLiteral("tini") };
    panel.setComposition(c);
    ExportDialog *dialog = panel.openExportDialog();
    ExportOptions o;
    o.output = m_dir.filePath(QStringLiteral("with-findings.tar"));
    dialog->setOptions(o);
    QSignalSpy finished(dialog, &ExportDialog::finished);
    QVERIFY(dialog->start());
    QVERIFY(finished.wait(60000));
    QVERIFY(finished.constFirst().constFirst().toBool());
    const QString status = dialog->findChild<QLabel *>(QStringLiteral("exportStatus"))->text();
    // The archive itself is sound, and says so; no all-clear for the image.
    QVERIFY2(!status.contains(u"✔") && !status.contains(u"every check passed")
            && status.contains(u"the archive's checks passed"),
        qPrintable(status));
    QVERIFY(status.contains(u"setuid-file") && status.contains(u"command-not-found"));
    dialog->close();
}

void TestComposer::modeTextAndBits()
{
    QCOMPARE(parseMode(QStringLiteral("0755")), std::optional<quint32>(0755));
    QCOMPARE(parseMode(QStringLiteral("rwsr-xr-x")), std::optional<quint32>(04755));
    QCOMPARE(parseMode(QStringLiteral("rwxrwxrwt")), std::optional<quint32>(01777));
    QCOMPARE(parseMode(QStringLiteral("rw-r-Sr--")), std::optional<quint32>(02644));
    QCOMPARE(parseMode(QStringLiteral("0999")), std::nullopt);
    QCOMPARE(parseMode(QStringLiteral("rwxq-xr-x")), std::nullopt);
    QCOMPARE(parseMode(QStringLiteral("17777")), std::nullopt);
    ModeEdit edit;
    QSignalSpy changed(&edit, &ModeEdit::modeChanged);
    edit.setMode(0644);
    const QList<QCheckBox *> boxes = edit.findChildren<QCheckBox *>();
    QCOMPARE(boxes.size(), 12);
    int checked = 0;
    for (QCheckBox *b : boxes)
        checked += b->isChecked() ? 1 : 0;
    QCOMPARE(checked, 4); // rw- r-- r--
    for (QCheckBox *b : boxes)
        if (b->text() == u"set-uid")
            b->click();
    QCOMPARE(edit.mode(), 04644u);
    QCOMPARE(edit.text(), QStringLiteral("4644"));
    auto *text = edit.findChild<QLineEdit *>(QStringLiteral("modeText"));
    text->clear();
    QTest::keyClicks(text, QStringLiteral("0750"));
    QCOMPARE(edit.mode(), 0750u);
    QVERIFY(changed.size() >= 2);
}

void TestComposer::modelPassesTheTester()
{
    CompositionDocument document;
    QUndoStack &undo = *document.undoStack();
    ComposerModel model(&document);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto op = [](const char *path) {
        LayerOp o;
        o.kind = LayerOp::Mkdir;
        o.imagePath = QString::fromLatin1(path);
        return o;
    };
    for (int i = 0; i < 3; ++i)
        document.addLayer(i);
    document.addOp(0, op("/a"));
    document.addOp(0, op("/b"));
    document.addOp(1, op("/c"));
    document.addOp(2, op("/d"));
    document.addOp(2, op("/e"), 0);
    QCOMPARE(model.op(2, 0).imagePath, QStringLiteral("/e"));
    document.moveLayer(0, 2);
    QCOMPARE(model.op(2, 1).imagePath, QStringLiteral("/b"));
    QCOMPARE(model.parent(model.opIndex(2, 1)).row(), 2);
    document.moveLayer(2, 0);
    document.moveOp(0, 0, 1);
    QCOMPARE(model.op(0, 1).imagePath, QStringLiteral("/a"));
    document.setOp(1, 0, op("/c2"));
    QCOMPARE(model.index(0, ComposerModel::PathColumn, model.layerIndex(1)).data().toString(), QStringLiteral("/c2"));
    document.removeOp(0, 0);
    document.removeLayer(1);
    QCOMPARE(model.layerCount(), 2);
    while (undo.canUndo())
        undo.undo();
    QCOMPARE(model.layerCount(), 0);
    while (undo.canRedo())
        undo.redo();
    QCOMPARE(model.layerCount(), 2);
    QCOMPARE(model.opCount(0), 1);
    QCOMPARE(model.op(0, 0).imagePath, QStringLiteral("/a"));
    QCOMPARE(model.op(1, 0).imagePath, QStringLiteral("/e"));
    document.setLayers({ LayerSpec(), LayerSpec() });
    QCOMPARE(model.layerCount(), 2);
}

void TestComposer::typingNeverWaitsForThePreview()
{
    // The preview runs on a worker after a pause: while a command is typed the UI thread does
    // none of its work. LAMINA_COMPOSER_BASE=big.tar tries another base.
    ComposerPanel panel;
    panel.show();
    const QString other = qEnvironmentVariable("LAMINA_COMPOSER_BASE");
    if (other.isEmpty()) {
        setNixBase(panel);
    } else {
        const ImageArchive ia = openImageArchive(other);
        QVERIFY(ia.ok());
        panel.setBase(ia, 0, indexImageLayers(ia, 0).layers);
    }
    QElapsedTimer previewClock;
    previewClock.start();
    QVERIFY(waitForPreview(panel));
    const qint64 firstPreview = previewClock.restart();
    LayerOp add;
    add.kind = LayerOp::AddHost;
    add.hostPath = test::source(QStringLiteral("resources/samples"));
    add.imagePath = QStringLiteral("/samples");
    panel.addOp(add);
    QVERIFY(waitForPreview(panel));
    qInfo("preview: %lld ms with the base alone, %lld ms after adding a folder (including the 250 ms pause)",
        static_cast<long long>(firstPreview), static_cast<long long>(previewClock.elapsed()));
    // While typing, the UI thread decompresses, indexes and builds no tree: every preview is a
    // worker's (bounded as work, not timed: a busy machine must not fail this).
    work::counters().mainThreadWork = 0;
    auto *cmd = panel.findChild<ArgvEdit *>(QStringLiteral("cmd"));
    cmd->setShellForm(true);
    QTest::keyClicks(cmd->findChild<QLineEdit *>(QStringLiteral("shellCommand")),
        QStringLiteral("cat /samples/README.md"), Qt::NoModifier, 30);
    QVERIFY(waitForPreview(panel));
    QCOMPARE(work::counters().mainThreadWork.load(), qint64(0));
    if (other.isEmpty())
        QVERIFY(panel.preview().findings.isEmpty()); // the nix base has cat
}

// "−" and "◀" act on the argument selected in the list: off while none is (clicked, they did
// nothing and said nothing).
void TestComposer::argumentButtonsNeedASelection()
{
    ArgvEdit edit(true);
    edit.setArgv(QStringList { QStringLiteral("/bin/app"), QStringLiteral("--serve") });
    auto *list = edit.findChild<QListWidget *>(QStringLiteral("arguments"));
    auto *remove = edit.findChild<QToolButton *>(QStringLiteral("removeArgument"));
    auto *earlier = edit.findChild<QToolButton *>(QStringLiteral("moveArgumentEarlier"));
    QVERIFY(list && remove && earlier);
    list->setCurrentRow(-1);
    QVERIFY(!remove->isEnabled() && !earlier->isEnabled());
    list->setCurrentRow(0);
    QVERIFY(remove->isEnabled() && !earlier->isEnabled());
    list->setCurrentRow(1);
    QVERIFY(remove->isEnabled() && earlier->isEnabled());
    earlier->click();
    QCOMPARE(edit.argv(), std::optional<QStringList>({ QStringLiteral("--serve"), QStringLiteral("/bin/app") }));
    QVERIFY(remove->isEnabled() && !earlier->isEnabled()); // now first
    remove->click();
    remove->click();
    QCOMPARE(list->count(), 0);
    QVERIFY(!remove->isEnabled() && !earlier->isEnabled());
}

void TestComposer::oneUndoStackForLayersAndSettings()
{
    // Layers and settings are one composition with one history: undo takes back the last edit,
    // whichever part it was, and two undos after two edits give the composition back.
    CompositionDocument document;
    const QJsonObject before = compositionToJson(document.composition());
    QSignalSpy changed(&document, &CompositionDocument::changed);
    const QString file = m_dir.filePath(QStringLiteral("one-stack.txt"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("x\n");
    f.close();
    document.addLayer(0);
    LayerOp add;
    add.kind = LayerOp::AddHost;
    add.hostPath = file;
    add.imagePath = QStringLiteral("/srv/one-stack.txt");
    document.undoStack()->beginMacro(QStringLiteral("add a file"));
    document.addOp(0, add);
    document.undoStack()->endMacro();
    document.setWorkingDir(QStringLiteral("/srv"));
    document.setWorkingDir(QStringLiteral("/srv")); // no change: no step
    QCOMPARE(document.undoStack()->count(), 3);
    QVERIFY(changed.size() >= 3);
    const QJsonObject after = compositionToJson(document.composition());
    document.undoStack()->undo(); // the working folder, the later edit
    QVERIFY(!document.composition().config.workingDir);
    QCOMPARE(document.composition().layers.value(0).ops.size(), 1);
    document.undoStack()->undo(); // the file
    QCOMPARE(document.opCount(0), 0);
    QCOMPARE(document.composition().layers.size(), 0); // an empty layer is left out
    document.undoStack()->undo(); // the layer
    QCOMPARE(compositionToJson(document.composition()), before);
    while (document.undoStack()->canRedo())
        document.undoStack()->redo();
    QCOMPARE(compositionToJson(document.composition()), after);
    // Loading a composition starts a new history.
    document.setComposition(Composition());
    QVERIFY(!document.undoStack()->canUndo());
    QCOMPARE(compositionToJson(document.composition()), before);
}

void TestComposer::modelAndFormFollowTheDocument()
{
    // The layer tree and the config form show the one document: an edit made in either, or
    // through the document, and its undo and redo, reach both.
    ComposerPanel panel;
    panel.show();
    setNixBase(panel);
    CompositionDocument *document = panel.document();
    ComposerModel *model = panel.model();
    auto *workdir = panel.findChild<QLineEdit *>(QStringLiteral("workingDir"));
    auto *user = panel.findChild<QLineEdit *>(QStringLiteral("user"));
    QVERIFY(workdir && user);
    QSignalSpy layersChanged(model, &ComposerModel::layersChanged);
    document->addLayer(0);
    LayerOp mkdir;
    mkdir.kind = LayerOp::Mkdir;
    mkdir.imagePath = QStringLiteral("/data");
    document->addOp(0, mkdir);
    QCOMPARE(model->opCount(0), 1);
    QCOMPARE(
        model->index(0, ComposerModel::PathColumn, model->layerIndex(0)).data().toString(), QStringLiteral("/data"));
    QVERIFY(layersChanged.size() >= 2);
    QTest::keyClicks(workdir, QStringLiteral("/data")); // in the form
    QCOMPARE(document->settings().config.workingDir, std::optional<QString>(QStringLiteral("/data")));
    QVERIFY(model->setData(model->opIndex(0, 0, ComposerModel::PathColumn), QStringLiteral("/var"), Qt::EditRole));
    QCOMPARE(document->op(0, 0).imagePath, QStringLiteral("/var")); // in the tree
    document->editSettings(CompositionDocument::UserField,
        [](CompositionDocument::Settings &s) { s.config.user = QStringLiteral("app"); });
    QCOMPARE(user->text(), QStringLiteral("app")); // through the document
    QUndoStack *undo = document->undoStack();
    undo->undo();
    QCOMPARE(user->text(), QString());
    undo->undo();
    QCOMPARE(
        model->index(0, ComposerModel::PathColumn, model->layerIndex(0)).data().toString(), QStringLiteral("/data"));
    undo->undo();
    QCOMPARE(workdir->text(), QString());
    undo->undo();
    QCOMPARE(model->opCount(0), 0);
    undo->redo();
    undo->redo();
    QCOMPARE(workdir->text(), QStringLiteral("/data"));
    QCOMPARE(model->opCount(0), 1);
    // The preview follows too: the folder is in the result.
    QVERIFY(waitForPreview(panel));
    auto *result = qobject_cast<FileTreeModel *>(panel.findChild<QTreeView *>(QStringLiteral("resultTree"))->model());
    QVERIFY(result->indexOfPath("data").isValid());
}

void TestComposer::closingThePanelWaitsForNoPreview()
{
    // A preview job is in flight (held in the pool's queue here) when the panel goes: the
    // panel's destructor returns without waiting for it, and the job, run later, delivers into
    // nothing. Before, the destructor waited for the job, so the hold below gave up.
    auto *panel = new ComposerPanel;
    setNixBase(*panel);
    QVERIFY(waitForPreview(*panel));
    auto *preview = panel->findChild<LivePreview *>();
    QVERIFY(preview);
    PoolHold hold;
    QVERIFY(hold.hold());
    panel->setWorkingDir(QStringLiteral("/srv"));
    QTRY_VERIFY(preview->computing()); // the pause is over: the job is queued
    delete panel;
    QCOMPARE(hold.gaveUp.load(), 0);
    QVERIFY(hold.release());
    QCoreApplication::processEvents();
    QCOMPARE(hold.gaveUp.load(), 0);
}

void TestComposer::newerPreviewReplacesOlder()
{
    // Two previews in flight: the older is superseded and never shown, the newer is.
    ComposerPanel panel;
    const ImageArchive ia = openImageArchive(nixBase());
    const MergedTree::Layers layers = indexImageLayers(ia, 0).layers;
    panel.setBase(ia, 0, layers);
    QVERIFY(waitForPreview(panel));
    auto *preview = panel.findChild<LivePreview *>();
    QSignalSpy updated(preview, &LivePreview::updated);
    PoolHold hold;
    QVERIFY(hold.hold());
    panel.setWorkingDir(QStringLiteral("/first"));
    QTRY_VERIFY(preview->computing()); // the first is queued
    panel.setWorkingDir(QStringLiteral("/second"));
    panel.setBase(ia, 0, layers); // a new base starts the next one at once
    QVERIFY(hold.release());
    QCoreApplication::processEvents();
    QTRY_COMPARE(updated.size(), 1);
    QCoreApplication::processEvents();
    QCOMPARE(updated.size(), 1);
    QVERIFY(!panel.previewPending());
    QCOMPARE(panel.preview().settings.value(u"WorkingDir").toString(), QStringLiteral("/second"));
}

void TestComposer::closingTheExportDialog()
{
    // Closing the dialog while it writes cancels the export and keeps the dialog until the
    // export has said so; a dialog destroyed meanwhile waits for nothing. Either way nothing
    // is written, not even in part.
    const QString big = m_dir.filePath(QStringLiteral("close-big.bin"));
    QFile bigFile(big);
    QVERIFY(bigFile.open(QIODevice::WriteOnly) && bigFile.resize(256ll << 20));
    bigFile.close();
    Composition c;
    LayerSpec layer;
    LayerOp add;
    add.kind = LayerOp::AddHost;
    add.hostPath = big;
    add.imagePath = QStringLiteral("/big.bin");
    layer.ops << add;
    c.layers << layer;
    c.config.cmd = QStringList { QStringLiteral("/big.bin") };
    QTemporaryDir out;
    QVERIFY(out.isValid());
    ExportOptions o;
    o.output = out.filePath(QStringLiteral("closed.tar"));

    auto *dialog = new ExportDialog(c);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setOptions(o);
    dialog->show();
    QPointer<ExportDialog> alive(dialog);
    QSignalSpy finished(dialog, &ExportDialog::finished);
    PoolHold hold;
    QVERIFY(hold.hold()); // the export waits in the queue: the close lands before it has written
    QVERIFY(dialog->start());
    dialog->close();
    QVERIFY(dialog->isVisible());
    QVERIFY(dialog->findChild<QLabel *>(QStringLiteral("exportStatus"))->text().contains(u"Cancelling"));
    QVERIFY(hold.release());
    QTRY_VERIFY(!alive); // closed, and deleted, once the export came back
    QCOMPARE(finished.size(), 1);
    QCOMPARE(finished.constFirst().constFirst().toBool(), false);
    QVERIFY(!QFileInfo::exists(o.output));

    // Destroyed while the export is in flight: the destructor does not wait for it.
    auto *gone = new ExportDialog(c);
    gone->setOptions(o);
    QVERIFY(hold.hold());
    QVERIFY(gone->start());
    delete gone;
    QCOMPARE(hold.gaveUp.load(), 0);
    QVERIFY(hold.release());
    QCoreApplication::processEvents();
    QCOMPARE(hold.gaveUp.load(), 0);
    QVERIFY(!QFileInfo::exists(o.output));
    QCOMPARE(QDir(out.path()).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot), QStringList());
}

// Issue 18 item 15: at 1024x640 nothing in the composer is squeezed. The config form scrolls,
// its fields keep the width of the column; the base line has a row of its own; a toolbar that
// does not fit puts the rest in its extension menu, where each shows its text; a Cmd made of
// long paths wraps between its arguments.
void TestComposer::nothingSquashedAt1024x640()
{
    MainWindow w;
    w.resize(1024, 640);
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QSignalSpy indexed(&w, &MainWindow::layersIndexed);
    w.openPath(nixBase());
    QVERIFY(indexed.wait(30000));
    w.showPage(MainWindow::ComposePage);
    ComposerPanel *panel = w.composer();
    QVERIFY(waitForPreview(*panel));
    auto *typed
        = panel->findChild<ArgvEdit *>(QStringLiteral("cmd"))->findChild<QLineEdit *>(QStringLiteral("newArgument"));
    for (const QString &arg : { QStringLiteral("/usr/local/bin/docker-entrypoint.sh"),
             QStringLiteral("--config=/etc/example/settings.yaml") }) {
        QTest::keyClicks(typed, arg);
        QTest::keyClick(typed, Qt::Key_Return);
    }
    QTest::qWait(100);
    const QStringList tight = cut(panel);
    QVERIFY2(tight.isEmpty(), qPrintable(tight.join(QStringLiteral("; "))));

    auto *base = panel->findChild<QLabel *>(QStringLiteral("composerBase"));
    QVERIFY2(base->height() <= 2 * base->fontMetrics().lineSpacing() + 2, qPrintable(QString::number(base->height())));

    auto *scroll = panel->findChild<QScrollArea *>(QStringLiteral("configScroll"));
    QVERIFY(scroll);
    QVERIFY(scroll->widget()->height() > scroll->viewport()->height());
    QVERIFY(scroll->verticalScrollBar()->isVisible());
    QCOMPARE(scroll->horizontalScrollBar()->maximum(), 0);
    // Every field as wide as the User line, which has its row to itself.
    const int column = panel->findChild<QLineEdit *>(QStringLiteral("user"))->width();
    QList<QWidget *> fields { panel->findChild<QLineEdit *>(QStringLiteral("workingDir")),
        panel->findChild<QTableWidget *>(QStringLiteral("env")) };
    for (const char *argv : { "entrypoint", "cmd" }) {
        auto *edit = panel->findChild<ArgvEdit *>(QString::fromLatin1(argv));
        fields << edit->findChild<QListWidget *>(QStringLiteral("arguments"))
               << edit->findChild<QLabel *>(QStringLiteral("argvResult"));
    }
    for (QWidget *field : std::as_const(fields))
        QVERIFY2(field->width() == column,
            qPrintable(QStringLiteral("%1 %2 < %3").arg(field->objectName()).arg(field->width()).arg(column)));
    auto *created = panel->findChild<QLineEdit *>(QStringLiteral("created"));
    scroll->ensureWidgetVisible(created);
    QVERIFY(scroll->verticalScrollBar()->value() > 0);
    QVERIFY(!created->visibleRegion().isEmpty());

    int inMenus = 0;
    for (QToolBar *bar : panel->findChildren<QToolBar *>()) {
        auto *extension = bar->findChild<QToolButton *>(QStringLiteral("qt_toolbar_ext_button"));
        for (QAction *a : bar->actions()) {
            if (a->isSeparator())
                continue;
            QWidget *button = bar->widgetForAction(a);
            if (button->isVisible()) {
                QVERIFY2(bar->rect().contains(button->geometry()), qPrintable(a->text()));
                continue;
            }
            QVERIFY2(
                extension && extension->isVisible() && extension->menu() && extension->menu()->actions().contains(a),
                qPrintable(a->text()));
            QVERIFY(!a->text().isEmpty());
            ++inMenus;
        }
    }
    QVERIFY(inMenus > 0); // what this looks at: at this width some are in the menus
    // The window Lamina opens at first on a 1400-pixel screen: every action on its bar ("Stack a
    // new layer" at full length put "New text file…" behind the chevron there).
    w.resize(1330, 850);
    QTest::qWait(100);
    for (QToolBar *bar : panel->findChildren<QToolBar *>()) {
        auto *extension = bar->findChild<QToolButton *>(QStringLiteral("qt_toolbar_ext_button"));
        QVERIFY2(!extension || !extension->isVisible(),
            qPrintable(QStringLiteral("%1 px: %2").arg(bar->width()).arg(bar->actions().constLast()->text())));
    }
    // At 800x500, Export… stays on its bar, where the others may go behind the chevron.
    w.resize(800, 500);
    QTest::qWait(100);
    QAction *exportAction = panel->findChild<QAction *>(QStringLiteral("export"));
    QVERIFY(exportAction);
    bool shown = false;
    for (QToolBar *bar : panel->findChildren<QToolBar *>())
        if (bar->actions().contains(exportAction))
            shown = bar->widgetForAction(exportAction)->isVisible();
    QVERIFY(shown);
}

// Issue 18 item 15: each dialog the composer opens shows its title, labels, fields and hints
// whole at its default size, with a long path proposed.
void TestComposer::dialogsShowTheirText()
{
    ComposerPanel panel;
    panel.resize(1024, 640);
    panel.show();
    setNixBase(panel);
    QVERIFY(waitForPreview(panel));
    auto *view = panel.findChild<QTreeView *>(QStringLiteral("resultTree"));
    const QModelIndex bin = qobject_cast<FileTreeModel *>(view->model())->indexOfPath("usr/local/bin");
    QVERIFY(bin.isValid());
    view->setCurrentIndex(bin);
    QStringList problems;
    const auto look = [&](QWidget *dialog) {
        // The title bar holds the title beside an icon and three buttons.
        QFont bold = dialog->font();
        bold.setBold(true);
        const int title = QFontMetrics(bold).horizontalAdvance(dialog->windowTitle())
            + 3 * dialog->style()->pixelMetric(QStyle::PM_TitleBarButtonSize)
            + dialog->style()->pixelMetric(QStyle::PM_SmallIconSize);
        if (dialog->width() < title)
            problems
                << QStringLiteral("title \"%1\" %2 < %3").arg(dialog->windowTitle()).arg(dialog->width()).arg(title);
        for (const QString &c : cut(dialog))
            problems << dialog->windowTitle() + u": " + c;
    };
    int seen = 0;
    for (const char *action :
        { "newFolder", "newSymlink", "newText", "deletePath", "emptyFolder", "showCommandLine" }) {
        DialogAnswers answers({ [&](QWidget *dialog) {
            ++seen;
            look(dialog);
            static_cast<QDialog *>(dialog)->reject();
        } });
        panel.findChild<QAction *>(QString::fromLatin1(action))->trigger();
        QTRY_VERIFY(answers.done());
    }
    QCOMPARE(seen, 6);
    ExportDialog *exporting = panel.openExportDialog();
    QVERIFY(QTest::qWaitForWindowExposed(exporting));
    look(exporting);
    exporting->close();
    QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QStringLiteral("; "))));
}

QTEST_MAIN(TestComposer)
#include "tst_composer.moc"

// Issue 18 item 15: "Delete path" asks for the path, proposing the one selected; a path that is
// relative, climbs out or is the root itself is refused with the reason; one with "//" or "."
// is taken normalised.
void TestComposer::deletePathAsksForAPath()
{
    ComposerPanel panel;
    panel.resize(1024, 640);
    panel.show();
    setNixBase(panel);
    QVERIFY(waitForPreview(panel));
    QStringList problems;
    {
        DialogAnswers answers({ [&](QWidget *dialog) {
            QCOMPARE(dialog->objectName(), QStringLiteral("imagePathDialog"));
            QCOMPARE(
                dialog->findChild<QLineEdit *>(QStringLiteral("imagePath"))->text(), QString()); // nothing selected
            for (const QString &wrong :
                { QStringLiteral("etc/motd"), QStringLiteral("/"), QStringLiteral("/usr/../..") })
                problems << answerPath(dialog, wrong);
            answerPath(dialog, QStringLiteral("/usr//share/./doc/"));
        } });
        panel.findChild<QAction *>(QStringLiteral("deletePath"))->trigger();
        QVERIFY(answers.done());
    }
    QCOMPARE(problems.size(), 3);
    QVERIFY2(problems.at(0).contains(u"absolute"), qPrintable(problems.at(0)));
    QVERIFY2(problems.at(1).contains(u"root"), qPrintable(problems.at(1)));
    QVERIFY2(problems.at(2).contains(u"climbs out"), qPrintable(problems.at(2)));
    QCOMPARE(panel.model()->layerCount(), 1);
    QCOMPARE(panel.model()->op(0, 0).kind, LayerOp::Delete);
    QCOMPARE(panel.model()->op(0, 0).imagePath, QStringLiteral("/usr/share/doc"));

    // With a file selected in the result it is proposed; Cancel adds nothing.
    auto *view = panel.findChild<QTreeView *>(QStringLiteral("resultTree"));
    QVERIFY(waitForPreview(panel));
    const QModelIndex motd = qobject_cast<FileTreeModel *>(view->model())->indexOfPath("etc/motd");
    QVERIFY(motd.isValid());
    view->setCurrentIndex(motd);
    QString proposed;
    {
        DialogAnswers answers({ [&](QWidget *dialog) {
            proposed = dialog->findChild<QLineEdit *>(QStringLiteral("imagePath"))->text();
            pressCancel(dialog);
        } });
        panel.findChild<QAction *>(QStringLiteral("deletePath"))->trigger();
        QVERIFY(answers.done());
    }
    QCOMPARE(proposed, QStringLiteral("/etc/motd"));
    QCOMPARE(panel.model()->opCount(0), 1);
    // "Empty folder" proposes the selected file's folder and makes an opaque whiteout.
    {
        DialogAnswers answers({ [&](QWidget *dialog) {
            proposed = dialog->findChild<QLineEdit *>(QStringLiteral("imagePath"))->text();
            dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->click();
        } });
        panel.findChild<QAction *>(QStringLiteral("emptyFolder"))->trigger();
        QVERIFY(answers.done());
    }
    QCOMPARE(proposed, QStringLiteral("/etc"));
    QCOMPARE(panel.model()->op(0, 1).kind, LayerOp::Opaque);
    QCOMPARE(panel.model()->op(0, 1).imagePath, QStringLiteral("/etc"));
}

// Issue 18 item 15: an argument typed in Cmd or Entrypoint counts without "+": while typed (so
// Save, Export and the preview, which read the composition, have it), and Enter or leaving the
// field puts it in the list. A row edited in place counts while its editor is open.
void TestComposer::typedArgumentsAreTaken()
{
    ComposerPanel panel;
    panel.show();
    setNixBase(panel);
    auto *cmd = panel.findChild<ArgvEdit *>(QStringLiteral("cmd"));
    auto *entrypoint = panel.findChild<ArgvEdit *>(QStringLiteral("entrypoint"));
    auto *typed = cmd->findChild<QLineEdit *>(QStringLiteral("newArgument"));
    QVERIFY(typed);
    auto *list = cmd->findChild<QListWidget *>(QStringLiteral("arguments"));
    QTest::keyClicks(typed, QStringLiteral("/bin/bash"));
    QCOMPARE(panel.composition().config.cmd, std::optional<QStringList>(QStringList { QStringLiteral("/bin/bash") }));
    QTest::keyClick(typed, Qt::Key_Return);
    QCOMPARE(list->count(), 1);
    QCOMPARE(typed->text(), QString());
    QCOMPARE(panel.composition().config.cmd, std::optional<QStringList>(QStringList { QStringLiteral("/bin/bash") }));
    // Typed, then the user goes elsewhere: it is in the list.
    QApplication::setActiveWindow(&panel);
    typed->setFocus();
    QTest::keyClicks(typed, QStringLiteral("-l"));
    panel.findChild<QLineEdit *>(QStringLiteral("workingDir"))->setFocus();
    QTRY_COMPARE(list->count(), 2);
    QCOMPARE(list->item(1)->text(), QStringLiteral("-l"));
    QCOMPARE(panel.composition().config.cmd,
        std::optional<QStringList>(QStringList { QStringLiteral("/bin/bash"), QStringLiteral("-l") }));
    // Typed and never left: Save and the command line have it.
    QTest::keyClicks(entrypoint->findChild<QLineEdit *>(QStringLiteral("newArgument")), QStringLiteral("tini"));
    const QString file = m_dir.filePath(QStringLiteral("typed.json"));
    QString error;
    QVERIFY2(panel.saveSpec(file, &error), qPrintable(error));
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray saved = f.readAll();
    QVERIFY2(saved.contains("\"tini\"") && saved.contains("\"-l\""), saved.constData());
    QVERIFY(panel.commandLine(&error).contains(u"tini"));
    // A row edited in place, its editor still open (Export pressed meanwhile).
    list->editItem(list->item(1));
    auto *editor = list->viewport()->findChild<QLineEdit *>();
    QVERIFY(editor);
    editor->selectAll();
    QTest::keyClicks(editor, QStringLiteral("-i"));
    QCOMPARE(panel.composition().config.cmd,
        std::optional<QStringList>(QStringList { QStringLiteral("/bin/bash"), QStringLiteral("-i") }));
    // Each is one step to undo.
    QCOMPARE(panel.undoStack()->undoText(), QStringLiteral("Edit Cmd"));
}

// Issue 18 item 15: Undo and Redo say which step they take back or do again, in the menu text
// and the tooltip; the toolbar button stays "Undo".
void TestComposer::undoNamesTheStep()
{
    const QString host = m_dir.filePath(QStringLiteral("named"));
    QVERIFY(QDir().mkpath(host + QStringLiteral("/site")));
    QFile file(host + QStringLiteral("/x"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    ComposerPanel panel;
    panel.show();
    setNixBase(panel);
    auto *undo = panel.findChild<QAction *>(QStringLiteral("undo"));
    auto *redo = panel.findChild<QAction *>(QStringLiteral("redo"));
    QVERIFY(undo && redo);
    QToolButton *button = nullptr;
    for (QToolButton *b : panel.findChildren<QToolButton *>())
        if (b->defaultAction() == undo)
            button = b;
    QVERIFY(button);
    const auto named = [&](const QString &text) {
        QCOMPARE(undo->text(), QStringLiteral("Undo ") + text);
        QCOMPARE(undo->toolTip(), QStringLiteral("Undo ") + text);
        QCOMPARE(button->text(), QStringLiteral("Undo"));
    };
    panel.addHostPaths({ host + QStringLiteral("/x") }, QStringLiteral("/etc"));
    named(QStringLiteral("Add file /etc/x"));
    panel.addHostPaths({ host + QStringLiteral("/site") }, QStringLiteral("/srv"));
    named(QStringLiteral("Add folder /srv/site"));
    panel.addHostPaths({ host + QStringLiteral("/site"), host + QStringLiteral("/x") }, QStringLiteral("/opt"));
    named(QStringLiteral("Add 2 items to /opt"));
    panel.deletePath(QStringLiteral("/usr/share/doc"), false);
    named(QStringLiteral("Delete /usr/share/doc"));
    panel.deletePath(QStringLiteral("/var/cache"), true);
    named(QStringLiteral("Empty /var/cache"));
    QTest::keyClicks(panel.findChild<QLineEdit *>(QStringLiteral("workingDir")), QStringLiteral("/srv"));
    named(QStringLiteral("Edit WorkingDir"));
    undo->trigger();
    QCOMPARE(redo->text(), QStringLiteral("Redo Edit WorkingDir"));
    QCOMPARE(redo->toolTip(), QStringLiteral("Redo Edit WorkingDir"));
    named(QStringLiteral("Empty /var/cache"));
}

// Issue 18 item 15: "Add folder" and "Add file" ask where in the image, proposing the folder
// selected in the result, else the WorkingDir, else "/".
void TestComposer::addFolderAsksWhere()
{
    const QString host = m_dir.filePath(QStringLiteral("asked/site"));
    QVERIFY(QDir().mkpath(host));
    ComposerPanel panel;
    panel.resize(1024, 640);
    panel.show();
    setNixBase(panel);
    QVERIFY(waitForPreview(panel));
    auto *view = panel.findChild<QTreeView *>(QStringLiteral("resultTree"));
    const QModelIndex bin = qobject_cast<FileTreeModel *>(view->model())->indexOfPath("usr/local/bin");
    QVERIFY(bin.isValid());
    view->setCurrentIndex(bin);
    QString proposed;
    const auto chooseHost = [&](const QString &path) {
        return [path](QWidget *dialog) {
            auto *files = qobject_cast<QFileDialog *>(dialog);
            QVERIFY(files);
            if (QFileInfo(path).isDir()) {
                files->setDirectory(path); // into the folder, then Choose
            } else {
                auto *name = files->findChild<QLineEdit *>(QStringLiteral("fileNameEdit"));
                QVERIFY(name);
                name->setText(path); // typed whole, then Open
            }
            static_cast<QDialog *>(files)->accept(); // QFileDialog's, as its Open button does
        };
    };
    const auto putIn = [&](const QString &where) {
        return [&proposed, where](QWidget *dialog) {
            QCOMPARE(dialog->objectName(), QStringLiteral("imagePathDialog"));
            proposed = dialog->findChild<QLineEdit *>(QStringLiteral("imagePath"))->text();
            if (where.isEmpty())
                dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->click();
            else
                QCOMPARE(answerPath(dialog, where), QString());
        };
    };
    {
        DialogAnswers answers({ chooseHost(host), putIn(QString()) });
        panel.findChild<QAction *>(QStringLiteral("addFolder"))->trigger();
        QTRY_VERIFY(answers.done());
    }
    QCOMPARE(proposed, QStringLiteral("/usr/local/bin"));
    QCOMPARE(panel.model()->op(0, 0).imagePath, QStringLiteral("/usr/local/bin/site"));
    // Somewhere else, typed.
    {
        DialogAnswers answers({ chooseHost(host), putIn(QStringLiteral("/opt/app")) });
        panel.findChild<QAction *>(QStringLiteral("addFolder"))->trigger();
        QTRY_VERIFY(answers.done());
    }
    QCOMPARE(panel.model()->op(0, 1).imagePath, QStringLiteral("/opt/app/site"));
    // Nothing selected: the WorkingDir; files are asked for the same way.
    view->setCurrentIndex({});
    panel.setWorkingDir(QStringLiteral("/srv/www"));
    QFile page(m_dir.filePath(QStringLiteral("asked/index.html")));
    QVERIFY(page.open(QIODevice::WriteOnly));
    page.close();
    {
        DialogAnswers answers({ chooseHost(page.fileName()), putIn(QString()) });
        panel.findChild<QAction *>(QStringLiteral("addFiles"))->trigger();
        QTRY_VERIFY(answers.done());
    }
    QCOMPARE(proposed, QStringLiteral("/srv/www"));
    QCOMPARE(panel.model()->op(0, 2).imagePath, QStringLiteral("/srv/www/index.html"));
}
