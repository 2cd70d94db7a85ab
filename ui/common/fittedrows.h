// SPDX-License-Identifier: MIT
#pragma once

namespace lamina {

/// How many rows a table measures when it fits a column to its contents: those on screen, then
/// others up to this many. Qt's default (1,000) measured every layer of an image of 200 layers,
/// 60 ms of the UI thread each time an image was shown; rows of one table are alike, so a few
/// dozen tell their width.
inline constexpr int kFittedRows = 64;

} // namespace lamina
