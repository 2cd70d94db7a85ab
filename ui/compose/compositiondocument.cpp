// SPDX-License-Identifier: MIT
#include "compose/compositiondocument.h"

#include <QFileInfo>
#include <QUndoCommand>
#include <QUndoStack>

namespace lamina {

namespace {

/// An edit of the layers as a pair of functions on the document.
class LayersCommand : public QUndoCommand
{
public:
    LayersCommand(const QString &text, std::function<void()> redo, std::function<void()> undo)
        : QUndoCommand(text)
        , m_redo(std::move(redo))
        , m_undo(std::move(undo))
    {
    }
    void redo() override { m_redo(); }
    void undo() override { m_undo(); }

private:
    std::function<void()> m_redo, m_undo;
};

} // namespace

/// A change of the settings, merged with the next change of the same field so that typing a
/// word is one step to undo.
class SettingsCommand : public QUndoCommand
{
public:
    SettingsCommand(CompositionDocument *document, const CompositionDocument::Settings &before,
        const CompositionDocument::Settings &after, int field)
        : QUndoCommand(CompositionDocument::tr("Edit %1").arg(CompositionDocument::fieldName(field)))
        , m_document(document)
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
    void redo() override { m_document->applySettings(m_after); }
    void undo() override { m_document->applySettings(m_before); }

private:
    CompositionDocument *m_document;
    CompositionDocument::Settings m_before, m_after;
    int m_field;
};

CompositionDocument::CompositionDocument(QObject *parent)
    : QObject(parent)
    , m_undo(new QUndoStack(this))
{
    connect(m_undo, &QUndoStack::cleanChanged, this, [this](bool clean) { Q_EMIT modifiedChanged(!clean); });
}

bool CompositionDocument::isModified() const
{
    return !m_undo->isClean();
}

void CompositionDocument::markSaved()
{
    m_undo->setClean();
}

void CompositionDocument::markUnsaved()
{
    m_undo->resetClean();
}

Composition CompositionDocument::composition() const
{
    Composition c;
    c.basePath = m_basePath;
    c.baseImage = m_baseImage;
    for (const Layer &l : m_layers)
        if (!l.ops.isEmpty())
            c.layers << LayerSpec { l.ops };
    c.config = m_settings.config;
    c.tags = m_settings.tags;
    c.created = m_settings.created;
    c.createWorkdir = m_settings.createWorkdir;
    return c;
}

void CompositionDocument::setComposition(const Composition &c)
{
    setLayers(c.layers);
    applySettings(Settings { c.config, c.tags, c.created, c.createWorkdir });
}

void CompositionDocument::setBase(const QString &path, int image, const QJsonObject &settings, const QStringList &tags)
{
    m_basePath = path;
    m_baseImage = image;
    m_baseSettings = settings;
    // The output is named as the base is, until the user names it otherwise: an untagged export
    // is known by its ID alone once loaded.
    const bool tagsKept = m_settings.tags == m_baseTags;
    m_baseTags = tags;
    if (tagsKept && m_settings.tags != tags) {
        Settings s = m_settings;
        s.tags = tags;
        applySettings(s);
    }
    Q_EMIT baseChanged();
    Q_EMIT changed();
}

QList<LayerSpec> CompositionDocument::layers() const
{
    QList<LayerSpec> out;
    for (const Layer &l : m_layers)
        out << LayerSpec { l.ops };
    return out;
}

void CompositionDocument::setLayers(const QList<LayerSpec> &layers)
{
    m_undo->clear();
    Q_EMIT layersAboutToBeReset();
    m_layers.clear();
    m_nextId = 1;
    for (const LayerSpec &spec : layers)
        m_layers << Layer { m_nextId++, spec.ops };
    renumber();
    Q_EMIT layersReset();
    layersEdited();
}

// Undoable edits of the layers. A command captures the document: the document owns the stack.

void CompositionDocument::push(const QString &text, std::function<void()> redo, std::function<void()> undo)
{
    m_undo->push(new LayersCommand(text, std::move(redo), std::move(undo)));
}

void CompositionDocument::addLayer(int row)
{
    const Layer l { m_nextId++, {} };
    row = std::clamp(row, 0, layerCount());
    push(
        tr("Stack a new layer"), [this, row, l] { insertLayerNow(row, l); }, [this, row] { removeLayerNow(row); });
}

QString CompositionDocument::stepName(const LayerOp &op)
{
    switch (op.kind) {
    case LayerOp::AddHost:
        return QFileInfo(op.hostPath).isDir() ? tr("Add folder %1").arg(op.imagePath)
                                              : tr("Add file %1").arg(op.imagePath);
    case LayerOp::Mkdir:
        return tr("New folder %1").arg(op.imagePath);
    case LayerOp::Symlink:
        return tr("New symlink %1").arg(op.imagePath);
    case LayerOp::WriteText:
        return tr("New text file %1").arg(op.imagePath);
    case LayerOp::Delete:
        return tr("Delete %1").arg(op.imagePath);
    case LayerOp::Opaque:
        return tr("Empty %1").arg(op.imagePath);
    }
    return tr("Add %1").arg(op.imagePath);
}

QString CompositionDocument::fieldName(int field)
{
    switch (Field(field)) {
    case WorkdirField:
        return tr("WorkingDir");
    case CreateWorkdirField:
        return tr("create WorkingDir");
    case EntrypointField:
        return tr("Entrypoint");
    case CmdField:
        return tr("Cmd");
    case EnvField:
        return tr("Env");
    case UserField:
        return tr("User");
    case PortsField:
        return tr("exposed ports");
    case LabelsField:
        return tr("labels");
    case VolumesField:
        return tr("volumes");
    case TagsField:
        return tr("tags");
    case CreatedField:
        return tr("created");
    case StopSignalField:
        return tr("StopSignal");
    }
    return tr("the config");
}

void CompositionDocument::removeLayer(int row)
{
    if (row < 0 || row >= layerCount())
        return;
    const Layer l = m_layers.at(row);
    push(
        tr("Remove layer %1").arg(row + 1), [this, row] { removeLayerNow(row); },
        [this, row, l] { insertLayerNow(row, l); });
}

void CompositionDocument::moveLayer(int from, int to)
{
    if (from < 0 || from >= layerCount() || to < 0 || to >= layerCount() || from == to)
        return;
    push(
        tr("Move layer %1").arg(from + 1), [this, from, to] { moveLayerNow(from, to); },
        [this, from, to] { moveLayerNow(to, from); });
}

void CompositionDocument::addOp(int layer, const LayerOp &op, int row)
{
    if (layer < 0 || layer >= layerCount())
        return;
    if (row < 0 || row > opCount(layer))
        row = opCount(layer);
    push(
        stepName(op), [this, layer, row, op] { insertOpNow(layer, row, op); },
        [this, layer, row] { removeOpNow(layer, row); });
}

void CompositionDocument::removeOp(int layer, int row)
{
    if (layer < 0 || layer >= layerCount() || row < 0 || row >= opCount(layer))
        return;
    const LayerOp was = op(layer, row);
    push(
        tr("Remove %1").arg(was.imagePath), [this, layer, row] { removeOpNow(layer, row); },
        [this, layer, row, was] { insertOpNow(layer, row, was); });
}

void CompositionDocument::moveOp(int layer, int from, int to)
{
    if (layer < 0 || layer >= layerCount() || from < 0 || to < 0 || from >= opCount(layer) || to >= opCount(layer)
        || from == to)
        return;
    push(
        tr("Move %1").arg(op(layer, from).imagePath), [this, layer, from, to] { moveOpNow(layer, from, to); },
        [this, layer, from, to] { moveOpNow(layer, to, from); });
}

void CompositionDocument::setOp(int layer, int row, const LayerOp &after)
{
    if (layer < 0 || layer >= layerCount() || row < 0 || row >= opCount(layer))
        return;
    const LayerOp before = op(layer, row);
    if (after == before)
        return;
    push(
        tr("Change %1").arg(after.imagePath), [this, layer, row, after] { setOpNow(layer, row, after); },
        [this, layer, row, before] { setOpNow(layer, row, before); });
}

// What the commands do, announced to the views.

void CompositionDocument::renumber()
{
    m_rowOfId.clear();
    for (int i = 0; i < m_layers.size(); ++i)
        m_rowOfId.insert(m_layers.at(i).id, i);
}

void CompositionDocument::layersEdited()
{
    Q_EMIT layersChanged();
    Q_EMIT changed();
}

void CompositionDocument::insertLayerNow(int row, const Layer &layer)
{
    Q_EMIT layerAboutToBeInserted(row);
    m_layers.insert(row, layer);
    renumber();
    Q_EMIT layerInserted(row);
    layersEdited();
}

CompositionDocument::Layer CompositionDocument::removeLayerNow(int row)
{
    Q_EMIT layerAboutToBeRemoved(row);
    Layer l = m_layers.takeAt(row);
    renumber();
    Q_EMIT layerRemoved(row);
    layersEdited();
    return l;
}

void CompositionDocument::moveLayerNow(int from, int to)
{
    Q_EMIT layerAboutToBeMoved(from, to);
    m_layers.move(from, to);
    renumber();
    Q_EMIT layerMoved(from, to);
    layersEdited();
}

void CompositionDocument::insertOpNow(int layer, int row, const LayerOp &op)
{
    Q_EMIT opAboutToBeInserted(layer, row);
    m_layers[layer].ops.insert(row, op);
    Q_EMIT opInserted(layer, row);
    layersEdited();
}

LayerOp CompositionDocument::removeOpNow(int layer, int row)
{
    Q_EMIT opAboutToBeRemoved(layer, row);
    LayerOp op = m_layers[layer].ops.takeAt(row);
    Q_EMIT opRemoved(layer, row);
    layersEdited();
    return op;
}

void CompositionDocument::moveOpNow(int layer, int from, int to)
{
    Q_EMIT opAboutToBeMoved(layer, from, to);
    m_layers[layer].ops.move(from, to);
    Q_EMIT opMoved(layer, from, to);
    layersEdited();
}

void CompositionDocument::setOpNow(int layer, int row, const LayerOp &op)
{
    m_layers[layer].ops[row] = op;
    Q_EMIT opChanged(layer, row);
    layersEdited();
}

// Settings.

void CompositionDocument::editSettings(Field field, const std::function<void(Settings &)> &change)
{
    Settings s = m_settings;
    change(s);
    if (!(s == m_settings)) // a toggle that changes nothing (shell form of an empty command) is no step
        m_undo->push(new SettingsCommand(this, m_settings, s, field));
}

void CompositionDocument::applySettings(const Settings &settings)
{
    m_settings = settings;
    Q_EMIT settingsChanged();
    Q_EMIT changed();
}

void CompositionDocument::setWorkingDir(const QString &dir)
{
    editSettings(WorkdirField,
        [&](Settings &s) { s.config.workingDir = dir.isEmpty() ? std::nullopt : std::optional<QString>(dir); });
}

void CompositionDocument::setEnvVariable(const QString &name, const QString &value)
{
    editSettings(EnvField, [&](Settings &s) {
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
    });
}

} // namespace lamina
