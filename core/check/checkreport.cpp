// SPDX-License-Identifier: MIT
#include "check/checkreport.h"
#include "check/loaders.h"

namespace lamina {

QJsonObject findingJson(const Finding &f)
{
    QJsonObject o;
    o.insert(QStringLiteral("code"), f.code);
    o.insert(QStringLiteral("severity"), severityName(f.severity));
    o.insert(QStringLiteral("message"), f.message);
    o.insert(QStringLiteral("explanation"), f.explanation);
    o.insert(QStringLiteral("image"), f.image >= 0 ? QJsonValue(f.image) : QJsonValue(QJsonValue::Null));
    QJsonArray layers;
    for (int l : f.layers)
        layers.append(l);
    o.insert(QStringLiteral("layers"), layers);
    o.insert(QStringLiteral("members"), QJsonArray::fromStringList(f.members));
    QJsonObject loaders;
    loaders.insert(QStringLiteral("docker-classic"), f.loaders.dockerClassic);
    loaders.insert(QStringLiteral("containerd"), f.loaders.containerd);
    loaders.insert(QStringLiteral("podman"), f.loaders.podman);
    loaders.insert(QStringLiteral("ggcr"), f.loaders.ggcr);
    o.insert(QStringLiteral("loaders"), loaders);
    return o;
}

QJsonArray findingsJson(const QList<Finding> &findings)
{
    QJsonArray a;
    for (const Finding &f : findings)
        a.append(findingJson(f));
    return a;
}

static QString indent(const QString &text, const QString &prefix)
{
    QStringList lines = text.split(u'\n');
    for (QString &l : lines)
        l = l.isEmpty() ? l : prefix + l;
    return lines.join(u'\n');
}

QString checkText(const ImageArchive &ia, const QList<Finding> &findings, bool explain)
{
    QString out = ia.path + u'\n';
    int counts[3] = { 0, 0, 0 };
    for (const Finding &f : findings)
        ++counts[int(f.severity)];
    if (ia.archive && ia.archive->container() == Container::Directory)
        out += QStringLiteral("  A folder: what each loader does with a tar of its contents (docker load and ctr "
                              "import read archives only)\n");
    if (ia.archive)
        for (const LoaderVerdict &v : loaderVerdicts(ia, findings))
            out += QStringLiteral("  %1\n").arg(loaderVerdictLine(v));
    out += QStringLiteral("  %1 image(s), %2 error(s), %3 warning(s), %4 note(s)\n")
               .arg(ia.images.size())
               .arg(counts[0])
               .arg(counts[1])
               .arg(counts[2]);
    for (const Finding &f : findings) {
        out += QStringLiteral("\n%1 %2: %3\n").arg(severityName(f.severity).toUpper(), f.code, f.message);
        if (!explain)
            continue;
        out += QStringLiteral("  %1\n").arg(codeInfo(f.code).title);
        out += indent(f.explanation, QStringLiteral("  ")) + u'\n';
        out += QStringLiteral("  Docker ≤ 28 (classic store): %1\n").arg(f.loaders.dockerClassic);
        out += QStringLiteral("  Docker 29 / containerd:      %1\n").arg(f.loaders.containerd);
        out += QStringLiteral("  podman / skopeo:             %1\n").arg(f.loaders.podman);
        out += QStringLiteral("  go-containerregistry:        %1\n").arg(f.loaders.ggcr);
        if (!f.members.isEmpty())
            out += QStringLiteral("  members: %1\n").arg(f.members.join(QStringLiteral(", ")));
    }
    if (!ia.errors.isEmpty()) {
        out += QStringLiteral("\nCould not read:\n");
        for (const QString &e : ia.errors)
            out += QStringLiteral("  %1\n").arg(e);
    }
    return out;
}

int checkExitCode(const ImageArchive &ia, const QList<Finding> &findings)
{
    if (!ia.ok())
        return 2;
    for (const Finding &f : findings)
        if (f.severity == Severity::Error)
            return 1;
    return 0;
}

} // namespace lamina
