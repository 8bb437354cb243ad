"""Step 5 of the method: the meetings service, ``p.meetings``.

"Only meet if you really need to, and only have those that need to meet turn up."

:class:`Meetings` proposes a meeting, invites people, takes agenda items pitched by
anyone (each saying which outcome it serves and which people it needs), checks the
meeting (:meth:`Meetings.check`, whose verdict - MEET, TRIM or DON'T MEET - and
person-hours are worked out in :mod:`partnership.meetings.verdict`), trims or cancels it,
and records it once held.

Recording a held meeting stores attendance, decisions and actions ("sam-lee: draft
MoU by 2026-03-01"); when the commitments feature is present (``p.commitments``), each
action with a due date also becomes a commitment, in the same transaction.

The records are in :mod:`partnership.meetings.models`; written updates, the alternative
to meeting, in :mod:`partnership.meetings.updates`.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .. import validators as v
from ..errors import Conflict, NotFound, ValidationError
from ..records import Collection, structure, to_row
from ..words import noun
from .models import (
    Action,
    AgendaItem,
    AgendaNeed,
    Attendance,
    Decision,
    Invitee,
    Meeting,
    MeetingStatus,
    Verdict,
)
from .rules import meeting_row, not_invited, still_proposed
from .verdict import decide, person_hours

if TYPE_CHECKING:
    from ..api import Partnership
    from .verdict import MeetingCheck

__all__ = ["Meetings", "parse_action"]


# -- actions ------------------------------------------------------------------------------

_ACTION_RE = re.compile(
    r"^\s*(?P<owner>[^:\s]+)\s*:\s*(?P<what>.+?)(?:\s+by\s+(?P<due>\d{4}-\d{1,2}-\d{1,2}))?\s*$",
    re.S)


def parse_action(text: str) -> dict[str, Any]:
    """``"sam-lee: draft MoU by 2026-03-01"`` -> owner, what and due (a date or None)."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("an action must not be empty; write it as "
                              "'OWNER: what by YYYY-MM-DD', e.g. 'sam-lee: draft MoU by 2026-03-01'")
    match = _ACTION_RE.match(text)
    if not match or not v.SLUG_RE.fullmatch(match.group("owner")):
        raise ValidationError(
            f"action '{text.strip()}' has no owner; write it as 'OWNER: what by YYYY-MM-DD', "
            f"e.g. 'sam-lee: draft MoU by 2026-03-01', where OWNER is a person's slug")
    due = None
    if match.group("due"):
        try:
            due = v.parse_date(match.group("due"), "the action's due date")
        except v.FieldProblem as exc:
            raise ValidationError(f"action '{text.strip()}': {exc}") from None
    return {"owner": match.group("owner"), "what": match.group("what").strip(), "due": due}


def _split(values: Iterable[str] | str | None) -> list[str]:
    """People given as a list and/or comma-separated text, without repeats."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out: list[str] = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if part and part not in out:
                out.append(part)
    return out


class Meetings:
    """``p.meetings``: propose, invite, pitch, check, trim, cancel and record meetings."""

    def __init__(self, p: Partnership) -> None:
        self.p = p
        self.meetings: Collection[Meeting] = Collection(p, Meeting)
        self.invitees: Collection[Invitee] = Collection(p, Invitee)
        self.items: Collection[AgendaItem] = Collection(p, AgendaItem)
        self.needs: Collection[AgendaNeed] = Collection(p, AgendaNeed)
        self.attendance: Collection[Attendance] = Collection(p, Attendance)
        self.decisions: Collection[Decision] = Collection(p, Decision)
        self.actions: Collection[Action] = Collection(p, Action)

    # -- reading ------------------------------------------------------------------------

    def get(self, slug: str) -> Meeting:
        meeting_row(self.p, slug)
        return self.meetings.get(slug)

    def list(self, status: str | None = None) -> list[Meeting]:
        return self.meetings.list(**({"status": status} if status else {}))

    def summaries(self, status: str | None = None) -> builtins.list[dict[str, Any]]:
        """Each meeting with its counts and person-hours, in date order."""
        return [self._summary(m) for m in self.list(status)]

    def _summary(self, m: Meeting) -> dict[str, Any]:
        invited = self._invited(m.slug)
        attended = [a.person for a in self.attendance.list(meeting=m.slug)]
        items = self.items.list(meeting=m.slug)
        people = len(attended) if m.status == MeetingStatus.HELD else len(invited)
        return {
            **to_row(m),
            "invitees": len(invited),
            "attended": len(attended) if m.status == MeetingStatus.HELD else None,
            "items": sum(1 for i in items if not i.dropped),
            "person_hours": person_hours(people, m.minutes) if m.status != MeetingStatus.CANCELLED else 0,
        }

    def show(self, slug: str) -> dict[str, Any]:
        """Everything about one meeting: invitees, agenda with needs, attendance, decisions, actions."""
        m = self.get(slug)
        items = []
        for item in self.items.list(meeting=slug):
            items.append({**to_row(item), "dropped": item.dropped,
                          "needs": [n.person for n in self.needs.list(item=item.id)]})
        return {
            **self._summary(m),
            "invited": [i.person for i in self.invitees.list(meeting=slug) if not i.dropped],
            "dropped_invitees": [i.person for i in self.invitees.list(meeting=slug) if i.dropped],
            "agenda": items,
            "attendance": [a.person for a in self.attendance.list(meeting=slug)],
            "decisions": [d.text for d in self.decisions.list(meeting=slug)],
            "actions": [to_row(a) for a in self.actions.list(meeting=slug)],
        }

    def _invited(self, slug: str) -> builtins.list[str]:
        return [i.person for i in self.invitees.list(meeting=slug) if not i.dropped]

    # -- proposing ------------------------------------------------------------------------

    def propose(self, slug: str, *, date: Any, minutes: Any, invite: Iterable[str] | str | None = None,
                title: str = "", chair: str | None = None) -> Meeting:
        """Propose a meeting; the chair (if any) and ``invite`` are invited."""
        if isinstance(minutes, str) and v.WHOLE_RE.fullmatch(minutes.strip()):
            minutes = int(minutes.strip())
        meeting = structure(Meeting, {"slug": slug, "date": date, "minutes": minutes,
                                      "title": title, "chair": chair})
        people = _split(invite)
        if chair and chair not in people:
            people.insert(0, chair)
        with self.p.store.transaction():
            added = self.meetings.add(meeting)
            for person in people:
                self.invitees.add(meeting=slug, person=person)
            return added

    def invite(self, slug: str, people: Iterable[str] | str) -> builtins.list[str]:
        """Invite people (again, if they had been dropped); returns who was newly invited."""
        names = _split(people)
        if not names:
            raise ValidationError("say who to invite, e.g. 'jo-bloggs,sam-lee'")
        added = []
        with self.p.store.transaction():
            still_proposed(self.p, slug, "change who is invited")
            for person in names:
                if self.invitees.exists(slug, person):
                    if self.invitees.get(slug, person).dropped:
                        self.invitees.update(slug, person, dropped=False)
                        added.append(person)
                else:
                    self.invitees.add(meeting=slug, person=person)
                    added.append(person)
        return added

    def uninvite(self, slug: str, person: str) -> None:
        """Take someone off the invitation list (kept, marked dropped, to count hours saved)."""
        with self.p.store.transaction():
            still_proposed(self.p, slug, "change who is invited")
            if not self.invitees.exists(slug, person) or self.invitees.get(slug, person).dropped:
                raise NotFound("invitee", person, self._invited(slug))
            needed_by = [r["id"] for r in self.p.store.query(
                "SELECT i.id FROM agenda_items i JOIN agenda_needs n ON n.item = i.id "
                "WHERE i.meeting = ? AND i.dropped = 0 AND n.person = ? ORDER BY i.id",
                [slug, person])]
            if needed_by:
                raise Conflict(
                    f"{person} is needed by {noun(len(needed_by), 'agenda item')} "
                    f"{', '.join(f'#{n}' for n in needed_by)} "
                    f"of {slug}; drop those with 'partnership agenda drop' first, or keep them invited")
            self.invitees.update(slug, person, dropped=True)

    def pitch(self, meeting: str, title: str, *, kind: str = "discussion", outcome: str | None = None,
              needs: Iterable[str] | str | None = None, by: str | None = None) -> AgendaItem:
        """Pitch an agenda item; every person it ``needs`` must be invited."""
        with self.p.store.transaction():
            meeting_row(self.p, meeting)
            item = self.items.add(meeting=meeting, title=title, kind=kind, outcome=outcome,
                                  pitched_by=by)
            invited = self._invited(meeting)
            for person in _split(needs):
                if person not in invited and self.p.people.exists(person):
                    raise ValidationError(not_invited(person, meeting))
                self.needs.add(item=item.id, person=person)
            return item

    def drop_item(self, item_id: int) -> AgendaItem:
        """Take an item off the agenda (it stays on record as dropped)."""
        with self.p.store.transaction():
            item = self.items.get(item_id)
            still_proposed(self.p, item.meeting, "change its agenda")
            return self.items.update(item_id, dropped=True)

    # -- checking ---------------------------------------------------------------------------

    def check(self, slug: str, *, hourly_rate: Any = None, currency: str | None = None) -> MeetingCheck:
        """Run every meeting rule on a proposed meeting; the verdict, reasons and person-hours.

        With ``hourly_rate``, the person-hours are costed in ``currency`` (default: the
        partnership's, ``p.info().currency``)."""
        m = self.get(slug)
        rate = None
        if hourly_rate is not None:
            try:
                rate = v.number(hourly_rate, "hourly rate")
            except v.FieldProblem as exc:
                raise ValidationError(str(exc)) from None
            if rate < 0:
                raise ValidationError(f"hourly rate must not be negative (got {rate:g})")
        findings = list(self.p.check(scope="meeting", options={"meeting": slug}))
        items = [i for i in self.items.list(meeting=slug) if not i.dropped]
        invited = self._invited(slug)
        needs: dict[int, list[str]] = {i.id: [] for i in items if i.id is not None}
        for r in self.p.store.query(
                "SELECT n.item, n.person FROM agenda_needs n JOIN agenda_items i ON i.id = n.item "
                "WHERE i.meeting = ? ORDER BY n.item, n.person", [slug]):
            if r["item"] in needs:
                needs[r["item"]].append(r["person"])
        if currency is not None:
            from ..models import currency_code

            try:
                currency = currency_code(currency)
            except v.FieldProblem as exc:
                raise ValidationError(str(exc)) from None
        return decide(m, items, invited, needs, findings, hourly_rate=rate,
                      currency=currency or self.p.info().currency,
                      partner_of=lambda person: self.p.people.get(person).partner)

    def trim(self, slug: str) -> MeetingCheck:
        """Apply a TRIM verdict: drop the items and invitees the check says are not needed."""
        result = self.check(slug)
        if result.verdict == Verdict.DONT_MEET:
            raise Conflict(f"meeting {slug} should not happen at all; post updates instead and "
                           f"cancel it with 'partnership meeting cancel {slug}'")
        with self.p.store.transaction():
            still_proposed(self.p, slug, "trim it")
            for item in result.drop_items:
                self.items.update(item["id"], dropped=True)
            for person in result.drop_invitees:
                self.invitees.update(slug, person["person"], dropped=True)
        return result

    def remove(self, slug: str, *, reason: str = "") -> Meeting:
        """Remove a meeting proposed by mistake, with its invitation list and agenda.

        A meeting that was held keeps its record (attendance, decisions and actions
        depend on it); a meeting that will not happen is cancelled, which counts it as a
        meeting avoided. Every row removed is in the change log, so undo puts it back."""
        with self.p.store.transaction():
            m = self.get(slug)
            if m.status == MeetingStatus.HELD:
                raise Conflict(f"meeting {slug} was held: its attendance, decisions and actions "
                               f"depend on it, so it stays on record")
            for item in self.items.list(meeting=slug):
                for need in self.needs.list(item=item.id):
                    self.needs.remove(need.item, need.person, reason=reason)
                self.items.remove(item.id, reason=reason)
            for invitee in self.invitees.list(meeting=slug):
                self.invitees.remove(invitee.meeting, invitee.person, reason=reason)
            return self.meetings.remove(slug, reason=reason)

    def cancel(self, slug: str, reason: str = "") -> Meeting:
        """Call a proposed meeting off (counted as a meeting avoided)."""
        with self.p.store.transaction():
            still_proposed(self.p, slug, "cancel it")
            changes: dict[str, Any] = {"status": MeetingStatus.CANCELLED}
            if reason:
                changes["note"] = reason
            return self.meetings.update(slug, **changes)

    # -- recording ----------------------------------------------------------------------------

    def record(self, slug: str, *, attended: Iterable[str] | str | None = None,
               decisions: Iterable[str] = (), actions: Iterable[str | dict[str, Any]] = (),
               note: str = "") -> dict[str, Any]:
        """Record a held meeting: who attended, decisions and actions, in one transaction.

        An action is ``"OWNER: what by YYYY-MM-DD"`` (or a dict of owner, what, due).
        When ``p.commitments`` exists, each action with a due date becomes a commitment
        of the owner's partner.
        """
        people = _split(attended)
        parsed = [dict(a) if isinstance(a, dict) else parse_action(a) for a in actions]
        decisions = [d for d in decisions]
        if not people:
            raise ValidationError(f"say who attended {slug} with --attended, e.g. 'jo-bloggs,sam-lee'")
        with self.p.store.transaction():
            m = self.get(slug)
            if m.status != MeetingStatus.PROPOSED:
                raise Conflict(f"meeting {slug} is already {m.status.value}; "
                               f"a meeting is recorded once")
            changes: dict[str, Any] = {"status": MeetingStatus.HELD}
            if note:
                changes["note"] = note
            self.meetings.update(slug, **changes)
            for person in people:
                self.attendance.add(meeting=slug, person=person)
            for text in decisions:
                self.decisions.add(meeting=slug, text=text)
            stored = []
            for action in parsed:
                saved = self.actions.add(meeting=slug, **action)
                if saved.due is not None:
                    made = self._commit(self.p.commitments, slug, saved)
                    if made is not None:
                        saved = self.actions.update(saved.id, commitment=made)
                stored.append(saved)
        return {**self.show(slug), "actions": [to_row(a) for a in stored]}

    def _commit(self, commitments: Any, slug: str, action: Action) -> int | None:
        partner = self.p.people.get(action.owner).partner
        outcome = self._action_outcome(slug, partner)
        # made at the meeting (or today, if it is recorded ahead of its date)
        created = min(self.get(slug).date, self.p.today())
        made = commitments.commit(partner=partner, owner=action.owner, what=action.what,
                                  due=action.due, outcome=outcome, created=created)
        ident = getattr(made, "id", made)
        return ident if isinstance(ident, int) and not isinstance(ident, bool) else None

    def _action_outcome(self, slug: str, partner: str) -> str | None:
        """The outcome an action serves: the meeting's decision items' outcome, when one."""
        rows = self.p.store.query(
            "SELECT DISTINCT outcome FROM agenda_items WHERE meeting = ? AND dropped = 0 "
            "AND outcome IS NOT NULL AND kind != 'information' ORDER BY id", [slug])
        return rows[0]["outcome"] if len(rows) == 1 else None

