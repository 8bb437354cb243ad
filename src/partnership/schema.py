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


# --- append new migrations above this line (see the module docstring) ---


def known_migrations() -> list[str]:
    """Names of every migration this version of the code knows, in order."""
    return migrations.names
