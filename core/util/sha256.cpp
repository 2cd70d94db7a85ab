// SPDX-License-Identifier: MIT
#include "sha256.h"

#include "workcounters.h"

#include <openssl/evp.h>

namespace lamina {

struct Sha256::Impl
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256()
    : m_impl(std::make_unique<Impl>())
{
    EVP_DigestInit_ex(m_impl->ctx, EVP_sha256(), nullptr);
}

Sha256::~Sha256() = default;

void Sha256::add(const char *data, qsizetype size)
{
    work::counters().hashedBytes += size; // not as main-thread work: a config's few bytes are hashed there
    EVP_DigestUpdate(m_impl->ctx, data, size_t(size));
}

QString Sha256::finish()
{
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(m_impl->ctx, out, &len);
    return QStringLiteral("sha256:")
        + QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(out), int(len)).toHex());
}

QString Sha256::of(const QByteArray &data)
{
    Sha256 h;
    h.add(data);
    return h.finish();
}

bool isHex64(QStringView text)
{
    if (text.size() != 64)
        return false;
    for (QChar c : text) {
        const char16_t u = c.unicode();
        if (!((u >= u'0' && u <= u'9') || (u >= u'a' && u <= u'f')))
            return false;
    }
    return true;
}

bool isSha256Digest(const QString &digest)
{
    return digest.startsWith(u"sha256:") && isHex64(QStringView(digest).mid(7));
}

} // namespace lamina
