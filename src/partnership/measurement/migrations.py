"""The schema of step 4: activities, indicators, observations, story notes, metric values.

Frozen SQL: these migrations are recorded by name in users' files; never edit or
rename one (a change is a new migration). Their order is :data:`partnership.schema.BUILTIN_ORDER`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


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


def m021_indicator_status_view(db: Database) -> None:
    """The working file's ``indicator_status`` view made the same as the public one:
    m020 created it without the indicator's title and frequency. It is built from
    :data:`partnership.measurement.public.INDICATOR_STATUS`, the text the public file's
    view is built from, so there is one definition. Changing that text needs a new
    migration that recreates the view, or files made before the change keep the old one."""
    from .public import INDICATOR_STATUS

    db.executescript(
        "DROP VIEW IF EXISTS indicator_status;\n"
        f"CREATE VIEW indicator_status AS{INDICATOR_STATUS};\n")


def m022_metric_last_good(db: Database) -> None:
    """What a refresh keeps when a metric fails, and what its figures were computed with.

    ``metric_values.stale`` is 1 for a value kept from an earlier refresh because its
    metric could not recompute it (the value and its ``computed_at`` are the last good
    ones), ``stale_since`` when it first could not. ``metric_runs`` gains the indicator a
    metric failed on, how many it failed on, the one-line message, the plugin's
    fingerprint (package version or file hash) and when the metric last computed whole.
    """
    db.executescript(
        """
        ALTER TABLE metric_values ADD COLUMN stale INTEGER NOT NULL DEFAULT 0 CHECK (stale IN (0, 1));
        ALTER TABLE metric_values ADD COLUMN stale_since TEXT;
        ALTER TABLE metric_runs ADD COLUMN indicator TEXT NOT NULL DEFAULT '';
        ALTER TABLE metric_runs ADD COLUMN failed_indicators INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE metric_runs ADD COLUMN message TEXT NOT NULL DEFAULT '';
        ALTER TABLE metric_runs ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
        ALTER TABLE metric_runs ADD COLUMN last_good_at TEXT;
        """
    )
