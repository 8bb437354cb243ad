"""The working database's part of the partner inbox.

Frozen SQL: these migrations are recorded by name in users' files; never edit or
rename one (a change is a new migration). Their order is :data:`partnership.schema.BUILTIN_ORDER`.

The submissions themselves live in the separate inbox database
(:mod:`partnership.inbox.inboxdb`); the working file keeps only what the lead's side
needs: the signing secret of the links, each person's link version (bumped to revoke),
which partners report which indicator, the submissions already applied (so accepting
twice changes nothing), what was pending when the lead last looked (so a lost inbox
file can say what was lost) and, per partner, when its reporting was last accepted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database


def m070_inbox(db: Database) -> None:
    """The partner inbox: link secret and versions, reporting partners, accepted submissions."""
    db.executescript(
        """
        CREATE TABLE inbox_secret (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            secret TEXT NOT NULL
        );
        INSERT INTO inbox_secret (id, secret) VALUES (1, lower(hex(randomblob(32))));
        CREATE TABLE inbox_links (
            person TEXT PRIMARY KEY,
            version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)
        );
        CREATE TABLE indicator_reporters (
            indicator TEXT NOT NULL REFERENCES indicators(slug),
            partner TEXT NOT NULL REFERENCES partners(slug),
            PRIMARY KEY (indicator, partner)
        );
        CREATE INDEX idx_indicator_reporters_partner ON indicator_reporters(partner);
        CREATE TABLE inbox_accepted (
            uid TEXT PRIMARY KEY,
            submission INTEGER NOT NULL,
            person TEXT NOT NULL,
            partner TEXT NOT NULL,
            kind TEXT NOT NULL,
            submitted_at TEXT NOT NULL,
            accepted_at TEXT NOT NULL,
            accepted_by TEXT NOT NULL
        );
        CREATE TABLE inbox_known (
            uid TEXT PRIMARY KEY,
            submission INTEGER NOT NULL,
            person TEXT NOT NULL,
            partner TEXT NOT NULL,
            kind TEXT NOT NULL,
            summary TEXT NOT NULL,
            seen_at TEXT NOT NULL
        );
        CREATE TABLE inbox_reporting (
            partner TEXT PRIMARY KEY REFERENCES partners(slug),
            last_accepted TEXT NOT NULL,
            accepted INTEGER NOT NULL DEFAULT 0
        );
        """
    )
