"""Reading site_src/: config, pages, static files, Jekyll permalinks."""

from pathlib import Path

import pytest

from ganreport.errors import UserError
from ganreport.site_sources import output_location, page_title, read_site_sources


def write(root: Path, relative: str, text: str = "") -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def page_text(**meta: str) -> str:
    lines = [f"{key}: {value}" for key, value in meta.items()]
    return "---\n" + "".join(line + "\n" for line in lines) + "---\n# Heading\n"


def pages_by_source(src: Path) -> dict:
    return {page.source: page for page in read_site_sources(src).pages}


@pytest.mark.parametrize(
    ("source", "permalink", "output_path", "url"),
    [
        ("about.md", "/about/", "about/index.html", "/about/"),
        ("about.md", "/about", "about.html", "/about"),
        ("about.md", "/about.html", "about.html", "/about.html"),
        ("home.md", "/", "index.html", "/"),
        ("notes/deep.md", "/a/b/c/", "a/b/c/index.html", "/a/b/c/"),
        ("index.md", None, "index.html", "/"),
        ("notes/x.md", None, "notes/x.html", "/notes/x.html"),
        ("notes/index.md", None, "notes/index.html", "/notes/"),
        ("notes/y.markdown", None, "notes/y.html", "/notes/y.html"),
        ("raw.html", None, "raw.html", "/raw.html"),
    ],
)
def test_permalink_mapping_follows_jekyll(source, permalink, output_path, url):
    assert output_location(source, permalink, source) == (output_path, url)


def test_permalinks_read_from_front_matter(tmp_path):
    write(tmp_path, "about.md", page_text(permalink="/about/"))
    write(tmp_path, "home.md", page_text(permalink="/"))
    write(tmp_path, "notes/x.md", "# X\n")
    pages = pages_by_source(tmp_path)
    assert pages["about.md"].output_path == "about/index.html"
    assert pages["about.md"].url == "/about/"
    assert (pages["home.md"].output_path, pages["home.md"].url) == ("index.html", "/")
    assert (pages["notes/x.md"].output_path, pages["notes/x.md"].url) == (
        "notes/x.html",
        "/notes/x.html",
    )


@pytest.mark.parametrize("permalink", ["about/", "/../outside/", "/a/../../b.html", "42"])
def test_bad_permalinks_name_file_and_key(tmp_path, permalink):
    write(tmp_path, "about.md", f"---\npermalink: {permalink}\n---\nbody\n")
    with pytest.raises(UserError) as caught:
        read_site_sources(tmp_path)
    message = str(caught.value)
    assert str(tmp_path / "about.md") in message
    assert "permalink" in message
    assert 'starting with "/"' in message


def test_jekyll_placeholders_in_permalinks_are_rejected(tmp_path):
    write(tmp_path, "post.md", "---\npermalink: /:title/\n---\n")
    with pytest.raises(UserError, match="placeholders"):
        read_site_sources(tmp_path)


def test_two_pages_with_the_same_output_name_both_files(tmp_path):
    write(tmp_path, "about.md", page_text(permalink="/about/"))
    write(tmp_path, "other.md", page_text(permalink="/about/index.html"))
    with pytest.raises(UserError) as caught:
        read_site_sources(tmp_path)
    message = str(caught.value)
    assert "about.md" in message and "other.md" in message
    assert "about/index.html" in message


def test_page_and_static_file_with_the_same_output_is_an_error(tmp_path):
    write(tmp_path, "about.md", "# About\n")
    write(tmp_path, "about.html", "<p>static, no front matter</p>")
    with pytest.raises(UserError, match=r"about\.md and about\.html both produce"):
        read_site_sources(tmp_path)


def test_published_false_pages_are_skipped(tmp_path):
    write(tmp_path, "draft.md", page_text(published="false"))
    write(tmp_path, "live.md", page_text(published="true"))
    assert sorted(pages_by_source(tmp_path)) == ["live.md"]


def test_underscore_and_dot_names_are_neither_pages_nor_static(tmp_path):
    write(tmp_path, "_config.yml", "title: Site\n")
    write(tmp_path, "_drafts/idea.md", "# Idea\n")
    write(tmp_path, "_layouts/default.html", "---\n---\n{{ content }}")
    write(tmp_path, "_notes.md", "# hidden\n")
    write(tmp_path, ".git/config", "[core]\n")
    write(tmp_path, "assets/.DS_Store", "")
    write(tmp_path, "assets/_partial.css", "")
    write(tmp_path, "index.md", "# Home\n")
    write(tmp_path, "assets/style.css", "body {}")
    sources = read_site_sources(tmp_path)
    assert [page.source for page in sources.pages] == ["index.md"]
    assert sources.static_files == [Path("assets/style.css")]


def test_static_files_are_listed_relative_and_sorted(tmp_path):
    write(tmp_path, "index.md", "# Home\n")
    write(tmp_path, "assets/img/b.png", "png")
    write(tmp_path, "assets/a.js", "js")
    write(tmp_path, "plain.html", "<p>no front matter: copied as-is</p>")
    write(tmp_path, "CNAME", "example.org\n")
    sources = read_site_sources(tmp_path)
    assert sources.static_files == [
        Path("CNAME"),
        Path("assets/a.js"),
        Path("assets/img/b.png"),
        Path("plain.html"),
    ]


def test_html_with_front_matter_is_a_page(tmp_path):
    write(tmp_path, "gallery.html", "---\ntitle: Gallery\n---\n<h1>G</h1>\n")
    write(tmp_path, "notes.md", "no front matter, still a page\n")
    sources = read_site_sources(tmp_path)
    pages = {page.source: page for page in sources.pages}
    assert pages["gallery.html"].output_path == "gallery.html"
    assert pages["gallery.html"].is_markdown is False
    assert pages["notes.md"].is_markdown is True
    assert pages["notes.md"].meta == {}
    assert sources.static_files == []


def test_config_exclude_and_include_follow_jekyll(tmp_path):
    write(tmp_path, "_config.yml", "exclude: [README.md, drafts/]\ninclude: [.well-known]\n")
    write(tmp_path, "README.md", "# Repo readme\n")
    write(tmp_path, "drafts/x.md", "# Draft\n")
    write(tmp_path, ".well-known/security.txt", "contact\n")
    write(tmp_path, "Gemfile", "source 'https://rubygems.org'\n")
    write(tmp_path, "index.md", "# Home\n")
    sources = read_site_sources(tmp_path)
    assert [page.source for page in sources.pages] == ["index.md"]
    assert sources.static_files == [Path(".well-known/security.txt")]


def test_page_fields(tmp_path):
    text = "---\ntitle: GAN notes\nlayout: home\npermalink: /\n---\nIntro\n\n# Not the title\n"
    write(tmp_path, "index.md", text)
    page = read_site_sources(tmp_path).pages[0]
    assert page.source == "index.md"
    assert page.meta == {"title": "GAN notes", "layout": "home", "permalink": "/"}
    assert page.body == "Intro\n\n# Not the title\n"
    assert page.body_line == 6
    assert (page.title, page.layout, page.url, page.output_path) == (
        "GAN notes",
        "home",
        "/",
        "index.html",
    )


def test_layout_defaults_to_page(tmp_path):
    write(tmp_path, "x.md", "text\n")
    assert read_site_sources(tmp_path).pages[0].layout == "page"


@pytest.mark.parametrize(
    ("body", "source", "expected"),
    [
        ("Intro\n\n## First heading ##\n\n# Later\n", "a.md", "First heading"),
        ("Setext title\n============\n\ntext\n", "a.md", "Setext title"),
        ("# Results {#results .wide}\n", "a.md", "Results"),
        ("```\n# not a heading\n```\n\n# Real\n", "a.md", "Real"),
        ("no headings at all\n", "notes/gan-intro.md", "gan-intro"),
        ("<div><h1 class='t'>HTML <em>title</em></h1></div>", "g.html", "HTML title"),
    ],
)
def test_title_from_first_heading_or_stem(body, source, expected):
    assert page_title({}, body, source) == expected


def test_config_is_read_raw(tmp_path):
    write(tmp_path, "_config.yml", "title: GAN study\nbaseurl: /gans\nmath: true\n")
    config = read_site_sources(tmp_path).config
    assert config == {"title": "GAN study", "baseurl": "/gans", "math": True}


def test_missing_config_is_empty(tmp_path):
    write(tmp_path, "index.md", "# Home\n")
    assert read_site_sources(tmp_path).config == {}


def test_broken_config_names_file_and_line(tmp_path):
    write(tmp_path, "_config.yml", "title: ok\nbaseurl: /x\nbad: [unclosed\n")
    with pytest.raises(UserError) as caught:
        read_site_sources(tmp_path)
    assert str(caught.value).startswith(f"{tmp_path / '_config.yml'}:3: ")


def test_broken_page_front_matter_names_file_and_line(tmp_path):
    write(tmp_path, "about.md", "---\ntitle: x\nlayout: a: b\n---\n")
    with pytest.raises(UserError, match=r"about\.md:3: front matter: "):
        read_site_sources(tmp_path)


def test_missing_source_folder_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="site source folder not found"):
        read_site_sources(tmp_path / "nope")
