// SPDX-License-Identifier: MIT
#include "loadertrial.h"

#include <QFileInfo>
#include <QMessageBox>
#include <QMutex>
#include <QPushButton>
#include <QStandardPaths>

namespace lamina {

LoaderTrial::LoaderTrial(QObject *parent)
    : QObject(parent)
{
}

LoaderTrial::~LoaderTrial()
{
    // Nothing waits: the trial runs to its end in the pool and removes what it loaded.
    cancel();
}

void LoaderTrial::cancel()
{
    *m_cancel = true;
}

bool LoaderTrial::ask(QWidget *parent, const QString &path, const QList<LoaderVerdict> &predicted)
{
    if (isRunning())
        return false;
    TryLoadersOptions options;
    // containerd's own variable, as ctr reads it: the window has no option of its own for it.
    options.containerdAddress = qEnvironmentVariable("CONTAINERD_ADDRESS");
    const bool dockerInstalled = !QStandardPaths::findExecutable(QStringLiteral("docker")).isEmpty();
    QString host = qEnvironmentVariable("DOCKER_HOST");
    if (host.isEmpty() && QFileInfo::exists(QStringLiteral("/var/run/docker.sock")))
        host = QStringLiteral("unix:///var/run/docker.sock");
    if (dockerInstalled && !host.isEmpty()) {
        QMessageBox box(QMessageBox::Question, tr("Try Loaders"),
            tr("Also load %1 into Docker at %2?").arg(QFileInfo(path).fileName(), host), QMessageBox::NoButton, parent);
        box.setInformativeText(
            tr("podman loads it into a throwaway store of its own in any case. Docker loads it into the running "
               "daemon, whose images everyone using it sees meanwhile; afterwards Lamina removes exactly the images "
               "the load added and gives back a tag it took. Something that cannot be removed is reported.")
            + (options.containerdAddress.isEmpty() ? QString()
                                                   : QStringLiteral("\n\n")
                        + tr("containerd at %1 (CONTAINERD_ADDRESS) imports it into a namespace of its own, removed "
                             "afterwards.")
                              .arg(options.containerdAddress)));
        QPushButton *withDocker = box.addButton(tr("Load into Docker too"), QMessageBox::YesRole);
        box.addButton(tr("podman only"), QMessageBox::NoRole);
        box.addButton(QMessageBox::Cancel);
        box.setDefaultButton(withDocker);
        box.exec();
        if (box.buttonRole(box.clickedButton()) == QMessageBox::RejectRole)
            return false;
        if (box.clickedButton() == withDocker)
            options.dockerHost = host;
    }
    start(path, predicted, options);
    return true;
}

void LoaderTrial::start(const QString &path, const QList<LoaderVerdict> &predicted, const TryLoadersOptions &options)
{
    if (isRunning() || path.isEmpty())
        return;
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    m_runningPath = path;
    // The stage a loader is at reaches the status line with the progress.
    auto now = std::make_shared<std::pair<QMutex, QString>>();
    TryLoadersOptions o = options;
    o.stage = [now](const QString &stage) {
        QMutexLocker lock(&now->first);
        now->second = stage;
    };
    const auto cancel = m_cancel;
    m_job.start(
        [path, predicted, o, cancel](const Progress &job) {
            // Runs to its end even when the window is gone: what a loader loaded is removed.
            return lamina::tryLoaders(path, predicted, o, withCancel(job, cancel));
        },
        [this](TryLoadersResult result) {
            m_result = std::move(result);
            m_resultPath = m_runningPath;
            Q_EMIT finished();
        },
        [this, now](qint64 done, qint64 total) {
            Q_EMIT progress(done, total);
            QMutexLocker lock(&now->first);
            if (!now->second.isEmpty())
                Q_EMIT stage(now->second);
        });
}

QList<TriedLoader> LoaderTrial::triedOn(const QString &path) const
{
    return !path.isEmpty() && path == m_resultPath ? m_result.loaders : QList<TriedLoader>();
}

QString LoaderTrial::resultHtml(const TryLoadersResult &result)
{
    QString html = QStringLiteral("<h3>%1</h3><ul>").arg(tr("The loaders of this machine").toHtmlEscaped());
    QStringList left;
    for (const TriedLoader &t : result.loaders) {
        html += QStringLiteral("<li>%1</li>").arg(triedLoaderLine(t).toHtmlEscaped());
        for (const QString &what : t.leftBehind)
            left << t.loader + QStringLiteral(": ") + what;
    }
    html += QStringLiteral("</ul>");
    if (!left.isEmpty())
        html += QStringLiteral("<p><b>%1</b><br>%2</p>")
                    .arg(tr("Could not be removed again:").toHtmlEscaped(),
                        left.join(QStringLiteral("\n")).toHtmlEscaped().replace(u'\n', QStringLiteral("<br>")));
    return html;
}

QString LoaderTrial::resultStatus(const TryLoadersResult &result)
{
    QStringList differs, left;
    for (const TriedLoader &t : result.loaders) {
        if (t.judged() && !t.matches())
            differs << t.loader;
        for (const QString &what : t.leftBehind)
            left << t.loader + QStringLiteral(": ") + what;
    }
    if (result.cancelled)
        return tr("Trying the loaders was cancelled; what they loaded was removed.");
    if (!left.isEmpty())
        return tr("Loaders tried, but something could not be removed: %1").arg(left.constFirst());
    if (!differs.isEmpty())
        return tr("Loaders tried: %1 did otherwise than predicted.").arg(differs.join(QStringLiteral(", ")));
    return tr("Loaders tried: each did as predicted.");
}

} // namespace lamina
