// SPDX-License-Identifier: MIT
#pragma once

#include "check/finding.h"
#include "check/loaders.h"
#include "check/tryloaders.h"

#include <QWidget>

class QSortFilterProxyModel;
class QTableView;
class QTextBrowser;

namespace lamina {

class FindingsModel;
class LoaderStrip;

/// The findings pane: the loader verdict strip above the findings (filtered by severity) and the
/// explanation of the one selected, or of the loader range selected on the strip.
class FindingsPage : public QWidget
{
    Q_OBJECT
public:
    explicit FindingsPage(QWidget *parent = nullptr);

    void setFindings(const QList<Finding> &findings);
    /// Selects finding `row` (an index into the findings set), through the severity filter.
    void selectFinding(int row);
    void clearSelection();
    void scrollToFinding(int row);
    FindingsModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    QTextBrowser *explanation() const { return m_explanation; }
    LoaderStrip *strip() const { return m_strip; }

    /// What the explanation shows for `finding`: its catalogue entry and each loader's reaction.
    static QString findingHtml(const Finding &finding);
    /// What the explanation shows for a loader's verdict: why (each finding a link that selects
    /// it), where the prediction comes from, and what the loader did when `tried` here.
    static QString loaderRangeHtml(
        const LoaderVerdict &verdict, const QList<Finding> &findings, const QList<TriedLoader> &tried);

Q_SIGNALS:
    /// The selected finding (an index into the findings set), -1 when none.
    void findingSelected(int row);

private:
    FindingsModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_view = nullptr;
    QTextBrowser *m_explanation = nullptr;
    LoaderStrip *m_strip = nullptr;
};

} // namespace lamina
