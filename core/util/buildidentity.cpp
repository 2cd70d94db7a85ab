// SPDX-License-Identifier: MIT
#include "util/buildidentity.h"

#include <QFileInfo>

#include <cstring>
#include <elf.h>
#include <link.h>

namespace lamina {

namespace {

/// The GNU build ID note among the main program's segments, as hex; empty when it has none.
QByteArray executableBuildId()
{
    QByteArray id;
    dl_iterate_phdr(
        [](struct dl_phdr_info *info, size_t, void *data) -> int {
            auto *out = static_cast<QByteArray *>(data);
            // The first object listed is the main program (its name is empty).
            for (int i = 0; i < info->dlpi_phnum; ++i) {
                const ElfW(Phdr) &ph = info->dlpi_phdr[i];
                if (ph.p_type != PT_NOTE)
                    continue;
                const char *at = reinterpret_cast<const char *>(info->dlpi_addr + ph.p_vaddr);
                const char *end = at + ph.p_memsz;
                while (at + sizeof(ElfW(Nhdr)) <= end) {
                    ElfW(Nhdr) note;
                    std::memcpy(&note, at, sizeof note);
                    const char *name = at + sizeof note;
                    const char *desc = name + ((note.n_namesz + 3) & ~3u);
                    const char *next = desc + ((note.n_descsz + 3) & ~3u);
                    if (next > end || next <= at)
                        break;
                    if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 && std::memcmp(name, "GNU", 4) == 0) {
                        *out = QByteArray(desc, int(note.n_descsz)).toHex();
                        return 1;
                    }
                    at = next;
                }
            }
            return 1; // only the main program
        },
        &id);
    return id;
}

} // namespace

QByteArray buildIdentity()
{
    static const QByteArray identity = []() -> QByteArray {
        const QByteArray id = executableBuildId();
        if (!id.isEmpty())
            return QByteArrayLiteral("build-id ") + id;
        const QFileInfo exe(QStringLiteral("/proc/self/exe"));
        const QFileInfo target(exe.symLinkTarget());
        return QByteArrayLiteral("executable ") + target.absoluteFilePath().toUtf8() + ' '
            + QByteArray::number(target.size()) + ' ' + QByteArray::number(target.lastModified().toMSecsSinceEpoch());
    }();
    return identity;
}

} // namespace lamina
