// SPDX-License-Identifier: MIT
#pragma once

#include <QStyledItemDelegate>
#include <QWidget>

class QCheckBox;
class QLineEdit;

namespace lamina {

/// A file mode two ways at once: octal text ("0755", or "rwxr-xr-x") and a checkbox per bit
/// (read, write, execute for owner, group and others; set-uid, set-gid, sticky).
class ModeEdit : public QWidget
{
    Q_OBJECT
public:
    explicit ModeEdit(QWidget *parent = nullptr);
    quint32 mode() const { return m_mode; }
    void setMode(quint32 mode);
    /// The octal text as typed, for item delegates.
    QString text() const;

Q_SIGNALS:
    void modeChanged(quint32 mode);

private:
    void showMode();
    quint32 m_mode = 0644;
    QLineEdit *m_text = nullptr;
    QList<QCheckBox *> m_bits; ///< bit 11 (set-uid) down to bit 0 (others execute)
};

/// Mode cells of an item view edited with a ModeEdit; every change is committed.
class ModeDelegate : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    QWidget *createEditor(QWidget *parent, const QStyleOptionViewItem &, const QModelIndex &) const override;
    void setEditorData(QWidget *editor, const QModelIndex &index) const override;
    void setModelData(QWidget *editor, QAbstractItemModel *model, const QModelIndex &index) const override;
    void updateEditorGeometry(QWidget *editor, const QStyleOptionViewItem &option, const QModelIndex &) const override;
};

} // namespace lamina
