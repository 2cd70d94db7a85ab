// SPDX-License-Identifier: MIT
#include "helpdialogs.h"

#include "check/finding.h"

#include <QAction>
#include <QApplication>
#include <QDialog>
#include <QDialogButtonBox>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace lamina {

namespace {

QString cleanText(QString text)
{
    text.remove(u'&');
    return text.remove(QStringLiteral("…"));
}

void addMenuShortcuts(const QMenu *menu, const QString &path, QString &rows)
{
    for (const QAction *action : menu->actions()) {
        if (action->menu()) {
            addMenuShortcuts(action->menu(), path + QStringLiteral(" ▸ ") + cleanText(action->text()), rows);
            continue;
        }
        if (action->shortcut().isEmpty())
            continue;
        rows += QStringLiteral("<tr><td><b>%1</b></td><td>%2 ▸ %3</td></tr>")
                    .arg(action->shortcut().toString(QKeySequence::NativeText).toHtmlEscaped(), path.toHtmlEscaped(),
                        cleanText(action->text()).toHtmlEscaped());
    }
}

QDialog *textWindow(QWidget *parent, const QString &objectName, const QString &title, const QString &html, QSize size)
{
    auto *dialog = new QDialog(parent);
    dialog->setObjectName(objectName);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(title);
    auto *text = new QTextBrowser;
    text->setOpenExternalLinks(true);
    text->setHtml(html);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::close);
    auto *layout = new QVBoxLayout(dialog);
    layout->addWidget(text);
    layout->addWidget(buttons);
    dialog->resize(size);
    dialog->show();
    return dialog;
}

} // namespace

QString loaderReactionsHtml(const LoaderReactions &loaders)
{
    return QStringLiteral("<table cellspacing=4>"
                          "<tr><td><b>Docker ≤ 28</b></td><td>%1</td></tr>"
                          "<tr><td><b>Docker 29 / containerd</b></td><td>%2</td></tr>"
                          "<tr><td><b>podman / skopeo</b></td><td>%3</td></tr>"
                          "<tr><td><b>go-containerregistry</b></td><td>%4</td></tr></table>")
        .arg(loaders.dockerClassic.toHtmlEscaped(), loaders.containerd.toHtmlEscaped(), loaders.podman.toHtmlEscaped(),
            loaders.ggcr.toHtmlEscaped());
}

QString catalogueHtml()
{
    QString html = QObject::tr("<h2>Findings catalogue</h2><p>Every finding Lamina reports, with what it means and "
                               "what each loader does. docs/findings.md has the same entries.</p>");
    for (const QString &code : findingCodes()) {
        const CodeInfo info = codeInfo(code);
        html += QStringLiteral("<h3><a name='%1'></a>%2</h3><p><code>%1</code></p>")
                    .arg(code, info.title.toHtmlEscaped());
        for (const QString &para : info.explanation.split(QStringLiteral("\n\n")))
            html += QStringLiteral("<p>%1</p>").arg(para.toHtmlEscaped().replace(u'\n', QStringLiteral("<br>")));
        html += loaderReactionsHtml(info.loaders);
    }
    return html;
}

QString shortcutsHtml(const QMenuBar *menus)
{
    QString rows;
    for (const QAction *action : menus->actions())
        if (action->menu())
            addMenuShortcuts(action->menu(), cleanText(action->text()), rows);
    // Keys of the views themselves, which no menu lists.
    const QList<std::pair<QString, QString>> keys = {
        { QKeySequence(QKeySequence::Find).toString(QKeySequence::NativeText),
            QObject::tr("Filter the files (from any tab)") },
        { QObject::tr("Arrows, Home, End"),
            QObject::tr("Chain view: move along a column, or to the same layer in the next view's column") },
        { QObject::tr("Enter"), QObject::tr("Chain view: show the selected layer's files") },
        { QObject::tr("Enter"), QObject::tr("Welcome page: open the selected recent archive") },
        { QKeySequence(QKeySequence::Copy).toString(QKeySequence::NativeText),
            QObject::tr("Copy the whole value of the selected node or row (a full digest, not its short form)") },
        { QObject::tr("Shift+click, Shift+Up/Down"),
            QObject::tr("Layers: select a range; the files show what those layers did together") },
        { QObject::tr("*"), QObject::tr("Files: open everything below the selected folder (up to 20,000 rows)") },
    };
    for (const auto &[key, what] : keys)
        rows += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>").arg(key.toHtmlEscaped(), what.toHtmlEscaped());
    return QObject::tr("<h2>Keyboard shortcuts</h2><table cellspacing=6>%1</table>").arg(rows);
}

void showCatalogue(QWidget *parent)
{
    textWindow(parent, QStringLiteral("catalogue"), QObject::tr("Findings Catalogue — Lamina"), catalogueHtml(),
        QSize(760, 640));
}

void showShortcuts(QWidget *parent, const QMenuBar *menus)
{
    textWindow(parent, QStringLiteral("shortcuts"), QObject::tr("Keyboard Shortcuts — Lamina"), shortcutsHtml(menus),
        QSize(560, 480));
}

void showAbout(QWidget *parent)
{
    QMessageBox::about(parent, QObject::tr("About Lamina"),
        QObject::tr("<h3>Lamina %1</h3>"
                    "<p>Opens container image archives, shows their layers, explains where their descriptions "
                    "disagree and what each loader would do, and composes new images.</p>"
                    "<p>Built with Qt %2, libarchive and OpenSSL. MIT licence.</p>")
            .arg(QApplication::applicationVersion().toHtmlEscaped(), QString::fromLatin1(qVersion())));
}

} // namespace lamina
