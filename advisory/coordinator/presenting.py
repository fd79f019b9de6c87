"""From figures to what the dashboard page shows: charts, their text alternatives, names.

Kept out of the views so they stay thin; kept out of the services because it is all about
words and pictures in the reader's language.
"""

from __future__ import annotations

from datetime import date

from flask_babel import format_date, format_decimal, format_percent, ngettext
from flask_babel import gettext as _

from advisory.coordinator.charts import BarChart, Series, bar_chart
from advisory.coordinator.labels import category_names
from advisory.services.dashboard import AGE_BUCKETS_DAYS, Dashboard, ResponseTimes
from advisory.services.figures import Dimension


def day(value: date, pattern: str) -> str:
    return str(format_date(value, pattern))


def response_rows(dashboard: Dashboard) -> list[tuple[str, ResponseTimes]]:
    """All channels first, then each channel that had an answered case."""
    channels = category_names()[Dimension.CHANNEL]
    return [
        (_("All channels"), dashboard.response),
        *(
            (channels.get(channel, channel), times)
            for channel, times in dashboard.response_by_channel.items()
        ),
    ]


def week_label(monday: date) -> str:
    return _("Week %(number)d", number=monday.isocalendar().week)


def week_range(monday: date) -> str:
    return str(format_date(monday, "d MMM yyyy"))


def age_names() -> dict[int, str]:
    names = {}
    for index, lower in enumerate(AGE_BUCKETS_DAYS):
        upper = AGE_BUCKETS_DAYS[index + 1] if index + 1 < len(AGE_BUCKETS_DAYS) else None
        if lower == 0:
            names[lower] = _("Under 1 day")
        elif upper is None:
            names[lower] = _("%(days)d days or more", days=lower)
        else:
            names[lower] = _("%(low)d to %(high)d days", low=lower, high=upper)
    return names


def band_names() -> dict[str, str]:
    return {
        "under_1h": _("Under 1 hour"),
        "1_4h": _("1 to 4 hours"),
        "4_24h": _("4 to 24 hours"),
        "1_2d": _("1 to 2 days"),
        "2_7d": _("2 to 7 days"),
        "over_7d": _("7 days or more"),
    }


def share(value: float | None) -> str:
    return "–" if value is None else str(format_percent(value, "#,##0 %"))


def hours(minutes: int | None) -> str:
    if minutes is None:
        return "–"
    return _("%(hours)s h", hours=hours_number(minutes))


def hours_number(minutes: int | None) -> str:
    """Hours with one decimal, written the reader's way (the CSV keeps a decimal point)."""
    return "–" if minutes is None else str(format_decimal(minutes / 60, "#,##0.0"))


def dashboard_charts(dashboard: Dashboard) -> dict[str, BarChart]:
    weeks = [week_label(week.monday) for week in dashboard.weeks]
    return {
        "channel": _weekly(Dimension.CHANNEL, _("Cases per week by channel"), dashboard, weeks),
        "kind": _weekly(Dimension.KIND, _("Cases per week by kind of matter"), dashboard, weeks),
        "compliance": _compliance_chart(dashboard, weeks),
        "response": _response_chart(dashboard),
        "age": _age_chart(dashboard),
    }


def _weekly(dimension: Dimension, title: str, dashboard: Dashboard, weeks: list[str]) -> BarChart:
    """Cases per week, stacked by channel or by kind, in the order the categories are named."""
    series = [
        Series(name, tuple(week.counts(dimension).get(key, 0) for week in dashboard.weeks))
        for key, name in category_names()[dimension].items()
    ]
    busiest = max(dashboard.weeks, key=lambda week: week.total, default=None)
    if busiest is None or busiest.total == 0:
        description = _("No cases came in during this period.")
    else:
        description = _(
            "%(total)d cases in %(weeks)d weeks; the busiest was week %(number)d with %(count)d.",
            total=dashboard.received,
            weeks=len(dashboard.weeks),
            number=busiest.monday.isocalendar().week,
            count=busiest.total,
        )
    return bar_chart(
        id=f"chart-{dimension}",
        title=title,
        description=description,
        categories=weeks,
        axis_labels=_week_numbers(dashboard),
        series=series,
        value_text=_whole,
    )


def _compliance_chart(dashboard: Dashboard, weeks: list[str]) -> BarChart:
    shares = tuple(week.compliance.share_in_time or 0.0 for week in dashboard.weeks)
    overall = dashboard.compliance.share_in_time
    if overall is None:
        description = _("No case of this period has reached its deadline yet.")
    else:
        description = _(
            "%(share)s of the cases whose deadline has passed were answered in time.",
            share=share(overall),
        )
    return bar_chart(
        id="chart-compliance",
        title=_("Share answered within the deadline, per week"),
        description=description,
        categories=weeks,
        axis_labels=_week_numbers(dashboard),
        series=[Series(_("Answered within the deadline"), shares)],
        value_text=_percent,
        maximum=1.0,
    )


def _response_chart(dashboard: Dashboard) -> BarChart:
    bands = band_names()
    response = dashboard.response
    if response.answered == 0:
        description = _("No case of this period has been answered yet.")
    else:
        description = _(
            "Median %(median)s, 90th percentile %(p90)s (clock time), over %(count)d answered "
            "cases.",
            median=hours(response.median_wall),
            p90=hours(response.p90_wall),
            count=response.answered,
        )
    return _counts_chart(
        "chart-response",
        _("Time to first response (clock time)"),
        description,
        [(bands[key], count) for key, count in response.bands],
        _("Answered cases"),
    )


def _age_chart(dashboard: Dashboard) -> BarChart:
    names = age_names()
    oldest = next((lower for lower, count in reversed(dashboard.open_by_age) if count), None)
    description = (
        _("No case is open.")
        if oldest is None
        else ngettext(
            "%(num)d case is open; the oldest group is %(group)s.",
            "%(num)d cases are open; the oldest group is %(group)s.",
            dashboard.open_total,
            group=names[oldest].lower(),
        )
    )
    return _counts_chart(
        "chart-age",
        _("Open cases by time since they came in"),
        description,
        [(names[lower], count) for lower, count in dashboard.open_by_age],
        _("Open cases"),
    )


def _counts_chart(
    id: str, title: str, description: str, counts: list[tuple[str, int]], counted: str
) -> BarChart:
    """A plain bar chart of whole counts, a bar per named group; `counted` names the series."""
    return bar_chart(
        id=id,
        title=title,
        description=description,
        categories=[name for name, _count in counts],
        series=[Series(counted, tuple(count for _name, count in counts))],
        value_text=_whole,
    )


def _week_numbers(dashboard: Dashboard) -> list[str]:
    return [str(week.monday.isocalendar().week) for week in dashboard.weeks]


def _whole(value: float) -> str:
    return f"{value:.0f}"


def _percent(value: float) -> str:
    return share(value)
