"""Markdown rendering: math reaches MathJax untouched, MathJax scripts go, directives work."""

import html
import re

import pytest

from ganreport.errors import UserError
from ganreport.markdown_render import (
    Directive,
    parse_directive,
    render_markdown,
)
from ganreport.mathjax_js import MATHJAX_CONFIG_JS
from tests.ganreport.kramdown_cases import KRAMDOWN_PAGES

MATH_ELEMENT = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)


def render(body: str, **kwargs):
    return render_markdown(body, source=kwargs.pop("source", "site_src/index.md"), **kwargs)


def math_of(result) -> list[tuple[str, str]]:
    """(tag, TeX as MathJax will read it) for every arithmatex element, in order."""
    return [(tag, html.unescape(tex)) for tag, tex in MATH_ELEMENT.findall(result.html)]


# --- inline math ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown_text", "tex"),
    [
        (r"the density $p_{data}$ here", r"\(p_{data}\)"),
        (r"so $p^*(x)=q^*(x)$ holds", r"\(p^*(x)=q^*(x)\)"),
        (r"game $\min_G\max_D V(D,G)$ value", r"\(\min_G\max_D V(D,G)\)"),
        (
            r"term $\mathbb{E}_{x \sim p_{data}(x)}[\log D(x)]$ end",
            r"\(\mathbb{E}_{x \sim p_{data}(x)}[\log D(x)]\)",
        ),
        (r"the norm $|x|$ of x", r"\(|x|\)"),
        (r"round \(a_1 * b_1\) brackets", r"\(a_1 * b_1\)"),
        (r"less $a < b \& c$ than", r"\(a < b \& c\)"),
    ],
)
def test_inline_math_reaches_mathjax_untouched(markdown_text, tex):
    result = render(markdown_text)
    assert math_of(result) == [("span", tex)]
    assert "<em>" not in result.html and "<td>" not in result.html
    assert result.has_math


def test_two_emphasis_lookalikes_in_one_paragraph_stay_math():
    result = render(r"Both $p_*$ and $q_*$ and $a*b*c$ are math, *this* is emphasis.")
    assert [tex for _, tex in math_of(result)] == [r"\(p_*\)", r"\(q_*\)", r"\(a*b*c\)"]
    assert result.html.count("<em>") == 1


@pytest.mark.parametrize(
    "text",
    ["Price $5 and $10", "Costs $5-$10 per run", "Between $ 5 and 10 $ dollars"],
)
def test_dollar_amounts_stay_text(text):
    result = render(text)
    assert result.html == f"<p>{text}</p>"
    assert "arithmatex" not in result.html
    assert not result.has_math


def test_escaped_dollar_is_literal():
    result = render(r"Pay \$x\$ please")
    assert result.html == "<p>Pay $x$ please</p>"
    assert not result.has_math


def test_math_in_code_is_code():
    result = render("Use `$x_1$` literally.")
    assert "<code>$x_1$</code>" in result.html
    assert not result.has_math


# --- display math --------------------------------------------------------------------------


def test_double_dollar_block_alone_is_display_math():
    tex = "\\min_G\\max_D V(D,G) = \\mathbb{E}_{x \\sim p_{data}(x)}[\\log D(x)]"
    body = f"Intro.\n\n$$\n{tex}\n$$\n"
    result = render(body)
    assert math_of(result) == [
        ("div", "\\[\n\\min_G\\max_D V(D,G) = \\mathbb{E}_{x \\sim p_{data}(x)}[\\log D(x)]\n\\]")
    ]


def test_double_dollar_on_one_line_alone_is_display_math():
    assert math_of(render("$$p^*(x)=q^*(x)$$")) == [("div", r"\[p^*(x)=q^*(x)\]")]


def test_double_dollar_inside_a_paragraph_is_inline_math_like_kramdown():
    result = render(r"The game $$\min_G\max_D V(D,G)$$ has a value.")
    assert math_of(result) == [("span", r"\(\min_G\max_D V(D,G)\)")]
    assert result.html.startswith("<p>The game <span")


def test_double_dollar_touching_text_lines_is_inline():
    result = render("We write\n$$p_{data}$$\nfor the data.")
    assert math_of(result) == [("span", r"\(p_{data}\)")]


def test_square_bracket_display_block():
    result = render("\\[\nx_a * y_b * z\n\\]")
    assert math_of(result) == [("div", "\\[\nx_a * y_b * z\n\\]")]


@pytest.mark.parametrize("environment", ["align", "align*", "equation"])
def test_begin_environments_keep_line_breaks_and_ampersands(environment):
    tex = (
        f"\\begin{{{environment}}}\n"
        "V(D,G) &= \\mathbb{E}_{x \\sim p_{data}(x)}[\\log D(x)] \\\\\n"
        "&\\quad + \\mathbb{E}_{z \\sim p_z(z)}[\\log(1 - D(G(z)))]\n"
        f"\\end{{{environment}}}"
    )
    result = render(f"Before.\n\n{tex}\n\nAfter.")
    assert math_of(result) == [("div", tex)]
    assert "\\\\\n" in html.unescape(result.html)


def test_environment_touching_a_paragraph_still_reaches_mathjax():
    tex = "\\begin{align}\na_1 &= b_1 \\\\\nc^*_2 &= d^*_2\n\\end{align}"
    result = render(f"We have\n{tex}\nas claimed.")
    assert math_of(result) == [("span", tex)]


def test_table_cells_with_math_and_real_tables_both_work():
    result = render("| v | loss |\n|---|---|\n| v1 | $l_1$ |\n")
    assert "<table>" in result.html
    assert math_of(result) == [("span", r"\(l_1\)")]


# --- page's own MathJax scripts ------------------------------------------------------------

MATHJAX_V2_CONFIG = """<script type="text/x-mathjax-config">
  MathJax.Hub.Config({tex2jax: {inlineMath: [['$','$'], ['\\\\(','\\\\)']]}});
</script>"""
MATHJAX_V2_LOADER = (
    '<script type="text/javascript" async '
    'src="https://cdn.mathjax.org/mathjax/latest/MathJax.js?config=TeX-AMS-MML_HTMLorMML">'
    "</script>"
)


@pytest.mark.parametrize(
    "script",
    [
        MATHJAX_V2_CONFIG,
        MATHJAX_V2_LOADER,
        "<script>\nwindow.MathJax = {tex: {inlineMath: [['$', '$']]}};\n</script>",
        '<script id="MathJax-script" async '
        'src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"></script>',
        '<script src="https://polyfill.io/v3/polyfill.min.js?features=es6"></script>',
    ],
)
def test_mathjax_scripts_are_removed_with_a_warning(script):
    body = "# Title\n\nText.\n\n" + script + "\n\nMore text.\n"
    result = render(body, first_line=8)
    assert "<script" not in result.html
    assert "More text." in result.html
    assert result.warnings == (
        "site_src/index.md:12: removed the page's own MathJax <script> "
        "(the site serves MathJax itself)",
    )
    assert result.has_math


def test_other_scripts_stay():
    body = '<script src="/assets/slider.js"></script>\n\nText.\n'
    result = render(body)
    assert '<script src="/assets/slider.js"></script>' in result.html
    assert result.warnings == ()
    assert not result.has_math


def test_mathjax_script_shown_in_a_code_fence_stays():
    body = "```html\n" + MATHJAX_V2_LOADER + "\n```\n"
    result = render(body)
    assert "cdn.mathjax.org" in result.html
    assert result.warnings == ()


# --- a page written for Jekyll's minima theme ----------------------------------------------

MINIMA_PAGE = (
    "---\n"
    "layout: home\n"
    "permalink: /\n"
    "title: GAN study\n"
    "---\n" + MATHJAX_V2_CONFIG + "\n" + MATHJAX_V2_LOADER + "\n\n"
    "# Generative adversarial networks\n"
    "\n"
    "The generator $G$ plays $$\\min_G\\max_D V(D,G)$$ against $D$.\n"
    "\n"
    "$$\n"
    "V(D,G) = \\mathbb{E}_{x \\sim p_{data}(x)}[\\log D(x)]\n"
    "$$\n"
    "\n"
    "## At the optimum\n"
    "\n"
    "Price $5 and $10, and $p^*(x)=q^*(x)$.\n"
)


def test_minima_theme_page_renders():
    from ganreport.frontmatter import split_front_matter

    meta, body, first_line = split_front_matter(MINIMA_PAGE, "site_src/index.md")
    assert meta == {"layout": "home", "permalink": "/", "title": "GAN study"}
    result = render_markdown(body, source="site_src/index.md", first_line=first_line)
    assert "<script" not in result.html and "MathJax" not in result.html
    assert [warning.split(":")[1] for warning in result.warnings] == ["6", "9"]
    assert result.headings == (
        (1, "generative-adversarial-networks", "Generative adversarial networks"),
        (2, "at-the-optimum", "At the optimum"),
    )
    assert math_of(result) == [
        ("span", r"\(G\)"),
        ("span", r"\(\min_G\max_D V(D,G)\)"),
        ("span", r"\(D\)"),
        ("div", "\\[\nV(D,G) = \\mathbb{E}_{x \\sim p_{data}(x)}[\\log D(x)]\n\\]"),
        ("span", r"\(p^*(x)=q^*(x)\)"),
    ]
    assert "Price $5 and $10, and" in result.html
    assert result.has_math


# --- directives ----------------------------------------------------------------------------


def test_parse_directive_args_options_and_quotes():
    directive = parse_directive(
        '{% samples v2 epoch=last caption="Fixed noise, epoch 40" wide %}', line=7
    )
    assert directive == Directive(
        name="samples",
        args=("v2", "wide"),
        options={"epoch": "last", "caption": "Fixed noise, epoch 40"},
        line=7,
    )


@pytest.mark.parametrize(
    "line", ["text {% loss_plot v1 %}", "{% loss_plot v1 %} text", "    {% loss_plot v1 %}", "{%%}"]
)
def test_only_lines_holding_a_directive_alone_are_directives(line):
    assert parse_directive(line, line=1) is None


def test_directives_reach_the_handler_with_source_line_numbers():
    seen: list[Directive] = []

    def handler(directive: Directive) -> str:
        seen.append(directive)
        return f'<figure class="plot" data-n="{len(seen)}"><img alt="x_1 *a*"></figure>'

    body = (
        "Intro paragraph\n"
        "{% loss_plot v1 %}\n"
        "\n"
        "{% progression v2 epochs=0,5,10 %}\n"
        "\n"
        "{% version_list %}\n"
    )
    result = render(body, first_line=4, directive_handler=handler)
    assert [(d.name, d.args, d.options, d.line) for d in seen] == [
        ("loss_plot", ("v1",), {}, 5),
        ("progression", ("v2",), {"epochs": "0,5,10"}, 7),
        ("version_list", (), {}, 9),
    ]
    assert result.html == (
        "<p>Intro paragraph</p>\n"
        '<figure class="plot" data-n="1"><img alt="x_1 *a*"></figure>\n'
        '<figure class="plot" data-n="2"><img alt="x_1 *a*"></figure>\n'
        '<figure class="plot" data-n="3"><img alt="x_1 *a*"></figure>'
    )


@pytest.mark.parametrize("error_type", [UserError, ValueError])
def test_handler_errors_become_user_errors_with_file_and_line(error_type):
    def handler(directive: Directive) -> str:
        raise error_type("no run folder for version v9; expected one of v1, v2")

    with pytest.raises(UserError) as caught:
        render("Text.\n\n{% samples v9 epoch=3 %}\n", first_line=5, directive_handler=handler)
    assert str(caught.value) == (
        "site_src/index.md:7: no run folder for version v9; expected one of v1, v2"
    )


def test_directive_without_handler_is_an_error_naming_the_line():
    with pytest.raises(UserError, match=r"^notes\.md:3: directive \{% loss_plot %\}"):
        render_markdown("a\n\n{% loss_plot v1 %}\n", source="notes.md")


def test_unbalanced_quote_in_directive_names_the_line():
    with pytest.raises(UserError, match=r"^site_src/index\.md:2: .*quote"):
        render('x\n{% samples v1 caption="open %}\n', directive_handler=lambda d: "")


def test_directive_inside_a_code_fence_is_left_alone():
    calls: list[Directive] = []
    body = "```\n{% loss_plot v1 %}\n```\n\n~~~~markdown\n{% samples v1 epoch=2 %}\n~~~~\n"
    result = render(body, directive_handler=lambda d: calls.append(d) or "<div>X</div>")
    assert calls == []
    assert "{% loss_plot v1 %}" in result.html
    assert "{% samples v1 epoch=2 %}" in result.html
    assert "<div>X</div>" not in result.html


def test_directive_after_a_code_fence_is_processed_with_the_right_line():
    calls: list[Directive] = []
    body = "```\n{% loss_plot v1 %}\n```\n\n{% loss_plot v2 %}\n"
    render(body, directive_handler=lambda d: calls.append(d) or "<div>X</div>")
    assert [(d.args, d.line) for d in calls] == [(("v2",), 5)]


# --- the rest of the page ------------------------------------------------------------------


def test_headings_get_ids_and_are_listed_in_order():
    result = render("# One\n\n## Two & three\n\n### Four\n\n## Five\n")
    assert '<h2 id="two-three">Two &amp; three</h2>' in result.html
    assert result.headings == (
        (1, "one", "One"),
        (2, "two-three", "Two & three"),
        (3, "four", "Four"),
        (2, "five", "Five"),
    )


def test_fenced_code_has_no_highlighting_markup():
    result = render("```python\nx = 1  # $not math$\n```\n")
    assert result.html.startswith('<pre class="highlight"><code class="language-python">')
    assert "<span" not in result.html
    assert not result.has_math


def test_footnotes_and_attr_lists():
    result = render("Claim.[^1]\n\n[^1]: Source.\n\n![plot](a.png){: width=300 }\n")
    assert 'class="footnote"' in result.html
    assert 'width="300"' in result.html


def test_empty_body():
    assert render("").html == ""
    assert render("").has_math is False


def test_mathjax_config_matches_arithmatex_output():
    assert "inlineMath: [['\\\\(', '\\\\)']]" in MATHJAX_CONFIG_JS
    assert "displayMath: [['\\\\[', '\\\\]']]" in MATHJAX_CONFIG_JS
    assert "processEscapes: true" in MATHJAX_CONFIG_JS
    assert "processEnvironments: true" in MATHJAX_CONFIG_JS
    assert "ignoreHtmlClass: '.*|'" in MATHJAX_CONFIG_JS
    assert "processHtmlClass: 'arithmatex'" in MATHJAX_CONFIG_JS
    assert "window.MathJax = {" in MATHJAX_CONFIG_JS


# --- kramdown's display-math placement -----------------------------------------------------


def test_two_double_dollar_formulas_on_one_line_are_two_inline_formulas():
    result = render("$$ x_1 $$ and $$ y_2 $$")
    assert math_of(result) == [("span", r"\( x_1 \)"), ("span", r"\( y_2 \)")]
    assert result.html.startswith("<p>")


def test_indented_double_dollar_block_is_display_math():
    result = render("Intro\n\n  $$\n  a_1\n  $$")
    assert math_of(result) == [("div", "\\[\na_1\n\\]")]


def test_double_dollar_block_in_a_list_item_is_display_math_in_that_item():
    result = render("1. item\n\n   $$\n   a_1\n   $$")
    assert math_of(result) == [("div", "\\[\na_1\n\\]")]
    item = r'<li>\s*<p>item</p>\s*<div class="arithmatex">.*</div>\s*</li>'
    assert re.search(item, result.html, re.S)


# --- Jekyll's Liquid -----------------------------------------------------------------------


class NamedHandler:
    names = frozenset({"samples", "loss_plot"})

    def __init__(self):
        self.seen: list[Directive] = []

    def __call__(self, directive: Directive) -> str:
        self.seen.append(directive)
        return f'<figure class="plot">{directive.name}</figure>'


SITE = {
    "site.baseurl": "",
    "site.url": "https://example.org",
    "site.absolute_root": "https://example.org/gan",
    "site.title": "GAN <script>alert(1)</script> study",
    "page.title": "About",
}


def test_highlight_block_becomes_fenced_code_with_content_intact():
    handler = NamedHandler()
    body = "{% highlight python %}\nx = {1: 2}  # $a_1$ *b*\n{% samples v1 %}\n{% endhighlight %}\n"
    result = render(body, directive_handler=handler, variables=SITE)
    assert '<code class="language-python">' in result.html
    assert "x = {1: 2}  # $a_1$ *b*\n{% samples v1 %}</code>" in result.html
    assert handler.seen == [] and result.warnings == () and not result.has_math


def test_raw_block_keeps_liquid_literally():
    handler = NamedHandler()
    body = "{% raw %}\nUse {{ x }} and\n{% samples v1 %}\n{% endraw %}\n"
    result = render(body, directive_handler=handler, variables=SITE)
    assert result.html == "<p>Use {{ x }} and\n{% samples v1 %}</p>"
    assert handler.seen == [] and result.warnings == ()


def test_inline_raw_and_raw_in_code_show_the_liquid():
    body = (
        "Write `{% raw %}{{ site.title }}{% endraw %}`.\n\n"
        "```liquid\n{% raw %}\n{{ page.title }}\n{% endraw %}\n```\n"
    )
    result = render(body, directive_handler=NamedHandler(), variables=SITE)
    assert "<code>{{ site.title }}</code>" in result.html
    assert '<code class="language-liquid">{{ page.title }}</code>' in result.html


def test_comment_block_is_removed():
    body = (
        "Before.\n\n{% comment %}\nsecret {{ foo.bar }}\n{% samples v1 %}\n"
        "{% endcomment %}\n\nAfter.\n"
    )
    result = render(body, directive_handler=NamedHandler())
    assert result.html == "<p>Before.</p>\n<p>After.</p>"
    assert result.warnings == ()


def test_other_liquid_tags_are_dropped_with_a_warning():
    body = "Text.\n\n{% include head.html %}\n{%- if page.x -%}\nShown.\n{% endif %}\n"
    result = render(body, first_line=4, directive_handler=NamedHandler())
    assert "include" not in result.html and "endif" not in result.html
    assert "<p>Shown.</p>" in result.html
    assert [warning.split(" (")[0] for warning in result.warnings] == [
        "site_src/index.md:6: dropped Jekyll/Liquid tag {% include %}",
        "site_src/index.md:7: dropped Jekyll/Liquid tag {% if %}",
        "site_src/index.md:9: dropped Jekyll/Liquid tag {% endif %}",
    ]
    assert "not supported" in result.warnings[0]


def test_unknown_name_is_still_an_error_with_the_line():
    with pytest.raises(UserError) as caught:
        render("Text.\n\n{% los_plot v1 %}\n", first_line=3, directive_handler=NamedHandler())
    assert str(caught.value) == (
        "site_src/index.md:5: unknown directive {% los_plot %}; "
        "known directives: loss_plot, samples"
    )


def test_handler_with_names_gets_only_its_names():
    handler = NamedHandler()
    body = "{% loss_plot v1 %}\n\n{% seo %}\n\n{% samples v2 epoch=3 %}\n"
    result = render(body, directive_handler=handler)
    assert [(d.name, d.line) for d in handler.seen] == [("loss_plot", 1), ("samples", 5)]
    assert len(result.warnings) == 1 and "{% seo %}" in result.warnings[0]


def test_handler_without_names_gets_every_tag_line():
    seen: list[str] = []
    render("{% include x.html %}\n", directive_handler=lambda d: seen.append(d.name) or "")
    assert seen == ["include"]


def test_liquid_without_a_handler_still_works():
    result = render("{% highlight sh %}\nls\n{% endhighlight %}\n")
    assert '<code class="language-sh">ls</code>' in result.html


def test_site_baseurl_in_a_link_becomes_root_relative():
    body = "![a]({{ site.baseurl }}/assets/a.png) [b]({{site.baseurl}}/about/)"
    result = render(body, variables=SITE)
    assert '<img alt="a" src="/assets/a.png">' in result.html
    assert '<a href="/about/">b</a>' in result.html
    assert result.warnings == ()


def test_relative_url_and_absolute_url_filters():
    body = (
        "[a]({{ \"assets/a.png\" | relative_url }}) [b]({{ '/x/' | relative_url }}) "
        "[c]({{ \"/feed.xml\" | absolute_url }}) [d]({{ '/c.css' | prepend: site.baseurl }})"
    )
    result = render(body, variables=SITE)
    assert '<a href="/assets/a.png">a</a>' in result.html
    assert '<a href="/x/">b</a>' in result.html
    assert '<a href="https://example.org/gan/feed.xml">c</a>' in result.html
    assert '<a href="/c.css">d</a>' in result.html


def test_unknown_output_tag_is_left_with_a_warning():
    result = render("Text.\n\nBy {{ foo.bar }} here.\n", first_line=2, variables=SITE)
    assert "<p>By {{ foo.bar }} here.</p>" in result.html
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("site_src/index.md:4: left {{ foo.bar }} as it is")


def test_no_substitution_in_code():
    body = "`{{ site.title }}` and {{ page.title }}\n\n```\n{{ site.title }}\n```\n"
    result = render(body, variables=SITE)
    assert "<code>{{ site.title }}</code> and About" in result.html
    assert "<code>{{ site.title }}</code></pre>" in result.html
    assert result.warnings == ()


def test_values_are_inserted_as_text():
    result = render("# {{ site.title }}\n", variables=SITE)
    assert "<script>" not in result.html
    assert "GAN &lt;script&gt;alert(1)&lt;/script&gt; study" in result.html


def test_tex_with_double_braces_is_not_liquid():
    result = render("$x^{{2}}$", variables=SITE)
    assert math_of(result) == [("span", r"\(x^{{2}}\)")]
    assert result.warnings == ()


def test_liquid_ending_a_line_is_not_read_as_an_attribute_list():
    result = render("{% raw %}\nShow {% samples v1 %}\n{% endraw %}\n\nBy {{ foo.bar }}\n")
    assert "<p>Show {% samples v1 %}</p>" in result.html
    assert "<p>By {{ foo.bar }}</p>" in result.html


# --- math as Jekyll (kramdown + MathJax on the whole page) typesets it -----------------------
# Each case: the kramdown source, then the HTML ganreport must write. The expectations follow
# kramdown 2's parse_block_math/parse_inline_math (a $$ block needs a block boundary before
# and after it, and runs to the first $$), its GFM escapes, and MathJax's delimiters.
# The cases live in kramdown_cases.py; test_kramdown_math_browser.py typesets them.

@pytest.mark.parametrize("name", KRAMDOWN_PAGES)
def test_math_as_jekyll_typesets_it(name):
    markdown_text, expected, _modes = KRAMDOWN_PAGES[name]
    result = render(markdown_text)
    assert result.html == expected
    assert result.has_math


@pytest.mark.parametrize(
    ("markdown_text", "expected"),
    [
        ("<p>Price $5 and $10, <code>$x$</code></p>", "<p>Price $5 and $10, <code>$x$</code></p>"),
        (
            '<div>\n<pre>$$y$$</pre>\n<!-- $z$ -->\n<a title="$w$">\\$</a>\n</div>',
            '<div>\n<pre>$$y$$</pre>\n<!-- $z$ -->\n<a title="$w$">\\$</a>\n</div>',
        ),
        ("Use `\\\\(x\\\\)` here", "<p>Use <code>\\\\(x\\\\)</code> here</p>"),
        ("a \\\\( b never closes", "<p>a \\( b never closes</p>"),
        # kramdown: "$$" after a heading is a paragraph, and a paragraph ends at a blank line.
        ("# H\n$$\na\n\nb\n$$", '<h1 id="h">H</h1>\n<p>$$\na</p>\n<p>b\n$$</p>'),
    ],
)
def test_what_jekyll_leaves_as_text_stays_text(markdown_text, expected):
    result = render(markdown_text)
    assert result.html == expected
    assert not result.has_math


def test_double_dollar_after_a_directive_is_display_math():
    handler = NamedHandler()
    result = render("{% loss_plot v1 %}\n$$ x $$\n", directive_handler=handler)
    assert math_of(result) == [("div", r"\[ x \]")]


def test_double_dollar_after_a_removed_mathjax_script_is_inline_like_kramdown():
    result = render(MATHJAX_V2_LOADER + "\n$$ x $$\n")
    assert math_of(result) == [("span", r"\( x \)")]
    assert len(result.warnings) == 1


def test_marks_never_reach_the_page():
    body = (
        "# H\n$$ a $$\n\n    $$\n    b\n\n    $$\n\n"  # inline; an indented code block
        "<div>\n$$\nc\n\nd\n$$\n</div>\n\n$$ e $$\n---\n"  # raw HTML; a setext heading
    )
    result = render(body)
    assert result.html == (
        '<h1 id="h">H</h1>\n<p><span class="arithmatex">\\( a \\)</span></p>\n'
        '<pre class="highlight"><code>$$\nb\n\n$$</code></pre>\n'
        '<div>\n<span class="arithmatex">\\[\nc\n\nd\n\\]</span>\n</div>\n\n'
        '<h2 id="e"><span class="arithmatex">\\( e \\)</span></h2>'
    )
    assert result.headings == ((1, "h", "H"), (2, "e", "\\( e \\)"))


def test_fence_at_the_margin_ends_a_paragraph():
    result = render("text\n```\ncode\n```\nafter")
    assert result.html == (
        '<p>text</p>\n<pre class="highlight"><code>code</code></pre>\n<p>after</p>'
    )


# --- unclosed Liquid (a one-line error, as Jekyll stops there too) ---------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "Text.\n\n{% loss_plot v1\n",
            "site_src/index.md:5: unclosed directive {% loss_plot v1; "
            "expected it to end with %} on the same line",
        ),
        (
            "Text with {% samples v1 epoch=3 in it\n",
            "site_src/index.md:3: unclosed directive {% samples v1 epoch=3 in it; "
            "expected it to end with %} on the same line",
        ),
        (
            "Text.\n\n{% raw %}\n{{ x }}\n",
            "site_src/index.md:5: {% raw %} is never closed; end it with {% endraw %}",
        ),
        (
            "Text.\n{% comment %}\n```\ncode\n```\n",
            "site_src/index.md:4: {% comment %} is never closed; end it with {% endcomment %}",
        ),
    ],
)
def test_unclosed_liquid_is_an_error_naming_the_line(body, message):
    with pytest.raises(UserError) as caught:
        render(body, first_line=3, directive_handler=NamedHandler())
    assert str(caught.value) == message


def test_liquid_openers_in_code_and_raw_are_not_unclosed():
    body = "Write `{% samples` like this.\n\n```\n{% loss_plot\n```\n\n{% raw %}{% x{% endraw %}\n"
    result = render(body, directive_handler=NamedHandler())
    assert "<code>{% samples</code>" in result.html
    assert "{% loss_plot" in result.html and "{% x" in result.html
