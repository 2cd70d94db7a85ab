// SPDX-License-Identifier: MIT
#include "format/inspectreport.h"

#include <QJsonArray>
#include <QLocale>

namespace lamina {

namespace {

QJsonValue orNull(const QString &s)
{
    return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s);
}

QString layerCompressionName(Compression c)
{
    return compressionName(c);
}

QString sourceName(ImageSource s)
{
    switch (s) {
    case ImageSource::Manifest:
        return QStringLiteral("manifest");
    case ImageSource::Oci:
        return QStringLiteral("oci");
    case ImageSource::Legacy:
        return QStringLiteral("legacy");
    }
    return {};
}

QString layoutExplanation(Layout l)
{
    switch (l) {
    case Layout::DockerLegacy:
        return QStringLiteral("legacy files only (repositories + <id>/json), as Docker ≤ 1.9 wrote");
    case Layout::DockerManifest:
        return QStringLiteral("manifest.json without an OCI layout");
    case Layout::DockerOci:
        return QStringLiteral("OCI layout plus manifest.json, as Docker ≥ 25 writes");
    case Layout::OciLayout:
        return QStringLiteral("OCI image layout only");
    case Layout::Unknown:
        break;
    }
    return QStringLiteral("not recognised");
}

} // namespace

QString imageName(const Image &img, int index)
{
    return img.tags.isEmpty() ? QStringLiteral("image %1").arg(index) : img.tags.constFirst();
}

QString shortDigest(const QString &digest)
{
    const qsizetype colon = digest.indexOf(u':');
    return colon < 0 ? digest.left(12) : digest.left(colon + 13);
}

QJsonObject inspectJson(const ImageArchive &ia, const InspectExtras &extras)
{
    QJsonObject root;
    root.insert(QStringLiteral("path"), ia.path);
    if (!ia.origin.isEmpty())
        root.insert(QStringLiteral("origin"), ia.origin);
    const bool dir = ia.archive && ia.archive->container() == Container::Directory;
    root.insert(QStringLiteral("container"), dir ? QStringLiteral("directory") : QStringLiteral("tar"));
    root.insert(QStringLiteral("compression"),
        ia.archive ? compressionName(ia.archive->compression()) : QStringLiteral("none"));
    root.insert(QStringLiteral("layout"), layoutName(ia.layout));
    QJsonArray images;
    for (int i = 0; i < ia.images.size(); ++i) {
        const Image &img = ia.images.at(i);
        QJsonObject o;
        o.insert(QStringLiteral("tags"), QJsonArray::fromStringList(img.tags));
        o.insert(QStringLiteral("platform"), orNull(img.platform.toString()));
        o.insert(QStringLiteral("configDigest"), orNull(img.configDigest));
        o.insert(QStringLiteral("configPath"), orNull(img.configPath));
        o.insert(QStringLiteral("source"), sourceName(img.source));
        QJsonArray layers;
        for (const ImageLayer &l : img.layers) {
            QJsonObject lo;
            lo.insert(QStringLiteral("index"), l.index);
            lo.insert(QStringLiteral("path"), orNull(l.path));
            lo.insert(QStringLiteral("resolvedPath"), orNull(l.resolvedPath));
            lo.insert(QStringLiteral("diffId"), orNull(l.diffId));
            lo.insert(QStringLiteral("digest"), orNull(l.digest));
            lo.insert(QStringLiteral("size"), l.size >= 0 ? QJsonValue(double(l.size)) : QJsonValue(QJsonValue::Null));
            lo.insert(QStringLiteral("mediaType"), orNull(l.mediaType));
            lo.insert(QStringLiteral("compression"), layerCompressionName(l.compression));
            lo.insert(QStringLiteral("legacyId"), orNull(l.legacyId));
            if (!l.error.isEmpty())
                lo.insert(QStringLiteral("error"), l.error);
            if (extras)
                extras(i, l.index, lo);
            layers.append(lo);
        }
        o.insert(QStringLiteral("layers"), layers);
        o.insert(QStringLiteral("legacyChain"), QJsonArray::fromStringList(img.legacyChainIds));
        if (img.legacyChain >= 0) {
            const LegacyChain &c = ia.legacy.chains.at(img.legacyChain);
            if (!c.missingParent.isEmpty())
                o.insert(QStringLiteral("legacyChainMissing"), c.missingParent);
            if (!c.cycleAt.isEmpty())
                o.insert(QStringLiteral("legacyChainCycleAt"), c.cycleAt);
        }
        if (extras)
            extras(i, -1, o);
        images.append(o);
    }
    root.insert(QStringLiteral("images"), images);
    QJsonArray artifacts;
    for (int a : ia.artifacts) {
        const OciManifest &m = ia.oci.manifests.at(a);
        QJsonObject o;
        o.insert(QStringLiteral("digest"), m.descriptor.digest);
        o.insert(QStringLiteral("artifactType"),
            orNull(m.artifactType.isEmpty() ? m.configDescriptor.mediaType : m.artifactType));
        o.insert(QStringLiteral("layers"), int(m.layers.size()));
        artifacts.append(o);
    }
    root.insert(QStringLiteral("artifacts"), artifacts);
    root.insert(QStringLiteral("errors"), QJsonArray::fromStringList(ia.errors));
    return root;
}

namespace {

/// The archive as a whole: its container, layout and views.
QString archiveSummaryText(const ImageArchive &ia)
{
    QString out;
    out += ia.path + u'\n';
    if (!ia.origin.isEmpty())
        out += QStringLiteral("  source:      %1\n").arg(ia.origin);
    if (ia.archive) {
        const bool dir = ia.archive->container() == Container::Directory;
        out += QStringLiteral("  container:   %1%2, %3 members\n")
                   .arg(dir ? QStringLiteral("folder") : QStringLiteral("tar"),
                       dir ? QString()
                           : QStringLiteral(" (%1)").arg(ia.archive->compression() == Compression::None
                                   ? QStringLiteral("uncompressed")
                                   : compressionName(ia.archive->compression()) + QStringLiteral("-compressed")))
                   .arg(ia.archive->members().size());
    }
    out += QStringLiteral("  layout:      %1 — %2%3\n")
               .arg(layoutName(ia.layout), layoutExplanation(ia.layout),
                   ia.archive && ia.archive->directoryTransport()
                       ? QStringLiteral(" (a skopeo dir: folder — manifest.json, blobs by hex digest — read as one)")
                       : QString());
    QStringList views;
    if (ia.legacy.present)
        views << QStringLiteral("legacy chain (%1 layer json%2)")
                     .arg(ia.legacy.layers.size())
                     .arg(ia.legacy.hasRepositories ? QStringLiteral(", repositories") : QString());
    if (ia.manifest.present)
        views << QStringLiteral("manifest.json (%1 entr%2)")
                     .arg(ia.manifest.entries.size())
                     .arg(ia.manifest.entries.size() == 1 ? QStringLiteral("y") : QStringLiteral("ies"));
    if (ia.oci.present)
        views << QStringLiteral("OCI index (%1 manifest%2)")
                     .arg(ia.oci.manifests.size())
                     .arg(ia.oci.manifests.size() == 1 ? QString() : QStringLiteral("s"));
    out += QStringLiteral("  views:       %1\n")
               .arg(views.isEmpty() ? QStringLiteral("none") : views.join(QStringLiteral(", ")));
    out += QStringLiteral("  images:      %1\n").arg(ia.images.size());
    return out;
}

/// The settings of an image's config a reader looks for first.
QString configText(const QJsonObject &cfg)
{
    QString out;
    auto list = [&](const char *key) -> QString {
        const QJsonValue v = cfg.value(QString::fromLatin1(key));
        if (v.isArray()) {
            QStringList parts;
            for (const QJsonValue &x : v.toArray())
                parts << x.toString();
            return QStringLiteral("[") + parts.join(QStringLiteral(", ")) + QStringLiteral("]");
        }
        return v.toString();
    };
    for (const char *key : { "WorkingDir", "Entrypoint", "Cmd", "User" }) {
        const QString v = list(key);
        if (!v.isEmpty() && v != u"[]")
            out += QStringLiteral("  %1 %2\n").arg(QString::fromLatin1(key) + u':', -12).arg(v);
    }
    const QJsonArray env = cfg.value(QStringLiteral("Env")).toArray();
    for (const QJsonValue &e : env)
        out += QStringLiteral("  Env:         %1\n").arg(e.toString());
    return out;
}

QString layerText(const ImageLayer &l)
{
    const QLocale c = QLocale::c();
    QString out = QStringLiteral("    %1  %2  %3 bytes  %4%5\n")
                      .arg(l.index, 3)
                      .arg(l.diffId.isEmpty() ? QStringLiteral("(no diff ID)") : shortDigest(l.diffId), -19)
                      .arg(l.size >= 0 ? c.toString(l.size) : QStringLiteral("?"), 12)
                      .arg(compressionName(l.compression), -7)
                      .arg(l.path.isEmpty() ? QString() : QStringLiteral("  ") + l.path);
    if (!l.resolvedPath.isEmpty() && l.resolvedPath != l.path)
        out += QStringLiteral("         → %1\n").arg(l.resolvedPath);
    if (!l.digest.isEmpty() && l.digest != l.diffId)
        out += QStringLiteral("         blob %1\n").arg(l.digest);
    if (!l.mediaType.isEmpty())
        out += QStringLiteral("         media type %1\n").arg(l.mediaType);
    if (!l.legacyId.isEmpty())
        out += QStringLiteral("         legacy ID %1\n").arg(l.legacyId.left(12));
    if (!l.error.isEmpty())
        out += QStringLiteral("         error: %1\n").arg(l.error);
    return out;
}

/// The legacy chain an image names, and where it breaks.
QString legacyChainText(const ImageArchive &ia, const Image &img)
{
    QStringList shortIds;
    for (const QString &id : img.legacyChainIds)
        shortIds << id.left(12);
    QString out = QStringLiteral("  legacy chain (top → bottom): %1\n")
                      .arg(shortIds.isEmpty() ? QStringLiteral("(empty)") : shortIds.join(QStringLiteral(" → ")));
    const LegacyChain chain = walkLegacyChain(ia.legacy, img.legacyTop);
    if (!chain.missingParent.isEmpty())
        out += QStringLiteral("    ends at %1, which names no layer directory\n").arg(chain.missingParent.left(12));
    if (!chain.cycleAt.isEmpty())
        out += QStringLiteral("    loops back to %1\n").arg(chain.cycleAt.left(12));
    return out;
}

QString imageText(const ImageArchive &ia, int i)
{
    const Image &img = ia.images.at(i);
    QString out = QStringLiteral("\nImage %1: %2\n")
                      .arg(i)
                      .arg(img.tags.isEmpty() ? QStringLiteral("(untagged)") : img.tags.join(QStringLiteral(", ")));
    out += QStringLiteral("  platform:    %1\n")
               .arg(img.platform.isEmpty() ? QStringLiteral("unknown") : img.platform.toString());
    out += QStringLiteral("  described by %1\n").arg(sourceName(img.source));
    if (!img.configDigest.isEmpty())
        out += QStringLiteral("  config:      %1 (%2)\n").arg(img.configDigest, img.configPath);
    if (img.config)
        out += configText(img.config->config);
    out += QStringLiteral("  layers (bottom → top):\n");
    for (const ImageLayer &l : img.layers)
        out += layerText(l);
    if (!img.legacyChainIds.isEmpty() || !img.legacyTop.isEmpty())
        out += legacyChainText(ia, img);
    return out;
}

} // namespace

QString inspectText(const ImageArchive &ia)
{
    QString out = archiveSummaryText(ia);
    for (int i = 0; i < ia.images.size(); ++i)
        out += imageText(ia, i);
    if (!ia.artifacts.isEmpty()) {
        out += QStringLiteral("\nArtifacts (not images):\n");
        for (int a : ia.artifacts) {
            const OciManifest &m = ia.oci.manifests.at(a);
            out += QStringLiteral("  %1  %2\n")
                       .arg(shortDigest(m.descriptor.digest),
                           m.artifactType.isEmpty() ? m.configDescriptor.mediaType : m.artifactType);
        }
    }
    if (!ia.errors.isEmpty()) {
        out += QStringLiteral("\nErrors:\n");
        for (const QString &e : ia.errors)
            out += QStringLiteral("  %1\n").arg(e);
    }
    return out;
}

} // namespace lamina
