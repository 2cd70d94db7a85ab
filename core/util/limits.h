// SPDX-License-Identifier: MIT
// Every resource limit applied to untrusted input, in one place (docs/limits.md explains each).
// A limit that is hit never crashes or stops silently: the reader reports a problem or error that
// names the limit and the member it was hit in.
#pragma once

#include <QString>
#include <QtGlobal>

namespace lamina::limits {

/// Largest member read into memory as metadata (JSON, repositories, VERSION).
constexpr qint64 kMaxMetadataMemberSize = 64ll * 1024 * 1024;
/// Bytes of metadata read from one archive in all (every member read into memory: manifests,
/// configs, indexes, legacy JSON), each member counted each time it is read. Real archives read
/// a few megabytes; without a total, a small archive naming one big member many times in ways
/// the caches cannot see costs gigabytes.
constexpr qint64 kMaxMetadataBytesTotal = 256ll * 1024 * 1024;
/// Bytes of metadata-looking members kept in memory while a compressed archive is indexed (so that
/// reading a view needs no second pass). Past it, members are read again from the stream when a
/// view asks for them: a 700 KB archive of 700 one-MiB JSON blobs must not hold 700 MiB.
constexpr qint64 kMaxCapturedMetadataBytes = 128ll * 1024 * 1024;
/// JSON nested deeper than this is refused before parsing (real image metadata nests < 10 deep;
/// Qt's own parser stops at 1024).
constexpr int kMaxJsonDepth = 256;
/// Symlink and hardlink hops followed before a chain counts as a loop (Linux's MAXSYMLINKS).
constexpr int kMaxLinkHops = 40;
/// Member and layer entry paths longer than this (bytes, as stored) are skipped: Linux's PATH_MAX.
constexpr int kMaxPathLength = 4096;
/// Members of an outer tar, and entries of a layout folder, listed before indexing stops.
constexpr int kMaxArchiveMembers = 1'000'000;
/// Entries of one layer tar indexed before indexing stops (56 bytes each plus names: ~200 MB).
/// There is no paged model behind this: a layer past it is shown up to the limit and marked
/// incomplete.
constexpr int kMaxLayerEntries = 2'000'000;
/// Bytes of names, link targets and folder paths kept for one layer before indexing stops.
constexpr qint64 kMaxLayerNameBytes = 512ll * 1024 * 1024;
/// Layers of one image read from a manifest, an OCI manifest or a legacy chain; Docker's overlay2
/// driver stops at 128, so real images stay far below.
constexpr int kMaxImageLayers = 1000;
/// Images read from manifest.json, and manifests from one OCI index (each costs a config read).
constexpr int kMaxImages = 1000;
/// Layer entries applied in all to build the images' merged trees for their sizes (`inspect`: one
/// tree per distinct stack of layer files). 1000 images of 1000 layers each could otherwise apply
/// every entry a million times; 64 M entries take about half a minute.
constexpr qint64 kMaxMergedEntriesTotal = 64'000'000;
/// `parent` links followed down a legacy chain.
constexpr int kMaxLegacyChainLength = kMaxImageLayers;
/// Nested OCI indexes followed (real ones nest one or two levels).
constexpr int kMaxIndexDepth = 8;
/// Decompression alarm: reading stops once a stream has produced more than kDecompressionAlarmFloor
/// bytes and more than kMaxDecompressionRatio times the compressed bytes consumed. Real layers
/// compress 2–20×; gzip cannot exceed ~1032×, zstd can reach far more.
constexpr qint64 kMaxDecompressionRatio = 200;
constexpr qint64 kDecompressionAlarmFloor = 1ll * 1024 * 1024 * 1024;

/// True when `out` bytes decompressed from `in` compressed bytes trip the decompression alarm.
constexpr bool decompressionAlarm(qint64 in, qint64 out)
{
    return out > kDecompressionAlarmFloor && out > kMaxDecompressionRatio * (in > 0 ? in : 1);
}

/// Appended to every message about a limit that was hit, so that reports can tell such problems
/// from damage: " [limit NAME = VALUE]".
inline QString note(const char *name, qint64 value)
{
    return QStringLiteral(" [limit %1 = %2]").arg(QLatin1String(name)).arg(value);
}
inline bool isLimitMessage(const QString &message)
{
    return message.contains(QLatin1String(" [limit k"));
}

} // namespace lamina::limits
