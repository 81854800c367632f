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
* ``{% name args key=value %}`` lines are figure directives rendered by a callback;
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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
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
        page = self.page
        liquid = Liquid(page)
        result: list[str] = []
        prose: list[str] = []
        prose_start = 0
        placeholders: set[str] = set()

        def flush() -> None:
            result.extend(self._prose(prose, prose_start, placeholders))
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
        flush()
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
            result.extend(strip_raw_tags(lines[index:end]))
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

    def _prose(self, lines: list[str], offset: int, placeholders: set[str]) -> list[str]:
        """MathJax scripts -> blank lines; directive placeholders become blocks of their own."""
        if not lines:
            return []
        page = self.page
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


class _DisplayMathBlock(BlockArithmatexProcessor):
    r"""arithmatex's block processor with kramdown's placement rules.

    * A display block may be indented up to three spaces; indented two or more right after
      a list, it belongs to the list's last item (kramdown's content indent), where
      Python-Markdown would otherwise want four spaces.
    * ``\begin{align}...\end{align}`` is not wrapped in ``\[...\]``: align and friends are
      top-level environments, and MathJax 4 rejects them nested in display math.
      ``processEnvironments`` finds them on their own.
    """

    def run(self, parent: etree.Element, blocks: list[str]) -> bool:
        assert self.match is not None
        indent = len(self.match["indent"])
        if indent >= 2 and len(parent) and parent[-1].tag in ("ol", "ul") and len(parent[-1]):
            item = parent[-1][-1]
            if item.text and item.text.strip():  # the item becomes loose, as in Markdown
                paragraph = etree.Element("p")
                paragraph.text, item.text = item.text, ""
                item.insert(0, paragraph)
            parent = item
        environment = self.match["math2"]
        if not environment:
            math = self.match["math"] or self.match["math3"] or ""
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
        block_pattern = "|".join([_DOLLAR_BLOCK, RE_BRACKET_BLOCK, RE_TEX_BLOCK])
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
