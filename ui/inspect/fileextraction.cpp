// SPDX-License-Identifier: MIT
#include "fileextraction.h"

#include "common/deferredfiles.h"

#include <QDir>
#include <QFileInfo>
#include <QTemporaryDir>

namespace lamina {

FileExtraction::FileExtraction(QObject *parent)
    : QObject(parent)
{
}

FileExtraction::~FileExtraction()
{
    cancel();
}

void FileExtraction::cancel()
{
    *m_cancel = true;
}

void FileExtraction::extract(const ImageArchive &archive, int image, const std::shared_ptr<const MergedTree> &tree,
    int node, const QString &dest)
{
    if (!tree || node < 0 || isRunning())
        return;
    run(
        QString::fromUtf8(tree->name(node)), archive, image, [tree] { return tree; }, node, dest);
}

void FileExtraction::extractLayer(
    const ImageArchive &archive, int image, const MergedTree::Layers &layers, int layer, const QString &dest)
{
    if (layer < 0 || layer >= layers.size() || !layers.at(layer) || isRunning())
        return;
    // The layers below left out (as unreadable ones are): the tree holds this layer's own
    // entries, numbered as in the image, so their bytes are read from the right layer file.
    run(
        tr("layer %1").arg(layer), archive, image,
        [layers, layer] {
            MergedTree::Layers only(layers.size());
            only[layer] = layers.at(layer);
            return std::make_shared<const MergedTree>(MergedTree::build(only, layer, false));
        },
        0, dest);
}

void FileExtraction::run(const QString &name, const ImageArchive &archive, int image,
    std::function<std::shared_ptr<const MergedTree>()> makeTree, int node, const QString &dest)
{
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    const auto cancel = m_cancel;
    Q_EMIT started(name);
    m_job.start(
        [archive, image, makeTree, node, dest, cancel](const Progress &job) {
            Extracted e;
            e.dest = dest;
            const std::shared_ptr<const MergedTree> tree = makeTree();
            // What the extract makes is the node's name in `dest`: removed again when cancelled,
            // unless it was there before (a folder extracted into keeps what it held).
            const QString made = QDir(dest).filePath(QString::fromUtf8(tree->name(node)));
            const QFileInfo before(made);
            const bool existed = before.exists() || before.isSymLink();
            e.result = extractNode(archive, image, *tree, node, dest, false, withCancel(job, cancel));
            e.cancelled = *cancel;
            if (e.cancelled && !existed) {
                const QFileInfo after(made);
                if (after.isDir() && !after.isSymLink())
                    QDir(made).removeRecursively();
                else if (after.exists() || after.isSymLink())
                    QFile::remove(made);
            }
            return e;
        },
        [this](Extracted e) { Q_EMIT finished(e.result, e.dest, e.cancelled); },
        [this](qint64 done, qint64 total) { Q_EMIT progress(done, total); });
}

QMimeData *FileExtraction::dragOut(
    const ImageArchive &archive, int image, const std::shared_ptr<const MergedTree> &tree, const QList<int> &nodes)
{
    if (!tree)
        return nullptr;
    auto dir = std::make_shared<QTemporaryDir>();
    m_dragDir = dir;
    return new DeferredFilesMime([archive, image, tree, nodes, dir] {
        QList<QUrl> urls;
        for (int node : nodes) {
            const ExtractResult r = extractNode(archive, image, *tree, node, dir->path(), false);
            if (r.ok())
                urls << QUrl::fromLocalFile(dir->filePath(QString::fromUtf8(tree->name(node))));
        }
        return urls;
    });
}

} // namespace lamina
