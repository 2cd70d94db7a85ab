// SPDX-License-Identifier: MIT
// The index of a layer tar from its headers (docs/formats.md §6.1): entries, whiteouts, opaque folders,
// and what a loader refuses or reads another way.
#include "layers/indexbuilder_p.h"

#include "util/checkedsize.h"
#include "util/limits.h"

#include <QtEndian>

#include <cstring>
#include <vector>

#include <archive.h>
#include <archive_entry.h>

namespace lamina {

quint32 IndexBuilder::intern(QByteArrayView s)
{
    // Names are appended, not deduplicated: most file names in a layer are unique, and
    // hashing every one cost more than the bytes it would save.
    const quint32 offset = quint32(m_pool.size());
    m_pool.append(s.data(), s.size());
    return offset;
}

int IndexBuilder::folder(QByteArrayView path)
{
    if (path.isEmpty())
        return -1;
    // Tars list a folder's entries together: the last folder looked up is usually the next.
    if (m_lastFolder >= 0 && path == QByteArrayView(m_lastFolderPath.data(), qsizetype(m_lastFolderPath.size()))
        && m_index.m_entries.at(m_lastFolder).type == EntryType::Directory)
        return m_lastFolder;
    m_lastFolderPath.assign(path.data(), size_t(path.size())); // no allocation once big enough
    m_lastFolder = folderUncached(path);
    return m_lastFolder;
}

int IndexBuilder::folderUncached(QByteArrayView path)
{
    if (path.isEmpty())
        return -1;
    if (const int existing = findFolder(path); existing >= 0) {
        LayerEntry &e = m_index.m_entries[existing];
        if (e.type != EntryType::Directory) {
            // A file used as a folder later in the same layer: the folder replaces it.
            e.type = EntryType::Directory;
            e.size = 0;
        }
        return existing;
    }
    const qsizetype slash = path.lastIndexOf('/');
    LayerEntry e;
    e.parent = folderUncached(slash < 0 ? QByteArrayView() : path.first(slash));
    const QByteArrayView name = slash < 0 ? path : path.sliced(slash + 1);
    e.nameOffset = intern(name);
    e.nameLength = quint16(name.size());
    e.type = EntryType::Directory;
    e.flags = LayerEntry::Implicit;
    e.mode = 0755;
    m_index.m_entries.append(e);
    const int index = int(m_index.m_entries.size() - 1);
    rememberFolder(path, index);
    return index;
}

void IndexBuilder::add(struct archive_entry *ae, int header, qint64 dataOffset, bool oldGnuSparse)
{
    m_lastFile = {};
    QByteArrayView path, dir, name;
    if (!splitPath(ae, path, dir, name))
        return;

    LayerEntry e;
    e.header = header;
    e.mode = quint16(archive_entry_perm(ae) & 07777);
    e.uid = quint32(archive_entry_uid(ae));
    e.gid = quint32(archive_entry_gid(ae));
    e.mtime = archive_entry_mtime(ae);
    const QList<std::pair<QByteArray, QByteArray>> xattrs = readXattrs(ae, e);
    QByteArray link;
    if (name.startsWith(".wh.")) {
        if (!readWhiteout(path, dir, name, e))
            return;
    } else if (const char *hard = archive_entry_hardlink(ae)) {
        if (!readHardlink(ae, hard, path, e, link))
            return;
    } else if (!readOtherType(ae, dataOffset, oldGnuSparse, path, e, link)) {
        return;
    }
    e.parent = folder(dir);
    e.nameOffset = intern(name);
    e.nameLength = quint16(name.size());
    if (!link.isEmpty()) {
        e.linkOffset = intern(link);
        e.linkLength = quint16(link.size());
    }
    if (e.type == EntryType::File) {
        ++m_index.fileCount;
        m_index.fileBytes = addSizes(m_index.fileBytes, e.size);
    }
    if (e.type == EntryType::Directory && replaceFolder(path, e, xattrs))
        return;
    m_index.m_entries.append(e);
    if (e.type == EntryType::File)
        m_lastFile = path;
    if (!xattrs.isEmpty())
        m_index.m_xattrs.insert(qint32(m_index.m_entries.size() - 1), xattrs);
    // Only folders need finding by path while indexing; other duplicates show up as equal
    // neighbours once children are sorted (finish()).
    if (e.type == EntryType::Directory)
        rememberFolder(path, int(m_index.m_entries.size() - 1));
}

void IndexBuilder::finish()
{
    if (m_aufs)
        m_index.problems.append(
            QStringLiteral("%1 AUFS metadata entries (.wh..wh.*) skipped, as Docker does").arg(m_aufs));
    if (m_rootOpaque)
        m_index.problems.append(
            QStringLiteral("an opaque whiteout at the root (.wh..wh..opq) hides every lower layer"));
    m_folders = {};
    m_folderKeys = std::string();
    m_index.m_pool = std::exchange(m_pool, QByteArray());
    m_index.m_pool.squeeze();
    buildChildTable();
    sortChildrenByName();
    dropShadowedCopies();
    checkHardlinks();
    // The entries' room to grow is not squeezed out: QList::squeeze copies the whole array into a
    // new block, first-touching it page by page (a quarter of the page faults of indexing
    // many.tar), while the room left past the last entry was never written, so it takes address
    // space but no memory (a big array is a mapping of its own: M_MMAP_THRESHOLD in main.cpp).
}

/// The entry's path, cleaned up, and its folder and name; false when the entry is skipped.
bool IndexBuilder::splitPath(struct archive_entry *ae, QByteArrayView &path, QByteArrayView &dir, QByteArrayView &name)
{
    // The raw name first: converting every name to UTF-8 through the locale costs more than
    // the rest of indexing; PAX names that cannot be given raw come as UTF-8. Names are
    // looked at in place: no allocation per entry unless a name needs cleaning up.
    const char *raw = archive_entry_pathname(ae);
    if (!raw)
        raw = archive_entry_pathname_utf8(ae);
    const QByteArrayView stored = raw ? QByteArrayView(raw, qsizetype(strlen(raw))) : QByteArrayView();
    if (stored.size() > limits::kMaxPathLength) {
        m_index.problems.append(QStringLiteral("\"%1…\": a path of %2 bytes; skipped%3")
                                    .arg(QString::fromUtf8(stored.first(80)))
                                    .arg(stored.size())
                                    .arg(limits::note("kMaxPathLength", limits::kMaxPathLength)));
        return false;
    }
    path = normaliseView(stored, &m_scratch);
    if (path.isNull()) {
        m_index.problems.append(QStringLiteral("\"%1\": the path climbs out of the layer (\"..\"); skipped")
                                    .arg(QString::fromUtf8(stored)));
        return false;
    }
    if (path.isEmpty())
        return false; // the root folder itself
    const qsizetype slash = path.lastIndexOf('/');
    dir = slash < 0 ? QByteArrayView("") : path.first(slash);
    name = slash < 0 ? path : path.sliced(slash + 1);
    if (name.size() > 0xffff) {
        m_index.problems.append(
            QStringLiteral("\"%1…\": a name longer than 65535 bytes; skipped").arg(QString::fromUtf8(name.first(80))));
        return false;
    }
    return true;
}

QList<std::pair<QByteArray, QByteArray>> IndexBuilder::readXattrs(struct archive_entry *ae, LayerEntry &e)
{
    QList<std::pair<QByteArray, QByteArray>> xattrs;
    if (archive_entry_xattr_reset(ae) > 0) {
        const char *key = nullptr;
        const void *value = nullptr;
        size_t size = 0;
        while (archive_entry_xattr_next(ae, &key, &value, &size) == ARCHIVE_OK)
            xattrs.append({ QByteArray(key), QByteArray(static_cast<const char *>(value), qsizetype(size)) });
        e.flags |= LayerEntry::HasXattrs;
    }
    return xattrs;
}

/// A `.wh.` name: the whiteout's target in `name` and `e`; false when nothing is added for it.
bool IndexBuilder::readWhiteout(QByteArrayView path, QByteArrayView dir, QByteArrayView &name, LayerEntry &e)
{
    if (name == ".wh..wh..opq") {
        const int f = folder(dir);
        if (f >= 0)
            m_index.m_entries[f].flags |= LayerEntry::Opaque;
        else
            m_rootOpaque = true;
        return false;
    }
    if (name.startsWith(".wh..wh.")) {
        ++m_aufs; // AUFS metadata (.wh..wh.plnk, .wh..wh.aufs): Docker skips it too
        return false;
    }
    name = name.sliced(4);
    if (name.isEmpty()) {
        m_index.problems.append(
            QStringLiteral("\"%1\": a whiteout that names nothing; ignored").arg(QString::fromUtf8(path)));
        return false;
    }
    if (name == "." || name == "..") {
        // moby pkg/archive/diff.go UnpackLayer removes filepath.Join(dir, name): ".wh.."
        // removes the folder holding it, ".wh..." the folder above (podman refuses the
        // layer when that is the root: tst_findings layerContentsLoadersRefuse).
        const bool dot = name == ".";
        m_index.issues.append({ QStringLiteral("layer-whiteout-invalid"), !dot,
            dot ? QStringLiteral(
                "\"%1\": a whiteout of \".\": loaders remove the folder holding it, and so does Lamina")
                      .arg(QString::fromUtf8(path))
                : QStringLiteral("\"%1\": a whiteout of \"..\": loaders remove the folder above, or refuse the layer; "
                                 "Lamina ignores it")
                      .arg(QString::fromUtf8(path)),
            e.header });
        if (!dot)
            return false;
    }
    e.type = EntryType::Whiteout;
    ++m_index.whiteoutCount;
    return true;
}

/// False when the link is skipped.
bool IndexBuilder::readHardlink(
    struct archive_entry *ae, const char *hard, QByteArrayView path, LayerEntry &e, QByteArray &link)
{
    e.type = EntryType::Hardlink;
    const char *u = archive_entry_hardlink_utf8(ae);
    link = normalise(u ? QByteArray(u) : QByteArray(hard));
    if (link.size() > limits::kMaxPathLength) {
        m_index.problems.append(QStringLiteral("\"%1\": a hard link target of %2 bytes; skipped%3")
                                    .arg(QString::fromUtf8(path))
                                    .arg(link.size())
                                    .arg(limits::note("kMaxPathLength", limits::kMaxPathLength)));
        return false;
    }
    if (link.isNull()) {
        m_index.problems.append(QStringLiteral("\"%1\": a hard link climbing out of the layer (\"%2\"); skipped")
                                    .arg(QString::fromUtf8(path), QString::fromUtf8(hard)));
        return false;
    }
    return true;
}

/// Neither whiteout nor hard link: the type by the header; false when the entry is skipped.
bool IndexBuilder::readOtherType(struct archive_entry *ae, qint64 dataOffset, bool oldGnuSparse, QByteArrayView path,
    LayerEntry &e, QByteArray &link)
{
    switch (archive_entry_filetype(ae)) {
    case AE_IFREG:
        e.type = EntryType::File;
        e.size = archive_entry_size(ae);
        // A sparse file's stored bytes are its map and data blocks, not the file: only
        // libarchive can give them (copyLayerFile streams it then).
        if (archive_entry_sparse_count(ae) == 0)
            e.dataOffset = dataOffset;
        // moby pkg/archive/archive.go createTarFile: "unhandled tar header type 83" (Docker,
        // and podman through containers/storage); containerd archive/tar.go the same.
        if (oldGnuSparse)
            m_index.issues.append({ QStringLiteral("layer-entry-unsupported"), true,
                QStringLiteral("\"%1\": an old GNU sparse file (tar type 'S'), which the loaders do not "
                               "unpack; Lamina shows it expanded")
                    .arg(QString::fromUtf8(path)),
                e.header });
        break;
    case AE_IFDIR:
        e.type = EntryType::Directory;
        break;
    case AE_IFLNK: {
        e.type = EntryType::Symlink;
        const char *u = archive_entry_symlink_utf8(ae);
        link = u ? QByteArray(u) : QByteArray(archive_entry_symlink(ae));
        if (link.size() > limits::kMaxPathLength) {
            m_index.problems.append(QStringLiteral("\"%1\": a symbolic link target of %2 bytes; skipped%3")
                                        .arg(QString::fromUtf8(path))
                                        .arg(link.size())
                                        .arg(limits::note("kMaxPathLength", limits::kMaxPathLength)));
            return false;
        }
        break;
    }
    case AE_IFCHR:
        e.type = EntryType::CharDevice;
        break;
    case AE_IFBLK:
        e.type = EntryType::BlockDevice;
        break;
    case AE_IFIFO:
        e.type = EntryType::Fifo;
        break;
    default:
        e.type = EntryType::File;
        break;
    }
    return true;
}

/// True when folder `e` was already in the index and now takes its place.
bool IndexBuilder::replaceFolder(
    QByteArrayView path, const LayerEntry &e, const QList<std::pair<QByteArray, QByteArray>> &xattrs)
{
    // A folder's own header, possibly after entries that implied it.
    const int existing = findFolder(path);
    if (existing < 0)
        return false;
    LayerEntry &old = m_index.m_entries[existing];
    if (!(old.flags & LayerEntry::Implicit)) {
        m_index.problems.append(
            QStringLiteral("\"%1\": stored twice in this layer; the later copy counts").arg(QString::fromUtf8(path)));
        m_index.issues.append({ QStringLiteral("layer-duplicate-path"), true,
            QStringLiteral("\"%1\": a folder stored twice in this layer; Lamina shows the later header's "
                           "mode and owner")
                .arg(QString::fromUtf8(path)),
            e.header });
    }
    const quint8 opaque = old.flags & LayerEntry::Opaque;
    old = e;
    old.flags |= opaque;
    if (!xattrs.isEmpty())
        m_index.m_xattrs.insert(existing, xattrs);
    return true;
}

/// Child table: counting sort by parent.
void IndexBuilder::buildChildTable()
{
    const int n = int(m_index.m_entries.size());
    QList<qint32> &start = m_index.m_childStart;
    start.fill(0, n + 2);
    for (const LayerEntry &e : std::as_const(m_index.m_entries))
        ++start[e.parent + 2];
    for (int i = 2; i < n + 2; ++i)
        start[i] += start[i - 1];
    m_index.m_children.resize(n);
    QList<qint32> fill = start;
    for (int i = 0; i < n; ++i)
        m_index.m_children[fill[m_index.m_entries.at(i).parent + 1]++] = i;
}

/// Each parent's range of the child table by name.
void IndexBuilder::sortChildrenByName()
{
    const int n = int(m_index.m_entries.size());
    const QList<qint32> &start = m_index.m_childStart;
    const QByteArray &pool = m_index.m_pool;
    const QList<LayerEntry> &entries = m_index.m_entries;
    const auto nameLess = [&](int a, int b) {
        const LayerEntry &x = entries.at(a), &y = entries.at(b);
        const int c = std::memcmp(
            pool.constData() + x.nameOffset, pool.constData() + y.nameOffset, std::min(x.nameLength, y.nameLength));
        if (c != 0 || x.nameLength != y.nameLength)
            return c != 0 ? c < 0 : x.nameLength < y.nameLength;
        if ((x.type == EntryType::Whiteout) != (y.type == EntryType::Whiteout))
            return x.type == EntryType::Whiteout;
        return x.header < y.header;
    };
    // Sorted on each name's first eight bytes as a number, in one contiguous array: most
    // comparisons end there, without touching the entries or the pool (names hold no NUL,
    // so zero padding orders a shorter name first).
    struct Key
    {
        quint64 prefix;
        qint32 child;
    };
    std::vector<Key> keys;
    for (int slot = 0; slot < n + 1; ++slot) {
        const int begin = start[slot], end = start[slot + 1];
        if (end - begin < 2)
            continue;
        keys.clear();
        for (int i = begin; i < end; ++i) {
            const int c = m_index.m_children.at(i);
            const LayerEntry &e = entries.at(c);
            quint64 prefix = 0;
            std::memcpy(&prefix, pool.constData() + e.nameOffset, std::min<size_t>(e.nameLength, 8));
            keys.push_back({ qFromBigEndian(prefix), c });
        }
        std::sort(keys.begin(), keys.end(), [&](const Key &a, const Key &b) {
            return a.prefix != b.prefix ? a.prefix < b.prefix : nameLess(a.child, b.child);
        });
        for (int i = begin; i < end; ++i)
            m_index.m_children[i] = keys[size_t(i - begin)].child;
    }
}

/// OCI: a layer must not hold a path twice; extraction keeps the last copy, so earlier
/// copies are shadowed and dropped from the child table.
void IndexBuilder::dropShadowedCopies()
{
    const int n = int(m_index.m_entries.size());
    QList<qint32> &start = m_index.m_childStart;
    const QByteArray &pool = m_index.m_pool;
    const QList<LayerEntry> &entries = m_index.m_entries;
    QList<qint32> kept;
    kept.reserve(n);
    QList<qint32> newStart(n + 2, 0);
    for (int slot = 0; slot < n + 1; ++slot) {
        newStart[slot] = int(kept.size());
        const int begin = start[slot], end = start[slot + 1];
        for (int i = begin; i < end; ++i) {
            const int c = m_index.m_children.at(i);
            if (i + 1 < end) {
                const int d = m_index.m_children.at(i + 1);
                const LayerEntry &x = entries.at(c), &y = entries.at(d);
                if (x.type != EntryType::Whiteout && y.type != EntryType::Whiteout
                    && QByteArrayView(pool.constData() + x.nameOffset, x.nameLength)
                        == QByteArrayView(pool.constData() + y.nameOffset, y.nameLength)) {
                    shadow(c, d);
                    continue;
                }
            }
            kept.append(c);
        }
    }
    newStart[n + 1] = int(kept.size());
    m_index.m_children = kept;
    start = newStart;
}

/// Entry `c` is stored again later as `d`, under the same name: `c` no longer counts.
void IndexBuilder::shadow(int c, int d)
{
    const LayerEntry &x = m_index.m_entries.at(c), &y = m_index.m_entries.at(d);
    LayerEntry &shadowed = m_index.m_entries[c];
    shadowed.flags |= LayerEntry::Shadowed;
    const bool opaqueUnderFile
        = (x.flags & LayerEntry::Implicit) && (x.flags & LayerEntry::Opaque) && y.type != EntryType::Directory;
    if (opaqueUnderFile) {
        m_index.issues.append({ QStringLiteral("layer-whiteout-invalid"), false,
            QStringLiteral("\"%1/.wh..wh..opq\": an opaque marker under a %2 of this layer; Lamina keeps "
                           "the %2, as podman does")
                .arg(QString::fromUtf8(m_index.path(c)), entryTypeName(y.type)),
            std::max(x.header, y.header) });
    } else if (!(x.flags & LayerEntry::Implicit) && !(y.flags & LayerEntry::Implicit)) {
        m_index.issues.append({ QStringLiteral("layer-duplicate-path"), true,
            QStringLiteral("\"%1\": stored twice in this layer (a %2, then a %3); Lamina shows the later copy")
                .arg(QString::fromUtf8(m_index.path(c)), entryTypeName(x.type), entryTypeName(y.type)),
            std::max(x.header, y.header) });
    }
    if (shadowed.type == EntryType::File) {
        --m_index.fileCount;
        m_index.fileBytes = subtractSizes(m_index.fileBytes, shadowed.size);
    }
    m_index.problems.append(opaqueUnderFile
            ? m_index.issues.constLast().message
            : QStringLiteral("\"%1\": stored twice in this layer; the later copy counts")
                  .arg(QString::fromUtf8(m_index.path(c))));
}

/// Hard links a loader cannot make: to a member stored only after the link (the target
/// does not exist yet when the link is made), or to a folder.
void IndexBuilder::checkHardlinks()
{
    const int n = int(m_index.m_entries.size());
    const QList<LayerEntry> &entries = m_index.m_entries;
    for (int i = 0; i < n; ++i) {
        const LayerEntry &e = entries.at(i);
        if (e.type != EntryType::Hardlink || (e.flags & LayerEntry::Shadowed))
            continue;
        const int source = m_index.linkSource(i);
        if (source < 0)
            continue;
        const LayerEntry &t = entries.at(source);
        const QString link = QString::fromUtf8(m_index.path(i));
        const QString target = QString::fromUtf8(m_index.linkTarget(i));
        if (t.header > e.header)
            m_index.issues.append({ QStringLiteral("layer-hardlink-invalid"), true,
                QStringLiteral("\"%1\": a hard link to \"%2\", which the layer stores only after it; Lamina shows "
                               "that later file's bytes")
                    .arg(link, target),
                e.header });
        else if (t.type == EntryType::Directory)
            m_index.issues.append({ QStringLiteral("layer-hardlink-invalid"), true,
                QStringLiteral("\"%1\": a hard link to the folder \"%2\"").arg(link, target), e.header });
        else if (t.flags & LayerEntry::Shadowed)
            m_index.issues.append({ QStringLiteral("layer-duplicate-path"), true,
                QStringLiteral("\"%1\": a hard link to \"%2\" made between its two copies; Lamina shows the earlier "
                               "copy's bytes under \"%1\" and the later copy under \"%2\"")
                    .arg(link, target),
                e.header });
    }
}

/// True when no component is empty (but a trailing slash), "." or "..": one pass over the
/// name, as this runs for every entry.
bool IndexBuilder::isClean(QByteArrayView path)
{
    const qsizetype n = path.size();
    if (n == 0 || path.front() == '/')
        return false;
    const char *p = path.data();
    qsizetype start = 0; // of the current component
    for (qsizetype i = 0; i <= n; ++i) {
        if (i < n && p[i] != '/')
            continue;
        const qsizetype len = i - start;
        if (len == 0 && i < n)
            return false; // "//"
        if ((len == 1 && p[start] == '.') || (len == 2 && p[start] == '.' && p[start + 1] == '.'))
            return false;
        start = i + 1;
    }
    return true;
}

/// normalise() without copying names that are already clean (nearly all): a view of `path`,
/// or of `scratch` holding the cleaned name; null when the path climbs out.
QByteArrayView IndexBuilder::normaliseView(QByteArrayView path, QByteArray *scratch)
{
    if (isClean(path))
        return path.endsWith('/') ? path.chopped(1) : path;
    *scratch = normalise(path.toByteArray());
    if (scratch->isNull())
        return QByteArrayView();
    return QByteArrayView(scratch->constData(), scratch->size());
}

QByteArray IndexBuilder::normalise(const QByteArray &path)
{
    // Most names are already clean: no leading "/" or "./", no "//", "/./" or "..".
    if (!path.isEmpty() && path.front() != '/' && !path.startsWith("./") && !path.contains("//")
        && !path.contains("/./") && !path.contains("..") && path != ".") {
        return path.endsWith('/') ? path.chopped(1) : path;
    }
    QList<QByteArray> out;
    for (const QByteArray &part : path.split('/')) {
        if (part.isEmpty() || part == ".")
            continue;
        if (part == "..") {
            if (out.isEmpty())
                return QByteArray();
            out.removeLast();
            continue;
        }
        out.append(part);
    }
    QByteArray joined = out.join('/');
    if (joined.isNull())
        joined = QByteArray(""); // empty but not null: the root
    return joined;
}

/// The slot holding `path`, or the empty slot where it would go.
qsizetype IndexBuilder::folderSlot(QByteArrayView path, quint64 hash) const
{
    const qsizetype mask = m_folders.size() - 1;
    for (qsizetype i = qsizetype(hash) & mask;; i = (i + 1) & mask) {
        const FolderSlot &slot = m_folders.at(i);
        if (slot.entry < 0
            || (slot.hash == hash && path == QByteArrayView(m_folderKeys.data() + slot.keyOffset, slot.keyLength)))
            return i;
    }
}

int IndexBuilder::findFolder(QByteArrayView path) const
{
    return m_folders.isEmpty() ? -1 : m_folders.at(folderSlot(path, nameHash(path, m_seed))).entry;
}

void IndexBuilder::rememberFolder(QByteArrayView path, int entry)
{
    if ((m_folderCount + 1) * 2 > m_folders.size()) {
        QList<FolderSlot> old = std::move(m_folders);
        m_folders = QList<FolderSlot>(std::max<qsizetype>(64, old.size() * 2));
        const qsizetype mask = m_folders.size() - 1;
        for (const FolderSlot &slot : std::as_const(old)) {
            if (slot.entry < 0)
                continue;
            qsizetype i = qsizetype(slot.hash) & mask;
            while (m_folders.at(i).entry >= 0)
                i = (i + 1) & mask;
            m_folders[i] = slot;
        }
    }
    const quint64 hash = nameHash(path, m_seed);
    FolderSlot &slot = m_folders[folderSlot(path, hash)];
    if (slot.entry < 0) {
        ++m_folderCount;
        slot.hash = hash;
        slot.keyOffset = quint32(m_folderKeys.size());
        slot.keyLength = quint32(path.size());
        m_folderKeys.append(path.data(), size_t(path.size()));
    }
    slot.entry = entry;
}

} // namespace lamina
