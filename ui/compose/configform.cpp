// SPDX-License-Identifier: MIT
#include "compose/configform.h"

#include "compose/argvedit.h"
#include "compose/config.h"

#include <QCheckBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QSignalBlocker>
#include <QTableWidget>
#include <QToolButton>
#include <QVBoxLayout>

namespace lamina {

namespace {

using Settings = CompositionDocument::Settings;

QStringList words(const QString &text)
{
    static const QRegularExpression separators(QStringLiteral("[,\\s]+"));
    return text.split(separators, Qt::SkipEmptyParts);
}

QStringList stringList(const QJsonValue &v)
{
    QStringList out;
    for (const QJsonValue &x : v.toArray())
        out << x.toString();
    return out;
}

std::optional<QString> optional(const QString &t)
{
    return t.trimmed().isEmpty() ? std::nullopt : std::optional<QString>(t.trimmed());
}

/// A row of the Env table: a variable of the base (`baseName` set) or one the composition adds.
struct EnvRow
{
    QString name, value, from, baseName;
    bool unset = false;
};

/// The base's variables with the edits applied, then the ones added.
QList<EnvRow> envRows(const QJsonObject &baseSettings, const ConfigEdits &e)
{
    QList<EnvRow> rows;
    QStringList baseNames;
    for (const QString &entry : stringList(baseSettings.value(QStringLiteral("Env")))) {
        EnvRow r;
        r.baseName = r.name = entry.section(u'=', 0, 0);
        r.value = entry.section(u'=', 1);
        r.from = ConfigForm::tr("base");
        r.unset = e.unsetEnv.contains(r.name);
        if (r.unset)
            r.from = ConfigForm::tr("unset");
        for (const auto &kv : e.setEnv) {
            if (kv.first == r.name) {
                r.value = kv.second;
                r.from = ConfigForm::tr("base, changed");
                r.unset = false;
            }
        }
        baseNames << r.name;
        rows << r;
    }
    for (const auto &kv : e.setEnv)
        if (!baseNames.contains(kv.first))
            rows << EnvRow { kv.first, kv.second, ConfigForm::tr("added"), QString(), false };
    return rows;
}

} // namespace

ConfigForm::ConfigForm(CompositionDocument *document, QWidget *parent)
    : QWidget(parent)
    , m_document(document)
{
    buildFields();
    connectFields();
    connect(m_document, &CompositionDocument::settingsChanged, this, &ConfigForm::fill);
    connect(m_document, &CompositionDocument::baseChanged, this, &ConfigForm::showBase);
    showBase();
    fill();
}

void ConfigForm::buildFields()
{
    m_workdir = new QLineEdit;
    m_workdir->setObjectName(QStringLiteral("workingDir"));
    m_createWorkdir = new QCheckBox(tr("create it in the layer"));
    m_createWorkdir->setObjectName(QStringLiteral("createWorkdir"));
    m_createWorkdir->setChecked(true);
    auto *workdirRow = new QVBoxLayout;
    workdirRow->setSpacing(2);
    workdirRow->addWidget(m_workdir);
    workdirRow->addWidget(m_createWorkdir);
    m_entrypoint = new ArgvEdit(true);
    m_entrypoint->setObjectName(QStringLiteral("entrypoint"));
    m_cmd = new ArgvEdit(true);
    m_cmd->setObjectName(QStringLiteral("cmd"));
    m_user = new QLineEdit;
    m_user->setObjectName(QStringLiteral("user"));
    m_ports = new QLineEdit;
    m_ports->setObjectName(QStringLiteral("ports"));
    m_ports->setPlaceholderText(tr("8080/tcp, 53/udp"));
    m_labels = new QPlainTextEdit;
    m_labels->setObjectName(QStringLiteral("labels"));
    m_labels->setPlaceholderText(tr("one per line: org.opencontainers.image.source=https://…"));
    m_labels->setFixedHeight(m_labels->fontMetrics().height() * 3 + 12);
    m_volumes = new QLineEdit;
    m_volumes->setObjectName(QStringLiteral("volumes"));
    m_volumes->setPlaceholderText(tr("/data, /var/cache/app"));
    m_tags = new QLineEdit;
    m_tags->setObjectName(QStringLiteral("tags"));
    m_tags->setPlaceholderText(tr("name:tag"));
    m_stopSignal = new QLineEdit;
    m_stopSignal->setObjectName(QStringLiteral("stopSignal"));
    m_stopSignal->setPlaceholderText(tr("SIGTERM"));
    m_created = new QLineEdit;
    m_created->setObjectName(QStringLiteral("created"));
    m_created->setToolTip(tr("RFC 3339; also every new entry's modification time"));
    auto *form = new QFormLayout(this);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->addRow(tr("WorkingDir"), workdirRow);
    form->addRow(tr("Entrypoint"), m_entrypoint);
    form->addRow(tr("Cmd"), m_cmd);
    form->addRow(tr("Env"), buildEnv());
    form->addRow(tr("User"), m_user);
    form->addRow(tr("Exposed ports"), m_ports);
    form->addRow(tr("Volumes"), m_volumes);
    form->addRow(tr("Labels"), m_labels);
    form->addRow(tr("StopSignal"), m_stopSignal);
    form->addRow(tr("Tags"), m_tags);
    form->addRow(tr("created"), m_created);
}

QBoxLayout *ConfigForm::buildEnv()
{
    m_env = new QTableWidget(0, 3);
    m_env->setObjectName(QStringLiteral("env"));
    m_env->setHorizontalHeaderLabels({ tr("Variable"), tr("Value"), tr("From") });
    m_env->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_env->verticalHeader()->hide();
    m_env->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_env->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    auto *add = new QToolButton;
    add->setObjectName(QStringLiteral("envAdd"));
    add->setText(tr("Add"));
    auto *remove = new QToolButton;
    remove->setObjectName(QStringLiteral("envUnset"));
    remove->setText(tr("Unset / remove"));
    auto *buttons = new QHBoxLayout; // under the table, which keeps the column's width
    buttons->addWidget(add);
    buttons->addWidget(remove);
    buttons->addStretch(1);
    auto *row = new QVBoxLayout;
    row->setSpacing(2);
    row->addWidget(m_env);
    row->addLayout(buttons);
    connect(m_env, &QTableWidget::itemChanged, this, &ConfigForm::envEdited);
    connect(add, &QToolButton::clicked, this, &ConfigForm::addEnvVariable);
    connect(remove, &QToolButton::clicked, this, &ConfigForm::unsetEnvRow);
    return row;
}

void ConfigForm::connectFields()
{
    using D = CompositionDocument;
    connect(m_workdir, &QLineEdit::textEdited, this, [this] { fieldEdited(D::WorkdirField); });
    connect(m_createWorkdir, &QCheckBox::toggled, this, [this] { fieldEdited(D::CreateWorkdirField); });
    connect(m_entrypoint, &ArgvEdit::edited, this, [this] { fieldEdited(D::EntrypointField); });
    connect(m_cmd, &ArgvEdit::edited, this, [this] { fieldEdited(D::CmdField); });
    connect(m_user, &QLineEdit::textEdited, this, [this] { fieldEdited(D::UserField); });
    connect(m_ports, &QLineEdit::textEdited, this, [this] { fieldEdited(D::PortsField); });
    connect(m_volumes, &QLineEdit::textEdited, this, [this] { fieldEdited(D::VolumesField); });
    connect(m_labels, &QPlainTextEdit::textChanged, this, [this] { fieldEdited(D::LabelsField); });
    connect(m_tags, &QLineEdit::textEdited, this, [this] { fieldEdited(D::TagsField); });
    connect(m_created, &QLineEdit::textEdited, this, [this] { fieldEdited(D::CreatedField); });
    connect(m_stopSignal, &QLineEdit::textEdited, this, [this] { fieldEdited(D::StopSignalField); });
}

void ConfigForm::setShellCommand(const QString &command)
{
    m_cmd->setShellCommand(command); // edited() makes it the document's
}

void ConfigForm::fieldEdited(Field field)
{
    auto change = [this, field](Settings &s) {
        switch (field) {
        case CompositionDocument::WorkdirField:
            s.config.workingDir = optional(m_workdir->text());
            break;
        case CompositionDocument::CreateWorkdirField:
            s.createWorkdir = m_createWorkdir->isChecked();
            break;
        case CompositionDocument::EntrypointField:
            s.config.entrypoint = m_entrypoint->argv();
            break;
        case CompositionDocument::CmdField:
            s.config.cmd = m_cmd->argv();
            break;
        case CompositionDocument::UserField:
            s.config.user = optional(m_user->text());
            break;
        case CompositionDocument::PortsField:
            s.config.exposedPorts = words(m_ports->text());
            break;
        case CompositionDocument::VolumesField:
            s.config.volumes = words(m_volumes->text());
            break;
        case CompositionDocument::TagsField:
            s.tags = words(m_tags->text());
            break;
        case CompositionDocument::CreatedField:
            s.created = m_created->text().trimmed();
            break;
        case CompositionDocument::StopSignalField:
            s.config.stopSignal = optional(m_stopSignal->text());
            break;
        case CompositionDocument::LabelsField:
            s.config.labels.clear();
            for (const QString &line : m_labels->toPlainText().split(u'\n', Qt::SkipEmptyParts))
                if (line.contains(u'='))
                    s.config.labels << qMakePair(line.section(u'=', 0, 0).trimmed(), line.section(u'=', 1));
            break;
        case CompositionDocument::EnvField:
            break;
        }
    };
    // Text being typed is not rewritten from the parsed value ("8080, " stays as typed).
    m_typing = field;
    m_document->editSettings(field, change);
    m_typing = 0;
}

void ConfigForm::showBase()
{
    const QJsonObject &base = m_document->baseSettings();
    m_workdir->setPlaceholderText(base.value(QStringLiteral("WorkingDir")).toString());
    m_user->setPlaceholderText(base.value(QStringLiteral("User")).toString());
    m_stopSignal->setPlaceholderText(base.value(QStringLiteral("StopSignal")).toString());
    m_entrypoint->setInherited(stringList(base.value(QStringLiteral("Entrypoint"))));
    m_cmd->setInherited(stringList(base.value(QStringLiteral("Cmd"))));
    fillEnv();
}

void ConfigForm::fill()
{
    const Settings &s = m_document->settings();
    auto line = [this](QLineEdit *e, Field f, const QString &text) {
        if (m_typing == f || e->text() == text)
            return;
        const QSignalBlocker block(e);
        e->setText(text);
    };
    line(m_workdir, CompositionDocument::WorkdirField, s.config.workingDir.value_or(QString()));
    {
        const QSignalBlocker block(m_createWorkdir);
        m_createWorkdir->setChecked(s.createWorkdir);
    }
    m_entrypoint->setArgv(s.config.entrypoint);
    if (m_typing != CompositionDocument::CmdField)
        m_cmd->setArgv(s.config.cmd);
    line(m_user, CompositionDocument::UserField, s.config.user.value_or(QString()));
    line(m_ports, CompositionDocument::PortsField, s.config.exposedPorts.join(QStringLiteral(", ")));
    line(m_volumes, CompositionDocument::VolumesField, s.config.volumes.join(QStringLiteral(", ")));
    line(m_tags, CompositionDocument::TagsField, s.tags.join(QStringLiteral(", ")));
    line(m_created, CompositionDocument::CreatedField, s.created);
    line(m_stopSignal, CompositionDocument::StopSignalField, s.config.stopSignal.value_or(QString()));
    m_created->setStyleSheet(
        parseCreated(s.created) < 0 ? QStringLiteral("QLineEdit { background: #fde2e1; }") : QString());
    if (m_typing != CompositionDocument::LabelsField) {
        QStringList labels;
        for (const auto &kv : s.config.labels)
            labels << kv.first + u'=' + kv.second;
        if (m_labels->toPlainText() != labels.join(u'\n')) {
            const QSignalBlocker block(m_labels);
            m_labels->setPlainText(labels.join(u'\n'));
        }
    }
    // The table is rebuilt after the edit that led here has finished with its item.
    QMetaObject::invokeMethod(this, &ConfigForm::fillEnv, Qt::QueuedConnection);
}

void ConfigForm::fillEnv()
{
    const QSignalBlocker block(m_env);
    const QList<EnvRow> rows = envRows(m_document->baseSettings(), m_document->settings().config);
    m_env->setRowCount(int(rows.size()));
    // As tall as its rows (three to eight), so the form below stays in view.
    const int shown = std::clamp(int(rows.size()), 3, 8);
    m_env->setFixedHeight(m_env->horizontalHeader()->sizeHint().height()
        + shown * m_env->verticalHeader()->defaultSectionSize() + 2 * m_env->frameWidth());
    const QColor dim = palette().color(QPalette::Disabled, QPalette::Text);
    for (int i = 0; i < rows.size(); ++i) {
        const EnvRow &r = rows.at(i);
        auto *name = new QTableWidgetItem(r.name);
        name->setData(Qt::UserRole, r.baseName);
        name->setData(Qt::UserRole + 1, r.unset);
        auto *value = new QTableWidgetItem(r.value);
        auto *from = new QTableWidgetItem(r.from);
        from->setFlags(from->flags() & ~Qt::ItemIsEditable);
        if (r.from == tr("base") || r.unset) {
            for (QTableWidgetItem *item : { name, value, from })
                item->setForeground(dim);
        }
        if (r.unset) {
            QFont f = name->font();
            f.setStrikeOut(true);
            name->setFont(f);
            value->setFont(f);
        }
        m_env->setItem(i, 0, name);
        m_env->setItem(i, 1, value);
        m_env->setItem(i, 2, from);
    }
    // A variable just added has its made-up name ready to be typed over.
    for (int i = 0; !m_envToName.isEmpty() && i < m_env->rowCount(); ++i)
        if (QTableWidgetItem *name = m_env->item(i, 0); name->text() == m_envToName) {
            m_env->setCurrentItem(name);
            m_env->editItem(name);
        }
    m_envToName.clear();
}

void ConfigForm::envEdited()
{
    // The table says it all: a base variable renamed is unset and set under its new name, one
    // with its base value is no change.
    ConfigEdits edits;
    QHash<QString, QString> base;
    for (const QString &entry : stringList(m_document->baseSettings().value(QStringLiteral("Env"))))
        base.insert(entry.section(u'=', 0, 0), entry.section(u'=', 1));
    for (int r = 0; r < m_env->rowCount(); ++r) {
        const QTableWidgetItem *nameItem = m_env->item(r, 0);
        if (!nameItem)
            continue;
        const QString baseName = nameItem->data(Qt::UserRole).toString();
        const QString name = nameItem->text().trimmed();
        const QString value = m_env->item(r, 1) ? m_env->item(r, 1)->text() : QString();
        if (!baseName.isEmpty()) {
            if (nameItem->data(Qt::UserRole + 1).toBool()) {
                edits.unsetEnv << baseName;
            } else if (name != baseName) {
                edits.unsetEnv << baseName;
                if (!name.isEmpty())
                    edits.setEnv << qMakePair(name, value);
            } else if (value != base.value(baseName)) {
                edits.setEnv << qMakePair(name, value);
            }
        } else if (!name.isEmpty()) {
            edits.setEnv << qMakePair(name, value);
        }
    }
    m_document->editSettings(CompositionDocument::EnvField, [&](Settings &s) {
        s.config.setEnv = edits.setEnv;
        s.config.unsetEnv = edits.unsetEnv;
    });
}

void ConfigForm::addEnvVariable()
{
    m_document->editSettings(CompositionDocument::EnvField, [this](Settings &s) {
        int n = 1;
        auto taken = [&](const QString &name) {
            for (const auto &kv : std::as_const(s.config.setEnv))
                if (kv.first == name)
                    return true;
            return false;
        };
        while (taken(QStringLiteral("NAME%1").arg(n)))
            ++n;
        m_envToName = QStringLiteral("NAME%1").arg(n);
        s.config.setEnv << qMakePair(m_envToName, QString());
    });
}

void ConfigForm::unsetEnvRow()
{
    const int row = m_env->currentRow();
    if (row < 0)
        return;
    QTableWidgetItem *name = m_env->item(row, 0);
    if (name->data(Qt::UserRole).toString().isEmpty()) {
        m_env->removeRow(row);
    } else {
        const QSignalBlocker block(m_env);
        name->setData(Qt::UserRole + 1, !name->data(Qt::UserRole + 1).toBool());
    }
    envEdited();
}

} // namespace lamina
