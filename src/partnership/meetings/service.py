"""Step 5 of the method: meeting discipline and written updates.

"Only meet if you really need to, and only have those that need to meet turn up."

A :class:`Meeting` has invitees and a crowd-sourced agenda: anyone can pitch an
:class:`AgendaItem` (decision, discussion or information), saying which outcome it serves
and which people it needs. :meth:`Meetings.check` runs every check of scope
``"meeting"`` (built-in in :mod:`partnership.meetings.checks`, or from plugins)
and turns the findings into a verdict - MEET, TRIM or DON'T MEET - with the
person-hours the meeting costs and what trimming saves.

How findings drive the verdict (the same for plugin rules):

* a finding whose ``subject`` is ``"item N"`` with severity problem or warning drops
  agenda item N; ``"invitee SLUG"`` drops that invitee;
* a finding whose subject is ``"meeting SLUG"`` with severity problem means DON'T MEET,
  with severity warning it means at least TRIM;
* an invitee needed by no remaining item (and who is not the chair) is dropped;
* when no decision or discussion item remains, the verdict is DON'T MEET;
* info findings are reasons only.

Recording a held meeting stores attendance, decisions and actions ("sam-lee: draft
MoU by 2026-03-01"); when the commitments feature is present (``p.commitments``), each
action with a due date also becomes a commitment, in the same transaction.

Written :class:`Update` s are the alternative to information items: a partner posts a
short progress note tied to an outcome; :meth:`Updates.since` with the change log
answers "what changed since the last meeting". Updates are public.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import attrs
from attrs import define, field

from .. import validators as v
from ..errors import Conflict, NotFound, ValidationError
from ..models import Choice, entity, ref
from ..records import Collection, from_row, structure, to_row

if TYPE_CHECKING:
    from ..api import Partnership
    from ..checks import Finding

__all__ = [
    "MeetingStatus", "ItemKind", "Verdict", "Meeting", "Invitee", "AgendaItem", "AgendaNeed",
    "Attendance", "Decision", "Action", "Update", "MeetingCheck", "Meetings", "Updates",
    "parse_action",
]


class MeetingStatus(Choice):
    PROPOSED = "proposed"
    HELD = "held"
    #: called off, usually because the check said DON'T MEET: a meeting avoided
    CANCELLED = "cancelled"


class ItemKind(Choice):
    DECISION = "decision"
    DISCUSSION = "discussion"
    INFORMATION = "information"


class Verdict(Choice):
    MEET = "meet"
    TRIM = "trim"
    DONT_MEET = "dont-meet"

    @property
    def words(self) -> str:
        return {"meet": "MEET", "trim": "TRIM", "dont-meet": "DON'T MEET"}[self.value]


def _minutes(_instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise v.FieldProblem(f"{attribute.name} must be a whole number of minutes (got {v.shown(value)})")
    if value <= 0:
        raise v.FieldProblem(
            f"{attribute.name} must be a positive number of minutes, like 60 (got {value})")
    if value > 24 * 60:
        raise v.FieldProblem(f"{attribute.name} {value} is longer than a day; split the meeting")


def _optional_ref(table: str, **kwargs: Any) -> Any:
    return ref(table, default=None, validator=v.optional_slug, **kwargs)


def _item_id(_instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise v.FieldProblem(f"{attribute.name} must be the number of an agenda item (got {v.shown(value)})")


@entity("meetings", ("slug",), "meeting", order_by="date, slug")
@define(kw_only=True)
class Meeting:
    """A proposed, held or cancelled meeting of the partnership."""

    slug: str = field(validator=v.slug)
    date: dt.date
    minutes: int = field(validator=_minutes)
    title: str = field(default="", converter=v.strip, validator=v.optional_text)
    #: the chair is always needed, whatever the agenda
    chair: str | None = _optional_ref("people")
    status: MeetingStatus = MeetingStatus.PROPOSED
    #: why it was cancelled, or a note on how it went
    note: str = field(default="", converter=v.strip, validator=v.optional_text)


@entity("invitees", ("meeting", "person"), "invitee")
@define(kw_only=True)
class Invitee:
    """A person invited to a meeting; ``dropped`` once trimmed off the invitation list."""

    meeting: str = ref("meetings")
    person: str = ref("people")
    dropped: bool = False


@entity("agenda_items", ("id",), "agenda item", order_by="meeting, id",
        match=("meeting", "title"))
@define(kw_only=True)
class AgendaItem:
    """An item pitched for a meeting's agenda, by anyone in the partnership."""

    id: int | None = None
    meeting: str = ref("meetings")
    title: str = field(converter=v.strip, validator=v.text)
    kind: ItemKind = ItemKind.DISCUSSION
    #: the outcome it serves; an item serving none is agenda stuffing
    outcome: str | None = _optional_ref("outcomes")
    pitched_by: str | None = _optional_ref("people")
    #: taken off the agenda (trimmed, or moved to a written update)
    dropped: bool = False


@entity("agenda_needs", ("item", "person"), "agenda need")
@define(kw_only=True)
class AgendaNeed:
    """A person an agenda item cannot be dealt with without."""

    item: int = ref("agenda_items", validator=_item_id)
    person: str = ref("people")


@entity("attendance", ("meeting", "person"), "attendance")
@define(kw_only=True)
class Attendance:
    """Who attended a held meeting."""

    meeting: str = ref("meetings")
    person: str = ref("people")


@entity("decisions", ("id",), "decision", order_by="meeting, id", match=("meeting", "text"))
@define(kw_only=True)
class Decision:
    """A decision taken at a held meeting."""

    id: int | None = None
    meeting: str = ref("meetings")
    text: str = field(converter=v.strip, validator=v.text)

    @property
    def title(self) -> str:
        """How the change log names it."""
        return _short(f"{self.meeting}: {self.text}")


@entity("actions", ("id",), "action", order_by="meeting, id", match=("meeting", "owner", "what"))
@define(kw_only=True)
class Action:
    """An action agreed at a held meeting: an owner, what, and optionally by when."""

    id: int | None = None
    meeting: str = ref("meetings")
    owner: str = ref("people")
    what: str = field(converter=v.strip, validator=v.text)
    due: dt.date | None = None
    #: the id of the commitment it became, when the commitments feature is present
    commitment: int | None = None

    @property
    def title(self) -> str:
        due = f" by {self.due.isoformat()}" if self.due else ""
        return _short(f"{self.owner}: {self.what}{due}")


def _short_text(_instance: Any, attribute: attrs.Attribute, value: str) -> None:
    if len(value) > 2000:
        raise v.FieldProblem(
            f"{attribute.name} of an update is {len(value)} characters; keep it short (at most "
            f"2,000) and link to a longer document")


@entity("updates", ("id",), "update", order_by="date, id", match=("date", "partner", "text"))
@define(kw_only=True)
class Update:
    """A short written progress update from a partner, tied to an outcome. Public."""

    id: int | None = None
    date: dt.date
    partner: str = ref("partners")
    outcome: str = ref("outcomes")
    text: str = field(converter=v.strip, validator=[v.text, _short_text])
    #: the person who wrote it
    author: str | None = _optional_ref("people")

    @property
    def title(self) -> str:
        return _short(f"{self.partner}: {self.text}")


def _short(text: str, n: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


#: stored models in dependency order (for import/export)
MODELS: list[type] = [Meeting, Invitee, AgendaItem, AgendaNeed, Attendance, Decision, Action,
                      Update]


# -- cross-entity rules -------------------------------------------------------------------


def _meeting_row(p: Partnership, slug: str) -> dict[str, Any]:
    rows = p.store.query("SELECT * FROM meetings WHERE slug = ?", [slug])
    if not rows:
        known = [r["slug"] for r in p.store.query("SELECT slug FROM meetings ORDER BY slug")]
        raise NotFound("meeting", slug, known,
                       hint="propose it first with 'partnership meeting propose'")
    return rows[0]


def _still_proposed(p: Partnership, slug: str, doing: str) -> None:
    status = _meeting_row(p, slug)["status"]
    if status != MeetingStatus.PROPOSED.value:
        raise Conflict(f"meeting {slug} is already {status}, so you cannot {doing}; "
                       f"propose a new meeting instead")


def _item_for_open_meeting(p: Partnership, item: AgendaItem) -> None:
    if item.id is None:
        _still_proposed(p, item.meeting, "pitch items for it")


def _needed_person_is_invited(p: Partnership, need: AgendaNeed) -> None:
    meeting = p.store.query("SELECT meeting FROM agenda_items WHERE id = ?", [need.item])[0]["meeting"]
    rows = p.store.query("SELECT dropped FROM invitees WHERE meeting = ? AND person = ?",
                         [meeting, need.person])
    if not rows:
        raise ValidationError(_not_invited(need.person, meeting))


def _not_invited(person: str, meeting: str) -> str:
    return (f"{person} is needed for this item but is not invited to {meeting}; invite them "
            f"with 'partnership meeting invite {meeting} {person}', or leave them out of --needs")


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


# -- the check ------------------------------------------------------------------------------


@define(kw_only=True)
class MeetingCheck:
    """The verdict on a proposed meeting, every reason, and the person-hours."""

    meeting: str
    verdict: Verdict
    summary: str
    findings: list[Finding]
    minutes: int
    invitees: int
    #: invitees x length, in hours
    person_hours: float
    drop_items: list[dict[str, Any]] = field(factory=list)
    drop_invitees: list[dict[str, Any]] = field(factory=list)
    keep_items: list[dict[str, Any]] = field(factory=list)
    keep_invitees: list[str] = field(factory=list)
    #: person-hours once trimmed (0 when the meeting should not happen)
    person_hours_after: float = 0.0
    hours_saved: float = 0.0
    hourly_rate: float | None = None
    cost: float | None = None
    cost_after: float | None = None
    saving: float | None = None
    #: written updates to post instead of meeting (information and dropped items)
    post_instead: list[dict[str, Any]] = field(factory=list)

    def to_dict(self) -> dict[str, Any]:
        d = attrs.asdict(self, recurse=False)
        d["verdict"] = self.verdict.words
        d["findings"] = [f.to_dict() for f in self.findings]
        return d


def person_hours(people: int, minutes: int) -> float:
    """People x minutes, in hours, rounded to the minute."""
    return round(people * minutes / 60, 2)


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
        _meeting_row(self.p, slug)
        return self.meetings.get(slug)

    def list(self, status: str | None = None) -> list[Meeting]:
        return self.meetings.list(**({"status": status} if status else {}))

    def summaries(self, status: str | None = None) -> list[dict[str, Any]]:
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

    def _invited(self, slug: str) -> list[str]:
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

    def invite(self, slug: str, people: Iterable[str] | str) -> list[str]:
        """Invite people (again, if they had been dropped); returns who was newly invited."""
        names = _split(people)
        if not names:
            raise ValidationError("say who to invite, e.g. 'jo-bloggs,sam-lee'")
        added = []
        with self.p.store.transaction():
            _still_proposed(self.p, slug, "change who is invited")
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
            _still_proposed(self.p, slug, "change who is invited")
            if not self.invitees.exists(slug, person) or self.invitees.get(slug, person).dropped:
                raise NotFound("invitee", person, self._invited(slug))
            needed_by = [r["id"] for r in self.p.store.query(
                "SELECT i.id FROM agenda_items i JOIN agenda_needs n ON n.item = i.id "
                "WHERE i.meeting = ? AND i.dropped = 0 AND n.person = ? ORDER BY i.id",
                [slug, person])]
            if needed_by:
                raise Conflict(
                    f"{person} is needed by agenda item(s) {', '.join(f'#{n}' for n in needed_by)} "
                    f"of {slug}; drop those with 'partnership agenda drop' first, or keep them invited")
            self.invitees.update(slug, person, dropped=True)

    def pitch(self, meeting: str, title: str, *, kind: str = "discussion", outcome: str | None = None,
              needs: Iterable[str] | str | None = None, by: str | None = None) -> AgendaItem:
        """Pitch an agenda item; every person it ``needs`` must be invited."""
        with self.p.store.transaction():
            _meeting_row(self.p, meeting)
            item = self.items.add(meeting=meeting, title=title, kind=kind, outcome=outcome,
                                  pitched_by=by)
            invited = self._invited(meeting)
            for person in _split(needs):
                if person not in invited and self.p.people.exists(person):
                    raise ValidationError(_not_invited(person, meeting))
                self.needs.add(item=item.id, person=person)
            return item

    def drop_item(self, item_id: int) -> AgendaItem:
        """Take an item off the agenda (it stays on record as dropped)."""
        with self.p.store.transaction():
            item = self.items.get(item_id)
            _still_proposed(self.p, item.meeting, "change its agenda")
            return self.items.update(item_id, dropped=True)

    # -- checking ---------------------------------------------------------------------------

    def check(self, slug: str, *, hourly_rate: Any = None) -> MeetingCheck:
        """Run every meeting rule on a proposed meeting; the verdict, reasons and person-hours."""
        from ..checks import Finding, Severity

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

        blocking = {Severity.PROBLEM, Severity.WARNING}
        drop_items: dict[int, list[str]] = {}
        drop_people: dict[str, list[str]] = {}
        meeting_problem = meeting_warning = False
        for f in findings:
            kind, _, what = f.subject.partition(" ")
            if f.severity not in blocking:
                continue
            if kind == "item" and what.isdigit() and int(what) in needs:
                drop_items.setdefault(int(what), []).append(f.message)
            elif kind == "invitee" and what in invited:
                drop_people.setdefault(what, []).append(f.message)
            elif kind == "meeting":
                meeting_problem |= f.severity == Severity.PROBLEM
                meeting_warning |= f.severity == Severity.WARNING
        keep = [i for i in items if i.id not in drop_items]
        still_needed = {person for i in keep for person in needs[i.id]}
        if m.chair:
            still_needed.add(m.chair)
        for person in invited:
            if person not in still_needed and person not in drop_people:
                message = f"{person} is needed by no item left on the agenda"
                drop_people[person] = [message]
                findings.append(Finding(
                    rule="not-needed", subject=f"invitee {person}", step=5, message=message,
                    advice="only those who need to meet should turn up; send them the notes",
                    severity=Severity.WARNING, check="verdict", plugin="partnership.meetings"))
        worth_meeting = [i for i in keep if i.kind != ItemKind.INFORMATION]
        if not worth_meeting and not any(f.rule == "nothing-to-meet-about" for f in findings):
            findings.append(Finding(
                rule="nothing-to-meet-about", subject=f"meeting {slug}", step=5,
                message="no decision or discussion item is left on the agenda",
                advice="don't meet: post written updates instead", check="verdict",
                plugin="partnership.meetings"))
        keep_people = [person for person in invited if person not in drop_people]
        if m.status != MeetingStatus.PROPOSED:
            findings.append(Finding(
                rule="not-proposed", subject=f"meeting {slug}", step=5,
                message=f"meeting {slug} is already {m.status.value}: this is what the check "
                        f"would have said", severity=Severity.INFO, check="verdict",
                plugin="partnership.meetings"))
        order = {Severity.PROBLEM: 0, Severity.WARNING: 1, Severity.INFO: 2}
        findings.sort(key=lambda f: (order[f.severity], f.rule, _natural(f.subject)))

        if not worth_meeting or meeting_problem:
            verdict = Verdict.DONT_MEET
        elif drop_items or drop_people or meeting_warning:
            verdict = Verdict.TRIM
        else:
            verdict = Verdict.MEET

        before = person_hours(len(invited), m.minutes)
        after = 0.0 if verdict == Verdict.DONT_MEET else person_hours(len(keep_people), m.minutes)
        check = MeetingCheck(
            meeting=slug, verdict=verdict, summary="", findings=findings, minutes=m.minutes,
            invitees=len(invited), person_hours=before, person_hours_after=after,
            hours_saved=round(before - after, 2),
            drop_items=[{"id": i.id, "title": i.title, "kind": i.kind.value,
                         "why": "; ".join(drop_items[i.id])} for i in items if i.id in drop_items],
            drop_invitees=[{"person": person, "why": "; ".join(drop_people[person])}
                           for person in invited if person in drop_people],
            keep_items=[{"id": i.id, "title": i.title, "kind": i.kind.value} for i in keep]
            if verdict != Verdict.DONT_MEET else [],
            keep_invitees=keep_people if verdict != Verdict.DONT_MEET else [],
            post_instead=[self._post_hint(i) for i in items
                          if i.kind == ItemKind.INFORMATION or verdict == Verdict.DONT_MEET],
        )
        if rate is not None:
            check.hourly_rate = rate
            check.cost = round(before * rate, 2)
            check.cost_after = round(after * rate, 2)
            check.saving = round(check.cost - check.cost_after, 2)
        check.summary = self._summary_sentence(check)
        return check

    def _post_hint(self, item: AgendaItem) -> dict[str, Any]:
        partner = None
        if item.pitched_by:
            partner = self.p.people.get(item.pitched_by).partner
        outcome = item.outcome or "OUTCOME"
        command = (f"partnership update post {partner or 'PARTNER'} {_quote(item.title)} "
                   f"--outcome {outcome}")
        return {"id": item.id, "title": item.title, "outcome": item.outcome, "partner": partner,
                "command": command}

    @staticmethod
    def _summary_sentence(c: MeetingCheck) -> str:
        hours = f"{c.invitees} invitee(s) x {c.minutes} min = {c.person_hours:g} person-hours"
        if c.cost is not None:
            hours += f" ({c.cost:,.2f} at {c.hourly_rate:g} an hour)"
        if c.verdict == Verdict.MEET:
            return f"MEET: every item and every invitee is needed; {hours}."
        if c.verdict == Verdict.TRIM:
            saved = f"trimming saves {c.hours_saved:g} person-hours"
            if c.saving is not None:
                saved += f" ({c.saving:,.2f})"
            return (f"TRIM: drop {len(c.drop_items)} item(s) and {len(c.drop_invitees)} "
                    f"invitee(s); {hours}; {saved}.")
        saved = f"not meeting saves {c.hours_saved:g} person-hours"
        if c.saving is not None:
            saved += f" ({c.saving:,.2f})"
        return f"DON'T MEET: post written updates instead; {hours}; {saved}."

    def trim(self, slug: str) -> MeetingCheck:
        """Apply a TRIM verdict: drop the items and invitees the check says are not needed."""
        result = self.check(slug)
        if result.verdict == Verdict.DONT_MEET:
            raise Conflict(f"meeting {slug} should not happen at all; post updates instead and "
                           f"cancel it with 'partnership meeting cancel {slug}'")
        with self.p.store.transaction():
            _still_proposed(self.p, slug, "trim it")
            for item in result.drop_items:
                self.items.update(item["id"], dropped=True)
            for person in result.drop_invitees:
                self.invitees.update(slug, person["person"], dropped=True)
        return result

    def cancel(self, slug: str, reason: str = "") -> Meeting:
        """Call a proposed meeting off (counted as a meeting avoided)."""
        with self.p.store.transaction():
            _still_proposed(self.p, slug, "cancel it")
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
            commitments = getattr(self.p, "commitments", None)
            for action in parsed:
                saved = self.actions.add(meeting=slug, **action)
                if commitments is not None and saved.due is not None:
                    made = self._commit(commitments, slug, saved)
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


def _natural(subject: str) -> tuple[str, int, str]:
    """Sort "item 9" before "item 10"."""
    kind, _, what = subject.partition(" ")
    return (kind, int(what), "") if what.isdigit() else (kind, 0, what)


def _quote(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'


class Updates:
    """``p.updates``: written progress updates, the alternative to information items."""

    def __init__(self, p: Partnership) -> None:
        self.p = p
        self.collection: Collection[Update] = Collection(p, Update)

    def post(self, partner: str, text: str, *, outcome: str, date: Any = None,
             author: str | None = None) -> Update:
        """Post an update from ``partner`` about ``outcome`` (dated today unless given)."""
        update = structure(Update, {"date": date or self.p.today(), "partner": partner,
                                    "outcome": outcome, "text": text, "author": author})
        if author and self.p.people.exists(author) and self.p.people.get(author).partner != partner:
            raise ValidationError(
                f"{author} works for {self.p.people.get(author).partner}, not {partner}; "
                f"post the update as their partner or leave out --by")
        return self.collection.add(update)

    def list(self, **where: Any) -> list[Update]:
        return self.collection.list(**where)

    def since(self, since: str | dt.date | None = None) -> dict[str, Any]:
        """Updates and changes on or after ``since``: a date, a meeting slug, or None for
        the date of the last held meeting (everything if none was held)."""
        meeting = None
        if since is None:
            rows = self.p.store.query(
                "SELECT slug, date FROM meetings WHERE status = 'held' ORDER BY date DESC, slug DESC "
                "LIMIT 1")
            if rows:
                meeting, since_date = rows[0]["slug"], dt.date.fromisoformat(rows[0]["date"])
            else:
                since_date = None
        elif isinstance(since, dt.date):
            since_date = since
        else:
            text = str(since).strip()
            if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
                try:
                    since_date = v.parse_date(text, "since")
                except v.FieldProblem as exc:
                    raise ValidationError(str(exc)) from None
            else:
                if not v.SLUG_RE.fullmatch(text):
                    raise ValidationError(
                        f"since must be a meeting's slug or a date written YYYY-MM-DD (got {v.shown(text)})")
                meeting = text
                since_date = dt.date.fromisoformat(_meeting_row(self.p, text)["date"])
        where, params = "", []
        if since_date is not None:
            where, params = "WHERE date >= ?", [since_date.isoformat()]
        updates = [from_row(Update, r) for r in self.p.store.query(
            f"SELECT * FROM updates {where} ORDER BY date DESC, id DESC", params)]
        # the updates are listed in full above; the change log adds everything else
        changes = self.p.store.query(
            "SELECT at, action, entity, key, summary FROM changes WHERE entity != 'update'"
            + (" AND at >= ?" if since_date else "") + " ORDER BY id DESC", params)
        return {
            "since": since_date.isoformat() if since_date else None,
            "meeting": meeting,
            "updates": [to_row(u) for u in updates],
            "changes": changes,
        }


# -- public views for the dashboard -------------------------------------------------------------

_SPENT = """CASE m.status
    WHEN 'held' THEN round(coalesce(nullif((SELECT count(*) FROM attendance a WHERE a.meeting = m.slug), 0),
        (SELECT count(*) FROM invitees i WHERE i.meeting = m.slug AND i.dropped = 0)) * m.minutes / 60.0, 2)
    ELSE 0 END"""
_SAVED = """CASE m.status
    WHEN 'cancelled' THEN round((SELECT count(*) FROM invitees i WHERE i.meeting = m.slug) * m.minutes / 60.0, 2)
    ELSE round((SELECT count(*) FROM invitees i WHERE i.meeting = m.slug AND i.dropped = 1)
               * m.minutes / 60.0, 2) END"""

PUBLIC_VIEWS = {
    # one row per meeting: held or avoided, person-hours spent and saved, decisions taken
    "meeting_hours": f"""
        SELECT m.slug AS meeting, m.title AS title, m.date AS date, m.minutes AS minutes,
               m.status AS status,
               (SELECT count(*) FROM invitees i WHERE i.meeting = m.slug AND i.dropped = 0) AS invitees,
               (SELECT count(*) FROM attendance a WHERE a.meeting = m.slug) AS attended,
               (SELECT count(*) FROM agenda_items ai WHERE ai.meeting = m.slug AND ai.dropped = 0) AS items,
               (SELECT count(*) FROM decisions d WHERE d.meeting = m.slug) AS decisions,
               (SELECT count(*) FROM actions ac WHERE ac.meeting = m.slug) AS actions,
               {_SPENT} AS person_hours_spent,
               {_SAVED} AS person_hours_saved
        FROM meetings m""",
    # the partnership's meeting discipline in one row
    "meeting_totals": f"""
        SELECT (SELECT count(*) FROM meetings WHERE status = 'held') AS meetings_held,
               (SELECT count(*) FROM meetings WHERE status = 'cancelled') AS meetings_avoided,
               (SELECT count(*) FROM decisions) AS decisions_made,
               (SELECT coalesce(round(sum({_SPENT}), 2), 0) FROM meetings m) AS person_hours_spent,
               (SELECT coalesce(round(sum({_SAVED}), 2), 0) FROM meetings m) AS person_hours_saved,
               (SELECT count(*) FROM updates) AS updates_posted""",
}



#: rules checked before a record is written (registered by the feature's plugin)
RULES: list[tuple[type, Callable[[Partnership, Any], None]]] = [
    (AgendaItem, _item_for_open_meeting),
    (AgendaNeed, _needed_person_is_invited),
]
