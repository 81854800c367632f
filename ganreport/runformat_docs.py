"""The tables of docs/run-format.md, generated from runformat so the two cannot disagree.

    python -m ganreport.runformat_docs            rewrite the generated parts in place
    python -m ganreport.runformat_docs --check    exit 1 if they are out of date

Only the text between `<!-- generated: NAME -->` and `<!-- end generated: NAME -->`
markers is replaced; the prose around it is written by hand. The tests run the check.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from . import runformat

DOC = Path(__file__).resolve().parent.parent / "docs" / "run-format.md"
BLOCK = re.compile(r"(<!-- generated: (\w+) -->\n).*?(<!-- end generated: \2 -->)", re.S)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def files() -> str:
    rows = [[f"`{name}`", text] for name, text in runformat.FILE_DESCRIPTIONS]
    return _table(["path in `runs/<study>/<version>/`", "holds"], rows)


def kinds() -> str:
    def bounds(kind: runformat.Kind) -> str:
        low, high = kind.bounds
        return f"[{'−∞' if low is None else f'{low:g}'}, {'∞' if high is None else f'{high:g}'}]"

    rows = [[f"`{kind.name}`", kind.axis, kind.unit or "", bounds(kind)]
            for kind in runformat.KINDS.values()]
    return _table(["kind", "axis label", "unit", "values in"], rows)


def quantities() -> str:
    rows = [[f"`{q.name}`", ", ".join(q.losses) if q.losses != runformat.ALL else "all",
             runformat.axis_label(q), f"`{q.kind.name}`", f"`{q.file}`", q.figure or "",
             "yes" if q.compare else "", f"`{q.target}`" if q.target else "", q.description]
            for q in runformat.QUANTITIES]
    return _table(["key", "losses", "axis label", "kind", "file", "plotted in", "compared",
                   "target", "meaning"], rows)


def fields(table: tuple[runformat.Field, ...]) -> Callable[[], str]:
    def render() -> str:
        rows = [[f"`{field.key}`", field.type + (" or null" if field.nullable else ""),
                 field.description] for field in table]
        return _table(["key", "type", "meaning"], rows)

    return render


SECTIONS: dict[str, Callable[[], str]] = {
    "files": files,
    "kinds": kinds,
    "quantities": quantities,
    "config": fields(runformat.CONFIG_FIELDS),
    "env": fields(runformat.ENV_FIELDS),
    "summary": fields(runformat.SUMMARY_FIELDS),
    "heartbeat": fields(runformat.HEARTBEAT_FIELDS),
    "quality": fields(runformat.QUALITY_SUMMARY_FIELDS),
    "constants": lambda: _table(["name", "value"], [
        ["`FORMAT_VERSION`", runformat.FORMAT_VERSION],
        ["`READABLE_VERSIONS`", ", ".join(map(str, runformat.READABLE_VERSIONS))],
        ["`STATUSES`", ", ".join(runformat.STATUSES)],
        ["`HEARTBEAT_STALE_S`", runformat.HEARTBEAT_STALE_S],
        ["`GRID_COLUMNS`, `GRID_PADDING` (what the trainer draws now)",
         f"{runformat.GRID_COLUMNS}, {runformat.GRID_PADDING}"],
        ["`UNRECORDED_GRID` (runs without `grid`)", ", ".join(map(str, runformat.UNRECORDED_GRID))],
        ["`LOSSES`", ", ".join(runformat.LOSSES)],
        ["resume command", f"`{runformat.resume_command('<study>', '<version>')}`"],
    ]),
}


def render(text: str) -> str:
    """`text` with every generated block replaced by its current table."""

    def block(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in SECTIONS:
            raise ValueError(f"unknown generated block {name!r}; known: {', '.join(SECTIONS)}")
        return match.group(1) + SECTIONS[name]() + match.group(3)

    return BLOCK.sub(block, text)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = DOC.read_text(encoding="utf-8")
    fresh = render(text)
    if "--check" in argv:
        if fresh != text:
            print(f"{DOC}: generated tables are out of date; run python -m "
                  "ganreport.runformat_docs", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
