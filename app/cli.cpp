// SPDX-License-Identifier: MIT
// The command line: which command runs (each is in app/commands/), and the usage of them all.
#include "cli.h"

#include "commands/command.h"

#include <QCoreApplication>

namespace lamina {

namespace cli {

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
      "  lamina ls [--json] [--image N] --from I [--upto J] PATH [PREFIX]\n"
      "                                 list files: one layer's own entries, or the merged tree\n"
      "                                 (default: merged, top layer); --changes marks A/M/D; --from I:\n"
      "                                 the net change of layers I..J together (a file added in I and\n"
      "                                 removed in J is not listed)\n"
      "  lamina history [--json] [--image N] PATH FILE\n"
      "                                 every layer that added (A), changed (M) or removed (D) FILE or\n"
      "                                 anything under it, with mode, owner, size, content digest and\n"
      "                                 the layer's created_by; exit 1 when no layer touches it\n"
      "  lamina diff [--json] A B [--image N [--image M] | --platform P [--platform Q]]\n"
      "  lamina diff [--json] PATH --image N --image M\n"
      "                                 compare two images: layers matched by diff ID, config field by\n"
      "                                 field, files (added, removed, changed: content, size, mode,\n"
      "                                 owner, type, link, mtime), and why the digests differ\n"
      "                                 (timestamps, ownership, order, compression, metadata, content);\n"
      "                                 one --image/--platform applies to both; exit 0 the same image,\n"
      "                                 1 different, 2 unreadable\n"
      "  lamina cat [--image N] [--layer K | --upto K] PATH FILE\n"
      "                                 a file's bytes (merged view by default; --layer K: the copy\n"
      "                                 stored in layer K, even if deleted later)\n"
      "  lamina extract [--image N] [--layer K | --upto K] [--force] PATH FILE_OR_DIR DEST\n"
      "                                 write a file or folder into DEST, safely\n"
      "  lamina compose [BASE] [--image N | --platform OS/ARCH[/VARIANT]] OPS... [--tag NAME:TAG] [--created TIME]\n"
      "                 [--format docker|docker-oci|oci|oci-dir]\n"
      "                 [--layer-compression none|gzip|zstd] [--compress none|gzip|zstd]\n"
      "                 [--spec FILE [--allow-host-paths]] [--save-spec FILE] -o OUT [--load docker|podman]\n"
      "                                 stack new layers and settings on BASE (or on nothing) and write\n"
      "                                 a docker archive whose legacy chain and manifest agree; OPS:\n"
      "                                 --add HOST:IMAGE[:MODE] --owner UID:GID --mkdir PATH[:MODE]\n"
      "                                 --symlink PATH:TARGET --write PATH:TEXT --delete PATH --opaque PATH\n"
      "                                 --new-layer --workdir DIR --cmd JSON --cmd-shell STRING\n"
      "                                 --entrypoint JSON --env K=V --unset-env K --user U --label K=V\n"
      "                                 --expose PORT[/PROTO] --volume PATH --stop-signal SIG --no-create-workdir\n"
      "                                 --load docker|podman: OUT is loaded into that engine too\n"
      "  lamina convert PATH --format docker|docker-oci|oci|oci-dir [--image N | --platform P]\n"
      "                 [--layer-compression none|gzip|zstd] [--compress none|gzip|zstd] -o OUT\n"
      "                                 write one image again in a consistent layout: its config (the\n"
      "                                 image ID) and tags kept, layers copied as they are where the\n"
      "                                 format allows (the OCI formats keep the input's layer compression\n"
      "                                 unless told); says what the input's views got wrong that the\n"
      "                                 output does not; exit 0 clean, 1 errors in the output, 2 not written\n"
      "  lamina --help | --version\n"
      "\n"
      "Images and layers are numbered from 0 (bottom layer 0), as in inspect --json.\n"
      "A PATH may also name an engine's image: docker://NAME[:TAG|@DIGEST] (the Docker engine at\n"
      "DOCKER_HOST or /var/run/docker.sock) or podman://NAME (podman's API service, else podman image\n"
      "save); the image is saved into $XDG_CACHE_HOME/lamina/engines while it is read (docs/engines.md).\n"
      "Or a registry's: registry://HOST[:PORT]/REPO[:TAG|@DIGEST][?platform=OS/ARCH] (registry://alpine\n"
      "is docker.io/library/alpine:latest; credentials from docker or podman login, or the credential\n"
      "helpers they name); its layers are kept by digest in $XDG_CACHE_HOME/lamina/blobs (bound:\n"
      "LAMINA_BLOB_CACHE_MB, default 4096).\n"
      "compose -o registry://HOST[:PORT]/REPO:TAG pushes the image (as --format oci writes it): blobs the\n"
      "repository has are not sent, those of a registry:// base on the same registry are mounted.\n"
      "A registry's TLS certificate is verified, and plain HTTP is spoken only to one on this machine.\n"
      "--insecure (on every command that takes a PATH; for compose, its base and -o registry://) skips\n"
      "that for the registry named, for this run: TLS without verifying its certificate, or plain HTTP\n"
      "when it speaks no TLS; inspect then says \"over HTTPS without verifying its certificate\".\n"
      "\n"
      "Exit status of inspect: 0 when at least one image was read, 2 otherwise.\n";

int usage(QTextStream &err, const QString &problem)
{
    if (!problem.isEmpty())
        err << "lamina: " << problem << '\n';
    err << kUsage;
    return 2;
}

} // namespace cli

bool isCliInvocation(const QStringList &args)
{
    if (args.size() < 2)
        return false;
    static const QStringList commands = { QStringLiteral("inspect"), QStringLiteral("check"), QStringLiteral("verify"),
        QStringLiteral("ls"), QStringLiteral("cat"), QStringLiteral("extract"), QStringLiteral("compose"),
        QStringLiteral("history"), QStringLiteral("diff"), QStringLiteral("convert"), QStringLiteral("help"),
        QStringLiteral("--help"), QStringLiteral("-h"), QStringLiteral("--version") };
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
        out << cli::kUsage;
        return 0;
    }
    if (command == u"--version") {
        out << "lamina " << QCoreApplication::applicationVersion() << '\n';
        return 0;
    }
    if (command == u"inspect")
        return cli::inspect(args.mid(2), out, err);
    if (command == u"check")
        return cli::check(args.mid(2), out, err, false);
    if (command == u"verify")
        return cli::check(args.mid(2), out, err, true);
    if (command == u"ls")
        return cli::ls(args.mid(2), out, err);
    if (command == u"cat")
        return cli::cat(args.mid(2), out, err);
    if (command == u"history")
        return cli::history(args.mid(2), out, err);
    if (command == u"diff")
        return cli::diff(args.mid(2), out, err);
    if (command == u"extract")
        return cli::extract(args.mid(2), err);
    if (command == u"convert")
        return cli::convert(args.mid(2), err);
    if (command == u"compose")
        return cli::compose(args.mid(2), err);
    return cli::usage(err,
        command.startsWith(u'-') ? QStringLiteral("unknown option %1").arg(command)
                                 : QStringLiteral("unknown command %1").arg(command));
}

} // namespace lamina
