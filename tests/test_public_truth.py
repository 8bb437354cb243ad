"""The public page tells the whole truth the record knows, in words a reader understands:
one plain status per outcome, the date of every figure and since when it is stale, what
the checks say (public facts only), honest headline counts, and changes in plain English."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import sqlite3
from pathlib import Path

import pytest

import partnership
from partnership.narrative import describe, group, read_names
from partnership.outcomes.status import STATUS_MEANINGS, STATUSES, outcome_statuses
from partnership.reporting.build import publish
from partnership.reporting.serve import make_datasette


def get(path: Path, metadata: str | None, page: str = "/") -> str:
    ds = make_datasette(path, metadata)
    r = asyncio.run(ds.client.get(page))
    assert r.status_code == 200, page
    return r.text


def section(html: str, name: str) -> str:
    start = html.index(f'id="{name}"')
    end = html.find("<section", start)
    return html[start:end if end > 0 else None]


def text_of(html: str) -> str:
    import html as h

    return h.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)))


def add_stale_indicator(p: partnership.Partnership, months: int = 8) -> tuple[str, str]:
    """A monthly victim-contact indicator whose only figure is ``months`` months old:
    (the date of that figure, the date it went stale)."""
    today = p.today()
    seen = today - dt.timedelta(days=30 * months)
    p.measure.add_indicator(
        "victim-contact", outcome="domestic-abuse-help-sooner",
        title="Survivors contacted within 48 hours", unit="%", direction="up", baseline=50,
        baseline_date=(seen - dt.timedelta(days=60)).isoformat(), target=80,
        target_date=(today + dt.timedelta(days=400)).isoformat(), frequency="monthly")
    p.measure.observe("victim-contact", 55, date=seen.isoformat(), source="Victim Support")
    return seen.isoformat(), (seen + dt.timedelta(days=31)).isoformat()


# -- one plain status per outcome --------------------------------------------------------


def test_every_status_has_a_one_sentence_meaning() -> None:
    assert list(STATUS_MEANINGS) == list(STATUSES) == [
        "on track", "at risk", "off track", "not measured", "needs a rethink"]
    for word, meaning in STATUS_MEANINGS.items():
        assert meaning.endswith(".") and meaning.count(". ") == 0, word


def test_the_demo_outcomes_get_plain_statuses_with_two_named_measures(demo_path) -> None:
    with partnership.open(demo_path) as p:
        st = outcome_statuses(p)
    assert st["fewer-home-fire-injuries"].status == "on track"
    # the exploitation outcome: a collaboration killer and a pivot signal
    killer = st["fewer-young-people-exploited"]
    assert killer.status == "needs a rethink" and killer.pivot
    assert killer.gap_verdict == "reboot" and killer.measurement == "off-track"
    # two measures that disagree are kept apart, and the public word says which decides
    asb = st["fewer-repeat-asb"]
    assert (asb.status, asb.gap_verdict, asb.measurement) == ("at risk", "at-risk", "on-track")
    assert "sought outside" in asb.reason
    assert asb.gap_verdict_words == "seeking an essential need outside the partnership"
    assert asb.measurement_words == "figures on track"
    night = st["safer-night-time"]
    assert (night.status, night.reason) == ("at risk", "its indicator is at risk")
    # nothing measures the proposed ones yet
    assert st["partnership-website"].status == "not measured"
    assert st["partnership-website"].reason == "nothing measures it yet"
    assert all(s.meaning == STATUS_MEANINGS[s.status] for s in st.values())


def test_a_stale_figure_turns_the_status_and_says_since_when(demo_path) -> None:
    with partnership.open(demo_path) as p:
        seen, stale = add_stale_indicator(p)
        st = outcome_statuses(p)["domestic-abuse-help-sooner"]
    # its only figure is out of date: nobody can say how it is going
    assert st.status == "not measured"
    assert st.latest_date == seen and st.stale_since == stale
    assert st.reason == f"every figure is out of date (stale since {stale})"


def test_an_off_track_outcome_is_off_track(demo_path) -> None:
    with partnership.open(demo_path) as p:
        p.measure.add_indicator(
            "calls-answered", outcome="safer-night-time", title="Calls answered", unit="%",
            direction="up", baseline=80, baseline_date="2024-04-01", target=95,
            target_date="2027-03-31", frequency="annual", pivot_after=9)
        for date, value in (("2025-01-01", 70), ("2025-07-01", 62), ("2026-01-01", 55),
                            ("2026-07-01", 48)):
            p.measure.observe("calls-answered", value, date=date, source="Switchboard")
        st = outcome_statuses(p)["safer-night-time"]
    assert (st.status, st.measurement, st.off_track) == ("off track", "off-track", 1)
    assert st.reason == "1 of its 2 indicators is off track"


# -- the public page ------------------------------------------------------------------------


@pytest.fixture
def truth_site(demo_path, tmp_path):
    """The demo with a stale indicator, a contact detail and an outcome held by one
    partner, published; (public file, metadata, the stale dates)."""
    with partnership.open(demo_path) as p:
        seen, stale = add_stale_indicator(p)
        p.people.update("ann-marsh", email="ann.private@example.org", phone="07700 900123")
        p.outcomes.add(slug="ward-walks", title="Residents of Skerton feel listened to",
                       status="agreed")
        p.stakes.add(outcome="ward-walks", partner="county-police", motivation="Confidence")
        (tmp_path / "site").mkdir()
        result = publish(p, tmp_path / "site" / "public.db")
    return Path(result.path), result.metadata_path, seen, stale


@pytest.mark.slow
def test_the_home_page_shows_status_words_their_meanings_and_stale_dates(truth_site) -> None:
    path, metadata, seen, stale = truth_site
    html = get(path, metadata)
    outcomes = text_of(section(html, "outcomes"))
    for word, meaning in STATUS_MEANINGS.items():
        assert word in outcomes and meaning in outcomes
    # one pill per outcome; the gap verdict and the figures are two named things in words
    assert "Resources: missing an essential need nobody can meet" in outcomes
    assert "Figures: 1 off track (of 1 indicator)" in outcomes
    assert "time to pivot" not in outcomes and "on-course" not in outcomes
    # every indicator: the date of its latest figure, and since when it is stale
    assert f"latest figure {seen}" in outcomes and f"stale since {stale}" in outcomes
    assert len(re.findall(r"latest figure \d{4}-\d\d-\d\d", outcomes)) == 7
    charts = text_of(section(html, "charts"))
    assert f"stale since {stale}" in charts
    # no bare "pivot: 1" and no unexplained number on a chart
    assert "pivot:" not in charts and "time to rethink" in charts
    assert "note 1" in charts and "marked on the chart" in charts


@pytest.mark.slow
def test_headline_counts_do_not_flatter(truth_site) -> None:
    path, metadata, _, _ = truth_site
    conn = sqlite3.connect(path)
    outcomes = conn.execute("SELECT count(*) FROM outcomes").fetchone()[0]
    conn.close()
    cards = text_of(get(path, metadata).split('class="cards"', 1)[1].split("</div>", 1)[0])
    # 8 outcomes: quarterly-forum and ward-walks are each held by one partner
    assert outcomes == 8
    assert "8 outcomes, 6 shared" in cards
    assert "shared outcomes" not in cards


@pytest.mark.slow
def test_what_the_checks_say_is_public_and_holds_no_private_data(truth_site) -> None:
    path, metadata, _, _ = truth_site
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM check_findings ORDER BY id")]
    people = [tuple(r) for r in conn.execute("SELECT slug, name FROM people")]
    conn.close()
    rules = {r["rule"] for r in rows}
    assert {"collaboration-killer", "not-shared", "overdue-commitment", "pivot"} <= rules
    assert {r["severity"] for r in rows} == {"problem", "warning"}
    assert [r["severity"] for r in rows] == sorted(r["severity"] for r in rows)  # problems first
    # the overdue promise names its partner, never the person who owns it
    overdue = next(r for r in rows if r["subject"] == "commitment C-16")
    assert overdue["message"].startswith("C-16 by bay-health was due on 2026-05-31")
    for r in rows:
        text = " ".join(str(v) for v in r.values())
        assert "example.org" not in text and "07700" not in text
        for slug, name in people:
            assert not re.search(rf"(?<![\w-]){re.escape(slug)}(?![\w-])", text), (slug, r)
            assert name not in text, (name, r)
    html = section(get(path, metadata), "findings")
    problems = sum(r["severity"] == "problem" for r in rows)
    assert "What the checks say" in html
    assert f"found <b>{problems} problems</b>" in html
    assert "collaboration killer: essential need information-sharing" in text_of(html)
    assert "ann-marsh" not in html and "Ann Marsh" not in html


# -- changes in plain English ---------------------------------------------------------------

NAMES = {"partner": {"lancs-police": "Lancashire Constabulary"},
         "person": {"jo-bloggs": "Jo Bloggs"}, "area": {"capacity": "Capacity"},
         "meeting": {"board": "Partnership board"}}


def test_a_promise_reads_as_a_promise() -> None:
    row = {"id": 7, "action": "add", "entity": "commitment", "key": "7",
           "summary": "commitment C-7 (lancs-police: Share weekly hotspot data)",
           "data": {"partner": "lancs-police", "owner": "jo-bloggs", "what": "Share weekly hotspot data",
                    "due": "2027-01-31", "state": "open"}}
    assert describe(row, NAMES) == (
        "Lancashire Constabulary promised to share weekly hotspot data by 31 January 2027")


def test_figures_are_grouped_per_indicator_and_people_are_named() -> None:
    rows = [{"id": i, "at": "2026-03-01T10:00:00", "action": "add", "entity": "observation",
             "key": f"repeat-victims/2026-0{i}-01", "summary": "observation",
             "data": {"indicator": "repeat-victims", "date": f"2026-0{i}-01", "value": 40 + i}}
            for i in (1, 2, 3)]
    rows.append({"id": 4, "action": "add", "entity": "self-assessment", "key": "4",
                 "summary": "self-assessment 4",
                 "data": {"area": "capacity", "by": "jo-bloggs", "round": "2026-03", "score": 3}})
    rows.append({"id": 5, "action": "add", "entity": "pairing", "key": "-",
                 "summary": "2 pairings added", "data": {"count": 2}})
    rows.append({"id": 6, "action": "add", "entity": "pairing", "key": "-",
                 "summary": "1 pairing added", "data": {"count": 1}})
    assert group(rows, NAMES) == ["3 figures recorded for repeat-victims",
                                  "Jo Bloggs answered the capacity self-assessment",
                                  "3 pairings added"]
    # who answered a self-assessment is private: the public words leave them out
    assert group(rows, NAMES, public=True)[1] == "The capacity self-assessment was answered"


def test_the_words_never_hold_contact_details() -> None:
    row = {"id": 1, "action": "add", "entity": "person", "key": "jo-bloggs",
           "summary": "person jo-bloggs (Jo Bloggs)",
           "data": {"slug": "jo-bloggs", "name": "Jo Bloggs", "partner": "lancs-police",
                    "email": "jo@example.org", "phone": "07700 900001"}}
    words = describe(row, NAMES)
    assert words == "Jo Bloggs of Lancashire Constabulary joined the partnership"
    assert "example.org" not in words and "07700" not in words


def test_an_unknown_change_falls_back_on_the_log_summary() -> None:
    row = {"id": 1, "action": "add", "entity": "risk", "key": "flood", "summary": "risk flood (Flooding)",
           "data": {}}
    assert describe(row, NAMES) == "Risk flood (Flooding) added"


@pytest.mark.slow
def test_the_page_feed_and_updates_use_the_same_words(truth_site, demo_path, run) -> None:
    path, metadata, _, _ = truth_site
    updates = text_of(section(get(path, metadata), "updates"))
    assert "Latest changes to the records" in updates
    assert "Stake" not in updates and "add stake" not in updates
    feed = get(path, metadata, "/public/feed.atom")
    assert "Change: " not in feed and "<title>Change" not in feed
    assert "County Police took a stake in" in feed or "took a stake in" in feed
    # the demo's log, grouped for people at the terminal, with the raw log a command away
    run.db = demo_path
    out = run("updates", "--since", "board-2026-01").stdout
    assert "What changed since board-2026-01" in out
    assert "- 16 promises kept" in out
    assert re.search(r"- \w.* made \d promises", out)
    assert "\n  partnership log --since 2026-01-20 --limit" in out
    assert "agenda need" not in out


def test_names_are_read_from_a_public_file(published) -> None:
    target, _ = published
    conn = sqlite3.connect(target)
    try:
        names = read_names(conn)
    finally:
        conn.close()
    assert names["partner"]["county-police"] == "Northshire Constabulary"
    assert names["commitment"]["16"] == "Share the annual falls and fire-injury figures"


def test_a_finding_loses_people_and_private_values_and_keeps_the_rest() -> None:
    from partnership.reporting.truth import Scrubber

    s = Scrubber(["ann-marsh", "Ann Marsh", "ann.private@example.org", "07700 900123"])
    assert s.scrub("C-16 by bay-health (ann-marsh) was due") == "C-16 by bay-health was due"
    assert s.scrub("ask Ann Marsh on 07700 900123 or ann.private@example.org") == (
        "ask someone on someone or someone")
    # whole words only: a longer slug that contains a name is not touched
    assert s.scrub("ann-marshall-trust keeps its promise") == "ann-marshall-trust keeps its promise"


def test_changes_from_the_library_are_worded_too(demo_path) -> None:
    """``p.changes()`` gives Change objects: the same words as for rows."""
    with partnership.open(demo_path) as p:
        changes = p.changes(entity="commitment", limit=200)
        names = read_names(p.store.conn)
    lines = group(changes, names)
    assert "16 promises kept" in lines and "2 promises withdrawn" in lines
    added = next(c for c in changes if c.action == "add" and c.key == "16")
    assert describe(added, names) == (
        "Bay Health and Care NHS Trust promised to share the annual falls and fire-injury figures "
        "by 31 May 2026")


def test_each_public_status_has_a_colour_of_its_own() -> None:
    """A reader tells the statuses apart by colour too: no two share a badge."""
    from partnership.outcomes.status import STATUS_MEANINGS
    from partnership.reporting.home import STATUS_BADGES

    assert set(STATUS_BADGES) == set(STATUS_MEANINGS)
    assert len(set(STATUS_BADGES.values())) == len(STATUS_BADGES)
