"""Split Jekyll-style YAML front matter (``---`` ... ``---`` at the top) from a page body.

Kept apart from Markdown so that every reader of ``site_src/`` (pages, ``.html`` files that may
or may not be pages) agrees on what counts as front matter, and so that YAML mistakes are
reported with the line number in the *source file*, not in the YAML snippet.
"""

from __future__ import annotations

import re

import yaml

from ganreport.errors import UserError

_OPENING = re.compile(r"---[ \t]*")
# Jekyll closes front matter with "---" or "..." on a line of its own.
_CLOSING = re.compile(r"(?:---|\.\.\.)[ \t]*")
_EXPECTED = "expected YAML key: value lines between the two --- lines"


def normalize_text(text: str) -> str:
    """Drop a leading BOM and turn CRLF/CR line ends into LF, as editors on any OS may save them."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def has_front_matter(text: str) -> bool:
    """True when the first line is ``---``: what makes Jekyll treat a file as a page."""
    first_line = normalize_text(text).split("\n", 1)[0]
    return _OPENING.fullmatch(first_line) is not None


def split_front_matter(text: str, source: str = "<text>") -> tuple[dict, str, int]:
    """Return ``(meta, body, body_first_line)``; ``body_first_line`` is 1-based in the file.

    Without front matter the result is ``({}, text, 1)``. ``source`` names the file in errors.
    """
    text = normalize_text(text)
    lines = text.split("\n")
    if _OPENING.fullmatch(lines[0]) is None:
        return {}, text, 1
    closing_index = next((i for i in range(1, len(lines)) if _CLOSING.fullmatch(lines[i])), None)
    if closing_index is None:
        raise UserError(
            f"{source}:1: front matter starts with --- but no closing --- line follows; {_EXPECTED}"
        )
    meta = _parse_yaml("\n".join(lines[1:closing_index]), source)
    body = "\n".join(lines[closing_index + 1 :])
    return meta, body, closing_index + 2


def _parse_yaml(yaml_text: str, source: str) -> dict:
    """Parse the YAML between the delimiters (which starts on line 2 of the file)."""
    try:
        meta = yaml.safe_load(yaml_text)
    except yaml.YAMLError as error:
        line, problem = yaml_error_location(error, first_line=2)
        raise UserError(f"{source}:{line}: front matter: {problem}; {_EXPECTED}") from None
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise UserError(
            f"{source}:2: front matter is a YAML {type(meta).__name__}, not a mapping; {_EXPECTED}"
        )
    return meta


def yaml_error_location(error: yaml.YAMLError, first_line: int = 1) -> tuple[int, str]:
    """Return (line in the file, one-line problem) for a PyYAML error.

    ``first_line`` is the file line on which the parsed YAML text starts; PyYAML counts from 0.
    """
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    marks = [getattr(error, "problem_mark", None), getattr(error, "context_mark", None)]
    if "stream end" in problem or "end of stream" in problem:
        # The end of the text is no place to look: point at what was left open instead.
        marks.reverse()
    mark = next((mark for mark in marks if mark is not None), None)
    line = first_line + mark.line if mark is not None else first_line
    context = getattr(error, "context", None)
    if context:
        problem = f"{problem} ({context})"
    return line, problem
