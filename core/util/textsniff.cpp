// SPDX-License-Identifier: MIT
#include "util/textsniff.h"

#include <QStringDecoder>

#include <algorithm>

namespace lamina {

namespace {

/// How many bytes at the end of `data` are the start of a UTF-8 sequence that does not end there.
qsizetype cutUtf8Tail(const QByteArray &data)
{
    for (qsizetype back = 1; back <= 3 && back <= data.size(); ++back) {
        const auto c = static_cast<unsigned char>(data.at(data.size() - back));
        if ((c & 0xC0) == 0x80)
            continue; // a continuation byte: look further back for the lead byte
        const qsizetype length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
        return length > back ? back : 0;
    }
    return 0;
}

bool isUtf16(const QByteArray &head)
{
    return head.startsWith("\xff\xfe") || head.startsWith("\xfe\xff");
}

} // namespace

TextKind sniffText(const QByteArray &head, bool truncated)
{
    if (isUtf16(head))
        return TextKind::Utf16;
    // Text has no control bytes but line ends, tabs, form feeds and the escapes of coloured output.
    const bool controls = std::any_of(head.cbegin(), head.cend(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u < 32 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\x1b';
    });
    if (controls)
        return TextKind::Binary;
    // Stateless: a sequence left open at the end is an error, unless the file goes on after `head`.
    const QByteArray whole = truncated ? head.left(head.size() - cutUtf8Tail(head)) : head;
    QStringDecoder utf8(QStringDecoder::Utf8, QStringConverter::Flag::Stateless);
    const QString decoded = utf8.decode(whole);
    Q_UNUSED(decoded);
    return utf8.hasError() ? TextKind::Latin1 : TextKind::Utf8;
}

QString decodeText(const QByteArray &head, TextKind kind)
{
    switch (kind) {
    case TextKind::Utf16: {
        QStringDecoder utf16(head.startsWith("\xff\xfe") ? QStringDecoder::Utf16LE : QStringDecoder::Utf16BE);
        return utf16.decode(head.mid(2));
    }
    case TextKind::Utf8:
        return QString::fromUtf8(head);
    case TextKind::Latin1:
        return QString::fromLatin1(head);
    case TextKind::Binary:
        break;
    }
    return {};
}

QString hexDump(const QByteArray &data)
{
    QString out;
    for (qsizetype off = 0; off < data.size(); off += 16) {
        const QByteArray row = data.mid(off, 16);
        QString ascii;
        for (char c : row)
            ascii += (c >= 32 && c < 127) ? QLatin1Char(c) : QLatin1Char('.');
        out += QStringLiteral("%1  %2  %3\n")
                   .arg(off, 8, 16, QLatin1Char('0'))
                   .arg(QString::fromLatin1(row.toHex(' ')), -47)
                   .arg(ascii);
    }
    return out;
}

} // namespace lamina
