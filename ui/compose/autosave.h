// SPDX-License-Identifier: MIT
#pragma once

#include <QDateTime>
#include <QObject>
#include <QString>
#include <QTimer>

namespace lamina {

class CompositionDocument;

/// Keeps a copy of an unsaved composition on disk, so that a crash loses at most the last few
/// seconds of work: written (atomically) shortly after each edit while the document is modified,
/// removed once it is saved or discarded. One file per user, in the application's data folder.
class CompositionAutosave : public QObject
{
    Q_OBJECT
public:
    static constexpr int kDelayMs = 1500;

    explicit CompositionAutosave(CompositionDocument *document, QObject *parent = nullptr);

    /// Where the copy is kept.
    static QString path();
    /// Writes the copy now (or removes it when the document is not modified).
    void saveNow();
    /// What a previous run left: the time it was written, or an invalid time when there is none.
    static QDateTime leftOver();
    /// Forgets the copy (the user declined to restore it).
    static void discard();
    /// The copy on disk is this document's now (restored from it): kept up to date, and removed
    /// once the document is saved or discarded.
    void adopt() { m_wrote = true; }

private:
    CompositionDocument *m_document;
    QTimer m_timer;
    bool m_wrote = false; ///< the copy on disk is this document's (another window may own it)
};

} // namespace lamina
