"""Metrics: named figures computed from the observations, by built-ins and plugins alike.

A plugin registers metrics through the ``register_metrics`` hook::

    from partnership import Metric, hookimpl

    @hookimpl
    def register_metrics(register):
        register(Metric(name="rolling-average", description="...", unit="same as indicator",
                        compute=rolling_average))

An *indicator* metric's ``compute(series)`` receives a :class:`Series` (the indicator,
its observation dates and values oldest first, today's date and a read-only ``view``);
a *partnership* metric (``scope="partnership"``) gets the
:class:`~partnership.readonly.ReadOnlyView`. Either returns one of :data:`RESULT_TYPES`:
``None`` (no figure), a number, a word of at most :data:`WORD_MAX` characters, or a
series (a mapping of period to number or word, at most :data:`SERIES_MAX` periods).
Anything else is a :class:`MetricResultError` saying which limit it broke: a failure
of that metric, never of the command.

:func:`refresh` computes every metric once into ``metric_values``. A metric that
raises, returns what the types do not allow or runs past its time limit is recorded
in ``metric_runs`` with its plugin, the indicator it failed on and a one-line message
(:attr:`MetricRun.message`: plugin, metric, indicator, why, the way out); every other
metric still computes, and what the failed one could not recompute keeps its last good
values, marked ``stale``. Plugin metrics run in a worker thread over their own
read-only connection (``mode=ro``), so a hanging one is abandoned after the time limit
(``PARTNERSHIP_PLUGIN_TIME_LIMIT`` seconds, default 10); this holds on every path: on
an in-memory database or inside an open transaction the connection is a private
read-only copy of what the caller sees (see :mod:`partnership.readonly`).

Each run records its plugin's fingerprint (:func:`partnership.plugins.plugin_fingerprint`:
a package's version, a plugin file's content hash): a plugin that changed makes the
figures out of date (:func:`is_fresh`), and :func:`status` marks them stale until a
refresh recomputes them. :func:`status` reads only stored figures.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import gc
import json
import math
import numbers
import operator
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from attrs import define, field

from . import validators as v
from .readonly import DEFAULT_TIME_LIMIT, TIME_LIMIT_VARIABLE, PluginTimedOut, ReadOnlyView, Sandbox

if TYPE_CHECKING:
    import pluggy

    from .api import Partnership
    from .measurement.service import Indicator

__all__ = ["Metric", "Series", "MetricRun", "RefreshResult", "MetricResultError", "RESULT_TYPES",
           "WORD_MAX", "PERIOD_MAX", "SERIES_MAX", "collect_metrics", "refresh", "is_fresh",
           "changed_plugins", "mark_changed_plugins", "status", "DEFAULT_TIME_LIMIT"]

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
                 "_count", "_sums", "_tail", "_period")

    def __init__(self, indicator: Indicator, dates: list[dt.date] | None = None,
                 values: list[float] | None = None, today: dt.date | None = None,
                 view: ReadOnlyView | None = None, cache: dict[str, Any] | None = None, *,
                 latest: tuple[dt.date, float] | None = None, count: int | None = None,
                 sums: tuple[int, float, float, float, float] | None = None,
                 tail: list[tuple[str, int, float]] | None = None) -> None:
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
        #: the latest few observations (ISO date, day number, value), oldest first, read by
        #: the host for every indicator in one SQL pass (what ``tail`` and ``latest`` need)
        self._tail = tail
        #: the ISO date of the latest observation, when the host read it
        self._period = tail[-1][0] if tail else None

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
        if n <= 0:
            return []
        if self._values is None and self._tail is not None and self._count is not None and (
                n <= len(self._tail) or len(self._tail) >= self._count):
            fromiso = dt.date.fromisoformat
            return [(fromiso(d), v) for d, _, v in self._tail[-n:]]
        if self._values is None and self.view is not None:
            rows = self.view.query(
                "SELECT date, value FROM observations WHERE indicator = ? ORDER BY date DESC "
                "LIMIT ?", [self.indicator.slug, n])
            return [(dt.date.fromisoformat(r["date"]), r["value"]) for r in reversed(rows)]
        return self.points[-n:] if n > 0 else []

    def tail_days(self, n: int) -> list[tuple[int, float]]:
        """The latest ``n`` observations as ``(day number, value)`` (``date.toordinal()``),
        oldest first: :meth:`tail` without making dates."""
        if n > 0 and self._values is None and self._tail is not None and self._count is not None and (
                n <= len(self._tail) or len(self._tail) >= self._count):
            return [(day, v) for _, day, v in self._tail[-n:]]
        return [(d.toordinal(), v) for d, v in self.tail(n)]

    def copy(self, view: ReadOnlyView | None) -> Series:
        """The same series for another reader (each plugin gets its own copy)."""
        return Series(self.indicator, self._dates, self._values, self.today, view, self.cache,
                      latest=self._latest, count=self._count, sums=self._sums, tail=self._tail)

    def __repr__(self) -> str:
        return f"Series({self.indicator.slug!r}, {len(self)} observations)"


@define(kw_only=True)
class MetricRun:
    """The outcome of computing one metric: its values, or what stopped it and where."""

    metric: str
    plugin: str
    scope: str = "indicator"
    ok: bool = True
    #: the first failure: the indicator it was computing ('' for a partnership metric, or
    #: a failure outside any indicator) and why, in one line
    indicator: str = ""
    error: str = ""
    #: how many indicators it failed on
    failed: int = 0
    #: how a lead gets past it
    advice: str = ""
    #: stored values kept (marked stale) because it could not recompute them
    kept: int = 0
    seconds: float = 0.0
    values: list[tuple[str, str, Any]] = field(factory=list, repr=False)
    #: the indicators it computed (with or without a figure)
    done: list[str] = field(factory=list, repr=False)
    #: the message recorded in ``metric_runs`` (for a run read back from the database)
    recorded: str = field(default="", repr=False)
    #: how many values it wrote, for a built-in metric whose values SQL wrote without
    #: bringing them into Python (``values`` is then empty)
    written: int | None = field(default=None, repr=False)

    @property
    def values_written(self) -> int:
        """How many values this run wrote to ``metric_values``."""
        return len(self.values) if self.written is None else self.written

    @property
    def message(self) -> str:
        """One line naming the plugin, the metric, the indicator, why, and the way out."""
        if self.ok:
            return ""
        if self.recorded:
            return self.recorded
        where = f" on indicator {self.indicator}" if self.indicator else ""
        if self.failed > 1:
            others = self.failed - 1
            where += f" (and {others} other indicator{'s' if others > 1 else ''})"
        kept = (f"; its last good figures are kept, marked stale ({self.kept} value"
                f"{'s' if self.kept != 1 else ''})" if self.kept else "")
        advice = f"; {self.advice}" if self.advice else ""
        return (f"metric '{self.metric}' from plugin '{self.plugin}' failed{where}: "
                f"{self.error}{advice}{kept}")


@define(kw_only=True)
class RefreshResult:
    as_of: str
    runs: list[MetricRun]
    values: int

    @property
    def problems(self) -> list[MetricRun]:
        return [r for r in self.runs if not r.ok]

    @property
    def messages(self) -> list[str]:
        """One line per failed metric (see :attr:`MetricRun.message`)."""
        return [r.message for r in self.problems]


# -- collecting ------------------------------------------------------------------------

def collect_metrics(pm: pluggy.PluginManager) -> list[Metric]:
    """Every metric registered through the hook, with the plugin that registered it.

    A registration that is not a :class:`Metric`, or a name registered twice, is a
    :class:`PluginError` naming the plugin(s)."""
    from .checks import collect_registrations

    return collect_registrations(pm.hook.register_metrics, Metric, "metric")


# -- what a metric may return ---------------------------------------------------------------

#: the longest word a metric may return ("on-track", "improving")
WORD_MAX = 40
#: the longest period label that is not a date ("2026-Q3")
PERIOD_MAX = 20
#: the most periods one result (a series) may hold, per indicator
SERIES_MAX = 10_000
#: the range of a whole number SQLite stores exactly
INT_RANGE = (-(2**63), 2**63 - 1)

#: what ``compute`` may return, with the limits :func:`normalise` enforces
#: (docs/plugins.md states the same; a test keeps the two in step)
RESULT_TYPES: dict[str, str] = {
    "nothing": "None: no figure for this indicator; nothing is stored",
    "number": ("an int or a float (True and False count as 1 and 0): finite (no NaN or "
               "infinity), a whole number within a 64-bit integer; a percentage is a number "
               "(say '%' in the metric's unit)"),
    "word": (f"a str of 1 to {WORD_MAX} printable characters on one line, such as "
             "'on-track' or 'improving'"),
    "series": (f"a mapping of period to number or word (a None value is skipped), at most "
               f"{SERIES_MAX:,} periods; a period is a datetime.date, an ISO date string "
               f"'YYYY-MM-DD', or a label of 1 to {PERIOD_MAX} printable characters ('2026-Q3')"),
}


class MetricResultError(ValueError):
    """A metric returned something outside :data:`RESULT_TYPES`: the message says what
    it returned and the limit it broke."""


def _period(key: Any) -> str:
    if isinstance(key, dt.datetime):
        return key.date().isoformat()
    if isinstance(key, dt.date):
        return key.isoformat()
    if isinstance(key, str) and 0 < len(key) <= PERIOD_MAX and key.isprintable():
        return key
    if isinstance(key, str):
        raise MetricResultError(
            f"returned the period {key[:30]!r} ({len(key)} characters); a period is a date or a "
            f"label of 1 to {PERIOD_MAX} printable characters on one line")
    raise MetricResultError(
        f"returned the period {key!r:.40} ({type(key).__name__}); a period is a date "
        f"(datetime.date or 'YYYY-MM-DD') or a label of up to {PERIOD_MAX} characters")


def _value(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Integral):
        if not INT_RANGE[0] <= int(value) <= INT_RANGE[1]:
            raise MetricResultError(f"returned {int(value):.3e}, a whole number too large to store; "
                                    f"return it as a float")
        return int(value)
    if isinstance(value, numbers.Real):
        if not math.isfinite(value):
            raise MetricResultError(f"returned {value!r}; a number must be finite (not NaN or infinity)")
        return float(value)
    if isinstance(value, str):
        if not value:
            raise MetricResultError("returned an empty word; return None for no figure")
        if len(value) > WORD_MAX:
            raise MetricResultError(
                f"returned a word of {len(value)} characters ({value[:24]!r}...); a word is at "
                f"most {WORD_MAX} characters: shorten it, or return a number")
        if not value.isprintable():
            raise MetricResultError(
                f"returned a word with a line break or control character ({value[:24]!r}); a "
                f"word is one line of printable characters")
        return value
    raise MetricResultError(
        f"returned {type(value).__name__} {value!r:.60}, not a number, a word of up to "
        f"{WORD_MAX} characters, None or a mapping of period to value")


def normalise(result: Any, default_period: str) -> list[tuple[str, Any]]:
    """A metric's result as ``(period, value)`` pairs, checked against
    :data:`RESULT_TYPES`; :class:`MetricResultError` for anything else."""
    if result is None:
        return []
    if isinstance(result, Mapping):
        if len(result) > SERIES_MAX:
            raise MetricResultError(f"returned a series of {len(result):,} periods; a series holds "
                                    f"at most {SERIES_MAX:,} per indicator")
        return [(_period(k), _value(val)) for k, val in result.items() if val is not None]
    return [(default_period, _value(result))]


def _why(exc: BaseException) -> str:
    """What went wrong, in one line: the limit broken, or the exception raised."""
    if isinstance(exc, (PluginTimedOut, MetricResultError)):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:300]


class _Progress:
    """What one metric's run has done so far. The worker thread appends; if the run is
    stopped at the time limit, the caller keeps what finished before (``done`` is appended
    after an indicator's values, so values of indicators in ``done`` are complete)."""

    __slots__ = ("values", "done", "failures", "current")

    def __init__(self) -> None:
        self.values: list[tuple[str, str, Any]] = []
        self.done: list[str] = []
        self.failures: list[tuple[str, str]] = []
        self.current = ""


def _compute(metric: Metric, series: list[Series] | None, view: ReadOnlyView,
             today: dt.date, progress: _Progress) -> None:
    """Compute ``metric`` into ``progress``. A partnership metric's failure propagates;
    an indicator metric's failure on one indicator is recorded and the others compute."""
    if metric.scope == "partnership":
        progress.values.extend(("", period, value)
                               for period, value in normalise(metric.compute(view), today.isoformat()))
        return
    compute = metric.compute
    values, done, failures = progress.values, progress.done, progress.failures
    fallback = today.isoformat()
    for s in series or ():
        slug = s.indicator.slug
        progress.current = slug
        s.view = view
        try:
            result = compute(s)
            if result is not None:
                # a number or a word is for the date of the latest observation
                default = s._period
                if default is None:
                    latest = s.latest
                    default = latest[0].isoformat() if latest else fallback
                kind = type(result)
                if (kind is float and result - result == 0.0) or (  # finite: not inf or nan
                        kind is int and INT_RANGE[0] <= result <= INT_RANGE[1]) or (
                        kind is str and 0 < len(result) <= WORD_MAX and result.isprintable()):
                    values.append((slug, default, result))  # the common results, checked inline
                else:
                    values.extend([(slug, period, value) for period, value in normalise(result, default)])
        except Exception as exc:  # noqa: BLE001 - one indicator's failure is recorded, not raised
            failures.append((slug, _why(exc)))
            continue
        done.append(slug)


# -- computing ---------------------------------------------------------------------------

#: day numbers are taken relative to this one (2000-01-01 is 730120) to keep sums small
DAY0 = 730000
#: how many of each indicator's latest observations a refresh reads up front (what the
#: pivot signal needs with the default pivot_after of 3; more only if an indicator asks)
TAIL_MIN, TAIL_MAX = 3, 24
#: observations on or before the baseline date, left out of the trend (usually none)
BEFORE_SQL = """
SELECT i.slug, o.day, o.value FROM indicators i CROSS JOIN observations o
ON o.indicator = i.slug AND o.date <= i.baseline_date
"""


def _indicator_rows(conn: sqlite3.Connection, extra: str = "", joins: str = "",
                    params: Sequence[Any] = ()) -> Iterator[tuple[Indicator, Sequence[Any]]]:
    """Every indicator, rebuilt from rows that were validated when written (without
    running ``__init__`` again: ten thousand indicators in milliseconds), by slug, each
    with the ``extra`` columns of its row (SQL over ``indicators i`` and ``joins``)."""
    from .measurement.service import Indicator
    from .records import _field_types

    types = _field_types(Indicator)
    names = list(types)
    width = len(names)
    cursor = conn.execute(
        f"SELECT {', '.join(f'i.[{n}]' for n in names)}{', ' + extra if extra else ''} "
        f"FROM indicators i {joins} ORDER BY i.slug", params)
    plain = [(n, i) for i, n in enumerate(names) if types[n] is None]
    dates = [(n, i) for i, n in enumerate(names) if types[n] is dt.date]
    # enum members by value: a dict lookup instead of a call to the enum class
    enums = [(n, i, dict(kind._value2member_map_)) for i, (n, kind) in enumerate(types.items())
             if isinstance(kind, type) and issubclass(kind, enum.Enum)]
    setattr_ = object.__setattr__
    new = object.__new__
    fromiso = dt.date.fromisoformat
    for row in cursor:
        ind = new(Indicator)
        for n, i in plain:
            setattr_(ind, n, row[i])
        for n, i in dates:
            setattr_(ind, n, fromiso(row[i]))
        for n, i, members in enums:
            value = row[i]
            setattr_(ind, n, None if value is None else members[value])
        yield ind, row[width:]


def _indicators(p: Partnership | sqlite3.Connection) -> list[Indicator]:
    """Every indicator, by slug (see :func:`_indicator_rows`)."""
    conn = p if isinstance(p, sqlite3.Connection) else p.store.conn
    return [ind for ind, _ in _indicator_rows(conn)]


#: what :func:`load_series` reads with each indicator: the trend sums kept by triggers
#: (one row per indicator) and its latest observations, newest first, as 'date day value,...'
#: (one seek on the primary key per indicator; values with 17 significant digits, exact)
SERIES_COLUMNS = """s.n, s.sd, s.sy, s.sdy, s.sdd,
       (SELECT group_concat(x.date || ' ' || x.day || ' ' || printf('%!.17g', x.value), ',')
        FROM (SELECT date, day, value FROM observations WHERE indicator = i.slug
              ORDER BY date DESC LIMIT ?) x)"""
SERIES_JOINS = "LEFT JOIN observation_sums s ON s.indicator = i.slug"


def load_series(p: Partnership | sqlite3.Connection, today: dt.date, *,
                only: Iterable[str] | None = None) -> list[Series]:
    """Every indicator (or those ``only`` names) as a :class:`Series`, with its latest few
    observations and the sums of its trend, read in one pass of one row per indicator
    (and one for observations on or before a baseline date, usually none); the
    observations themselves load when a metric asks. ``p`` is a partnership or a
    connection to its database."""
    conn = p if isinstance(p, sqlite3.Connection) else p.store.conn
    longest = conn.execute("SELECT max(pivot_after) FROM indicators").fetchone()[0] or 0
    before: dict[str, list[tuple[int, float]]] = {}
    for slug, day, value in conn.execute(BEFORE_SQL):
        before.setdefault(slug, []).append((day, value))
    out = []
    fromiso = dt.date.fromisoformat
    joins, params = SERIES_JOINS, [min(max(longest, TAIL_MIN), TAIL_MAX)]
    if only is not None:  # a list with a comma at each end (a slug never holds one)
        joins += " WHERE instr(?, ',' || i.slug || ',') > 0"
        params.append("," + ",".join(only) + ",")
    rows = _indicator_rows(conn, SERIES_COLUMNS, joins, params)
    for ind, (count, sd, sy, sdy, sdd, text) in rows:
        if not count or not text:
            out.append(Series(ind, [], [], today))
            continue
        f = text.replace(",", " ").split(" ")  # newest first: date, day, value, date, ...
        tail = [(f[i], int(f[i + 1]), float(f[i + 2])) for i in range(len(f) - 3, -1, -3)]
        tail.sort()  # (group_concat keeps the order it is fed, but does not promise it)
        n = count
        for day, value in before.get(ind.slug, ()):  # take them out of the sums
            day -= DAY0
            n, sd, sy, sdy, sdd = n - 1, sd - day, sy - value, sdy - day * value, sdd - day * day
        # shift x from day numbers to days since the baseline date: x = day - d0
        d0 = ind.baseline_date.toordinal() - DAY0
        last = tail[-1]
        out.append(Series(ind, None, None, today, latest=(fromiso(last[0]), last[2]), count=count,
                          sums=(n, sd - n * d0, sy, sdy - d0 * sy, sdd - 2 * d0 * sd + n * d0 * d0),
                          tail=tail))
    return out


def _way_out(pm: pluggy.PluginManager | None, plugin: str) -> str:
    """How a lead gets past a failing metric of ``plugin``."""
    from .plugins import is_builtin, plugin_source

    if is_builtin(plugin):
        return "this is a fault in partnership itself: please report it"
    source = plugin_source(pm, plugin) if pm is not None else ""
    if source.startswith("package "):
        return (f"update or uninstall the {source} (or leave it out with "
                f"PARTNERSHIP_LOAD_PLUGINS)")
    if source.endswith(".py"):
        return f"fix {source} or move it out of the plugins folder"
    return f"fix or remove the plugin '{plugin}'"


def run_metrics(p: Partnership, metrics: Iterable[Metric], *, time_limit: float | None = None,
                ) -> list[MetricRun]:
    """Compute each metric; a failure becomes a :class:`MetricRun` with ``ok=False``.

    Each metric runs once over every indicator, within the time limit. A metric that
    raises on an indicator (or returns what :data:`RESULT_TYPES` does not allow) fails on
    that indicator only; one stopped at the time limit keeps the indicators it finished.
    Once a plugin's metric has been stopped, that plugin's other metrics are not started
    in the same run (its code may still be running): a refresh waits at most the time
    limit once per plugin."""
    metrics = list(metrics)
    today = p.today()
    series = load_series(p, today) if any(m.scope == "indicator" for m in metrics) else []
    main_view = ReadOnlyView(p.store.conn, today)
    # plugin code never gets the main connection, on any path (see partnership.readonly)
    sandbox = Sandbox(p.store.path, p.store.conn, time_limit)
    pm = p.plugin_manager
    stopped: dict[str, str] = {}
    runs = []
    for metric in metrics:
        run = MetricRun(metric=metric.name, plugin=metric.plugin, scope=metric.scope)
        started = time.perf_counter()
        progress = _Progress()
        failures: list[tuple[str, str]] = []
        if metric.plugin in stopped:
            failures.append(("", f"not run: this plugin's metric '{stopped[metric.plugin]}' ran past "
                                 f"the time limit ({sandbox.limit:g} s) earlier in this refresh; make it "
                                 f"faster or raise {TIME_LIMIT_VARIABLE}"))
        else:
            def compute(conn: sqlite3.Connection, metric: Metric = metric,
                        progress: _Progress = progress) -> None:
                if conn is p.store.conn:
                    _compute(metric, series, main_view, today, progress)
                    return
                view = ReadOnlyView(conn, today)
                # each plugin gets its own Series objects (sharing the data, read-only by contract)
                _compute(metric, [s.copy(view) for s in series], view, today, progress)

            try:
                sandbox.run(metric.plugin, metric.name, compute)
            except PluginTimedOut as exc:
                stopped[metric.plugin] = metric.name
                # what finished before the limit stands; the worker may still be appending
                done = list(progress.done)
                finished = set(done)
                progress.values = [v for v in list(progress.values) if v[0] in finished]
                progress.done = done
                failures.append((progress.current if progress.current not in finished else "",
                                 _why(exc)))
            except Exception as exc:  # noqa: BLE001 - a plugin's failure is reported, not raised
                progress.values, progress.done = [], []
                failures.append(("", _why(exc)))
            failures.extend(list(progress.failures))
        run.values, run.done = progress.values, progress.done
        if failures:
            run.ok = False
            run.indicator, run.error = failures[0]
            run.failed = len({ind for ind, _ in failures})
            run.advice = _way_out(pm, metric.plugin)
        run.seconds = round(time.perf_counter() - started, 4)
        runs.append(run)
    return runs


def fingerprints(pm: pluggy.PluginManager, metrics: Iterable[Metric]) -> dict[str, str]:
    """Each metric's plugin's fingerprint (:func:`partnership.plugins.plugin_fingerprint`)."""
    from .plugins import plugin_fingerprint

    by_plugin: dict[str, str] = {}
    out = {}
    for m in metrics:
        if m.plugin not in by_plugin:
            by_plugin[m.plugin] = plugin_fingerprint(pm, m.plugin)
        out[m.name] = by_plugin[m.plugin]
    return out


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while the figures are computed: a refresh
    makes a few objects per indicator that are not cyclic garbage, and the collector's
    full passes over the whole heap while they are made cost more than computing them
    (a third of a refresh of 10,000 indicators). Nothing is lost: it resumes after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


_KEPT_SQL = ("SELECT indicator, period, value, computed_at, stale_since FROM metric_values "
             "WHERE metric = ?")


def _setwise(metrics: Iterable[Metric]) -> list[Metric]:
    """The built-in metrics a refresh computes for every indicator at once in SQL
    (:data:`partnership.measurement.metrics.SETWISE`), rather than one indicator at a time."""
    from .measurement.metrics import SETWISE
    from .plugins import is_builtin

    return [m for m in metrics if m.scope == "indicator" and is_builtin(m.plugin)
            and SETWISE.get(m.name) is m.compute]


def refresh(p: Partnership, *, time_limit: float | None = None) -> RefreshResult:
    """Compute every metric into ``metric_values`` (one transaction, no change-log entry:
    the values are derived, not changed by anyone).

    The built-in figures (latest, progress, status, pivot) are computed for every
    indicator at once by one SQL statement that writes them (see
    :func:`partnership.measurement.metrics.figures_sql`: the same arithmetic as their
    functions per indicator); every other metric runs indicator by indicator. If the SQL
    meets a figure it cannot give as the function would (a progress that is not a finite
    number), what it wrote is rolled back and the built-ins run indicator by indicator.

    What a failed metric could not recompute keeps its last good values, marked
    ``stale = 1`` with ``stale_since`` (when it first could not be recomputed) and their
    original ``computed_at``; values of indicators that no longer exist, and of metrics no
    longer registered, go. Each metric's run is recorded in ``metric_runs`` with the
    indicator it failed on, the one-line message, and its plugin's fingerprint."""
    from .measurement.metrics import NotMirrored
    from .store import now_utc

    pm = p.plugin_manager
    metrics = collect_metrics(pm)
    prints = fingerprints(pm, metrics)
    setwise = _setwise(metrics)
    in_sql = {m.name for m in setwise}
    with _collector_paused():
        runs = run_metrics(p, [m for m in metrics if m.name not in in_sql], time_limit=time_limit)
    as_of = p.today().isoformat()
    at = now_utc()
    conn = p.store.conn
    with p.store.transaction():
        change_id = conn.execute("SELECT coalesce(max(id), 0) FROM changes").fetchone()[0]
        last_good = dict(conn.execute("SELECT metric, last_good_at FROM metric_runs").fetchall())
        try:
            with p.store.transaction():  # a savepoint: undone whole if the SQL cannot mirror
                written = _write_values(p, runs, setwise, at)
        except NotMirrored:
            with _collector_paused():
                runs += run_metrics(p, setwise, time_limit=time_limit)
            written = _write_values(p, runs, [], at)
        order = {m.name: i for i, m in enumerate(metrics)}
        runs = sorted(written, key=lambda r: order.get(r.metric, len(order)))
        conn.execute("DELETE FROM metric_runs")
        for run in runs:
            conn.execute(
                "INSERT INTO metric_runs (metric, plugin, ok, error, values_written, seconds, "
                "computed_at, as_of, change_id, indicator, failed_indicators, message, fingerprint, "
                "last_good_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [run.metric, run.plugin, int(run.ok), run.error, run.values_written, run.seconds,
                 at, as_of, change_id, run.indicator, run.failed, run.message,
                 prints.get(run.metric, ""), at if run.ok else last_good.get(run.metric)])
    return RefreshResult(as_of=as_of, runs=runs, values=sum(r.values_written for r in runs))


def _write_values(p: Partnership, runs: list[MetricRun], setwise: list[Metric], at: str,
                  ) -> list[MetricRun]:
    """Replace ``metric_values`` with the values of ``runs`` and those the SQL computes for
    the ``setwise`` metrics, keeping (stale) what failed runs could not recompute; the runs,
    with one for each set-wise metric."""
    from .measurement.metrics import write_figures

    conn = p.store.conn
    kept: list[tuple[Any, ...]] = []
    if any(not r.ok for r in runs):
        indicators = {r[0] for r in conn.execute("SELECT slug FROM indicators")}
        for run in runs:
            if run.ok:
                continue
            done = set(run.done)
            before = len(kept)
            for ind, period, value, computed_at, since in conn.execute(_KEPT_SQL, [run.metric]):
                if ind in done or (ind and ind not in indicators):
                    continue
                kept.append((run.metric, ind, period, value, computed_at, since or at))
            run.kept = len(kept) - before
    conn.execute("DELETE FROM metric_values")
    # written in the order of the key (indicator, metric, period): about twice as fast
    # as metric by metric into a WITHOUT ROWID table
    rows = [(ind, run.metric, period, value) for run in runs for ind, period, value in run.values]
    rows.sort(key=operator.itemgetter(0, 1, 2))
    conn.executemany(
        "INSERT OR REPLACE INTO metric_values (indicator, metric, period, value, computed_at) "
        f"VALUES (?, ?, ?, ?, {_quoted(at)})", rows)
    out = list(runs)
    if setwise:
        started = time.perf_counter()
        counts = write_figures(conn, p.today(), [m.name for m in setwise], at)
        # one statement computes them all: its time is shared between them
        seconds = round((time.perf_counter() - started) / len(setwise), 4)
        out += [MetricRun(metric=m.name, plugin=m.plugin, scope=m.scope, seconds=seconds,
                          written=counts[m.name]) for m in setwise]
    conn.executemany(
        "INSERT OR IGNORE INTO metric_values (metric, indicator, period, value, computed_at, "
        "stale, stale_since) VALUES (?, ?, ?, ?, ?, 1, ?)", kept)
    return out


def last_result(p: Partnership) -> RefreshResult:
    """The last refresh, as recorded in ``metric_runs`` (without the values themselves)."""
    rows = p.store.query("SELECT * FROM metric_runs ORDER BY rowid")
    runs = [MetricRun(metric=r["metric"], plugin=r["plugin"], ok=bool(r["ok"]), error=r["error"],
                      seconds=r["seconds"], indicator=r["indicator"], failed=r["failed_indicators"],
                      recorded=r["message"]) for r in rows]
    total = sum(r["values_written"] for r in rows)
    return RefreshResult(as_of=rows[0]["as_of"] if rows else "", runs=runs, values=total)


def changed_plugins(p: Partnership, metrics: list[Metric] | None = None) -> dict[str, str]:
    """Metrics whose plugin changed (version or file) since their figures were computed:
    metric name to a sentence saying so."""
    pm = p.plugin_manager
    metrics = collect_metrics(pm) if metrics is None else metrics
    now = fingerprints(pm, metrics)
    out = {}
    for metric, plugin, then in p.store.conn.execute(
            "SELECT metric, plugin, fingerprint FROM metric_runs"):
        if metric in now and now[metric] != then:
            out[metric] = (f"plugin '{plugin}' changed since its figures were computed "
                           f"({then or 'unknown'} -> {now[metric] or 'unknown'})")
    return out


def mark_changed_plugins(p: Partnership) -> list[str]:
    """Mark stale the stored figures of metrics whose plugin changed since they were
    computed (for a publish that does not refresh); returns a sentence for each."""
    from .store import now_utc

    changed = changed_plugins(p)
    if changed:
        with p.store.transaction():
            p.store.conn.executemany(
                "UPDATE metric_values SET stale = 1, stale_since = coalesce(stale_since, ?) "
                "WHERE metric = ?", [(now_utc(), m) for m in changed])
    return [f"metric '{m}': {why}; run 'partnership refresh'" for m, why in sorted(changed.items())]


def for_publishing(p: Partnership, *, refresh: bool = True) -> list[str]:
    """Make the stored figures ready to publish and say what is wrong with them, one
    line each: refreshed if out of date (``refresh``), or else those of changed plugins
    marked stale; then every metric that failed at the last refresh (its last good values
    are what gets published, marked stale)."""
    if refresh:
        result: RefreshResult = p.measure.refresh()
        return result.messages
    changed = mark_changed_plugins(p)
    return last_result(p).messages + changed


def is_fresh(p: Partnership) -> bool:
    """Whether ``metric_values`` reflects every change, today's date and today's plugins
    (the same metrics, each plugin at the same version or file content)."""
    conn = p.store.conn
    runs = conn.execute("SELECT metric, as_of, change_id, fingerprint FROM metric_runs").fetchall()
    if not runs:
        return False
    last = conn.execute("SELECT coalesce(max(id), 0) FROM changes").fetchone()[0]
    today = p.today().isoformat()
    if any(r[1] != today or r[2] != last for r in runs):
        return False
    now = fingerprints(p.plugin_manager, collect_metrics(p.plugin_manager))
    return now == {r[0]: r[3] for r in runs}


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

#: the latest stored value of each (indicator, metric) for the metric names given as a JSON
#: list: a seek on metric_values' key per pair, however many values a series metric keeps
_LATEST_VALUES_SQL = """
SELECT mv.indicator, mv.metric, mv.period, mv.value, mv.computed_at, mv.stale, mv.stale_since
FROM indicators i CROSS JOIN json_each(?) n CROSS JOIN metric_values mv
ON mv.indicator = i.slug AND mv.metric = n.value
AND mv.period = (SELECT max(x.period) FROM metric_values x
                 WHERE x.indicator = i.slug AND x.metric = n.value)
"""


def _stale_reason(row: Mapping[str, Any], changed: Mapping[str, str]) -> str | None:
    if row["stale"]:
        return (f"the metric could not recompute it at the last refresh; this is its last good "
                f"figure, computed {row['computed_at']}")
    return changed.get(row["metric"])


def plugin_values(p: Partnership, metrics: list[Metric], changed: Mapping[str, str],
                  ) -> dict[str, list[dict[str, Any]]]:
    """Per indicator, the latest stored figure of each plugin metric (one entry per
    metric, ``value`` None when it has none), marked stale where it is."""
    from .plugins import is_builtin

    wanted = [m for m in metrics if m.scope == "indicator" and not is_builtin(m.plugin)]
    if not wanted:
        return {}
    found: dict[tuple[str, str], dict[str, Any]] = {}
    names = [m.name for m in wanted]
    for r in p.store.query(_LATEST_VALUES_SQL, [json.dumps(names)]):
        found[(r["indicator"], r["metric"])] = r
    out: dict[str, list[dict[str, Any]]] = {}
    for (slug,) in p.store.conn.execute("SELECT slug FROM indicators ORDER BY slug"):
        entries = out[slug] = []
        for m in wanted:
            row = found.get((slug, m.name))
            why = _stale_reason(row, changed) if row else None
            entries.append({
                "metric": m.name, "plugin": m.plugin, "unit": m.unit,
                "value": row["value"] if row else None, "period": row["period"] if row else None,
                "computed_at": row["computed_at"] if row else None,
                "stale": why is not None, "stale_since": row["stale_since"] if row else None,
                "why_stale": why,
            })
    return out


def status(p: Partnership, *, auto_refresh: bool = True) -> dict[str, Any]:
    """Every outcome with its indicators, their figures (plugin metrics included),
    status, pivot signal, freshness and latest story notes, read from the stored figures
    (``metric_values``, refreshed first if out of date): no pass over the observations."""
    from .measurement.service import Frequency

    if auto_refresh and not is_fresh(p):
        refresh(p)
    metrics = collect_metrics(p.plugin_manager)
    changed = changed_plugins(p, metrics)
    q = p.store.query
    today = p.today()
    notes: dict[str, list[dict[str, Any]]] = {}
    for r in q("SELECT indicator, date, kind, text FROM story_notes ORDER BY indicator, date DESC, id DESC"):
        if len(notes.setdefault(r["indicator"], [])) < 3:
            notes[r["indicator"]].append({"date": r["date"], "kind": r["kind"], "text": r["text"]})
    extra = plugin_values(p, metrics, changed)
    rows = q("""SELECT s.*, i.title, i.frequency, i.source, i.activity, i.rba, i.pivot_after
                FROM indicator_status s JOIN indicators i ON i.slug = s.indicator
                ORDER BY s.outcome, s.indicator""")
    by_outcome: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        # the date of the latest observation, as the 'latest' metric stored it
        due = dt.date.fromisoformat(r["latest_date"] or r["baseline_date"]) + dt.timedelta(
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
            "metrics": extra.get(r["indicator"], []),
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
    runs = q("SELECT metric, plugin, ok, error, indicator, failed_indicators, message, computed_at, "
             "as_of FROM metric_runs ORDER BY metric")
    problems = [{"metric": r["metric"], "plugin": r["plugin"], "indicator": r["indicator"],
                 "failed_indicators": r["failed_indicators"], "error": r["error"],
                 "message": r["message"]} for r in runs if not r["ok"]]
    partnership_metrics = [
        {"metric": r["metric"], "period": r["period"], "value": r["value"],
         "computed_at": r["computed_at"], "stale": _stale_reason(r, changed) is not None,
         "why_stale": _stale_reason(r, changed)}
        for r in q("SELECT metric, period, value, computed_at, stale, stale_since FROM metric_values "
                   "WHERE indicator = '' ORDER BY metric, period")]
    return {
        "as_of": today.isoformat(),
        "computed_at": runs[0]["computed_at"] if runs else None,
        "outcomes": outcomes,
        "partnership_metrics": partnership_metrics,
        "metric_problems": problems,
        "changed_plugins": [f"metric '{m}': {why}; run 'partnership refresh'"
                            for m, why in sorted(changed.items())],
    }
