"""Built-in metrics and checks of step 4, registered through the same hooks as plugins'.

Metrics (per indicator):

* ``latest``: the latest observed value.
* ``progress``: how far the latest value has moved from the baseline toward the target,
  in percent (0 at the baseline, 100 at the target, negative when it went the wrong way).
* ``status``: the trajectory status. A straight line is fitted (least squares) through
  the baseline and every observation after the baseline date, and projected to the
  target date. If the projection reaches the target the indicator is ``on-track``; if it
  covers at least :data:`AT_RISK_SHARE` (75%) of the change from baseline to target it
  is ``at-risk``; otherwise ``off-track``. No observation after the baseline: no status.
* ``pivot``: 1 when the status, taken as of each observation in turn, has been
  off track for the last ``pivot_after`` observations (3 unless the indicator says
  otherwise): the partners should change what they are doing. Otherwise 0.

Checks: ``stale-indicator`` (no observation within the reporting frequency),
``pivot`` (an indicator signals a pivot) and ``no-indicators`` (an agreed outcome that
nothing measures).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from partnership.checks import Check, Finding, Severity
from partnership.metrics import Metric, Series
from partnership.readonly import ReadOnlyView

if TYPE_CHECKING:
    from .service import Indicator

ON_TRACK = "on-track"
AT_RISK = "at-risk"
OFF_TRACK = "off-track"
#: share of the planned change the projected trend must cover to be at risk, not off track
AT_RISK_SHARE = 0.75


def latest(series: Series) -> float | None:
    found = series.latest
    return found[1] if found else None


def progress(series: Series) -> float | None:
    found = series.latest
    if not found:
        return None
    ind = series.indicator
    return round((found[1] - ind.baseline) / (ind.target - ind.baseline) * 100, 1)


def classify(share: float) -> str:
    """The status for a projected share of the planned change (1.0 = the target)."""
    if share >= 1.0 - 1e-9:
        return ON_TRACK
    if share >= AT_RISK_SHARE - 1e-9:
        return AT_RISK
    return OFF_TRACK


Sums = tuple[int, float, float, float, float]


def trend_sums(series: Series) -> Sums:
    """(n, Σx, Σy, Σxy, Σx²) over the observations after the baseline date, x in days
    since the baseline date (the host computes them in SQL; otherwise from the series)."""
    if series._sums is not None:
        return series._sums
    start = series.indicator.baseline_date.toordinal()
    n, sx, sy, sxy, sxx = 0, 0.0, 0.0, 0.0, 0.0
    for d, y in zip(series.dates, series.values, strict=True):
        x = d.toordinal() - start
        if x > 0:
            n, sx, sy, sxy, sxx = n + 1, sx + x, sy + y, sxy + x * y, sxx + x * x
    return n, sx, sy, sxy, sxx


def status_from_sums(ind: Indicator, n: int, sx: float, sy: float, sxy: float, sxx: float) -> str | None:
    """The status from the trend through (0, baseline) and the observations' sums."""
    if n <= 0:
        return None
    baseline, change = ind.baseline, ind.target - ind.baseline
    x_target = (ind.target_date - ind.baseline_date).days
    n, sy = n + 1, sy + baseline  # the baseline point (0, baseline)
    slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
    projected = (sy - slope * sx) / n + slope * x_target
    return classify((projected - baseline) / change)


def statuses(series: Series) -> list[str | None]:
    """The trajectory status as of each observation (None on or before the baseline date)."""
    cached: list[str | None] | None = series.cache.get("statuses")
    if cached is not None:
        return cached
    ind = series.indicator
    start = ind.baseline_date.toordinal()
    n, sx, sy, sxy, sxx = 0, 0.0, 0.0, 0.0, 0.0
    out: list[str | None] = []
    for d, y in zip(series.dates, series.values, strict=True):
        x = d.toordinal() - start
        if x <= 0:
            out.append(None)
            continue
        n, sx, sy, sxy, sxx = n + 1, sx + x, sy + y, sxy + x * y, sxx + x * x
        out.append(status_from_sums(ind, n, sx, sy, sxy, sxx))
    series.cache["statuses"] = out
    return out


def status(series: Series) -> str | None:
    return status_from_sums(series.indicator, *trend_sums(series))


def off_track_run(series: Series) -> int:
    """How many of the latest observations in a row were off track.

    Like :func:`pivot`, works back from the sums of the whole series when the host read
    them, removing one observation at a time, newest first, and stops at the first that
    was not off track: only the observations of the run itself are read."""
    if series._sums is None or series._values is not None:  # the series is in memory anyway
        run = 0
        for s in reversed(statuses(series)):
            if s != OFF_TRACK:
                break
            run += 1
        return run
    ind = series.indicator
    n, sx, sy, sxy, sxx = series._sums
    start = ind.baseline_date.toordinal()
    # status_from_sums(...) == OFF_TRACK, the same arithmetic inlined (it runs per observation)
    baseline, change = ind.baseline, ind.target - ind.baseline
    x_target = (ind.target_date - ind.baseline_date).days
    off_below = AT_RISK_SHARE - 1e-9
    run = 0
    for chunk in _newest_first(series):
        for day, y in chunk:
            x = day - start
            if x <= 0 or n <= 0:
                return run
            m, my = n + 1, sy + baseline
            slope = (m * sxy - sx * my) / (m * sxx - sx * sx)
            if ((my - slope * sx) / m + slope * x_target - baseline) / change >= off_below:
                return run
            run += 1
            n, sx, sy, sxy, sxx = n - 1, sx - x, sy - y, sxy - x * y, sxx - x * x
    return run


def _newest_first(series: Series) -> Iterator[list[tuple[int, float]]]:
    """The observations as ``(day number, value)``, newest first, in growing chunks: the
    latest few the host read, then the rest from the database for as long as asked."""
    tail = series._tail or []
    yield [(day, value) for _, day, value in reversed(tail)]
    if not tail or len(tail) >= len(series) or series.view is None:
        return
    cursor = series.view._conn.execute(
        "SELECT day, value FROM observations WHERE indicator = ? AND date < ? ORDER BY date DESC",
        [series.indicator.slug, tail[0][0]])
    size = 64
    while chunk := cursor.fetchmany(size):
        yield chunk
        size *= 4


def pivot(series: Series) -> int | None:
    """1 if the status as of each of the last ``pivot_after`` observations is off track.

    Works back from the sums of the whole series, removing one observation at a time,
    so only the last few observations are read."""
    ind = series.indicator
    n, sx, sy, sxy, sxx = trend_sums(series)
    current = status_from_sums(ind, n, sx, sy, sxy, sxx)
    if current is None:
        return None
    if current != OFF_TRACK or n < ind.pivot_after:
        return 0
    start = ind.baseline_date.toordinal()
    for day, y in reversed(series.tail_days(ind.pivot_after)):
        x = day - start
        if x <= 0 or status_from_sums(ind, n, sx, sy, sxy, sxx) != OFF_TRACK:
            return 0
        n, sx, sy, sxy, sxx = n - 1, sx - x, sy - y, sxy - x * y, sxx - x * x
    return 1


def register_metrics(register: Callable[[Metric], None]) -> None:
    register(Metric(name="latest", unit="same as indicator", compute=latest,
                    description="The latest observed value."))
    register(Metric(name="progress", unit="%", compute=progress,
                    description="Progress of the latest value from the baseline toward the "
                                "target, in percent."))
    register(Metric(name="status", unit="status", compute=status,
                    description="On track, at risk or off track: the trend through the baseline "
                                "and observations, projected to the target date."))
    register(Metric(name="pivot", unit="yes (1) or no (0)", compute=pivot,
                    description="1 when the indicator has been off track for its last "
                                "pivot_after observations (default 3): time to pivot."))


# -- checks -------------------------------------------------------------------------------

FREQUENCY_DAYS = {"weekly": 7, "monthly": 31, "quarterly": 92, "annual": 366}


def stale_indicators(view: ReadOnlyView) -> Iterator[Finding]:
    rows = view.query(
        """SELECT i.slug, i.outcome, i.frequency, i.baseline_date,
                  (SELECT max(date) FROM observations o WHERE o.indicator = i.slug) AS last
           FROM indicators i JOIN outcomes oc ON oc.slug = i.outcome
           WHERE oc.status NOT IN ('dropped', 'achieved') ORDER BY i.slug""")
    for r in rows:
        since = r["last"] or r["baseline_date"]
        due = dt.date.fromisoformat(since) + dt.timedelta(days=FREQUENCY_DAYS[r["frequency"]])
        if due < view.today:
            what = f"no observation since {r['last']}" if r["last"] else "no observation yet"
            yield Finding(
                rule="stale-indicator", subject=f"indicator {r['slug']}", step=4,
                severity=Severity.WARNING,
                message=f"indicator {r['slug']} ({r['outcome']}) is stale: {what}, and it is "
                        f"reported {r['frequency']} (due by {due.isoformat()})",
                advice=f"a figure nobody updates is not a measure; record the latest with "
                       f"'partnership observe {r['slug']} VALUE --date YYYY-MM-DD'",
            )


def pivot_signals(view: ReadOnlyView) -> Iterator[Finding]:
    from partnership.metrics import load_series

    # the trend sums kept per indicator: one row per indicator, whatever the observations
    for s in load_series(view._conn, view.today):
        s.view = view
        if not pivot(s):
            continue
        ind = s.indicator
        yield Finding(
            rule="pivot", subject=f"outcome {ind.outcome}", step=4, severity=Severity.WARNING,
            message=f"indicator {ind.slug} has been off track for its last {off_track_run(s)} "
                    f"observations: time to pivot on {ind.outcome}",
            advice="agree what the partners will do differently, and record why with "
                   f"'partnership story add {ind.slug} \"...\" --kind next'",
        )


def no_indicators(view: ReadOnlyView) -> Iterator[Finding]:
    rows = view.query(
        """SELECT slug FROM outcomes o WHERE status = 'agreed'
           AND NOT EXISTS (SELECT 1 FROM indicators i WHERE i.outcome = o.slug) ORDER BY slug""")
    for r in rows:
        yield Finding(
            rule="no-indicators", subject=f"outcome {r['slug']}", step=4,
            severity=Severity.WARNING,
            message=f"nothing measures whether outcome {r['slug']} is being achieved",
            advice=f"add an indicator with 'partnership indicator add SLUG --outcome {r['slug']} ...'",
        )


def register_checks(register: Callable[[Check], None]) -> None:
    register(Check(name="stale-indicator", step=4, run=stale_indicators,
                   description="Every indicator has an observation within its reporting frequency."))
    register(Check(name="pivot", step=4, run=pivot_signals,
                   description="No indicator has stayed off track long enough to call for a pivot."))
    register(Check(name="no-indicators", step=4, run=no_indicators,
                   description="Every agreed outcome has at least one indicator."))
