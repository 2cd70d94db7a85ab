// SPDX-License-Identifier: MIT
// Members of a folder whose bytes are not there yet: a registry's layers, fetched only when
// something reads them (docs/engines.md, "Layers fetched when read").
#pragma once

#include "archive/member.h"
#include "util/progress.h"

#include <QList>
#include <QString>

#include <memory>

namespace lamina {

/// Brings a deferred member's bytes into the folder.
class RemoteBlobs
{
public:
    virtual ~RemoteBlobs() = default;
    /// Writes the bytes of `member` to `file` (the folder's path for it), verified against what
    /// names them: a blob's digest and size. Nothing is at `file` on failure, and `error` names the
    /// member and the reason. The archive never runs two fetches of one member at once, and may
    /// ask again after a failure. `progress` counts this member's bytes; its cancel stops the fetch.
    virtual bool fetch(const Member &member, const QString &file, const Progress &progress, QString *error) = 0;
};

/// A member the folder will have once fetched.
struct DeferredMember
{
    QString path; ///< "blobs/sha256/<hex>"
    qint64 size = 0;
    /// What the descriptor's media type says the bytes are, until they are here to be sniffed.
    Compression claimed = Compression::Unknown;
};

struct Deferred
{
    std::shared_ptr<RemoteBlobs> source;
    QList<DeferredMember> members;
};

} // namespace lamina
