// SPDX-License-Identifier: MIT
#pragma once

#include "common/latestjob.h"
#include "compose/composition.h"
#include "compose/convert.h"
#include "engine/enginesource.h"

#include <QDialog>

#include <atomic>
#include <memory>
#include <optional>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace lamina {

/// What "Save As…" and "Repair…" convert: an image of an opened archive, written again in a
/// consistent layout (lamina convert, docs/compose.md).
struct ConvertRequest
{
    QString path;
    int image = 0;
    QList<Finding> findings; ///< the archive's, to say what the conversion repairs and what stays
    QString focus; ///< the finding code "Repair…" was chosen on, "" for Save As
};

/// What an export came back with: what was written, and whether an engine loaded it after.
struct ExportOutcome
{
    ConvertResult converted;
    bool loadTried = false; ///< written, and an engine was asked to load it
    EngineLoaded loaded;
    bool pushTried = false; ///< written as an OCI layout, and a registry was asked to take it
    RegistryPushed pushed;
    QString pushedTo; ///< the reference pushed to, with the digest the registry has
};

/// Export of a composition, or conversion of an image: format, compression, output path (never the base), then the
/// export in a worker thread with progress and cancel; on success the image ID, what the re-check of the written
/// archive found, and "Open result". Closing the dialog while it writes cancels the export and keeps the dialog until
/// the export has come back (saying so); a dialog destroyed meanwhile tells the export to stop without waiting for it.
/// Either way the export is atomic: a cancelled one leaves nothing behind (exportComposition).
class ExportDialog : public QDialog
{
    Q_OBJECT
public:
    explicit ExportDialog(const Composition &composition, QWidget *parent = nullptr);
    /// The conversion of `request.image`: it lists what will be repaired and what stays, and
    /// after, what was repaired.
    explicit ExportDialog(const ConvertRequest &request, QWidget *parent = nullptr);
    ~ExportDialog() override;

    ExportOptions options() const;
    void setOptions(const ExportOptions &options);
    /// Starts the export (the Export button); false, with the reason shown, when refused.
    /// Starts the export; asks first when the output exists (Replace or Cancel).
    bool start();
    /// The last folder exported to (or the home folder), with a name not taken there.
    static QString defaultOutput(const QString &stem = QStringLiteral("composed"));
    /// `path` with the ending a format gives it: none for a folder; .tar, .tar.gz or .tar.zst for
    /// an archive (`whole`: its compression as a whole). A name with another ending is the user's
    /// choice, and kept.
    static QString withEndingFor(const QString &path, bool folder, Compression whole);
    bool running() const { return m_running; }
    const ExportResult &result() const { return m_result.written; }
    const ConvertResult &convertResult() const { return m_result; }
    bool converting() const { return m_converting; }
    /// The engine to load the written archive into, as `compose --load` (none by default).
    void setLoadInto(std::optional<EngineReference::Engine> engine);
    std::optional<EngineReference::Engine> loadInto() const;
    /// "Push to a registry" is the format chosen (a composition's export only): the output is a
    /// registry://HOST/REPO:TAG reference, as `compose -o registry://…`.
    bool pushing() const;
    void setPushing(bool push);
    /// How a registry:// base or input is pulled again (the window's "insecure" choice for it).
    void setRegistryOptions(const RegistryOptions &options) { m_registry = options; }
    /// What the engine said, when the last export asked one to load it.
    const ExportOutcome &outcome() const { return m_outcome; }

Q_SIGNALS:
    void finished(bool ok);
    /// "Open result": what was written or pushed; `insecure` when the push did not verify the
    /// registry's certificate (or spoke plain HTTP), so that opening it does not either.
    void openResult(const QString &path, bool insecure);

protected:
    void reject() override;

private:
    void buildForm();
    void connectForm();
    void done(const ExportOutcome &outcome);
    void showFormatOptions();
    void adaptOutputEnding();
    void forgetLastResult();
    Composition m_composition;
    bool m_converting = false;
    ConvertRequest m_request;
    ConvertResult m_result;
    ExportOutcome m_outcome;
    RegistryOptions m_registry;
    /// The Cancel button's: the export comes back, cancelled, and says so.
    std::shared_ptr<std::atomic<bool>> m_cancel;
    bool m_running = false;
    bool m_closeWhenDone = false;
    QComboBox *m_format = nullptr;
    QComboBox *m_compress = nullptr;
    QComboBox *m_layerCompression = nullptr;
    QComboBox *m_load = nullptr;
    QLineEdit *m_output = nullptr;
    QLabel *m_outputLabel = nullptr;
    QPushButton *m_browse = nullptr;
    QString m_otherOutput; ///< the file while a reference is typed, or the reference while a file is
    bool m_wasPushing = false;
    QLabel *m_status = nullptr;
    QProgressBar *m_progress = nullptr;
    QPushButton *m_export = nullptr;
    QPushButton *m_cancelButton = nullptr;
    QPushButton *m_open = nullptr;
    bool confirmReplace(const QString &output);
    QLabel *m_intro = nullptr;
    LatestJob<ExportOutcome> m_job { this };
};

} // namespace lamina
