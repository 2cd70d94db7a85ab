// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

namespace lamina {

/// A content digest as descriptors give it, "algorithm:encoded" (image-spec descriptor.md).
/// Parsed once, so that code past the parse never checks lengths or prefixes by hand: a Digest is
/// either invalid (default) or well formed, sha256 and sha512 as lowercase hex of their length.
class Digest
{
public:
    Digest() = default;
    /// The digest `text`, or an invalid one with `why` saying what is wrong.
    static Digest parse(const QString &text, QString *why = nullptr);
    /// The sha256 digest of `bytes`.
    static Digest sha256Of(const QByteArray &bytes);

    bool isValid() const { return !m_algorithm.isEmpty(); }
    bool isSha256() const { return m_algorithm == u"sha256"; }
    const QString &algorithm() const { return m_algorithm; }
    /// The part after the colon; for sha256 the 64 hex digits.
    const QString &encoded() const { return m_encoded; }
    /// "algorithm:encoded"; empty when invalid.
    QString toString() const { return isValid() ? m_algorithm + u':' + m_encoded : QString(); }
    /// Where an OCI image layout keeps the blob: "blobs/<algorithm>/<encoded>".
    QString blobPath() const { return QStringLiteral("blobs/%1/%2").arg(m_algorithm, m_encoded); }

    friend bool operator==(const Digest &, const Digest &) = default;

private:
    QString m_algorithm, m_encoded;
};

} // namespace lamina
