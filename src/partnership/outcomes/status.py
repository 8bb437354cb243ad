"""One plain status per outcome, for the public: the words a reader meets first.

Two measures already judge an outcome, and a reader cannot tell them apart when they
stand side by side as coloured pills: step 3's **gap verdict** (does the outcome have
what it needs: on course, at risk, reboot, no needs) and step 4's **measurement status**
(what its indicators' figures say: on track, at risk, off track, with a pivot signal).
A third fact changes what both are worth: **staleness** (a figure nobody has updated
within its reporting frequency says nothing about today).

:func:`outcome_statuses` folds the three into one public status, the first rule that
holds deciding it:

1. **needs a rethink**: a collaboration killer (an essential gap nobody can fill), an
   indicator off track long enough to call for a pivot, or an outcome being rebooted;
2. **not measured**: no indicator has a figure with a status, or every such figure is
   stale (out of date figures cannot say it is going well, nor badly);
3. **off track**: an indicator is off track;
4. **at risk**: an indicator is at risk, essential gaps are being sought outside the
   partnership, or some figures are stale;
5. **on track**: otherwise.

Each outcome keeps the gap verdict and the measurement status as two named things
(``gap_verdict``, ``measurement``) with their words, and ``reason`` says in a sentence why
the public status is what it is. The whole computation is one SQL query (:func:`status_sql`)
over tables and views that the working file and the public file both hold, so publishing
materialises the same rows into the public table ``outcome_public_status`` (the home page
reads it) and ``partnership`` commands read them from the working file: one definition.
Staleness is measured on the date the figures are for (``p.today()``; the public file's
``site.as_of``), with the same frequencies as the ``stale-indicator`` check.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from partnership.api import Partnership

__all__ = ["GAP_VERDICT_WORDS", "MEASUREMENT_WORDS", "STATUSES", "STATUS_MEANINGS",
           "OutcomeStatusView", "freshness_sql", "outcome_statuses", "status_sql"]

#: the public statuses, best first
STATUSES: tuple[str, ...] = ("on track", "at risk", "off track", "not measured", "needs a rethink")

#: what each public status means, in one sentence (shown on the page beside the words)
STATUS_MEANINGS: dict[str, str] = {
    "on track": ("Its latest figures are up to date and heading for the target, and it has "
                 "what it needs."),
    "at risk": ("It could miss its target: a figure is at risk, some figures are out of date, "
                "or an essential need is still being sought outside the partnership."),
    "off track": "Its latest figures say it will miss its target unless something changes.",
    "not measured": ("Nobody can tell how it is going: it has no indicator, no figures yet, "
                     "or only figures that are out of date."),
    "needs a rethink": ("As planned it cannot work: an essential need nobody can meet, or "
                        "figures off track for long enough that the partners should change "
                        "what they do."),
}

#: step 3's verdict in words: does the outcome have what it needs?
GAP_VERDICT_WORDS: dict[str, str] = {
    "on-course": "has what it needs",
    "at-risk": "seeking an essential need outside the partnership",
    "reboot": "missing an essential need nobody can meet",
    "no-needs": "no needs recorded",
}

#: step 4's status in words: what do the figures say?
MEASUREMENT_WORDS: dict[str, str] = {
    "on-track": "figures on track",
    "at-risk": "figures at risk",
    "off-track": "figures off track",
    "": "no figures yet",
}

#: how many days a figure stays up to date, per reporting frequency (as the
#: ``stale-indicator`` check counts them)
FREQUENCY_DAYS = {"weekly": 7, "monthly": 31, "quarterly": 92, "annual": 366}


def freshness_sql(today: str = ":today") -> str:
    """One row per indicator: its latest figure's date, when a new one was due, and
    ``stale_since`` (the due date, when it has passed; outcomes dropped or achieved are
    not chased). ``today`` is an SQL expression for the date the figures are for."""
    days = " ".join(f"WHEN '{k}' THEN {v}" for k, v in FREQUENCY_DAYS.items())
    return f"""
        SELECT f.outcome AS outcome, f.indicator AS indicator, f.title AS title,
               f.frequency AS frequency, f.latest_date AS latest_date, f.due AS due,
               CASE WHEN f.due < f.today AND f.outcome_status NOT IN ('dropped', 'achieved')
                    THEN f.due END AS stale_since
        FROM (
            SELECT i.outcome AS outcome, i.slug AS indicator, i.title AS title,
                   i.frequency AS frequency, o.status AS outcome_status,
                   (SELECT max(ob.date) FROM observations ob WHERE ob.indicator = i.slug)
                       AS latest_date,
                   date(coalesce((SELECT max(ob.date) FROM observations ob
                                  WHERE ob.indicator = i.slug), i.baseline_date),
                        '+' || (CASE i.frequency {days} ELSE 31 END) || ' days') AS due,
                   ({today}) AS today
            FROM indicators i JOIN outcomes o ON o.slug = i.outcome
        ) f"""


def _some(column: str) -> str:
    """SQL for "its indicator is", "2 of its 3 indicators are" (``column`` of them)."""
    return (f"(CASE WHEN indicators = 1 THEN 'its indicator is' "
            f"ELSE {column} || ' of its ' || indicators || ' indicators ' "
            f"|| (CASE {column} WHEN 1 THEN 'is' ELSE 'are' END) END)")


def status_sql(today: str = ":today") -> str:
    """One row per outcome: its public status, why, and the two measures behind it.

    Reads ``outcomes``, ``indicators``, ``observations``, the ``indicator_status`` and
    ``outcome_verdicts`` views: present in the working file and in the public file alike.
    ``today`` is an SQL expression for the date the figures are for."""
    return f"""
        WITH fresh AS ({freshness_sql(today)}),
        ind AS (
            SELECT f.outcome, f.indicator, f.latest_date, f.stale_since,
                   s.status AS status, coalesce(s.pivot, 0) AS pivot
            FROM fresh f LEFT JOIN indicator_status s ON s.indicator = f.indicator
        ),
        agg AS (
            SELECT o.slug AS outcome, o.title AS title, o.status AS stage,
                   coalesce(v.verdict, 'no-needs') AS gap_verdict,
                   count(ind.indicator) AS indicators,
                   coalesce(sum(ind.status IS NOT NULL), 0) AS measured,
                   coalesce(sum(ind.status IS NOT NULL AND ind.stale_since IS NULL), 0) AS current,
                   coalesce(sum(ind.status = 'on-track'), 0) AS on_track,
                   coalesce(sum(ind.status = 'at-risk'), 0) AS at_risk,
                   coalesce(sum(ind.status = 'off-track'), 0) AS off_track,
                   coalesce(sum(ind.stale_since IS NOT NULL), 0) AS stale,
                   coalesce(max(ind.pivot), 0) AS pivot,
                   max(ind.latest_date) AS latest_date,
                   min(ind.stale_since) AS stale_since
            FROM outcomes o
            LEFT JOIN ind ON ind.outcome = o.slug
            LEFT JOIN outcome_verdicts v ON v.outcome = o.slug
            GROUP BY o.slug
        ),
        m AS (
            SELECT agg.*,
                   CASE WHEN off_track > 0 THEN 'off-track' WHEN at_risk > 0 THEN 'at-risk'
                        WHEN on_track > 0 THEN 'on-track' ELSE '' END AS measurement
            FROM agg
        )
        SELECT outcome, title, stage,
               CASE WHEN gap_verdict = 'reboot' OR pivot OR stage = 'rebooting' THEN 'needs a rethink'
                    WHEN current = 0 THEN 'not measured'
                    WHEN measurement = 'off-track' THEN 'off track'
                    WHEN measurement = 'at-risk' OR gap_verdict = 'at-risk' OR stale > 0
                         THEN 'at risk'
                    ELSE 'on track' END AS status,
               CASE WHEN gap_verdict = 'reboot'
                         THEN 'an essential need has no one to meet it (a collaboration killer)'
                    WHEN pivot THEN 'an indicator has been off track long enough to call for a pivot'
                    WHEN stage = 'rebooting' THEN 'the partners are rethinking it'
                    WHEN indicators = 0 THEN 'nothing measures it yet'
                    WHEN measured = 0 THEN 'its indicators have no figures yet'
                    WHEN current = 0 THEN 'every figure is out of date (stale since '
                                          || stale_since || ')'
                    WHEN measurement = 'off-track' THEN {_some('off_track')} || ' off track'
                    WHEN measurement = 'at-risk' THEN {_some('at_risk')} || ' at risk'
                    WHEN gap_verdict = 'at-risk'
                         THEN 'an essential need is still being sought outside the partnership'
                    WHEN stale > 0 THEN {_some('stale')} || ' out of date (stale since '
                                        || stale_since || ')'
                    ELSE 'every figure is up to date and on track' END AS reason,
               gap_verdict, measurement, pivot, indicators, measured, on_track, at_risk,
               off_track, stale, latest_date, stale_since
        FROM m"""


@attrs.define(frozen=True, kw_only=True)
class OutcomeStatusView:
    """One outcome as the public sees it: the plain status and the two measures behind it."""

    outcome: str
    title: str
    #: where the partnership is with it: proposed, agreed, achieved, dropped, rebooting
    stage: str
    #: the public status: one of :data:`STATUSES`
    status: str
    #: why, in a few words ("2 of its 3 indicators are off track")
    reason: str
    #: step 3's verdict: on-course, at-risk, reboot or no-needs
    gap_verdict: str
    #: step 4's status from the figures: on-track, at-risk, off-track, or '' for no figures
    measurement: str
    pivot: bool
    indicators: int
    measured: int
    on_track: int
    at_risk: int
    off_track: int
    #: indicators whose figures are out of date
    stale: int
    #: the date of its latest figure (None before the first)
    latest_date: str | None
    #: the earliest date one of its figures went out of date (None when all are current)
    stale_since: str | None

    @property
    def meaning(self) -> str:
        """What :attr:`status` means, in one sentence."""
        return STATUS_MEANINGS[self.status]

    @property
    def gap_verdict_words(self) -> str:
        return GAP_VERDICT_WORDS.get(self.gap_verdict, self.gap_verdict)

    @property
    def measurement_words(self) -> str:
        return MEASUREMENT_WORDS.get(self.measurement, self.measurement)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> OutcomeStatusView:
        fields = {a.name for a in attrs.fields(cls)}
        values = {k: v for k, v in row.items() if k in fields}
        values["pivot"] = bool(values.get("pivot"))
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return {**attrs.asdict(self), "meaning": self.meaning,
                "gap_verdict_words": self.gap_verdict_words,
                "measurement_words": self.measurement_words}


def outcome_statuses(p: Partnership, *, refresh: bool = True) -> dict[str, OutcomeStatusView]:
    """Every outcome's public status, by slug (in slug order), from the working file.

    The indicators' statuses come from the materialised metric values: refreshed first
    when out of date (unless ``refresh`` is False)."""
    if refresh and not p.measure.is_fresh():
        p.measure.refresh()
    rows = p.store.query(status_sql() + " ORDER BY outcome", {"today": p.today().isoformat()})
    return {r["outcome"]: OutcomeStatusView.from_row(dict(r)) for r in rows}
