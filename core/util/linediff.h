// SPDX-License-Identifier: MIT
#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace lamina {

/// One line of a comparison of two texts.
struct DiffLine
{
    enum Kind : quint8 { Same, Removed, Added };
    Kind kind = Same;
    QString text;
};

/// The lines of `a` and `b` aligned on a longest common subsequence: kept lines Same, lines only
/// in `a` Removed, only in `b` Added, in reading order (removals before additions at a change).
/// Empty when the texts have more than `maxCells` line pairs to weigh (the table takes
/// 4 bytes a pair, the lines equal at both ends not counted), so a huge file is refused rather
/// than compared slowly.
QList<DiffLine> diffLines(const QStringList &a, const QStringList &b, qint64 maxCells = 4'000'000);

/// The lines that differ with `context` lines of the same around them, as `diff -u` shows them
/// (without its @@ headers); a run of unchanged lines left out is one "…" line.
QString unifiedText(const QList<DiffLine> &lines, int context = 3);

} // namespace lamina
