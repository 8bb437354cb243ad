"""The inbox site as partners meet it: a real ``partnership inbox serve`` on a free loopback
port, driven over HTTP (the browser test is test_inbox_browser.py).

Every test here talks to a real server process; none of them lets it see the working file:
its open files are checked while it answers, and the working file is moved away while
people submit. A test that stores something starts a server of its own on its own copy of
the demo; the tests whose requests are all refused or only read (and which check that
nothing was stored) share one server per module and worker (``refusing_site``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

import partnership
from partnership.inbox import tokens

TODAY = "2026-10-31"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Site:
    """A running ``partnership inbox serve`` and what it was started on."""

    def __init__(self, db: Path, proc: subprocess.Popen[str], port: int, started: str) -> None:
        self.db = db
        self.proc = proc
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.started = started

    def link(self, person: str, **kwargs: object) -> str:
        with partnership.open(self.db) as p:
            return p.inbox.link(person, base_url=self.base, **kwargs)  # type: ignore[arg-type]

    def open_files(self) -> list[str]:
        fds = Path(f"/proc/{self.proc.pid}/fd")
        found = []
        for fd in fds.iterdir():
            try:
                found.append(os.readlink(fd))
            except OSError:
                continue
        return found


def start(db: Path, env: dict[str, str] | None = None, seconds: float = 60) -> Site:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from partnership.cli import main; main()", "--db", str(db),
         "inbox", "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PARTNERSHIP_TODAY": TODAY, **(env or {})})
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the inbox server stopped: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise AssertionError("the inbox server did not start")
    return Site(db, proc, port, "")


def stop(site: Site) -> str:
    """Stop the server; what it wrote (standard output, then standard error)."""
    site.proc.terminate()
    try:
        out, err = site.proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        site.proc.kill()
        out, err = site.proc.communicate()
    return out + err


@pytest.fixture
def site(demo_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY)
    running = start(demo_path)
    try:
        yield running
    finally:
        stop(running)


@pytest.fixture(scope="module")
def _shared_site(_demo_template, tmp_path_factory, isolated_environment):
    db = tmp_path_factory.mktemp("inbox-site") / "demo.db"
    shutil.copyfile(_demo_template, db)
    with isolated_environment():
        running = start(db)
    try:
        yield running
    finally:
        stop(running)


@pytest.fixture
def refusing_site(_shared_site, monkeypatch):
    """A server on a copy of the demo shared by the tests that store nothing: each of them
    checks that nothing was stored, so what one test sends cannot change what the next
    sees (starting a server costs about a second of CPU)."""
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY)
    with partnership.open(_shared_site.db) as p:
        assert p.inbox.pending(states=["draft", "pending", "returned", "accepted"]) == []
    return _shared_site


def csrf(page: str) -> str:
    match = re.search(r'name="csrftoken" value="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def post(client: httpx.Client, url: str, page: str, **fields: str) -> httpx.Response:
    return client.post(url, data={"csrftoken": csrf(page), **fields})


def working_file_open(site: Site) -> list[str]:
    """The working file (or its companions) among what the server process has open, or in
    its command line: the process serving is a new program given the inbox file alone."""
    names = {str(site.db.resolve()), *(str(site.db.resolve()) + s for s in ("-wal", "-shm", "-journal"))}
    cmdline = Path(f"/proc/{site.proc.pid}/cmdline").read_bytes().split(b"\0")
    assert b"partnership.inbox.site" in cmdline, cmdline
    return [f for f in site.open_files() if f in names] + [
        a.decode() for a in cmdline if site.db.name.encode() == Path(a.decode()).name.encode()]


def test_follow_a_link_submit_a_figure_and_the_lead_accepts(site):
    link = site.link("ben-clarke")
    with httpx.Client(timeout=30) as client:
        page = client.get(link)
        assert page.status_code == 200
        assert "Northshire Constabulary: reporting to" in page.text
        assert 'name="indicator" value="repeat-victims"' in page.text
        assert page.headers["referrer-policy"] == "no-referrer"
        assert "script-src" not in page.headers["content-security-policy"]
        sent = post(client, f"{link}/submit", page.text, kind="observation", indicator="repeat-victims",
                    value="301", date="2026-10-15", source="Police records", note="", action="send")
        assert sent.status_code == 302
        assert working_file_open(site) == []
        after = client.get(site.base + sent.headers["location"])
        assert "repeat-victims = 301 on 2026-10-15" in after.text
        assert "sent, waiting for the lead" in after.text
    with partnership.open(site.db) as p:
        [sub] = p.inbox.pending()
        assert (sub["person"], sub["via"]) == ("ben-clarke", "web")
        [result] = p.inbox.accept([sub["id"]])
        assert result["outcome"] == "accepted"
        assert p.measure.observations.get("repeat-victims", "2026-10-15").value == 301
    with httpx.Client(timeout=30) as client:
        assert "accepted" in client.get(link).text


def test_the_server_never_opens_the_working_file(site, tmp_path):
    link = site.link("ben-clarke")
    assert working_file_open(site) == []
    # move the working file away: the site goes on working from the inbox file alone
    away = tmp_path / "elsewhere.db"
    os.replace(site.db, away)
    try:
        with httpx.Client(timeout=30) as client:
            page = client.get(link)
            assert page.status_code == 200
            sent = post(client, f"{link}/submit", page.text, kind="observation",
                        indicator="repeat-victims", value="301", date="2026-10-15", action="send")
            assert sent.status_code == 302
        assert working_file_open(site) == []
        assert not site.db.exists()
    finally:
        os.replace(away, site.db)


def test_a_bad_figure_comes_back_beside_its_field_and_nothing_is_stored(refusing_site):
    site = refusing_site
    link = site.link("ben-clarke")
    with httpx.Client(timeout=30) as client:
        page = client.get(link)
        bad = post(client, f"{link}/submit", page.text, kind="observation", indicator="repeat-victims",
                   value="lots", date="2026-10-15", action="send")
        assert bad.status_code == 400
        field = re.search(r'<input id="obs-repeat-victims-value"[^>]*>\s*<span class="error"[^>]*>([^<]*)<',
                          bad.text)
        assert field and "must be a number" in field.group(1)
        assert 'value="lots"' in bad.text  # what they typed is kept
    with partnership.open(site.db) as p:
        assert p.inbox.pending(states=["draft", "pending"]) == []


def test_another_partners_indicator_is_refused(refusing_site):
    site = refusing_site
    link = site.link("ben-clarke")
    with partnership.open(site.db) as p:
        scope = p.inbox.scope()["indicators"]
    mine = {r["slug"] for r in scope if r["partner"] == "county-police"}
    other = sorted({r["slug"] for r in scope} - mine)[0]
    with httpx.Client(timeout=30) as client:
        page = client.get(link)
        assert f'value="{other}"' not in page.text
        refused = post(client, f"{link}/submit", page.text, kind="observation", indicator=other,
                       value="5", date="2026-10-15", action="send")
        assert refused.status_code == 403
        assert "only for your own partner" in refused.text
    with partnership.open(site.db) as p:
        assert p.inbox.pending() == []


def test_forged_expired_and_revoked_links_get_a_plain_403(site, monkeypatch):
    good = site.link("ben-clarke")
    token = good.rsplit("/", 1)[1]
    with partnership.open(site.db) as p:
        secret = p.store.query("SELECT secret FROM inbox_secret")[0]["secret"]
    forged_grant = tokens.Grant(person="ben-clarke", partner="bay-health",
                                expires=dt.date(2027, 1, 1), version=1)
    expired = tokens.sign(secret, tokens.Grant(person="ben-clarke", partner="county-police",
                                               expires=dt.date(2026, 10, 30), version=1))
    cases = {
        "forged": [token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
                   tokens.sign("not the secret", forged_grant), "abc.def"],
        "expired": [expired],
    }
    with httpx.Client(timeout=30) as client:
        for why, bad_tokens in cases.items():
            for bad in bad_tokens:
                page = client.get(f"{site.base}/r/{bad}")
                assert page.status_code == 403, (why, bad)
                said = "expired" if why == "expired" else "not a link this partnership gave out"
                assert said in page.text
                assert "<form" not in page.text
        page = client.get(good)
        assert page.status_code == 200
        with partnership.open(site.db) as p:
            p.inbox.revoke("ben-clarke")
        revoked = client.get(good)
        assert revoked.status_code == 403 and "withdrawn" in revoked.text
        # a post with a revoked link is refused too, CSRF token or not
        refused = post(client, f"{good}/submit", page.text, kind="observation", indicator="repeat-victims",
                       value="301", date="2026-10-15", action="send")
        assert refused.status_code == 403
        assert client.get(site.link("ben-clarke")).status_code == 200


def test_a_form_without_the_csrf_token_is_refused(refusing_site):
    site = refusing_site
    link = site.link("ben-clarke")
    with httpx.Client(timeout=30) as client:
        client.get(link)
        no_token = client.post(f"{link}/submit", data={"kind": "observation", "indicator": "repeat-victims",
                                                       "value": "301", "date": "2026-10-15"})
        assert no_token.status_code == 403
    with httpx.Client(timeout=30) as stranger:  # a token that goes with someone else's cookie
        other_page = httpx.get(link, timeout=30).text
        stranger.get(link)
        crossed = stranger.post(f"{link}/submit", data={
            "csrftoken": csrf(other_page), "kind": "observation", "indicator": "repeat-victims",
            "value": "301", "date": "2026-10-15"})
        assert crossed.status_code == 403
    with partnership.open(site.db) as p:
        assert p.inbox.pending() == []


def test_huge_bodies_are_refused_before_they_are_read(refusing_site):
    site = refusing_site
    link = site.link("ben-clarke")
    with httpx.Client(timeout=30) as client:
        page = client.get(link)
        big = post(client, f"{link}/submit", page.text, kind="observation", indicator="repeat-victims",
                   value="301", date="2026-10-15", note="x" * 200_000)
        assert big.status_code == 413

        def chunks():  # no Content-Length: the size is only known while reading
            yield f"csrftoken={csrf(page.text)}&kind=observation&note=".encode()
            for _ in range(100):
                yield b"y" * 10_000

        streamed = client.post(f"{link}/submit", content=chunks(),
                               headers={"content-type": "application/x-www-form-urlencoded"})
        assert streamed.status_code == 413
        assert client.get(link).status_code == 200  # the site is still there
    with partnership.open(site.db) as p:
        assert p.inbox.pending() == []


def test_eight_people_at_once_lose_nothing(site):
    with partnership.open(site.db) as p:
        scope = p.inbox.scope()
        people = [r for r in scope["people"]
                  if any(i["partner"] == r["partner"] for i in scope["indicators"])][:8]
        indicators = {r["slug"]: sorted(i["slug"] for i in scope["indicators"]
                                        if i["partner"] == r["partner"]) for r in people}
        links = {r["slug"]: p.inbox.link(r["slug"], base_url=site.base) for r in people}
        last = {i["slug"]: i["last_value"] for i in scope["indicators"]}
    assert len(people) == 8
    each = 5
    problems: list[str] = []

    def person(n: int, slug: str) -> None:
        try:
            with httpx.Client(timeout=60) as client:
                page = client.get(links[slug]).text
                for k in range(each):
                    indicator = indicators[slug][0]
                    day = dt.date(2026, 10, 30) - dt.timedelta(days=n * each + k)
                    answer = post(client, f"{links[slug]}/submit", page, kind="observation",
                                  indicator=indicator, value=str(last[indicator]), date=day.isoformat(),
                                  action="send")
                    if answer.status_code != 302:
                        problems.append(f"{slug}: {answer.status_code}")
        except Exception as exc:  # noqa: BLE001 - reported below
            problems.append(f"{slug}: {exc!r}")

    threads = [threading.Thread(target=person, args=(n, r["slug"])) for n, r in enumerate(people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert problems == []
    with partnership.open(site.db) as p:
        pending = p.inbox.pending()
    assert len(pending) == 8 * each
    assert {s["person"] for s in pending} == {r["slug"] for r in people}
    for s in pending:
        assert s["partner"] == next(r["partner"] for r in people if r["slug"] == s["person"])


def test_a_deleted_inbox_is_rebuilt_by_serve_which_says_what_was_lost(demo_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY)
    with partnership.open(demo_path) as p:
        number = p.inbox.submit("ben-clarke", "observation", {
            "indicator": "repeat-victims", "date": "2026-10-15", "value": 301, "source": "", "note": ""})
        p.inbox.pending()
        path = p.inbox.path
        record = p.store.query("SELECT * FROM observations ORDER BY indicator, date")
        p.inbox.close()
    path.unlink()
    site = start(demo_path)
    err = stop(site)
    assert "the inbox database was missing" in err
    assert f"{number}: ben-clarke (county-police): repeat-victims = 301 on 2026-10-15" in err
    with partnership.open(demo_path) as p:
        assert p.store.query("SELECT * FROM observations ORDER BY indicator, date") == record
        assert p.inbox.pending() == []


def test_accept_killed_midway_is_all_or_nothing_per_submission(demo_path, monkeypatch):
    """A real ``inbox accept --all`` process killed with SIGKILL part way through: each
    submission is wholly in the record or not at all, and accepting again finishes the
    job without applying anything twice."""
    import signal

    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY)
    count = 250
    with partnership.open(demo_path) as p:
        # the demo's own accepted submissions
        earlier = {r["submission"] for r in p.store.query("SELECT submission FROM inbox_accepted")}
        base = p.measure.observations.get("repeat-victims", "2026-10-01").value
        for k in range(count):
            day = dt.date(2026, 10, 30) - dt.timedelta(days=k)
            if p.measure.observations.exists("repeat-victims", day.isoformat()):
                continue
            p.inbox.submit("ben-clarke", "observation", {
                "indicator": "repeat-victims", "date": day.isoformat(), "value": base, "source": "",
                "note": ""})
        pending = {s["id"]: s["payload"]["date"] for s in p.inbox.pending()}
        p.inbox.close()
    proc = subprocess.Popen([sys.executable, "-c", "from partnership.cli import main; main()",
                             "--db", str(demo_path), "inbox", "accept", "--all"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        with partnership.open(demo_path) as p:
            done = p.store.query("SELECT count(*) AS n FROM inbox_accepted")[0]["n"] - len(earlier)
        if done >= 20:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    with partnership.open(demo_path) as p:
        accepted = {r["submission"] for r in p.store.query("SELECT submission FROM inbox_accepted")} - earlier
        logged = {int(c.key) for c in p.changes(entity="submission")} - earlier
        dates = {r["date"] for r in p.store.query(
            "SELECT date FROM observations WHERE indicator = 'repeat-victims'")}
        assert 0 < len(accepted) < len(pending), "the kill did not land midway; run again"
        assert accepted == logged
        for number, day in pending.items():
            assert (number in accepted) == (day in dates), number
        results = p.inbox.accept(every=True)
        assert {r["outcome"] for r in results} <= {"accepted", "unchanged"}
        assert [r["id"] for r in results if r["outcome"] == "accepted"] == sorted(set(pending) - accepted)
        assert p.inbox.pending() == []
        assert len(p.changes(entity="submission")) == len(pending) + len(earlier)


def test_a_written_update_and_a_draft_sent_later(site):
    link = site.link("ben-clarke")
    with partnership.open(site.db) as p:
        outcome = p.stakes.list(partner="county-police")[0].outcome
    with httpx.Client(timeout=30) as client:
        page = client.get(link)
        assert f'<option value="{outcome}"' in page.text
        draft = post(client, f"{link}/submit", page.text, kind="update", outcome=outcome, date="2026-10-20",
                     text="Patrols moved to Friday nights.", action="draft")
        assert draft.status_code == 302 and draft.headers["location"].endswith("?sent=draft#sent")
        with partnership.open(site.db) as p:
            assert p.inbox.pending() == []
            [saved] = p.inbox.pending(states=["draft"])
        page = client.get(link)
        assert "draft (not sent)" in page.text
        sent = post(client, f"{link}/send/{saved['id']}", page.text)
        assert sent.status_code == 302
        again = post(client, f"{link}/send/{saved['id']}", page.text)
        assert again.status_code == 404  # no longer a draft
    with partnership.open(site.db) as p:
        [pending] = p.inbox.pending()
        assert pending["id"] == saved["id"] and pending["kind"] == "update"


def test_nothing_of_the_inbox_file_is_visible_through_datasette(refusing_site):
    site = refusing_site
    with httpx.Client(timeout=30) as client:
        for path in ("/inbox", "/inbox/submissions", "/inbox/submissions.json", "/inbox/inbox_meta.json",
                     "/inbox.db", "/inbox?sql=select+*+from+inbox_meta"):
            assert client.get(site.base + path).status_code == 403, path
        for path in ("/-/databases", "/-/databases.json", "/-/versions", "/-/plugins", "/-/metadata"):
            assert client.get(site.base + path).status_code == 404, path
        front = client.get(site.base + "/")
        assert front.status_code == 200 and "personal link" in front.text
        assert client.get(site.base + "/-/static/app.css").status_code == 200


def test_a_self_assessment_from_the_page(site):
    link = site.link("ben-clarke")
    with httpx.Client(timeout=30) as client:
        page = client.get(link)
        assert '<option value="capacity"' in page.text
        bad = post(client, f"{link}/submit", page.text, kind="assessment", area="capacity", now="Stretched",
                   want="", evidence="", score="7", action="send")
        assert bad.status_code == 400
        assert re.search(r'id="assess-score-error"[^>]*>[^<]*1 to 5', bad.text)
        good = post(client, f"{link}/submit", page.text, kind="assessment", area="capacity", now="Stretched",
                    want="A shared analyst", evidence="", score="2", action="send")
        assert good.status_code == 302
        assert "self-assessment of capacity" in client.get(link).text
    other = site.link("jo-bloggs")  # a colleague of the same partner sees it was sent, not by whom
    with httpx.Client(timeout=30) as client:
        text = client.get(other).text
        row = re.search(r"self-assessment of capacity.*?</tr>", text, re.S)
        assert row and "someone at Northshire Constabulary" in row.group(0)
        assert "ben-clarke" not in row.group(0)


def test_the_server_never_writes_a_link_to_its_output(demo_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY)
    running = start(demo_path)
    try:
        link = running.link("ben-clarke")
        token = link.rsplit("/", 1)[1]
        with httpx.Client(timeout=30) as client:
            page = client.get(link)
            post(client, f"{link}/submit", page.text, kind="observation", indicator="repeat-victims",
                 value="lots", date="2026-10-15", action="send")
            client.get(f"{running.base}/r/{token}x")
    finally:
        out = stop(running)
    assert "Serving the inbox" in out
    assert token not in out
