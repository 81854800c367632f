"""Command line: `ganreport train | build | serve | publish | export | bench`.

Mistakes a user can fix (UserError) print as one `error: ...` line and exit with 2;
anything else is a bug and keeps its traceback. `train` and `serve` are imported only
when used, so building the site never imports torch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import UserError


def _log(line: str) -> None:
    """Build progress to stdout, `warning: ...` lines to stderr."""
    stream = sys.stderr if line.startswith("warning:") else sys.stdout
    print(line, file=stream, flush=True)


def _site_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--src", type=Path, default=Path("site_src"),
                        help="folder with _config.yml and the Markdown pages (default: site_src)")
    parser.add_argument("--runs", type=Path, default=Path("runs"),
                        help="folder of run folders, runs/<study>/<version>/ (default: runs)")
    parser.add_argument("--out", type=Path, default=Path("_site"),
                        help="output folder, replaced as a whole when the build succeeds "
                             "(default: _site)")
    parser.add_argument("--baseurl", default=None,
                        help="path the site is served under, e.g. /my-repo (overrides "
                             "baseurl in _config.yml)")
    parser.add_argument("--cache", type=Path, default=None,
                        help="figure cache folder (default: .cache/site beside --out)")
    parser.add_argument("--allow-empty", action="store_true",
                        help="build even when --runs holds no runs (replaces the site with "
                             "one that has no versions)")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ganreport",
        description="Train GAN studies from YAML and publish them as a static site.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("train", add_help=False,
                        help="train a study (arguments go to the training CLI)")
    build = commands.add_parser("build", help="build the site into _site/")
    _site_arguments(build)
    build.add_argument("--study", dest="studies", action="append", default=None,
                       metavar="NAME", help="build only this study (repeatable; default: all "
                                            "studies under --runs)")
    build.add_argument("--strict", action="store_true",
                       help="a damaged run folder is an error (exit 2), not a warning")
    serve = commands.add_parser("serve", help="build, serve on localhost and rebuild on change")
    _site_arguments(serve)
    serve.add_argument("--port", default="4000", help="port to listen on, 1-65535 (default 4000)")
    serve.add_argument("--host", default="127.0.0.1")
    publish = commands.add_parser(
        "publish", help="build and commit _site/ to the gh-pages branch (push with --push)")
    _site_arguments(publish)
    _publish_arguments(publish)
    export = commands.add_parser(
        "export", help="write a light bundle of a study (no checkpoints), small enough to commit")
    export.add_argument("study", help="the study folder under --runs, e.g. abstract")
    export.add_argument("--runs", type=Path, default=Path("runs"),
                        help="folder of run folders (default: runs)")
    export.add_argument("--out", type=Path, default=None,
                        help="bundle folder (default: bundles/STUDY); build from it with "
                             "--runs bundles")
    commands.add_parser("bench", add_help=False, help="measure build speed (--train: training too)")
    return parser


def _publish_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--branch", default="gh-pages",
                        help="branch that receives the site (default: gh-pages)")
    parser.add_argument("--remote", default="origin",
                        help="remote to push to with --push (default: origin)")
    parser.add_argument("--push", action="store_true",
                        help="push the branch after committing (never forced)")
    parser.add_argument("--force", action="store_true",
                        help="commit on top of a branch whose last commit ganreport did not "
                             "write (its history is kept)")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise UserError(f"--port: {text!r}: expected a port number from 1 to 65535")
    return port


def _train(rest: list[str]) -> int:
    from training.cli import main as train_main

    return train_main(rest)


def _build(args: argparse.Namespace) -> int:
    from .pipeline import build

    build(args.src, args.runs, args.out, baseurl=args.baseurl, cache_dir=args.cache,
          studies=args.studies, strict=args.strict, log=_log, allow_empty=args.allow_empty)
    return 0


def _serve(args: argparse.Namespace) -> int:
    from .serve import serve

    result = serve(args.src, args.runs, args.out, baseurl=args.baseurl, port=_port(args.port),
                   host=args.host, cache_dir=args.cache, allow_empty=args.allow_empty, log=_log)
    return int(result or 0)


def _publish(args: argparse.Namespace) -> int:
    from .publish import publish

    publish(args.src, args.runs, args.out, baseurl=args.baseurl, cache_dir=args.cache,
            allow_empty=args.allow_empty, branch=args.branch, remote=args.remote,
            push=args.push, force=args.force, log=_log)
    return 0


def _export(args: argparse.Namespace) -> int:
    from .export import export

    out = args.out if args.out is not None else Path("bundles") / args.study
    export(args.study, args.runs, out, log=_log)
    return 0


COMMANDS = {"build": _build, "serve": _serve, "publish": _publish, "export": _export}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        # train and bench take their own arguments: pass everything after the command on.
        if argv and argv[0] == "train":
            return int(_train(argv[1:]) or 0)
        if argv and argv[0] == "bench":
            from .bench import main as bench_main

            return bench_main(argv[1:])
        args = make_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
