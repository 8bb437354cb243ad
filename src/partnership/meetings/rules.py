"""The rules of step 5 that span records: an agenda changes only while its meeting is
proposed, and a person an item needs must be invited.

:data:`RULES` are checked before a record is written (registered through
``register_rules``); :func:`meeting_row` and :func:`still_proposed` are the same guards
for the services' own writes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import Conflict, NotFound, ValidationError
from .models import AgendaItem, AgendaNeed, MeetingStatus

if TYPE_CHECKING:
    from ..api import Partnership

__all__ = ["RULES", "meeting_row", "still_proposed", "not_invited"]


def meeting_row(p: Partnership, slug: str) -> dict[str, Any]:
    """The stored row of meeting ``slug``, or :class:`NotFound` with a did-you-mean."""
    rows = p.store.query("SELECT * FROM meetings WHERE slug = ?", [slug])
    if not rows:
        known = [r["slug"] for r in p.store.query("SELECT slug FROM meetings ORDER BY slug")]
        raise NotFound("meeting", slug, known,
                       hint="propose it first with 'partnership meeting propose'")
    return rows[0]


def still_proposed(p: Partnership, slug: str, doing: str) -> None:
    """Refuse ``doing`` something to a meeting that was already held or cancelled."""
    status = meeting_row(p, slug)["status"]
    if status != MeetingStatus.PROPOSED.value:
        raise Conflict(f"meeting {slug} is already {status}, so you cannot {doing}; "
                       f"propose a new meeting instead")


def _item_for_open_meeting(p: Partnership, item: AgendaItem) -> None:
    if item.id is None:
        still_proposed(p, item.meeting, "pitch items for it")


def _needed_person_is_invited(p: Partnership, need: AgendaNeed) -> None:
    meeting = p.store.query("SELECT meeting FROM agenda_items WHERE id = ?", [need.item])[0]["meeting"]
    rows = p.store.query("SELECT dropped FROM invitees WHERE meeting = ? AND person = ?",
                         [meeting, need.person])
    if not rows:
        raise ValidationError(not_invited(need.person, meeting))


def not_invited(person: str, meeting: str) -> str:
    return (f"{person} is needed for this item but is not invited to {meeting}; invite them "
            f"with 'partnership meeting invite {meeting} {person}', or leave them out of --needs")


#: rules checked before a record is written (registered by the feature's plugin)
RULES: list[tuple[type, Callable[[Partnership, Any], None]]] = [
    (AgendaItem, _item_for_open_meeting),
    (AgendaNeed, _needed_person_is_invited),
]
