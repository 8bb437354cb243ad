"""Step 5: meeting discipline (the rules, the verdict, person-hours), recording, updates."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from partnership.checks import Check, Finding, Severity
from partnership.errors import Conflict, NotFound, ValidationError
from partnership.hookspecs import hookimpl
from partnership.meetings.models import Verdict
from partnership.meetings.service import parse_action
from partnership.meetings.verdict import person_hours


@pytest.fixture
def team(small):
    """The small partnership plus three more people and a second outcome."""
    p = small
    p.people.add(slug="sam-lee", name="Sam Lee", partner="lancs-council")
    p.people.add(slug="ann-marsh", name="Ann Marsh", partner="lancs-council")
    p.people.add(slug="tom-okafor", name="Tom Okafor", partner="lancs-police")
    p.outcomes.add(slug="safer-night-time", title="People feel safe in town at night",
                   beneficiaries="Everyone out at night")
    return p


def propose(p, slug="board", invite="jo-bloggs,sam-lee", minutes=90, **kw):
    return p.meetings.propose(slug, date="2026-02-10", minutes=minutes, invite=invite, **kw)


def rules(check):
    return sorted({f.rule for f in check.findings})


# -- each rule alone ---------------------------------------------------------------------------


def test_a_good_meeting_passes(team):
    propose(team)
    team.meetings.pitch("board", "Agree the funding split", kind="decision",
                        outcome="fewer-repeat-asb", needs="jo-bloggs,sam-lee", by="sam-lee")
    c = team.meetings.check("board")
    assert c.verdict == Verdict.MEET
    assert c.findings == []
    assert c.drop_items == [] and c.drop_invitees == []
    assert c.keep_invitees == ["jo-bloggs", "sam-lee"]
    assert c.summary.startswith("MEET")


def test_information_item_goes_to_an_update(team):
    propose(team)
    team.meetings.pitch("board", "Agree the funding split", kind="decision",
                        outcome="fewer-repeat-asb", needs="jo-bloggs,sam-lee")
    info = team.meetings.pitch("board", "Police quarterly figures", kind="information",
                               outcome="fewer-repeat-asb", by="jo-bloggs")
    c = team.meetings.check("board")
    assert rules(c) == ["information-only"]
    assert c.verdict == Verdict.TRIM
    assert [i["id"] for i in c.drop_items] == [info.id]
    assert c.post_instead[0]["partner"] == "lancs-police"
    assert c.post_instead[0]["command"] == (
        'partnership update post lancs-police "Police quarterly figures" --outcome fewer-repeat-asb')
    # nobody is dropped: the hours stay the same
    assert c.hours_saved == 0


def test_item_without_outcome_is_agenda_stuffing(team):
    propose(team)
    team.meetings.pitch("board", "Agree the funding split", kind="decision",
                        outcome="fewer-repeat-asb", needs="jo-bloggs")
    stuffing = team.meetings.pitch("board", "Christmas lunch", kind="discussion", needs="sam-lee")
    c = team.meetings.check("board")
    assert "agenda-stuffing" in rules(c)
    assert [i["id"] for i in c.drop_items] == [stuffing.id]
    # sam-lee was only needed by the stuffing item, so is not needed either
    assert [d["person"] for d in c.drop_invitees] == ["sam-lee"]
    assert c.verdict == Verdict.TRIM


def test_invitee_needed_by_no_item_is_meat_in_the_room(team):
    propose(team, invite="jo-bloggs,sam-lee,ann-marsh")
    team.meetings.pitch("board", "Agree the funding split", kind="decision",
                        outcome="fewer-repeat-asb", needs="jo-bloggs,sam-lee")
    c = team.meetings.check("board")
    assert rules(c) == ["not-needed"]
    assert c.drop_invitees[0]["person"] == "ann-marsh"
    assert "meat in the room" in c.drop_invitees[0]["why"]
    assert c.verdict == Verdict.TRIM
    assert c.keep_invitees == ["jo-bloggs", "sam-lee"]


def test_the_chair_is_always_needed(team):
    propose(team, invite="jo-bloggs", chair="sam-lee")
    team.meetings.pitch("board", "Agree the funding split", kind="decision",
                        outcome="fewer-repeat-asb", needs="jo-bloggs")
    c = team.meetings.check("board")
    assert c.verdict == Verdict.MEET
    assert c.invitees == 2


def test_no_decision_or_discussion_means_dont_meet(team):
    propose(team)
    team.meetings.pitch("board", "Police quarterly figures", kind="information",
                        outcome="fewer-repeat-asb", by="jo-bloggs")
    c = team.meetings.check("board")
    assert c.verdict == Verdict.DONT_MEET
    assert "nothing-to-meet-about" in rules(c)
    [finding] = [f for f in c.findings if f.rule == "nothing-to-meet-about"]
    assert "Police quarterly figures" in finding.advice
    assert "meeting cancel board" in finding.advice
    assert c.person_hours_after == 0 and c.hours_saved == c.person_hours == 3
    assert c.keep_items == [] and c.keep_invitees == []
    assert [p["title"] for p in c.post_instead] == ["Police quarterly figures"]
    assert c.summary.startswith("DON'T MEET")


def test_empty_agenda_means_dont_meet(team):
    propose(team)
    assert team.meetings.check("board").verdict == Verdict.DONT_MEET


# -- combined ----------------------------------------------------------------------------------


def test_rules_combined_trim(team):
    propose(team, invite="jo-bloggs,sam-lee,ann-marsh,tom-okafor", minutes=120)
    keep = team.meetings.pitch("board", "Task the patrols", kind="decision",
                               outcome="fewer-repeat-asb", needs="jo-bloggs")
    team.meetings.pitch("board", "Figures", kind="information", outcome="fewer-repeat-asb",
                        needs="tom-okafor")
    team.meetings.pitch("board", "Lunch", kind="discussion", needs="ann-marsh")
    c = team.meetings.check("board", hourly_rate="40")
    assert rules(c) == ["agenda-stuffing", "information-only", "not-needed"]
    assert c.verdict == Verdict.TRIM
    assert [i["id"] for i in c.keep_items] == [keep.id]
    assert sorted(d["person"] for d in c.drop_invitees) == ["ann-marsh", "sam-lee", "tom-okafor"]
    # 4 people x 2 hours = 8; after: 1 x 2 = 2; saved 6 person-hours = 240 at 40 an hour
    assert (c.person_hours, c.person_hours_after, c.hours_saved) == (8, 2, 6)
    assert (c.cost, c.cost_after, c.saving) == (320, 80, 240)


def test_rules_combined_dont_meet(team):
    propose(team, invite="jo-bloggs,sam-lee,ann-marsh")
    team.meetings.pitch("board", "Figures", kind="information", outcome="fewer-repeat-asb")
    team.meetings.pitch("board", "Lunch", kind="discussion", needs="ann-marsh")
    c = team.meetings.check("board")
    assert c.verdict == Verdict.DONT_MEET
    assert rules(c) == ["agenda-stuffing", "information-only", "not-needed", "nothing-to-meet-about"]
    assert len(c.drop_invitees) == 3


def test_trim_applies_the_check_and_counts_hours_saved(team, db_path):
    propose(team, invite="jo-bloggs,sam-lee,ann-marsh")
    team.meetings.pitch("board", "Task", kind="decision", outcome="fewer-repeat-asb",
                        needs="jo-bloggs,sam-lee")
    team.meetings.pitch("board", "Figures", kind="information", outcome="fewer-repeat-asb")
    team.meetings.trim("board")
    after = team.meetings.check("board")
    assert after.verdict == Verdict.MEET
    assert after.person_hours == 3
    shown = team.meetings.show("board")
    assert shown["dropped_invitees"] == ["ann-marsh"]
    assert [i["dropped"] for i in shown["agenda"]] == [False, True]


def test_cannot_trim_a_meeting_that_should_not_happen(team):
    propose(team)
    with pytest.raises(Conflict, match="meeting cancel board"):
        team.meetings.trim("board")


# -- arithmetic ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("people", "minutes", "hours"), [
    (8, 90, 12), (1, 60, 1), (3, 20, 1), (7, 45, 5.25), (0, 60, 0), (3, 10, 0.5),
])
def test_person_hours(people, minutes, hours):
    assert person_hours(people, minutes) == hours


def test_check_rejects_a_bad_hourly_rate(team):
    propose(team)
    with pytest.raises(ValidationError, match="hourly rate"):
        team.meetings.check("board", hourly_rate="lots")
    with pytest.raises(ValidationError, match="negative"):
        team.meetings.check("board", hourly_rate=-3)


# -- a plugin rule -------------------------------------------------------------------------------


class LongMeetings:
    """A plugin rule: meetings longer than an hour must be trimmed."""

    @staticmethod
    @hookimpl
    def register_checks(register):
        def too_long(view):
            slug = view.options["meeting"]
            minutes = view.scalar("SELECT minutes FROM meetings WHERE slug = ?", [slug])
            if minutes > 60:
                yield Finding(rule="too-long", subject=f"meeting {slug}",
                              message=f"{minutes} minutes is longer than an hour",
                              advice="cut it to 60 minutes", severity=Severity.WARNING)

        register(Check(name="too-long", description="At most an hour.", scope="meeting",
                       run=too_long))


class NoLunch:
    """A plugin rule that drops agenda items mentioning lunch."""

    @staticmethod
    @hookimpl
    def register_checks(register):
        def lunch(view):
            for r in view.query("SELECT id, title FROM agenda_items WHERE meeting = ?",
                                [view.options["meeting"]]):
                if "lunch" in r["title"].lower():
                    yield Finding(rule="lunch", subject=f"item {r['id']}", message="not lunch again")

        register(Check(name="no-lunch", description="No lunch talk.", scope="meeting", run=lunch))


def test_plugin_meeting_rule_turns_meet_into_trim(team):
    propose(team)
    team.meetings.pitch("board", "Agree", kind="decision", outcome="fewer-repeat-asb",
                        needs="jo-bloggs,sam-lee")
    assert team.meetings.check("board").verdict == Verdict.MEET
    pm = team.plugin_manager
    pm.register(LongMeetings, name="long-meetings")
    try:
        c = team.meetings.check("board")
        assert c.verdict == Verdict.TRIM
        [f] = [f for f in c.findings if f.rule == "too-long"]
        assert f.plugin == "long-meetings"
        # meeting rules are not partnership checks
        assert "too-long" not in {f.rule for f in team.check()}
    finally:
        pm.unregister(name="long-meetings")
    assert team.meetings.check("board").verdict == Verdict.MEET


def test_plugin_rule_dropping_an_item_drops_who_it_needed(team):
    propose(team, invite="jo-bloggs,sam-lee,ann-marsh")
    team.meetings.pitch("board", "Agree", kind="decision", outcome="fewer-repeat-asb",
                        needs="jo-bloggs,sam-lee")
    lunch = team.meetings.pitch("board", "Lunch rota", kind="discussion",
                                outcome="fewer-repeat-asb", needs="ann-marsh")
    assert team.meetings.check("board").verdict == Verdict.MEET
    team.plugin_manager.register(NoLunch, name="no-lunch")
    try:
        c = team.meetings.check("board")
        assert c.verdict == Verdict.TRIM
        assert [i["id"] for i in c.drop_items] == [lunch.id]
        assert [d["person"] for d in c.drop_invitees] == ["ann-marsh"]
    finally:
        team.plugin_manager.unregister(name="no-lunch")


def test_a_failing_plugin_rule_is_a_finding_not_a_crash(team):
    class Broken:
        @staticmethod
        @hookimpl
        def register_checks(register):
            register(Check(name="broken", description="x", scope="meeting",
                           run=lambda view: [1 / 0]))

    propose(team)
    team.meetings.pitch("board", "Agree", kind="decision", outcome="fewer-repeat-asb",
                        needs="jo-bloggs,sam-lee")
    team.plugin_manager.register(Broken, name="broken")
    try:
        c = team.meetings.check("board")
        assert "check-failed" in rules(c)
        assert c.verdict == Verdict.MEET
    finally:
        team.plugin_manager.unregister(name="broken")


# -- recording -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "owner", "what", "due"), [
    ("sam-lee: draft MoU by 2026-03-01", "sam-lee", "draft MoU", dt.date(2026, 3, 1)),
    ("jo-bloggs:send the figures", "jo-bloggs", "send the figures", None),
    ("  sam-lee :  stand by the plan by 2026-04-30 ", "sam-lee", "stand by the plan",
     dt.date(2026, 4, 30)),
])
def test_parse_action(text, owner, what, due):
    assert parse_action(text) == {"owner": owner, "what": what, "due": due}


@pytest.mark.parametrize("text", ["draft MoU by 2026-03-01", "Sam Lee: draft MoU", ": draft", ""])
def test_action_without_owner_is_refused(text):
    with pytest.raises(ValidationError, match="OWNER: what"):
        parse_action(text)


def test_action_with_a_bad_date_is_refused():
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        parse_action("sam-lee: draft MoU by 2026-02-30")


def test_record_a_meeting(team):
    propose(team)
    team.meetings.pitch("board", "Agree", kind="decision", outcome="fewer-repeat-asb",
                        needs="jo-bloggs,sam-lee")
    shown = team.meetings.record("board", attended="jo-bloggs,sam-lee",
                                 decisions=["Fund the outreach 60/40"],
                                 actions=["sam-lee: draft MoU by 2026-03-01",
                                          "jo-bloggs: share the figures"])
    assert shown["status"] == "held"
    assert shown["attendance"] == ["jo-bloggs", "sam-lee"]
    assert shown["decisions"] == ["Fund the outreach 60/40"]
    assert [(a["owner"], a["what"], a["due"]) for a in shown["actions"]] == [
        ("sam-lee", "draft MoU", "2026-03-01"), ("jo-bloggs", "share the figures", None)]
    summary = team.meetings.summaries()[0]
    assert summary["attended"] == 2 and summary["person_hours"] == 3
    logged = {c.entity for c in team.changes()}
    assert {"attendance", "decision", "action", "meeting"} <= logged
    with pytest.raises(Conflict, match="already held"):
        team.meetings.record("board", attended="jo-bloggs")
    assert "not-proposed" in rules(team.meetings.check("board"))
    with pytest.raises(Conflict, match="already held"):
        team.meetings.pitch("board", "Late item", outcome="fewer-repeat-asb")


def test_actions_become_real_commitments(team, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", "2026-02-20")
    propose(team)
    team.meetings.pitch("board", "Agree", kind="decision", outcome="fewer-repeat-asb",
                        needs="jo-bloggs,sam-lee")
    shown = team.meetings.record("board", attended="jo-bloggs,sam-lee",
                                 actions=["sam-lee: draft MoU by 2026-03-01",
                                          "jo-bloggs: share the figures"])
    # only the action with a date becomes a commitment, of the owner's partner
    assert [a["commitment"] for a in shown["actions"]] == [1, None]
    assert team.commitments.count() == 1
    ident = shown["actions"][0]["commitment"]
    made = team.commitments.get(ident)
    assert (made.partner, made.owner, made.what, made.due, made.outcome, made.created) == (
        "lancs-council", "sam-lee", "draft MoU", dt.date(2026, 3, 1), "fewer-repeat-asb",
        dt.date(2026, 2, 10))


def test_commitments_roll_back_with_a_bad_recording(team, db_path, unchanged, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", "2026-02-20")
    propose(team)
    with unchanged(db_path):
        with pytest.raises(NotFound, match="person 'nobody'"):
            team.meetings.record("board", attended="jo-bloggs",
                                 actions=["sam-lee: draft MoU by 2026-03-01",
                                          "nobody: do it by 2026-03-02"])
    assert team.meetings.get("board").status.value == "proposed"
    assert team.store.query("SELECT count(*) AS n FROM commitments")[0]["n"] == 0
    assert not [c for c in team.changes() if c.entity == "commitment"]


# -- updates -----------------------------------------------------------------------------------------


def test_updates_since_a_meeting(team):
    propose(team)
    team.meetings.pitch("board", "Agree", kind="decision", outcome="fewer-repeat-asb",
                        needs="jo-bloggs,sam-lee")
    team.meetings.record("board", attended="jo-bloggs,sam-lee")
    team.updates.post("lancs-police", "Before the board", outcome="fewer-repeat-asb",
                      date="2026-02-01")
    team.updates.post("lancs-police", "Hotspot patrols started in Skerton",
                      outcome="fewer-repeat-asb", date="2026-02-12", author="jo-bloggs")
    team.updates.post("lancs-council", "Taxi marshals funded", outcome="safer-night-time",
                      date="2026-02-20")
    data = team.updates.since("board")
    assert data["meeting"] == "board" and data["since"] == "2026-02-10"
    assert [u["text"] for u in data["updates"]] == ["Taxi marshals funded",
                                                     "Hotspot patrols started in Skerton"]
    assert all(c["entity"] != "update" for c in data["changes"])
    # by default: since the last meeting held
    assert team.updates.since()["meeting"] == "board"
    assert len(team.updates.since("2026-01-01")["updates"]) == 3
    assert len(team.updates.since(dt.date(2026, 2, 13))["updates"]) == 1


def test_updates_without_a_held_meeting_list_everything(team):
    team.updates.post("lancs-police", "News", outcome="fewer-repeat-asb", date="2026-02-01")
    data = team.updates.since()
    assert data["since"] is None and len(data["updates"]) == 1


def test_update_defaults_to_today(team, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", "2026-05-04")
    posted = team.updates.post("lancs-police", "News", outcome="fewer-repeat-asb")
    assert posted.date == dt.date(2026, 5, 4)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"partner": "lancs-polise"}, "did you mean 'lancs-police'"),
    ({"outcome": "nope"}, "no outcome 'nope'"),
    ({"text": "   "}, "must not be empty"),
    ({"text": "x" * 2001}, "keep it short"),
    ({"author": "sam-lee"}, "works for lancs-council"),
    ({"date": "2026-13-01"}, "YYYY-MM-DD"),
])
def test_bad_updates(team, kwargs, match):
    args = {"partner": "lancs-police", "text": "News", "outcome": "fewer-repeat-asb", **kwargs}
    with pytest.raises((ValidationError, NotFound), match=match):
        team.updates.post(args.pop("partner"), args.pop("text"), **args)


def test_bad_since(team):
    with pytest.raises(NotFound, match="no meeting 'board'"):
        team.updates.since("board")
    with pytest.raises(ValidationError, match="meeting's slug or a date"):
        team.updates.since("last week")


# -- bad input -------------------------------------------------------------------------------------


def test_pitch_for_unknown_meeting(team):
    propose(team, slug="board-2026-02")
    with pytest.raises(NotFound, match="did you mean 'board-2026-02'"):
        team.meetings.pitch("board-2026-03", "Agree", outcome="fewer-repeat-asb")


def test_needed_person_not_invited_offers_to_invite(team):
    propose(team, invite="jo-bloggs")
    with pytest.raises(ValidationError,
                       match="partnership meeting invite board sam-lee"):
        team.meetings.pitch("board", "Agree", outcome="fewer-repeat-asb", needs="jo-bloggs,sam-lee")
    assert team.meetings.items.count() == 0
    assert team.meetings.invite("board", "sam-lee") == ["sam-lee"]
    team.meetings.pitch("board", "Agree", outcome="fewer-repeat-asb", needs="jo-bloggs,sam-lee")


def test_cannot_uninvite_someone_an_item_needs(team):
    propose(team)
    item = team.meetings.pitch("board", "Agree", outcome="fewer-repeat-asb", needs="sam-lee")
    with pytest.raises(Conflict, match=f"needed by agenda item #{item.id} "):
        team.meetings.uninvite("board", "sam-lee")
    team.meetings.drop_item(item.id)
    team.meetings.uninvite("board", "sam-lee")


def test_needed_person_dropped_is_not_invited(team):
    propose(team)
    team.meetings.uninvite("board", "sam-lee")
    with pytest.raises(ValidationError, match="not invited"):
        team.meetings.pitch("board", "Agree", outcome="fewer-repeat-asb", needs="sam-lee")
    assert team.meetings.invite("board", "sam-lee") == ["sam-lee"]
    assert team.meetings.invite("board", "sam-lee") == []


def test_unknown_people_get_a_did_you_mean(team):
    with pytest.raises(NotFound, match="did you mean 'sam-lee'"):
        propose(team, invite="jo-bloggs,sam-le")
    assert team.meetings.list() == []


def test_record_a_meeting_never_proposed(team):
    with pytest.raises(NotFound, match="propose it first"):
        team.meetings.record("board", attended="jo-bloggs")


@pytest.mark.parametrize(("minutes", "match"), [
    (-30, "positive number of minutes"), (0, "positive number of minutes"),
    ("ninety", "whole number"), (2000, "longer than a day"), ("-5", "positive"),
])
def test_bad_length(team, minutes, match):
    with pytest.raises(ValidationError, match=match):
        propose(team, minutes=minutes)


def test_duplicate_meeting(team):
    propose(team)
    with pytest.raises(Exception, match="already exists"):
        propose(team)


def test_cancel(team):
    propose(team)
    team.meetings.cancel("board", "posted updates instead")
    assert team.meetings.get("board").status.value == "cancelled"
    with pytest.raises(Conflict):
        team.meetings.cancel("board")
    with pytest.raises(Conflict):
        team.meetings.invite("board", "ann-marsh")


# -- the command line -------------------------------------------------------------------------------


@pytest.fixture
def cli_team(team, run, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", "2026-02-01")
    team.close()
    assert run("meeting", "propose", "board", "--date", "2026-02-10", "--minutes", "90",
               "--invite", "jo-bloggs,sam-lee,ann-marsh").exit_code == 0
    return run


def test_cli_the_issue_walkthrough(cli_team, db_path):
    run = cli_team
    r = run("agenda", "pitch", "board", "Agree the youth outreach funding split", "--kind",
            "decision", "--outcome", "fewer-repeat-asb", "--needs", "jo-bloggs,sam-lee",
            "--by", "sam-lee")
    assert r.exit_code == 0, r.output
    assert "pitched item #1" in r.stderr
    assert run("agenda", "pitch", "board", "Police quarterly figures", "--kind", "information",
               "--outcome", "fewer-repeat-asb").exit_code == 0
    r = run("meeting", "check", "board", "--hourly-rate", "30")
    assert r.exit_code == 1
    assert r.stdout.startswith("TRIM  board")
    assert "meat in the room" in r.stdout and "Police quarterly figures" in r.stdout
    assert "4.5 person-hours" in r.stdout  # 3 invitees x 90 minutes
    data = json.loads(run("meeting", "check", "board", "--json").stdout)
    assert data["verdict"] == "TRIM"
    assert data["person_hours"] == 4.5 and data["person_hours_after"] == 3
    assert {f["rule"] for f in data["findings"]} == {"information-only", "not-needed"}
    assert run("meeting", "trim", "board").exit_code == 0
    r = run("meeting", "check", "board")
    assert r.exit_code == 0 and r.stdout.startswith("MEET")
    r = run("meeting", "record", "board", "--attended", "jo-bloggs,sam-lee", "--decision",
            "Split 60/40", "--action", "sam-lee: draft MoU by 2026-03-01")
    assert r.exit_code == 0, r.output
    assert "1 decision, 1 action" in r.stderr
    r = run("update", "post", "lancs-police", "Hotspot patrols started in Skerton", "--outcome",
            "fewer-repeat-asb", "--date", "2026-02-11")
    assert r.exit_code == 0
    data = json.loads(run("updates", "--since", "board", "--json").stdout)
    assert [u["text"] for u in data["updates"]] == ["Hotspot patrols started in Skerton"]
    assert data["meeting"] == "board"
    r = run("updates")
    assert "since board (2026-02-10)" in r.stdout and "Hotspot patrols" in r.stdout
    listed = json.loads(run("meeting", "list", "--json").stdout)
    assert listed[0]["status"] == "held" and listed[0]["person_hours"] == 3
    shown = json.loads(run("meeting", "show", "board", "--json").stdout)
    assert shown["dropped_invitees"] == ["ann-marsh"]
    assert shown["actions"][0]["due"] == "2026-03-01"
    assert "action: sam-lee: draft MoU by 2026-03-01" in run("meeting", "show", "board").stdout
    assert "board" in run("meeting", "list").stdout


def test_cli_dont_meet_and_cancel(cli_team):
    run = cli_team
    run("agenda", "pitch", "board", "Figures", "--kind", "information", "--outcome",
        "fewer-repeat-asb", "--by", "jo-bloggs")
    r = run("meeting", "check", "board")
    assert r.exit_code == 1 and r.stdout.startswith("DON'T MEET")
    assert 'partnership update post lancs-police "Figures" --outcome fewer-repeat-asb' in r.stdout
    assert run("meeting", "cancel", "board", "--reason", "updates instead").exit_code == 0
    assert json.loads(run("meeting", "show", "board", "--json").stdout)["status"] == "cancelled"


def test_cli_invite_uninvite_and_drop(cli_team):
    run = cli_team
    assert run("meeting", "invite", "board", "tom-okafor").exit_code == 0
    assert run("meeting", "uninvite", "board", "ann-marsh").exit_code == 0
    run("agenda", "pitch", "board", "Agree", "--outcome", "fewer-repeat-asb")
    assert run("agenda", "drop", "1").exit_code == 0
    shown = json.loads(run("meeting", "show", "board", "--json").stdout)
    assert shown["invited"] == ["jo-bloggs", "sam-lee", "tom-okafor"]
    assert shown["agenda"][0]["dropped"] is True


@pytest.mark.parametrize(("args", "message"), [
    (("agenda", "pitch", "bored", "Agree", "--outcome", "fewer-repeat-asb"),
     "no meeting 'bored' in this partnership; did you mean 'board'?"),
    (("agenda", "pitch", "board", "Agree", "--outcome", "fewer-repeat-asb", "--needs", "tom-okafor"),
     "invite them with 'partnership meeting invite board tom-okafor'"),
    (("meeting", "record", "board-2026-09", "--attended", "jo-bloggs"),
     "propose it first with 'partnership meeting propose'"),
    (("meeting", "propose", "other", "--date", "2026-02-10", "--minutes", "-90"),
     "minutes must be a positive number of minutes"),
    (("meeting", "record", "board", "--attended", "jo-bloggs", "--action", "draft the MoU"),
     "action 'draft the MoU' has no owner"),
    (("meeting", "propose", "other", "--date", "10/02/2026", "--minutes", "60"), "YYYY-MM-DD"),
    (("agenda", "pitch", "board", "Agree", "--kind", "gossip"), "decision, discussion, information"),
    (("update", "post", "lancs-police", "News", "--outcome", "nope"), "no outcome 'nope'"),
    (("updates", "--since", "nope"), "no meeting 'nope'"),
    (("meeting", "check", "board", "--hourly-rate", "abc"), "hourly rate"),
    (("meeting", "uninvite", "board", "tom-okafor"), "no invitee 'tom-okafor'"),
    (("agenda", "drop", "99"), "no agenda item '99'"),
])
def test_cli_bad_input(cli_team, db_path, unchanged, args, message):
    with unchanged(db_path):
        r = cli_team(*args)
    assert r.exit_code == 1, r.output
    assert message in r.stderr
    assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1
    assert "Traceback" not in r.output


# -- publishing, import/export, the demo --------------------------------------------------------------


def test_export_import_round_trip(team, tmp_path, migrated_template):
    import shutil

    import partnership
    from partnership.exchange import apply, export_data, plan

    propose(team, invite="jo-bloggs,sam-lee,ann-marsh")
    team.meetings.pitch("board", "Agree", kind="decision", outcome="fewer-repeat-asb",
                        needs="jo-bloggs,sam-lee")
    team.meetings.uninvite("board", "ann-marsh")
    team.meetings.record("board", attended="jo-bloggs,sam-lee", decisions=["Yes"],
                         actions=["sam-lee: draft MoU by 2026-03-01"])
    team.updates.post("lancs-police", "News", outcome="fewer-repeat-asb", date="2026-02-11")
    data = export_data(team)
    assert len(data["agenda_needs"]) == 2 and len(data["updates"]) == 1
    shutil.copyfile(migrated_template, tmp_path / "copy.db")  # the schema, pre-built
    with partnership.create(tmp_path / "copy.db", name="Copy") as copy:
        info, sections = plan(data, "export")
        apply(copy, info, sections, "export")
        # importing the same file twice changes nothing
        counts = apply(copy, *plan(data, "export"), "export")
        assert all(c["added"] == c["updated"] == 0 for c in counts.values())
        assert export_data(copy)["meetings"] == data["meetings"]
        assert copy.meetings.show("board") == team.meetings.show("board")


def test_demo_has_the_three_verdicts(demo_path):
    import partnership

    with partnership.open(demo_path) as p:
        verdicts = {s: p.meetings.check(s).verdict for s in
                    ("board-2026-03", "tasking-2026-03", "forum-2026-03")}
        assert verdicts == {"board-2026-03": Verdict.MEET, "tasking-2026-03": Verdict.TRIM,
                            "forum-2026-03": Verdict.DONT_MEET}
        assert len(p.updates.list()) >= 5
        assert p.meetings.get("board-2026-01").status.value == "held"


def test_public_views(demo_path, tmp_path):
    import partnership
    from partnership.plugins import default_registry

    PUBLIC_VIEWS = {d.name for d in default_registry().public if getattr(d, 'kind', '') == 'view'}
    public_tables = lambda: {d.name for d in default_registry().public  # noqa: E731
                             if getattr(d, 'copy', None) is not None}
    from partnership.reporting.build import publish

    assert {"meeting_hours", "meeting_totals"} <= set(PUBLIC_VIEWS)
    assert {"meetings", "invitees", "agenda_items", "updates"} <= set(public_tables())
    with partnership.open(demo_path) as p:
        publish(p, tmp_path / "public.db", metadata_out=False)
    conn = sqlite3.connect(tmp_path / "public.db")
    conn.row_factory = sqlite3.Row
    totals = dict(conn.execute("SELECT * FROM meeting_totals").fetchone())
    # held: the January board, 5 attended x 90 min; avoided: the catch-up, 6 x 60 min
    assert totals == {"meetings_held": 1, "meetings_avoided": 1, "decisions_made": 2,
                      "person_hours_spent": 7.5, "person_hours_saved": 6.0, "updates_posted": 10}
    held = dict(conn.execute("SELECT * FROM meeting_hours WHERE meeting = 'board-2026-01'").fetchone())
    assert held["attended"] == 5 and held["decisions"] == 2 and held["actions"] == 3
    feed = conn.execute("SELECT count(*) FROM latest_updates WHERE kind = 'update'").fetchone()[0]
    assert feed == 10  # the demo's 8, and 2 partners sent through the inbox
    columns = {r[1] for r in conn.execute("PRAGMA table_info(people)")}
    assert "email" not in columns


def test_removing_someone_still_invited_is_refused_with_a_sentence(cli_team, db_path, unchanged):
    with unchanged(db_path):
        r = cli_team("person", "remove", "ann-marsh")
    assert r.exit_code == 1
    assert "still used by 1 invitees" in r.stderr
