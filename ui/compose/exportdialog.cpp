// SPDX-License-Identifier: MIT
#include "compose/exportdialog.h"

#include "compose/exporttarget.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QStandardItemModel>
#include <QVBoxLayout>

namespace lamina {

/// The format combo's item for a push: not a file format.
constexpr int kPushFormat = -2;

ExportDialog::ExportDialog(const Composition &composition, QWidget *parent)
    : QDialog(parent)
    , m_composition(composition)
    , m_cancel(std::make_shared<std::atomic<bool>>(false))
{
    setWindowTitle(tr("Export the composed image"));
    buildForm();
    m_format->addItem(tr("Push to a registry (an OCI image, as compose -o registry://…)"), kPushFormat);
    // Where a push goes first: a new tag of the base's repository when it came from a registry.
    const std::optional<RegistryReference> base = parseRegistryReference(composition.basePath);
    m_otherOutput = base ? QStringLiteral("registry://%1/%2:composed").arg(base->host, base->repository)
                         : QStringLiteral("registry://localhost:5000/composed:latest");
    connectForm();
}

ExportDialog::ExportDialog(const ConvertRequest &request, QWidget *parent)
    : QDialog(parent)
    , m_converting(true)
    , m_request(request)
    , m_cancel(std::make_shared<std::atomic<bool>>(false))
{
    setWindowTitle(request.focus.isEmpty() ? tr("Save image %1 as").arg(request.image)
                                           : tr("Repair: write image %1 again, consistently").arg(request.image));
    // The same target rules as an export on this base: the input is never written over.
    m_composition.basePath = request.path;
    m_composition.baseImage = request.image;
    buildForm();
    m_export->setText(request.focus.isEmpty() ? tr("Save") : tr("Repair"));
    // Layers as the input stores them, unless asked otherwise (convert's default).
    m_layerCompression->insertItem(0, tr("as stored"), -1);
    m_layerCompression->setCurrentIndex(0);
    const QString name = QFileInfo(request.path).fileName();
    QStringList repairs, stays;
    for (const Finding &f : request.findings) {
        if (f.severity == Severity::Info || (f.image >= 0 && f.image != request.image))
            continue;
        const QString item
            = QStringLiteral("<li>%1<code>%2</code>: %3</li>")
                  .arg(f.code == request.focus ? QStringLiteral("▶ ") : QString(), f.code, f.message.toHtmlEscaped());
        (convertRepairs(f.code) ? repairs : stays) << item;
    }
    QString html = tr("<p>Writes image %1 of <b>%2</b> again in the format chosen below. Every description of it "
                      "then agrees: a legacy chain that follows the manifest, <code>repositories</code> from the "
                      "tags, an OCI index naming its manifest, each layer stored once. The config is kept byte for "
                      "byte (the image ID stays; a legacy-only image gets the config Docker makes for it), layers "
                      "are copied as stored where the format allows. %2 itself is not changed.</p>")
                       .arg(request.image)
                       .arg(name.toHtmlEscaped());
    if (!repairs.isEmpty())
        html += tr("<p>Repairs:</p><ul>%1</ul>").arg(repairs.join(QString()));
    if (!stays.isEmpty())
        html += tr("<p>Stays as it is (about the bytes or the config, which convert never rewrites):</p><ul>%1</ul>")
                    .arg(stays.join(QString()));
    m_intro->setText(html);
    m_intro->show();
    // Never squeezed: the dialog grows to show the lists (and the result, in done()).
    m_intro->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Minimum);
    resize(760, sizeHint().height() + 120);
    QString base = QFileInfo(request.path).completeBaseName();
    if (base.endsWith(u".tar"))
        base.chop(4);
    m_output->setText(defaultOutput(base + QStringLiteral("-repaired")));
    connectForm();
}

void ExportDialog::connectForm()
{
    connect(m_format, &QComboBox::currentIndexChanged, this, &ExportDialog::showFormatOptions);
    connect(m_compress, &QComboBox::currentIndexChanged, this, &ExportDialog::adaptOutputEnding);
    for (QComboBox *box : { m_format, m_compress, m_layerCompression })
        connect(box, &QComboBox::currentIndexChanged, this, &ExportDialog::forgetLastResult);
    connect(m_output, &QLineEdit::textEdited, this, &ExportDialog::forgetLastResult);
    connect(m_export, &QPushButton::clicked, this, &ExportDialog::start);
    connect(m_cancelButton, &QPushButton::clicked, this, [this] { m_cancel->store(true); });
    connect(m_open, &QPushButton::clicked, this, [this] {
        if (m_outcome.pushTried)
            Q_EMIT openResult(m_outcome.pushedTo, options().registry.insecure);
        else
            Q_EMIT openResult(m_output->text(), false);
    });
    showFormatOptions();
}

ExportDialog::~ExportDialog()
{
    // The export holds its own copies; it is told to stop (its runner, going with the dialog,
    // delivers nothing more) and removes what it had begun to write on its own thread.
    m_cancel->store(true);
}

void ExportDialog::buildForm()
{
    m_format = new QComboBox;
    m_format->setObjectName(QStringLiteral("format"));
    m_format->addItem(
        tr("Docker archive, with a consistent legacy chain (docker load, podman, skopeo)"), int(ExportFormat::Docker));
    m_format->addItem(tr("Docker 25 style (OCI layout + manifest.json)"), int(ExportFormat::DockerOci));
    m_format->addItem(tr("OCI image layout in a tar"), int(ExportFormat::Oci));
    m_format->addItem(tr("OCI image layout folder"), int(ExportFormat::OciDir));
    m_compress = new QComboBox;
    m_compress->setObjectName(QStringLiteral("compress"));
    m_compress->addItem(tr("none"), int(Compression::None));
    m_compress->addItem(tr("gzip (.tar.gz)"), int(Compression::Gzip));
    m_compress->addItem(tr("zstd (.tar.zst)"), int(Compression::Zstd));
    m_layerCompression = new QComboBox;
    m_layerCompression->addItem(tr("gzip"), int(Compression::Gzip));
    m_layerCompression->addItem(tr("zstd"), int(Compression::Zstd));
    m_layerCompression->addItem(tr("none"), int(Compression::None));
    m_load = new QComboBox;
    m_load->setObjectName(QStringLiteral("loadInto"));
    m_load->addItem(tr("nothing: only write it"), -1); // a file or a folder
    m_load->addItem(tr("Docker (as docker load)"), int(EngineReference::Engine::Docker));
    m_load->addItem(tr("podman (as podman load)"), int(EngineReference::Engine::Podman));
    m_load->setToolTip(tr("Once written and verified, the archive is handed to the engine's API socket "
                          "(DOCKER_HOST, or podman's service; without one, podman load). The file stays."));
    m_output = new QLineEdit;
    m_output->setObjectName(QStringLiteral("output"));
    m_output->setText(defaultOutput());
    m_intro = new QLabel;
    m_intro->setObjectName(QStringLiteral("convertIntro"));
    m_intro->setWordWrap(true);
    m_intro->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_intro->hide();
    m_browse = new QPushButton(tr("Choose…"));
    auto *browse = m_browse;
    auto *outRow = new QHBoxLayout;
    outRow->addWidget(m_output, 1);
    outRow->addWidget(browse);
    m_outputLabel = new QLabel(tr("Write to"));
    auto *form = new QFormLayout;
    form->addRow(tr("Format"), m_format);
    form->addRow(tr("Layers (OCI)"), m_layerCompression);
    form->addRow(tr("Compress the whole file"), m_compress);
    form->addRow(m_outputLabel, outRow);
    form->addRow(tr("Then load into"), m_load);

    m_progress = new QProgressBar;
    m_progress->setRange(0, 1000);
    m_progress->hide();
    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("exportStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_export = new QPushButton(tr("Export"));
    m_export->setDefault(true);
    m_cancelButton = new QPushButton(tr("Cancel"));
    m_cancelButton->setObjectName(QStringLiteral("cancel"));
    m_open = new QPushButton(tr("Open result"));
    m_open->setObjectName(QStringLiteral("openResult"));
    m_open->hide();
    auto *close = new QPushButton(tr("Close"));
    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    buttons->addWidget(m_open);
    buttons->addWidget(m_export);
    buttons->addWidget(m_cancelButton);
    buttons->addWidget(close);
    m_cancelButton->hide();

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_intro);
    layout->addLayout(form);
    layout->addWidget(m_progress);
    // What the export found can be long: it scrolls rather than pushing the buttons off screen.
    auto *statusArea = new QScrollArea;
    statusArea->setWidgetResizable(true);
    statusArea->setFrameShape(QFrame::NoFrame);
    statusArea->setWidget(m_status);
    m_status->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    layout->addWidget(statusArea, 1);
    layout->addLayout(buttons);
    resize(720, 320);

    connect(browse, &QPushButton::clicked, this, [this] {
        // A folder is named like a file: it is created (or a layout there replaced) by the export.
        const bool folder = ExportFormat(m_format->currentData().toInt()) == ExportFormat::OciDir;
        const QString path = QFileDialog::getSaveFileName(this, folder ? tr("Export to a new folder") : tr("Export to"),
            m_output->text(), folder ? QString() : tr("Image archives (*.tar *.tar.gz *.tar.zst);;All files (*)"));
        if (!path.isEmpty()) {
            m_output->setText(path);
            QSettings().setValue(QStringLiteral("export/folder"), QFileInfo(path).absolutePath());
        }
    });
    connect(close, &QPushButton::clicked, this, &QDialog::reject);
}

QString ExportDialog::defaultOutput(const QString &stem)
{
    // The folder last exported to, not the base's: a base can sit in a source tree.
    QString folder = QSettings().value(QStringLiteral("export/folder")).toString();
    if (folder.isEmpty() || !QFileInfo(folder).isDir())
        folder = QDir::homePath();
    const QDir dir(folder);
    QString name = stem + QStringLiteral(".tar");
    for (int n = 2; QFileInfo::exists(dir.filePath(name)) && n < 1000; ++n)
        name = QStringLiteral("%1-%2.tar").arg(stem).arg(n);
    return dir.filePath(name);
}

QString ExportDialog::withEndingFor(const QString &path, bool folder, Compression whole)
{
    const qsizetype slash = path.lastIndexOf(u'/') + 1;
    const QString name = path.mid(slash);
    QString stem;
    for (const QLatin1String ending : { QLatin1String(".tar.gz"), QLatin1String(".tgz"), QLatin1String(".tar.zst"),
             QLatin1String(".tar.xz"), QLatin1String(".tar") })
        if (name.size() > ending.size() && name.endsWith(ending)) {
            stem = name.chopped(ending.size());
            break;
        }
    if (stem.isEmpty()) {
        // A folder's plain name becomes an archive's; any other name is left as it was typed.
        if (folder || name.isEmpty() || name.contains(u'.'))
            return path;
        stem = name;
    }
    const QString ending = folder    ? QString()
        : whole == Compression::Gzip ? QStringLiteral(".tar.gz")
        : whole == Compression::Zstd ? QStringLiteral(".tar.zst")
                                     : QStringLiteral(".tar");
    return path.left(slash) + stem + ending;
}

bool ExportDialog::confirmReplace(const QString &output)
{
    const QFileInfo existing(output);
    if (!existing.exists() && !existing.isSymLink())
        return true;
    QMessageBox box(QMessageBox::Warning, tr("Export"),
        existing.isDir() ? tr("The folder %1 already exists. Replace it?").arg(existing.fileName())
                         : tr("%1 already exists. Replace it?").arg(existing.fileName()),
        QMessageBox::NoButton, this);
    box.setObjectName(QStringLiteral("replacePrompt"));
    box.setInformativeText(tr("The new image is written beside it and takes its place only once complete; "
                              "cancelled or failed, %1 stays as it is.")
                               .arg(existing.absoluteFilePath()));
    QPushButton *replace = box.addButton(tr("Replace"), QMessageBox::DestructiveRole);
    box.setDefaultButton(box.addButton(QMessageBox::Cancel));
    box.exec();
    return box.clickedButton() == replace;
}

void ExportDialog::reject()
{
    if (!m_running) {
        QDialog::reject();
        return;
    }
    // Not gone while it writes: the export is cancelled and the dialog closes once it has said so.
    m_cancel->store(true);
    m_closeWhenDone = true;
    m_status->setText(tr("Cancelling…"));
}

bool ExportDialog::pushing() const
{
    return m_format->currentData().toInt() == kPushFormat;
}

void ExportDialog::setPushing(bool push)
{
    if (const int at = m_format->findData(push ? kPushFormat : int(ExportFormat::Docker)); at >= 0)
        m_format->setCurrentIndex(at);
}

void ExportDialog::showFormatOptions()
{
    // A push goes as an OCI layout would be written, to a reference rather than a file; the file
    // typed before comes back when another format is chosen.
    const bool push = pushing();
    if (push != m_wasPushing) {
        const QString typed = m_output->text();
        m_output->setText(m_otherOutput);
        m_otherOutput = typed;
        m_wasPushing = push;
    }
    m_outputLabel->setText(push ? tr("Push to") : tr("Write to"));
    m_browse->setVisible(!push);
    m_load->setEnabled(!push);
    m_output->setToolTip(push ? tr("registry://HOST[:PORT]/REPO:TAG — blobs the registry has are not sent again; "
                                   "the manifest goes last.")
                              : QString());
    m_export->setText(push ? tr("Push") : m_converting ? m_export->text() : tr("Export"));
    const ExportFormat f = push ? ExportFormat::OciDir : ExportFormat(m_format->currentData().toInt());
    m_layerCompression->setEnabled(f == ExportFormat::Oci || f == ExportFormat::OciDir);
    m_compress->setEnabled(f != ExportFormat::OciDir); // a folder is not one file to compress
    if (f == ExportFormat::OciDir)
        m_compress->setCurrentIndex(m_compress->findData(int(Compression::None)));
    // What `compose --load` takes: Docker loads an archive with a manifest.json, podman an OCI
    // archive too; neither loads a folder.
    auto *loads = qobject_cast<QStandardItemModel *>(m_load->model());
    const bool docker = f == ExportFormat::Docker || f == ExportFormat::DockerOci;
    loads->item(m_load->findData(int(EngineReference::Engine::Docker)))->setEnabled(docker);
    loads->item(m_load->findData(int(EngineReference::Engine::Podman)))->setEnabled(f != ExportFormat::OciDir);
    if (!loads->item(m_load->currentIndex())->isEnabled())
        m_load->setCurrentIndex(0);
    adaptOutputEnding();
}

void ExportDialog::forgetLastResult()
{
    // What the last export wrote is not what the form now describes.
    if (m_running || m_open->isHidden())
        return;
    m_open->hide();
    m_status->clear();
}

void ExportDialog::adaptOutputEnding()
{
    // "composed.tar" is no name for a folder, nor for a gzip'd archive.
    if (pushing())
        return;
    const bool folder = ExportFormat(m_format->currentData().toInt()) == ExportFormat::OciDir;
    const QString adapted = withEndingFor(m_output->text(), folder, Compression(m_compress->currentData().toInt()));
    if (adapted != m_output->text())
        m_output->setText(adapted);
}

void ExportDialog::setLoadInto(std::optional<EngineReference::Engine> engine)
{
    m_load->setCurrentIndex(m_load->findData(engine ? int(*engine) : -1));
    showFormatOptions(); // an engine the format cannot go to is not kept
}

std::optional<EngineReference::Engine> ExportDialog::loadInto() const
{
    const int e = m_load->currentData().toInt();
    return e < 0 ? std::nullopt : std::optional(EngineReference::Engine(e));
}

ExportOptions ExportDialog::options() const
{
    ExportOptions o;
    o.format = pushing() ? ExportFormat::OciDir : ExportFormat(m_format->currentData().toInt());
    o.compress = Compression(m_compress->currentData().toInt());
    const int layers = m_layerCompression->currentData().toInt();
    o.layerCompression = layers < 0 ? Compression::Gzip : Compression(layers); // "as stored": see start()
    o.output = m_output->text().trimmed();
    o.registry = m_registry;
    return o;
}

void ExportDialog::setOptions(const ExportOptions &o)
{
    if (!o.output.startsWith(u"registry://"))
        m_format->setCurrentIndex(m_format->findData(int(o.format)));
    m_compress->setCurrentIndex(m_compress->findData(int(o.compress)));
    m_layerCompression->setCurrentIndex(m_layerCompression->findData(int(o.layerCompression)));
    if (!o.output.isEmpty())
        m_output->setText(o.output);
}

bool ExportDialog::start()
{
    if (m_running)
        return false;
    const ExportOptions o = options();
    const bool push = pushing();
    if (o.output.isEmpty()) {
        m_status->setText(push ? tr("Name the registry and tag to push to.") : tr("Choose a file to write."));
        return false;
    }
    if (push) {
        // A tag of a registry; what is there under it is replaced only once the image is complete
        // (the manifest goes last).
        if (const QString problem = pushTargetProblem(o.output); !problem.isEmpty()) {
            m_status->setText(tr("Cannot push: %1").arg(problem).toHtmlEscaped());
            return false;
        }
    } else {
        // Refused here already, before any work, by the rules the export itself applies: the base
        // is never written, nor anything inside a base folder.
        ExportTarget target;
        QString why;
        if (!checkExportTarget(m_composition, o, &target, &why)) {
            m_status->setText(tr("Cannot export: %1").arg(why));
            return false;
        }
        if (!confirmReplace(o.output)) {
            m_status->setText(tr("Not exported: %1 was kept as it is.").arg(o.output).toHtmlEscaped());
            return false;
        }
    }
    m_cancel->store(false);
    m_open->hide();
    m_export->setEnabled(false);
    m_cancelButton->show();
    m_progress->show();
    m_progress->setValue(0);
    const std::optional<EngineReference::Engine> load = push ? std::nullopt : loadInto();
    m_status->setText(push ? tr("Writing the image, then pushing it to %1…").arg(o.output)
            : load         ? tr("Writing %1, then loading it into %2…").arg(o.output, m_load->currentText())
                           : tr("Writing %1…").arg(o.output));
    m_running = true;
    const Composition c = m_composition;
    const std::shared_ptr<std::atomic<bool>> cancel = m_cancel;
    const bool converting = m_converting;
    const bool keepLayers = m_layerCompression->currentData().toInt() < 0;
    const ConvertRequest request = m_request;
    m_job.start(
        [c, o, cancel, converting, keepLayers, request, load, push](const Progress &job) {
            // Stopped by the Cancel button (the result says so) or by the dialog going away.
            Progress progress;
            progress.cancel = cancel.get();
            progress.report = job.report;
            ExportOutcome out;
            if (push) {
                const RegistryReference to = *parseRegistryReference(o.output);
                const PushedComposition pushed = pushComposition(c, o, to, progress);
                out.converted.written = pushed.written;
                out.pushTried = pushed.pushTried;
                out.pushed = pushed.pushed;
                if (pushed.ok()) {
                    RegistryReference at = to;
                    at.digest = pushed.pushed.digest;
                    out.pushedTo = at.text();
                }
                return out;
            }
            if (converting)
                out.converted = convertArchive(request.path, request.image, {}, o, keepLayers, progress);
            else
                out.converted.written = exportComposition(c, o, progress);
            if (load && out.converted.written.ok() && !progress.cancelled()) {
                out.loadTried = true;
                out.loaded = loadIntoEngine(*load, o.output, progress);
            }
            return out;
        },
        [this](const ExportOutcome &out) { done(out); },
        [this](qint64 done, qint64 total) { m_progress->setValue(total > 0 ? int(1000 * done / total) : 0); });
    return true;
}

void ExportDialog::done(const ExportOutcome &outcome)
{
    m_outcome = outcome;
    const ConvertResult &converted = outcome.converted;
    m_result = converted;
    const ExportResult &r = converted.written;
    m_running = false;
    m_progress->hide();
    m_cancelButton->hide();
    m_export->setEnabled(true);
    if (!r.ok()) {
        m_status->setText(m_cancel->load() ? tr("Cancelled; nothing was written.")
                                           : tr("The export failed: %1").arg(r.error).toHtmlEscaped());
        Q_EMIT finished(false);
        if (m_closeWhenDone)
            QDialog::reject();
        return;
    }
    // The archive's findings, which `lamina check` of the output repeats, apart from the checks of
    // the image's settings against its files (a command not found), which only a composition has.
    const auto listed = [](const QList<Finding> &findings) {
        QStringList out;
        for (const Finding &f : findings)
            if (f.severity != Severity::Info)
                out << QStringLiteral("<li>%1 <code>%2</code>: %3</li>")
                           .arg(severityName(f.severity), f.code, f.message.toHtmlEscaped());
        return out;
    };
    const QStringList problems = listed(r.checks);
    const QStringList imageProblems = listed(r.preflight);
    QString html;
    if (outcome.pushTried) {
        html = outcome.pushed.error.isEmpty()
            ? tr("<p>✔ Pushed <b>%1</b><br>Image ID <code>%2</code><br>%3</p>")
                  .arg(outcome.pushedTo.toHtmlEscaped(), r.imageId, outcome.pushed.how.toHtmlEscaped())
            : tr("<p>✘ Written and checked, but not pushed: %1</p><p>Image ID <code>%2</code></p>")
                  .arg(outcome.pushed.error.toHtmlEscaped(), r.imageId);
    } else {
        QSettings().setValue(QStringLiteral("export/folder"), QFileInfo(options().output).absolutePath());
        html
            = tr("<p>Wrote <b>%1</b><br>Image ID <code>%2</code></p>").arg(options().output.toHtmlEscaped(), r.imageId);
    }
    if (m_converting) {
        if (converted.configFromLegacy && converted.dockerRefusesInput.isEmpty())
            html += tr("<p>The input has no config: this one was made from its legacy json as Docker's legacy "
                       "loader makes it, so the ID is the one Docker gives the input.</p>");
        else if (converted.configFromLegacy)
            html += tr("<p>The input has no config: this one was made from its legacy json as Docker's legacy "
                       "loader makes it for this chain. Docker itself refuses the input as it is (%1).</p>")
                        .arg(converted.dockerRefusesInput.toHtmlEscaped());
        else
            html += tr("<p>The config was kept byte for byte: the image ID is the input's.</p>");
        QStringList repaired;
        for (const QString &line : converted.repaired)
            repaired << line.toHtmlEscaped();
        if (!repaired.isEmpty())
            html += tr("<p>Repaired (in the input, not in what was written):</p><ul><li>%1</li></ul>")
                        .arg(repaired.join(QStringLiteral("</li><li>")));
    }
    // Which loaders take what was written: the verdicts of the re-check, as `lamina check` gives
    // them (docs/loaders.md: what the installed versions were seen to do).
    QStringList loads, refuses;
    for (const LoaderVerdict &v : r.loaderVerdicts) {
        const LoaderRange &range = loaderRanges().at(v.range);
        (v.verdict == Verdict::Loads ? loads : refuses)
            << (v.verdict == Verdict::Loads ? range.label : loaderVerdictLine(v).toHtmlEscaped());
    }
    // A folder's verdicts are those of a tar of its contents (docs/findings.md, "A folder").
    const bool folder = options().format == ExportFormat::OciDir;
    if (problems.isEmpty() && imageProblems.isEmpty())
        html += tr("<p>✔ Re-opened and verified by Lamina: every check passed and every digest matches.</p>");
    else if (problems.isEmpty())
        html += (folder ? tr("<p>Re-opened and verified by Lamina: the folder's checks passed and every digest "
                             "matches.</p>")
                        : tr("<p>Re-opened and verified by Lamina: the archive's checks passed and every digest "
                             "matches.</p>"));
    else
        html += (folder ? tr("<p>The written folder has findings:</p><ul>%1</ul>")
                        : tr("<p>The written archive has findings:</p><ul>%1</ul>"))
                    .arg(problems.join(QString()));
    if (!imageProblems.isEmpty())
        html += tr("<p>Checks of the image's settings against its files (a container started from it would meet "
                   "these; loaders do not look at them):</p><ul>%1</ul>")
                    .arg(imageProblems.join(QString()));
    // Predictions from the findings, as `lamina check` makes them: no loader ran here. Of an
    // archive a loader is given; a pushed image is pulled, not loaded.
    if (outcome.pushTried) {
        loads.clear();
        refuses.clear();
    }
    if (!loads.isEmpty())
        html += (folder ? tr("<p>Predicted to load in, given a tar of the folder: %1 (from Lamina's checks; no "
                             "loader was run).</p>")
                        : tr("<p>Predicted to load in: %1 (from Lamina's checks; no loader was run).</p>"))
                    .arg(loads.join(QStringLiteral(" · ")));
    if (!refuses.isEmpty())
        html += (folder ? tr("<p>Predicted not to load as written, given a tar of the folder:</p><ul><li>%1</li></ul>")
                        : tr("<p>Predicted not to load as written:</p><ul><li>%1</li></ul>"))
                    .arg(refuses.join(QStringLiteral("</li><li>")));
    if (outcome.loadTried && outcome.loaded.error.isEmpty()) {
        QStringList said;
        for (const QString &line : outcome.loaded.loaded)
            said << line.toHtmlEscaped();
        html += tr("<p>✔ Loaded into %1%2</p>")
                    .arg(outcome.loaded.how.toHtmlEscaped(),
                        said.isEmpty() ? QString() : QStringLiteral(":<br>") + said.join(QStringLiteral("<br>")));
    } else if (outcome.loadTried) {
        html += tr("<p>✘ Written, but not loaded: %1</p>").arg(outcome.loaded.error.toHtmlEscaped());
    }
    m_status->setText(html);
    m_open->setVisible(!outcome.pushTried || outcome.pushed.error.isEmpty());
    if (m_converting) {
        // Room for the result, within the screen; the rest scrolls.
        const int room = screen() ? screen()->availableGeometry().height() - 60 : height();
        resize(width(), std::min(room, std::max(height(), height() + m_status->sizeHint().height() - 40)));
    }
    Q_EMIT finished(!outcome.pushTried || outcome.pushed.error.isEmpty());
    if (m_closeWhenDone)
        QDialog::reject();
}

} // namespace lamina
