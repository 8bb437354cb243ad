"""Reminders: what each person owes, sent through a real SMTP server on loopback.

The servers are aiosmtpd's, started by the tests on 127.0.0.1 with a free port; one
refuses a recipient, one drops the connection in the middle of a message. What arrived
is read from the server's own list of envelopes, never assumed.
"""

from __future__ import annotations

import email
import email.policy
import socket
import sqlite3
import stat
from collections.abc import Iterator
from typing import Any

import pytest

from partnership.reminders.mail import EmlFolder, SmtpSettings, SmtpTransport

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

TODAY = "2026-03-01"


# -- a real SMTP server -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """An aiosmtpd handler keeping what arrived; it can refuse or drop on request."""

    def __init__(self, *, refuse: str | None = None, drop_on: str | None = None) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse = refuse
        self.drop_on = drop_on

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        if address == self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.drop_on is not None and self.drop_on in envelope.rcpt_tos:
            server.transport.close()  # the connection drops before the server says OK
            return "421 closing"
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


class Authenticator:
    def __init__(self, user: str, password: str) -> None:
        self.user, self.password = user, password

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        def text(value: bytes | str) -> str:
            return value.decode() if isinstance(value, bytes) else value

        ok = (isinstance(auth_data, LoginPassword) and text(auth_data.login) == self.user
              and text(auth_data.password) == self.password)
        return AuthResult(success=ok, handled=False)  # a failure answers 535


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """``smtp_server(handler, **kwargs)`` starts a server on loopback; returns its port."""
    started: list[Any] = []

    def start(handler: Inbox, **kwargs: Any) -> int:
        port = free_port()
        controller = aiosmtpd_controller.Controller(handler, hostname="127.0.0.1", port=port,
                                                    ready_timeout=5, **kwargs)
        controller.start()
        started.append(controller)
        return port

    yield start
    for controller in started:
        controller.stop()


# -- a partnership with something owed ----------------------------------------------------------


@pytest.fixture
def team(p, monkeypatch):
    """Two partners, five people (one without email, one opted out), commitments, figures
    and a meeting, on 2026-03-01."""
    monkeypatch.setenv("PARTNERSHIP_TODAY", TODAY)
    p.partners.add(slug="police", name="Police", kind="police")
    p.partners.add(slug="council", name="Council", kind="council")
    p.people.add(slug="jo", name="Jo Bloggs", partner="police", email="jo@police.example.org")
    p.people.add(slug="sam", name="Sam Lee", partner="council", email="sam@council.example.org")
    p.people.add(slug="kim", name="Kim Ng", partner="council")  # no email address
    p.people.add(slug="ann", name="Ann Marsh", partner="council", email="ann@council.example.org")
    p.people.add(slug="ben", name="Ben Clarke", partner="police", email="ben@police.example.org")
    p.outcomes.add(slug="fewer-asb", title="Fewer residents suffer repeated ASB",
                   beneficiaries="Residents")
    p.stakes.add(outcome="fewer-asb", partner="police", motivation="Officer time")
    p.stakes.add(outcome="fewer-asb", partner="council", motivation="Residents' survey")
    c = p.commitments
    c.commit("police", "Two PCSOs in the hotspot wards", owner="jo", due="2026-03-05",
             created="2026-01-01")
    c.commit("council", "One ASB caseworker", owner="sam", due="2026-02-20", created="2026-01-01")
    c.commit("council", "Share the survey results", due="2026-03-10", created="2026-01-01")
    c.commit("police", "A new radio system", owner="jo", due="2026-06-30", created="2026-01-01")
    p.measure.add_activity("patrols", title="Hotspot patrols", partner="police", outcomes=["fewer-asb"],
                           status="running", start_date="2025-10-01")
    p.measure.add_indicator("patrol-hours", outcome="fewer-asb", unit="hours", direction="up",
                            baseline=100, baseline_date="2025-10-01", target=200,
                            target_date="2027-03-31", frequency="monthly", activity="patrols")
    p.measure.add_indicator("repeat-victims", outcome="fewer-asb", unit="people", direction="down",
                            baseline=400, baseline_date="2025-10-01", target=300,
                            target_date="2027-03-31", frequency="quarterly")
    p.measure.observe("repeat-victims", 390, date="2026-01-01")  # next due 2026-04-03: not yet
    p.inbox.set_reporters("patrol-hours", ["police"])  # named: only the police report it
    p.meetings.propose("board-march", date="2026-03-10", minutes=60, title="Board, March",
                       invite="jo,sam,ann")
    p.meetings.pitch("board-march", "Agree the ASB plan", kind="decision", outcome="fewer-asb",
                     needs="sam", by="jo")
    p.meetings.propose("board-may", date="2026-05-10", minutes=60, invite="jo")
    p.meetings.pitch("board-may", "Far away", kind="decision", outcome="fewer-asb", needs="jo", by="jo")
    p.reminders.opt_out("ann", reason="asked in person")
    return p


def keys(message: Any) -> list[str]:
    return [i.key for i in message.items]


def test_plan_says_what_each_person_owes(team):
    plan = team.reminders.plan(within=14)
    by = {m.person: m for m in plan.messages}
    assert set(by) == {"jo", "sam", "ben"}
    # jo: own commitment due in 4 days; the police's stale patrol figure (named its reporter)
    assert keys(by["jo"]) == ["indicator patrol-hours", "commitment C-1"]
    assert by["jo"].items[0].overdue and not by["jo"].items[1].overdue
    # sam: own overdue commitment, the council's unowned one, the meeting he is needed at
    assert keys(by["sam"]) == ["commitment C-2", "commitment C-3", "agenda 1"]
    assert "overdue by 9 days" in by["sam"].items[0].text
    assert "no owner named at council" in by["sam"].items[1].text
    assert "Board, March on 2026-03-10" in by["sam"].items[2].text
    # ben has no commitment, but reports the police's figure
    assert keys(by["ben"]) == ["indicator patrol-hours"]
    # kim has no email and ann asked for none: both listed, never skipped silently
    assert [(m.person, keys(m)) for m in plan.no_email] == [("kim", ["commitment C-3"])]
    assert [m.person for m in plan.opted_out] == ["ann"]
    assert by["sam"].inbox_link is None or by["sam"].inbox_link.startswith("http")


def test_plan_for_one_person_or_partner_and_the_window(team):
    assert [m.person for m in team.reminders.plan(to="sam").messages] == ["sam"]
    assert [m.person for m in team.reminders.plan(partner="police").messages] == ["ben", "jo"]
    wide = {m.person: keys(m) for m in team.reminders.plan(within=125).messages}
    assert "commitment C-4" in wide["jo"] and "agenda 2" in wide["jo"]
    # an indicator with no named reporter is every stakeholder's to report once it falls due
    assert "indicator repeat-victims" in wide["sam"] and "indicator repeat-victims" in wide["jo"]


def test_bad_input_is_one_line_and_writes_nothing(team, run, db_path, unchanged):
    team.close()
    with unchanged(db_path):
        for args, words in [
            (["remind", "--dry-run", "--to", "nobody"], "no person 'nobody'"),
            (["remind", "--dry-run", "--within", "soon"], "--within"),
            (["remind", "--dry-run", "--every", "-3"], "--every"),
            (["remind", "--to", "jo", "--partner", "police"], "--to cannot be used with --partner"),
            (["remind", "--smtp", "127.0.0.1:99999", "--from", "lead@example.org"], "port"),
            (["remind", "--smtp", "127.0.0.1:2525"], "--from"),
            (["remind", "--from", "lead@example.org"], "--smtp"),
            (["remind", "--opt-out", "nobody"], "no person 'nobody'"),
        ]:
            result = run(*args)
            assert result.exit_code != 0, args
            message = (result.stderr or result.stdout).strip()
            assert "\n" not in message and "Traceback" not in message, (args, message)
            assert words in message, (args, message)


def test_dry_run_lists_everyone(team, run):
    team.close()
    result = run("remind", "--dry-run")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "To Jo Bloggs (jo, police) <jo@police.example.org>: 2 things (1 overdue)" in out
    assert "No email address" in out and "Kim Ng (kim, council): 1 thing" in out
    assert "Asked for no reminders" in out and "Ann Marsh (ann, council)" in out
    assert "3 reminders would go out; nothing was sent (--dry-run)." in out
    assert run("remind", "--history").stdout.strip() == "(no reminders sent yet)"


def test_sent_over_smtp_recorded_once_per_period(team, run, smtp_server, db_path, monkeypatch):
    team.close()
    inbox = Inbox()
    port = smtp_server(inbox)
    args = ["remind", "--smtp", f"127.0.0.1:{port}", "--smtp-tls", "none", "--from", "lead@example.org"]
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert "3 reminders sent and recorded" in result.output
    assert "no email address: Kim Ng (kim)" in result.output
    got = {m["To"].addresses[0].addr_spec: m for m in inbox.messages}
    assert set(got) == {"jo@police.example.org", "sam@council.example.org", "ben@police.example.org"}
    assert all(env[0] == "lead@example.org" for env in inbox.envelopes)
    sam = got["sam@council.example.org"]
    assert sam["Subject"] == "Test Partnership: 3 things for the partnership (1 overdue)"
    text = sam.get_content()
    assert "C-2 One ASB caseworker: overdue by 9 days (due 2026-02-20)" in text
    assert "C-3 Share the survey results: due 2026-03-10" in text
    assert "'Agree the ASB plan' (decision)" in text
    assert "Ann" not in "".join(m["To"] for m in inbox.messages)
    history = run("remind", "--history", "--json")
    import json

    rows = json.loads(history.stdout)
    assert sorted(r["person"] for r in rows) == ["ben", "jo", "sam"]
    assert {tuple(r["about"]) for r in rows if r["person"] == "sam"} == {
        ("commitment C-2", "commitment C-3", "agenda 1")}
    # the same day again: nothing new to send
    again = run(*args)
    assert again.exit_code == 0 and "0 reminders sent" in again.output
    assert len(inbox.messages) == 3
    # six days later still within the period; eight days later the period is over
    monkeypatch.setenv("PARTNERSHIP_TODAY", "2026-03-07")
    assert "0 reminders sent" in run(*args).output
    monkeypatch.setenv("PARTNERSHIP_TODAY", "2026-03-09")
    assert "3 reminders sent" in run(*args).output
    assert len(inbox.messages) == 6
    # the change log holds counts only: no person, no subject
    conn = sqlite3.connect(db_path)
    logged = conn.execute("SELECT key, summary, data FROM changes WHERE entity = 'reminder'").fetchall()
    conn.close()
    assert len(logged) == 6
    assert all(k == "-" and s == "1 reminder added" and d == '{"count": 1}' for k, s, d in logged)


def test_refused_recipient_is_not_recorded(team, run, smtp_server):
    team.close()
    inbox = Inbox(refuse="jo@police.example.org")
    port = smtp_server(inbox)
    result = run("remind", "--smtp", f"127.0.0.1:{port}", "--smtp-tls", "none",
                 "--from", "lead@example.org")
    assert result.exit_code == 1
    assert "NOT sent: Jo Bloggs (jo)" in result.stderr and "550" in result.stderr
    assert "2 reminders sent and recorded; 1 not sent" in result.output
    arrived = sorted(m["To"].addresses[0].addr_spec for m in inbox.messages)
    assert arrived == ["ben@police.example.org", "sam@council.example.org"]
    import json

    recorded = sorted(r["person"] for r in json.loads(run("remind", "--history", "--json").stdout))
    assert recorded == ["ben", "sam"]
    # jo's reminder is still owed: the next run tries again
    assert [m.split()[1] for m in run("remind", "--dry-run").stdout.splitlines()
            if m.startswith("To ")] == ["Jo"]


def test_dropped_connection_records_only_what_arrived(team, smtp_server):
    inbox = Inbox(drop_on="jo@police.example.org")
    port = smtp_server(inbox)
    plan = team.reminders.plan()
    assert [m.person for m in plan.messages] == ["ben", "jo", "sam"]
    transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=port, starttls=False, timeout=5))
    result = team.reminders.send(plan, transport, sender="lead@example.org")
    assert [m.person for m in result.sent] == ["ben"]
    assert [m.person for m, _ in result.failed] == ["jo", "sam"]
    assert "dropped the connection" in result.failed[0][1]
    assert "not sent: the mail server" in result.failed[1][1]
    assert [m["To"].addresses[0].addr_spec for m in inbox.messages] == ["ben@police.example.org"]
    assert [r["person"] for r in team.reminders.history()] == ["ben"]


def test_login_with_password_from_the_named_variable(team, run, smtp_server, db_path, monkeypatch):
    team.close()
    inbox = Inbox()
    port = smtp_server(inbox, authenticator=Authenticator("lead", "s3cret-pw"),
                       auth_require_tls=False)
    base = ["remind", "--to", "sam", "--smtp", f"127.0.0.1:{port}", "--smtp-tls", "none",
            "--from", "lead@example.org", "--smtp-user", "lead", "--smtp-password-env", "CSP_MAIL_PW"]
    missing = run(*base)
    assert missing.exit_code == 1 and "set the environment variable CSP_MAIL_PW" in missing.stderr
    monkeypatch.setenv("CSP_MAIL_PW", "wrong")
    wrong = run(*base)
    assert wrong.exit_code == 1 and "refused the login of lead" in wrong.stderr
    assert inbox.messages == []
    monkeypatch.setenv("CSP_MAIL_PW", "s3cret-pw")
    assert run(*base).exit_code == 0
    assert [m["To"].addresses[0].addr_spec for m in inbox.messages] == ["sam@council.example.org"]
    for path in db_path.parent.glob(db_path.name + "*"):
        assert b"s3cret-pw" not in path.read_bytes()


def test_starttls_refused_by_a_plain_server_sends_nothing(team, smtp_server):
    port = smtp_server(Inbox())
    transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=port, timeout=5))
    result = team.reminders.send(team.reminders.plan(), transport, sender="lead@example.org")
    assert result.sent == ()
    assert "does not offer STARTTLS" in result.failed[0][1]
    assert team.reminders.history() == []


def test_unreachable_server_sends_nothing(team):
    transport = SmtpTransport(SmtpSettings(host="127.0.0.1", port=free_port(), starttls=False, timeout=2))
    result = team.reminders.send(team.reminders.plan(), transport, sender="lead@example.org")
    assert result.sent == () and len(result.failed) == 3
    assert "cannot reach the mail server" in result.failed[0][1]
    assert team.reminders.history() == []


def test_eml_files_in_a_folder(team, run, tmp_path):
    team.close()
    out = tmp_path / "outbox"
    result = run("remind", "--out", out, "--from", "lead@example.org")
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in out.iterdir())
    assert files == ["2026-03-01-ben.eml", "2026-03-01-jo.eml", "2026-03-01-sam.eml"]
    for f in out.iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    jo = email.message_from_bytes((out / "2026-03-01-jo.eml").read_bytes(), policy=email.policy.default)
    assert jo["To"].addresses[0].addr_spec == "jo@police.example.org"
    assert "C-1 Two PCSOs in the hotspot wards: due 2026-03-05" in jo.get_content()
    import json

    assert {r["via"] for r in json.loads(run("remind", "--history", "--json").stdout)} == {"eml"}


def test_eml_never_replaces_a_file(team, db_path, monkeypatch):
    folder = db_path.parent
    (folder / "2026-03-01-jo.eml").write_text("my own notes\n")
    plan = team.reminders.plan(to="jo")
    result = team.reminders.send(plan, EmlFolder(folder), sender="lead@example.org")
    assert [m.person for m in result.sent] == ["jo"]
    assert (folder / "2026-03-01-jo.eml").read_text() == "my own notes\n"
    assert "C-1 Two PCSOs" in (folder / "2026-03-01-jo-2.eml").read_text()
    # a second reminder the same day (something new to say) is a third file
    monkeypatch.setenv("PARTNERSHIP_TODAY", "2026-03-01")
    team.commitments.commit("police", "Another promise", owner="jo", due="2026-03-03", created="2026-03-01")
    again = team.reminders.send(team.reminders.plan(to="jo"), EmlFolder(folder), sender="lead@example.org")
    assert [m.person for m in again.sent] == ["jo"]
    third = (folder / "2026-03-01-jo-3.eml").read_text()
    assert "Another promise" in third and "Two PCSOs" not in third  # already reminded today


def test_eml_folder_that_is_a_file(team, tmp_path, run):
    team.close()
    (tmp_path / "outbox").write_text("not a folder")
    result = run("remind", "--out", tmp_path / "outbox", "--from", "lead@example.org")
    assert result.exit_code == 1 and "is a file, not a folder" in result.stderr
    assert "\n" not in result.stderr.strip()


def test_opt_in_again(team):
    team.reminders.opt_in("ann")
    assert "ann" in [m.person for m in team.reminders.plan().messages]
    team.reminders.opt_out("ann")
    assert [m.person for m in team.reminders.plan().opted_out] == ["ann"]


def test_reminders_are_never_published(published):
    target, _ = published
    conn = sqlite3.connect(target)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    logged = conn.execute("SELECT key, summary FROM changes WHERE entity LIKE 'reminder%'").fetchall()
    conn.close()
    assert not names & {"reminders", "reminder_optouts"}
    assert logged and all(k == "-" and "rosa" not in s for k, s in logged)


def test_settings_from_the_environment():
    s = SmtpSettings.from_options(None, environ={"PARTNERSHIP_SMTP": "mail.example.org:2525",
                                                 "PARTNERSHIP_SMTP_USER": "lead",
                                                 "PARTNERSHIP_SMTP_TLS": "none"})
    assert (s.host, s.port, s.starttls, s.user, s.password_env) == (
        "mail.example.org", 2525, False, "lead", "PARTNERSHIP_SMTP_PASSWORD")
    assert SmtpSettings.from_options("mail.example.org", environ={}).port == 587



def test_inbox_link_when_the_inbox_is_served(team, run, smtp_server):
    from partnership.inbox import tokens

    # no inbox set up and no address given: no link (a link to nothing helps nobody)
    assert all(m.inbox_link is None for m in team.reminders.plan().messages)
    plan = team.reminders.plan(inbox_url="https://inbox.example.org")
    secret = team.store.query("SELECT secret FROM inbox_secret")[0]["secret"]
    for m in plan.messages:
        assert m.inbox_link and m.inbox_link.startswith("https://inbox.example.org/r/")
        grant = tokens.read(secret, m.inbox_link.rsplit("/", 1)[1])
        assert (grant.person, grant.partner) == (m.person, m.partner)
    team.close()
    inbox = Inbox()
    port = smtp_server(inbox)
    result = run("remind", "--to", "jo", "--smtp", f"127.0.0.1:{port}", "--smtp-tls", "none",
                 "--from", "lead@example.org", "--inbox-url", "https://inbox.example.org")
    assert result.exit_code == 0, result.output
    body = inbox.messages[0].get_content()
    assert "your personal link" in body and "https://inbox.example.org/r/" in body
