// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

namespace lamina {

enum class MemberType : quint8 { File, Directory, Symlink, Hardlink, Other };
enum class Compression : quint8 { None, Gzip, Zstd, Xz, Bzip2, Unknown };

/// One member of an outer archive (a tar entry, or a file of a layout folder).
struct Member
{
    QString path; ///< normalised: no leading "/" or "./", no "//", no trailing "/"
    QString storedPath; ///< as written in the archive, when that differs from `path`
    QString linkTarget; ///< symlink target as stored, or the hardlink's archive path
    qint64 size = 0;
    /// Where the member's bytes start in an uncompressed tar file, so they can be read later by
    /// seeking; -1 when they cannot (compressed stream, sparse entry, folder member).
    qint64 dataOffset = -1;
    qint64 mtime = 0;
    quint32 mode = 0;
    int ordinal = 0; ///< position among the archive's headers (to re-stream compressed input)
    QByteArray head; ///< up to 512 leading bytes, when captured while indexing
    QByteArray content; ///< whole content, captured while streaming compressed input
    MemberType type = MemberType::File;
    bool captured = false;
    /// sniffCompression() of the whole head, taken while streaming when `head` is kept shorter.
    bool headSniffed = false;
    /// Not in the folder until fetched (Archive::fetchMember); `headCompression` is then its
    /// descriptor's claim.
    bool remote = false;
    Compression headCompression = Compression::Unknown;
};

} // namespace lamina

// Implicitly shared strings and integers only: a table of 100,000 members grows by realloc rather
// than by moving each member (which was a tenth of indexing a many-member legacy chain).
Q_DECLARE_TYPEINFO(lamina::Member, Q_RELOCATABLE_TYPE);
