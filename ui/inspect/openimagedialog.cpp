// SPDX-License-Identifier: MIT
#include "inspect/openimagedialog.h"

#include "common/sizetext.h"
#include "engine/registrysource.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCompleter>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStringListModel>
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

    auto *form = new QFormLayout;
    form->addRow(tr("&Engine:"), m_engine);
    form->addRow(tr("&Image:"), m_name);
    form->addRow(QString(), m_insecure);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_images, 1);
    layout->addWidget(m_status);
    layout->addWidget(m_buttons);
    resize(720, 420);

    connect(m_engine, &QComboBox::currentIndexChanged, this, &OpenImageDialog::list);
    connect(m_name, &QLineEdit::textChanged, this, &OpenImageDialog::updateOk);
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
    if (text.isEmpty() || isImageReference(text) || text.startsWith(u"registry://"))
        return text; // a registry's image is typed whole: the engine's list is not where it is
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

void OpenImageDialog::list()
{
    m_images->clear();
    m_completions->setStringList({});
    m_status->setText(tr("Asking the engine for its images…"));
    const EngineReference::Engine e = engine();
    // On a worker: an engine that does not answer must not hold the dialog.
    m_job.start([e](const Progress &progress) { return listEngineImages(e, progress); },
        [this](EngineImages images) { show(images); });
    updateOk();
}

void OpenImageDialog::show(const EngineImages &images)
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

} // namespace lamina
