// SPDX-License-Identifier: MIT
#include "compose/newlayers.h"

#include "archive/memberreader.h"
#include "compose/layerwriter.h"
#include "layers/extract.h"
#include "layers/layerindex.h"
#include "layers/sharedtree.h"

namespace lamina {

FolderBelow foldersBelow(const MergedTree::Layers &layers)
{
    if (layers.isEmpty())
        return {};
    const auto tree = borrowOrBuildTree(layers, int(layers.size()) - 1);
    return [tree](const QString &path) -> std::optional<ExistingFolder> {
        const int node = tree->find(path.toUtf8());
        if (node <= 0 || tree->node(node).removed)
            return std::nullopt;
        const LayerEntry &e = tree->entry(node);
        if (e.type != EntryType::Directory)
            return std::nullopt;
        return ExistingFolder { e.mode, e.uid, e.gid, e.mtime };
    };
}

QList<LayerSpec> layersToWrite(const Composition &composition, const MergedTree::Layers &baseLayers, bool *workdirAdded)
{
    // WorkingDir is metadata only; Docker creates it at run time, other runtimes may not
    // (docs/formats.md §6.9), so it goes into the last new layer unless the image already has it.
    QList<LayerSpec> layers = composition.layers;
    *workdirAdded = false;
    if (!composition.createWorkdir || !composition.config.workingDir || composition.config.workingDir->isEmpty())
        return layers;
    bool exists = false;
    if (!baseLayers.isEmpty()) {
        const auto shared = borrowOrBuildTree(baseLayers, int(baseLayers.size()) - 1);
        const MergedTree &tree = *shared;
        QString unused;
        const int node = resolveInTree(tree, composition.config.workingDir->toUtf8(), true, &unused);
        exists = node == 0 || (node > 0 && tree.entry(node).type == EntryType::Directory);
    }
    QString ignored;
    const QString workdir = normaliseImagePath(*composition.config.workingDir, &ignored);
    if (workdir.isEmpty() && ignored.isEmpty())
        return layers; // the root is always there
    for (const LayerSpec &l : std::as_const(layers))
        for (const LayerOp &op : l.ops)
            exists = exists || (op.kind == LayerOp::Mkdir && normaliseImagePath(op.imagePath, &ignored) == workdir);
    if (exists)
        return layers;
    *workdirAdded = true;
    if (layers.isEmpty())
        layers << LayerSpec();
    LayerOp mkdir;
    mkdir.kind = LayerOp::Mkdir;
    mkdir.imagePath = *composition.config.workingDir;
    mkdir.mode = 0755;
    layers.last().ops << mkdir;
    return layers;
}

bool writeNewLayers(const Composition &composition, const MergedTree::Layers &baseIndexes, qint64 mtime,
    const QString &workDir, const Progress &progress, NewLayers *out, QString *error)
{
    out->specs = layersToWrite(composition, baseIndexes, &out->workdirAdded);
    for (int i = 0; i < out->specs.size(); ++i) {
        LayerSpec spec = out->specs.at(i);
        spec.mtime = mtime;
        const QString path = workDir + QStringLiteral("/new-%1.tar").arg(i);
        const WrittenLayer w = writeLayer(spec, path, progress, foldersBelow(baseIndexes + out->indexes));
        if (!w.ok()) {
            *error = w.error;
            return false;
        }
        LayerSource s;
        s.diffId = w.diffId;
        s.size = w.size;
        s.storedSize = w.size;
        s.file = path;
        out->sources << s;
        out->diffIds << w.diffId;
        // Indexed now, small as they are: the next new layer writes its folders as this one
        // leaves them, and the checks of the composed image need not index the output again.
        QString ignored;
        const std::unique_ptr<MemberReader> reader = openFileReader(path, &ignored);
        const LayerIndexResult indexed
            = reader ? indexLayerFromReader(*reader, Compression::None, {}, progress, w.size) : LayerIndexResult {};
        out->indexes << indexed.index;
    }
    return true;
}

} // namespace lamina
