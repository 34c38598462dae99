"""The page as a whole: its sections follow the summary's keys, it refers to nothing outside itself,
hostile input stays text, two renders are identical, and the file is written atomically."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from customer_sentiment.errors import CustomerSentimentError
from customer_sentiment.html_report import render_html, write_html_report

from .conftest import SECTION_IDS


class Outline(HTMLParser):
    """The tags of a page as a browser's parser sees them, and the ids of its sections."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.section_ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "section":
            self.section_ids.append(dict(attrs)["id"])


def outline(page: str) -> Outline:
    parser = Outline()
    parser.feed(page)
    return parser


def test_every_section_of_a_full_summary_in_order(sample_summary, sample_page):
    page = sample_page
    assert outline(page).section_ids == SECTION_IDS
    for section in SECTION_IDS:
        assert f'href="#{section}"' in page                        # listed in the contents
    assert page.count("<svg ") == 2 + len(sample_summary["most_negative"]) + 1    # overview 2, trends, reliability


def test_a_section_is_shown_only_when_its_key_is_there(summary):
    for key in ("drivers", "stars_vs_words", "explained_examples", "evaluation", "change_test"):
        del summary[key]
    for entry in summary["most_negative"]:
        del entry["trend"], entry["change"]
    del summary["periods"]
    page = render_html(summary)
    assert outline(page).section_ids == ["overview", "products"]
    assert page.count("<svg ") == 1                                  # the label shares only


def test_the_page_refers_to_nothing_outside_itself(sample_page):
    page = sample_page
    tags = set(outline(page).tags)
    assert not tags & {"script", "link", "img", "iframe", "object", "embed", "image", "audio", "video"}
    assert not re.search(r'\b(src|srcset|action)=|href="(?!#)|url\((?!#)|@import|@font-face', page)
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page).group(1)
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page


def test_hostile_names_labels_and_texts_stay_text(hostile_page):
    page = hostile_page
    parsed = outline(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags
    assert parsed.tags.count("style") == 1 and page.count("</style>") == 1
    assert parsed.section_ids == SECTION_IDS
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;/style&gt;" in page
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", page)
    page.encode("utf-8")                                             # the lone surrogate was written out


def test_two_renders_are_byte_identical(sample_summary, sample_page):
    assert render_html(sample_summary) == sample_page


def test_write_is_atomic_and_returns_the_path(sample_summary, sample_page, tmp_path):
    path = write_html_report(sample_summary, tmp_path / "report.html")
    assert path == tmp_path / "report.html" and path.read_text(encoding="utf-8") == sample_page
    broken = {**sample_summary, "groups": None}
    with pytest.raises(TypeError):
        write_html_report(broken, path)
    assert path.read_text(encoding="utf-8") == sample_page                  # the old report stands
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]          # no temporary file left


def test_a_missing_folder_is_a_user_error(tmp_path):
    with pytest.raises(CustomerSentimentError, match="does not exist"):
        write_html_report({}, tmp_path / "missing" / "report.html")
