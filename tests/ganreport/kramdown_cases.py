"""Math as Jekyll 4.3 (kramdown 2, GFM input, MathJax on the whole page) typesets it.

Each case: kramdown source, the HTML ganreport writes for it, and how MathJax shows each
formula in order ("i" inline, "d" display), which the browser test checks.
"""

KRAMDOWN_PAGES = {
    # 1. Escaped delimiters: kramdown turns "\\(" into "\(", which MathJax typesets.
    "escaped inline": (
        r"The discriminator \\( D(x) \\) outputs a probability.",
        '<p>The discriminator <span class="arithmatex">\\( D(x) \\)</span> outputs a '
        "probability.</p>",
        "i",
    ),
    "escaped display alone": (
        "\\\\[\n\\min_G \\max_D V(D, G)\n\\\\]",
        '<div class="arithmatex">\\[\n\\min_G \\max_D V(D, G)\n\\]</div>',
        "d",
    ),
    "escaped display in a sentence": (
        r"so \\[ p_g = p_{data} \\] holds",
        '<p>so <span class="arithmatex">\\[ p_g = p_{data} \\]</span> holds</p>',
        "d",
    ),
    "kramdown escapes inside": (
        r"\\( \\{ x \\} \| y\_1 \\\\ z \\)",
        '<p><span class="arithmatex">\\( \\{ x \\} | y_1 \\\\ z \\)</span></p>',
        "i",
    ),
    "MathJax skips a \\) inside braces": (
        r"\\( \text{a \\) b} \\) and",
        '<p><span class="arithmatex">\\( \\text{a \\) b} \\)</span> and</p>',
        "i",
    ),
    "two escaped displays in one paragraph": (
        r"\\[a\\] and \\[b\\]",
        '<p><span class="arithmatex">\\[a\\]</span> and '
        '<span class="arithmatex">\\[b\\]</span></p>',
        "dd",
    ),
    # 2. TeX in raw HTML blocks: kramdown leaves the block alone, MathJax typesets it.
    "html paragraph": (
        "<p>Given labels $(X, y)$, learn $P(y|X)$.</p>",
        '<p>Given labels <span class="arithmatex">\\((X, y)\\)</span>, learn '
        '<span class="arithmatex">\\(P(y|X)\\)</span>.</p>',
        "ii",
    ),
    "html caption": (
        '<p align=center>\n<img src="g.png" alt="samples of $G$">\n'
        "<em>Figure 1: $G(z)$ after $$n = 10$$ epochs, \\(k\\) steps</em>\n</p>",
        '<p align=center>\n<img src="g.png" alt="samples of $G$">\n'
        '<em>Figure 1: <span class="arithmatex">\\(G(z)\\)</span> after '
        '<span class="arithmatex">\\[n = 10\\]</span> epochs, '
        '<span class="arithmatex">\\(k\\)</span> steps</em>\n</p>',
        "idi",
    ),
    "html environment": (
        "<div>\n\\begin{align}\na &amp;= b\n\\end{align}\n</div>",
        '<div>\n<span class="arithmatex">\\begin{align}\na &amp;= b\n\\end{align}</span>\n</div>',
        "d",
    ),
    # 3. A blank line inside a $$ block: still one display formula.
    "blank line in aligned": (
        "Intro.\n\n$$\n\\begin{aligned}\na &= b \\\\\n\nc &= d\n\\end{aligned}\n$$\n\nAfter.",
        "<p>Intro.</p>\n"
        '<div class="arithmatex">\\[\n\\begin{aligned}\na &amp;= b \\\\\n\nc &amp;= d\n'
        "\\end{aligned}\n\\]</div>\n<p>After.</p>",
        "d",
    ),
    "blank line in a list item's block": (
        "1. item\n\n   $$\n   a \\\\\n\n   b\n   $$",
        '<ol>\n<li>\n<p>item</p>\n'
        '<div class="arithmatex">\\[\na \\\\\n\nb\n\\]</div>\n</li>\n</ol>',
        "d",
    ),
    # 4. $$ with no block boundary before or after it is inline math in a paragraph.
    "after an html comment": (
        "<!-- the objective -->\n$$ V(D, G) $$",
        '<!-- the objective -->\n<p><span class="arithmatex">\\( V(D, G) \\)</span></p>',
        "i",
    ),
    "after a heading": (
        "## Loss\n$$ V(D, G) $$",
        '<h2 id="loss">Loss</h2>\n<p><span class="arithmatex">\\( V(D, G) \\)</span></p>',
        "i",
    ),
    "before a heading": (
        "$$ V(D, G) $$\n## Loss",
        '<p><span class="arithmatex">\\( V(D, G) \\)</span></p>\n<h2 id="loss">Loss</h2>',
        "i",
    ),
    "after a heading, multi-line": (
        "## Loss\n$$\nV(D, G)\n$$",
        '<h2 id="loss">Loss</h2>\n<p><span class="arithmatex">\\(\nV(D, G)\n\\)</span></p>',
        "i",
    ),
    "after a code fence": (
        "```\ncode\n```\n$$ x $$",
        '<pre class="highlight"><code>code</code></pre>\n'
        '<p><span class="arithmatex">\\( x \\)</span></p>',
        "i",
    ),
    "after a heading and a blank line": (
        "## Loss\n\n$$ V(D, G) $$",
        '<h2 id="loss">Loss</h2>\n<div class="arithmatex">\\[ V(D, G) \\]</div>',
        "d",
    ),
}


