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
/// starts from it, yield the processor to the UI thread (Linux: a nice value per thread). Best
/// effort: a refusal leaves the thread as it was. Never lowers the UI thread, which a task can
/// end up running on (QFuture::result() runs a task not yet started on the thread that waits).
void backgroundThreadStarts();

} // namespace lamina
