"""Small inline SVG charts (no scripts, no external files), escaped by construction."""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from markupsafe import Markup


def cumulative_line(points: list[tuple[date, int]], width: int = 640, height: int = 200) -> Markup:
    """Registrations over time: a cumulative line with the first, last and highest labels."""
    if not points:
        return Markup('<p class="muted">No registrations yet.</p>')
    # From zero the day before the first registration: one day of registrations is a line too.
    total, cumulative = 0, [(points[0][0] - timedelta(days=1), 0)]
    for day, count in points:
        total += count
        cumulative.append((day, total))
    pad_left, pad_bottom, pad_top = 40, 24, 10
    first, last = cumulative[0][0], cumulative[-1][0]
    span = max((last - first).days, 1)
    top = max(total, 1)

    def x(day: date) -> float:
        return pad_left + (width - pad_left - 10) * (day - first).days / span

    def y(value: int) -> float:
        return height - pad_bottom - (height - pad_bottom - pad_top) * value / top

    path = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in cumulative)
    label = escape(f"Registrations over time: {total} by {last.isoformat()}")
    return Markup(  # noqa: S704 - every interpolated text is escaped
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{label}">'
        f'<line x1="{pad_left}" y1="{height - pad_bottom}" x2="{width - 10}" '
        f'y2="{height - pad_bottom}" class="axis"/>'
        f'<line x1="{pad_left}" y1="{pad_top}" x2="{pad_left}" y2="{height - pad_bottom}" '
        f'class="axis"/>'
        f'<polyline points="{path}" class="line"/>'
        f'<text x="{pad_left - 6}" y="{pad_top + 4}" text-anchor="end">{total}</text>'
        f'<text x="{pad_left - 6}" y="{height - pad_bottom}" text-anchor="end">0</text>'
        f'<text x="{pad_left}" y="{height - 6}">{escape(first.isoformat())}</text>'
        f'<text x="{width - 10}" y="{height - 6}" text-anchor="end">'
        f"{escape(last.isoformat())}</text></svg>"
    )


def bars(rows: list[tuple[str, int]], width: int = 320) -> Markup:
    """Horizontal bars with their labels and values."""
    if not rows:
        return Markup('<p class="muted">Nothing yet.</p>')
    top = max(value for _, value in rows) or 1
    bar_height, gap, label_width = 18, 6, 150
    height = len(rows) * (bar_height + gap)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width + label_width + 40} {height}" role="img" '
        f'aria-label="{escape(", ".join(f"{k}: {v}" for k, v in rows))}">'
    ]
    for i, (name, value) in enumerate(rows):
        top_y = i * (bar_height + gap)
        length = width * value / top
        parts.append(
            f'<text x="{label_width - 6}" y="{top_y + 13}" text-anchor="end">{escape(name)}</text>'
            f'<rect x="{label_width}" y="{top_y}" width="{length:.1f}" height="{bar_height}" '
            f'class="bar"/><text x="{label_width + length + 4:.1f}" y="{top_y + 13}">{value}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - labels escaped as they are added
