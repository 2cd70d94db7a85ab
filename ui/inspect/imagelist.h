// SPDX-License-Identifier: MIT
#pragma once

#include "format/imagearchive.h"

#include <QTreeWidget>

namespace lamina {

/// The images of an archive, grouped by name: a row per reference (its first tag, "+N" for the
/// others), under it a row per platform, its short image ID on a second line, with its stored
/// size; then the archive's OCI artifacts, greyed, so that nothing in the index goes unmentioned.
/// Narrow by design (it sits beside the tabs, about 260 pixels): two columns that fit, no
/// horizontal scrolling, everything else in the tooltips and the context menu.
class ImageList : public QTreeWidget
{
    Q_OBJECT
public:
    enum Column { NameColumn, SizeColumn };
    static constexpr int ImageRole = Qt::UserRole; ///< the image index of a platform row, else -1
    static constexpr int ShortIdRole = Qt::UserRole + 1; ///< a platform row's 12-digit image ID

    explicit ImageList(QWidget *parent = nullptr);

    /// Lists the images of `archive`; none is selected.
    void setArchive(const ImageArchive &archive);
    /// Selects image `image` (an index into the archive's images) when it is listed.
    void select(int image);
    /// The row of image `image`, or null.
    QTreeWidgetItem *itemOf(int image) const;

    /// The full image ID (config digest) of the current row's image, "" when none.
    QString currentDigest() const;
    /// The current row's references, one a line ("" when untagged).
    QString currentReferences() const;

Q_SIGNALS:
    void imageSelected(int image); ///< -1 when none is
    void compareRequested(int image); ///< "Compare with…" on an image's row

protected:
    bool event(QEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;

private:
    void onCurrentChanged(QTreeWidgetItem *item);
    int currentImage() const;

    ImageArchive m_archive;
};

} // namespace lamina
