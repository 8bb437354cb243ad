"""The public site of a partnership, as a Datasette plugin: its home page and its guards.

Loaded by ``partnership serve`` (and by plain Datasette with ``--plugins-dir`` pointing
at this folder, plus ``--template-dir`` at ``partnership/reporting/templates``). For the
``index.html`` template it finds the published partnership database (the one with a
``site`` table) and gives the template the figures :mod:`partnership.reporting.home`
reads from it, once per published file.

Datasette loads every ``.py`` file of this folder as a plugin, under its file name
rather than as part of the package: so the page's computation lives outside it, in
``partnership/reporting/home.py``, imported by its full name.

The guards, for every page of the site (Datasette's own pages included):

* **permissions**: the home page asks Datasette's permission hooks like every other
  view: ``view-instance`` (403 when denied, as for every page), then ``view-database``
  and ``view-table`` for every table and view the page reads; a visitor who may not see
  one of them gets Datasette's own index, which shows only what they may see;
* **headers** (an ASGI wrapper): a Content-Security-Policy with no inline script
  (``script-src 'self'``: Datasette's few inline scripts are served as files from
  ``partnership/reporting/static`` by the templates in ``partnership/reporting/templates``), ``frame-ancestors
  'none'`` and ``X-Frame-Options: DENY``, ``X-Content-Type-Options: nosniff`` and a
  ``Referrer-Policy``. Styles keep ``'unsafe-inline'``: Datasette writes per-column CSS
  and ``style`` attributes into its pages, and a style cannot run code;
* **read-only**: anything but GET and HEAD is answered 405 before Datasette sees it
  (Datasette 0.65 answered a POST to a table or a canned query with a 500);
* **hang-ups**: when a client disconnects, the work for its request is cancelled
  (a download or a slow page no longer runs on for nobody);
* **no path**: ``PRAGMA database_list`` (also as ``pragma_database_list()``) returns no
  rows on the site's connections, so SQL cannot reveal where the served file lives;
  ``/-/versions``, ``/-/threads``, ``/-/databases`` and ``/-/plugins`` answer 404 except
  to Datasette's ``root`` actor (they show paths, versions and running tasks).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import weakref
from pathlib import Path
from typing import Any

from datasette import hookimpl

from partnership.asgi import sending_headers
from partnership.reporting.home import compute_home

#: scripts moved out of Datasette's templates, served at /-/partnership/NAME.js
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

#: the Content-Security-Policy of every answer. Scripts only from this site (no inline
#: script, no eval, no CDN); styles from this site and inline (Datasette's table page
#: writes per-column CSS, and its templates use style attributes); images from this
#: site and data: URIs (app.css draws an icon as one); no plugins, frames or framing.
CSP_DIRECTIVES = (
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)
CSP = "; ".join(CSP_DIRECTIVES)

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    # other sites learn that a visitor came from this site, never from which page
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]

#: the only methods a read-only site answers
READ_METHODS = ("GET", "HEAD")

#: Datasette's introspection pages: server paths, versions, running tasks
INTROSPECTION = ("versions", "threads", "databases", "plugins")


@hookimpl
def extra_template_vars(template: str, datasette: Any, request: Any) -> Any:
    if template != "index.html":
        return {}

    async def inner() -> dict[str, Any]:
        db = await _site_database(datasette)
        if db is None:
            return {"partnership": None}
        data = await _home_data(datasette, db)
        actor = request.actor if request is not None else None
        if not await _may_see(datasette, actor, db.name, data["reads"]):
            return {"partnership": None}
        return {"partnership": data}

    return inner


_CACHE: dict[tuple[Any, ...], dict[str, Any]] = {}
_SITE_DB: dict[tuple[Any, ...], bool] = {}


async def _home_data(datasette: Any, db: Any) -> dict[str, Any]:
    # the public database is immutable: compute the page's figures once per file
    key = (id(datasette), db.name, db.path, getattr(db, "hash", None))
    if key not in _CACHE or not _cacheable(db):
        _CACHE[key] = await home(datasette, db)
    return _CACHE[key]


async def home(datasette: Any, db: Any) -> dict[str, Any]:
    """Every figure of the home page, read in one go on one of Datasette's connections.

    Run with ``execute_fn`` (no SQL time limit: the public file is immutable and the
    result is cached, so this runs once per published file).
    """
    figures: dict[str, Any] = await db.execute_fn(lambda conn: compute_home(datasette, db.name, conn))
    return figures


@hookimpl
def prepare_jinja2_environment(env: Any, datasette: Any) -> None:
    # the rows of table, row and query pages written in Python (the site's _table.html
    # and query.html use them when given them): the same pages, without Jinja's async
    # cost per cell
    from partnership.reporting.tablehtml import register

    register(env)


@hookimpl
def register_routes(datasette: Any) -> Any:
    # the home page is served here rather than by Datasette's own index view, which
    # counts rows for every table on every request (work this page does not show);
    # sites without a partnership database get the usual index
    return [
        (r"^/$", home_page),
        (r"^/-/partnership/(?P<name>[a-z0-9-]+\.js)$", static_script),
        (r"^/-/(?P<page>" + "|".join(INTROSPECTION) + r")(\.(?P<format>json))?$", introspection),
    ]


async def home_page(datasette: Any, request: Any) -> Any:
    from datasette.utils.asgi import Request, Response
    from datasette.views.index import IndexView

    # like every page of Datasette: 403 when the instance may not be seen
    await datasette.ensure_permissions(request.actor, ["view-instance"])
    db = await _site_database(datasette)
    if db is None or not await _may_see(datasette, request.actor, db.name,
                                        (await _home_data(datasette, db))["reads"]):
        # Datasette's own index shows only what this visitor may see (as HTML: it reads
        # the format from the route, which this one has not got)
        scope = dict(request.scope, url_route={"kwargs": {**request.url_vars, "format": None}})
        return await IndexView(datasette).get(Request(scope, request.receive))
    # a visitor who is not signed in and sends no cookie (no messages to show) gets the
    # same page from the same immutable file: render it once (rendering is most of the
    # page's time once its figures are computed)
    plain = request.actor is None and not request.headers.get("cookie")
    key = (id(datasette), db.name, db.path, getattr(db, "hash", None))
    html = _PAGES.get(key) if plain and _cacheable(db) else None
    if html is None:
        html = await datasette.render_template(
            "index.html", {"metadata": datasette.metadata(), "databases": []},
            request=request, view_name="index")
        if plain and _cacheable(db):
            _PAGES[key] = html
    return Response.html(html)


#: the rendered home page for visitors who are not signed in, per published file
_PAGES: dict[tuple[Any, ...], str] = {}


async def _permission(datasette: Any, actor: Any, action: str, resource: Any) -> bool | None:
    """Datasette's ``permission_allowed`` hooks, asked directly.

    ``datasette.permission_allowed`` runs a query for every ``view-table`` check to
    find the table's spelling (2 ms each on a busy server); the names here come from
    SQLite itself, so the hooks are asked with them as they are.
    """
    from datasette.plugins import pm
    from datasette.utils import await_me_maybe

    result = None
    for check in pm.hook.permission_allowed(datasette=datasette, actor=actor, action=action,
                                            resource=resource):
        check = await await_me_maybe(check)
        if check is not None:
            result = check
    return result


#: how long a visitor's answer from ``_may_see`` is reused (Datasette 0.65 copies the
#: whole metadata for every view-table check, 2 ms each: twenty tables would cost the
#: home page four times its own time)
SEEN_SECONDS = 30.0
_SEEN: weakref.WeakKeyDictionary[Any, dict[tuple[Any, ...], tuple[float, bool]]] = (
    weakref.WeakKeyDictionary())


async def _may_see(datasette: Any, actor: Any, database: str, tables: Any) -> bool:
    """Whether ``actor`` may see the database and every one of ``tables`` in it, decided
    as Datasette decides for a table page: the table's answer, else the database's,
    else the instance's, else yes. The answer for one actor is reused for
    :data:`SEEN_SECONDS` (the metadata does not change while the site is served)."""
    key = (json.dumps(actor, sort_keys=True, default=str), database, tuple(tables))
    seen = _SEEN.setdefault(datasette, {})
    hit = seen.get(key)
    if hit is not None and time.monotonic() - hit[0] < SEEN_SECONDS:
        return hit[1]
    answer = await _decide(datasette, actor, database, tables)
    if len(seen) >= 256:
        seen.clear()
    seen[key] = (time.monotonic(), answer)
    return answer


async def _decide(datasette: Any, actor: Any, database: str, tables: Any) -> bool:
    instance = await _permission(datasette, actor, "view-instance", None)
    db = await _permission(datasette, actor, "view-database", database)

    def first(*answers: bool | None) -> bool:
        return next((a for a in answers if a is not None), True)

    if not first(db, instance):
        return False
    for table in tables:
        if not first(await _permission(datasette, actor, "view-table", (database, table)), db, instance):
            return False
    return True


async def static_script(request: Any) -> Any:
    from datasette.utils.asgi import NotFound, Response

    name = request.url_vars["name"]
    path = STATIC_DIR / name
    if path.parent != STATIC_DIR or not path.is_file():
        raise NotFound(f"no script {name}")
    return Response(path.read_text(encoding="utf-8"), content_type="text/javascript; charset=utf-8",
                    headers={"cache-control": "max-age=3600"})


async def introspection(datasette: Any, request: Any) -> Any:
    """``/-/versions``, ``/-/threads``, ``/-/databases``, ``/-/plugins``: 404 except for
    actors with Datasette's ``debug-menu`` permission (``root``)."""
    from datasette.utils.asgi import NotFound
    from datasette.views.special import JsonDataView

    if not await datasette.permission_allowed(request.actor, "debug-menu", default=False):
        raise NotFound("Page not found")
    page = request.url_vars["page"]
    callback = {"versions": datasette._versions, "threads": datasette._threads,
                "databases": datasette._connected_databases, "plugins": datasette._plugins}[page]
    view = JsonDataView(datasette, f"{page}.json", callback, needs_request=page == "plugins")
    return await view.get(request)


def _cacheable(db: Any) -> bool:
    return not db.is_mutable


async def _site_database(datasette: Any) -> Any:
    for name, db in datasette.databases.items():
        if name.startswith("_"):
            continue
        key = (id(datasette), name, db.path, getattr(db, "hash", None))
        if key not in _SITE_DB or not _cacheable(db):
            _SITE_DB[key] = await db.table_exists("site")
        if _SITE_DB[key]:
            return db
    return None


# -- the guards on every answer ---------------------------------------------------------


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    def wrap(app: Any) -> Any:
        async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return

            send_with_headers = sending_headers(send, SECURITY_HEADERS)

            if scope.get("method", "GET") not in READ_METHODS:
                await send_with_headers({
                    "type": "http.response.start", "status": 405,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"allow", ", ".join(READ_METHODS).encode())]})
                await send_with_headers({"type": "http.response.body",
                                         "body": b"Method not allowed: this site is read-only.\n"})
                return
            await _cancel_on_hang_up(app, scope, receive, send_with_headers)

        return guarded

    return wrap


async def _cancel_on_hang_up(app: Any, scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Run ``app`` for one request; if the client disconnects before the answer is
    complete, cancel it (Datasette would otherwise write a download or a CSV stream to
    nobody until its end). A query already running in a thread still ends at the
    SQL time limit."""
    messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    complete = False

    async def listen() -> None:
        while True:
            message = await receive()
            messages.put_nowait(message)
            if message["type"] == "http.disconnect":
                return

    async def tracked_send(message: dict[str, Any]) -> None:
        nonlocal complete
        await send(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            complete = True

    answer = asyncio.ensure_future(app(scope, messages.get, tracked_send))
    listener = asyncio.ensure_future(listen())
    try:
        await asyncio.wait({answer, listener}, return_when=asyncio.FIRST_COMPLETED)
        if not answer.done() and not complete:
            answer.cancel()  # the client has gone
        try:
            await answer
        except asyncio.CancelledError:
            if not listener.done():
                raise  # cancelled from outside (the server is shutting down)
    finally:
        for task in (answer, listener):
            task.cancel()
        await asyncio.gather(answer, listener, return_exceptions=True)


# -- no path: the served file's location stays on the server -----------------------------


@hookimpl
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.set_authorizer(_authorizer)


def _authorizer(action: int, arg1: str | None, arg2: str | None, db_name: str | None,
                trigger: str | None) -> int:
    # PRAGMA database_list (and pragma_database_list()) would show the file's absolute
    # path; ignored, it returns no rows, and Datasette's own use of it (attached
    # databases beyond main) still works
    if action == sqlite3.SQLITE_PRAGMA and (arg1 or "").lower() == "database_list":
        return sqlite3.SQLITE_IGNORE
    return sqlite3.SQLITE_OK

