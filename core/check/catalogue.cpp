// SPDX-License-Identifier: MIT
// What each finding code means and what the loaders do with it (docs/formats.md §4–§5).
#include "check/finding.h"

#include <QHash>

#include <algorithm>

namespace lamina {

QString verdictName(Verdict v)
{
    switch (v) {
    case Verdict::Refuses:
        return QStringLiteral("refuses");
    case Verdict::LoadsDifferently:
        return QStringLiteral("loads-differently");
    case Verdict::Loads:
        break;
    }
    return QStringLiteral("loads");
}

QString severityName(Severity s)
{
    switch (s) {
    case Severity::Error:
        return QStringLiteral("error");
    case Severity::Warning:
        return QStringLiteral("warning");
    case Severity::Info:
        break;
    }
    return QStringLiteral("info");
}

void sortFindings(QList<Finding> &findings)
{
    std::stable_sort(findings.begin(), findings.end(),
        [](const Finding &a, const Finding &b) { return int(a.severity) < int(b.severity); });
}

namespace {

struct Entry
{
    const char *code;
    const char *title;
    const char *explanation;
    const char *docker;
    const char *containerd;
    const char *podman;
    const char *ggcr;
};

// Shared phrasing for the many cases where only Docker's legacy mode reads the chain.
#define LEGACY_ONLY_DOCKER                                                                                             \
    "Docker ≤ 28 reads the legacy chain only when the archive has no manifest.json; with one, it ignores this."
#define IGNORES_L "Never reads the legacy chain; not affected."

const Entry kEntries[] = {
    { "chain-order-mismatch", "The legacy chain stacks the layers in another order than manifest.json",
        "An image's layers are described twice in a docker archive: manifest.json lists the layer files bottom to top, "
        "and "
        "the legacy <id>/json files link each layer to the one below it through \"parent\". Walking the chain down "
        "from the "
        "tagged top and reversing it should give the manifest's order. Here it does not, so a loader reading the chain "
        "would "
        "stack the files differently and build another filesystem.",
        LEGACY_ONLY_DOCKER
        " In legacy mode the layers would be applied in the chain's order, and diff IDs would then differ.",
        IGNORES_L, IGNORES_L, IGNORES_L },
    { "chain-length-mismatch", "The legacy chain has a different number of layers than manifest.json",
        "The chain walked down \"parent\" from the image's top legacy directory is complete (it ends at a layer "
        "without a "
        "parent) but holds a different number of layers than manifest.json's \"Layers\". One of the two descriptions "
        "is "
        "missing layers or has extra ones.",
        LEGACY_ONLY_DOCKER, IGNORES_L, IGNORES_L, IGNORES_L },
    { "layer-count-mismatch", "The manifest lists a different number of layers than the config's diff_ids",
        "The config's rootfs.diff_ids names the uncompressed digest of each layer, bottom to top, and must line up one "
        "to "
        "one with the layer files the manifest lists. With a different count no loader can tell which file is which "
        "layer.",
        "Refuses: \"invalid manifest, layers length mismatch: expected N, got M\".",
        "Refuses at unpack: \"number of layers and diffIDs don't match\".",
        "Refuses: \"Inconsistent layer count: N in manifest, M in config\".",
        "Refuses with a layer-count error in either direction." },
    { "dangling-parent", "A legacy layer's parent names no layer in the archive",
        "Each legacy <id>/json names the layer below it in \"parent\"; the legacy loader loads that parent first. This "
        "parent names no directory of the archive, so the chain stops here and everything below is unreachable through "
        "it.",
        "With manifest.json the chain is ignored. In legacy mode (no manifest.json, Docker ≤ 28) loading fails with an "
        "open "
        "error on <parent>/json; Docker 29 no longer has legacy mode.",
        IGNORES_L, IGNORES_L, IGNORES_L },
    { "parent-cycle", "The legacy parent links form a loop",
        "Following \"parent\" from layer to layer comes back to a layer already visited. The v1 format requires the "
        "parent "
        "graph to be a tree; a loop has no bottom layer.",
        "With manifest.json the chain is ignored. In legacy mode Docker's loader recurses through parents without a "
        "visited set: it does not finish (Docker 20.10 was still loading after 45 s; docs/loaders.md).",
        IGNORES_L, IGNORES_L, IGNORES_L },
    { "chain-fork", "Two legacy layers share one parent",
        "Several layers name the same parent, so the parent graph branches. That is normal when several images of one "
        "archive share a base; a branch no tag reaches is an untagged image for the legacy loader.",
        "With manifest.json ignored. In legacy mode every directory is loaded, so an untagged branch becomes an "
        "untagged "
        "image.",
        IGNORES_L, IGNORES_L, IGNORES_L },
    { "orphan-layer", "Something in the archive belongs to no image",
        "A legacy layer directory that no tagged chain reaches and no manifest layer uses, or a blob that nothing "
        "references. The OCI layout explicitly allows unreferenced blobs, and Docker 25–28 always writes its legacy "
        "layer "
        "JSON as unreferenced blobs; otherwise it is dead weight or a sign of a broken edit.",
        "Ignored with manifest.json. In legacy mode every directory is loaded as an image (and fails if it has no "
        "json).",
        "Unreferenced blobs are ignored.", "Ignored.", "Ignored." },
    { "legacy-id-mismatch", "A legacy layer's json id differs from its directory name",
        "The legacy json carries its own \"id\", which should be the directory's name. Docker's legacy loader uses the "
        "directory name and ignores the field, so the two can silently disagree. v1 IDs cannot be recomputed without "
        "knowing the producer (Docker, containers/image and nix each derive them differently).",
        "Uses the directory name; the json id is ignored.", IGNORES_L, IGNORES_L, IGNORES_L },
    { "repositories-mismatch", "repositories and manifest.json tag different things",
        "The legacy file \"repositories\" maps repository → tag → top layer ID; manifest.json has the tags in "
        "RepoTags. "
        "They should name the same tags, and each tag the top layer of the image carrying it.",
        "With manifest.json only RepoTags count. In legacy mode the tags come from repositories (an unknown ID: "
        "\"invalid target ID\").",
        "Uses RepoTags or the OCI index annotations.", "Uses RepoTags.", "Uses RepoTags." },
    { "invalid-tag", "A RepoTags entry is not name:tag",
        "Each RepoTags entry must be a reference of the form name:tag (lower-case name, a tag of letters, digits, '_', "
        "'.' and '-'). A name without a tag, a digest reference or upper-case letters are not valid there.",
        "Refuses: \"invalid tag\".",
        "Loads it under a digest name; refuses a name in upper case (\"repository name must be lowercase\").",
        "Refuses: \"does not contain a tag\".", "Fails to parse the tag." },
    { "diffid-mismatch", "A layer's content does not hash to its diff ID",
        "The diff ID is the sha256 of a layer's uncompressed tar stream, recorded in the config's rootfs.diff_ids. The "
        "bytes stored for this layer hash to something else: the layer was changed, the wrong file is listed, or the "
        "producer hashed a compressed file.",
        "Refuses \"invalid diffID for layer N\", unless a layer with that chain ID is already present (then it is "
        "silently accepted).",
        "Refuses at unpack: \"wrong diff id calculated on extraction\".",
        "Refuses when copying: \"Digest did not match\".", "crane validate reports it; pushes fail." },
    { "config-missing", "The image config is not in the archive",
        "manifest.json's \"Config\" (or the OCI manifest's config descriptor) names the image configuration, which "
        "holds "
        "the layer diff IDs, the command and the environment. Without it there is no image.",
        "Refuses with an open error.", "Refuses: \"image config not found\".",
        "Refuses: \"loading tar component …: file does not exist\".", "Refuses: \"file … not found in tar\"." },
    { "config-invalid", "The image config cannot be used",
        "The config must be a JSON object with \"architecture\", \"os\" and \"rootfs\" of type \"layers\" listing the "
        "diff "
        "IDs. This one is not valid JSON or lacks one of them.",
        "Refuses: \"invalid image JSON, no RootFS key\" or a parse error.", "Refuses the image.",
        "Refuses: \"Invalid image config (rootFS is not set)\" or a parse error.", "Refuses with a parse error." },
    { "config-digest-mismatch", "The config's name claims another digest than its content has",
        "An image's ID is the sha256 of its exact config bytes. Archives name the config by that digest (<hex>.json, "
        "sha256:<hex>, blobs/sha256/<hex>, or a descriptor). Here the name and the content disagree, so anything that "
        "trusts the name — nix buildImage takes a base image's parent from it — gets a wrong ID.",
        "Recomputes the ID from the content; the name is not checked.",
        "Verifies blobs by digest: a mislabelled blob is refused or later \"not found\".",
        "Verifies digests when copying.", "Uses the content." },
    { "history-mismatch", "The config's history does not line up with its layers",
        "Each non-empty entry of the config's \"history\" (one without \"empty_layer\": true) describes one layer, in "
        "order. When the counts differ, tools attach build commands to the wrong layers.",
        "Refuses more non-empty entries than layers (\"too many non-empty layers in History section\"); accepts fewer.",
        "Loads; docker history attaches commands to the wrong layers.", "Loads.", "Loads." },
    { "layer-missing", "A layer named by the image is not in the archive",
        "The manifest lists a layer file (or the OCI manifest a blob) that is not in the archive, or an empty path.",
        "Loads only when a layer with the same chain ID is already present; otherwise an open error.",
        "Refuses: \"layer not found\".", "Refuses: \"Some layer tarfiles are missing in the tarball\".",
        "Refuses unless LayerSources describes the layer (a foreign layer)." },
    { "duplicate-layer", "The same layer appears twice in one image",
        "Two positions of one image have the same diff ID. That is legal: Docker ≤ 24 stores it once and links the "
        "second "
        "layer.tar to the first, Docker 25 lists the same blob twice. Tools that delete each tar after extracting it "
        "break "
        "(nixpkgs#214434).",
        "Loads.", "Loads.", "Loads (deduplicates by diff ID).", "Loads." },
    { "layer-path-conflict", "One stored file is used for two different layers",
        "The same file serves as two layers with different diff IDs; at most one of them can be right.",
        "Fails the diff ID check for one of them.", "Fails the diff ID check.",
        "Refuses: \"Layer tarfile … used for two different DiffID values\" (containers/podman#8132).",
        "Fails validation." },
    { "symlink-unresolved", "A layer or config path is a link that leads nowhere usable",
        "Layer files in docker archives are often symbolic links (layer.tar → ../<id>/layer.tar, or to <diffid>.tar at "
        "the "
        "root). This link loops, leaves the archive, points at nothing, or needs several hops, which some loaders do "
        "not "
        "follow.",
        "Resolves links inside the unpacked archive (out-of-scope targets are clamped to its root).",
        "Resolves each link once, in Go's random map order: a chain of links loads only on runs that happen to "
        "visit it from the last hop back, otherwise \"no target for symlink layer\".",
        "Resolves the whole chain (podman 4.3 loads a three-hop link).",
        "Follows links with loop detection: \"link cycle detected\"." },
    { "manifest-oci-mismatch", "manifest.json and the OCI index describe different images",
        "Archives written by Docker ≥ 25 carry both manifest.json and an OCI layout. Docker's classic store, podman "
        "and "
        "ggcr read manifest.json; Docker 29/containerd reads the OCI index whenever oci-layout exists. When the two "
        "disagree, the same file loads as different images depending on the loader.",
        "Reads manifest.json.", "Reads the OCI index (manifest.json is ignored when oci-layout exists).",
        "Reads manifest.json (docker-archive) or the index (oci-archive).", "Reads manifest.json." },
    { "blob-digest-mismatch", "A blob's content does not match its digest",
        "Blobs are named and described by the sha256 of their exact bytes. This one hashes to something else: it was "
        "changed, recompressed, or mislabelled.",
        "Not checked for layers of manifest.json (it checks diff IDs).",
        "Stores blobs under their computed digest; a mislabelled blob is then \"not found\".",
        "Refuses when copying: \"Digest did not match\".", "crane validate reports it." },
    { "blob-size-mismatch", "A blob's size differs from its descriptor",
        "Descriptors give the exact byte size of the blob they describe, so readers can bound what they read.",
        "Not checked for manifest.json layers.", "containerd 1.6 loads it (it stores blobs as they are).",
        "podman 4.3 loads it.", "crane validate reports it." },
    { "media-type-mismatch", "A layer's media type says another compression than its bytes have",
        "The media type tells a reader how a layer is compressed (…tar, …tar+gzip, …tar+zstd). The bytes here are "
        "compressed differently. Loaders that sniff magic bytes cope; those that trust the type, or guess from one "
        "layer "
        "(google/go-containerregistry#1980), fail.",
        "Sniffs the bytes; loads.", "Sniffs the bytes; loads.", "podman 4.3 loads it (it sniffs the bytes).",
        "Decides compression from the first layer only; may fail." },
    { "parent-image-invalid", "manifest.json's Parent is not a valid parent image",
        "\"Parent\" in a manifest entry names the image (config digest) this one was built on. It only counts when "
        "that "
        "image is in the same archive, and then its history and diff IDs must be a prefix of this image's.",
        "Drops a parent not in the archive silently; refuses an inconsistent one: \"image X is not a valid parent for "
        "Y\" "
        "(moby/moby#41829).",
        "Ignores Parent.", "Ignores Parent.", "Ignores Parent." },
    { "layer-sources-inconsistent", "LayerSources disagrees with the layers",
        "\"LayerSources\" (Docker ≥ 1.12, written for every layer since Docker 25) describes layers by diff ID, for "
        "foreign "
        "layers that may not be stored. A key that is no diff ID of the image, or a descriptor that does not match the "
        "stored file, contradicts the rest of the manifest.",
        "Registers the layer with that descriptor.", "Ignores it.", "Ignores it.", "Trusts it instead of the file." },
    { "legacy-config-mismatch", "The top legacy json runs another command than the image config",
        "The top layer's legacy json carries a \"config\" (Cmd, Entrypoint, Env, WorkingDir, …) that becomes the image "
        "configuration when the archive is loaded through the legacy chain. It differs from the real config, so what "
        "runs "
        "depends on the loader.",
        "Uses the config file with manifest.json; the legacy json in legacy mode.", IGNORES_L, IGNORES_L, IGNORES_L },
    { "legacy-platform-mismatch", "The top legacy json names another platform than the config",
        "\"os\"/\"architecture\" of the top legacy json differ from the image config's.",
        "Only the config counts with manifest.json (\"cannot load … image on …\", --platform filters); the json in "
        "legacy "
        "mode.",
        IGNORES_L, IGNORES_L, IGNORES_L },
    { "legacy-json-refused", "Docker's legacy loader cannot read a layer's json",
        "Without manifest.json, Docker makes the image config from the legacy json files: it reads each one of the "
        "chain into its own Go types (the v1 image and container config) and checks the os. A field of the wrong JSON "
        "type, a \"created\" time that is not RFC 3339, or an os other than linux on Linux stops the load. The "
        "finding names the file and the field.",
        "Docker ≤ 28 refuses: \"json: cannot unmarshal …\", \"parsing time …\" or \"cannot load windows image on "
        "linux\".",
        IGNORES_L, IGNORES_L, IGNORES_L },
    { "legacy-version-invalid", "A legacy layer directory has no valid VERSION",
        "Each v1 layer directory should hold a VERSION file with the text 1.0, the schema version of its json.",
        "Never reads VERSION.", IGNORES_L, IGNORES_L, IGNORES_L },
    { "multiple-images", "The archive holds several images",
        "manifest.json has more than one entry. Loaders that expect one image need to be told which.",
        "Loads all of them.", "Loads all images of the index.",
        "podman load loads all of them; skopeo copy needs a reference: \"expected 1 item, got N\".",
        "Needs a tag: \"tarball must contain only a single image\"." },
    { "unsafe-path", "A path or digest would lead outside the archive",
        "A member name, a Config/Layers path or a digest climbs out of the archive (\"..\", an absolute path) or is "
        "malformed. Lamina refuses to follow it. Tools that extract archives with shell commands have no such "
        "protection.",
        "Scopes paths to its temporary folder.", "Refuses malformed digests.", "Compares cleaned names only.",
        "Refuses the path." },
    { "config-type-error", "A config field has the wrong JSON type",
        "The config fields have fixed JSON types (Cmd and Entrypoint are arrays of strings, Labels an object, …). Some "
        "producers pass user input through unchecked (nix passes \"config\" verbatim).",
        "Accepts a string for Cmd/Entrypoint (as a one-element list).", "Refuses the config.",
        "Refuses: \"cannot unmarshal string into … of type []string\" (kickstart.nix#52).", "Refuses the config." },
    { "legacy-only", "Only the legacy chain describes the images",
        "The archive has no manifest.json and no OCI layout: it is the Docker ≤ 1.9 (v1.0) format, images found by "
        "walking "
        "\"parent\" down from the tags in repositories (without that file, Lamina shows each chain from its top, "
        "untagged). lamina convert writes it again with a manifest.json and the "
        "config Docker's legacy loader makes from the top json (the same image ID Docker gives it), which every "
        "loader reads.",
        "Docker ≤ 28 loads it in legacy mode, as long as every folder at the top has a json and there is a "
        "repositories file: it takes each folder for a layer and reads its json, then opens repositories for the "
        "tags, and fails on a folder without json or without repositories (\"no such file or directory\"). "
        "Docker 29 imports through containerd, which refuses: \"unrecognized image format\".",
        "Refuses: \"unrecognized image format\".", "Refuses: \"manifest.json: file does not exist\".",
        "Refuses: manifest.json not found." },
    { "oci-only", "Only the OCI layout describes the images",
        "The archive is an OCI image layout (oci-layout, index.json, blobs/) without Docker's manifest.json, as buildx "
        "--output type=oci, skopeo oci-archive and umoci write. Loaders built for docker save archives look for "
        "manifest.json; without it Docker's classic store falls back to the legacy format and treats blobs/ as a layer "
        "directory.",
        "Refuses: no manifest.json, so legacyLoad reads blobs/json: \"open …/blobs/json: no such file or directory\" "
        "(Docker 1.10–28, image/tarexport/load.go legacyLoadImage).",
        "Loads the OCI index (images without a name only as digest references).", "Loads it as an oci-archive.",
        "tarball.Image refuses: \"file manifest.json not found in tar\"; layout.FromPath reads an unpacked layout." },
    { "archive-compressed", "The whole archive is compressed",
        "The archive itself is a gzip, bzip2, xz or zstd stream around the tar, as `docker save | gzip` writes. Docker "
        "decompresses what it is given; the containerd and containers/image importers read a plain tar.",
        "Loads (the daemon decompresses the stream).",
        "containerd 1.6–1.7 refuses: \"archive/tar: invalid tar header\"; containerd 2 (transfer/archive "
        "ImageImportStream) and "
        "Docker 29 (daemon/containerd/image_exporter.go LoadImage) decompress first and load.",
        "Refuses: \"archive/tar: invalid tar header\".", "tarball.Image reads a plain tar: refuses." },
    { "no-legacy-chain", "There is no legacy chain",
        "manifest.json describes the images but there are no legacy <id>/json files. Docker ≥ 25, containerd, "
        "go-containerregistry, Jib and nixpkgs' streamLayeredImage all omit them; only Docker ≤ 28's legacy mode ever "
        "needed them, and it is not used when manifest.json exists.",
        "Uses manifest.json.", "Uses the OCI index or manifest.json.", "Uses manifest.json.", "Uses manifest.json." },
    { "manifest-invalid", "manifest.json cannot be read",
        "manifest.json must be a JSON array with one object per image (Config, RepoTags, Layers).",
        "Refuses (\"invalid manifest, manifest cannot be null\" for null).",
        "Refuses the archive unless an OCI layout exists.", "Refuses.", "Refuses." },
    { "index-invalid", "The OCI layout cannot be read",
        "An OCI image layout needs oci-layout ({\"imageLayoutVersion\": \"1.0.0\"}) and index.json (an image index); "
        "the "
        "manifests it lists must be readable JSON.",
        "Ignores the OCI layout when manifest.json exists.",
        "Refuses: \"missing index.json in OCI layout\" or \"unsupported OCI version\".", "Refuses the OCI layout.",
        "Not read: tarball.Image reads manifest.json only (its layout package refuses such a layout)." },
    { "oci-index-ambiguous", "The OCI index lists more than one manifest",
        "index.json lists several manifests (several images, platforms or names of one image) directly. "
        "Loaders that take one image from a layout must be told which: podman load, given no name, takes the "
        "only entry or refuses. containerd imports every entry. A multi-platform image usually lists its "
        "platforms in a nested index that index.json names once.",
        "Not read (Docker ≤ 28 reads manifest.json).", "Imports every entry.",
        "Refuses: \"more than one image in oci, choose an image\".", "Not read (manifest.json only)." },
    { "archive-damaged", "The archive is truncated or damaged",
        "The tar archive ends early or cannot be read to the end; members after the damage are missing.",
        "Refuses: unexpected EOF.", "Refuses: unexpected EOF.", "Refuses.", "Refuses." },
    { "archive-unterminated", "The archive stops without the blocks that end a tar",
        "A tar archive ends with two 512-byte blocks of zeros. docker save, podman, skopeo and every other writer of "
        "images put them there. This archive stops right after one of its members, without them. A copy or a download "
        "interrupted exactly between two members leaves that, and so does a program that never closed its tar; "
        "members that came after may be missing. docker save writes manifest.json and repositories last, so an image "
        "that shows only its legacy chain, or misses a layer, may have lost them to the cut.",
        "Reads it as complete: a tar that stops between two members ends there for Go's archive/tar. What is missing "
        "is what counts (other findings).",
        "Reads it as complete, as Docker does.", "Reads it as complete, as Docker does.",
        "Reads it as complete, as Docker does." },
    { "not-an-image", "Nothing here describes an image",
        "An image archive describes its images in manifest.json, in an OCI index (index.json with oci-layout), or in "
        "the "
        "legacy chain (repositories and <id>/json files). This one has none of them: it is some other tar, or empty.",
        "Refuses.", "Refuses: \"unrecognized image format\".", "Refuses.", "Refuses." },
    // Layer contents (issue 16 item 9): found when the layers are read (check --verify, inspect).
    { "layer-duplicate-path", "A layer stores a path twice",
        "One layer tar holds two entries for the same path. Extracting in order keeps the later one; a hard link made "
        "between the two copies keeps the earlier copy's bytes. Lamina shows the later copy, and such a link as the "
        "earlier copy.",
        "Refuses: \"duplicates of file paths not supported\" (tar-split storage.ErrDuplicatePath).",
        "Extracts in order: the later copy wins (containerd does not use tar-split).",
        "Refuses: \"duplicates of file paths not supported\".", "Not applied (ggcr does not unpack layers to load)." },
    { "layer-hardlink-invalid", "A hard link a loader cannot make",
        "A hard link names a file the layer stores only after it, or a folder: when a loader extracts the layer in "
        "order, the target is not there yet (or cannot be linked), and link() fails. Lamina shows the later file's "
        "bytes.",
        "Refuses: \"no such file or directory\".", "Refuses: \"no such file or directory\".",
        "Refuses: \"no such file or directory\".", "Not applied (ggcr does not unpack layers to load)." },
    { "layer-whiteout-invalid", "A whiteout or opaque marker that names no lower entry",
        "A whiteout of \".\" (.wh..) or \"..\" (.wh...), or an opaque marker (.wh..wh..opq) under a file. Loaders "
        "remove "
        "the path joined with the name: .wh.. removes its own folder, .wh... the folder above (the root: refused). An "
        "overlay-backed store applies a layer to an empty folder, so what it removes or creates differs from vfs.",
        "Removes the folder holding .wh..; refuses or removes the folder above for .wh....",
        "Refuses: \"invalid whiteout name\" for .wh.. and .wh...; \"not a directory\" for an opaque marker under "
        "a file (containerd archive/tar.go).",
        "Same as Docker (containers/storage pkg/archive).", "Not applied (ggcr does not unpack layers to load)." },
    { "layer-entry-unsupported", "A layer entry the loaders do not unpack",
        "GNU tar's old sparse format stores a file with holes as a member of type 'S'. Go's archive/tar, which "
        "Docker, containerd and podman unpack layers with, hands such a member over as it is, and their "
        "unpacking code knows no type 'S'. The newer PAX sparse formats are expanded by archive/tar and load. "
        "Lamina (libarchive) expands both, and shows the file with its holes as zeros.",
        "Refuses: \"unhandled tar header type 83\" (pkg/archive createTarFile).",
        "Refuses: \"unhandled tar header type 83\".", "Refuses: \"unhandled tar header type 83\".",
        "Not applied (ggcr does not unpack layers to load)." },
    { "layer-damaged", "A layer's tar cannot be read to its end",
        "The layer's tar stream has a header that cannot be parsed (a negative or overflowing size, a bad checksum) or "
        "ends early. Lamina shows the entries before the damage; the rest of the layer is missing.",
        "Refuses.", "Refuses.", "Refuses.", "Refuses when it reads the layer." },
};

// Checks of a composition's result (issue: compose), reported by lamina compose before anyone
// runs the image.
const Entry kComposeEntries[] = {
    { "workdir-missing", "The working directory is not in the image",
        "WorkingDir names a folder the image does not have. Docker creates it when a container starts; other "
        "runtimes (and some Kubernetes setups with read-only root filesystems) do not, and the container fails to "
        "start. Lamina adds it to the new layer unless told not to.",
        "Creates it at start.", "Creates it at start.", "podman creates it; crun/runc alone may not.", "Not checked." },
    { "command-not-found", "The command the image runs is not in it",
        "The first word of Entrypoint (or of Cmd when there is no Entrypoint) is looked up the way a runtime does: "
        "as a path when it has a slash, else along the image's PATH, following symbolic links inside the image. "
        "Nothing was found, so the container cannot start.",
        "Starts, then fails: \"executable file not found in $PATH\".", "Fails: \"executable file not found\".",
        "Fails: \"executable file not found in $PATH\".", "Not checked." },
    { "command-not-executable", "The command the image runs is not executable",
        "The command resolves to something in the image that is not a regular file with an execute bit.",
        "Fails: \"permission denied\".", "Fails: \"permission denied\".", "Fails: \"permission denied\".",
        "Not checked." },
    { "shadowed-entry", "A new entry replaces a different kind of entry",
        "A new layer puts a folder where the image had a symbolic link, a file where it had a folder, and so on. A "
        "folder over a link replaces the link: a new /bin folder hides a base image's /bin → usr/bin, and with it "
        "every program reached through it (nixpkgs#110696, #129007).",
        "Applies the replacement.", "Applies the replacement.", "Applies the replacement.",
        "Applies the replacement." },
    { "folder-changed", "A new layer changes a folder's mode or owner that nothing asked to change",
        "A new layer lists a folder the image already has (to put something in it) with another mode or owner than "
        "the image gives it, and no operation asked for that mode. Loaders apply a folder entry's mode and owner over "
        "the existing folder, so a /tmp of 1777 would become 0755 and no longer writable by other users, or a "
        "folder owned by a service user would become root's. Lamina writes such folders with the attributes the "
        "image has; this is reported when a host folder's mode (or a layer from elsewhere) still changes one.",
        "Not verified by Lamina's tests.", "Not verified by Lamina's tests.",
        "Applies them: /tmp comes out 0755 (tests/core/compose/tst_export.cpp, foldersKeepTheirAttributes).",
        "Not checked." },
    { "untagged", "The output gives the image no tag",
        "The written archive names the image by no repository and tag (manifest.json's RepoTags is null, the OCI "
        "index has no ref.name). A loader then knows it by its ID alone: it is listed as <none>, and finding it again "
        "means copying the ID from the load's output. Lamina keeps the base image's tags unless they are changed.",
        "Loads it untagged and prints only \"Loaded image ID: …\" (moby image/tarexport/load.go, Load).",
        "Imports it without a name it can be found by.", "Loads it untagged (<none>).", "Not checked." },
    { "nothing-to-delete", "A delete removes nothing",
        "A new layer deletes (whites out) a path that the image does not have below it. The whiteout is stored and "
        "does nothing; the path is most likely mistyped, and what was meant to go is still in the image.",
        "Not verified by Lamina's tests.", "Not verified by Lamina's tests.", "Not verified by Lamina's tests.",
        "Not checked." },
    { "setuid-file", "A new file has a set-user or set-group ID bit",
        "A file with the setuid or setgid bit runs with its owner's rights. That is rarely what a hand-made layer "
        "means to do.",
        "Keeps the bit.", "Keeps the bit.", "Keeps the bit (unless --security-opt no-new-privileges).",
        "Keeps the bit." },
};

#undef LEGACY_ONLY_DOCKER
#undef IGNORES_L

// What each loader family does when it reads the view a finding concerns (core/check/loaders.cpp
// decides which view that is). "L" loads; "R:text" refuses, printing text; "D:text" loads another
// image than the manifest describes. For the installed versions (Docker 20.10, containerd 1.6,
// podman 4.3) each is checked against the real loader by tests/core/check/tst_loaders (docs/loaders.md); for
// go-containerregistry it is read from pkg/v1/tarball/image.go (Image, loadTarDescriptorAndConfig)
// and pkg/v1/partial.
struct OutcomeEntry
{
    const char *code;
    const char *outcomes[4]; // DockerClassic, Containerd, Podman, Ggcr
    const char *containerd2 = nullptr; // Docker 29 and containerd 2, when they differ from containerd 1.6–1.7
};

const OutcomeEntry kOutcomes[] = {
    { "chain-order-mismatch", { "D:", "L", "L", "L" } },
    { "chain-length-mismatch", { "D:", "L", "L", "L" } },
    { "layer-count-mismatch",
        { "R:invalid manifest, layers length mismatch", "R:mismatched image rootfs and manifest layers",
            "R:Inconsistent layer count", "R:" } },
    { "dangling-parent", { "R:/json: no such file or directory", "L", "L", "L" } },
    { "parent-cycle", { "R:", "L", "L", "L" } },
    { "chain-fork", { "L", "L", "L", "L" } },
    { "orphan-layer", { "L", "L", "L", "L" } },
    { "legacy-id-mismatch", { "L", "L", "L", "L" } },
    { "repositories-mismatch", { "L", "L", "L", "L" } },
    { "invalid-tag", { "R:invalid tag", "L", "R:does not contain a tag", "R:" } },
    // A damaged layer stops the unpacking before any digest is compared: no one message.
    { "diffid-mismatch", { "R:", "R:", "R:", "L" } },
    { "config-missing", { "R:no such file or directory", "R:not found", "R:", "R:" } },
    { "config-invalid", { "R:", "R:", "R:", "R:" } },
    { "config-digest-mismatch", { "L", "R:", "R:does not match expected", "L" } },
    { "history-mismatch", { "R:too many non-empty layers in History section", "L", "L", "L" } },
    { "layer-missing", { "R:no such file or directory", "R:not found", "R:", "R:" } },
    { "duplicate-layer", { "L", "L", "L", "L" } },
    { "layer-path-conflict",
        { "R:invalid diffID for layer", "R:wrong diff id calculated on extraction",
            "R:used for two different DiffID values", "L" } },
    { "symlink-unresolved", { "R:", "R:no target for symlink layer", "R:", "R:" } },
    { "manifest-oci-mismatch", { "L", "R:", "L", "L" } },
    { "blob-digest-mismatch", { "L", "R:", "R:", "L" } },
    { "blob-size-mismatch", { "L", "L", "L", "L" } },
    { "media-type-mismatch", { "L", "L", "L", "L" } },
    { "parent-image-invalid", { "L", "L", "L", "L" } },
    { "layer-sources-inconsistent", { "L", "L", "L", "L" } },
    { "legacy-config-mismatch", { "D:", "L", "L", "L" } },
    { "legacy-platform-mismatch", { "D:", "L", "L", "L" } },
    { "legacy-json-refused", { "R:", "L", "L", "L" } },
    { "legacy-version-invalid", { "L", "L", "L", "L" } },
    { "multiple-images", { "L", "L", "L", "L" } },
    { "unsafe-path", { "R:", "R:", "R:", "R:" } },
    { "config-type-error", { "L", "R:cannot unmarshal", "R:cannot unmarshal", "R:" } },
    { "legacy-only",
        { "L", "R:unrecognized image format", "R:manifest.json: file does not exist",
            "R:file manifest.json not found in tar" } },
    { "oci-only", { "R:blobs/json: no such file or directory", "L", "L", "R:file manifest.json not found in tar" } },
    { "archive-compressed", { "L", "R:invalid tar header", "R:", "R:" }, "L" },
    { "no-legacy-chain", { "L", "L", "L", "L" } },
    { "manifest-invalid", { "R:", "R:", "R:", "R:" } },
    { "index-invalid", { "L", "R:", "R:", "L" } },
    { "archive-damaged", { "R:unexpected EOF", "R:", "R:", "R:" } },
    // Go's archive/tar (Reader.Next) gives io.EOF when a stream stops at a header's place, and the
    // importers read members until io.EOF (moby image/tarexport/load.go through pkg/archive,
    // containerd images/archive/importer.go ImportIndex, ggcr pkg/v1/tarball/image.go
    // extractFileFromTar). tst_loaders loads findings/archive-unterminated*.tar with the first three.
    { "archive-unterminated", { "L", "L", "L", "L" } },
    { "not-an-image", { "R:no such file or directory", "R:unrecognized image format", "R:", "R:" } },
    // Layer contents: Docker and podman store layers through tar-split, which refuses a path twice;
    // containerd extracts in order. go-containerregistry loads without unpacking.
    { "layer-duplicate-path",
        { "R:duplicates of file paths not supported", "L", "R:duplicates of file paths not supported", "L" } },
    { "layer-hardlink-invalid",
        { "R:no such file or directory", "R:no such file or directory", "R:no such file or directory", "L" } },
    // containerd refuses every form (archive/tar.go: "invalid whiteout name", or "not a directory"
    // making the folder an opaque marker sits in); Docker and podman only ".wh..." at the root
    // (layerContentFindings says which).
    { "layer-whiteout-invalid", { "L", "R:", "L", "L" } },
    { "layer-damaged", { "R:", "R:", "R:", "R:" } },
    { "layer-entry-unsupported",
        { "R:unhandled tar header type 83", "R:unhandled tar header type 83", "R:unhandled tar header type 83", "L" } },
    // containers/image oci/layout/oci_transport.go getManifestDescriptor: with no image named,
    // an index of other than one entry is refused; containerd imports every entry.
    { "oci-index-ambiguous", { "L", "L", "R:more than one image in oci, choose an image", "L" } },
};

std::array<Outcome, kLoaderFamilies> outcomesOf(const QString &code)
{
    std::array<Outcome, kLoaderFamilies> out;
    for (const OutcomeEntry &e : kOutcomes) {
        if (code != QLatin1String(e.code))
            continue;
        const LoaderFamily columns[]
            = { LoaderFamily::DockerClassic, LoaderFamily::Containerd, LoaderFamily::Podman, LoaderFamily::Ggcr };
        for (int i = 0; i < 5; ++i) {
            const char *spec = i < 4 ? e.outcomes[i] : e.containerd2 ? e.containerd2 : e.outcomes[1];
            Outcome &o = out[std::size_t(i < 4 ? columns[i] : LoaderFamily::Containerd2)];
            o.verdict = spec[0] == 'R' ? Verdict::Refuses : spec[0] == 'D' ? Verdict::LoadsDifferently : Verdict::Loads;
            if (spec[0] != 'L')
                o.message = QString::fromUtf8(spec + 2);
        }
    }
    return out;
}

CodeInfo infoOf(const Entry &e)
{
    return { QString::fromUtf8(e.title), QString::fromUtf8(e.explanation),
        { QString::fromUtf8(e.docker), QString::fromUtf8(e.containerd), QString::fromUtf8(e.podman),
            QString::fromUtf8(e.ggcr) },
        outcomesOf(QString::fromLatin1(e.code)) };
}

template <std::size_t N> QStringList codesOf(const Entry (&entries)[N])
{
    QStringList codes;
    for (const Entry &e : entries)
        codes << QString::fromLatin1(e.code);
    return codes;
}

} // namespace

QStringList findingCodes()
{
    return codesOf(kEntries);
}

QStringList composeCheckCodes()
{
    return codesOf(kComposeEntries);
}

CodeInfo codeInfo(const QString &code)
{
    for (const Entry &e : kEntries)
        if (code == QLatin1String(e.code))
            return infoOf(e);
    for (const Entry &e : kComposeEntries)
        if (code == QLatin1String(e.code))
            return infoOf(e);
    return {};
}

Finding makeFinding(const char *code, Severity severity, const QString &message, const QString &specific)
{
    Finding f;
    f.code = QString::fromLatin1(code);
    f.severity = severity;
    f.message = message;
    const CodeInfo info = codeInfo(f.code);
    Q_ASSERT(!info.title.isEmpty());
    f.explanation = specific.isEmpty() ? info.explanation : info.explanation + QStringLiteral("\n\n") + specific;
    f.loaders = info.loaders;
    f.outcomes = info.outcomes;
    return f;
}

} // namespace lamina
