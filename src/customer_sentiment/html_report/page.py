"""The report page: one HTML file with its styles and charts inside, that fetches nothing.

The Content-Security-Policy lets the browser itself refuse any request the page might make (a script,
a stylesheet, a font, an image other than `data:`), so offline is enforced, not merely intended. The
layout is one column that reflows from a laptop to a 390-pixel phone; wide tables scroll inside their
own box so the page never scrolls sideways.
"""

from __future__ import annotations

from pathlib import Path

from ..io import check_output_path, write_text
from .markup import Markup, join, tag
from .sections import changes, drivers, overview, products
from .trust import evaluation, explanations, stars_vs_words

SECTIONS = (overview, products, changes, drivers, stars_vs_words, explanations, evaluation)
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
CSS = """
:root{color-scheme:light;--ink:#1d2330;--muted:#5b6475;--line:#d9dee7;--bg:#f6f7f9;--card:#fff;
--toward:213,94,0;--against:0,114,178}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
body>header,body>nav,body>main,body>footer{max-width:68rem;margin:0 auto;padding:0 1rem}
body>header{padding-top:1.5rem}
h1,h2,h3,h4{line-height:1.25;overflow-wrap:anywhere}
h1{font-size:1.8rem;margin:0 0 .25rem}h2{font-size:1.4rem;margin:2.5rem 0 .75rem}h3{font-size:1.1rem;margin:0 0 .5rem}
h4{font-size:.95rem;margin:1rem 0 .25rem}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;padding:0;margin:.5rem 0}
a{color:#0b5cad}
.note,figcaption,blockquote footer{color:var(--muted);font-size:.9rem}
.figures{display:flex;flex-wrap:wrap;gap:.75rem;margin:.5rem 0 1rem}
.figures div{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.5rem .9rem;min-width:7rem}
.figures strong{display:block;font-size:1.4rem}.figures span{color:var(--muted);font-size:.85rem}
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,28rem),1fr))}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem;margin:0 0 1rem;min-width:0}
.grid .card{margin:0}
figure{margin:1rem 0;min-width:0}.chart svg{display:block;width:100%;height:auto;max-width:40rem}
.chart svg *{stroke-linejoin:round;stroke-linecap:butt}
.scroll{overflow-x:auto;margin:1rem 0;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:.92rem;background:var(--card)}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{padding:.35rem .5rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top;overflow-wrap:break-word}
td:first-child{min-width:7rem}
th{background:#eef1f5;font-weight:600}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}th.n{white-space:normal}
blockquote{margin:.5rem 0;padding:.4rem .75rem;border-left:3px solid var(--line);background:#fafbfc;overflow-wrap:anywhere}
blockquote p{margin:0}blockquote footer{margin-top:.2rem}
.badge{white-space:nowrap;font-weight:600}.worse{color:#b42318}.better{color:#067647}
mark{color:inherit;border-radius:3px;padding:0 .1em}
mark.toward{background:rgba(var(--toward),var(--w))}mark.against{background:rgba(var(--against),var(--w))}
mark.toward.strong{border-bottom:2px solid rgb(var(--toward))}mark.against.strong{border-bottom:2px dashed rgb(var(--against))}
.phrases{display:grid;gap:0 1rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,14rem),1fr))}
.phrases ul{margin:0;padding-left:1.2rem}
summary{cursor:pointer;color:#0b5cad;margin:.5rem 0}
body>footer{padding-bottom:2rem}
@media (max-width:40rem){body{font-size:15px}h1{font-size:1.5rem}th,td{padding:.3rem .35rem}td:first-child{min-width:5rem}
.card{padding:.75rem}}
"""


def render_html(summary: dict) -> str:
    """The summary as one self-contained HTML page (see the package docstring for the keys it reads).

    >>> summary = {"reviews": 2, "labels": ["negative", "positive"], "by": "product", "negative_label": "negative",
    ...            "overall": {"negative": 0.5, "positive": 0.5}, "skipped": {},
    ...            "groups": [{"name": "<b>kettle</b>", "reviews": 2, "negative_reviews": 1,
    ...                        "shares": {"negative": 0.5, "positive": 0.5}}], "most_negative": []}
    >>> page = render_html(summary)
    >>> "&lt;b&gt;kettle&lt;/b&gt;" in page and "<b>kettle" not in page
    True
    """
    sections = [section for build in SECTIONS if (section := build(summary)) is not None]
    contents = tag("nav", tag("ul", join(tag("li", tag("a", s.title, href=f"#{s.id}")) for s in sections)),
                   aria_label="Sections")
    body = join(tag("section", tag("h2", s.title), s.body, id=s.id) for s in sections)
    intro = tag("p", f"{summary['reviews']:,} reviews, grouped by {summary['by']}; the label tracked is "
                     f"{summary['negative_label']}.", cls="note")
    return ("<!DOCTYPE html>\n" + _head("Customer sentiment report")
            + f"<body>\n{tag('header', tag('h1', 'Customer sentiment report'), intro)}\n{contents}\n"
            + f"<main>\n{body}\n</main>\n{_footer()}\n</body>\n</html>\n")


def _head(title: str) -> Markup:
    return Markup('<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                  f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n'
                  '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                  '<meta name="color-scheme" content="light">\n'
                  f"{tag('title', title)}\n<style>{CSS}</style>\n</head>\n")


def _footer() -> Markup:
    return tag("footer", tag("p", "Made by customer-sentiment. This file is self-contained: it loads nothing from "
                                  "anywhere and can be mailed or archived as it is.", cls="note"))


def write_html_report(summary: dict, path: str | Path) -> Path:
    """Write the report atomically (a temporary file beside `path`, renamed when complete); return `path`.
    A path that cannot be written fails before the report is rendered."""
    path = check_output_path(path)
    write_text(path, render_html(summary))
    return path
