"""The verdict on a proposed meeting: MEET, TRIM or DON'T MEET, what to drop, and the
person-hours it costs and trimming saves.

"Only meet if you really need to, and only have those that need to meet turn up."

:func:`decide` is a pure function of what :meth:`Meetings.check
<partnership.meetings.service.Meetings.check>` gathers: the meeting, its agenda, who is
invited, who each item needs, and the findings of every check of scope ``"meeting"``
(built-in in :mod:`partnership.meetings.checks`, or from plugins).

How findings drive the verdict (the same for plugin rules):

* a finding whose ``subject`` is ``"item N"`` with severity problem or warning drops
  agenda item N; ``"invitee SLUG"`` drops that invitee;
* a finding whose subject is ``"meeting SLUG"`` with severity problem means DON'T MEET,
  with severity warning it means at least TRIM;
* an invitee needed by no remaining item (and who is not the chair) is dropped;
* when no decision or discussion item remains, the verdict is DON'T MEET;
* info findings are reasons only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import attrs
from attrs import define, field

from .models import AgendaItem, ItemKind, Meeting, MeetingStatus, Verdict

if TYPE_CHECKING:
    from ..checks import Finding

__all__ = ["MeetingCheck", "decide", "person_hours"]


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
    #: the currency of the rate and the costs (ISO 4217, e.g. GBP)
    currency: str | None = None
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


def decide(m: Meeting, items: list[AgendaItem], invited: list[str], needs: dict[int, list[str]],
           findings: list[Finding], *, partner_of: Callable[[str], str],
           hourly_rate: float | None = None, currency: str | None = None) -> MeetingCheck:
    """The verdict on meeting ``m`` from its agenda (``items`` not dropped), who is
    ``invited``, who each item ``needs`` (by item id) and the ``findings`` of the meeting
    checks; ``partner_of(person)`` names the partner who would post an update instead.
    ``findings`` gains the verdict's own reasons, sorted problems first."""
    from ..checks import Finding, Severity

    slug, rate = m.slug, hourly_rate
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
    # items come from the store, so each has an id (and an entry in ``needs``)
    still_needed = {person for i in keep for person in needs[cast(int, i.id)]}
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
        post_instead=[_post_hint(i, partner_of) for i in items
                      if i.kind == ItemKind.INFORMATION or verdict == Verdict.DONT_MEET],
    )
    if rate is not None:
        check.hourly_rate = rate
        check.currency = currency or "GBP"
        check.cost = round(before * rate, 2)
        check.cost_after = round(after * rate, 2)
        check.saving = round(check.cost - check.cost_after, 2)
    check.summary = _summary_sentence(check)
    return check


def _post_hint(item: AgendaItem, partner_of: Callable[[str], str]) -> dict[str, Any]:
    """The written update to post instead of taking ``item`` to a meeting."""
    partner = partner_of(item.pitched_by) if item.pitched_by else None
    outcome = item.outcome or "OUTCOME"
    command = (f"partnership update post {partner or 'PARTNER'} {_quote(item.title)} "
               f"--outcome {outcome}")
    return {"id": item.id, "title": item.title, "outcome": item.outcome, "partner": partner,
            "command": command}


def _summary_sentence(c: MeetingCheck) -> str:
    hours = f"{_n(c.invitees, 'invitee')} x {c.minutes} min = {_n(c.person_hours, 'person-hour')}"
    if c.cost is not None:
        hours += f" ({money(c.cost, c.currency)} at {money(c.hourly_rate, c.currency)} an hour)"
    if c.verdict == Verdict.MEET:
        return f"MEET: every item and every invitee is needed; {hours}."
    if c.verdict == Verdict.TRIM:
        saved = f"trimming saves {_n(c.hours_saved, 'person-hour')}"
        if c.saving is not None:
            saved += f" ({money(c.saving, c.currency)})"
        drop = " and ".join(_n(n, noun) for n, noun in ((len(c.drop_items), "item"),
                                                        (len(c.drop_invitees), "invitee")) if n)
        return f"TRIM: drop {drop}; {hours}; {saved}."
    saved = f"not meeting saves {_n(c.hours_saved, 'person-hour')}"
    if c.saving is not None:
        saved += f" ({money(c.saving, c.currency)})"
    return f"DON'T MEET: post written updates instead; {hours}; {saved}."


#: currencies written with their sign before the amount; any other is written after it
SIGNS = {"GBP": "£", "EUR": "€", "USD": "$"}


def money(amount: float | None, currency: str | None) -> str:
    """``£720.00``, ``€45.00``, ``1,200.50 CHF``."""
    if amount is None:
        return ""
    code = currency or "GBP"
    sign = SIGNS.get(code)
    return f"{sign}{amount:,.2f}" if sign else f"{amount:,.2f} {code}"


def _n(n: float, noun: str) -> str:
    """``1 invitee``, ``3 invitees``, ``1.5 person-hours``."""
    return f"{n:g} {noun}" + ("" if n == 1 else "s")


def _natural(subject: str) -> tuple[str, int, str]:
    """Sort "item 9" before "item 10"."""
    kind, _, what = subject.partition(" ")
    return (kind, int(what), "") if what.isdigit() else (kind, 0, what)


def _quote(text: str) -> str:
    return '"' + text.replace('"', '\\"') + '"'
