// SPDX-License-Identifier: MIT
// MainWindow's background work on the image shown: its layers indexed (each shown as it
// arrives), the merged tree of the selected layer built, and every layer verified once per archive.
#include "mainwindow.h"

#include "chainview.h"
#include "check/checks.h"
#include "check/verify.h"
#include "common/sizetext.h"
#include "compose/composerpanel.h"
#include "filetreemodel.h"
#include "findingsmodel.h"
#include "inspect/archiveheader.h"
#include "inspect/findingspage.h"
#include "inspect/layerspage.h"
#include "layers/sharedtree.h"
#include "layersmodel.h"

#include <QCheckBox>
#include <QHeaderView>
#include <QMutex>
#include <QSet>
#include <QStatusBar>
#include <QTableView>
#include <QTimer>
#include <QTreeView>

#include <algorithm>
#include <tuple>

namespace lamina {

/// Layers indexed so far, handed from the indexing thread to the window as they come.
struct IndexedSoFar
{
    QMutex mutex;
    QList<std::tuple<int, int, qint64>> layers; ///< layer, files, bytes
};

void MainWindow::startVerification()
{
    // Hashing every layer of the whole archive, after the files are shown: it reads every byte.
    if (m_verifyJob.isRunning() || !m_archive.archive || m_verifiedPath == m_archive.path)
        return;
    m_verifiedPath = m_archive.path;
    // The status line keeps the indexing's outcome meanwhile: the bar says what it measures.
    showProgress(tr("Verifying digests: %p%"), 0, 0);
    const ImageArchive ia = m_archive;
    const auto cancel = m_cancel;
    // The shown image's layers are indexed already: their entries are not indexed a second time
    // (on a million entries that doubled the window's memory); their bytes are only hashed.
    QHash<int, std::shared_ptr<const LayerIndex>> shown;
    if (m_image >= 0 && m_image < m_archive.images.size() && !m_layers.cancelled)
        for (const ImageLayer &l : m_archive.images.at(m_image).layers)
            if (const auto index = m_layers.layers.value(l.index); index && l.member >= 0)
                shown.insert(l.member, index);
    // The shown image's tree goes to the index cache first, for the next time it is opened: now,
    // with the files on screen, nothing waits for the writing (tens of megabytes).
    const int image = m_image;
    const int top = int(m_layers.layers.size()) - 1;
    std::shared_ptr<const MergedTree> tree;
    if (!shown.isEmpty())
        tree = liveMergedTree(m_layers.layers, top);
    // So do the rows the files view shows of it, when they are the ones it shows first and took
    // a worker to shape (a smaller tree is shaped in less time than reading them back takes).
    const FileTreeModel *files = m_layersPage->filesModel();
    QString shapeName;
    FileTreeShape shape;
    if (tree && files->shownQuery().tree == tree && files->shownQuery().markLayer == top && !files->shape().backing
        && tree->nodeCount() > files->inlineLimit()) {
        shapeName = keptShapeName(files->shownQuery());
        shape = files->shape(); // shares its lists
    }
    m_verifyJob.start(
        [ia, cancel, shown, opened = m_knownLayers, image, tree, shapeName, shape](const Progress &job) {
            if (tree && !job.cancelled())
                storeImageTree(ia, image, *tree);
            if (!shapeName.isEmpty() && !job.cancelled())
                storeImageTreeExtra(ia, image, shapeName, shapeBytes(shape));
            const Progress progress = withCancel(job, cancel);
            // The layers are read once, for their entries and both digests, as `check --verify`
            // does: what a loader refuses inside a layer is a finding too (the layer-* codes).
            LayerIndexOptions options;
            options.computeDigests = true;
            options.knownByMember = opened; // compressed as a whole: hashed while it opened
            options.knownByMember.insert(shown);
            const QList<ImageLayers> indexed = indexAllImageLayers(ia, options, progress);
            const VerifyReport report = verifyFromIndexes(ia, indexed, progress);
            Verified v;
            v.cancelled = report.cancelled;
            if (v.cancelled)
                return v;
            v.findings = verificationFindings(ia, report) + layerContentFindings(ia, indexed);
            for (int i = 0; i < ia.images.size() && i < indexed.size(); ++i)
                for (const ImageLayer &l : ia.images.at(i).layers)
                    if (const auto &index = indexed.at(i).layers.value(l.index); l.member >= 0 && index)
                        v.indexes.insert(l.member, index);
            // What "verified" covers: the layers that could be hashed, not those missing or unreadable.
            QSet<int> members;
            for (const Image &img : ia.images)
                for (const ImageLayer &l : img.layers) {
                    if (l.member >= 0)
                        members.insert(l.member);
                    else
                        ++v.unread;
                }
            for (const int m : std::as_const(members)) {
                const auto it = report.members.constFind(m);
                if (it != report.members.cend() && it->error.isEmpty())
                    ++v.hashed;
                else
                    ++v.unread;
            }
            return v;
        },
        [this](Verified v) { showVerified(v); },
        [this](qint64 done, qint64 total) { showProgress(tr("Verifying digests: %p%"), done, total); });
}

static int errorCount(const QList<Finding> &findings)
{
    return int(std::count_if(
        findings.cbegin(), findings.cend(), [](const Finding &f) { return f.severity == Severity::Error; }));
}

void MainWindow::showVerified(const Verified &v)
{
    hideProgress();
    if (v.cancelled) {
        m_verifiedPath.clear(); // try again next time
        statusBar()->showMessage(tr("Verification cancelled."));
        return;
    }
    m_knownLayers.insert(v.indexes);
    m_findings += v.findings;
    sortFindings(m_findings);
    m_findingsPage->setFindings(m_findings, true);
    fitFindingsToTheirCount();
    m_header->setArchive(m_archive, m_findings); // its counts include what hashing found
    showVerdicts();
    if (!v.findings.isEmpty())
        m_verifiedMessage
            = tr("Verified: %n problem(s) found in the layers: see Findings.", nullptr, int(v.findings.size()));
    else if (v.unread > 0)
        m_verifiedMessage
            = tr("Digests: the %n layer file(s) that could be read match them; %1 could not be read (see Findings).",
                nullptr, v.hashed)
                  .arg(v.unread);
    else if (const int errors = errorCount(m_findings); errors > 0)
        // The digests are right, but the header counts errors: the line must not read as all clear.
        m_verifiedMessage = tr(
            "Digests verified: every layer matches them. The checks found %n error(s): see Findings.", nullptr, errors);
    else
        m_verifiedMessage = tr("Verified: every layer matches its digests.");
    statusBar()->showMessage(m_verifiedMessage);
    Q_EMIT verified();
}

void MainWindow::startIndexing(int image)
{
    *m_cancel = true; // the indexing and verification of what was shown before
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    m_treeJob.cancel();
    m_indexedTree.reset();
    // A registry's layers not fetched yet come as they are indexed (docs/engines.md, "Layers
    // fetched when read").
    const bool fetching = m_archive.archive && m_archive.archive->deferredCount() > 0;
    const QString label = fetching ? tr("Fetching and indexing: %p%") : tr("Indexing: %p%");
    showProgress(label, 0, 0);
    statusBar()->showMessage(fetching ? tr("Fetching the layers from the registry and indexing their files…")
                                      : tr("Indexing the layers' files…"));
    if (fetching) {
        if (!m_fetchStatus) {
            m_fetchStatus = new QTimer(this);
            m_fetchStatus->setInterval(250);
            connect(m_fetchStatus, &QTimer::timeout, this, &MainWindow::showFetched);
        }
        m_fetchStatus->start();
    }
    const ImageArchive ia = m_archive;
    const auto cancel = m_cancel;
    // Each layer shows its own figures as soon as it is read.
    auto soFar = std::make_shared<IndexedSoFar>();
    LayerIndexOptions options;
    options.knownByMember = m_knownLayers;
    m_indexJob.start(
        [ia, image, cancel, soFar, options](const Progress &job) {
            Indexed result;
            // The sizes are worked out while the layers are read (each layer merged as it
            // arrives), on the top layer's tree: the tree the files view shows first.
            std::shared_ptr<const MergedTree> tree;
            result.layers = indexImageLayers(
                ia, image, options, withCancel(job, cancel),
                [soFar](int layer, const std::shared_ptr<const LayerIndex> &index) {
                    QMutexLocker lock(&soFar->mutex);
                    soFar->layers.append({ layer, index->fileCount, index->uncompressedSize });
                },
                &result.sizes, &tree);
            if (result.layers.cancelled)
                result.sizes = {}; // figures of a part of the layers would mislead
            else
                result.top = adoptMergedTree(result.layers.layers, int(result.layers.layers.size()) - 1, tree);
            return result;
        },
        [this, soFar](Indexed indexed) {
            showIndexedSoFar(*soFar);
            showIndexed(indexed);
        },
        [this, soFar, label](qint64 done, qint64 total) {
            showIndexedSoFar(*soFar);
            showProgress(label, done, total);
        });
}

void MainWindow::showFetched()
{
    const std::shared_ptr<const Archive> &ar = m_archive.archive;
    // Stopped by showIndexed() too: a layer that failed to come stays deferred.
    if (!ar || ar->deferredCount() == 0) {
        m_fetchStatus->stop();
        return;
    }
    statusBar()->showMessage(
        tr("Fetching the layers from the registry: %1 of %2, %n layer(s) still to come…", nullptr, ar->deferredCount())
            .arg(sizeText(ar->fetchedBytes()), sizeText(ar->deferredBytes())));
}

void MainWindow::showIndexedSoFar(IndexedSoFar &soFar)
{
    QMutexLocker lock(&soFar.mutex);
    for (const auto &[layer, files, bytes] : std::as_const(soFar.layers))
        m_layersPage->layersModel()->setLayerIndexed(layer, files, bytes);
    soFar.layers.clear();
}

void MainWindow::showIndexed(const Indexed &indexed)
{
    if (m_fetchStatus)
        m_fetchStatus->stop();
    hideProgress();
    m_layers = indexed.layers;
    m_indexedTree = indexed.top;
    // Kept for the rest of this archive's time in the window: showing this image again, or
    // another one sharing its layers, reads none of them again.
    if (!m_layers.cancelled && m_image >= 0)
        for (const ImageLayer &l : m_archive.images.at(m_image).layers)
            if (const auto &index = m_layers.layers.value(l.index); l.member >= 0 && index)
                m_knownLayers.insert(l.member, index);
    if (m_layers.cancelled)
        statusBar()->showMessage(tr("Indexing cancelled: the files of some layers are not shown."));
    else
        statusBar()->showMessage(m_layers.errors.isEmpty()
                ? (m_verifiedMessage.isEmpty() ? tr("All layers indexed.") : m_verifiedMessage)
                : tr("Indexed, with problems: %1").arg(m_layers.errors.constFirst()));
    m_layersPage->layersModel()->setSizes(indexed.sizes);
    if (!m_layers.cancelled) {
        m_composer->setRegistryOptions(m_registry);
        m_composer->setBase(m_archive, m_image, m_layers.layers);
    }
    for (int c = 0; c < LayersModel::CreatedByColumn; ++c)
        m_layersPage->layersView()->resizeColumnToContents(c);
    if (m_layers.layers.isEmpty()) {
        Q_EMIT layersIndexed();
        if (!m_layers.cancelled)
            startVerification();
    } else {
        showLayerTree();
    }
}

namespace {
/// One tree is built at a time, a layer's or a range's: each can take hundreds of megabytes.
QMutex &treeBuilding()
{
    static QMutex building;
    return building;
}
} // namespace

void MainWindow::showLayerTree()
{
    const QModelIndex current = m_layersPage->layersView()->currentIndex();
    const int top = int(m_layers.layers.size()) - 1;
    const int layer = current.isValid() ? current.row() : top;
    if (m_indexJob.isRunning() || layer < 0 || layer > top) {
        m_treeJob.cancel();
        m_layersPage->filesModel()->setTree(nullptr, -1);
        return;
    }
    // Building a tree of a million entries takes longer than a frame: off the UI thread. A tree
    // asked for later replaces this one, which is dropped when done. One is built at a time (each
    // can take hundreds of megabytes): clicking through the layers does not start a build per
    // click, as those superseded while they wait are skipped.
    const MergedTree::Layers layers = m_layers.layers;
    const auto [from, to] = m_layersPage->selectedRange();
    m_rangeShown = from >= 0 && to > from && to <= top;
    m_layersPage->setRangeShown(m_rangeShown ? from : -1, to);
    if (m_rangeShown) {
        showRangeTree(from, to);
        return;
    }
    // The rows first shown of the image's own tree were kept in the index cache the last time
    // it was shown this way: taken from there, not shaped again (most of reopening many.tar).
    FileTreeQuery wanted = m_layersPage->filesModel()->wantedQuery();
    wanted.markLayer = layer;
    wanted.layerOnly = m_layersPage->layerOnly()->isChecked();
    wanted.firstNew = -1;
    wanted.changes.reset();
    const QString shapeName = layer == top ? keptShapeName(wanted) : QString();
    const ImageArchive ia = m_archive;
    const int image = m_image;
    m_treeJob.start(
        [layers, layer, ia, image, shapeName, wanted](const Progress &job) -> ShownTree {
            QMutexLocker lock(&treeBuilding());
            if (job.cancelled())
                return {};
            // The composer's base is the same tree when this is the top layer: one copy for both.
            ShownTree shown { sharedMergedTree(layers, layer), std::nullopt, wanted };
            shown.query.tree = shown.tree;
            if (!shapeName.isEmpty() && shown.tree)
                if (const auto kept = loadImageTreeExtra(ia, image, shapeName))
                    shown.shape = shapeFromBytes(kept->bytes, *shown.tree, kept->backing);
            return shown;
        },
        [this, layer](ShownTree shown) {
            m_indexedTree.reset(); // the view holds the tree it shows
            if (shown.shape)
                m_layersPage->filesModel()->offerShape(shown.query, std::move(*shown.shape));
            m_layersPage->filesModel()->setTree(shown.tree, layer, m_layersPage->layerOnly()->isChecked());
            m_layersPage->filesView()->header()->resizeSection(FileTreeModel::NameColumn, 320);
            Q_EMIT layersIndexed();
            if (!m_layers.cancelled)
                startVerificationWhenShown();
        });
    m_chain->setSelectedLayer(layer);
}

void MainWindow::startVerificationWhenShown()
{
    // Once per archive, after the files are on screen: the hashing reads every byte of the
    // archive, and started while the files view still shaped its rows on a worker, it took one
    // of two cores from it (a quarter of reopening many.tar from the index cache).
    FileTreeModel *files = m_layersPage->filesModel();
    if (!files->isShaping()) {
        startVerification();
        return;
    }
    connect(
        files, &FileTreeModel::shapingChanged, this,
        [this] {
            // Queued: the rows are shown right after the shaping says it is done.
            QMetaObject::invokeMethod(this, &MainWindow::startVerification, Qt::QueuedConnection);
        },
        Qt::SingleShotConnection);
}

void MainWindow::showRangeTree(int from, int to)
{
    // The tree at the top of the range, marked with what the range did to the tree below it
    // (core's netChanges, as `lamina ls --from --upto`), as the composer marks its new layers.
    // Both are worked out in the job; the changes ride beside the tree it returns.
    const MergedTree::Layers layers = m_layers.layers;
    auto changes = std::make_shared<QHash<QByteArray, Change>>();
    m_treeJob.start(
        [layers, from, to, changes](const Progress &job) -> ShownTree {
            QMutexLocker lock(&treeBuilding());
            if (job.cancelled())
                return {};
            for (const MergedTree::ChangeRecord &c : netChanges(layers, from, to))
                changes->insert(c.path, c.change);
            return { std::make_shared<const MergedTree>(MergedTree::build(layers, to)), std::nullopt, {} };
        },
        [this, from, changes](ShownTree shown) {
            const std::shared_ptr<const MergedTree> &tree = shown.tree;
            QList<QByteArray> changed = changes->keys();
            std::sort(changed.begin(), changed.end());
            m_layersPage->filesModel()->setComposedTree(tree, from, std::move(*changes));
            m_layersPage->revealPaths(changed); // the folders holding them open, once shown
            Q_EMIT layersIndexed();
        });
    m_chain->setSelectedLayer(to);
}

} // namespace lamina
