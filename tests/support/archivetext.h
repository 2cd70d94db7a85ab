// SPDX-License-Identifier: MIT
// Archives for tests, from a short text description instead of a generated tar: the members are
// written into a folder (an archive Lamina opens like a tar), layers described as in
// layertext.h, so a finding is tested on exactly the metadata a test spells out.
//
//     == manifest.json                  a member: the lines up to the next "==" are its bytes
//     [{"Config":"c.json","Layers":["a/layer.tar"]}]
//     == a/layer.tar layer              a layer: the lines are a layertext.h description
//     f /x 0644 hi
//     == c.json
//     {"rootfs":{"type":"layers","diff_ids":["{diff:a/layer.tar}"]}}
//
// In a member's text, {diff:PATH} becomes "sha256:" and the digest of the member PATH written
// before it (a layer's diff ID), and {hex:PATH} the same digest's 64 hex digits alone.
#pragma once

#include "layertext.h"
#include "util/sha256.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QRegularExpression>

namespace lamina::test {

/// Writes the described members into the folder `dir`. False when one cannot be written.
inline bool writeArchiveFolder(const QString &dir, const QString &description)
{
    QHash<QString, QString> digests; // member path → sha256:<hex>
    QString path;
    bool layer = false;
    QStringList lines;
    auto flush = [&]() {
        if (path.isEmpty())
            return true;
        QString text = lines.join(u'\n');
        static const QRegularExpression ref(QStringLiteral("\\{(diff|hex):([^}]+)\\}"));
        for (auto m = ref.match(text); m.hasMatch(); m = ref.match(text)) {
            const QString digest = digests.value(m.captured(2));
            text.replace(m.capturedStart(), m.capturedLength(), m.captured(1) == u"hex" ? digest.mid(7) : digest);
        }
        const QByteArray bytes = layer ? layerTar(text) : text.trimmed().toUtf8();
        const QString file = dir + u'/' + path;
        QDir().mkpath(QFileInfo(file).absolutePath());
        QFile f(file);
        if (!f.open(QIODevice::WriteOnly) || f.write(bytes) != bytes.size())
            return false;
        digests.insert(path, Sha256::of(bytes));
        return true;
    };
    for (const QString &line : description.split(u'\n')) {
        if (line.startsWith(QStringLiteral("== "))) {
            if (!flush())
                return false;
            const QStringList words = line.mid(3).split(u' ', Qt::SkipEmptyParts);
            path = words.value(0);
            layer = words.value(1) == u"layer";
            lines.clear();
            continue;
        }
        lines << line;
    }
    return flush();
}

} // namespace lamina::test
