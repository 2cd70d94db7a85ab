// SPDX-License-Identifier: MIT
#include "compose/livepreview.h"

#include "compose/compositiondocument.h"
#include "layers/sharedtree.h"

#include <QTimer>

#include <mutex>

namespace lamina {

struct LivePreview::BaseTree
{
    std::once_flag once;
    std::shared_ptr<const MergedTree> tree;

    std::shared_ptr<const MergedTree> get(const MergedTree::Layers &layers)
    {
        // A second preview started while the first builds it waits on its worker, not anew.
        std::call_once(once, [&] {
            tree = sharedMergedTree(layers, int(layers.size()) - 1); // the window's, when it shows the top
        });
        return tree;
    }
};

LivePreview::LivePreview(CompositionDocument *document, QObject *parent)
    : QObject(parent)
    , m_document(document)
    , m_baseTreeBuild(std::make_shared<BaseTree>())
{
    // Typing never waits for the preview: it starts after a pause and runs on a worker.
    m_pause = new QTimer(this);
    m_pause->setSingleShot(true);
    m_pause->setInterval(250);
    connect(m_pause, &QTimer::timeout, this, &LivePreview::start);
    connect(m_document, &CompositionDocument::changed, m_pause, qOverload<>(&QTimer::start));
    m_pause->start();
}

void LivePreview::setBaseLayers(const MergedTree::Layers &layers)
{
    m_baseLayers = layers;
    m_baseTreeBuild = std::make_shared<BaseTree>();
    m_baseTree.reset();
    m_pause->stop();
    start();
}

bool LivePreview::pending() const
{
    return m_pause->isActive() || m_awaited;
}

void LivePreview::start()
{
    m_awaited = true;
    const Composition c = m_document->composition();
    const PreviewBase base { m_baseLayers, m_document->baseSettings() };
    const auto reuse = m_preview.indexed;
    const std::shared_ptr<BaseTree> baseTree = m_baseTreeBuild;
    m_job.start(
        [c, base, reuse, baseTree](const Progress &progress) {
            Run run;
            run.baseTree = baseTree->get(base.layers);
            run.preview = previewComposition(c, base, reuse, progress);
            return run;
        },
        [this](Run run) {
            m_awaited = false;
            m_baseTree = run.baseTree;
            m_preview = std::move(run.preview);
            Q_EMIT updated();
        });
}

} // namespace lamina
