r"""Markdown -> HTML for site pages, with TeX passed to MathJax untouched.

Math is protected by ``pymdownx.arithmatex`` in *generic* mode: inline math comes out as
``<span class="arithmatex">\(...\)</span>`` and display math as
``<div class="arithmatex">\[...\]</div>``, so Markdown never turns ``p^*(x)`` into emphasis
and MathJax (configured by :data:`ganreport.mathjax_js.MATHJAX_CONFIG_JS`) looks only inside those
elements.

On top of arithmatex this module adds what pages written for Jekyll/kramdown rely on:

* ``$$...$$`` inside a paragraph is *inline* math, ``$$...$$`` as a block of its own is
  display math (kramdown's rule: a block boundary such as a blank line before and after it,
  none needed inside it, so a display formula may hold blank lines; after a heading or an
  HTML comment line it is inline);
* ``\\( ... \\)`` and ``\\[ ... \\]``, kramdown's escaped delimiters, are math as
  on a Jekyll page, their TeX read through kramdown's backslash escapes;
* ``$...$``, ``$$...$$``, ``\(...\)``, ``\[...\]`` in raw HTML blocks are typeset, as
  MathJax does on a Jekyll page (kramdown leaves the block alone);
* ``\[...\]`` and ``\begin{env}...\end{env}`` that touch a paragraph still reach MathJax;
* ``$...$`` follows pandoc's rule, so ``Price $5 and $10`` stays text;
* the page's own MathJax ``<script>`` tags are removed (the site serves MathJax itself);
* ``{% name args key=value %}`` lines are figure directives rendered by a callback; a ``{%``
  that never ends on its line is an error, as in Jekyll;
* Jekyll's Liquid is handled as far as a static page needs it: ``{% highlight %}`` becomes
  fenced code, ``{% raw %}`` and ``{% comment %}`` work, other tags are dropped with a
  warning, and ``{{ site.baseurl }}``-style values and the ``relative_url``/``absolute_url``
  filters are filled in from ``variables`` (the Liquid part lives in :mod:`ganreport.liquid`).
"""

from __future__ import annotations

import html
import re
import shlex
import xml.etree.ElementTree as etree
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

import markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import AtomicString
from pymdownx.arithmatex import (
    RE_BRACKET_BLOCK,
    RE_BRACKET_INLINE,
    RE_TEX_BLOCK,
    BlockArithmatexProcessor,
    InlineArithmatexPattern,
)

from ganreport.errors import UserError
from ganreport.liquid import (
    HIGHLIGHT_CLOSE,
    HIGHLIGHT_OPEN,
    LIQUID_LINE,
    LIQUID_TAGS,
    Liquid,
    dropped_message,
    strip_raw_tags,
)


@dataclass(frozen=True)
class Directive:
    """One ``{% name arg key=value %}`` line; ``line`` is the line number in the source file."""

    name: str
    args: tuple[str, ...]
    options: dict[str, str] = field(default_factory=dict, hash=False)
    line: int = 0


@dataclass(frozen=True)
class RenderedMarkdown:
    """HTML of a page body plus what the templates need to know about it."""

    html: str
    has_math: bool
    warnings: tuple[str, ...] = ()
    headings: tuple[tuple[int, str, str], ...] = ()  # (level, id, plain text)


DirectiveHandler = Callable[[Directive], str]

# ---------------------------------------------------------------------------------------------
# Fenced code: directives and script removal must leave code blocks alone.

_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")


def fenced_line_mask(lines: list[str]) -> list[bool]:
    """Mark the lines that belong to a fenced code block (fence lines included).

    An unclosed fence runs to the end of the text, as in CommonMark: better to leave a
    directive unprocessed than to run one that the author meant as an example.
    """
    mask = [False] * len(lines)
    closing: re.Pattern[str] | None = None
    for index, line in enumerate(lines):
        if closing is not None:
            mask[index] = True
            if closing.match(line):
                closing = None
            continue
        opening = _FENCE_OPEN.match(line)
        if opening and not (opening["fence"][0] == "`" and "`" in opening["info"]):
            fence = opening["fence"]
            closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
            mask[index] = True
    return mask


# ---------------------------------------------------------------------------------------------
# Directives.

_DIRECTIVE_LINE = re.compile(r"^ {0,3}\{%-?\s*(?P<name>[A-Za-z_][\w-]*)(?P<rest>.*?)\s*-?%\}\s*$")


def parse_directive(line_text: str, line: int) -> Directive | None:
    """Parse a line that holds only ``{% name arg key=value key2="quoted value" %}``.

    Returns None when the line is not a directive. Arguments are split like a shell would,
    so quoted values may contain spaces; ``key=value`` words become options.
    """
    match = _DIRECTIVE_LINE.match(line_text)
    if match is None:
        return None
    try:
        words = shlex.split(match["rest"])
    except ValueError as error:
        raise ValueError(f"{{% {match['name']} %}}: {error}; close every quote") from None
    args: list[str] = []
    options: dict[str, str] = {}
    for word in words:
        key, equals, value = word.partition("=")
        if equals and re.fullmatch(r"[A-Za-z_][\w-]*", key):
            options[key] = value
        else:
            args.append(word)
    return Directive(match["name"], tuple(args), options, line)


def _run_directive(directive: Directive, handler: DirectiveHandler | None, source: str) -> str:
    """Call the handler, turning its complaints into a UserError that names file and line."""
    where = f"{source}:{directive.line}"
    if handler is None:
        raise UserError(
            f"{where}: directive {{% {directive.name} %}} cannot be used here; "
            "expected plain Markdown (directives are only available in site pages)"
        )
    try:
        return handler(directive)
    except UserError as error:
        raise UserError(f"{where}: {error}") from None
    except ValueError as error:
        raise UserError(f"{where}: {error}") from None


# ---------------------------------------------------------------------------------------------
# The page's own MathJax scripts.

_SCRIPT = re.compile(
    r"^ {0,3}<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script\s*>", re.I | re.S | re.M
)
_MATHJAX_SRC = re.compile(r"mathjax|polyfill", re.I)


def _is_mathjax_script(attrs: str, body: str) -> bool:
    """A MathJax loader or config (v2 or v3), or the polyfill.io shim MathJax 3 docs suggest."""
    if re.search(r"\bsrc\s*=", attrs, re.I):
        return _MATHJAX_SRC.search(attrs) is not None
    return "mathjax" in body.lower() or "mathjax" in attrs.lower()


def remove_mathjax_scripts(text: str, source: str, first_line: int) -> tuple[str, list[str]]:
    """Blank out MathJax ``<script>`` elements that start a line; return (text, warnings).

    Removed scripts become blank lines so later line numbers stay true to the source file.
    """
    warnings: list[str] = []

    def replace(match: re.Match[str]) -> str:
        if not _is_mathjax_script(match["attrs"], match["body"]):
            return match[0]
        line = first_line + text.count("\n", 0, match.start())
        warnings.append(
            f"{source}:{line}: removed the page's own MathJax <script> "
            "(the site serves MathJax itself)"
        )
        return "\n" * match[0].count("\n")

    return _SCRIPT.sub(replace, text), warnings


# ---------------------------------------------------------------------------------------------
# kramdown's math blocks. Python-Markdown splits blocks at blank lines and forgets what came
# before a block, so the decision is taken on source lines and passed on as two marks, which
# are removed again before inline parsing (and from stored raw HTML).

NOT_A_MATH_BLOCK = "\x1e"
"""Put before a ``$$`` line where kramdown does not start a math block (it reads a paragraph,
so the ``$$...$$`` is inline math): no block boundary before it, or none after the closing."""
BLANK_IN_MATH = "\x1f"
"""Stands for a blank line inside a kramdown math block, so that the block stays in one piece."""
_MARKS = re.compile("[\x1e\x1f]")

_DOLLAR_LINE = re.compile(r"^(?P<indent>[ \t]*)\$\$")
# kramdown's BLOCK_BOUNDARY: a blank line, an end-of-block marker `^`, a block IAL `{: ...}`.
_BOUNDARY_LINE = re.compile(r"^(?:[ \t]*|\^[ \t]*|[ ]{0,3}\{:(?![:/]).*\}[ \t]*)$")


def mark_math_blocks(
    lines: list[str],
    *,
    at_start: bool = True,
    at_end: bool = True,
    boundaries: Collection[str] = frozenset(),
) -> list[str]:
    r"""Apply kramdown's block-math rule (``parse_block_math``) to source lines.

    A ``$$`` line starts a math block only after a block boundary (start of the text, a blank
    line, ``lines`` in ``boundaries``) and only when the first ``$$`` after it ends a line
    that is followed by a boundary or the end. Such a block may contain blank lines; they
    become :data:`BLANK_IN_MATH`. Other ``$$`` lines get :data:`NOT_A_MATH_BLOCK`.
    ``at_start``/``at_end``: the lines start/end the text (else a code block is there).
    """
    out = list(lines)
    index = 0
    while index < len(out):
        match = _DOLLAR_LINE.match(out[index])
        if match is None:
            index += 1
            continue
        after_boundary = _is_boundary(out[index - 1], boundaries) if index else at_start
        end = None
        if after_boundary:
            end = _math_block_end(out, index, match.end(), at_end, boundaries)
        indent = match["indent"]
        if end is None:
            out[index] = indent + NOT_A_MATH_BLOCK + out[index][len(indent) :]
            index += 1
            continue
        for inner in range(index + 1, end):
            if not out[inner].strip():
                out[inner] = indent + BLANK_IN_MATH
        index = end + 1
    return out


def _is_boundary(line: str, boundaries: Collection[str]) -> bool:
    return line in boundaries or _BOUNDARY_LINE.match(line) is not None


def _math_block_end(
    lines: list[str], start: int, column: int, at_end: bool, boundaries: Collection[str]
) -> int | None:
    """The line holding the first ``$$`` after ``lines[start][:column]``, when only spaces
    follow it and a block boundary (or the end) comes next; None when kramdown would revert."""
    for index in range(start, len(lines)):
        found = lines[index].find("$$", column if index == start else 0)
        if found < 0:
            continue
        if lines[index][found + 2 :].strip():
            return None
        if index + 1 < len(lines) and not _is_boundary(lines[index + 1], boundaries):
            return None
        return index if index + 1 < len(lines) or at_end else None
    return None


# ---------------------------------------------------------------------------------------------
# Escaped delimiters written for kramdown: "\\( x \\)" reaches the page as "\( x \)".

# kramdown-parser-gfm's ESCAPED_CHARS_GFM: a backslash before one of these shows the character.
_KRAMDOWN_ESCAPES = frozenset("\\.*_+`<>()[]{}#!:|\"'$=-~")


def kramdown_math(source: str, start: int, close: str) -> tuple[str, int] | None:
    r"""TeX after an escaped ``\\(`` (``close`` ``)``) or ``\\[`` (``close`` ``]``).

    Reads ``source`` from ``start`` as kramdown would (``\\`` -> ``\``, ``\_`` -> ``_``, ...)
    and stops where MathJax would: at ``\`` + ``close`` outside braces, a ``\x`` pair being
    one token. Returns (TeX as MathJax reads it, index in ``source`` after the delimiter);
    None when it never closes or runs into something Markdown stored (a code span).
    """
    if source.find("\\\\" + close, start) < 0:  # every way to write the delimiter has it
        return None
    text: list[str] = []
    depth = 0
    pending = False  # the last character read is a backslash that starts a TeX token
    index = start
    while index < len(source):
        char = source[index]
        if char in "\x02\x03":
            return None
        if char == "\\" and source[index + 1 : index + 2] in _KRAMDOWN_ESCAPES:
            char = source[index + 1]
            index += 1
        index += 1
        if pending:
            pending = False
            if char == close and depth == 0:
                return "".join(text[:-1]), index
        elif char == "\\":
            pending = True
        elif char == "{":
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        text.append(char)
    return None


class _EscapedDelimiterPattern(InlineProcessor):
    r"""``\\( x \\)`` and ``\\[ x \\]``: inline and display math, TeX read as kramdown would."""

    def handleMatch(self, m: re.Match[str], data: str):  # noqa: N802 (Markdown's API name)
        close = ")" if m[0].endswith("(") else "]"
        found = kramdown_math(data, m.end(0), close)
        if found is None:
            return None, None, None
        tex, end = found
        opening = "\\(" if close == ")" else "\\["
        element = etree.Element("span", {"class": "arithmatex"})
        element.text = AtomicString(f"{opening}{tex}\\{close}")
        return element, m.start(0), end


# ---------------------------------------------------------------------------------------------
# TeX in raw HTML blocks: kramdown leaves the block alone, MathJax (run on the whole page)
# typesets it. Here MathJax only looks inside .arithmatex, so each formula is wrapped.

_HTML_TOKEN = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<[!?][^>]*>"
    r"|<(?P<close>/)?(?P<tag>[A-Za-z][\w:-]*)"
    r"(?:\s+[^\s\"'>/=]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+))?)*\s*/?>",
    re.S,
)
# MathJax's skipHtmlTags: no math is looked for inside these.
_HTML_NO_MATH = frozenset(
    {"script", "noscript", "style", "textarea", "pre", "code", "annotation", "annotation-xml"}
)
_HTML_MATH = re.compile(
    r"(?P<escaped>\\\$)"
    r"|(?<!\\)\$\$(?P<display>(?:\\.|[^\\$\x02\x03]|\$(?!\$))+?)\$\$"
    r"|(?<!\\)(?P<delimited>\\\[(?:\\[^\]]|[^\\\x02\x03])+?\\\]"
    r"|\\\((?:\\[^)]|[^\\\x02\x03])+?\\\)"
    r"|\\begin\{(?P<env>[A-Za-z]+\*?)\}(?:\\.|[^\\\x02\x03])+?\\end\{(?P=env)\})"
    r"|(?<!\\)\$(?!\s)(?P<inline>(?:\\.|[^\\$\x02\x03])+?)(?<!\s)\$(?!\d)",
    re.S,
)


def typeset_html_math(html_text: str) -> str:
    r"""Wrap each formula in the text of a raw HTML block in ``<span class="arithmatex">``.

    ``$$x$$`` is display math here (MathJax's rule: kramdown never saw it), written
    ``\[x\]``; ``$x$`` follows the ``$5`` rule and becomes ``\(x\)``; ``\(..\)``, ``\[..\]``
    and ``\begin{env}..\end{env}`` keep their delimiters. Tags, attributes, comments and the
    inside of ``<pre>``, ``<code>``, ``<script>``... are left alone. The TeX stays HTML
    source (``&lt;`` is ``<`` to MathJax, as on a Jekyll page).
    """
    out: list[str] = []
    skipping: str | None = None  # the element whose content MathJax skips
    position = 0
    for token in _HTML_TOKEN.finditer(html_text):
        text = html_text[position : token.start()]
        out.append(text if skipping else _HTML_MATH.sub(_wrap_html_math, text))
        out.append(token[0])
        position = token.end()
        tag = (token["tag"] or "").lower()
        if skipping is None and tag in _HTML_NO_MATH and not token["close"]:
            skipping = tag
        elif skipping == tag and token["close"]:
            skipping = None
    tail = html_text[position:]
    out.append(tail if skipping else _HTML_MATH.sub(_wrap_html_math, tail))
    return "".join(out)


def _wrap_html_math(match: re.Match[str]) -> str:
    if match["escaped"] is not None:
        return match[0]
    if match["display"] is not None:
        tex = f"\\[{match['display']}\\]"
    elif match["inline"] is not None:
        tex = f"\\({match['inline']}\\)"
    else:
        tex = match["delimited"]
    return f'<span class="arithmatex">{tex}</span>'


# ---------------------------------------------------------------------------------------------
# Markdown extension: preprocessing of directives and scripts, extra math syntax.


class _PagePreprocessor(Preprocessor):
    """Runs right after whitespace normalisation, while lines still match the source file."""

    def __init__(self, md: markdown.Markdown, page: _PageExtension) -> None:
        super().__init__(md)
        self.page = page

    def run(self, lines: list[str]) -> list[str]:
        page = self.page
        liquid = Liquid(page)
        result: list[str] = []
        prose: list[str] = []
        prose_start = 0
        placeholders: set[str] = set()

        def flush(at_end: bool = False) -> None:
            result.extend(self._prose(prose, prose_start, placeholders, at_end))
            prose.clear()

        index = 0
        while index < len(lines):
            text = lines[index]
            line = page.first_line + index
            if not liquid.in_section:
                block_end = self._code_block(lines, index, result, flush)
                if block_end is not None:
                    index = block_end
                    continue
            if not prose:
                prose_start = index
            if not liquid.in_section and LIQUID_LINE.match(text):
                prose.append(self._tag_line(text, line, liquid, placeholders))
            else:
                prose.append(liquid.line(text, line))
            index += 1
        flush(at_end=True)
        if liquid.in_section:
            name = "raw" if liquid.in_raw else "comment"
            raise UserError(
                f"{page.source}:{liquid.section_line}: {{% {name} %}} is never closed; "
                f"end it with {{% end{name} %}}"
            )
        return result

    def _code_block(self, lines: list[str], index: int, result: list[str], flush) -> int | None:
        """A fenced block or ``{% highlight %}`` starting at ``index``: emit it, return the
        index after it; None when no code block starts there."""
        page = self.page
        opening = _FENCE_OPEN.match(lines[index])
        if opening and not (opening["fence"][0] == "`" and "`" in opening["info"]):
            fence = opening["fence"]
            closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
            end = index + 1
            while end < len(lines) and not closing.match(lines[end]):
                end += 1
            end = min(end + 1, len(lines))
            flush()
            # At the margin a fence ends a paragraph and the text after it starts one (GFM).
            margin = [""] if not opening["indent"] else []
            result.extend([*margin, *strip_raw_tags(lines[index:end]), *margin])
            return end
        highlight = HIGHLIGHT_OPEN.match(lines[index]) if page.names is not None else None
        if highlight is None:
            return None
        end = index + 1
        while end < len(lines) and not HIGHLIGHT_CLOSE.match(lines[end]):
            end += 1
        if end == len(lines):
            raise UserError(
                f"{page.source}:{page.first_line + index}: {{% highlight "
                f"{highlight['lang']} %}} is never closed; end it with {{% endhighlight %}}"
            )
        before = HIGHLIGHT_CLOSE.match(lines[end])["before"]  # type: ignore[index]
        code = [highlight["after"]] if highlight["after"].strip() else []
        code += lines[index + 1 : end] + ([before] if before.strip() else [])
        code = strip_raw_tags(code)
        longest = max((len(run) for run in re.findall(r"`+", "\n".join(code))), default=0)
        fence = highlight["indent"] + "`" * max(3, longest + 1)
        flush()
        result.extend(["", fence + highlight["lang"], *code, fence, ""])
        return end + 1

    def _tag_line(self, text: str, line: int, liquid: Liquid, placeholders: set[str]) -> str:
        """A line holding only ``{% name ... %}``: a directive, a Liquid tag, or an error."""
        page = self.page
        name = LIQUID_LINE.match(text)["name"]  # type: ignore[index]
        if page.names is not None and name in ("raw", "comment", "endraw", "endcomment"):
            return liquid.line(text, line)
        if page.names is not None and name not in page.names and name in LIQUID_TAGS:
            page.warn(line, dropped_message(name))
            return ""
        try:
            directive = parse_directive(text, line)
        except ValueError as error:
            raise UserError(f"{page.source}:{line}: {error}") from None
        if directive is None:  # indented four spaces or more: text, as before
            return liquid.line(text, line)
        if page.directive_handler is not None and page.names is not None and name not in page.names:
            raise UserError(
                f"{page.source}:{line}: unknown directive {{% {name} %}}; known directives: "
                f"{', '.join(sorted(page.names))}"
            )
        block = _run_directive(directive, page.directive_handler, page.source)
        placeholder = self.md.htmlStash.store(block)
        placeholders.add(placeholder)
        return placeholder

    def _prose(
        self, lines: list[str], offset: int, placeholders: set[str], at_end: bool
    ) -> list[str]:
        """kramdown's math blocks marked; MathJax scripts -> blank lines; directive
        placeholders become blocks of their own."""
        if not lines:
            return []
        page = self.page
        # As kramdown sees the page: the scripts are still there. Chunks of prose lie between
        # code blocks, which are not block boundaries.
        lines = mark_math_blocks(
            lines, at_start=offset == 0, at_end=at_end, boundaries=placeholders
        )
        text, warnings = remove_mathjax_scripts(
            "\n".join(lines), page.source, page.first_line + offset
        )
        page.warnings.extend(warnings)
        page.removed_mathjax_scripts += len(warnings)
        result: list[str] = []
        for text_line in text.split("\n"):
            # A directive is a block of its own, even when the author left no blank lines.
            result.extend(["", text_line, ""] if text_line in placeholders else [text_line])
        return result


# pandoc's rule on top of arithmatex's "smart dollar": no space inside the dollars and no
# digit right after the closing one, so "$5 and $10" and "$5-$10" stay text.
_SMART_DOLLAR = (
    r"(?:(?<!\\)((?:\\{2})+)(?=\$)"
    r"|(?<!\\)(\$)(?!\s)((?:\\.|[^\\$\x02\x03])+?)(?<!\s)(?:\$)(?!\d))"
)

_PARAGRAPH_MATH = (
    r"(?<!\\)\$\$(?P<dollar>(?:\\.|[^\\$\x02\x03]|\$(?!\$))+?)\$\$"
    r"|(?<!\\)\\\[(?P<square>(?:\\[^\]]|[^\\\x02\x03])+?)\\\]"
    r"|(?<!\\)\\begin\{(?P<env>[A-Za-z]+\*?)\}(?:\\.|[^\\\x02\x03])+?\\end\{(?P=env)\}"
)


class _ParagraphMathPattern(InlineProcessor):
    r"""Math that shares a paragraph with text: ``$$x$$`` is inline (kramdown), while
    ``\[x\]`` and ``\begin{align}...`` keep their own delimiters (MathJax shows them as display).
    """

    def handleMatch(self, m: re.Match[str], data: str):  # noqa: N802 (Markdown's API name)
        element = etree.Element("span", {"class": "arithmatex"})
        if m["dollar"] is not None:
            element.text = AtomicString(f"\\({m['dollar']}\\)")
        else:
            element.text = AtomicString(m[0])
        return element, m.start(0), m.end(0)


# arithmatex's $$ block pattern runs to the *last* $$ of the block, so "$$a$$ and $$b$$" became
# one display formula; kramdown reads that line as a paragraph with two inline formulas.
_DOLLAR_BLOCK = r"(?P<dollar>[$]{2})(?P<math>(?:\\.|[^\\$]|\$(?!\$))+?)(?P=dollar)"
_ESCAPED_SQUARE_BLOCK = r"\\\\\[(?P<escaped>.+?)\\\\\]"


class _DisplayMathBlock(BlockArithmatexProcessor):
    r"""arithmatex's block processor with kramdown's placement rules.

    * A display block may be indented up to three spaces; indented two or more right after
      a list, it belongs to the list's last item (kramdown's content indent), where
      Python-Markdown would otherwise want four spaces.
    * ``\begin{align}...\end{align}`` is not wrapped in ``\[...\]``: align and friends are
      top-level environments, and MathJax 4 rejects them nested in display math.
      ``processEnvironments`` finds them on their own.
    * ``\\[ ... \\]`` written for kramdown, alone in its block, is display math too.
    """

    def run(self, parent: etree.Element, blocks: list[str]) -> bool:
        assert self.match is not None
        indent = len(self.match["indent"])
        escaped = None
        if self.match["escaped"] is not None:
            escaped = kramdown_math(blocks[0], self.match.start("escaped"), "]")
            if escaped is None or blocks[0][escaped[1] :].strip():
                return False  # closes early ("\\[a\\] and \\[b\\]"): a paragraph
        if indent >= 2 and len(parent) and parent[-1].tag in ("ol", "ul") and len(parent[-1]):
            item = parent[-1][-1]
            if item.text and item.text.strip():  # the item becomes loose, as in Markdown
                paragraph = etree.Element("p")
                paragraph.text, item.text = item.text, ""
                item.insert(0, paragraph)
            parent = item
        environment = self.match["math2"]
        if not environment:
            math = escaped[0] if escaped else self.match["math"] or self.match["math3"] or ""
            blocks.pop(0)
            self.generic_output(parent, _dedent(math, indent))
            return True
        blocks.pop(0)
        element = etree.SubElement(parent, "div", {"class": "arithmatex"})
        element.text = AtomicString(_dedent(environment, indent))
        return True


def _dedent(text: str, indent: int) -> str:
    """Remove the block's own indentation (up to ``indent`` spaces) from each line."""
    return re.sub(rf"\n[ ]{{0,{indent}}}", "\n", text) if indent else text


class _StashLength(Preprocessor):
    """Notes how much HTML is stored before the raw-HTML preprocessor runs: what is stored
    from there until block parsing ends are the page's raw HTML blocks."""

    def run(self, lines: list[str]) -> list[str]:
        self.first = len(self.md.htmlStash.rawHtmlBlocks)
        return lines


class _AfterBlocks(Treeprocessor):
    """Once blocks are parsed: typesets the math in raw HTML blocks, and removes
    :data:`NOT_A_MATH_BLOCK` and :data:`BLANK_IN_MATH` from the tree and stored HTML."""

    def __init__(self, md: markdown.Markdown, stash_length: _StashLength) -> None:
        super().__init__(md)
        self.stash_length = stash_length

    def run(self, root: etree.Element) -> None:
        for element in root.iter():
            for name in ("text", "tail"):
                value = getattr(element, name)
                if value and _MARKS.search(value):
                    cleaned = _MARKS.sub("", value)
                    atomic = isinstance(value, AtomicString)
                    setattr(element, name, AtomicString(cleaned) if atomic else cleaned)
        stash = self.md.htmlStash.rawHtmlBlocks
        first = getattr(self.stash_length, "first", len(stash))
        for index, block in enumerate(stash):
            if isinstance(block, str):
                block = _MARKS.sub("", block)
                stash[index] = typeset_html_math(block) if index >= first else block


class _PageExtension(Extension):
    """Directives, Liquid, script removal and the extra math syntax; holds one render's state."""

    def __init__(
        self,
        source: str,
        first_line: int,
        directive_handler: DirectiveHandler | None,
        variables: Mapping[str, str] | None = None,
    ):
        super().__init__()
        self.source = source
        self.first_line = first_line
        self.directive_handler = directive_handler
        # The project's directive names; None: the handler gets every {% %} line (no Liquid).
        self.names: frozenset[str] | None
        if directive_handler is None:
            self.names = frozenset()
        elif hasattr(directive_handler, "names"):
            self.names = frozenset(directive_handler.names)  # type: ignore[attr-defined]
        else:
            self.names = None
        self.variables: dict[str, str] = dict(variables or {})
        self.warnings: list[str] = []
        self.removed_mathjax_scripts = 0

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(f"{self.source}:{line}: {message}")

    def known_values(self) -> str:
        shown = sorted(key for key in self.variables if key != "site.absolute_root")
        return ", ".join(shown) or "none"

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API name)
        # After normalize_whitespace (30), before fenced code (25) and raw HTML (20).
        md.preprocessors.register(_PagePreprocessor(md, self), "ganreport_page", 29)
        arithmatex_config = {"generic": True, "tex_inline_wrap": ["\\(", "\\)"]}
        block_pattern = "|".join(
            [_DOLLAR_BLOCK, RE_BRACKET_BLOCK, RE_TEX_BLOCK, _ESCAPED_SQUARE_BLOCK]
        )
        md.parser.blockprocessors.register(
            _DisplayMathBlock(
                rf"(?s)^(?P<indent>[ ]{{0,3}})(?:{block_pattern})[ ]*$", arithmatex_config, md
            ),
            "arithmatex-block",
            79.9,
        )
        md.inlinePatterns.deregister("arithmatex-inline")
        md.inlinePatterns.register(
            InlineArithmatexPattern(f"(?:{_SMART_DOLLAR}|{RE_BRACKET_INLINE})", arithmatex_config),
            "arithmatex-inline",
            189.9,
        )
        # Before arithmatex's inline pattern, after code spans (190).
        md.inlinePatterns.register(_ParagraphMathPattern(_PARAGRAPH_MATH), "paragraph-math", 189.95)
        md.inlinePatterns.register(
            _EscapedDelimiterPattern(r"(?<!\\)\\\\[(\[]"), "escaped-delimiter-math", 189.92
        )
        # After fenced code (25) is stored, before the raw-HTML preprocessor (20).
        stash_length = _StashLength(md)
        md.preprocessors.register(stash_length, "ganreport_stash_length", 20.5)
        # Before inline parsing (20), which stores inline HTML too.
        md.treeprocessors.register(_AfterBlocks(md, stash_length), "ganreport_after_blocks", 20.5)


# ---------------------------------------------------------------------------------------------
# Entry point.

_EXTENSIONS = ["tables", "footnotes", "toc", "attr_list", "md_in_html", "pymdownx.superfences"]
_EXTENSION_CONFIGS = {
    "pymdownx.arithmatex": {"generic": True},
    # Plain <pre><code class="language-x">: no Pygments CSS to ship or fetch.
    "pymdownx.highlight": {"use_pygments": False},
}


def render_markdown(
    body: str,
    *,
    source: str,
    first_line: int = 1,
    directive_handler: DirectiveHandler | None = None,
    variables: Mapping[str, str] | None = None,
) -> RenderedMarkdown:
    """Render one page body; ``first_line`` is where the body starts in ``source`` (for errors).

    ``directive_handler`` renders project directives. When it has a ``names`` attribute (the
    directive names it knows), only those ``{% %}`` lines reach it and Jekyll's Liquid tags
    are handled here (``highlight``, ``raw``, ``comment``; others dropped with a warning);
    without ``names`` every ``{% %}`` line goes to it. Without a handler, Liquid tags are
    handled and any other ``{% %}`` line is an error.

    ``variables`` fills in ``{{ dotted.name }}`` output tags, e.g. ``site.baseurl``,
    ``site.url``, ``site.title``, ``site.description``, ``page.title``, ``page.url``;
    ``site.absolute_root`` (site URL plus baseurl) is what the ``absolute_url`` filter
    prepends. Values are inserted as text (HTML-escaped). Code and ``{% raw %}`` are untouched.
    """
    page = _PageExtension(source, first_line, directive_handler, variables)
    md = markdown.Markdown(
        extensions=["pymdownx.arithmatex", "pymdownx.highlight", *_EXTENSIONS, page],
        extension_configs=_EXTENSION_CONFIGS,
        output_format="html",
    )
    text = body.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    output = md.convert(text)
    return RenderedMarkdown(
        html=output,
        has_math=page.removed_mathjax_scripts > 0 or 'class="arithmatex"' in output,
        warnings=tuple(page.warnings),
        headings=tuple(_flatten_headings(getattr(md, "toc_tokens", []))),
    )


def _flatten_headings(tokens: list[dict]) -> list[tuple[int, str, str]]:
    """The toc extension nests headings; templates want them in document order."""
    flat: list[tuple[int, str, str]] = []
    for token in tokens:
        flat.append((token["level"], token["id"], html.unescape(token["name"])))
        flat.extend(_flatten_headings(token.get("children", [])))
    return flat
