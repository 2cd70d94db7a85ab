// SPDX-License-Identifier: MIT
#pragma once

#include "common/latestjob.h"
#include "compose/preview.h"

#include <QObject>

#include <memory>

class QTimer;

namespace lamina {

class CompositionDocument;

/// The composition as it would come out, kept up to date off the UI thread: a short pause after
/// the last edit of the document, the preview is computed on a worker; an edit meanwhile starts
/// a newer one, which replaces it (the older is told to stop and never shown). The base's merged
/// tree is built once per base, by whichever preview needs it first.
class LivePreview : public QObject
{
    Q_OBJECT
public:
    explicit LivePreview(CompositionDocument *document, QObject *parent = nullptr);

    /// The base's indexed layers (none: from scratch); the preview starts again at once.
    void setBaseLayers(const MergedTree::Layers &layers);
    /// True while a preview is waiting for the pause to end or being computed.
    bool pending() const;
    /// True while a preview is being computed.
    bool computing() const { return m_awaited; }
    const ComposePreview &preview() const { return m_preview; }
    /// The base's merged tree, once a preview has built it; null before.
    const std::shared_ptr<const MergedTree> &baseTree() const { return m_baseTree; }

Q_SIGNALS:
    /// A new preview() (and perhaps the first baseTree()) is there.
    void updated();

private:
    /// The base's tree, shared by the previews of one base: built once, on a worker.
    struct BaseTree;
    void start();

    CompositionDocument *m_document;
    QTimer *m_pause = nullptr;
    MergedTree::Layers m_baseLayers;
    std::shared_ptr<BaseTree> m_baseTreeBuild;
    std::shared_ptr<const MergedTree> m_baseTree;
    ComposePreview m_preview;
    bool m_awaited = false; ///< from a start until its result is shown
    struct Run
    {
        ComposePreview preview;
        std::shared_ptr<const MergedTree> baseTree;
    };
    LatestJob<Run> m_job { this };
};

} // namespace lamina
