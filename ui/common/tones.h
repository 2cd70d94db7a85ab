// SPDX-License-Identifier: MIT
#pragma once

#include <QColor>
#include <QGuiApplication>
#include <QPalette>
#include <QString>

namespace lamina {

/// The window's meaningful colours (error, warning, success, a mark), chosen to read on the
/// palette's own colours: dark text on a light palette, light text on a dark one. Models, which
/// have no widget, take the application's palette.
enum class Tone { Error, Warning, Success, Info, Added, Changed };

inline bool isDark(const QPalette &palette = QGuiApplication::palette())
{
    return palette.color(QPalette::Window).lightness() < 128;
}

inline QColor toneColor(Tone tone, const QPalette &palette = QGuiApplication::palette())
{
    const bool dark = isDark(palette);
    switch (tone) {
    case Tone::Error:
        return dark ? QColor(0xff, 0x8a, 0x80) : QColor(0xb3, 0x26, 0x1e);
    case Tone::Warning:
        return dark ? QColor(0xff, 0xcc, 0x66) : QColor(0x8a, 0x5a, 0x00);
    case Tone::Success:
    case Tone::Added:
        return dark ? QColor(0x8f, 0xd1, 0x9e) : QColor(0x1e, 0x6b, 0x2e);
    case Tone::Info:
        return dark ? QColor(0x8a, 0xb4, 0xf8) : QColor(0x1f, 0x5f, 0xa8);
    case Tone::Changed:
        return dark ? QColor(0xff, 0xb7, 0x4d) : QColor(0xa8, 0x5c, 0x00);
    }
    return palette.color(QPalette::Text);
}

/// The background of rows a selected finding concerns: amber over the base colour, kept apart
/// from the selection's highlight.
inline QColor markColor(const QPalette &palette = QGuiApplication::palette())
{
    return isDark(palette) ? QColor(0x8a, 0x6a, 0x10, 170) : QColor(0xff, 0xd6, 0x66, 160);
}

/// A QLabel style sheet for an inline error banner, on either palette.
inline QString errorBannerStyle(const QPalette &palette = QGuiApplication::palette())
{
    return isDark(palette)
        ? QStringLiteral("QLabel { background: #4a1c1a; color: #ffd7d3; border: 1px solid #8c3b35; padding: 6px; }")
        : QStringLiteral("QLabel { background: #fde2e1; color: #6b1410; border: 1px solid #e8a29e; padding: 6px; }");
}

} // namespace lamina
