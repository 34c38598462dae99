"""Safe HTML from untrusted text: every string is escaped unless it is `Markup` built here.

Review text, product names and labels come from customers' files and are hostile input: `<script>`,
`</style>`, quotes, control characters and lone surrogates (which cannot even be encoded as UTF-8)
must all arrive on the page as visible text, never as markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

# C0 controls other than tab, line feed and carriage return, DEL, C1 controls, and lone surrogates: the
# HTML parser reports them as errors (and UTF-8 cannot encode a surrogate); they are written out instead.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class Markup(str):
    """A string of HTML that is safe as it stands (built from escaped parts); `escape` leaves it alone."""


def escape(value: object) -> Markup:
    """`value` as HTML text: markup characters escaped, control characters written out.

    >>> escape('Great kettle </style><script>alert("x")</script>')
    'Great kettle &lt;/style&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
    """
    if isinstance(value, Markup):
        return value
    return Markup(html.escape(printable(value), quote=True))


def printable(value: object) -> str:
    """`value` as a string with control characters and lone surrogates written out as escapes (what
    matplotlib, too, needs: it cannot lay out a lone surrogate)."""
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], str(value))


def join(parts: Iterable[object], separator: str = "") -> Markup:
    """Parts joined into one piece of HTML, each escaped unless it is already `Markup`."""
    return Markup(separator.join(escape(part) for part in parts))


def tag(name: str, *content: object, **attributes: object) -> Markup:
    """`<name attributes>content</name>`; `cls` stands for `class`, None values are left out.

    >>> tag("p", "5 < 6", cls="note")
    '<p class="note">5 &lt; 6</p>'
    """
    pairs = "".join(f' {"class" if key == "cls" else key.replace("_", "-")}="{escape(value)}"'
                    for key, value in attributes.items() if value is not None)
    return Markup(f"<{name}{pairs}>{join(content)}</{name}>")


def table(headers: list[str], rows: Iterable[list[object]], numeric: Iterable[int] = (),
          caption: str | None = None) -> Markup:
    """A table that scrolls sideways inside its own box on a narrow screen (the page itself never does);
    columns listed in `numeric` align right."""
    numeric = set(numeric)

    def cells(row: list[object], cell: str) -> Markup:
        return join(tag(cell, value, cls="n" if i in numeric else None) for i, value in enumerate(row))

    head = tag("thead", tag("tr", cells(headers, "th")))
    body = tag("tbody", join(tag("tr", cells(row, "td")) for row in rows))
    return tag("div", tag("table", tag("caption", caption) if caption else "", head, body), cls="scroll")


def percent(share: float | None, digits: int = 0) -> str:
    """0.3977 -> '40%'; a missing value -> '-'."""
    return "-" if share is None else f"{share:.{digits}%}"


def quotes(examples: list[dict], *details: str) -> Markup:
    """Example reviews as block quotes, each with its `details` (e.g. date, probability) when present."""
    items = []
    for example in examples:
        notes = [f"{key} {_shown(example[key])}" for key in details if example.get(key) is not None]
        items.append(tag("blockquote", tag("p", example["text"]),
                         tag("footer", " · ".join(notes)) if notes else ""))
    return join(items)


def highlighted(text: str, spans: list[dict], faintest: float = 0.1) -> Markup:
    """`text` with each span (character offsets `start`..`end`) marked: `toward` its label when its
    weight is positive, `against` it otherwise, shaded by |weight| relative to the strongest span, and
    underlined (`strong`) from half of it. Spans under `faintest` of the strongest stay plain: an
    explanation that weighs every word would otherwise paint the whole review.
    Spans outside the text, overlapping an earlier one, or whose `text` is not what their offsets
    cover (offsets into another version of the text) are left unmarked, never misplaced."""
    strongest = max((abs(float(span["weight"])) for span in spans), default=0.0) or 1.0
    pieces: list[Markup] = []
    at = 0
    for span in sorted(spans, key=lambda s: (int(s["start"]), int(s["end"]))):
        start, end, weight = int(span["start"]), int(span["end"]), float(span["weight"])
        if start < at or end > len(text) or start >= end or span.get("text", text[start:end]) != text[start:end]:
            continue
        strength = abs(weight) / strongest
        if strength < faintest:
            continue
        side = "toward" if weight > 0 else "against"
        pieces += [escape(text[at:start]), tag("mark", text[start:end], cls=f"{side} strong" if strength >= 0.5 else side,
                                               style=f"--w:{0.15 + 0.6 * strength:.2f}",
                                               title=f"{side} the label: {weight:+.3g}")]
        at = end
    pieces.append(escape(text[at:]))
    return join(pieces)


def _shown(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else str(value)
