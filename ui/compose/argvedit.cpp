// SPDX-License-Identifier: MIT
#include "compose/argvedit.h"

#include "compose/commandline.h"

#include <QCheckBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QSignalBlocker>
#include <QStackedWidget>
#include <QStyledItemDelegate>
#include <QToolButton>
#include <QVBoxLayout>

namespace lamina {

namespace {

/// The list as a JSON array with a space after each comma, so that a label can wrap it between
/// the arguments.
QString jsonArray(const QStringList &list)
{
    QStringList items;
    for (const QString &a : list)
        items << QString::fromUtf8(QJsonDocument(QJsonArray { a }).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
    return u'[' + items.join(QStringLiteral(", ")) + u']';
}

bool isShellForm(const QStringList &argv)
{
    return argv.size() == 3 && argv.at(0) == u"/bin/sh" && argv.at(1) == u"-c";
}

/// An argument edited in place counts while it is typed, so that Export or Save pressed with the
/// editor still open takes it.
class LiveDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    QWidget *createEditor(QWidget *parent, const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        QWidget *editor = QStyledItemDelegate::createEditor(parent, option, index);
        if (auto *line = qobject_cast<QLineEdit *>(editor)) {
            auto *self = const_cast<LiveDelegate *>(this);
            connect(line, &QLineEdit::textEdited, self, [self, line] { Q_EMIT self->commitData(line); });
        }
        return editor;
    }
};

} // namespace

ArgvEdit::ArgvEdit(bool allowShellForm, QWidget *parent)
    : QWidget(parent)
    , m_allowShell(allowShellForm)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    m_shell = new QCheckBox(tr("Shell form (/bin/sh -c)"));
    m_shell->setObjectName(QStringLiteral("shellForm"));
    m_shell->setVisible(allowShellForm);

    m_list = new QListWidget;
    m_list->setObjectName(QStringLiteral("arguments"));
    m_list->setFlow(QListView::LeftToRight);
    m_list->setWrapping(true);
    m_list->setSpacing(2);
    m_list->setEditTriggers(
        QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed | QAbstractItemView::SelectedClicked);
    m_list->setItemDelegate(new LiveDelegate(m_list));
    m_list->setFixedHeight(m_list->fontMetrics().height() * 2 + 12);
    // Where the next argument is typed: it counts as soon as it is typed, and Enter, "+" or
    // leaving the field moves it into the list.
    m_pending = new QLineEdit;
    m_pending->setObjectName(QStringLiteral("newArgument"));
    m_pending->setPlaceholderText(tr("next argument, Enter adds it"));
    auto *add = new QToolButton;
    add->setObjectName(QStringLiteral("addArgument"));
    add->setText(tr("+"));
    add->setToolTip(tr("Add the argument typed beside"));
    auto *remove = new QToolButton;
    remove->setObjectName(QStringLiteral("removeArgument"));
    remove->setText(tr("−"));
    remove->setToolTip(tr("Remove the argument selected in the list"));
    auto *left = new QToolButton;
    left->setObjectName(QStringLiteral("moveArgumentEarlier"));
    left->setText(tr("◀"));
    left->setToolTip(tr("Move the argument selected in the list earlier"));
    auto *execRow = new QWidget;
    auto *ev = new QVBoxLayout(execRow);
    ev->setContentsMargins(0, 0, 0, 0);
    ev->setSpacing(2);
    ev->addWidget(m_list);
    auto *er = new QHBoxLayout;
    er->addWidget(m_pending, 1);
    er->addWidget(add);
    er->addWidget(left);
    er->addWidget(remove);
    ev->addLayout(er);

    m_command = new QLineEdit;
    m_command->setObjectName(QStringLiteral("shellCommand"));
    m_command->setPlaceholderText(tr("a command line, e.g. echo hello > foo; cat foo"));

    m_stack = new QStackedWidget;
    m_stack->addWidget(execRow);
    m_stack->addWidget(m_command);
    m_stack->setFixedHeight(std::max(execRow->sizeHint().height(), m_command->sizeHint().height()));
    m_result = new QLabel;
    m_result->setObjectName(QStringLiteral("argvResult"));
    m_result->setTextFormat(Qt::PlainText);
    m_result->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_result->setWordWrap(true);

    // A row each, so that neither the field nor what it makes is narrowed by the toggle.
    layout->addWidget(m_stack);
    layout->addWidget(m_shell);
    layout->addWidget(m_result);

    auto changed = [this] {
        showResult();
        Q_EMIT edited();
    };
    connect(add, &QToolButton::clicked, this, [this] {
        commitPending();
        m_pending->setFocus();
    });
    connect(m_pending, &QLineEdit::textEdited, this, changed);
    connect(m_pending, &QLineEdit::editingFinished, this, &ArgvEdit::commitPending); // Enter, focus out
    connect(remove, &QToolButton::clicked, this, [this, changed] {
        if (QListWidgetItem *item = m_list->currentItem()) {
            delete item;
            changed();
        }
    });
    connect(left, &QToolButton::clicked, this, [this, changed] {
        const int row = m_list->currentRow();
        if (row > 0) {
            m_list->insertItem(row - 1, m_list->takeItem(row));
            m_list->setCurrentRow(row - 1);
            changed();
        }
    });
    connect(m_list, &QListWidget::itemChanged, this, changed);
    // Buttons that act on the selected argument are off while none is: clicked, they did nothing.
    const auto selectionShown = [this, remove, left] {
        const int row = m_list->currentItem() ? m_list->currentRow() : -1;
        remove->setEnabled(row >= 0);
        left->setEnabled(row > 0);
    };
    connect(m_list, &QListWidget::currentRowChanged, this, selectionShown);
    connect(m_list->model(), &QAbstractItemModel::rowsRemoved, this, selectionShown);
    connect(m_list->model(), &QAbstractItemModel::modelReset, this, selectionShown);
    selectionShown();
    connect(m_command, &QLineEdit::textEdited, this, changed);
    connect(m_shell, &QCheckBox::toggled, this, [this, changed](bool shell) {
        // The same command either way: exec arguments become one quoted line and back.
        const QSignalBlocker block(m_list);
        if (shell) {
            const QStringList args = execArgs();
            m_pending->clear();
            QStringList quoted;
            for (const QString &a : args)
                quoted << shellQuote(a);
            m_command->setText(isShellForm(args) ? args.at(2) : quoted.join(u' '));
        } else if (!m_command->text().isEmpty()) {
            m_list->clear();
            m_pending->clear();
            for (const QString &a : { QStringLiteral("/bin/sh"), QStringLiteral("-c"), m_command->text() }) {
                auto *item = new QListWidgetItem(a);
                item->setFlags(item->flags() | Qt::ItemIsEditable);
                m_list->addItem(item);
            }
        }
        m_stack->setCurrentIndex(shell ? 1 : 0);
        changed();
    });
    showResult();
}

QStringList ArgvEdit::execArgs() const
{
    QStringList args;
    for (int i = 0; i < m_list->count(); ++i)
        args << m_list->item(i)->text();
    if (!m_pending->text().isEmpty())
        args << m_pending->text();
    return args;
}

void ArgvEdit::commitPending()
{
    if (m_pending->text().isEmpty())
        return;
    const QSignalBlocker block(m_list);
    auto *item = new QListWidgetItem(m_pending->text());
    item->setFlags(item->flags() | Qt::ItemIsEditable);
    m_list->addItem(item);
    m_pending->clear(); // argv() is what it was: no edit
    showResult();
}

std::optional<QStringList> ArgvEdit::argv() const
{
    if (m_shell->isChecked()) {
        if (m_command->text().isEmpty())
            return std::nullopt;
        return QStringList { QStringLiteral("/bin/sh"), QStringLiteral("-c"), m_command->text() };
    }
    const QStringList args = execArgs();
    return args.isEmpty() ? std::nullopt : std::optional<QStringList>(args);
}

void ArgvEdit::setArgv(const std::optional<QStringList> &argv)
{
    if (argv == this->argv())
        return; // keeps the cursor where the person is typing
    const QSignalBlocker blockShell(m_shell), blockList(m_list);
    const bool shell = argv ? m_allowShell && isShellForm(*argv) : m_shell->isChecked();
    m_shell->setChecked(shell);
    m_stack->setCurrentIndex(shell ? 1 : 0);
    m_list->clear();
    m_pending->clear();
    m_command->clear();
    if (argv && shell) {
        m_command->setText(argv->at(2));
    } else if (argv) {
        for (const QString &a : *argv) {
            auto *item = new QListWidgetItem(a);
            item->setFlags(item->flags() | Qt::ItemIsEditable);
            m_list->addItem(item);
        }
    }
    showResult();
}

void ArgvEdit::setInherited(const QStringList &base)
{
    m_inherited = base;
    showResult();
}

void ArgvEdit::setShellForm(bool shell)
{
    m_shell->setChecked(shell);
}

bool ArgvEdit::shellForm() const
{
    return m_shell->isChecked();
}

void ArgvEdit::setShellCommand(const QString &command)
{
    setShellForm(true);
    m_command->setText(command);
    showResult();
    Q_EMIT edited();
}

void ArgvEdit::showResult()
{
    const auto value = argv();
    if (value)
        m_result->setText(tr("→ %1").arg(jsonArray(*value)));
    else
        m_result->setText(
            m_inherited.isEmpty() ? tr("(not set)") : tr("(keeps the base's: %1)").arg(jsonArray(m_inherited)));
}

} // namespace lamina
