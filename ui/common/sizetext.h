// SPDX-License-Identifier: MIT
#pragma once

#include <QCoreApplication>
#include <QLocale>

namespace lamina {

/// A byte count as the window shows it: QLocale's data size ("28.70 MiB"), but "1 byte" where
/// that says "1 bytes".
inline QString sizeText(qint64 bytes)
{
    if (bytes == 1)
        return QCoreApplication::translate("lamina", "1 byte");
    return QLocale().formattedDataSize(bytes);
}

} // namespace lamina
