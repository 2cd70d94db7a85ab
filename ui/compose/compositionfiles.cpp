// SPDX-License-Identifier: MIT
#include "compose/compositionfiles.h"

#include "compose/commandline.h"
#include "compose/compositionjson.h"

#include <QApplication>
#include <QClipboard>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QFontDatabase>
#include <QJsonDocument>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QVBoxLayout>

namespace lamina {

bool saveCompositionFile(const Composition &composition, const QString &file, QString *error)
{
    // Replaced whole or not at all: a failed save never leaves half of the user's file.
    QSaveFile f(file);
    if (!f.open(QIODevice::WriteOnly)
        || f.write(QJsonDocument(compositionToJson(composition, QFileInfo(file).absolutePath()))
                       .toJson(QJsonDocument::Indented))
            < 0
        || !f.commit()) {
        *error = QStringLiteral("%1: %2").arg(file, f.errorString());
        return false;
    }
    return true;
}

std::optional<Composition> loadCompositionFile(const QString &file, bool allowHostPaths, QString *error)
{
    std::optional<Composition> read = readCompositionFile(file, error, allowHostPaths);
    if (!read)
        *error = QStringLiteral("%1: %2").arg(file, *error);
    return read;
}

bool confirmHostPaths(QWidget *parent, const QString &file, const Composition &c)
{
    const QStringList paths = compositionHostPaths(c);
    if (paths.isEmpty())
        return true;
    const QString folder = QDir::cleanPath(QFileInfo(file).absolutePath());
    QStringList lines;
    for (const QString &path : paths) {
        const QString clean = QDir::cleanPath(path);
        const bool outside = !clean.startsWith(folder + u'/');
        lines << QStringLiteral("• %1%2%3")
                     .arg(clean, path == c.basePath ? QObject::tr(" (the base image)") : QString(),
                         outside ? QObject::tr(" — outside the composition's folder") : QString());
    }
    QMessageBox box(QMessageBox::Question, QObject::tr("Open a composition"),
        QObject::tr("%1 reads these files and folders from this computer into the image:\n\n%2\n\nOpen it?")
            .arg(QFileInfo(file).fileName(), lines.join(u'\n')),
        QMessageBox::Open | QMessageBox::Cancel, parent);
    box.setObjectName(QStringLiteral("hostPathsQuestion"));
    box.setDefaultButton(QMessageBox::Cancel);
    return box.exec() == QMessageBox::Open;
}

void showCommandLineDialog(QWidget *parent, const QString &line, const QString &why, const QString &output)
{
    QDialog dialog(parent);
    dialog.setWindowTitle(QObject::tr("The same image from the command line"));
    auto *layout = new QVBoxLayout(&dialog);
    auto *text = new QPlainTextEdit(line.isEmpty()
            ? QObject::tr("# No command-line form: %1\n# Save the composition and run:\n"
                          "lamina compose --spec composition.json -o %2")
                  .arg(why, shellQuote(output))
            : line);
    text->setObjectName(QStringLiteral("commandLine"));
    text->setReadOnly(true);
    text->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    text->setMinimumSize(640, 160);
    layout->addWidget(text);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    QPushButton *copy = buttons->addButton(QObject::tr("Copy"), QDialogButtonBox::ActionRole);
    QObject::connect(
        copy, &QPushButton::clicked, &dialog, [text] { QApplication::clipboard()->setText(text->toPlainText()); });
    QObject::connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    layout->addWidget(buttons);
    dialog.exec();
}

} // namespace lamina
