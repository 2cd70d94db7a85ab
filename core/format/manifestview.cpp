// SPDX-License-Identifier: MIT
// M: manifest.json (docs/formats.md §2.1) and the image configs it names (§2.3).
#include "format/views.h"

#include "format/json.h"
#include "util/sha256.h"

namespace lamina {

LoadedConfig loadConfig(const Archive &archive, const QString &path, QHash<int, LoadedConfig> *cache)
{
    LoadedConfig c;
    QStringList *errors = &c.problems;
    c.path = path;
    const Archive::Resolved r = archive.resolve(path);
    if (r.index < 0) {
        c.error = QStringLiteral("config %1").arg(r.error);
        errors->append(c.error);
        return c;
    }
    if (cache) {
        if (const auto it = cache->constFind(r.index); it != cache->cend()) {
            // Implicitly shared: the bytes and the parsed config are not copied.
            LoadedConfig same = *it;
            same.path = path;
            return same;
        }
        c = loadConfig(archive, path);
        cache->insert(r.index, c);
        return c;
    }
    c.member = r.index;
    const Archive::ReadResult data = archive.read(r.index);
    if (!data.ok()) {
        c.error = data.error;
        errors->append(c.error);
        return c;
    }
    c.bytes = data.data;
    c.digest = Sha256::of(c.bytes);
    const int before = int(errors->size());
    auto doc = parseJson(c.bytes, path, errors);
    if (!doc) {
        c.error = errors->value(before);
        return c;
    }
    if (!doc->isObject()) {
        c.error = QStringLiteral("%1: an image config must be a JSON object").arg(path);
        errors->append(c.error);
        return c;
    }
    c.config = parseImageConfig(doc->object(), path, errors);
    if (!c.config->hasRootfs)
        errors->append(
            QStringLiteral("%1: the config has no \"rootfs\" (Docker: \"invalid image JSON, no RootFS key\")")
                .arg(path));
    return c;
}

ManifestView readManifestView(const Archive &archive)
{
    ManifestView view;
    QStringList *errors = &view.problems;
    const QString name = QStringLiteral("manifest.json");
    view.member = archive.find(name);
    if (view.member < 0)
        return view;
    view.present = true;
    const Archive::Resolved r = archive.resolve(name);
    if (r.index < 0) {
        errors->append(QStringLiteral("manifest.json: %1").arg(r.error));
        return view;
    }
    const Archive::ReadResult data = archive.read(r.index);
    if (!data.ok()) {
        errors->append(data.error);
        return view;
    }
    if (data.data.trimmed() == "null") {
        errors->append(QStringLiteral("manifest.json: the manifest is the JSON literal null, not an array of images "
                                      "(Docker: \"invalid manifest, manifest cannot be null (but can be [])\")"));
        return view;
    }
    auto doc = parseJson(data.data, name, errors);
    if (!doc)
        return view;
    if (!doc->isArray()) {
        errors->append(QStringLiteral("manifest.json: must be a JSON array of image entries, but is an object"));
        return view;
    }
    view.valid = true;
    QHash<int, LoadedConfig> configs;
    const QJsonArray entries = doc->array();
    if (entries.isEmpty())
        errors->append(QStringLiteral("manifest.json: the array is empty: the archive names no image"));
    for (qsizetype i = 0; i < entries.size(); ++i) {
        if (i >= limits::kMaxImages) {
            errors->append(QStringLiteral("manifest.json: %1 entries, more than %2; the rest were not read%3")
                               .arg(entries.size())
                               .arg(limits::kMaxImages)
                               .arg(limits::note("kMaxImages", limits::kMaxImages)));
            break;
        }
        const QString where = QStringLiteral("manifest.json entry %1").arg(i);
        if (!entries.at(i).isObject()) {
            errors->append(QStringLiteral("%1: must be an object, but is %2").arg(where, jsonTypeName(entries.at(i))));
            continue;
        }
        const QJsonObject o = entries.at(i).toObject();
        JsonFields f(where, errors);
        const qsizetype problemsBefore = errors->size();
        ManifestEntry e;
        e.index = int(i);
        e.raw = o;
        // Jib writes lowercase keys (config, repoTags, layers); Docker's loader matches JSON keys
        // case-insensitively, so both spellings load.
        e.lowercaseKeys = !o.contains(QStringLiteral("Config")) && o.contains(QStringLiteral("config"));
        auto key = [&](const char *upper, const char *lower) {
            const QString u = QString::fromLatin1(upper);
            return o.contains(u) ? u : QString::fromLatin1(lower);
        };
        e.configPath = f.string(o, key("Config", "config"));
        e.repoTags = f.stringList(o, key("RepoTags", "repoTags"), {}, &e.repoTagsNull);
        e.layers = f.stringList(o, key("Layers", "layers"));
        if (e.layers.size() > limits::kMaxImageLayers) {
            errors->append(
                QStringLiteral("%1: field \"Layers\" lists %2 layers, more than %3; only the first %3 were read%4")
                    .arg(where)
                    .arg(e.layers.size())
                    .arg(limits::kMaxImageLayers)
                    .arg(limits::note("kMaxImageLayers", limits::kMaxImageLayers)));
            e.layers.resize(limits::kMaxImageLayers);
        }
        e.parent = f.string(o, key("Parent", "parent"));
        e.layerSources = f.object(o, key("LayerSources", "layerSources"));
        e.fieldsValid = errors->size() == problemsBefore;
        if (e.configPath.isEmpty())
            e.config.problems.append(QStringLiteral("%1: has no \"Config\" path").arg(where));
        else
            e.config = loadConfig(archive, e.configPath, &configs);
        view.entries.append(e);
    }
    return view;
}

} // namespace lamina
