"""Undo from the change log (partnership.history): adds, updates and removes of several
kinds are taken back whole, the log keeps both the change and its undo, and an undo
that a later change depends on is refused with the database exactly as it was."""

from __future__ import annotations

import json
import sqlite3

import pytest

from partnership.errors import Conflict, NotFound, ValidationError


def dump(p) -> str:
    """Everything in the database, as SQL: equal dumps mean an identical database."""
    return "\n".join(p.store.conn.iterdump())


def records(p) -> str:
    """Every table but the change log (which an undo appends to)."""
    return "\n".join(line for line in p.store.conn.iterdump()
                     if '"changes"' not in line and '"change_private"' not in line)


@pytest.fixture
def measured(small):
    small.measure.add_indicator(
        "repeat-victims", outcome="fewer-repeat-asb", unit="people", direction="down",
        baseline=412, baseline_date="2025-04-01", target=330, target_date="2027-03-31")
    small.measure.observe("repeat-victims", 398, date="2025-07-01", source="Police.uk")
    return small


# -- undo of add, update and remove, for several kinds ----------------------------------------

def test_undo_of_an_add_removes_it(measured):
    before = records(measured)
    measured.partners.add(slug="lancs-fire", name="Lancashire Fire", kind="fire")
    result = measured.undo()
    assert records(measured) == before
    assert not measured.partners.exists("lancs-fire")
    assert result.summaries == ["partner lancs-fire (Lancashire Fire)"]
    entry = measured.changes()[0]
    assert entry.action == "remove" and entry.undo_of == result.undone[0]
    assert entry.data["name"] == "Lancashire Fire"  # the log keeps what was taken away


def test_undo_of_an_update_puts_every_field_back_including_private_ones(measured):
    before = records(measured)
    measured.people.update("jo-bloggs", role="Inspector", email="jo.new@example.org")
    assert measured.people.get("jo-bloggs").email == "jo.new@example.org"
    measured.undo()
    assert records(measured) == before
    person = measured.people.get("jo-bloggs")
    assert (person.role, person.email) == ("", "jo@example.org")
    # the private value is kept apart from the log itself
    assert "jo@example.org" not in json.dumps([c.data for c in measured.changes()])


def test_undo_of_a_remove_restores_the_whole_row(measured):
    before = records(measured)
    measured.people.remove("jo-bloggs", reason="left the force")
    removal = measured.changes()[0]
    assert removal.data["why"] == "left the force" and "(why: left the force)" in removal.summary
    assert removal.data["name"] == "Jo Bloggs" and "email" not in removal.data
    measured.undo()
    assert records(measured) == before
    assert measured.people.get("jo-bloggs").phone == "01524 000000"


def test_undo_of_observation_add_correct_and_remove(measured):
    start = records(measured)
    measured.measure.observe("repeat-victims", 390, date="2025-10-01")
    added = records(measured)
    measured.measure.correct_observation("repeat-victims", "2025-10-01", value=391, reason="typo")
    corrected = records(measured)
    measured.measure.remove_observation("repeat-victims", "2025-10-01", reason="duplicate")
    assert len(measured.measure.series("repeat-victims")) == 1
    measured.undo()
    assert records(measured) == corrected
    measured.undo()
    assert records(measured) == added
    measured.undo()
    assert records(measured) == start
    # the trend sums kept by triggers follow the rows
    assert measured.store.conn.execute(
        "SELECT n, sy FROM observation_sums WHERE indicator = 'repeat-victims'").fetchone() == (1, 398.0)


def test_undo_takes_a_whole_command_back(measured):
    before = records(measured)
    measured.measure.add_activity("patrols", partner="lancs-police",
                                  outcomes=["fewer-repeat-asb"])
    assert measured.measure.activity_outcomes.count() == 1
    result = measured.undo()
    assert len(result.undone) == 2  # the activity and its outcome, one command
    assert records(measured) == before


def test_undo_of_a_moved_observation_and_of_a_commitment(measured):
    before = records(measured)
    measured.measure.correct_observation("repeat-victims", "2025-07-01", new_date="2025-07-02",
                                         reason="wrong day")
    assert [o.date.isoformat() for o in measured.measure.series("repeat-victims")] == ["2025-07-02"]
    measured.undo()
    assert records(measured) == before
    c = measured.commitments.commit("lancs-police", "Share hotspot data", due="2026-03-31",
                                    created="2025-01-01")
    measured.commitments.withdraw(c.id, reason="budget cut", date="2025-02-01")
    measured.undo()
    assert measured.commitments.get(c.id).state.value == "open"
    measured.undo()
    assert records(measured) == before


def test_an_undo_can_be_undone(measured):
    measured.partners.add(slug="lancs-fire", name="Lancashire Fire", kind="fire")
    with_fire = records(measured)
    result = measured.undo()
    measured.undo(result.entries[0])  # undo the undo: a redo
    assert records(measured) == with_fire
    assert measured.changes()[0].summary.startswith("redo of change")


def test_undo_walks_back_and_the_partnership_itself_stays(p):
    p.partners.add(slug="a", name="A", kind="police")
    p.update_info(name="Renamed")
    p.undo()
    assert p.info().name == "Test Partnership"
    p.undo()
    assert not p.partners.exists("a")
    before = dump(p)
    with pytest.raises(Conflict, match="nothing left to undo"):
        p.undo()
    assert dump(p) == before


# -- refusals: the database exactly as before ----------------------------------------------

def test_undo_is_refused_when_a_later_change_touched_the_record(measured):
    measured.partners.update("lancs-police", name="Lancs Police")
    first = measured.changes()[0].id
    measured.partners.update("lancs-police", name="Lancashire Police")
    before = dump(measured)
    with pytest.raises(Conflict, match=rf"a later change depends on it \(change {first + 1}.*"
                                       rf"partnership undo --change {first + 1}"):
        measured.undo(first)
    assert dump(measured) == before
    measured.undo()  # the later one first, then the earlier one is free
    measured.undo(first)
    assert measured.partners.get("lancs-police").name == "Lancashire Constabulary"


def test_undo_is_refused_when_later_records_depend_on_it(measured):
    measured.partners.add(slug="lancs-fire", name="Lancashire Fire", kind="fire")
    added = measured.changes()[0].id
    measured.people.add(slug="sam", name="Sam", partner="lancs-fire")
    before = dump(measured)
    with pytest.raises(Conflict, match="later records refer to partner 'lancs-fire'"):
        measured.undo(added)
    assert dump(measured) == before


def test_undo_of_a_remove_is_refused_when_what_it_named_is_gone(measured):
    measured.people.remove("jo-bloggs")
    removal = measured.changes()[0].id
    measured.stakes.remove("fewer-repeat-asb", "lancs-police")
    measured.contributions.remove(1)
    measured.partners.remove("lancs-police")
    before = dump(measured)
    with pytest.raises(Conflict, match="names partner 'lancs-police', which is no longer there"):
        measured.undo(removal)
    assert dump(measured) == before


def test_undo_is_refused_for_counts_only_and_twice(measured, tmp_path):
    before = dump(measured)
    with pytest.raises(NotFound, match="no change '9999'"):
        measured.undo(9999)
    with pytest.raises(ValidationError):
        measured.undo(0)
    assert dump(measured) == before
    # pairings are private: the log holds counts only
    measured.people.add(slug="sam", name="Sam", partner="lancs-council")
    measured.pairs.join("jo-bloggs")
    before = dump(measured)
    with pytest.raises(Conflict, match="counts only"):
        measured.undo()
    assert dump(measured) == before
    # a CSV import logs a count: refused
    path = tmp_path / "obs.csv"
    path.write_text("indicator,date,value\nrepeat-victims,2025-10-01,390\n", encoding="utf-8")
    measured.measure.import_csv(path)
    before = dump(measured)
    with pytest.raises(Conflict, match="'import'.*cannot be undone"):
        measured.undo()
    assert dump(measured) == before
    # already undone
    measured.partners.add(slug="x", name="X", kind="other")
    added = measured.changes()[0].id
    measured.undo()
    before = dump(measured)
    with pytest.raises(Conflict, match=f"already undone by change {added + 1}"):
        measured.undo(added)
    assert dump(measured) == before


def test_undo_is_refused_when_the_record_changed_without_a_log_entry(measured, tmp_path):
    measured.measure.observe("repeat-victims", 390, date="2025-10-01")
    path = tmp_path / "obs.csv"
    path.write_text("indicator,date,value\nrepeat-victims,2025-10-01,389\n", encoding="utf-8")
    measured.measure.import_csv(path, replace=True)  # logged as a count only
    added = measured.changes()[1].id
    before = dump(measured)
    with pytest.raises(Conflict, match="changed since without a log entry"):
        measured.undo(added)
    assert dump(measured) == before


# -- the log --------------------------------------------------------------------------------

def test_each_command_shares_one_command_number(measured):
    measured.measure.add_activity("patrols", partner="lancs-police", outcomes=["fewer-repeat-asb"])
    a, b = measured.changes()[:2]
    assert a.command == b.command == b.id


def test_change_private_is_never_published(measured, tmp_path):
    from partnership.reporting.build import publish

    measured.people.remove("jo-bloggs")
    publish(measured, tmp_path / "public.db")
    conn = sqlite3.connect(tmp_path / "public.db")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "change_private" not in tables
    columns = {r[1] for r in conn.execute("PRAGMA table_info(changes)")}
    assert "data" not in columns
    dumped = "\n".join(conn.iterdump())
    assert "jo@example.org" not in dumped and "01524" not in dumped


# -- the command line -------------------------------------------------------------------------

def test_cli_undo_and_log(small, run, db_path, unchanged):
    small.close()
    assert run("partner", "remove", "lancs-council", "--reason", "typo").exit_code == 1  # has stakes
    r = run("stake", "remove", "fewer-repeat-asb", "lancs-council", "--reason", "by mistake")
    assert r.exit_code == 0, r.output
    log = run("log")
    assert "change" in log.stdout.splitlines()[0] and "(why: by mistake)" in log.stdout
    r = run("undo")
    assert r.exit_code == 0 and "undone change" in r.stderr, r.output
    assert "lancs-council" in run("stake", "list").stdout
    data = json.loads(run("undo", "--json").stdout)
    assert data["undone"] and data["entries"]
    with unchanged(db_path):
        r = run("undo", "--change", "9999")
        assert r.exit_code == 1 and r.stderr.count("\n") == 1 and "Traceback" not in r.output
        assert "no change '9999'" in r.stderr


def test_undo_of_a_need_removed_with_its_gap_state(measured):
    measured.gaps.add_need("fewer-repeat-asb", "youth-outreach", description="Youth outreach",
                           essential=True)
    measured.gaps.seek("fewer-repeat-asb", "youth-outreach", candidate="A youth charity",
                       on="2026-01-10")
    before = records(measured)
    measured.gaps.remove_need("fewer-repeat-asb", "youth-outreach", reason="merged into another")
    assert not measured.gaps.needs.exists("fewer-repeat-asb", "youth-outreach")
    result = measured.undo()
    assert len(result.undone) == 2  # the gap state and the need, one command
    assert records(measured) == before
