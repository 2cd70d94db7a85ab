// SPDX-License-Identifier: MIT
#pragma once

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

} // namespace lamina
