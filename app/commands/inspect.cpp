// SPDX-License-Identifier: MIT
// `lamina inspect`: the images, layers, sizes and views of an archive.
#include "command.h"

#include "check/inspection.h"
#include "layers/streamedlayers.h"

#include <QJsonDocument>

namespace lamina::cli {

int inspect(const QStringList &args, QTextStream &out, QTextStream &err)
{
    bool json = false;
    bool verify = false;
    RegistryOptions registry;
    QString path;
    for (const QString &a : args) {
        if (a == u"--json")
            json = true;
        else if (a == u"--verify")
            verify = true;
        else if (a == u"--insecure")
            registry.insecure = true;
        else if (a.startsWith(u"--"))
            return usage(err, QStringLiteral("inspect: unknown option %1").arg(a));
        else if (path.isEmpty())
            path = a;
        else
            return usage(err, QStringLiteral("inspect: one PATH only"));
    }
    if (path.isEmpty())
        return usage(err, QStringLiteral("inspect: PATH is missing"));
    // Compressed as a whole, the archive is read once: its layers are indexed as it is opened.
    StreamedLayers streamed(inspectionOptions(verify));
    const ImageArchive ia = openImageArchive(path, {}, registry, streamed.tap());
    const Inspection in = inspectLayers(ia, verify, {}, streamed.indexed());
    if (json)
        out << QString::fromUtf8(QJsonDocument(inspectionJson(ia, in)).toJson(QJsonDocument::Indented));
    else
        out << inspectionText(ia, in);
    out.flush();
    if (!json && !ia.ok())
        err << "lamina: no image could be read from " << path << '\n';
    if (!ia.ok())
        return 2;
    for (const Finding &f : in.verification)
        if (f.severity == Severity::Error)
            return 1;
    return 0;
}

} // namespace lamina::cli
