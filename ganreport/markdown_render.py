r"""Markdown -> HTML for site pages, with TeX passed to MathJax untouched.

Math is protected by ``pymdownx.arithmatex`` in *generic* mode: inline math comes out as
``<span class="arithmatex">\(...\)</span>`` and display math as
``<div class="arithmatex">\[...\]</div>``, so Markdown never turns ``p^*(x)`` into emphasis
and MathJax (configured by :data:`MATHJAX_CONFIG_JS`) looks only inside those elements.

On top of arithmatex this module adds what pages written for Jekyll/kramdown rely on:

* ``$$...$$`` inside a paragraph is *inline* math, ``$$...$$`` as a block of its own is
  display math (kramdown's rule);
* ``\[...\]`` and ``\begin{env}...\end{env}`` that touch a paragraph still reach MathJax;
* ``$...$`` follows pandoc's rule, so ``Price $5 and $10`` stays text;
* the page's own MathJax ``<script>`` tags are removed (the site serves MathJax itself);
* ``{% name args key=value %}`` lines are figure directives rendered by a callback.
"""

from __future__ import annotations

import html
import re
import shlex
import xml.etree.ElementTree as etree
from collections.abc import Callable
from dataclasses import dataclass, field

import markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.util import AtomicString
from pymdownx.arithmatex import (
    RE_BRACKET_BLOCK,
    RE_BRACKET_INLINE,
    RE_DOLLAR_BLOCK,
    RE_TEX_BLOCK,
    BlockArithmatexProcessor,
    InlineArithmatexPattern,
)

from ganreport.errors import UserError

MATHJAX_CONFIG_JS = r"""window.MathJax = {
  tex: {
    inlineMath: [['\\(', '\\)']],
    displayMath: [['\\[', '\\]']],
    processEscapes: true,
    processEnvironments: true
  },
  options: {
    ignoreHtmlClass: '.*|',
    processHtmlClass: 'arithmatex'
  }
};"""
"""Put in a ``<script>`` before the site's own ``tex-chtml.js``: MathJax then typesets only
the ``arithmatex`` elements this module writes, and nothing else on the page."""


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
# Markdown extension: preprocessing of directives and scripts, extra math syntax.


class _PagePreprocessor(Preprocessor):
    """Runs right after whitespace normalisation, while lines still match the source file."""

    def __init__(self, md: markdown.Markdown, page: _PageExtension) -> None:
        super().__init__(md)
        self.page = page

    def run(self, lines: list[str]) -> list[str]:
        mask = fenced_line_mask(lines)
        result: list[str] = []
        start = 0
        while start < len(lines):
            end = start
            while end < len(lines) and mask[end] == mask[start]:
                end += 1
            chunk = lines[start:end]
            result.extend(chunk if mask[start] else self._prose(chunk, start))
            start = end
        return result

    def _prose(self, lines: list[str], offset: int) -> list[str]:
        """Directives -> stashed HTML, MathJax scripts -> blank lines, for lines outside code."""
        page = self.page
        placeholders: set[str] = set()
        for index, text in enumerate(lines):
            line = page.first_line + offset + index
            try:
                directive = parse_directive(text, line)
            except ValueError as error:
                raise UserError(f"{page.source}:{line}: {error}") from None
            if directive is not None:
                block = _run_directive(directive, page.directive_handler, page.source)
                lines[index] = self.md.htmlStash.store(block)
                placeholders.add(lines[index])
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


class _DisplayMathBlock(BlockArithmatexProcessor):
    r"""arithmatex's block processor, except that ``\begin{align}...\end{align}`` is not
    wrapped in ``\[...\]``: align and friends are top-level environments, and MathJax 4
    rejects them nested in display math. ``processEnvironments`` finds them on their own.
    """

    def run(self, parent: etree.Element, blocks: list[str]) -> bool:
        environment = self.match["math2"] if self.match is not None else None
        if not environment:
            return super().run(parent, blocks)
        blocks.pop(0)
        element = etree.SubElement(parent, "div", {"class": "arithmatex"})
        element.text = AtomicString(environment)
        return True


class _PageExtension(Extension):
    """Directives, script removal and the extra math syntax; holds one render's state."""

    def __init__(self, source: str, first_line: int, directive_handler: DirectiveHandler | None):
        super().__init__()
        self.source = source
        self.first_line = first_line
        self.directive_handler = directive_handler
        self.warnings: list[str] = []
        self.removed_mathjax_scripts = 0

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API name)
        # After normalize_whitespace (30), before fenced code (25) and raw HTML (20).
        md.preprocessors.register(_PagePreprocessor(md, self), "ganreport_page", 29)
        arithmatex_config = {"generic": True, "tex_inline_wrap": ["\\(", "\\)"]}
        block_pattern = "|".join([RE_DOLLAR_BLOCK, RE_BRACKET_BLOCK, RE_TEX_BLOCK])
        md.parser.blockprocessors.register(
            _DisplayMathBlock(rf"(?s)^(?:{block_pattern})[ ]*$", arithmatex_config, md),
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
) -> RenderedMarkdown:
    """Render one page body; ``first_line`` is where the body starts in ``source`` (for errors)."""
    page = _PageExtension(source, first_line, directive_handler)
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
