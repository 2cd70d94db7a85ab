// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

namespace lamina {

/// How the first bytes of a file are best shown.
enum class TextKind {
    Utf16, ///< a UTF-16 byte order mark
    Utf8, ///< valid UTF-8 (ASCII included) without control bytes but tab, CR, LF, FF and ESC
    Latin1, ///< not UTF-8, and no control bytes either: a last guess at text
    Binary,
};

/// Sniffs `head`, the first bytes of a file. A multi-byte UTF-8 sequence cut off at the end of
/// `head` does not make it binary when `truncated` (the file goes on).
TextKind sniffText(const QByteArray &head, bool truncated = false);

/// `head` decoded as `kind` says; "" for Binary.
QString decodeText(const QByteArray &head, TextKind kind);

/// The classic dump: offset, 16 bytes in hex, the printable ASCII of them ("." for the rest).
QString hexDump(const QByteArray &data);

} // namespace lamina
