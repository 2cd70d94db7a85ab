// SPDX-License-Identifier: MIT
#pragma once

#include "common/latestjob.h"
#include "format/imagearchive.h"
#include "layers/history.h"
#include "layerspage.h"

#include <QDialog>

class QLabel;
class QPlainTextEdit;
class QTreeWidget;

namespace lamina {

/// "History across layers" of a file or folder: every layer that added, changed or removed it
/// (or what is under it), each with its mode, owner, size, content digest and the layer's
/// created_by, worked out on a worker; selecting a version shows the bytes that layer stores,
/// selecting two compares them line by line.
class HistoryDialog : public QDialog
{
    Q_OBJECT
public:
    HistoryDialog(const ImageArchive &archive, int image, const MergedTree::Layers &layers, const QByteArray &path,
        const QStringList &createdBy, QWidget *parent = nullptr);

    QTreeWidget *events() const { return m_events; }
    QPlainTextEdit *preview() const { return m_preview; }

Q_SIGNALS:
    void historyShown(); ///< the events are listed
    void previewShown(); ///< the selected version's bytes are shown

private:
    void showEvents(const QList<PathEvent> &events);
    void showVersion();
    void selectionChanged();
    void compareVersions(const PathEvent &older, const PathEvent &newer);

    ImageArchive m_archive;
    int m_image = 0;
    MergedTree::Layers m_layers;
    QStringList m_createdBy;
    QList<PathEvent> m_found;
    QLabel *m_status = nullptr;
    QTreeWidget *m_events = nullptr;
    QPlainTextEdit *m_preview = nullptr;
    LatestJob<QList<PathEvent>> m_job { this };
    LatestJob<FilePreview> m_previewJob { this };
    LatestJob<QString> m_compareJob { this };
};

} // namespace lamina
