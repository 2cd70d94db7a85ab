// SPDX-License-Identifier: MIT
#include "compose/previewpane.h"

#include "common/titledbox.h"
#include "filetreemodel.h"
#include "imagetreeview.h"

#include <QHeaderView>
#include <QLabel>
#include <QSignalBlocker>
#include <QSplitter>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace lamina {

namespace {

void collectExpanded(const QTreeView *view, const QModelIndex &parent, QList<QByteArray> &out)
{
    const QAbstractItemModel *m = view->model();
    for (int r = 0; r < m->rowCount(parent); ++r) {
        const QModelIndex i = m->index(r, 0, parent);
        if (view->isExpanded(i)) {
            out << i.data(FileTreeModel::PathRole).toString().toUtf8();
            collectExpanded(view, i, out);
        }
    }
}

} // namespace

PreviewPane::PreviewPane(QWidget *parent)
    : QWidget(parent)
{
    buildTrees();
    buildChecks();
    auto *trees = new QSplitter(Qt::Horizontal);
    trees->setObjectName(QStringLiteral("composerTreesSplit"));
    trees->addWidget(titledBox(tr("Base image"), m_baseView));
    trees->addWidget(
        titledBox(tr("Result (A added, M changed, D deleted) — drop files on a folder"), m_resultView, m_resultLabel));
    trees->setSizes({ 260, 520 });
    auto *checks = new QWidget;
    auto *cl = new QVBoxLayout(checks);
    cl->setContentsMargins(0, 0, 0, 0);
    cl->setSpacing(2);
    cl->addWidget(new QLabel(tr("<b>Checks before export</b>")));
    cl->addWidget(m_previewError);
    cl->addWidget(m_findings, 1);
    auto *split = new QSplitter(Qt::Vertical);
    split->setObjectName(QStringLiteral("composerRightSplit"));
    split->addWidget(trees);
    split->addWidget(checks);
    split->setSizes({ 520, 200 });
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(split);
}

void PreviewPane::buildTrees()
{
    m_baseModel = new FileTreeModel(this);
    m_resultModel = new FileTreeModel(this);
    m_baseView = new ImageTreeView;
    m_baseView->setObjectName(QStringLiteral("baseTree"));
    m_resultView = new ImageTreeView;
    m_resultView->setObjectName(QStringLiteral("resultTree"));
    for (ImageTreeView *v : { m_baseView, m_resultView }) {
        v->setUniformRowHeights(true);
        v->setContextMenuPolicy(Qt::CustomContextMenu);
        connect(v, &ImageTreeView::hostPathsDropped, this, [this](const QStringList &paths, const QModelIndex &target) {
            Q_EMIT hostPathsDropped(paths, targetDir(target));
        });
    }
    m_baseView->setModel(m_baseModel);
    m_resultView->setModel(m_resultModel);
    for (QTreeView *v : { static_cast<QTreeView *>(m_baseView), static_cast<QTreeView *>(m_resultView) }) {
        v->header()->resizeSection(FileTreeModel::NameColumn, 200);
        v->header()->resizeSection(FileTreeModel::SizeColumn, 70);
        v->header()->resizeSection(FileTreeModel::ChangeColumn, 28);
    }
    connect(m_resultView, &QWidget::customContextMenuRequested, this, [this](const QPoint &at) {
        const QModelIndex index = m_resultView->indexAt(at);
        m_resultView->setCurrentIndex(index);
        const QString path = index.isValid() ? u'/' + index.data(FileTreeModel::PathRole).toString() : QString();
        Q_EMIT resultMenuRequested(targetDir(index), path, m_resultView->viewport()->mapToGlobal(at));
    });
    m_resultLabel = new QLabel;
    m_resultLabel->setObjectName(QStringLiteral("resultSummary"));
}

void PreviewPane::buildChecks()
{
    m_previewError = new QLabel;
    m_previewError->setObjectName(QStringLiteral("previewError"));
    m_previewError->setWordWrap(true);
    m_previewError->setStyleSheet(
        QStringLiteral("QLabel { background: #fde2e1; color: #6b1410; border: 1px solid #e8a29e; padding: 4px; }"));
    m_previewError->hide();
    m_findings = new QTreeWidget;
    m_findings->setObjectName(QStringLiteral("composerFindings"));
    m_findings->setHeaderLabels({ tr("Severity"), tr("Check"), tr("Where"), tr("What") });
    m_findings->setRootIsDecorated(false);
    m_findings->header()->resizeSection(0, 70);
    m_findings->header()->resizeSection(1, 170);
    m_findings->header()->resizeSection(2, 150);
    connect(m_findings, &QTreeWidget::currentItemChanged, this, &PreviewPane::showFinding);
}

QString PreviewPane::targetDir(const QModelIndex &index)
{
    const auto *model = qobject_cast<const FileTreeModel *>(index.model());
    if (!index.isValid() || !model || !model->tree())
        return QStringLiteral("/");
    const MergedTree *tree = model->tree();
    int node = index.data(FileTreeModel::NodeRole).toInt();
    // A drop on a file goes into its folder.
    if (tree->entry(node).type != EntryType::Directory)
        node = tree->node(node).parent;
    return node <= 0 ? QStringLiteral("/") : u'/' + QString::fromUtf8(tree->path(node));
}

QString PreviewPane::currentTargetDir() const
{
    return targetDir(m_resultView->currentIndex());
}

QString PreviewPane::selectedImagePath() const
{
    for (const QTreeView *v :
        { static_cast<const QTreeView *>(m_resultView), static_cast<const QTreeView *>(m_baseView) }) {
        const QModelIndex i = v->currentIndex();
        if (i.isValid())
            return u'/' + i.data(FileTreeModel::PathRole).toString();
    }
    return {};
}

QString PreviewPane::selectedFolder() const
{
    for (const QTreeView *v :
        { static_cast<const QTreeView *>(m_resultView), static_cast<const QTreeView *>(m_baseView) }) {
        if (v->currentIndex().isValid())
            return targetDir(v->currentIndex());
    }
    return {};
}

void PreviewPane::setTreesInSight(bool inSight)
{
    m_baseModel->setDeferred(!inSight);
    m_resultModel->setDeferred(!inSight);
}

void PreviewPane::clearBase()
{
    m_baseModel->setTree(nullptr, -1);
}

void PreviewPane::showPreview(const ComposePreview &p, const std::shared_ptr<const MergedTree> &baseTree)
{
    if (baseTree && m_baseModel->tree() != baseTree.get())
        m_baseModel->setTree(baseTree, -1);
    m_baseLayers = p.baseLayers;
    m_previewError->setVisible(!p.error.isEmpty());
    m_previewError->setText(tr("Cannot build this composition: %1").arg(p.error));
    showResultTree(p);
    showSummary(p);
    showFindings(p);
}

void PreviewPane::showResultTree(const ComposePreview &p)
{
    if (!p.tree || p.tree.get() == m_resultModel->tree())
        return;
    QList<QByteArray> expanded;
    collectExpanded(m_resultView, {}, expanded);
    const bool first = !m_resultModel->tree();
    m_resultModel->setComposedTree(p.tree, p.baseLayers, p.changes);
    // What changed is shown opened up to it (the first few), and what was open stays open.
    int opened = 0;
    for (auto it = p.changes.cbegin(); it != p.changes.cend() && opened < 40; ++it, ++opened) {
        const qsizetype slash = it.key().lastIndexOf('/');
        if (slash > 0)
            expanded << it.key().left(slash);
    }
    std::sort(expanded.begin(), expanded.end());
    for (const QByteArray &path : std::as_const(expanded)) {
        QByteArray prefix;
        for (const QByteArray &part : path.split('/')) {
            prefix = prefix.isEmpty() ? part : prefix + '/' + part;
            const QModelIndex i = m_resultModel->indexOfPath(prefix);
            if (i.isValid())
                m_resultView->expand(i);
        }
    }
    if (first)
        m_resultView->header()->resizeSection(FileTreeModel::NameColumn, 220);
}

void PreviewPane::showSummary(const ComposePreview &p)
{
    int added = 0, modified = 0, removed = 0;
    for (const Change c : p.changes) {
        added += c == Change::Added ? 1 : 0;
        modified += c == Change::Modified ? 1 : 0;
        removed += c == Change::Removed ? 1 : 0;
    }
    m_resultLabel->setText(tr("%1 base layer(s) + %2 new: %3 added, %4 changed, %5 deleted")
                               .arg(p.baseLayers)
                               .arg(p.layers.size() - p.baseLayers)
                               .arg(added)
                               .arg(modified)
                               .arg(removed));
}

void PreviewPane::showFindings(const ComposePreview &p)
{
    const QSignalBlocker block(m_findings);
    m_findings->clear();
    for (const Finding &f : p.findings) {
        auto *item = new QTreeWidgetItem(m_findings);
        item->setText(0, severityName(f.severity));
        item->setText(1, f.code);
        QString where = f.paths.join(QStringLiteral(", "));
        if (where.isEmpty() && !f.layers.isEmpty())
            where = tr("layer %1").arg(f.layers.constFirst());
        item->setText(2, where);
        item->setText(3, f.message);
        item->setToolTip(3, f.message);
        item->setData(0, Qt::UserRole, f.paths.value(0));
        item->setData(1, Qt::UserRole, f.layers.value(0, -1));
        const QColor colour = f.severity == Severity::Error ? QColor(190, 30, 30)
            : f.severity == Severity::Warning               ? QColor(190, 120, 0)
                                                            : QColor(40, 110, 190);
        item->setForeground(0, colour);
    }
    if (p.findings.isEmpty() && p.error.isEmpty()) {
        auto *item = new QTreeWidgetItem(m_findings);
        item->setText(3, tr("Nothing to report: the command is found and executable, the working folder exists."));
        item->setFlags(Qt::ItemIsEnabled);
    }
}

void PreviewPane::showFinding()
{
    const QTreeWidgetItem *item = m_findings->currentItem();
    if (!item)
        return;
    const QString path = item->data(0, Qt::UserRole).toString();
    if (!path.isEmpty()) {
        QString error;
        const QModelIndex i = m_resultModel->indexOfPath(normaliseImagePath(path, &error).toUtf8());
        if (i.isValid()) {
            for (QModelIndex up = i.parent(); up.isValid(); up = up.parent())
                m_resultView->expand(up);
            m_resultView->setCurrentIndex(i);
            m_resultView->scrollTo(i);
        }
    }
    const int layer = item->data(1, Qt::UserRole).toInt() - m_baseLayers;
    if (layer >= 0)
        Q_EMIT newLayerSelected(layer);
}

} // namespace lamina
