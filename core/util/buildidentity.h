// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>

namespace lamina {

/// What names this very program's code: the GNU build ID the linker gives the executable (hex),
/// which changes with any change to the code linked into it. Where the executable has none, its
/// path, size and modification time. It is the executable's also in the window module the program
/// loads (built with it), so that the window finds what the commands kept. Work kept between runs
/// (the index cache) is keyed by it: a Lamina whose indexing or merging changed never serves what
/// another one made.
QByteArray buildIdentity();

} // namespace lamina
