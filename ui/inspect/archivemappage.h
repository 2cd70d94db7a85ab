// SPDX-License-Identifier: MIT
#pragma once

#include "common/latestjob.h"
#include "format/imagearchive.h"

#include <QSplitter>

class QAction;
class QPlainTextEdit;
class QTableView;

namespace lamina {

class ArchiveMapModel;

/// The archive map page: every member with its role and readers, and the selected member's
/// content (JSON indented, text as is, the first bytes of anything else in hex).
class ArchiveMapPage : public QSplitter
{
    Q_OBJECT
public:
    explicit ArchiveMapPage(QWidget *parent = nullptr);

    /// Shows the members of `archive` (kept: the page reads members from it).
    void setArchive(const ImageArchive &archive);
    /// Selects member `member` (an index into the archive's members), and shows its content.
    void selectMember(int member);
    int selectedMember() const;
    /// Marks the members a finding concerns.
    void setMarked(const QStringList &paths);
    ArchiveMapModel *model() const { return m_model; }
    /// A member's row menu (also opened by the Menu key): its path, the digest its name claims,
    /// a link's target.
    QList<QAction *> memberActions(int row, QObject *parent);
    /// What the content pane shows for `member`: JSON indented, text as is, else a hex dump; for a
    /// registry's layer not fetched yet, that it is still there (nothing is fetched to show it).
    static QString memberText(const Archive &archive, int member);

Q_SIGNALS:
    void memberShown(); ///< the selected member's content is on screen

protected:
    void showEvent(QShowEvent *event) override;

private:
    void showMember(int member);
    void fitColumns();

    bool m_fitPending = false; ///< columns to fit when the page is next shown
    ImageArchive m_archive;
    ArchiveMapModel *m_model = nullptr;
    QTableView *m_members = nullptr;
    QPlainTextEdit *m_raw = nullptr;
    LatestJob<QString> m_memberJob { this };
};

} // namespace lamina
