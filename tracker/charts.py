"""Server-rendered SVG charts (no JavaScript): grouped horizontal bars, a burn-up line chart and a
release time line.
Colours come from CSS classes, so the charts follow the light and dark themes."""
from __future__ import annotations

from datetime import date, timedelta

from markupsafe import Markup, escape

ROW = 26
LABEL_WIDTH = 140
CHART_WIDTH = 250


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step:
            return float(step)
    return float(value)


def bar_chart(title: str, rows: list[tuple[str, list[float]]], series: list[str], unit: str = "") -> Markup:
    """Horizontal bars, one group per row and one bar per series, labelled with their values."""
    top = max((v for _, values in rows for v in values), default=0)
    scale = CHART_WIDTH / _nice_max(top)
    bar = (ROW - 6) / max(len(series), 1)
    height = ROW * len(rows) + 30
    width = LABEL_WIDTH + CHART_WIDTH + 60
    parts = [
        f'<svg class="chart" role="img" aria-labelledby="{_id(title)}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{_id(title)}">{escape(title)}</title>',
    ]
    for i, (label, values) in enumerate(rows):
        y = i * ROW + 4
        parts.append(f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + ROW / 2}" text-anchor="end">{escape(label)}</text>')
        for j, value in enumerate(values):
            w = max(value * scale, 0)
            by = y + j * bar
            parts.append(f'<rect class="series-{j}" x="{LABEL_WIDTH}" y="{by:.1f}" width="{w:.1f}" height="{bar - 1:.1f}"/>')
            parts.append(f'<text class="chart-value" x="{LABEL_WIDTH + w + 4:.1f}" y="{by + bar - 3:.1f}">{value:g}{escape(unit)}</text>')
    legend_y = ROW * len(rows) + 20
    x = LABEL_WIDTH
    for j, name in enumerate(series):
        parts.append(f'<rect class="series-{j}" x="{x}" y="{legend_y - 10}" width="10" height="10"/>')
        parts.append(f'<text class="chart-legend" x="{x + 14}" y="{legend_y}">{escape(name)}</text>')
        x += 20 + 8 * len(name)
    parts.append("</svg>")
    # Every text in it went through escape() and _id(); the rest is numbers and fixed markup.
    return Markup("".join(parts))  # nosec B704


def line_chart(title: str, labels: list[str], series: dict[str, list[float]], unit: str = "") -> Markup:
    """Lines over equally spaced points (the burn-up), with axis labels at each point."""
    width, height, left, bottom = 520, 220, 48, 30
    top = _nice_max(max((v for values in series.values() for v in values), default=0))
    inner_w, inner_h = width - left - 10, height - bottom - 10
    step = inner_w / max(len(labels) - 1, 1)

    def point(i: int, v: float) -> str:
        return f"{left + i * step:.1f},{10 + inner_h - v / top * inner_h:.1f}"

    parts = [
        f'<svg class="chart" role="img" aria-labelledby="{_id(title)}" viewBox="0 0 {width} {height + 20}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{_id(title)}">{escape(title)}</title>',
        f'<line class="axis" x1="{left}" y1="{10 + inner_h}" x2="{width - 10}" y2="{10 + inner_h}"/>',
        f'<line class="axis" x1="{left}" y1="10" x2="{left}" y2="{10 + inner_h}"/>',
        f'<text class="chart-label" x="{left - 4}" y="14" text-anchor="end">{top:g}{escape(unit)}</text>',
        f'<text class="chart-label" x="{left - 4}" y="{10 + inner_h}" text-anchor="end">0</text>',
    ]
    for i, label in enumerate(labels):
        if i % 2 == 0 or i == len(labels) - 1:
            parts.append(f'<text class="chart-label" x="{left + i * step:.1f}" y="{height - 8}" text-anchor="middle">{escape(label)}</text>')
    for j, (name, values) in enumerate(series.items()):
        points = " ".join(point(i, v) for i, v in enumerate(values))
        parts.append(f'<polyline class="line series-{j}" points="{points}"/>')
        parts.append(f'<rect class="series-{j}" x="{left + j * 110}" y="{height + 4}" width="10" height="10"/>')
        parts.append(f'<text class="chart-legend" x="{left + j * 110 + 14}" y="{height + 14}">{escape(name)}</text>')
    parts.append("</svg>")
    # Every text in it went through escape() and _id(); the rest is numbers and fixed markup.
    return Markup("".join(parts))  # nosec B704


def _id(title: str) -> str:
    return "chart-" + "".join(ch if ch.isalnum() else "-" for ch in title.lower())[:40]


def timeline_chart(title: str, rows: list[tuple[str, date, date, date | None, bool]], today: date) -> Markup:
    """Features on a time line: per row (label, start, target, projected finish or None, at risk) a bar
    from start to target and a mark at the projected finish (late ones marked), with today's line and a
    tick at the start of each month. Rows need a target date; the page shows the others in its table."""
    first = min([today, *(r[1] for r in rows)])
    last = max([today, *(max(r[2], r[3] or r[2]) for r in rows)]) + timedelta(days=7)
    width, left, top = 640, 180, 24
    scale = (width - left - 10) / max((last - first).days, 1)

    def x(day: date) -> float:
        return left + (day - first).days * scale

    height = top + ROW * len(rows) + 10
    parts = [
        f'<svg class="chart timeline" role="img" aria-labelledby="{_id(title)}" '
        f'viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{_id(title)}">{escape(title)}</title>',
        *_month_ticks(first, last, x, height),
        f'<line class="today" x1="{x(today):.1f}" y1="{top - 6}" x2="{x(today):.1f}" y2="{height - 4}"/>',
    ]
    for i, (label, start, target, projected, at_risk) in enumerate(rows):
        y = top + i * ROW
        parts.append(f'<text class="chart-label" x="{left - 8}" y="{y + ROW / 2 + 4}" text-anchor="end">'
                     f'{escape(label[:28])}</text>')
        parts.append(f'<rect class="timeline-plan" x="{x(start):.1f}" y="{y + 6}" '
                     f'width="{max(x(target) - x(start), 2):.1f}" height="{ROW - 12}"/>')
        if projected is not None:
            mark = "timeline-late" if at_risk else "timeline-projected"
            parts.append(f'<circle class="{mark}" cx="{x(projected):.1f}" cy="{y + ROW / 2}" r="5"/>')
    parts.append("</svg>")
    # Every text in it went through escape() and _id(); the rest is numbers and fixed markup.
    return Markup("".join(parts))  # nosec B704


def _month_ticks(first: date, last: date, x, height: int) -> list[str]:
    """A line and a label at the first day of every month (of every few months on a long line)."""
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    step = -(-months // 8)  # at most about eight labels, so they do not overlap
    ticks, day, index = [], first.replace(day=1), 0
    while day <= last:
        if day >= first and index % step == 0:
            at = f"{x(day):.1f}"
            ticks.append(f'<line class="axis" x1="{at}" y1="16" x2="{at}" y2="{height - 4}"/>')
            ticks.append(f'<text class="chart-label" x="{x(day) + 2:.1f}" y="12">{day:%b %Y}</text>')
        day, index = (day + timedelta(days=32)).replace(day=1), index + 1
    return ticks
