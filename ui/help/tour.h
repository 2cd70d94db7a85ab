// SPDX-License-Identifier: MIT
#pragma once

#include "format/memberroles.h"

#include <QWidget>

class QLabel;
class QPushButton;
class QTextBrowser;

namespace lamina {

/// "How images are stored": a walk through an opened archive, member by member in the order
/// they are stored, saying what each file is, which view of the layers it belongs to and which
/// loaders read it; it ends at the chain view, where the views are compared. The window selects
/// each member in the archive map as the tour reaches it.
class Tour : public QWidget
{
    Q_OBJECT
public:
    explicit Tour(QWidget *parent = nullptr);

    /// Starts again at the introduction, over `archive`'s members.
    void start(const ImageArchive &archive);
    int step() const { return m_step; }
    int steps() const { return int(m_rows.size()) + 2; }
    void go(int step);
    QTextBrowser *text() const { return m_text; }

    /// What a member of `role` is, in a teacher's words.
    static QString roleText(MemberRole role);

Q_SIGNALS:
    /// The tour reached member `member` (an index into the archive's members).
    void memberReached(int member);
    /// The last step: the views side by side.
    void viewsReached();
    void closeRequested();

private:
    QString introHtml() const;
    QString memberHtml(const MemberRow &row) const;
    QString endHtml() const;

    QString m_name;
    bool m_hasManifest = false, m_hasIndex = false, m_hasLegacy = false;
    QList<MemberRow> m_rows;
    int m_step = 0;
    QLabel *m_where = nullptr;
    QTextBrowser *m_text = nullptr;
    QPushButton *m_back = nullptr;
    QPushButton *m_next = nullptr;
};

} // namespace lamina
