// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

class QMenuBar;
class QWidget;

namespace lamina {

struct LoaderReactions;

/// What each loader family does, as the table the catalogue and the findings pane show.
QString loaderReactionsHtml(const LoaderReactions &loaders);

/// Every finding Lamina can report, in catalogue order: title, code, explanation and what each
/// loader does (the same words `lamina check` and the findings pane use).
QString catalogueHtml();
/// Every shortcut: the menus' (read from `menus`, so the list cannot drift) and the views' own keys.
QString shortcutsHtml(const QMenuBar *menus);

/// Help ▸ Findings Catalogue, Keyboard Shortcuts, About: non-modal windows of their own.
void showCatalogue(QWidget *parent);
void showShortcuts(QWidget *parent, const QMenuBar *menus);
void showAbout(QWidget *parent);

} // namespace lamina
