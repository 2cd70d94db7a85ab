// SPDX-License-Identifier: MIT
// Runs a fuzz target's entry point over every file of the folders (or files) named on the command
// line, without libFuzzer: the regression run of seeds and saved crashers in the normal build.
#include "fuzzsupport.h"

#include <QDirIterator>
#include <QFile>
#include <QFileInfo>

#include <cstdio>

int main(int argc, char **argv)
{
    QStringList files;
    for (int i = 1; i < argc; ++i) {
        const QString arg = QString::fromLocal8Bit(argv[i]);
        const QFileInfo info(arg);
        if (info.isDir()) {
            QDirIterator it(arg, QDir::Files, QDirIterator::Subdirectories);
            while (it.hasNext()) {
                const QString f = it.next();
                if (!it.fileName().startsWith(u'.'))
                    files.append(f);
            }
        } else if (info.isFile()) {
            files.append(arg);
        } else {
            std::fprintf(stderr, "%s: no such file or folder\n", argv[i]);
            return 2;
        }
    }
    files.sort();
    for (const QString &f : files) {
        QFile in(f);
        if (!in.open(QIODevice::ReadOnly)) {
            std::fprintf(stderr, "%s: cannot read\n", qPrintable(f));
            return 2;
        }
        const QByteArray data = in.readAll();
        std::fprintf(stderr, "%s (%lld bytes)\n", qPrintable(f), static_cast<long long>(data.size()));
        LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t *>(data.constData()), size_t(data.size()));
    }
    std::printf("%lld inputs replayed\n", static_cast<long long>(files.size()));
    return 0;
}
