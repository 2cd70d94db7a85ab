// SPDX-License-Identifier: MIT
#pragma once

#include "format/imagearchive.h"

#include <QTextBrowser>

class QAction;

namespace lamina {

/// The config and history page: the settings a container starts with, and how each layer came.
/// Every setting (each Env variable apart) and history line is a row whose whole value Ctrl+C
/// copies, with nothing selected, and whose menu (right-click, Menu key) copies its parts.
class ConfigPage : public QTextBrowser
{
    Q_OBJECT
public:
    /// One row of the settings or history table, with the values it copies.
    struct Row
    {
        QString key; ///< the setting's name, an Env variable's name; "" for history
        QString value; ///< a setting's JSON or text, "NAME=value", a history line's created_by
        QString shellLine; ///< Entrypoint and Cmd as one shell-quoted line
        bool history = false;
    };

    explicit ConfigPage(QWidget *parent = nullptr);
    /// Shows `image`, or nothing when null.
    void setImage(const Image *image);
    /// The row `cursor` is in, or null outside the tables.
    const Row *rowAt(const QTextCursor &cursor) const;
    /// A row's menu.
    QList<QAction *> rowActions(const Row &row, QObject *parent);

protected:
    bool event(QEvent *event) override;
    void showEvent(QShowEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void contextMenuEvent(QContextMenuEvent *event) override;

private:
    QList<Row> m_settings; ///< the first table's rows
    QList<Row> m_history; ///< the second table's
    /// The page's text, laid out when the page is next shown: laying out an image's history of
    /// 200 layers was the largest part of the UI thread's stall when an archive was opened.
    QString m_pendingHtml;
    bool m_pending = false;
    void applyPending();
};

} // namespace lamina
