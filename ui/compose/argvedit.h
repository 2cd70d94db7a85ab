// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

#include <optional>

class QCheckBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QStackedWidget;

namespace lamina {

/// Cmd or Entrypoint: an argument list (exec form) edited one argument per row, or, with the
/// shell-form toggle, one command line run by /bin/sh -c. The resulting JSON array is shown below.
/// Nothing entered means "keep the base's" (shown as such). Text typed is never left out: the
/// argument being typed below the list, or in a row edited in place, is part of argv() at once.
class ArgvEdit : public QWidget
{
    Q_OBJECT
public:
    explicit ArgvEdit(bool allowShellForm, QWidget *parent = nullptr);
    std::optional<QStringList> argv() const;
    /// Shows a value without emitting edited(); picks the shell form for ["/bin/sh", "-c", X].
    void setArgv(const std::optional<QStringList> &argv);
    void setInherited(const QStringList &base);
    void setShellForm(bool shell);
    bool shellForm() const;
    /// Shell form: the command line; for tests and scripts.
    void setShellCommand(const QString &command);

Q_SIGNALS:
    void edited();

private:
    void showResult();
    QStringList execArgs() const;
    void commitPending();
    QCheckBox *m_shell = nullptr;
    QStackedWidget *m_stack = nullptr;
    QListWidget *m_list = nullptr;
    QLineEdit *m_pending = nullptr;
    QLineEdit *m_command = nullptr;
    QLabel *m_result = nullptr;
    QStringList m_inherited;
    bool m_allowShell = true;
};

} // namespace lamina
