"""Jekyll's Liquid, as far as a static page needs it.

Pages written for Jekyll use ``{{ site.baseurl }}``, ``relative_url``, ``{% highlight %}``,
``{% raw %}`` and ``{% include %}``. There is no Liquid engine here: output tags are filled
in from a flat mapping of known values, ``raw``/``comment`` sections are tracked, and other
tags are dropped with a warning. ``markdown_render`` calls this on prose lines only, never
inside code.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Protocol

from ganreport.errors import UserError


class LiquidPage(Protocol):
    """What Liquid needs of the page being rendered (markdown_render's extension)."""

    names: frozenset[str] | None  # the project's directive names; None: every tag is one
    variables: Mapping[str, str]
    source: str  # the file, for error messages

    def warn(self, line: int, message: str) -> None: ...

    def known_values(self) -> str: ...



LIQUID_TAGS = frozenset({
    # Liquid itself
    "assign", "break", "capture", "case", "continue", "cycle", "decrement", "echo", "else",
    "elsif", "endcapture", "endcase", "endfor", "endif", "endtablerow", "endunless", "for",
    "if", "increment", "liquid", "render", "tablerow", "unless", "when",
    # Jekyll and the plugins GitHub Pages / minima use
    "feed_meta", "include", "include_relative", "link", "post_url", "seo", "github_edit_link",
    "avatar", "gist", "endraw", "endcomment",
})
"""Liquid tags that are dropped with a warning (``raw``, ``comment`` and ``highlight`` are
handled); any other ``{% name %}`` that is not a project directive is an error."""

LIQUID_LINE = re.compile(r"^[ \t]*\{%-?\s*(?P<name>[A-Za-z_][\w-]*)(?P<rest>.*?)\s*-?%\}[ \t]*$")
_LIQUID_INLINE = re.compile(r"\{%-?\s*(?P<name>[A-Za-z_][\w-]*)(?:[^%]|%(?!\}))*?-?%\}")
_SECTION_TAG = re.compile(r"\{%-?\s*(?P<name>raw|endraw|comment|endcomment)\s*-?%\}")
_RAW_TAG = re.compile(r"\{%-?\s*(?:raw|endraw)\s*-?%\}")
HIGHLIGHT_OPEN = re.compile(
    r"^(?P<indent>[ \t]*)\{%-?\s*highlight\s+(?P<lang>[^\s%]+)(?:[^%]|%(?!\}))*?-?%\}(?P<after>.*)$"
)
HIGHLIGHT_CLOSE = re.compile(r"^(?P<before>.*?)\{%-?\s*endhighlight\s*-?%\}[ \t]*$")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)")
_OUTPUT_TAG = re.compile(r"\{\{-?(?P<expr>(?:[^}]|\}(?!\}))*?)-?\}\}")
_NAME = r"[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)*"
_VALUE = rf"(?:\"[^\"]*\"|'[^']*'|{_NAME})"
_EXPRESSION = re.compile(
    rf"\s*(?P<base>{_VALUE})\s*(?P<filters>(?:\|\s*[A-Za-z_]\w*\s*(?::\s*{_VALUE}\s*)?)*)"
)
_UNCLOSED_TAG = re.compile(r"\{%(?!.*%\})")
_FILTER = re.compile(rf"\|\s*(?P<name>[A-Za-z_]\w*)\s*(?::\s*(?P<arg>{_VALUE})\s*)?")


def strip_raw_tags(lines: list[str]) -> list[str]:
    """Code shown on a Jekyll page wraps Liquid in ``{% raw %}``: the tags go, the text stays."""
    kept: list[str] = []
    for line in lines:
        stripped = _RAW_TAG.sub("", line)
        if stripped == line or stripped.strip():
            kept.append(stripped)
    return kept


class Liquid:
    """Fills in ``{{ ... }}`` and drops Liquid tags in prose; remembers raw/comment state."""

    def __init__(self, page: LiquidPage) -> None:
        self.page = page
        self.in_raw = False
        self.in_comment = False
        self.section_line = 0  # where the open raw/comment section started

    @property
    def in_section(self) -> bool:
        return self.in_raw or self.in_comment

    def line(self, text: str, line: int) -> str:
        """One prose line: raw parts verbatim, comments removed, the rest substituted."""
        out: list[str] = []
        pos = 0
        while True:
            if self.in_raw or self.in_comment:
                end = re.compile(rf"\{{%-?\s*end{'raw' if self.in_raw else 'comment'}\s*-?%\}}")
                match = end.search(text, pos)
                stop = match.start() if match else len(text)
                if self.in_raw:
                    rest = text[match.end() :] if match else ""
                    out.append(text[pos:stop] if rest.strip() else _literal(text[pos:stop]))
                if match is None:
                    break
                self.in_raw = self.in_comment = False
                pos = match.end()
                continue
            match = _SECTION_TAG.search(text, pos)
            out.append(self.substitute(text[pos : match.start() if match else len(text)], line))
            if match is None:
                break
            if match["name"] == "raw":
                self.in_raw, self.section_line = True, line
            elif match["name"] == "comment":
                self.in_comment, self.section_line = True, line
            else:
                self.page.warn(line, f"dropped a stray {{% {match['name']} %}}")
            pos = match.end()
        result = "".join(out)
        return "" if text.strip() and not result.strip() else result

    def substitute(self, text: str, line: int) -> str:
        """Fill in output tags and drop Liquid tags, outside code spans."""
        out: list[str] = []
        pos = 0
        for span in _CODE_SPAN.finditer(text):
            out.append(self._fill(text[pos : span.start()], line))
            out.append(span[0])
            pos = span.end()
        out.append(self._fill(text[pos:], line))
        return "".join(out)

    def _fill(self, text: str, line: int) -> str:
        page = self.page

        def output(match: re.Match[str]) -> str:
            expression = match["expr"].strip()
            parsed = _EXPRESSION.fullmatch(expression)
            if parsed is None:  # not Liquid-looking, e.g. TeX's {{x^2}}: leave alone
                return match[0]
            value = self._evaluate(parsed)
            if value is None:
                page.warn(
                    line,
                    f"left {{{{ {expression} }}}} as it is (unknown Liquid value or filter; "
                    f"known: {page.known_values()}, filters relative_url, absolute_url, "
                    "prepend, append)",
                )
                return match[0] if match.end() < len(text) else _literal(match[0])
            return html.escape(value)

        def tag(match: re.Match[str]) -> str:
            if page.names is None or match["name"] not in LIQUID_TAGS:
                return match[0]
            page.warn(line, dropped_message(match["name"]))
            return ""

        filled = _LIQUID_INLINE.sub(tag, _OUTPUT_TAG.sub(output, text))
        _refuse_unclosed_tag(filled, page.source, line)
        return filled

    def _evaluate(self, parsed: re.Match[str]) -> str | None:
        value = self._value(parsed["base"])
        for fil in _FILTER.finditer(parsed["filters"]):
            if value is None:
                return None
            name, arg = fil["name"], self._value(fil["arg"]) if fil["arg"] else None
            if name == "relative_url":
                value = _root_relative(value)
            elif name == "absolute_url":
                root = self.page.variables.get("site.absolute_root", "")
                if not _ABSOLUTE.match(value):
                    value = root.rstrip("/") + _root_relative(value)
            elif name in ("prepend", "append") and arg is not None:
                value = arg + value if name == "prepend" else value + arg
            else:
                return None
        return value

    def _value(self, token: str) -> str | None:
        if token[0] in "\"'":
            return token[1:-1]
        value = self.page.variables.get(token)
        return None if value is None else str(value)


_ABSOLUTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|#)", re.I)


def _root_relative(path: str) -> str:
    """Jekyll's relative_url without the baseurl (the pipeline adds it to root links)."""
    if _ABSOLUTE.match(path):
        return path
    return "/" + path.lstrip("/")


def _literal(text: str) -> str:
    """Liquid that ends a prose line, shown as text: ``\\{`` keeps the attribute-list extension
    from reading a trailing ``{% ... %}`` or ``{{ ... }}`` as ``{: ...}``. Raw HTML lines and
    code spans are left alone (the backslash would show there)."""
    if text.lstrip().startswith("<") or text.rstrip().endswith("`"):
        return text
    match = re.search(rf"(?<!\\)(?:{_OUTPUT_TAG.pattern}|\{{%(?:[^%]|%(?!\}}))*%\}})\s*$", text)
    if match is None or (match["expr"] is not None and not _EXPRESSION.fullmatch(match["expr"])):
        return text  # no Liquid at the end, or TeX such as x^{{2}}
    return text[: match.start()] + "\\" + text[match.start() :]


def _refuse_unclosed_tag(text: str, source: str, line: int) -> None:
    """A ``{%`` left after every complete tag is gone never ends on its line: Jekyll's Liquid
    stops the build there, and so do we, rather than show half a directive as text."""
    unclosed = _UNCLOSED_TAG.search(text)
    if unclosed is None:
        return
    shown = text[unclosed.start() :].strip()
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    raise UserError(
        f"{source}:{line}: unclosed directive {shown}; expected it to end with %}} "
        "on the same line"
    )


def dropped_message(name: str) -> str:
    return (
        f"dropped Jekyll/Liquid tag {{% {name} %}} (not supported; "
        "the site is built without Liquid, so write its result into the page)"
    )
