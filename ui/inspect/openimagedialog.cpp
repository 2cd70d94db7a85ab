// SPDX-License-Identifier: MIT
#include "inspect/openimagedialog.h"

#include "common/sizetext.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCompleter>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QEvent>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRect>
#include <QStringListModel>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace lamina {

OpenImageDialog::OpenImageDialog(QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Open Image from an Engine or a Registry"));
    m_engine = new QComboBox;
    m_engine->setObjectName(QStringLiteral("engine"));
    m_engine->addItem(tr("Docker"), int(EngineReference::Engine::Docker));
    m_engine->addItem(tr("podman"), int(EngineReference::Engine::Podman));
    m_name = new QLineEdit;
    m_name->setObjectName(QStringLiteral("reference"));
    m_name->setPlaceholderText(tr("alpine:3.19, docker://repo@sha256:…, an image ID, registry://host/repo:tag"));
    m_completions = new QStringListModel(this);
    auto *completer = new QCompleter(m_completions, this);
    completer->setCaseSensitivity(Qt::CaseInsensitive);
    completer->setFilterMode(Qt::MatchContains);
    m_name->setCompleter(completer);
    // Unchecked each time the dialog opens: an unverified pull is asked for, never a habit.
    m_insecure = new QCheckBox(tr("Don't verify the registry's certificate (insecure)"));
    m_insecure->setObjectName(QStringLiteral("insecure"));
    m_insecure->setToolTip(tr("For a registry:// image: TLS without checking the registry's certificate, or plain "
                              "HTTP when it speaks no TLS (the command line's --insecure). The header then says "
                              "that the certificate was not verified."));
    // A registry's multi-platform list: which image of it to open (else this machine's).
    m_platform = new QComboBox;
    m_platform->setObjectName(QStringLiteral("platform"));
    m_platform->setToolTip(tr("A registry:// reference that names a multi-platform list: the platform whose image "
                              "is opened (the reference's ?platform=)."));
    m_platformStatus = new QLabel;
    m_platformStatus->setObjectName(QStringLiteral("platformStatus"));
    m_platformStatus->setWordWrap(true);
    // A wrapped label in a form row gets the height its size hint guesses (its text wrapped at
    // about 80 characters), not the height at its width: a line a little longer left a blank
    // line above it. Its height follows its text and width instead.
    m_platformStatus->installEventFilter(this);
    m_platformStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_typing = new QTimer(this);
    m_typing->setSingleShot(true);
    m_typing->setInterval(400);
    m_images = new QTreeWidget;
    m_images->setObjectName(QStringLiteral("images"));
    m_images->setRootIsDecorated(false);
    m_images->setHeaderLabels({ tr("Image"), tr("ID"), tr("Size"), tr("Created") });
    m_images->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_status = new QLabel;
    m_status->setObjectName(QStringLiteral("status"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Open | QDialogButtonBox::Cancel);

    m_form = new QFormLayout;
    m_form->addRow(tr("&Engine:"), m_engine);
    m_form->addRow(tr("&Image:"), m_name);
    m_form->addRow(QString(), m_insecure);
    m_form->addRow(tr("&Platform:"), m_platform);
    m_form->addRow(QString(), m_platformStatus);
    m_form->setRowVisible(m_platform, false);
    m_form->setRowVisible(m_platformStatus, false);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(m_form);
    layout->addWidget(m_images, 1);
    layout->addWidget(m_status);
    layout->addWidget(m_buttons);
    resize(720, 420);

    connect(m_engine, &QComboBox::currentIndexChanged, this, &OpenImageDialog::list);
    connect(m_name, &QLineEdit::textChanged, this, &OpenImageDialog::updateOk);
    connect(m_name, &QLineEdit::textChanged, this, &OpenImageDialog::typed);
    connect(m_typing, &QTimer::timeout, this, &OpenImageDialog::askPlatforms);
    // Another way of speaking to the registry may get another answer: asked again.
    connect(m_insecure, &QCheckBox::toggled, this, &OpenImageDialog::typed);
    connect(m_images, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem *item) {
        if (item)
            m_name->setText(item->text(0));
    });
    connect(m_images, &QTreeWidget::itemDoubleClicked, this, [this] {
        if (m_buttons->button(QDialogButtonBox::Open)->isEnabled())
            accept();
    });
    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    updateOk();
    m_name->setFocus(); // most type a name; the list is there to pick from
    list();
}

EngineReference::Engine OpenImageDialog::engine() const
{
    return EngineReference::Engine(m_engine->currentData().toInt());
}

QString OpenImageDialog::reference() const
{
    const QString text = m_name->text().trimmed();
    if (text.startsWith(u"registry://")) {
        // Typed whole: the engine's list is not where it is. The platform picked replaces one typed.
        const QString base = text.section(u'?', 0, 0);
        const QString picked = m_platform->currentData().toString();
        if (base == m_platformsOf && !picked.isEmpty())
            return base + QStringLiteral("?platform=") + picked;
        return text;
    }
    if (text.isEmpty() || isImageReference(text))
        return text;
    EngineReference ref;
    ref.engine = engine();
    ref.name = text;
    return ref.text();
}

bool OpenImageDialog::insecure() const
{
    return m_insecure->isChecked();
}

void OpenImageDialog::updateOk()
{
    m_buttons->button(QDialogButtonBox::Open)->setEnabled(isImageReference(reference()));
}

void OpenImageDialog::typed()
{
    const std::optional<RegistryReference> ref = parseRegistryReference(m_name->text().trimmed());
    m_form->setRowVisible(m_platform, bool(ref));
    m_form->setRowVisible(m_platformStatus, bool(ref));
    setPlatformStatus({});
    m_platformsOf.clear();
    m_platform->clear();
    m_platformJob.cancel();
    m_typing->stop();
    if (!ref)
        return;
    m_platform->addItem(tr("Waiting for the reference to be typed…"));
    m_platform->setEnabled(false);
    m_typing->start();
}

void OpenImageDialog::askPlatforms()
{
    std::optional<RegistryReference> ref = parseRegistryReference(m_name->text().trimmed());
    if (!ref)
        return;
    const QString asked = m_name->text().trimmed().section(u'?', 0, 0);
    m_platform->clear();
    m_platform->addItem(tr("Asking the registry…"));
    m_platform->setEnabled(false);
    setPlatformStatus(tr("Asking %1 what %2 offers…").arg(ref->host, asked));
    RegistryOptions options;
    options.insecure = m_insecure->isChecked();
    // On a worker: a registry that does not answer must not hold the dialog.
    m_platformJob.start(
        [r = *ref, options](const Progress &progress) { return registryPlatforms(r, options, progress); },
        [this, asked](RegistryPlatforms platforms) { showPlatforms(asked, platforms); });
}

void OpenImageDialog::showPlatforms(const QString &asked, const RegistryPlatforms &platforms)
{
    m_platform->clear();
    m_platformsOf = asked;
    if (!platforms.error.isEmpty()) {
        m_platform->addItem(tr("(not known: the registry could not be asked)"));
        m_platform->setEnabled(false);
        setPlatformStatus(platforms.error);
    } else if (!platforms.list) {
        m_platform->addItem(tr("One image (not a multi-platform list)"));
        m_platform->setEnabled(false);
        setPlatformStatus(tr("%1 names one image.").arg(asked));
    } else {
        m_platform->addItem(tr("This machine's (%1)").arg(platforms.hostPlatform), QString());
        for (const QString &p : platforms.platforms)
            m_platform->addItem(p, p);
        m_platform->setEnabled(true);
        // A platform typed in the reference is the one picked.
        const QString typed = m_name->text().trimmed().section(QStringLiteral("?platform="), 1);
        if (const int at = m_platform->findData(typed); !typed.isEmpty() && at > 0)
            m_platform->setCurrentIndex(at);
        setPlatformStatus(tr("%1 is a list of %n platform(s): %2.", nullptr, int(platforms.platforms.size()))
                              .arg(asked, platforms.platforms.join(u", ")));
    }
    Q_EMIT platformsListed();
}

void OpenImageDialog::list()
{
    m_images->clear();
    m_completions->setStringList({});
    m_status->setText(tr("Asking the engine for its images…"));
    const EngineReference::Engine e = engine();
    // On a worker: an engine that does not answer must not hold the dialog.
    m_job.start([e](const Progress &progress) { return listEngineImages(e, progress); },
        [this](EngineImages images) { showImages(images); });
    updateOk();
}

void OpenImageDialog::showImages(const EngineImages &images)
{
    QStringList names;
    for (const EngineImage &i : images.images) {
        auto *item = new QTreeWidgetItem(m_images);
        item->setText(0, i.reference);
        item->setText(1, i.id.section(u':', 1).left(12));
        item->setToolTip(1, i.id);
        item->setText(2, sizeText(i.size));
        item->setText(3,
            i.created > 0 ? QDateTime::fromSecsSinceEpoch(i.created).toString(QStringLiteral("yyyy-MM-dd HH:mm"))
                          : QString());
        names << i.reference << i.reference.section(QStringLiteral("://"), 1);
    }
    m_completions->setStringList(names);
    m_status->setText(!images.error.isEmpty() ? images.error
            : images.images.isEmpty()         ? tr("%1 has no images.").arg(images.how)
                                      : tr("%n image(s) in %1.", nullptr, int(images.images.size())).arg(images.how));
    Q_EMIT listed();
}

void OpenImageDialog::setPlatformStatus(const QString &text)
{
    m_platformStatus->setText(text);
    fitPlatformStatus();
}

void OpenImageDialog::fitPlatformStatus()
{
    // Measured here: QLabel::heightForWidth() of a selectable label kept the height of a
    // narrower width after the dialog widened.
    const QRect inside = m_platformStatus->contentsRect();
    const int height = m_platformStatus->text().isEmpty()
        ? 0
        : m_platformStatus->fontMetrics()
                .boundingRect(
                    QRect(0, 0, std::max(1, inside.width()), 1 << 20), Qt::TextWordWrap, m_platformStatus->text())
                .height()
            + m_platformStatus->height() - inside.height();
    if (height != m_platformStatus->height())
        m_platformStatus->setFixedHeight(std::max(height, m_platformStatus->fontMetrics().height()));
}

bool OpenImageDialog::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_platformStatus && event->type() == QEvent::Resize)
        fitPlatformStatus();
    return QDialog::eventFilter(watched, event);
}

} // namespace lamina
