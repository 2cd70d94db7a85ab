// SPDX-License-Identifier: MIT
#pragma once

#include "check/finding.h"
#include "format/imagearchive.h"

#include <QWidget>

class QLabel;

namespace lamina {

/// Above every page: what the archive is (its name, container, layout, images, error and warning
/// counts) and, in a banner, what of it could not be read.
class ArchiveHeader : public QWidget
{
    Q_OBJECT
public:
    explicit ArchiveHeader(QWidget *parent = nullptr);

    void setArchive(const ImageArchive &archive, const QList<Finding> &findings);
    /// Says that `path` could not be opened and why, above what is shown (`shown`, the archive
    /// still on screen, or "" when none is).
    void showOpenFailed(const QString &path, const QString &why, const QString &shown);
    QString summary() const;

private:
    QLabel *m_banner = nullptr;
    QLabel *m_summary = nullptr;
};

} // namespace lamina
