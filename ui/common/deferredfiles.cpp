// SPDX-License-Identifier: MIT
#include "common/deferredfiles.h"

#include "common/backgroundpool.h"

#include <QEventLoop>
#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrentRun>

namespace lamina {

namespace {

const QString kUriList = QStringLiteral("text/uri-list");

} // namespace

DeferredFilesMime::DeferredFilesMime(std::function<QList<QUrl>()> produce)
    : m_files(QtConcurrent::run(backgroundPool(), [produce = std::move(produce)] {
        backgroundThreadStarts();
        return produce();
    }))
{
}

QStringList DeferredFilesMime::formats() const
{
    return { kUriList };
}

bool DeferredFilesMime::hasFormat(const QString &mimeType) const
{
    return mimeType == kUriList;
}

QVariant DeferredFilesMime::retrieveData(const QString &mimeType, QMetaType type) const
{
    Q_UNUSED(type);
    if (mimeType != kUriList)
        return {};
    if (!m_files.isFinished()) {
        // The drop waits for the files; the window keeps painting and answering meanwhile.
        QEventLoop loop;
        QFutureWatcher<QList<QUrl>> watcher;
        connect(&watcher, &QFutureWatcher<QList<QUrl>>::finished, &loop, &QEventLoop::quit);
        watcher.setFuture(m_files);
        if (!m_files.isFinished())
            loop.exec();
    }
    QVariantList urls;
    for (const QUrl &url : m_files.result())
        urls << url;
    return urls;
}

} // namespace lamina
