"""Metrics: named figures computed from the observations, by built-ins and plugins alike.

A plugin registers metrics through the ``register_metrics`` hook::

    from partnership import Metric, hookimpl

    @hookimpl
    def register_metrics(register):
        register(Metric(name="rolling-average", description="...", unit="same as indicator",
                        compute=rolling_average))

An *indicator* metric's ``compute(series)`` receives a :class:`Series` (the indicator,
its observation dates and values oldest first, today's date and a read-only ``view``)
and returns ``None`` (no figure), a number, a word, or a mapping of period (an ISO date)
to number or word. A *partnership* metric (``scope="partnership"``) gets the
:class:`~partnership.readonly.ReadOnlyView` and returns the same.

:func:`refresh` computes every metric once into ``metric_values``. A metric that raises,
returns the wrong type or runs past its time limit is recorded in ``metric_runs`` with
its plugin's name and the error; every other metric still computes. Plugin metrics run
in a worker thread over their own read-only connection (``mode=ro``), so a hanging one
is abandoned after the time limit (``PARTNERSHIP_PLUGIN_TIME_LIMIT`` seconds, default 10).
This holds on every path: on an in-memory database or inside an open transaction the
connection is a private read-only copy of what the caller sees (see
:mod:`partnership.readonly`).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from attrs import define, field

from . import validators as v
from .readonly import DEFAULT_TIME_LIMIT, PluginTimedOut, ReadOnlyView, Sandbox

if TYPE_CHECKING:
    import pluggy

    from .api import Partnership
    from .measurement.service import Indicator

__all__ = ["Metric", "Series", "MetricRun", "RefreshResult", "collect_metrics", "refresh",
           "is_fresh", "status", "DEFAULT_TIME_LIMIT"]

SCOPES = ("indicator", "partnership")


def _name(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    v.check_slug(f"metric {attribute.name}", value)


@define(frozen=True, kw_only=True)
class Metric:
    """A named figure: ``compute(series)`` per indicator, or ``compute(view)`` for the
    partnership (``scope="partnership"``)."""

    name: str = field(validator=_name)
    description: str = field(validator=v.text)
    compute: Callable[[Any], Any]
    #: what the figure is counted in: "%", "status", "same as indicator", ...
    unit: str = ""
    scope: str = field(default="indicator", validator=attrs.validators.in_(SCOPES))
    #: filled in when registered: the plugin that registered it
    plugin: str = ""


class Series:
    """What an indicator metric sees: one indicator and its observations, oldest first.

    ``dates`` and ``values`` are read from the database the first time they are used
    (through the read-only ``view``), so a metric that only needs ``latest`` or
    ``tail(n)`` stays fast over millions of observations.
    """

    __slots__ = ("indicator", "today", "view", "cache", "_dates", "_values", "_latest",
                 "_count", "_sums")

    def __init__(self, indicator: Indicator, dates: list[dt.date] | None = None,
                 values: list[float] | None = None, today: dt.date | None = None,
                 view: ReadOnlyView | None = None, cache: dict[str, Any] | None = None, *,
                 latest: tuple[dt.date, float] | None = None, count: int | None = None,
                 sums: tuple[int, float, float, float, float] | None = None) -> None:
        self.indicator = indicator
        self.today = today or dt.date.today()
        self.view = view
        #: shared between the metrics of one refresh, to reuse work
        self.cache = {} if cache is None else cache
        self._dates = None if dates is None else list(dates)
        self._values = None if values is None else [float(x) for x in values]
        self._latest = latest
        self._count = count
        #: least-squares sums over observations after the baseline date (n, Σx, Σy, Σxy, Σx²),
        #: x in days since the baseline date; computed by the host in one SQL pass
        self._sums = sums

    def _load(self) -> tuple[list[dt.date], list[float]]:
        if self.view is None:
            raise RuntimeError("this series has no observations loaded and no view to read them")
        rows = self.view.query(
            "SELECT date, value FROM observations WHERE indicator = ? ORDER BY date",
            [self.indicator.slug])
        fromiso = dt.date.fromisoformat
        return [fromiso(r["date"]) for r in rows], [r["value"] for r in rows]

    @property
    def dates(self) -> list[dt.date]:
        """The dates of the observations, oldest first."""
        if self._dates is None:
            self._dates, self._values = self._load()
        return self._dates

    @property
    def values(self) -> list[float]:
        """The observed values, in the order of :attr:`dates`."""
        if self._values is None:
            self._dates, self._values = self._load()
        return self._values

    def __len__(self) -> int:
        if self._values is None and self._count is not None:
            return self._count
        return len(self.values)

    @property
    def points(self) -> list[tuple[dt.date, float]]:
        return list(zip(self.dates, self.values, strict=False))

    @property
    def latest(self) -> tuple[dt.date, float] | None:
        """``(date, value)`` of the latest observation, or None."""
        if self._values is None and self._count is not None:
            return self._latest
        return (self.dates[-1], self.values[-1]) if self.values else None

    def tail(self, n: int) -> list[tuple[dt.date, float]]:
        """The latest ``n`` observations as ``(date, value)``, oldest first."""
        if self._values is None and self.view is not None:
            rows = self.view.query(
                "SELECT date, value FROM observations WHERE indicator = ? ORDER BY date DESC "
                "LIMIT ?", [self.indicator.slug, n])
            return [(dt.date.fromisoformat(r["date"]), r["value"]) for r in reversed(rows)]
        return self.points[-n:] if n > 0 else []

    def copy(self, view: ReadOnlyView | None) -> Series:
        """The same series for another reader (each plugin gets its own copy)."""
        return Series(self.indicator, self._dates, self._values, self.today, view, self.cache,
                      latest=self._latest, count=self._count, sums=self._sums)

    def __repr__(self) -> str:
        return f"Series({self.indicator.slug!r}, {len(self)} observations)"


@define(kw_only=True)
class MetricRun:
    """The outcome of computing one metric: its values, or the error that stopped it."""

    metric: str
    plugin: str
    ok: bool = True
    error: str = ""
    seconds: float = 0.0
    values: list[tuple[str, str, Any]] = field(factory=list, repr=False)


@define(kw_only=True)
class RefreshResult:
    as_of: str
    runs: list[MetricRun]
    values: int

    @property
    def problems(self) -> list[MetricRun]:
        return [r for r in self.runs if not r.ok]


# -- collecting ------------------------------------------------------------------------

def collect_metrics(pm: pluggy.PluginManager) -> list[Metric]:
    """Every metric registered through the hook, with the plugin that registered it.

    A registration that is not a :class:`Metric`, or a name registered twice, is a
    :class:`PluginError` naming the plugin(s)."""
    from .checks import collect_registrations

    return collect_registrations(pm.hook.register_metrics, Metric, "metric")


# -- computing ---------------------------------------------------------------------------

def _period(key: Any) -> str:
    if isinstance(key, dt.datetime):
        return key.date().isoformat()
    if isinstance(key, dt.date):
        return key.isoformat()
    if isinstance(key, str) and 0 < len(key) <= 64:
        return key
    raise TypeError(f"returned a period {key!r}; periods are dates or short text")


def _value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise TypeError(f"returned {value!r}; figures must be finite numbers")
        return value
    if isinstance(value, str) and len(value) <= 200:
        return value
    raise TypeError(f"returned {type(value).__name__} {value!r:.60}, not a number, a word or "
                    f"a mapping of period to value")


def normalise(result: Any, default_period: str) -> list[tuple[str, Any]]:
    """A metric's result as ``(period, value)`` pairs; TypeError for anything else."""
    if result is None:
        return []
    if isinstance(result, Mapping):
        return [(_period(k), _value(val)) for k, val in result.items() if val is not None]
    return [(default_period, _value(result))]


def _compute(metric: Metric, series: list[Series] | None, view: ReadOnlyView,
             today: dt.date) -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    if metric.scope == "partnership":
        for period, value in normalise(metric.compute(view), today.isoformat()):
            out.append(("", period, value))
        return out
    compute = metric.compute
    for s in series or ():
        s.view = view
        result = compute(s)
        if result is None:
            continue
        latest = s.latest
        default = latest[0].isoformat() if latest else today.isoformat()
        kind = type(result)
        if (kind is float and math.isfinite(result)) or kind is int or (kind is str and len(result) <= 200):
            out.append((s.indicator.slug, default, result))  # the common case, checked inline
            continue
        slug = s.indicator.slug
        for period, value in normalise(result, default):
            out.append((slug, period, value))
    return out


#: day numbers are taken relative to this one (2000-01-01 is 730120) to keep sums small
DAY0 = 730000
#: per indicator: the count and the least-squares sums of (day - DAY0, value) over all
#: observations, kept up to date by triggers on ``observations`` (see schema m020)
SUMS_SQL = "SELECT indicator, n, sd, sy, sdy, sdd FROM observation_sums WHERE n > 0"
#: per indicator: the latest observation (a seek on the primary key per indicator)
LATEST_SQL = """
SELECT i.slug, o.date, o.value FROM indicators i CROSS JOIN observations o
ON o.indicator = i.slug AND o.date = (SELECT max(date) FROM observations WHERE indicator = i.slug)
"""
#: observations on or before the baseline date, left out of the trend (usually none)
BEFORE_SQL = """
SELECT i.slug, o.day, o.value FROM indicators i CROSS JOIN observations o
ON o.indicator = i.slug AND o.date <= i.baseline_date
"""


def _indicators(p: Partnership | sqlite3.Connection) -> list[Indicator]:
    """Every indicator, rebuilt from rows that were validated when written (without
    running ``__init__`` again: ten thousand indicators in milliseconds)."""
    from .measurement.service import Indicator
    from .records import _field_types

    conn = p if isinstance(p, sqlite3.Connection) else p.store.conn
    types = _field_types(Indicator)
    names = list(types)
    cursor = conn.execute(
        f"SELECT {', '.join(f'[{n}]' for n in names)} FROM indicators ORDER BY slug")
    plain = [i for i, n in enumerate(names) if types[n] is None]
    dates = [i for i, n in enumerate(names) if types[n] is dt.date]
    enums = [(i, kind) for i, kind in enumerate(types.values())
             if kind is not None and kind is not dt.date]
    setattr_ = object.__setattr__
    fromiso = dt.date.fromisoformat
    out = []
    for row in cursor:
        ind = object.__new__(Indicator)
        for i in plain:
            setattr_(ind, names[i], row[i])
        for i in dates:
            setattr_(ind, names[i], fromiso(row[i]))
        for i, kind in enums:
            setattr_(ind, names[i], None if row[i] is None else kind(row[i]))
        out.append(ind)
    return out


def load_series(p: Partnership | sqlite3.Connection, today: dt.date) -> list[Series]:
    """Every indicator as a :class:`Series`, with its latest observation and the sums of
    its trend read in three SQL passes; the observations themselves load when a metric asks.
    ``p`` is a partnership or a connection to its database."""
    conn = p if isinstance(p, sqlite3.Connection) else p.store.conn
    sums = {r[0]: r for r in conn.execute(SUMS_SQL)}
    latest = {r[0]: (dt.date.fromisoformat(r[1]), r[2]) for r in conn.execute(LATEST_SQL)}
    before: dict[str, list[tuple[int, float]]] = {}
    for slug, day, value in conn.execute(BEFORE_SQL):
        before.setdefault(slug, []).append((day, value))
    out = []
    for ind in _indicators(conn):
        row = sums.get(ind.slug)
        if row is None:
            out.append(Series(ind, [], [], today))
            continue
        _, count, sd, sy, sdy, sdd = row
        n = count
        for day, value in before.get(ind.slug, ()):  # take them out of the sums
            day -= DAY0
            n, sd, sy, sdy, sdd = n - 1, sd - day, sy - value, sdy - day * value, sdd - day * day
        # shift x from day numbers to days since the baseline date: x = day - d0
        d0 = ind.baseline_date.toordinal() - DAY0
        sx = sd - n * d0
        sxy = sdy - d0 * sy
        sxx = sdd - 2 * d0 * sd + n * d0 * d0
        out.append(Series(ind, None, None, today, latest=latest[ind.slug], count=count,
                          sums=(n, sx, sy, sxy, sxx)))
    return out


def run_metrics(p: Partnership, metrics: Iterable[Metric], *, time_limit: float | None = None,
                ) -> list[MetricRun]:
    """Compute each metric; a failure becomes a :class:`MetricRun` with ``ok=False``."""
    metrics = list(metrics)
    today = p.today()
    series = load_series(p, today) if any(m.scope == "indicator" for m in metrics) else []
    main_view = ReadOnlyView(p.store.conn, today)
    # plugin code never gets the main connection, on any path (see partnership.readonly)
    sandbox = Sandbox(p.store.path, p.store.conn, time_limit)
    runs = []
    for metric in metrics:
        run = MetricRun(metric=metric.name, plugin=metric.plugin)
        started = time.perf_counter()

        def compute(conn: sqlite3.Connection, metric: Metric = metric) -> list[tuple[str, str, Any]]:
            if conn is p.store.conn:
                return _compute(metric, series, main_view, today)
            view = ReadOnlyView(conn, today)
            # each plugin gets its own Series objects (sharing the data, read-only by contract)
            return _compute(metric, [s.copy(view) for s in series], view, today)

        try:
            run.values = sandbox.run(metric.plugin, metric.name, compute)
        except Exception as exc:  # noqa: BLE001 - a plugin's failure is reported, not raised
            run.ok, run.values = False, []
            run.error = str(exc) if isinstance(exc, PluginTimedOut) else f"{type(exc).__name__}: {exc}"
        run.seconds = round(time.perf_counter() - started, 4)
        runs.append(run)
    return runs


def refresh(p: Partnership, *, time_limit: float | None = None) -> RefreshResult:
    """Compute every metric into ``metric_values`` (one transaction, no change-log entry:
    the values are derived, not changed by anyone)."""
    from .store import now_utc

    metrics = collect_metrics(p.plugin_manager)
    runs = run_metrics(p, metrics, time_limit=time_limit)
    as_of = p.today().isoformat()
    at = now_utc()
    conn = p.store.conn
    with p.store.transaction():
        change_id = conn.execute("SELECT coalesce(max(id), 0) FROM changes").fetchone()[0]
        conn.execute("DELETE FROM metric_values")
        conn.execute("DELETE FROM metric_runs")
        total = 0
        for run in runs:
            conn.executemany(
                "INSERT OR REPLACE INTO metric_values (metric, indicator, period, value, computed_at) "
                "VALUES (?, ?, ?, ?, ?)",
                ((run.metric, ind, period, value, at) for ind, period, value in run.values))
            total += len(run.values)
            conn.execute(
                "INSERT INTO metric_runs (metric, plugin, ok, error, values_written, seconds, "
                "computed_at, as_of, change_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run.metric, run.plugin, int(run.ok), run.error, len(run.values), run.seconds,
                 at, as_of, change_id])
    return RefreshResult(as_of=as_of, runs=runs, values=total)


def last_result(p: Partnership) -> RefreshResult:
    """The last refresh, as recorded in ``metric_runs`` (without the values themselves)."""
    rows = p.store.query("SELECT * FROM metric_runs ORDER BY rowid")
    runs = [MetricRun(metric=r["metric"], plugin=r["plugin"], ok=bool(r["ok"]), error=r["error"],
                      seconds=r["seconds"]) for r in rows]
    total = sum(r["values_written"] for r in rows)
    return RefreshResult(as_of=rows[0]["as_of"] if rows else "", runs=runs, values=total)


def is_fresh(p: Partnership) -> bool:
    """Whether ``metric_values`` reflects every change, today's date and today's plugins."""
    conn = p.store.conn
    runs = conn.execute("SELECT metric, as_of, change_id FROM metric_runs").fetchall()
    if not runs:
        return False
    last = conn.execute("SELECT coalesce(max(id), 0) FROM changes").fetchone()[0]
    today = p.today().isoformat()
    if any(r[1] != today or r[2] != last for r in runs):
        return False
    names = {m.name for m in collect_metrics(p.plugin_manager)}
    return names == {r[0] for r in runs}


def last_problems(db_path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Metrics that failed at the last refresh of the database at ``db_path`` (none if
    there is no such database or it was never refreshed); read-only."""
    path = Path(db_path)
    if not path.is_file():
        return []
    try:
        conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            rows = conn.execute(
                "SELECT metric, plugin, error FROM metric_runs WHERE ok = 0 ORDER BY metric").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return []
    return [{"metric": m, "plugin": pl, "error": e} for m, pl, e in rows]


# -- status -------------------------------------------------------------------------------

_RANK = {"off-track": 3, "at-risk": 2, "on-track": 1}


def status(p: Partnership, *, auto_refresh: bool = True) -> dict[str, Any]:
    """Every outcome with its indicators, their figures, status, pivot signal, freshness
    and latest story notes, read from ``metric_values`` (refreshed first if out of date)."""
    from .measurement.service import Frequency

    if auto_refresh and not is_fresh(p):
        refresh(p)
    q = p.store.query
    today = p.today()
    latest = {r["indicator"]: r["d"] for r in q(
        "SELECT indicator, max(date) AS d, count(*) AS n FROM observations GROUP BY indicator")}
    notes: dict[str, list[dict[str, Any]]] = {}
    for r in q("SELECT indicator, date, kind, text FROM story_notes ORDER BY indicator, date DESC, id DESC"):
        if len(notes.setdefault(r["indicator"], [])) < 3:
            notes[r["indicator"]].append({"date": r["date"], "kind": r["kind"], "text": r["text"]})
    rows = q("""SELECT s.*, i.title, i.frequency, i.source, i.activity, i.rba, i.pivot_after
                FROM indicator_status s JOIN indicators i ON i.slug = s.indicator
                ORDER BY s.outcome, s.indicator""")
    by_outcome: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        last = latest.get(r["indicator"])
        due = dt.date.fromisoformat(last or r["baseline_date"]) + dt.timedelta(
            days=Frequency(r["frequency"]).days)
        by_outcome.setdefault(r["outcome"], []).append({
            "indicator": r["indicator"], "title": r["title"], "unit": r["unit"],
            "direction": r["direction"], "baseline": r["baseline"],
            "baseline_date": r["baseline_date"], "target": r["target"],
            "target_date": r["target_date"], "frequency": r["frequency"],
            "latest": r["latest"], "latest_date": r["latest_date"],
            "progress": r["progress"], "status": r["status"],
            "pivot": bool(r["pivot"]) if r["pivot"] is not None else False,
            "pivot_after": r["pivot_after"],
            "headline_metric": r["headline_metric"], "headline": r["headline"],
            "stale": due < today, "next_due": due.isoformat(),
            "activity": r["activity"], "rba": r["rba"], "story": notes.get(r["indicator"], []),
        })
    outcomes = []
    for o in q("SELECT slug, title, status FROM outcomes ORDER BY slug"):
        inds = by_outcome.get(o["slug"], [])
        ranked = [i["status"] for i in inds if i["status"] in _RANK]
        outcomes.append({
            "outcome": o["slug"], "title": o["title"], "outcome_status": o["status"],
            "status": max(ranked, key=_RANK.__getitem__) if ranked else None,
            "pivot": any(i["pivot"] for i in inds),
            "stale": [i["indicator"] for i in inds if i["stale"]],
            "indicators": inds,
        })
    runs = q("SELECT metric, plugin, ok, error, computed_at, as_of FROM metric_runs ORDER BY metric")
    problems = [{"metric": r["metric"], "plugin": r["plugin"], "error": r["error"]}
                for r in runs if not r["ok"]]
    partnership_metrics = q(
        "SELECT metric, period, value FROM metric_values WHERE indicator = '' ORDER BY metric, period")
    return {
        "as_of": today.isoformat(),
        "computed_at": runs[0]["computed_at"] if runs else None,
        "outcomes": outcomes,
        "partnership_metrics": partnership_metrics,
        "metric_problems": problems,
    }
