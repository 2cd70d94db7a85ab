// SPDX-License-Identifier: MIT
// What `lamina check --verify` does after opening an archive: every image's layers read once for
// their entries and both digests, the digests compared with what the views claim, the layer
// contents judged, and the loader verdicts derived from all of it.
#include "fuzzsupport.h"

#include "check/checks.h"
#include "check/loaders.h"
#include "check/verify.h"
#include "format/imagearchive.h"
#include "layers/imagelayers.h"

#include <QFile>

using namespace lamina;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    if (sniffCompression(bytes) == Compression::None)
        fuzz::fixTarChecksums(bytes);
    const QString path = fuzz::scratch() + QStringLiteral("/input.tar");
    if (!fuzz::writeFile(path, bytes))
        return 0;
    const ImageArchive ia = openImageArchive(path);
    QList<Finding> findings = checkArchive(ia) + verifyLayers(ia).findings;
    deriveSeverities(ia, findings);
    loaderVerdictsJson(loaderVerdicts(ia, findings));
    QFile::remove(path);
    return 0;
}
