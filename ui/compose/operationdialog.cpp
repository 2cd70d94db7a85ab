// SPDX-License-Identifier: MIT
#include "compose/operationdialog.h"

#include "compose/composermodel.h"
#include "compose/modeedit.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>

namespace lamina {

namespace {

/// "uid:gid" as two numbers; nullopt when it is not.
std::optional<std::pair<quint32, quint32>> parseOwner(const QString &text)
{
    bool a = false, b = false;
    const quint32 uid = text.section(u':', 0, 0).toUInt(&a);
    const quint32 gid = text.section(u':', 1).toUInt(&b);
    if (!a || !b)
        return std::nullopt;
    return std::make_pair(uid, gid);
}

} // namespace

int fieldWidthFor(const QWidget *field, const QString &text, int chars)
{
    const QFontMetrics fm = field->fontMetrics();
    // The frame and the text margins of a line edit, in the font's own measure.
    return std::max(fm.horizontalAdvance(text), fm.averageCharWidth() * chars) + fm.averageCharWidth() * 3;
}

std::optional<QString> askImagePath(
    QWidget *parent, const QString &title, const QString &label, const QString &initial, bool allowRoot)
{
    QDialog dialog(parent);
    dialog.setObjectName(QStringLiteral("imagePathDialog"));
    dialog.setWindowTitle(title);
    auto *form = new QFormLayout(&dialog);
    auto *path = new QLineEdit(initial);
    path->setObjectName(QStringLiteral("imagePath"));
    path->setPlaceholderText(QObject::tr("/path/in/the/image"));
    path->setMinimumWidth(fieldWidthFor(path, initial, 40));
    form->addRow(label, path);
    auto *problem = new QLabel;
    problem->setObjectName(QStringLiteral("imagePathProblem"));
    problem->setStyleSheet(QStringLiteral("color: #b3261e"));
    problem->setWordWrap(true);
    form->addRow(problem);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    form->addRow(buttons);
    QString result;
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    QObject::connect(buttons, &QDialogButtonBox::accepted, &dialog, [&] {
        const QString text = path->text().trimmed();
        QString error;
        const QString normal = normaliseImagePath(text, &error);
        if (!text.startsWith(u'/'))
            problem->setText(QObject::tr("Give an absolute path, starting with /."));
        else if (!error.isEmpty())
            problem->setText(error);
        else if (normal.isEmpty() && !allowRoot)
            problem->setText(QObject::tr("Not the root itself: give a path below /."));
        else {
            result = u'/' + normal;
            dialog.accept();
        }
    });
    if (dialog.exec() != QDialog::Accepted)
        return std::nullopt;
    return result;
}

OperationDialog::OperationDialog(const LayerOp &op, const QString &title, QWidget *parent)
    : QDialog(parent)
    , m_op(op)
{
    setWindowTitle(title);
    auto *form = new QFormLayout(this);
    // The fields show the path proposed and the hint whole: at their default width (17
    // characters) a folder's path was cut and the link target's hint elided.
    m_path = new QLineEdit(op.imagePath);
    m_path->setObjectName(QStringLiteral("opPath"));
    m_path->setMinimumWidth(fieldWidthFor(m_path, op.imagePath, 40));
    form->addRow(tr("Path in the image"), m_path);
    if (op.kind == LayerOp::Symlink) {
        m_target = new QLineEdit(op.linkTarget);
        m_target->setObjectName(QStringLiteral("linkTarget"));
        m_target->setPlaceholderText(tr("stored as written, e.g. ../lib/app or /usr/bin/env"));
        m_target->setMinimumWidth(std::max(
            fieldWidthFor(m_target, m_target->placeholderText(), 40), fieldWidthFor(m_target, op.linkTarget, 40)));
        form->addRow(tr("Link target"), m_target);
    }
    if (op.kind == LayerOp::WriteText) {
        m_text = new QPlainTextEdit(QString::fromUtf8(op.text));
        m_text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        m_text->setMinimumSize(480, 220);
        form->addRow(tr("Content"), m_text);
    }
    if (op.kind == LayerOp::Mkdir || op.kind == LayerOp::WriteText || op.kind == LayerOp::AddHost) {
        m_mode = new ModeEdit;
        m_mode->setMode(ComposerModel::effectiveMode(op));
        form->addRow(tr("Mode"), m_mode);
    }
    m_owner = new QLineEdit(QStringLiteral("%1:%2").arg(op.uid).arg(op.gid));
    form->addRow(tr("Owner (uid:gid)"), m_owner);
    m_problem = new QLabel;
    m_problem->setObjectName(QStringLiteral("opProblem"));
    m_problem->setStyleSheet(QStringLiteral("color: #b3261e"));
    m_problem->setWordWrap(true); // a long reason takes lines, not the screen's width
    form->addRow(m_problem);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(buttons, &QDialogButtonBox::accepted, this, &OperationDialog::check);
}

void OperationDialog::check()
{
    QString error;
    const QString normal = normaliseImagePath(m_path->text(), &error);
    if (!error.isEmpty() || normal.isEmpty())
        m_problem->setText(error.isEmpty() ? tr("Give a path below /.") : error);
    else if (m_target && m_target->text().isEmpty())
        m_problem->setText(tr("A link needs a target."));
    else if (!parseOwner(m_owner->text()))
        m_problem->setText(tr("The owner is two numbers, uid:gid."));
    else
        accept();
}

LayerOp OperationDialog::operation() const
{
    LayerOp op = m_op;
    op.imagePath = m_path->text().trimmed();
    if (m_target)
        op.linkTarget = m_target->text();
    if (m_text)
        op.text = m_text->toPlainText().toUtf8();
    // A mode is set only when one is chosen: the default stays the default (the host's, say).
    if (m_mode && (op.mode || m_mode->mode() != ComposerModel::effectiveMode(op)))
        op.mode = m_mode->mode();
    if (const auto owner = parseOwner(m_owner->text())) {
        op.uid = owner->first;
        op.gid = owner->second;
    }
    return op;
}

bool OperationDialog::edit(QWidget *parent, LayerOp &op, const QString &title)
{
    OperationDialog dialog(op, title, parent);
    if (dialog.exec() != QDialog::Accepted)
        return false;
    op = dialog.operation();
    return true;
}

} // namespace lamina
