// SPDX-License-Identifier: MIT
#include "util/utf8locale.h"

#include <langinfo.h>

#include <cstring>

// Defined and exported by the program (app/mbrtowc.cpp); absent where this library is linked alone.
extern "C" locale_t lamina_utf8_locale() noexcept __attribute__((weak));

namespace lamina {

locale_t newUtf8Locale()
{
    const locale_t base = duplocale(LC_GLOBAL_LOCALE);
    locale_t l = base ? newlocale(LC_CTYPE_MASK, "C.UTF-8", base) : nullptr;
    if (!l && base)
        freelocale(base);
    if (l && std::strcmp(nl_langinfo_l(CODESET, l), "UTF-8") != 0) {
        freelocale(l);
        l = nullptr;
    }
    return l;
}

locale_t utf8Locale()
{
    if (lamina_utf8_locale)
        return lamina_utf8_locale();
    static const locale_t own = newUtf8Locale();
    return own;
}

Utf8Thread::Utf8Thread()
{
    if (const locale_t mine = utf8Locale())
        m_previous = uselocale(mine);
}

Utf8Thread::~Utf8Thread()
{
    if (m_previous)
        uselocale(m_previous);
}

} // namespace lamina
