"""The partner inbox through the library and the CLI: links, submissions, the lead's review.

The site itself (a real server, forms, CSRF, the browser) is tested in test_inbox_site.py
and test_inbox_browser.py; here the inbox database is written by ``p.inbox.submit``,
which runs the same checks as the site's forms.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sqlite3
import stat

import pytest

import partnership
from partnership.errors import NotFound, PartnershipError, ValidationError
from partnership.inbox import inboxdb, tokens
from partnership.inbox.kinds import FieldErrors, NotYours

TODAY = "2026-10-31"


@pytest.fixture
def demo(demo_path, monkeypatch):
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY)
    with partnership.open(demo_path) as p:
        yield p
        p.inbox.close()


def own_and_other(p, person):
    """An indicator ``person``'s partner reports, and one it does not."""
    partner = p.people.get(person).partner
    scope = p.inbox.scope()["indicators"]
    mine = sorted({r["slug"] for r in scope if r["partner"] == partner})
    others = sorted({r["slug"] for r in scope} - set(mine))
    # the demo's repeat-victims (about 300 people a quarter) first: the figures below fit it
    if "repeat-victims" in mine:
        mine.remove("repeat-victims")
        mine.insert(0, "repeat-victims")
    return mine, others


def figure(indicator, value, date="2026-10-15", source="Police records", note=""):
    return {"indicator": indicator, "date": date, "value": value, "source": source, "note": note}


def record_of(p):
    """The record's figures and commitments (what the inbox must never change by itself)."""
    return (p.store.query("SELECT * FROM observations ORDER BY indicator, date"),
            p.store.query("SELECT * FROM commitments ORDER BY id"))


# -- links ---------------------------------------------------------------------------------------------

def test_a_link_names_the_person_and_partner_and_expires(demo):
    link = demo.inbox.link("ben-clarke", days=30, base_url="https://inbox.example.org/")
    assert link.startswith("https://inbox.example.org/r/")
    secret = demo.store.query("SELECT secret FROM inbox_secret")[0]["secret"]
    grant = tokens.read(secret, link.rsplit("/", 1)[1])
    assert grant == tokens.Grant(person="ben-clarke", partner="county-police",
                                 expires=dt.date(2026, 11, 30), version=1)
    with pytest.raises(tokens.BadToken, match="forged"):
        tokens.read("another secret", link.rsplit("/", 1)[1])


def test_each_partnership_file_has_its_own_secret(p, tmp_path):
    other = partnership.create(tmp_path / "other.db", name="Other")
    try:
        mine = p.store.query("SELECT secret FROM inbox_secret")[0]["secret"]
        theirs = other.store.query("SELECT secret FROM inbox_secret")[0]["secret"]
        assert len(mine) == 64 and mine != theirs
    finally:
        other.close()


def test_revoking_bumps_the_version_and_links_are_never_logged(demo):
    link = demo.inbox.link("ben-clarke")
    token = link.rsplit("/", 1)[1]
    secret = demo.store.query("SELECT secret FROM inbox_secret")[0]["secret"]
    assert demo.inbox.revoke("ben-clarke") == 2
    with pytest.raises(tokens.BadToken, match="revoked"):
        tokens.verify(secret, token, today=dt.date(2026, 10, 31), version_of=lambda _: 2)
    new = demo.inbox.link("ben-clarke").rsplit("/", 1)[1]
    assert tokens.verify(secret, new, today=dt.date(2026, 10, 31), version_of=lambda _: 2).version == 2
    logged = json.dumps([c.summary for c in demo.changes()] + [c.data for c in demo.changes()])
    assert token not in logged and new not in logged and secret not in logged
    # access is not the public record
    assert not [c for c in demo.changes() if c.action == "revoke" or "inbox link" in c.summary]


@pytest.mark.parametrize("days", [0, -1, 4000, True])
def test_link_days_must_be_sensible(demo, days):
    with pytest.raises(ValidationError, match="days must be"):
        demo.inbox.link("ben-clarke", days=days)


def test_a_link_for_nobody_or_to_a_bad_address_is_refused(demo):
    with pytest.raises(NotFound, match="no person 'nobody'"):
        demo.inbox.link("nobody")
    with pytest.raises(ValidationError, match="web address"):
        demo.inbox.link("ben-clarke", base_url="javascript:alert(1)")


def test_the_secret_and_links_are_never_published_or_exported(demo, tmp_path):
    from partnership.reporting.build import publish

    secret = demo.store.query("SELECT secret FROM inbox_secret")[0]["secret"]
    publish(demo, tmp_path / "public.db")
    data = (tmp_path / "public.db").read_bytes()
    assert secret.encode() not in data
    conn = sqlite3.connect(tmp_path / "public.db")
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert not {"inbox_secret", "inbox_links", "inbox_accepted", "inbox_known"} & names
    assert {"reporting_freshness", "indicator_reporters", "inbox_reporting"} <= names
    conn.close()
    from click.testing import CliRunner

    from partnership.cli import cli

    out = tmp_path / "all.yaml"
    result = CliRunner().invoke(cli, ["--db", demo.store.path, "export", "-o", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert secret not in out.read_text(encoding="utf-8")


# -- submitting ----------------------------------------------------------------------------------------

def test_submit_stores_a_pending_submission_and_nothing_in_the_record(demo):
    mine, _ = own_and_other(demo, "ben-clarke")
    before = record_of(demo)
    number = demo.inbox.submit("ben-clarke", "observation", figure(mine[0], 301))
    assert record_of(demo) == before
    [sub] = demo.inbox.pending()
    assert sub["id"] == number and sub["state"] == "pending" and sub["partner"] == "county-police"
    assert sub["payload"] == {"indicator": mine[0], "date": "2026-10-15", "value": 301.0,
                              "source": "Police records", "note": ""}
    assert sub["changes"].startswith(f"new figure for {mine[0]} on 2026-10-15: 301")
    assert sub["conflict"] is None
    assert stat.S_IMODE(os.stat(demo.inbox.path).st_mode) == 0o600


def test_submit_many_stores_all_or_none(demo):
    from partnership.inbox.service import BatchRefused

    mine, others = own_and_other(demo, "ben-clarke")
    before = demo.inbox.pending(states=inboxdb.STATES)
    batch = [("ben-clarke", "observation", figure(mine[0], 301)),
             ("ben-clarke", "observation", figure(mine[0], 302, date="2026-10-16")),
             ("ben-clarke", "observation", figure(others[0], 5))]
    with pytest.raises(BatchRefused) as caught:
        demo.inbox.submit_many(batch, via="returns")
    assert caught.value.index == 2 and isinstance(caught.value.error, NotYours)
    assert "submission 3 of the batch" in str(caught.value) and "none was stored" in str(caught.value)
    assert demo.inbox.pending(states=inboxdb.STATES) == before
    ids = demo.inbox.submit_many(batch[:2], via="returns")
    assert len(ids) == 2 and ids[0] < ids[1]
    queued = [(s["id"], s["via"]) for s in demo.inbox.pending()]
    assert queued[-2:] == [(ids[0], "returns"), (ids[1], "returns")]


def test_another_partners_indicator_is_refused(demo):
    _, others = own_and_other(demo, "ben-clarke")
    with pytest.raises(NotYours, match="county-police does not report"):
        demo.inbox.submit("ben-clarke", "observation", figure(others[0], 5))
    assert demo.inbox.pending() == []


@pytest.mark.parametrize(("payload", "field", "message"), [
    ({"value": "lots"}, "value", "must be a number"),
    ({"value": "inf"}, "value", "finite number"),
    ({"date": "31/10/2026"}, "date", "YYYY-MM-DD"),
    ({"date": "2026-11-15"}, "date", "in the future"),
    ({"value": ""}, "value", "required"),
    ({"source": "javascript:alert(1)"}, "source", "source"),
])
def test_a_bad_figure_names_its_field_and_stores_nothing(demo, payload, field, message):
    mine, _ = own_and_other(demo, "ben-clarke")
    with pytest.raises(FieldErrors) as caught:
        demo.inbox.submit("ben-clarke", "observation", {**figure(mine[0], 12), **payload})
    assert field in caught.value.fields, caught.value.fields
    assert message in caught.value.fields[field]
    assert isinstance(caught.value, ValidationError)
    assert demo.inbox.pending(states=inboxdb.STATES) == []


def test_unknown_kinds_and_fields_are_refused(demo):
    with pytest.raises(ValidationError, match="no kind of submission 'gossip'"):
        demo.inbox.submit("ben-clarke", "gossip", {})
    with pytest.raises(FieldErrors, match="unknown field"):
        demo.inbox.submit("ben-clarke", "observation", {"indicator": "x", "colour": "red"})


def test_sending_the_same_figure_again_revises_it(demo):
    mine, _ = own_and_other(demo, "ben-clarke")
    first = demo.inbox.submit("ben-clarke", "observation", figure(mine[0], 300))
    again = demo.inbox.submit("ben-clarke", "observation", figure(mine[0], 302))
    assert first == again
    [sub] = demo.inbox.pending()
    assert sub["payload"]["value"] == 302


# -- the lead's review ---------------------------------------------------------------------------------

def test_accept_applies_it_with_both_names_in_the_change_log(demo):
    mine, _ = own_and_other(demo, "ben-clarke")
    before = {r["partner"]: r for r in demo.store.query("SELECT * FROM inbox_reporting")}
    number = demo.inbox.submit("ben-clarke", "observation", figure(mine[0], 301))
    [result] = demo.inbox.accept([number])
    assert result["outcome"] == "accepted"
    obs = demo.measure.observations.get(mine[0], "2026-10-15")
    assert obs.value == 301 and obs.source == "Police records"
    entries = demo.changes(limit=2)
    assert entries[0].action == "accept" and entries[0].actor == "tester"
    assert entries[0].data["submitted_by"] == "ben-clarke" and entries[0].data["accepted_by"] == "tester"
    assert entries[1].entity == "observation" and "ben-clarke" in entries[1].actor
    assert "tester" in entries[1].actor
    assert demo.inbox.pending() == []
    assert demo.inbox.get(number)["state"] == "accepted"
    reporting = {r["partner"]: r for r in demo.store.query("SELECT * FROM inbox_reporting")}
    police = before.get("county-police", {"accepted": 0})
    assert reporting.pop("county-police") == {"partner": "county-police", "last_accepted": TODAY,
                                              "accepted": police["accepted"] + 1}
    before.pop("county-police", None)
    assert reporting == before  # the other partners' reporting is as it was


def test_accepting_twice_changes_nothing(demo):
    mine, _ = own_and_other(demo, "ben-clarke")
    number = demo.inbox.submit("ben-clarke", "observation", figure(mine[0], 301))
    demo.inbox.accept([number])
    count = len(demo.changes())
    [again] = demo.inbox.accept([number])
    assert again["outcome"] == "unchanged"
    assert len(demo.changes()) == count


def test_a_conflict_needs_replace(demo):
    mine, _ = own_and_other(demo, "ben-clarke")
    last = demo.store.query("SELECT date, value FROM observations WHERE indicator = ? ORDER BY date DESC "
                            "LIMIT 1", [mine[0]])[0]
    number = demo.inbox.submit("ben-clarke", "observation", figure(mine[0], last["value"] + 1,
                                                                    date=last["date"]))
    [sub] = demo.inbox.pending()
    assert sub["conflict"] == f"{mine[0]} already has a figure on {last['date']} ({last['value']:g})"
    before = record_of(demo)
    [result] = demo.inbox.accept([number])
    assert result["outcome"] == "conflict" and "--replace" in result["message"]
    assert record_of(demo) == before
    [result] = demo.inbox.accept([number], replace=True)
    assert result["outcome"] == "accepted"
    assert demo.measure.observations.get(mine[0], last["date"]).value == last["value"] + 1


def test_a_commitment_delivered_and_one_withdrawn(demo):
    open_ones = demo.commitments.list(partner="county-police", status="open")
    ref = open_ones[0]["ref"]
    number = demo.inbox.submit("ben-clarke", "commitment-delivered",
                               {"commitment": ref, "delivered_on": "2026-10-20",
                                "evidence": "https://example.org/profile"})
    [sub] = demo.inbox.pending()
    assert sub["changes"] == f"{ref}: open -> delivered" and sub["conflict"] is None
    [result] = demo.inbox.accept([number])
    assert result["outcome"] == "accepted"
    c = demo.commitments.get(ref)
    assert c.state.value == "delivered" and c.delivered_on == dt.date(2026, 10, 20)
    # once delivered it is no longer one the partner can act on
    with pytest.raises(NotYours, match="not an open commitment of county-police"):
        demo.inbox.submit("ben-clarke", "commitment-withdrawn",
                          {"commitment": ref, "withdrawn_on": "2026-10-21", "reason": "x"})


def test_another_partners_commitment_is_refused(demo):
    theirs = [c for c in demo.commitments.list(status="open") if c["partner"] != "county-police"]
    with pytest.raises(NotYours):
        demo.inbox.submit("ben-clarke", "commitment-delivered",
                          {"commitment": theirs[0]["ref"], "delivered_on": "2026-10-20", "evidence": "done"})


def test_reject_returns_it_with_a_reason_and_a_resend_is_pending_again(demo):
    mine, _ = own_and_other(demo, "ben-clarke")
    number = demo.inbox.submit("ben-clarke", "observation", figure(mine[0], 301))
    with pytest.raises(ValidationError, match="--reason"):
        demo.inbox.reject(number, reason=" ")
    demo.inbox.reject(number, reason="That is the September figure")
    assert demo.inbox.pending() == []
    [returned] = demo.inbox.pending(states=["returned"])
    assert returned["reason"] == "That is the September figure"
    [result] = demo.inbox.accept([number])
    assert result["outcome"] == "refused" and "returned" in result["message"]
    assert demo.inbox.submit("ben-clarke", "observation", figure(mine[0], 299)) == number
    [again] = demo.inbox.pending()
    assert again["payload"]["value"] == 299 and again["reason"] == ""


def test_drafts_are_not_accepted(demo):
    mine, _ = own_and_other(demo, "ben-clarke")
    number = demo.inbox.submit("ben-clarke", "observation", figure(mine[0], 301), draft=True)
    assert demo.inbox.pending() == []
    assert demo.inbox.accept(every=True) == []
    [result] = demo.inbox.accept([number])
    assert result["outcome"] == "refused" and "draft" in result["message"]


def test_reporters_default_to_stakeholders_and_can_be_named(demo):
    mine, _ = own_and_other(demo, "ben-clarke")
    indicator = mine[0]
    outcome = demo.measure.indicators.get(indicator).outcome
    stakeholders = sorted(s.partner for s in demo.stakes.list(outcome=outcome))
    assert set(stakeholders) <= set(demo.inbox.reporters(indicator))
    assert demo.inbox.set_reporters(indicator, ["lunesdale-council"]) == ["lunesdale-council"]
    with pytest.raises(NotYours):
        demo.inbox.submit("ben-clarke", "observation", figure(indicator, 5))


# -- the CLI ----------------------------------------------------------------------------------------------

def test_cli_invite_list_accept_and_status(demo_path, monkeypatch):
    from click.testing import CliRunner

    from partnership.cli import cli

    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY)
    runner = CliRunner()

    def run(*args):
        return runner.invoke(cli, ["--db", str(demo_path), *args], catch_exceptions=False)

    invited = run("invite", "ben-clarke", "--url", "https://inbox.example.org")
    assert invited.exit_code == 0 and invited.stdout.startswith("https://inbox.example.org/r/")
    with partnership.open(demo_path) as p:
        mine, _ = own_and_other(p, "ben-clarke")
    sent = run("inbox", "submit", "ben-clarke", "--figure", mine[0], "301", "--date", "2026-10-15")
    assert sent.exit_code == 0, sent.output
    listed = run("inbox", "--json")
    [row] = json.loads(listed.stdout)
    assert row["person"] == "ben-clarke" and row["via"] == "lead" and row["conflict"] is None
    accepted = run("inbox", "accept", "--all")
    assert accepted.exit_code == 0 and f"{row['id']}: accepted" in accepted.stdout
    status = run("status", "--json")
    [found] = [i for o in json.loads(status.stdout)["outcomes"] for i in o["indicators"]
               if i["indicator"] == mine[0]]
    assert (found["latest"], found["latest_date"]) == (301, "2026-10-15")
    assert run("inbox", "accept", "--all").exit_code == 0  # nothing left: fine


def test_cli_errors_are_one_line(demo_path, monkeypatch):
    from click.testing import CliRunner

    from partnership.cli import cli

    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY)
    runner = CliRunner()
    for args, text in [
        (["invite", "nobody"], "no person 'nobody'"),
        (["invite", "--all"], "--all needs --csv FILE"),
        (["inbox", "accept"], "say which"),
        (["inbox", "accept", "banana"], "not a submission id"),
        (["inbox", "accept", "99"], "no submission '99'"),
        (["inbox", "reject", "1", "--reason", "x"], "no submission '1'"),
        (["inbox", "submit", "ben-clarke", "--figure", "repeat-victims", "lots"], "must be a number"),
        (["inbox", "--state", "lost"], "state must be one of"),
    ]:
        result = runner.invoke(cli, ["--db", str(demo_path), *args])
        assert result.exit_code != 0, args
        assert text in result.output, (args, result.output)
        assert "Traceback" not in result.output


def test_cli_invite_all_writes_a_private_mail_merge_file(demo_path, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from partnership.cli import cli

    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY)
    out = tmp_path / "links.csv"
    result = CliRunner().invoke(cli, ["--db", str(demo_path), "invite", "--all", "--csv", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert out.read_bytes().startswith(b"\xef\xbb\xbfperson,name,partner,email,expires,link\r\n")
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    with partnership.open(demo_path) as p:
        people = p.people.list()
        assert [r["person"] for r in rows] == [x.slug for x in people]
        assert [r["email"] for r in rows] == [x.email or "" for x in people]
        assert any(r["email"] for r in rows)
    assert all(r["link"].startswith("http://127.0.0.1:8002/r/") for r in rows)
    again = CliRunner().invoke(cli, ["--db", str(demo_path), "invite", "--all", "--csv", str(out)])
    assert again.exit_code == 1 and "--force" in again.output
    into_db = CliRunner().invoke(cli, ["--db", str(demo_path), "invite", "--all", "--csv", str(demo_path)])
    assert into_db.exit_code == 1 and "working database" in into_db.output


def test_the_mail_merge_file_neutralises_formula_cells(p, tmp_path):
    p.partners.add(slug="acme", name="=HYPERLINK(\"http://evil.example\")", kind="charity")
    p.people.add(slug="eve", name="@SUM(A1)", partner="acme", email="eve@example.org")
    out = tmp_path / "links.csv"
    assert p.inbox.write_links(out) == 1
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    assert rows[0]["name"] == "'@SUM(A1)" and rows[0]["email"] == "eve@example.org"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with pytest.raises(PartnershipError, match="--force"):
        p.inbox.write_links(out)
    with pytest.raises(NotFound):
        p.inbox.write_links(tmp_path / "other.csv", person="nobody")
    assert not (tmp_path / "other.csv").exists()


def test_cli_revoke(demo_path, monkeypatch):
    from click.testing import CliRunner

    from partnership.cli import cli

    result = CliRunner().invoke(cli, ["--db", str(demo_path), "invite", "revoke", "ben-clarke"],
                                catch_exceptions=False)
    assert result.exit_code == 0 and "revoked" in result.output
    with partnership.open(demo_path) as p:
        versions = p.store.query("SELECT version FROM inbox_links WHERE person = 'ben-clarke'")
    assert versions == [{"version": 2}]


# -- a lost or damaged inbox file ---------------------------------------------------------------------

def test_a_deleted_inbox_is_rebuilt_and_says_what_was_lost(demo):
    mine, _ = own_and_other(demo, "ben-clarke")
    kept = demo.inbox.submit("ben-clarke", "observation", figure(mine[0], 301))
    lost = demo.inbox.submit("ben-clarke", "observation", figure(mine[0], 302, date="2026-10-16"))
    demo.inbox.accept([kept])
    demo.inbox.pending()  # the lead looked: #lost was pending
    before = record_of(demo)
    path = demo.inbox.path
    demo.inbox.close()
    path.unlink()
    rebuilt = demo.inbox.prepare()
    assert rebuilt is not None and rebuilt.problem == "missing"
    assert [r["id"] for r in rebuilt.lost] == [lost]
    assert record_of(demo) == before
    # new submissions get new numbers, and the accepted one is still never applied twice
    fresh = demo.inbox.submit("ben-clarke", "observation", figure(mine[0], 303, date="2026-10-17"))
    assert fresh > lost


def test_a_damaged_inbox_is_moved_aside_and_rebuilt(demo):
    mine, _ = own_and_other(demo, "ben-clarke")
    number = demo.inbox.submit("ben-clarke", "observation", figure(mine[0], 301))
    demo.inbox.pending()
    before = record_of(demo)
    path = demo.inbox.path
    demo.inbox.close()
    data = bytearray(path.read_bytes())
    data[0:100] = b"\x00" * 100
    path.write_bytes(bytes(data))
    with pytest.raises(PartnershipError, match="inbox serve"):
        demo.inbox.pending()
    rebuilt = demo.inbox.prepare()
    assert rebuilt is not None and rebuilt.problem.startswith(("damaged", "not an inbox"))
    assert rebuilt.moved_to is not None and rebuilt.moved_to.exists()
    assert [r["id"] for r in rebuilt.lost] == [number]
    assert record_of(demo) == before
    assert demo.inbox.pending() == []


# -- accept killed midway ------------------------------------------------------------------------------

def test_accept_stopped_inside_a_transaction_leaves_that_submission_whole(demo, monkeypatch):
    mine, _ = own_and_other(demo, "ben-clarke")
    first = demo.inbox.submit("ben-clarke", "observation", figure(mine[0], 301))
    second = demo.inbox.submit("ben-clarke", "observation", figure(mine[0], 302, date="2026-10-16"))
    real_log = demo.store.log
    calls = {"n": 0}

    def dies_on_the_second_accept(action, *args, **kwargs):
        if action == "accept":
            calls["n"] += 1
            if calls["n"] == 2:
                raise KeyboardInterrupt  # as if killed after the figure was written
        return real_log(action, *args, **kwargs)

    monkeypatch.setattr(demo.store, "log", dies_on_the_second_accept)
    with pytest.raises(KeyboardInterrupt):
        demo.inbox.accept(every=True)
    monkeypatch.setattr(demo.store, "log", real_log)
    assert demo.measure.observations.exists(mine[0], "2026-10-15")
    assert not demo.measure.observations.exists(mine[0], "2026-10-16")  # all or nothing
    assert demo.store.actor == "tester"
    assert [s["id"] for s in demo.inbox.pending()] == [second]
    results = demo.inbox.accept(every=True)
    assert [(r["id"], r["outcome"]) for r in results] == [(second, "accepted")]
    assert demo.inbox.get(first)["state"] == "accepted"


def test_accept_stopped_after_the_record_committed_is_not_applied_twice(demo, monkeypatch):
    mine, _ = own_and_other(demo, "ben-clarke")
    number = demo.inbox.submit("ben-clarke", "observation", figure(mine[0], 301))

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(inboxdb, "decide", killed)
    with pytest.raises(KeyboardInterrupt):
        demo.inbox.accept([number])
    monkeypatch.undo()
    assert demo.inbox.get(number)["state"] == "pending"  # the inbox file did not hear of it
    count = len(demo.changes())
    [result] = demo.inbox.accept([number])
    assert result["outcome"] == "unchanged"
    assert len(demo.changes()) == count
    assert demo.inbox.get(number)["state"] == "accepted"


def test_a_written_update_is_posted_with_its_author(demo):
    outcome = demo.stakes.list(partner="county-police")[0].outcome
    text = "Hotspot patrols moved to Friday nights after the October review."
    number = demo.inbox.submit("ben-clarke", "update", {"outcome": outcome, "date": "2026-10-20",
                                                        "text": text})
    [sub] = demo.inbox.pending()
    assert sub["changes"] == f"new written update on {outcome} dated 2026-10-20"
    [result] = demo.inbox.accept([number])
    assert result["outcome"] == "accepted"
    [posted] = [u for u in demo.updates.list() if u.text == text]
    assert (posted.partner, posted.author, posted.outcome) == ("county-police", "ben-clarke", outcome)
    with pytest.raises(FieldErrors) as caught:
        demo.inbox.submit("ben-clarke", "update", {"outcome": outcome, "date": "2026-10-20", "text": " "})
    assert "text" in caught.value.fields
    theirs = sorted({o.slug for o in demo.outcomes.list()}
                    - {s.outcome for s in demo.stakes.list(partner="county-police")})
    assert theirs, "the demo has an outcome county-police has no stake in"
    with pytest.raises(NotYours):
        demo.inbox.submit("ben-clarke", "update", {"outcome": theirs[0], "date": "2026-10-20", "text": text})


def test_the_public_site_shows_how_fresh_each_partners_reporting_is(demo, tmp_path, monkeypatch):
    from partnership.reporting.build import publish

    days = {"weekly": 7, "monthly": 31, "quarterly": 92, "annual": 366}
    before = {r["partner"]: r["accepted"] for r in demo.store.query("SELECT * FROM inbox_reporting")}
    number = demo.inbox.submit("ben-clarke", "observation", figure("repeat-victims", 301))
    demo.inbox.accept([number])
    later = "2027-01-10"  # the quarterly figures of 1 October are overdue by then; 15 October is due
    monkeypatch.setenv("PARTNERSHIP_TODAY", later)
    publish(demo, tmp_path / "public.db")
    conn = sqlite3.connect(tmp_path / "public.db")
    conn.row_factory = sqlite3.Row
    rows = {r["partner"]: dict(r) for r in conn.execute("SELECT * FROM reporting_freshness")}
    conn.close()
    assert set(rows) == {x.slug for x in demo.partners.list()}
    today = dt.date.fromisoformat(later)
    for partner, row in rows.items():
        mine = [i for i in demo.inbox.scope()["indicators"] if i["partner"] == partner]
        due_dates = [dt.date.fromisoformat(i["last_date"] or i["baseline_date"])
                     + dt.timedelta(days=days[i["frequency"]]) for i in mine]
        assert row["indicators_reported"] == len(mine), partner
        assert row["figures_overdue"] == sum(d < today for d in due_dates), partner
        assert row["figures_due"] == sum(today <= d <= today + dt.timedelta(days=31) for d in due_dates)
    assert rows["county-police"]["last_accepted_submission"] == TODAY
    assert rows["county-police"]["accepted_submissions"] == before.get("county-police", 0) + 1
    assert rows["bay-health"]["accepted_submissions"] == 0
    assert rows["bay-health"]["last_accepted_submission"] is None
    assert sum(r["figures_overdue"] for r in rows.values()) > 0
    assert rows["county-police"]["figures_overdue"] == rows["county-police"]["indicators_reported"] - 1


def test_an_inbox_file_of_another_partnership_is_never_used(demo, tmp_path, migrated_template):
    import shutil

    number = demo.inbox.submit("ben-clarke", "observation", figure("repeat-victims", 301))
    demo.inbox.close()
    # another partnership whose file sits where this inbox would be found
    other_db = tmp_path / "other.db"
    shutil.copyfile(migrated_template, other_db)
    with partnership.create(other_db, name="Other") as other:
        other.store.conn.execute("UPDATE inbox_secret SET secret = 'another'")
        shutil.copyfile(demo.inbox.path, other.inbox.path)
        with pytest.raises(PartnershipError, match="another partnership file"):
            other.inbox.pending()
        rebuilt = other.inbox.prepare()
        assert rebuilt is not None and rebuilt.problem == "the inbox of another partnership file"
        assert other.inbox.pending() == []
    assert [s["id"] for s in demo.inbox.pending()] == [number]


def test_an_agenda_item_for_a_meeting_being_planned(demo):
    demo.meetings.propose("board-2026-11", date="2026-11-20", minutes=90, invite=["ben-clarke"])
    outcome = demo.stakes.list(partner="county-police")[0].outcome
    with pytest.raises(FieldErrors) as caught:
        demo.inbox.submit("ben-clarke", "agenda-item", {"meeting": "no-such-meeting", "title": "x"})
    assert "meeting" in caught.value.fields
    with pytest.raises(FieldErrors) as caught:
        demo.inbox.submit("ben-clarke", "agenda-item", {"meeting": "board-2026-11", "title": "Patrols",
                                                        "item_kind": "gossip"})
    assert "item_kind" in caught.value.fields
    number = demo.inbox.submit("ben-clarke", "agenda-item", {
        "meeting": "board-2026-11", "title": "Decide the winter patrol plan", "item_kind": "decision",
        "outcome": outcome})
    [result] = demo.inbox.accept([number])
    assert result["outcome"] == "accepted"
    [item] = demo.store.query("SELECT * FROM agenda_items WHERE meeting = 'board-2026-11'")
    assert (item["title"], item["kind"], item["pitched_by"], item["outcome"]) == (
        "Decide the winter patrol plan", "decision", "ben-clarke", outcome)


def test_a_self_assessment_answer_never_names_its_sender_publicly(demo):
    number = demo.inbox.submit("ben-clarke", "assessment", {
        "area": "capacity", "now": "Two analysts, stretched", "want": "A shared analyst",
        "evidence": "https://example.org/capacity-review", "score": "2"})
    with pytest.raises(FieldErrors) as caught:
        demo.inbox.submit("ben-clarke", "assessment", {"area": "capacity", "now": "x", "score": "9"})
    assert "score" in caught.value.fields
    before = len(demo.changes())
    reporting = demo.store.query("SELECT * FROM inbox_reporting")
    [result] = demo.inbox.accept([number])
    assert result["outcome"] == "accepted"
    [answer] = demo.store.query("SELECT * FROM assessments WHERE now = 'Two analysts, stretched'")
    assert (answer["by"], answer["score"], answer["round"]) == ("ben-clarke", 2, "2026-10")
    new = demo.changes()[: len(demo.changes()) - before]
    assert new and all("ben-clarke" not in json.dumps([c.actor, c.summary, c.data]) for c in new)
    assert demo.store.query("SELECT * FROM inbox_reporting") == reporting  # an answer is not reporting


def test_we_met_for_an_unmentoring_group_names_nobody_publicly(demo):
    group = next(r for r in demo.inbox.scope()["pairs"] if not r["met"])
    person = group["person"]
    with pytest.raises(NotYours):
        demo.inbox.submit(person, "pair-met", {"round": "1999-01", "met_on": "2026-10-20", "output": ""})
    with pytest.raises(FieldErrors) as caught:
        demo.inbox.submit(person, "pair-met", {"round": group["round"], "met_on": "2026-11-20", "output": ""})
    assert "met_on" in caught.value.fields
    number = demo.inbox.submit(person, "pair-met", {"round": group["round"], "met_on": "2026-10-20",
                                                    "output": "Shared the housing referral checklist"})
    before = len(demo.changes())
    [result] = demo.inbox.accept([number])
    assert result["outcome"] == "accepted"
    met = demo.store.query("SELECT met, met_on, output FROM pair_groups WHERE round = ? AND number = ?",
                           [group["round"], group["number"]])
    assert met == [{"met": 1, "met_on": "2026-10-20", "output": "Shared the housing referral checklist"}]
    names = {person, *[p.slug for p in demo.people.list() if p.name in group["others"].split(", ")]}
    new = demo.changes()[: len(demo.changes()) - before]
    assert new and not [c for c in new if any(n in json.dumps([c.actor, c.summary, c.data]) for n in names)]


def test_what_was_waiting_when_the_site_last_started_is_reported_lost(demo):
    number = demo.inbox.submit("ben-clarke", "observation", figure("repeat-victims", 301))
    assert demo.inbox.prepare() is None  # the site starts again: the file is sound
    path = demo.inbox.path
    demo.inbox.close()
    path.unlink()
    rebuilt = demo.inbox.prepare()
    assert rebuilt is not None and [r["id"] for r in rebuilt.lost] == [number]
    assert rebuilt.lost[0]["summary"] == "repeat-victims = 301 on 2026-10-15"
