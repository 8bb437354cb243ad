"""The demo's partner inbox (who reports what, accepted and pending submissions of partner
staff) and the public home page's "How fresh is each partner's reporting?" section.

The expectations are worked out from the demo's own story (partnership.inbox.demo) and the
published file's ``reporting_freshness`` table, never typed in: the page must say what the
file says, and never what partners sent but the lead has not accepted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html as htmllib
import os
import re
import sqlite3
import stat
from pathlib import Path

from click.testing import CliRunner

import partnership
from partnership.cli import cli
from partnership.inbox import demo as inbox_demo
from partnership.inbox import inboxdb
from partnership.inbox.service import inbox_path
from partnership.reporting.serve import make_datasette

PARTNER_OF = {"ben-clarke": "county-police", "tom-okafor": "northshire-fire", "sam-lee": "lunesdale-council",
              "dev-patel": "riverside-housing"}


def expected(today: dt.date) -> tuple[list[tuple], list[tuple]]:
    """The demo's submissions accepted and still pending on ``today``, from its story."""
    accepted, pending = [], []
    for person, kind, payload, sent_on, accepted_on in inbox_demo.SUBMISSIONS:
        if dt.date.fromisoformat(sent_on) > today:
            continue
        if accepted_on and dt.date.fromisoformat(accepted_on) <= today:
            accepted.append((person, kind, payload, accepted_on))
        else:
            pending.append((person, kind, payload))
    return accepted, pending


def build_demo(folder: Path, today: str, *extra: str) -> Path:
    folder.mkdir(exist_ok=True)
    target = folder / "demo.db"
    env = {**os.environ, "PARTNERSHIP_TODAY": today}
    result = CliRunner(env=env).invoke(cli, ["demo", str(target), *extra], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return target


def test_the_demo_has_reporters_and_accepted_and_pending_submissions(tmp_path, monkeypatch):
    today = "2026-10-31"
    target = build_demo(tmp_path / "demo", today)
    inbox = inbox_path(target)
    assert inbox.name == "demo.inbox.db" and stat.S_IMODE(inbox.stat().st_mode) == 0o600
    assert sorted(f.name for f in target.parent.iterdir()) == ["demo.db", "demo.inbox.db"]
    monkeypatch.setenv("PARTNERSHIP_TODAY", today)
    accepted, pending = expected(dt.date.fromisoformat(today))
    assert accepted and pending
    with partnership.open(target) as p:
        for indicator, partners in inbox_demo.REPORTERS:
            assert p.inbox.reporters(indicator) == sorted(partners)
        waiting = p.inbox.pending()
        assert [(s["person"], s["kind"]) for s in waiting] == [(x[0], x[1]) for x in pending]
        assert all(s["conflict"] is None for s in waiting)
        done = p.inbox.pending(states=("accepted",))
        assert [(s["person"], s["kind"]) for s in done] == [(x[0], x[1]) for x in accepted]
        reporting = {r["partner"]: r for r in p.store.query("SELECT * FROM inbox_reporting")}
        assert {k: r["last_accepted"] for k, r in reporting.items()} == {
            PARTNER_OF[person]: on for person, _, _, on in accepted}
        # what is accepted is in the record, named for who sent it; what waits is not
        for person, _, payload, _ in accepted:
            assert p.store.query("SELECT author FROM updates WHERE text = ?", [payload["text"]]) == [
                {"author": person}]
        assert not p.store.query("SELECT 1 FROM observations WHERE indicator = 'feel-safe-at-night' "
                                 "AND date = '2026-10-25'")
        assert p.commitments.get(waiting[-1]["payload"]["commitment"]).state.value == "open"
        # the lead can accept what waits, as with any submission
        results = p.inbox.accept(every=True)
        assert [r["outcome"] for r in results] == ["accepted"] * len(pending)
        p.inbox.close()


def test_the_demo_built_earlier_leaves_out_what_was_not_sent_yet(tmp_path, monkeypatch):
    first = build_demo(tmp_path / "demo", "2026-10-31")
    # rebuilt (--force) as on 13 October: one update sent, not yet accepted; its inbox replaced too
    target = build_demo(tmp_path / "demo", "2026-10-13", "--force")
    assert target == first
    monkeypatch.setenv("PARTNERSHIP_TODAY", "2026-10-13")
    accepted, pending = expected(dt.date(2026, 10, 13))
    assert (len(accepted), len(pending)) == (0, 1)
    with partnership.open(target) as p:
        assert [(s["person"], s["kind"]) for s in p.inbox.pending()] == [(x[0], x[1]) for x in pending]
        assert p.inbox.pending(states=("accepted",)) == []
        assert p.store.query("SELECT * FROM inbox_reporting") == []
        p.inbox.close()
    # before anything was sent, there is no inbox beside the demo (the old one is gone)
    build_demo(tmp_path / "demo", "2026-10-01", "--force")
    assert not inbox_path(target).exists()
    assert sorted(f.name for f in target.parent.iterdir()) == ["demo.db"]


def test_a_file_in_the_way_of_the_demos_inbox_is_kept_aside(tmp_path):
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / "demo.inbox.db").write_text("my own notes, not an inbox\n")
    target = build_demo(folder, "2026-10-31")
    [kept] = folder.glob("demo.inbox.db.replaced-*")
    assert kept.read_text() == "my own notes, not an inbox\n"
    assert inboxdb.is_inbox_file(inbox_path(target))


def test_a_demo_that_fails_leaves_no_inbox_behind(tmp_path):
    """A plugin's demo step that raises after the inbox step: nothing is written, no inbox file."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "broken.py").write_text(
        "from partnership import hookimpl\n"
        "def populate(p):\n"
        "    raise RuntimeError('broken demo step')\n"
        "@hookimpl\n"
        "def register_demo(register):\n"
        "    register(populate, order=99)\n")
    folder = tmp_path / "demo"
    folder.mkdir()
    env = {**os.environ, "PARTNERSHIP_TODAY": "2026-10-31"}
    result = CliRunner(env=env).invoke(cli, ["--plugins-dir", str(plugins), "demo", str(folder / "demo.db")])
    assert result.exit_code != 0
    assert list(folder.iterdir()) == []


# -- the home page -----------------------------------------------------------------------------


def section(page: str, name: str) -> str:
    start = page.index(f'id="{name}"')
    end = page.find("<section", start)
    return page[start:end if end > 0 else None]


def text_of(fragment: str) -> str:
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def test_the_home_page_says_how_fresh_each_partners_reporting_is(published, demo_path):
    target, result = published
    ds = make_datasette(target, result.metadata_path)
    page = asyncio.run(ds.client.get("/")).text
    part = section(page, "reporting")
    conn = sqlite3.connect(target)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM reporting_freshness")]
    as_of = conn.execute("SELECT as_of FROM site").fetchone()[0]
    tables = [t for t, in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    everything = "\n".join(str(v) for t in tables for r in conn.execute(f'SELECT * FROM "{t}"') for v in r)
    conn.close()
    words = text_of(part)
    assert f"As of {as_of}" in words and "never shown here" in words
    shown = [r for r in rows if r["indicators_reported"] or r["accepted_submissions"]]
    assert shown and len(shown) <= 12
    # each partner's row, with the file's own figures, in the order of the most overdue
    order = [words.index(r["partner_name"]) for r in sorted(
        shown, key=lambda r: (-r["figures_overdue"], -r["figures_due"], r["partner_name"]))]
    assert order == sorted(order)
    for r in shown:
        name = re.escape(htmllib.escape(r["partner_name"]))
        cells = re.search(rf"<tr><td><a [^>]*>{name}</a></td>(.*?)</tr>", part).group(1)
        assert text_of(cells).split(" ", 4)[:4] == [str(r["indicators_reported"]), str(r["figures_overdue"]),
                                                    str(r["figures_due"]),
                                                    r["last_accepted_submission"] or "none"]
        assert f"/public/reporting_freshness?partner={r['partner']}" in part
    overdue, due = sum(r["figures_overdue"] for r in rows), sum(r["figures_due"] for r in rows)
    if overdue or due:
        assert f"{overdue} figure" in words and f"{due} due in the next month" in words
    else:
        assert "No figure is overdue or due in the next month" in words
    # the demo's story: what the lead accepted is dated; what waits is nowhere in public
    accepted, pending = expected(dt.date.today())
    by_partner = {r["partner"]: r for r in rows}
    for person, _, _, on in accepted:
        assert by_partner[PARTNER_OF[person]]["last_accepted_submission"] == on
    reporting = len({PARTNER_OF[a[0]] for a in accepted})
    assert f"{reporting} of {len(rows)} partners" in words
    texts = [payload[k] for _, _, payload in pending for k in ("source", "note", "evidence", "text")
             if payload.get(k)]
    assert texts
    for value in texts:
        assert value not in page and value not in everything
    # the link to every partner's row answers
    assert asyncio.run(ds.client.get("/public/reporting-freshness")).status_code == 200
    assert 'href="/public/reporting-freshness"' in part

