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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from . import schema
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


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def _looks_like_sqlite(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(16) == SQLITE_HEADER


class Store:
    """An open partnership database."""

    def __init__(self, db: Database, path: str, actor: str | None = None) -> None:
        self.db = db
        self.path = path
        self.actor = actor or default_actor()

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, create: bool = False,
             actor: str | None = None) -> Store:
        """Open (and upgrade) the partnership database at ``path``.

        With ``create=False`` a missing file is an error rather than a new empty
        database, so a mistyped ``--db`` never silently starts a second partnership.
        A file that is not SQLite, a SQLite file of something else, and a file from
        a newer version of this library are refused before anything is written.
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
        db = Database(conn, execute_plugins=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            store = cls(db, path, actor)
            store._prepare(create=create, memory=memory)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise NotAPartnershipDatabase(
                f"{path} could not be read as a partnership database ({exc}); check the --db path"
            ) from None
        except BaseException:
            conn.close()
            raise
        return store

    def _prepare(self, *, create: bool, memory: bool) -> None:
        db = self.db
        applied = [m.name for m in schema.migrations.applied(db)]
        known = schema.known_migrations()
        if not applied:
            tables = [t for t in db.table_names() if not t.startswith("sqlite_")]
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
        if not memory and db.journal_mode != "wal":
            db.enable_wal()
        if len(applied) < len(known):
            schema.migrations.apply(db)

    def close(self) -> None:
        self.db.close()

    # -- facts ----------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return len(schema.migrations.applied(self.db))

    def is_initialised(self) -> bool:
        return self.db["partnership"].count > 0

    # -- writing ----------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Database]:
        """One all-or-nothing unit of work; nested calls become savepoints."""
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield self.db
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            try:
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    def log(self, action: str, entity: str, key: str, summary: str,
            data: dict[str, Any] | None = None) -> None:
        """Append one entry to the change log (call inside a transaction)."""
        self.db.execute(
            "INSERT INTO changes (at, actor, action, entity, key, summary, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [now_utc(), self.actor, action, entity, key, summary,
             json.dumps(data or {}, default=str, sort_keys=True)],
        )

    # -- reading ------------------------------------------------------------------

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params))
