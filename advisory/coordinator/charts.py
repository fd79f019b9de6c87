"""Bar charts as geometry for server-rendered SVG (templates/coordinator/_charts.html).

No chart JavaScript and no inline style: the template draws rectangles and text at the
positions computed here, and colours come from classes (`series-1`, …) in the static CSS.
Every chart has a title, a text alternative and, on the page, a table with its numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 34
MAX_X_LABELS = 13
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: str  # "Week 47 · Web: 12", as a tooltip (<title>) of the rectangle


@dataclass(frozen=True)
class Tick:
    position: float
    text: str


@dataclass(frozen=True)
class BarChart:
    id: str
    title: str
    description: str  # the text alternative: what the chart shows, in a sentence or two
    rects: tuple[Rect, ...]
    x_labels: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    legend: tuple[tuple[str, str], ...]  # (css class, series name); empty for one series
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def baseline(self) -> float:
        return HEIGHT - BOTTOM

    @property
    def plot_left(self) -> float:
        return LEFT

    @property
    def plot_right(self) -> float:
        return WIDTH - RIGHT


def bar_chart(
    *,
    id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    axis_labels: Sequence[str] | None = None,
    value_text: Callable[[float], str] = lambda value: f"{value:g}",
    maximum: float | None = None,
) -> BarChart:
    """Stacked bars, one per category; a single series is a plain bar chart.

    `axis_labels` are shorter names for under the bars (the categories name the tooltips).
    """
    totals = [sum(one.values[index] for one in series) for index in range(len(categories))]
    top = maximum if maximum is not None else nice_maximum(max(totals, default=0))
    legend = (
        tuple((f"series-{number}", one.name) for number, one in enumerate(series, start=1))
        if len(series) > 1
        else ()
    )
    return BarChart(
        id,
        title,
        description,
        _stacked_bars(categories, series, top, value_text),
        _x_labels(axis_labels or categories, len(categories)),
        _y_ticks(top, value_text),
        legend,
    )


def _slot_width(count: int) -> float:
    """The width each category has for its bar and the gaps beside it."""
    return PLOT_WIDTH / max(count, 1)


def _stacked_bars(
    categories: Sequence[str],
    series: Sequence[Series],
    top: float,
    value_text: Callable[[float], str],
) -> tuple[Rect, ...]:
    """A rectangle for each category's positive value of each series, stacked bottom up."""
    slot = _slot_width(len(categories))
    bar_width = max(slot * 0.8, 1.0)
    rects: list[Rect] = []
    for index, category in enumerate(categories):
        x = LEFT + index * slot + (slot - bar_width) / 2
        stacked = 0.0
        for number, one in enumerate(series, start=1):
            value = one.values[index]
            if value <= 0:
                continue
            height = PLOT_HEIGHT * value / top
            y = TOP + PLOT_HEIGHT * (1 - (stacked + value) / top)
            name = f"{category} · {one.name}" if len(series) > 1 else category
            rects.append(
                Rect(
                    round(x, 2),
                    round(y, 2),
                    round(bar_width, 2),
                    round(height, 2),
                    f"series-{number}",
                    f"{name}: {value_text(value)}",
                )
            )
            stacked += value
    return tuple(rects)


def _x_labels(labels: Sequence[str], count: int) -> tuple[Tick, ...]:
    """Labels under the bars, thinned out to at most MAX_X_LABELS."""
    slot = _slot_width(count)
    every = max(1, -(-count // MAX_X_LABELS))
    return tuple(
        Tick(round(LEFT + index * slot + slot / 2, 2), label)
        for index, label in enumerate(labels)
        if index % every == 0
    )


def _y_ticks(top: float, value_text: Callable[[float], str]) -> tuple[Tick, ...]:
    """Five ticks up the value axis: zero, each quarter of `top`, and `top`."""
    return tuple(
        Tick(round(TOP + PLOT_HEIGHT * (1 - step / 4), 2), value_text(top * step / 4))
        for step in range(5)
    )


def nice_maximum(value: float) -> float:
    """An axis maximum for counts at or above `value` whose quarters are whole numbers."""
    if value <= 4:
        return 4
    if value <= 8:
        return 8
    magnitude = 10
    while True:
        for step in (1, 2, 4, 8):
            top = step * magnitude
            if top >= value and (top // 4) * 4 == top:
                return top
        magnitude *= 10
