// SPDX-License-Identifier: MIT
#pragma once

#include "compose/layerwriter.h"

#include <QDialog>

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

} // namespace lamina
