// SPDX-License-Identifier: MIT
#pragma once

#include "compose/composition.h"
#include "compose/preview.h"
#include "format/imagearchive.h"

#include <QWidget>

class QLabel;
class QToolBar;
class QTreeView;
class QUndoStack;

namespace lamina {

class ComposerModel;
class CompositionAutosave;
class CompositionDocument;
class ConfigForm;
class ExportDialog;
class LivePreview;
class PreviewPane;

/// The composer: new layers stacked on the open image (files dropped or added, folders, links,
/// text files, deletions), the config form, and a live preview of the result — its merged tree
/// beside the base's and the pre-export checks. The panel holds the toolbars and lays out the
/// views of one CompositionDocument, whose undo stack takes every edit. Export, the
/// composition's JSON file and the equivalent command line start here.
class ComposerPanel : public QWidget
{
    Q_OBJECT
public:
    explicit ComposerPanel(QWidget *parent = nullptr);
    ~ComposerPanel() override;

    /// The image composed on, with its indexed layers (none: an image from scratch). The
    /// composition itself is kept.
    void setBase(const ImageArchive &archive, int image, const MergedTree::Layers &layers);
    /// How a registry:// base is pulled again for an export (the window's "insecure" choice).
    void setRegistryOptions(const RegistryOptions &options) { m_registry = options; }
    Composition composition() const;
    /// Replaces the composition (its base path and image are taken as they are); clears undo.
    void setComposition(const Composition &composition);

    CompositionDocument *document() const { return m_document; }
    /// Whether the panel is in sight (the window's Compose page): its base and result trees are
    /// shaped only then.
    void setTreesInSight(bool inSight);
    ComposerModel *model() const { return m_model; }
    QUndoStack *undoStack() const;
    const ComposePreview &preview() const;
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

    bool saveSpec(const QString &file, QString *error);
    /// Before the composition would be lost (closing, opening another archive): when it has unsaved
    /// changes, asks Save / Discard / Cancel. True when the caller may go on.
    bool maybeSave();
    /// Save…: asks for a file and saves the composition there; false when cancelled or it failed.
    bool saveAs();
    /// Empties the composition (the base stays); nothing is left to save.
    void discard();
    /// What a run that ended without saving left (CompositionAutosave): asks whether to restore it.
    void offerRestore();
    /// Restores the autosaved composition; it stays unsaved until saved. False when there is none.
    bool restoreAutosave(QString *error);
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
    /// The export dialog's "Open result" (ExportDialog::openResult).
    void openResult(const QString &path, bool insecure);
    /// `platform` ("os/arch[/variant]") when the composition picks the image by platform, else "".
    void baseRequested(const QString &path, int image, const QString &platform);

private:
    void buildLayersView();
    QToolBar *buildEditBar();
    QToolBar *buildArrangeBar();
    QToolBar *buildFileBar();
    void layOut(QToolBar *fileBar, QToolBar *editBar, QToolBar *arrangeBar);
    void showResultMenu(const QString &dir, const QString &path, const QPoint &globalPos);
    void selectNewLayer(int newLayer);
    int currentLayer(bool create);
    /// Where added files go unless the user says otherwise: the folder selected in the preview,
    /// else the WorkingDir, else "/".
    QString defaultTargetDir() const;
    /// Asks where in the image, then adds them there.
    void askAndAddHostPaths(const QStringList &hostPaths);
    void removeSelected();
    void moveSelected(int by);
    void editOpDialog(LayerOp::Kind kind);
    void editSelected(const QModelIndex &index);
    void previewArrived();

    CompositionDocument *m_document = nullptr;
    ComposerModel *m_model = nullptr;
    LivePreview *m_preview = nullptr;
    CompositionAutosave *m_autosave = nullptr;
    ExportOptions m_lastOptions;
    RegistryOptions m_registry;

    QTreeView *m_layersView = nullptr;
    QLabel *m_baseLabel = nullptr;
    ConfigForm *m_form = nullptr;
    PreviewPane *m_previewPane = nullptr;
};

} // namespace lamina
