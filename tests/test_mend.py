"""Mistakes mended (issue 16): correct and remove with a reason, plausible figures only
(unless confirmed) on every path, agreed withdrawals left out of the ledger, meetings in
``check --step 5``, and every threshold of every rule in the README's rule table.

Every refused command leaves the database exactly as it was."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

import partnership
from partnership.errors import AlreadyExists, Conflict, NotFound, ValidationError
from partnership.measurement.service import PLAUSIBLE_MARGIN, Seen

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def dump(p) -> str:
    return "\n".join(p.store.conn.iterdump())


@pytest.fixture
def measured(small):
    small._clock = lambda: dt.date(2026, 2, 12)
    small.measure.add_indicator(
        "repeat-victims", outcome="fewer-repeat-asb", unit="people", direction="down",
        baseline=412, baseline_date="2025-04-01", target=330, target_date="2027-03-31")
    small.measure.observe("repeat-victims", 398, date="2025-07-01", source="Police.uk quarterly",
                          note="first figure")
    return small


# -- plausibility ---------------------------------------------------------------------------

def test_the_margin_is_the_documented_one():
    seen = Seen(330, 412)
    width = 412 - 330
    low, high = 330 - PLAUSIBLE_MARGIN * width, 412 + PLAUSIBLE_MARGIN * width
    assert seen.problem("x", low) is None and seen.problem("x", high) is None
    assert seen.problem("x", low - 0.01) and seen.problem("x", high + 0.01)
    # a narrow range: a tenth of the largest figure is the width instead
    narrow = Seen(999, 1000)
    assert narrow.problem("x", 1000 + PLAUSIBLE_MARGIN * 100) is None
    assert narrow.problem("x", 1000 + PLAUSIBLE_MARGIN * 100 + 1)
    # the README states the margin and the worked example the code gives
    assert "twice the width of that range" in README and PLAUSIBLE_MARGIN == 2
    assert f"anything from {low:g} to {high:g} is taken" in README


def test_an_implausible_figure_is_refused_unless_confirmed(measured):
    before = dump(measured)
    with pytest.raises(ValidationError, match=r"implausible figure: repeat-victims = 1e\+09 .*--confirm"):
        measured.measure.observe("repeat-victims", "1e9", date="2025-10-01")
    with pytest.raises(ValidationError, match="implausible"):
        measured.measure.observe("repeat-victims", -5000, date="2025-10-01")
    with pytest.raises(ValidationError, match="implausible"):  # --replace too
        measured.measure.observe("repeat-victims", 3980, date="2025-07-01", replace=True)
    assert dump(measured) == before
    measured.measure.observe("repeat-victims", 1e9, date="2025-10-01", confirm=True)
    assert measured.measure.series("repeat-victims")[-1].value == 1e9
    # correcting the typo: the figure being corrected does not count as seen
    measured.measure.correct_observation("repeat-victims", "2025-10-01", value=390, reason="typo")
    assert measured.measure.series("repeat-victims")[-1].value == 390


def test_a_plausible_figure_grows_what_is_seen(measured):
    measured.measure.observe("repeat-victims", 550, date="2025-10-01")  # within the margin
    measured.measure.observe("repeat-victims", 700, date="2026-01-01")  # within it now


def test_csv_rows_are_reported_not_silently_taken(measured, tmp_path):
    path = tmp_path / "obs.csv"
    path.write_text("indicator,date,value\nrepeat-victims,2025-10-01,390\n"
                    "repeat-victims,2026-01-01,3710\n", encoding="utf-8")
    from partnership.errors import ImportFileError

    before = dump(measured)
    with pytest.raises(ImportFileError) as err:
        measured.measure.import_csv(path)
    assert err.value.problems[0].startswith("line 3: implausible figure: repeat-victims = 3710")
    assert dump(measured) == before
    result = measured.measure.import_csv(path, skip_bad=True, reject_path=tmp_path / "r.csv")
    assert (result.imported, result.rejected) == (1, 1)
    assert "implausible" in (tmp_path / "r.csv").read_text(encoding="utf-8")
    path.write_text("indicator,date,value\nrepeat-victims,2026-01-01,3710\n", encoding="utf-8")
    assert measured.measure.import_csv(path, confirm=True).imported == 1


def test_cli_observe_1e9_is_refused(measured, run, db_path, unchanged, tmp_path):
    measured.close()
    with unchanged(db_path):
        r = run("observe", "repeat-victims", "1e9", "--date", "2025-10-01")
        assert r.exit_code == 1 and r.stderr.count("\n") == 1 and "Traceback" not in r.output
        assert "implausible figure" in r.stderr and "--confirm" in r.stderr
        bad = tmp_path / "bad.csv"
        bad.write_text("indicator,date,value\nrepeat-victims,2025-10-01,1e9\n", encoding="utf-8")
        r = run("observe", "--csv", str(bad))
        assert r.exit_code == 1 and "implausible" in r.stderr and "Traceback" not in r.output
    assert run("observe", "--csv", str(bad), "--confirm").exit_code == 0
    r = run("observe", "repeat-victims", "2e9", "--date", "2025-11-01", "--confirm")
    assert r.exit_code == 0, r.output


# -- correct and remove observations ---------------------------------------------------------------

def test_correct_changes_only_what_is_given(measured):
    obs = measured.measure.correct_observation("repeat-victims", "2025-07-01", value=397,
                                               reason="typo in the police return")
    assert (obs.value, obs.source, obs.note) == (397, "Police.uk quarterly", "first figure")
    entry = measured.changes()[0]
    assert entry.action == "correct" and entry.data["before"] == {"value": 398.0}
    assert entry.data["before_row"] == {"indicator": "repeat-victims", "date": "2025-07-01",
                                        "value": 398.0, "source": "Police.uk quarterly",
                                        "note": "first figure"}
    assert entry.data["why"] == "typo in the police return"
    # --replace keeps the source and note unless new ones are given
    measured.measure.observe("repeat-victims", 396, date="2025-07-01", replace=True)
    kept = measured.measure.series("repeat-victims")[0]
    assert (kept.source, kept.note) == ("Police.uk quarterly", "first figure")
    moved = measured.measure.correct_observation("repeat-victims", "2025-07-01",
                                                 new_date="2025-07-02", reason="wrong day")
    assert moved.date == dt.date(2025, 7, 2) and moved.source == "Police.uk quarterly"


def test_correct_and_remove_refusals_leave_the_file_alone(measured):
    measured.measure.observe("repeat-victims", 390, date="2025-10-01")
    before = dump(measured)
    with pytest.raises(ValidationError, match="say what to correct"):
        measured.measure.correct_observation("repeat-victims", "2025-07-01", reason="x")
    with pytest.raises(ValidationError, match="already has those values"):
        measured.measure.correct_observation("repeat-victims", "2025-07-01", value=398, reason="x")
    with pytest.raises(NotFound, match="did you mean '2025-07-01'"):
        measured.measure.correct_observation("repeat-victims", "2025-07-02", value=1, reason="x")
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        measured.measure.remove_observation("repeat-victims", "1/7/2025", reason="x")
    with pytest.raises(AlreadyExists):
        measured.measure.correct_observation("repeat-victims", "2025-07-01", new_date="2025-10-01")
    with pytest.raises(ValidationError, match="in the future"):
        measured.measure.correct_observation("repeat-victims", "2025-07-01", new_date="2030-01-01")
    assert dump(measured) == before
    removed = measured.measure.remove_observation("repeat-victims", "2025-07-01", reason="duplicate")
    assert removed.value == 398
    entry = measured.changes()[0]
    assert entry.action == "remove" and entry.data["value"] == 398 and entry.data["why"] == "duplicate"


def test_cli_observation_correct_and_remove(measured, run, db_path, unchanged):
    measured.close()
    with unchanged(db_path):
        r = run("observation", "correct", "repeat-victims", "2025-07-01", "--value", "397")
        assert r.exit_code == 2 and "--reason" in r.output  # the reason is required
        r = run("observation", "correct", "repeat-victims", "2025-07-01", "--value", "3970",
                "--reason", "typo")
        assert r.exit_code == 1 and "implausible" in r.stderr
    r = run("observation", "correct", "repeat-victims", "2025-07-01", "--value", "397",
            "--reason", "typo")
    assert r.exit_code == 0 and "now 397" in r.stderr, r.output
    r = run("observation", "remove", "repeat-victims", "2025-07-01", "--reason", "not ours")
    assert r.exit_code == 0, r.output
    assert "(why: not ours)" in run("log").stdout


# -- remove and correct for the other kinds ------------------------------------------------------

def test_activity_story_and_update_can_be_corrected_and_removed(measured):
    m = measured.measure
    m.add_activity("patrols", partner="lancs-police", outcomes=["fewer-repeat-asb"], title="Patrols")
    m.update_activity("patrols", title="Hotspot patrols", reason="clearer")
    assert m.activities.get("patrols").title == "Hotspot patrols"
    measured.measure.update_indicator("repeat-victims", activity="patrols")
    before = dump(measured)
    with pytest.raises(Conflict, match="measured by indicator.*repeat-victims"):
        m.remove_activity("patrols")
    assert dump(measured) == before
    measured.measure.update_indicator("repeat-victims", activity=None)
    m.remove_activity("patrols", reason="recorded twice")
    assert not m.activities.exists("patrols") and m.activity_outcomes.count() == 0
    note = m.add_story("repeat-victims", "Caseworkers help", date="2025-08-01")
    m.correct_story(note.id, text="Named caseworkers help", reason="wording")
    assert m.story("repeat-victims")[0].text == "Named caseworkers help"
    m.remove_story(note.id, reason="duplicate")
    assert m.story("repeat-victims") == []
    up = measured.updates.post("lancs-police", "Patrols started", outcome="fewer-repeat-asb",
                               date="2026-01-12")
    measured.updates.correct(up.id, text="Patrols started in Skerton", reason="where")
    assert measured.updates.collection.get(up.id).text == "Patrols started in Skerton"
    measured.updates.remove(up.id, reason="posted twice")
    assert measured.updates.list() == []


def test_meeting_remove_takes_its_parts_and_spares_a_held_one(measured):
    m = measured.meetings
    measured.people.add(slug="sam-lee", name="Sam Lee", partner="lancs-council")
    m.propose("board", date="2026-03-01", minutes=60, invite="jo-bloggs,sam-lee")
    m.pitch("board", "Agree the review", kind="decision", outcome="fewer-repeat-asb", needs="jo-bloggs")
    with_meeting = dump(measured)
    m.remove("board", reason="proposed twice")
    assert not m.meetings.exists("board") and m.invitees.count() == 0 and m.items.count() == 0
    measured.undo()
    assert dump(measured).replace("\n", "").count("INSERT INTO \"meetings\"") == 1
    assert m.invitees.count() == 2 and m.items.count() == 1 and m.needs.count() == 1
    assert with_meeting.count("agenda_needs") == dump(measured).count("agenda_needs")
    m.record("board", attended="jo-bloggs,sam-lee", decisions=["Agreed"])
    before = dump(measured)
    with pytest.raises(Conflict, match="was held"):
        m.remove("board")
    assert dump(measured) == before


def test_commitment_remove_only_while_open_and_not_due(measured):
    c = measured.commitments.commit("lancs-police", "Share data", due="2026-03-31")
    overdue = measured.commitments.commit("lancs-police", "Late thing", due="2026-01-31",
                                          created="2025-12-01")
    before = dump(measured)
    with pytest.raises(Conflict, match="overdue and counts in the trust ledger"):
        measured.commitments.remove(overdue.id, reason="oops")
    with pytest.raises(ValidationError, match="--reason"):
        measured.commitments.remove(c.id, reason=" ")
    assert dump(measured) == before
    measured.commitments.remove(c.id, reason="recorded twice")
    assert measured.commitments.count() == 1


# -- agreed withdrawals -------------------------------------------------------------------------------

def test_an_agreed_withdrawal_is_not_counted_against_the_partner(measured):
    cs = measured.commitments
    kept = cs.commit("lancs-police", "Share data", due="2026-01-31", created="2025-12-01")
    cs.deliver(kept.id, evidence="done", date="2026-01-20")
    cut = cs.commit("lancs-police", "Fund a caseworker", due="2026-01-31", created="2025-12-01")
    cs.withdraw(cut.id, reason="budget cut", date="2026-01-10")

    def police():
        return next(r for r in cs.ledger() if r["partner"] == "lancs-police")

    assert (police()["kept_rate"], police()["withdrawn_agreed"]) == (0.5, 0)
    before = dump(measured)
    with pytest.raises(ValidationError, match="--reason"):
        cs.agree_withdrawal(cut.id, reason="")
    with pytest.raises(Conflict, match="not withdrawn"):
        cs.agree_withdrawal(kept.id, reason="x")
    assert dump(measured) == before
    cs.agree_withdrawal(cut.id, reason="the board accepted the budget cut")
    row = police()
    assert (row["kept_rate"], row["withdrawn"], row["withdrawn_agreed"]) == (1.0, 1, 1)
    with pytest.raises(Conflict, match="already agreed"):
        cs.agree_withdrawal(cut.id, reason="again")
    # the working database's view agrees with the library (its own clock: today's date)
    view = measured.store.query("SELECT * FROM ledger WHERE partner = 'lancs-police'")[0]
    assert (view["kept_rate"], view["withdrawn_agreed"]) == (1.0, 1)
    # and withdrawing with --agreed at once
    other = cs.commit("lancs-council", "Open a hub", due="2026-03-31")
    cs.withdraw(other.id, reason="site sold", agreed="agreed at the board")
    assert cs.get(other.id).withdrawal_agreed == "agreed at the board"
    with pytest.raises(ValidationError, match="only a withdrawal can be agreed"):
        cs.correct(kept.id, withdrawal_agreed="no")


def test_cli_commitment_agree(measured, run):
    cs = measured.commitments
    c = cs.commit("lancs-police", "Fund a caseworker", due="2026-01-31", created="2025-12-01")
    measured.close()
    run.runner.env = {"PARTNERSHIP_TODAY": "2026-02-12"}
    assert run("commitment", "withdraw", f"C-{c.id}", "--reason", "budget cut").exit_code == 0
    r = run("commitment", "agree", f"C-{c.id}", "--reason", "accepted by the board")
    assert r.exit_code == 0 and "no longer counts against lancs-police" in r.stderr, r.output
    ledger = json.loads(run("ledger", "--json").stdout)["partners"]
    police = next(x for x in ledger if x["partner"] == "lancs-police")
    assert police["withdrawn_agreed"] == 1 and police["kept_rate"] is None


# -- check covers step 5, and the README states every threshold ---------------------------------

def test_check_step_5_reports_a_meeting_that_needs_trimming(measured, run):
    measured.people.add(slug="sam-lee", name="Sam Lee", partner="lancs-council")
    measured.meetings.propose("board", date="2026-03-01", minutes=60, invite="jo-bloggs,sam-lee")
    measured.meetings.pitch("board", "Agree the review", kind="decision", outcome="fewer-repeat-asb",
                            needs="jo-bloggs")
    findings = [f for f in measured.check() if f.step == 5]
    assert [f.rule for f in findings] == ["proposed-meetings"]
    assert "needs trimming: 1 invitee not needed" in findings[0].message
    assert "meeting trim board" in findings[0].advice
    measured.meetings.trim("board")
    assert [f for f in measured.check() if f.step == 5] == []
    measured.close()
    assert json.loads(run("check", "--step", "5", "--json").stdout) == []


def test_check_step_5_on_the_demo(demo_path, run):
    run.db = demo_path
    run.runner.env = {"PARTNERSHIP_TODAY": "2026-03-01"}
    found = {f["subject"]: f["message"] for f in json.loads(run("check", "--step", "5", "--json").stdout)}
    assert "needs trimming" in found["meeting tasking-2026-03"]
    assert "should not happen" in found["meeting forum-2026-03"]
    assert "meeting board-2026-03" not in found  # it passes: nothing to say
    r = run("check", "--step", "5")
    assert "proposed-meetings" in r.stdout and "every check passed" not in r.stdout


def test_every_rule_and_threshold_is_in_the_readme_table(p):
    from partnership.commitments.checks import BAU_MIN, BAU_SHARE
    from partnership.measurement.metrics import AT_RISK_SHARE, FREQUENCY_DAYS

    table = README[README.index("| rule | step |"):]
    table = table[:table.index("\n\n")]
    named = set(re.findall(r"`([a-z-]+)`", table))
    assert {c.name for c in p.checks()} - {"overdue-commitments"} <= named
    assert "overdue-commitment" in named  # the rule's name (its check is overdue-commitments)
    assert {c.name for c in p.checks("meeting")} <= named
    bau = next(line for line in table.splitlines() if "pledging-what-it-would-do-anyway" in line)
    assert f"at least **{BAU_MIN}** commitments" in bau and BAU_SHARE == 0.5 and "more than half" in bau
    stale = next(line for line in table.splitlines() if "`stale-indicator`" in line)
    assert all(f"**{days}**" in stale for days in FREQUENCY_DAYS.values())
    pivot = next(line for line in table.splitlines() if "`pivot`" in line)
    assert f"**{int(AT_RISK_SHARE * 100)}%**" in pivot and "**3**" in pivot


def test_self_assessments_can_be_corrected_and_removed_keeping_who_apart(measured):
    a = measured.assess.add("capacity", now="Few trained", by="jo-bloggs", score=2, date="2026-01-10")
    measured.assess.correct(a.id, score=3, reason="meant 3")
    assert measured.assess.entries.get(a.id).score == 3
    before = dump(measured)
    with pytest.raises(ValidationError):
        measured.assess.correct(a.id, score=9)
    assert dump(measured) == before
    measured.assess.remove(a.id, reason="answered twice")
    entry = measured.changes()[0]
    assert entry.action == "remove" and "by" not in entry.data  # who answered is private
    measured.undo()
    assert measured.assess.entries.get(a.id).by == "jo-bloggs"


def test_cli_correct_and_remove_of_every_kind(measured, run, db_path, unchanged):
    measured.measure.add_activity("patrols", partner="lancs-police", outcomes=["fewer-repeat-asb"])
    note = measured.measure.add_story("repeat-victims", "Caseworkers help", date="2025-08-01")
    up = measured.updates.post("lancs-police", "Patrols started", outcome="fewer-repeat-asb",
                               date="2026-01-12")
    a = measured.assess.add("capacity", now="Few trained", by="jo-bloggs", score=2, date="2026-01-10")
    c = measured.commitments.commit("lancs-police", "Share data", due="2030-03-31")
    measured.meetings.propose("board", date="2026-03-01", minutes=60, invite="jo-bloggs")
    measured.close()
    for args in (("activity", "update", "patrols", "--title", "Hotspot patrols", "--reason", "clearer"),
                 ("story", "correct", note.id, "--text", "Named caseworkers help"),
                 ("update", "correct", up.id, "--text", "Patrols started in Skerton"),
                 ("assess", "correct", a.id, "--score", "3", "--reason", "meant 3"),
                 ("activity", "remove", "patrols", "--reason", "twice"),
                 ("story", "remove", note.id), ("update", "remove", up.id), ("assess", "remove", a.id),
                 ("commitment", "remove", f"C-{c.id}", "--reason", "recorded twice"),
                 ("meeting", "remove", "board"),
                 ("indicator", "remove", "repeat-victims")):  # refused: it has a figure
        r = run(*args)
        assert "Traceback" not in r.output
        if args[:2] == ("indicator", "remove"):
            assert r.exit_code == 1 and r.stderr.count("\n") == 1
        else:
            assert r.exit_code == 0, (args, r.output)
    with unchanged(db_path):
        for args in (("story", "remove", "999"), ("update", "correct", "999", "--text", "x"),
                     ("activity", "remove", "nope"), ("meeting", "remove", "nope"),
                     ("commitment", "remove", "C-999", "--reason", "x"), ("assess", "remove", "999")):
            r = run(*args)
            assert r.exit_code == 1 and r.stderr.count("\n") == 1 and "Traceback" not in r.output, args
    # each was one command: undo walks back through all ten
    for _ in range(10):
        assert run("undo").exit_code == 0
    with partnership.open(db_path) as p:
        assert p.measure.activities.get("patrols").title == "patrols".capitalize()
        assert p.meetings.meetings.exists("board") and p.commitments.count() == 1

