"""Small server-rendered SVG bar charts: no script, no CDN, no library.

A chart is decoration for sighted users: it is ``aria-hidden`` and the page
puts a table with the same figures beside it, which is what screen readers
and keyboard users read. Labels are escaped like any other text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    text: str  # what is printed at the end of the bar, e.g. "12" or "92%"


def _open(width: int, height: int) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" aria-hidden="true" focusable="false">'
    )


def horizontal_bars(bars: Sequence[Bar], *, maximum: float | None = None, width: int = 560) -> Markup:
    """One bar per row, labels on the left, values at the bar's end."""
    row_height, label_width, gap = 28, 180, 8
    top = max([maximum or 0.0, *(bar.value for bar in bars)]) or 1.0
    plot = width - label_width - 60
    height = max(row_height * len(bars), row_height)
    parts = [_open(width, height)]
    for index, bar in enumerate(bars):
        y = index * row_height
        length = max(plot * bar.value / top, 0.0)
        parts.append(
            f'<text x="{label_width - gap}" y="{y + 19}" text-anchor="end" class="chart__label">'
            f"{escape(bar.label)}</text>"
            f'<rect x="{label_width}" y="{y + 5}" width="{length:.1f}" height="{row_height - 10}" '
            f'class="chart__bar"></rect>'
            f'<text x="{label_width + length + gap:.1f}" y="{y + 19}" class="chart__value">'
            f"{escape(bar.text)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)


def column_bars(bars: Sequence[Bar], *, maximum: float = 1.0, width: int = 640, height: int = 220) -> Markup:
    """One column per bar (e.g. months), labels underneath; a missing value
    (no answers that month) draws no column but keeps its label."""
    bottom, top_margin = 40, 20
    plot_height = height - bottom - top_margin
    step = width / max(len(bars), 1)
    bar_width = step * 0.6
    axis = height - bottom
    parts = [
        _open(width, height),
        f'<line x1="0" y1="{axis}" x2="{width}" y2="{axis}" class="chart__axis"></line>',
    ]
    for index, bar in enumerate(bars):
        x = index * step + (step - bar_width) / 2
        if bar.text:
            column = plot_height * min(bar.value / maximum, 1.0) if maximum else 0.0
            y = height - bottom - column
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" height="{column:.1f}" '
                f'class="chart__bar"></rect>'
                f'<text x="{x + bar_width / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                f'class="chart__value">{escape(bar.text)}</text>'
            )
        parts.append(
            f'<text x="{x + bar_width / 2:.1f}" y="{height - bottom + 18}" text-anchor="middle" '
            f'class="chart__label">{escape(bar.label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)
