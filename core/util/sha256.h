// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

#include <memory>

namespace lamina {

/// Incremental SHA-256 over OpenSSL's EVP interface (several times faster than QCryptographicHash
/// on these machines). Not copyable; one instance per stream.
class Sha256
{
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;

    void add(const char *data, qsizetype size);
    void add(const QByteArray &data) { add(data.constData(), data.size()); }
    /// The digest as "sha256:<64 lowercase hex>"; the object must not be used afterwards.
    QString finish();

    static QString of(const QByteArray &data);

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// True for "sha256:" followed by exactly 64 lowercase hex digits.
bool isSha256Digest(const QString &digest);
/// True for exactly 64 lowercase hex digits.
bool isHex64(QStringView text);

} // namespace lamina
