// SPDX-License-Identifier: MIT
// A composition pushed to a registry (docs/engines.md, "Pushing"): written as an OCI image layout
// in Lamina's cache, pushed, and the layout let go.
#include "compose/composition.h"

#include <QDir>
#include <QTemporaryDir>

namespace lamina {

QString pushTargetProblem(const QString &output)
{
    const std::optional<RegistryReference> to = parseRegistryReference(output);
    if (!to)
        return QStringLiteral("%1: not a registry reference (registry://HOST[:PORT]/REPO[:TAG])").arg(output);
    if (!to->digest.isEmpty() || !to->platform.isEmpty())
        return QStringLiteral("%1: a push names a tag; the registry computes the digest").arg(output);
    return {};
}

PushedComposition pushComposition(
    const Composition &composition, ExportOptions options, const RegistryReference &to, const Progress &progress)
{
    PushedComposition out;
    std::optional<QTemporaryDir> staging; // removed, with what was pushed, on the way out
    if (QDir().mkpath(registryCacheFolder()))
        staging.emplace(registryCacheFolder() + QStringLiteral("/push-XXXXXX"));
    if (!staging || !staging->isValid()) {
        out.written.error = QStringLiteral("cannot make a folder in %1").arg(registryCacheFolder());
        return out;
    }
    options.format = ExportFormat::OciDir;
    options.compress = Compression::None;
    options.output = staging->filePath(QStringLiteral("image"));
    // One bar for both: the writing is its first half, the sending its second.
    Progress writing = progress;
    writing.report = [&progress](qint64 done, qint64 total) { progress.update(done, total > 0 ? 2 * total : 0); };
    out.written = exportComposition(composition, options, writing);
    if (!out.written.ok() || progress.cancelled())
        return out;
    out.pushTried = true;
    Progress sending = progress;
    sending.report
        = [&progress](qint64 done, qint64 total) { progress.update(total + done, total > 0 ? 2 * total : 0); };
    // Blobs of the base's repository on the same registry are mounted rather than sent.
    const std::optional<RegistryReference> base = parseRegistryReference(composition.basePath);
    const QString mountFrom = base && base->host == to.host ? base->repository : QString();
    out.pushed = pushToRegistry(options.output, to, mountFrom, options.registry, sending);
    return out;
}

} // namespace lamina
