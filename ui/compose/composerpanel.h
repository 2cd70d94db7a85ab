// SPDX-License-Identifier: MIT
#pragma once

#include "compose/composition.h"
#include "compose/preview.h"
#include "format/imagearchive.h"

#include <QFutureWatcher>
#include <QWidget>

#include <atomic>
#include <memory>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QTableWidget;
class QTimer;
class QTreeView;
class QTreeWidget;
class QUndoStack;

namespace lamina {

class ArgvEdit;
class ComposerModel;
class ExportDialog;
class FileTreeModel;
class ImageTreeView;

/// The composer: new layers stacked on the open image (files dropped or added, folders, links,
/// text files, deletions), the config form, and a live preview of the result — its merged tree
/// beside the base's and the pre-export checks — computed off the UI thread after a short pause
/// in editing. Every edit is undoable. Export, the composition's JSON file and the equivalent
/// command line start here.
class ComposerPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ComposerPanel(QWidget *parent = nullptr);
    ~ComposerPanel() override;

    /// The image composed on, with its indexed layers (none: an image from scratch). The
    /// composition itself is kept.
    void setBase(const ImageArchive &archive, int image, const MergedTree::Layers &layers);
    Composition composition() const;
    /// Replaces the composition (its base path and image are taken as they are); clears undo.
    void setComposition(const Composition &composition);

    ComposerModel *model() const { return m_model; }
    QUndoStack *undoStack() const { return m_undo; }
    const ComposePreview &preview() const { return m_preview; }
    /// True while a preview is waiting or being computed.
    bool previewPending() const;

    // Edits, each undoable; the buttons, drops and menus use them.
    void stackLayer();
    /// Host files or folders into `imageDir` of the current layer (a new one when there is none).
    void addHostPaths(const QStringList &hostPaths, const QString &imageDir);
    void addOp(const LayerOp &op);
    /// A whiteout for the path, or with `opaque` an opaque whiteout that empties the folder.
    void deletePath(const QString &imagePath, bool opaque);
    void setWorkingDir(const QString &dir);
    void setShellCommand(const QString &command);
    void setEnv(const QString &name, const QString &value);

    bool saveSpec(const QString &file, QString *error) const;
    /// Loads a composition file; when it names another base (or image, or platform), baseRequested()
    /// asks for it. Host paths outside the file's folder are refused unless `allowHostPaths`.
    bool loadSpec(const QString &file, QString *error, bool allowHostPaths = false);
    /// "Open composition": says which host files and folders the file will read (those outside
    /// its folder marked) and loads it only once the user agrees; errors in a message box.
    void openSpecFile(const QString &file);
    /// The equivalent `lamina compose …` for the last export's options (or a docker archive
    /// to OUT.tar); empty with `why` when it has no command-line form.
    QString commandLine(QString *why) const;
    ExportDialog *openExportDialog();

Q_SIGNALS:
    void previewUpdated();
    void openResult(const QString &path);
    /// `platform` ("os/arch[/variant]") when the composition picks the image by platform, else "".
    void baseRequested(const QString &path, int image, const QString &platform);

private:
    struct Settings
    {
        ConfigEdits config;
        QStringList tags;
        QString created;
        bool createWorkdir = true;
    };
    enum Field {
        WorkdirField = 1,
        CreateWorkdirField,
        EntrypointField,
        CmdField,
        EnvField,
        UserField,
        PortsField,
        LabelsField,
        VolumesField,
        TagsField,
        CreatedField,
        StopSignalField
    };
    friend class SettingsCommand;
    void pushSettings(const Settings &s, Field field);
    void applySettings(const Settings &s);
    void fillForm();
    void fillEnv();
    void envEdited();
    void formEdited(Field field);
    int currentLayer(bool create);
    QString targetDir(const QModelIndex &resultIndex) const;
    QString selectedImagePath() const;
    void editOpDialog(LayerOp::Kind kind);
    void editSelected(const QModelIndex &index);
    void schedulePreview();
    void startPreview();
    void showPreview();
    void showFinding();
    void showCommandLine();

    QUndoStack *m_undo = nullptr;
    ComposerModel *m_model = nullptr;
    Settings m_settings;
    QString m_basePath;
    int m_baseImage = 0;
    QString m_baseName;
    MergedTree::Layers m_baseLayers;
    QJsonObject m_baseSettings;
    std::shared_ptr<const MergedTree> m_baseTree;
    int m_baseGeneration = 0;
    ExportOptions m_lastOptions;
    int m_typing = 0; ///< the field being typed in, not rewritten by fillForm()

    struct PreviewRun
    {
        ComposePreview preview;
        std::shared_ptr<const MergedTree> baseTree;
        int generation = 0;
    };
    ComposePreview m_preview;
    QFutureWatcher<PreviewRun> m_previewWatcher;
    std::shared_ptr<std::atomic<bool>> m_previewCancel;
    bool m_previewAgain = false;
    bool m_previewBusy = false; ///< from start until the result is shown
    QTimer *m_previewTimer = nullptr;

    QTreeView *m_layersView = nullptr;
    QLabel *m_baseLabel = nullptr;
    QLineEdit *m_workdir = nullptr;
    QCheckBox *m_createWorkdir = nullptr;
    ArgvEdit *m_entrypoint = nullptr;
    ArgvEdit *m_cmd = nullptr;
    QTableWidget *m_env = nullptr;
    QLineEdit *m_user = nullptr;
    QLineEdit *m_ports = nullptr;
    QPlainTextEdit *m_labels = nullptr;
    QLineEdit *m_volumes = nullptr;
    QLineEdit *m_tags = nullptr;
    QLineEdit *m_created = nullptr;
    QLineEdit *m_stopSignal = nullptr;
    FileTreeModel *m_baseModel = nullptr;
    FileTreeModel *m_resultModel = nullptr;
    ImageTreeView *m_baseView = nullptr;
    ImageTreeView *m_resultView = nullptr;
    QLabel *m_resultLabel = nullptr;
    QLabel *m_previewError = nullptr;
    QTreeWidget *m_findings = nullptr;
};

} // namespace lamina
