// SPDX-License-Identifier: MIT
// The composition file (`lamina compose --spec`, docs/compose.md): parsed, and what parses must
// survive a round trip through compositionToJson unchanged.
#include "fuzzsupport.h"

#include "compose/compositionjson.h"

#include <QJsonDocument>

using namespace lamina;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const QJsonDocument doc = QJsonDocument::fromJson(bytes);
    if (!doc.isObject())
        return 0;
    QString error;
    const Composition c = compositionFromJson(doc.object(), fuzz::scratch(), &error);
    if (!error.isEmpty())
        return 0;
    // Saved beside the file it came from: host paths inside that folder are written relative to
    // it, as the spec's confinement to its folder (docs/compose.md) expects them.
    const QJsonObject once = compositionToJson(c, fuzz::scratch());
    QString again;
    const Composition c2 = compositionFromJson(once, fuzz::scratch(), &again);
    if (!again.isEmpty() || compositionToJson(c2, fuzz::scratch()) != once)
        __builtin_trap(); // what the parser accepted, it must read back the same way
    return 0;
}
