// SPDX-License-Identifier: MIT
#pragma once

#include "compose/composition.h"

#include <QDialog>
#include <QFutureWatcher>

#include <atomic>
#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTimer;

namespace lamina {

/// Export of a composition: format, compression, output path (never the base), then the export
/// in a worker thread with progress and cancel; on success the image ID, what the re-check of
/// the written archive found, and "Open result".
class ExportDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ExportDialog(const Composition &composition, QWidget *parent = nullptr);
    ~ExportDialog() override;

    ExportOptions options() const;
    void setOptions(const ExportOptions &options);
    /// Starts the export (the Export button); false, with the reason shown, when refused.
    bool start();
    bool running() const { return m_watcher.isRunning(); }
    const ExportResult &result() const { return m_result; }

Q_SIGNALS:
    void finished(bool ok);
    void openResult(const QString &path);

private:
    void done(const ExportResult &result);
    void showFormatOptions();
    Composition m_composition;
    ExportResult m_result;
    QFutureWatcher<ExportResult> m_watcher;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    std::shared_ptr<std::atomic<qint64>> m_done, m_total;
    QTimer *m_poll = nullptr;
    QComboBox *m_format = nullptr;
    QComboBox *m_compress = nullptr;
    QComboBox *m_layerCompression = nullptr;
    QLineEdit *m_output = nullptr;
    QLabel *m_status = nullptr;
    QProgressBar *m_progress = nullptr;
    QPushButton *m_export = nullptr;
    QPushButton *m_cancelButton = nullptr;
    QPushButton *m_open = nullptr;
};

} // namespace lamina
