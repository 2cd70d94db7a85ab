// SPDX-License-Identifier: MIT
#include "archiveheader.h"
#include "common/tones.h"

#include <QFileInfo>
#include <QLabel>
#include <QVBoxLayout>

namespace lamina {

ArchiveHeader::ArchiveHeader(QWidget *parent)
    : QWidget(parent)
{
    m_banner = new QLabel;
    m_banner->setObjectName(QStringLiteral("banner"));
    m_banner->setWordWrap(true);
    m_banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_banner->setStyleSheet(errorBannerStyle());
    m_banner->hide();
    m_summary = new QLabel; // the welcome page says how to open one
    m_summary->hide();
    m_summary->setObjectName(QStringLiteral("summary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_banner);
    layout->addWidget(m_summary);
}

QString ArchiveHeader::summary() const
{
    return m_summary->text();
}

void ArchiveHeader::setArchive(const ImageArchive &ia, const QList<Finding> &findings)
{
    QString container = tr("folder");
    if (ia.archive && ia.archive->container() == Container::Tar) {
        container = ia.archive->compression() == Compression::None
            ? tr("uncompressed tar")
            : tr("%1-compressed tar").arg(compressionName(ia.archive->compression()));
    }
    if (!ia.origin.isEmpty())
        container += u", " + ia.origin; // an engine's image: where it came from
    int errors = 0, warnings = 0;
    for (const Finding &f : findings) {
        errors += f.severity == Severity::Error ? 1 : 0;
        warnings += f.severity == Severity::Warning ? 1 : 0;
    }
    m_summary->show();
    m_summary->setText(
        tr("<b>%1</b> — %2, layout <b>%3</b>, %n image(s); %4 error(s), %5 warning(s)", nullptr, int(ia.images.size()))
            .arg(shownName(ia.path).toHtmlEscaped(), container, layoutName(ia.layout))
            .arg(errors)
            .arg(warnings));
    if (ia.errors.isEmpty()) {
        m_banner->hide();
        return;
    }
    // Inline, not modal: what could be read stays visible below.
    m_banner->setText(tr("Some of this archive could not be read:") + QStringLiteral("<br>")
        + ia.errors.mid(0, 5)
              .join(QStringLiteral("<br>"))
              .toHtmlEscaped()
              .replace(QStringLiteral("&lt;br&gt;"), QStringLiteral("<br>")));
    m_banner->show();
}

void ArchiveHeader::showOpenFailed(const QString &path, const QString &why, const QString &shown)
{
    // The reason names the file already; the banner names it once, in bold.
    QString reason = why;
    const QStringList prefixes { path + QStringLiteral(": "), QFileInfo(path).fileName() + QStringLiteral(": ") };
    for (const QString &prefix : prefixes)
        if (reason.startsWith(prefix))
            reason = reason.mid(prefix.size());
    QString text = tr("<b>%1</b> could not be opened: %2").arg(shownName(path).toHtmlEscaped(), reason.toHtmlEscaped());
    if (!shown.isEmpty())
        text += QStringLiteral("<br>") + tr("Still shown: %1.").arg(QFileInfo(shown).fileName().toHtmlEscaped());
    m_banner->setText(text);
    m_banner->show();
}

} // namespace lamina
