// SPDX-License-Identifier: MIT
#pragma once

class QThreadPool;

namespace lamina {

/// The threads that open, index, verify, build trees and previews and export. Not Qt's global
/// pool: Qt 6.4's raster painting splits big fills over the global pool and waits for them on the
/// UI thread, so long tasks there stalled painting until one finished (a second and more).
QThreadPool *backgroundPool();

/// How much nicer than the process the background threads run (backgroundThreadStarts()).
inline constexpr int kBackgroundNice = 5;

/// Called first by every task of backgroundPool(): makes the calling thread, and the helpers core
/// starts from it, yield the processor to the UI thread. Once per thread; a thread that cannot be
/// lowered (no such call on this system) runs as it was.
void backgroundThreadStarts();

} // namespace lamina
