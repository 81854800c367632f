"""Local preview: build once, serve the site under its baseurl, rebuild when inputs change.

`make serve` runs `serve()`. The site is served exactly as GitHub Pages would serve a
project site: under the `baseurl` prefix, so links that forget the prefix show up as
404s here rather than after publishing. A background thread polls the modification
times of the sources every second and rebuilds; a failed rebuild prints one line and
the last good site keeps being served.

Tests use `make_handler()` and the `serving()` context manager (ephemeral port).
"""

from __future__ import annotations

import contextlib
import html
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from ganreport.errors import UserError
from ganreport.settings import normalise_baseurl
from ganreport.site_sources import read_config

POLL_SECONDS = 1.0
# Editor droppings and caches that should not trigger a rebuild.
IGNORED_SUFFIXES = (".swp", ".swx", ".tmp", "~", ".pyc")
IGNORED_DIRS = {".git", "__pycache__", ".cache", ".pytest_cache"}


def site_baseurl(src: Path, baseurl: str | None) -> str:
    """The baseurl the build will use: the command line's, else `_config.yml`'s, else ''.

    Read and normalised by the build's own functions, so preview and build cannot disagree.
    """
    config = read_config(Path(src) / "_config.yml")
    if baseurl is not None:
        return normalise_baseurl(baseurl, "--baseurl")
    return normalise_baseurl(config.get("baseurl"), f"{Path(src) / '_config.yml'}: baseurl")


# --------------------------------------------------------------------------- HTTP


def make_handler(out_dir: Path, baseurl: str | None, *, quiet: bool = True) -> type:
    """A request handler class serving `out_dir` under the `baseurl` prefix.

    `/` redirects to the prefix; any other path outside it is a 404 whose body says
    where the site lives. Responses are `no-store` so a rebuilt page shows on reload.
    """
    prefix = normalise_baseurl(baseurl)
    directory = str(Path(out_dir).resolve())

    class PreviewHandler(SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=directory, **kwargs)

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            if self._route():
                super().do_GET()

        def do_HEAD(self) -> None:  # noqa: N802
            if self._route():
                super().do_HEAD()

        def _route(self) -> bool:
            """True when the request lies under the prefix; else answer it here."""
            path = urlsplit(self.path).path
            if not prefix or path.startswith(prefix + "/"):
                return True
            if path in ("/", "", prefix):
                self.send_response(HTTPStatus.FOUND)
                self.send_header("Location", prefix + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return False
            self._outside_prefix(path)
            return False

        def _outside_prefix(self, path: str) -> None:
            body = (
                "<!doctype html><title>Not under the baseurl</title>"
                f"<h1>404: {html.escape(path)}</h1>"
                f'<p>This site is served under <a href="{prefix}/">{prefix}/</a>, as on '
                "GitHub Pages. A link that lands here is missing the baseurl prefix "
                "(templates should build URLs with <code>url('/...')</code>).</p>"
            ).encode()
            self._send_html(HTTPStatus.NOT_FOUND, body)

        def _send_html(self, code: int, body: bytes) -> None:
            self.send_response(code)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def translate_path(self, path: str) -> str:
            """Under the prefix; `/notes` is served from `notes.html` when there is no `notes`
            file or folder, as GitHub Pages does for `permalink: /notes`."""
            split = urlsplit(path)
            rest = split.path[len(prefix) :] if prefix else split.path
            local = super().translate_path(rest or "/")
            if rest.endswith("/") or Path(rest).suffix or os.path.exists(local):
                return local
            return local + ".html" if os.path.isfile(local + ".html") else local

        def send_error(self, code: int, message: str | None = None, explain: str | None = None):
            """Serve the site's own 404.html for missing pages, as GitHub Pages does."""
            page = Path(directory) / "404.html"
            if code != HTTPStatus.NOT_FOUND or not page.is_file():
                return super().send_error(code, message, explain)
            self._send_html(code, page.read_bytes())

        def end_headers(self) -> None:
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def log_message(self, format: str, *args) -> None:  # noqa: A002
            if not quiet:
                sys.stderr.write(f"{self.address_string()} {format % args}\n")

        def log_request(self, code="-", size="-") -> None:
            # Show only what went wrong: a broken link is worth a line, a hit is not.
            if isinstance(code, HTTPStatus):
                code = code.value
            if not quiet or (isinstance(code, int) and code >= 400):
                sys.stderr.write(f"{code} {self.command} {self.path}\n")

    return PreviewHandler


def _make_server(out_dir: Path, baseurl: str | None, host: str, port: int, quiet: bool):
    if not 0 <= port <= 65535:  # 0: any free port (tests); the CLI asks for 1-65535
        raise UserError(f"--port: {port}: expected a port number from 1 to 65535")
    handler = make_handler(out_dir, baseurl, quiet=quiet)
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as error:
        reason = error.strerror or str(error)
        hint = f"try another port, e.g. `make serve PORT={port + 1}`" if port < 65535 else \
            "try another port"
        raise UserError(f"--port: {port}: cannot listen on {host}:{port} ({reason}); "
                        f"{hint}") from None
    server.daemon_threads = True
    return server


def _url(server: ThreadingHTTPServer, baseurl: str | None) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}{normalise_baseurl(baseurl)}/"


@contextlib.contextmanager
def serving(out_dir: Path, baseurl: str | None, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve `out_dir` on an ephemeral port in a thread; yield the site's URL (ends in '/')."""
    server = _make_server(out_dir, baseurl, host, 0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, name="ganreport-serving", daemon=True)
    thread.start()
    try:
        yield _url(server, baseurl)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# --------------------------------------------------------------------------- watching


def _snapshot(roots: Iterable[Path], skip: Iterable[Path] = ()) -> dict[str, tuple[int, int]]:
    """Path -> (mtime_ns, size) of every file under `roots`, skipping `skip` and caches."""
    skipped = {str(Path(path).resolve()) for path in skip}
    state: dict[str, tuple[int, int]] = {}
    for root in roots:
        root = Path(root)
        if root.is_file():
            stat = root.stat()
            state[str(root)] = (stat.st_mtime_ns, stat.st_size)
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = [
                d
                for d in dirs
                if d not in IGNORED_DIRS and str(Path(folder, d).resolve()) not in skipped
            ]
            for name in files:
                if name.endswith(IGNORED_SUFFIXES) or name.startswith(".#"):
                    continue
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path)
                except OSError:  # removed between listing and stat
                    continue
                state[path] = (stat.st_mtime_ns, stat.st_size)
    return state


def default_watch_paths(src: Path, runs: Path) -> list[Path]:
    """src, runs and the templates folder(s) the pipeline may read, where they exist."""
    package_dir = Path(__file__).resolve().parent
    candidates = [
        Path(src),
        Path(runs),
        package_dir / "templates",
        package_dir.parent / "templates",
        Path(src).resolve().parent / "templates",
    ]
    unique: list[Path] = []
    for path in candidates:
        if path.exists() and path.resolve() not in {p.resolve() for p in unique}:
            unique.append(path)
    return unique


class Rebuilder:
    """Polls the inputs' mtimes and rebuilds the site when any changed.

    A failed rebuild logs one line; the output folder is left to the pipeline's
    atomic swap, so the last good site stays in place and keeps being served.
    """

    def __init__(
        self,
        rebuild: Callable[[], object],
        watch: Iterable[Path],
        *,
        skip: Iterable[Path] = (),
        interval: float = POLL_SECONDS,
        log: Callable[[str], None] = print,
    ) -> None:
        self.rebuild = rebuild
        self.watch = list(watch)
        self.skip = list(skip)
        self.interval = interval
        self.log = log
        self.builds = 0
        self.failures = 0
        self._state = _snapshot(self.watch, self.skip)

    def check_once(self) -> bool:
        """Rebuild if anything changed since the last check; True when a rebuild ran."""
        state = _snapshot(self.watch, self.skip)
        if state == self._state:
            return False
        changed = sorted(
            p for p in state.keys() | self._state.keys() if state.get(p) != self._state.get(p)
        )
        self._state = state
        more = f" (+{len(changed) - 1} more)" if len(changed) > 1 else ""
        self.log(f"changed: {changed[0]}{more}; rebuilding")
        try:
            self.rebuild()
        except Exception as error:  # noqa: BLE001 (any failure must keep the preview alive)
            message = " ".join(str(error).split()) or type(error).__name__
            self.log(f"rebuild failed: {message} (still serving the last good build)")
            self.failures += 1
            return True
        self.builds += 1  # the pipeline's own log line says what was built
        return True

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(self.interval):
            self.check_once()

    @contextlib.contextmanager
    def running(self) -> Iterator[Rebuilder]:
        """Run the polling loop in a daemon thread for the `with` block."""
        stop = threading.Event()
        thread = threading.Thread(
            target=self.run, args=(stop,), name="ganreport-watch", daemon=True
        )
        thread.start()
        try:
            yield self
        finally:
            stop.set()
            thread.join(timeout=max(5.0, self.interval * 3))


# --------------------------------------------------------------------------- entry point


def serve(
    src: Path,
    runs: Path,
    out: Path,
    *,
    baseurl: str | None,
    port: int = 4000,
    host: str = "127.0.0.1",
    cache_dir: Path | None = None,
    stop: threading.Event | None = None,
    interval: float = POLL_SECONDS,
    log: Callable[[str], None] = print,
    allow_empty: bool = False,
) -> int:
    """Build, serve under the baseurl and rebuild on change until Ctrl-C (or `stop`); 0.

    The port is taken before the first build, so a port in use fails at once.
    """
    from ganreport.pipeline import build  # lazily: the handler is usable without it

    src, runs, out = Path(src), Path(runs), Path(out)
    prefix = site_baseurl(src, baseurl)

    def rebuild() -> object:
        return build(src, runs, out, baseurl=baseurl, cache_dir=cache_dir, log=log,
                     allow_empty=allow_empty)

    server = _make_server(out, prefix, host, port, quiet=True)
    try:
        rebuild()
    except BaseException:
        server.server_close()
        raise
    watch = default_watch_paths(src, runs)
    rebuilder = Rebuilder(rebuild, watch, skip=[out], interval=interval, log=log)
    log(f"Serving {_url(server, prefix)}  (watching {', '.join(map(str, watch))}; Ctrl-C stops)")
    thread = threading.Thread(target=server.serve_forever, name="ganreport-serve", daemon=True)
    thread.start()
    previous = _stop_on_signals()
    try:
        with rebuilder.running():
            if stop is None:
                while thread.is_alive():
                    thread.join(timeout=0.5)
            else:
                stop.wait()
    except KeyboardInterrupt:
        log("stopped")
    finally:
        server.shutdown()
        server.server_close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _stop_on_signals() -> dict:
    """Ctrl-C and SIGTERM end the preview cleanly, even when the shell started it with
    SIGINT ignored (a background job); returns the handlers to restore."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.signal(signum, _interrupt)
    return previous
