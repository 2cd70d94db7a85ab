// SPDX-License-Identifier: MIT
#pragma once

#include "check/loaders.h"
#include "util/progress.h"

#include <QJsonArray>

#include <functional>

namespace lamina {

/// Which loaders tryLoaders() may use. podman always loads into a throwaway store of its own;
/// containerd and Docker are the user's, so they are used only when named.
struct TryLoadersOptions
{
    bool podman = true;
    QString containerdAddress; ///< containerd's socket; empty: containerd is not tried
    QString dockerHost; ///< "unix:///var/run/docker.sock"; empty: Docker is not tried
    int loadTimeoutSeconds = 1800; ///< a load still running then is stopped (and counted as not finished)
    std::function<void(const QString &)> stage; ///< "podman: loading", for a status line
};

/// What one loader did with the archive, beside what was predicted for its version.
struct TriedLoader
{
    QString loader; ///< "docker", "containerd", "podman"
    QString version; ///< as the loader reports it ("20.10.24+dfsg1"); empty when not known
    bool ran = false; ///< the load ran to its end
    QString notRun; ///< why not: not installed, not asked for, cancelled, …
    bool loaded = false;
    int exitCode = -1; ///< of the load; -1 when it did not finish
    QString output; ///< what the load printed, trimmed (its end, when long)
    int range = -1; ///< the loader range of this version (index into loaderRanges()), -1 when none
    LoaderVerdict predicted;
    bool messageSeen = false; ///< the predicted message appears in the output
    QStringList leftBehind; ///< what could not be removed again: empty when the store is as before

    bool judged() const { return ran && range >= 0; }
    bool matches() const { return judged() && loaded == (predicted.verdict != Verdict::Refuses); }
};

struct TryLoadersResult
{
    QList<TriedLoader> loaders; ///< docker, containerd, podman
    bool cancelled = false;
};

/// The range of loaderRanges() that describes `loader` at `version`; with `containerdStore`, a
/// Docker daemon that keeps its images in containerd. -1 when none does.
int loaderRangeFor(const QString &loader, const QString &version, bool containerdStore = false);

/// Loads the archive at `path` with the loaders found on this machine (QProcess), removing what
/// each loaded, and compares with `predicted` (loaderVerdicts() of the archive). Reports steps
/// through `progress`; cancelling stops the running load, and what it loaded is still removed.
TryLoadersResult tryLoaders(const QString &path, const QList<LoaderVerdict> &predicted,
    const TryLoadersOptions &options, const Progress &progress = {});

/// `check --try-loaders --json`'s "triedLoaders".
QJsonArray triedLoadersJson(const TryLoadersResult &result);
/// "podman 4.3.1: predicted loads, observed loads".
QString triedLoaderLine(const TriedLoader &t);

} // namespace lamina
