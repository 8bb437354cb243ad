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

Bulk import (:meth:`Measure.import_csv`, in :mod:`partnership.measurement.csv_import`)
streams the file, validates every row through the :class:`Observation` model as
:meth:`Measure.observe` does, inserts in batches inside one transaction and writes one
change-log entry for the whole import. Any bad row means nothing is written, unless
``skip_bad`` is given (bad rows then go to a reject file).

The public tables and views of this step are in :mod:`partnership.measurement.public`.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import sqlite3
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import attrs
from attrs import define, field

from .. import validators as v
from ..errors import AlreadyExists, Conflict, NotFound, ValidationError
from ..models import Choice, entity, ref
from ..records import Collection, from_row, structure, to_row
from ..words import noun

if TYPE_CHECKING:
    from ..api import Partnership
    from .csv_import import ImportResult

__all__ = [
    "Direction", "Frequency", "ActivityStatus", "RBA", "StoryKind", "Indicator", "Activity",
    "ActivityOutcome", "Observation", "StoryNote", "Measure", "MODELS", "future_problem",
    "PLAUSIBLE_MARGIN", "Seen", "seen_range", "seen_ranges",
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


def _pivot_after(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise v.FieldProblem(f"{attribute.name} must be a whole number of observations, 1 or more "
                             f"(got {v.shown(value)})")
    if value > 100:
        raise v.FieldProblem(f"{attribute.name} {value} is more than 100 observations; use fewer")


def _finite(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise v.FieldProblem(f"{attribute.name} must be a number (got {v.shown(value)})")
    if abs(value) > 1e15:
        raise v.FieldProblem(f"{attribute.name} {value:g} is too large; use a larger unit")


def _metric_name(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
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
    def _end_after_start(self, _a: attrs.Attribute[dt.date | None], value: dt.date | None) -> None:
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
    def _target_after_baseline(self, _a: attrs.Attribute[dt.date], value: dt.date) -> None:
        if isinstance(value, dt.date) and isinstance(self.baseline_date, dt.date) \
                and value <= self.baseline_date:
            raise v.FieldProblem(
                f"target_date {value.isoformat()} must be after baseline_date "
                f"{self.baseline_date.isoformat()}")

    @target.validator
    def _target_in_direction(self, _a: attrs.Attribute[float], value: float) -> None:
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


# -- plausibility: a figure far outside what the indicator has seen ----------------------------

#: a figure is refused as implausible (unless confirmed) when it lies further outside the
#: range the indicator has seen (its baseline, its target and its recorded figures) than
#: this many times the larger of that range's width and a tenth of its largest figure
PLAUSIBLE_MARGIN = 2.0


@define(frozen=True)
class Seen:
    """The range of figures an indicator has seen: its baseline, target and observations."""

    low: float
    high: float

    def widened(self, value: float) -> Seen:
        return Seen(min(self.low, value), max(self.high, value))

    @property
    def margin(self) -> float:
        return PLAUSIBLE_MARGIN * max(self.high - self.low, 0.1 * max(abs(self.low), abs(self.high)))

    def problem(self, indicator: str, value: float, unit: str = "") -> str | None:
        """Why ``value`` is implausible for ``indicator``, or None when it is plausible."""
        lowest, highest = self.low - self.margin, self.high + self.margin
        if lowest <= value <= highest:
            return None
        unit = f" {unit}" if unit else ""
        return (f"{indicator} = {value:g} is far outside what it has seen ({self.low:g} to "
                f"{self.high:g}{unit}, counting its baseline, target and figures; anything from "
                f"{lowest:g} to {highest:g} is taken)")


def seen_range(conn: sqlite3.Connection, indicator: str, *, leaving_out: str | None = None) -> Seen | None:
    """What ``indicator`` has seen, without its observation on ``leaving_out`` (the one
    being corrected); None when there is no such indicator."""
    row = conn.execute("SELECT baseline, target FROM indicators WHERE slug = ?", [indicator]).fetchone()
    if row is None:
        return None
    seen = Seen(min(row[0], row[1]), max(row[0], row[1]))
    low, high = conn.execute(
        "SELECT min(value), max(value) FROM observations WHERE indicator = ? AND date IS NOT ?",
        [indicator, leaving_out]).fetchone()
    if low is not None:
        seen = seen.widened(low).widened(high)
    return seen


def seen_ranges(conn: sqlite3.Connection, indicators: Iterable[str]) -> dict[str, Seen | None]:
    """:func:`seen_range` of each of ``indicators``, read in one query."""
    found: dict[str, Seen | None] = dict.fromkeys(indicators)
    rows = conn.execute(
        "SELECT slug, baseline, target, (SELECT min(value) FROM observations WHERE indicator = slug), "
        "(SELECT max(value) FROM observations WHERE indicator = slug) FROM indicators "
        "WHERE slug IN (SELECT value FROM json_each(?))", [json.dumps(sorted(found))])
    for slug, baseline, target, low, high in rows:
        seen = Seen(min(baseline, target), max(baseline, target))
        found[slug] = seen if low is None else seen.widened(low).widened(high)
    return found


# -- the service --------------------------------------------------------------------------

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
            raise ValidationError(
                "activity: name at least one outcome it serves, like --outcome fewer-repeat-asb")
        with self.p.store.transaction():
            activity = self.activities.add(slug=slug, title=title or slug.replace("-", " ").capitalize(),
                                           partner=partner, **fields)
            for outcome in outcomes:
                self.activity_outcomes.add(activity=slug, outcome=outcome)
        return activity

    def update_activity(self, slug: str, *, reason: str = "", **changes: Any) -> Activity:
        """Correct an activity's title, partner, status, dates or description; what is not
        given stays as it was (the change log keeps the earlier values and the reason)."""
        return self.activities.correct((slug,), changes, reason=reason)

    def remove_activity(self, slug: str, *, reason: str = "") -> Activity:
        """Remove an activity recorded by mistake, with the outcomes it was linked to.

        Refused while an indicator measures it or a commitment serves it: change or
        remove those first."""
        with self.p.store.transaction():
            activity = self.activities.get(slug)
            conn = self.p.store.conn
            measured = [r[0] for r in conn.execute(
                "SELECT slug FROM indicators WHERE activity = ? ORDER BY slug", [slug])]
            if measured:
                raise Conflict(f"activity {slug} is measured by {noun(len(measured), 'indicator')} "
                               f"{', '.join(measured)}; "
                               f"remove them or change their --activity first")
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'commitments'").fetchone():
                serving = [f"C-{r[0]}" for r in conn.execute(
                    "SELECT id FROM commitments WHERE activity = ? ORDER BY id", [slug])]
                if serving:
                    raise Conflict(f"activity {slug} is served by commitment(s) {', '.join(serving)}; "
                                   f"correct their activity first ('partnership commitment correct')")
            for link in self.activity_outcomes.list(activity=slug):
                self.activity_outcomes.remove(link.activity, link.outcome, reason=reason)
            self.activities.remove(slug, reason=reason)
            return activity

    def activity_list(self, *, outcome: str | None = None,
                      partner: str | None = None) -> list[dict[str, Any]]:
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

    def observe(self, indicator: str, value: Any, *, date: Any = None, source: str | None = None,
                note: str | None = None, replace: bool = False, confirm: bool = False) -> Observation:
        """Record one value of an indicator (dated today unless ``date`` is given).

        A figure far outside what the indicator has seen is refused unless ``confirm``
        (see :class:`Seen`); ``replace`` overwrites the value of the same date, keeping
        its source and note unless new ones are given."""
        obs = structure(Observation, {"indicator": indicator, "value": value,
                                      "date": self.p.today() if date is None else date,
                                      "source": source or "", "note": note or ""})
        day = obs.date.isoformat()
        with self.p.store.transaction():
            self.indicators.get(obs.indicator)
            if self.observations.exists(obs.indicator, day):
                if not replace:
                    raise AlreadyExists(
                        "observation", f"{obs.indicator} on {day}",
                        f"add --replace to overwrite it, or use 'partnership observation correct "
                        f"{obs.indicator} {day}'")
                before = self.observations.get(obs.indicator, day)
                obs = attrs.evolve(obs, source=before.source if source is None else obs.source,
                                   note=before.note if note is None else obs.note)
                self._plausible(obs, confirm, leaving_out=day)
                return self.observations._replace(before, obs)
            self._plausible(obs, confirm)
            return self.observations._insert(obs)

    def _plausible(self, obs: Observation, confirm: bool, *, leaving_out: str | None = None) -> None:
        """Refuse a figure far outside what its indicator has seen (unless ``confirm``),
        after the other rules, so a wrong date is reported as such first."""
        self.p.validate(obs)
        if confirm:
            return
        seen = seen_range(self.p.store.conn, obs.indicator, leaving_out=leaving_out)
        if seen is None:
            return
        unit = self.p.store.conn.execute(
            "SELECT unit FROM indicators WHERE slug = ?", [obs.indicator]).fetchone()[0]
        problem = seen.problem(obs.indicator, obs.value, unit)
        if problem:
            raise ValidationError(f"implausible figure: {problem}; check it, or if it is right "
                                  f"add --confirm")

    def observation(self, indicator: str, date: Any) -> Observation:
        """The observation of ``indicator`` on ``date``, or :class:`NotFound`."""
        day = _day(date)
        self.indicators.get(indicator)
        if not self.observations.exists(indicator, day):
            known = [r[0] for r in self.p.store.conn.execute(
                "SELECT date FROM observations WHERE indicator = ? ORDER BY date DESC LIMIT 12",
                [indicator])]
            raise NotFound(f"observation of {indicator} on", day, known,
                           hint=f"see the dates with 'partnership indicator show {indicator}'")
        return self.observations.get(indicator, day)

    def correct_observation(self, indicator: str, date: Any, *, value: Any = None,
                            new_date: Any = None, source: str | None = None,
                            note: str | None = None, reason: str = "",
                            confirm: bool = False) -> Observation:
        """Correct the observation of ``indicator`` on ``date``: its value, its date, its
        source or its note; what is not given stays as it was. The change log keeps the
        figures before and the ``reason``; a new value is checked for plausibility
        against the indicator's other figures (unless ``confirm``)."""
        with self.p.store.transaction():
            before = self.observation(indicator, date)
            day = before.date.isoformat()
            changes: dict[str, Any] = {k: val for k, val in (
                ("value", value), ("date", new_date), ("source", source), ("note", note))
                if val is not None}
            if not changes:
                raise ValidationError(
                    f"say what to correct in the observation of {indicator} on {day}: "
                    f"--value, --date, --source or --note")
            after = structure(Observation, {**to_row(before), **changes})
            if after == before:
                raise ValidationError(
                    f"the observation of {indicator} on {day} already has those values; "
                    f"nothing to correct")
            self._plausible(after, confirm, leaving_out=day)
            if after.date == before.date:
                return self.observations.correct((indicator, day), changes, reason=reason)
            moved = after.date.isoformat()
            if self.observations.exists(indicator, moved):
                raise AlreadyExists("observation", f"{indicator} on {moved}",
                                    "correct or remove that one first")
            self.observations.remove(indicator, day, reason=reason or f"moved to {moved}")
            inserted = self.observations._insert(after)
            return inserted

    def remove_observation(self, indicator: str, date: Any, *, reason: str = "") -> Observation:
        """Remove the observation of ``indicator`` on ``date``; the change log keeps it
        (and the ``reason``), so ``undo`` can put it back."""
        with self.p.store.transaction():
            obs = self.observation(indicator, date)
            return self.observations.remove(indicator, obs.date.isoformat(), reason=reason)

    def series(self, indicator: str) -> list[Observation]:
        """Every observation of one indicator, oldest first."""
        self.indicators.get(indicator)
        rows = self.p.store.query(
            "SELECT * FROM observations WHERE indicator = ? ORDER BY date", [indicator])
        return [from_row(Observation, r) for r in rows]

    def import_csv(self, path: str | os.PathLike[str], *, skip_bad: bool = False,
                   reject_path: str | os.PathLike[str] | None = None, replace: bool = False,
                   progress: Callable[[int], None] | None = None,
                   confirm: bool = False) -> ImportResult:
        """Import observations from a CSV file with columns indicator, date, value
        (and optionally source, note).

        Streams the file, validates every row as :meth:`observe` would, writes in batches
        inside one transaction with one change-log entry. A bad row (reported with its
        line number) means nothing is written, unless ``skip_bad``: then the good rows are
        imported and the bad ones written to ``reject_path`` (default
        ``<file>.rejected.csv``) with the problem of each. ``progress(n)`` is called with
        the number of lines read after each batch. A figure far outside what its indicator
        has seen (its baseline, target, figures and the file's rows before it) is a bad
        row, unless ``confirm``. See :mod:`partnership.measurement.csv_import`.
        """
        from .csv_import import import_observations

        return import_observations(self.p, path, skip_bad=skip_bad, reject_path=reject_path,
                                   replace=replace, progress=progress, confirm=confirm)


    # -- the story behind the curve ----------------------------------------------------

    def add_story(self, indicator: str, text: str, *, date: Any = None, kind: str = "why",
                  author: str | None = None) -> StoryNote:
        """Add a dated note on an indicator: why it moves, what works, what to try next."""
        return self.stories.add(indicator=indicator, text=text, kind=kind, author=author,
                                date=self.p.today() if date is None else date)

    def correct_story(self, note_id: int, *, reason: str = "", **changes: Any) -> StoryNote:
        """Correct a note of the story behind the curve (text, kind, date or author)."""
        return self.stories.correct((note_id,), changes, reason=reason)

    def remove_story(self, note_id: int, *, reason: str = "") -> StoryNote:
        """Remove a note of the story behind the curve (the change log keeps it)."""
        return self.stories.remove(note_id, reason=reason)

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


def _day(value: Any) -> str:
    """A date given as text or a date, as YYYY-MM-DD (or a ValidationError)."""
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return v.parse_date(value, "date").isoformat()
    except v.FieldProblem as exc:
        raise ValidationError(str(exc)) from None


#: rules checked before a record is written (registered by the feature's plugin)
RULES: list[tuple[type, Callable[[Partnership, Any], None]]] = [
    (Observation, _not_in_future),
    (Indicator, _known_metric),
]
