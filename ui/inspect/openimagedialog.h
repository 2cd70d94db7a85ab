// SPDX-License-Identifier: MIT
#pragma once

#include "common/latestjob.h"
#include "engine/enginesource.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QStringListModel;
class QTreeWidget;

namespace lamina {

/// "Open Image from an Engine or Registry…": the images of the Docker engine or of podman, listed
/// on a worker, and a reference to type with completion from them, or a registry:// reference
/// typed whole (docs/engines.md).
class OpenImageDialog : public QDialog
{
    Q_OBJECT
public:
    explicit OpenImageDialog(QWidget *parent = nullptr);
    /// docker://NAME or podman://NAME: what was typed, with the chosen engine's scheme when it
    /// has none.
    QString reference() const;
    /// "Don't verify the registry's certificate (insecure)": for this opening only, never kept.
    bool insecure() const;

Q_SIGNALS:
    /// The engine's list arrived (or why not is shown).
    void listed();

private:
    EngineReference::Engine engine() const;
    void list();
    void show(const EngineImages &images);
    void updateOk();

    QComboBox *m_engine = nullptr;
    QLineEdit *m_name = nullptr;
    QCheckBox *m_insecure = nullptr;
    QStringListModel *m_completions = nullptr;
    QTreeWidget *m_images = nullptr;
    QLabel *m_status = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    LatestJob<EngineImages> m_job { this };
};

} // namespace lamina
