// SPDX-License-Identifier: MIT
#include "archive/memberreader.h"

#include "util/sha256.h"

#include <QByteArray>

namespace lamina {

Digest sha256OfReader(MemberReader &reader, QString *error, qint64 *size)
{
    Sha256 h;
    QByteArray buffer(1 << 20, Qt::Uninitialized);
    qint64 total = 0;
    qint64 n;
    while ((n = reader.read(buffer.data(), buffer.size())) > 0) {
        h.add(buffer.constData(), n);
        total += n;
    }
    if (n < 0) {
        *error = reader.error();
        return {};
    }
    if (size)
        *size = total;
    return Digest::parse(h.finish());
}

} // namespace lamina
