// SPDX-License-Identifier: MIT
// What the chain view's layout (chainlayout.cpp) and painting (chainview.cpp) share: its metrics.
#pragma once

#include <QtGlobal>

namespace lamina::chain {

constexpr qreal kBoxH = 44, kGap = 14, kLeft = 16, kHeaderMinW = 360;
// Node width and the gap between columns follow the width available, between these bounds: the
// narrowest still shows a short digest and a file name; nodes grow up to the width that shows a
// whole sha256 digest with its label (ChainView::placeColumns), at least kBoxMaxW; the rest of
// the room is shared out either side.
constexpr qreal kBoxMinW = 196, kBoxMaxW = 440, kColGapMin = 52, kColGapMax = 160;
constexpr qreal kSwatchW = 30, kSwatchH = 16;

} // namespace lamina::chain
