// SPDX-License-Identifier: MIT
#include "configpage.h"

#include "common/copyaction.h"
#include "compose/commandline.h"

#include <QContextMenuEvent>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMenu>
#include <QTextTable>

namespace lamina {

namespace {

QString settingText(const QString &key, const QJsonValue &v)
{
    if (v.isArray()) {
        QStringList parts;
        for (const QJsonValue &x : v.toArray())
            parts << x.toString();
        return key == u"Env" ? parts.join(QStringLiteral("\n"))
                             : QStringLiteral("[") + parts.join(QStringLiteral(", ")) + u']';
    }
    if (v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    return v.toString();
}

/// What a setting's Copy value gives: JSON for arrays and objects (as the config holds them),
/// the text of anything else.
QString settingValue(const QJsonValue &v)
{
    if (v.isArray())
        return QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
    if (v.isObject())
        return QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
    return v.isString() ? v.toString() : v.toVariant().toString();
}

QString cell(const QString &text)
{
    return text.toHtmlEscaped().replace(u'\n', QStringLiteral("<br>"));
}

} // namespace

ConfigPage::ConfigPage(QWidget *parent)
    : QTextBrowser(parent)
{
    setObjectName(QStringLiteral("config"));
}

void ConfigPage::setImage(const Image *image)
{
    m_settings.clear();
    m_history.clear();
    m_pendingHtml.clear();
    m_pending = true;
    if (!image) {
        applyPending();
        return;
    }
    const Image &img = *image;
    QString html
        = QStringLiteral("<h3>%1</h3>")
              .arg((img.tags.isEmpty() ? tr("(untagged)") : img.tags.join(QStringLiteral(", "))).toHtmlEscaped());
    if (!img.configPath.isEmpty())
        html += QStringLiteral("<p>Config <code>%1</code> (%2), platform %3</p>")
                    .arg(img.configPath.toHtmlEscaped(), img.configDigest, img.platform.toString());
    else if (!img.legacyChainIds.isEmpty())
        // A legacy-only image: nothing to show as its config, which Docker makes when it loads it.
        html += tr(
            "<p>No config: this image is described by its legacy json files alone, the top one <code>%1/json</code> "
            "(platform %2). Docker's legacy loader makes its config from that json, and the chain's, as it "
            "loads it; File ▸ Save Image As… writes the image again with that config, and a manifest.json.</p>")
                    .arg(img.legacyChainIds.constFirst().toHtmlEscaped(), img.platform.toString());
    else
        html += tr("<p>No config could be read for this image (platform %1).</p>").arg(img.platform.toString());
    if (img.config) {
        html += QStringLiteral("<table cellspacing=4>");
        const QJsonObject c = img.config->config;
        const auto row = [&](const QString &key, const QString &shown, const Row &r) {
            html += QStringLiteral("<tr><td valign=top><b>%1</b></td><td><code>%2</code></td></tr>")
                        .arg(key, cell(shown));
            m_settings << r;
        };
        for (const char *name :
            { "Entrypoint", "Cmd", "WorkingDir", "User", "Env", "ExposedPorts", "Volumes", "Labels", "StopSignal" }) {
            const QString key = QLatin1String(name);
            const QJsonValue v = c.value(key);
            if (v.isUndefined() || v.isNull())
                continue;
            if (key == u"Env" && v.isArray()) {
                // A row per variable: each is copied as NAME=value, the way it is set.
                bool first = true;
                for (const QJsonValue &x : v.toArray()) {
                    const QString var = x.toString();
                    row(first ? key : QString(), var, Row { var.section(u'=', 0, 0), var, {}, false });
                    first = false;
                }
                continue;
            }
            Row r { key, settingValue(v), {}, false };
            if ((key == u"Entrypoint" || key == u"Cmd") && v.isArray()) {
                QStringList words;
                for (const QJsonValue &x : v.toArray())
                    words << shellQuote(x.toString());
                r.shellLine = words.join(u' ');
            }
            row(key, settingText(key, v), r);
        }
        html += QStringLiteral("</table><h4>History</h4><table cellspacing=4>");
        int layer = 0;
        for (const HistoryEntry &h : img.config->history) {
            html += QStringLiteral("<tr><td>%1</td><td>%2</td><td><code>%3</code></td></tr>")
                        .arg(h.emptyLayer ? tr("(empty)") : tr("layer %1").arg(layer++), h.created.toHtmlEscaped(),
                            h.createdBy.simplified().toHtmlEscaped());
            m_history << Row { {}, h.createdBy, {}, true };
        }
        html += QStringLiteral("</table>");
    }
    m_pendingHtml = html;
    if (isVisible())
        applyPending();
}

void ConfigPage::applyPending()
{
    if (!std::exchange(m_pending, false))
        return;
    if (m_pendingHtml.isEmpty())
        clear();
    else
        setHtml(std::exchange(m_pendingHtml, QString()));
}

void ConfigPage::showEvent(QShowEvent *event)
{
    applyPending();
    QTextBrowser::showEvent(event);
}

const ConfigPage::Row *ConfigPage::rowAt(const QTextCursor &cursor) const
{
    QTextTable *table = cursor.currentTable();
    if (!table)
        return nullptr;
    // The settings table comes first, the history second (an empty table is left out of neither).
    int which = 0;
    for (QTextFrame *frame : document()->rootFrame()->childFrames()) {
        if (frame == table)
            break;
        if (qobject_cast<QTextTable *>(frame))
            ++which;
    }
    const QList<Row> &rows = which == 0 ? m_settings : m_history;
    const int r = table->cellAt(cursor).row();
    return which <= 1 && r >= 0 && r < rows.size() ? &rows.at(r) : nullptr;
}

QList<QAction *> ConfigPage::rowActions(const Row &row, QObject *parent)
{
    QList<QAction *> out;
    if (row.history) {
        addCopyAction(out, tr("Copy created-by command"), row.value, parent);
        return out;
    }
    addCopyAction(out, tr("Copy value"), row.value, parent);
    addCopyAction(out, tr("Copy key"), row.key, parent);
    addCopyAction(out, tr("Copy as shell line"), row.shellLine, parent);
    return out;
}

bool ConfigPage::event(QEvent *event)
{
    // Ctrl+C is the page's own while it has focus, whatever the window's menus bind it to.
    if (event->type() == QEvent::ShortcutOverride && static_cast<QKeyEvent *>(event)->matches(QKeySequence::Copy)) {
        event->accept();
        return true;
    }
    return QTextBrowser::event(event);
}

void ConfigPage::keyPressEvent(QKeyEvent *event)
{
    // Text selected is copied as selected; with nothing selected, the row the cursor is in.
    if (event->matches(QKeySequence::Copy) && !textCursor().hasSelection()) {
        if (const Row *row = rowAt(textCursor())) {
            copyToClipboard(row->value);
            event->accept();
            return;
        }
    }
    QTextBrowser::keyPressEvent(event);
}

void ConfigPage::contextMenuEvent(QContextMenuEvent *event)
{
    const bool mouse = event->reason() == QContextMenuEvent::Mouse;
    QTextCursor at = mouse ? cursorForPosition(event->pos()) : textCursor();
    const Row *row = textCursor().hasSelection() ? nullptr : rowAt(at);
    if (!row) {
        QTextBrowser::contextMenuEvent(event); // Copy and Select All of what is selected
        return;
    }
    if (mouse) {
        at.clearSelection();
        setTextCursor(at); // Ctrl+C then copies the row the menu was for
    }
    auto *menu = new QMenu(this);
    menu->setObjectName(QStringLiteral("configMenu"));
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->addActions(rowActions(*row, menu));
    menu->popup(mouse ? event->globalPos() : viewport()->mapToGlobal(cursorRect(at).bottomLeft()));
}

} // namespace lamina
