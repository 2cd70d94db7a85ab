// SPDX-License-Identifier: MIT
#include "cli.h"

#include "check/checkreport.h"
#include "check/checks.h"
#include "check/inspection.h"
#include "check/loaders.h"
#include "check/tryloaders.h"
#include "check/verify.h"
#include "compose/commandline.h"
#include "compose/composition.h"
#include "compose/compositionjson.h"
#include "format/imagearchive.h"
#include "format/inspectreport.h"
#include "format/json.h"
#include "layers/extract.h"
#include "layers/imagelayers.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>
#include <QTimeZone>
#include <QUtf8StringView>

#include <optional>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lamina {

namespace {

const char *const kUsage
    = "Usage:\n"
      "  lamina [PATH]                  open the window (on PATH, an archive or OCI layout folder)\n"
      "  lamina inspect [--json] [--verify] PATH\n"
      "                                 describe the images, layers, sizes and views of an archive;\n"
      "                                 --verify also checks every layer's digests in the same read\n"
      "                                 (exit 1 when one does not match)\n"
      "  lamina check [--json] [--verify] [--explain] PATH\n"
      "                                 where the views disagree with each other (and, with --verify,\n"
      "                                 with the bytes); exit 0 no error, 1 errors found, 2 unreadable\n"
      "  lamina check --try-loaders [--containerd-address SOCKET] [--docker-host HOST] [--json] PATH\n"
      "                                 also load PATH with the loaders of this machine and show what\n"
      "                                 each did beside the prediction: podman into a throwaway store,\n"
      "                                 containerd into a throwaway namespace, Docker into HOST's daemon\n"
      "                                 (only when named), each removing what it loaded; exit 0 when\n"
      "                                 all did as predicted, 1 when one did not, 2 when none could run\n"
      "                                 or something could not be removed\n"
      "  lamina verify [--json] PATH    check --verify: hash every layer, with progress and throughput\n"
      "  lamina ls [--json] [--image N] [--layer K | --merged [--upto K]] [--changes] PATH [PREFIX]\n"
      "                                 list files: one layer's own entries, or the merged tree\n"
      "                                 (default: merged, top layer); --changes marks A/M/D\n"
      "  lamina cat [--image N] [--layer K | --upto K] PATH FILE\n"
      "                                 a file's bytes (merged view by default; --layer K: the copy\n"
      "                                 stored in layer K, even if deleted later)\n"
      "  lamina extract [--image N] [--layer K | --upto K] [--force] PATH FILE_OR_DIR DEST\n"
      "                                 write a file or folder into DEST, safely\n"
      "  lamina compose [BASE] [--image N | --platform OS/ARCH[/VARIANT]] OPS... [--tag NAME:TAG] [--created TIME]\n"
      "                 [--format docker|docker-oci|oci|oci-dir]\n"
      "                 [--layer-compression none|gzip|zstd] [--compress none|gzip|zstd]\n"
      "                 [--spec FILE [--allow-host-paths]] [--save-spec FILE] -o OUT\n"
      "                                 stack new layers and settings on BASE (or on nothing) and write\n"
      "                                 a docker archive whose legacy chain and manifest agree; OPS:\n"
      "                                 --add HOST:IMAGE[:MODE] --owner UID:GID --mkdir PATH[:MODE]\n"
      "                                 --symlink PATH:TARGET --write PATH:TEXT --delete PATH --opaque PATH\n"
      "                                 --new-layer --workdir DIR --cmd JSON --cmd-shell STRING\n"
      "                                 --entrypoint JSON --env K=V --unset-env K --user U --label K=V\n"
      "                                 --expose PORT[/PROTO] --volume PATH --stop-signal SIG --no-create-workdir\n"
      "  lamina --help | --version\n"
      "\n"
      "Images and layers are numbered from 0 (bottom layer 0), as in inspect --json.\n"
      "\n"
      "Exit status of inspect: 0 when at least one image was read, 2 otherwise.\n";

int usage(QTextStream &err, const QString &problem)
{
    if (!problem.isEmpty())
        err << "lamina: " << problem << '\n';
    err << kUsage;
    return 2;
}

int inspect(const QStringList &args, QTextStream &out, QTextStream &err)
{
    bool json = false;
    bool verify = false;
    QString path;
    for (const QString &a : args) {
        if (a == u"--json")
            json = true;
        else if (a == u"--verify")
            verify = true;
        else if (a.startsWith(u"--"))
            return usage(err, QStringLiteral("inspect: unknown option %1").arg(a));
        else if (path.isEmpty())
            path = a;
        else
            return usage(err, QStringLiteral("inspect: one PATH only"));
    }
    if (path.isEmpty())
        return usage(err, QStringLiteral("inspect: PATH is missing"));
    const ImageArchive ia = openImageArchive(path);
    const Inspection in = inspectLayers(ia, verify);
    if (json)
        out << QString::fromUtf8(QJsonDocument(inspectionJson(ia, in)).toJson(QJsonDocument::Indented));
    else
        out << inspectionText(ia, in);
    out.flush();
    if (!json && !ia.ok())
        err << "lamina: no image could be read from " << path << '\n';
    if (!ia.ok())
        return 2;
    for (const Finding &f : in.verification)
        if (f.severity == Severity::Error)
            return 1;
    return 0;
}

/// `check --verify`: the layers read once, for their entries and both digests (what a loader
/// refuses inside a layer is a finding too), the progress on a terminal.
QList<Finding> verifyWithProgress(const ImageArchive &ia, QTextStream &err)
{
    const bool tty = ::isatty(STDERR_FILENO);
    Progress progress;
    progress.report = [&err, tty](qint64 done, qint64 total) {
        if (!tty || total <= 0)
            return;
        err << QStringLiteral("\rverifying: %1%").arg(int(100.0 * double(done) / double(total)));
        err.flush();
    };
    const LayerVerification verified = verifyLayers(ia, progress);
    const VerifyReport &report = verified.report;
    if (tty)
        err << "\r";
    const double mb = double(report.bytesRead) / 1e6;
    err << QStringLiteral("verified %1 layer file(s), %2 MB in %3 s (%4 MB/s)\n")
               .arg(report.members.size())
               .arg(mb, 0, 'f', 1)
               .arg(report.seconds, 0, 'f', 2)
               .arg(report.seconds > 0 ? mb / report.seconds : 0.0, 0, 'f', 0);
    err.flush();
    return verified.findings;
}

/// `check --try-loaders`: each stage on a terminal; Ctrl+C cancels, the running load is stopped
/// and what it loaded still removed.
TryLoadersResult tryWithProgress(
    const QString &path, const QList<LoaderVerdict> &predicted, TryLoadersOptions options, QTextStream &err)
{
    const bool tty = ::isatty(STDERR_FILENO);
    options.stage = [&err, tty](const QString &stage) {
        if (!tty)
            return;
        err << "\r\x1b[K" << stage << QStringLiteral("…");
        err.flush();
    };
    static std::atomic<bool> interrupted { false };
    struct sigaction sa
    {
    };
    sa.sa_handler = [](int) { interrupted = true; };
    struct sigaction previous
    {
    };
    ::sigaction(SIGINT, &sa, &previous);
    Progress progress;
    progress.cancel = &interrupted;
    const TryLoadersResult tried = tryLoaders(path, predicted, options, progress);
    ::sigaction(SIGINT, &previous, nullptr);
    if (tty)
        err << "\r\x1b[K";
    err.flush();
    return tried;
}

int check(const QStringList &args, QTextStream &out, QTextStream &err, bool verify)
{
    bool json = false, explain = false, tryLoading = false;
    TryLoadersOptions tryOptions;
    QString path;
    for (int i = 0; i < args.size(); ++i) {
        const QString &a = args.at(i);
        const auto value = [&](QString *to) {
            if (i + 1 >= args.size() || args.at(i + 1).isEmpty())
                return false;
            *to = args.at(++i);
            return true;
        };
        if (a == u"--json")
            json = true;
        else if (a == u"--explain")
            explain = true;
        else if (a == u"--verify")
            verify = true;
        else if (a == u"--try-loaders")
            tryLoading = true;
        else if (a == u"--containerd-address") {
            if (!value(&tryOptions.containerdAddress))
                return usage(err, QStringLiteral("check: --containerd-address needs containerd's socket"));
        } else if (a == u"--docker-host") {
            if (!value(&tryOptions.dockerHost))
                return usage(err, QStringLiteral("check: --docker-host needs a host (unix:///var/run/docker.sock)"));
        } else if (a.startsWith(u"--"))
            return usage(err, QStringLiteral("check: unknown option %1").arg(a));
        else if (path.isEmpty())
            path = a;
        else
            return usage(err, QStringLiteral("check: one PATH only"));
    }
    if (!tryLoading && (!tryOptions.containerdAddress.isEmpty() || !tryOptions.dockerHost.isEmpty()))
        return usage(err, QStringLiteral("check: --containerd-address and --docker-host go with --try-loaders"));
    if (path.isEmpty())
        return usage(err, QStringLiteral("check: PATH is missing"));
    const ImageArchive ia = openImageArchive(path);
    QList<Finding> findings = checkArchive(ia);
    if (verify && ia.archive) {
        findings += verifyWithProgress(ia, err);
        sortFindings(findings);
    }
    const TryLoadersResult tried
        = tryLoading ? tryWithProgress(path, loaderVerdicts(ia, findings), tryOptions, err) : TryLoadersResult();
    if (json) {
        QJsonObject o = inspectJson(ia);
        o.insert(QStringLiteral("loaderVerdicts"), loaderVerdictsJson(loaderVerdicts(ia, findings)));
        if (tryLoading)
            o.insert(QStringLiteral("triedLoaders"), triedLoadersJson(tried));
        o.insert(QStringLiteral("findings"), findingsJson(findings));
        out << QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented));
    } else {
        out << checkText(ia, findings, explain);
        if (tryLoading) {
            out << "\nLoaders of this machine:\n";
            for (const TriedLoader &t : std::as_const(tried.loaders))
                out << "  " << triedLoaderLine(t) << '\n';
        }
    }
    if (!tryLoading)
        return checkExitCode(ia, findings);
    // With --try-loaders the question is whether the loaders did as predicted.
    bool anyRan = false, differs = false, left = false;
    for (const TriedLoader &t : std::as_const(tried.loaders)) {
        anyRan = anyRan || t.ran;
        differs = differs || (t.judged() && !t.matches());
        for (const QString &what : t.leftBehind) {
            err << "lamina: " << t.loader << " left behind: " << what << '\n';
            left = true;
        }
    }
    if (left || !anyRan)
        return 2;
    return differs ? 1 : 0;
}

struct LayerArgs
{
    bool json = false, merged = false, changes = false, force = false;
    int image = 0, layer = -1, upto = -1;
    QStringList positional;
    QString problem;
};

LayerArgs parseLayerArgs(const QStringList &args)
{
    LayerArgs a;
    for (int i = 0; i < args.size(); ++i) {
        const QString &x = args.at(i);
        auto number = [&](int *out) {
            bool ok = false;
            if (i + 1 < args.size())
                *out = args.at(++i).toInt(&ok);
            if (!ok || *out < 0)
                a.problem = QStringLiteral("%1 needs a number from 0").arg(x);
        };
        if (x == u"--json")
            a.json = true;
        else if (x == u"--merged")
            a.merged = true;
        else if (x == u"--changes")
            a.changes = true;
        else if (x == u"--force")
            a.force = true;
        else if (x == u"--image")
            number(&a.image);
        else if (x == u"--layer")
            number(&a.layer);
        else if (x == u"--upto")
            number(&a.upto);
        else if (x.startsWith(u"--"))
            a.problem = QStringLiteral("unknown option %1").arg(x);
        else
            a.positional << x;
    }
    if (a.layer >= 0 && (a.merged || a.upto >= 0))
        a.problem = QStringLiteral("--layer and --merged/--upto exclude each other");
    return a;
}

/// Opens the archive and indexes the chosen image's layers; prints why not and returns false.
bool openLayers(const LayerArgs &a, QTextStream &err, ImageArchive *ia, ImageLayers *layers, QStringList *why = nullptr)
{
    QStringList ignored;
    QStringList &reasons = why ? *why : ignored;
    *ia = openImageArchive(a.positional.at(0));
    if (!ia->ok()) {
        err << "lamina: no image could be read from " << a.positional.at(0) << '\n';
        for (const QString &e : ia->errors)
            err << "  " << e << '\n';
        reasons = ia->errors.isEmpty() ? QStringList { QStringLiteral("no image could be read") } : ia->errors;
        return false;
    }
    if (a.image >= ia->images.size()) {
        reasons << QStringLiteral("the archive has %1 image(s); --image counts from 0").arg(ia->images.size());
        err << "lamina: " << reasons.constLast() << '\n';
        return false;
    }
    const int count = int(ia->images.at(a.image).layers.size());
    if (a.layer >= count || a.upto >= count) {
        reasons << QStringLiteral("image %1 has %2 layer(s), numbered from 0").arg(a.image).arg(count);
        err << "lamina: " << reasons.constLast() << '\n';
        return false;
    }
    *layers = indexImageLayers(*ia, a.image);
    for (const QString &e : layers->errors)
        err << "lamina: " << e << '\n';
    return true;
}

/// The tree the options ask for: one layer alone, or layers 0..upto merged.
MergedTree chosenTree(const LayerArgs &a, const ImageLayers &layers)
{
    if (a.layer >= 0) {
        MergedTree::Layers only(layers.layers.size());
        only[a.layer] = layers.layers.at(a.layer);
        return MergedTree::build(only, a.layer);
    }
    return MergedTree::build(layers.layers, a.upto >= 0 ? a.upto : int(layers.layers.size()) - 1);
}

QString modeString(const LayerEntry &e)
{
    static const char types[] = { '-', 'd', 'l', 'h', 'c', 'b', 'p', 'w' };
    QString s(1, QLatin1Char(types[int(e.type)]));
    const char *rwx = "rwxrwxrwx";
    for (int bit = 0; bit < 9; ++bit)
        s += (e.mode & (0400u >> bit)) ? QLatin1Char(rwx[bit]) : QLatin1Char('-');
    if (e.mode & 04000)
        s[3] = (e.mode & 0100) ? u's' : u'S';
    if (e.mode & 02000)
        s[6] = (e.mode & 0010) ? u's' : u'S';
    if (e.mode & 01000)
        s[9] = (e.mode & 0001) ? u't' : u'T';
    return s;
}

/// A name as text that cannot forge lines or reach the terminal, and that names every byte string
/// apart (docs/layers.md): "\\" for a backslash, \n \t \r for those, "\xHH" for any other control
/// character (C0, DEL, C1) and for each byte that is not part of valid UTF-8. Printable UTF-8 is
/// kept as it is.
QString escapedName(QByteArrayView name)
{
    QString out;
    out.reserve(name.size());
    auto hex = [&](uchar b) { out += QStringLiteral("\\x%1").arg(uint(b), 2, 16, QLatin1Char('0')); };
    for (qsizetype i = 0; i < name.size();) {
        const uchar c = uchar(name.at(i));
        if (c == '\\') {
            out += QStringLiteral("\\\\");
            ++i;
        } else if (c == '\n' || c == '\t' || c == '\r') {
            out += c == '\n' ? QStringLiteral("\\n") : c == '\t' ? QStringLiteral("\\t") : QStringLiteral("\\r");
            ++i;
        } else if (c < 0x20 || c == 0x7f) {
            hex(c);
            ++i;
        } else if (c < 0x80) {
            out += QLatin1Char(char(c));
            ++i;
        } else {
            // One UTF-8 sequence, checked by hand: shortest form, no surrogates, at most U+10FFFF.
            const int len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
            bool valid = len > 0 && i + len <= name.size();
            char32_t cp = len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
            for (int k = 1; valid && k < len; ++k) {
                const uchar cc = uchar(name.at(i + k));
                valid = (cc & 0xc0) == 0x80;
                cp = (cp << 6) | (cc & 0x3f);
            }
            valid = valid && !(len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)))
                && !(len == 4 && (cp < 0x10000 || cp > 0x10ffff));
            if (!valid) {
                hex(c);
                ++i;
            } else if (cp >= 0x80 && cp <= 0x9f) {
                for (int k = 0; k < len; ++k)
                    hex(uchar(name.at(i + k)));
                i += len;
            } else {
                out += QString::fromUtf8(name.sliced(i, len));
                i += len;
            }
        }
    }
    return out;
}

/// The bytes escapedName() wrote, or nothing when `text` holds a backslash that is not one of its
/// escapes.
std::optional<QByteArray> unescapedName(const QString &text)
{
    const QByteArray in = text.toUtf8();
    QByteArray out;
    for (qsizetype i = 0; i < in.size(); ++i) {
        if (in.at(i) != '\\') {
            out += in.at(i);
            continue;
        }
        const char next = i + 1 < in.size() ? in.at(i + 1) : '\0';
        if (next == '\\' || next == 'n' || next == 't' || next == 'r') {
            out += next == '\\' ? '\\' : next == 'n' ? '\n' : next == 't' ? '\t' : '\r';
            ++i;
        } else if (next == 'x' && i + 3 < in.size() && isxdigit(uchar(in.at(i + 2))) && isxdigit(uchar(in.at(i + 3)))) {
            out += char(QByteArray(in.sliced(i + 2, 2)).toUInt(nullptr, 16));
            i += 3;
        } else {
            return std::nullopt;
        }
    }
    return out;
}

int ls(const QStringList &args, QTextStream &out, QTextStream &err)
{
    const LayerArgs a = parseLayerArgs(args);
    if (!a.problem.isEmpty() || a.positional.isEmpty() || a.positional.size() > 2)
        return usage(
            err, a.problem.isEmpty() ? QStringLiteral("ls: PATH [PREFIX]") : QStringLiteral("ls: ") + a.problem);
    ImageArchive ia;
    ImageLayers layers;
    QStringList why;
    if (!openLayers(a, err, &ia, &layers, &why)) {
        // A script reading --json gets an answer on stdout too, as from inspect and check.
        if (a.json)
            out << QString::fromUtf8(QJsonDocument(QJsonObject { { QStringLiteral("path"), a.positional.at(0) },
                                                       { QStringLiteral("errors"), QJsonArray::fromStringList(why) } })
                                         .toJson(QJsonDocument::Indented));
        return 2;
    }
    const MergedTree tree = chosenTree(a, layers);
    const QByteArray prefix = normaliseMemberPath(a.positional.value(1)).toUtf8();
    struct Row
    {
        QByteArray path;
        const LayerEntry *entry;
        QByteArray link;
        Change change;
    };
    QList<Row> rows;
    QList<int> stack { tree.root() };
    while (!stack.isEmpty()) {
        const int n = stack.takeLast();
        if (n != tree.root()) {
            const QByteArray p = tree.path(n);
            if (prefix.isEmpty() || p == prefix || p.startsWith(QByteArray(prefix + '/')))
                rows.append({ p, &tree.entry(n), tree.linkTarget(n), tree.node(n).change });
        }
        const QList<int> kids = tree.children(n);
        for (auto it = kids.crbegin(); it != kids.crend(); ++it)
            stack.append(*it);
    }
    // Marks come from the tree at the chosen layer: what that layer added or changed, and what
    // it removed (its whiteouts, opaque folders and replacements) shown as deletions.
    LayerEntry removedEntry;
    removedEntry.type = EntryType::Whiteout;
    if (a.changes || a.layer >= 0) {
        const int layerNo = a.layer >= 0 ? a.layer : tree.topLayer();
        const MergedTree full = a.layer >= 0 ? MergedTree::build(layers.layers, layerNo) : MergedTree();
        const MergedTree &at = a.layer >= 0 ? full : tree;
        for (Row &r : rows) {
            const int n = at.find(r.path);
            r.change = n >= 0 && at.node(n).layer == layerNo ? at.node(n).change : Change::None;
        }
        for (const MergedTree::ChangeRecord &c : at.changes())
            if (c.change == Change::Removed
                && (prefix.isEmpty() || c.path == prefix || c.path.startsWith(QByteArray(prefix + '/'))))
                rows.append({ c.path, &removedEntry, QByteArray(), Change::Removed });
        std::stable_sort(rows.begin(), rows.end(), [](const Row &x, const Row &y) { return x.path < y.path; });
    }
    if (a.json) {
        QJsonArray arr;
        for (const Row &r : rows) {
            QJsonObject o;
            // Exact for UTF-8 names (JSON escapes control characters itself); a name that is not
            // UTF-8 is given in escapedName()'s form, which cat and extract accept, and said to be.
            const bool utf8 = QUtf8StringView(r.path).isValidUtf8();
            o.insert(QStringLiteral("path"), utf8 ? QString::fromUtf8(r.path) : escapedName(r.path));
            if (!utf8)
                o.insert(QStringLiteral("pathEscaped"), true);
            o.insert(QStringLiteral("type"),
                r.change == Change::Removed ? QStringLiteral("whiteout") : entryTypeName(r.entry->type));
            o.insert(QStringLiteral("size"), double(r.entry->size));
            o.insert(QStringLiteral("mode"), QString::number(r.entry->mode, 8).rightJustified(4, u'0'));
            o.insert(QStringLiteral("uid"), double(r.entry->uid));
            o.insert(QStringLiteral("gid"), double(r.entry->gid));
            const bool linkUtf8 = QUtf8StringView(r.link).isValidUtf8();
            o.insert(QStringLiteral("linkTarget"),
                r.link.isEmpty() ? QJsonValue(QJsonValue::Null)
                                 : QJsonValue(linkUtf8 ? QString::fromUtf8(r.link) : escapedName(r.link)));
            if (!linkUtf8)
                o.insert(QStringLiteral("linkTargetEscaped"), true);
            o.insert(QStringLiteral("change"),
                !a.changes || r.change == Change::None ? QJsonValue(QJsonValue::Null)
                                                       : QJsonValue(changeLetter(r.change)));
            arr.append(o);
        }
        out << QString::fromUtf8(QJsonDocument(arr).toJson(QJsonDocument::Indented));
        return 0;
    }
    for (const Row &r : rows) {
        if (a.changes)
            out << changeLetter(r.change) << ' ';
        if (r.change == Change::Removed) {
            out << QStringLiteral("w--------- %1 %2 %3\n")
                       .arg(QString(9, u' '), QString(12, u' '), escapedName(r.path));
            continue;
        }
        const QString owner = QStringLiteral("%1:%2").arg(r.entry->uid).arg(r.entry->gid);
        out << modeString(*r.entry) << ' ' << owner.leftJustified(9) << ' '
            << QString::number(r.entry->size).rightJustified(12) << ' ' << escapedName(r.path);
        if (!r.link.isEmpty())
            out << (r.entry->type == EntryType::Hardlink ? " => " : " -> ") << escapedName(r.link);
        out << '\n';
    }
    return 0;
}

int catOrExtract(const QStringList &args, QTextStream &out, QTextStream &err, bool extract)
{
    const LayerArgs a = parseLayerArgs(args);
    const int wanted = extract ? 3 : 2;
    if (!a.problem.isEmpty() || a.positional.size() != wanted)
        return usage(err,
            a.problem.isEmpty()
                ? (extract ? QStringLiteral("extract: PATH FILE_OR_DIR DEST") : QStringLiteral("cat: PATH FILE"))
                : a.problem);
    ImageArchive ia;
    ImageLayers layers;
    if (!openLayers(a, err, &ia, &layers))
        return 2;
    const MergedTree tree = chosenTree(a, layers);
    QString error;
    // The name as given, or else in the escaped form ls prints (for names that are not UTF-8).
    const QByteArray file = a.positional.at(1).toUtf8();
    int node = resolveInTree(tree, file, !extract, &error);
    if (node < 0 && file.contains('\\')) {
        QString ignored;
        if (const std::optional<QByteArray> bytes = unescapedName(a.positional.at(1)))
            if (const int found = resolveInTree(tree, *bytes, !extract, &ignored); found >= 0)
                node = found;
    }
    if (node < 0 && (a.layer >= 0 || a.upto >= 0)) {
        // Not in the part asked for: say which layers hold it, rather than "not in the image".
        QStringList holders;
        for (int k = 0; k < layers.layers.size(); ++k) {
            MergedTree::Layers only(layers.layers.size());
            only[k] = layers.layers.at(k);
            QString ignored;
            if (layers.layers.at(k) && resolveInTree(MergedTree::build(only, k), file, false, &ignored) >= 0)
                holders << QString::number(k);
        }
        const QString asked
            = a.layer >= 0 ? QStringLiteral("layer %1").arg(a.layer) : QStringLiteral("layers 0 to %1").arg(a.upto);
        if (!holders.isEmpty())
            error = QStringLiteral(
                "%1: not in %2 of image %3; it is in layer(s) %4 (--layer N, or no --layer for the whole image)")
                        .arg(a.positional.at(1), asked)
                        .arg(a.image)
                        .arg(holders.join(QStringLiteral(", ")));
    }
    if (node < 0) {
        err << "lamina: " << error << '\n';
        return 1;
    }
    if (extract) {
        const ExtractResult r = extractNode(ia, a.image, tree, node, a.positional.at(2), a.force);
        for (const QString &s : r.skipped)
            err << "lamina: skipped " << s << '\n';
        if (!r.ok()) {
            err << "lamina: " << r.error << '\n';
            return 1;
        }
        err << QStringLiteral("extracted %1 file(s), %2 folder(s), %3 link(s)\n")
                   .arg(r.files)
                   .arg(r.folders)
                   .arg(r.links);
        return 0;
    }
    out.flush();
    QFile stdoutFile;
    (void)stdoutFile.open(stdout, QIODevice::Unbuffered | QIODevice::WriteOnly);
    // Streamed: a file's claimed size never decides how much is held in memory.
    const QString failed = copyLayerFile(ia, a.image, tree.layers(), tree.node(node).layer, tree.node(node).entry,
        [&](const char *data, qint64 size) { return stdoutFile.write(data, size) == size; });
    if (!failed.isEmpty()) {
        err << "lamina: " << failed << '\n';
        return 1;
    }
    return 0;
}

int compose(const QStringList &args, QTextStream &err)
{
    QString created;
    if (const QByteArray epoch = qgetenv("SOURCE_DATE_EPOCH"); !epoch.isEmpty())
        created = QDateTime::fromSecsSinceEpoch(epoch.toLongLong(), QTimeZone::utc()).toString(Qt::ISODate);
    const ComposeArguments parsed = parseComposeArguments(args, created);
    auto bad = [&](const QString &why) { return usage(err, QStringLiteral("compose: ") + why); };
    if (!parsed.ok() && parsed.usageError)
        return bad(parsed.error);
    // A file that cannot be used is not a mistake in the command line: no usage after it.
    if (!parsed.ok()) {
        err << "lamina: compose: " << parsed.error << '\n';
        return 2;
    }
    const Composition &c = parsed.composition;
    const ExportOptions &options = parsed.options;
    const QString &saveSpec = parsed.saveSpec;
    if (!saveSpec.isEmpty()) {
        QFile f(saveSpec);
        if (!f.open(QIODevice::WriteOnly)
            || f.write(QJsonDocument(compositionToJson(c, QFileInfo(saveSpec).absolutePath()))
                           .toJson(QJsonDocument::Indented))
                < 0)
            return bad(QStringLiteral("--save-spec %1: %2").arg(saveSpec, f.errorString()));
        if (options.output.isEmpty())
            return 0;
    }
    if (options.output.isEmpty())
        return bad(QStringLiteral("-o OUT is missing"));
    // The archive is written beside its target and renamed into place, which a pipe cannot be.
    if (options.output == u"-") {
        err << "lamina: compose: -o -: the image cannot be written to standard output (it is written beside its "
               "target and renamed into place); give a file path\n";
        return 2;
    }
    const ExportResult r = exportComposition(c, options);
    if (!r.ok()) {
        err << "lamina: " << r.error << '\n';
        return 2;
    }
    // What happened goes to standard error, as every status line does: standard output stays
    // free for a caller's pipe.
    err << "wrote " << options.output << '\n' << "image ID " << r.imageId << '\n';
    for (const QString &d : r.layerDiffIds)
        err << "new layer " << d << '\n';
    bool error = false;
    for (const Finding &f : r.preflight + r.checks) {
        err << severityName(f.severity).toUpper() << ' ' << f.code << ": " << f.message << '\n';
        error = error || f.severity == Severity::Error;
    }
    return error ? 1 : 0;
}

} // namespace

bool isCliInvocation(const QStringList &args)
{
    if (args.size() < 2)
        return false;
    static const QStringList commands = { QStringLiteral("inspect"), QStringLiteral("check"), QStringLiteral("verify"),
        QStringLiteral("ls"), QStringLiteral("cat"), QStringLiteral("extract"), QStringLiteral("compose"),
        QStringLiteral("help"), QStringLiteral("--help"), QStringLiteral("-h"), QStringLiteral("--version") };
    // Any other "--option" is for the command line too, where it is refused as unknown: the window
    // takes a PATH or its two tooling options only (a file named like an option: ./--name).
    const QString &first = args.at(1);
    return commands.contains(first) || (first.startsWith(u"--") && first != u"--screenshot" && first != u"--ui-probe");
}

int runCli(const QStringList &args)
{
    QTextStream out(stdout);
    QTextStream err(stderr);
    const QString command = args.value(1);
    if (command == u"--help" || command == u"-h" || command == u"help") {
        out << kUsage;
        return 0;
    }
    if (command == u"--version") {
        out << "lamina " << QCoreApplication::applicationVersion() << '\n';
        return 0;
    }
    if (command == u"inspect")
        return inspect(args.mid(2), out, err);
    if (command == u"check")
        return check(args.mid(2), out, err, false);
    if (command == u"verify")
        return check(args.mid(2), out, err, true);
    if (command == u"ls")
        return ls(args.mid(2), out, err);
    if (command == u"cat")
        return catOrExtract(args.mid(2), out, err, false);
    if (command == u"extract")
        return catOrExtract(args.mid(2), out, err, true);
    if (command == u"compose")
        return compose(args.mid(2), err);
    return usage(err,
        command.startsWith(u'-') ? QStringLiteral("unknown option %1").arg(command)
                                 : QStringLiteral("unknown command %1").arg(command));
}

} // namespace lamina
