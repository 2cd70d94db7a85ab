// SPDX-License-Identifier: MIT
// Private to core/archive: the indexers that fill an Archive.
#pragma once

#include "archive/archive.h"

namespace lamina {

struct Archive::Builder
{
    static OpenResult indexTar(const QString &path, const Progress &progress, const StreamTap &tap);
    static OpenResult indexDir(const QString &path, const Progress &progress, const Deferred &deferred);
    static void presentDirectoryTransport(Archive &ar, QList<Member> &found);
    static void addMember(Archive &ar, Member m);

    struct TarPass; ///< one pass over a tar, member by member (tarindex.cpp)
};

} // namespace lamina
