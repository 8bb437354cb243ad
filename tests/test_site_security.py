"""The public site's guards: permissions, headers, read-only methods, introspection,
the served file's path, bounded streaming and a prompt Ctrl+C.

Everything goes through Datasette's own routing (``ds.client``, or the ASGI app itself
for a client that hangs up); the Ctrl+C test runs ``partnership serve`` as a real
process on a free loopback port.
"""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from partnership.reporting.serve import make_datasette


def get(ds, path, **kwargs):
    return asyncio.run(ds.client.get(path, **kwargs))


@pytest.fixture(scope="module")
def published(_published_template, tmp_path_factory):
    """A copy of the published demo, as (public file, metadata file), shared by this
    module's tests: none writes to it (the file is served immutable)."""
    import shutil

    _, result = _published_template
    target = tmp_path_factory.mktemp("site") / "public.db"
    shutil.copy(result.path, target)
    metadata = target.with_name(Path(result.metadata_path).name)
    shutil.copy(result.metadata_path, metadata)
    return target, metadata


@pytest.fixture(scope="module")
def site(published):
    """The Datasette serving ``published``, shared by this module's tests (each test that
    changes the metadata builds its own with ``with_metadata``)."""
    target, metadata = published
    return make_datasette(target, metadata)


def with_metadata(published, tmp_path, change):
    """The site served with its generated metadata changed by ``change(meta)``."""
    target, metadata = published
    meta = yaml.safe_load(metadata.read_text(encoding="utf-8"))
    change(meta)
    changed = tmp_path / "changed.metadata.yml"
    changed.write_text(yaml.safe_dump(meta), encoding="utf-8")
    return make_datasette(target, changed)


def root_cookies(ds):
    return {"ds_actor": ds.sign({"a": {"id": "root"}}, "actor")}


# -- permissions: the home page asks Datasette like every other page ---------------------------


@pytest.mark.slow
def test_the_home_page_obeys_allow_false(published, tmp_path):
    ds = with_metadata(published, tmp_path, lambda m: m.update(allow=False))
    for path in ("/public", "/public/partners", "/"):
        r = get(ds, path)
        assert r.status_code == 403, (path, r.status_code)
        assert "Northshire Constabulary" not in r.text
    # root is allowed by the same rule ('allow: {id: root}')
    ds = with_metadata(published, tmp_path, lambda m: m.update(allow={"id": "root"}))
    assert get(ds, "/").status_code == 403
    r = get(ds, "/", cookies=root_cookies(ds))
    assert r.status_code == 200 and 'id="outcomes"' in r.text


@pytest.mark.slow
def test_the_home_page_shows_nothing_of_a_database_or_table_it_may_not(published, tmp_path):
    def deny_database(meta):
        meta["databases"]["public"]["allow"] = False

    ds = with_metadata(published, tmp_path, deny_database)
    r = get(ds, "/")
    assert r.status_code in (200, 403)
    assert "Fewer residents suffer repeated anti-social behaviour" not in r.text
    assert "Northshire Constabulary" not in r.text

    def deny_partners(meta):
        meta["databases"]["public"]["tables"]["partners"]["allow"] = False

    ds = with_metadata(published, tmp_path, deny_partners)
    assert get(ds, "/public/partners").status_code == 403
    r = get(ds, "/")
    assert r.status_code in (200, 403)
    assert "Northshire Constabulary" not in r.text and 'id="outcomes"' not in r.text


@pytest.mark.slow
def test_permissions_worked_out_once_still_tell_visitors_apart(published, tmp_path):
    """serve remembers each permission for visitors who are not signed in: a table denied
    to them stays denied on every request and page, and root still sees it."""
    def partners_for_root(meta):
        meta["databases"]["public"]["tables"]["partners"]["allow"] = {"id": "root"}

    ds = with_metadata(published, tmp_path, partners_for_root)
    for _ in range(2):
        assert get(ds, "/public/partners").status_code == 403
        assert 'href="/public/partners"' not in get(ds, "/public").text
        assert get(ds, "/public/partners", cookies=root_cookies(ds)).status_code == 200
        assert 'href="/public/partners"' in get(ds, "/public", cookies=root_cookies(ds)).text
        assert get(ds, "/public/outcomes").status_code == 200


def test_the_home_page_rendered_once_is_only_for_visitors_without_cookies(published, tmp_path):
    ds = with_metadata(published, tmp_path, lambda m: None)
    first, again = get(ds, "/"), get(ds, "/")
    assert first.status_code == again.status_code == 200 and first.text == again.text
    assert 'class="actor"' not in first.text
    signed_in = get(ds, "/", cookies=root_cookies(ds))
    assert signed_in.status_code == 200 and 'class="actor"' in signed_in.text
    assert 'class="actor"' not in get(ds, "/").text


# -- headers on every answer -----------------------------------------------------------------

HEADER_PATHS = ["/", "/public", "/public/partners", "/public/partners.csv", "/public/partners.json",
                "/public/feed.atom", "/public/who-does-what", "/public?sql=select+1",
                "/public/indicators/repeat-victims", "/-/static/app.css", "/robots.txt",
                "/no-such-page", "/public/no_such_table", "/-/metadata"]


def csp_directives(value: str) -> dict[str, list[str]]:
    out = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.parametrize("path", HEADER_PATHS)
def test_security_headers_on_every_answer(site, path):
    r = get(site, path)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
    csp = csp_directives(r.headers["content-security-policy"])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no CDN
    assert csp["base-uri"] == ["'none'"] and csp["form-action"] == ["'self'"]


SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script>", re.DOTALL | re.IGNORECASE)
HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def pages_to_check(ds) -> list[str]:
    """Every kind of HTML page the site serves, and every local link of the home page."""
    pages = ["/", "/public", "/public/partners", "/public/observations", "/public/who_does_what",
             "/public/who-does-what", "/public/feed", "/public?sql=select+*+from+partners",
             "/public/partners/county-police", "/public/indicators/repeat-victims",
             "/public/partners?_facet=kind", "/-/metadata", "/-/settings", "/-/allow-debug",
             "/no-such-page", "/public?sql=select+nonsense"]
    home = get(ds, "/").text
    links = sorted({h.replace("&amp;", "&") for h in re.findall(r'href="(/[^"]*)"', home)})
    return pages + [h for h in links if not h.endswith((".atom", ".css", ".json", ".csv"))]


@pytest.mark.slow
def test_no_page_runs_inline_script(site):
    checked = 0
    scripts = set()
    for path in pages_to_check(site):
        r = get(site, path)
        if "text/html" not in r.headers.get("content-type", ""):
            continue
        checked += 1
        for attrs, body in SCRIPT.findall(r.text):
            assert not body.strip(), f"inline script on {path}: {body[:80]!r}"
            src = re.search(r'src="([^"]+)"', attrs)
            assert src and src.group(1).startswith("/") and not src.group(1).startswith("//"), (path, attrs)
            scripts.add(src.group(1))
        handler = HANDLER.search(r.text)
        assert handler is None, f"inline event handler on {path}: {handler.group(0)[:80]!r}"
    assert checked > 30
    # the scripts moved out of the pages are served, as JavaScript, with the same headers
    assert any("/-/partnership/" in s for s in scripts)
    for src in scripts:
        r = get(site, src)
        assert r.status_code == 200, src
        assert "javascript" in r.headers["content-type"], src
        assert r.headers["x-content-type-options"] == "nosniff"


# -- read-only: anything but GET and HEAD is refused, never a traceback -------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/public/partners", "/public/feed", "/public/feed.atom", "/",
                                  "/public", "/public/partners/county-police", "/-/versions"])
def test_writes_are_refused_with_405(site, path, method, capsys):
    r = asyncio.run(site.client.request(method, path))
    assert r.status_code == 405, (method, path, r.status_code)
    assert r.headers["allow"] == "GET, HEAD"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "Traceback" not in capsys.readouterr().err


def test_head_still_works(site):
    r = asyncio.run(site.client.head("/public/partners"))
    assert r.status_code in (200, 405) and r.status_code != 500


# -- the served file's path is nobody's business ---------------------------------------------


@pytest.mark.parametrize("sql", [
    "select * from pragma_database_list",
    "select * from pragma_database_list()",
    "select file from pragma_database_list()",
    "select group_concat(file) as f from pragma_database_list",
    "PRAGMA database_list",
])
def test_sql_cannot_reveal_where_the_file_is(published, site, sql):
    target, _ = published
    for path in ("/public.json", "/public.csv", "/public"):
        r = asyncio.run(site.client.get(path, params={"sql": sql}))
        assert str(target.parent) not in r.text, (path, sql)
        assert r.status_code != 500


def test_the_pragma_is_empty_on_datasettes_connections(site):
    async def run():
        db = site.databases["public"]
        rows = (await db.execute("PRAGMA database_list")).rows
        tvf = (await db.execute("select * from pragma_database_list()")).rows
        # Datasette's own use of it (attached databases) still works
        attached = await db.attached_databases()
        # and the other pragmas Datasette relies on are untouched
        info = (await db.execute("select name from pragma_table_info('partners')")).rows
        return rows, tvf, attached, info

    rows, tvf, attached, info = asyncio.run(run())
    assert rows == [] and tvf == [] and attached == []
    assert "slug" in [r[0] for r in info]


INTROSPECTION = ["/-/versions", "/-/versions.json", "/-/threads", "/-/threads.json",
                 "/-/databases", "/-/databases.json", "/-/plugins", "/-/plugins.json"]


@pytest.mark.parametrize("path", INTROSPECTION)
def test_introspection_pages_are_off(site, path):
    r = get(site, path)
    assert r.status_code == 404, (path, r.status_code, r.text[:200])
    # root (datasette --root) still sees them: they are Datasette's debug pages
    assert get(site, path, cookies=root_cookies(site)).status_code == 200


def test_no_page_of_the_site_shows_the_files_path(published, site):
    target, _ = published
    for path in ["/-/metadata.json", "/-/settings.json", "/-/actor.json", "/public.json",
                 "/public", "/.json", "/_internal", "/_internal.json?sql=select+*+from+databases",
                 "/_internal/databases.json"] + INTROSPECTION:
        r = get(site, path)
        assert str(target.parent) not in r.text, path


# -- one client cannot tie up the server ----------------------------------------------------


def test_csv_streaming_is_off_and_the_whole_file_downloads_instead(site, published):
    target, _ = published
    r = get(site, "/public/observations.csv?_stream=on&_size=max")
    assert r.status_code == 400 and "streaming is disabled" in r.text
    assert site.setting("allow_csv_stream") is False
    assert site.setting("sql_time_limit_ms") <= 1000 and site.setting("max_returned_rows") <= 1000
    # a page of CSV is still there, and all the data is one download away
    assert get(site, "/public/observations.csv?_size=max").status_code == 200
    r = get(site, "/public.db")
    assert r.status_code == 200 and r.content == target.read_bytes()


def test_the_settings_hold_even_without_them_in_the_metadata(published, tmp_path):
    ds = with_metadata(published, tmp_path, lambda m: m.pop("settings", None))
    assert ds.setting("allow_csv_stream") is False
    assert ds.setting("sql_time_limit_ms") == 1000 and ds.setting("max_returned_rows") == 1000


async def _hang_up_after_first_chunk(app, path: str) -> tuple[int, float]:
    """Ask ``path`` over raw ASGI and hang up after the first chunk of the body:
    return how many more chunks the app sent and how long it took to stop."""
    hung_up = asyncio.Event()
    chunks = 0

    async def receive():
        if not getattr(receive, "sent", False):
            receive.sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await hung_up.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        nonlocal chunks
        if message["type"] == "http.response.body" and message.get("body"):
            chunks += 1
            hung_up.set()
        await asyncio.sleep(0.001)  # a slow network

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
             "root_path": "", "headers": [(b"host", b"localhost")],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8001)}
    t0 = time.monotonic()
    await asyncio.wait_for(app(scope, receive, send), timeout=30)
    return chunks - 1, time.monotonic() - t0


def test_a_client_that_hangs_up_stops_its_download(site, published):
    target, _ = published
    assert target.stat().st_size > 100 * 4096  # many chunks to send
    more, _ = asyncio.run(_hang_up_after_first_chunk(site.app(), "/public.db"))
    assert more <= 2


def _many_observations(path: Path, rows: int) -> None:
    conn = sqlite3.connect(path)
    slugs = [r[0] for r in conn.execute("SELECT slug FROM indicators")]
    conn.executemany(
        "INSERT OR IGNORE INTO observations (indicator, date, value) "
        "VALUES (?, date('1900-01-01', '+' || ? || ' days'), ?)",
        ((slugs[i % len(slugs)], i // len(slugs), i % 97) for i in range(rows)))
    conn.commit()
    conn.close()


def _send_buffer_max() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    except (OSError, IndexError, ValueError):
        return 4_194_304


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_ctrl_c_stops_serve_while_a_download_is_stuck(demo_path, tmp_path):
    """A client that asks for the whole database and never reads it used to keep
    'serve' running after Ctrl+C (uvicorn waited for the response for ever)."""
    _many_observations(demo_path, 250_000)
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from partnership.cli import main; main()",
         "--db", str(demo_path), "serve", "--port", str(port),
         "--public-db", str(tmp_path / "public.db")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    client = None
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.stderr.read()[-2000:]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        # bigger than what the kernel buffers for a client that reads nothing
        assert (tmp_path / "public.db").stat().st_size > _send_buffer_max() + 2_000_000
        client = socket.socket()
        client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        client.settimeout(10)
        client.connect(("127.0.0.1", port))
        client.sendall(b"GET /public.db HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert client.recv(64).startswith(b"HTTP/1.1 200")
        time.sleep(0.5)  # the server is now blocked sending to a client that does not read
        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pytest.fail("serve was still running 5 s after Ctrl+C")
        assert time.monotonic() - t0 < 5
        assert "Traceback" not in proc.stderr.read()
    finally:
        if client is not None:
            client.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
        proc.stderr.close()


# -- serve checks the database before the port -----------------------------------------------


def test_serve_names_a_missing_database_even_when_the_port_is_busy(tmp_path, run):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        r = run("--db", str(tmp_path / "missing.db"), "serve", "--port", str(port), db=False)
    assert r.exit_code == 1
    assert "no partnership database" in r.stderr and "in use" not in r.stderr
