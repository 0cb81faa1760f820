"""Inline SVG charts of a report slice: group selection rates, and disparate impact against its band.

Plain SVG with presentation attributes (no scripts, no external references), coordinates rounded to 0.1 so the
same document always gives the same bytes. Labels are escaped here because the markup is inserted as is.
"""

from html import escape
from math import sqrt
from statistics import NormalDist

from .formatting import fmt_number

WIDTH = 640
LABEL_WIDTH = 180
VALUE_WIDTH = 60
ROW = 18
TOP = 22
COLOURS = {
    "pass": "#2d6a4f",
    "fail": "#c1121f",
    "inconclusive": "#b7791f",
    "insufficient_data": "#7a828c",
    "not_computable": "#7a828c",
}


def wilson_interval(selected: int, n: int, alpha: float) -> tuple[float, float] | None:
    """Wilson score interval of a proportion (Wilson 1927), drawn as the whisker of a selection-rate bar."""
    if n == 0:
        return None
    z = NormalDist().inv_cdf(1 - alpha / 2)
    p = selected / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _c(value: float) -> str:
    return f"{value:.1f}"


# Advance widths in em of DejaVu Sans (the charts' font; other sans fonts are close), rounded up so that an estimate
# is never short: a label that does not fit is cut with an ellipsis instead of running off the chart's left edge.
_NARROW, _WIDE = set("fijlrtI!|.,:;'()[]{} "), set("mwMW@%")
FONT_PX = 11
LABEL_SPACE = LABEL_WIDTH - 10  # the label ends 6 px before the bars and keeps 4 px from the left edge


def _em(char: str) -> float:
    if char in _NARROW:
        return 0.42
    if char in _WIDE:
        return 1.0
    if char.isupper() or not char.isascii():
        return 0.78
    return 0.64


def text_width(text: str, font_px: float = FONT_PX) -> float:
    """An upper estimate of the width of `text` in pixels."""
    return sum(_em(char) for char in text) * font_px


def fit_label(text: str, space: float = LABEL_SPACE) -> str:
    """`text`, or its longest beginning followed by an ellipsis, that fits `space` pixels."""
    if text_width(text) <= space:
        return text
    cut = len(text)
    while cut > 0 and text_width(text[:cut].rstrip() + "…") > space:
        cut -= 1
    return text[:cut].rstrip() + "…"


def _label(text: str, y: float) -> str:
    short = fit_label(text)
    return (
        f'<text x="{_c(LABEL_WIDTH - 6)}" y="{_c(y + 12)}" text-anchor="end">'
        f"<title>{escape(text)}</title>{escape(short)}</text>"
    )


def _axis(x_of, ticks: list[float], y: float, height: float) -> list[str]:
    parts = []
    for tick in ticks:
        x = x_of(tick)
        parts.append(f'<line x1="{_c(x)}" y1="{_c(y)}" x2="{_c(x)}" y2="{_c(height)}" stroke="#dde3ea"/>')
        parts.append(f'<text x="{_c(x)}" y="{_c(y - 6)}" text-anchor="middle" fill="#667">{tick:g}</text>')
    return parts


def _svg(height: float, title: str, parts: list[str]) -> str:
    return (
        f'<svg class="chart" width="{WIDTH}" height="{_c(height)}" '
        f'viewBox="0 0 {WIDTH} {_c(height)}" role="img" font-size="11" font-family="DejaVu Sans, sans-serif">'
        f"<title>{escape(title)}</title>" + "".join(parts) + "</svg>"
    )


def selection_rate_chart(attribute: dict, alpha: float) -> str:
    """One bar per group: selection rate, Wilson interval whisker; the reference group drawn darker."""
    groups = attribute["groups"]
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH

    def x_of(value: float) -> float:
        return LABEL_WIDTH + span * value

    height = TOP + ROW * len(groups) + 4
    parts = _axis(x_of, [0, 0.25, 0.5, 0.75, 1], TOP, height)
    for index, group in enumerate(groups):
        y = TOP + ROW * index
        parts.append(_label(group["group"], y))
        rate = group["selection_rate"]
        if rate is None:
            parts.append(f'<text x="{_c(x_of(0) + 4)}" y="{_c(y + 12)}" fill="#667">n/a</text>')
            continue
        fill = "#1d3557" if group["group"] == attribute["reference_group"] else "#7fa7c9"
        parts.append(f'<rect x="{_c(x_of(0))}" y="{_c(y + 3)}" width="{_c(span * rate)}" height="12" fill="{fill}"/>')
        interval = wilson_interval(group["n_selected"], group["n"], alpha)
        if interval:
            low, high = x_of(interval[0]), x_of(interval[1])
            parts.append(f'<line x1="{_c(low)}" y1="{_c(y + 9)}" x2="{_c(high)}" y2="{_c(y + 9)}" stroke="#111"/>')
            for x in (low, high):
                parts.append(f'<line x1="{_c(x)}" y1="{_c(y + 5)}" x2="{_c(x)}" y2="{_c(y + 13)}" stroke="#111"/>')
        parts.append(f'<text x="{_c(WIDTH - 4)}" y="{_c(y + 12)}" text-anchor="end">{fmt_number(rate)}</text>')
    return _svg(height, f"Selection rate by group: {attribute['attribute']}", parts)


def disparate_impact_chart(attribute: dict, results: list[dict]) -> str:
    """Disparate impact of each group against the reference: point, bootstrap interval, and the pass band shaded."""
    rows = [r for r in results if r["metric"] == "disparate_impact"]
    if not rows:
        return ""
    band_low, band_high = rows[0]["band_low"], rows[0]["band_high"]
    highest = max([band_high * 1.2, 1.5] + [r["ci_high"] or 0 for r in rows] + [r["value"] or 0 for r in rows])
    top = min(highest, 4.0)
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH

    def x_of(value: float) -> float:
        return LABEL_WIDTH + span * min(value, top) / top

    ticks = [t / 2 for t in range(int(top * 2) + 1)] if top <= 2 else list(range(int(top) + 1))
    title = f"Disparate impact against {attribute['reference_group']}: {attribute['attribute']}"
    return _forest(rows, x_of, ticks, parity=1, band=(band_low, band_high), title=title)


def difference_forest_chart(attribute: dict, results: list[dict], metric: str) -> str:
    """A difference metric (e.g. equal opportunity difference) of each group against the reference: point,
    bootstrap interval, the pass band shaded and the parity line at 0 ('' when the slice has no such result)."""
    rows = [r for r in results if r["metric"] == metric]
    if not rows:
        return ""
    band_low, band_high = rows[0]["band_low"], rows[0]["band_high"]
    reach = [abs(band_low), abs(band_high), 0.2]
    reach += [abs(v) for r in rows for v in (r["ci_low"], r["ci_high"], r["value"]) if v is not None]
    edge = min(max(reach) * 1.1, 1.0)
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH

    def x_of(value: float) -> float:
        return LABEL_WIDTH + span * (max(-edge, min(value, edge)) + edge) / (2 * edge)

    step = 0.1 if edge <= 0.3 else 0.25 if edge <= 0.6 else 0.5
    ticks = [round(k * step, 2) for k in range(-int(edge / step), int(edge / step) + 1)]
    title = f"{metric.replace('_', ' ')} against {attribute['reference_group']}: {attribute['attribute']}"
    return _forest(rows, x_of, ticks, parity=0, band=(band_low, band_high), title=title)


def _forest(rows: list[dict], x_of, ticks: list, *, parity: float, band: tuple[float, float], title: str) -> str:
    """One row per group: the point, its bootstrap interval, the pass band shaded and the parity line."""
    height = TOP + ROW * len(rows) + 4
    band_low, band_high = band
    parts = [
        f'<rect x="{_c(x_of(band_low))}" y="{_c(TOP)}" width="{_c(x_of(band_high) - x_of(band_low))}" '
        f'height="{_c(height - TOP)}" fill="#d8f3dc"/>',
        *_axis(x_of, ticks, TOP, height),
        f'<line x1="{_c(x_of(parity))}" y1="{_c(TOP)}" x2="{_c(x_of(parity))}" y2="{_c(height)}" stroke="#1d3557"/>',
    ]
    for index, row in enumerate(rows):
        y = TOP + ROW * index
        parts.append(_label(row["group"], y))
        colour = COLOURS.get(row["verdict"], "#111")
        if row["ci_low"] is not None and row["ci_high"] is not None:
            low, high = x_of(row["ci_low"]), x_of(row["ci_high"])
            parts.append(
                f'<line x1="{_c(low)}" y1="{_c(y + 9)}" x2="{_c(high)}" y2="{_c(y + 9)}" stroke="{colour}" '
                'stroke-width="2"/>'
            )
        if row["value"] is not None:
            parts.append(f'<circle cx="{_c(x_of(row["value"]))}" cy="{_c(y + 9)}" r="4" fill="{colour}"/>')
        parts.append(f'<text x="{_c(WIDTH - 4)}" y="{_c(y + 12)}" text-anchor="end">{fmt_number(row["value"])}</text>')
    return _svg(height, title, parts)
