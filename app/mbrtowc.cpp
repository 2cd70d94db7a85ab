// SPDX-License-Identifier: MIT
// This program's mbrtowc: defined in the executable, it is the one libarchive's calls bind to.
//
// Why: libarchive's tar reader turns the name of every regular file into a wide string, one
// mbrtowc call per byte, only to see whether it ends in '/'. glibc's mbrtowc sets up a character
// set conversion step on every call, about 150 instructions per byte: a third of all the
// instructions of indexing a layer of small files (callgrind). In a UTF-8 locale, an ASCII byte in
// the initial shift state is that character; that case is answered here, and every other call
// goes to glibc's function unchanged (tests/tst_mbrtowc compares the two).
#include <dlfcn.h>
#include <langinfo.h>

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

bool utf8Locale()
{
    // The calling thread's locale (uselocale() included), as mbrtowc itself would use.
    // Compared inline: a strcmp call per byte cost more than the rest of this function.
    const char *c = nl_langinfo(CODESET);
    return c && c[0] == 'U' && c[1] == 'T' && c[2] == 'F' && c[3] == '-' && c[4] == '8' && c[5] == '\0';
}

} // namespace

extern "C" size_t mbrtowc(wchar_t *__restrict pwc, const char *__restrict s, size_t n, mbstate_t *__restrict ps) noexcept
{
    // The common case touches no callee-saved register, so that it needs no stack frame: the rest
    // is a tail call.
    if (s && n > 0 && ps && static_cast<unsigned char>(*s) < 0x80 && initialState(ps) && utf8Locale()) [[likely]] {
        if (pwc)
            *pwc = static_cast<unsigned char>(*s);
        return *s ? 1 : 0;
    }
    return libcMbrtowc(pwc, s, n, ps);
}
