// SPDX-License-Identifier: MIT
#pragma once

#include "layers/mergedtree.h"

#include <memory>

namespace lamina {

/// The merged tree of `layers` up to `upto` (with the top layer's changes), built once for
/// everyone who asks while one is alive: the window's file tree and the composer's base are the
/// same tree, tens of megabytes at a million entries. A second caller asking while the first
/// builds waits for that build. Safe from any thread.
std::shared_ptr<const MergedTree> sharedMergedTree(const MergedTree::Layers &layers, int upto);

/// Hands a tree built elsewhere to sharedMergedTree(), which gives it to the next callers for
/// the same `layers` and `upto` while it is alive. `tree` must be what
/// MergedTree::build(layers, upto) would make (indexImageLayers() builds it while indexing). When
/// such a tree is alive already, that one is returned and `tree` dropped.
std::shared_ptr<const MergedTree> adoptMergedTree(
    const MergedTree::Layers &layers, int upto, std::shared_ptr<const MergedTree> tree);

/// The tree sharedMergedTree() holds for `layers` up to `upto` when one is alive and built;
/// null otherwise. For work that needs the tree only for a moment: it borrows the window's
/// instead of building a second copy, and builds a lean one of its own when there is none.
std::shared_ptr<const MergedTree> liveMergedTree(const MergedTree::Layers &layers, int upto);

/// liveMergedTree(), or else a tree built without the change list and folder totals.
std::shared_ptr<const MergedTree> borrowOrBuildTree(const MergedTree::Layers &layers, int upto);

} // namespace lamina
