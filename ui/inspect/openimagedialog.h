// SPDX-License-Identifier: MIT
#pragma once

#include "common/latestjob.h"
#include "engine/enginesource.h"
#include "engine/registrysource.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QFormLayout;
class QStringListModel;
class QTimer;
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
    /// has none; a registry:// reference as typed, with `?platform=` of the platform picked.
    QString reference() const;
    /// "Don't verify the registry's certificate (insecure)": for this opening only, never kept.
    bool insecure() const;

Q_SIGNALS:
    /// The engine's list arrived (or why not is shown).
    void listed();
    /// The registry said which platforms the typed reference offers (or why not is shown).
    void platformsListed();

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    /// The platform's status line as tall as its text at its width, no taller.
    void setPlatformStatus(const QString &text);
    void fitPlatformStatus();
    EngineReference::Engine engine() const;
    void list();
    void showImages(const EngineImages &images);
    void updateOk();
    /// The typed text changed: a registry:// reference shows the platform row and asks, after a
    /// pause in the typing, what its manifest offers.
    void typed();
    void askPlatforms();
    void showPlatforms(const QString &asked, const RegistryPlatforms &platforms);

    QComboBox *m_engine = nullptr;
    QLineEdit *m_name = nullptr;
    QCheckBox *m_insecure = nullptr;
    QComboBox *m_platform = nullptr;
    QLabel *m_platformStatus = nullptr; ///< what the registry said of the reference
    QFormLayout *m_form = nullptr;
    QTimer *m_typing = nullptr;
    QString m_platformsOf; ///< the reference (without ?platform=) the picker was filled for
    QStringListModel *m_completions = nullptr;
    QTreeWidget *m_images = nullptr;
    QLabel *m_status = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    LatestJob<EngineImages> m_job { this };
    LatestJob<RegistryPlatforms> m_platformJob { this };
};

} // namespace lamina
