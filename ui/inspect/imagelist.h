// SPDX-License-Identifier: MIT
#pragma once

#include "format/imagearchive.h"

#include <QTreeWidget>

namespace lamina {

/// The images of an archive, one row each (tags, platform, layers, stored size), then its OCI
/// artifacts, greyed: they are listed so that nothing in the index goes unmentioned.
class ImageList : public QTreeWidget
{
    Q_OBJECT
public:
    explicit ImageList(QWidget *parent = nullptr);

    /// Lists the images of `archive`; none is selected.
    void setArchive(const ImageArchive &archive);
    /// Selects image `image` (an index into the archive's images) when it is listed.
    void select(int image);

Q_SIGNALS:
    void imageSelected(int image); ///< -1 when none is
};

} // namespace lamina
