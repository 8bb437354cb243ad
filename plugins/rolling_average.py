"""Example metric plugin: the rolling average of an indicator's last four observations.

Smooths out a noisy quarterly figure so a trend is easier to see on the dashboard.
For every observation from the fourth on, it gives the mean of that observation and
the three before it, keyed by the observation's date (a series of values, one per period).

Try it without installing anything::

    partnership --plugins-dir plugins/ refresh
    partnership --plugins-dir plugins/ indicator show repeat-victims --json
"""

from __future__ import annotations

from partnership import Metric, Series, hookimpl

#: how many observations each average covers
WINDOW = 4


def rolling_average(series: Series) -> dict[str, float] | None:
    """``{date: mean of the WINDOW observations up to that date}``, or None if too few."""
    values = series.values
    if len(values) < WINDOW:
        return None
    total = sum(values[:WINDOW])
    out = {series.dates[WINDOW - 1].isoformat(): round(total / WINDOW, 2)}
    for i in range(WINDOW, len(values)):
        total += values[i] - values[i - WINDOW]
        out[series.dates[i].isoformat()] = round(total / WINDOW, 2)
    return out


@hookimpl
def register_metrics(register):  # type: ignore[no-untyped-def]
    register(Metric(
        name="rolling-average",
        description=f"Mean of the last {WINDOW} observations, for every observation from the "
                    f"{WINDOW}th on.",
        unit="same as indicator",
        compute=rolling_average,
    ))
