// SPDX-License-Identifier: MIT
#include "write/install.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>

namespace lamina {

bool replaceableLayoutFolder(const QString &path)
{
    const QFileInfo info(path);
    if (!info.isDir() || info.isSymLink())
        return false;
    static const QStringList layoutNames { QStringLiteral("oci-layout"), QStringLiteral("index.json"),
        QStringLiteral("blobs"), QStringLiteral("manifest.json"), QStringLiteral("repositories") };
    const QStringList names
        = QDir(path).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot);
    for (const QString &name : names)
        if (!layoutNames.contains(name))
            return false;
    return names.isEmpty() || names.contains(QStringLiteral("oci-layout"));
}

bool installFolder(const QString &part, const QString &target, QString *error)
{
    const QByteArray from = QFile::encodeName(part), to = QFile::encodeName(target);
    if (::rename(from.constData(), to.constData()) == 0)
        return true;
    if (errno != ENOTEMPTY && errno != EEXIST) {
        *error
            = QStringLiteral("%1: cannot rename into place: %2").arg(target, QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    if (::renameat2(AT_FDCWD, from.constData(), AT_FDCWD, to.constData(), RENAME_EXCHANGE) != 0) {
        *error
            = QStringLiteral("%1: cannot replace the folder: %2").arg(target, QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    QDir(part).removeRecursively(); // now the previous layout
    return true;
}

bool installFile(const QString &part, const QString &target, QString *error)
{
    if (::rename(QFile::encodeName(part).constData(), QFile::encodeName(target).constData()) == 0)
        return true;
    *error = QStringLiteral("cannot rename into place: %1").arg(QString::fromLocal8Bit(strerror(errno)));
    return false;
}

} // namespace lamina
