// SPDX-License-Identifier: MIT
// Private to core/layers: turns the tar headers of one layer into a LayerIndex (indexbuilder.cpp);
// indexlayer.cpp reads the layer stream and hands the headers over.
#pragma once

#include "layers/layerindex.h"
#include "util/namehash.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <string>
#include <utility>

struct archive_entry;

namespace lamina {

/// Builds the index while libarchive hands over headers.
class IndexBuilder
{
public:
    explicit IndexBuilder(LayerIndex &index)
        : m_index(index)
    {
    }

    quint32 intern(QByteArrayView s);

    /// Bytes of names, link targets and folder paths held so far (bounded by kMaxLayerNameBytes).
    qint64 nameBytes() const { return qint64(m_pool.size() + m_folderKeys.size()); }

    int folder(QByteArrayView path);
    int folderUncached(QByteArrayView path);

    /// `oldGnuSparse`: the header is GNU's old sparse type 'S', which libarchive expands and Go's
    /// archive/tar hands to the loaders as an entry type they do not unpack.
    void add(struct archive_entry *ae, int header, qint64 dataOffset, bool oldGnuSparse = false);
    /// The path of the regular file the last add() took, normalised; empty when it took none.
    /// Valid until the next add().
    QByteArrayView lastFile() const { return m_lastFile; }

    void finish();

    bool rootOpaque() const { return m_rootOpaque; }

private:
    bool splitPath(struct archive_entry *ae, QByteArrayView &path, QByteArrayView &dir, QByteArrayView &name);
    static QList<std::pair<QByteArray, QByteArray>> readXattrs(struct archive_entry *ae, LayerEntry &e);
    bool readWhiteout(QByteArrayView path, QByteArrayView dir, QByteArrayView &name, LayerEntry &e);
    bool readHardlink(struct archive_entry *ae, const char *hard, QByteArrayView path, LayerEntry &e, QByteArray &link);
    bool readOtherType(struct archive_entry *ae, qint64 dataOffset, bool oldGnuSparse, QByteArrayView path,
        LayerEntry &e, QByteArray &link);
    bool replaceFolder(
        QByteArrayView path, const LayerEntry &e, const QList<std::pair<QByteArray, QByteArray>> &xattrs);
    void buildChildTable();
    void sortChildrenByName();
    void dropShadowedCopies();
    void shadow(int c, int d);
    void checkHardlinks();

public:
    static bool isClean(QByteArrayView path);
    static QByteArrayView normaliseView(QByteArrayView path, QByteArray *scratch);
    static QByteArray normalise(const QByteArray &path);

private:
    /// Folders by path, for the entries below them: open addressing over a seeded hash, the
    /// paths kept in one string, so that no folder costs an allocation.
    struct FolderSlot
    {
        quint64 hash = 0;
        qint32 entry = -1; ///< -1: an empty slot
        quint32 keyOffset = 0;
        quint32 keyLength = 0;
    };

    qsizetype folderSlot(QByteArrayView path, quint64 hash) const;
    int findFolder(QByteArrayView path) const;
    void rememberFolder(QByteArrayView path, int entry);

    LayerIndex &m_index;
    const quint64 m_seed = nameHashSeed();
    QByteArray m_pool; ///< becomes the index's pool in finish()
    QList<FolderSlot> m_folders;
    qsizetype m_folderCount = 0;
    std::string m_folderKeys;
    int m_lastFolder = -1;
    std::string m_lastFolderPath;
    QByteArray m_scratch;
    QByteArrayView m_lastFile;
    int m_aufs = 0;
    bool m_rootOpaque = false;
};

} // namespace lamina
