"""Running plugin code against the database without letting it write.

While :func:`read_only` is active, SQLite's authorizer refuses every statement except
reads on the connection, whatever the plugin does with it; plugins are also handed a
:class:`ReadOnlyView` whose only door is ``query``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
from collections.abc import Iterator
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
