// SPDX-License-Identifier: MIT
// app/mbrtowc.cpp answers ASCII bytes itself and passes everything else to glibc: every answer
// (result, wide character, errno, shift state) must be glibc's, in UTF-8 and other locales.
#include <QProcess>
#include <QTest>

#include <dlfcn.h>

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
    return {r, wc, errno, state ? bool(std::mbsinit(state)) : true};
}

} // namespace

class TestMbrtowc : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void sameAnswersAsGlibc_data();
    void sameAnswersAsGlibc();
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
    QTest::newRow("C.UTF-8") << QByteArray("C.UTF-8");
    QTest::newRow("C") << QByteArray("C");
    QTest::newRow("POSIX") << QByteArray("POSIX");
}

void TestMbrtowc::sameAnswersAsGlibc()
{
    QFETCH(QByteArray, locale);
    const QByteArray saved = std::setlocale(LC_CTYPE, nullptr);
    QVERIFY(std::setlocale(LC_CTYPE, locale.constData()));
    auto both = [&](const QByteArray &bytes, size_t n, const char *what) {
        mbstate_t a{}, b{};
        const Answer x = ask(m_ours, bytes.constData(), n, &a), y = ask(m_glibc, bytes.constData(), n, &b);
        QVERIFY2(x == y, qPrintable(QStringLiteral("%1 %2 (n=%3): ours %4/%5/%6, glibc %7/%8/%9")
                                        .arg(QString::fromLatin1(what), QString::fromLatin1(bytes.toHex())).arg(n)
                                        .arg(qint64(x.result)).arg(int(x.wc)).arg(x.error)
                                        .arg(qint64(y.result)).arg(int(y.wc)).arg(y.error)));
        // Without somewhere to put the character, and with glibc's internal state.
        QCOMPARE(ask(m_ours, bytes.constData(), n, &a, false).result, ask(m_glibc, bytes.constData(), n, &b, false).result);
    };
    for (int c = 0; c < 256; ++c) {
        const QByteArray one(1, char(c));
        both(one, 1, "byte");
        both(one, 0, "no bytes of");
    }
    for (const char *s : {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x90\xb3", "\xc3", "\xe2\x82", "\xff\xfe", "\xc0\xaf", "\xed\xa0\x80", "a\xc3\xa9"})
        for (size_t n = 1; n <= std::strlen(s); ++n)
            both(QByteArray(s), n, "sequence");
    // A character split across calls: the second call starts in a non-initial state, and an
    // ASCII byte there is an error, not a character.
    if (locale.endsWith("UTF-8")) {
        for (Mbrtowc f : {m_ours, m_glibc}) {
            mbstate_t state{};
            ask(f, "\xc3", 1, &state);
            QVERIFY(!std::mbsinit(&state));
        }
    }
    mbstate_t a{}, b{};
    ask(m_ours, "\xc3", 1, &a);
    ask(m_glibc, "\xc3", 1, &b);
    QVERIFY(ask(m_ours, "A", 1, &a) == ask(m_glibc, "A", 1, &b));
    // Null string and null state: glibc's rules.
    mbstate_t c{}, d{};
    QVERIFY(ask(m_ours, nullptr, 0, &c) == ask(m_glibc, nullptr, 0, &d));
    QCOMPARE(ask(m_ours, "A", 1, nullptr).result, ask(m_glibc, "A", 1, nullptr).result);
    std::setlocale(LC_CTYPE, saved.constData());
}

void TestMbrtowc::theProgramUsesIt()
{
    // The executable must define (and so export) mbrtowc for libarchive's calls to reach it.
    QProcess nm;
    nm.start(QStringLiteral("nm"), {QStringLiteral("-D"), QStringLiteral("--defined-only"), QStringLiteral(LAMINA_BINARY)});
    QVERIFY(nm.waitForFinished(30000));
    QVERIFY(nm.readAllStandardOutput().contains(" T mbrtowc\n"));
}

QTEST_GUILESS_MAIN(TestMbrtowc)
#include "tst_mbrtowc.moc"
