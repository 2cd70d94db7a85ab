// SPDX-License-Identifier: MIT
#include "check/inspection.h"

#include "check/checkreport.h"
#include "check/checks.h"
#include "format/inspectreport.h"

#include <QElapsedTimer>
#include <QJsonArray>

namespace lamina {

LayerIndexOptions inspectionOptions(bool verify)
{
    LayerIndexOptions options;
    options.computeDigests = verify;
    return options;
}

Inspection inspectLayers(const ImageArchive &ia, bool verify, const Progress &progress,
    const QHash<int, std::shared_ptr<const LayerIndex>> &known)
{
    Inspection in;
    QElapsedTimer timer;
    timer.start();
    LayerIndexOptions options = inspectionOptions(verify);
    options.knownByMember = known;
    const QList<ImageLayers> indexed = indexAllImageLayers(ia, options, progress, &in.sizes);
    in.verified = verify;
    if (verify) {
        in.report = verifyFromIndexes(ia, indexed, progress);
        in.verification = verificationFindings(ia, in.report);
        sortFindings(in.verification);
    }
    in.seconds = double(timer.elapsed()) / 1000.0;
    return in;
}

namespace {

void addLayerFigures(const ImageArchive &ia, const Inspection &in, int i, int l, QJsonObject &lo)
{
    const ImageSizes &sizes = in.sizes.at(i);
    if (l >= sizes.layers.size()) {
        if (!sizes.error.isEmpty()) {
            lo.insert(QStringLiteral("contribution"), QJsonValue::Null);
            lo.insert(QStringLiteral("cumulativeSize"), QJsonValue::Null);
        }
        return;
    }
    const ImageSizes::Layer &s = sizes.layers.at(l);
    const bool tree = sizes.error.isEmpty();
    lo.insert(QStringLiteral("uncompressedSize"),
        s.uncompressedSize >= 0 ? QJsonValue(double(s.uncompressedSize)) : QJsonValue(QJsonValue::Null));
    lo.insert(QStringLiteral("contribution"), tree ? QJsonValue(double(s.contribution)) : QJsonValue::Null);
    lo.insert(QStringLiteral("cumulativeSize"), tree ? QJsonValue(double(s.cumulative)) : QJsonValue::Null);
    lo.insert(QStringLiteral("fileCount"), s.fileCount);
    if (!in.verified)
        return;
    bool ok = true;
    for (const Finding &f : in.verification)
        ok = ok && !(f.image == i && f.layers.contains(l));
    const int member = ia.images.at(i).layers.value(l).member;
    lo.insert(QStringLiteral("verified"), ok && member >= 0 && in.report.members.value(member).error.isEmpty());
}

void addImageFigures(const ImageSizes &sizes, QJsonObject &img)
{
    if (!sizes.error.isEmpty()) {
        img.insert(QStringLiteral("wastedBytes"), QJsonValue::Null);
        img.insert(QStringLiteral("efficiency"), QJsonValue::Null);
        img.insert(QStringLiteral("sizesError"), sizes.error);
        return;
    }
    img.insert(QStringLiteral("wastedBytes"), double(sizes.wasted.wastedBytes));
    img.insert(QStringLiteral("efficiency"), sizes.wasted.efficiency);
}

} // namespace

QJsonObject inspectionJson(const ImageArchive &ia, const Inspection &in)
{
    QJsonObject o = inspectJson(ia, [&](int image, int layer, QJsonObject &object) {
        if (image >= in.sizes.size())
            return;
        if (layer < 0)
            addImageFigures(in.sizes.at(image), object);
        else
            addLayerFigures(ia, in, image, layer, object);
    });
    if (in.verified)
        o.insert(QStringLiteral("verification"), findingsJson(in.verification));
    return o;
}

QString inspectionText(const ImageArchive &ia, const Inspection &in)
{
    QString sizesText;
    for (int i = 0; i < in.sizes.size(); ++i) {
        const ImageSizes &sizes = in.sizes.at(i);
        if (!sizes.error.isEmpty()) {
            sizesText += QStringLiteral("Image %1: %2\n").arg(i).arg(sizes.error);
            continue;
        }
        sizesText += QStringLiteral(
            "Image %1: %2 bytes of files visible, %3 bytes wasted (hidden by later layers), efficiency %4%\n")
                         .arg(i)
                         .arg(sizes.wasted.visibleFileBytes)
                         .arg(sizes.wasted.wastedBytes)
                         .arg(sizes.wasted.efficiency * 100.0, 0, 'f', 1);
    }
    QString text = inspectText(ia) + (sizesText.isEmpty() ? QString() : u'\n' + sizesText);
    if (!in.verified || !ia.ok())
        return text;
    if (in.verification.isEmpty())
        text += QStringLiteral(
            "Verified: every layer matches its digests (%1 layer files, indexed and hashed in one read, %2 s)\n")
                    .arg(in.report.members.size())
                    .arg(in.seconds, 0, 'f', 2);
    for (const Finding &f : in.verification)
        text += severityName(f.severity).toUpper() + u' ' + f.code + QStringLiteral(": ") + f.message + u'\n';
    return text;
}

} // namespace lamina
