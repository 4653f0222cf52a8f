import itertools
import math
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from medallion.charts import (
    EMPTY_STATE_TEXT,
    PALETTE,
    bar_chart,
    donut_chart,
    format_count,
    format_money,
    format_percent,
    line_chart,
    nice_ticks,
    stacked_bar_chart,
)

pytestmark = pytest.mark.pure

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
SCRIPT_LABEL = "<script>alert('x')</script> & \"friends\""
GEOMETRY_ATTRIBUTES = ("x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height")


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def with_class(root: ET.Element, css_class: str) -> list[ET.Element]:
    return [element for element in root.iter() if css_class in element.get("class", "").split()]


def tooltip(element: ET.Element) -> str:
    title = element.find(f"{SVG}title")
    assert title is not None and title.text is not None
    return title.text


def texts(root: ET.Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def assert_well_formed_chart(svg: str, title: str) -> ET.Element:
    root = parse(svg)
    assert root.get("width") == "100%"
    assert root.get("role") == "img"
    assert root.get("aria-label") == title
    view_box = [float(part) for part in root.get("viewBox", "").split()]
    assert len(view_box) == 4 and view_box[2] > 0 and view_box[3] > 0
    assert root[0].tag == f"{SVG}title" and root[0].text == title
    for element in root.iter():
        if element is root:
            continue
        for attribute in GEOMETRY_ATTRIBUTES:
            if attribute in element.attrib:
                number = float(element.attrib[attribute])
                assert math.isfinite(number), (element.tag, attribute)
                if attribute in ("width", "height", "r"):
                    assert number >= 0, (element.tag, attribute, number)
    return root


MONTHLY_PAID = [(month, 800_000 + index * 55_000) for index, month in enumerate(MONTHS)]


# --- line chart --------------------------------------------------------------------------------


def test_line_chart_has_one_point_per_value_and_an_area_fill() -> None:
    root = assert_well_formed_chart(line_chart(MONTHLY_PAID, title="Monthly paid"), "Monthly paid")
    points = with_class(root, "mc-point")
    assert len(points) == 12
    assert tooltip(points[0]) == "Jan: $800K"
    assert tooltip(points[-1]) == "Dec: $1.4M"
    assert any("url(#" in path.get("fill", "") for path in root.iter(f"{SVG}path"))
    assert root.find(f"{SVG}defs/{SVG}linearGradient") is not None


def test_line_chart_thins_crowded_x_labels_and_handles_500_points() -> None:
    points = [(f"Day {index}", 1000 + (index % 37) * 10.5) for index in range(500)]
    root = assert_well_formed_chart(line_chart(points, title="Daily"), "Daily")
    assert len(with_class(root, "mc-point")) == 500
    day_labels = [text for text in texts(root) if text.startswith("Day ")]
    assert 3 <= len(day_labels) <= 12
    assert day_labels[0] == "Day 0"


def test_line_chart_with_one_point() -> None:
    root = assert_well_formed_chart(line_chart([("Only", 42.5)], title="One"), "One")
    assert len(with_class(root, "mc-point")) == 1
    assert "$42.50" in texts(root)


def test_line_chart_skips_missing_values_and_handles_negatives() -> None:
    points = [("Jan", 100.0), ("Feb", None), ("Mar", math.nan), ("Apr", -250.0), ("May", math.inf), ("Jun", 400)]
    root = assert_well_formed_chart(line_chart(points, title="Gaps"), "Gaps")
    assert [tooltip(point) for point in with_class(root, "mc-point")] == ["Jan: $100", "Apr: -$250", "Jun: $400"]
    assert "-$400" in texts(root) or "-$500" in texts(root) or "-$300" in texts(root)


def test_line_chart_of_zeros_still_draws_an_axis() -> None:
    root = assert_well_formed_chart(line_chart([(month, 0) for month in MONTHS], title="Zeros"), "Zeros")
    assert len(with_class(root, "mc-point")) == 12


# --- bar chart ---------------------------------------------------------------------------------


def test_horizontal_bar_chart_truncates_long_labels_and_labels_bar_ends() -> None:
    long_label = "Northwestern Memorial Hospital and Associated Physicians of Greater Chicago"
    items = [(long_label, 2_400_000), ("Mayo Clinic", 1_850_000), ("Small Clinic", 12_345.67)]
    root = assert_well_formed_chart(bar_chart(items, title="Top providers"), "Top providers")
    bars = with_class(root, "mc-bar")
    assert len(bars) == 3
    assert tooltip(bars[0]) == f"{long_label}: $2.4M"
    truncated = [text for text in texts(root) if text.startswith("Northwestern")]
    assert len(truncated) == 1 and truncated[0].endswith("…") and len(truncated[0]) < len(long_label)
    assert {"$2.4M", "$1.9M", "$12.3K"} <= set(texts(root))
    widths = [float(bar.get("width", "0")) for bar in bars]
    assert widths[0] > widths[1] > widths[2] > 0


def test_vertical_bar_chart_with_negative_values() -> None:
    items = [("Medical", 120_000), ("Dental", -35_000), ("Vision", 0), ("Rx", None)]
    root = assert_well_formed_chart(bar_chart(items, title="Net", horizontal=False), "Net")
    bars = with_class(root, "mc-bar")
    assert len(bars) == 4
    assert bars[1].get("fill") == PALETTE.negative
    assert tooltip(bars[3]) == "Rx: $0"
    medical, dental = bars[0], bars[1]
    # Positive bars rise from the zero line and negative bars hang below it.
    assert float(medical.get("y", 0)) + float(medical.get("height", 0)) == pytest.approx(
        float(dental.get("y", 0)), abs=0.15
    )


def test_bar_chart_height_grows_when_too_small_for_readable_rows() -> None:
    items = [(f"Provider {index}", 1000 - index) for index in range(40)]
    root = assert_well_formed_chart(bar_chart(items, title="Many", height=200), "Many")
    assert len(with_class(root, "mc-bar")) == 40
    assert float(root.get("viewBox", "").split()[3]) >= 40 * 16


def test_bar_chart_auto_height_scales_with_item_count() -> None:
    def view_height(count: int) -> float:
        svg = bar_chart([(str(index), index + 1) for index in range(count)], title="Bars")
        return float(parse(svg).get("viewBox", "").split()[3])

    assert view_height(10) > view_height(3)


# --- donut chart -------------------------------------------------------------------------------


def test_donut_chart_has_a_slice_per_positive_item_and_a_legend_with_percentages() -> None:
    items = [("Medical", 600), ("Pharmacy", 300), ("Dental", 100), ("Zero", 0), ("Refunds", -50), ("Unknown", None)]
    root = assert_well_formed_chart(donut_chart(items, title="Claim mix"), "Claim mix")
    slices = with_class(root, "mc-slice")
    assert [tooltip(slice_) for slice_ in slices] == [
        "Medical: $600 (60.0%)",
        "Pharmacy: $300 (30.0%)",
        "Dental: $100 (10.0%)",
    ]
    assert {"60.0%", "30.0%", "10.0%", "$1K", "Total"} <= set(texts(root))
    assert len(with_class(root, "mc-legend-item")) == 3


def test_donut_chart_single_slice_is_a_full_ring() -> None:
    root = assert_well_formed_chart(donut_chart([("Everything", 42)], title="One"), "One")
    (ring,) = with_class(root, "mc-slice")
    assert ring.get("fill-rule") == "evenodd"
    assert ring.get("d", "").count("A") == 4
    assert "100.0%" in texts(root)


def test_donut_chart_groups_the_smallest_items_into_other() -> None:
    items = [(f"Type {index}", 1000 * (12 - index)) for index in range(12)]
    root = assert_well_formed_chart(donut_chart(items, title="Many"), "Many")
    slices = with_class(root, "mc-slice")
    assert len(slices) == 8
    assert tooltip(slices[-1]).startswith("Other: $15K")
    assert slices[-1].get("fill") == PALETTE.other


def test_donut_chart_accepts_other_formats_and_decimals() -> None:
    svg = donut_chart([("Low", Decimal("812")), ("High", Decimal("41"))], title="Risk", value_format=format_count)
    root = assert_well_formed_chart(svg, "Risk")
    assert "853" in texts(root)


# --- stacked bar chart -------------------------------------------------------------------------


def test_stacked_bar_chart_draws_a_segment_per_nonzero_value_with_a_legend() -> None:
    series = {
        "Medical": [600, 650, 700],
        "Pharmacy": [200, 0, 250],
        "Dental": [100, None, math.nan],
    }
    root = assert_well_formed_chart(stacked_bar_chart(["Jan", "Feb", "Mar"], series, title="Paid"), "Paid")
    segments = with_class(root, "mc-segment")
    assert len(segments) == 6
    assert tooltip(segments[0]) == "Jan · Medical: $600"
    assert [item.findtext(f"{SVG}title") for item in with_class(root, "mc-legend-item")] == list(series)
    colors = {segment.get("fill") for segment in segments}
    assert colors == set(PALETTE.series[:3])


def test_stacked_bar_chart_stacks_negatives_below_zero_and_pads_short_series() -> None:
    series = {"Paid": [500, 700, 900], "Reversed": [-120, -60]}
    root = assert_well_formed_chart(stacked_bar_chart(["Q1", "Q2", "Q3"], series, title="Net"), "Net")
    segments = with_class(root, "mc-segment")
    assert len(segments) == 5
    paid_q1, reversed_q1 = segments[0], segments[1]
    zero_y = float(paid_q1.get("y", 0)) + float(paid_q1.get("height", 0))
    assert float(reversed_q1.get("y", 0)) == pytest.approx(zero_y, abs=0.15)


# --- escaping and empty states ---------------------------------------------------------------


@pytest.mark.parametrize(
    "render",
    [
        lambda label: line_chart([(label, 1.0), ("b", 2.0)], title=label),
        lambda label: bar_chart([(label, 1.0)], title=label),
        lambda label: bar_chart([(label, 1.0)], title=label, horizontal=False),
        lambda label: donut_chart([(label, 1.0), ("b", 2.0)], title=label),
        lambda label: stacked_bar_chart([label], {label: [1.0]}, title=label),
        lambda label: bar_chart([], title=label),
    ],
)
def test_labels_and_titles_are_escaped(render) -> None:
    svg = render(SCRIPT_LABEL)
    assert "<script" not in svg
    root = assert_well_formed_chart(svg, SCRIPT_LABEL)
    assert SCRIPT_LABEL in [element.text for element in root.iter()]


def test_control_characters_in_labels_do_not_break_the_markup() -> None:
    root = parse(bar_chart([("Tab\tand\x00null\nnewline", 5)], title="Odd\x1blabels"))
    assert tooltip(with_class(root, "mc-bar")[0]) == "Tab and null newline: $5"
    assert root.get("aria-label") == "Odd labels"


@pytest.mark.parametrize(
    "svg",
    [
        line_chart([], title="Empty"),
        line_chart([("Jan", None), ("Feb", math.nan)], title="Empty"),
        bar_chart([], title="Empty"),
        bar_chart([], title="Empty", horizontal=False),
        donut_chart([], title="Empty"),
        donut_chart([("A", 0), ("B", None), ("C", -5)], title="Empty"),
        stacked_bar_chart([], {"A": []}, title="Empty"),
        stacked_bar_chart(["Jan"], {}, title="Empty"),
    ],
)
def test_empty_state(svg: str) -> None:
    root = assert_well_formed_chart(svg, "Empty")
    assert [element.text for element in with_class(root, "mc-empty")] == [EMPTY_STATE_TEXT]


def test_output_is_deterministic_and_ids_differ_between_charts() -> None:
    first = line_chart(MONTHLY_PAID, title="Paid")
    assert first == line_chart(MONTHLY_PAID, title="Paid")
    other = line_chart(MONTHLY_PAID[:6], title="Paid")
    assert parse(first).get("id") != parse(other).get("id")


# --- ticks and formats -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0, 1_000_000, [0, 200_000, 400_000, 600_000, 800_000, 1_000_000]),
        (0, 0.95, [0, 0.2, 0.4, 0.6, 0.8, 1.0]),
        (-90_000, 120_000, [-100_000, -50_000, 0, 50_000, 100_000, 150_000]),
        (0, 3, [0, 1, 2, 3]),
    ],
)
def test_nice_ticks_examples(low: float, high: float, expected: list[float]) -> None:
    assert nice_ticks(low, high) == expected


@pytest.mark.parametrize(
    ("low", "high"),
    [(0, 1), (0, 7), (0, 1_530_000), (-3.3, 12.7), (0, 0.0042), (123, 456), (0, 0), (5, 5), (-1e9, 0)],
)
def test_nice_ticks_cover_the_range_in_1_2_5_steps(low: float, high: float) -> None:
    ticks = nice_ticks(low, high)
    assert 3 <= len(ticks) <= 8
    assert ticks[0] <= low and ticks[-1] >= high
    assert len({f"{later - earlier:.6g}" for earlier, later in itertools.pairwise(ticks)}) == 1
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in (1, 2, 5)


def test_nice_ticks_for_whole_numbers_never_use_fractions() -> None:
    assert nice_ticks(0, 2, whole_numbers=True) == [0, 1, 2]
    assert nice_ticks(0, 1, whole_numbers=True) == [0, 1]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12.34, "$12.34"),
        (12, "$12"),
        (950, "$950"),
        (999.999, "$1K"),
        (1_234, "$1.2K"),
        (350_000, "$350K"),
        (999_960, "$1M"),
        (1_234_567, "$1.2M"),
        (2_000_000, "$2M"),
        (4_500_000_000, "$4.5B"),
        (-1_250_000, "-$1.2M"),
        (-0.001, "$0"),
        (0, "$0"),
        (Decimal("1234.50"), "$1.2K"),
        (None, "—"),
        (math.nan, "—"),
    ],
)
def test_format_money(value: float, expected: str) -> None:
    assert format_money(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0"),
        (7, "7"),
        (1_234, "1,234"),
        (999_999, "999,999"),
        (1_234_567, "1.2M"),
        (2_500_000_000, "2.5B"),
        (-4_321, "-4,321"),
        (2.5, "2.5"),
        (None, "—"),
        (math.inf, "—"),
    ],
)
def test_format_count(value: float, expected: str) -> None:
    assert format_count(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1234, "12.3%"),
        (1, "100.0%"),
        (0, "0.0%"),
        (0.0004, "<0.1%"),
        (-0.05, "-5.0%"),
        (-0.0001, "0.0%"),
        (None, "—"),
        (math.nan, "—"),
    ],
)
def test_format_percent(value: float, expected: str) -> None:
    assert format_percent(value) == expected
