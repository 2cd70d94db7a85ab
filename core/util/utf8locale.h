// SPDX-License-Identifier: MIT
#pragma once

#include <locale.h>

namespace lamina {

/// A new locale object: C.UTF-8 for characters, the process's current locale for the rest; null
/// when the system has no C.UTF-8.
locale_t newUtf8Locale();

/// The one locale object that threads reading or writing tar names use (see Utf8Thread): the
/// program's (app/mbrtowc.cpp, whose mbrtowc recognises it), else one of this library's own.
/// Never changed or freed.
locale_t utf8Locale();

/// Gives the calling thread utf8Locale() for its lifetime, and its own locale back after.
/// libarchive converts names between UTF-8 and the thread's character set: in a C or POSIX locale
/// its PAX writer crashes on a name it cannot convert, and every tar name read costs a glibc
/// mbrtowc call per byte. With this, what is written never depends on the user's locale.
class Utf8Thread
{
public:
    Utf8Thread();
    ~Utf8Thread();
    Utf8Thread(const Utf8Thread &) = delete;
    Utf8Thread &operator=(const Utf8Thread &) = delete;

private:
    locale_t m_previous = nullptr;
};

} // namespace lamina
