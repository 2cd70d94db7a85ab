// SPDX-License-Identifier: MIT
// app/mbrtowc.cpp answers ASCII bytes itself and passes everything else to glibc: every answer
// (result, wide character, errno, shift state) must be glibc's, in UTF-8 and other locales, set
// for the process or for the thread (the layer indexer's lamina_utf8_locale()).
#include "archive/memberreader.h"
#include "layers/layerindex.h"
#include "util/progress.h"
#include "util/utf8locale.h"

#include <QProcess>
#include <QTest>

#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <langinfo.h>
#include <locale.h>

#include <cerrno>
#include <clocale>
#include <cstring>
#include <cwchar>

namespace {

using Mbrtowc = size_t (*)(wchar_t *, const char *, size_t, mbstate_t *);

struct Answer
{
    size_t result;
    wchar_t wc;
    int error;
    bool initial;
    bool operator==(const Answer &) const = default;
};

Answer ask(Mbrtowc f, const char *s, size_t n, mbstate_t *state, bool withOut = true)
{
    wchar_t wc = L'?';
    errno = 0;
    const size_t r = f(withOut ? &wc : nullptr, s, n, state);
    return { r, wc, errno, state ? bool(std::mbsinit(state)) : true };
}

/// A layer in memory that notes the thread's locale whenever the indexer reads from it.
class WatchedReader : public lamina::MemberReader
{
public:
    explicit WatchedReader(QByteArray bytes)
        : m_bytes(std::move(bytes))
    {
    }
    qint64 read(char *buffer, qint64 max) override
    {
        localesSeen.append(uselocale(nullptr));
        const qint64 n = std::min<qint64>(max, m_bytes.size() - m_at);
        std::memcpy(buffer, m_bytes.constData() + m_at, size_t(n));
        m_at += n;
        return n;
    }
    QString error() const override { return {}; }
    QList<locale_t> localesSeen;

private:
    QByteArray m_bytes;
    qint64 m_at = 0;
};

QByteArray smallLayer()
{
    const lamina::Utf8Thread utf8; // libarchive's PAX writer needs it for a UTF-8 name in a C locale
    QByteArray out(64 * 1024, '\0');
    size_t used = 0;
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_open_memory(a, out.data(), size_t(out.size()), &used);
    for (const char *name : { "etc/", "etc/hostname", "etc/caf\xc3\xa9" }) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname_utf8(e, name);
        const bool dir = name[std::strlen(name) - 1] == '/';
        archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, dir ? 0 : 3);
        archive_write_header(a, e);
        if (!dir)
            archive_write_data(a, "hi\n", 3);
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    out.truncate(qsizetype(used));
    return out;
}

} // namespace

extern "C" locale_t lamina_utf8_locale() noexcept;

class TestMbrtowc : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void sameAnswersAsGlibc_data();
    void sameAnswersAsGlibc();
    void theLocaleForReadingNames();
    void theIndexerReadsInItAndRestoresTheThreadsLocale();
    void theProgramUsesIt();

private:
    Mbrtowc m_ours = nullptr;
    Mbrtowc m_glibc = nullptr;
};

void TestMbrtowc::initTestCase()
{
    m_ours = &mbrtowc; // this executable's definition (app/mbrtowc.cpp is linked in)
    m_glibc = reinterpret_cast<Mbrtowc>(dlsym(RTLD_NEXT, "mbrtowc"));
    QVERIFY(m_glibc);
    QVERIFY(m_ours != m_glibc);
    // What libarchive's call resolves to is the executable's.
    QVERIFY(reinterpret_cast<Mbrtowc>(dlsym(RTLD_DEFAULT, "mbrtowc")) == m_ours);
}

void TestMbrtowc::sameAnswersAsGlibc_data()
{
    QTest::addColumn<QByteArray>("locale");
    QTest::addColumn<int>("thread"); // 0: the process's locale; 1: lamina_utf8_locale(); 2: another thread locale
    QTest::newRow("C.UTF-8") << QByteArray("C.UTF-8") << 0;
    QTest::newRow("C") << QByteArray("C") << 0;
    QTest::newRow("POSIX") << QByteArray("POSIX") << 0;
    // The process in C, the thread in the indexer's UTF-8 locale: answers by the thread's.
    QTest::newRow("thread: lamina_utf8_locale, process C") << QByteArray("UTF-8") << 1;
    QTest::newRow("thread: C, process C.UTF-8") << QByteArray("C") << 2;
}

void TestMbrtowc::sameAnswersAsGlibc()
{
    QFETCH(QByteArray, locale);
    QFETCH(int, thread);
    const QByteArray saved = std::setlocale(LC_CTYPE, nullptr);
    QVERIFY(std::setlocale(LC_CTYPE, thread == 1 ? "C" : thread == 2 ? "C.UTF-8" : locale.constData()));
    const locale_t other = thread == 2 ? newlocale(LC_ALL_MASK, "C", nullptr) : nullptr;
    const locale_t before = thread == 1 ? uselocale(lamina_utf8_locale()) : thread == 2 ? uselocale(other) : nullptr;
    auto restore = qScopeGuard([&] {
        if (before)
            uselocale(before);
        if (other)
            freelocale(other);
        std::setlocale(LC_CTYPE, saved.constData());
    });
    if (thread == 1)
        QVERIFY(uselocale(nullptr) == lamina_utf8_locale());
    auto both = [&](const QByteArray &bytes, size_t n, const char *what) {
        mbstate_t a {}, b {};
        const Answer x = ask(m_ours, bytes.constData(), n, &a), y = ask(m_glibc, bytes.constData(), n, &b);
        QVERIFY2(x == y,
            qPrintable(QStringLiteral("%1 %2 (n=%3): ours %4/%5/%6, glibc %7/%8/%9")
                           .arg(QString::fromLatin1(what), QString::fromLatin1(bytes.toHex()))
                           .arg(n)
                           .arg(qint64(x.result))
                           .arg(int(x.wc))
                           .arg(x.error)
                           .arg(qint64(y.result))
                           .arg(int(y.wc))
                           .arg(y.error)));
        // Without somewhere to put the character, and with glibc's internal state.
        QCOMPARE(
            ask(m_ours, bytes.constData(), n, &a, false).result, ask(m_glibc, bytes.constData(), n, &b, false).result);
    };
    for (int c = 0; c < 256; ++c) {
        const QByteArray one(1, char(c));
        both(one, 1, "byte");
        both(one, 0, "no bytes of");
    }
    for (const char *s : { "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x90\xb3", "\xc3", "\xe2\x82", "\xff\xfe", "\xc0\xaf",
             "\xed\xa0\x80", "a\xc3\xa9" })
        for (size_t n = 1; n <= std::strlen(s); ++n)
            both(QByteArray(s), n, "sequence");
    // A character split across calls: the second call starts in a non-initial state, and an
    // ASCII byte there is an error, not a character.
    if (locale.endsWith("UTF-8")) {
        for (Mbrtowc f : { m_ours, m_glibc }) {
            mbstate_t state {};
            ask(f, "\xc3", 1, &state);
            QVERIFY(!std::mbsinit(&state));
        }
    }
    mbstate_t a {}, b {};
    ask(m_ours, "\xc3", 1, &a);
    ask(m_glibc, "\xc3", 1, &b);
    QVERIFY(ask(m_ours, "A", 1, &a) == ask(m_glibc, "A", 1, &b));
    // Null string and null state: glibc's rules.
    mbstate_t c {}, d {};
    QVERIFY(ask(m_ours, nullptr, 0, &c) == ask(m_glibc, nullptr, 0, &d));
    QCOMPARE(ask(m_ours, "A", 1, nullptr).result, ask(m_glibc, "A", 1, nullptr).result);
}

void TestMbrtowc::theLocaleForReadingNames()
{
    const locale_t mine = lamina_utf8_locale();
    QVERIFY(mine);
    QVERIFY(lamina_utf8_locale() == mine); // one object, made once
    QCOMPARE(QByteArray(nl_langinfo_l(CODESET, mine)), QByteArray("UTF-8"));
}

void TestMbrtowc::theIndexerReadsInItAndRestoresTheThreadsLocale()
{
    WatchedReader reader(smallLayer());
    const locale_t other = newlocale(LC_ALL_MASK, "C", nullptr);
    QVERIFY(other);
    const locale_t before = uselocale(other);
    const lamina::LayerIndexResult r
        = lamina::indexLayerFromReader(reader, lamina::Compression::None, {}, lamina::Progress(), -1);
    QVERIFY2(r.index, qPrintable(r.error));
    QCOMPARE(r.index->size(), 3);
    QVERIFY(!reader.localesSeen.isEmpty());
    for (const locale_t seen : std::as_const(reader.localesSeen))
        QVERIFY(seen == lamina_utf8_locale());
    QVERIFY(uselocale(nullptr) == other); // given back
    uselocale(before);
    freelocale(other);
}

void TestMbrtowc::theProgramUsesIt()
{
    // The executable must define (and so export) mbrtowc for libarchive's calls to reach it.
    QProcess nm;
    nm.start(QStringLiteral("nm"),
        { QStringLiteral("-D"), QStringLiteral("--defined-only"), QStringLiteral(LAMINA_BINARY) });
    QVERIFY(nm.waitForFinished(30000));
    const QByteArray symbols = nm.readAllStandardOutput();
    QVERIFY(symbols.contains(" T mbrtowc\n"));
    // And lamina_utf8_locale, for the window module's copy of the indexer to find.
    QVERIFY(symbols.contains(" T lamina_utf8_locale\n"));
}

QTEST_GUILESS_MAIN(TestMbrtowc)
#include "tst_mbrtowc.moc"
