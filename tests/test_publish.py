"""Step 6: the public database, its metadata and the dashboard served by Datasette."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from plugin_files import plugin_dir

import partnership
from partnership import PublicData
from partnership.publicdata import PublishError
from partnership.reporting.build import publish
from partnership.reporting.serve import make_datasette

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def get(ds, path):
    return asyncio.run(ds.client.get(path))


@pytest.fixture(scope="module")
def site(_published_template, tmp_path_factory):
    """Datasette serving a copy of the published demo, shared by this module's tests: they
    only read pages of an immutable file (a test that needs the file uses ``published``)."""
    import shutil

    _, result = _published_template
    target = tmp_path_factory.mktemp("site") / "public.db"
    shutil.copy(result.path, target)
    metadata = target.with_name(Path(result.metadata_path).name)
    shutil.copy(result.metadata_path, metadata)
    return make_datasette(target, metadata)


def all_text(path: Path) -> str:
    """Every value of every table and view of a database, as one string."""
    conn = sqlite3.connect(path)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
    out = []
    for name in names:
        for row in conn.execute(f'SELECT * FROM "{name}"'):
            out.extend(str(v) for v in row if v is not None)
    out.extend(r[0] or "" for r in conn.execute("SELECT sql FROM sqlite_master"))
    conn.close()
    return "\n".join(out)


# -- the public database -----------------------------------------------------------------


def test_no_email_or_phone_of_the_working_database_is_published(demo_path, published):
    target, _ = published
    conn = sqlite3.connect(demo_path)
    secrets = [v for row in conn.execute("SELECT email, phone FROM people") for v in row if v]
    conn.close()
    assert len(secrets) >= 10
    text = all_text(target)
    found = [s for s in secrets if s in text]
    assert found == []
    # and nothing that looks like an email address at all
    assert not EMAIL.search(text)
    cols = [r[1] for r in sqlite3.connect(target).execute("PRAGMA table_info(people)")]
    assert "email" not in cols and "phone" not in cols


def test_public_database_holds_tables_views_and_site(published):
    target, result = published
    conn = sqlite3.connect(target)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    for table in ("partners", "outcomes", "stakes", "contributions", "changes", "site"):
        assert table in names
    for view in ("who_does_what", "is_it_working", "where_are_the_gaps", "who_keeps_promises",
                 "latest_updates", "indicator_series"):
        assert view in names and view in result.views
    site = conn.execute("SELECT title, licence FROM site").fetchone()
    assert site == ("Lunesdale Community Safety Partnership", "Open Government Licence v3.0")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    # changes are published without who made them
    assert "actor" not in [r[1] for r in conn.execute("PRAGMA table_info(changes)")]
    assert not Path(str(target) + "-wal").exists()
    # who does what: every stake appears
    assert conn.execute("SELECT count(*) FROM who_does_what").fetchone()[0] >= 17
    conn.close()


def test_generated_metadata_is_filled_in(published):
    target, result = published
    meta = yaml.safe_load(Path(result.metadata_path).read_text())
    assert meta["title"] == "Lunesdale Community Safety Partnership"
    assert meta["description"].startswith("Councils, police")
    assert meta["license"] == "Open Government Licence v3.0"
    assert list(meta["databases"]) == ["public"]
    queries = meta["databases"]["public"]["queries"]
    assert {"who-does-what", "is-it-working", "where-are-the-gaps", "who-keeps-their-promises",
            "feed"} <= set(queries)
    assert meta["settings"]["sql_time_limit_ms"] > 0


def test_every_published_table_view_and_column_is_described(published):
    target, result = published
    meta = yaml.safe_load(Path(partnership.reporting.metadata.METADATA_FILE).read_text())
    tables = meta["databases"]["public"]["tables"]
    conn = sqlite3.connect(target)
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    # every feature's tables and views are there, and so every one is checked below
    for name in ("needs", "gaps", "outcome_verdicts", "indicators", "observations", "metric_values",
                 "story_notes", "indicator_status", "outcome_status", "commitments", "ledger",
                 "meetings", "meeting_hours", "meeting_totals", "updates", "pair_uptake",
                 "governance_questions", "assessment_divergence"):
        assert name in names, name
    undescribed = []
    for name in names:
        desc = (tables.get(name) or {}).get("description")
        if not desc or len(desc) < 15:
            undescribed.append(name)
            continue
        described = tables[name].get("columns") or {}
        for (col,) in [(r[1],) for r in conn.execute(f'PRAGMA table_info("{name}")')]:
            if not described.get(col):
                undescribed.append(f"{name}.{col}")
    conn.close()
    assert undescribed == []
    # and the generated metadata keeps them
    generated = yaml.safe_load(Path(result.metadata_path).read_text())
    assert set(names) <= set(generated["databases"]["public"]["tables"])


def test_republishing_replaces_the_file_whole(demo_path, published):
    target, _ = published
    with partnership.open(demo_path) as p:
        p.partners.add(slug="new-partner", name="A New Partner", kind="charity")
        publish(p, target)
    conn = sqlite3.connect(target)
    assert conn.execute("SELECT count(*) FROM partners WHERE slug = 'new-partner'").fetchone()[0] == 1
    conn.close()
    assert not [f for f in target.parent.iterdir() if f.name.endswith(".publishing")]


def test_publish_refreshes_the_metrics_first(small, tmp_path):
    small.measure.add_indicator("repeat-victims", outcome="fewer-repeat-asb", unit="people",
                                direction="down", baseline=412, baseline_date="2025-04-01",
                                target=330, target_date="2027-03-31")
    small.measure.observe("repeat-victims", 398, date="2025-07-01")
    small.measure.refresh()
    # a newer figure, recorded after the last refresh, must reach the public file
    small.measure.observe("repeat-victims", 371, date="2025-10-01")
    result = publish(small, tmp_path / "pub.db")
    assert result.refreshed
    conn = sqlite3.connect(tmp_path / "pub.db")
    latest = conn.execute("SELECT value FROM metric_values WHERE indicator = 'repeat-victims' "
                          "AND metric = 'latest'").fetchone()
    assert latest == (371,) or latest == (371.0,)
    unrefreshed = publish(small, tmp_path / "pub2.db", refresh=False)
    assert not unrefreshed.refreshed


# -- the server -------------------------------------------------------------------------------


def test_server_never_opens_the_working_database(demo_path, published):
    target, result = published
    moved = demo_path.with_name("elsewhere.db")
    os.replace(demo_path, moved)  # the server cannot even find it
    ds = make_datasette(target, result.metadata_path)
    assert [db.path for name, db in ds.databases.items() if name != "_internal"] == [str(target)]
    assert all(db.is_mutable is False for name, db in ds.databases.items() if name != "_internal")
    # served as /public/ whatever the file is called
    assert [name for name in ds.databases if name != "_internal"] == ["public"]
    for path in ("/", "/public/partners", "/public/who_does_what"):
        assert get(ds, path).status_code == 200
    assert not demo_path.exists()
    opened = {os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")}
    assert str(moved) not in opened
    # arbitrary SQL cannot reach it either
    r = get(ds, "/public.json?sql=select+*+from+people&_shape=array")
    assert r.status_code == 200 and "email" not in r.text


CANNED = ["who-does-what", "is-it-working", "outcomes-and-how-they-are-going",
          "the-story-behind-the-curve", "where-are-the-gaps", "gaps-and-verdicts",
          "who-keeps-their-promises", "meetings-held-and-avoided", "hours-saved", "governance",
          "unmentoring-uptake", "feed"]

PAGES = ["/", "/public", "/public/partners", "/public/outcomes", "/public/contributions",
         "/public/stakes", "/public/people", "/public/changes", "/public/site",
         "/public/who_does_what", "/public/is_it_working", "/public/where_are_the_gaps",
         "/public/latest_updates", "/public/indicators", "/public/observations",
         "/public/story_notes", "/public/metric_values", "/public/outcome_status",
         "/public/outcome_verdicts", "/public/gaps", "/public/ledger", "/public/commitment_status",
         "/public/kept_rate_by_quarter", "/public/meeting_hours", "/public/meeting_totals",
         "/public/updates", "/public/governance_questions", "/public/pair_uptake",
         "/public/partners.csv", "/public/partners.json", "/public/who_does_what.json",
         "/public/ledger.csv", "/robots.txt", "/-/metadata.json"] + [f"/public/{q}" for q in CANNED]


@pytest.mark.parametrize("path", PAGES)
def test_pages_and_canned_queries(site, path):
    r = get(site, path)
    assert r.status_code == 200, r.text[:500]


def test_home_page_shows_every_section(site):
    html = get(site, "/").text
    assert "Lunesdale Community Safety Partnership" in html
    for section in ('id="outcomes"', 'id="charts"', 'id="who-does-what"', 'id="gaps"',
                    'id="ledger"', 'id="updates"'):
        assert section in html
    assert "Fewer residents suffer repeated anti-social behaviour" in html
    assert "<svg" in html
    assert "Northshire Constabulary" in html
    # each figure links to the rows behind it
    assert "/public/contributions?outcome=fewer-repeat-asb" in html
    assert 'href="/public/feed.atom"' in html


def section(html: str, name: str) -> str:
    start = html.index(f'id="{name}"')
    end = html.find("<section", start)
    return html[start:end if end > 0 else None]


def test_home_page_outcomes_have_status_and_verdict(site):
    html = section(get(site, "/").text, "outcomes")
    # worst first: the exploitation outcome is off track and its verdict is reboot
    assert html.index("Fewer young people are drawn into criminal exploitation") < html.index(
        "Fewer older people are hurt in fires at home")
    # one plain status each, the gap verdict and the figures as two named things in words
    assert "needs a rethink" in html and "off long enough" not in html
    assert "Resources</a>: missing an essential need nobody can meet" in html
    assert "off track long enough to rethink the approach" in html
    # the status links to the outcome's line (a materialised table has no key: a filter)
    status_link = "/public/outcome_public_status?outcome=fewer-young-people-exploited"
    assert status_link in html
    assert get(site, status_link.replace("?", ".json?") + "&_shape=array").json()[0]["status"] == (
        "needs a rethink")
    assert "/public/outcome_status?outcome=fewer-young-people-exploited" in html
    assert "/public/outcome_verdicts?outcome=fewer-young-people-exploited" in html
    assert "/public/indicators/repeat-victims" in html


def test_every_link_of_the_home_page_answers(site):
    """Each link to the site on the home page opens a page (not a 404), and its "see all"
    links open table pages stored in the order of their question."""
    html = get(site, "/").text
    links = sorted({h.replace("&amp;", "&") for h in re.findall(r'href="(/public[^"#]*)"', html)})
    assert len(links) > 20
    broken = [link for link in links if get(site, link).status_code != 200]
    assert broken == []
    for link in ("/public/is_it_working", "/public/who_does_what", "/public/story_notes",
                 "/public/where_are_the_gaps?state__not=met", "/public/outcome_public_status",
                 "/public/outcome_verdicts?_sort_desc=killers", "/public/ledger"):
        assert f'href="{link.replace("&", "&amp;")}"' in html, link
    # stored worst first: the table page starts where the question's answer starts
    table = get(site, "/public/is_it_working.json?_shape=array").json()
    canned = get(site, "/public/is-it-working.json?_shape=array").json()
    assert [r["indicator"] for r in table] == [r["indicator"] for r in canned]
    table = get(site, "/public/where_are_the_gaps.json?state__not=met&_shape=array").json()
    canned = get(site, "/public/where-are-the-gaps.json?_shape=array").json()
    assert [(r["need"], r["killer"]) for r in table] == [(r["need"], r["killer"]) for r in canned]
    table = get(site, "/public/ledger.json?_shape=array").json()
    canned = get(site, "/public/who-keeps-their-promises.json?_shape=array").json()
    assert [(r["partner_name"], r["kept_rate"]) for r in table] == [
        (r["partner"], r["kept_rate"]) for r in canned]
    table = get(site, "/public/who_does_what.json?_shape=array&_size=max").json()
    canned = get(site, "/public/who-does-what.json?_shape=array").json()
    assert [(r["partner_name"], r["outcome_title"]) for r in table] == [
        (r["partner"], r["outcome"]) for r in canned]


def test_home_page_charts_show_the_story_behind_the_curve(site):
    html = section(get(site, "/").text, "charts")
    assert html.count("<svg") == 6  # one per indicator of the demo
    assert html.count("<polyline") == 6
    assert "target 330" in html and "baseline 412" in html
    # the story notes beside the curve, each linked to its row, marked on the chart
    assert "County lines from the city moved into two estates" in html
    assert "/public/story_notes/1" in html and "/public/story_notes?indicator=exploitation-referrals" in html
    # the figures behind each chart
    assert "/public/observations?indicator=repeat-victims" in html
    # every metric, generic: progress and pivot are metric_values like any plugin's
    assert "/public/metric_values?indicator=repeat-victims&amp;metric=progress" in html


def test_home_page_gaps_verdicts_ledger_updates_meetings_governance_pairs(site):
    html = get(site, "/").text
    gaps = section(html, "gaps")
    assert "collaboration killer" in gaps and "reboot" in gaps and "Lancaster YMCA" in gaps
    assert "/public/gaps?outcome=" in gaps
    ledger = section(html, "ledger")
    assert "Northshire Constabulary" in ledger and "Kept rate" in ledger
    assert "/public/commitment_status?partner=county-police" in ledger
    assert "2026-Q1" in ledger
    updates = section(html, "updates")
    # the latest written updates: the two partners sent through the inbox come first
    assert "The October repeat-victim profile is done" in updates and "/public/updates/10" in updates
    assert "Hotspot patrols started in Skerton" not in updates  # older than the 8 shown
    meetings = section(html, "meetings")
    assert "meetings avoided" in meetings and "person-hours saved" in meetings
    assert "/public/meetings-held-and-avoided" in meetings
    governance = section(html, "governance")
    assert "alliance" in governance and "By consensus at the board" in governance
    assert "Not answered yet" in governance
    pairs = section(html, "pairs")
    assert "2026-01" in pairs and "75%" in pairs
    # counts only: nobody's name is in the unmentoring panel
    assert "Jo Bloggs" not in pairs


def test_a_plugin_metric_appears_on_the_dashboard_without_change(demo_path, tmp_path):
    plugins = plugin_dir(tmp_path, doubled=(
        "from partnership import Metric, hookimpl\n"
        "@hookimpl\n"
        "def register_metrics(register):\n"
        "    register(Metric(name='doubled-latest', description='Twice the latest value.',\n"
        "                    compute=lambda s: s.values[-1] * 2 if s.values else None))\n"))
    with partnership.open(demo_path, plugins_dir=plugins) as p:
        result = publish(p, tmp_path / "pub.db")
    conn = sqlite3.connect(tmp_path / "pub.db")
    value = conn.execute("SELECT value FROM metric_values WHERE metric = 'doubled-latest' "
                         "AND indicator = 'repeat-victims'").fetchone()
    conn.close()
    assert value is not None
    html = get(make_datasette(tmp_path / "pub.db", result.metadata_path), "/").text
    assert "doubled latest" in html
    assert "/public/metric_values?indicator=repeat-victims&amp;metric=doubled-latest" in html


def test_canned_queries_answer_the_questions(site):
    rows = get(site, "/public/who-does-what.json?_shape=array").json()
    assert {"partner", "outcome", "contributions"} <= set(rows[0])
    police = [r for r in rows if r["partner"] == "Northshire Constabulary"]
    assert len(police) >= 3
    rows = get(site, "/public/is-it-working.json?_shape=array").json()
    assert {r["outcome"] for r in rows} >= {"Fewer residents suffer repeated anti-social behaviour"}
    assert rows[0]["status"] == "off-track"  # the worst first
    rows = get(site, "/public/outcomes-and-how-they-are-going.json?_shape=array").json()
    assert rows[0]["progress"] == "off-track" and rows[0]["verdict"] == "reboot"
    rows = get(site, "/public/the-story-behind-the-curve.json?_shape=array").json()
    assert len(rows) == 5 and {r["kind"] for r in rows} == {"why", "works", "next"}
    rows = get(site, "/public/where-are-the-gaps.json?_shape=array").json()
    assert rows and all(r["state"] != "met" for r in rows) and rows[0]["killer"] == 1
    rows = get(site, "/public/gaps-and-verdicts.json?_shape=array").json()
    assert rows[0]["verdict"] == "reboot"
    rows = get(site, "/public/who-keeps-their-promises.json?_shape=array").json()
    police = next(r for r in rows if r["partner"] == "Northshire Constabulary")
    assert (police["made"], police["kept"], police["kept_rate"]) == (4, 2, 1.0)
    rows = get(site, "/public/meetings-held-and-avoided.json?_shape=array").json()
    assert {r["status"] for r in rows} == {"held", "cancelled"}
    assert sum(r["person_hours_saved"] for r in rows) == 6.0
    rows = get(site, "/public/hours-saved.json?_shape=array").json()
    assert rows == [{"meetings_held": 1, "meetings_avoided": 1, "decisions_made": 2,
                     "person_hours_spent": 7.5, "person_hours_saved": 6.0, "updates_posted": 10}]
    rows = get(site, "/public/governance.json?_shape=array").json()
    assert [r["number"] for r in rows] == [1, 2, 3] and rows[2]["answer"] == "not answered yet"
    rows = get(site, "/public/unmentoring-uptake.json?_shape=array").json()
    assert [r["round"] for r in rows] == ["2026-03", "2026-02", "2026-01"]
    assert set(rows[0]) == {"round", "drawn_on", "people", "groups", "met", "uptake", "outputs"}


def test_feed(site):
    r = get(site, "/public/feed.atom")
    assert r.status_code == 200
    assert "xml" in r.headers["content-type"]
    assert "<feed" in r.text and r.text.count("<entry>") >= 10
    assert "Lunesdale" in r.text or "Latest updates" in r.text
    # the written updates are in it, not drowned by the change log, and changes too
    assert "Hotspot patrols started in Skerton" in r.text
    assert r.text.count("Northshire Constabulary on “Fewer residents suffer repeated") >= 2
    # the changes in words, as on the page (change_news), not "Change: commitment 7"
    assert "Change: " not in r.text
    assert "Lunesdale District Council promised to publish a single ASB reporting page" in r.text
    import xml.etree.ElementTree as ET

    root = ET.fromstring(r.content)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = root.findall("a:entry", ns)
    assert len(entries) == 40  # the 10 updates (2 sent through the inbox) and the 30 latest changes
    assert all(e.find("a:updated", ns).text for e in entries)


def test_robots_setting(demo_path, tmp_path):
    with partnership.open(demo_path) as p:
        res = publish(p, tmp_path / "blocked.db", robots="block")
        res2 = publish(p, tmp_path / "open.db", robots="allow")
    blocked = make_datasette(tmp_path / "blocked.db", res.metadata_path)
    assert "Disallow: /" in get(blocked, "/robots.txt").text
    assert "Allow: /" in get(make_datasette(tmp_path / "open.db", res2.metadata_path), "/robots.txt").text


def test_text_from_users_is_escaped(small, tmp_path):
    small.partners.add(slug="evil", name="<script>alert('x')</script>", kind="other")
    small.stakes.add(outcome="fewer-repeat-asb", partner="evil", motivation="<b>bold</b>")
    small.contributions.add(outcome="fewer-repeat-asb", partner="evil", kind="money",
                            description="<img src=x onerror=alert(1)>", amount=1, unit="GBP")
    small.updates.post("evil", "<script>alert('update')</script>", outcome="fewer-repeat-asb")
    result = publish(small, tmp_path / "pub.db")
    ds = make_datasette(tmp_path / "pub.db", result.metadata_path)
    for path in ("/", "/public/partners", "/public/who_does_what", "/public/feed.atom", "/public/updates",
                 "/public/who-does-what"):
        text = get(ds, path).text
        assert "<script>alert" not in text, path
        assert "<img src=x" not in text, path
    assert "&lt;script&gt;alert" in get(ds, "/").text


def test_a_plugin_adds_a_view_and_a_table(demo_path, tmp_path):
    plugins = plugin_dir(tmp_path, extra_public=(
        "from partnership.hookspecs import hookimpl\n"
        "from partnership import PublicData\n"
        "@hookimpl\n"
        "def register_public_data(register):\n"
        "    register(PublicData(name='money_per_outcome', sql=\"select outcome, sum(amount) as gbp \"\n"
        "        \"from contributions where unit = 'GBP' group by outcome\"))\n"
        "    register(name='kinds', rows=[{'kind': 'police', 'label': 'Police'}], kind='table')\n"))
    with partnership.open(demo_path, plugins_dir=plugins) as p:
        result = publish(p, tmp_path / "pub.db")
    assert "money_per_outcome" in result.views and result.tables["kinds"] == 1
    ds = make_datasette(tmp_path / "pub.db", result.metadata_path)
    rows = get(ds, "/public/money_per_outcome.json?_shape=array").json()
    assert rows == [{"outcome": "safer-night-time", "gbp": 45000.0}]
    assert get(ds, "/public/kinds").status_code == 200
    assert "money per outcome" in get(ds, "/").text  # every view of the file is listed


def test_a_plugin_cannot_publish_private_data(demo_path, tmp_path):
    plugins = plugin_dir(tmp_path, leaky=(
        "from partnership.hookspecs import hookimpl\n"
        "from partnership import PublicData\n"
        "@hookimpl\n"
        "def register_public_data(register):\n"
        "    register(PublicData(name='leak', sql='select email from people'))\n"))
    old = tmp_path / "pub.db"
    with partnership.open(demo_path) as p:
        publish(p, old)
    before = old.read_bytes()
    with partnership.open(demo_path, plugins_dir=plugins) as p:
        with pytest.raises(PublishError, match="leaky.*may only read public tables"):
            publish(p, old)
    assert old.read_bytes() == before  # the old public file is intact


def test_registered_views_are_published_and_a_broken_one_is_named(small, tmp_path):
    from partnership import hookimpl

    class Views:
        @hookimpl
        def register_public_data(self, register):
            register(PublicData(name="partner_count", sql="select count(*) as n from partners"))

    class Broken:
        @hookimpl
        def register_public_data(self, register):
            register(PublicData(name="needs_absent_table", sql="select * from no_such_table"))

    with partnership.open(small.store.path, plugins=(Views(),)) as p:
        result = publish(p, tmp_path / "pub.db")
    assert "partner_count" in result.views
    ds = make_datasette(tmp_path / "pub.db", result.metadata_path)
    assert "partner count" in get(ds, "/").text
    with partnership.open(small.store.path, plugins=(Broken(),)) as p:
        with pytest.raises(PublishError, match="Broken.*needs_absent_table.*no such table"):
            publish(p, tmp_path / "pub2.db")


# -- the commands and bad input ---------------------------------------------------------------


def test_publish_command(demo_path, tmp_path, run):
    r = run("--db", str(demo_path), "publish", str(tmp_path / "out.db"), "--json", db=False)
    assert r.exit_code == 0, r.stderr
    assert '"who_does_what"' in r.stdout
    assert (tmp_path / "out.metadata.yml").exists()


def test_publishing_onto_the_working_database_is_refused(demo_path, run, unchanged):
    with unchanged(demo_path):
        r = run("--db", str(demo_path), "publish", str(demo_path), db=False)
        assert r.exit_code == 1
        assert r.stderr.count("\n") == 1 and "is the working database" in r.stderr
        # the same file by another name
        link = demo_path.with_name("link.db")
        link.symlink_to(demo_path)
        r = run("--db", str(demo_path), "publish", str(link), db=False)
        assert r.exit_code == 1 and "is the working database" in r.stderr


def test_unwritable_or_missing_folder_is_refused(demo_path, tmp_path, run, unchanged):
    with unchanged(demo_path):
        r = run("--db", str(demo_path), "publish", str(tmp_path / "nope" / "p.db"), db=False)
        assert r.exit_code == 1 and "does not exist" in r.stderr
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        target = locked / "p.db" if os.geteuid() != 0 else Path("/proc/p.db")
        try:
            r = run("--db", str(demo_path), "publish", str(target), db=False)
        finally:
            locked.chmod(0o700)
        assert r.exit_code == 1 and "not writable" in r.stderr
        assert r.stderr.count("\n") == 1


def test_overwriting_something_else_is_refused(demo_path, tmp_path, run, unchanged):
    other = tmp_path / "notes.db"
    other.write_text("my notes")
    with unchanged(other):
        r = run("--db", str(demo_path), "publish", str(other), db=False)
    assert r.exit_code == 1 and "not a public partnership database" in r.stderr


def test_a_database_with_no_partnership_is_refused(tmp_path, run):
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    r = run("--db", str(empty), "publish", str(tmp_path / "p.db"), db=False)
    assert r.exit_code == 1 and r.stderr.startswith("Error:")
    assert not (tmp_path / "p.db").exists()
    r = run("--db", str(tmp_path / "missing.db"), "serve", db=False)
    assert r.exit_code == 1 and "no partnership database" in r.stderr


def test_serving_on_a_port_in_use_is_one_line(demo_path, run, unchanged):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with unchanged(demo_path):
            r = run("--db", str(demo_path), "serve", "--port", str(port), db=False)
    assert r.exit_code == 1
    assert r.stderr == (f"Error: port {port} on 127.0.0.1 is already in use; stop the other server or "
                        f"choose another with --port\n")
    assert not demo_path.with_name("demo.public.db").exists()


def test_datasette_is_not_imported_by_the_cli():
    code = "import sys, partnership.cli; print('datasette' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("command", [["check"], ["gaps"], ["status"], ["publish", "{tmp}/pub.db"]])
def test_only_serve_pays_for_importing_datasette(demo_path, tmp_path, command):
    """Publishing writes a plain SQLite file; Datasette (and the dashboard plugin that
    imports it) is loaded only by 'serve'."""
    code = ("import sys\n"
            "from partnership.cli import cli\n"
            "try:\n"
            "    cli.main(sys.argv[1:], standalone_mode=False)\n"
            "finally:\n"
            "    print('datasette loaded' if 'datasette' in sys.modules else 'no datasette', "
            "file=sys.stderr)\n")
    args = ["--db", str(demo_path)] + [a.replace("{tmp}", str(tmp_path)) for a in command]
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    assert out.stderr.strip().splitlines()[-1] == "no datasette", out.stderr[-500:]


# -- keys and indexes of the public copy --------------------------------------------------------


def _key(conn, table):
    """A table's primary key columns, in key order."""
    info = conn.execute(f'PRAGMA table_info("{table}")').fetchall()
    return [r[1] for r in sorted(info, key=lambda r: r[5]) if r[5]]


def test_every_published_table_keeps_its_primary_key(demo_path, published):
    target, _ = published
    work = sqlite3.connect(demo_path)
    pub = sqlite3.connect(target)
    public_cols = {}
    for (name,) in pub.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        public_cols[name] = {r[1] for r in pub.execute(f'PRAGMA table_info("{name}")')}
    checked = []
    for (name,) in work.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        key = _key(work, name)
        if name not in public_cols or not key or not set(key) <= public_cols[name]:
            continue
        assert _key(pub, name) == key, name
        checked.append(name)
    # metric_values is keyed (indicator, metric, period) though its columns start with metric
    assert _key(pub, "metric_values") == ["indicator", "metric", "period"]
    assert {"metric_values", "observations", "partners", "outcomes"} <= set(checked)
    work.close()
    pub.close()


def test_observations_have_one_index_and_pages_read_them_by_it(published):
    target, _ = published
    conn = sqlite3.connect(target)
    # the key (indicator, date) is the only index: no second copy of the same columns
    indexes = conn.execute("PRAGMA index_list(observations)").fetchall()
    assert len(indexes) == 1, indexes
    cols = [r[2] for r in conn.execute(f'PRAGMA index_info("{indexes[0][1]}")')]
    assert cols == ["indicator", "date"]
    # the charts' series and a metric's latest figure are searches, not scans
    for sql in ("SELECT date, value FROM indicator_series WHERE indicator = 'x' ORDER BY date",
                ("SELECT value FROM metric_values WHERE indicator = 'x' AND metric = 'status' "
                 "ORDER BY period DESC LIMIT 1")):
        plan = " ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert "SCAN" not in plan and "SEARCH" in plan, (sql, plan)
    conn.close()


def test_is_it_working_reads_one_indicator_at_a_time(published):
    """Materialising is_it_working searches metric_values and observations by key for
    each indicator (it used to scan metric_values once per indicator: quadratic)."""
    from partnership.plugins import default_registry

    sql = next(d.sql for d in default_registry().public if d.name == "is_it_working")
    target, _ = published
    conn = sqlite3.connect(target)
    plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql)]
    conn.close()
    scans = [step for step in plan if step.startswith("SCAN")]
    # only the outer loop over outcomes (or indicators) is a scan
    assert len(scans) == 1 and ("outcomes" in scans[0] or "indicators" in scans[0]
                                or scans[0] in ("SCAN o", "SCAN i")), plan
    assert any("mv" in step and "SEARCH" in step for step in plan), plan
    assert any("ob" in step and "SEARCH" in step for step in plan), plan
