// SPDX-License-Identifier: MIT
#pragma once

#include "common/latestjob.h"
#include "compose/layerwriter.h"

#include <QAbstractItemModel>
#include <QHash>

#include <map>
#include <memory>

namespace lamina {

class CompositionDocument;

/// The composition's new layers as a two-level tree: each layer a top-level row, its operations
/// below it. A view of the CompositionDocument: edits go through the document (one undo step
/// each) and reach the views as incremental inserts, removes, moves and data changes, also when
/// undo and redo make them. parent() is O(1): an operation's index carries its layer's stable id.
class ComposerModel : public QAbstractItemModel
{
    Q_OBJECT
public:
    enum Column { PathColumn, TypeColumn, SourceColumn, SizeColumn, ModeColumn, OwnerColumn, ColumnCount };
    static constexpr int KindRole = Qt::UserRole + 1; ///< LayerOp::Kind of an operation row, -1 for a layer

    explicit ComposerModel(CompositionDocument *document, QObject *parent = nullptr);
    ~ComposerModel() override;
    CompositionDocument *document() const { return m_document; }

    // The edits are the document's (one undo step each): the model only shows them.
    QList<LayerSpec> layers() const;
    int layerCount() const;
    const LayerOp &op(int layer, int row) const;
    int opCount(int layer) const;

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

    /// The mode an operation gives its entry when it sets none (the host's for a host path).
    static quint32 effectiveMode(const LayerOp &op);

Q_SIGNALS:
    /// Any change to the layers (also by undo and redo).
    void layersChanged();

private:
    void connectDocument();
    /// Sizes of host files and folders are measured when added (a folder's on a worker).
    void measure(const LayerOp &op);
    void measureAll();
    void folderMeasured(const QString &path, qint64 bytes);
    bool isHostFolder(const LayerOp &op) const;
    qint64 bytesOf(const LayerOp &op) const;

    CompositionDocument *m_document;
    QHash<QString, qint64> m_fileBytes; ///< host files, by path
    QHash<QString, qint64> m_folderBytes; ///< host folders measured, by path; -1 while counting
    std::map<QString, std::unique_ptr<LatestJob<qint64>>> m_measuring;
};

} // namespace lamina
