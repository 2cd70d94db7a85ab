// SPDX-License-Identifier: MIT
#pragma once

#include "check/loaders.h"
#include "check/tryloaders.h"
#include "common/latestjob.h"

#include <QObject>

#include <atomic>
#include <memory>

class QWidget;

namespace lamina {

/// Loading the archive shown with the loaders of this machine: asking before Docker is used, the
/// background job (its own Cancel flag: a trial cancelled still removes what it loaded), and the
/// last result with the archive it is about.
class LoaderTrial : public QObject
{
    Q_OBJECT
public:
    explicit LoaderTrial(QObject *parent = nullptr);
    ~LoaderTrial() override;

    /// File ▸ Try Loaders: asks (over `parent`) before using Docker, then start(). False when the
    /// user cancelled or a trial runs already.
    bool ask(QWidget *parent, const QString &path, const QList<LoaderVerdict> &predicted);
    /// Loads `path` with podman, and with Docker and containerd where `options` names them.
    void start(const QString &path, const QList<LoaderVerdict> &predicted, const TryLoadersOptions &options);
    void cancel();
    bool isRunning() const { return m_job.isRunning(); }

    const TryLoadersResult &result() const { return m_result; }
    /// The loaders tried on `path`: its result, else none.
    QList<TriedLoader> triedOn(const QString &path) const;

    /// What each loader did and what could not be removed again, for the details pane.
    static QString resultHtml(const TryLoadersResult &result);
    /// One line for the status bar.
    static QString resultStatus(const TryLoadersResult &result);

Q_SIGNALS:
    void progress(qint64 done, qint64 total);
    void stage(const QString &message);
    void finished(); ///< result() is the new result (cancelled or not)

private:
    std::shared_ptr<std::atomic<bool>> m_cancel = std::make_shared<std::atomic<bool>>(false);
    TryLoadersResult m_result;
    QString m_resultPath; ///< the archive m_result is about
    QString m_runningPath; ///< the archive being tried
    LatestJob<TryLoadersResult> m_job { this };
};

} // namespace lamina
