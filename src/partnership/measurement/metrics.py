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
``pivot`` (an indicator signals a pivot; its message counts the observations it has been
off track for, up to :data:`RUN_MAX`, past which it says "at least") and
``no-indicators`` (an agreed outcome that nothing measures).

A refresh computes the four figures for every indicator at once in SQL
(:func:`figures_sql`), the same arithmetic in the same order as the functions below,
which define them (and compute them for the few indicators the SQL leaves: see
:func:`by_python`).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

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


# -- the built-in figures of every indicator at once, in SQL ---------------------------------

#: the built-in metrics a refresh computes for every indicator at once, in one SQL
#: statement (:func:`figures_sql`), by name, with the function per indicator that defines
#: each: the SQL does the same arithmetic in the same order on the same numbers (IEEE
#: doubles in both; integers exact in both), so it gives the same figures, and a test
#: compares the two on every edge the definitions have
SETWISE: dict[str, Callable[[Series], object]] = {
    "latest": latest, "progress": progress, "status": status, "pivot": pivot}
#: the largest ``pivot_after`` whose steps the SQL writes out; an indicator asking for more
#: gets its pivot from :func:`pivot` (its series read as the host reads it)
PIVOT_LEVELS = 12
#: the day number (``date.toordinal()``) of an ISO date in SQL, as observations.day has it
_DAY = "CAST(julianday({}) - 1721424.5 AS INTEGER)"
#: the share of the planned change at or above which an indicator is on track / at risk
ON_SHARE, AT_SHARE = 1.0 - 1e-9, AT_RISK_SHARE - 1e-9


def _share(n: str, sx: str, sy: str, sxy: str, sxx: str) -> str:
    """SQL for :func:`status_from_sums`'s share of the planned change, operation for
    operation (over ``f``, a row of the figures with b, ch and xt)."""
    m, my = f"({n} + 1)", f"({sy} + f.b)"
    slope = f"(({m} * {sxy} - {sx} * {my}) / ({m} * {sxx} - {sx} * {sx}))"
    return f"((({my} - {slope} * {sx}) / {m} + {slope} * f.xt - f.b) / f.ch)"


def _pivot_case(levels: int) -> str:
    """SQL for :func:`pivot`: off track (not at or above the at-risk share: a NaN share,
    which SQL makes NULL, is off track in both) as of each of the last ``pivot_after``
    observations, removing the newest one at a time from the sums, in the same order."""
    sums = ["f.n", "f.sx", "f.sy", "f.sxy", "f.sxx"]
    # no trend (n = 0: no observation after the baseline date): no pivot
    whens = ["WHEN f.n <= 0 THEN NULL", "WHEN f.n < f.pa OR f.share >= :at THEN 0"]
    for k in range(1, levels):
        x, y = f"(f.day{k - 1} - f.d00)", f"f.value{k - 1}"
        n, sx, sy, sxy, sxx = sums
        sums = [f"({n} - 1)", f"({sx} - {x})", f"({sy} - {y})", f"({sxy} - {x} * {y})",
                f"({sxx} - {x} * {x})"]
        whens += [f"WHEN f.pa <= {k} THEN 1", f"WHEN {_share(*sums)} >= :at THEN 0"]
    return "CASE " + " ".join(whens) + " ELSE 1 END"


#: the most observations on or before its baseline date an indicator may have for the SQL
#: to take them out of its sums (usually there is one, the baseline figure, or none)
BEFORE_MAX = 8
#: whether indicator ``i`` has more than BEFORE_MAX observations on or before its baseline
#: date (a seek and at most BEFORE_MAX + 1 steps)
_MANY_BEFORE = (f"(SELECT count(*) FROM (SELECT 1 FROM observations x WHERE x.indicator = i.slug "
                f"AND x.date <= i.baseline_date LIMIT {BEFORE_MAX + 1})) > {BEFORE_MAX}")


def figures_sql(names: Sequence[str], levels: int, *, select: bool = False) -> str:
    """One statement computing the built-in figures ``names`` (of :data:`SETWISE`) of every
    indicator with observations, from the trend sums kept by triggers and its latest
    observations (a few seeks per indicator, never a pass over the observations), but for
    those whose pivot_after is past :data:`PIVOT_LEVELS` or with more than
    :data:`BEFORE_MAX` observations on or before their baseline date (see :func:`by_python`).

    By default it writes them into ``metric_values`` (parameters: ``now``,
    ``on``, ``at``; and the function ``partnership_progress``, registered by
    :func:`write_figures`). With ``select`` it returns, for each indicator signalling a
    pivot, what :func:`_off_track_run` needs: slug, outcome, baseline, change, the
    target's day, the baseline's day, and the sums n, Σx, Σy, Σxy, Σx².

    ``levels`` is the largest ``pivot_after`` among them: the latest ``levels - 1``
    observations of each indicator whose pivot_after asks for them are read.

    The sums of days are whole numbers in SQLite as in Python (exact while they stay within
    64 bits: a daily series over more than a century and a half would leave them); a NaN,
    which SQL makes NULL, is off track in both."""
    levels = max(1, levels)
    newer = "".join(
        f""",
         CASE WHEN i.pivot_after > {k + 1} THEN (SELECT x.day FROM observations x WHERE x.indicator = i.slug
              ORDER BY x.date DESC LIMIT 1 OFFSET {k}) END AS day{k},
         CASE WHEN i.pivot_after > {k + 1} THEN (SELECT x.value FROM observations x WHERE x.indicator = i.slug
              ORDER BY x.date DESC LIMIT 1 OFFSET {k}) END AS value{k}"""
        for k in range(1, levels - 1))
    # observations on or before the baseline date are taken out of the sums one at a time,
    # in date order, as load_series does (one seek per indicator finds there are none); an
    # indicator with more than BEFORE_MAX of them is left to its functions (by_python): that
    # loop runs several times slower in SQL than in Python (a whole history imported before
    # the baseline made the pivot check 5x slower)
    ctes = f"""WITH RECURSIVE
bef AS MATERIALIZED (
  SELECT i.slug, row_number() OVER (PARTITION BY i.slug ORDER BY o.date) AS k,
         o.day - 730000 AS d, o.value AS y
  FROM indicators i CROSS JOIN observations o ON o.indicator = i.slug AND o.date <= i.baseline_date
  WHERE NOT ({_MANY_BEFORE})),
adj(slug, k, n, sd, sy, sdy, sdd) AS (
  SELECT s.indicator, 0, s.n, s.sd, s.sy, s.sdy, s.sdd FROM observation_sums s
  WHERE s.indicator IN (SELECT slug FROM bef)
  UNION ALL
  SELECT a.slug, b.k, a.n - 1, a.sd - b.d, a.sy - b.y, a.sdy - b.d * b.y, a.sdd - b.d * b.d
  FROM adj a JOIN bef b ON b.slug = a.slug AND b.k = a.k + 1),
adjusted AS MATERIALIZED (
  SELECT a.* FROM adj a JOIN (SELECT slug, max(k) AS k FROM bef GROUP BY slug) l
  ON l.slug = a.slug AND l.k = a.k),
raw AS MATERIALIZED (
  SELECT i.slug, i.outcome, i.baseline AS b, i.target AS t, i.target - i.baseline AS ch,
         i.pivot_after AS pa, {_DAY.format('i.baseline_date')} AS d00,
         {_DAY.format('i.target_date')} - {_DAY.format('i.baseline_date')} AS xt,
         coalesce(a.n, s.n) AS n, coalesce(a.sd, s.sd) AS sd, coalesce(a.sy, s.sy) AS sy,
         coalesce(a.sdy, s.sdy) AS sdy, coalesce(a.sdd, s.sdd) AS sdd,
         o.date AS ld, o.day AS day0, o.value AS value0{newer}
  FROM indicators i JOIN observation_sums s ON s.indicator = i.slug AND s.n != 0
  JOIN observations o ON o.indicator = i.slug
   AND o.date = (SELECT max(x.date) FROM observations x WHERE x.indicator = i.slug)
  LEFT JOIN adjusted a ON a.slug = i.slug
  WHERE i.pivot_after <= {PIVOT_LEVELS} AND NOT ({_MANY_BEFORE})
  ORDER BY i.slug),
sums AS (
  SELECT r.*, r.sd - r.n * (r.d00 - 730000) AS sx, r.sdy - (r.d00 - 730000) * r.sy AS sxy,
         r.sdd - 2 * (r.d00 - 730000) * r.sd + r.n * (r.d00 - 730000) * (r.d00 - 730000) AS sxx
  FROM raw r),
fig AS MATERIALIZED (
  SELECT f.*, CASE WHEN f.n > 0 THEN {_share("f.n", "f.sx", "f.sy", "f.sxy", "f.sxx")} END AS share
  FROM sums f)"""
    if select:  # the indicators signalling a pivot
        return f"""{ctes},
piv AS MATERIALIZED (SELECT f.*, {_pivot_case(levels)} AS pivot FROM fig f)
SELECT p.slug, p.outcome, p.b, p.ch, p.xt, p.d00, p.n, p.sx, p.sy, p.sxy, p.sxx
FROM piv p WHERE p.pivot = 1"""
    branches = {
        "latest": "f.value0",
        "progress": "partnership_progress(f.value0, f.b, f.t, f.n)",
        "status": (f"CASE WHEN f.n <= 0 THEN NULL WHEN f.share >= :on THEN '{ON_TRACK}' "
                   f"WHEN f.share >= :at THEN '{AT_RISK}' ELSE '{OFF_TRACK}' END"),
        "pivot": _pivot_case(levels),
    }
    unknown = set(names) - set(branches)
    if unknown:
        raise ValueError(f"no SQL for the metrics {sorted(unknown)}")
    chosen = sorted(names)  # the order of metric_values' key (indicator, metric, period)
    values = ", ".join(f"('{name}')" for name in chosen)
    cases = " ".join(f"WHEN '{name}' THEN {branches[name]}" for name in chosen)
    # status and pivot have no value without a trend (n = 0); latest always has one, and
    # so has progress, unless it is not finite (then write_figures undoes it all)
    return f"""INSERT INTO metric_values (indicator, metric, period, value, computed_at)
{ctes}
SELECT f.slug, m.column1, f.ld, CASE m.column1 {cases} END, :now
FROM fig f CROSS JOIN (VALUES {values}) m
WHERE f.n > 0 OR m.column1 IN ('latest', 'progress')"""


#: indicators whose figures the SQL leaves to their functions per indicator: those with a
#: pivot_after past PIVOT_LEVELS (the SQL writes out that many steps of the pivot), and those
#: with more than BEFORE_MAX observations on or before their baseline date (see figures_sql)
_BY_PYTHON_SQL = f"SELECT slug FROM indicators i WHERE pivot_after > ? OR {_MANY_BEFORE} ORDER BY slug"


def by_python(conn: sqlite3.Connection) -> list[str]:
    """The indicators (usually none) whose built-in figures are worked out one at a time
    by their functions, not by :func:`figures_sql`."""
    return [r[0] for r in conn.execute(_BY_PYTHON_SQL, [PIVOT_LEVELS])]


def _levels(conn: sqlite3.Connection) -> int:
    """The largest pivot_after the SQL works out (at most :data:`PIVOT_LEVELS`)."""
    return int(conn.execute("SELECT coalesce(max(pivot_after), 1) FROM indicators WHERE pivot_after <= ?",
                            [PIVOT_LEVELS]).fetchone()[0])


def _params(now: str = "") -> dict[str, object]:
    return {"now": now, "on": ON_SHARE, "at": AT_SHARE}


class NotMirrored(Exception):
    """The SQL met a figure it cannot give as the metric's function would (a progress that
    is not a finite number, which the metric reports as a failure): compute the
    built-in figures one indicator at a time instead."""


class _ProgressFunction:
    """:func:`progress` as an SQL function: the same expression in Python, so the same
    float; a result that is not finite (the metric's failure) is noted. It also counts
    the indicators it saw (one call per indicator)."""

    def __init__(self) -> None:
        self.calls = 0
        self.trended = 0
        self.unfinished = 0

    def __call__(self, latest: float, baseline: float, target: float, trend: int) -> float | None:
        self.calls += 1
        self.trended += trend > 0
        value = round((latest - baseline) / (target - baseline) * 100, 1)
        if value - value != 0.0:  # inf or nan
            self.unfinished += 1
            return None
        return value


def write_figures(conn: sqlite3.Connection, today: dt.date, names: Sequence[str], now: str,
                  ) -> dict[str, int]:
    """Write the built-in figures ``names`` of every indicator into ``metric_values``
    (call inside a transaction, after clearing them); how many values of each.

    Raises :class:`NotMirrored` (having written part of them: roll back to a savepoint)
    when a figure is one the SQL cannot give as the metric's function would."""
    check = _ProgressFunction()
    conn.create_function("partnership_progress", 4, check, deterministic=True)
    python = by_python(conn)
    conn.execute(figures_sql(names, _levels(conn)), _params(now))
    if check.unfinished:
        raise NotMirrored(f"progress is not a finite number for {check.unfinished} indicator(s)")
    rows = _by_functions(conn, today, names, python)
    conn.executemany("INSERT INTO metric_values (indicator, metric, period, value, computed_at) "
                     "VALUES (?, ?, ?, ?, ?)", [(*row, now) for row in rows])
    if "progress" in names:
        # progress, called once per indicator, counted them: latest and progress for each,
        # status and pivot for each with a trend
        counted = {name: check.trended if name in ("status", "pivot") else check.calls for name in names}
    else:
        counted = dict(conn.execute(
            "SELECT metric, count(*) FROM metric_values WHERE metric IN (SELECT value FROM json_each(?)) "
            "GROUP BY metric", [json.dumps(list(names))]).fetchall())
        for _, name, _, _ in rows:
            counted[name] -= 1
    for _, name, _, _ in rows:
        counted[name] = counted.get(name, 0) + 1
    return {name: int(counted.get(name, 0)) for name in names}


def _series(conn: sqlite3.Connection, today: dt.date, slugs: Sequence[str]) -> list[Series]:
    """The indicators ``slugs`` as the host reads them for the metrics, with a view."""
    from partnership.metrics import load_series

    if not slugs:
        return []
    view = ReadOnlyView(conn, today)
    out = load_series(conn, today, only=slugs)
    for s in out:
        s.view = view
    return out


def _by_functions(conn: sqlite3.Connection, today: dt.date, names: Sequence[str],
                  slugs: Sequence[str]) -> list[tuple[str, str, str, object]]:
    """The figures ``names`` of the indicators ``slugs`` by their functions per indicator,
    as (indicator, metric, period, value). A figure that is not a number or a word (the
    metric's failure) raises :class:`NotMirrored`."""
    if not slugs:
        return []
    out = []
    for s in _series(conn, today, slugs):
        for name in sorted(names):
            value = SETWISE[name](s)
            if value is None:
                continue
            if isinstance(value, float) and value - value != 0.0:
                raise NotMirrored(f"{name} is not a finite number for indicator {s.indicator.slug}")
            out.append((s.indicator.slug, name, s._period or "", value))
    return out


def _newest_observations(conn: sqlite3.Connection, slugs: Sequence[str], limit: int,
                         ) -> dict[str, list[tuple[int, float]]]:
    """The latest ``limit`` observations of each indicator as (day number, value), newest first."""
    query = "SELECT day, value FROM observations WHERE indicator = ? ORDER BY date DESC LIMIT ?"
    return {slug: conn.execute(query, [slug, limit]).fetchall() for slug in slugs}


def _off_track_run(baseline: float, change: float, x_target: int, start: int,
                   sums: tuple[Any, ...], newest: Iterable[tuple[int, float]], limit: int) -> int:
    """:func:`off_track_run` from the sums and the newest observations given (at most
    ``limit`` of them counted): the same steps, the same arithmetic."""
    n, sx, sy, sxy, sxx = sums
    off_below = AT_SHARE
    run = 0
    for day, y in newest:
        if run >= limit:
            break
        x = day - start
        if x <= 0 or n <= 0:
            break
        m, my = n + 1, sy + baseline
        slope = (m * sxy - sx * my) / (m * sxx - sx * sx)
        if ((my - slope * sx) / m + slope * x_target - baseline) / change >= off_below:
            break
        run += 1
        n, sx, sy, sxy, sxx = n - 1, sx - x, sy - y, sxy - x * y, sxx - x * x
    return run


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


#: the longest run the pivot check counts: past it, its message says "at least" (an
#: indicator off track for longer than this has said so for two years of monthly figures;
#: counting further back would read every observation of every such indicator)
RUN_MAX = 24


def pivot_signals(view: ReadOnlyView) -> Iterator[Finding]:
    conn = view._conn
    # (slug, outcome, baseline, change, x_target, start, (n, Σx, Σy, Σxy, Σx²)) of each
    # indicator signalling a pivot
    pivoting = [(*r[:6], tuple(r[6:])) for r in conn.execute(
        figures_sql(("pivot",), _levels(conn), select=True), _params())]
    for s in _series(conn, view.today, by_python(conn)):
        if pivot(s) == 1 and s._sums is not None:
            ind = s.indicator
            pivoting.append((ind.slug, ind.outcome, ind.baseline, ind.target - ind.baseline,
                             (ind.target_date - ind.baseline_date).days,
                             ind.baseline_date.toordinal(), s._sums))
    pivoting.sort()
    newest = _newest_observations(conn, [r[0] for r in pivoting], RUN_MAX)
    for slug, outcome, b, change, x_target, start, sums in pivoting:
        run = _off_track_run(b, change, x_target, start, sums, newest[slug], RUN_MAX)
        counted = f"at least its last {run}" if run == RUN_MAX and sums[0] > RUN_MAX else f"its last {run}"
        yield Finding(
            rule="pivot", subject=f"outcome {outcome}", step=4, severity=Severity.WARNING,
            message=f"indicator {slug} has been off track for {counted} "
                    f"observations: time to pivot on {outcome}",
            advice="agree what the partners will do differently, and record why with "
                   f"'partnership story add {slug} \"...\" --kind next'",
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
