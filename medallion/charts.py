"""Server-side SVG charts: no JavaScript, no network, one inline ``<svg>`` string per chart.

Every piece of caller-supplied text passes through ``html.escape``, so the result may be marked
safe in a template. Each mark (bar, point, slice, segment) carries a ``<title>`` that browsers show
as a hover tooltip, and each chart has a ``<title>``/``<desc>`` pair for screen readers.

Missing values (None, NaN, infinity) leave a gap in a line chart, count as zero in bar and stacked
charts, and are left out of a donut, as are zero and negative slices, which a ring cannot show.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import SupportsFloat

ValueFormatter = Callable[[float], str]
Number = SupportsFloat | None


@dataclass(frozen=True)
class Palette:
    series: tuple[str, ...]
    text: str
    muted_text: str
    gridline: str
    axis: str
    negative: str
    other: str
    placeholder: str
    surface: str


PALETTE = Palette(
    series=("#4F46E5", "#14B8A6", "#F59E0B", "#EC4899", "#0EA5E9", "#8B5CF6", "#84CC16", "#F97316"),
    text="#0F172A",
    muted_text="#64748B",
    gridline="#E2E8F0",
    axis="#94A3B8",
    negative="#E11D48",
    other="#CBD5E1",
    placeholder="#E2E8F0",
    surface="#FFFFFF",
)

FONT_FAMILY = "ui-sans-serif, system-ui, -apple-system, Segoe UI, Roboto, Helvetica Neue, Arial, sans-serif"
MISSING_VALUE_TEXT = "—"
EMPTY_STATE_TEXT = "No data yet"

VIEW_WIDTH = 640
EDGE_PADDING = 16
TITLE_BASELINE = 24
TITLE_FONT_SIZE = 15
LABEL_FONT_SIZE = 12
TICK_FONT_SIZE = 11
MIN_CHART_HEIGHT = 140
DONUT_MAX_SLICES = 8
DENSE_POINT_COUNT = 40
MIN_BAR_ROW_HEIGHT = 16.0
# Average glyph advance of a UI sans-serif as a fraction of the font size; SVG cannot measure text
# on the server, so widths are estimated and kept on the generous side.
GLYPH_WIDTH_RATIO = 0.6

# Steps that land labels on quarters, half-years and years for monthly data, and on round
# indexes (every 10th, 50th, ...) for long series.
_LABEL_STRIDES = (1, 2, 3, 4, 6, 12, *(multiplier * 10**power for power in range(1, 7) for multiplier in (1, 2, 5)))
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]+")
_COMPACT_UNITS = ((1e3, "K"), (1e6, "M"), (1e9, "B"), (1e12, "T"))


# --- number formatting -------------------------------------------------------------------------


def format_money(value: Number) -> str:
    """Dollars, compact from a thousand up: $12.34, $950, $350K, $1.2M, -$4.5B."""
    number = _finite_or_none(value)
    if number is None:
        return MISSING_VALUE_TEXT
    cents = round(abs(number), 2)
    if cents >= 1000:
        body = _compact(abs(number), _COMPACT_UNITS)
    elif cents == int(cents):
        body = f"{cents:.0f}"
    else:
        body = f"{cents:.2f}"
    sign = "-" if number < 0 and cents > 0 else ""
    return f"{sign}${body}"


def format_count(value: Number) -> str:
    """Counts with thousands separators below a million, compact above: 1,234 / 1.2M."""
    number = _finite_or_none(value)
    if number is None:
        return MISSING_VALUE_TEXT
    rounded = round(abs(number), 2)
    if rounded >= 1e6:
        body = _compact(abs(number), _COMPACT_UNITS[1:])
    elif rounded == int(rounded):
        body = f"{rounded:,.0f}"
    else:
        body = _strip_trailing_zeros(f"{rounded:,.2f}")
    sign = "-" if number < 0 and rounded > 0 else ""
    return f"{sign}{body}"


def format_percent(value: Number) -> str:
    """A fraction as a percentage with one decimal: 0.1234 -> 12.3%."""
    number = _finite_or_none(value)
    if number is None:
        return MISSING_VALUE_TEXT
    percent = number * 100
    if 0 < percent < 0.05:
        return "<0.1%"
    text = f"{percent:.1f}"
    return "0.0%" if text == "-0.0" else f"{text}%"


def nice_ticks(low: float, high: float, target_intervals: int = 4, *, whole_numbers: bool = False) -> list[float]:
    """Evenly spaced axis values covering [low, high] in steps of 1, 2 or 5 times a power of ten.

    ``whole_numbers`` keeps the step at 1 or more, for data such as counts that has no fractions.
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError("nice_ticks needs finite bounds")
    low, high = min(low, high), max(low, high)
    if low == high:
        spread = abs(low) / 2 or 1.0
        low, high = low - spread, high + spread
    rough_exponent = math.floor(math.log10((high - low) / target_intervals))
    candidates = [
        (multiplier, exponent)
        for exponent in (rough_exponent - 1, rough_exponent, rough_exponent + 1)
        for multiplier in (1, 2, 5)
        if not whole_numbers or exponent >= 0
    ] or [(1, 0)]

    def interval_count(candidate: tuple[int, int]) -> int:
        step = candidate[0] * 10.0 ** candidate[1]
        return math.ceil(high / step - 1e-9) - math.floor(low / step + 1e-9)

    def fit(candidate: tuple[int, int]) -> tuple[int, float]:
        step = candidate[0] * 10.0 ** candidate[1]
        # Closest to the target interval count first, then the least empty space past the data.
        return abs(interval_count(candidate) - target_intervals), interval_count(candidate) * step

    multiplier, exponent = min(candidates, key=fit)
    step = multiplier * 10.0**exponent
    decimals = max(0, -exponent)
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    return [round(index * step, decimals) + 0.0 for index in range(first, last + 1)]


# --- charts --------------------------------------------------------------------------------------


def line_chart(
    points: Sequence[tuple[str, Number]],
    *,
    title: str,
    value_format: ValueFormatter = format_money,
    height: int = 260,
) -> str:
    """A trend line with a soft area fill; x labels are thinned when they would collide."""
    height = max(height, MIN_CHART_HEIGHT)
    labels = [_clean_label(label) for label, _ in points]
    values = [_finite_or_none(value) for _, value in points]
    present = [(index, value) for index, value in enumerate(values) if value is not None]
    if not present:
        return _empty_chart(title, height)

    chart_id = _chart_id("line", title, points)
    present_values = [value for _, value in present]
    axis = _ValueAxis.build(present_values, value_format, top=48, bottom=height - 30)
    last_index, last_value = present[-1]
    end_label = value_format(last_value)
    plot_left = axis.plot_left
    plot_right = VIEW_WIDTH - EDGE_PADDING - _text_width(end_label, LABEL_FONT_SIZE) - 10
    count = len(values)
    spacing = (plot_right - plot_left) / (count - 1) if count > 1 else 0.0

    def x_at(index: int) -> float:
        return plot_left + index * spacing if count > 1 else (plot_left + plot_right) / 2

    color = PALETTE.series[0]
    body = [
        f'<defs><linearGradient id="{chart_id}-fill" x1="0" y1="0" x2="0" y2="1">'
        f'<stop offset="0" stop-color="{color}" stop-opacity="0.28"/>'
        f'<stop offset="1" stop-color="{color}" stop-opacity="0.02"/></linearGradient></defs>',
        *axis.render(plot_left, plot_right),
    ]
    baseline_y = axis.y(0.0)
    for run in _consecutive_runs(present):
        coordinates = [(x_at(index), axis.y(value)) for index, value in run]
        line = " L".join(f"{_n(x)} {_n(y)}" for x, y in coordinates)
        if len(coordinates) > 1:
            first_x, last_x = coordinates[0][0], coordinates[-1][0]
            body.append(
                f'<path d="M{_n(first_x)} {_n(baseline_y)} L{line} L{_n(last_x)} {_n(baseline_y)} Z" '
                f'fill="url(#{chart_id}-fill)" stroke="none"/>'
            )
            body.append(
                f'<path d="M{line}" fill="none" stroke="{color}" stroke-width="2.5" '
                'stroke-linejoin="round" stroke-linecap="round"/>'
            )

    body.extend(_category_labels(labels, [x_at(index) for index in range(count)], spacing or VIEW_WIDTH, height - 12))

    # Markers hide on dense lines but stay as hover targets; each point's full-height strip makes
    # its tooltip easy to reach. Shared attributes sit on the wrapper to keep 500 points compact.
    dense = len(present) > DENSE_POINT_COUNT
    strip_width = max(spacing, 2.0) if count > 1 else plot_right - plot_left
    guide_geometry = f'y="{_n(axis.top)}" width="{_n(strip_width)}" height="{_n(axis.bottom - axis.top)}"'
    hidden_when_dense = ' opacity="0"' if dense else ""
    body.append(f'<g fill="{PALETTE.surface}" stroke="{color}" stroke-width="2">')
    for index, value in present:
        x, y = x_at(index), axis.y(value)
        is_last = index == last_index
        marker = (
            f'<circle cx="{_n(x)}" cy="{_n(y)}" r="4.5" fill="{color}"/>'
            if is_last
            else f'<circle cx="{_n(x)}" cy="{_n(y)}" r="3.5"{hidden_when_dense}/>'
        )
        body.append(
            f'<g class="mc-point"><title>{_esc(labels[index])}: {_esc(value_format(value))}</title>'
            f'<rect class="mc-guide" x="{_n(x - strip_width / 2)}" {guide_geometry} fill-opacity="0" stroke="none"/>'
            f"{marker}</g>"
        )
    body.append("</g>")
    end_x, end_y = x_at(last_index), axis.y(last_value)
    body.append(_text(end_x + 9, end_y + 4, end_label, size=LABEL_FONT_SIZE, weight=600, fill=color))

    peak_index, peak_value = max(present, key=lambda item: item[1])
    if len(present) == 1:
        summary = f"{labels[last_index]}: {value_format(last_value)}."
    else:
        summary = (
            f"{len(present)} points from {labels[present[0][0]]} to {labels[last_index]}; "
            f"latest {value_format(last_value)}, peak {value_format(peak_value)} ({labels[peak_index]})."
        )
    hover_style = (
        f"#{chart_id} .mc-point:hover .mc-guide{{fill:{PALETTE.text};fill-opacity:.05}}"
        f"#{chart_id} .mc-point:hover circle{{opacity:1}}"
    )
    return _svg_document(chart_id, title, summary, height, body, hover_style)


def bar_chart(
    items: Sequence[tuple[str, Number]],
    *,
    title: str,
    horizontal: bool = True,
    value_format: ValueFormatter = format_money,
    height: int | None = None,
) -> str:
    """Ranked bars with the value at each bar's end; long labels are truncated with an ellipsis."""
    labels = [_clean_label(label) for label, _ in items]
    values = [_finite_or_none(value) or 0.0 for _, value in items]
    if not items:
        return _empty_chart(title, height or 220)
    chart_id = _chart_id("bar", title, items, horizontal)
    if horizontal:
        height, body = _horizontal_bars(labels, values, value_format, height)
    else:
        height = max(height or 260, MIN_CHART_HEIGHT)
        body = _vertical_bars(labels, values, value_format, height)
    top_index = max(range(len(values)), key=lambda index: values[index])
    summary = f"{len(values)} bars; highest {labels[top_index]} at {value_format(values[top_index])}."
    return _svg_document(chart_id, title, summary, height, body, f"#{chart_id} .mc-bar:hover{{opacity:.8}}")


def donut_chart(
    items: Sequence[tuple[str, Number]],
    *,
    title: str,
    value_format: ValueFormatter = format_money,
) -> str:
    """A ring of shares with a legend of values and percentages; the total sits in the middle."""
    slices = [
        (_clean_label(label), number)
        for label, value in items
        if (number := _finite_or_none(value)) is not None and number > 0
    ]
    if not slices:
        return _empty_chart(title, 240)
    has_other_slice = len(slices) > DONUT_MAX_SLICES
    slices = _group_smallest_as_other(slices, DONUT_MAX_SLICES)
    total = sum(value for _, value in slices)
    chart_id = _chart_id("donut", title, items)

    row_height = 26
    height = max(240, 64 + len(slices) * row_height)
    center_x, center_y = 150.0, (44 + height) / 2
    outer_radius = min(92.0, (height - 44 - 20) / 2)
    inner_radius = outer_radius * 0.64

    colors = [PALETTE.series[index % len(PALETTE.series)] for index in range(len(slices))]
    if has_other_slice:
        colors[-1] = PALETTE.other
    body: list[str] = []
    start_angle = -math.pi / 2
    for (label, value), color in zip(slices, colors, strict=True):
        share = value / total
        tooltip = f"{label}: {value_format(value)} ({format_percent(share)})"
        if share >= 1 - 1e-9:
            path, fill_rule = _full_ring_path(center_x, center_y, outer_radius, inner_radius), ' fill-rule="evenodd"'
        else:
            end_angle = start_angle + share * 2 * math.pi
            path = _ring_sector_path(center_x, center_y, outer_radius, inner_radius, start_angle, end_angle)
            fill_rule = ""
            start_angle = end_angle
        body.append(
            f'<path class="mc-slice" d="{path}"{fill_rule} fill="{color}" stroke="{PALETTE.surface}" '
            f'stroke-width="2" stroke-linejoin="round"><title>{_esc(tooltip)}</title></path>'
        )
    body.append(_text(center_x, center_y + 4, value_format(total), size=20, anchor="middle", weight=700))
    body.append(_text(center_x, center_y + 22, "Total", size=TICK_FONT_SIZE, anchor="middle", fill=PALETTE.muted_text))

    legend_left, percent_right = 290.0, float(VIEW_WIDTH - EDGE_PADDING)
    value_texts = [value_format(value) for _, value in slices]
    value_right = percent_right - _text_width("100.0%", LABEL_FONT_SIZE) - 14
    widest_value = max(_text_width(text, LABEL_FONT_SIZE) for text in value_texts)
    label_room = value_right - widest_value - 14 - (legend_left + 20)
    first_row_y = center_y - (len(slices) - 1) * row_height / 2
    for index, ((label, value), color) in enumerate(zip(slices, colors, strict=True)):
        row_y = first_row_y + index * row_height
        body.append(
            f'<g class="mc-legend-item"><title>{_esc(label)}</title>'
            f'<rect x="{_n(legend_left)}" y="{_n(row_y - 6)}" width="12" height="12" rx="3" fill="{color}"/>'
            + _text(legend_left + 20, row_y + 4, _fit(label, label_room, LABEL_FONT_SIZE), size=LABEL_FONT_SIZE)
            + _text(
                value_right, row_y + 4, value_texts[index], size=LABEL_FONT_SIZE, anchor="end", fill=PALETTE.muted_text
            )
            + _text(
                percent_right, row_y + 4, format_percent(value / total), size=LABEL_FONT_SIZE, anchor="end", weight=600
            )
            + "</g>"
        )
    summary = (
        f"Total {value_format(total)}: "
        + ", ".join(f"{label} {format_percent(value / total)}" for label, value in slices)
        + "."
    )
    return _svg_document(chart_id, title, summary, height, body, f"#{chart_id} .mc-slice:hover{{opacity:.82}}")


def stacked_bar_chart(
    categories: Sequence[str],
    series: Mapping[str, Sequence[Number]],
    *,
    title: str,
    value_format: ValueFormatter = format_money,
) -> str:
    """Columns per category split by series, with a legend; negatives stack below the zero line."""
    category_labels = [_clean_label(category) for category in categories]
    series_names = [_clean_label(name) for name in series]
    if not category_labels or not series_names:
        return _empty_chart(title, 280)
    matrix = [
        [(_finite_or_none(values[index]) or 0.0) if index < len(values) else 0.0 for index in range(len(categories))]
        for values in series.values()
    ]
    colors = [PALETTE.series[index % len(PALETTE.series)] for index in range(len(series_names))]
    chart_id = _chart_id("stacked", title, categories, list(series.items()))

    legend_markup, legend_bottom = _legend_row(series_names, colors, top=44)
    height = max(280, int(legend_bottom) + 230)
    positive_totals = [sum(max(row[index], 0.0) for row in matrix) for index in range(len(categories))]
    negative_totals = [sum(min(row[index], 0.0) for row in matrix) for index in range(len(categories))]
    axis = _ValueAxis.build(positive_totals + negative_totals, value_format, top=legend_bottom + 18, bottom=height - 30)
    plot_left, plot_right = axis.plot_left, VIEW_WIDTH - EDGE_PADDING
    band = (plot_right - plot_left) / len(categories)
    bar_width = min(band * 0.66, 56.0)
    centers = [plot_left + band * (index + 0.5) for index in range(len(categories))]

    body = [*axis.render(plot_left, plot_right), *legend_markup]
    for category_index, center in enumerate(centers):
        positive_base = negative_base = 0.0
        for series_index, row in enumerate(matrix):
            value = row[category_index]
            if value == 0:
                continue
            if value > 0:
                start, positive_base = positive_base, positive_base + value
                end = positive_base
            else:
                start, negative_base = negative_base, negative_base + value
                end = negative_base
            top_y, bottom_y = sorted((axis.y(start), axis.y(end)))
            tooltip = f"{category_labels[category_index]} · {series_names[series_index]}: {value_format(value)}"
            body.append(
                f'<rect class="mc-segment" x="{_n(center - bar_width / 2)}" y="{_n(top_y)}" width="{_n(bar_width)}" '
                f'height="{_n(bottom_y - top_y)}" fill="{colors[series_index]}" stroke="{PALETTE.surface}" '
                f'stroke-width="1"><title>{_esc(tooltip)}</title></rect>'
            )
        total_text = value_format(positive_totals[category_index] + negative_totals[category_index])
        if positive_totals[category_index] > 0 and _text_width(total_text, 10) <= band - 2:
            body.append(
                _text(
                    center,
                    axis.y(positive_totals[category_index]) - 5,
                    total_text,
                    size=10,
                    anchor="middle",
                    fill=PALETTE.muted_text,
                )
            )
    body.extend(_category_labels(category_labels, centers, band, height - 12))

    totals = [positive + negative for positive, negative in zip(positive_totals, negative_totals, strict=True)]
    top_index = max(range(len(totals)), key=lambda index: totals[index])
    summary = (
        f"{len(series_names)} series across {len(category_labels)} categories; "
        f"largest total {value_format(totals[top_index])} in {category_labels[top_index]}."
    )
    return _svg_document(chart_id, title, summary, height, body, f"#{chart_id} .mc-segment:hover{{opacity:.8}}")


# --- layout pieces -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _ValueAxis:
    ticks: list[float]
    tick_labels: list[str]
    top: float
    bottom: float

    @classmethod
    def build(cls, values: Sequence[float], value_format: ValueFormatter, *, top: float, bottom: float) -> _ValueAxis:
        low, high = min(0.0, *values), max(0.0, *values)
        if low == high:
            high = 1.0
        ticks = nice_ticks(low, high, whole_numbers=all(value == int(value) for value in values))
        return cls(ticks, [value_format(tick) for tick in ticks], top, bottom)

    @property
    def plot_left(self) -> float:
        return EDGE_PADDING + max(_text_width(label, TICK_FONT_SIZE) for label in self.tick_labels) + 10

    def y(self, value: float) -> float:
        low, high = self.ticks[0], self.ticks[-1]
        return self.bottom - (value - low) / (high - low) * (self.bottom - self.top)

    def render(self, plot_left: float, plot_right: float) -> list[str]:
        markup = []
        for tick, label in zip(self.ticks, self.tick_labels, strict=True):
            y = _n(self.y(tick))
            stroke = PALETTE.axis if tick == 0 else PALETTE.gridline
            dash = "" if tick == 0 else ' stroke-dasharray="3 4"'
            markup.append(
                f'<line x1="{_n(plot_left)}" x2="{_n(plot_right)}" y1="{y}" y2="{y}" stroke="{stroke}" '
                f'stroke-width="1"{dash}/>'
            )
            markup.append(
                _text(
                    plot_left - 10, self.y(tick) + 4, label, size=TICK_FONT_SIZE, anchor="end", fill=PALETTE.muted_text
                )
            )
        return markup


def _horizontal_bars(
    labels: list[str], values: list[float], value_format: ValueFormatter, height: int | None
) -> tuple[int, list[str]]:
    top, bottom_padding = 46.0, 14.0
    if height is None:
        row_height = 30.0
        height = int(top + row_height * len(values) + bottom_padding)
    else:
        height = max(height, MIN_CHART_HEIGHT)
        # A height too small for legible rows is stretched rather than drawing unreadable labels.
        row_height = max((height - top - bottom_padding) / len(values), MIN_BAR_ROW_HEIGHT)
        height = max(height, int(top + row_height * len(values) + bottom_padding))
    bar_thickness = min(20.0, row_height * 0.64)
    font_size = max(7.0, min(float(LABEL_FONT_SIZE), row_height * 0.6))

    value_texts = [value_format(value) for value in values]
    value_room = max(_text_width(text, font_size) for text in value_texts) + 8
    label_column = min(max(_text_width(label, font_size) for label in labels), VIEW_WIDTH * 0.3)
    bars_left = EDGE_PADDING + label_column + 12
    bars_right = VIEW_WIDTH - EDGE_PADDING - value_room
    has_negative = min(values) < 0
    if has_negative:
        bars_left += value_room
    low, high = min(0.0, *values), max(0.0, *values)
    if low == high:
        high = 1.0

    def x_at(value: float) -> float:
        return bars_left + (value - low) / (high - low) * (bars_right - bars_left)

    zero_x = x_at(0.0)
    body: list[str] = []
    for index, (label, value, value_text) in enumerate(zip(labels, values, value_texts, strict=True)):
        center_y = top + row_height * (index + 0.5)
        end_x = x_at(value)
        left, width = min(zero_x, end_x), abs(end_x - zero_x)
        color = PALETTE.negative if value < 0 else PALETTE.series[0]
        body.append(
            _text(EDGE_PADDING, center_y + font_size * 0.35, _fit(label, label_column, font_size), size=font_size)
        )
        body.append(
            f'<rect class="mc-bar" x="{_n(left)}" y="{_n(center_y - bar_thickness / 2)}" width="{_n(width)}" '
            f'height="{_n(bar_thickness)}" rx="{_n(min(4.0, bar_thickness / 4))}" fill="{color}">'
            f"<title>{_esc(label)}: {_esc(value_text)}</title></rect>"
        )
        value_x, anchor = (end_x - 6, "end") if value < 0 else (end_x + 6, "start")
        body.append(
            _text(
                value_x,
                center_y + font_size * 0.35,
                value_text,
                size=font_size,
                anchor=anchor,
                weight=600,
                fill=PALETTE.text,
            )
        )
    body.append(
        f'<line x1="{_n(zero_x)}" x2="{_n(zero_x)}" y1="{_n(top - 4)}" y2="{_n(height - bottom_padding + 4)}" '
        f'stroke="{PALETTE.axis}" stroke-width="1"/>'
    )
    return height, body


def _vertical_bars(labels: list[str], values: list[float], value_format: ValueFormatter, height: int) -> list[str]:
    axis = _ValueAxis.build(values, value_format, top=48, bottom=height - 30)
    plot_left, plot_right = axis.plot_left, VIEW_WIDTH - EDGE_PADDING
    band = (plot_right - plot_left) / len(values)
    bar_width = min(band * 0.66, 56.0)
    centers = [plot_left + band * (index + 0.5) for index in range(len(values))]
    body = axis.render(plot_left, plot_right)
    for label, value, center in zip(labels, values, centers, strict=True):
        value_text = value_format(value)
        top_y, bottom_y = sorted((axis.y(value), axis.y(0.0)))
        color = PALETTE.negative if value < 0 else PALETTE.series[0]
        body.append(
            f'<rect class="mc-bar" x="{_n(center - bar_width / 2)}" y="{_n(top_y)}" width="{_n(bar_width)}" '
            f'height="{_n(bottom_y - top_y)}" rx="{_n(min(4.0, bar_width / 4))}" fill="{color}">'
            f"<title>{_esc(label)}: {_esc(value_text)}</title></rect>"
        )
        if _text_width(value_text, TICK_FONT_SIZE) <= band - 2:
            label_y, label_fill = (top_y - 6, PALETTE.text) if value >= 0 else (bottom_y + 14, PALETTE.text)
            if label_y > axis.bottom + 4 and bottom_y - top_y >= 20:
                # Below the deepest bar the label would run into the category labels; put it inside.
                label_y, label_fill = bottom_y - 6, PALETTE.surface
            body.append(
                _text(center, label_y, value_text, size=TICK_FONT_SIZE, anchor="middle", weight=600, fill=label_fill)
            )
    body.extend(_category_labels(labels, centers, band, height - 12))
    return body


def _category_labels(labels: list[str], centers: list[float], spacing: float, baseline: float) -> list[str]:
    """X-axis labels, every n-th one when they would otherwise overlap."""
    fitted = [_truncate(label, 14) for label in labels]
    widest = max(_text_width(label, TICK_FONT_SIZE) for label in fitted)
    needed_stride = math.ceil((widest + 10) / spacing)
    stride = next(stride for stride in _LABEL_STRIDES if stride >= needed_stride) if needed_stride > 1 else 1
    markup = []
    for index in range(0, len(labels), stride):
        half_width = _text_width(fitted[index], TICK_FONT_SIZE) / 2
        x = min(max(centers[index], EDGE_PADDING + half_width), VIEW_WIDTH - EDGE_PADDING - half_width)
        markup.append(_text(x, baseline, fitted[index], size=TICK_FONT_SIZE, anchor="middle", fill=PALETTE.muted_text))
    return markup


def _legend_row(names: list[str], colors: list[str], *, top: float) -> tuple[list[str], float]:
    """Swatches and names flowing left to right, wrapping; returns markup and the bottom edge."""
    x, y = float(EDGE_PADDING), top
    markup = []
    for name, color in zip(names, colors, strict=True):
        shown = _truncate(name, 28)
        item_width = 18 + _text_width(shown, LABEL_FONT_SIZE) + 18
        if x > EDGE_PADDING and x + item_width > VIEW_WIDTH - EDGE_PADDING:
            x, y = float(EDGE_PADDING), y + 20
        markup.append(
            f'<g class="mc-legend-item"><title>{_esc(name)}</title>'
            f'<rect x="{_n(x)}" y="{_n(y - 9)}" width="12" height="12" rx="3" fill="{color}"/>'
            + _text(x + 18, y + 1, shown, size=LABEL_FONT_SIZE, fill=PALETTE.text)
            + "</g>"
        )
        x += item_width
    return markup, y + 6


def _empty_chart(title: str, height: int) -> str:
    height = max(height, MIN_CHART_HEIGHT)
    center_x, center_y = VIEW_WIDTH / 2, (TITLE_BASELINE + height) / 2
    ghost_bars = "".join(
        f'<rect x="{_n(center_x - 34 + offset * 24)}" y="{_n(center_y - 6 - bar_height)}" width="18" '
        f'height="{bar_height}" rx="4" fill="{PALETTE.placeholder}"/>'
        for offset, bar_height in enumerate((22, 38, 30))
    )
    body = [
        ghost_bars,
        f'<line x1="{_n(center_x - 48)}" x2="{_n(center_x + 48)}" y1="{_n(center_y - 6)}" y2="{_n(center_y - 6)}" '
        f'stroke="{PALETTE.axis}" stroke-width="1.5" stroke-linecap="round"/>',
        f'<text class="mc-empty" x="{_n(center_x)}" y="{_n(center_y + 18)}" font-size="13" text-anchor="middle" '
        f'fill="{PALETTE.muted_text}">{EMPTY_STATE_TEXT}</text>',
    ]
    return _svg_document(_chart_id("empty", title), title, EMPTY_STATE_TEXT + ".", height, body, "")


def _svg_document(chart_id: str, title: str, summary: str, height: int, body: list[str], style: str) -> str:
    clean_title = _clean_label(title)
    shown_title = _fit(clean_title, VIEW_WIDTH - 2 * EDGE_PADDING, TITLE_FONT_SIZE)
    style_element = f"<style>{style}</style>" if style else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="mc-chart" viewBox="0 0 {VIEW_WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{_esc(clean_title)}" font-family="{FONT_FAMILY}">'
        f"<title>{_esc(clean_title)}</title><desc>{_esc(summary)}</desc>{style_element}"
        + _text(EDGE_PADDING, TITLE_BASELINE, shown_title, size=TITLE_FONT_SIZE, weight=600)
        + "".join(body)
        + "</svg>"
    )


# --- geometry --------------------------------------------------------------------------------


def _ring_sector_path(cx: float, cy: float, outer: float, inner: float, start: float, end: float) -> str:
    large_arc = 1 if end - start > math.pi else 0

    def point(radius: float, angle: float) -> str:
        return f"{_n(cx + radius * math.cos(angle))} {_n(cy + radius * math.sin(angle))}"

    return (
        f"M{point(outer, start)} A{_n(outer)} {_n(outer)} 0 {large_arc} 1 {point(outer, end)} "
        f"L{point(inner, end)} A{_n(inner)} {_n(inner)} 0 {large_arc} 0 {point(inner, start)} Z"
    )


def _full_ring_path(cx: float, cy: float, outer: float, inner: float) -> str:
    # A single arc cannot end where it starts, so each circle is drawn as two half arcs.
    def circle(radius: float, sweep: int) -> str:
        r = _n(radius)
        return (
            f"M{_n(cx)} {_n(cy - radius)} A{r} {r} 0 1 {sweep} {_n(cx)} {_n(cy + radius)} "
            f"A{r} {r} 0 1 {sweep} {_n(cx)} {_n(cy - radius)} Z"
        )

    return f"{circle(outer, 1)} {circle(inner, 0)}"


def _consecutive_runs(present: list[tuple[int, float]]) -> list[list[tuple[int, float]]]:
    runs: list[list[tuple[int, float]]] = []
    for index, value in present:
        if runs and runs[-1][-1][0] == index - 1:
            runs[-1].append((index, value))
        else:
            runs.append([(index, value)])
    return runs


def _group_smallest_as_other(slices: list[tuple[str, float]], limit: int) -> list[tuple[str, float]]:
    """Keep the largest limit-1 slices in their original order and fold the rest into 'Other'."""
    if len(slices) <= limit:
        return slices
    by_size = sorted(range(len(slices)), key=lambda index: slices[index][1], reverse=True)
    kept = sorted(by_size[: limit - 1])
    other_total = sum(slices[index][1] for index in by_size[limit - 1 :])
    return [slices[index] for index in kept] + [("Other", other_total)]


# --- small helpers -------------------------------------------------------------------------------


def _finite_or_none(value: Number) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _compact(magnitude: float, units: Sequence[tuple[float, str]]) -> str:
    unit_index = max((index for index, (unit, _) in enumerate(units) if magnitude >= unit), default=0)
    scaled = round(magnitude / units[unit_index][0], 1)
    # 999,960 rounds to 1000.0K; say 1M instead.
    if scaled >= 1000 and unit_index + 1 < len(units):
        unit_index += 1
        scaled = round(magnitude / units[unit_index][0], 1)
    return _strip_trailing_zeros(f"{scaled:,.1f}") + units[unit_index][1]


def _strip_trailing_zeros(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def _clean_label(label: object) -> str:
    text = "" if label is None else str(label)
    text = " ".join(_CONTROL_CHARACTERS.sub(" ", text).split())
    return text or MISSING_VALUE_TEXT


def _truncate(text: str, max_characters: int) -> str:
    if len(text) <= max_characters:
        return text
    if max_characters <= 1:
        return "…"
    return text[: max_characters - 1].rstrip() + "…"


def _fit(text: str, width: float, font_size: float) -> str:
    return _truncate(text, max(1, int(width / (font_size * GLYPH_WIDTH_RATIO) + 1e-6)))


def _text_width(text: str, font_size: float) -> float:
    return len(text) * font_size * GLYPH_WIDTH_RATIO


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: float,
    anchor: str = "start",
    weight: int = 400,
    fill: str = PALETTE.text,
) -> str:
    weight_attribute = f' font-weight="{weight}"' if weight != 400 else ""
    anchor_attribute = f' text-anchor="{anchor}"' if anchor != "start" else ""
    return (
        f'<text x="{_n(x)}" y="{_n(y)}" font-size="{_n(size)}"{anchor_attribute}{weight_attribute} '
        f'fill="{fill}">{_esc(content)}</text>'
    )


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _n(number: float) -> str:
    text = f"{number:.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _chart_id(kind: str, *parts: object) -> str:
    # Derived from the content so output is deterministic and two different charts on one page
    # do not share gradient or style ids.
    digest = hashlib.sha1(repr((kind, parts)).encode(), usedforsecurity=False).hexdigest()
    return f"mc-{digest[:10]}"
