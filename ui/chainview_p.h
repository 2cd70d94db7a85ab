// SPDX-License-Identifier: MIT
// What the chain view's layout (chainlayout.cpp) and painting (chainview.cpp) share: its metrics.
#pragma once

#include <QtGlobal>

namespace lamina::chain {

constexpr qreal kBoxW = 270, kBoxH = 44, kGap = 14, kColGap = 150, kLeft = 16, kHeaderMinW = 640;
constexpr qreal kSwatchW = 30, kSwatchH = 16;

} // namespace lamina::chain
