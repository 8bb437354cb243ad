"""The SQLite store: opening a partnership file safely, transactions, the change log.

One SQLite file per partnership, opened through sqlite-utils with WAL, foreign keys
and a busy timeout. Every write goes through :meth:`Store.transaction` (``BEGIN
IMMEDIATE``, so concurrent writers queue instead of failing) and every change is
appended to the ``changes`` table in the same transaction.

The store knows nothing of the command line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import schema

if TYPE_CHECKING:
    from sqlite_utils import Database
from .errors import NoDatabase, NotAPartnershipDatabase, SchemaTooNew

DEFAULT_DB = "partnership.db"
BUSY_TIMEOUT_SECONDS = 30.0
SQLITE_HEADER = b"SQLite format 3\x00"


def default_path() -> str:
    """The database used when none is given: ``$PARTNERSHIP_DB`` or ``partnership.db``."""
    return os.environ.get("PARTNERSHIP_DB") or DEFAULT_DB


def default_actor() -> str:
    """Who is making changes: ``$PARTNERSHIP_ACTOR``, else the login name."""
    actor = os.environ.get("PARTNERSHIP_ACTOR")
    if actor:
        return actor
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def default_runner() -> schema.Runner:
    """The migrations of the built-in features and installed plugins."""
    from .plugins import default_registry

    return schema.Runner(default_registry().migration_sets)


def now_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _rollback_if_open(conn: sqlite3.Connection) -> None:
    # a function of its own: the checker would take ``conn.in_transaction`` to be still
    # False from the test before BEGIN, and the rollback for unreachable
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _looks_like_sqlite(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(16) == SQLITE_HEADER


class Store:
    """An open partnership database."""

    def __init__(self, conn: sqlite3.Connection, path: str, actor: str | None = None,
                 migrations: schema.Runner | None = None) -> None:
        self.conn = conn
        self.path = path
        self.actor = actor or default_actor()
        self._db: Database | None = None
        self.migrations = migrations or default_runner()
        #: the change-log names of the records that are not public (logged as counts
        #: only); the partnership that opens the store sets it from the registered models
        self.hidden_entities: Callable[[], frozenset[str]] = frozenset
        #: the id of the first change-log entry of the command under way (inside
        #: :meth:`transaction`), so that undo can take back a whole command
        self._command: int | None = None
        self._in_transaction = False

    @property
    def db(self) -> Database:
        """The sqlite-utils view of the connection (imported on first use)."""
        if self._db is None:
            from sqlite_utils import Database

            self._db = Database(self.conn, execute_plugins=False)
        return self._db

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, create: bool = False,
             actor: str | None = None, migrations: schema.Runner | None = None) -> Store:
        """Open (and upgrade) the partnership database at ``path``.

        With ``create=False`` a missing file is an error rather than a new empty
        database, so a mistyped ``--db`` never silently starts a second partnership.
        A file that is not SQLite, a SQLite file of something else, and a file from
        a newer version of this library are refused before anything is written.
        ``migrations`` are those of the features and plugins in use (by default the
        built-in features').
        """
        path = str(path if path is not None else default_path())
        memory = path == ":memory:"
        if not memory:
            p = Path(path)
            if p.is_dir():
                raise NotAPartnershipDatabase(f"{path} is a directory; give the path of a .db file")
            exists = p.exists() and p.stat().st_size > 0
            if not exists and not create:
                raise NoDatabase(
                    f"no partnership database at {path}; create one with "
                    f"'partnership init NAME', or point --db (or PARTNERSHIP_DB) at yours"
                )
            if exists and not _looks_like_sqlite(p):
                raise NotAPartnershipDatabase(
                    f"{path} is not a partnership database (not SQLite at all); "
                    f"check the --db path"
                )
            if not exists and not p.parent.exists():
                raise NoDatabase(f"cannot create {path}: the folder {p.parent} does not exist")
        try:
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)
        except sqlite3.Error as exc:
            raise NoDatabase(f"cannot open {path}: {exc}") from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA recursive_triggers = ON")
            store = cls(conn, path, actor, migrations)
            store._prepare(create=create, memory=memory)
        except sqlite3.DatabaseError as exc:
            conn.close()
            if "malformed" in str(exc) or "not a database" in str(exc):
                # doctor could not open it either: the way out is the last backup
                raise NotAPartnershipDatabase(
                    f"{path} is damaged and cannot be opened ({exc}); restore your latest "
                    f"backup in its place") from None
            raise NotAPartnershipDatabase(
                f"{path} could not be read as a partnership database ({exc}); check the --db path"
            ) from None
        except BaseException:
            conn.close()
            raise
        return store

    def _prepare(self, *, create: bool, memory: bool) -> None:
        conn = self.conn
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        applied = []
        if "_sqlite_migrations" in tables:
            applied = [r[0] for r in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid",
                [schema.MIGRATION_SET])]
        known = self.migrations.names()
        if not applied:
            if tables:
                shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
                raise NotAPartnershipDatabase(
                    f"{self.path} is a SQLite database but not a partnership database "
                    f"(it holds {shown}); check the --db path"
                )
            if not create:
                raise NoDatabase(
                    f"{self.path} is an empty database; create a partnership in it with "
                    f"'partnership init NAME'"
                )
        unknown = [name for name in applied if name not in known]
        if unknown:
            raise SchemaTooNew(
                f"{self.path} was written by a newer version of partnership (schema "
                f"{len(applied)}, this version knows {len(known)}); upgrade with "
                f"'pip install -U partnership'"
            )
        if not memory and conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            try:
                self.db.enable_wal()
            except sqlite3.OperationalError as exc:
                if "readonly" not in str(exc):
                    raise
                # a file this process may only read is read as it is (a command that
                # writes says so); WAL is turned on by the next open that can write
        if self.migrations.pending(conn):
            self._upgrade()
        if applied:
            # the row every command reads first: a damaged page here is reported as such
            conn.execute("SELECT count(*) FROM partnership").fetchone()

    def _upgrade(self) -> None:
        """Apply pending migrations as one unit, holding the write lock throughout.

        Two processes opening an old file at once would otherwise both see the same
        migrations pending and the second would fail ("table ... already exists"): the
        lock makes the second wait, and it re-reads what is applied once it has it.
        """
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            self.migrations.apply(self.db)  # each migration nests as a savepoint
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        self.conn.close()

    # -- facts ----------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        """How many built-in migrations the file has applied."""
        return int(self.conn.execute(
            "SELECT count(*) FROM _sqlite_migrations WHERE migration_set = ?",
            [schema.MIGRATION_SET]).fetchone()[0])

    def is_initialised(self) -> bool:
        return int(self.conn.execute("SELECT count(*) FROM partnership").fetchone()[0]) > 0

    # -- writing ----------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """One all-or-nothing unit of work; nested calls become savepoints."""
        conn = self.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield self.db
            return
        conn.execute("BEGIN IMMEDIATE")
        self._command, self._in_transaction = None, True
        try:
            yield self.db
        except BaseException:
            _rollback_if_open(conn)
            raise
        else:
            try:
                conn.execute("COMMIT")
            except BaseException:
                _rollback_if_open(conn)
                raise
        finally:
            self._command, self._in_transaction = None, False

    def log(self, action: str, entity: str, key: str, summary: str,
            data: dict[str, Any] | None = None, *, count: int = 1,
            private: dict[str, Any] | None = None, undo_of: int | None = None) -> int:
        """Append one entry to the change log (call inside a transaction); its id.

        Every path that logs comes here, so the privacy rule is applied once: a change
        to an entity that is not public (who was paired with whom...) is logged as a
        count only, with no key and no data (:func:`partnership.changelog.log_entry`).
        ``private`` holds the private fields of the row as it was (kept apart, in
        ``change_private``, for undo only: never published, exported or shown);
        ``undo_of`` is the entry this one reverses. The entries of one transaction share
        a ``command`` (the id of its first entry): undo takes back a command whole.
        """
        from .changelog import log_entry

        hidden = entity in self.hidden_entities()
        key, summary, data = log_entry(action, entity, key, summary, data,
                                       hidden=self.hidden_entities(), count=count)
        cursor = self.conn.execute(
            "INSERT INTO changes (at, actor, action, entity, key, summary, data, command, undo_of) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [now_utc(), self.actor, action, entity, key, summary,
             json.dumps(data or {}, default=str, sort_keys=True), self._command, undo_of],
        )
        ident = int(cursor.lastrowid or 0)
        if self._command is None:
            self.conn.execute("UPDATE changes SET command = id WHERE id = ?", [ident])
            if self._in_transaction:
                self._command = ident
        if private and not hidden:
            self.conn.execute("INSERT INTO change_private (change, data) VALUES (?, ?)",
                              [ident, json.dumps(private, default=str, sort_keys=True)])
        return ident

    # -- reading ------------------------------------------------------------------

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        """Rows of a SELECT as dicts, without needing sqlite-utils."""
        cursor = self.conn.execute(sql, params)
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
