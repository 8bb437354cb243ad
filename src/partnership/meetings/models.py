"""The records of step 5: meetings, invitees, agenda items and who they need,
attendance, decisions, actions, and written updates.

A :class:`Meeting` has invitees and a crowd-sourced agenda: anyone can pitch an
:class:`AgendaItem` (decision, discussion or information), saying which outcome it serves
and which people it needs. A held meeting keeps its :class:`Attendance`,
:class:`Decision` s and :class:`Action` s. A written :class:`Update` is the alternative to
an information item: a short progress note from a partner, tied to an outcome (public).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs
from attrs import define, field

from .. import validators as v
from ..models import Choice, entity, ref

__all__ = [
    "MeetingStatus", "ItemKind", "Verdict", "Meeting", "Invitee", "AgendaItem", "AgendaNeed",
    "Attendance", "Decision", "Action", "Update", "MODELS",
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


def _minutes(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise v.FieldProblem(f"{attribute.name} must be a whole number of minutes (got {v.shown(value)})")
    if value <= 0:
        raise v.FieldProblem(
            f"{attribute.name} must be a positive number of minutes, like 60 (got {value})")
    if value > 24 * 60:
        raise v.FieldProblem(f"{attribute.name} {value} is longer than a day; split the meeting")


def _optional_ref(table: str, **kwargs: Any) -> Any:
    return ref(table, default=None, validator=v.optional_slug, **kwargs)


def _item_id(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
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


def _short_text(_instance: Any, attribute: attrs.Attribute[str], value: str) -> None:
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
