"""The schema of step 3: needs, capacity, gap states, the trigger-kept totals and the gap views.

Frozen SQL: these migrations are recorded by name in users' files; never edit or
rename one (a change is a new migration). Their order is :data:`partnership.schema.BUILTIN_ORDER`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


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


#: recompute what the contributions use of each capacity with the same partner and kind
#: and a unit equal in any case (format with SQL expressions for ``partner``, ``kind`` and
#: ``unit``; ``"k.partner"``, ``"k.kind"``, ``"k.unit"`` recompute every capacity)
CAPACITY_TOTALS_REFRESH_V1 = """
            INSERT OR REPLACE INTO capacity_totals (partner, kind, unit, used, used_firm,
                contributions, outcomes)
            SELECT k.partner, k.kind, k.unit, coalesce(sum(c.amount), 0),
                   coalesce(sum(CASE WHEN c.confidence = 'firm' THEN c.amount END), 0),
                   count(c.id), count(DISTINCT c.outcome)
            FROM capacities k
            LEFT JOIN contributions c ON c.partner = k.partner AND c.kind = k.kind
                 AND c.unit = k.unit COLLATE NOCASE
            WHERE k.partner = {partner} AND k.kind = {kind} AND k.unit = {unit} COLLATE NOCASE
            GROUP BY k.partner, k.kind, k.unit;"""


#: step 3's views, version 2 (frozen with m011_capacity_totals): capacity use reads the
#: trigger-kept ``capacity_totals`` (one row per capacity) instead of grouping every
#: contribution; its rows are the same as version 1's
GAP_VIEWS_V2: dict[str, str] = {
    **GAP_VIEWS_V1,
    "capacity_use": """
        SELECT partner, kind, unit, capacity, used, used_firm, contributions, outcomes,
               CASE WHEN used > capacity + 1e-9 THEN round(used - capacity, 6) ELSE 0 END
                   AS over_by,
               CASE WHEN used > capacity + 1e-9 THEN 1 ELSE 0 END AS over_committed
        FROM (
            SELECT k.partner AS partner, k.kind AS kind, k.unit AS unit,
                   k.amount AS capacity,
                   round(coalesce(t.used, 0), 6) AS used,
                   round(coalesce(t.used_firm, 0), 6) AS used_firm,
                   coalesce(t.contributions, 0) AS contributions,
                   coalesce(t.outcomes, 0) AS outcomes
            FROM capacities k
            LEFT JOIN capacity_totals t ON t.partner = k.partner AND t.kind = k.kind
                 AND t.unit = k.unit
        )""",
}


def m011_capacity_totals(db: Database) -> None:
    """What each declared capacity's contributions add up to, kept by triggers in the same
    transaction as every write (as ``need_totals`` is), so capacity use is a read of one row
    per capacity instead of a grouped join over every contribution (bench/bench_gaps.py);
    the ``capacity_use`` view reads it."""
    db.executescript(
        """
        CREATE TABLE capacity_totals (
            partner TEXT NOT NULL,
            kind TEXT NOT NULL,
            unit TEXT NOT NULL,
            used REAL NOT NULL DEFAULT 0,
            used_firm REAL NOT NULL DEFAULT 0,
            contributions INTEGER NOT NULL DEFAULT 0,
            outcomes INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (partner, kind, unit)
        ) WITHOUT ROWID;
        DROP VIEW capacity_use;
        """
    )
    db.execute(f"CREATE VIEW [capacity_use] AS {GAP_VIEWS_V2['capacity_use'].strip()}")
    refresh = CAPACITY_TOTALS_REFRESH_V1
    db.executescript(
        f"""
        {refresh.format(partner="k.partner", kind="k.kind", unit="k.unit")}
        CREATE TRIGGER capacity_totals_contribution_insert AFTER INSERT ON contributions
        WHEN NEW.unit IS NOT NULL BEGIN
            {refresh.format(partner="NEW.partner", kind="NEW.kind", unit="NEW.unit")}
        END;
        CREATE TRIGGER capacity_totals_contribution_delete AFTER DELETE ON contributions
        WHEN OLD.unit IS NOT NULL BEGIN
            {refresh.format(partner="OLD.partner", kind="OLD.kind", unit="OLD.unit")}
        END;
        CREATE TRIGGER capacity_totals_contribution_update
        AFTER UPDATE OF partner, kind, unit, amount, confidence, outcome ON contributions BEGIN
            {refresh.format(partner="OLD.partner", kind="OLD.kind", unit="OLD.unit")}
            {refresh.format(partner="NEW.partner", kind="NEW.kind", unit="NEW.unit")}
        END;
        CREATE TRIGGER capacity_totals_capacity_insert AFTER INSERT ON capacities BEGIN
            {refresh.format(partner="NEW.partner", kind="NEW.kind", unit="NEW.unit")}
        END;
        CREATE TRIGGER capacity_totals_capacity_update
        AFTER UPDATE OF partner, kind, unit ON capacities BEGIN
            DELETE FROM capacity_totals
            WHERE partner = OLD.partner AND kind = OLD.kind AND unit = OLD.unit;
            {refresh.format(partner="NEW.partner", kind="NEW.kind", unit="NEW.unit")}
        END;
        CREATE TRIGGER capacity_totals_capacity_delete AFTER DELETE ON capacities BEGIN
            DELETE FROM capacity_totals
            WHERE partner = OLD.partner AND kind = OLD.kind AND unit = OLD.unit;
        END;
        """
    )



#: the columns of the gaps views, in their order (the rows ``gap_rows`` keeps)
GAP_COLUMNS: tuple[str, ...] = (
    "outcome", "need", "kind", "description", "essential", "needed", "unit", "met", "gap",
    "cover", "state", "candidate", "reason", "note", "since", "killer", "contributions", "hoped")
#: the columns of the unmatched contributions view, in its order
UNMATCHED_COLUMNS: tuple[str, ...] = (
    "contribution", "outcome", "partner", "kind", "description", "amount", "unit", "meets",
    "confidence", "why")
#: the columns of the capacity use view, in its order
CAPACITY_COLUMNS: tuple[str, ...] = (
    "partner", "kind", "unit", "capacity", "used", "used_firm", "contributions", "outcomes",
    "over_by", "over_committed")


def gap_rows_refresh_v1(outcome: str, need: str) -> str:
    """SQL that recomputes the kept gap rows (both bases) of one need with the computing
    SQL of version 1 (``outcome``, ``need``: SQL expressions; ``"outcome"``, ``"need"``
    recompute every need). Nothing is kept for a need that does not exist."""
    cols = ", ".join(GAP_COLUMNS)
    where = f"outcome = {outcome} AND need = {need}"
    return (
        f"DELETE FROM gap_rows WHERE basis IN ('firm', 'likely') AND outcome = {outcome}"
        f" AND essential IN (0, 1) AND need = {need};\n"
        f"INSERT INTO gap_rows (basis, {cols}) SELECT 'firm', {cols}"
        f" FROM ({GAP_VIEWS_V1['gaps']}) WHERE {where};\n"
        f"INSERT INTO gap_rows (basis, {cols}) SELECT 'likely', {cols}"
        f" FROM ({GAP_VIEWS_V1['gaps_counting_likely']}) WHERE {where};\n")


def unmatched_rows_refresh_v1(outcome: str, ids: str) -> str:
    """SQL that recomputes the kept unmatched rows of the contributions of ``outcome``
    whose id is ``ids`` (an SQL expression, or ``IN (...)``), with the computing SQL of
    version 1."""
    cols = ", ".join(UNMATCHED_COLUMNS)
    test = ids if ids.lstrip().upper().startswith("IN ") else f"= {ids}"
    return (
        f"DELETE FROM unmatched_rows WHERE outcome = {outcome} AND contribution {test};\n"
        f"INSERT INTO unmatched_rows ({cols}) SELECT {cols}"
        f" FROM ({GAP_VIEWS_V1['unmatched_contributions']}) WHERE contribution {test};\n")


def capacity_rows_refresh_v1(partner: str, kind: str, unit: str) -> str:
    """SQL that recomputes the kept capacity use row of one capacity (its exact key) with
    the SQL of version 2 (``"partner"``, ``"kind"``, ``"unit"`` recompute every one)."""
    cols = ", ".join(CAPACITY_COLUMNS)
    where = f"partner = {partner} AND kind = {kind} AND unit = {unit}"
    return (
        f"DELETE FROM capacity_rows WHERE {where};\n"
        f"INSERT INTO capacity_rows ({cols}) SELECT {cols}"
        f" FROM ({GAP_VIEWS_V2['capacity_use']}) WHERE {where};\n")


def _naming(outcome: str, need: str) -> str:
    return f"IN (SELECT id FROM contributions WHERE outcome = {outcome} AND meets = {need})"


#: step 3's views, version 3 (frozen with m012_gap_rows): every gap row, unmatched
#: contribution and capacity use row is kept by triggers in ``gap_rows``,
#: ``unmatched_rows`` and ``capacity_rows``, stored in the order the analysis reads them, so
#: the views are plain reads (bench/bench_gaps.py). The rows are those of version 2's SQL,
#: which the public file still uses (it has no kept rows; the same rows, computed from the
#: public tables).
GAP_VIEWS_V3: dict[str, str] = {
    **GAP_VIEWS_V2,
    "gaps": f"SELECT {', '.join(GAP_COLUMNS)} FROM gap_rows WHERE basis = 'firm'",
    "gaps_counting_likely":
        f"SELECT {', '.join(GAP_COLUMNS)} FROM gap_rows WHERE basis = 'likely'",
    "unmatched_contributions": f"SELECT {', '.join(UNMATCHED_COLUMNS)} FROM unmatched_rows",
    "capacity_use": f"SELECT {', '.join(CAPACITY_COLUMNS)} FROM capacity_rows",
}
#: the views m012 makes plain reads of kept rows
KEPT_VIEWS = ("gaps", "gaps_counting_likely", "unmatched_contributions", "capacity_use")

#: the triggers of m010 that kept ``outcome_totals`` from the gaps views; m012 puts the
#: refresh of the kept gap rows before theirs, in one trigger per write
_OUTCOME_TRIGGERS_V1 = (
    "outcome_totals_need_totals_insert", "outcome_totals_need_totals_update",
    "outcome_totals_need_update", "outcome_totals_need_delete", "outcome_totals_gap_insert",
    "outcome_totals_gap_update", "outcome_totals_gap_delete")


def m012_gap_rows(db: Database) -> None:
    """Every row of the gaps views (both bases), of unmatched contributions and of capacity
    use kept by triggers in the same transaction as every write, in the order the analysis
    reads them (by outcome, essential first, need; by outcome and contribution; by partner,
    kind and unit), so ``partnership gaps`` reads them as they are stored instead of
    joining needs, totals and gap states, scanning every contribution and rounding every
    capacity's figures again (bench/bench_gaps.py). Existing files are filled from
    the views of version 2, which then read the kept rows. The columns have no declared
    type, so a value is stored as the computing SQL gave it (0 stays 0, not 0.0)."""
    gap_cols = ", ".join(GAP_COLUMNS).replace("outcome,", "outcome NOT NULL,", 1).replace(
        "need,", "need NOT NULL,", 1).replace("essential,", "essential NOT NULL,", 1)
    unmatched_cols = ", ".join(UNMATCHED_COLUMNS).replace(
        "contribution,", "contribution NOT NULL,", 1).replace("outcome,", "outcome NOT NULL,", 1)
    # one statement at a time: sqlite-utils' executescript splits long scripts slowly
    statements = [
        f"""CREATE TABLE gap_rows (
            basis TEXT NOT NULL CHECK (basis IN ('firm', 'likely')),
            {gap_cols},
            PRIMARY KEY (basis, outcome, essential DESC, need)
        ) WITHOUT ROWID""",
        f"""CREATE TABLE unmatched_rows (
            {unmatched_cols},
            PRIMARY KEY (outcome, contribution)
        ) WITHOUT ROWID""",
        f"""CREATE TABLE capacity_rows (
            {", ".join(CAPACITY_COLUMNS).replace("unit,", "unit NOT NULL,", 1).replace(
                "kind,", "kind NOT NULL,", 1).replace("partner,", "partner NOT NULL,", 1)},
            PRIMARY KEY (partner, kind, unit)
        ) WITHOUT ROWID""",
        *_statements(gap_rows_refresh_v1("outcome", "need")),
        *_statements(unmatched_rows_refresh_v1("outcome", "contribution")),
        *_statements(capacity_rows_refresh_v1("partner", "kind", "unit")),
        *(f"DROP VIEW {name}" for name in KEPT_VIEWS),
        *(f"DROP TRIGGER {name}" for name in _OUTCOME_TRIGGERS_V1),
        *(f"CREATE VIEW [{name}] AS {GAP_VIEWS_V3[name]}" for name in KEPT_VIEWS),
    ]
    gap = gap_rows_refresh_v1

    def outcome(expr: str) -> str:
        return OUTCOME_TOTALS_REFRESH_V1.format(outcome=expr)

    def unmatched(outcome: str, need: str) -> str:
        return unmatched_rows_refresh_v1(outcome, _naming(outcome, need))

    def capacity(row: str) -> str:
        return capacity_rows_refresh_v1(f"{row}.partner", f"{row}.kind", f"{row}.unit")

    triggers = {
        "gap_rows_need_totals_insert AFTER INSERT ON need_totals":
            gap("NEW.outcome", "NEW.need") + outcome("NEW.outcome"),
        "gap_rows_need_totals_update AFTER UPDATE ON need_totals":
            gap("OLD.outcome", "OLD.need") + gap("NEW.outcome", "NEW.need")
            + outcome("OLD.outcome") + outcome("NEW.outcome"),
        "gap_rows_need_insert AFTER INSERT ON needs":
            gap("NEW.outcome", "NEW.slug") + outcome("NEW.outcome")
            + unmatched("NEW.outcome", "NEW.slug"),
        "gap_rows_need_update AFTER UPDATE ON needs":
            gap("OLD.outcome", "OLD.slug") + gap("NEW.outcome", "NEW.slug")
            + outcome("OLD.outcome") + outcome("NEW.outcome")
            + unmatched("OLD.outcome", "OLD.slug") + unmatched("NEW.outcome", "NEW.slug"),
        "gap_rows_need_delete AFTER DELETE ON needs":
            gap("OLD.outcome", "OLD.slug") + outcome("OLD.outcome")
            + unmatched("OLD.outcome", "OLD.slug"),
        "gap_rows_gap_insert AFTER INSERT ON gap_states":
            gap("NEW.outcome", "NEW.need") + outcome("NEW.outcome"),
        "gap_rows_gap_update AFTER UPDATE ON gap_states":
            gap("OLD.outcome", "OLD.need") + gap("NEW.outcome", "NEW.need")
            + outcome("OLD.outcome") + outcome("NEW.outcome"),
        "gap_rows_gap_delete AFTER DELETE ON gap_states":
            gap("OLD.outcome", "OLD.need") + outcome("OLD.outcome"),
        "unmatched_rows_contribution_insert AFTER INSERT ON contributions":
            unmatched_rows_refresh_v1("NEW.outcome", "NEW.id"),
        "unmatched_rows_contribution_update AFTER UPDATE ON contributions":
            "DELETE FROM unmatched_rows WHERE outcome = OLD.outcome AND contribution = OLD.id;\n"
            + unmatched_rows_refresh_v1("NEW.outcome", "NEW.id"),
        "unmatched_rows_contribution_delete AFTER DELETE ON contributions":
            "DELETE FROM unmatched_rows WHERE outcome = OLD.outcome AND contribution = OLD.id;\n",
        # capacity_totals is kept per capacity by m011's triggers (on contributions and
        # capacities); an amount changed touches only the capacity
        "capacity_rows_totals_insert AFTER INSERT ON capacity_totals":
            capacity("NEW"),
        "capacity_rows_totals_update AFTER UPDATE ON capacity_totals":
            capacity("OLD") + capacity("NEW"),
        "capacity_rows_totals_delete AFTER DELETE ON capacity_totals":
            capacity("OLD"),
        "capacity_rows_capacity_insert AFTER INSERT ON capacities":
            capacity("NEW"),
        "capacity_rows_capacity_update AFTER UPDATE ON capacities":
            capacity("OLD") + capacity("NEW"),
        "capacity_rows_capacity_delete AFTER DELETE ON capacities":
            capacity("OLD"),
    }
    statements += [f"CREATE TRIGGER {head} BEGIN\n{body}END" for head, body in triggers.items()]
    for statement in statements:
        db.execute(statement)


def _statements(script: str) -> list[str]:
    """The statements of a script of this module (each ends with ';' and a new line)."""
    return [s for s in script.split(";\n") if s.strip()]
