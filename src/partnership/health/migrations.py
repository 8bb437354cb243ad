"""The schema of the partnership's health: unmentoring pairs, self-assessment, governance.

Frozen SQL: these migrations are recorded by name in users' files; never edit or
rename one (a change is a new migration). Their order is :data:`partnership.schema.BUILTIN_ORDER`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


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
