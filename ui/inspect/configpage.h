// SPDX-License-Identifier: MIT
#pragma once

#include "format/imagearchive.h"

#include <QTextBrowser>

namespace lamina {

/// The config and history page: the settings a container starts with, and how each layer came.
class ConfigPage : public QTextBrowser
{
    Q_OBJECT
public:
    explicit ConfigPage(QWidget *parent = nullptr);
    /// Shows `image`, or nothing when null.
    void setImage(const Image *image);
};

} // namespace lamina
