// SPDX-License-Identifier: MIT
#include "util/digest.h"

#include "util/sha256.h"

#include <QRegularExpression>

namespace lamina {

Digest Digest::parse(const QString &text, QString *why)
{
    // image-spec descriptor.md: algorithm ":" encoded; the registered sha256 and sha512 are
    // lowercase hex of a fixed length.
    static const QRegularExpression grammar(QStringLiteral("^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$"));
    static const QRegularExpression hex(QStringLiteral("^[0-9a-f]+$"));
    const QRegularExpressionMatch m = grammar.match(text);
    if (!m.hasMatch()) {
        if (why)
            *why = QStringLiteral("\"%1\" is not a valid digest (expected algorithm:hex)").arg(text);
        return {};
    }
    const QString algorithm = m.captured(1), encoded = m.captured(2);
    const bool registered = algorithm == u"sha256" || algorithm == u"sha512";
    if (registered && (encoded.size() != (algorithm == u"sha256" ? 64 : 128) || !hex.match(encoded).hasMatch())) {
        if (why)
            *why = QStringLiteral("\"%1\" is not a valid %2 digest").arg(text, algorithm);
        return {};
    }
    Digest d;
    d.m_algorithm = algorithm;
    d.m_encoded = encoded;
    return d;
}

Digest Digest::sha256Of(const QByteArray &bytes)
{
    return parse(Sha256::of(bytes));
}

} // namespace lamina
