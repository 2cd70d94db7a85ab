// SPDX-License-Identifier: MIT
#include "compose/preview.h"

#include "compose/compositionjson.h"
#include "compose/config.h"
#include "compose/newlayers.h"
#include "compose/preflight.h"
#include "layers/sharedtree.h"
#include "util/sha256.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>

namespace lamina {

namespace {

QByteArray layerKey(const LayerSpec &spec, const FolderBelow &below)
{
    Composition one;
    one.layers << spec;
    QByteArray key
        = QJsonDocument(compositionToJson(one).value(QStringLiteral("layers")).toArray()).toJson(QJsonDocument::Compact)
        + '\n' + QByteArray::number(spec.mtime);
    // The folders below that the layer may write again: their attributes are part of it.
    for (const LayerOp &op : spec.ops) {
        QString error;
        const QString path = normaliseImagePath(op.imagePath, &error);
        for (qsizetype end = path.indexOf(u'/'); below; end = path.indexOf(u'/', end + 1)) {
            const QString dir = end < 0 ? path : path.left(end);
            if (const std::optional<ExistingFolder> f = dir.isEmpty() ? std::nullopt : below(dir))
                key += '\n' + dir.toUtf8() + ' ' + QByteArray::number(f->mode) + ' ' + QByteArray::number(f->uid) + ' '
                    + QByteArray::number(f->gid) + ' ' + QByteArray::number(f->mtime);
            if (end < 0)
                break;
        }
    }
    for (const LayerOp &op : spec.ops) {
        if (op.kind != LayerOp::AddHost)
            continue;
        const QFileInfo info(op.hostPath);
        key += '\n' + QByteArray::number(info.size()) + ' '
            + QByteArray::number(info.lastModified().toMSecsSinceEpoch());
    }
    return Sha256::of(key).toLatin1();
}

} // namespace

ComposePreview previewComposition(const Composition &composition, const PreviewBase &base,
    const QHash<QByteArray, std::shared_ptr<const LayerIndex>> &reuse, const Progress &progress)
{
    ComposePreview p;
    p.baseLayers = int(base.layers.size());
    p.layers = base.layers;
    const qint64 mtime = parseCreated(composition.created);
    if (mtime < 0) {
        p.error = QStringLiteral("\"%1\" is not an RFC 3339 time (like 2024-01-01T00:00:00Z)").arg(composition.created);
        return p;
    }
    QList<LayerSpec> layers = layersToWrite(composition, base.layers, &p.workdirAdded);
    std::unique_ptr<QTemporaryDir> work;
    for (int i = 0; i < layers.size(); ++i) {
        if (progress.cancelled()) {
            p.cancelled = true;
            return p;
        }
        LayerSpec &spec = layers[i];
        spec.mtime = mtime;
        const FolderBelow below = foldersBelow(p.layers);
        const QByteArray key = layerKey(spec, below);
        std::shared_ptr<const LayerIndex> index = reuse.value(key);
        if (!index) {
            if (!work) {
                work = std::make_unique<QTemporaryDir>();
                if (!work->isValid()) {
                    p.error = QStringLiteral("cannot create a temporary folder: %1").arg(work->errorString());
                    return p;
                }
            }
            const QString path = work->filePath(QStringLiteral("layer-%1.tar").arg(i));
            const WrittenLayer w = writeLayer(spec, path, progress, below);
            if (!w.ok()) {
                p.error = QStringLiteral("new layer %1: %2").arg(i + 1).arg(w.error);
                p.cancelled = progress.cancelled();
                return p;
            }
            QString error;
            const std::unique_ptr<MemberReader> reader = openFileReader(path, &error);
            if (!reader) {
                p.error = error;
                return p;
            }
            const LayerIndexResult r = indexLayerFromReader(*reader, Compression::None, {}, progress, w.size);
            QFile::remove(path);
            if (!r.index) {
                p.error = QStringLiteral("new layer %1: %2").arg(i + 1).arg(r.error);
                return p;
            }
            index = r.index;
        }
        p.indexed.insert(key, index);
        p.layers << index;
    }
    // Marks come from netChanges() over every new layer, not from the top layer's change list.
    // Shared: with no new layer it is the base's tree, which the window shows already, and the
    // checks below borrow it instead of building their own.
    p.tree = sharedMergedTree(p.layers, int(p.layers.size()) - 1);
    if (p.layers.size() > p.baseLayers)
        for (const MergedTree::ChangeRecord &c : netChanges(p.layers, p.baseLayers, int(p.layers.size()) - 1))
            p.changes.insert(c.path, c.change);
    p.settings = editedSettings(base.settings, composition.config);
    p.findings
        = preflightChecks(p.layers, p.baseLayers, p.settings, p.workdirAdded, layers) + tagChecks(composition.tags);
    sortFindings(p.findings);
    return p;
}

} // namespace lamina
