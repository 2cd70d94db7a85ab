// SPDX-License-Identifier: MIT
#pragma once

#include "format/imagearchive.h"
#include "layers/imagelayers.h"
#include "layers/mergedtree.h"
#include "util/progress.h"

#include <QJsonObject>
#include <QJsonValue>

#include <array>

namespace lamina {

/// One side of a comparison: an image of an opened archive, with its layers indexed
/// (indexImageLayers). Layers without a diff ID in the config need theirs computed.
struct DiffSide
{
    const ImageArchive *archive = nullptr;
    int image = 0;
    MergedTree::Layers layers;
};

/// indexImageLayers for a comparison: with digests when the config gives a layer no diff ID
/// (a legacy-only archive), so that every layer can be matched by diff ID.
/// With `other`, the other side's layers indexed already, a layer with the same diff ID as one of
/// them is not read again: comparing an image with itself plus one layer reads the new layer only.
/// `known`: the archive's layers indexed while it was opened (layers/streamedlayers.h), taken
/// where they serve (those without digests not where digests are needed).
ImageLayers indexLayersForDiff(const ImageArchive &ia, int image, const Progress &progress = {},
    const DiffSide *other = nullptr, const QHash<int, std::shared_ptr<const LayerIndex>> &known = {});

/// Why two images' digests differ (docs/compare.md): each difference falls in one class, the most
/// telling one that applies.
enum class DiffClass : quint8 {
    Timestamps, ///< files that differ only in mtime
    Ownership, ///< files that differ in mode, owner or extended attributes, not in content
    Order, ///< layers with the same files stored in other bytes (entry order, tar headers), layers moved
    Compression, ///< layers with the same diff ID stored compressed otherwise
    Metadata, ///< config fields that do not change what runs: created, history, labels, …
    Content, ///< files added, removed or with other bytes, type or link; config fields that change what runs
};
constexpr int kDiffClassCount = 6;
/// "timestamps", "ownership", "order", "compression", "metadata", "content" (the `why` keys).
QString diffClassKey(DiffClass c);

/// What differs about a path present in both images.
enum DiffCause : quint8 {
    CauseContent = 1,
    CauseSize = 2,
    CauseMode = 4,
    CauseOwner = 8,
    CauseType = 16,
    CauseLink = 32,
    CauseMtime = 64,
    CauseXattrs = 128, ///< extended attributes (file capabilities, SELinux labels)
};
/// The JSON names of the causes set in `causes`, in the order above.
QStringList diffCauseNames(quint8 causes);

struct ImageDiff
{
    /// A row of the two layer lists aligned side by side: the longest run of diff IDs both share,
    /// in order, is aligned; layers between are paired by position where both sides have some.
    struct LayerRow
    {
        enum Kind : quint8 {
            Shared, ///< the same diff ID in both, in the same order as the others
            Moved, ///< the same diff ID in both, elsewhere in the order (one row on each side)
            Replaced, ///< different diff IDs at the same place
            OnlyA,
            OnlyB,
        };
        Kind kind = Shared;
        int a = -1; ///< layer of A shown on this row, -1 for none
        int b = -1;
        int movedTo = -1; ///< Moved: the other side's position of the same layer
        QString diffIdA, diffIdB;
        QString digestA, digestB; ///< the blob digests, when named
        qint64 sizeA = -1, sizeB = -1; ///< stored bytes
        Compression compressionA = Compression::Unknown, compressionB = Compression::Unknown;
        /// Shared: stored in other bytes (other compression or blob digest). Replaced: the two
        /// layers hold the same files, in other tar bytes.
        bool sameFilesOtherBytes = false;
    };

    /// A config field that differs. Env, Labels, ExposedPorts and Volumes are compared entry by
    /// entry ("Env:PATH"); history entry by entry ("history[3]").
    struct ConfigField
    {
        QString field;
        QJsonValue a; ///< Undefined when A has no such field
        QJsonValue b;
        DiffClass kind = DiffClass::Content;
    };

    /// A path added, removed or changed in the merged tree of B against that of A.
    struct File
    {
        QByteArray path;
        Change change = Change::Modified; ///< Added (only in B), Removed (only in A), Modified
        quint8 causes = 0; ///< DiffCause bits (Modified only)
        DiffClass kind = DiffClass::Content;
        EntryType typeA = EntryType::File, typeB = EntryType::File; ///< hard links count as files
        qint64 sizeA = 0, sizeB = 0; ///< regular-file bytes
        quint16 modeA = 0, modeB = 0;
        quint32 uidA = 0, gidA = 0, uidB = 0, gidB = 0;
        qint64 mtimeA = 0, mtimeB = 0;
        QByteArray linkA, linkB;
        /// Where each side's bytes are, for reading them (layer, entry), -1 when absent.
        int layerA = -1, entryA = -1, layerB = -1, entryB = -1;
        /// False when the bytes of either side could not be read to compare them (said in
        /// ImageDiff::errors): then the file counts as content, as it cannot be shown the same.
        bool compared = true;
    };

    struct Tally
    {
        qint64 count = 0; ///< files, layers or config fields
        qint64 bytes = 0; ///< file bytes (the larger side), or the layers' bytes
    };

    QList<LayerRow> layers;
    QList<ConfigField> config;
    QList<File> files; ///< in path order
    std::array<Tally, kDiffClassCount> why {};
    QStringList errors; ///< what could not be read or compared, each naming the layer or file
    bool cancelled = false;

    /// Nothing differs: the same layers stored alike, the same config, the same files, and
    /// everything could be read (no errors).
    bool identical() const;
    const Tally &tally(DiffClass c) const { return why.at(int(c)); }
    /// One sentence for "is my build reproducible?": "identical", or the classes that differ.
    QString summary() const;
};

/// Compares two images (docs/compare.md): their layers matched by diff ID, their configs field by
/// field, and their merged trees path by path. A regular file is hashed only when both sides
/// have it at the same size from layers with different diff IDs. Call from any thread.
ImageDiff diffImages(const DiffSide &a, const DiffSide &b, const Progress &progress = {});

/// The `diff --json` object (docs/compare.md; stable keys, later versions only add): identical,
/// layers (one per diff ID: diffId, inA, inB), config (field, a, b), files (path, change, causes),
/// why (counts per class), and beside them the details the window shows.
QJsonObject imageDiffJson(const ImageDiff &diff);
/// "added", "removed" or "changed", as `diff --json` and `history --json` say it.
QString changeWord(Change c);

} // namespace lamina
