// SPDX-License-Identifier: MIT
#include "configpage.h"

#include <QJsonArray>
#include <QJsonDocument>

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

} // namespace

ConfigPage::ConfigPage(QWidget *parent)
    : QTextBrowser(parent)
{
    setObjectName(QStringLiteral("config"));
}

void ConfigPage::setImage(const Image *image)
{
    if (!image) {
        clear();
        return;
    }
    const Image &img = *image;
    QString html
        = QStringLiteral("<h3>%1</h3>")
              .arg((img.tags.isEmpty() ? tr("(untagged)") : img.tags.join(QStringLiteral(", "))).toHtmlEscaped());
    html += QStringLiteral("<p>Config <code>%1</code> (%2), platform %3</p>")
                .arg(img.configPath.toHtmlEscaped(), img.configDigest, img.platform.toString());
    if (img.config) {
        html += QStringLiteral("<table cellspacing=4>");
        const QJsonObject c = img.config->config;
        for (const char *key :
            { "Entrypoint", "Cmd", "WorkingDir", "User", "Env", "ExposedPorts", "Volumes", "Labels", "StopSignal" }) {
            const QJsonValue v = c.value(QLatin1String(key));
            if (v.isUndefined() || v.isNull())
                continue;
            html += QStringLiteral("<tr><td valign=top><b>%1</b></td><td><code>%2</code></td></tr>")
                        .arg(QLatin1String(key),
                            settingText(QLatin1String(key), v).toHtmlEscaped().replace(u'\n', QStringLiteral("<br>")));
        }
        html += QStringLiteral("</table><h4>History</h4><table cellspacing=4>");
        int layer = 0;
        for (const HistoryEntry &h : img.config->history) {
            html += QStringLiteral("<tr><td>%1</td><td>%2</td><td><code>%3</code></td></tr>")
                        .arg(h.emptyLayer ? tr("(empty)") : tr("layer %1").arg(layer++), h.created.toHtmlEscaped(),
                            h.createdBy.simplified().toHtmlEscaped());
        }
        html += QStringLiteral("</table>");
    }
    setHtml(html);
}

} // namespace lamina
