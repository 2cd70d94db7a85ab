// SPDX-License-Identifier: MIT
#pragma once

#include "check/finding.h"
#include "check/loaders.h"
#include "check/tryloaders.h"

#include <QWidget>

class QAction;
class QComboBox;
class QSortFilterProxyModel;
class QTableView;
class QTextBrowser;
class QToolButton;

namespace lamina {

class FindingsModel;
class LoaderStrip;

/// The findings pane: the loader verdict strip above the findings (filtered by severity) and the
/// explanation of the one selected, or of the loader range selected on the strip. The findings
/// and explanation fold away to one summary line when there are none, or when the user folds
/// them (remembered); whatever shows an explanation unfolds them again.
class FindingsPage : public QWidget
{
    Q_OBJECT
public:
    explicit FindingsPage(QWidget *parent = nullptr);

    /// `more` for the same archive (verification adds findings): an explanation shown stays.
    void setFindings(const QList<Finding> &findings, bool more = false);
    /// Shows `html` in the explanation, unfolding the pane if it is folded.
    void explain(const QString &html);
    void clearExplanation();
    /// Only the verdict strip and the summary line show.
    bool folded() const;
    /// What the summary line's button does; remembered for the next window.
    void setFoldedByUser(bool folded);
    QToolButton *foldButton() const { return m_fold; }
    /// The height that shows the strip and the findings there are, up to eight.
    int fittedHeight() const;
    /// Selects finding `row` (an index into the findings set), through the severity filter.
    void selectFinding(int row);
    void clearSelection();
    void scrollToFinding(int row);
    FindingsModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    QTextBrowser *explanation() const { return m_explanation; }
    LoaderStrip *strip() const { return m_strip; }

    /// A finding's row menu (also opened by the Menu key): copy it, its code, its explanation;
    /// show the layers it concerns; "Repair…" when convert repairs it.
    QList<QAction *> findingActions(int row, QObject *parent);
    /// The finding as one line, "code: message", what Ctrl+C copies.
    static QString findingLine(const Finding &finding);

    /// What the explanation shows for `finding`: its catalogue entry and each loader's reaction;
    /// with `repairable` (the archive has an image to write again), Repair… where convert repairs it.
    static QString findingHtml(const Finding &finding, bool repairable = true);
    /// Whether Repair… is offered: not for an archive with no image to write again.
    void setRepairable(bool repairable) { m_repairable = repairable; }
    /// What the explanation shows for a loader's verdict: why (each finding a link that selects
    /// it), where the prediction comes from, and what the loader did when `tried` here.
    static QString loaderRangeHtml(
        const LoaderVerdict &verdict, const QList<Finding> &findings, const QList<TriedLoader> &tried);

Q_SIGNALS:
    /// The selected finding (an index into the findings set), -1 when none.
    void findingSelected(int row);
    void foldChanged(bool folded);
    /// The menu of a finding about layers asks for layer `layer` of image `image` in the layers
    /// table, or in the chain view.
    void layerRequested(int image, int layer);
    void chainRequested(int image, int layer);
    /// "Repair…" on a finding convert repairs (compose/convert.h): finding `row`.
    void repairRequested(int row);

private:
    FindingsModel *m_model = nullptr;
    QSortFilterProxyModel *m_proxy = nullptr;
    QTableView *m_view = nullptr;
    QTextBrowser *m_explanation = nullptr;
    LoaderStrip *m_strip = nullptr;
    QToolButton *m_fold = nullptr;
    QComboBox *m_severity = nullptr;
    QWidget *m_body = nullptr;
    bool m_userFolded = false;
    bool m_revealed = false; ///< an explanation was asked for since the findings were set
    bool m_repairable = true;
    void applyFold();
    void fitFolded();

protected:
    void resizeEvent(QResizeEvent *event) override;
    bool event(QEvent *event) override;
};

} // namespace lamina
