// SPDX-License-Identifier: MIT
// The commands of `lamina`, one file each (app/cli.cpp picks one), and what several of them share:
// the usage text, the image and layer options of ls, cat and extract, and names as safe text.
#pragma once

#include "format/imagearchive.h"
#include "layers/imagelayers.h"
#include "layers/mergedtree.h"
#include "layers/stagedfiles.h"

#include <QByteArrayView>
#include <QStringList>
#include <QTextStream>

#include <memory>
#include <optional>

namespace lamina::cli {

extern const char *const kUsage;
/// Prints `problem` (when given) and the usage; returns the exit status of a bad command line.
int usage(QTextStream &err, const QString &problem);

int inspect(const QStringList &args, QTextStream &out, QTextStream &err);
/// `check`, and `verify` (check --verify) when `verify`.
int check(const QStringList &args, QTextStream &out, QTextStream &err, bool verify);
int ls(const QStringList &args, QTextStream &out, QTextStream &err);
int cat(const QStringList &args, QTextStream &out, QTextStream &err);
int history(const QStringList &args, QTextStream &out, QTextStream &err);
/// `diff`: exit 0 the same image, 1 different, 2 unreadable (as diff(1)).
int diff(const QStringList &args, QTextStream &out, QTextStream &err);
int extract(const QStringList &args, QTextStream &err);
int compose(const QStringList &args, QTextStream &err);
/// `convert`: exit 0 written and clean, 1 written with errors in its checks, 2 not written.
int convert(const QStringList &args, QTextStream &err);

/// The options of ls, cat and extract.
struct LayerArgs
{
    bool json = false, merged = false, changes = false, force = false;
    RegistryOptions registry; ///< --insecure
    int image = 0, layer = -1, upto = -1;
    int from = -1; ///< ls: the net change from the tree at from-1 to the tree at upto
    QStringList positional;
    QString problem;
};

LayerArgs parseLayerArgs(const QStringList &args);
/// Opens the archive and indexes the chosen image's layers; prints why not and returns false.
/// With `staged`, the files it asks for are kept as an archive compressed as a whole streams past.
bool openLayers(const LayerArgs &a, QTextStream &err, ImageArchive *ia, ImageLayers *layers, QStringList *why = nullptr,
    StagedFiles *staged = nullptr);
/// The tree the options ask for: one layer alone, or layers 0..upto merged.
MergedTree chosenTree(const LayerArgs &a, const ImageLayers &layers);
/// The node of the file cat or extract names (positional 1), or -1 with the reason in `error`.
int findNamedFile(
    const LayerArgs &a, const ImageLayers &layers, const MergedTree &tree, bool followLast, QString *error);

/// What cat and extract work on: the archive, the chosen tree and the node of the file named.
struct NamedFile
{
    ImageArchive archive;
    ImageLayers layers;
    MergedTree tree;
    int node = -1;
    /// The copies of the named file (or of the files below the named folder) kept in `stageIn`
    /// as the archive was opened, when it is compressed as a whole: read from there, not from
    /// the archive again.
    std::unique_ptr<StagedFiles> staged;
};
/// Opens the archive, chooses the tree and finds the named file in it, as cat and extract do.
/// 0 when found; else the exit status (2: no archive, 1: no such file), the reason said on `err`.
/// `keepBelow`: the files under a folder named are kept too (extract), not the named path alone (cat).
int openNamedFile(
    const LayerArgs &a, bool followLast, QTextStream &err, NamedFile *found, const QString &stageIn, bool keepBelow);

/// A name as text that cannot forge lines or reach the terminal, and that names every byte string
/// apart (docs/layers.md): "\\" for a backslash, \n \t \r for those, "\xHH" for any other control
/// character (C0, DEL, C1) and for each byte that is not part of valid UTF-8. Printable UTF-8 is
/// kept as it is.
QString escapedName(QByteArrayView name);
/// The bytes escapedName() wrote, or nothing when `text` holds a backslash that is not one of its
/// escapes.
std::optional<QByteArray> unescapedName(const QString &text);

} // namespace lamina::cli
