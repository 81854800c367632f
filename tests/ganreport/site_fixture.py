"""A small site_src for the pipeline tests, written by the tests themselves.

Its home page sets `study: abstract` and names that study's runs by bare version names,
and the other studies' runs as study/version.

Kept apart from the repo's site_src/ so each test controls exactly which pages have math,
which directives run and where (line numbers in error messages are asserted).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

INDEX = """\
---
layout: home
permalink: /
title: A small study
study: abstract
---
The objective is $\\min_G \\max_D V(D, G)$ and [the comparison](/studies/abstract/compare/) has
more.

{% version_list %}

{% loss_plot v1 %}

{% samples v2 epoch=last %}

{% progression v2 epochs=0,1,3 %}

{% compare_table v1 v2 %}

{% compare_plot v1 v2 v3 %}

{% d_plot squares/v1 %}

{% loss_plot critic/v2 %}

![a photo](/assets/photo.png)
"""
# Line of the first directive after the front matter: tests insert bad ones there.
INDEX_DIRECTIVE_LINE = 10

ABOUT = """\
---
title: About this site
permalink: /about/
---
Plain text without any math, and a [link home](/).
"""

SETBACKS = """\
---
title: Setbacks
---
The author's own notes on what went wrong.
"""


def write_site_src(root: Path, *, config: str = 'title: "Test study"\n') -> Path:
    """site_src/ with a home page (math + directives), a page without math, setbacks, a PNG."""
    src = root / "site_src"
    (src / "assets").mkdir(parents=True, exist_ok=True)
    (src / "_config.yml").write_text(config)
    (src / "index.md").write_text(INDEX)
    (src / "about.md").write_text(ABOUT)
    (src / "setbacks.md").write_text(SETBACKS)
    Image.new("RGB", (4, 4), (200, 100, 50)).save(src / "assets" / "photo.png")
    return src
