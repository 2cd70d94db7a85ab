// SPDX-License-Identifier: MIT
#pragma once

#include "compose/layerwriter.h"

#include <QDialog>

#include <optional>

class QLabel;
class QLineEdit;
class QPlainTextEdit;

namespace lamina {

class ModeEdit;

/// The dialog for a new (or changed) folder, link or text file: its path in the image, the link
/// target or the text, its mode and its owner. OK is refused, with the reason shown, until they
/// make an operation.
class OperationDialog : public QDialog
{
    Q_OBJECT
public:
    OperationDialog(const LayerOp &op, const QString &title, QWidget *parent = nullptr);
    /// The operation as edited (after accept()).
    LayerOp operation() const;
    /// Runs the dialog on `op`; true, with `op` changed, when accepted.
    static bool edit(QWidget *parent, LayerOp &op, const QString &title);

private:
    void check();
    LayerOp m_op;
    QLineEdit *m_path = nullptr;
    QLineEdit *m_target = nullptr;
    QPlainTextEdit *m_text = nullptr;
    ModeEdit *m_mode = nullptr;
    QLineEdit *m_owner = nullptr;
    QLabel *m_problem = nullptr;
};

/// Asks for one path in the image (objectName "imagePathDialog", its field "imagePath"): where to
/// put what is added, what to delete. OK is refused, with the reason shown, until the path is
/// absolute and stays inside the image; "/" only with `allowRoot`. The path comes back
/// normalised ("/usr//share/./doc/" is "/usr/share/doc"); nullopt when cancelled.
std::optional<QString> askImagePath(
    QWidget *parent, const QString &title, const QString &label, const QString &initial, bool allowRoot);

/// A width for a field that shows `text` whole, and at least `chars` average characters.
int fieldWidthFor(const QWidget *field, const QString &text, int chars);

} // namespace lamina
