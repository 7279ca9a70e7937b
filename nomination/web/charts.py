"""Simple charts drawn on the server as inline SVG: no script, readable without styles.

Every label is escaped here (``markupsafe``), so a committee named ``<script>`` prints as text;
the result is ``Markup`` that templates embed as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

#: Bar colours by the states' badge styles (Bootstrap 5's palette); anything else is grey.
COLOURS = {
    "primary": "#0d6efd",
    "info": "#0aa2c0",
    "success": "#198754",
    "warning": "#e0a800",
    "danger": "#dc3545",
    "dark": "#212529",
    "secondary": "#6c757d",
}
_DEFAULT = COLOURS["secondary"]

#: Geometry, in SVG user units (the drawing scales to the width it is given).
_WIDTH = 640
_LABEL_WIDTH = 200
_VALUE_WIDTH = 48
_ROW = 26
_BAR = 18
#: Longer labels are cut (the full text stays in the row's tooltip).
_LABEL_CHARS = 14


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value and its colour style (a badge name)."""

    label: str
    value: int
    style: str = "secondary"


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "…"


def horizontal_bars(bars: Sequence[Bar], *, title: str, chart_id: str) -> Markup:
    """Return a horizontal bar chart as an ``<svg>`` element, labels and title escaped.

    ``chart_id`` makes the ids inside unique on the page (it is escaped too).
    """
    longest = max((b.value for b in bars), default=0) or 1
    span = _WIDTH - _LABEL_WIDTH - _VALUE_WIDTH
    height = max(len(bars), 1) * _ROW + 8
    title_id = f"{chart_id}-title"
    rows = []
    for i, bar in enumerate(bars):
        y = 4 + i * _ROW
        width = round(span * max(bar.value, 0) / longest)
        rows.append(
            Markup(
                '<g data-bar="{index}"><title>{label}: {value}</title>'
                '<text x="{label_x}" y="{text_y}" text-anchor="end" font-size="13">{short}</text>'
                '<rect x="{bar_x}" y="{y}" width="{width}" height="{bar}" fill="{colour}" rx="2"/>'
                '<text x="{value_x}" y="{text_y}" font-size="13">{value}</text></g>'
            ).format(
                index=i,
                label=bar.label,
                short=_short(bar.label),
                value=int(bar.value),
                label_x=_LABEL_WIDTH - 8,
                bar_x=_LABEL_WIDTH,
                value_x=_LABEL_WIDTH + width + 6,
                y=y,
                text_y=y + _BAR - 4,
                width=width,
                bar=_BAR,
                colour=COLOURS.get(bar.style, _DEFAULT),
            )
        )
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" role="img" '
        'aria-labelledby="{title_id}" viewBox="0 0 {width} {height}" width="100%" '
        'preserveAspectRatio="xMinYMin meet">'
        '<title id="{title_id}">{title}</title>{rows}</svg>'
    ).format(
        id=chart_id,
        title_id=title_id,
        width=_WIDTH,
        height=height,
        title=title,
        rows=Markup("").join(rows),
    )
