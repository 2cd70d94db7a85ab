// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

namespace lamina {

struct Platform
{
    QString os;
    QString architecture;
    QString variant;
    QString osVersion;

    bool isEmpty() const { return os.isEmpty() && architecture.isEmpty(); }
    /// "os/arch[/variant]", or "" when unknown.
    QString toString() const;
    bool operator==(const Platform &) const = default;
};

struct HistoryEntry
{
    QString created;
    QString createdBy;
    QString author;
    QString comment;
    bool emptyLayer = false;
};

/// An image configuration (Docker v1.2+ / OCI config, docs/formats.md §2.3). Unknown fields are kept
/// in `raw` and otherwise ignored.
struct ImageConfig
{
    Platform platform;
    QString created;
    QString author;
    QJsonObject config; ///< the "config" object: Cmd, Entrypoint, Env, WorkingDir, …
    bool hasRootfs = false;
    QString rootfsType;
    QStringList diffIds; ///< rootfs.diff_ids, bottom to top
    QList<HistoryEntry> history;
    QJsonObject raw;
};

/// Reads a config object. Fields of the wrong JSON type are reported in `errors` as
/// "<member>: field "x.y" must be …"; what could be read is still returned.
ImageConfig parseImageConfig(const QJsonObject &o, const QString &member, QStringList *errors);

} // namespace lamina
