// SPDX-License-Identifier: MIT
#include "composerpanel.h"
#include "common/backgroundpool.h"

#include "argvedit.h"
#include "compose/commandline.h"
#include "compose/compositionjson.h"
#include "compose/config.h"
#include "composermodel.h"
#include "exportdialog.h"
#include "filetreemodel.h"
#include "imagetreeview.h"
#include "modeedit.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTableWidget>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QTreeWidget>
#include <QUndoCommand>
#include <QUndoStack>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace lamina {

/// A change of the config form, merged with the next change of the same field so that typing a
/// word is one step to undo.
class SettingsCommand : public QUndoCommand
{
public:
    SettingsCommand(
        ComposerPanel *panel, const ComposerPanel::Settings &before, const ComposerPanel::Settings &after, int field)
        : QUndoCommand(QObject::tr("Edit the config"))
        , m_panel(panel)
        , m_before(before)
        , m_after(after)
        , m_field(field)
    {
    }
    int id() const override { return m_field; }
    bool mergeWith(const QUndoCommand *other) override
    {
        const auto *o = static_cast<const SettingsCommand *>(other);
        if (o->m_field != m_field)
            return false;
        m_after = o->m_after;
        return true;
    }
    void redo() override { m_panel->applySettings(m_after); }
    void undo() override { m_panel->applySettings(m_before); }

private:
    ComposerPanel *m_panel;
    ComposerPanel::Settings m_before, m_after;
    int m_field;
};

namespace {

/// Mode cells are edited with the octal text and the bit checkboxes; every change is committed.
class ModeDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    QWidget *createEditor(QWidget *parent, const QStyleOptionViewItem &, const QModelIndex &) const override
    {
        auto *editor = new ModeEdit(parent);
        connect(editor, &ModeEdit::modeChanged, this,
            [this, editor] { Q_EMIT const_cast<ModeDelegate *>(this)->commitData(editor); });
        return editor;
    }
    void setEditorData(QWidget *editor, const QModelIndex &index) const override
    {
        if (const auto mode = ComposerModel::parseMode(index.data(Qt::EditRole).toString())) {
            auto *e = static_cast<ModeEdit *>(editor);
            const QSignalBlocker block(e);
            e->setMode(*mode);
        }
    }
    void setModelData(QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const override
    {
        model->setData(index, static_cast<ModeEdit *>(editor)->text(), Qt::EditRole);
    }
    void updateEditorGeometry(QWidget *editor, const QStyleOptionViewItem &option, const QModelIndex &) const override
    {
        const QSize hint = editor->sizeHint();
        editor->setGeometry(
            QRect(option.rect.topLeft(), QSize(std::max(hint.width(), option.rect.width()), hint.height())));
    }
};

QStringList words(const QString &text)
{
    static const QRegularExpression separators(QStringLiteral("[,\\s]+"));
    return text.split(separators, Qt::SkipEmptyParts);
}

QString joinPath(const QString &dir, const QString &name)
{
    return dir == u"/" || dir.isEmpty() ? QString(u'/' + name) : QString(dir + u'/' + name);
}

QStringList stringList(const QJsonValue &v)
{
    QStringList out;
    for (const QJsonValue &x : v.toArray())
        out << x.toString();
    return out;
}

/// The dialog for a new (or changed) folder, link or text file.
bool runOpDialog(QWidget *parent, LayerOp &op, const QString &title)
{
    QDialog dialog(parent);
    dialog.setWindowTitle(title);
    auto *form = new QFormLayout(&dialog);
    auto *path = new QLineEdit(op.imagePath);
    form->addRow(QObject::tr("Path in the image"), path);
    QLineEdit *target = nullptr;
    QPlainTextEdit *text = nullptr;
    ModeEdit *mode = nullptr;
    if (op.kind == LayerOp::Symlink) {
        target = new QLineEdit(op.linkTarget);
        target->setPlaceholderText(QObject::tr("stored as written, e.g. ../lib/app or /usr/bin/env"));
        form->addRow(QObject::tr("Link target"), target);
    }
    if (op.kind == LayerOp::WriteText) {
        text = new QPlainTextEdit(QString::fromUtf8(op.text));
        text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        text->setMinimumSize(480, 220);
        form->addRow(QObject::tr("Content"), text);
    }
    if (op.kind == LayerOp::Mkdir || op.kind == LayerOp::WriteText || op.kind == LayerOp::AddHost) {
        mode = new ModeEdit;
        mode->setMode(ComposerModel::effectiveMode(op));
        form->addRow(QObject::tr("Mode"), mode);
    }
    auto *owner = new QLineEdit(QStringLiteral("%1:%2").arg(op.uid).arg(op.gid));
    form->addRow(QObject::tr("Owner (uid:gid)"), owner);
    auto *problem = new QLabel;
    problem->setStyleSheet(QStringLiteral("color: #b3261e"));
    form->addRow(problem);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    form->addRow(buttons);
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, [&] {
        QString error;
        const QString normal = normaliseImagePath(path->text(), &error);
        bool a = false, b = false;
        owner->text().section(u':', 0, 0).toUInt(&a);
        owner->text().section(u':', 1).toUInt(&b);
        if (!error.isEmpty() || normal.isEmpty())
            problem->setText(error.isEmpty() ? QObject::tr("Give a path below /.") : error);
        else if (target && target->text().isEmpty())
            problem->setText(QObject::tr("A link needs a target."));
        else if (!a || !b)
            problem->setText(QObject::tr("The owner is two numbers, uid:gid."));
        else
            dialog.accept();
    });
    if (dialog.exec() != QDialog::Accepted)
        return false;
    op.imagePath = path->text().trimmed();
    if (target)
        op.linkTarget = target->text();
    if (text)
        op.text = text->toPlainText().toUtf8();
    if (mode && (op.mode || mode->mode() != ComposerModel::effectiveMode(op)))
        op.mode = mode->mode();
    op.uid = owner->text().section(u':', 0, 0).toUInt();
    op.gid = owner->text().section(u':', 1).toUInt();
    return true;
}

void collectExpanded(const QTreeView *view, const QModelIndex &parent, QList<QByteArray> &out)
{
    const QAbstractItemModel *m = view->model();
    for (int r = 0; r < m->rowCount(parent); ++r) {
        const QModelIndex i = m->index(r, 0, parent);
        if (view->isExpanded(i)) {
            out << i.data(FileTreeModel::PathRole).toString().toUtf8();
            collectExpanded(view, i, out);
        }
    }
}

} // namespace

ComposerPanel::ComposerPanel(QWidget *parent)
    : QWidget(parent)
{
    m_undo = new QUndoStack(this);
    m_model = new ComposerModel(m_undo, this);
    const Composition defaults;
    m_settings.created = defaults.created;
    m_settings.createWorkdir = defaults.createWorkdir;
    m_lastOptions.output = QStringLiteral("OUT.tar");

    // Layers and their entries.
    m_layersView = new QTreeView;
    m_layersView->setObjectName(QStringLiteral("composerLayers"));
    m_layersView->setModel(m_model);
    m_layersView->setItemDelegateForColumn(ComposerModel::ModeColumn, new ModeDelegate(m_layersView));
    m_layersView->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    m_layersView->setAlternatingRowColors(true);
    m_layersView->setUniformRowHeights(true);
    m_layersView->setTextElideMode(Qt::ElideMiddle); // a path's end says most
    m_layersView->header()->resizeSection(ComposerModel::PathColumn, 200);
    m_layersView->header()->resizeSection(ComposerModel::TypeColumn, 115);
    m_layersView->header()->resizeSection(ComposerModel::SourceColumn, 165);
    m_layersView->header()->resizeSection(ComposerModel::SizeColumn, 65);
    m_layersView->header()->resizeSection(ComposerModel::ModeColumn, 50);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, [this](const QModelIndex &parent, int first) {
        // A new layer or entry comes into view, selected, so the next addition goes there.
        if (!parent.isValid()) {
            m_layersView->setCurrentIndex(m_model->layerIndex(first));
        } else {
            m_layersView->expand(parent);
            m_layersView->scrollTo(m_model->index(first, 0, parent));
        }
    });
    connect(m_model, &ComposerModel::layersChanged, this, &ComposerPanel::schedulePreview);
    connect(m_model, &QAbstractItemModel::modelReset, m_layersView, &QTreeView::expandAll);
    connect(m_layersView, &QTreeView::doubleClicked, this, &ComposerPanel::editSelected);

    auto action = [this](QToolBar *bar, const QString &name, const QString &text, const QString &tip, auto slot) {
        QAction *a = bar->addAction(text, this, slot);
        a->setObjectName(name);
        a->setToolTip(tip);
        return a;
    };
    auto *editBar = new QToolBar;
    editBar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    action(editBar, QStringLiteral("stackLayer"), tr("Stack a new layer"), tr("A new layer on top of the others"),
        [this] { stackLayer(); });
    action(editBar, QStringLiteral("addFiles"), tr("Add file…"),
        tr("Files from this computer, into the folder selected in the result"), [this] {
            const QStringList files = QFileDialog::getOpenFileNames(this, tr("Add files to the layer"));
            if (!files.isEmpty())
                addHostPaths(files, targetDir(m_resultView->currentIndex()));
        });
    action(editBar, QStringLiteral("addFolder"), tr("Add folder…"), tr("A folder with everything in it"), [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Add a folder to the layer"));
        if (!dir.isEmpty())
            addHostPaths({ dir }, targetDir(m_resultView->currentIndex()));
    });
    action(editBar, QStringLiteral("newFolder"), tr("New folder…"), tr("An empty folder with a mode"),
        [this] { editOpDialog(LayerOp::Mkdir); });
    action(editBar, QStringLiteral("newSymlink"), tr("New symlink…"), tr("A symbolic link"),
        [this] { editOpDialog(LayerOp::Symlink); });
    action(editBar, QStringLiteral("newText"), tr("New text file…"), tr("A small file written here"),
        [this] { editOpDialog(LayerOp::WriteText); });
    auto *arrangeBar = new QToolBar;
    arrangeBar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    action(arrangeBar, QStringLiteral("deletePath"), tr("Delete path"),
        tr("Hide the path selected in the result (a whiteout)"), [this] {
            const QString path = selectedImagePath();
            if (!path.isEmpty())
                deletePath(path, false);
        });
    action(arrangeBar, QStringLiteral("emptyFolder"), tr("Empty folder"),
        tr("Hide what lower layers hold in the selected folder (opaque whiteout)"), [this] {
            const QString path = selectedImagePath();
            if (!path.isEmpty())
                deletePath(path, true);
        });
    QAction *remove = action(arrangeBar, QStringLiteral("removeEntry"), tr("Remove"),
        tr("Remove the selected entry or layer (Del)"), [this] {
            const QModelIndex i = m_layersView->currentIndex();
            if (m_model->isOp(i))
                m_model->removeOp(m_model->layerOf(i), i.row());
            else if (i.isValid())
                m_model->removeLayer(i.row());
        });
    remove->setShortcut(QKeySequence::Delete);
    remove->setShortcutContext(Qt::WidgetShortcut); // only where the layers are: Del edits text elsewhere
    m_layersView->addAction(remove);
    action(arrangeBar, QStringLiteral("moveUp"), tr("Up"), tr("Move the selected layer or entry earlier"), [this] {
        const QModelIndex i = m_layersView->currentIndex();
        if (m_model->isOp(i)) {
            m_model->moveOp(m_model->layerOf(i), i.row(), i.row() - 1);
        } else if (i.isValid()) {
            m_model->moveLayer(i.row(), i.row() - 1);
        }
    });
    action(arrangeBar, QStringLiteral("moveDown"), tr("Down"), tr("Move the selected layer or entry later"), [this] {
        const QModelIndex i = m_layersView->currentIndex();
        if (m_model->isOp(i))
            m_model->moveOp(m_model->layerOf(i), i.row(), i.row() + 1);
        else if (i.isValid())
            m_model->moveLayer(i.row(), i.row() + 1);
    });
    arrangeBar->addSeparator();
    QAction *undo = m_undo->createUndoAction(this, tr("Undo"));
    undo->setShortcut(QKeySequence::Undo);
    undo->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    QAction *redo = m_undo->createRedoAction(this, tr("Redo"));
    redo->setShortcut(QKeySequence::Redo);
    redo->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    addAction(undo);
    addAction(redo);
    arrangeBar->addAction(undo);
    arrangeBar->addAction(redo);
    auto *fileBar = new QToolBar;
    fileBar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    action(fileBar, QStringLiteral("openSpec"), tr("Open…"), tr("Load a composition file (lamina compose --spec)"),
        [this] {
            const QString file = QFileDialog::getOpenFileName(
                this, tr("Open a composition"), {}, tr("Compositions (*.json);;All files (*)"));
            if (!file.isEmpty())
                openSpecFile(file);
        });
    action(fileBar, QStringLiteral("saveSpec"), tr("Save…"), tr("Save the composition as JSON (lamina compose --spec)"),
        [this] {
            const QString file = QFileDialog::getSaveFileName(
                this, tr("Save the composition"), QStringLiteral("composition.json"), tr("Compositions (*.json)"));
            QString error;
            if (!file.isEmpty() && !saveSpec(file, &error))
                QMessageBox::warning(this, tr("Save the composition"), error);
        });
    action(fileBar, QStringLiteral("showCommandLine"), tr("Command line"),
        tr("The lamina compose command that makes the same image"), [this] { showCommandLine(); });
    QAction *exportAction = action(
        fileBar, QStringLiteral("export"), tr("Export…"), tr("Write the image"), [this] { openExportDialog(); });
    exportAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    exportAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    addAction(exportAction);

    // The config form.
    m_workdir = new QLineEdit;
    m_workdir->setObjectName(QStringLiteral("workingDir"));
    m_createWorkdir = new QCheckBox(tr("create it in the layer"));
    m_createWorkdir->setObjectName(QStringLiteral("createWorkdir"));
    m_createWorkdir->setChecked(true);
    auto *workdirRow = new QHBoxLayout;
    workdirRow->addWidget(m_workdir, 1);
    workdirRow->addWidget(m_createWorkdir);
    m_entrypoint = new ArgvEdit(true);
    m_entrypoint->setObjectName(QStringLiteral("entrypoint"));
    m_cmd = new ArgvEdit(true);
    m_cmd->setObjectName(QStringLiteral("cmd"));
    m_env = new QTableWidget(0, 3);
    m_env->setObjectName(QStringLiteral("env"));
    m_env->setHorizontalHeaderLabels({ tr("Variable"), tr("Value"), tr("From") });
    m_env->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_env->verticalHeader()->hide();
    m_env->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_env->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    auto *envAdd = new QToolButton;
    envAdd->setText(tr("Add"));
    auto *envRemove = new QToolButton;
    envRemove->setText(tr("Unset / remove"));
    auto *envButtons = new QVBoxLayout;
    envButtons->addWidget(envAdd);
    envButtons->addWidget(envRemove);
    envButtons->addStretch(1);
    auto *envRow = new QHBoxLayout;
    envRow->addWidget(m_env, 1);
    envRow->addLayout(envButtons);
    m_user = new QLineEdit;
    m_user->setObjectName(QStringLiteral("user"));
    m_ports = new QLineEdit;
    m_ports->setObjectName(QStringLiteral("ports"));
    m_ports->setPlaceholderText(tr("8080/tcp, 53/udp"));
    m_labels = new QPlainTextEdit;
    m_labels->setObjectName(QStringLiteral("labels"));
    m_labels->setPlaceholderText(tr("one per line: org.opencontainers.image.source=https://…"));
    m_labels->setFixedHeight(m_labels->fontMetrics().height() * 3 + 12);
    m_volumes = new QLineEdit;
    m_volumes->setObjectName(QStringLiteral("volumes"));
    m_volumes->setPlaceholderText(tr("/data, /var/cache/app"));
    m_tags = new QLineEdit;
    m_tags->setObjectName(QStringLiteral("tags"));
    m_tags->setPlaceholderText(tr("name:tag"));
    m_stopSignal = new QLineEdit;
    m_stopSignal->setObjectName(QStringLiteral("stopSignal"));
    m_stopSignal->setPlaceholderText(tr("SIGTERM"));
    m_created = new QLineEdit;
    m_created->setObjectName(QStringLiteral("created"));
    m_created->setToolTip(tr("RFC 3339; also every new entry's modification time"));
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("WorkingDir"), workdirRow);
    form->addRow(tr("Entrypoint"), m_entrypoint);
    form->addRow(tr("Cmd"), m_cmd);
    form->addRow(tr("Env"), envRow);
    form->addRow(tr("User"), m_user);
    form->addRow(tr("Exposed ports"), m_ports);
    form->addRow(tr("Volumes"), m_volumes);
    form->addRow(tr("Labels"), m_labels);
    form->addRow(tr("StopSignal"), m_stopSignal);
    form->addRow(tr("Tags"), m_tags);
    form->addRow(tr("created"), m_created);
    auto *formWidget = new QWidget;
    formWidget->setLayout(form);
    auto *formScroll = new QScrollArea;
    formScroll->setWidget(formWidget);
    formScroll->setWidgetResizable(true);
    formScroll->setFrameShape(QFrame::NoFrame);

    connect(m_workdir, &QLineEdit::textEdited, this, [this] { formEdited(WorkdirField); });
    connect(m_createWorkdir, &QCheckBox::toggled, this, [this] { formEdited(CreateWorkdirField); });
    connect(m_entrypoint, &ArgvEdit::edited, this, [this] { formEdited(EntrypointField); });
    connect(m_cmd, &ArgvEdit::edited, this, [this] { formEdited(CmdField); });
    connect(m_user, &QLineEdit::textEdited, this, [this] { formEdited(UserField); });
    connect(m_ports, &QLineEdit::textEdited, this, [this] { formEdited(PortsField); });
    connect(m_volumes, &QLineEdit::textEdited, this, [this] { formEdited(VolumesField); });
    connect(m_labels, &QPlainTextEdit::textChanged, this, [this] { formEdited(LabelsField); });
    connect(m_tags, &QLineEdit::textEdited, this, [this] { formEdited(TagsField); });
    connect(m_created, &QLineEdit::textEdited, this, [this] { formEdited(CreatedField); });
    connect(m_stopSignal, &QLineEdit::textEdited, this, [this] { formEdited(StopSignalField); });
    connect(m_env, &QTableWidget::itemChanged, this, &ComposerPanel::envEdited);
    connect(envAdd, &QToolButton::clicked, this, [this] {
        Settings s = m_settings;
        int n = 1;
        auto taken = [&](const QString &name) {
            for (const auto &kv : std::as_const(s.config.setEnv))
                if (kv.first == name)
                    return true;
            return false;
        };
        while (taken(QStringLiteral("NAME%1").arg(n)))
            ++n;
        s.config.setEnv << qMakePair(QStringLiteral("NAME%1").arg(n), QString());
        pushSettings(s, EnvField);
    });
    connect(envRemove, &QToolButton::clicked, this, [this] {
        const int row = m_env->currentRow();
        if (row < 0)
            return;
        QTableWidgetItem *name = m_env->item(row, 0);
        if (name->data(Qt::UserRole).toString().isEmpty()) {
            m_env->removeRow(row);
        } else {
            const QSignalBlocker block(m_env);
            name->setData(Qt::UserRole + 1, !name->data(Qt::UserRole + 1).toBool());
        }
        envEdited();
    });

    // The preview: base and result side by side, then the checks.
    m_baseModel = new FileTreeModel(this);
    m_resultModel = new FileTreeModel(this);
    m_baseView = new ImageTreeView;
    m_baseView->setObjectName(QStringLiteral("baseTree"));
    m_resultView = new ImageTreeView;
    m_resultView->setObjectName(QStringLiteral("resultTree"));
    for (ImageTreeView *v : { m_baseView, m_resultView }) {
        v->setUniformRowHeights(true);
        v->setContextMenuPolicy(Qt::CustomContextMenu);
        connect(v, &ImageTreeView::hostPathsDropped, this,
            [this](const QStringList &paths, const QModelIndex &target) { addHostPaths(paths, targetDir(target)); });
    }
    m_baseView->setModel(m_baseModel);
    m_resultView->setModel(m_resultModel);
    for (QTreeView *v : { static_cast<QTreeView *>(m_baseView), static_cast<QTreeView *>(m_resultView) }) {
        v->header()->resizeSection(FileTreeModel::NameColumn, 200);
        v->header()->resizeSection(FileTreeModel::SizeColumn, 70);
        v->header()->resizeSection(FileTreeModel::ChangeColumn, 28);
    }
    connect(m_resultView, &QWidget::customContextMenuRequested, this, [this](const QPoint &at) {
        const QModelIndex index = m_resultView->indexAt(at);
        m_resultView->setCurrentIndex(index);
        QMenu menu;
        const QString dir = targetDir(index);
        menu.addAction(tr("Add files to %1…").arg(dir), this, [this, dir] {
            const QStringList files = QFileDialog::getOpenFileNames(this, tr("Add files to %1").arg(dir));
            if (!files.isEmpty())
                addHostPaths(files, dir);
        });
        menu.addAction(tr("New folder in %1…").arg(dir), this, [this] { editOpDialog(LayerOp::Mkdir); });
        menu.addAction(tr("New text file in %1…").arg(dir), this, [this] { editOpDialog(LayerOp::WriteText); });
        menu.addAction(tr("New symlink in %1…").arg(dir), this, [this] { editOpDialog(LayerOp::Symlink); });
        if (index.isValid()) {
            const QString path = u'/' + index.data(FileTreeModel::PathRole).toString();
            menu.addSeparator();
            menu.addAction(tr("Delete %1 (whiteout)").arg(path), this, [this, path] { deletePath(path, false); });
            if (path == dir)
                menu.addAction(tr("Empty %1 (opaque)").arg(path), this, [this, path] { deletePath(path, true); });
        }
        menu.exec(m_resultView->viewport()->mapToGlobal(at));
    });

    m_baseLabel = new QLabel(tr("Open an image to compose on it, or start from scratch."));
    m_baseLabel->setObjectName(QStringLiteral("composerBase"));
    m_baseLabel->setWordWrap(true);
    m_resultLabel = new QLabel;
    m_resultLabel->setObjectName(QStringLiteral("resultSummary"));
    m_previewError = new QLabel;
    m_previewError->setObjectName(QStringLiteral("previewError"));
    m_previewError->setWordWrap(true);
    m_previewError->setStyleSheet(
        QStringLiteral("QLabel { background: #fde2e1; color: #6b1410; border: 1px solid #e8a29e; padding: 4px; }"));
    m_previewError->hide();
    m_findings = new QTreeWidget;
    m_findings->setObjectName(QStringLiteral("composerFindings"));
    m_findings->setHeaderLabels({ tr("Severity"), tr("Check"), tr("Where"), tr("What") });
    m_findings->setRootIsDecorated(false);
    m_findings->header()->resizeSection(0, 70);
    m_findings->header()->resizeSection(1, 170);
    m_findings->header()->resizeSection(2, 150);
    connect(m_findings, &QTreeWidget::currentItemChanged, this, &ComposerPanel::showFinding);

    auto titled = [](const QString &title, QWidget *content, QWidget *extra = nullptr) {
        auto *w = new QWidget;
        auto *l = new QVBoxLayout(w);
        l->setContentsMargins(0, 0, 0, 0);
        l->setSpacing(2);
        l->addWidget(new QLabel(QStringLiteral("<b>%1</b>").arg(title)));
        if (extra)
            l->addWidget(extra);
        l->addWidget(content, 1);
        return w;
    };
    auto *layersBox = new QWidget;
    auto *ll = new QVBoxLayout(layersBox);
    ll->setContentsMargins(0, 0, 0, 0);
    ll->setSpacing(2);
    auto *baseRow = new QHBoxLayout;
    baseRow->addWidget(m_baseLabel, 1);
    baseRow->addWidget(fileBar);
    ll->addLayout(baseRow);
    ll->addWidget(editBar);
    ll->addWidget(arrangeBar);
    ll->addWidget(m_layersView, 1);
    auto *left = new QSplitter(Qt::Vertical);
    left->setObjectName(QStringLiteral("composerLeftSplit"));
    left->addWidget(layersBox);
    left->addWidget(titled(tr("Config"), formScroll));
    left->setSizes({ 330, 420 });
    auto *trees = new QSplitter(Qt::Horizontal);
    trees->setObjectName(QStringLiteral("composerTreesSplit"));
    trees->addWidget(titled(tr("Base image"), m_baseView));
    trees->addWidget(
        titled(tr("Result (A added, M changed, D deleted) — drop files on a folder"), m_resultView, m_resultLabel));
    trees->setSizes({ 260, 520 });
    auto *checks = new QWidget;
    auto *cl = new QVBoxLayout(checks);
    cl->setContentsMargins(0, 0, 0, 0);
    cl->setSpacing(2);
    cl->addWidget(new QLabel(tr("<b>Checks before export</b>")));
    cl->addWidget(m_previewError);
    cl->addWidget(m_findings, 1);
    auto *right = new QSplitter(Qt::Vertical);
    right->setObjectName(QStringLiteral("composerRightSplit"));
    right->addWidget(trees);
    right->addWidget(checks);
    right->setSizes({ 520, 200 });
    auto *split = new QSplitter(Qt::Horizontal);
    split->setObjectName(QStringLiteral("composerSplit"));
    split->addWidget(left);
    split->addWidget(right);
    split->setSizes({ 620, 780 });
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);

    // Typing never waits for the preview: it starts after a pause and runs on a worker.
    m_previewTimer = new QTimer(this);
    m_previewTimer->setSingleShot(true);
    m_previewTimer->setInterval(250);
    connect(m_previewTimer, &QTimer::timeout, this, &ComposerPanel::startPreview);
    connect(&m_previewWatcher, &QFutureWatcher<PreviewRun>::finished, this, [this] {
        const PreviewRun run = m_previewWatcher.result();
        if (run.generation == m_baseGeneration) {
            if (!m_baseTree && run.baseTree) {
                m_baseTree = run.baseTree;
                m_baseModel->setTree(m_baseTree, -1);
            }
            if (!run.preview.cancelled && !m_previewAgain) {
                m_preview = run.preview;
                showPreview();
            }
        }
        m_previewBusy = false;
        if (m_previewAgain) {
            m_previewAgain = false;
            startPreview();
            return;
        }
        if (!m_previewTimer->isActive())
            Q_EMIT previewUpdated();
    });
    fillForm();
    schedulePreview();
}

ComposerPanel::~ComposerPanel()
{
    if (m_previewCancel)
        m_previewCancel->store(true);
    m_previewWatcher.waitForFinished();
}

void ComposerPanel::setBase(const ImageArchive &archive, int image, const MergedTree::Layers &layers)
{
    const bool has = image >= 0 && image < archive.images.size();
    m_basePath = has ? archive.path : QString();
    m_baseImage = has ? image : 0;
    m_baseLayers = has ? layers : MergedTree::Layers();
    m_baseSettings = has && archive.images.at(image).config ? archive.images.at(image).config->config : QJsonObject();
    m_baseTree.reset();
    ++m_baseGeneration;
    m_baseModel->setTree(nullptr, -1);
    if (has) {
        const Image &img = archive.images.at(image);
        m_baseLabel->setText(
            tr("On <b>%1</b>, image %2 (%3, %4), %n base layer(s)", nullptr, int(layers.size()))
                .arg(QFileInfo(archive.path).fileName().toHtmlEscaped())
                .arg(image)
                .arg((img.tags.isEmpty() ? tr("untagged") : img.tags.join(QStringLiteral(", "))).toHtmlEscaped(),
                    img.platform.toString().toHtmlEscaped()));
    } else {
        m_baseLabel->setText(tr("From scratch: no base image."));
    }
    m_workdir->setPlaceholderText(m_baseSettings.value(QStringLiteral("WorkingDir")).toString());
    m_user->setPlaceholderText(m_baseSettings.value(QStringLiteral("User")).toString());
    m_stopSignal->setPlaceholderText(m_baseSettings.value(QStringLiteral("StopSignal")).toString());
    m_entrypoint->setInherited(stringList(m_baseSettings.value(QStringLiteral("Entrypoint"))));
    m_cmd->setInherited(stringList(m_baseSettings.value(QStringLiteral("Cmd"))));
    fillEnv();
    m_previewTimer->stop();
    startPreview();
}

Composition ComposerPanel::composition() const
{
    Composition c;
    c.basePath = m_basePath;
    c.baseImage = m_baseImage;
    // A layer with nothing in it is left out, as the command line does.
    for (const LayerSpec &spec : m_model->layers())
        if (!spec.ops.isEmpty())
            c.layers << spec;
    c.config = m_settings.config;
    c.tags = m_settings.tags;
    c.created = m_settings.created;
    c.createWorkdir = m_settings.createWorkdir;
    return c;
}

void ComposerPanel::setComposition(const Composition &c)
{
    m_model->setLayers(c.layers);
    Settings s;
    s.config = c.config;
    s.tags = c.tags;
    s.created = c.created;
    s.createWorkdir = c.createWorkdir;
    m_undo->clear();
    applySettings(s);
}

bool ComposerPanel::previewPending() const
{
    // Not the watcher's isRunning(): the future is done a moment before its result is shown.
    return m_previewTimer->isActive() || m_previewBusy;
}

// Edits.

int ComposerPanel::currentLayer(bool create)
{
    int layer = m_model->layerOf(m_layersView->currentIndex());
    if (layer < 0)
        layer = m_model->layerCount() - 1;
    if (layer < 0 && create) {
        m_model->addLayer(0);
        layer = 0;
    }
    return layer;
}

void ComposerPanel::stackLayer()
{
    m_model->addLayer(m_model->layerCount());
}

void ComposerPanel::addHostPaths(const QStringList &hostPaths, const QString &imageDir)
{
    m_undo->beginMacro(tr("Add %n item(s) to %1", nullptr, int(hostPaths.size())).arg(imageDir));
    const int layer = currentLayer(true);
    for (const QString &host : hostPaths) {
        LayerOp op;
        op.kind = LayerOp::AddHost;
        op.hostPath = QFileInfo(host).absoluteFilePath();
        op.imagePath = joinPath(imageDir, QFileInfo(op.hostPath).fileName());
        m_model->addOp(layer, op);
    }
    m_undo->endMacro();
}

void ComposerPanel::addOp(const LayerOp &op)
{
    m_undo->beginMacro(tr("Add %1").arg(op.imagePath));
    m_model->addOp(currentLayer(true), op);
    m_undo->endMacro();
}

void ComposerPanel::deletePath(const QString &imagePath, bool opaque)
{
    LayerOp op;
    op.kind = opaque ? LayerOp::Opaque : LayerOp::Delete;
    op.imagePath = imagePath;
    addOp(op);
}

void ComposerPanel::setWorkingDir(const QString &dir)
{
    Settings s = m_settings;
    s.config.workingDir = dir.isEmpty() ? std::nullopt : std::optional<QString>(dir);
    pushSettings(s, WorkdirField);
}

void ComposerPanel::setShellCommand(const QString &command)
{
    m_cmd->setShellCommand(command); // edited() pushes the change
}

void ComposerPanel::setEnv(const QString &name, const QString &value)
{
    Settings s = m_settings;
    bool replaced = false;
    for (auto &kv : s.config.setEnv) {
        if (kv.first == name) {
            kv.second = value;
            replaced = true;
        }
    }
    if (!replaced)
        s.config.setEnv << qMakePair(name, value);
    s.config.unsetEnv.removeAll(name);
    pushSettings(s, EnvField);
}

QString ComposerPanel::targetDir(const QModelIndex &index) const
{
    const auto *model = qobject_cast<const FileTreeModel *>(index.model());
    if (!index.isValid() || !model || !model->tree())
        return QStringLiteral("/");
    const MergedTree *tree = model->tree();
    int node = index.data(FileTreeModel::NodeRole).toInt();
    // A drop on a file goes into its folder.
    if (tree->entry(node).type != EntryType::Directory)
        node = tree->node(node).parent;
    return node <= 0 ? QStringLiteral("/") : u'/' + QString::fromUtf8(tree->path(node));
}

QString ComposerPanel::selectedImagePath() const
{
    for (const QTreeView *v :
        { static_cast<const QTreeView *>(m_resultView), static_cast<const QTreeView *>(m_baseView) }) {
        const QModelIndex i = v->currentIndex();
        if (i.isValid())
            return u'/' + i.data(FileTreeModel::PathRole).toString();
    }
    return {};
}

void ComposerPanel::editOpDialog(LayerOp::Kind kind)
{
    LayerOp op;
    op.kind = kind;
    const QString dir = targetDir(m_resultView->currentIndex());
    op.imagePath = joinPath(dir,
        kind == LayerOp::Mkdir         ? QStringLiteral("new-folder")
            : kind == LayerOp::Symlink ? QStringLiteral("new-link")
                                       : QStringLiteral("new-file.txt"));
    const QString title = kind == LayerOp::Mkdir ? tr("New folder")
        : kind == LayerOp::Symlink               ? tr("New symlink")
                                                 : tr("New text file");
    if (runOpDialog(this, op, title))
        addOp(op);
}

void ComposerPanel::editSelected(const QModelIndex &index)
{
    if (!m_model->isOp(index) || (index.flags() & Qt::ItemIsEditable))
        return; // editable cells are edited in place
    const int layer = m_model->layerOf(index);
    LayerOp op = m_model->op(layer, index.row());
    if (op.kind == LayerOp::WriteText && runOpDialog(this, op, tr("Text file")))
        m_model->setOp(layer, index.row(), op);
}

// The config form.

void ComposerPanel::pushSettings(const Settings &s, Field field)
{
    const ConfigEdits &a = s.config, &b = m_settings.config;
    const bool same = a.workingDir == b.workingDir && a.cmd == b.cmd && a.entrypoint == b.entrypoint
        && a.setEnv == b.setEnv && a.unsetEnv == b.unsetEnv && a.user == b.user && a.labels == b.labels
        && a.exposedPorts == b.exposedPorts && a.volumes == b.volumes && a.stopSignal == b.stopSignal
        && s.tags == m_settings.tags && s.created == m_settings.created && s.createWorkdir == m_settings.createWorkdir;
    if (!same) // a toggle that changes nothing (shell form of an empty command) is no step to undo
        m_undo->push(new SettingsCommand(this, m_settings, s, field));
}

void ComposerPanel::applySettings(const Settings &s)
{
    m_settings = s;
    fillForm();
    schedulePreview();
}

void ComposerPanel::formEdited(Field field)
{
    Settings s = m_settings;
    auto optional
        = [](const QString &t) { return t.trimmed().isEmpty() ? std::nullopt : std::optional<QString>(t.trimmed()); };
    switch (field) {
    case WorkdirField:
        s.config.workingDir = optional(m_workdir->text());
        break;
    case CreateWorkdirField:
        s.createWorkdir = m_createWorkdir->isChecked();
        break;
    case EntrypointField:
        s.config.entrypoint = m_entrypoint->argv();
        break;
    case CmdField:
        s.config.cmd = m_cmd->argv();
        break;
    case UserField:
        s.config.user = optional(m_user->text());
        break;
    case PortsField:
        s.config.exposedPorts = words(m_ports->text());
        break;
    case VolumesField:
        s.config.volumes = words(m_volumes->text());
        break;
    case TagsField:
        s.tags = words(m_tags->text());
        break;
    case CreatedField:
        s.created = m_created->text().trimmed();
        break;
    case StopSignalField:
        s.config.stopSignal = optional(m_stopSignal->text());
        break;
    case LabelsField:
        s.config.labels.clear();
        for (const QString &line : m_labels->toPlainText().split(u'\n', Qt::SkipEmptyParts))
            if (line.contains(u'='))
                s.config.labels << qMakePair(line.section(u'=', 0, 0).trimmed(), line.section(u'=', 1));
        break;
    default:
        return;
    }
    // Text being typed is not rewritten from the parsed value ("8080, " stays as typed).
    m_typing = field;
    pushSettings(s, field);
    m_typing = 0;
}

void ComposerPanel::fillForm()
{
    const Settings &s = m_settings;
    auto line = [this](QLineEdit *e, Field f, const QString &text) {
        if (m_typing == f || e->text() == text)
            return;
        const QSignalBlocker block(e);
        e->setText(text);
    };
    line(m_workdir, WorkdirField, s.config.workingDir.value_or(QString()));
    {
        const QSignalBlocker block(m_createWorkdir);
        m_createWorkdir->setChecked(s.createWorkdir);
    }
    m_entrypoint->setArgv(s.config.entrypoint);
    if (m_typing != CmdField)
        m_cmd->setArgv(s.config.cmd);
    line(m_user, UserField, s.config.user.value_or(QString()));
    line(m_ports, PortsField, s.config.exposedPorts.join(QStringLiteral(", ")));
    line(m_volumes, VolumesField, s.config.volumes.join(QStringLiteral(", ")));
    line(m_tags, TagsField, s.tags.join(QStringLiteral(", ")));
    line(m_created, CreatedField, s.created);
    line(m_stopSignal, StopSignalField, s.config.stopSignal.value_or(QString()));
    m_created->setStyleSheet(
        parseCreated(s.created) < 0 ? QStringLiteral("QLineEdit { background: #fde2e1; }") : QString());
    if (m_typing != LabelsField) {
        QStringList labels;
        for (const auto &kv : s.config.labels)
            labels << kv.first + u'=' + kv.second;
        if (m_labels->toPlainText() != labels.join(u'\n')) {
            const QSignalBlocker block(m_labels);
            m_labels->setPlainText(labels.join(u'\n'));
        }
    }
    // The table is rebuilt after the edit that led here has finished with its item.
    QMetaObject::invokeMethod(this, &ComposerPanel::fillEnv, Qt::QueuedConnection);
}

void ComposerPanel::fillEnv()
{
    const QSignalBlocker block(m_env);
    const ConfigEdits &e = m_settings.config;
    struct Row
    {
        QString name, value, from, baseName;
        bool unset = false;
    };
    QList<Row> rows;
    QStringList baseNames;
    for (const QString &entry : stringList(m_baseSettings.value(QStringLiteral("Env")))) {
        Row r;
        r.baseName = r.name = entry.section(u'=', 0, 0);
        r.value = entry.section(u'=', 1);
        r.from = tr("base");
        r.unset = e.unsetEnv.contains(r.name);
        if (r.unset)
            r.from = tr("unset");
        for (const auto &kv : e.setEnv) {
            if (kv.first == r.name) {
                r.value = kv.second;
                r.from = tr("base, changed");
                r.unset = false;
            }
        }
        baseNames << r.name;
        rows << r;
    }
    for (const auto &kv : e.setEnv)
        if (!baseNames.contains(kv.first))
            rows << Row { kv.first, kv.second, tr("added"), QString(), false };
    m_env->setRowCount(int(rows.size()));
    // As tall as its rows (three to eight), so the form below stays in view.
    const int shown = std::clamp(int(rows.size()), 3, 8);
    m_env->setFixedHeight(m_env->horizontalHeader()->sizeHint().height()
        + shown * m_env->verticalHeader()->defaultSectionSize() + 2 * m_env->frameWidth());
    const QColor dim = palette().color(QPalette::Disabled, QPalette::Text);
    for (int i = 0; i < rows.size(); ++i) {
        const Row &r = rows.at(i);
        auto *name = new QTableWidgetItem(r.name);
        name->setData(Qt::UserRole, r.baseName);
        name->setData(Qt::UserRole + 1, r.unset);
        auto *value = new QTableWidgetItem(r.value);
        auto *from = new QTableWidgetItem(r.from);
        from->setFlags(from->flags() & ~Qt::ItemIsEditable);
        if (r.from == tr("base") || r.unset) {
            for (QTableWidgetItem *item : { name, value, from })
                item->setForeground(dim);
        }
        if (r.unset) {
            QFont f = name->font();
            f.setStrikeOut(true);
            name->setFont(f);
            value->setFont(f);
        }
        m_env->setItem(i, 0, name);
        m_env->setItem(i, 1, value);
        m_env->setItem(i, 2, from);
    }
}

void ComposerPanel::envEdited()
{
    Settings s = m_settings;
    s.config.setEnv.clear();
    s.config.unsetEnv.clear();
    QHash<QString, QString> base;
    for (const QString &entry : stringList(m_baseSettings.value(QStringLiteral("Env"))))
        base.insert(entry.section(u'=', 0, 0), entry.section(u'=', 1));
    for (int r = 0; r < m_env->rowCount(); ++r) {
        const QTableWidgetItem *nameItem = m_env->item(r, 0);
        if (!nameItem)
            continue;
        const QString baseName = nameItem->data(Qt::UserRole).toString();
        const QString name = nameItem->text().trimmed();
        const QString value = m_env->item(r, 1) ? m_env->item(r, 1)->text() : QString();
        if (!baseName.isEmpty()) {
            if (nameItem->data(Qt::UserRole + 1).toBool()) {
                s.config.unsetEnv << baseName;
            } else if (name != baseName) {
                s.config.unsetEnv << baseName;
                if (!name.isEmpty())
                    s.config.setEnv << qMakePair(name, value);
            } else if (value != base.value(baseName)) {
                s.config.setEnv << qMakePair(name, value);
            }
        } else if (!name.isEmpty()) {
            s.config.setEnv << qMakePair(name, value);
        }
    }
    pushSettings(s, EnvField);
}

// The preview.

void ComposerPanel::schedulePreview()
{
    m_previewTimer->start();
}

void ComposerPanel::startPreview()
{
    if (m_previewWatcher.isRunning()) {
        // The running one is out of date: stop it and start again when it has returned.
        m_previewAgain = true;
        m_previewCancel->store(true);
        return;
    }
    m_previewCancel = std::make_shared<std::atomic<bool>>(false);
    m_previewBusy = true;
    const Composition c = composition();
    const PreviewBase base { m_baseLayers, m_baseSettings };
    const auto reuse = m_preview.indexed;
    const std::shared_ptr<const MergedTree> baseTree = m_baseTree;
    const int generation = m_baseGeneration;
    auto cancel = m_previewCancel;
    m_previewWatcher.setFuture(QtConcurrent::run(backgroundPool(), [c, base, reuse, baseTree, generation, cancel] {
        PreviewRun run;
        run.generation = generation;
        run.baseTree = baseTree
            ? baseTree
            : std::make_shared<const MergedTree>(MergedTree::build(base.layers, int(base.layers.size()) - 1, false));
        Progress progress;
        progress.cancel = cancel.get();
        run.preview = previewComposition(c, base, reuse, progress);
        return run;
    }));
}

void ComposerPanel::showPreview()
{
    const ComposePreview &p = m_preview;
    m_previewError->setVisible(!p.error.isEmpty());
    m_previewError->setText(tr("Cannot build this composition: %1").arg(p.error));
    if (p.tree && p.tree.get() != m_resultModel->tree()) {
        QList<QByteArray> expanded;
        collectExpanded(m_resultView, {}, expanded);
        const bool first = !m_resultModel->tree();
        m_resultModel->setComposedTree(p.tree, p.baseLayers, p.changes);
        // What changed is shown opened up to it (the first few), and what was open stays open.
        int opened = 0;
        for (auto it = p.changes.cbegin(); it != p.changes.cend() && opened < 40; ++it, ++opened) {
            const qsizetype slash = it.key().lastIndexOf('/');
            if (slash > 0)
                expanded << it.key().left(slash);
        }
        std::sort(expanded.begin(), expanded.end());
        for (const QByteArray &path : std::as_const(expanded)) {
            QByteArray prefix;
            for (const QByteArray &part : path.split('/')) {
                prefix = prefix.isEmpty() ? part : prefix + '/' + part;
                const QModelIndex i = m_resultModel->indexOfPath(prefix);
                if (i.isValid())
                    m_resultView->expand(i);
            }
        }
        if (first)
            m_resultView->header()->resizeSection(FileTreeModel::NameColumn, 220);
    }
    int added = 0, modified = 0, removed = 0;
    for (const Change c : p.changes) {
        added += c == Change::Added ? 1 : 0;
        modified += c == Change::Modified ? 1 : 0;
        removed += c == Change::Removed ? 1 : 0;
    }
    m_resultLabel->setText(tr("%1 base layer(s) + %2 new: %3 added, %4 changed, %5 deleted")
                               .arg(p.baseLayers)
                               .arg(p.layers.size() - p.baseLayers)
                               .arg(added)
                               .arg(modified)
                               .arg(removed));

    const QSignalBlocker block(m_findings);
    m_findings->clear();
    for (const Finding &f : p.findings) {
        auto *item = new QTreeWidgetItem(m_findings);
        item->setText(0, severityName(f.severity));
        item->setText(1, f.code);
        QString where = f.paths.join(QStringLiteral(", "));
        if (where.isEmpty() && !f.layers.isEmpty())
            where = tr("layer %1").arg(f.layers.constFirst());
        item->setText(2, where);
        item->setText(3, f.message);
        item->setToolTip(3, f.message);
        item->setData(0, Qt::UserRole, f.paths.value(0));
        item->setData(1, Qt::UserRole, f.layers.value(0, -1));
        const QColor colour = f.severity == Severity::Error ? QColor(190, 30, 30)
            : f.severity == Severity::Warning               ? QColor(190, 120, 0)
                                                            : QColor(40, 110, 190);
        item->setForeground(0, colour);
    }
    if (p.findings.isEmpty() && p.error.isEmpty()) {
        auto *item = new QTreeWidgetItem(m_findings);
        item->setText(3, tr("Nothing to report: the command is found and executable, the working folder exists."));
        item->setFlags(Qt::ItemIsEnabled);
    }
}

void ComposerPanel::showFinding()
{
    const QTreeWidgetItem *item = m_findings->currentItem();
    if (!item)
        return;
    const QString path = item->data(0, Qt::UserRole).toString();
    if (!path.isEmpty()) {
        QString error;
        const QModelIndex i = m_resultModel->indexOfPath(normaliseImagePath(path, &error).toUtf8());
        if (i.isValid()) {
            for (QModelIndex up = i.parent(); up.isValid(); up = up.parent())
                m_resultView->expand(up);
            m_resultView->setCurrentIndex(i);
            m_resultView->scrollTo(i);
        }
    }
    // A new layer's finding selects its card; layer numbers count the non-empty cards.
    const int layer = item->data(1, Qt::UserRole).toInt() - m_preview.baseLayers;
    if (layer >= 0) {
        int seen = -1;
        for (int l = 0; l < m_model->layerCount(); ++l) {
            if (m_model->opCount(l) > 0 && ++seen == layer) {
                m_layersView->setCurrentIndex(m_model->layerIndex(l));
                break;
            }
        }
    }
}

// Files and commands.

bool ComposerPanel::saveSpec(const QString &file, QString *error) const
{
    QFile f(file);
    if (!f.open(QIODevice::WriteOnly)
        || f.write(QJsonDocument(compositionToJson(composition(), QFileInfo(file).absolutePath()))
                       .toJson(QJsonDocument::Indented))
            < 0) {
        *error = QStringLiteral("%1: %2").arg(file, f.errorString());
        return false;
    }
    return true;
}

namespace {

bool readSpecFile(const QString &file, bool allowHostPaths, Composition *c, QString *error)
{
    // The same reading as `lamina compose --spec`: a FIFO or device is refused, not waited on.
    std::optional<Composition> read = readCompositionFile(file, error, allowHostPaths);
    if (!read) {
        *error = QStringLiteral("%1: %2").arg(file, *error);
        return false;
    }
    *c = std::move(*read);
    return true;
}

} // namespace

void ComposerPanel::openSpecFile(const QString &file)
{
    // A composition file may come from someone else and its "add" operations copy host files
    // into the image: the user sees every path it reads before anything is read.
    Composition c;
    QString error;
    if (!readSpecFile(file, true, &c, &error)) {
        QMessageBox::warning(this, tr("Open a composition"), error);
        return;
    }
    const QStringList paths = compositionHostPaths(c);
    if (!paths.isEmpty()) {
        const QString folder = QDir::cleanPath(QFileInfo(file).absolutePath());
        QStringList lines;
        for (const QString &path : paths) {
            const QString clean = QDir::cleanPath(path);
            const bool outside = !clean.startsWith(folder + u'/');
            lines << QStringLiteral("• %1%2%3")
                         .arg(clean, path == c.basePath ? tr(" (the base image)") : QString(),
                             outside ? tr(" — outside the composition's folder") : QString());
        }
        QMessageBox box(QMessageBox::Question, tr("Open a composition"),
            tr("%1 reads these files and folders from this computer into the image:\n\n%2\n\nOpen it?")
                .arg(QFileInfo(file).fileName(), lines.join(u'\n')),
            QMessageBox::Open | QMessageBox::Cancel, this);
        box.setObjectName(QStringLiteral("hostPathsQuestion"));
        box.setDefaultButton(QMessageBox::Cancel);
        if (box.exec() != QMessageBox::Open)
            return;
    }
    if (!loadSpec(file, &error, true))
        QMessageBox::warning(this, tr("Open a composition"), error);
}

bool ComposerPanel::loadSpec(const QString &file, QString *error, bool allowHostPaths)
{
    Composition c;
    if (!readSpecFile(file, allowHostPaths, &c, error))
        return false;
    setComposition(c);
    if (c.basePath.isEmpty())
        setBase({}, -1, {});
    else if (QFileInfo(c.basePath).absoluteFilePath() != QFileInfo(m_basePath).absoluteFilePath()
        || c.baseImage != m_baseImage || !c.basePlatform.isEmpty())
        Q_EMIT baseRequested(c.basePath, c.baseImage, c.basePlatform);
    return true;
}

QString ComposerPanel::commandLine(QString *why) const
{
    return composeCommandLine(composition(), m_lastOptions, QStringLiteral("lamina"), why);
}

void ComposerPanel::showCommandLine()
{
    QString why;
    const QString line = commandLine(&why);
    QDialog dialog(this);
    dialog.setWindowTitle(tr("The same image from the command line"));
    auto *layout = new QVBoxLayout(&dialog);
    auto *text = new QPlainTextEdit(
        line.isEmpty() ? tr(
            "# No command-line form: %1\n# Save the composition and run:\nlamina compose --spec composition.json -o %2")
                             .arg(why, shellQuote(m_lastOptions.output))
                       : line);
    text->setObjectName(QStringLiteral("commandLine"));
    text->setReadOnly(true);
    text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    text->setMinimumSize(640, 160);
    layout->addWidget(text);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    QPushButton *copy = buttons->addButton(tr("Copy"), QDialogButtonBox::ActionRole);
    connect(copy, &QPushButton::clicked, &dialog, [text] { QApplication::clipboard()->setText(text->toPlainText()); });
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    layout->addWidget(buttons);
    dialog.exec();
}

ExportDialog *ComposerPanel::openExportDialog()
{
    auto *dialog = new ExportDialog(composition(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (m_lastOptions.output != u"OUT.tar")
        dialog->setOptions(m_lastOptions);
    connect(dialog, &ExportDialog::finished, this, [this, dialog](bool ok) {
        if (ok)
            m_lastOptions = dialog->options();
    });
    connect(dialog, &ExportDialog::openResult, this, &ComposerPanel::openResult);
    dialog->show();
    return dialog;
}

} // namespace lamina
