// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QSet>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

namespace lamina {

/// Receives the regular files of one layer as it is indexed (indexLayerFromReader).
class FileCapture
{
public:
    virtual ~FileCapture() = default;
    /// For the regular file read from tar header `header`, at `path` as the index normalises it,
    /// of `size` bytes: a descriptor its bytes are written to at their offsets (a sparse file's
    /// holes left as holes), or -1 to let it pass.
    virtual int begin(int header, QByteArrayView path, qint64 size) = 0;
    /// Its bytes all came (`complete`), or not: then what was written is dropped.
    virtual void end(int header, bool complete) = 0;
};

/// Files kept while the pass that opens a tar compressed as a whole streams past them, so that
/// `cat` and `extract` need not stream the archive again once the layers are indexed and the
/// copy that counts is known (docs/layers.md, "One pass over an archive compressed as a whole").
/// Which copy counts depends on the layers above it, and those may come later in the archive:
/// every copy at the paths asked for is kept, in a folder of their own, and the ones that do not
/// count are removed. What is not kept (over the budget, reached through a link, a hard link to
/// a file elsewhere) is read from the archive as before.
class StagedFiles
{
public:
    /// Keeps the regular files at `paths`, and with `below` those under them too, as cat and
    /// extract name them ("/" for all), in a temporary folder made inside `parent` when the first
    /// is kept (`parent` is created then if it is missing), taking at most `budget` bytes there; a
    /// negative budget is the space free there less a reserve.
    StagedFiles(const QList<QByteArray> &paths, const QString &parent, bool below = true, qint64 budget = -1);
    /// Removes the folder and every file still in it.
    ~StagedFiles();
    StagedFiles(const StagedFiles &) = delete;
    StagedFiles &operator=(const StagedFiles &) = delete;

    /// What is kept of member `member`'s files as its layer is indexed (StreamedLayers).
    std::unique_ptr<FileCapture> captureOf(int member);

    struct Kept
    {
        int dirfd = -1; ///< the folder holding it, open as long as this object lives
        QByteArray name;
        qint64 size = 0;
    };
    /// The complete copy of the file at tar header `header` of member `member`, if kept.
    std::optional<Kept> find(int member, int header) const;
    /// Forgets a kept file the caller moved away or used up.
    void taken(int member, int header);
    /// Removes every kept file but those of `keep` (keyOf(member, header)).
    void keepOnly(const QSet<quint64> &keep);
    static quint64 keyOf(int member, int header) { return quint64(quint32(member)) << 32 | quint32(header); }

    /// Files and bytes (as their sizes say) kept.
    int count() const { return int(m_kept.size()); }
    qint64 bytes() const { return m_bytes; }
    /// True when `parent` was created here: a command that fails removes it again
    /// (removeCreatedParent).
    bool createdParent() const { return !m_created.isEmpty(); }
    /// Removes the kept files, then the folders made for `parent` as far as they are empty.
    void removeCreatedParent();

private:
    friend class StagedCapture;
    bool wants(QByteArrayView path) const;
    int open(int member, int header, QByteArrayView path, qint64 size);
    void close(int member, int header, int fd, qint64 size, bool complete);
    bool makeFolder();
    void removeFolder();

    QList<QByteArray> m_paths; ///< normalised; an empty one stands for every path
    QString m_parent;
    bool m_below;
    qint64 m_budget;
    QStringList m_created; ///< folders made for m_parent, deepest first
    int m_parentfd = -1;
    int m_dirfd = -1;
    bool m_failed = false; ///< the folder could not be made: nothing is kept
    QByteArray m_folder; ///< its name inside m_parent
    QHash<quint64, qint64> m_kept; ///< key → size
    qint64 m_bytes = 0;
};

} // namespace lamina
