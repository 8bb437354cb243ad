"""Step 6, open reporting: serve the public database with Datasette.

:func:`make_datasette` builds a Datasette instance over the public file alone,
immutable, with this package's templates and dashboard plugin
(``reporting/datasette_plugins``) and the settings of :data:`SAFE_SETTINGS`;
:func:`serve` runs it with uvicorn. The working database is never given to Datasette.
"""

from __future__ import annotations

import copy
import functools
import os
import re
from pathlib import Path
from typing import Any

from ..publicdata import PublishError
from .metadata import default_metadata_path

PACKAGE_DIR = Path(__file__).parent
TEMPLATE_DIR = PACKAGE_DIR / "templates"
DATASETTE_PLUGINS_DIR = PACKAGE_DIR / "datasette_plugins"


#: what one request may cost the public site, whatever the metadata says or leaves out:
#: a query stops after 1 s and returns at most 1,000 rows, and CSV is never streamed
#: (a stream re-runs the table's query once per 1,000 rows, and one request could keep
#: a core busy for minutes; the whole file downloads as /public.db instead). The
#: metadata's ``settings`` block may change them.
SAFE_SETTINGS: dict[str, Any] = {"sql_time_limit_ms": 1000, "max_returned_rows": 1000,
                                 "allow_csv_stream": False}


def datasette_settings(metadata: dict[str, Any]) -> dict[str, Any]:
    """The ``settings`` block of the metadata (configuration, not description), over
    :data:`SAFE_SETTINGS`."""
    settings = metadata.get("settings") or {}
    return {**SAFE_SETTINGS, **(settings if isinstance(settings, dict) else {})}


def make_datasette(public_db: str | os.PathLike[str],
                   metadata_path: str | os.PathLike[str] | None = None) -> Any:
    """A Datasette instance serving only ``public_db``, immutable, with the dashboard.

    The working database is never given to it, so nothing private can be reached,
    even through arbitrary SQL.
    """
    import yaml
    from datasette.app import Datasette

    public_db = Path(public_db)
    metadata_path = Path(metadata_path) if metadata_path else default_metadata_path(public_db)
    try:
        metadata = yaml.load(metadata_path.read_text(encoding="utf-8"),  # noqa: S506 - safe loader
                             Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    except FileNotFoundError:
        raise PublishError(
            f"no metadata file {metadata_path} beside the public database; run "
            f"'partnership publish {public_db}' again") from None
    settings = datasette_settings(metadata)
    metadata = {k: v for k, v in metadata.items() if k != "settings"}
    # served under the name 'public' whatever the file is called (demo.public.db would
    # otherwise give addresses like /demo~2Epublic/...), with its metadata renamed to match
    databases = metadata.get("databases") or {}
    if len(databases) == 1:
        metadata["databases"] = {SERVED_NAME: next(iter(databases.values()))}
    _register_datasette_plugins()
    from datasette.database import Database

    from .build import read_inspect

    ds = Datasette(
        files=[],
        metadata=metadata,
        settings=settings,
        template_dir=str(TEMPLATE_DIR),
        plugins_dir=str(DATASETTE_PLUGINS_DIR),
        cors=False,
        # row counts, size and hash from publish: no page counts rows or hashes the file
        inspect_data=read_inspect(public_db, SERVED_NAME),
    )
    # with no files Datasette adds an in-memory database: nothing but the public file is served
    if "_memory" in ds.databases:
        ds.remove_database("_memory")
    ds.add_database(_schema_remembering(Database)(ds, path=str(public_db), is_mutable=False),
                    name=SERVED_NAME)
    _remember_permissions(ds)
    return ds


#: Datasette's questions about a database's schema that read only the schema
_SCHEMA_QUESTIONS = ("table_names", "view_names", "hidden_table_names", "get_all_foreign_keys",
                     "table_exists", "table_columns", "table_column_details", "primary_keys",
                     "fts_table", "label_column_for_table", "foreign_keys_for_table")


@functools.cache
def _schema_remembering(database_class: Any) -> type:
    """``database_class`` answering each schema question once per server.

    The public file is immutable while it is served, so its tables, columns, keys and
    foreign keys cannot change; Datasette 0.65 asks again on every page (the database
    page asks three questions of every table, each a query run on a thread). Each
    answer is kept and a copy given, so a caller that changes it changes nothing kept.
    A view's whole row count is kept too (see ``execute`` below)."""

    def remembering(name: str) -> Any:
        ask = getattr(database_class, name)

        async def answer(self: Any, *args: Any) -> Any:
            known = self.__dict__.setdefault("_partnership_schema", {})
            key = (name, *args)
            if key not in known:
                known[key] = await ask(self, *args)
            return copy.deepcopy(known[key])

        answer.__name__ = name
        return answer

    methods = {name: remembering(name) for name in _SCHEMA_QUESTIONS
               if hasattr(database_class, name)}
    run: Any = database_class.execute

    async def execute(self: Any, sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        """Datasette's query, except that a view's whole row count is counted once.

        A table page knows its table's row count from the inspect data publish wrote; a
        view's page counts the view on every request (``indicator_series``, a view over
        every observation, took 14 ms of each of its pages at 1,000,000 observations:
        bench/bench_dashboard.py). The file is immutable, so the count of a view that
        reads no clock and draws no random number cannot change while it is served."""
        found = _VIEW_COUNT.fullmatch(sql) if not params and not self.is_mutable else None
        if found is None:
            return await run(self, sql, params, *args, **kwargs)
        known = self.__dict__.setdefault("_partnership_counts", {})
        if sql in known:
            return known[sql]
        answer = await run(self, sql, params, *args, **kwargs)
        # whether the name is a steady view is decided once too (a table's is 'no')
        steady = self.__dict__.setdefault("_partnership_steady_views", {})
        name = found.group(1)
        if name not in steady:
            steady[name] = await _is_steady_view(self, name)
        if steady[name]:
            known[sql] = answer
        return answer

    methods["execute"] = execute
    return type("ImmutableSchemaDatabase", (database_class,), methods)


#: the query Datasette's table page counts a whole table or view with (no filter)
_VIEW_COUNT = re.compile(r"select count\(\*\) from (\S+|\[[^\]]*\]|\"(?:[^\"]|\"\")*\") ")
#: SQL whose answer can change from one request to the next on the same file
_VOLATILE = re.compile(r"'now'|\brandom(blob)?\s*\(|\bcurrent_(date|time|timestamp)\b", re.IGNORECASE)


async def _is_steady_view(db: Any, quoted: str) -> bool:
    """Whether ``quoted`` (a name as Datasette's count quotes it) is a view of ``db`` that
    reads no clock and draws no random number, nor does any view it names."""
    from datasette.utils import escape_sqlite

    views = {name: await db.get_view_definition(name) or "" for name in await db.view_names()}
    todo = [name for name in views if escape_sqlite(name) == quoted]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if _VOLATILE.search(views[name]):
            return False
        todo += [other for other in views if other not in seen
                 and re.search(rf"(?<![\w$]){re.escape(other)}(?![\w$])", views[name], re.IGNORECASE)]
    return bool(seen)


def _remember_permissions(ds: Any) -> None:
    """Work out each permission once per server, not once per check.

    Datasette 0.65 deep-copies the whole metadata (every table's and column's description)
    and runs a query each time it checks whether a table may be seen: the database page
    checks every table, which made it 8 to 12 times slower than a table page
    (bench/bench_dashboard.py). The metadata and the immutable public file never change
    while the site is served, and no plugin of the site supplies metadata or decides
    permissions by anything but the visitor, so the answers cannot change either."""
    find = getattr(ds, "_table_permission_allows", None)
    if find is None:  # another Datasette: nothing to remember
        return
    known: dict[tuple[str, str], list[Any]] = {}

    def allows(database: str, table: str) -> list[Any]:
        key = (database, table)
        if key not in known:
            known[key] = find(database, table)
        return list(known[key])

    ds._table_permission_allows = allows

    # a visitor who is not signed in (every visitor of the public site) gets the same
    # answer for the same question: ask the permission hooks once per question
    ask = ds.permission_allowed
    answers: dict[tuple[Any, ...], Any] = {}

    async def permission_allowed(actor: Any, action: str, resource: Any = None,
                                 default: Any = False) -> Any:
        key = (action, resource, default)
        if actor is not None or not isinstance(resource, (str, tuple, type(None))):
            return await ask(actor, action, resource=resource, default=default)
        if key not in answers:
            answers[key] = await ask(actor, action, resource=resource, default=default)
        return answers[key]

    ds.permission_allowed = permission_allowed


#: the name the public database is served under by ``partnership serve``
SERVED_NAME = "public"


#: Datasette plugins the site depends on (also loaded when Datasette skips entry points)
DATASETTE_PLUGINS = ("datasette_atom", "datasette_block_robots")


def _register_datasette_plugins() -> None:
    import importlib

    from datasette.plugins import pm

    for name in DATASETTE_PLUGINS:
        module = importlib.import_module(name)
        if not pm.is_registered(module):
            pm.register(module, name=name.replace("_", "-") + "-partnership")


def check_port_free(host: str, port: int) -> None:
    """Refuse, in one line, a port another program already listens on."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise PublishError(f"cannot serve on {host}: no such host; try --host 127.0.0.1") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(address)
        except PermissionError:
            raise PublishError(
                f"not allowed to serve on port {port}; choose a port above 1023 with --port") from None
        except OSError:
            raise PublishError(
                f"port {port} on {host} is already in use; stop the other server or choose "
                f"another with --port") from None


def serve(public_db: str | os.PathLike[str], *, host: str = "127.0.0.1", port: int = 8001,
          metadata_path: str | os.PathLike[str] | None = None) -> None:  # pragma: no cover - blocks
    """Serve the public database with Datasette until interrupted.

    Ctrl+C stops it within about a second: answers still being sent then (a client
    that is slow to read a download, say) are cut off rather than waited for.
    """
    import uvicorn

    check_port_free(host, port)
    ds = make_datasette(public_db, metadata_path)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on",
                timeout_graceful_shutdown=SHUTDOWN_SECONDS, log_config=_log_config())


#: how long Ctrl+C waits for answers still being sent before it cuts them off
SHUTDOWN_SECONDS = 1


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, without a traceback for each answer Ctrl+C cuts off (uvicorn
    logs the cancellation it caused as an exception; its one-line "Cancel N running
    task(s)" says what happened)."""
    import asyncio
    import copy
    import logging

    from uvicorn.config import LOGGING_CONFIG

    class CutOffAtShutdown(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return not (record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError))

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["cut_off"] = {"()": CutOffAtShutdown}
    config["loggers"].setdefault("uvicorn.error", {})["filters"] = ["cut_off"]
    return config
