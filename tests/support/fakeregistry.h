// SPDX-License-Identifier: MIT
// A registry played by tests/support/fake_registry.py on 127.0.0.1, honest or lying as its mode
// says, on a port of its own, for the tests of registry:// (core/engine/registrysource.h) and of
// the window's dialogs that reach one.
#pragma once

#include "testsupport.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace lamina::test {

/// fake_registry.py in one mode (and with `more` arguments: --tls CERT KEY, --client-ca CA), on a
/// port of its own; it stops when this goes (it ends when its standard input closes).
class FakeRegistry
{
public:
    explicit FakeRegistry(const QString &mode = QStringLiteral("ok"), const QStringList &more = {})
    {
        m_process.start(QStringLiteral("python3"),
            QStringList { source(QStringLiteral("tests/support/fake_registry.py")), QStringLiteral("--mode"), mode }
                + more);
        if (!m_process.waitForStarted(10000) || !m_process.waitForReadyRead(10000))
            return;
        const QByteArray line = m_process.readLine().trimmed();
        if (line.startsWith("PORT "))
            m_port = line.mid(5).toInt();
    }
    ~FakeRegistry()
    {
        m_process.closeWriteChannel();
        if (!m_process.waitForFinished(5000)) {
            m_process.kill();
            m_process.waitForFinished(5000);
        }
    }
    FakeRegistry(const FakeRegistry &) = delete;
    FakeRegistry &operator=(const FakeRegistry &) = delete;

    bool ok() const { return m_port > 0; }
    QString host() const { return QStringLiteral("127.0.0.1:%1").arg(m_port); }
    QString reference(const QString &rest) const { return QStringLiteral("registry://%1/%2").arg(host(), rest); }
    /// How many requests each path had.
    QJsonObject stats() const
    {
        QProcess fetch;
        fetch.start(QStringLiteral("python3"),
            { QStringLiteral("-c"),
                QStringLiteral("import urllib.request,sys; sys.stdout.write(urllib.request.urlopen('http://%1/_stats')"
                               ".read().decode())")
                    .arg(host()) });
        fetch.waitForFinished(10000);
        return QJsonDocument::fromJson(fetch.readAllStandardOutput()).object();
    }

private:
    QProcess m_process;
    int m_port = 0;
};

} // namespace lamina::test
