// SPDX-License-Identifier: MIT
#pragma once

#include <QStringList>

namespace lamina {

/// True when the arguments ask for a command-line command rather than the window.
bool isCliInvocation(const QStringList &args);
/// Runs the command; returns the process exit status.
int runCli(const QStringList &args);

} // namespace lamina
