// SPDX-License-Identifier: MIT
#pragma once

#include "compose/layerwriter.h"

#include <QAbstractItemModel>
#include <QHash>
#include <QSet>

class QUndoStack;

namespace lamina {

/// The composer's new layers as a two-level tree: each layer a top-level row, its operations
/// below it. Every edit goes through the undo stack as one command and reaches the views as
/// incremental inserts, removes, moves and data changes. parent() is O(1): an operation's index
/// carries its layer's stable id.
class ComposerModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column { PathColumn, TypeColumn, SourceColumn, SizeColumn, ModeColumn, OwnerColumn, ColumnCount };
    static constexpr int KindRole = Qt::UserRole + 1; ///< LayerOp::Kind of an operation row, -1 for a layer

    explicit ComposerModel(QUndoStack *undo, QObject *parent = nullptr);

    // Undoable edits, one command each.
    void addLayer(int row);
    void removeLayer(int row);
    void moveLayer(int from, int to); ///< the layer ends up at row `to`
    void addOp(int layer, const LayerOp &op, int row = -1);
    void removeOp(int layer, int row);
    void moveOp(int layer, int from, int to);
    void setOp(int layer, int row, const LayerOp &op);

    /// Replaces everything (loading a composition); not undoable, the caller clears the stack.
    void setLayers(const QList<LayerSpec> &layers);
    QList<LayerSpec> layers() const;
    int layerCount() const { return int(m_layers.size()); }
    const LayerOp &op(int layer, int row) const { return m_layers.at(layer).ops.at(row).op; }
    int opCount(int layer) const { return int(m_layers.at(layer).ops.size()); }

    QModelIndex layerIndex(int layer, int column = 0) const;
    QModelIndex opIndex(int layer, int row, int column = 0) const;
    /// The layer of a layer or operation index; -1 for an invalid one.
    int layerOf(const QModelIndex &index) const;
    bool isOp(const QModelIndex &index) const { return index.isValid() && index.internalId() != 0; }

    QModelIndex index(int row, int column, const QModelIndex &parent = {}) const override;
    QModelIndex parent(const QModelIndex &child) const override;
    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role) override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

    /// "0755", "rwxr-xr-x" or "rwsr-xr-x" to a mode; nullopt when it is neither.
    static std::optional<quint32> parseMode(const QString &text);
    /// The mode an operation gives its entry when it sets none (the host's for a host path).
    static quint32 effectiveMode(const LayerOp &op);

Q_SIGNALS:
    /// Any change to the layers (also by undo and redo).
    void layersChanged();

private:
    struct Row
    {
        LayerOp op;
        qint64 hostBytes = -1; ///< a file's, measured when added; a folder's are in m_folderBytes
        bool hostFolder = false;
    };
    struct Layer
    {
        quint32 id = 0;
        QList<Row> ops;
    };
    friend class ComposerCommand;
    void rawInsertLayer(int row, const Layer &layer);
    Layer rawRemoveLayer(int row);
    void rawMoveLayer(int from, int to);
    void rawInsertOp(int layer, int row, const Row &op);
    Row rawRemoveOp(int layer, int row);
    void rawMoveOp(int layer, int from, int to);
    void rawSetOp(int layer, int row, const Row &op);
    void renumber();
    Row makeRow(const LayerOp &op);
    void measureFolder(const QString &path);
    qint64 bytesOf(const Row &r) const;

    QUndoStack *m_undo;
    QList<Layer> m_layers;
    QHash<quint32, int> m_rowOfId;
    quint32 m_nextId = 1;
    QHash<QString, qint64> m_folderBytes; ///< host folders measured, by path
    QSet<QString> m_measuring;
};

} // namespace lamina
