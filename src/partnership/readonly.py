"""Running plugin code against the database without letting it write.

While :func:`read_only` is active, SQLite's authorizer refuses every statement except
reads on the connection, whatever the plugin does with it; plugins are also handed a
:class:`ReadOnlyView` whose only door is ``query``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

_ALLOWED = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    getattr(sqlite3, "SQLITE_RECURSIVE", 33),
}


def _authorizer(action: int, *_args: Any) -> int:
    return sqlite3.SQLITE_OK if action in _ALLOWED else sqlite3.SQLITE_DENY


@contextlib.contextmanager
def read_only(conn: sqlite3.Connection) -> Iterator[None]:
    conn.set_authorizer(_authorizer)
    try:
        yield
    finally:
        conn.set_authorizer(None)


class ReadOnlyView:
    """What a plugin sees of the partnership: SQL reads and today's date."""

    def __init__(self, conn: sqlite3.Connection, today: dt.date,
                 options: dict[str, Any] | None = None) -> None:
        self._conn = conn
        self.today = today
        self.options = dict(options or {})

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        """Run a SELECT and return its rows as dicts."""
        cursor = self._conn.execute(sql, params)
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: Any = ()) -> Any:
        row = self._conn.execute(sql, params).fetchone()
        return row[0] if row else None


class TimedOut(Exception):
    """Plugin code ran past its time limit and was abandoned."""


def separate_connection(path: str | Path, main: sqlite3.Connection) -> sqlite3.Connection | None:
    """A read-only connection of its own to the database file, usable from any thread.

    ``None`` where plugin code must share the main connection instead: an in-memory
    database, or one in the middle of a transaction (a second connection would not see
    its uncommitted rows).
    """
    if str(path) == ":memory:" or main.in_transaction:
        return None
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=5)
    conn.execute("PRAGMA query_only = ON")
    return conn


def run_with_time_limit(fn: Callable[[], Any], limit: float, conn: sqlite3.Connection,
                        name: str) -> Any:
    """Run ``fn`` in a worker thread over ``conn``, at most ``limit`` seconds.

    Past the limit, a runaway query on ``conn`` is interrupted and :class:`TimedOut` is
    raised; Python code still running is abandoned (a daemon thread), so ``conn`` must not
    be closed or reused by the caller. ``fn``'s own exception is re-raised as it is.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller
            box["error"] = exc

    thread = threading.Thread(target=target, name=f"partnership-plugin-{name}", daemon=True)
    thread.start()
    thread.join(limit)
    if thread.is_alive():
        conn.interrupt()
        raise TimedOut()
    if "error" in box:
        raise box["error"]
    return box["result"]
