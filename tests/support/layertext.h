// SPDX-License-Identifier: MIT
// Layers for tests, from short text descriptions instead of tar files: each description is
// written as a tar in memory (by libarchive, as any producer would) and indexed by the core, so
// merging, findings and preflight are tested on exactly the entries the test spells out.
//
// One entry a line; paths absolute; modes octal; `#` starts a comment:
//     d /etc 0755              a folder
//     f /etc/motd 0644 hello   a file (the rest of the line is its content; none: empty)
//     f /big 0644 size=4096    a file of 4096 zero bytes
//     l /bin/sh busybox        a symbolic link to "busybox"
//     h /bin/ls /bin/busybox   a hard link to an earlier entry
//     p /run/pipe 0620         a named pipe (fifo)
//     w /tmp/gone              a whiteout (.wh.gone)
//     o /var/cache             an opaque folder marker (/var/cache/.wh..wh..opq)
// An owner goes after the mode as uid:gid ("f /x 0644 1000:1000 data").
#pragma once

#include "archive/memberreader.h"
#include "layers/layerindex.h"
#include "layers/mergedtree.h"

#include <QByteArray>
#include <QRegularExpression>
#include <QString>
#include <QStringList>

#include <archive.h>
#include <archive_entry.h>

#include <cstring>
#include <memory>

namespace lamina::test {

/// A reader over bytes in memory.
class BytesReader : public MemberReader
{
public:
    explicit BytesReader(QByteArray bytes)
        : m_bytes(std::move(bytes))
    {
    }
    qint64 read(char *buffer, qint64 max) override
    {
        const qint64 n = std::min<qint64>(max, m_bytes.size() - m_at);
        std::memcpy(buffer, m_bytes.constData() + m_at, size_t(n));
        m_at += n;
        return n;
    }
    QString error() const override { return {}; }

private:
    QByteArray m_bytes;
    qint64 m_at = 0;
};

/// The tar bytes of a layer described as above. Fails the test (empty result) on a line it
/// cannot read.
inline QByteArray layerTar(const QString &description)
{
    QByteArray out;
    out.resize(1 << 22);
    size_t used = 0;
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_open_memory(a, out.data(), size_t(out.size()), &used);
    struct archive_entry *e = archive_entry_new();
    static const QRegularExpression owner(QStringLiteral("^(\\d+):(\\d+)$"));
    for (QString line : description.split(u'\n')) {
        line = line.section(u'#', 0, 0).trimmed();
        if (line.isEmpty())
            continue;
        QStringList words = line.split(u' ', Qt::SkipEmptyParts);
        const QString kind = words.takeFirst();
        QString path = words.value(0).mid(1);
        archive_entry_clear(e);
        archive_entry_set_mtime(e, 1, 0);
        QByteArray data;
        if (kind == u"w" || kind == u"o") {
            const qsizetype slash = path.lastIndexOf(u'/');
            path = kind == u"o" ? QString(path + QStringLiteral("/.wh..wh..opq"))
                                : QString(path.left(slash + 1) + QStringLiteral(".wh.") + path.mid(slash + 1));
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0644);
            archive_entry_set_size(e, 0);
        } else if (kind == u"l") {
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_perm(e, 0777);
            archive_entry_set_symlink_utf8(e, words.value(1).toUtf8().constData());
        } else if (kind == u"h") {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0644);
            archive_entry_set_size(e, 0);
            archive_entry_set_hardlink_utf8(e, words.value(1).mid(1).toUtf8().constData());
        } else if (kind == u"p") {
            bool ok = false;
            archive_entry_set_filetype(e, AE_IFIFO);
            archive_entry_set_perm(e, words.value(1).toUInt(&ok, 8));
        } else if (kind == u"d" || kind == u"f") {
            bool ok = false;
            archive_entry_set_perm(e, words.value(1).toUInt(&ok, 8));
            int rest = 2;
            if (const auto m = owner.match(words.value(2)); m.hasMatch()) {
                archive_entry_set_uid(e, m.captured(1).toUInt());
                archive_entry_set_gid(e, m.captured(2).toUInt());
                rest = 3;
            }
            if (kind == u"d") {
                archive_entry_set_filetype(e, AE_IFDIR);
                path += u'/';
            } else {
                const QString content = words.mid(rest).join(u' ');
                data = content.startsWith(u"size=") ? QByteArray(content.mid(5).toInt(), '\0') : content.toUtf8();
                archive_entry_set_filetype(e, AE_IFREG);
                archive_entry_set_size(e, data.size());
            }
        } else {
            qWarning("layerTar: cannot read \"%s\"", qPrintable(line));
            archive_entry_free(e);
            archive_write_free(a);
            return {};
        }
        archive_entry_set_pathname_utf8(e, path.toUtf8().constData());
        archive_write_header(a, e);
        if (!data.isEmpty())
            archive_write_data(a, data.constData(), size_t(data.size()));
    }
    archive_entry_free(e);
    archive_write_close(a);
    archive_write_free(a);
    out.truncate(qsizetype(used));
    return out;
}

/// The index of a layer described as above.
inline std::shared_ptr<const LayerIndex> layerFromText(const QString &description)
{
    const QByteArray tar = layerTar(description);
    BytesReader reader(tar);
    return indexLayerFromReader(reader, Compression::None, {}, {}, tar.size()).index;
}

/// Layers from descriptions, bottom first, as MergedTree takes them.
inline MergedTree::Layers layersFromText(const QStringList &descriptions)
{
    MergedTree::Layers layers;
    for (const QString &d : descriptions)
        layers << layerFromText(d);
    return layers;
}

} // namespace lamina::test
