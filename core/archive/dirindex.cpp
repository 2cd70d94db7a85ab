// SPDX-License-Identifier: MIT
// Indexing a folder (an OCI image layout, or an unpacked docker archive) as if it were a tar.
#include "archive/builder_p.h"
#include "util/checkedsize.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <sys/stat.h>
#include <unistd.h>

namespace lamina {

using limits::kMaxArchiveMembers;

Archive::OpenResult Archive::Builder::indexDir(const QString &path, const Progress &progress)
{
    OpenResult result;
    std::shared_ptr<Archive> ar(new Archive);
    ar->m_path = QFileInfo(path).absoluteFilePath();
    ar->m_container = Container::Directory;
    ar->m_compression = Compression::None;

    // Links are listed as links and never followed on the host: resolve() walks them inside the
    // folder, so a link cannot lead the reader outside it.
    QDirIterator it(ar->m_path, QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot,
                    QDirIterator::Subdirectories);
    QList<Member> found;
    while (it.hasNext()) {
        if (progress.cancelled()) {
            ar->m_cancelled = true;
            break;
        }
        const QString full = it.next();
        if (found.size() >= kMaxArchiveMembers) {
            ar->m_problems.append(QStringLiteral("the folder holds more than %1 entries (the member count limit); the rest were not listed")
                                      .arg(kMaxArchiveMembers));
            break;
        }
        const QByteArray native = QFile::encodeName(full);
        struct stat st;
        if (::lstat(native.constData(), &st) != 0)
            continue;
        Member m;
        m.path = full.mid(ar->m_path.size() + 1);
        m.mode = st.st_mode & 07777;
        m.mtime = st.st_mtime;
        if (S_ISREG(st.st_mode)) {
            m.type = MemberType::File;
            m.size = st.st_size;
        } else if (S_ISDIR(st.st_mode)) {
            m.type = MemberType::Directory;
        } else if (S_ISLNK(st.st_mode)) {
            m.type = MemberType::Symlink;
            QByteArray buf(4096, Qt::Uninitialized);
            const ssize_t n = ::readlink(native.constData(), buf.data(), size_t(buf.size()));
            if (n > 0)
                m.linkTarget = QFile::decodeName(buf.left(int(n)));
        } else {
            m.type = MemberType::Other;
        }
        ar->m_fileSize = addSizes(ar->m_fileSize, m.size);
        found.append(std::move(m));
    }
    // A stable, name-sorted order, like a tar written with --sort=name.
    std::sort(found.begin(), found.end(), [](const Member &a, const Member &b) { return a.path < b.path; });
    for (Member &m : found)
        addMember(*ar, std::move(m));
    result.archive = std::move(ar);
    return result;
}

} // namespace lamina
