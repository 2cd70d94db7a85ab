// SPDX-License-Identifier: MIT
#pragma once

#include "common/latestjob.h"
#include "format/imagearchive.h"
#include "layers/extract.h"
#include "layers/mergedtree.h"

#include <QObject>

#include <atomic>
#include <functional>
#include <memory>

class QMimeData;
class QTemporaryDir;

namespace lamina {

/// Files of a merged tree written out of the archive, off the UI thread: extracted into a folder
/// the user chose (with progress and Cancel; a cancelled extract removes what it made), or
/// dragged out, written to a temporary folder while the drag goes on.
class FileExtraction : public QObject
{
    Q_OBJECT
public:
    explicit FileExtraction(QObject *parent = nullptr);
    ~FileExtraction() override;

    /// Extracts `node` of `tree` (of `image` of `archive`) into `dest`. Ignored while one runs.
    void extract(const ImageArchive &archive, int image, const std::shared_ptr<const MergedTree> &tree, int node,
        const QString &dest);
    /// Extracts what layer `layer` itself stores into `dest`, as `lamina extract --layer K PATH /`
    /// does: the tree of that layer alone is built in the worker. Ignored while one runs.
    void extractLayer(
        const ImageArchive &archive, int image, const MergedTree::Layers &layers, int layer, const QString &dest);
    void cancel();
    bool isRunning() const { return m_job.isRunning(); }

    /// The drag of `nodes`: their files are written by a worker from the moment the drag starts,
    /// to a folder that lives until the next drag.
    QMimeData *dragOut(
        const ImageArchive &archive, int image, const std::shared_ptr<const MergedTree> &tree, const QList<int> &nodes);

Q_SIGNALS:
    void started(const QString &name);
    void progress(qint64 done, qint64 total);
    /// `result` is the extract's; `cancelled` when Cancel stopped it and what it made was removed.
    void finished(const ExtractResult &result, const QString &dest, bool cancelled);

private:
    void run(const QString &name, const ImageArchive &archive, int image,
        std::function<std::shared_ptr<const MergedTree>()> tree, int node, const QString &dest);

    struct Extracted
    {
        ExtractResult result;
        QString dest;
        bool cancelled = false;
    };
    std::shared_ptr<std::atomic<bool>> m_cancel = std::make_shared<std::atomic<bool>>(false);
    std::shared_ptr<QTemporaryDir> m_dragDir;
    LatestJob<Extracted> m_job { this };
};

} // namespace lamina
