// SPDX-License-Identifier: MIT
#include "compose/autosave.h"

#include "compose/compositiondocument.h"
#include "compose/compositionfiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>

namespace lamina {

CompositionAutosave::CompositionAutosave(CompositionDocument *document, QObject *parent)
    : QObject(parent)
    , m_document(document)
{
    m_timer.setSingleShot(true);
    m_timer.setInterval(kDelayMs);
    connect(&m_timer, &QTimer::timeout, this, &CompositionAutosave::saveNow);
    // Typing a word is one write, a little after the last key.
    connect(document, &CompositionDocument::changed, this, [this] { m_timer.start(); });
    connect(document, &CompositionDocument::modifiedChanged, this, [this](bool modified) {
        if (!modified)
            saveNow(); // saved or discarded: the copy goes at once
    });
}

QString CompositionAutosave::path()
{
    return QDir(QStandardPaths::writableLocation(QStandardPaths::AppDataLocation))
        .filePath(QStringLiteral("unsaved-composition.json"));
}

void CompositionAutosave::saveNow()
{
    m_timer.stop();
    if (!m_document->isModified()) {
        if (m_wrote)
            QFile::remove(path());
        m_wrote = false;
        return;
    }
    QDir().mkpath(QFileInfo(path()).absolutePath());
    QString error; // nowhere to write: the window works on, as without autosave
    m_wrote = saveCompositionFile(m_document->composition(), path(), &error);
}

QDateTime CompositionAutosave::leftOver()
{
    const QFileInfo info(path());
    return info.isFile() ? info.lastModified() : QDateTime();
}

void CompositionAutosave::discard()
{
    QFile::remove(path());
}

} // namespace lamina
