"""Type checks of run files against the contract tables: what to keep, what is damage.

Pure functions over parsed data. A value of the wrong type is dropped (the page then
shows "—" for it) and described in one short text, so the reader can give one warning
per file and mark the run damaged instead of stopping the build with a traceback.
"""

from __future__ import annotations

import copy
from typing import Any

from . import runformat

SHOWN_PROBLEMS = 3  # per file: "... and N more"


def describe(value: Any) -> str:
    """A short, safe rendering of a bad value for a warning line."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def check_fields(data: dict[str, Any], fields: tuple[runformat.Field, ...]
                 ) -> tuple[dict[str, Any], list[str]]:
    """`data` without the keys whose value has the wrong type, and one text per bad key.

    Dotted keys (`loss.name`) are looked up in nested mappings; a key that is absent is
    fine (older runs lack newer keys).
    """
    clean = copy.deepcopy(data)
    problems = []
    for field in fields:
        parent, name = _parent(clean, field.key)
        if parent is None or name not in parent:
            continue
        value = parent[name]
        if value is None and field.nullable:
            continue
        if not runformat.type_matches(value, field.type):
            problems.append(f"{field.key} is {describe(value)}, expected {_expected(field)}")
            del parent[name]
    return clean, problems


def _parent(data: dict[str, Any], dotted: str) -> tuple[dict[str, Any] | None, str]:
    *path, name = dotted.split(".")
    node: Any = data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return (node if isinstance(node, dict) else None), name


def _expected(field: runformat.Field) -> str:
    words = {"int": "a whole number", "number": "a number", "str": "text", "bool": "true/false",
             "mapping": "a mapping", "list": "a list", "range": "[low, high] numbers"}
    text = words[field.type]
    return f"{text} or null" if field.nullable else text


def known_names(loss: str | None, file: str) -> set[str]:
    """Keys of a JSONL row that must hold numbers, for a run of this loss (None: any loss).

    epochs.jsonl rows repeat the metrics names as epoch means, so both sets apply there.
    """
    files = {file, runformat.METRICS} if file == runformat.EPOCHS else {file}
    return {q.name for q in runformat.QUANTITIES
            if q.file in files and (loss is None or loss in q.losses)}


def check_rows(rows: list[tuple[int, dict[str, Any]]], numeric: set[str]
               ) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows (line, row) -> rows with bad values set to None, and one text per bad line.

    Every key in `numeric` must be a number or null; a row whose `step` or `epoch` is not a
    whole number cannot be placed on an axis and is dropped.
    """
    clean, problems = [], []
    for line, row in rows:
        bad = [key for key, value in row.items() if key in numeric and value is not None
               and not runformat.type_matches(value, "number")]
        placed = all(runformat.type_matches(row[key], "int") for key in ("step", "epoch")
                     if key in row)
        if bad:
            shown = ", ".join(f"{key} is {describe(row[key])}" for key in bad)
            problems.append(f"line {line}: {shown}, expected a number")
        if not placed:
            if not bad:
                problems.append(f"line {line}: step/epoch is not a whole number")
            continue
        clean.append({key: (None if key in bad else value) for key, value in row.items()})
    return clean, problems


def summarise(problems: list[str]) -> str:
    """'a; b; c and 4 more' for one warning line."""
    shown = "; ".join(problems[:SHOWN_PROBLEMS])
    more = len(problems) - SHOWN_PROBLEMS
    return shown + (f" and {more} more" if more > 0 else "")
