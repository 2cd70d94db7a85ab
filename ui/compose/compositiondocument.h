// SPDX-License-Identifier: MIT
#pragma once

#include "compose/composition.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>

#include <functional>

class QUndoStack;

namespace lamina {

/// The composition being edited, its one owner: the base it is composed on, the new layers and
/// the config settings, with one undo stack for every edit of the layers and of the settings, in
/// the order they were made. The layer tree and the config form are views of it: they edit
/// through it and follow its signals, also when undo and redo change it.
class CompositionDocument : public QObject
{
    Q_OBJECT
public:
    /// Everything of a composition the config form edits.
    struct Settings
    {
        ConfigEdits config;
        QStringList tags;
        QString created = Composition().created;
        bool createWorkdir = Composition().createWorkdir;

        bool operator==(const Settings &) const = default;
    };
    /// A settings field; consecutive edits of one field are one step to undo (a typed word).
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

    explicit CompositionDocument(QObject *parent = nullptr);

    /// What adding `op` is called as a step to undo ("Add file /etc/x", "Delete /usr/share/doc").
    static QString stepName(const LayerOp &op);
    /// A field as the undo step that edits it names it ("Edit Cmd").
    static QString fieldName(int field);

    QUndoStack *undoStack() const { return m_undo; }
    /// Edited since it was last saved, loaded or discarded (the undo stack's clean state).
    bool isModified() const;
    void markSaved();
    /// Restored from an autosave: unsaved until the user saves it.
    void markUnsaved();

    /// The composition as exported; a layer with nothing in it is left out, as the command line does.
    Composition composition() const;
    /// Replaces the layers and settings (the base is kept: the window opens the base it names);
    /// clears undo.
    void setComposition(const Composition &composition);

    /// The image composed on: its file, its number there, and its config's "config" object (what
    /// the settings change). Set by the window opening an image, so not a step to undo.
    /// The base's `tags` become the composition's, unless the user changed those of the previous base.
    void setBase(const QString &path, int image, const QJsonObject &settings, const QStringList &tags = {});
    const QString &basePath() const { return m_basePath; }
    int baseImage() const { return m_baseImage; }
    const QJsonObject &baseSettings() const { return m_baseSettings; }

    // The layers, empty ones included. A layer's id is stable while it exists (views use it).
    int layerCount() const { return int(m_layers.size()); }
    int opCount(int layer) const { return int(m_layers.at(layer).ops.size()); }
    const LayerOp &op(int layer, int row) const { return m_layers.at(layer).ops.at(row); }
    quint32 layerId(int layer) const { return m_layers.at(layer).id; }
    /// The row of the layer with this id; -1 when there is none.
    int layerRow(quint32 id) const { return m_rowOfId.value(id, -1); }
    QList<LayerSpec> layers() const;
    /// Replaces the layers; clears undo, whose steps name rows of the layers replaced.
    void setLayers(const QList<LayerSpec> &layers);

    // Undoable edits of the layers, one step each; out-of-range rows are ignored.
    void addLayer(int row);
    void removeLayer(int row);
    void moveLayer(int from, int to); ///< the layer ends up at row `to`
    void addOp(int layer, const LayerOp &op, int row = -1);
    void removeOp(int layer, int row);
    void moveOp(int layer, int from, int to);
    void setOp(int layer, int row, const LayerOp &op);

    // Undoable edits of the settings: a change that changes nothing is no step.
    const Settings &settings() const { return m_settings; }
    void editSettings(Field field, const std::function<void(Settings &)> &change);
    void setWorkingDir(const QString &dir);
    /// Sets (or replaces) one variable, taking back an unset of it.
    void setEnvVariable(const QString &name, const QString &value);

Q_SIGNALS:
    void modifiedChanged(bool modified);
    // For item models: each change is announced before and reported after.
    void layerAboutToBeInserted(int row);
    void layerInserted(int row);
    void layerAboutToBeRemoved(int row);
    void layerRemoved(int row);
    void layerAboutToBeMoved(int from, int to);
    void layerMoved(int from, int to);
    void opAboutToBeInserted(int layer, int row);
    void opInserted(int layer, int row);
    void opAboutToBeRemoved(int layer, int row);
    void opRemoved(int layer, int row);
    void opAboutToBeMoved(int layer, int from, int to);
    void opMoved(int layer, int from, int to);
    void opChanged(int layer, int row);
    void layersAboutToBeReset();
    void layersReset();
    /// After any change of the layers (also by undo and redo).
    void layersChanged();
    void settingsChanged();
    void baseChanged();
    /// After any change of what composition() returns.
    void changed();

private:
    struct Layer
    {
        quint32 id = 0;
        QList<LayerOp> ops;
    };
    void push(const QString &text, std::function<void()> redo, std::function<void()> undo);
    void insertLayerNow(int row, const Layer &layer);
    Layer removeLayerNow(int row);
    void moveLayerNow(int from, int to);
    void insertOpNow(int layer, int row, const LayerOp &op);
    LayerOp removeOpNow(int layer, int row);
    void moveOpNow(int layer, int from, int to);
    void setOpNow(int layer, int row, const LayerOp &op);
    void layersEdited();
    void renumber();
    friend class SettingsCommand;
    void applySettings(const Settings &settings);

    QUndoStack *m_undo = nullptr;
    QString m_basePath;
    int m_baseImage = 0;
    QJsonObject m_baseSettings;
    QStringList m_baseTags; ///< the base image's tags, which the composition keeps until edited
    QList<Layer> m_layers;
    QHash<quint32, int> m_rowOfId;
    quint32 m_nextId = 1;
    Settings m_settings;
};

} // namespace lamina
