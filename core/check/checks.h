// SPDX-License-Identifier: MIT
#pragma once

#include "check/finding.h"
#include "format/imagearchive.h"

namespace lamina {

/// The findings that need no hashing: a pure function of the views, the member index and the
/// first bytes of each layer. Milliseconds for real archives; safe to call from any thread.
QList<Finding> checkArchive(const ImageArchive &ia);

} // namespace lamina
