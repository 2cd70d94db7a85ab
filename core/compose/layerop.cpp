// SPDX-License-Identifier: MIT
#include "compose/layerop.h"

#include <QStringList>

namespace lamina {

std::optional<quint32> defaultMode(LayerOp::Kind kind)
{
    switch (kind) {
    case LayerOp::Mkdir:
        return 0755;
    case LayerOp::Symlink:
        return 0777;
    case LayerOp::WriteText:
        return 0644;
    case LayerOp::AddHost:
    case LayerOp::Delete:
    case LayerOp::Opaque:
        break;
    }
    return std::nullopt;
}

std::optional<quint32> parseMode(const QString &text)
{
    const QString t = text.trimmed();
    bool ok = false;
    const quint32 mode = t.toUInt(&ok, 8);
    if (ok && !t.isEmpty() && mode <= 07777)
        return mode;
    if (t.size() != 9)
        return std::nullopt;
    quint32 m = 0;
    for (int cls = 0; cls < 3; ++cls) {
        const QString part = t.mid(cls * 3, 3);
        const int shift = (2 - cls) * 3;
        if (part.at(0) == u'r')
            m |= 4u << shift;
        else if (part.at(0) != u'-')
            return std::nullopt;
        if (part.at(1) == u'w')
            m |= 2u << shift;
        else if (part.at(1) != u'-')
            return std::nullopt;
        const QChar x = part.at(2);
        const QChar special = cls == 2 ? u't' : u's';
        if (x == u'x' || x == special)
            m |= 1u << shift;
        if (x == special || x == special.toUpper())
            m |= cls == 0 ? 04000u : cls == 1 ? 02000u : 01000u;
        else if (x != u'x' && x != u'-')
            return std::nullopt;
    }
    return m;
}

QString normaliseImagePath(const QString &path, QString *error)
{
    QStringList out;
    for (const QString &part : path.split(u'/', Qt::SkipEmptyParts)) {
        if (part == u".")
            continue;
        if (part == u"..") {
            if (out.isEmpty()) {
                *error = QStringLiteral("the image path \"%1\" climbs out of the root").arg(path);
                return {};
            }
            out.removeLast();
            continue;
        }
        out.append(part);
    }
    return out.join(u'/');
}

} // namespace lamina
