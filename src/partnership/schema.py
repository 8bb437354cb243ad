"""The versioned schema of a partnership database: the migration runner and the order.

Each feature keeps its own migrations (``<feature>/migrations.py``, frozen SQL) and
registers them through the ``register_migrations`` hook; the core tables (the
partnership, the change log and steps 1-2) are created by :func:`m001_core` here. An
old file upgrades in place by applying the migrations it has not seen (sqlite-utils
records applied names in ``_sqlite_migrations``); the schema version of a file is the
number of built-in migrations it has applied.

The names and order of the built-in migrations are recorded in users' files: never
rename or reorder them. :data:`BUILTIN_ORDER` is that order (pinned by a test); a new
migration is appended to it. A plugin's migrations are recorded under the plugin's
name, after the built-ins.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database

    from .registry import MigrationSet

MIGRATION_SET = "partnership"

#: the built-in migrations, in the order every existing file applied them
BUILTIN_ORDER: tuple[str, ...] = (
    "m001_core",                 # partnership.schema
    "m040_meetings",             # partnership.meetings
    "m050_pairs",                # partnership.health
    "m051_assess",               # partnership.health
    "m052_governance_answers",   # partnership.health
    "m020_measure",              # partnership.measurement
    "m010_gaps",                 # partnership.gaps
    "m030_commitments",          # partnership.commitments
    "m021_indicator_status_view",  # partnership.measurement
    "m002_change_history",       # partnership.schema (registered by partnership.outcomes)
    "m031_withdrawal_agreed",    # partnership.commitments
    "m060_reminders",            # partnership.reminders
    "m070_inbox",                # partnership.inbox
    "m022_metric_last_good",     # partnership.measurement
    "m003_partnership_currency",  # partnership.schema (registered by partnership.outcomes)
    "m011_capacity_totals",      # partnership.gaps
    "m012_gap_rows",             # partnership.gaps
)


class Runner:
    """Applies migration sets; builds sqlite-utils ``Migrations`` only when needed.

    Importing sqlite-utils costs a tenth of a second, so a read command that finds
    the schema up to date never imports it (see ``Store._prepare``).
    """

    def __init__(self, sets: Sequence[MigrationSet]) -> None:
        self.sets = list(sets)

    def names(self, set_name: str = MIGRATION_SET) -> list[str]:
        for s in self.sets:
            if s.name == set_name:
                return s.names
        return []

    def _real(self, migration_set: MigrationSet) -> Any:
        from sqlite_utils.migrations import Migrations

        real = Migrations(migration_set.name)
        for name, fn in migration_set.migrations:
            real(name=name)(fn)
        return real

    def apply(self, db: Database, *, stop_before: str | None = None) -> None:
        for s in self.sets:
            self._real(s).apply(db, stop_before=stop_before)

    def pending(self, conn: Any) -> bool:
        """Whether any migration of any set is not yet recorded in ``conn``'s file."""
        has_table = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = '_sqlite_migrations'").fetchone()
        if not has_table:
            return any(s.migrations for s in self.sets)
        applied = {(r[0], r[1]) for r in conn.execute(
            "SELECT migration_set, name FROM _sqlite_migrations")}
        return any((s.name, n) not in applied for s in self.sets for n in s.names)


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



def m002_change_history(db: Database) -> None:
    """What undo needs of the change log (partnership.history).

    ``command`` groups the entries one command wrote (the id of its first entry);
    ``undo_of`` marks an entry that reverses an earlier one (its id). ``change_private``
    keeps the private fields (email, phone...) of a row as it was before an update or a
    removal, so undo can put them back: it is never published, exported or shown.
    """
    db.executescript(
        """
        ALTER TABLE changes ADD COLUMN command INTEGER;
        ALTER TABLE changes ADD COLUMN undo_of INTEGER;
        CREATE INDEX idx_changes_command ON changes(command);
        CREATE INDEX idx_changes_undo_of ON changes(undo_of) WHERE undo_of IS NOT NULL;
        CREATE TABLE change_private (
            change INTEGER PRIMARY KEY REFERENCES changes(id),
            data TEXT NOT NULL DEFAULT '{}'
        );
        """
    )


def m003_partnership_currency(db: Database) -> None:
    """The currency the partnership counts money in (meeting costs); GBP until changed."""
    db.execute("ALTER TABLE partnership ADD COLUMN currency TEXT NOT NULL DEFAULT 'GBP'")


def known_migrations() -> list[str]:
    """Names of every built-in migration, in order."""
    return list(BUILTIN_ORDER)
