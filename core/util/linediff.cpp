// SPDX-License-Identifier: MIT
#include "util/linediff.h"

#include <vector>

namespace lamina {

QList<DiffLine> diffLines(const QStringList &a, const QStringList &b, qint64 maxCells)
{
    // Lines equal at both ends need no table.
    qsizetype head = 0;
    while (head < a.size() && head < b.size() && a.at(head) == b.at(head))
        ++head;
    qsizetype tail = 0;
    while (tail < a.size() - head && tail < b.size() - head && a.at(a.size() - 1 - tail) == b.at(b.size() - 1 - tail))
        ++tail;
    const qsizetype n = a.size() - head - tail, m = b.size() - head - tail;
    QList<DiffLine> out;
    if (n > 0 && m > 0 && (n + 1) * (m + 1) > maxCells)
        return out;
    for (qsizetype i = 0; i < head; ++i)
        out.append({ DiffLine::Same, a.at(i) });
    // at(i, j): the length of the longest common subsequence of a[head+i..] and b[head+j..].
    std::vector<quint32> lcs(size_t((n + 1) * (m + 1)), 0);
    const auto at = [&](qsizetype i, qsizetype j) -> quint32 & { return lcs[size_t(i * (m + 1) + j)]; };
    for (qsizetype i = n - 1; i >= 0; --i)
        for (qsizetype j = m - 1; j >= 0; --j)
            at(i, j) = a.at(head + i) == b.at(head + j) ? at(i + 1, j + 1) + 1 : std::max(at(i + 1, j), at(i, j + 1));
    qsizetype i = 0, j = 0;
    while (i < n || j < m) {
        if (i < n && j < m && a.at(head + i) == b.at(head + j)) {
            out.append({ DiffLine::Same, a.at(head + i) });
            ++i;
            ++j;
        } else if (j >= m || (i < n && at(i + 1, j) >= at(i, j + 1))) {
            out.append({ DiffLine::Removed, a.at(head + i) });
            ++i;
        } else {
            out.append({ DiffLine::Added, b.at(head + j) });
            ++j;
        }
    }
    for (qsizetype k = a.size() - tail; k < a.size(); ++k)
        out.append({ DiffLine::Same, a.at(k) });
    return out;
}

QString unifiedText(const QList<DiffLine> &lines, int context)
{
    // A line is shown when a changed line is within `context` of it.
    const qsizetype n = lines.size();
    std::vector<char> shown(size_t(n), 0);
    for (qsizetype k = 0; k < n; ++k)
        if (lines.at(k).kind != DiffLine::Same)
            for (qsizetype c = std::max<qsizetype>(0, k - context); c <= std::min(n - 1, k + context); ++c)
                shown[size_t(c)] = 1;
    QString out;
    bool skipped = false;
    for (qsizetype k = 0; k < n; ++k) {
        if (!shown[size_t(k)]) {
            skipped = true;
            continue;
        }
        if (skipped)
            out += QStringLiteral("…\n");
        skipped = false;
        const DiffLine &l = lines.at(k);
        out += (l.kind == DiffLine::Removed ? u'-' : l.kind == DiffLine::Added ? u'+' : u' ') + l.text + u'\n';
    }
    if (skipped && !out.isEmpty())
        out += QStringLiteral("…\n");
    return out;
}

} // namespace lamina
