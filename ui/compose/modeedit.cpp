// SPDX-License-Identifier: MIT
#include "compose/modeedit.h"

#include "compose/composermodel.h"

#include <QCheckBox>
#include <QGridLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSignalBlocker>

namespace lamina {

ModeEdit::ModeEdit(QWidget *parent)
    : QWidget(parent)
{
    setAutoFillBackground(true);
    auto *grid = new QGridLayout(this);
    grid->setContentsMargins(2, 2, 2, 2);
    grid->setSpacing(2);
    m_text = new QLineEdit;
    m_text->setObjectName(QStringLiteral("modeText"));
    m_text->setMaxLength(9);
    m_text->setToolTip(tr("0755 or rwxr-xr-x"));
    grid->addWidget(m_text, 0, 0);
    const QStringList columns { tr("r"), tr("w"), tr("x") };
    for (int c = 0; c < 3; ++c)
        grid->addWidget(new QLabel(columns.at(c)), 0, c + 1, Qt::AlignCenter);
    grid->addWidget(new QLabel(tr("special")), 0, 4);
    const QStringList rows { tr("owner"), tr("group"), tr("others") };
    const QStringList specials { tr("set-uid"), tr("set-gid"), tr("sticky") };
    QList<QCheckBox *> bits(12, nullptr);
    for (int r = 0; r < 3; ++r) {
        grid->addWidget(new QLabel(rows.at(r)), r + 1, 0, Qt::AlignRight);
        for (int c = 0; c < 3; ++c) {
            auto *box = new QCheckBox;
            const int bit = (2 - r) * 3 + (2 - c);
            bits[11 - bit] = box;
            grid->addWidget(box, r + 1, c + 1, Qt::AlignCenter);
        }
        auto *special = new QCheckBox(specials.at(r));
        bits[r] = special; // 04000, 02000, 01000
        grid->addWidget(special, r + 1, 4);
    }
    m_bits = bits;
    for (int i = 0; i < 12; ++i) {
        connect(m_bits.at(i), &QCheckBox::toggled, this, [this, i](bool on) {
            const quint32 bit = 1u << (11 - i);
            setMode(on ? (m_mode | bit) : (m_mode & ~bit));
        });
    }
    connect(m_text, &QLineEdit::textEdited, this, [this](const QString &t) {
        if (const auto m = parseMode(t)) {
            m_mode = *m;
            showMode();
            Q_EMIT modeChanged(m_mode);
        }
    });
    showMode();
}

void ModeEdit::setMode(quint32 mode)
{
    mode &= 07777;
    const bool changed = mode != m_mode;
    m_mode = mode;
    showMode();
    if (!m_text->hasFocus() || parseMode(m_text->text()) != mode)
        m_text->setText(QStringLiteral("%1").arg(mode, 4, 8, QLatin1Char('0')));
    if (changed)
        Q_EMIT modeChanged(mode);
}

QString ModeEdit::text() const
{
    return QStringLiteral("%1").arg(m_mode, 4, 8, QLatin1Char('0'));
}

void ModeEdit::showMode()
{
    for (int i = 0; i < 12; ++i) {
        const QSignalBlocker block(m_bits.at(i));
        m_bits.at(i)->setChecked(m_mode & (1u << (11 - i)));
    }
    if (!m_text->hasFocus())
        m_text->setText(QStringLiteral("%1").arg(m_mode, 4, 8, QLatin1Char('0')));
}

QWidget *ModeDelegate::createEditor(QWidget *parent, const QStyleOptionViewItem &, const QModelIndex &) const
{
    auto *editor = new ModeEdit(parent);
    connect(editor, &ModeEdit::modeChanged, this,
        [this, editor] { Q_EMIT const_cast<ModeDelegate *>(this)->commitData(editor); });
    return editor;
}

void ModeDelegate::setEditorData(QWidget *editor, const QModelIndex &index) const
{
    if (const auto mode = parseMode(index.data(Qt::EditRole).toString())) {
        auto *e = static_cast<ModeEdit *>(editor);
        const QSignalBlocker block(e);
        e->setMode(*mode);
    }
}

void ModeDelegate::setModelData(QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const
{
    model->setData(index, static_cast<ModeEdit *>(editor)->text(), Qt::EditRole);
}

void ModeDelegate::updateEditorGeometry(QWidget *editor, const QStyleOptionViewItem &option, const QModelIndex &) const
{
    const QSize hint = editor->sizeHint();
    editor->setGeometry(
        QRect(option.rect.topLeft(), QSize(std::max(hint.width(), option.rect.width()), hint.height())));
}

} // namespace lamina
