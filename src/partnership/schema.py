"""The versioned schema of a partnership database.

Every change to the schema is a new function registered on :data:`migrations`, in
order, and never edited once released: an old file upgrades in place by applying the
ones it has not seen (sqlite-utils records applied names in ``_sqlite_migrations``).
The schema version of a file is the number of these it has applied.

To add a migration, append a function at the end of this module (above the marker
line), named ``mNNN_what_it_does`` with the next free number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database

MIGRATION_SET = "partnership"


class LazyMigrations:
    """Collects migration functions in order; builds sqlite-utils ``Migrations`` on use.

    Importing sqlite-utils costs a tenth of a second, so a read command that finds
    the schema up to date never imports it (see ``Store._prepare``).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._registered: list[tuple[Callable[..., None], dict[str, Any]]] = []
        self._real: Any = None

    def __call__(self, *, name: str | None = None, transactional: bool = True):
        def inner(fn: Callable[..., None]) -> Callable[..., None]:
            self._registered.append((fn, {"name": name, "transactional": transactional}))
            self._real = None
            return fn

        return inner

    @property
    def names(self) -> list[str]:
        return [opts["name"] or fn.__name__ for fn, opts in self._registered]

    @property
    def real(self) -> Any:
        if self._real is None:
            from sqlite_utils.migrations import Migrations

            real = Migrations(self.name)
            for fn, opts in self._registered:
                real(**opts)(fn)
            self._real = real
        return self._real

    def apply(self, db: Database, **kwargs: Any) -> None:
        self.real.apply(db, **kwargs)

    def applied(self, db: Database) -> list[Any]:
        return list(self.real.applied(db))

    def pending(self, db: Database) -> list[Any]:
        return list(self.real.pending(db))


migrations = LazyMigrations(MIGRATION_SET)


@migrations()
def m001_core(db: Database) -> None:
    """Steps 1 and 2: the partnership, partners, people, outcomes, stakes, contributions."""
    db.executescript(
        """
        CREATE TABLE partnership (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            name TEXT NOT NULL,
            purpose TEXT NOT NULL DEFAULT '',
            governance TEXT NOT NULL DEFAULT 'other',
            licence TEXT NOT NULL DEFAULT 'OGL-UK-3.0',
            licence_url TEXT NOT NULL DEFAULT '',
            website TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE TABLE partners (
            slug TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            kind TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            website TEXT NOT NULL DEFAULT ''
        );
        CREATE TABLE people (
            slug TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            partner TEXT NOT NULL REFERENCES partners(slug),
            role TEXT NOT NULL DEFAULT '',
            email TEXT,
            phone TEXT
        );
        CREATE INDEX idx_people_partner ON people(partner);
        CREATE TABLE outcomes (
            slug TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            beneficiaries TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'proposed'
        );
        CREATE TABLE stakes (
            outcome TEXT NOT NULL REFERENCES outcomes(slug),
            partner TEXT NOT NULL REFERENCES partners(slug),
            motivation TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (outcome, partner)
        );
        CREATE INDEX idx_stakes_partner ON stakes(partner);
        CREATE TABLE contributions (
            id INTEGER PRIMARY KEY,
            outcome TEXT NOT NULL REFERENCES outcomes(slug),
            partner TEXT NOT NULL REFERENCES partners(slug),
            kind TEXT NOT NULL,
            description TEXT NOT NULL,
            amount REAL CHECK (amount IS NULL OR amount >= 0),
            unit TEXT,
            additional INTEGER NOT NULL DEFAULT 0 CHECK (additional IN (0, 1))
        );
        CREATE INDEX idx_contributions_outcome ON contributions(outcome);
        CREATE INDEX idx_contributions_partner ON contributions(partner);
        CREATE TABLE changes (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            key TEXT NOT NULL,
            summary TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{}'
        );
        CREATE INDEX idx_changes_at ON changes(at);
        CREATE INDEX idx_changes_entity ON changes(entity, key);
        """
    )


@migrations()
def m040_meetings(db: Database) -> None:
    """Step 5: meetings, invitees, agenda items and who they need, attendance, decisions,
    actions, and written updates."""
    db.executescript(
        """
        CREATE TABLE meetings (
            slug TEXT PRIMARY KEY,
            date TEXT NOT NULL,
            minutes INTEGER NOT NULL CHECK (minutes > 0 AND minutes <= 1440),
            title TEXT NOT NULL DEFAULT '',
            chair TEXT REFERENCES people(slug),
            status TEXT NOT NULL DEFAULT 'proposed'
                CHECK (status IN ('proposed', 'held', 'cancelled')),
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX idx_meetings_date ON meetings(date);
        CREATE TABLE invitees (
            meeting TEXT NOT NULL REFERENCES meetings(slug),
            person TEXT NOT NULL REFERENCES people(slug),
            dropped INTEGER NOT NULL DEFAULT 0 CHECK (dropped IN (0, 1)),
            PRIMARY KEY (meeting, person)
        );
        CREATE INDEX idx_invitees_person ON invitees(person);
        CREATE TABLE agenda_items (
            id INTEGER PRIMARY KEY,
            meeting TEXT NOT NULL REFERENCES meetings(slug),
            title TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('decision', 'discussion', 'information')),
            outcome TEXT REFERENCES outcomes(slug),
            pitched_by TEXT REFERENCES people(slug),
            dropped INTEGER NOT NULL DEFAULT 0 CHECK (dropped IN (0, 1))
        );
        CREATE INDEX idx_agenda_items_meeting ON agenda_items(meeting);
        CREATE INDEX idx_agenda_items_outcome ON agenda_items(outcome);
        CREATE INDEX idx_agenda_items_pitched_by ON agenda_items(pitched_by);
        CREATE TABLE agenda_needs (
            item INTEGER NOT NULL REFERENCES agenda_items(id),
            person TEXT NOT NULL REFERENCES people(slug),
            PRIMARY KEY (item, person)
        );
        CREATE INDEX idx_agenda_needs_person ON agenda_needs(person);
        CREATE TABLE attendance (
            meeting TEXT NOT NULL REFERENCES meetings(slug),
            person TEXT NOT NULL REFERENCES people(slug),
            PRIMARY KEY (meeting, person)
        );
        CREATE INDEX idx_attendance_person ON attendance(person);
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            meeting TEXT NOT NULL REFERENCES meetings(slug),
            text TEXT NOT NULL
        );
        CREATE INDEX idx_decisions_meeting ON decisions(meeting);
        CREATE TABLE actions (
            id INTEGER PRIMARY KEY,
            meeting TEXT NOT NULL REFERENCES meetings(slug),
            owner TEXT NOT NULL REFERENCES people(slug),
            what TEXT NOT NULL,
            due TEXT,
            commitment INTEGER
        );
        CREATE INDEX idx_actions_meeting ON actions(meeting);
        CREATE INDEX idx_actions_owner ON actions(owner);
        CREATE TABLE updates (
            id INTEGER PRIMARY KEY,
            date TEXT NOT NULL,
            partner TEXT NOT NULL REFERENCES partners(slug),
            outcome TEXT NOT NULL REFERENCES outcomes(slug),
            text TEXT NOT NULL,
            author TEXT REFERENCES people(slug)
        );
        CREATE INDEX idx_updates_date ON updates(date);
        CREATE INDEX idx_updates_partner ON updates(partner);
        CREATE INDEX idx_updates_outcome ON updates(outcome);
        """
    )


@migrations()
def m050_pairs(db: Database) -> None:
    """Unmentoring: who opted in, the rounds drawn, their groups (public, without names) and
    who is in which group (private)."""
    db.executescript(
        """
        CREATE TABLE pair_members (
            person TEXT PRIMARY KEY REFERENCES people(slug),
            active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
            paused_until TEXT,
            since TEXT NOT NULL
        );
        CREATE TABLE pair_rounds (
            round TEXT PRIMARY KEY,
            drawn_on TEXT NOT NULL,
            seed INTEGER NOT NULL CHECK (seed >= 0),
            avoid_rounds INTEGER NOT NULL DEFAULT 3 CHECK (avoid_rounds >= 0),
            people INTEGER NOT NULL DEFAULT 0 CHECK (people >= 0),
            groups INTEGER NOT NULL DEFAULT 0 CHECK (groups >= 0)
        );
        CREATE TABLE pair_groups (
            round TEXT NOT NULL REFERENCES pair_rounds(round),
            number INTEGER NOT NULL CHECK (number >= 1),
            size INTEGER NOT NULL CHECK (size IN (2, 3)),
            met INTEGER NOT NULL DEFAULT 0 CHECK (met IN (0, 1)),
            met_on TEXT,
            output TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (round, number)
        );
        CREATE TABLE pairings (
            round TEXT NOT NULL,
            number INTEGER NOT NULL,
            person TEXT NOT NULL REFERENCES people(slug),
            PRIMARY KEY (round, person),
            FOREIGN KEY (round, number) REFERENCES pair_groups(round, number)
        );
        CREATE INDEX idx_pairings_group ON pairings(round, number);
        CREATE INDEX idx_pairings_person ON pairings(person);
        """
    )


@migrations()
def m051_assess(db: Database) -> None:
    """Self-assessment: areas (capacity, coherence, activity built in) and answers."""
    db.executescript(
        """
        CREATE TABLE assessment_areas (
            slug TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            questions TEXT NOT NULL DEFAULT '',
            builtin INTEGER NOT NULL DEFAULT 0 CHECK (builtin IN (0, 1))
        );
        INSERT INTO assessment_areas (slug, name, builtin) VALUES
            ('capacity', 'Capacity', 1),
            ('coherence', 'Coherence', 1),
            ('activity', 'Activity', 1);
        CREATE TABLE assessments (
            id INTEGER PRIMARY KEY,
            area TEXT NOT NULL REFERENCES assessment_areas(slug),
            round TEXT NOT NULL,
            date TEXT NOT NULL,
            now TEXT NOT NULL,
            want TEXT NOT NULL DEFAULT '',
            evidence TEXT NOT NULL DEFAULT '',
            score INTEGER CHECK (score IS NULL OR score BETWEEN 1 AND 5),
            by TEXT NOT NULL REFERENCES people(slug),
            outcome TEXT REFERENCES outcomes(slug)
        );
        CREATE INDEX idx_assessments_area_round ON assessments(area, round);
        CREATE INDEX idx_assessments_by ON assessments(by);
        CREATE INDEX idx_assessments_outcome ON assessments(outcome);
        """
    )


@migrations()
def m052_governance_answers(db: Database) -> None:
    """The partnership's answers to the key questions of its governance model."""
    db.executescript(
        """
        CREATE TABLE governance_answers (
            model TEXT NOT NULL,
            number INTEGER NOT NULL CHECK (number >= 1),
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            by TEXT REFERENCES people(slug),
            date TEXT NOT NULL,
            PRIMARY KEY (model, number)
        );
        CREATE INDEX idx_governance_answers_by ON governance_answers(by);
        """
    )


@migrations()
def m020_measure(db: Database) -> None:
    """Step 4: indicators, activities and the outcomes they serve, observations, the story
    behind the curve, and materialised metric values with the last run of each metric."""
    db.executescript(
        """
        CREATE TABLE activities (
            slug TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            partner TEXT NOT NULL REFERENCES partners(slug),
            status TEXT NOT NULL DEFAULT 'planned'
                CHECK (status IN ('planned', 'running', 'paused', 'stopped', 'finished')),
            start_date TEXT,
            end_date TEXT CHECK (end_date IS NULL OR start_date IS NULL OR end_date >= start_date),
            description TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX idx_activities_partner ON activities(partner);
        CREATE TABLE activity_outcomes (
            activity TEXT NOT NULL REFERENCES activities(slug),
            outcome TEXT NOT NULL REFERENCES outcomes(slug),
            PRIMARY KEY (activity, outcome)
        );
        CREATE INDEX idx_activity_outcomes_outcome ON activity_outcomes(outcome);
        CREATE TABLE indicators (
            slug TEXT PRIMARY KEY,
            outcome TEXT NOT NULL REFERENCES outcomes(slug),
            title TEXT NOT NULL DEFAULT '',
            unit TEXT NOT NULL,
            direction TEXT NOT NULL CHECK (direction IN ('up', 'down')),
            baseline REAL NOT NULL,
            baseline_date TEXT NOT NULL,
            target REAL NOT NULL,
            target_date TEXT NOT NULL CHECK (target_date > baseline_date),
            frequency TEXT NOT NULL DEFAULT 'quarterly'
                CHECK (frequency IN ('weekly', 'monthly', 'quarterly', 'annual')),
            source TEXT NOT NULL DEFAULT '',
            metric TEXT NOT NULL DEFAULT 'progress',
            activity TEXT REFERENCES activities(slug),
            rba TEXT CHECK (rba IS NULL OR rba IN ('how-much', 'how-well', 'better-off')),
            pivot_after INTEGER NOT NULL DEFAULT 3 CHECK (pivot_after >= 1),
            description TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX idx_indicators_outcome ON indicators(outcome);
        CREATE INDEX idx_indicators_activity ON indicators(activity);
        CREATE TABLE observations (
            indicator TEXT NOT NULL REFERENCES indicators(slug),
            date TEXT NOT NULL,
            value REAL NOT NULL,
            source TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            -- the date as a day number (Python's date.toordinal()), for trend sums in SQL
            day INTEGER GENERATED ALWAYS AS (CAST(julianday(date) - 1721424.5 AS INTEGER)) STORED,
            PRIMARY KEY (indicator, date)
        ) WITHOUT ROWID;
        -- running least-squares sums of each indicator's observations, kept by triggers so a
        -- refresh reads one row per indicator instead of every observation; d = day - 730000
        CREATE TABLE observation_sums (
            indicator TEXT PRIMARY KEY,
            n INTEGER NOT NULL DEFAULT 0,
            sd INTEGER NOT NULL DEFAULT 0,
            sy REAL NOT NULL DEFAULT 0,
            sdy REAL NOT NULL DEFAULT 0,
            sdd INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID;
        CREATE TRIGGER observations_sums_insert AFTER INSERT ON observations BEGIN
            INSERT INTO observation_sums (indicator, n, sd, sy, sdy, sdd)
            VALUES (NEW.indicator, 1, NEW.day - 730000, NEW.value, (NEW.day - 730000) * NEW.value,
                    (NEW.day - 730000) * (NEW.day - 730000))
            ON CONFLICT (indicator) DO UPDATE SET n = n + 1, sd = sd + excluded.sd,
                sy = sy + excluded.sy, sdy = sdy + excluded.sdy, sdd = sdd + excluded.sdd;
        END;
        CREATE TRIGGER observations_sums_delete AFTER DELETE ON observations BEGIN
            UPDATE observation_sums SET n = n - 1, sd = sd - (OLD.day - 730000), sy = sy - OLD.value,
                sdy = sdy - (OLD.day - 730000) * OLD.value,
                sdd = sdd - (OLD.day - 730000) * (OLD.day - 730000)
            WHERE indicator = OLD.indicator;
        END;
        CREATE TRIGGER observations_sums_update AFTER UPDATE OF indicator, date, value ON observations BEGIN
            UPDATE observation_sums SET n = n - 1, sd = sd - (OLD.day - 730000), sy = sy - OLD.value,
                sdy = sdy - (OLD.day - 730000) * OLD.value,
                sdd = sdd - (OLD.day - 730000) * (OLD.day - 730000)
            WHERE indicator = OLD.indicator;
            INSERT INTO observation_sums (indicator, n, sd, sy, sdy, sdd)
            VALUES (NEW.indicator, 1, NEW.day - 730000, NEW.value, (NEW.day - 730000) * NEW.value,
                    (NEW.day - 730000) * (NEW.day - 730000))
            ON CONFLICT (indicator) DO UPDATE SET n = n + 1, sd = sd + excluded.sd,
                sy = sy + excluded.sy, sdy = sdy + excluded.sdy, sdd = sdd + excluded.sdd;
        END;
        CREATE TABLE story_notes (
            id INTEGER PRIMARY KEY,
            indicator TEXT NOT NULL REFERENCES indicators(slug),
            date TEXT NOT NULL,
            kind TEXT NOT NULL DEFAULT 'why'
                CHECK (kind IN ('why', 'works', 'next')),
            text TEXT NOT NULL,
            author TEXT REFERENCES people(slug)
        );
        CREATE INDEX idx_story_notes_indicator ON story_notes(indicator, date);
        CREATE INDEX idx_story_notes_author ON story_notes(author);
        -- materialised by 'partnership refresh': one value per metric, indicator, period
        -- (indicator '' for partnership-wide metrics); value is a number or a word
        CREATE TABLE metric_values (
            metric TEXT NOT NULL,
            indicator TEXT NOT NULL DEFAULT '',
            period TEXT NOT NULL DEFAULT '',
            value,
            computed_at TEXT NOT NULL,
            PRIMARY KEY (indicator, metric, period)
        ) WITHOUT ROWID;
        -- the last refresh of each metric: did it compute, and if not why
        CREATE TABLE metric_runs (
            metric TEXT PRIMARY KEY,
            plugin TEXT NOT NULL,
            ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
            error TEXT NOT NULL DEFAULT '',
            values_written INTEGER NOT NULL DEFAULT 0,
            seconds REAL NOT NULL DEFAULT 0,
            computed_at TEXT NOT NULL,
            -- the partnership's date the figures are computed for, and the last change seen
            as_of TEXT NOT NULL DEFAULT '',
            change_id INTEGER NOT NULL DEFAULT 0
        );
        CREATE VIEW indicator_status AS
        SELECT i.outcome AS outcome, i.slug AS indicator, i.unit AS unit,
               i.direction AS direction, i.baseline AS baseline, i.baseline_date AS baseline_date,
               i.target AS target, i.target_date AS target_date, i.metric AS headline_metric,
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
        FROM indicators i;
        """
    )


def _gap_view_sql(matched: str, met: str) -> str:
    """A gaps view counting the contributions in totals columns ``matched`` and ``met``."""
    return f"""
        SELECT outcome, need, kind, description, essential, needed, unit, met,
               CASE WHEN needed IS NULL THEN NULL
                    WHEN cover = 'met' THEN 0
                    ELSE round(needed - met, 6) END AS gap,
               cover,
               CASE WHEN cover = 'met' THEN 'met' ELSE recorded END AS state,
               candidate, reason, note, since,
               CASE WHEN essential = 1 AND cover != 'met' AND recorded = 'open'
                    THEN 1 ELSE 0 END AS killer,
               contributions, hoped
        FROM (
            SELECT n.outcome AS outcome, n.slug AS need, n.kind AS kind,
                   n.description AS description, n.essential AS essential,
                   n.amount AS needed, n.unit AS unit,
                   coalesce(t.{matched}, 0) AS contributions,
                   CASE WHEN n.amount IS NULL THEN NULL
                        ELSE round(coalesce(t.{met}, 0), 6) END AS met,
                   CASE WHEN n.amount IS NULL
                            THEN CASE WHEN t.{matched} > 0 THEN 'met' ELSE 'unmet' END
                        WHEN coalesce(t.{met}, 0) >= n.amount - 1e-9 THEN 'met'
                        WHEN t.{met} > 0 THEN 'partly-met'
                        ELSE 'unmet' END AS cover,
                   coalesce(t.hoped, 0) AS hoped,
                   coalesce(s.state, 'open') AS recorded,
                   coalesce(s.candidate, '') AS candidate,
                   coalesce(s.reason, '') AS reason,
                   coalesce(s.note, '') AS note,
                   s.since AS since
            FROM needs n
            LEFT JOIN need_totals t ON t.outcome = n.outcome AND t.need = n.slug
            LEFT JOIN gap_states s ON s.outcome = n.outcome AND s.need = n.slug
        )"""


def _verdict_view_sql(basis: str) -> str:
    """An outcome verdicts view over the ``outcome_totals`` of ``basis``."""
    return f"""
        SELECT o.slug AS outcome, o.title AS title, o.status AS status,
               CASE WHEN t.needs IS NULL THEN 'no-needs'
                    WHEN t.killers > 0 THEN 'reboot'
                    WHEN t.essential_seeking > 0 THEN 'at-risk'
                    ELSE 'on-course' END AS verdict,
               coalesce(t.needs, 0) AS needs, coalesce(t.essential, 0) AS essential_needs,
               coalesce(t.met, 0) AS met, coalesce(t.open, 0) AS open,
               coalesce(t.seeking, 0) AS seeking,
               coalesce(t.filled_externally, 0) AS filled_externally,
               coalesce(t.accepted, 0) AS accepted, coalesce(t.killers, 0) AS killers
        FROM outcomes o
        LEFT JOIN outcome_totals t ON t.outcome = o.slug AND t.basis = '{basis}'"""


#: step 3's derived views, version 1 (frozen with m010_gaps; a later change to these is a
#: new migration that drops and recreates them, and :mod:`partnership.gaps` points at it).
#: They read only public tables, so the same SQL builds the public dashboard's views.
GAP_VIEWS_V1: dict[str, str] = {
    # one row per need: how much is met, the gap, its state (met, open, seeking,
    # filled-externally, accepted) and whether it is a collaboration killer; only firm
    # contributions count
    "gaps": _gap_view_sql("firm_matched", "firm_met"),
    # the same, counting likely contributions too (--count-likely)
    "gaps_counting_likely": _gap_view_sql("likely_matched", "likely_met"),
    # one row per outcome: the verdict of step 3 (on-course, at-risk, reboot, no-needs)
    "outcome_verdicts": _verdict_view_sql("firm"),
    "outcome_verdicts_counting_likely": _verdict_view_sql("likely"),
    # one row per declared capacity: what the partner's contributions of that kind and
    # unit add up to across all outcomes, whatever their confidence
    "capacity_use": """
        SELECT partner, kind, unit, capacity, used, used_firm, contributions, outcomes,
               CASE WHEN used > capacity + 1e-9 THEN round(used - capacity, 6) ELSE 0 END
                   AS over_by,
               CASE WHEN used > capacity + 1e-9 THEN 1 ELSE 0 END AS over_committed
        FROM (
            SELECT k.partner AS partner, k.kind AS kind, k.unit AS unit,
                   k.amount AS capacity,
                   round(coalesce(sum(c.amount), 0), 6) AS used,
                   round(coalesce(sum(CASE WHEN c.confidence = 'firm' THEN c.amount END), 0), 6)
                       AS used_firm,
                   count(c.id) AS contributions, count(DISTINCT c.outcome) AS outcomes
            FROM capacities k
            LEFT JOIN contributions c ON c.partner = k.partner AND c.kind = k.kind
                 AND c.unit = k.unit COLLATE NOCASE
            GROUP BY k.partner, k.kind, k.unit
        )""",
    # contributions that count toward no need: they name none, or are in another unit
    "unmatched_contributions": """
        SELECT c.id AS contribution, c.outcome AS outcome, c.partner AS partner,
               c.kind AS kind, c.description AS description, c.amount AS amount,
               c.unit AS unit, c.meets AS meets, c.confidence AS confidence,
               CASE WHEN c.meets IS NULL THEN 'meets no need'
                    ELSE 'counted in ' || coalesce(c.unit, 'no unit') || ' but need '
                         || c.meets || ' is counted in ' || n.unit END AS why
        FROM contributions c
        LEFT JOIN needs n ON n.outcome = c.outcome AND n.slug = c.meets
        WHERE c.meets IS NULL
           OR (n.unit IS NOT NULL AND (c.unit IS NULL OR c.unit != n.unit COLLATE NOCASE))""",
}


#: recompute the totals of one need from its contributions (format with SQL expressions
#: for ``outcome`` and ``need``); nothing is written when no such need exists
NEED_TOTALS_REFRESH_V1 = """
            INSERT OR REPLACE INTO need_totals (outcome, need, firm_matched, firm_met,
                likely_matched, likely_met, hoped, naming)
            SELECT n.outcome, n.slug,
                count(CASE WHEN c.confidence = 'firm' AND (n.unit IS NULL
                      OR c.unit = n.unit COLLATE NOCASE) THEN 1 END),
                coalesce(sum(CASE WHEN c.confidence = 'firm'
                      AND c.unit = n.unit COLLATE NOCASE THEN c.amount END), 0),
                count(CASE WHEN c.confidence IN ('firm', 'likely') AND (n.unit IS NULL
                      OR c.unit = n.unit COLLATE NOCASE) THEN 1 END),
                coalesce(sum(CASE WHEN c.confidence IN ('firm', 'likely')
                      AND c.unit = n.unit COLLATE NOCASE THEN c.amount END), 0),
                count(CASE WHEN c.confidence = 'hoped' THEN 1 END),
                count(c.id)
            FROM needs n
            LEFT JOIN contributions c ON c.outcome = n.outcome AND c.meets = n.slug
            WHERE n.outcome = {outcome} AND n.slug = {need}
            GROUP BY n.outcome, n.slug;"""


#: recompute the per-outcome counts of both bases from the gaps views (format with an SQL
#: expression for ``outcome``; ``"outcome"`` itself recomputes every outcome)
OUTCOME_TOTALS_REFRESH_V1 = """
            DELETE FROM outcome_totals WHERE outcome = {outcome};
            INSERT INTO outcome_totals
            SELECT outcome, 'firm', count(*), sum(essential), sum(state = 'met'),
                   sum(state = 'open'), sum(state = 'seeking'),
                   sum(state = 'filled-externally'), sum(state = 'accepted'), sum(killer),
                   sum(essential = 1 AND state = 'seeking')
            FROM gaps WHERE outcome = {outcome} GROUP BY outcome;
            INSERT INTO outcome_totals
            SELECT outcome, 'likely', count(*), sum(essential), sum(state = 'met'),
                   sum(state = 'open'), sum(state = 'seeking'),
                   sum(state = 'filled-externally'), sum(state = 'accepted'), sum(killer),
                   sum(essential = 1 AND state = 'seeking')
            FROM gaps_counting_likely WHERE outcome = {outcome} GROUP BY outcome;"""


@migrations()
def m010_gaps(db: Database) -> None:
    """Step 3: what each outcome needs, which need a contribution meets and how sure it is,
    partners' declared capacity, the recorded state of gaps, and the views of the analysis.
    Existing contributions meet no need and are firm."""
    db.executescript(
        """
        ALTER TABLE contributions ADD COLUMN meets TEXT;
        ALTER TABLE contributions ADD COLUMN confidence TEXT NOT NULL DEFAULT 'firm'
            CHECK (confidence IN ('firm', 'likely', 'hoped'));
        CREATE INDEX idx_contributions_meets ON contributions(outcome, meets);
        CREATE INDEX idx_contributions_capacity
            ON contributions(partner, kind, unit COLLATE NOCASE);
        CREATE TABLE needs (
            outcome TEXT NOT NULL REFERENCES outcomes(slug),
            slug TEXT NOT NULL,
            kind TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            amount REAL CHECK (amount IS NULL OR amount > 0),
            unit TEXT CHECK ((amount IS NULL) = (unit IS NULL)),
            essential INTEGER NOT NULL DEFAULT 0 CHECK (essential IN (0, 1)),
            PRIMARY KEY (outcome, slug)
        );
        CREATE TABLE capacities (
            partner TEXT NOT NULL REFERENCES partners(slug),
            kind TEXT NOT NULL,
            unit TEXT NOT NULL,
            amount REAL NOT NULL CHECK (amount >= 0),
            note TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (partner, kind, unit)
        );
        CREATE TABLE gap_states (
            outcome TEXT NOT NULL REFERENCES outcomes(slug),
            need TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'open'
                CHECK (state IN ('open', 'seeking', 'filled-externally', 'accepted')),
            candidate TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            since TEXT,
            PRIMARY KEY (outcome, need),
            FOREIGN KEY (outcome, need) REFERENCES needs(outcome, slug)
        );
        -- running totals per need of the contributions naming it, kept by the triggers
        -- below in the same transaction as every write, so the analysis reads one row per
        -- need instead of re-adding 40,000 contributions (see bench/bench_gaps.py).
        -- matched: contributions that count (in the need's unit, any case; any unit for a
        -- yes/no need); met: their amounts; firm ones, and firm-or-likely ones.
        CREATE TABLE need_totals (
            outcome TEXT NOT NULL,
            need TEXT NOT NULL,
            firm_matched INTEGER NOT NULL DEFAULT 0,
            firm_met REAL NOT NULL DEFAULT 0,
            likely_matched INTEGER NOT NULL DEFAULT 0,
            likely_met REAL NOT NULL DEFAULT 0,
            hoped INTEGER NOT NULL DEFAULT 0,
            naming INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (outcome, need),
            FOREIGN KEY (outcome, need) REFERENCES needs(outcome, slug) ON DELETE CASCADE
        ) WITHOUT ROWID;
        -- per outcome and basis ('firm', 'likely'): how many needs are in each state,
        -- kept by triggers from the gaps views, so verdicts are a read of 2 rows per outcome
        CREATE TABLE outcome_totals (
            outcome TEXT NOT NULL REFERENCES outcomes(slug) ON DELETE CASCADE,
            basis TEXT NOT NULL CHECK (basis IN ('firm', 'likely')),
            needs INTEGER NOT NULL,
            essential INTEGER NOT NULL,
            met INTEGER NOT NULL,
            open INTEGER NOT NULL,
            seeking INTEGER NOT NULL,
            filled_externally INTEGER NOT NULL,
            accepted INTEGER NOT NULL,
            killers INTEGER NOT NULL,
            essential_seeking INTEGER NOT NULL,
            PRIMARY KEY (outcome, basis)
        ) WITHOUT ROWID;
        """
    )
    for name, sql in GAP_VIEWS_V1.items():
        db.execute(f"CREATE VIEW [{name}] AS {sql.strip()}")
    refresh = NEED_TOTALS_REFRESH_V1
    outcome = OUTCOME_TOTALS_REFRESH_V1
    db.executescript(
        f"""
        CREATE TRIGGER need_totals_contribution_insert AFTER INSERT ON contributions
        WHEN NEW.meets IS NOT NULL BEGIN
            {refresh.format(outcome="NEW.outcome", need="NEW.meets")}
        END;
        CREATE TRIGGER need_totals_contribution_delete AFTER DELETE ON contributions
        WHEN OLD.meets IS NOT NULL BEGIN
            {refresh.format(outcome="OLD.outcome", need="OLD.meets")}
        END;
        CREATE TRIGGER need_totals_contribution_update
        AFTER UPDATE OF outcome, meets, confidence, amount, unit ON contributions BEGIN
            {refresh.format(outcome="OLD.outcome", need="OLD.meets")}
            {refresh.format(outcome="NEW.outcome", need="NEW.meets")}
        END;
        CREATE TRIGGER need_totals_need_insert AFTER INSERT ON needs BEGIN
            {refresh.format(outcome="NEW.outcome", need="NEW.slug")}
        END;
        CREATE TRIGGER need_totals_need_update AFTER UPDATE OF amount, unit ON needs BEGIN
            {refresh.format(outcome="NEW.outcome", need="NEW.slug")}
        END;
        CREATE TRIGGER outcome_totals_need_totals_insert AFTER INSERT ON need_totals BEGIN
            {outcome.format(outcome="NEW.outcome")}
        END;
        CREATE TRIGGER outcome_totals_need_totals_update AFTER UPDATE ON need_totals BEGIN
            {outcome.format(outcome="NEW.outcome")}
        END;
        CREATE TRIGGER outcome_totals_need_update AFTER UPDATE OF essential ON needs BEGIN
            {outcome.format(outcome="NEW.outcome")}
        END;
        CREATE TRIGGER outcome_totals_need_delete AFTER DELETE ON needs BEGIN
            {outcome.format(outcome="OLD.outcome")}
        END;
        CREATE TRIGGER outcome_totals_gap_insert AFTER INSERT ON gap_states BEGIN
            {outcome.format(outcome="NEW.outcome")}
        END;
        CREATE TRIGGER outcome_totals_gap_update AFTER UPDATE ON gap_states BEGIN
            {outcome.format(outcome="OLD.outcome")}
            {outcome.format(outcome="NEW.outcome")}
        END;
        CREATE TRIGGER outcome_totals_gap_delete AFTER DELETE ON gap_states BEGIN
            {outcome.format(outcome="OLD.outcome")}
        END;
        """
    )


@migrations()
def m030_commitments(db: Database) -> None:
    """Commitments and the trust ledger: promises, their state, and the derived views.

    The views read the computer's date (``date('now')``); the library passes the
    partnership's today instead (see partnership.commitments, which keeps the same SQL).
    """
    db.executescript(
        """
        CREATE TABLE commitments (
            id INTEGER PRIMARY KEY,
            partner TEXT NOT NULL REFERENCES partners(slug),
            owner TEXT REFERENCES people(slug),
            what TEXT NOT NULL CHECK (trim(what) != ''),
            outcome TEXT REFERENCES outcomes(slug),
            activity TEXT,
            due TEXT NOT NULL,
            additional INTEGER NOT NULL DEFAULT 0 CHECK (additional IN (0, 1)),
            created TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'delivered', 'withdrawn')),
            delivered_on TEXT,
            evidence TEXT NOT NULL DEFAULT '',
            withdrawn_on TEXT,
            reason TEXT NOT NULL DEFAULT '',
            CHECK (state != 'delivered' OR (delivered_on IS NOT NULL AND evidence != '')),
            CHECK (state != 'withdrawn' OR (withdrawn_on IS NOT NULL AND reason != ''))
        );
        CREATE INDEX idx_commitments_partner ON commitments(partner);
        CREATE INDEX idx_commitments_owner ON commitments(owner);
        CREATE INDEX idx_commitments_outcome ON commitments(outcome);
        CREATE INDEX idx_commitments_due ON commitments(due);
        CREATE VIEW commitment_status AS
        SELECT c.id AS id, 'C-' || c.id AS ref, c.partner AS partner, c.owner AS owner,
               c.what AS what, c.outcome AS outcome, c.activity AS activity, c.due AS due,
               c.additional AS additional, c.created AS created, c.state AS state,
               c.delivered_on AS delivered_on, c.evidence AS evidence,
               c.withdrawn_on AS withdrawn_on, c.reason AS reason,
               CASE WHEN c.state = 'withdrawn' THEN 'withdrawn'
                    WHEN c.state = 'delivered' AND c.delivered_on > c.due THEN 'kept-late'
                    WHEN c.state = 'delivered' THEN 'kept'
                    WHEN c.due < date('now') THEN 'overdue'
                    ELSE 'open' END AS status,
               CASE WHEN c.state = 'delivered' AND c.delivered_on > c.due
                    THEN CAST(julianday(c.delivered_on) - julianday(c.due) AS INTEGER)
                    WHEN c.state = 'open' AND c.due < date('now')
                    THEN CAST(julianday(date('now')) - julianday(c.due) AS INTEGER)
                    ELSE 0 END AS days_late
        FROM commitments c;
        CREATE VIEW ledger AS
        SELECT *,
               round(1.0 * (kept + kept_late) / nullif(made - open, 0), 3) AS kept_rate,
               round(1.0 * kept / nullif(made - open, 0), 3) AS on_time_rate,
               round(1.0 * additional / nullif(made, 0), 3) AS additional_share
        FROM (SELECT pa.slug AS partner, pa.name AS partner_name,
                     count(s.id) AS made,
                     coalesce(sum(s.status = 'kept'), 0) AS kept,
                     coalesce(sum(s.status = 'kept-late'), 0) AS kept_late,
                     coalesce(sum(s.status = 'open'), 0) AS open,
                     coalesce(sum(s.status = 'overdue'), 0) AS overdue,
                     coalesce(sum(s.status = 'withdrawn'), 0) AS withdrawn,
                     coalesce(sum(s.additional), 0) AS additional
              FROM partners pa LEFT JOIN commitment_status s ON s.partner = pa.slug
              GROUP BY pa.slug);
        CREATE VIEW kept_rate_by_quarter AS
        SELECT *,
               round(1.0 * (kept + kept_late) / nullif(made - open, 0), 3) AS kept_rate,
               round(1.0 * kept / nullif(made - open, 0), 3) AS on_time_rate,
               round(1.0 * additional / nullif(made, 0), 3) AS additional_share
        FROM (SELECT strftime('%Y', s.due) || '-Q'
                         || ((CAST(strftime('%m', s.due) AS INTEGER) + 2) / 3) AS quarter,
                     count(*) AS made,
                     sum(s.status = 'kept') AS kept,
                     sum(s.status = 'kept-late') AS kept_late,
                     sum(s.status = 'open') AS open,
                     sum(s.status = 'overdue') AS overdue,
                     sum(s.status = 'withdrawn') AS withdrawn,
                     sum(s.additional) AS additional
              FROM commitment_status s GROUP BY quarter);
        """
    )


# --- append new migrations above this line (see the module docstring) ---


def known_migrations() -> list[str]:
    """Names of every migration this version of the code knows, in order."""
    return migrations.names
