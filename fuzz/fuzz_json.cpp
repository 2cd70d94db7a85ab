// SPDX-License-Identifier: MIT
// The JSON views: the first input byte picks which document the rest of the input becomes, in an
// otherwise well-formed layout folder — 0 manifest.json, 1 an image config, 2 a legacy <id>/json,
// 3 index.json, 4 an OCI image manifest (a blob index.json points to by its digest). The folder
// is then opened, checked and reported as `lamina check` and `lamina inspect` do.
#include "fuzzsupport.h"

#include "check/checks.h"
#include "format/imagearchive.h"
#include "format/inspectreport.h"

#include <QCryptographicHash>

using namespace lamina;

namespace {

const QByteArray kLayer = [] {
    // One empty tar: two zero blocks.
    return QByteArray(1024, '\0');
}();
const QByteArray kConfig
    = R"({"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},)"
      R"("rootfs":{"type":"layers","diff_ids":["sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef"]},)"
      R"("history":[{"created_by":"x"}]})";
const QByteArray kV1 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const QByteArray kV1Parent = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

QByteArray hex(const QByteArray &data)
{
    return QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex();
}

QByteArray descriptor(const char *mediaType, const QByteArray &data)
{
    return "{\"mediaType\":\"" + QByteArray(mediaType) + "\",\"digest\":\"sha256:" + hex(data)
        + "\",\"size\":" + QByteArray::number(data.size()) + "}";
}

QByteArray ociManifest()
{
    return "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":"
        + descriptor("application/vnd.oci.image.config.v1+json", kConfig) + ",\"layers\":["
        + descriptor("application/vnd.oci.image.layer.v1.tar", kLayer) + "]}";
}

QByteArray ociIndex(const QByteArray &manifest)
{
    return "{\"schemaVersion\":2,\"manifests\":["
        + descriptor("application/vnd.oci.image.manifest.v1+json", manifest).chopped(1)
        + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"t\"}}]}";
}

// Each kind has its own folder, written once except for the fuzzed document.
QString prepare(int kind, const QByteArray &doc)
{
    const QString dir = fuzz::scratch() + QStringLiteral("/kind%1").arg(kind);
    auto put
        = [&](const char *name, const QByteArray &data) { fuzz::writeFile(dir + u'/' + QLatin1String(name), data); };
    static bool ready[5] = {};
    if (!ready[kind]) {
        ready[kind] = true;
        switch (kind) {
        case 0:
            put("config.json", kConfig);
            put("layer.tar", kLayer);
            break;
        case 1:
            put("manifest.json", R"([{"Config":"config.json","RepoTags":["a:b"],"Layers":["layer.tar"]}])");
            put("layer.tar", kLayer);
            break;
        case 2:
            put("repositories", "{\"a\":{\"b\":\"" + kV1 + "\"}}");
            fuzz::writeFile(dir + u'/' + QString::fromLatin1(kV1) + QStringLiteral("/layer.tar"), kLayer);
            fuzz::writeFile(dir + u'/' + QString::fromLatin1(kV1) + QStringLiteral("/VERSION"), "1.0");
            fuzz::writeFile(dir + u'/' + QString::fromLatin1(kV1Parent) + QStringLiteral("/json"),
                "{\"id\":\"" + kV1Parent + "\",\"os\":\"linux\"}");
            fuzz::writeFile(dir + u'/' + QString::fromLatin1(kV1Parent) + QStringLiteral("/layer.tar"), kLayer);
            break;
        case 3:
        case 4: {
            put("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
            QList<QByteArray> blobs { kConfig, kLayer };
            if (kind == 3)
                blobs.append(ociManifest());
            for (const QByteArray &blob : blobs)
                fuzz::writeFile(dir + QStringLiteral("/blobs/sha256/") + QString::fromLatin1(hex(blob)), blob);
            break;
        }
        }
    }
    switch (kind) {
    case 0:
        put("manifest.json", doc);
        break;
    case 1:
        put("config.json", doc);
        break;
    case 2:
        fuzz::writeFile(dir + u'/' + QString::fromLatin1(kV1) + QStringLiteral("/json"), doc);
        break;
    case 3:
        put("index.json", doc);
        break;
    case 4: {
        static QString previous;
        const QString blob = dir + QStringLiteral("/blobs/sha256/") + QString::fromLatin1(hex(doc));
        if (!previous.isEmpty() && previous != blob)
            QFile::remove(previous);
        previous = blob;
        fuzz::writeFile(blob, doc);
        put("index.json", ociIndex(doc));
        break;
    }
    }
    return dir;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const int kind = data[0] % 5;
    const QByteArray doc(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));
    const ImageArchive ia = openImageArchive(prepare(kind, doc));
    checkArchive(ia);
    inspectJson(ia);
    inspectText(ia);
    return 0;
}
