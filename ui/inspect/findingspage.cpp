// SPDX-License-Identifier: MIT
#include "findingspage.h"

#include "common/copyaction.h"
#include "common/fittedrows.h"
#include "common/titledbox.h"
#include "findingsmodel.h"
#include "help/helpdialogs.h"
#include "loaderstrip.h"

#include "compose/convert.h"

#include <QAction>
#include <QComboBox>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QResizeEvent>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QToolButton>

#include <algorithm>

namespace lamina {

FindingsPage::FindingsPage(QWidget *parent)
    : QWidget(parent)
{
    m_model = new FindingsModel(this);
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setFilterRole(FindingsModel::SeverityRole);
    m_view = new QTableView;
    m_view->setTabKeyNavigation(false); // Tab moves to the next widget; the arrows move in the table
    m_view->setObjectName(QStringLiteral("findings"));
    m_view->setModel(m_proxy);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setResizeContentsPrecision(kFittedRows);
    m_view->setWordWrap(false);
    RowMenu::install(
        m_view, QStringLiteral("findingMenu"),
        [this](const QModelIndex &index) {
            const int row = m_proxy->mapToSource(index).row();
            return row >= 0 ? findingLine(m_model->findings().at(row)) : QString();
        },
        [this](const QModelIndex &index, QObject *parent) {
            return findingActions(m_proxy->mapToSource(index).row(), parent);
        });
    auto *severity = m_severity = new QComboBox;
    severity->addItems({ tr("All findings"), tr("Errors"), tr("Errors and warnings") });
    connect(severity, &QComboBox::currentIndexChanged, this, [this](int i) {
        m_proxy->setFilterRegularExpression(i == 0 ? QString()
                : i == 1                           ? QStringLiteral("^0$")
                                                   : QStringLiteral("^[01]$"));
    });
    m_explanation = new QTextBrowser;
    m_explanation->setObjectName(QStringLiteral("explanation"));
    m_explanation->setPlaceholderText(tr("Select a finding to see what it means and what each loader does."));
    m_explanation->setOpenLinks(false); // its links select findings
    connect(m_explanation, &QTextBrowser::anchorClicked, this, [this](const QUrl &url) {
        if (url.scheme() == u"finding")
            selectFinding(url.path().toInt());
        else if (url.scheme() == u"repair" && m_view->currentIndex().isValid())
            Q_EMIT repairRequested(m_proxy->mapToSource(m_view->currentIndex()).row());
    });
    m_strip = new LoaderStrip;
    m_fold = new QToolButton;
    m_fold->setObjectName(QStringLiteral("findingsFold"));
    m_fold->setAutoRaise(true);
    m_fold->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    connect(m_fold, &QToolButton::clicked, this, [this] { setFoldedByUser(!folded()); });
    auto *header = new QHBoxLayout;
    header->setContentsMargins(0, 0, 0, 0);
    header->addWidget(m_fold);
    header->addStretch(1);
    header->addWidget(severity);
    auto *split = new QSplitter(Qt::Horizontal);
    split->setObjectName(QStringLiteral("findingsSplit"));
    split->addWidget(m_view);
    split->addWidget(titledBox(tr("Explanation"), m_explanation));
    split->setSizes({ 700, 600 });
    m_body = split;
    // The verdicts above the findings they follow from.
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(m_strip);
    layout->addLayout(header);
    layout->addWidget(split, 1);
    m_userFolded = QSettings().value(QStringLiteral("findings/folded"), false).toBool();
    applyFold();
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, [this](const QModelIndex &index) {
        Q_EMIT findingSelected(index.isValid() ? m_proxy->mapToSource(index).row() : -1);
    });
}

void FindingsPage::setFindings(const QList<Finding> &findings, bool more)
{
    m_model->setFindings(findings);
    m_revealed = more && m_revealed;
    applyFold();
}

bool FindingsPage::folded() const
{
    return m_body->isHidden();
}

void FindingsPage::setFoldedByUser(bool folded)
{
    m_userFolded = folded;
    m_revealed = !folded;
    QSettings().setValue(QStringLiteral("findings/folded"), folded);
    applyFold();
}

void FindingsPage::explain(const QString &html)
{
    m_explanation->setHtml(html);
    if (!m_revealed) {
        m_revealed = true;
        applyFold();
    }
}

void FindingsPage::clearExplanation()
{
    m_explanation->clear();
}

int FindingsPage::fittedHeight() const
{
    // Room for the findings there are (three rows at least, eight at most): the tabs keep the rest.
    const int rows = std::clamp(m_model->rowCount(), 3, 8);
    const int table = m_view->horizontalHeader()->sizeHint().height()
        + rows * m_view->verticalHeader()->defaultSectionSize() + 2 * m_view->frameWidth() + 4;
    const int header = std::max(m_fold->sizeHint().height(), m_severity->sizeHint().height());
    return m_strip->heightForWidth(std::max(width(), 600)) + header + table + 2 * layout()->spacing();
}

void FindingsPage::fitFolded()
{
    // Folded, the pane is exactly as high as the strip and the summary line: a maximum alone
    // left the dock at its old height, clipping a strip that had wrapped since. The strip wraps,
    // so its height follows the width.
    if (!folded()) {
        setMinimumHeight(0);
        setMaximumHeight(QWIDGETSIZE_MAX);
        return;
    }
    setFixedHeight(
        layout()->hasHeightForWidth() ? layout()->totalHeightForWidth(width()) : layout()->totalSizeHint().height());
}

bool FindingsPage::event(QEvent *event)
{
    // The strip's text changes after the findings (the verdicts follow from them): a folded pane
    // takes its new height.
    const bool done = QWidget::event(event);
    if (event->type() == QEvent::LayoutRequest)
        fitFolded();
    return done;
}

void FindingsPage::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    if (folded() && event->size().width() != event->oldSize().width())
        fitFolded();
}

void FindingsPage::applyFold()
{
    int errors = 0, warnings = 0;
    const int all = m_model->rowCount();
    for (int i = 0; i < all; ++i) {
        const int severity = m_model->index(i, 0).data(FindingsModel::SeverityRole).toInt();
        errors += severity == int(Severity::Error);
        warnings += severity == int(Severity::Warning);
    }
    // Nothing to list: the pane is the verdict strip and this line, and gives its height to the tabs.
    const bool fold = !m_revealed && (m_userFolded || all == 0);
    const bool was = folded();
    m_body->setHidden(fold);
    m_severity->setHidden(fold); // it filters the table
    QStringList counts;
    if (errors)
        counts << tr("%n error(s)", nullptr, errors);
    if (warnings)
        counts << tr("%n warning(s)", nullptr, warnings);
    if (all > errors + warnings)
        counts << tr("%n note(s)", nullptr, all - errors - warnings);
    const QString summary = all == 0 ? tr("No findings") : tr("Findings: %1").arg(counts.join(QStringLiteral(", ")));
    m_fold->setText(summary);
    m_fold->setArrowType(fold ? Qt::RightArrow : Qt::DownArrow);
    m_fold->setToolTip(fold ? tr("Show the findings and their explanation") : tr("Fold the findings away"));
    fitFolded();
    if (fold != was)
        Q_EMIT foldChanged(fold);
}

void FindingsPage::selectFinding(int row)
{
    m_view->selectRow(m_proxy->mapFromSource(m_model->index(row, 0)).row());
}

void FindingsPage::clearSelection()
{
    m_view->selectionModel()->clear();
}

void FindingsPage::scrollToFinding(int row)
{
    m_view->scrollTo(m_proxy->mapFromSource(m_model->index(row, 0)));
}

QString FindingsPage::findingLine(const Finding &f)
{
    return QStringLiteral("%1: %2").arg(f.code, f.message);
}

QList<QAction *> FindingsPage::findingActions(int row, QObject *parent)
{
    QList<QAction *> out;
    if (row < 0 || row >= m_model->findings().size())
        return out;
    const Finding &f = m_model->findings().at(row);
    addCopyAction(out, tr("Copy finding"), findingLine(f), parent);
    addCopyAction(out, tr("Copy code"), f.code, parent);
    addCopyAction(out, tr("Copy explanation"), f.explanation, parent);
    if (m_repairable && convertRepairs(f.code) && f.severity != Severity::Info) {
        out << separatorAction(parent);
        auto *repair = new QAction(tr("Repair…"), parent);
        repair->setObjectName(QStringLiteral("repairFinding"));
        connect(repair, &QAction::triggered, this, [this, row] { Q_EMIT repairRequested(row); });
        out << repair;
    }
    if (f.image < 0 || f.layers.isEmpty())
        return out;
    out << separatorAction(parent);
    // A finding naming many layers (a long duplicate run) offers the first few.
    for (const int layer : f.layers.mid(0, 4)) {
        auto *show = new QAction(tr("Show layer %1").arg(layer), parent);
        connect(
            show, &QAction::triggered, this, [this, image = f.image, layer] { Q_EMIT layerRequested(image, layer); });
        out << show;
    }
    auto *chain = new QAction(tr("Show in chain view"), parent);
    connect(chain, &QAction::triggered, this,
        [this, image = f.image, layer = f.layers.constFirst()] { Q_EMIT chainRequested(image, layer); });
    out << chain;
    return out;
}

QString FindingsPage::findingHtml(const Finding &f, bool repairable)
{
    const CodeInfo info = codeInfo(f.code);
    QString html = QStringLiteral("<h3>%1</h3><p><code>%2</code> · %3</p><p><b>%4</b></p>")
                       .arg(info.title.toHtmlEscaped(), f.code, severityName(f.severity), f.message.toHtmlEscaped());
    for (const QString &para : f.explanation.split(QStringLiteral("\n\n")))
        html += QStringLiteral("<p>%1</p>").arg(para.toHtmlEscaped().replace(u'\n', QStringLiteral("<br>")));
    html += loaderReactionsHtml(f.loaders);
    if (!f.members.isEmpty())
        html += QStringLiteral("<p>Members: <code>%1</code></p>")
                    .arg(f.members.join(QStringLiteral(", ")).toHtmlEscaped());
    if (repairable && convertRepairs(f.code) && f.severity != Severity::Info)
        html += tr("<p>Lamina can write the image again without this: <a href=\"repair:\">Repair…</a> (the same as "
                   "File ▸ Save Image As… and <code>lamina convert</code>; the archive itself is not changed).</p>");
    return html;
}

QString FindingsPage::loaderRangeHtml(
    const LoaderVerdict &v, const QList<Finding> &findings, const QList<TriedLoader> &tried)
{
    const LoaderRange &r = loaderRanges().at(v.range);
    QString html = QStringLiteral("<h3>%1: %2</h3>")
                       .arg(r.label.toHtmlEscaped(), verdictName(v.verdict).replace(u'-', u' ').toHtmlEscaped());
    if (!v.message.isEmpty())
        html += QStringLiteral("<p>It prints: <code>%1</code></p>").arg(v.message.toHtmlEscaped());
    if (v.because.isEmpty()) {
        html += QStringLiteral("<p>%1</p>").arg(tr("No finding concerns what this loader reads.").toHtmlEscaped());
    } else {
        html += QStringLiteral("<p>%1</p><ul>")
                    .arg((v.verdict == Verdict::Refuses ? tr("It refuses the archive because of:")
                                                        : tr("It loads another image than described because of:"))
                             .toHtmlEscaped());
        for (int i = 0; i < findings.size(); ++i) {
            const Finding &f = findings.at(i);
            if (!v.because.contains(f.code))
                continue;
            html += QStringLiteral("<li><a href='finding:%1'><code>%2</code></a> — %3</li>")
                        .arg(i)
                        .arg(f.code, f.message.toHtmlEscaped());
        }
        html += QStringLiteral("</ul>");
    }
    html += QStringLiteral("<p>%1</p><p>%2</p>")
                .arg((r.observed ? tr("Checked against the real loader by the tests here (docs/loaders.md).")
                                 : tr("Not run here: predicted from the loader's source."))
                         .toHtmlEscaped(),
                    tr("Source: %1").arg(r.source).toHtmlEscaped());
    for (const TriedLoader &t : tried)
        if (t.range == v.range && t.ran)
            html += QStringLiteral("<p><b>%1</b> %2</p><pre>%3</pre>")
                        .arg(tr("Tried here:").toHtmlEscaped(), triedLoaderLine(t).toHtmlEscaped(),
                            t.output.toHtmlEscaped());
    return html;
}

} // namespace lamina
