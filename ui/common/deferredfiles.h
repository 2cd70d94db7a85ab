// SPDX-License-Identifier: MIT
#pragma once

#include <QFuture>
#include <QList>
#include <QMimeData>
#include <QUrl>

#include <functional>

namespace lamina {

/// Files handed to a drag before they exist. They are written on a worker from the moment the drag
/// starts; the drop target asks for the URLs when it drops and gets them once written, the event
/// loop running meanwhile, so that dragging a big file out never freezes the window.
class DeferredFilesMime : public QMimeData
{
    Q_OBJECT
public:
    /// `produce` runs on a worker and returns the local files written (none on failure). It must
    /// capture values, never the window.
    explicit DeferredFilesMime(std::function<QList<QUrl>()> produce);

    QStringList formats() const override;
    bool hasFormat(const QString &mimeType) const override;
    /// Whether the files are written (tests).
    bool isReady() const { return m_files.isFinished(); }

protected:
    QVariant retrieveData(const QString &mimeType, QMetaType type) const override;

private:
    QFuture<QList<QUrl>> m_files;
};

} // namespace lamina
