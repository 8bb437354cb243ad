"""The schema of reminders: what went out to whom, and who wants none.

Frozen SQL: these migrations are recorded by name in users' files; never edit or
rename one (a change is a new migration). Their order is :data:`partnership.schema.BUILTIN_ORDER`.
Neither table is public: ``publish`` never copies them, and the change log holds counts
only for both (their models are ``public=False``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


def m060_reminders(db: Database) -> None:
    """Reminders sent (who, when, how, what about) and the people who want none."""
    db.executescript(
        """
        CREATE TABLE reminders (
            id INTEGER PRIMARY KEY,
            person TEXT NOT NULL REFERENCES people(slug),
            -- the partnership's date it went out (the period is counted in these days)
            sent_on TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            via TEXT NOT NULL CHECK (via IN ('smtp', 'eml')),
            subject TEXT NOT NULL,
            -- what it was about: one key per line ('commitment C-12', 'indicator x',
            -- 'agenda 7'), so the same thing is not sent twice within the period
            about TEXT NOT NULL
        );
        CREATE INDEX idx_reminders_person ON reminders(person, sent_on);
        CREATE TABLE reminder_optouts (
            person TEXT PRIMARY KEY REFERENCES people(slug),
            since TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT ''
        );
        """
    )
