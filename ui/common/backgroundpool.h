// SPDX-License-Identifier: MIT
#pragma once

class QThreadPool;

namespace lamina {

/// The threads that open, index, verify, build trees and previews and export. Not Qt's global
/// pool: Qt 6.4's raster painting splits big fills over the global pool and waits for them on the
/// UI thread, so long tasks there stalled painting until one finished (a second and more).
QThreadPool *backgroundPool();

} // namespace lamina
