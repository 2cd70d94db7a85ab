// SPDX-License-Identifier: MIT
#pragma once

#include "archive/archive.h"
#include "layers/layerindex.h"

#include <QHash>
#include <QSet>
#include <QString>

#include <memory>
#include <mutex>

namespace lamina {

class OutputWriter;

/// The base blobs an OCI folder export copies as they are, written into the output folder by the
/// pass that indexes and hashes the base: each blob is read once (docs/compose.md, "One read of
/// each base blob"). A copy waits under a temporary name in `blobs/sha256/` until the layout
/// adopts it under its digest; one that is not whole, or not adopted, is removed by removeRest().
class PrewrittenBlobs
{
public:
    /// Copies go into the folder `w` writes; they get its fixed time `mtime`. Only blobs stored
    /// with `compression` are copied (the layout's layer compression).
    PrewrittenBlobs(OutputWriter &w, qint64 mtime, Compression compression);
    ~PrewrittenBlobs();
    PrewrittenBlobs(const PrewrittenBlobs &) = delete;
    PrewrittenBlobs &operator=(const PrewrittenBlobs &) = delete;

    Compression compression() const { return m_compression; }
    /// Before the indexing: `member` is to be copied.
    void want(int member);
    /// LayerIndexOptions::copyStored: a copy of `member` when it is wanted and not copied yet.
    std::unique_ptr<StoredCopy> open(int member);
    /// The temporary name (in the folder) of a whole copy of `member` of `size` bytes, or "".
    /// The caller renames it; the copy is not handed out twice.
    QString take(int member, qint64 size);
    /// Members whose copies were taken.
    QList<int> taken() const;
    /// Removes every copy not taken (before the folder is put in place).
    void removeRest();

private:
    friend class BlobCopy;
    void finished(int member, const QString &name, qint64 size, bool whole);

    struct Copy
    {
        QString name;
        qint64 size = -1;
        bool whole = false;
        bool taken = false;
    };
    int m_folder;
    qint64 m_mtime;
    Compression m_compression;
    mutable std::mutex m_lock;
    QSet<int> m_wanted;
    QHash<int, Copy> m_copies; ///< by member: opened, then finished
};

} // namespace lamina
