"""The public site of a partnership, as a Datasette plugin: its home page and its guards.

Loaded by ``partnership serve`` (and by plain Datasette with ``--plugins-dir`` pointing
at this folder, plus ``--template-dir`` at ``partnership/templates``). For the
``index.html`` template it finds the published partnership database (the one with a
``site`` table) and reads the dashboard views that ``partnership publish`` always
creates, so the page shows whatever features have data and never fails on a missing
table. Charts are drawn here as SVG: no JavaScript, nothing fetched from elsewhere.

All text reaches the page through Jinja's autoescaping; this module only computes
numbers and URLs.

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
import datetime as dt
import json
import re
import sqlite3
import time
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from datasette import hookimpl

SHOWN = 12  # outcomes, charts and rows shown per section; the rest are a click away

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
    html = await datasette.render_template(
        "index.html", {"metadata": datasette.metadata(), "databases": []},
        request=request, view_name="index")
    return Response.html(html)


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

            async def send_with_headers(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    ours = {name for name, _ in SECURITY_HEADERS}
                    headers = [(k, v) for k, v in message.get("headers") or []
                               if (k.lower() if isinstance(k, bytes) else k.lower().encode()) not in ours]
                    message = {**message, "headers": headers + SECURITY_HEADERS}
                await send(message)

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


def _rows(conn: Any, sql: str, params: Any = None) -> list[dict[str, Any]]:
    cur = conn.execute(sql, params or [])
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def _badge(status: Any) -> str:
    s = str(status or "").lower().replace(" ", "-")
    return {"on-track": "good", "achieved": "good", "on-course": "good", "met": "good",
            "kept": "good", "held": "good",
            "at-risk": "warn", "seeking": "warn", "partly-met": "warn",
            "off-track": "bad", "reboot": "bad", "killer": "bad", "collaboration-killer": "bad",
            "open": "bad", "overdue": "bad",
            "dropped": "muted", "proposed": "muted", "no-needs": "muted", "accepted": "muted",
            "filled-externally": "good", "cancelled": "muted"}.get(s, "neutral")


def _pct(rate: Any) -> int | None:
    if not isinstance(rate, (int, float)):
        return None
    return round(100 * rate if rate <= 1 else rate)


async def home(datasette: Any, db: Any) -> dict[str, Any]:
    """Every figure of the home page, read in one go on one of Datasette's connections.

    Run with ``execute_fn`` (no SQL time limit: the public file is immutable and the
    result is cached, so this runs once per published file).
    """
    return await db.execute_fn(lambda conn: compute_home(datasette, db.name, conn))


class _Reads:
    """A connection that notes every table and view its queries read (``reads``), so
    the page is shown only to visitors allowed to see each of them."""

    FROM = re.compile(r"\b(?:from|join)\s+([A-Za-z_][A-Za-z0-9_]*)", re.IGNORECASE)

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.reads: set[str] = set()

    def execute(self, sql: str, params: Any = ()) -> Any:
        self.reads.update(t for t in self.FROM.findall(sql) if not t.lower().startswith("sqlite_"))
        return self.conn.execute(sql, params)


def compute_home(datasette: Any, name: str, conn: Any) -> dict[str, Any]:
    conn = _Reads(conn)
    names = {r[0] for r in conn.execute(
        "select name from sqlite_master where type in ('table', 'view')")}

    def has(*wanted: str) -> bool:
        return all(w in names for w in wanted)

    def table_url(table: str, **filters: Any) -> str:
        url = datasette.urls.table(name, table)
        filters = {k: v for k, v in filters.items() if v is not None}
        return url + ("?" + urlencode(filters) if filters else "")

    def query_url(query: str) -> str:
        return datasette.urls.database(name) + "/" + query

    def row_url(table: str, *key: Any) -> str:
        return datasette.urls.row(name, table, ",".join(str(k) for k in key))

    site = _rows(conn, "select * from site")[0]
    counts = _rows(conn, """
        select (select count(*) from partners) as partners,
               (select count(*) from outcomes) as outcomes,
               (select count(*) from contributions) as contributions,
               (select coalesce(sum(additional), 0) from contributions) as additional
    """)[0]
    counts["additional_pct"] = (round(100 * counts["additional"] / counts["contributions"])
                                if counts["contributions"] else 0)

    # -- outcomes with their status (worst first) and step 3's verdict
    progress = ("s.status", "s.indicators", "s.on_track", "s.at_risk", "s.off_track", "s.pivot")
    join = ""
    if has("outcome_status"):
        join += " left join outcome_status s on s.outcome = o.slug"
    else:
        progress = tuple("null" for _ in progress)
    verdict = "null"
    if has("outcome_verdicts"):
        join += " left join outcome_verdicts v on v.outcome = o.slug"
        verdict = "v.verdict"
    outcome_rows = _rows(conn, f"""
        select o.slug, o.title, o.status, {progress[0]} as progress, {progress[1]} as indicators,
               {progress[2]} as on_track, {progress[3]} as at_risk, {progress[4]} as off_track,
               {progress[5]} as pivot, {verdict} as verdict
        from outcomes o {join}
        order by case o.status when 'dropped' then 2 when 'proposed' then 1 else 0 end,
                 case {progress[0]} when 'off-track' then 0 when 'at-risk' then 1
                      when 'on-track' then 2 else 3 end,
                 o.title
        limit ?""", [SHOWN])
    slugs = [o["slug"] for o in outcome_rows]
    marks = ",".join("?" for _ in slugs) or "''"
    working = _rows(conn, f"select * from is_it_working where outcome in ({marks}) "
                          f"and indicator is not null order by outcome, indicator", slugs)
    by_outcome: dict[str, list[dict[str, Any]]] = {}
    for r in working:
        r["badge"] = _badge(r["status"])
        r["url"] = row_url("indicators", r["indicator"])
        r["shown"] = {k: _fmt_value(r[k]) for k in ("latest", "baseline", "target")}
        by_outcome.setdefault(r["outcome"], []).append(r)
    outcome_list = []
    for o in outcome_rows:
        outcome_list.append({
            **o, "badge": _badge(o["status"]), "progress_badge": _badge(o["progress"]),
            "verdict_badge": _badge(o["verdict"]),
            "url": row_url("outcomes", o["slug"]),
            "progress_url": table_url("outcome_status", outcome=o["slug"]) if has("outcome_status") else None,
            "verdict_url": table_url("outcome_verdicts", outcome=o["slug"]) if has("outcome_verdicts") else None,
            "indicators": by_outcome.get(o["slug"], [])})

    # -- a chart per indicator: observations against baseline and target, with the story
    charts = []
    for r in (i for o in outcome_list for i in o["indicators"]):
        if len(charts) >= SHOWN:
            break
        series = _rows(conn, "select date, value from indicator_series where indicator = ? "
                             "and value is not null order by date", [r["indicator"]])
        notes = (_rows(conn, "select id, date, kind, text from story_notes where indicator = ? "
                             "order by date, id", [r["indicator"]]) if has("story_notes") else [])
        chart = line_chart(series, r, notes)
        if not chart:
            continue
        chart["url"] = table_url("observations" if has("observations") else "indicator_series",
                                 indicator=r["indicator"])
        chart["indicator_url"] = r["url"]
        chart["notes_url"] = table_url("story_notes", indicator=r["indicator"]) if notes else None
        for n in chart["notes"]:
            n["url"] = row_url("story_notes", n["id"])
        # every metric's latest figure, built-in or from a plugin: generic on purpose
        metrics = (_rows(conn, "select metric, value, max(period) as period from metric_values "
                               "where indicator = ? group by metric order by metric",
                         [r["indicator"]]) if has("metric_values") else [])
        chart["metrics"] = [
            {**m, "url": table_url("metric_values", indicator=r["indicator"], metric=m["metric"]),
             "shown": _fmt_value(m["value"])}
            for m in metrics if m["metric"] not in ("latest", "status")]
        charts.append(chart)

    # -- what each outcome gets: additional vs business as usual (always available)
    bring = _rows(conn, f"""
        select o.slug as outcome, o.title as title, count(c.id) as total,
               coalesce(sum(c.additional), 0) as additional
        from outcomes o left join contributions c on c.outcome = o.slug
        where o.slug in ({marks})
        group by o.slug order by total desc, o.title
    """, slugs)
    bars = bar_chart(bring, lambda o: table_url("contributions", outcome=o))

    # -- who does what: the shown outcomes x the partners in them
    cells = _rows(conn, f"""
        select s.outcome, s.partner, 1 as stake, 0 as n, 0 as additional from stakes s
        where s.outcome in ({marks})
        union all
        select c.outcome, c.partner, 0, 1, c.additional from contributions c
        where c.outcome in ({marks})
    """, slugs + slugs)
    grid: dict[tuple[str, str], dict[str, int]] = {}
    involvement: dict[str, int] = {}
    for c in cells:
        g = grid.setdefault((c["outcome"], c["partner"]), {"stake": 0, "n": 0, "additional": 0})
        g["stake"] |= c["stake"]
        g["n"] += c["n"]
        g["additional"] += c["additional"] or 0
        involvement[c["partner"]] = involvement.get(c["partner"], 0) + 1
    partner_slugs = sorted(involvement, key=lambda s: (-involvement[s], s))[:SHOWN]
    pmarks = ",".join("?" for _ in partner_slugs) or "''"
    pnames = {r["slug"]: r["name"] for r in _rows(
        conn, f"select slug, name from partners where slug in ({pmarks})", partner_slugs)}
    matrix = {
        "partners": [{"slug": s, "name": pnames.get(s, s), "url": row_url("partners", s)}
                     for s in partner_slugs],
        "rows": [{"outcome": o, "cells": [
            {**grid.get((o["slug"], s), {"stake": 0, "n": 0, "additional": 0}),
             "url": table_url("who_does_what", outcome=o["slug"], partner=s)}
            for s in partner_slugs]} for o in outcome_list],
        "more_partners": max(len(involvement) - len(partner_slugs), 0),
        "url": table_url("who_does_what"),
    }

    # -- where are the gaps: the verdicts, then the gaps nobody has filled
    verdicts = []
    if has("outcome_verdicts"):
        verdicts = _rows(conn, """
            select * from outcome_verdicts where needs > 0
            order by case verdict when 'reboot' then 0 when 'at-risk' then 1
                     when 'on-course' then 2 else 3 end, title limit ?""", [SHOWN])
        for v in verdicts:
            v["badge"] = _badge(v["verdict"])
            v["url"] = table_url("outcome_verdicts", outcome=v["outcome"])
            v["gaps_url"] = table_url("where_are_the_gaps", outcome=v["outcome"])
    gaps = _rows(conn, """
        select * from where_are_the_gaps where state != 'met'
        order by coalesce(killer, 0) desc, coalesce(essential, 0) desc, outcome_title, need
        limit ?""", [SHOWN])
    open_gaps = _rows(conn, "select count(*) as n from where_are_the_gaps "
                            "where state != 'met'")[0]["n"]
    for g in gaps:
        g["badge"] = "bad" if g.get("killer") else _badge(g["state"])
        g["gap_shown"] = _fmt_value(g["gap"])
        g["url"] = (table_url("gaps", outcome=g["outcome"], need=g["need"]) if has("gaps")
                    else table_url("where_are_the_gaps", outcome=g["outcome"]))

    # -- who keeps their promises
    ledger = _rows(conn, "select * from who_keeps_promises where made > 0 "
                         "order by kept_rate desc, made desc, partner_name limit ?", [SHOWN])
    for row in ledger:
        row["url"] = (table_url("commitment_status", partner=row["partner"])
                      if has("commitment_status") else table_url("who_keeps_promises", partner=row["partner"]))
        row["pct"] = _pct(row.get("kept_rate"))
    promises = _rows(conn, """
        select coalesce(sum(made), 0) as made, coalesce(sum(kept), 0) as kept,
               coalesce(sum(kept_late), 0) as kept_late, coalesce(sum(open), 0) as open
        from who_keeps_promises""")[0]
    due = promises["made"] - promises["open"]
    promises["pct"] = round(100 * (promises["kept"] + promises["kept_late"]) / due) if due else None
    quarters = (_rows(conn, "select * from kept_rate_by_quarter where made > open "
                            "order by quarter desc limit 6") if has("kept_rate_by_quarter") else [])
    for q in quarters:
        q["pct"] = _pct(q.get("kept_rate"))
        q["url"] = table_url("kept_rate_by_quarter", quarter=q["quarter"])

    # -- the latest news: written updates, then changes to the records
    if has("updates"):
        updates = _rows(conn, """
            select u.id, u.date, u.text, u.partner, pa.name as partner_name, u.outcome,
                   o.title as outcome_title
            from updates u left join partners pa on pa.slug = u.partner
            left join outcomes o on o.slug = u.outcome
            order by u.date desc, u.id desc limit 8""")
        for u in updates:
            u["url"] = row_url("updates", u["id"])
            u["outcome_url"] = row_url("outcomes", u["outcome"])
    else:
        updates = []
    changes = _rows(conn, "select id, at, summary, action, entity from changes "
                          "order by id desc limit 6")
    for ch in changes:
        ch["day"] = str(ch["at"] or "")[:10]
        ch["url"] = row_url("changes", ch["id"])

    # -- meetings held and avoided, the governance model, unmentoring (counts only)
    meetings = _rows(conn, "select * from meeting_totals")[0] if has("meeting_totals") else None
    governance = (_rows(conn, "select * from governance_questions order by number")
                  if has("governance_questions") else [])
    pairs = (_rows(conn, "select * from pair_uptake order by round desc limit 6")
             if has("pair_uptake") else [])
    for r in pairs:
        r["pct"] = _pct(r.get("uptake"))
        r["url"] = table_url("pair_uptake", round=r["round"])

    cards = [
        {"figure": counts["partners"], "label": "partners", "url": table_url("partners")},
        {"figure": counts["outcomes"], "label": "shared outcomes", "url": table_url("outcomes")},
        {"figure": counts["contributions"], "label": "contributions", "url": table_url("contributions")},
        {"figure": f"{counts['additional_pct']}%", "label": "new because of the partnership",
         "url": table_url("contributions", additional=1)},
    ]
    if promises["pct"] is not None:
        cards.append({"figure": f"{promises['pct']}%", "label": "of promises due were kept",
                      "url": query_url("who-keeps-their-promises")})
    if meetings:
        cards.append({"figure": _fmt_value(meetings["person_hours_saved"]),
                      "label": "person-hours saved by meetings avoided",
                      "url": query_url("meetings-held-and-avoided")})

    # every view of the file, in the order publish created them (the file is the source of
    # truth, so plain Datasette in a fresh process lists the same links)
    more = [{"name": r["name"], "url": table_url(r["name"])} for r in _rows(
        conn, "select name from sqlite_master where type = 'view' order by rowid")]
    return {
        "db": name, "site": site, "counts": counts, "cards": cards, "outcomes": outcome_list,
        "more_outcomes": max(counts["outcomes"] - len(outcome_list), 0),
        "charts": charts, "bars": bars, "matrix": matrix, "verdicts": verdicts, "gaps": gaps,
        "more_gaps": max(open_gaps - len(gaps), 0), "ledger": ledger, "promises": promises,
        "quarters": quarters, "updates": updates, "changes": changes, "meetings": meetings,
        "governance": governance, "pairs": pairs, "more_views": more,
        "reads": sorted(conn.reads),
        "links": {
            "outcomes": table_url("outcomes"), "partners": table_url("partners"),
            "contributions": table_url("contributions"),
            "outcomes_going": query_url("outcomes-and-how-they-are-going"),
            "is_it_working": query_url("is-it-working"),
            "stories": query_url("the-story-behind-the-curve"),
            "who_does_what": query_url("who-does-what"),
            "who_does_what_table": table_url("who_does_what"),
            "gaps": query_url("where-are-the-gaps"),
            "verdicts": query_url("gaps-and-verdicts"),
            "ledger": query_url("who-keeps-their-promises"),
            "commitments": table_url("commitment_status"),
            "quarters": table_url("kept_rate_by_quarter"),
            "updates": table_url("updates") if has("updates") else table_url("latest_updates"),
            "changes": table_url("changes"),
            "meetings": query_url("meetings-held-and-avoided"),
            "hours": query_url("hours-saved"),
            "governance": query_url("governance"),
            "pairs": query_url("unmentoring-uptake"),
            "feed": query_url("feed") + ".atom",
            "database": datasette.urls.database(name),
        },
    }


def _fmt_value(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return "" if v is None else str(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return str(v)
        return f"{v:,.0f}" if v.is_integer() else f"{v:,.1f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _day(value: Any) -> float | None:
    try:
        return float(dt.date.fromisoformat(str(value)[:10]).toordinal())
    except (TypeError, ValueError):
        return None


W, H, PAD_L, PAD_R, PAD_T, PAD_B = 320, 150, 44, 12, 12, 22


def line_chart(series: list[dict[str, Any]], ind: dict[str, Any],
               notes: list[dict[str, Any]] | None = None) -> dict[str, Any] | None:
    """Coordinates of an SVG line chart: observations, baseline and target, and a
    numbered mark at the date of each story note."""
    points = [(_day(r["date"]), float(r["value"])) for r in series
              if _day(r["date"]) is not None and isinstance(r["value"], (int, float))]
    if not points:
        return None
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    target = ind.get("target") if isinstance(ind.get("target"), (int, float)) else None
    baseline = ind.get("baseline") if isinstance(ind.get("baseline"), (int, float)) else None
    target_x = _day(ind.get("target_date"))
    if target_x is not None:
        xs.append(target_x)
    notes = [dict(n) for n in notes or [] if _day(n.get("date")) is not None]
    xs += [_day(n["date"]) for n in notes]
    ys += [v for v in (target, baseline) if v is not None]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y1 = y0 + 1
    margin = (y1 - y0) * 0.1
    y0, y1 = y0 - margin, y1 + margin

    def sx(x: float) -> float:
        return round(PAD_L + (x - x0) / (x1 - x0) * (W - PAD_L - PAD_R), 1)

    def sy(y: float) -> float:
        return round(H - PAD_B - (y - y0) / (y1 - y0) * (H - PAD_T - PAD_B), 1)

    return {
        "indicator": ind["indicator"], "outcome_title": ind["outcome_title"], "unit": ind.get("unit") or "",
        "status": ind.get("status"), "badge": _badge(ind.get("status")),
        "latest": ind.get("latest"), "baseline": baseline, "target": target,
        "target_date": ind.get("target_date"),
        "width": W, "height": H, "left": PAD_L, "right": W - PAD_R, "bottom": H - PAD_B,
        "path": " ".join(f"{sx(x)},{sy(y)}" for x, y in points),
        "dots": [{"x": sx(x), "y": sy(y)} for x, y in points[-1:]],
        "baseline_y": sy(baseline) if baseline is not None else None,
        "target_y": sy(target) if target is not None else None,
        "target_x": sx(target_x) if target_x is not None and target is not None else None,
        "y_top": _fmt(y1), "y_bottom": _fmt(y0),
        "first_date": dt.date.fromordinal(int(min(xs))).isoformat()[:7],
        "last_date": dt.date.fromordinal(int(max(xs))).isoformat()[:7],
        "count": len(points),
        "title": ind.get("indicator_title") or ind["indicator"],
        "notes": [{**n, "number": i, "x": sx(_day(n["date"]))} for i, n in enumerate(notes, 1)],
        "top": PAD_T,
    }


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 10 else f"{v:.2g}"


def bar_chart(rows: list[dict[str, Any]], url: Any) -> dict[str, Any]:
    """Horizontal stacked bars: contributions per outcome, additional and business as usual."""
    top = max((r["total"] for r in rows), default=0) or 1
    width, label_w, row_h = 640, 0, 30
    bars = []
    for i, r in enumerate(rows):
        add = (r["additional"] or 0) / top * width
        bau = (r["total"] - (r["additional"] or 0)) / top * width
        bars.append({"title": r["title"], "total": r["total"], "additional": r["additional"] or 0,
                     "y": i * row_h, "add_w": round(add, 1), "bau_w": round(bau, 1),
                     "url": url(r["outcome"])})
    return {"bars": bars, "width": width + label_w, "height": max(len(rows), 1) * row_h, "row_h": row_h}
