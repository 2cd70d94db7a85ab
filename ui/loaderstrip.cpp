// SPDX-License-Identifier: MIT
#include "loaderstrip.h"
#include "common/tones.h"

#include <QEvent>
#include <QHelpEvent>
#include <QToolTip>

namespace lamina {

namespace {
constexpr int kTryLink = -2; ///< m_hovered: the "Try loaders…" link
}

LoaderStrip::LoaderStrip(QWidget *parent)
    : QLabel(parent)
{
    setObjectName(QStringLiteral("loaderStrip"));
    setWordWrap(true);
    setTextFormat(Qt::RichText);
    setTextInteractionFlags(Qt::LinksAccessibleByMouse | Qt::LinksAccessibleByKeyboard);
    setContentsMargins(2, 2, 2, 2);
    connect(this, &QLabel::linkActivated, this, [this](const QString &link) {
        if (link == u"try") {
            Q_EMIT tryRequested();
            return;
        }
        const int range = link.section(u':', 1).toInt();
        select(range == m_selected ? -1 : range);
    });
    // A QLabel has one tooltip; each entry names its own source (event() shows it).
    connect(this, &QLabel::linkHovered, this, [this](const QString &link) {
        m_hovered = link.isEmpty() ? -1 : link == u"try" ? kTryLink : link.section(u':', 1).toInt();
        if (m_hovered < 0)
            QToolTip::hideText();
    });
    render();
}

void LoaderStrip::setVerdicts(const QList<LoaderVerdict> &verdicts, bool ofFolder)
{
    m_verdicts = verdicts;
    m_ofFolder = ofFolder;
    m_observed.clear();
    const bool had = m_selected >= 0;
    m_selected = -1;
    render();
    if (had)
        Q_EMIT rangeSelected(-1);
}

void LoaderStrip::setObserved(int range, const QString &observed, bool matches)
{
    if (observed.isEmpty())
        m_observed.remove(range);
    else
        m_observed.insert(range, { observed, matches });
    render();
}

void LoaderStrip::clearObserved()
{
    m_observed.clear();
    render();
}

void LoaderStrip::select(int range)
{
    if (range < -1 || range >= m_verdicts.size())
        range = -1;
    m_selected = range;
    render();
    Q_EMIT rangeSelected(range);
}

QString LoaderStrip::entryText(int range) const
{
    if (range < 0 || range >= m_verdicts.size())
        return {};
    const LoaderVerdict &v = m_verdicts.at(range);
    QString text = loaderRanges().at(v.range).label + QStringLiteral(": ") + verdictName(v.verdict).replace(u'-', u' ');
    if (!v.because.isEmpty())
        text += QStringLiteral(" (%1)").arg(v.because.join(QStringLiteral(", ")));
    if (m_observed.contains(range))
        text += QStringLiteral(" — observed: ") + m_observed.value(range).first;
    return text;
}

QString LoaderStrip::entryToolTip(int range) const
{
    if (range < 0 || range >= m_verdicts.size())
        return {};
    const LoaderVerdict &v = m_verdicts.at(range);
    const LoaderRange &r = loaderRanges().at(v.range);
    QString tip = r.observed ? tr("Checked against the real loader by the tests here (docs/loaders.md).")
                             : tr("Not run here: predicted from the loader's source.");
    tip += QStringLiteral("\n") + tr("Source: %1").arg(r.source);
    if (!v.message.isEmpty())
        tip += QStringLiteral("\n") + tr("It prints: %1").arg(v.message);
    return tip;
}

bool LoaderStrip::event(QEvent *event)
{
    if (event->type() == QEvent::ToolTip) {
        const auto *help = static_cast<QHelpEvent *>(event);
        const QString tip = m_hovered >= 0 ? entryToolTip(m_hovered)
            : m_hovered == kTryLink
            ? tr("Load this archive with the loaders of this machine and show what each did (File ▸ Try Loaders)")
            : m_ofFolder ? tr("What each loader does with a tar of this folder's contents (docker load and ctr "
                              "import read archives only): select one to see why")
                         : tr("What each loader does with this archive: select one to see why");
        QToolTip::showText(help->globalPos(), tip, this);
        return true;
    }
    return QLabel::event(event);
}

void LoaderStrip::changeEvent(QEvent *event)
{
    QLabel::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        render();
}

void LoaderStrip::render()
{
    if (m_verdicts.isEmpty()) {
        setText(QString());
        hide();
        return;
    }
    // Colours that read on the palette's window colour, light or dark.
    const auto colour = [this](Verdict v, bool mismatch) {
        // A loader that did something else than predicted is shown as loudly as a refusal.
        switch (mismatch ? Verdict::Refuses : v) {
        case Verdict::Refuses:
            return toneColor(Tone::Error, palette()).name();
        case Verdict::LoadsDifferently:
            return toneColor(Tone::Warning, palette()).name();
        case Verdict::Loads:
            break;
        }
        return toneColor(Tone::Success, palette()).name();
    };
    const QString highlight = palette().color(QPalette::Highlight).name();
    const QString highlighted = palette().color(QPalette::HighlightedText).name();
    QStringList entries;
    for (int i = 0; i < m_verdicts.size(); ++i) {
        const LoaderVerdict &v = m_verdicts.at(i);
        const bool mismatch = m_observed.contains(i) && !m_observed.value(i).second;
        const QString style = i == m_selected
            ? QStringLiteral("color:%1; background-color:%2; text-decoration:none;").arg(highlighted, highlight)
            : QStringLiteral("color:%1; text-decoration:none;").arg(colour(v.verdict, mismatch));
        // Non-breaking spaces keep an entry on one line; the strip wraps between entries.
        QString text = entryText(i).toHtmlEscaped();
        text.replace(u' ', QChar(0xa0));
        text.replace(QChar(0x2013), QStringLiteral("\u2060\u2013\u2060")); // nor after the dash of "1.6–1.7"
        entries << QStringLiteral("<a href=\"range:%1\" style=\"%2\">%3%4%5</a>")
                       .arg(i)
                       .arg(style, v.verdict == Verdict::Loads && !mismatch ? QString() : QStringLiteral("<b>"), text,
                           v.verdict == Verdict::Loads && !mismatch ? QString() : QStringLiteral("</b>"));
    }
    const QString caption = m_ofFolder ? tr("Loaders, given a tar of the folder:") : tr("Loaders:");
    setText(QStringLiteral("<b>%1</b>&nbsp; ").arg(caption.toHtmlEscaped().replace(u' ', QStringLiteral("&nbsp;")))
        + entries.join(QStringLiteral(" &nbsp;·&nbsp; "))
        + QStringLiteral(" &nbsp;&nbsp; <a href=\"try\">%1</a>")
              .arg(tr("Try loaders…").toHtmlEscaped().replace(u' ', QStringLiteral("&nbsp;"))));
    show();
}

} // namespace lamina
