"""Commitments and the trust ledger: who promised what, by when, and whether they delivered.

"Trust is the currency of a partnership." A :class:`Commitment` is a partner's promise
(optionally owned by one of its people) to do something by a due date, linked to the
outcome (or the activity) it serves, and marked *additional* (new because of the
partnership) or *business as usual* (it would have happened anyway).

States
======

The stored ``state`` is ``open``, ``delivered`` (with a date and evidence: a link or a
sentence) or ``withdrawn`` (with a reason). The *status* shown everywhere is derived
from it and from the partnership's today (:meth:`Partnership.today`, fixed with
``PARTNERSHIP_TODAY`` or ``clock=``):

============  =============================================================
status        when
============  =============================================================
open          open and due today or later
overdue       open and the due date has passed (due < today)
kept          delivered on or before the due date
kept-late     delivered after the due date
withdrawn     withdrawn, with a reason
============  =============================================================

A withdrawal can be *agreed by the partnership* (``withdrawal_agreed`` holds why: a
budget cut the board accepted, an outcome dropped): the partner was released from the
promise, so it is not counted against it (see the ledger).

Nothing is deleted: delivering, withdrawing and correcting are updates, each one a
change-log entry (the earlier values are kept in the log).

The ledger
==========

Per partner: commitments *made*, *kept* on time, *kept_late*, *open*, *overdue*,
*withdrawn*, and three rates (``None`` when there is nothing to divide by):

* ``kept_rate`` - the kept-promise rate: (kept + kept late) / the commitments that are
  settled or have fallen due (made - open), i.e. kept, kept late, overdue or withdrawn.
  A withdrawn promise counts as not kept, unless the partnership agreed to the withdrawal
  (``withdrawn_agreed``): then it is left out, like a promise not yet due.
* ``on_time_rate`` - kept (on time) / the same denominator.
* ``additional_share`` - additional / made.

The same figures are SQL views: in the working database (``commitment_status``,
``ledger``, ``kept_rate_by_quarter``, reading the computer's date) and in the public
database (registered in :mod:`partnership.commitments.public`, reading the publish
date ``site.as_of``). The library's own reads pass the partnership's today.

For other features
==================

``p.commitments.commit(partner=..., owner=..., what=..., due=..., outcome=...)`` makes a
commitment and returns it (``.id`` is its number, shown as ``C-<id>``); it joins the
caller's transaction, so a failure later rolls it back too.
"""

from __future__ import annotations

import builtins
import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
from attrs import define, field

from .. import validators as v
from ..errors import Conflict, NotFound, ValidationError
from ..models import Choice, entity, ref
from ..records import Collection, structure, to_row

if TYPE_CHECKING:
    from ..api import Partnership

__all__ = [
    "CommitmentState", "STATUSES", "Commitment", "Commitments", "parse_ref", "show_ref",
    "parse_window", "status_sql", "ledger_sql", "quarter_sql", "MODELS",
]


class CommitmentState(Choice):
    """The stored state; the status shown is derived (see the module docstring)."""

    OPEN = "open"
    DELIVERED = "delivered"
    WITHDRAWN = "withdrawn"


#: derived statuses, in the order the ledger shows them
STATUSES = ("kept", "kept-late", "open", "overdue", "withdrawn")


def _optional_ref(table: str) -> Any:
    return ref(table, default=None, validator=v.optional_slug)


def _optional_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    return v.parse_date(value, None)


def _consistent(instance: Commitment, _a: attrs.Attribute[Any], _value: Any) -> None:
    """The state and its details go together (run after every field is set)."""
    label = show_ref(instance.id) if instance.id is not None else "the commitment"
    if instance.state == CommitmentState.DELIVERED:
        if instance.delivered_on is None:
            raise v.FieldProblem(f"{label} is delivered, so it needs the date it was delivered")
        if not instance.evidence:
            raise v.FieldProblem(f"{label} is delivered, so it needs evidence: a link or a sentence")
    elif instance.delivered_on is not None:
        raise v.FieldProblem(f"{label} is {instance.state.value}, so it has no delivery date")
    if instance.state == CommitmentState.WITHDRAWN:
        if not instance.reason:
            raise v.FieldProblem(f"{label} is withdrawn, so it needs a reason")
        if instance.withdrawn_on is None:
            raise v.FieldProblem(f"{label} is withdrawn, so it needs the date it was withdrawn")
    elif instance.withdrawn_on is not None:
        raise v.FieldProblem(f"{label} is {instance.state.value}, so it has no withdrawal date")


def _agreed_only_if_withdrawn(instance: Commitment, _a: attrs.Attribute[Any], value: str) -> None:
    if value and instance.state != CommitmentState.WITHDRAWN:
        label = show_ref(instance.id) if instance.id is not None else "the commitment"
        raise v.FieldProblem(f"{label} is {instance.state.value}; only a withdrawal can be agreed")


@entity("commitments", ("id",), "commitment", order_by="due, id",
        match=("partner", "what", "due"))
@define(kw_only=True)
class Commitment:
    """A partner's promise to do something by a date; shown as ``C-<id>``."""

    id: int | None = None
    partner: str = ref("partners")
    #: the person who owns it (a person of the same partner), if any
    owner: str | None = _optional_ref("people")
    what: str = field(converter=v.strip, validator=v.text)
    #: the outcome it serves
    outcome: str | None = _optional_ref("outcomes")
    #: the activity it serves (checked against the activities table when it exists)
    activity: str | None = field(default=None, validator=v.optional_slug)
    due: dt.date
    #: new because of the partnership (True) or business as usual (False)
    additional: bool = False
    #: the day it was made
    created: dt.date
    state: CommitmentState = CommitmentState.OPEN
    delivered_on: dt.date | None = field(default=None, converter=_optional_date)
    #: a link or a sentence showing it was done
    evidence: str = field(default="", converter=v.strip, validator=v.link_or_text)
    withdrawn_on: dt.date | None = field(default=None, converter=_optional_date)
    #: why it was withdrawn
    reason: str = field(default="", converter=v.strip, validator=[v.optional_text, _consistent])
    #: why the partnership agreed to the withdrawal ("" when it did not): an agreed
    #: withdrawal is not counted against the partner in the ledger
    withdrawal_agreed: str = field(default="", converter=v.strip,
                                   validator=[v.optional_text, _agreed_only_if_withdrawn])


MODELS: list[type] = [Commitment]

_REF = re.compile(r"\s*(?:c-?)?([0-9]+)\s*", re.I)


def parse_ref(value: Any) -> int:
    """The number of a commitment written ``C-12``, ``c12``, ``12`` or given as 12."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    match = _REF.fullmatch(value) if isinstance(value, str) else None
    if not match or int(match.group(1)) == 0:
        raise ValidationError(
            f"{v.shown(value)} is not a commitment id; write it like C-12 (see 'partnership commitments')")
    return int(match.group(1))


def show_ref(ident: int | None) -> str:
    return f"C-{ident}"


def parse_window(value: Any) -> int:
    """Days in a window written ``14d``, ``2w`` or ``14`` (0 to 3660)."""
    if isinstance(value, int) and not isinstance(value, bool):
        days = value
    else:
        match = re.fullmatch(r"\s*([0-9]{1,4})\s*([dw]?)\s*", str(value), re.I)
        if not match:
            raise ValidationError(
                f"--due-within must be a number of days or weeks, like 14d or 2w (got {v.shown(value)})")
        days = int(match.group(1)) * (7 if match.group(2).lower() == "w" else 1)
    if not 0 <= days <= 3660:
        raise ValidationError(f"--due-within must be between 0 and 3660 days (got {days})")
    return days


# -- SQL shared by the library and the public views ------------------------------------------
#
# ``{today}`` is an SQL expression giving today's date as YYYY-MM-DD: ``?`` for the library
# (the partnership's today), ``site.as_of`` in the public database. The working database's
# views (migration m030) use the same expressions with ``date('now')``;
# tests/test_commitments.py checks they agree.

_STATUS = """CASE WHEN c.state = 'withdrawn' THEN 'withdrawn'
                 WHEN c.state = 'delivered' AND c.delivered_on > c.due THEN 'kept-late'
                 WHEN c.state = 'delivered' THEN 'kept'
                 WHEN c.due < {today} THEN 'overdue'
                 ELSE 'open' END"""

_DAYS_LATE = """CASE WHEN c.state = 'delivered' AND c.delivered_on > c.due
                     THEN CAST(julianday(c.delivered_on) - julianday(c.due) AS INTEGER)
                     WHEN c.state = 'open' AND c.due < {today}
                     THEN CAST(julianday({today}) - julianday(c.due) AS INTEGER)
                     ELSE 0 END"""


def status_sql(today: str = "?") -> str:
    """SELECT of every commitment with its derived ``status`` and ``days_late``."""
    return f"""SELECT c.id AS id, 'C-' || c.id AS ref, c.partner AS partner, c.owner AS owner,
               c.what AS what, c.outcome AS outcome, c.activity AS activity, c.due AS due,
               c.additional AS additional, c.created AS created, c.state AS state,
               c.delivered_on AS delivered_on, c.evidence AS evidence,
               c.withdrawn_on AS withdrawn_on, c.reason AS reason,
               c.withdrawal_agreed AS withdrawal_agreed,
               {_STATUS.format(today=today)} AS status,
               {_DAYS_LATE.format(today=today)} AS days_late
        FROM commitments c"""


def _rates(counts: str) -> str:
    return f"""SELECT *,
               round(1.0 * (kept + kept_late) / nullif(made - open - withdrawn_agreed, 0), 3)
                 AS kept_rate,
               round(1.0 * kept / nullif(made - open - withdrawn_agreed, 0), 3) AS on_time_rate,
               round(1.0 * additional / nullif(made, 0), 3) AS additional_share
        FROM ({counts})"""


def ledger_sql(statuses: str) -> str:
    """Per partner (every partner, even with none made) over ``statuses`` (a SELECT)."""
    return _rates(f"""SELECT pa.slug AS partner, pa.name AS partner_name,
               count(s.id) AS made,
               coalesce(sum(s.status = 'kept'), 0) AS kept,
               coalesce(sum(s.status = 'kept-late'), 0) AS kept_late,
               coalesce(sum(s.status = 'open'), 0) AS open,
               coalesce(sum(s.status = 'overdue'), 0) AS overdue,
               coalesce(sum(s.status = 'withdrawn'), 0) AS withdrawn,
               coalesce(sum(s.status = 'withdrawn' AND s.withdrawal_agreed != ''), 0)
                 AS withdrawn_agreed,
               coalesce(sum(s.additional), 0) AS additional
        FROM partners pa LEFT JOIN ({statuses}) s ON s.partner = pa.slug
        GROUP BY pa.slug""")


def quarter_sql(statuses: str) -> str:
    """The whole partnership's figures per quarter of the due date (e.g. 2026-Q1)."""
    return _rates(f"""SELECT strftime('%Y', s.due) || '-Q'
                   || ((CAST(strftime('%m', s.due) AS INTEGER) + 2) / 3) AS quarter,
               count(*) AS made,
               sum(s.status = 'kept') AS kept,
               sum(s.status = 'kept-late') AS kept_late,
               sum(s.status = 'open') AS open,
               sum(s.status = 'overdue') AS overdue,
               sum(s.status = 'withdrawn') AS withdrawn,
               sum(s.status = 'withdrawn' AND s.withdrawal_agreed != '') AS withdrawn_agreed,
               sum(s.additional) AS additional
        FROM ({statuses}) s GROUP BY quarter""")


def public_views() -> dict[str, str]:
    """The public views of the ledger, as of the partnership's today when it was published
    (``site.as_of``, the date the library used), never the server's clock."""
    statuses = status_sql("(SELECT as_of FROM site WHERE id = 1)")
    return {
        # every commitment with its derived status, as of the publish date
        "commitment_status": statuses,
        # per partner: made, kept, kept late, open, overdue, withdrawn and the rates
        "ledger": ledger_sql(statuses),
        # the kept-promise rate over time, by quarter of the due date
        "kept_rate_by_quarter": quarter_sql(statuses),
    }



# -- rules that need the rest of the partnership --------------------------------------------

def _owner_works_for_partner(p: Partnership, c: Commitment) -> None:
    if c.owner is None:
        return
    works_for = p.people.get(c.owner).partner
    if works_for != c.partner:
        raise ValidationError(
            f"{c.owner} works for {works_for}, not {c.partner}; choose an owner from "
            f"{c.partner}, or make the commitment {works_for}'s")


def _activity_exists(p: Partnership, c: Commitment) -> None:
    """The activity a commitment serves (step 4's activities) exists."""
    if c.activity is None:
        return
    conn = p.store.conn
    if not conn.execute("SELECT 1 FROM activities WHERE slug = ?", [c.activity]).fetchone():
        known = [r[0] for r in conn.execute("SELECT slug FROM activities ORDER BY 1")]
        raise NotFound("activity", c.activity, known)


def _not_in_the_future(p: Partnership, c: Commitment) -> None:
    today = p.today()
    for name, what, value in (("the date it was made", "made", c.created),
                              ("the delivery date", "delivered", c.delivered_on),
                              ("the withdrawal date", "withdrawn", c.withdrawn_on)):
        if value is not None and value > today:
            raise ValidationError(
                f"{name}, {value.isoformat()}, is in the future (today is {today.isoformat()}); "
                f"a commitment can only be {what} on or before today")


class _Collection(Collection[Commitment]):
    def describe(self, model: Commitment) -> str:
        return f"commitment {show_ref(model.id)} ({model.partner}: {model.what})"


#: fields a correction may change (the state changes through deliver and withdraw)
CORRECTABLE = ("partner", "owner", "what", "outcome", "activity", "due", "additional", "created",
               "delivered_on", "evidence", "withdrawn_on", "reason", "withdrawal_agreed")


class Commitments:
    """``p.commitments``: make, deliver, withdraw and correct commitments; the ledger."""

    def __init__(self, p: Partnership) -> None:
        self.p = p
        self.collection: Collection[Commitment] = _Collection(p, Commitment)

    # -- writing --------------------------------------------------------------------------

    def commit(self, partner: str, what: str, *, due: Any, owner: str | None = None,
               outcome: str | None = None, activity: str | None = None,
               additional: bool = False, created: Any = None) -> Commitment:
        """Record that ``partner`` commits to ``what`` by ``due``; returns it (with its id).

        ``owner`` is a person of the partner; link ``outcome`` and/or ``activity``;
        ``additional`` says it is new because of the partnership (default: business as
        usual); ``created`` is the day it was made (default today). Joins the caller's
        transaction when there is one.
        """
        model = structure(Commitment, {
            "partner": partner, "owner": owner or None, "what": what, "due": due,
            "outcome": outcome or None, "activity": activity or None, "additional": additional,
            "created": created or self.p.today(),
        })
        return self.collection.add(model)

    def get(self, ident: Any) -> Commitment:
        """The commitment ``C-12`` (or 12), or :class:`NotFound`."""
        number = parse_ref(ident)
        if not self.collection.exists(number):
            raise NotFound("commitment", show_ref(number),
                           hint="list them with 'partnership commitments'")
        return self.collection.get(number)

    def deliver(self, ident: Any, *, evidence: str, date: Any = None) -> Commitment:
        """Mark a commitment delivered on ``date`` (default today) with ``evidence``."""
        with self.p.store.transaction():
            c = self.get(ident)
            label = show_ref(c.id)
            if c.state == CommitmentState.WITHDRAWN:
                raise Conflict(
                    f"{label} was withdrawn on {c.withdrawn_on} ({c.reason}); a withdrawn commitment "
                    f"cannot be delivered - make a new one with 'partnership commit'")
            if c.state == CommitmentState.DELIVERED:
                raise Conflict(
                    f"{label} was already delivered on {c.delivered_on}; to fix its date or evidence "
                    f"use 'partnership commitment correct {label}'")
            if not isinstance(evidence, str) or not evidence.strip():
                raise ValidationError(
                    f"say how {label} was delivered with --evidence: a link or a sentence")
            when = _date(date, "the delivery date") if date else self.p.today()
            return self.collection.update(c.id, state=CommitmentState.DELIVERED,
                                          delivered_on=when, evidence=evidence)

    def withdraw(self, ident: Any, *, reason: str, date: Any = None, agreed: str = "") -> Commitment:
        """Withdraw an open commitment, saying why (the reason is published); ``agreed``
        says why the partnership agreed to it (then it is not counted against the partner)."""
        with self.p.store.transaction():
            c = self.get(ident)
            label = show_ref(c.id)
            if not isinstance(reason, str) or not reason.strip():
                raise ValidationError(
                    f"say why {label} is withdrawn with --reason; partners are owed an explanation")
            if c.state == CommitmentState.WITHDRAWN:
                raise Conflict(f"{label} was already withdrawn on {c.withdrawn_on}; to fix the reason "
                               f"use 'partnership commitment correct {label}'")
            if c.state == CommitmentState.DELIVERED:
                raise Conflict(f"{label} was delivered on {c.delivered_on}; a kept promise cannot be "
                               f"withdrawn - correct it with 'partnership commitment correct {label}'")
            when = _date(date, "the withdrawal date") if date else self.p.today()
            return self.collection.update(c.id, state=CommitmentState.WITHDRAWN,
                                          withdrawn_on=when, reason=reason,
                                          withdrawal_agreed=agreed or "")

    def agree_withdrawal(self, ident: Any, *, reason: str) -> Commitment:
        """Record that the partnership agreed to a withdrawal, and why: the promise is then
        not counted against the partner in the ledger (the log keeps the change)."""
        with self.p.store.transaction():
            c = self.get(ident)
            label = show_ref(c.id)
            if not isinstance(reason, str) or not reason.strip():
                raise ValidationError(
                    f"say why the partnership agreed to withdraw {label} with --reason, e.g. "
                    f"'budget cut agreed at the board of 2026-02-10'")
            if c.state != CommitmentState.WITHDRAWN:
                raise Conflict(f"{label} is {c.state.value}, not withdrawn; withdraw it with "
                               f"'partnership commitment withdraw {label} --reason ... --agreed ...'")
            if c.withdrawal_agreed:
                raise Conflict(f"the withdrawal of {label} was already agreed ({c.withdrawal_agreed}); "
                               f"to change why, use 'partnership commitment correct {label} "
                               f"--withdrawal-agreed ...'")
            return self.collection.update(c.id, withdrawal_agreed=reason)

    def correct(self, ident: Any, **changes: Any) -> Commitment:
        """Correct some fields; the change log keeps the earlier values."""
        wrong = sorted(set(changes) - set(CORRECTABLE))
        if wrong:
            raise ValidationError(
                f"cannot correct {', '.join(wrong)} of a commitment; deliver or withdraw it to change "
                f"its state (correctable: {', '.join(CORRECTABLE)})")
        with self.p.store.transaction():
            c = self.get(ident)
            return self.collection.update(c.id, **changes)

    def remove(self, ident: Any, *, reason: str) -> Commitment:
        """Remove a commitment recorded by mistake, saying why (the log keeps it).

        Only while it is open and not yet due: a promise that fell due, was kept or was
        withdrawn counts in the trust ledger, so it is corrected or withdrawn instead."""
        with self.p.store.transaction():
            c = self.get(ident)
            label = show_ref(c.id)
            if not isinstance(reason, str) or not reason.strip():
                raise ValidationError(f"say why {label} is removed with --reason")
            if c.state != CommitmentState.OPEN or c.due < self.p.today():
                state = "overdue" if c.state == CommitmentState.OPEN else c.state.value
                raise Conflict(
                    f"{label} is {state} and counts in the trust ledger, so it cannot be removed; "
                    f"fix a detail with 'partnership commitment correct {label}'"
                    + (f" or withdraw it with 'partnership commitment withdraw {label}'"
                       if c.state == CommitmentState.OPEN else ""))
            return self.collection.remove(c.id, reason=reason)

    # -- reading --------------------------------------------------------------------------

    def list(self, *, status: str | None = None, owner: str | None = None,
             partner: str | None = None, due_within: Any = None) -> list[dict[str, Any]]:
        """Commitments with their derived status, by due date.

        ``status`` is one of :data:`STATUSES`; ``due_within`` (days, or ``"14d"``/``"2w"``)
        keeps the unkept ones due by today + that many days (overdue ones included),
        ordered by owner for the lead's reminders.
        """
        where: list[str] = []
        named: dict[str, Any] = {"today": self.p.today().isoformat()}
        if status is not None:
            if status not in STATUSES:
                raise ValidationError(
                    f"state must be one of {', '.join(STATUSES)} (got {v.shown(status)})")
            where.append("status = :status")
            named["status"] = status
        if owner is not None:
            self.p.people.get(owner)
            where.append("owner = :owner")
            named["owner"] = owner
        if partner is not None:
            self.p.partners.get(partner)
            where.append("partner = :partner")
            named["partner"] = partner
        order = "due, id"
        if due_within is not None:
            days = parse_window(due_within)
            where.append("status IN ('open', 'overdue') AND due <= :until")
            named["until"] = (self.p.today() + dt.timedelta(days=days)).isoformat()
            order = "owner IS NULL, owner, due, id"
        sql = f"SELECT * FROM ({status_sql(':today')})"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY {order}"
        return [_plain_row(r) for r in self.p.store.query(sql, named)]

    def due_within(self, window: Any, *, owner: str | None = None) -> builtins.list[dict[str, Any]]:
        """Unkept commitments due within ``window`` (``"14d"``, ``"2w"`` or days), by owner."""
        return self.list(due_within=window, owner=owner)

    def show(self, ident: Any) -> dict[str, Any]:
        """One commitment with its derived status and its history from the change log."""
        c = self.get(ident)
        row = _plain_row(self.p.store.query(
            f"SELECT * FROM ({status_sql(':today')}) WHERE id = :id",
            {"today": self.p.today().isoformat(), "id": c.id})[0])
        history = [{"at": ch.at, "actor": ch.actor, "action": ch.action, "summary": ch.summary,
                    "data": ch.data}
                   for ch in reversed(self.p.changes(entity="commitment"))
                   if ch.key == str(c.id)]
        return {**row, "history": history}

    def ledger(self) -> builtins.list[dict[str, Any]]:
        """Per partner: made, kept, kept late, open, overdue, withdrawn and the rates."""
        sql = ledger_sql(status_sql(":today")) + " ORDER BY made = 0, partner"
        return [_ledger_row(r) for r in self.p.store.query(sql, {"today": self.p.today().isoformat()})]

    def by_quarter(self) -> builtins.list[dict[str, Any]]:
        """The whole partnership's figures per quarter of the due date."""
        sql = quarter_sql(status_sql(":today")) + " ORDER BY quarter"
        return [_ledger_row(r) for r in self.p.store.query(sql, {"today": self.p.today().isoformat()})]

    def count(self) -> int:
        return self.collection.count()


def _date(value: Any, name: str) -> dt.date:
    try:
        return v.parse_date(value, name)
    except v.FieldProblem as exc:
        raise ValidationError(str(exc)) from None


def _plain_row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "additional": bool(row["additional"])}


def _ledger_row(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (int(v) if isinstance(v, int) else v) for k, v in row.items()}


def to_dict(c: Commitment) -> dict[str, Any]:
    """A commitment as plain data with its ``ref`` (C-12)."""
    return {"ref": show_ref(c.id), **to_row(c), "additional": c.additional}


#: rules checked before a record is written (registered by the feature's plugin)
RULES: list[tuple[type, Callable[[Partnership, Any], None]]] = [
    (Commitment, _owner_works_for_partner),
    (Commitment, _activity_exists),
    (Commitment, _not_in_the_future),
]
