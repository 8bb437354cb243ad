"""The inbox site: a Datasette plugin serving the inbox database to partners' people.

:func:`make_inbox_datasette` serves the inbox file alone (never the working file), with
every table closed to visitors (``allow: false``: the file holds the link secret and
every partner's submissions) and no SQL. This module's hooks add the partners' pages,
and do nothing on any other Datasette instance:

* ``GET /r/<token>``: the page of the person a valid link names, for their partner
  only: the figures it reports (last figure, baseline, target, a form for the next),
  its open commitments (mark delivered, ask to withdraw), a written update on an outcome
  it has a stake in, what it has sent and what the lead made of it. A forged, expired
  or revoked link gets a plain page and a 403.
* ``POST /r/<token>/submit`` and ``/r/<token>/send/<id>``: forms protected by
  Datasette's CSRF check (asgi-csrf), checked with the same models as the command line
  (:mod:`partnership.inbox.kinds`); a problem is shown beside its field (400) and
  nothing is stored; another partner's indicator or commitment is refused (403).
  Submissions are written through Datasette's single write connection.
* an ASGI wrapper refuses bodies over :data:`MAX_BODY` bytes (413) before anything
  reads them, answers 404 to Datasette's introspection pages (``/-/databases`` would show
  the file's path), and adds a strict Content-Security-Policy (no script at all).
"""

from __future__ import annotations

import os
import sqlite3
import urllib.parse
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar, cast

from datasette import hookimpl as _datasette_hookimpl

from ..asgi import sending_headers
from . import inboxdb, kinds, tokens

_F = TypeVar("_F", bound=Callable[..., Any])


def hookimpl(fn: _F) -> _F:
    """Datasette's hook marker, typed (it returns the function it marks)."""
    return cast(_F, _datasette_hookimpl(fn))


TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
#: the name the inbox file is served under
SERVED_NAME = "inbox"
#: the largest request body the site reads (a form with a long note is a few KiB)
MAX_BODY = 64 * 1024
#: marks a Datasette instance as the inbox site in its metadata (the hooks do nothing elsewhere)
PLUGIN = "partnership-inbox"

SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
     b"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    # the link is the key: never send it to another site as a referrer
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
]

#: nothing of the inbox file is visible through Datasette's own pages; no SQL, no download
METADATA: dict[str, Any] = {
    "title": "Partnership inbox",
    "allow_sql": False,
    "databases": {SERVED_NAME: {"allow": False}},
    "plugins": {PLUGIN: {"site": True}},
}
SETTINGS: dict[str, Any] = {"allow_download": False, "default_allow_sql": False,
                            "sql_time_limit_ms": 1000, "max_returned_rows": 1000,
                            "allow_csv_stream": False}


def make_inbox_datasette(inbox_file: str | os.PathLike[str],
                         metadata: dict[str, Any] | None = None) -> Any:
    """A Datasette instance serving the inbox file (mutable: the site writes submissions)."""
    from datasette.app import Datasette
    from datasette.database import Database
    from datasette.plugins import pm

    module = __import__(__name__, fromlist=["_"])
    if not pm.is_registered(module):
        pm.register(module, name="partnership-inbox-site")
    metadata = dict(metadata or METADATA)
    metadata["plugins"] = {**(metadata.get("plugins") or {}), PLUGIN: {"site": True}}
    ds = Datasette(files=[], metadata=metadata, settings=SETTINGS, template_dir=str(TEMPLATE_DIR),
                   cors=False)
    if "_memory" in ds.databases:
        ds.remove_database("_memory")
    ds.add_database(Database(ds, path=str(inbox_file), is_mutable=True), name=SERVED_NAME)
    return ds


def serve(inbox_file: str | os.PathLike[str], *, host: str, port: int) -> None:  # pragma: no cover
    """Serve the inbox file until interrupted (``partnership inbox serve``)."""
    import uvicorn

    from ..reporting.serve import SHUTDOWN_SECONDS

    ds = make_inbox_datasette(inbox_file)
    # no access log: every address holds a person's link, and links are never logged
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", access_log=False,
                timeout_graceful_shutdown=SHUTDOWN_SECONDS)


def main(argv: list[str] | None = None) -> None:  # pragma: no cover - serves until stopped
    """``python -m partnership.inbox.site INBOX_FILE --host H --port P``: the server process
    ``partnership inbox serve`` becomes once the inbox file is ready. It is given the inbox
    file alone: the working file's name is not even in its arguments."""
    import argparse

    parser = argparse.ArgumentParser(prog="partnership-inbox-site")
    parser.add_argument("inbox_file")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    args = parser.parse_args(argv)
    # run as ``-m`` this module is ``__main__``: serve through the package's own module, the
    # one registered with Datasette's plugin manager
    from partnership.inbox import site

    site.serve(args.inbox_file, host=args.host, port=args.port)


def _ours(datasette: Any) -> bool:
    return bool((datasette.plugin_config(PLUGIN) or {}).get("site"))


# -- hooks ------------------------------------------------------------------------------------------

@hookimpl
def register_routes(datasette: Any) -> Any:
    if not _ours(datasette):
        return []
    return [
        (r"^/$", front_page),
        (r"^/r/(?P<token>[A-Za-z0-9_.\-]{1,2000})$", person_page),
        (r"^/r/(?P<token>[A-Za-z0-9_.\-]{1,2000})/submit$", submit),
        (r"^/r/(?P<token>[A-Za-z0-9_.\-]{1,2000})/send/(?P<ident>[0-9]{1,18})$", send_draft),
    ]


Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    if not _ours(datasette):
        return lambda app: app

    def wrap(app: Any) -> Any:
        async def guarded(scope: dict[str, Any], receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return

            send_with_headers = sending_headers(send, SECURITY_HEADERS)

            path = scope.get("path", "")
            if path.startswith("/-/") and not path.startswith("/-/static/"):
                # Datasette's own introspection pages (paths, versions, plugins): not for visitors
                await _plain(send_with_headers, 404, "Not found.")
                return
            if scope.get("method") in ("GET", "HEAD"):
                await app(scope, receive, send_with_headers)
                return
            body = await _read_body(scope, receive)
            if body is None:
                await _plain(send_with_headers, 413, "That was too much to send at once: a form "
                             f"of this site is at most {MAX_BODY // 1024} KiB. Shorten the note and "
                             "try again.")
                return
            sent = False

            async def replay() -> dict[str, Any]:
                nonlocal sent
                if not sent:
                    sent = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await app(scope, replay, send_with_headers)

        return guarded

    return wrap


async def _read_body(scope: dict[str, Any], receive: Receive) -> bytes | None:
    """The whole body, or None as soon as it is known to be over :data:`MAX_BODY`."""
    for name, value in scope.get("headers") or []:
        if name.lower() == b"content-length":
            try:
                if int(value) > MAX_BODY:
                    return None
            except ValueError:
                return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def _plain(send: Send, status: int, text: str) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": (text + "\n").encode()})


# -- pages ------------------------------------------------------------------------------------------

REFUSED = {
    "forged": "This link does not work: it is not a link this partnership gave out, or part of it "
              "is missing. Copy the whole link from your email, or ask the partnership lead for a "
              "new one.",
    "expired": "This link has expired. Ask the partnership lead for a new one.",
    "revoked": "This link has been withdrawn by the partnership lead. Ask them for a new one.",
}


def _today() -> Any:
    from ..api import today

    return today()


async def _grant(datasette: Any, token: str) -> tokens.Grant | str:
    """The grant of a valid token, or why it is refused."""
    db = datasette.get_database(SERVED_NAME)

    def read(conn: sqlite3.Connection) -> tokens.Grant | str:
        secret = inboxdb.meta(conn, "secret")
        if not secret:
            return "forged"
        try:
            grant = tokens.verify(secret, token, today=_today(),
                                  version_of=lambda person: inboxdb.version_of(conn, person))
        except tokens.BadToken as exc:
            return exc.reason
        row = conn.execute("SELECT partner FROM people WHERE slug = ?", [grant.person]).fetchone()
        if row is None or row[0] != grant.partner:
            return "revoked"  # moved to another partner since: the old link no longer fits
        return grant

    result: tokens.Grant | str = await db.execute_fn(read)
    return result


async def _refusal(datasette: Any, request: Any, why: str, status: int = 403) -> Any:
    from datasette.utils.asgi import Response

    html = await datasette.render_template("inbox_refused.html", {"message": REFUSED.get(why, why)},
                                           request=request)
    return Response.html(html, status=status)


async def front_page(datasette: Any, request: Any) -> Any:
    from datasette.utils.asgi import Response

    html = await datasette.render_template("inbox_refused.html", {
        "message": "This is the partnership's inbox. Open it with the personal link you were sent."},
        request=request)
    return Response.html(html)


async def _page(datasette: Any, request: Any, grant: tokens.Grant, token: str, *,
                errors: dict[str, str] | None = None, posted: dict[str, str] | None = None,
                form_id: str = "", notice: str = "", status: int = 200) -> Any:
    from datasette.utils.asgi import Response

    db = datasette.get_database(SERVED_NAME)

    def read(conn: sqlite3.Connection) -> dict[str, Any]:
        return {
            "partnership": inboxdb.meta(conn, "partnership") or "the partnership",
            "partner": inboxdb.rows(conn, "SELECT * FROM partners WHERE slug = ?", [grant.partner]),
            "person": inboxdb.rows(conn, "SELECT * FROM people WHERE slug = ?", [grant.person]),
            "indicators": inboxdb.indicators_of(conn, grant.partner),
            "commitments": inboxdb.commitments_of(conn, grant.partner),
            "outcomes": inboxdb.outcomes_of(conn, grant.partner),
            "meetings": inboxdb.rows(conn, "SELECT * FROM meetings ORDER BY date, slug"),
            "areas": inboxdb.rows(conn, "SELECT * FROM areas ORDER BY name"),
            "pair": inboxdb.pair_of(conn, grant.person),
            "submissions": inboxdb.of_partner(conn, grant.partner),
        }

    data = await db.execute_fn(read)
    today = _today()
    for ind in data["indicators"]:
        ind["next_due"] = _next_due(ind, today)
    context = {
        **data,
        "partner": data["partner"][0] if data["partner"] else {"slug": grant.partner, "name": grant.partner},
        "person": data["person"][0] if data["person"] else {"slug": grant.person, "name": grant.person},
        "base": f"/r/{token}",
        "today": today.isoformat(),
        "errors": errors or {},
        "posted": posted or {},
        "form_id": form_id,
        "notice": notice,
        "labels": kinds.LABELS,
    }
    html = await datasette.render_template("inbox_page.html", context, request=request)
    return Response.html(html, status=status)


def _next_due(ind: dict[str, Any], today: Any) -> dict[str, str]:
    import datetime as dt

    days = {"weekly": 7, "monthly": 31, "quarterly": 92, "annual": 366}.get(ind["frequency"], 92)
    since = dt.date.fromisoformat(ind["last_date"] or ind["baseline_date"])
    due = since + dt.timedelta(days=days)
    state = "overdue" if due < today else "due" if (due - today).days <= 31 else "not yet due"
    return {"date": due.isoformat(), "state": state}


async def person_page(datasette: Any, request: Any) -> Any:
    token = request.url_vars["token"]
    grant = await _grant(datasette, token)
    if isinstance(grant, str):
        return await _refusal(datasette, request, grant)
    sent = request.args.get("sent", "")
    notice = ""
    if sent == "draft":
        notice = "Saved as a draft: it is not sent until you press Send."
    elif sent:
        notice = "Sent. The partnership lead will look at it; this page shows what they decide."
    return await _page(datasette, request, grant, token, notice=notice)


async def submit(datasette: Any, request: Any) -> Any:
    from datasette.utils.asgi import Response

    token = request.url_vars["token"]
    grant = await _grant(datasette, token)
    if isinstance(grant, str):
        return await _refusal(datasette, request, grant)
    if request.method != "POST":
        return Response.redirect(f"/r/{token}")
    form = await request.post_vars()
    kind = form.get("kind", "")
    action = form.get("action", "send")
    if kind not in kinds.FIELDS or action not in ("send", "draft"):
        return await _refusal(datasette, request, "That form is not one of this site's.", status=400)
    payload = {k: form.get(k, "") for k in kinds.FIELDS[kind]}
    form_id = f"{kind}:{payload.get('indicator') or payload.get('commitment') or ''}"
    db = datasette.get_database(SERVED_NAME)
    today = _today()

    # (Datasette raises an exception the function returns, so problems come back in a tuple)
    def write(conn: sqlite3.Connection) -> tuple[int, kinds.FieldErrors | None]:
        try:
            checked = kinds.check(kind, payload, partner=grant.partner, conn=conn, today=today,
                                  person=grant.person)
        except kinds.FieldErrors as exc:
            return 0, exc
        return inboxdb.save(conn, person=grant.person, partner=grant.partner, kind=checked.kind,
                            subject=checked.subject, summary=checked.summary, payload=checked.payload,
                            state="draft" if action == "draft" else "pending", via="web"), None

    number, problem = await db.execute_write_fn(write, block=True)
    if isinstance(problem, kinds.NotYours):
        return await _refusal(datasette, request, "You can report only for your own partner: "
                              + "; ".join(problem.fields.values()))
    if problem is not None:
        return await _page(datasette, request, grant, token, errors=problem.fields, posted=payload,
                           form_id=form_id, status=400)
    return Response.redirect(f"/r/{token}?sent={'draft' if action == 'draft' else number}#sent")


async def send_draft(datasette: Any, request: Any) -> Any:
    from datasette.utils.asgi import Response

    token = request.url_vars["token"]
    grant = await _grant(datasette, token)
    if isinstance(grant, str):
        return await _refusal(datasette, request, grant)
    if request.method != "POST":
        return Response.redirect(f"/r/{token}")
    ident = int(request.url_vars["ident"])
    db = datasette.get_database(SERVED_NAME)
    done = await db.execute_write_fn(lambda conn: inboxdb.send_draft(conn, ident, grant.partner), block=True)
    if not done:
        return await _refusal(datasette, request, "There is no draft of yours with that number.", 404)
    return Response.redirect(f"/r/{token}?sent={urllib.parse.quote(str(ident))}#sent")


if __name__ == "__main__":  # pragma: no cover
    main()
