"""Command line: `ganreport train | build | serve | bench`.

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
    build.add_argument("--cache", type=Path, default=None,
                       help="figure cache folder (default: .cache/site beside --out)")
    build.add_argument("--study", dest="studies", action="append", default=None,
                       metavar="NAME", help="build only this study (repeatable; default: all "
                                            "studies under --runs)")
    build.add_argument("--strict", action="store_true",
                       help="a damaged run folder is an error (exit 2), not a warning")
    serve = commands.add_parser("serve", help="build, serve on localhost and rebuild on change")
    _site_arguments(serve)
    serve.add_argument("--port", type=int, default=4000)
    serve.add_argument("--host", default="127.0.0.1")
    commands.add_parser("bench", add_help=False, help="measure build speed (--train: training too)")
    return parser


def _train(rest: list[str]) -> int:
    from training.cli import main as train_main

    return train_main(rest)


def _build(args: argparse.Namespace) -> int:
    from .pipeline import build

    build(args.src, args.runs, args.out, baseurl=args.baseurl, cache_dir=args.cache,
          studies=args.studies, strict=args.strict, log=_log)
    return 0


def _serve(args: argparse.Namespace) -> int:
    from .serve import serve

    result = serve(args.src, args.runs, args.out, baseurl=args.baseurl, port=args.port,
                   host=args.host)
    return int(result or 0)


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
        if args.command == "build":
            return _build(args)
        return _serve(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
