"""Reminders: one message per person with what they owe, sent once per period.

``p.reminders.plan(within=14, every=7)`` works out, for every person (or one person,
or the people of one partner), what they owe:

* their **commitments** still open and due within ``within`` days, or overdue (a
  commitment with no owner is every person of its partner's);
* their **partner's figures** due or stale: who reports an indicator is the partner
  inbox's rule (``partnership.inbox.service.REPORTERS_SQL``: the partners named for it,
  else every partner with a stake in its outcome and the partner running the activity
  it measures); when it is due is the public status's rule
  (``partnership.outcomes.status.freshness_sql``), within ``within`` days;
* the **agenda items** of proposed meetings in the next ``within`` days that they
  were asked to attend for (``meeting pitch ... --needs PERSON``);
* their personal **inbox link** (``p.inbox.link(person)``), when the partnership has a
  partner inbox: its file exists, or the lead says where it is served (``inbox_url``).

A thing already reminded to the same person within the last ``every`` days is left
out, so running ``remind`` every day sends each reminder once a period. People with
something owed but no email address are listed in the plan (``no_email``), never
skipped silently; people marked as wanting no reminders (:meth:`Reminders.opt_out`)
are listed too (``opted_out``).

:meth:`Reminders.send` hands each message to a transport (SMTP or ``.eml`` files, see
:mod:`partnership.reminders.mail`) and records it, in its own transaction, only once
the transport has accepted it: a refused recipient or a dropped connection leaves no
record. The record (who, when, how, what about) is private: it is never published and
the change log holds only counts ("1 reminder added").
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from attrs import define, field, frozen

from .. import validators as v
from ..errors import ValidationError
from ..models import entity, ref
from ..records import Collection
from ..store import now_utc

if TYPE_CHECKING:
    from email.message import EmailMessage

    from ..api import Partnership

__all__ = ["Reminder", "ReminderOptOut", "Item", "Message", "Plan", "SendResult", "Transport",
           "Reminders", "MODELS", "DEFAULT_WITHIN", "DEFAULT_EVERY"]

#: remind of what is due within this many days (and everything overdue)
DEFAULT_WITHIN = 14
#: do not remind a person of the same thing twice within this many days
DEFAULT_EVERY = 7
_KIND_ORDER = {"commitment": 0, "figure": 1, "agenda": 2}


@entity("reminders", ("id",), "reminder", order_by="sent_at, id", public=False)
@define(kw_only=True)
class Reminder:
    """One reminder that went out (private: never published, logged as a count)."""

    id: int | None = None
    person: str = ref("people")
    sent_on: dt.date
    sent_at: str = field(validator=v.text)
    via: str = field(validator=v.text)
    subject: str = field(validator=v.text)
    #: what it was about, one key per line
    about: str = field(validator=v.text)


@entity("reminder_optouts", ("person",), "reminder preference", public=False)
@define(kw_only=True)
class ReminderOptOut:
    """A person who asked for no reminders (private)."""

    person: str = ref("people")
    since: dt.date
    reason: str = field(default="", converter=v.strip, validator=v.optional_text)


MODELS: list[type] = [Reminder, ReminderOptOut]


@frozen
class Item:
    """One thing a person is reminded of."""

    #: what it is, for not sending it twice: 'commitment C-12', 'indicator x', 'agenda 7'
    key: str
    #: 'commitment', 'figure' or 'agenda'
    kind: str
    #: the line of the message
    text: str
    due: dt.date | None = None
    overdue: bool = False


@frozen
class Message:
    """The reminder to one person."""

    person: str
    name: str
    partner: str
    email: str | None
    items: tuple[Item, ...]
    inbox_link: str | None = None

    @property
    def subject(self) -> str:
        n = len(self.items)
        late = sum(i.overdue for i in self.items)
        text = f"{n} thing{'s' if n != 1 else ''} for the partnership"
        return text + (f" ({late} overdue)" if late else "")


@frozen
class Plan:
    """What ``remind`` would send today, and who gets nothing and why."""

    as_of: dt.date
    within: int
    every: int
    partnership: str
    #: people with an email address and something to be reminded of
    messages: tuple[Message, ...]
    #: people with something to be reminded of but no email address
    no_email: tuple[Message, ...]
    #: people marked as wanting no reminders (what they would have been sent)
    opted_out: tuple[Message, ...]
    #: how many things were left out because they were reminded within the period
    held_back: int


@frozen
class SendResult:
    """What happened to each message of a plan."""

    sent: tuple[Message, ...]
    #: (message, why it was not sent)
    failed: tuple[tuple[Message, str], ...]
    via: str


class Transport(Protocol):
    """Where messages go: SMTP or a folder of ``.eml`` files (see reminders.mail)."""

    via: str

    def deliver(self, message: EmailMessage) -> None:
        """Hand over one message; raise :class:`~partnership.reminders.mail.NotDelivered`
        when this one was refused, or :class:`~partnership.reminders.mail.TransportLost`
        when nothing more can be sent."""

    def close(self) -> None: ...


def _whole_days(value: Any, name: str, flag: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(f"{name} must be a whole number of days (got {v.shown(value)})")
    try:
        days = int(value)
    except ValueError:
        raise ValidationError(
            f"{name} must be a whole number of days, like 14 (got {v.shown(value)}); "
            f"check {flag}") from None
    if not 0 <= days <= 3660:
        raise ValidationError(f"{name} must be from 0 to 3660 days (got {days}); check {flag}")
    return days


class Reminders:
    """The library's reminders: ``p.reminders`` (see the module docstring)."""

    def __init__(self, p: Partnership) -> None:
        self.p = p
        self.sent = Collection(p, Reminder)
        self.optouts = Collection(p, ReminderOptOut)

    # -- who wants none -----------------------------------------------------------------------

    def opt_out(self, person: str, *, reason: str = "", since: Any = None) -> ReminderOptOut:
        """Mark ``person`` as wanting no reminders (they are listed, never sent one)."""
        with self.p.store.transaction():
            self.p.people.get(person)
            if self.optouts.exists(person):
                return self.optouts.get(person)
            return self.optouts.add(person=person, reason=reason, since=since or self.p.today())

    def opt_in(self, person: str) -> None:
        """Let ``person`` get reminders again."""
        with self.p.store.transaction():
            self.p.people.get(person)
            if self.optouts.exists(person):
                self.optouts.remove(person)

    def opted_out(self) -> builtins.list[ReminderOptOut]:
        return self.optouts.list()

    # -- what is owed ---------------------------------------------------------------------------

    def plan(self, *, to: str | None = None, partner: str | None = None,
             within: Any = DEFAULT_WITHIN, every: Any = DEFAULT_EVERY,
             inbox_url: str | None = None) -> Plan:
        """Who would be reminded of what today (nothing is sent or recorded).

        ``inbox_url`` is where the partner inbox is served (``partnership inbox serve``),
        for the personal links in each message."""
        within = _whole_days(within, "the reminder window", "--within")
        every = _whole_days(every, "the reminder period", "--every")
        if to is not None and partner is not None:
            raise ValidationError("remind one person or one partner, not both; drop --to or --partner")
        q = self.p.store.query
        if to is not None:
            self.p.people.get(to)
            people = q("SELECT slug, name, partner, email FROM people WHERE slug = ?", [to])
        elif partner is not None:
            self.p.partners.get(partner)
            people = q("SELECT slug, name, partner, email FROM people WHERE partner = ? ORDER BY slug",
                       [partner])
        else:
            people = q("SELECT slug, name, partner, email FROM people ORDER BY slug")
        today = self.p.today()
        until = today + dt.timedelta(days=within)
        owed = self._owed(today, until)
        recent = self._recent(today, every)
        opted = {r["person"] for r in q("SELECT person FROM reminder_optouts")}
        link = self._inbox_link(inbox_url)
        messages: list[Message] = []
        no_email: list[Message] = []
        opted_out: list[Message] = []
        held_back = 0
        for person in people:
            items = owed["person"].get(person["slug"], []) + owed["partner"].get(person["partner"], [])
            items.sort(key=lambda i: (i.due or until, _KIND_ORDER[i.kind]))
            fresh = tuple(i for i in items if i.key not in recent.get(person["slug"], set()))
            held_back += len(items) - len(fresh)
            if not fresh:
                continue
            goes = person["slug"] not in opted and bool(person["email"])
            message = Message(person=person["slug"], name=person["name"], partner=person["partner"],
                              email=person["email"] or None, items=fresh,
                              inbox_link=link(person["slug"]) if link and goes else None)
            if person["slug"] in opted:
                opted_out.append(message)
            elif not message.email:
                no_email.append(message)
            else:
                messages.append(message)
        return Plan(as_of=today, within=within, every=every, partnership=self.p.info().name,
                    messages=tuple(messages), no_email=tuple(no_email), opted_out=tuple(opted_out),
                    held_back=held_back)

    def _inbox_link(self, inbox_url: str | None) -> Callable[[str], str] | None:
        """Each person's inbox link (``p.inbox.link``) when the partnership has a partner
        inbox: its file exists (the lead has prepared or served it), or ``inbox_url`` says
        where it is served. None otherwise: a link to an inbox nobody serves helps nobody."""
        if self.p.store.path == ":memory:":
            return None
        inbox = self.p.inbox
        if inbox_url is None and not inbox.path.exists():
            return None
        return lambda person: inbox.link(person, base_url=inbox_url)

    def _owed(self, today: dt.date, until: dt.date) -> dict[str, dict[str, list[Item]]]:
        """Items owed by a person (``person``) and by every person of a partner (``partner``)."""
        from ..commitments.service import show_ref, status_sql
        from ..inbox.service import REPORTERS_SQL
        from ..outcomes.status import freshness_sql

        q = self.p.store.query
        by_person: dict[str, list[Item]] = {}
        by_partner: dict[str, list[Item]] = {}
        for r in q(f"SELECT id, partner, owner, what, due, status, days_late "
                   f"FROM ({status_sql(':today')}) WHERE status IN ('open', 'overdue') "
                   f"AND due <= :until ORDER BY due, id",
                   {"today": today.isoformat(), "until": until.isoformat()}):
            overdue = r["status"] == "overdue"
            when = (f"overdue by {r['days_late']} day{'s' if r['days_late'] != 1 else ''} "
                    f"(due {r['due']})" if overdue else f"due {r['due']}")
            ref_ = show_ref(r["id"])
            item = Item(key=f"commitment {ref_}", kind="commitment", due=dt.date.fromisoformat(r["due"]),
                        overdue=overdue, text=f"{ref_} {r['what']}: {when}" + (
                            "" if r["owner"] else f" (no owner named at {r['partner']})"))
            if r["owner"]:
                by_person.setdefault(r["owner"], []).append(item)
            else:
                by_partner.setdefault(r["partner"], []).append(item)
        # which partners report an indicator: the inbox's own rule (named reporters, else
        # the stakeholders and the activity's partner); when it is due: the public status's
        reporters: dict[str, list[str]] = {}
        for r in q(f"SELECT indicator, partner FROM ({REPORTERS_SQL}) ORDER BY indicator, partner"):
            reporters.setdefault(r["indicator"], []).append(r["partner"])
        for r in q(f"""SELECT f.indicator AS slug, f.title, f.frequency, f.outcome, f.due,
                              f.latest_date AS last
                       FROM ({freshness_sql(':today')}) f
                       JOIN outcomes oc ON oc.slug = f.outcome
                       WHERE oc.status NOT IN ('dropped', 'achieved') AND f.due <= :until
                       ORDER BY f.indicator""",
                   {"today": today.isoformat(), "until": until.isoformat()}):
            due = dt.date.fromisoformat(r["due"])
            overdue = due < today
            last = f"last figure {r['last']}" if r["last"] else "no figure yet"
            item = Item(key=f"indicator {r['slug']}", kind="figure", due=due, overdue=overdue,
                        text=f"the {r['frequency']} figure for {r['slug']} ({r['title'] or r['outcome']}): "
                             f"{'stale since' if overdue else 'due'} {due.isoformat()}, {last}")
            for partner in reporters.get(r["slug"], []):
                by_partner.setdefault(partner, []).append(item)
        for r in q("""SELECT ai.id, ai.title, ai.kind, m.slug AS meeting, m.date, m.title AS meeting_title,
                             n.person
                      FROM agenda_needs n JOIN agenda_items ai ON ai.id = n.item
                      JOIN meetings m ON m.slug = ai.meeting
                      WHERE m.status = 'proposed' AND ai.dropped = 0 AND m.date >= ? AND m.date <= ?
                      ORDER BY m.date, ai.id""", [today.isoformat(), until.isoformat()]):
            by_person.setdefault(r["person"], []).append(Item(
                key=f"agenda {r['id']}", kind="agenda", due=dt.date.fromisoformat(r["date"]),
                text=f"you are needed at {r['meeting_title'] or r['meeting']} on {r['date']} for "
                     f"'{r['title']}' ({r['kind']})"))
        return {"person": by_person, "partner": by_partner}

    def _recent(self, today: dt.date, every: int) -> dict[str, set[str]]:
        """Per person, the keys reminded within the last ``every`` days."""
        cutoff = (today - dt.timedelta(days=every)).isoformat()
        found: dict[str, set[str]] = {}
        for r in self.p.store.query(
                "SELECT person, about FROM reminders WHERE sent_on > ?", [cutoff]):
            found.setdefault(r["person"], set()).update(r["about"].splitlines())
        return found

    # -- sending --------------------------------------------------------------------------------

    def send(self, plan: Plan, transport: Transport, *, sender: str) -> SendResult:
        """Send every message of ``plan`` through ``transport``, recording each one the
        transport accepted (and only those), each in its own transaction."""
        from .mail import NotDelivered, TransportLost, build_message

        sent: list[Message] = []
        failed: list[tuple[Message, str]] = []
        lost: str | None = None
        try:
            for message in plan.messages:
                if lost is not None:
                    failed.append((message, f"not sent: {lost}"))
                    continue
                email = build_message(plan, message, sender=sender)
                try:
                    transport.deliver(email)
                except NotDelivered as exc:
                    failed.append((message, str(exc)))
                    continue
                except TransportLost as exc:
                    lost = str(exc)
                    failed.append((message, lost))
                    continue
                self.sent.add(person=message.person, sent_on=plan.as_of, sent_at=now_utc(),
                              via=transport.via, subject=str(email["Subject"]),
                              about="\n".join(i.key for i in message.items))
                sent.append(message)
        finally:
            transport.close()
        return SendResult(sent=tuple(sent), failed=tuple(failed), via=transport.via)

    # -- what went out ------------------------------------------------------------------------------

    def history(self, *, person: str | None = None,
                limit: int | None = None) -> builtins.list[dict[str, Any]]:
        """Reminders sent, newest first: who, when, how and what about."""
        sql = ("SELECT r.id, r.person, p.name, r.sent_on, r.sent_at, r.via, r.subject, r.about "
               "FROM reminders r JOIN people p ON p.slug = r.person")
        params: list[Any] = []
        if person is not None:
            self.p.people.get(person)
            sql += " WHERE r.person = ?"
            params.append(person)
        sql += " ORDER BY r.sent_at DESC, r.id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [{**r, "about": r["about"].splitlines()} for r in self.p.store.query(sql, params)]

