"""What a partner can submit, and how each kind is checked before it is stored.

Every kind is validated with the same models the command line uses (an
:class:`~partnership.measurement.service.Observation`, a delivered or withdrawn
:class:`~partnership.commitments.service.Commitment`, an
:class:`~partnership.meetings.models.Update`, an
:class:`~partnership.meetings.models.AgendaItem`, an
:class:`~partnership.health.assess.Assessment`, a met
:class:`~partnership.health.pairs.PairGroup`) and the same date rule, against what the
partner may report (the inbox database's copy: its indicators, its open commitments,
the outcomes it has a stake in, the meetings being planned, the sender's own
unmentoring group). A problem is a :class:`FieldErrors` naming each field, so a form can
show it beside the field; a subject of another partner is :class:`NotYours`.

The checks read only the inbox database, so the inbox site can run them without the
working file; the lead's ``accept`` applies the submission through the library, which
checks everything again against the record.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from typing import Any

import attrs

from ..errors import ValidationError
from ..words import noun
from . import inboxdb

#: the kinds of submission, and the fields of each (in form order)
FIELDS: dict[str, tuple[str, ...]] = {
    "observation": ("indicator", "date", "value", "source", "note"),
    "commitment-delivered": ("commitment", "delivered_on", "evidence"),
    "commitment-withdrawn": ("commitment", "withdrawn_on", "reason"),
    "update": ("outcome", "date", "text"),
    "agenda-item": ("meeting", "title", "item_kind", "outcome"),
    "assessment": ("area", "now", "want", "evidence", "score"),
    "pair-met": ("round", "met_on", "output"),
}
KINDS = tuple(FIELDS)
LABELS = {"observation": "a figure", "commitment-delivered": "a commitment delivered",
          "commitment-withdrawn": "a request to withdraw a commitment", "update": "a written update",
          "agenda-item": "an agenda item", "assessment": "a self-assessment answer",
          "pair-met": "an unmentoring meeting"}
#: kinds whose sender is private (who answered a self-assessment is never published)
#: (nor who was paired with whom)
PRIVATE_SENDER = frozenset({"assessment", "pair-met"})


class FieldErrors(ValidationError):
    """A submission with problems; ``fields`` maps each field (or ``""``) to its problem."""

    def __init__(self, kind: str, fields: dict[str, str]) -> None:
        self.kind = kind
        self.fields = fields
        lines = [f"{k}: {m}" if k and not m.startswith(k) else m for k, m in fields.items()]
        super().__init__(f"{LABELS.get(kind, kind)}: " + "; ".join(lines), lines)


class NotYours(FieldErrors):
    """A subject (an indicator, a commitment) the person's partner does not report."""


@attrs.define(frozen=True)
class Checked:
    """A valid submission: what it is about (``subject``), a line for people, plain data."""

    kind: str
    subject: str
    summary: str
    payload: dict[str, Any]


def check(kind: str, payload: Any, *, partner: str, conn: sqlite3.Connection,
          today: dt.date, person: str = "") -> Checked:
    """Validate ``payload`` of ``kind`` sent by ``person`` of ``partner`` against the inbox
    database's scope."""
    if kind not in FIELDS:
        raise ValidationError(f"no kind of submission '{kind}'; use one of {', '.join(KINDS)}")
    if not isinstance(payload, dict):
        raise FieldErrors(kind, {"": "expected a mapping of fields"})
    extra = sorted(str(k) for k in payload if k not in FIELDS[kind])
    if extra:
        raise FieldErrors(kind, {"": f"unknown {noun(len(extra), 'field')} {', '.join(extra)}; "
                                     f"{kind} has {', '.join(FIELDS[kind])}"})
    data = {k: _clean(payload.get(k)) for k in FIELDS[kind]}
    if kind in PERSONAL:
        return PERSONAL[kind](data, partner, conn, today, person)
    return CHECKS[kind](data, partner, conn, today)


def _clean(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _by_field(kind: str, exc: ValidationError, fields: tuple[str, ...],
              aliases: dict[str, str] | None = None) -> FieldErrors:
    """Attach each problem of a model's ValidationError to the field it names."""
    found: dict[str, str] = {}
    for line in exc.problems:
        text = line.split(": ", 1)[1] if line.startswith(("observation: ", "commitment: ")) else line
        first = text.split(" ", 1)[0]
        name = next((f for f in fields if first == f), None)
        if name is None:
            name = next((f for word, f in (aliases or {}).items() if word in text), "")
        found.setdefault(name, text)
    return FieldErrors(kind, found)


def _required(kind: str, data: dict[str, Any], names: tuple[str, ...]) -> None:
    missing = {n: f"{n} is required" for n in names if data.get(n) in (None, "")}
    if missing:
        raise FieldErrors(kind, missing)


def _future(kind: str, name: str, day: dt.date, today: dt.date) -> None:
    if day > today:
        raise FieldErrors(kind, {name: f"{name} {day.isoformat()} is in the future (today is "
                                       f"{today.isoformat()}); send it once it has happened"})


def _observation(data: dict[str, Any], partner: str, conn: sqlite3.Connection,
                 today: dt.date) -> Checked:
    from ..measurement.service import Observation, future_problem
    from ..records import structure, to_row

    kind = "observation"
    _required(kind, data, ("indicator", "date", "value"))
    indicator = data["indicator"]
    if not isinstance(indicator, str) or inboxdb.indicator_of(conn, partner, indicator) is None:
        raise NotYours(kind, {"indicator": f"{partner} does not report the indicator "
                                           f"'{str(data['indicator'])[:64]}'; choose one of its own"})
    try:
        obs = structure(Observation, {k: ("" if data[k] is None and k in ("source", "note") else data[k])
                                      for k in FIELDS[kind]})
    except ValidationError as exc:
        raise _by_field(kind, exc, FIELDS[kind]) from None
    if future_problem(obs.date, today):
        _future(kind, "date", obs.date, today)
    row = to_row(obs)
    return Checked(kind=kind, subject=f"{obs.indicator}@{row['date']}",
                   summary=f"{obs.indicator} = {obs.value:g} on {row['date']}", payload=row)


def _commitment(state: str, date_field: str, text_field: str) -> Callable[..., Checked]:
    kind = f"commitment-{state}"

    def run(data: dict[str, Any], partner: str, conn: sqlite3.Connection, today: dt.date) -> Checked:
        from ..commitments.service import Commitment, parse_ref, show_ref
        from ..records import structure

        _required(kind, data, ("commitment", date_field, text_field))
        try:
            number = parse_ref(data["commitment"])
        except ValidationError as exc:
            raise FieldErrors(kind, {"commitment": str(exc)}) from None
        found = inboxdb.commitment_of(conn, partner, number)
        if found is None:
            raise NotYours(kind, {"commitment": f"{show_ref(number)} is not an open commitment of "
                                                f"{partner}; choose one of its own"})
        record = {k: found[k] for k in ("id", "partner", "owner", "what", "outcome", "activity",
                                        "due", "created")}
        record.update(additional=bool(found["additional"]), state=state,
                      **{date_field: data[date_field], text_field: data[text_field]})
        try:
            made = structure(Commitment, record)
        except ValidationError as exc:
            raise _by_field(kind, exc, FIELDS[kind], {
                "delivery date": "delivered_on", "withdrawal date": "withdrawn_on",
                "evidence": "evidence", "reason": "reason", "date": date_field}) from None
        day: dt.date = getattr(made, date_field)
        _future(kind, date_field, day, today)
        ref = show_ref(number)
        text = str(getattr(made, text_field))
        verb = "delivered" if state == "delivered" else "to be withdrawn"
        return Checked(kind=kind, subject=ref, summary=f"{ref} {verb} on {day.isoformat()}: {text[:80]}",
                       payload={"commitment": ref, date_field: day.isoformat(), text_field: text})

    return run


def _update(data: dict[str, Any], partner: str, conn: sqlite3.Connection, today: dt.date) -> Checked:
    import hashlib

    from ..meetings.models import Update
    from ..records import structure, to_row

    kind = "update"
    _required(kind, data, ("outcome", "date", "text"))
    outcome = data["outcome"]
    if not isinstance(outcome, str) or inboxdb.outcome_of(conn, partner, outcome) is None:
        raise NotYours(kind, {"outcome": f"{partner} has no stake in the outcome '{str(outcome)[:64]}'; "
                                         f"choose one of its own"})
    try:
        update = structure(Update, {"partner": partner, "outcome": outcome, "date": data["date"],
                                    "text": data["text"]})
    except ValidationError as exc:
        raise _by_field(kind, exc, FIELDS[kind]) from None
    _future(kind, "date", update.date, today)
    row = to_row(update)
    digest = hashlib.sha256(update.text.encode()).hexdigest()[:12]
    return Checked(kind=kind, subject=f"{outcome}@{row['date']}#{digest}",
                   summary=f"update on {outcome}, {row['date']}: {update.text[:80]}",
                   payload={"outcome": outcome, "date": row["date"], "text": update.text})


CHECKS: dict[str, Callable[[dict[str, Any], str, sqlite3.Connection, dt.date], Checked]] = {
    "observation": _observation,
    "commitment-delivered": _commitment("delivered", "delivered_on", "evidence"),
    "commitment-withdrawn": _commitment("withdrawn", "withdrawn_on", "reason"),
    "update": _update,
}


def _digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _agenda_item(data: dict[str, Any], partner: str, conn: sqlite3.Connection, today: dt.date,
                 person: str) -> Checked:
    from ..meetings.models import AgendaItem
    from ..records import structure, to_row

    kind = "agenda-item"
    _required(kind, data, ("meeting", "title"))
    meeting = data["meeting"]
    found = inboxdb.one(conn, "meetings", meeting) if isinstance(meeting, str) else None
    if found is None:
        raise FieldErrors(kind, {"meeting": f"'{str(meeting)[:64]}' is not a meeting being planned; "
                                            f"choose one from the list"})
    outcome = data["outcome"] or None
    if outcome is not None and (not isinstance(outcome, str)
                                or inboxdb.outcome_of(conn, partner, outcome) is None):
        raise NotYours(kind, {"outcome": f"{partner} has no stake in the outcome '{str(outcome)[:64]}'"})
    try:
        item = structure(AgendaItem, {"meeting": meeting, "title": data["title"],
                                      "kind": data["item_kind"] or "discussion", "outcome": outcome,
                                      "pitched_by": person or None})
    except ValidationError as exc:
        raise _by_field(kind, exc, FIELDS[kind], {"kind": "item_kind"}) from None
    row = to_row(item)
    return Checked(kind=kind, subject=f"{meeting}#{_digest(item.title)}",
                   summary=f"agenda item for {meeting} ({row['kind']}): {item.title[:80]}",
                   payload={"meeting": meeting, "title": item.title, "item_kind": row["kind"],
                            "outcome": outcome})


def _assessment(data: dict[str, Any], partner: str, conn: sqlite3.Connection, today: dt.date,
                person: str) -> Checked:
    from ..health.assess import Assessment
    from ..records import structure, to_row

    kind = "assessment"
    _required(kind, data, ("area", "now"))
    area = data["area"]
    found = inboxdb.one(conn, "areas", area) if isinstance(area, str) else None
    if found is None:
        raise FieldErrors(kind, {"area": f"'{str(area)[:64]}' is not an area of the self-assessment; "
                                         f"choose one from the list"})
    score = data["score"]
    if isinstance(score, str) and score.strip().isdigit():
        score = int(score)
    try:
        answer = structure(Assessment, {"area": area, "round": today.strftime("%Y-%m"), "date": today,
                                        "now": data["now"], "want": data["want"] or "",
                                        "evidence": data["evidence"] or "", "score": score or None,
                                        "by": person or "someone"})
    except ValidationError as exc:
        raise _by_field(kind, exc, FIELDS[kind]) from None
    row = to_row(answer)
    return Checked(kind=kind, subject=f"{area}@{row['round']}:{person}",
                   summary=f"self-assessment of {area} ({row['round']})",
                   payload={"area": area, "round": row["round"], "date": row["date"], "now": answer.now,
                            "want": answer.want, "evidence": answer.evidence, "score": answer.score})


def _pair_met(data: dict[str, Any], partner: str, conn: sqlite3.Connection, today: dt.date,
              person: str) -> Checked:
    from ..health.pairs import PairGroup
    from ..records import structure, to_row

    kind = "pair-met"
    _required(kind, data, ("round", "met_on"))
    group = inboxdb.pair_of(conn, person)
    if group is None or group["round"] != data["round"]:
        raise NotYours(kind, {"round": f"you were not drawn in unmentoring round "
                                       f"'{str(data['round'])[:64]}'"})
    try:
        met = structure(PairGroup, {"round": group["round"], "number": group["number"], "size": 2,
                                    "met": True, "met_on": data["met_on"], "output": data["output"] or ""})
    except ValidationError as exc:
        raise _by_field(kind, exc, FIELDS[kind]) from None
    if met.met_on is not None:
        _future(kind, "met_on", met.met_on, today)
    row = to_row(met)
    return Checked(kind=kind, subject=f"{group['round']}#{group['number']}",
                   summary=f"unmentoring round {group['round']}: met on {row['met_on']}",
                   payload={"round": group["round"], "met_on": row["met_on"], "output": met.output})


#: kinds whose check needs the sender (the person), not only their partner
PERSONAL: dict[str, Callable[[dict[str, Any], str, sqlite3.Connection, dt.date, str], Checked]] = {
    "agenda-item": _agenda_item,
    "assessment": _assessment,
    "pair-met": _pair_met,
}
