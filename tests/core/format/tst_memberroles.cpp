// SPDX-License-Identifier: MIT
// The core of the inspector's archive map and preview: each member's role and the loaders that
// read it, on archives other tools wrote; whether bytes are text, and the hex dump.
#include "format/memberroles.h"
#include "testsupport.h"
#include "util/textsniff.h"

#include <QTest>

using namespace lamina;
using lamina::test::corpus;

class TestMemberRoles : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void dockerSaveWithLinkedLayer();
    void ociBesideManifestWithUnreferencedBlobs();
    void noArchiveNoRows();
    void sniffsText_data();
    void sniffsText();
    void decodesWhatItSniffed();
    void hexDumpRows();
};

namespace {

const MemberRow *row(const QList<MemberRow> &rows, const QString &path)
{
    for (const MemberRow &r : rows)
        if (r.path == path)
            return &r;
    return nullptr;
}

QString paths(const QList<MemberRow> &rows)
{
    QStringList all;
    for (const MemberRow &r : rows)
        all << r.path;
    return all.join(u' ');
}

} // namespace

void TestMemberRoles::dockerSaveWithLinkedLayer()
{
    // docker save of two images; the duplicate layer.tar is a symlink to the other one.
    const ImageArchive ia = openImageArchive(corpus(QStringLiteral("ggcr__test_link.tar")));
    QVERIFY(ia.archive);
    const QList<MemberRow> rows = memberRows(ia);
    QCOMPARE(rows.size(), 13); // 16 members, 3 of them folders
    for (const MemberRow &r : rows)
        QVERIFY2(r.type != MemberType::Directory, qPrintable(r.path));

    const QString shared = QStringLiteral("6e77476643c3155b1e9ae07dd5a4c8288bdb6590c131c222b7a3f277dec1e266");
    const QString linked = QStringLiteral("b159278ac0c8813245b6c3b22cbbe7abefe3b2ec3fac6c7e87138811e1ef2a88");
    struct Expected
    {
        QString path;
        MemberRole role;
        MemberReaders readers;
    };
    const QList<Expected> expected {
        { QStringLiteral("manifest.json"), MemberRole::ManifestList, MemberReaders::Manifest },
        { QStringLiteral("repositories"), MemberRole::LegacyTags, MemberReaders::Legacy },
        { QStringLiteral("6e0b05049ed9c17d02e1a55e80d6599dbfcce7f4f4b022e3c673e685789c470e.json"),
            MemberRole::ImageConfig, MemberReaders::Manifest },
        { shared + QStringLiteral("/layer.tar"), MemberRole::Layer, MemberReaders::Manifest },
        { shared + QStringLiteral("/json"), MemberRole::LegacyLayerJson, MemberReaders::Legacy },
        { shared + QStringLiteral("/VERSION"), MemberRole::LegacyVersion, MemberReaders::Legacy },
        { linked + QStringLiteral("/layer.tar"), MemberRole::Layer, MemberReaders::Manifest },
        { linked + QStringLiteral("/json"), MemberRole::LegacyLayerJson, MemberReaders::Legacy },
    };
    for (const Expected &e : expected) {
        const MemberRow *r = row(rows, e.path);
        QVERIFY2(r, qPrintable(e.path));
        QCOMPARE(memberRoleName(r->role), memberRoleName(e.role));
        QCOMPARE(memberReadersName(r->readers), memberReadersName(e.readers));
        QCOMPARE(ia.archive->member(r->member).path, e.path);
    }
    QCOMPARE(memberReadersName(MemberReaders::Manifest), QStringLiteral("Docker ≤ 28, podman, ggcr"));
    QCOMPARE(memberRoleName(MemberRole::ManifestList), QStringLiteral("manifest list (M)"));

    const MemberRow *link = row(rows, linked + QStringLiteral("/layer.tar"));
    QVERIFY(link->link);
    QCOMPARE(link->type, MemberType::Symlink);
    QCOMPARE(link->linkTarget, shared + QStringLiteral("/layer.tar"));
    QVERIFY(link->linkError.isEmpty());
    QCOMPARE(link->size, 0);
    QCOMPARE(row(rows, shared + QStringLiteral("/layer.tar"))->size, 10240);
    QVERIFY(!row(rows, shared + QStringLiteral("/layer.tar"))->link);
    // Nothing in a docker save of this era is left without a role.
    for (const MemberRow &r : rows)
        QVERIFY2(r.role != MemberRole::Unknown && r.role != MemberRole::UnreferencedBlob, qPrintable(r.path));
}

void TestMemberRoles::ociBesideManifestWithUnreferencedBlobs()
{
    // Docker 25: manifest.json naming blobs, index.json with "manifests": null, and the OCI
    // manifest and v1 json as blobs nothing read names.
    const ImageArchive ia = openImageArchive(corpus(QStringLiteral("ggcr__hello-world-v25.tar")));
    QVERIFY(ia.archive);
    const QList<MemberRow> rows = memberRows(ia);
    QCOMPARE(rows.size(), 7);
    const auto blob = [](const char *hex) -> QString { return QStringLiteral("blobs/sha256/") + QLatin1String(hex); };
    for (const QString &path : QStringList { QStringLiteral("manifest.json"), QStringLiteral("index.json"),
             QStringLiteral("oci-layout"), blob("ee301c921b8aadc002973b2e0c3da17d701dcd994b606769a7e6eaa100b81d44"),
             blob("12660636fe55438cc3ae7424da7ac56e845cdb52493ff9cf949c47a7f57f8b43") })
        QVERIFY2(row(rows, path), qPrintable(path + QStringLiteral(" not in ") + paths(rows)));
    QCOMPARE(row(rows, QStringLiteral("manifest.json"))->role, MemberRole::ManifestList);
    QCOMPARE(row(rows, QStringLiteral("index.json"))->role, MemberRole::OciIndex);
    QCOMPARE(row(rows, QStringLiteral("index.json"))->readers, MemberReaders::Oci);
    QCOMPARE(row(rows, QStringLiteral("oci-layout"))->role, MemberRole::OciLayoutMarker);
    const MemberRow *config = row(rows, blob("ee301c921b8aadc002973b2e0c3da17d701dcd994b606769a7e6eaa100b81d44"));
    QCOMPARE(config->role, MemberRole::ImageConfig);
    QCOMPARE(config->readers, MemberReaders::Manifest);
    const MemberRow *layer = row(rows, blob("12660636fe55438cc3ae7424da7ac56e845cdb52493ff9cf949c47a7f57f8b43"));
    QCOMPARE(layer->role, MemberRole::Layer);
    QCOMPARE(layer->size, 10752);
    for (const char *hex : { "411caf340c828657e915a83ed561a79d2b8150dabad4dc079d881cbfe6f86afe",
             "ac09ed77c1b58dc3f93528f17515cb1c5487fa8f304ba2ed54d0f14686f1136e" }) {
        const MemberRow *r = row(rows, blob(hex));
        QVERIFY2(r, hex);
        QCOMPARE(r->role, MemberRole::UnreferencedBlob);
        QCOMPARE(r->readers, MemberReaders::None);
        QCOMPARE(memberReadersName(r->readers), QString());
    }
}

void TestMemberRoles::noArchiveNoRows()
{
    QVERIFY(memberRows(ImageArchive()).isEmpty());
    const ImageArchive empty = openImageArchive(corpus(QStringLiteral("scalibr__empty.tar")));
    QVERIFY(memberRows(empty).isEmpty());
}

void TestMemberRoles::sniffsText_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<bool>("truncated");
    QTest::addColumn<int>("kind");
    QTest::newRow("ascii") << QByteArray("#!/bin/sh\necho hi\n") << false << int(TextKind::Utf8);
    QTest::newRow("utf-8") << QByteArray("gr\xc3\xbc\xc3\x9f dich\n") << false << int(TextKind::Utf8);
    // "ü" cut after its first byte where the preview stops reading: still text.
    QTest::newRow("utf-8 cut at the end") << QByteArray("abc \xc3") << true << int(TextKind::Utf8);
    QTest::newRow("utf-8 cut, 3 of 4") << QByteArray("x\xf0\x9f\x98") << true << int(TextKind::Utf8);
    // The same bytes as a whole file are not UTF-8.
    QTest::newRow("utf-8 broken, whole file") << QByteArray("abc \xc3") << false << int(TextKind::Latin1);
    QTest::newRow("broken in the middle") << QByteArray("a\xc3z\n") << true << int(TextKind::Latin1);
    QTest::newRow("latin-1") << QByteArray("caf\xe9\n") << false << int(TextKind::Latin1);
    QTest::newRow("nul") << QByteArray("ab\0cd", 5) << false << int(TextKind::Binary);
    QTest::newRow("elf") << QByteArray("\x7f"
                                       "ELF\x02\x01\x01",
        7) << false << int(TextKind::Binary);
    QTest::newRow("utf-16le") << QByteArray("\xff\xfeh\0i\0", 6) << false << int(TextKind::Utf16);
    QTest::newRow("utf-16be") << QByteArray("\xfe\xff\0h\0i", 6) << false << int(TextKind::Utf16);
    QTest::newRow("escapes") << QByteArray("\x1b[1mbold\x1b[0m\f\r\n") << false << int(TextKind::Utf8);
    QTest::newRow("bell") << QByteArray("ding\a") << false << int(TextKind::Binary);
    QTest::newRow("empty") << QByteArray() << false << int(TextKind::Utf8);
}

void TestMemberRoles::sniffsText()
{
    QFETCH(QByteArray, bytes);
    QFETCH(bool, truncated);
    QFETCH(int, kind);
    QCOMPARE(int(sniffText(bytes, truncated)), kind);
}

void TestMemberRoles::decodesWhatItSniffed()
{
    QCOMPARE(decodeText(QByteArray("\xff\xfeh\0i\0", 6), TextKind::Utf16), QStringLiteral("hi"));
    QCOMPARE(decodeText(QByteArray("\xfe\xff\0h\0i", 6), TextKind::Utf16), QStringLiteral("hi"));
    QCOMPARE(decodeText(QByteArray("gr\xc3\xbc\xc3\x9f"), TextKind::Utf8), QStringLiteral("grüß"));
    QCOMPARE(decodeText(QByteArray("caf\xe9"), TextKind::Latin1), QStringLiteral("café"));
    QCOMPARE(decodeText(QByteArray("ab\0", 3), TextKind::Binary), QString());
}

void TestMemberRoles::hexDumpRows()
{
    QByteArray data;
    for (int i = 0; i < 18; ++i)
        data += char(0x3e + i);
    data[1] = '\n';
    const QStringList lines = hexDump(data).split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines.size(), 2);
    QCOMPARE(
        lines.at(0), QStringLiteral("00000000  3e 0a 40 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d  >.@ABCDEFGHIJKLM"));
    // The short last row keeps the ASCII column where the full rows have it.
    QCOMPARE(lines.at(1), QStringLiteral("00000010  4e 4f") + QString(47 - 5, u' ') + QStringLiteral("  NO"));
    QCOMPARE(hexDump({}), QString());
}

QTEST_GUILESS_MAIN(TestMemberRoles)
#include "tst_memberroles.moc"
