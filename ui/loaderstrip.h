// SPDX-License-Identifier: MIT
#pragma once

#include "check/loaders.h"

#include <QLabel>

namespace lamina {

/// The loader verdicts as one line of links above the findings ("Docker 1.10–24: refuses (oci-only)
/// · containerd 1.6–1.7: loads · …"), each coloured by its verdict; it wraps when the window is
/// narrow. Clicking one selects it (clicking it again clears the selection).
class LoaderStrip : public QLabel
{
    Q_OBJECT
public:
    explicit LoaderStrip(QWidget *parent = nullptr);

    /// `ofFolder`: the verdicts are of a tar of the folder opened (check/archivechecks.cpp).
    void setVerdicts(const QList<LoaderVerdict> &verdicts, bool ofFolder = false);
    const QList<LoaderVerdict> &verdicts() const { return m_verdicts; }
    /// What a real loader did here, shown beside the prediction of its range; an empty text clears it.
    void setObserved(int range, const QString &observed, bool matches);
    void clearObserved();

    /// The selected range (an index into loaderRanges()), or -1.
    int selected() const { return m_selected; }
    void select(int range);
    /// The text of one range's entry, as shown, and its tooltip (the loader's source, whether observed).
    QString entryText(int range) const;
    QString entryToolTip(int range) const;

Q_SIGNALS:
    void rangeSelected(int range); ///< -1 when the selection was cleared
    void tryRequested(); ///< its "Try loaders…" link

protected:
    bool event(QEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void render();
    QList<LoaderVerdict> m_verdicts;
    QHash<int, QPair<QString, bool>> m_observed;
    int m_selected = -1;
    bool m_ofFolder = false;
    int m_hovered = -1; ///< the entry under the mouse, for its tooltip
};

} // namespace lamina
