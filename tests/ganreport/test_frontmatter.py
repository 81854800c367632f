"""Front matter: split, line numbers, and errors that name file and line."""

import datetime

import pytest

from ganreport.errors import UserError
from ganreport.frontmatter import has_front_matter, split_front_matter


def test_splits_meta_body_and_first_body_line():
    text = "---\ntitle: About\nlayout: page\n---\n# About\n\nHello.\n"
    meta, body, first_line = split_front_matter(text, "site_src/about.md")
    assert meta == {"title": "About", "layout": "page"}
    assert body == "# About\n\nHello.\n"
    assert first_line == 5


def test_no_front_matter_returns_text_unchanged_from_line_1():
    text = "# Just Markdown\n\n---\n\nafter a rule\n"
    assert split_front_matter(text, "a.md") == ({}, text, 1)


def test_empty_front_matter_is_an_empty_mapping():
    meta, body, first_line = split_front_matter("---\n---\nbody\n", "a.md")
    assert (meta, body, first_line) == ({}, "body\n", 3)


def test_bom_and_crlf_are_handled():
    text = "\ufeff---\r\ntitle: Windows\r\n---\r\nline one\r\nline two\r\n"
    meta, body, first_line = split_front_matter(text, "a.md")
    assert meta == {"title": "Windows"}
    assert body == "line one\nline two\n"
    assert first_line == 4


def test_dots_close_front_matter_like_jekyll():
    meta, body, _ = split_front_matter("---\ntitle: x\n...\nbody", "a.md")
    assert meta == {"title": "x"}
    assert body == "body"


def test_yaml_values_keep_their_types():
    meta, _, _ = split_front_matter(
        "---\npublished: false\ndate: 2020-01-02\ntags: [a, b]\n---\n", "a.md"
    )
    assert meta == {"published": False, "date": datetime.date(2020, 1, 2), "tags": ["a", "b"]}


def test_broken_yaml_names_file_and_line_in_the_source_file():
    text = "---\ntitle: About\nlayout: page: extra\n---\nbody\n"
    with pytest.raises(UserError) as caught:
        split_front_matter(text, "site_src/about.md")
    message = str(caught.value)
    assert message.startswith("site_src/about.md:3: front matter: ")
    assert "mapping values are not allowed here" in message
    assert message.endswith("expected YAML key: value lines between the two --- lines")


def test_broken_yaml_line_counts_after_a_bom_and_crlf():
    text = "\ufeff---\r\na: 1\r\nb: 2\r\nc: [unclosed\r\n---\r\n"
    with pytest.raises(UserError, match=r"^x\.md:4: front matter: "):
        split_front_matter(text, "x.md")


def test_front_matter_that_is_not_a_mapping_is_an_error():
    with pytest.raises(UserError, match=r"^a\.md:2: front matter is a YAML list, not a mapping"):
        split_front_matter("---\n- one\n- two\n---\nbody", "a.md")


def test_unclosed_front_matter_is_an_error():
    with pytest.raises(UserError, match=r"^a\.md:1: .*no closing --- line"):
        split_front_matter("---\ntitle: x\nbody without end\n", "a.md")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("---\ntitle: x\n---\n", True),
        ("\ufeff---  \r\n---\r\n", True),
        ("<html>\n---\n", False),
        ("", False),
    ],
)
def test_has_front_matter(text, expected):
    assert has_front_matter(text) is expected
