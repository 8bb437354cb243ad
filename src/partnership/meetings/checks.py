"""Built-in rules of step 5 (meeting discipline), registered like any plugin's.

Each is a :class:`~partnership.checks.Check` of ``scope="meeting"``: it is run by
``partnership meeting check SLUG`` with the meeting's slug in ``view.options["meeting"]``.
A finding about ``"item N"`` or ``"invitee SLUG"`` (problem or warning) drops that item
or invitee; one about ``"meeting SLUG"`` with severity problem means DON'T MEET. The
verdict and the person-hours are worked out in :mod:`partnership.meetings.verdict`.

``partnership check`` (scope ``"partnership"``) runs the same rules on every proposed
meeting (:func:`proposed_meetings`), so a meeting that needs trimming is reported there too.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from partnership.checks import Check, Finding, Severity
from partnership.readonly import ReadOnlyView


def _items(view: ReadOnlyView) -> list[dict[str, Any]]:
    return view.query(
        "SELECT id, title, kind, outcome, pitched_by FROM agenda_items "
        "WHERE meeting = ? AND dropped = 0 ORDER BY id", [view.options["meeting"]])


def _is_stuffing(item: dict[str, Any]) -> bool:
    return not item["outcome"]


def _remaining(view: ReadOnlyView) -> list[dict[str, Any]]:
    """Items the built-in rules keep: decisions and discussions that serve an outcome."""
    return [i for i in _items(view) if i["kind"] != "information" and not _is_stuffing(i)]


def information_only(view: ReadOnlyView) -> Iterator[Finding]:
    for item in _items(view):
        if item["kind"] == "information":
            yield Finding(
                rule="information-only", subject=f"item {item['id']}", step=5,
                message=f"'{item['title']}' only informs: it does not need a meeting",
                advice="post it as a written update with 'partnership update post' instead",
                severity=Severity.WARNING,
            )


def agenda_stuffing(view: ReadOnlyView) -> Iterator[Finding]:
    for item in _items(view):
        if _is_stuffing(item) and item["kind"] != "information":
            yield Finding(
                rule="agenda-stuffing", subject=f"item {item['id']}", step=5,
                message=f"'{item['title']}' serves no outcome: agenda stuffing",
                advice="say which shared outcome it serves (pitch it again with --outcome), "
                       "or leave it off the agenda",
                severity=Severity.WARNING,
            )
        elif _is_stuffing(item):
            yield Finding(
                rule="agenda-stuffing", subject=f"item {item['id']}", step=5,
                message=f"'{item['title']}' serves no outcome either",
                advice="tie the update to an outcome, or do not send it",
                severity=Severity.INFO,
            )


def not_needed(view: ReadOnlyView) -> Iterator[Finding]:
    slug = view.options["meeting"]
    kept = [i["id"] for i in _remaining(view)]
    needed = {r["person"] for r in view.query(
        f"SELECT person FROM agenda_needs WHERE item IN ({', '.join('?' for _ in kept)})", kept)} \
        if kept else set()
    chair = view.scalar("SELECT chair FROM meetings WHERE slug = ?", [slug])
    if chair:
        needed.add(chair)
    for r in view.query("SELECT person FROM invitees WHERE meeting = ? AND dropped = 0 "
                        "ORDER BY person", [slug]):
        if r["person"] not in needed:
            yield Finding(
                rule="not-needed", subject=f"invitee {r['person']}", step=5,
                message=f"{r['person']} is invited but needed by no item that needs a meeting: "
                        f"meat in the room",
                advice=f"only invite those who need to be there; drop them with "
                       f"'partnership meeting uninvite {slug} {r['person']}' and send them the notes",
                severity=Severity.WARNING,
            )


def nothing_to_meet_about(view: ReadOnlyView) -> Iterator[Finding]:
    slug = view.options["meeting"]
    if _remaining(view):
        return
    posts = [i["title"] for i in _items(view)]
    instead = ("post " + "; ".join(f"'{t}'" for t in posts) + " as written updates") if posts \
        else "post a written update if there is news"
    yield Finding(
        rule="nothing-to-meet-about", subject=f"meeting {slug}", step=5,
        message="no decision or discussion tied to an outcome is left on the agenda",
        advice=f"don't meet: {instead}, and call it off with 'partnership meeting cancel {slug}'",
    )


#: the meeting rules ``partnership check`` runs on every proposed meeting
MEETING_RULES = (information_only, agenda_stuffing, not_needed, nothing_to_meet_about)


def proposed_meetings(view: ReadOnlyView) -> Iterator[Finding]:
    """``partnership check`` (step 5): every proposed meeting goes through the meeting
    rules above; one that should not happen, or should be trimmed, is reported."""
    for m in view.query("SELECT slug, date, title FROM meetings WHERE status = 'proposed' "
                        "ORDER BY date, slug"):
        slug = m["slug"]
        one = copy.copy(view)
        one.options = {**view.options, "meeting": slug}
        found = [f for rule in MEETING_RULES for f in rule(one) if f.severity != Severity.INFO]
        if not found:
            continue
        named = f"meeting {slug} ({m['date']}, {m['title']})"
        late = (f"; its date has passed: if it was held, record it with 'partnership meeting "
                f"record {slug}'" if m["date"] < view.today.isoformat() else "")
        if any(f.subject == f"meeting {slug}" for f in found):
            yield Finding(
                rule="proposed-meetings", subject=f"meeting {slug}", step=5,
                message=f"{named} should not happen: no decision or discussion tied to an "
                        f"outcome is on its agenda",
                advice=f"see 'partnership meeting check {slug}'; post written updates and call it "
                       f"off with 'partnership meeting cancel {slug}'{late}",
                severity=Severity.WARNING)
            continue
        items = sum(1 for f in found if f.subject.startswith("item "))
        people = sum(1 for f in found if f.subject.startswith("invitee "))
        parts = [f"{n} {word}{'s' if n != 1 else ''}" for n, word in
                 ((items, "agenda item"), (people, "invitee")) if n]
        yield Finding(
            rule="proposed-meetings", subject=f"meeting {slug}", step=5,
            message=f"{named} needs trimming: {' and '.join(parts)} not needed",
            advice=f"see why with 'partnership meeting check {slug}', then drop them with "
                   f"'partnership meeting trim {slug}'{late}",
            severity=Severity.WARNING)


def register_checks(register: Callable[[Check], None]) -> None:
    register(Check(name="proposed-meetings", step=5, run=proposed_meetings,
                   description="Every proposed meeting passes the meeting rules: nothing to "
                               "trim, and something to meet about."))
    register(Check(name="information-only", step=5, scope="meeting", run=information_only,
                   description="Items that only inform become a written update, not a meeting."))
    register(Check(name="agenda-stuffing", step=5, scope="meeting", run=agenda_stuffing,
                   description="Every agenda item serves a shared outcome."))
    register(Check(name="not-needed", step=5, scope="meeting", run=not_needed,
                   description="Every invitee is needed by an item that needs a meeting."))
    register(Check(name="nothing-to-meet-about", step=5, scope="meeting", run=nothing_to_meet_about,
                   description="A meeting needs a decision or discussion tied to an outcome."))
