"""Step 4 of the method: measuring whether the partnership is succeeding, so it can pivot.

* An :class:`Indicator` measures an outcome: a unit, a direction (``up`` or ``down`` is
  better), a baseline and its date, a target and its date, how often it is reported,
  where the figures come from, and the metric that computes its headline figure.
  An indicator may also measure an :class:`Activity` (who is doing what, for which
  outcomes), tagged with the Results-Based Accountability question it answers
  (``how-much``, ``how-well``, ``better-off``).
* An :class:`Observation` is one dated value of an indicator. Observations have no
  number or slug: an indicator has at most one value per date.
* A :class:`StoryNote` is the story behind the curve: why it moves, what works, what
  the partners will try next.

Figures (latest value, progress, status, pivot signal and plugin metrics) are computed
by :mod:`partnership.metrics` and materialised in ``metric_values`` by :meth:`Measure.refresh`.

Bulk import (:meth:`Measure.import_csv`) streams the file, validates every row with the
same rules as :meth:`Measure.observe`, inserts in batches inside one transaction and
writes one change-log entry for the whole import. Any bad row means nothing is written,
unless ``skip_bad`` is given (bad rows then go to a reject file).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
import os
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from attrs import define, field

from .. import validators as v
from ..errors import AlreadyExists, ImportFileError, NotFound, ValidationError
from ..models import Choice, entity, ref
from ..records import Collection, from_row, structure, to_row

if TYPE_CHECKING:
    from ..api import Partnership

__all__ = [
    "Direction", "Frequency", "ActivityStatus", "RBA", "StoryKind", "Indicator", "Activity",
    "ActivityOutcome", "Observation", "StoryNote", "ImportResult", "Measure", "MODELS",
    "CSV_COLUMNS",
]


class Direction(Choice):
    """Which way is better: ``down`` for 'fewer repeat victims', ``up`` for 'more people safe'."""

    UP = "up"
    DOWN = "down"


class Frequency(Choice):
    """How often an indicator is expected to be reported."""

    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"

    @property
    def days(self) -> int:
        """Days after which an indicator with no new observation is stale."""
        return {"weekly": 7, "monthly": 31, "quarterly": 92, "annual": 366}[self.value]


class ActivityStatus(Choice):
    PLANNED = "planned"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    FINISHED = "finished"


class RBA(Choice):
    """The Results-Based Accountability question an activity measure answers."""

    HOW_MUCH = "how-much"
    HOW_WELL = "how-well"
    BETTER_OFF = "better-off"


class StoryKind(Choice):
    """What a note on an indicator says: why it moves, what works, what to try next."""

    WHY = "why"
    WORKS = "works"
    NEXT = "next"


def _optional_ref(table: str) -> Any:
    return ref(table, default=None, validator=v.optional_slug)


def _pivot_after(_instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise v.FieldProblem(f"{attribute.name} must be a whole number of observations, 1 or more "
                             f"(got {v.shown(value)})")
    if value > 100:
        raise v.FieldProblem(f"{attribute.name} {value} is more than 100 observations; use fewer")


def _finite(_instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise v.FieldProblem(f"{attribute.name} must be a number (got {v.shown(value)})")
    if abs(value) > 1e15:
        raise v.FieldProblem(f"{attribute.name} {value:g} is too large; use a larger unit")


def _metric_name(_instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    v.check_slug(attribute.name, value)


@entity("activities", ("slug",), "activity")
@define(kw_only=True)
class Activity:
    """Something a partner does for one or more outcomes (linked by :class:`ActivityOutcome`)."""

    slug: str = field(validator=v.slug)
    title: str = field(converter=v.strip, validator=v.text)
    partner: str = ref("partners")
    status: ActivityStatus = ActivityStatus.PLANNED
    start_date: dt.date | None = None
    end_date: dt.date | None = field(default=None)
    description: str = field(default="", converter=v.strip, validator=v.optional_text)

    @end_date.validator
    def _end_after_start(self, _a: attrs.Attribute, value: dt.date | None) -> None:
        if value is not None and self.start_date is not None and value < self.start_date:
            raise v.FieldProblem(
                f"end_date {value.isoformat()} is before start_date {self.start_date.isoformat()}")


@entity("activity_outcomes", ("activity", "outcome"), "activity outcome")
@define(kw_only=True)
class ActivityOutcome:
    """An activity serves an outcome."""

    activity: str = ref("activities")
    outcome: str = ref("outcomes")


@entity("indicators", ("slug",), "indicator")
@define(kw_only=True)
class Indicator:
    """How progress toward an outcome (or the work of an activity) is measured."""

    slug: str = field(validator=v.slug)
    outcome: str = ref("outcomes")
    unit: str = field(converter=v.strip, validator=v.text)
    direction: Direction
    baseline: float = field(converter=v.no_negative_zero, validator=_finite)
    baseline_date: dt.date
    target: float = field(converter=v.no_negative_zero, validator=_finite)
    target_date: dt.date = field()
    title: str = field(default="", converter=v.strip, validator=v.optional_text)
    frequency: Frequency = Frequency.QUARTERLY
    #: where the figures come from: a sentence or a web link (http or https)
    source: str = field(default="", converter=v.strip, validator=v.link_or_text)
    #: the metric that computes the headline figure (any indicator metric, built-in or plugin)
    metric: str = field(default="progress", validator=_metric_name)
    #: the activity this measures, for activity measures (how much / how well / better off)
    activity: str | None = _optional_ref("activities")
    rba: RBA | None = None
    #: raise the pivot signal after this many consecutive off-track observations
    pivot_after: int = field(default=3, validator=_pivot_after)
    description: str = field(default="", converter=v.strip, validator=v.optional_text)

    @target_date.validator
    def _target_after_baseline(self, _a: attrs.Attribute, value: dt.date) -> None:
        if isinstance(value, dt.date) and isinstance(self.baseline_date, dt.date) \
                and value <= self.baseline_date:
            raise v.FieldProblem(
                f"target_date {value.isoformat()} must be after baseline_date "
                f"{self.baseline_date.isoformat()}")

    @target.validator
    def _target_in_direction(self, _a: attrs.Attribute, value: float) -> None:
        if self.direction == Direction.DOWN and not value < self.baseline:
            raise v.FieldProblem(
                f"target {value:g} must be below the baseline {self.baseline:g} when the "
                f"direction is down (or use --direction up)")
        if self.direction == Direction.UP and not value > self.baseline:
            raise v.FieldProblem(
                f"target {value:g} must be above the baseline {self.baseline:g} when the "
                f"direction is up (or use --direction down)")


@entity("observations", ("indicator", "date"), "observation", order_by="indicator, date")
@define(kw_only=True)
class Observation:
    """One dated value of an indicator."""

    indicator: str = ref("indicators")
    date: dt.date
    value: float = field(converter=v.no_negative_zero, validator=_finite)
    #: where the figure comes from: a sentence or a web link (http or https)
    source: str = field(default="", converter=v.strip, validator=v.link_or_text)
    note: str = field(default="", converter=v.strip, validator=v.optional_text)


@entity("story_notes", ("id",), "story note", order_by="indicator, date, id",
        match=("indicator", "date", "text"))
@define(kw_only=True)
class StoryNote:
    """The story behind the curve: a dated note on an indicator."""

    id: int | None = None
    indicator: str = ref("indicators")
    date: dt.date
    kind: StoryKind = StoryKind.WHY
    text: str = field(converter=v.strip, validator=v.text)
    author: str | None = _optional_ref("people")


#: stored models in import order (exchange.SECTIONS)
MODELS: list[type] = [Activity, ActivityOutcome, Indicator, Observation, StoryNote]


# -- publishing -------------------------------------------------------------------------

#: the published columns of the materialised metric values
METRIC_VALUE_COLUMNS = ("metric", "indicator", "period", "value", "computed_at")

PUBLIC_VIEWS = {
    # indicator-status for the dashboard: one row per indicator with its figures
    "indicator_status": """
        SELECT i.outcome AS outcome, i.slug AS indicator, i.title AS title, i.unit AS unit,
               i.direction AS direction, i.baseline AS baseline, i.baseline_date AS baseline_date,
               i.target AS target, i.target_date AS target_date, i.frequency AS frequency,
               i.metric AS headline_metric,
               (SELECT value FROM metric_values m WHERE m.metric = i.metric
                  AND m.indicator = i.slug ORDER BY period DESC LIMIT 1) AS headline,
               (SELECT value FROM metric_values m WHERE m.metric = 'latest'
                  AND m.indicator = i.slug ORDER BY period DESC LIMIT 1) AS latest,
               (SELECT period FROM metric_values m WHERE m.metric = 'latest'
                  AND m.indicator = i.slug ORDER BY period DESC LIMIT 1) AS latest_date,
               (SELECT value FROM metric_values m WHERE m.metric = 'progress'
                  AND m.indicator = i.slug ORDER BY period DESC LIMIT 1) AS progress,
               (SELECT value FROM metric_values m WHERE m.metric = 'status'
                  AND m.indicator = i.slug ORDER BY period DESC LIMIT 1) AS status,
               (SELECT value FROM metric_values m WHERE m.metric = 'pivot'
                  AND m.indicator = i.slug ORDER BY period DESC LIMIT 1) AS pivot
        FROM indicators i""",
    # each outcome's worst indicator status and whether any indicator calls for a pivot
    "outcome_status": """
        SELECT o.slug AS outcome, o.title AS title, count(s.indicator) AS indicators,
               sum(s.status = 'on-track') AS on_track, sum(s.status = 'at-risk') AS at_risk,
               sum(s.status = 'off-track') AS off_track,
               CASE WHEN sum(s.status = 'off-track') > 0 THEN 'off-track'
                    WHEN sum(s.status = 'at-risk') > 0 THEN 'at-risk'
                    WHEN sum(s.status = 'on-track') > 0 THEN 'on-track' END AS status,
               coalesce(max(s.pivot), 0) AS pivot
        FROM outcomes o LEFT JOIN indicator_status s ON s.outcome = o.slug
        GROUP BY o.slug""",
}



# -- rules ------------------------------------------------------------------------------

def future_problem(date: dt.date, today: dt.date) -> str | None:
    if date > today:
        return (f"date {date.isoformat()} is in the future (today is {today.isoformat()}); "
                f"record observations once they are known")
    return None


def _not_in_future(p: Partnership, obs: Observation) -> None:
    problem = future_problem(obs.date, p.today())
    if problem:
        raise ValidationError(f"observation: {problem}")


def _known_metric(p: Partnership, ind: Indicator) -> None:
    if ind.metric in ("latest", "progress", "status", "pivot"):
        return
    from ..metrics import collect_metrics

    names = sorted(m.name for m in collect_metrics(p.plugin_manager) if m.scope == "indicator")
    if ind.metric not in names:
        raise NotFound("metric", ind.metric, names,
                       hint="install the plugin that provides it, or use --plugins-dir")


# -- bulk import ------------------------------------------------------------------------

CSV_COLUMNS = ("indicator", "date", "value", "source", "note")
REQUIRED_COLUMNS = ("indicator", "date", "value")
BATCH = 5000
SHOWN_PROBLEMS = 20


@define
class ImportResult:
    """What an import did: rows written, indicators touched, rows rejected."""

    path: str
    imported: int = 0
    indicators: int = 0
    rejected: int = 0
    reject_path: str | None = None
    problems: list[str] = field(factory=list)


def count_lines(path: str | os.PathLike[str]) -> int:
    """Lines in a file (for a progress bar), read in large binary chunks."""
    n = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            n += chunk.count(b"\n")
    return n


def _check_row(row: list[str], pos: dict[str, int], known: set[str], today: str,
               suggest: bool = True) -> tuple[tuple[str, str, float, str, str] | None, str | None]:
    """Validate one CSV row with the rules of :class:`Observation`: a row or a problem."""
    try:
        indicator = row[pos["indicator"]].strip()
        date_text = row[pos["date"]].strip()
        value_text = row[pos["value"]]
        source = row[pos["source"]].strip() if "source" in pos else ""
        note = row[pos["note"]].strip() if "note" in pos else ""
    except IndexError:
        return None, f"has {len(row)} field(s), fewer than the header's columns"
    if indicator not in known:
        if not suggest:  # did-you-mean is slow over thousands of indicators: first rows only
            return None, f"no indicator '{indicator}' in this partnership"
        return None, str(NotFound("indicator", indicator, sorted(known)))
    try:
        if not _DATE_RE.fullmatch(date_text):
            raise ValueError
        date = dt.date.fromisoformat(date_text)
    except ValueError:
        return None, f"date must be written YYYY-MM-DD, like 2026-01-31 (got {v.shown(date_text)})"
    iso = date.isoformat()
    if iso > today:
        return None, future_problem(date, dt.date.fromisoformat(today))
    try:
        if iso < _FIRST_DATE:
            v.date_in_range(date)
        # the same rules as v.number (plain decimals, no "-0"), without its cost per row
        value = float(value_text) + 0.0 if _NUMBER_RE.fullmatch(value_text) else math.nan
        if not math.isfinite(value) or abs(value) > 1e15:
            value = v.number(value_text)
        if source:
            problem = _source_problem(source)
            if problem:
                return None, problem
    except v.FieldProblem as exc:
        return None, str(exc)
    if len(source) > 10_000 or len(note) > 10_000:
        return None, "source or note is longer than 10,000 characters; shorten it"
    return (indicator, iso, value, source, note), None


_DATE_RE = v.DATE_RE
_NUMBER_RE = v.NUMBER_RE
_FIRST_DATE = v.FIRST_DATE.isoformat()


@functools.lru_cache(maxsize=4096)
def _source_problem(source: str) -> str | None:
    """The link check of an observation's source (sources repeat row after row)."""
    try:
        v.check_links_in_text("source", source)
    except v.FieldProblem as exc:
        return str(exc)
    return None


class Measure:
    """``p.measure``: indicators, activities, observations, the story behind the curve,
    and the figures computed from them."""

    def __init__(self, p: Partnership) -> None:
        self.p = p
        self.indicators: Collection[Indicator] = Collection(p, Indicator)
        self.activities: Collection[Activity] = Collection(p, Activity)
        self.activity_outcomes: Collection[ActivityOutcome] = Collection(p, ActivityOutcome)
        self.observations: Collection[Observation] = Collection(p, Observation)
        self.stories: Collection[StoryNote] = Collection(p, StoryNote)

    # -- indicators and activities ---------------------------------------------------

    def add_indicator(self, slug: str, **fields: Any) -> Indicator:
        """Add an indicator to an outcome; see :class:`Indicator` for the fields."""
        return self.indicators.add(slug=slug, **fields)

    def update_indicator(self, slug: str, **changes: Any) -> Indicator:
        return self.indicators.update(slug, **changes)

    def add_activity(self, slug: str, *, title: str | None = None, partner: str,
                     outcomes: Iterable[str] | str, **fields: Any) -> Activity:
        """Add an activity of a partner serving one or more outcomes, in one transaction."""
        if isinstance(outcomes, str):
            outcomes = [o.strip() for o in outcomes.split(",") if o.strip()]
        outcomes = list(dict.fromkeys(outcomes))
        if not outcomes:
            raise ValidationError("activity: name at least one outcome it serves, like --outcome fewer-repeat-asb")
        with self.p.store.transaction():
            activity = self.activities.add(slug=slug, title=title or slug.replace("-", " ").capitalize(),
                                           partner=partner, **fields)
            for outcome in outcomes:
                self.activity_outcomes.add(activity=slug, outcome=outcome)
        return activity

    def activity_list(self, *, outcome: str | None = None, partner: str | None = None) -> list[dict[str, Any]]:
        """Activities with the outcomes each serves, optionally for one outcome or partner."""
        rows = self.p.store.query(
            """SELECT a.*, group_concat(ao.outcome, ',') AS outcomes
               FROM activities a LEFT JOIN activity_outcomes ao ON ao.activity = a.slug
               GROUP BY a.slug ORDER BY a.slug""")
        out = []
        for r in rows:
            r["outcomes"] = sorted((r["outcomes"] or "").split(",")) if r["outcomes"] else []
            if outcome and outcome not in r["outcomes"]:
                continue
            if partner and r["partner"] != partner:
                continue
            out.append(r)
        return out

    # -- observations -----------------------------------------------------------------

    def observe(self, indicator: str, value: Any, *, date: Any = None, source: str = "",
                note: str = "", replace: bool = False) -> Observation:
        """Record one value of an indicator (dated today unless ``date`` is given)."""
        obs = structure(Observation, {"indicator": indicator, "value": value,
                                      "date": self.p.today() if date is None else date,
                                      "source": source, "note": note})
        with self.p.store.transaction():
            if self.observations.exists(obs.indicator, obs.date.isoformat()):
                if not replace:
                    raise AlreadyExists(
                        "observation", f"{obs.indicator} on {obs.date.isoformat()}",
                        "add --replace to overwrite it")
                before = self.observations.get(obs.indicator, obs.date.isoformat())
                return self.observations._replace(before, obs)
            return self.observations._insert(obs)

    def series(self, indicator: str) -> list[Observation]:
        """Every observation of one indicator, oldest first."""
        self.indicators.get(indicator)
        rows = self.p.store.query(
            "SELECT * FROM observations WHERE indicator = ? ORDER BY date", [indicator])
        return [from_row(Observation, r) for r in rows]

    def import_csv(self, path: str | os.PathLike[str], *, skip_bad: bool = False,
                   reject_path: str | os.PathLike[str] | None = None, replace: bool = False,
                   progress: Callable[[int], None] | None = None) -> ImportResult:
        """Import observations from a CSV file with columns indicator, date, value
        (and optionally source, note).

        Streams the file, validates every row, writes in batches inside one transaction.
        A bad row (reported with its line number) means nothing is written, unless
        ``skip_bad``: then the good rows are imported and the bad ones written to
        ``reject_path`` (default ``<file>.rejected.csv``) with the problem of each.
        ``progress(n)`` is called with the number of lines read after each batch.
        """
        path = Path(path)
        name = str(path)
        if path.is_dir() or not path.exists():
            raise ImportFileError(f"no file {name}; check the path")
        result = ImportResult(path=name)
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        sql = f"{verb} INTO observations (indicator, date, value, source, note) VALUES (?, ?, ?, ?, ?)"
        conn = self.p.store.conn
        today = self.p.today().isoformat()
        known = {r[0] for r in conn.execute("SELECT slug FROM indicators")}
        touched: set[str] = set()
        reject_writer = None
        reject_file = None
        try:
            f = open(path, newline="", encoding="utf-8-sig")
        except OSError as exc:
            raise ImportFileError(f"cannot read {name}: {exc.strerror}") from None
        try:
            reader = csv.reader(f)
            try:
                header = next(reader)
            except StopIteration:
                raise ImportFileError(
                    f"{name} is empty; its first line must name the columns "
                    f"{', '.join(REQUIRED_COLUMNS)} (and optionally source, note)") from None
            columns = [h.strip().lower() for h in header]
            missing = [c for c in REQUIRED_COLUMNS if c not in columns]
            if missing:
                raise ImportFileError(
                    f"{name} has no {', '.join(missing)} column(s) on line 1; the columns are "
                    f"{', '.join(REQUIRED_COLUMNS)} (and optionally source, note)")
            unknown = [c for c in columns if c not in CSV_COLUMNS]
            if unknown:
                raise ImportFileError(
                    f"{name} has unknown column(s) {', '.join(unknown)} on line 1; the columns are "
                    f"{', '.join(CSV_COLUMNS)}")
            pos = {c: i for i, c in enumerate(columns)}
            if skip_bad:
                result.reject_path = str(reject_path or path.with_name(path.stem + ".rejected.csv"))
                reject_file = open(result.reject_path, "w", newline="", encoding="utf-8")
                reject_writer = csv.writer(reject_file)
                reject_writer.writerow(["line", "problem", *header])

            def reject(line: int, raw: list[str], problem: str) -> None:
                result.rejected += 1
                if reject_writer is not None:
                    reject_writer.writerow([line, problem, *raw])
                elif len(result.problems) < 1000:
                    result.problems.append(f"line {line}: {problem}")

            def flush(batch: list[tuple[Any, ...]], lines: list[int], raws: list[list[str]]) -> None:
                if not batch:
                    return
                conn.execute("SAVEPOINT observations_batch")
                try:
                    conn.executemany(sql, batch)
                except sqlite3.IntegrityError:
                    conn.execute("ROLLBACK TO observations_batch")
                    for row, line, raw in zip(batch, lines, raws):
                        try:
                            conn.execute(sql, row)
                        except sqlite3.IntegrityError:
                            reject(line, raw, f"{row[0]} already has an observation on {row[1]} "
                                              f"(in the database or earlier in the file); "
                                              f"use --replace to overwrite")
                        else:
                            result.imported += 1
                            touched.add(row[0])
                else:
                    result.imported += len(batch)
                    touched.update(r[0] for r in batch)
                conn.execute("RELEASE observations_batch")

            with self.p.store.transaction():
                batch: list[tuple[Any, ...]] = []
                lines: list[int] = []
                raws: list[list[str]] = []
                line = 1
                for raw in reader:
                    line = reader.line_num
                    if not raw or (len(raw) == 1 and not raw[0].strip()):
                        continue
                    row, problem = _check_row(raw, pos, known, today, result.rejected < 50)
                    if problem is not None:
                        reject(line, raw, problem)
                        continue
                    if result.rejected and not skip_bad:
                        continue  # keep validating, to report every bad row; write nothing
                    batch.append(row)  # type: ignore[arg-type]
                    lines.append(line)
                    raws.append(raw)
                    if len(batch) >= BATCH:
                        flush(batch, lines, raws)
                        batch, lines, raws = [], [], []
                        if progress:
                            progress(line)
                if not (result.rejected and not skip_bad):
                    flush(batch, lines, raws)
                if progress:
                    progress(line)
                if result.rejected and not skip_bad:
                    shown = result.problems[:SHOWN_PROBLEMS]
                    more = result.rejected - len(shown)
                    message = (f"{name}: {result.rejected} bad row(s), nothing was imported: "
                               + "; ".join(shown) + (f"; and {more} more" if more > 0 else "")
                               + "; fix them, or use --skip-bad to import the good rows")
                    raise ImportFileError(message, result.problems)
                result.indicators = len(touched)
                if result.imported:
                    self.p.store.log(
                        "import", "observation", path.name,
                        f"imported {result.imported} observation(s) of {result.indicators} "
                        f"indicator(s) from {path.name}"
                        + (f" ({result.rejected} rejected)" if result.rejected else ""),
                        {"file": path.name, "count": result.imported,
                         "indicators": sorted(touched)[:100], "rejected": result.rejected})
        except UnicodeDecodeError:
            raise ImportFileError(f"{name} is not UTF-8 text; save it as CSV UTF-8 and try again") from None
        except csv.Error as exc:
            raise ImportFileError(f"{name} could not be read as CSV ({exc}); check the file") from None
        finally:
            f.close()
            if reject_file is not None:
                reject_file.close()
        return result

    # -- the story behind the curve ----------------------------------------------------

    def add_story(self, indicator: str, text: str, *, date: Any = None, kind: str = "why",
                  author: str | None = None) -> StoryNote:
        """Add a dated note on an indicator: why it moves, what works, what to try next."""
        return self.stories.add(indicator=indicator, text=text, kind=kind, author=author,
                                date=self.p.today() if date is None else date)

    def story(self, indicator: str) -> list[StoryNote]:
        self.indicators.get(indicator)
        return self.stories.list(indicator=indicator)

    # -- figures ----------------------------------------------------------------------------

    def refresh(self, *, force: bool = False, time_limit: float | None = None) -> Any:
        """Compute every metric (built-in and plugin) into ``metric_values``, unless they
        are already up to date (no change, same day, same metrics) and not ``force``.
        Returns a :class:`~partnership.metrics.RefreshResult`."""
        from ..metrics import last_result, refresh

        if not force and self.is_fresh():
            return last_result(self.p)
        return refresh(self.p, time_limit=time_limit)

    def is_fresh(self) -> bool:
        from ..metrics import is_fresh

        return is_fresh(self.p)

    def status(self, *, refresh: bool = True) -> dict[str, Any]:
        """Every outcome with its indicators, figures, status, pivot signal and story."""
        from ..metrics import status

        try:
            data = status(self.p, auto_refresh=refresh)
        except sqlite3.OperationalError as exc:
            # a reading command on a file this process may not write (a read-only copy,
            # a file of another user): show the figures of the last refresh, and say so
            if not refresh or "readonly" not in str(exc):
                raise
            data = status(self.p, auto_refresh=False)
            data["refresh_problem"] = (
                "the figures could not be refreshed because the database file is read-only; "
                "they are as of the last refresh" + (
                    f" ({data['computed_at']})" if data.get("computed_at") else ""))
        else:
            data["refresh_problem"] = None
        return data

    def show(self, slug: str) -> dict[str, Any]:
        """One indicator with its figures, its observations and its story."""
        ind = self.indicators.get(slug)
        data = self.status()
        figures: dict[str, Any] = {}
        for o in data["outcomes"]:
            for i in o["indicators"]:
                if i["indicator"] == slug:
                    figures = i
        return {**to_row(ind), "figures": figures,
                "metrics": self.metric_values(slug),
                "observations": [to_row(o) for o in self.series(slug)],
                "story": [to_row(s) for s in self.story(slug)]}

    def metric_values(self, indicator: str = "") -> list[dict[str, Any]]:
        return self.p.store.query(
            "SELECT metric, period, value FROM metric_values WHERE indicator = ? "
            "ORDER BY metric, period", [indicator])


#: rules checked before a record is written (registered by the feature's plugin)
RULES: list[tuple[type, Callable[[Partnership, Any], None]]] = [
    (Observation, _not_in_future),
    (Indicator, _known_metric),
]
