"""Running plugin code against the database without letting it write.

While :func:`read_only` is active, SQLite's authorizer refuses every statement except
reads on the connection; plugins are also handed a :class:`ReadOnlyView` whose only
door is ``query``. Neither stops a plugin that digs out the connection and removes the
authorizer, so plugin code never gets the main connection: :class:`PluginConnections`
gives each plugin run a connection of its own that cannot reach the partnership's data
for writing, and :func:`run_with_time_limit` runs it in a worker thread with a time
limit. This holds on every path (the command line, the library, inside an open
transaction, an in-memory database):

* a database file with no transaction open: the file opened ``mode=ro`` (SQLite refuses
  every write, whatever the plugin does to the connection);
* ``:memory:``, or a transaction open on the main connection (a second connection could
  not see the data, or would not see the uncommitted rows): a private in-memory copy of
  the database exactly as the main connection sees it (``serialize``/``deserialize``),
  taken once per run of the plugins and copied for each plugin, with ``query_only`` on.
  A plugin that lifts ``query_only`` changes only its own copy, which is thrown away.
  The copy costs memory the size of the database, for as long as the plugins run.

Built-in checks and metrics (the features listed in
:data:`partnership.features.BUILTIN_FEATURES`) run on the main connection under
:func:`read_only`: they are partnership's own code. :class:`Sandbox` is the one runner
both checks and metrics use, with the one time limit (``PARTNERSHIP_PLUGIN_TIME_LIMIT``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

T = TypeVar("T")

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
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: Any = ()) -> Any:
        row = self._conn.execute(sql, params).fetchone()
        return row[0] if row else None


class TimedOut(Exception):
    """Plugin code ran past its time limit and was abandoned."""


def snapshot(main: sqlite3.Connection) -> bytes:
    """The database as ``main`` sees it, its uncommitted rows included, as bytes."""
    image = bytearray(main.serialize())
    if len(image) > 19 and image[18] == 2 and image[19] == 2:
        # a WAL file: an in-memory copy cannot use WAL, so mark it a rollback-journal file
        image[18] = image[19] = 1
    return bytes(image)


class PluginConnections:
    """Read-only connections of their own for plugin code, one per plugin run.

    ``path`` is the database file (``None`` or ``":memory:"`` for a database that only
    ``main`` can see). See the module's docstring for what each connection is.
    """

    def __init__(self, path: str | Path | None, main: sqlite3.Connection) -> None:
        self.path = None if path is None or str(path) == ":memory:" else Path(path)
        self.main = main
        self._image: bytes | None = None

    @property
    def uses_snapshot(self) -> bool:
        return self.path is None or self.main.in_transaction

    def open(self) -> sqlite3.Connection:
        """A new connection, usable from any thread; the caller closes it."""
        if not self.uses_snapshot:
            assert self.path is not None
            uri = self.path.resolve().as_uri() + "?mode=ro"
            conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=5)
        else:
            if self._image is None:
                self._image = snapshot(self.main)
            conn = sqlite3.connect(":memory:", check_same_thread=False)
            conn.deserialize(self._image)
        conn.execute("PRAGMA query_only = ON")
        return conn


#: seconds plugin code (a check or a metric) may run before it is stopped
DEFAULT_TIME_LIMIT = 10.0
#: the one setting for it
TIME_LIMIT_VARIABLE = "PARTNERSHIP_PLUGIN_TIME_LIMIT"


def plugin_time_limit() -> float:
    """How long plugin code may run: ``$PARTNERSHIP_PLUGIN_TIME_LIMIT`` seconds, default 10."""
    text = os.environ.get(TIME_LIMIT_VARIABLE)
    if not text:
        return DEFAULT_TIME_LIMIT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value > 0 and value != float("inf")):
        from .errors import ValidationError

        raise ValidationError(f"{TIME_LIMIT_VARIABLE} must be a number of seconds, like 10 "
                              f"(got '{text[:60]}')")
    return value


class PluginTimedOut(Exception):
    """Plugin code ran past the time limit and was abandoned."""

    def __init__(self, limit: float) -> None:
        super().__init__(f"took longer than {limit:g} s and was stopped; make it faster or "
                         f"raise {TIME_LIMIT_VARIABLE}")
        self.limit = limit


class Sandbox:
    """The one way plugin code runs, for checks and metrics alike.

    A built-in feature's code (registered by this project, :func:`partnership.plugins.is_builtin`)
    runs on the main connection under :func:`read_only`. A plugin's code runs in a worker
    thread on a read-only connection of its own (:class:`PluginConnections`) and is
    abandoned after :func:`plugin_time_limit` seconds (:class:`PluginTimedOut`).
    """

    def __init__(self, path: str | Path | None, main: sqlite3.Connection,
                 limit: float | None = None) -> None:
        self.connections = PluginConnections(path, main)
        self.main = main
        self.limit = limit if limit is not None else plugin_time_limit()

    def run(self, plugin: str, name: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(conn)`` for the plugin ``plugin``; its own exceptions propagate."""
        from .plugins import is_builtin

        if is_builtin(plugin):
            with read_only(self.main):
                return fn(self.main)
        own: sqlite3.Connection | None = self.connections.open()
        assert own is not None

        def in_worker(conn: sqlite3.Connection = own) -> T:
            with read_only(conn):
                return fn(conn)

        try:
            return cast(T, run_with_time_limit(in_worker, self.limit, own, name))
        except TimedOut:
            own = None  # still in use by the abandoned worker: never close or reuse it
            raise PluginTimedOut(self.limit) from None
        finally:
            if own is not None:
                own.close()


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
