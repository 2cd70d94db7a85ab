// SPDX-License-Identifier: MIT
// This program's mbrtowc: defined in the executable, it is the one libarchive's calls bind to.
//
// Why: libarchive's tar reader turns the name of every regular file into a wide string, one
// mbrtowc call per byte, only to see whether it ends in '/'. glibc's mbrtowc sets up a character
// set conversion step on every call, about 150 instructions per byte: a third of all the
// instructions of indexing a layer of small files (callgrind). In a UTF-8 locale, an ASCII byte in
// the initial shift state is that character; that case is answered here, and every other call
// goes to glibc's function unchanged (tests/app/tst_mbrtowc compares the two).
//
// Asking glibc for the locale's character set on every byte was still a third of this function's
// cost. Threads that read many names (the layer indexer) therefore take lamina_utf8_locale() as
// their locale with uselocale(); for them, one pointer comparison answers the question.
#include "util/utf8locale.h"

#include <dlfcn.h>
#include <langinfo.h>
#include <locale.h>

#include <atomic>
#include <cerrno>
#include <cwchar>

namespace {

using Mbrtowc = size_t (*)(wchar_t *, const char *, size_t, mbstate_t *);

[[gnu::noinline]] size_t libcMbrtowc(wchar_t *pwc, const char *s, size_t n, mbstate_t *ps)
{
    static const Mbrtowc next = reinterpret_cast<Mbrtowc>(dlsym(RTLD_NEXT, "mbrtowc"));
    if (next)
        return next(pwc, s, n, ps);
    errno = EILSEQ; // no libc function to defer to (never in a dynamically linked program)
    return static_cast<size_t>(-1);
}

bool initialState(const mbstate_t *ps)
{
#ifdef __GLIBC__
    // glibc's own mbsinit() is exactly this test; inline, it saves a call per byte.
    return ps->__count == 0;
#else
    return std::mbsinit(ps);
#endif
}

std::atomic<locale_t> g_utf8Locale { nullptr };

bool ctypeIsUtf8()
{
    // The thread's locale is lamina_utf8_locale()'s, which nothing changes or frees.
    if (const locale_t mine = g_utf8Locale.load(std::memory_order_relaxed); mine && uselocale(nullptr) == mine)
        return true;
    // The calling thread's locale (uselocale() included), as mbrtowc itself would use.
    // Compared inline: a strcmp call per byte cost more than the rest of this function.
    const char *c = nl_langinfo(CODESET);
    return c && c[0] == 'U' && c[1] == 'T' && c[2] == 'F' && c[3] == '-' && c[4] == '8' && c[5] == '\0';
}

} // namespace

/// The locale that the program's threads take to read and write tar names (core/util/utf8locale.h).
/// Made once here, so that the window module's copy of the core library finds the same object.
extern "C" locale_t lamina_utf8_locale() noexcept
{
    static const locale_t made = [] {
        const locale_t l = lamina::newUtf8Locale();
        g_utf8Locale.store(l, std::memory_order_relaxed);
        return l;
    }();
    return made;
}

extern "C" size_t mbrtowc(
    wchar_t *__restrict pwc, const char *__restrict s, size_t n, mbstate_t *__restrict ps) noexcept
{
    // The common case touches no callee-saved register, so that it needs no stack frame: the rest
    // is a tail call.
    if (s && n > 0 && ps && static_cast<unsigned char>(*s) < 0x80 && initialState(ps) && ctypeIsUtf8()) [[likely]] {
        if (pwc)
            *pwc = static_cast<unsigned char>(*s);
        return *s ? 1 : 0;
    }
    return libcMbrtowc(pwc, s, n, ps);
}
