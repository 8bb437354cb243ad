"""Commitments and the trust ledger: states, transitions, the ledger, checks, CLI, views."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3

import pytest

import partnership
from partnership.commitments.service import parse_ref, parse_window, show_ref
from partnership.errors import Conflict, NotFound, ValidationError

TODAY = "2026-03-01"


@pytest.fixture
def team(small, monkeypatch):
    """``small`` plus a council officer, with the clock fixed at 2026-03-01."""
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY)
    small.people.add(slug="sam-lee", name="Sam Lee", partner="lancs-council", email="sam@example.org")
    small.outcomes.add(slug="safer-night-time", title="People feel safe in the town centre at night")
    return small


def commit(p, partner="lancs-police", what="Share weekly hotspot data", due="2026-03-31", **kw):
    kw.setdefault("owner", "jo-bloggs" if partner == "lancs-police" else None)
    kw.setdefault("outcome", "fewer-repeat-asb")
    return p.commitments.commit(partner=partner, what=what, due=due, **kw)


def status(p, c) -> str:
    return p.commitments.show(c.id)["status"]


# -- ids and small parsers -----------------------------------------------------------------------

def test_ids_are_shown_as_c_numbers():
    assert [parse_ref(x) for x in ("C-12", "c12", " 12 ", 12)] == [12, 12, 12, 12]
    assert show_ref(12) == "C-12"
    for bad in ("X-1", "C-", "C-0", "", "twelve", True):
        with pytest.raises(ValidationError, match="write it like C-12"):
            parse_ref(bad)


def test_windows():
    assert [parse_window(x) for x in ("14d", "2w", "14", " 3D ", 0)] == [14, 14, 14, 3, 0]
    for bad in ("two weeks", "-1d", "14m", "99999"):
        with pytest.raises(ValidationError, match="due-within"):
            parse_window(bad)


# -- making commitments --------------------------------------------------------------------------

def test_commit_returns_the_commitment_with_its_id_and_logs_it(team):
    c = commit(team, additional=True)
    assert c.id == 1 and c.state.value == "open" and c.additional is True
    assert c.created == dt.date(2026, 3, 1)  # today by default
    assert team.commitments.get("C-1") == c
    [entry] = team.changes(entity="commitment")
    assert entry.action == "add"
    assert entry.summary == "commitment C-1 (lancs-police: Share weekly hotspot data)"
    second = commit(team, "lancs-council", "Fund CCTV", due="2026-06-30", owner="sam-lee",
                    created="2026-01-15")
    assert second.id == 2 and second.created == dt.date(2026, 1, 15) and second.additional is False


def test_the_signature_other_features_call(team):
    """Issue 6 calls commit(partner=, owner=, what=, due=, outcome=) with a date object."""
    made = team.commitments.commit(partner="lancs-council", owner="sam-lee", what="draft MoU",
                                   due=dt.date(2026, 3, 1), outcome=None)
    assert isinstance(made.id, int) and made.outcome is None and made.owner == "sam-lee"


def test_commit_joins_the_callers_transaction(team, db_path, unchanged):
    with unchanged(db_path):
        with pytest.raises(NotFound):
            with team.store.transaction():
                commit(team)
                commit(team, owner="nobody")
    assert team.commitments.count() == 0


@pytest.mark.parametrize("kw, error, words", [
    ({"partner": "lancs-polic"}, NotFound, "did you mean 'lancs-police'"),
    ({"owner": "nobody"}, NotFound, "no person 'nobody'"),
    ({"partner": "lancs-council", "owner": "jo-bloggs"}, ValidationError,
     "jo-bloggs works for lancs-police, not lancs-council"),
    ({"due": "31/01/2026"}, ValidationError, "YYYY-MM-DD"),
    ({"due": "2026-02-30"}, ValidationError, "YYYY-MM-DD"),
    ({"what": "  "}, ValidationError, "what must not be empty"),
    ({"outcome": "world-peace"}, NotFound, "no outcome 'world-peace'"),
    ({"activity": "night-patrols"}, NotFound, "no activity 'night-patrols'"),
    ({"created": "2026-03-02"}, ValidationError, "the date it was made, 2026-03-02, is in the future"),
])
def test_bad_commitments_are_refused_with_a_sentence(team, db_path, unchanged, kw, error, words):
    with unchanged(db_path):
        with pytest.raises(error, match=words):
            commit(team, **kw)


def test_activity_is_checked_when_activities_exist(team):
    team.store.conn.execute("INSERT INTO activities (slug, title, partner) "
                            "VALUES ('hotspot-patrols', 'Hotspot patrols', 'lancs-police')")
    assert commit(team, activity="hotspot-patrols").activity == "hotspot-patrols"


# -- states and transitions ---------------------------------------------------------------------

def test_derived_status_around_the_due_date(team, monkeypatch):
    c = commit(team, due="2026-03-01")
    assert status(team, c) == "open"  # due today: not yet overdue
    monkeypatch.setenv("PARTNERSHIP_TODAY", "2026-03-02")
    row = team.commitments.show(c.id)
    assert (row["status"], row["days_late"]) == ("overdue", 1)
    monkeypatch.setenv("PARTNERSHIP_TODAY", "2026-02-28")
    assert status(team, c) == "open"


def test_the_clock_can_be_given_to_the_library(db_path, small):
    small.close()
    with partnership.open(db_path, clock=lambda: dt.date(2030, 1, 1)) as p:
        c = commit(p, due="2029-12-31")
        assert p.commitments.show(c.id)["status"] == "overdue"
        assert c.created == dt.date(2030, 1, 1)


@pytest.mark.parametrize("delivered, expected, late", [
    ("2026-02-15", "kept", 0),      # early
    ("2026-02-20", "kept", 0),      # on the due date
    ("2026-02-21", "kept-late", 1),  # a day late
    ("2026-03-01", "kept-late", 9),  # today
])
def test_delivered_on_or_before_the_due_date_is_kept_after_it_kept_late(team, delivered, expected, late):
    c = commit(team, due="2026-02-20")
    assert status(team, c) == "overdue"
    done = team.commitments.deliver(f"C-{c.id}", evidence="https://example.org/hotspots", date=delivered)
    assert done.state.value == "delivered" and done.delivered_on.isoformat() == delivered
    row = team.commitments.show(c.id)
    assert (row["status"], row["days_late"]) == (expected, late)


def test_deliver_defaults_to_today_and_withdraw_records_the_reason(team):
    a, b = commit(team), commit(team, what="Second")
    assert team.commitments.deliver(a.id, evidence="Done, see minutes").delivered_on == dt.date(2026, 3, 1)
    w = team.commitments.withdraw(b.id, reason="Budget cut in the 2026 settlement")
    assert (w.state.value, w.withdrawn_on, w.reason) == (
        "withdrawn", dt.date(2026, 3, 1), "Budget cut in the 2026 settlement")
    assert status(team, w) == "withdrawn"
    actions = [ch.action for ch in team.changes(entity="commitment")]
    assert actions == ["update", "update", "add", "add"]  # nothing is deleted


def test_refused_transitions_leave_the_database_unchanged(team, db_path, unchanged):
    kept, gone, open_ = commit(team), commit(team, what="b"), commit(team, what="c")
    team.commitments.deliver(kept.id, evidence="done", date="2026-02-01")
    team.commitments.withdraw(gone.id, reason="no money")
    cases = [
        (lambda: team.commitments.deliver(gone.id, evidence="x"), Conflict,
         "withdrawn commitment cannot be delivered"),
        (lambda: team.commitments.deliver(kept.id, evidence="x"), Conflict, "already delivered"),
        (lambda: team.commitments.withdraw(kept.id, reason="x"), Conflict,
         "kept promise cannot be withdrawn"),
        (lambda: team.commitments.withdraw(gone.id, reason="x"), Conflict, "already withdrawn"),
        (lambda: team.commitments.withdraw(open_.id, reason="  "), ValidationError, "say why C-3"),
        (lambda: team.commitments.deliver(open_.id, evidence=""), ValidationError, "--evidence"),
        (lambda: team.commitments.deliver(open_.id, evidence="x", date="2026-03-02"), ValidationError,
         "the delivery date, 2026-03-02, is in the future"),
        (lambda: team.commitments.deliver(open_.id, evidence="x", date="yesterday"), ValidationError,
         "YYYY-MM-DD"),
        (lambda: team.commitments.withdraw(open_.id, reason="x", date="2026-04-01"), ValidationError,
         "in the future"),
        (lambda: team.commitments.deliver("C-99", evidence="x"), NotFound, "no commitment 'C-99'"),
        (lambda: team.commitments.correct(open_.id, state="delivered"), ValidationError,
         "cannot correct state"),
        (lambda: team.commitments.correct(open_.id, delivered_on="2026-02-01"), ValidationError,
         "open, so it has no delivery date"),
        (lambda: team.commitments.correct(kept.id, evidence=""), ValidationError, "needs evidence"),
        (lambda: team.commitments.correct(open_.id, owner="sam-lee"), ValidationError,
         "sam-lee works for lancs-council"),
    ]
    for action, error, words in cases:
        with unchanged(db_path):
            with pytest.raises(error, match=words):
                action()


def test_a_correction_is_a_change_log_entry_with_the_old_value(team):
    c = commit(team, due="2026-02-20")
    team.commitments.deliver(c.id, evidence="done", date="2026-02-25")
    team.commitments.correct(c.id, delivered_on="2026-02-19", evidence="https://example.org/x")
    assert status(team, c) == "kept"
    latest = team.changes(entity="commitment")[0]
    assert latest.data["before"] == {"delivered_on": "2026-02-25", "evidence": "done"}
    history = team.commitments.show(c.id)["history"]
    assert [h["action"] for h in history] == ["add", "update", "update"]


def test_a_partner_with_commitments_cannot_be_removed(team, db_path, unchanged):
    commit(team)
    with unchanged(db_path):
        with pytest.raises(Conflict, match="1 commitments"):
            team.partners.remove("lancs-police")


# -- the ledger ------------------------------------------------------------------------------------

@pytest.fixture
def ledger_team(team):
    """Hand-worked: police make 5 (2 kept, 1 late, 1 overdue, 1 open; 4 additional),
    the council 3 (1 withdrawn, 1 kept late, 1 overdue; none additional). Today 2026-03-01."""
    c = team.commitments
    for what, due, additional in [("p1", "2026-01-31", True), ("p2", "2026-02-28", True),
                                  ("p3", "2026-01-15", True), ("p4", "2026-02-01", False),
                                  ("p5", "2026-03-01", True)]:
        commit(team, what=what, due=due, additional=additional)
    for what, due in [("c1", "2026-02-01"), ("c2", "2026-01-01"), ("c3", "2026-02-27")]:
        commit(team, "lancs-council", what, due=due, owner="sam-lee")
    c.deliver(1, evidence="e", date="2026-01-31")   # kept, on the due date
    c.deliver(2, evidence="e", date="2026-02-01")   # kept, early
    c.deliver(3, evidence="e", date="2026-01-20")   # kept late
    # 4 is overdue (due 2026-02-01), 5 is open (due today)
    c.withdraw(6, reason="r", date="2026-01-20")
    c.deliver(7, evidence="e", date="2026-02-14")   # kept late
    # 8 is overdue
    return team


def test_the_ledger_matches_the_hand_worked_figures(ledger_team):
    council, police = ledger_team.commitments.ledger()  # by partner slug
    assert police == {"partner": "lancs-police", "partner_name": "Lancashire Constabulary",
                      "made": 5, "kept": 2, "kept_late": 1, "open": 1, "overdue": 1, "withdrawn": 0,
                      "withdrawn_agreed": 0, "additional": 4,
                      "kept_rate": 0.75,        # (2 + 1) / (5 - 1)
                      "on_time_rate": 0.5,      # 2 / 4
                      "additional_share": 0.8}  # 4 / 5
    assert council == {"partner": "lancs-council", "partner_name": "Lancaster City Council",
                       "made": 3, "kept": 0, "kept_late": 1, "open": 0, "overdue": 1, "withdrawn": 1,
                       "withdrawn_agreed": 0, "additional": 0, "kept_rate": 0.333, "on_time_rate": 0.0,
                       "additional_share": 0.0}


def test_a_partner_with_no_commitments_has_no_rates(team):
    commit(team)
    police, council = team.commitments.ledger()  # partners with none made come last
    assert council["made"] == 0 and council["kept_rate"] is None and council["additional_share"] is None
    assert police["kept_rate"] is None  # its one commitment is not due yet


def test_the_kept_rate_by_quarter(ledger_team):
    [q1] = ledger_team.commitments.by_quarter()
    assert q1["quarter"] == "2026-Q1" and q1["made"] == 8
    assert (q1["kept"], q1["kept_late"], q1["open"], q1["overdue"], q1["withdrawn"]) == (2, 2, 1, 2, 1)
    assert q1["kept_rate"] == round(4 / 7, 3)


def test_listing_filters_and_due_soon(ledger_team, monkeypatch):
    c = ledger_team.commitments
    assert [r["ref"] for r in c.list(status="overdue")] == ["C-4", "C-8"]
    assert [r["ref"] for r in c.list(owner="sam-lee")] == ["C-7", "C-6", "C-8"]
    assert [r["ref"] for r in c.list(partner="lancs-council", status="withdrawn")] == ["C-6"]
    commit(ledger_team, what="later", due="2026-03-15")
    commit(ledger_team, what="much later", due="2026-04-30")
    # unkept and due by 2026-03-15, overdue included, by owner then due date
    assert [r["ref"] for r in c.due_within("14d")] == ["C-4", "C-5", "C-9", "C-8"]
    assert [r["ref"] for r in c.due_within(0)] == ["C-4", "C-5", "C-8"]
    with pytest.raises(ValidationError, match="state must be one of"):
        c.list(status="late")
    with pytest.raises(NotFound):
        c.list(owner="nobody")


def test_the_working_database_views_agree_with_the_library(ledger_team, monkeypatch):
    """The views of migration m030 read the computer's date: compare on today's date."""
    monkeypatch.delenv("PARTNERSHIP_TODAY")
    p = ledger_team
    commit(p, what="future", due=(dt.date.today() + dt.timedelta(days=3)).isoformat())
    view = p.store.query("SELECT * FROM commitment_status ORDER BY due, id")
    assert [{**r, "additional": bool(r["additional"])} for r in view] == p.commitments.list()
    assert p.store.query("SELECT * FROM ledger ORDER BY made = 0, partner") == p.commitments.ledger()
    assert p.store.query("SELECT * FROM kept_rate_by_quarter ORDER BY quarter") == p.commitments.by_quarter()


# -- checks ---------------------------------------------------------------------------------------

def findings(p, rule):
    return [f for f in p.check() if f.rule == rule]


def test_pledging_what_it_would_do_anyway(team):
    for i in range(2):
        commit(team, what=f"bau {i}")
    assert not findings(team, "pledging-what-it-would-do-anyway")  # only two made
    commit(team, what="additional", additional=True)
    commit(team, what="additional 2", additional=True)
    assert not findings(team, "pledging-what-it-would-do-anyway")  # exactly half is not "mostly"
    commit(team, what="bau 3")
    [f] = findings(team, "pledging-what-it-would-do-anyway")
    assert f.subject == "partner lancs-police" and f.severity.value == "warning"
    assert "lancs-police is pledging what it would do anyway: 3 of its 5 commitments" in f.message


def test_all_business_as_usual_is_flagged(team):
    for i in range(3):
        commit(team, "lancs-council", f"bau {i}", owner="sam-lee")
    [f] = findings(team, "pledging-what-it-would-do-anyway")
    assert "all its 3 commitments are business as usual" in f.message


def test_overdue_commitments_are_flagged(ledger_team):
    found = findings(ledger_team, "overdue-commitment")
    assert [f.subject for f in found] == ["commitment C-4", "commitment C-8"]
    assert "was due on 2026-02-01 and is 28 days overdue" in found[0].message
    assert "partnership commitment deliver C-4" in found[0].advice


# -- the command line ----------------------------------------------------------------------------

@pytest.fixture
def cli(team, run):
    team.close()
    return run


def test_cli_walkthrough(cli):
    r = cli("commit", "lancs-police", "Share weekly hotspot data with the council", "--outcome",
            "fewer-repeat-asb", "--due", "2026-01-31", "--owner", "jo-bloggs", "--additional")
    assert r.exit_code == 0, r.output
    assert "made commitment C-1: lancs-police by 2026-01-31 (additional)" in r.stderr
    r = cli("commit", "lancs-council", "Fund CCTV", "--due", "2026-03-10", "--owner", "sam-lee")
    assert "(business as usual)" in r.stderr
    cli("commit", "lancs-council", "Street lighting survey", "--due", "2026-06-30")
    r = cli("commitment", "deliver", "C-1", "--evidence", "https://example.org/hotspot-dashboard",
            "--date", "2026-02-03")
    assert r.exit_code == 0 and "C-1 delivered on 2026-02-03: kept late (3 days after 2026-01-31)" in r.stderr
    r = cli("commitment", "withdraw", "C-3", "--reason", "Budget cut in the 2026 settlement")
    assert r.exit_code == 0 and "C-3 withdrawn on 2026-03-01" in r.stderr
    r = cli("commitment", "correct", "C-2", "--due", "2026-03-12", "--additional")
    assert r.exit_code == 0 and "corrected C-2: additional, due" in r.stderr

    r = cli("commitments")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["id", "partner", "owner", "due", "status", "additional", "what"]
    assert "C-1" in lines[2] and "kept-late" in lines[2]

    r = cli("commitment", "show", "C-1")
    assert "kept-late" in r.stdout and "History:" in r.stdout and "tester" in r.stdout
    shown = json.loads(cli("commitment", "show", "c1", "--json").stdout)
    assert shown["ref"] == "C-1" and shown["status"] == "kept-late" and len(shown["history"]) == 2

    due = json.loads(cli("commitments", "--due-within", "14d", "--json").stdout)
    assert [r["ref"] for r in due] == ["C-2"]
    assert json.loads(cli("commitments", "--owner", "jo-bloggs", "--json").stdout)[0]["ref"] == "C-1"
    withdrawn = json.loads(cli("commitments", "--state", "withdrawn", "--json").stdout)
    assert [r["ref"] for r in withdrawn] == ["C-3"]

    rows = list(csv.DictReader(io.StringIO(cli("commitments", "--csv").stdout)))
    assert [r["ref"] for r in rows] == ["C-1", "C-2", "C-3"]
    assert rows[1]["owner"] == "sam-lee" and rows[1]["additional"] == "yes"
    assert "email" not in rows[0]

    r = cli("ledger")
    assert r.exit_code == 0 and "kept rate" in r.stdout and "As of 2026-03-01" in r.stdout
    police = next(line for line in r.stdout.splitlines() if line.startswith("lancs-police"))
    assert police.split() == ["lancs-police", "1", "0", "1", "0", "0", "0", "0", "100%", "0%", "100%"]
    data = json.loads(cli("ledger", "--json").stdout)
    assert data["as_of"] == "2026-03-01"
    assert [p["partner"] for p in data["partners"]] == ["lancs-council", "lancs-police"]
    assert set(data["partners"][0]) == {"partner", "partner_name", "made", "kept", "kept_late", "open",
                                        "overdue", "withdrawn", "withdrawn_agreed", "additional", "kept_rate",
                                        "on_time_rate", "additional_share"}
    quarters = json.loads(cli("ledger", "--by-quarter", "--json").stdout)["quarters"]
    assert [q["quarter"] for q in quarters] == ["2026-Q1", "2026-Q2"]
    assert "2026-Q2" in cli("ledger", "--by-quarter").stdout


@pytest.mark.parametrize("args, words", [
    (("commit", "lancs-polic", "x", "--due", "2026-04-01"), "did you mean 'lancs-police'"),
    (("commit", "lancs-police", "x", "--due", "2026-04-01", "--owner", "nobody"), "no person 'nobody'"),
    (("commit", "lancs-council", "x", "--due", "2026-04-01", "--owner", "jo-bloggs"),
     "jo-bloggs works for lancs-police, not lancs-council"),
    (("commit", "lancs-police", "x", "--due", "next week"), "YYYY-MM-DD"),
    (("commitment", "deliver", "C-2", "--evidence", "x"), "withdrawn commitment cannot be delivered"),
    (("commitment", "withdraw", "C-1", "--reason", ""), "say why C-1 is withdrawn"),
    (("commitment", "deliver", "C-1", "--evidence", "x", "--date", "2026-12-25"),
     "2026-12-25, is in the future"),
    (("commitment", "deliver", "C-9", "--evidence", "x"), "no commitment 'C-9'"),
    (("commitment", "deliver", "banana", "--evidence", "x"), "not a commitment id"),
    (("commitments", "--due-within", "soon"), "like 14d or 2w"),
    (("commitments", "--state", "late"), "state must be one of"),
])
def test_cli_bad_input(cli, db_path, unchanged, args, words):
    cli("commit", "lancs-police", "a", "--due", "2026-04-01")
    cli("commit", "lancs-police", "b", "--due", "2026-04-01")
    cli("commitment", "withdraw", "C-2", "--reason", "no money")
    with unchanged(db_path):
        r = cli(*args)
    assert r.exit_code == 1, r.output
    assert words in r.stderr and r.stderr.startswith("Error: ") and len(r.stderr.splitlines()) == 1
    assert "Traceback" not in r.output


def test_cli_usage_errors(cli, db_path, unchanged):
    with unchanged(db_path):
        r = cli("commitments", "--csv", "--json")
        assert r.exit_code == 2 and "--csv cannot be used with --json" in r.stderr
        r = cli("commitment", "correct", "C-1")
        assert r.exit_code == 2 and "say what to correct" in r.stderr
        assert cli("commitment", "withdraw", "C-1").exit_code == 2  # --reason is required


# -- the demo and the public views -----------------------------------------------------------------

def test_demo_ledger_on_its_reference_date(demo_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", "2026-10-31")
    with partnership.open(demo_path) as p:
        ledger = {r["partner"]: r for r in p.commitments.ledger()}
        bau = findings(p, "pledging-what-it-would-do-anyway")
        overdue = findings(p, "overdue-commitment")
        states = {s: len(p.commitments.list(status=s)) for s in
                  ("kept", "kept-late", "open", "overdue", "withdrawn")}
    assert {k: ledger["bay-health"][k] for k in ("made", "kept", "kept_late", "open", "overdue",
                                                 "withdrawn", "additional", "kept_rate")} == {
        "made": 4, "kept": 1, "kept_late": 1, "open": 1, "overdue": 1, "withdrawn": 0,
        "additional": 0, "kept_rate": 0.667}
    assert [f.subject for f in bau] == ["partner bay-health"]
    assert len(overdue) == 3
    assert states == {"kept": 11, "kept-late": 5, "open": 4, "overdue": 3, "withdrawn": 2}


def test_public_views_hold_no_contact_details(demo_path, tmp_path):
    from partnership.plugins import default_registry

    PUBLIC_VIEWS = {d.name for d in default_registry().public if getattr(d, 'kind', '') == 'view'}
    public_tables = lambda: {d.name for d in default_registry().public  # noqa: E731
                             if getattr(d, 'copy', None) is not None}
    from partnership.reporting.build import publish

    assert {"commitment_status", "ledger", "kept_rate_by_quarter"} <= set(PUBLIC_VIEWS)
    assert "commitments" in public_tables()
    with partnership.open(demo_path) as p:
        as_of = p.today().isoformat()
        expected = p.commitments.ledger()
        publish(p, tmp_path / "public.db", metadata_out=False)
    conn = sqlite3.connect(tmp_path / "public.db")
    conn.row_factory = sqlite3.Row
    assert conn.execute("SELECT as_of FROM site").fetchone()[0] == as_of
    assert [dict(r) for r in conn.execute("SELECT * FROM ledger ORDER BY made = 0, partner")] == expected
    promises = conn.execute("SELECT count(*) FROM who_keeps_promises").fetchone()[0]
    assert promises == 8
    for view in ("commitment_status", "ledger", "kept_rate_by_quarter"):
        columns = {r[1] for r in conn.execute(f"PRAGMA table_info({view})")}
        assert not columns & {"email", "phone"}
    assert conn.execute("SELECT count(*) FROM kept_rate_by_quarter").fetchone()[0] >= 4
