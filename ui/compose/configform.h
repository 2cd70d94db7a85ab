// SPDX-License-Identifier: MIT
#pragma once

#include "compose/compositiondocument.h"

#include <QWidget>

class QBoxLayout;
class QCheckBox;
class QLineEdit;
class QPlainTextEdit;
class QTableWidget;

namespace lamina {

class ArgvEdit;

/// The config form: WorkingDir, Entrypoint, Cmd, Env, User, ports, volumes, labels, StopSignal,
/// tags and the creation time of the composition. A view of the document's settings: each edit
/// is one of its steps, and the form shows whatever the document holds (also after undo). Env is
/// a table of the base's variables and the composition's: changed, unset or added.
class ConfigForm : public QWidget
{
    Q_OBJECT
public:
    explicit ConfigForm(CompositionDocument *document, QWidget *parent = nullptr);
    /// Cmd in shell form, as if typed (the edit is the document's).
    void setShellCommand(const QString &command);

private:
    using Field = CompositionDocument::Field;
    void buildFields();
    QBoxLayout *buildEnv();
    void connectFields();
    void fieldEdited(Field field);
    void showBase();
    void fill();
    void fillEnv();
    void envEdited();
    void addEnvVariable();
    void unsetEnvRow();

    CompositionDocument *m_document;
    QLineEdit *m_workdir = nullptr;
    QCheckBox *m_createWorkdir = nullptr;
    ArgvEdit *m_entrypoint = nullptr;
    ArgvEdit *m_cmd = nullptr;
    QTableWidget *m_env = nullptr;
    QString m_envToName; ///< the variable just added, whose name is edited once its row is there
    QLineEdit *m_user = nullptr;
    QLineEdit *m_ports = nullptr;
    QPlainTextEdit *m_labels = nullptr;
    QLineEdit *m_volumes = nullptr;
    QLineEdit *m_tags = nullptr;
    QLineEdit *m_created = nullptr;
    QLineEdit *m_stopSignal = nullptr;
    int m_typing = 0; ///< the field being typed in, not rewritten by fill()
};

} // namespace lamina
