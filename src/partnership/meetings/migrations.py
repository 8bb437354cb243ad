"""The schema of step 5: meetings, agenda, attendance, decisions, actions, updates.

Frozen SQL: these migrations are recorded by name in users' files; never edit or
rename one (a change is a new migration). Their order is :data:`partnership.schema.BUILTIN_ORDER`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


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
