// SPDX-License-Identifier: MIT
#pragma once

#include "check/finding.h"
#include "format/imagearchive.h"
#include "layers/imagelayers.h"
#include "util/progress.h"

#include <QHash>

namespace lamina {

/// The digests of one stored member, from a single read of its bytes.
struct MemberDigest
{
    QString stored; ///< sha256 of the bytes as stored (a blob digest)
    QString uncompressed; ///< sha256 of the decompressed stream (a diff ID); = stored when uncompressed
    qint64 storedBytes = 0;
    qint64 uncompressedBytes = 0;
    Compression compression = Compression::Unknown;
    QString error; ///< truncated, unreadable or not decompressible
};

struct VerifyReport
{
    QHash<int, MemberDigest> members; ///< by member index; each member hashed once
    qint64 bytesRead = 0; ///< stored bytes read and hashed in this run
    /// Stored bytes of the members verified, whichever pass hashed them; with verifyLayers(), more
    /// than bytesRead when the index cache gave digests an earlier read of the unchanged file made.
    qint64 bytesVerified = 0;
    double seconds = 0;
    bool cancelled = false;
    QString error; ///< the archive could not be streamed to the end
};

/// Hashes every layer member the images reference: sha256 of the stored bytes and of the
/// decompressed stream, in one read per member, members in parallel on `threads` threads
/// (0 = one per core) when the archive is seekable, one streaming pass otherwise. Progress is
/// reported in stored bytes; cancellation stops between chunks.
/// Digests already computed for some members (by member index) are taken as they are.
VerifyReport verifyArchive(
    const ImageArchive &ia, const Progress &progress = {}, int threads = 0, const QHash<int, MemberDigest> &known = {});

/// Verification from layer indexes made with LayerIndexOptions::computeDigests (one read per layer
/// for the entries and both digests): their digests are taken as they are; a layer whose index has
/// none (unreadable, broken off) is hashed on its own, as verifyArchive does.
VerifyReport verifyFromIndexes(
    const ImageArchive &ia, const QList<ImageLayers> &indexed, const Progress &progress = {});

/// The digests of one member's bytes read from `reader` to its end (as verifyArchive does for
/// each member), for writers that hash what they wrote while they write.
MemberDigest hashMemberBytes(MemberReader &reader, Compression compression, const Progress &progress = {});

/// The findings only hashing can give: diffid-mismatch, blob-digest-mismatch, and damaged
/// members.
QList<Finding> verificationFindings(const ImageArchive &ia, const VerifyReport &report);

/// Findings from the layers' contents (the `layer-*` codes: docs/findings.md), once per layer file,
/// from indexes made by indexAllImageLayers.
QList<Finding> layerContentFindings(const ImageArchive &ia, const QList<ImageLayers> &indexed);

/// What reading every layer finds, as `lamina check --verify` and the window's verification do:
/// each layer file read once, for its entries and both digests; the hashing findings and the
/// layer-content findings together (not sorted), with the report. Nothing when cancelled.
struct LayerVerification
{
    VerifyReport report;
    QList<Finding> findings;
};
/// `known`: layers indexed with their digests already, in this run (layers/streamedlayers.h).
LayerVerification verifyLayers(const ImageArchive &ia, const Progress &progress = {},
    const QHash<int, std::shared_ptr<const LayerIndex>> &known = {});

} // namespace lamina
