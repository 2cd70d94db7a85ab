// SPDX-License-Identifier: MIT
#include "tour.h"
#include "common/sizetext.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QTextBrowser>
#include <QVBoxLayout>

#include <algorithm>

namespace lamina {

Tour::Tour(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("tour"));
    m_where = new QLabel;
    m_text = new QTextBrowser;
    m_text->setObjectName(QStringLiteral("tourText"));
    m_text->setOpenExternalLinks(false);
    m_back = new QPushButton(tr("‹ Back"));
    m_back->setObjectName(QStringLiteral("tourBack"));
    m_next = new QPushButton(tr("Next ›"));
    m_next->setObjectName(QStringLiteral("tourNext"));
    m_next->setDefault(true);
    auto *close = new QPushButton(tr("Close"));
    connect(m_back, &QPushButton::clicked, this, [this] { go(m_step - 1); });
    connect(m_next, &QPushButton::clicked, this, [this] { go(m_step + 1); });
    connect(close, &QPushButton::clicked, this, &Tour::closeRequested);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_where, 1);
    buttons->addWidget(m_back);
    buttons->addWidget(m_next);
    buttons->addWidget(close);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(m_text, 1);
    layout->addLayout(buttons);
}

void Tour::start(const ImageArchive &archive)
{
    m_name = shownName(archive.path);
    m_hasManifest = archive.manifest.present;
    m_hasIndex = archive.layout == Layout::DockerOci || archive.layout == Layout::OciLayout;
    m_hasLegacy = archive.legacy.present;
    m_rows = archive.archive ? memberRows(archive) : QList<MemberRow>();
    go(0);
}

void Tour::go(int step)
{
    m_step = std::clamp(step, 0, steps() - 1);
    m_back->setEnabled(m_step > 0);
    m_next->setEnabled(m_step < steps() - 1);
    m_where->setText(tr("Step %1 of %2").arg(m_step + 1).arg(steps()));
    if (m_step == 0) {
        m_text->setHtml(introHtml());
    } else if (m_step <= m_rows.size()) {
        const MemberRow &row = m_rows.at(m_step - 1);
        m_text->setHtml(memberHtml(row));
        Q_EMIT memberReached(row.member);
    } else {
        m_text->setHtml(endHtml());
        Q_EMIT viewsReached();
    }
}

QString Tour::introHtml() const
{
    QStringList views;
    if (m_hasLegacy)
        views << tr("the <b>legacy chain</b> (L): one folder per layer, each naming its parent");
    if (m_hasManifest)
        views << tr("the <b>manifest</b> (M): <code>manifest.json</code> and the image config it names");
    if (m_hasIndex)
        views << tr("the <b>OCI layout</b> (O): <code>index.json</code>, manifests and blobs named by digest");
    return tr("<h3>How images are stored: %1</h3>"
              "<p>An image archive is an ordinary tar file, here of %3 members. Some of them are layers: tars of "
              "files, each adding to or removing from the one below. The rest describe how the layers stack "
              "up, and an archive can describe that more than once. This one has %2.</p>"
              "<p>Loaders read different descriptions, so when they disagree, Docker, podman and containerd "
              "load different images from the same file. <b>Next</b> walks through the members in the order "
              "they are stored; each is selected in the <i>Archive map</i>, which shows its content.</p>")
        .arg(m_name.toHtmlEscaped(),
            views.isEmpty() ? tr("no description a loader can read")
                : views.size() == 1
                ? tr("one description: %1").arg(views.constFirst())
                : tr("%1 descriptions: %2").arg(views.size()).arg(QLocale().createSeparatedList(views)))
        .arg(m_rows.size());
}

QString Tour::memberHtml(const MemberRow &row) const
{
    QString html = QStringLiteral("<h3><code>%1</code></h3><p><b>%2</b>")
                       .arg(row.path.toHtmlEscaped(), memberRoleName(row.role).toHtmlEscaped());
    const QString readers = memberReadersName(row.readers);
    html += readers.isEmpty() ? tr(", read by no loader.") : tr(", read by %1.").arg(readers.toHtmlEscaped());
    html += QStringLiteral(" %1</p>").arg(tr("%1 stored.").arg(sizeText(row.size)));
    if (row.link)
        html += QStringLiteral("<p>%1</p>")
                    .arg((row.linkTarget.isEmpty()
                            ? tr("A link that leads nowhere: %1").arg(row.linkError)
                            : tr("A link to %1: the loaders read that member's bytes.").arg(row.linkTarget))
                             .toHtmlEscaped());
    html += QStringLiteral("<p>%1</p>").arg(roleText(row.role));
    return html;
}

QString Tour::endHtml() const
{
    return tr("<h3>The views side by side</h3>"
              "<p>The <i>Chain ⇄ manifest</i> tab draws each description of the layers as a column: the legacy "
              "chain as a graph of parents, the manifest's layers in order, the OCI manifest's blobs. Lines join "
              "the same layer across columns; a red one marks where they disagree.</p>"
              "<p>Below, <i>Loaders and findings</i> lists every disagreement Lamina found, and what each loader "
              "does with this archive. Select a finding to read what it means; select a loader to see which "
              "findings decide its verdict. docs/formats.md §5 is the whole catalogue.</p>");
}

QString Tour::roleText(MemberRole role)
{
    switch (role) {
    case MemberRole::ManifestList:
        return tr("The manifest (view M), written since Docker 1.10: a JSON array with one entry per image, giving "
                  "its config file (<code>Config</code>), its tags (<code>RepoTags</code>) and its layer files "
                  "bottom first (<code>Layers</code>). Docker's classic store, podman, skopeo and "
                  "go-containerregistry start here.");
    case MemberRole::OciIndex:
        return tr("The OCI image index (view O): the entry point of an OCI layout. Each of its "
                  "<code>manifests</code> names a manifest blob by digest, with the tag in the annotation "
                  "<code>org.opencontainers.image.ref.name</code> and, for several platforms, the platform. "
                  "containerd (and Docker 29) start here whenever <code>oci-layout</code> is present.");
    case MemberRole::OciLayoutMarker:
        return tr("The marker of an OCI layout: <code>{\"imageLayoutVersion\": \"1.0.0\"}</code>. Its presence is "
                  "what makes containerd read <code>index.json</code> instead of <code>manifest.json</code>.");
    case MemberRole::LegacyTags:
        return tr("The legacy tags (view L): <code>{\"name\": {\"tag\": \"top layer ID\"}}</code>. Each tag names "
                  "the top folder of a chain; the chain goes down through each folder's <code>parent</code>. "
                  "Docker reads it only when there is no <code>manifest.json</code>.");
    case MemberRole::ImageConfig:
        return tr("The image config: the platform, what runs (<code>Cmd</code>, <code>Entrypoint</code>, "
                  "<code>Env</code>, <code>WorkingDir</code>…), the build history, and "
                  "<code>rootfs.diff_ids</code>, the SHA-256 of each layer's uncompressed tar, bottom first. Its "
                  "own SHA-256 is the image ID: change one byte of it and the image is another.");
    case MemberRole::Layer:
        return tr("A layer, as <code>manifest.json</code> names it: a tar of the files this layer adds or "
                  "changes, with whiteout files (<code>.wh.NAME</code>) for what it removes. The loaders check "
                  "its SHA-256 (uncompressed) against the config's diff ID at the same position.");
    case MemberRole::OciManifest:
        return tr("An OCI image manifest, stored as a blob named by its own digest: a descriptor of the config "
                  "and one per layer, each with media type, digest and size. The digest of a layer here is that "
                  "of its stored bytes, compressed or not; the config's diff ID is that of the uncompressed tar.");
    case MemberRole::ArtifactManifest:
        return tr("A manifest that is not an image: a signature, an SBOM or an attestation stored beside the "
                  "image. It is not an image: Lamina lists it greyed under the images.");
    case MemberRole::LayerBlob:
        return tr("A layer stored as an OCI blob, named <code>blobs/sha256/DIGEST</code> after the SHA-256 of its "
                  "bytes as stored (often gzip-compressed). A manifest names it by that digest.");
    case MemberRole::NestedIndex:
        return tr("An index named by another index: typically one image for several platforms, with a manifest "
                  "per platform. A loader picks the manifest that matches its machine.");
    case MemberRole::LegacyLayerJson:
        return tr("A legacy layer description (view L): the layer's ID, its <code>parent</code> (the layer below) "
                  "and, in the top layer, a copy of the image config. Following <code>parent</code> from the "
                  "tagged top gives the legacy chain, which must tell the same stack as the manifest.");
    case MemberRole::LegacyVersion:
        return tr("The legacy format's version, <code>1.0</code>, one per layer folder.");
    case MemberRole::LegacyLayerTar:
        return tr("A layer's tar in its legacy folder, named by the v1 layer ID (not a digest of its bytes). Since "
                  "Docker 1.10, <code>manifest.json</code> names these same files, so both views share them.");
    case MemberRole::UnreferencedBlob:
        return tr("A blob that nothing read names: left over, or named only by something Lamina could not read. "
                  "Loaders ignore it; it only makes the archive bigger.");
    case MemberRole::Unknown:
        break;
    }
    return tr("A file no format describes. Loaders ignore it.");
}

} // namespace lamina
