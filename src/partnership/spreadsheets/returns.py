"""Partner returns: a workbook pre-filled for one partner, filled in, read into the inbox.

:func:`make_return` writes a workbook for one partner: its indicators (from the inbox's
scope: the indicators it reports) with their last figure, baseline and target and empty
cells for the new figure; its open and overdue commitments with "delivered on" and
"evidence" cells; its declared capacity, to read. Every sheet is protected and only the
cells to fill are unlocked; the workbook's structure is locked.

Each workbook belongs to a *round*: making one logs an entry in the change log (the
round is that entry's number and a random check), and the round, the partner and the
check are written to a very hidden sheet. :func:`read_return` refuses a workbook whose
round is not the partner's latest (an older round), whose round was made for another
partner, or that was read already; it checks every filled cell with the same models the
library uses (each problem named by sheet, row and column), and :func:`submit_returns`
puts every figure and delivered commitment of a workbook into the inbox's review queue in
one transaction (``p.inbox.submit_many(..., via="returns")``: all of them or none), where
the lead accepts or rejects them like the web inbox's. :class:`Returns` is the library's
way in: ``p.returns.make``, ``p.returns.check``, ``p.returns.read``.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs

from .. import exchange, tabular
from ..errors import Conflict, ImportFileError, PartnershipError, ValidationError
from ..words import noun
from .workbook import CellLocator, _Lists, _open, sheet_rows, write_sheet

if TYPE_CHECKING:
    from ..api import Partnership

__all__ = ["RETURN_KIND", "Return", "Returns", "latest_round", "make_return", "read_return", "submit_return",
           "submit_returns"]

#: the document category of a return workbook (an export's is ``workbook.KIND``)
RETURN_KIND = exchange.FORMAT + " return"
#: the change-log entity of a round of returns
ENTITY = "return workbook"
META_SHEET = "return"
ABOUT, FIGURES, COMMITMENTS, CAPACITY = "About", "Figures", "Commitments", "Capacity"

FIGURE_COLUMNS = ("indicator", "title", "outcome", "unit", "baseline", "baseline_date", "target",
                  "target_date", "last_value", "last_date", "value", "date", "source", "note")
FIGURE_INPUT = ("value", "date", "source", "note")
COMMITMENT_COLUMNS = ("commitment", "what", "due", "status", "days_late", "delivered_on", "evidence")
COMMITMENT_INPUT = ("delivered_on", "evidence")
CAPACITY_COLUMNS = ("kind", "unit", "capacity", "used")
#: the row and column of the "filled in by" cell on the About sheet
FILLED_BY = (7, 2)


@attrs.define
class Submission:
    """One thing a return asks the inbox to hold: its kind, payload and cell."""

    kind: str
    payload: dict[str, Any]
    place: str


@attrs.define
class Return:
    """A returned workbook, checked: whose it is, its round, who filled it, what it holds."""

    path: str
    partner: str
    round: str
    person: str
    submissions: list[Submission] = attrs.field(factory=list)
    ids: list[int] = attrs.field(factory=list)


# -- rounds ---------------------------------------------------------------------------------------


def _rounds(p: Partnership, partner: str) -> list[dict[str, Any]]:
    return p.store.query("SELECT id, key, data FROM changes WHERE entity = ? AND action = 'make' "
                         "AND key = ? ORDER BY id", [ENTITY, partner])


def latest_round(p: Partnership, partner: str) -> str | None:
    """The round of the latest return workbook made for ``partner``, or None."""
    rounds = _rounds(p, partner)
    return f"R{rounds[-1]['id']}" if rounds else None


# -- making ---------------------------------------------------------------------------------------


def make_return(p: Partnership, partner: str, out: IO[bytes] | str | Path) -> str:
    """Write the return workbook of ``partner`` to ``out`` and log its round (in one
    transaction: a workbook that cannot be written leaves no round); the round."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.workbook.protection import WorkbookProtection

    who = p.partners.get(partner)
    scope = p.inbox.scope()
    figures = [{**i, "indicator": i["slug"]} for i in scope["indicators"] if i["partner"] == partner]
    open_ones = [c for c in p.commitments.list(partner=partner) if c["status"] in ("open", "overdue")]
    commitments = [{**c, "commitment": c["ref"]} for c in open_ones]
    capacity = p.gaps.capacity_use(partner=partner)
    people = [x.slug for x in p.people.list(partner=partner)]
    check = secrets.token_hex(8)
    with p.store.transaction():
        ident = p.store.log("make", ENTITY, partner, f"made a return workbook for {who.name}",
                            {"check": check})
        round_id = f"R{ident}"
        wb = Workbook(write_only=True)
        wb.properties.category = RETURN_KIND
        wb.properties.title = f"{who.name}: return for {p.info().name} ({round_id})"
        wb.security = WorkbookProtection(lockStructure=True)
        lists = _Lists(wb)
        _about(wb, p, who, round_id, people, Font, lists)
        today = p.today()
        write_sheet(wb, FIGURES, {"value": float, "date": dt.date, "source": str, "note": str,
                                  "baseline_date": dt.date, "target_date": dt.date, "last_date": dt.date},
                    FIGURE_COLUMNS, figures, lists, editable=FIGURE_INPUT, friendly=True)
        write_sheet(wb, COMMITMENTS, {"delivered_on": dt.date, "evidence": str, "due": dt.date},
                    COMMITMENT_COLUMNS, commitments, lists, editable=COMMITMENT_INPUT, friendly=True)
        write_sheet(wb, CAPACITY, {}, CAPACITY_COLUMNS, capacity, lists, editable=(), friendly=True)
        meta = wb.create_sheet(META_SHEET)
        meta.sheet_state = "veryHidden"
        for key, value in (("kind", RETURN_KIND), ("partner", partner), ("round", round_id),
                           ("check", check), ("made", today.isoformat())):
            meta.append([key, value])
        lists.finish()
        wb.save(out)
    return round_id


def _about(wb: Any, p: Partnership, who: Any, round_id: str, people: Sequence[str], font: Any,
           lists: _Lists) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    ws = wb.create_sheet(ABOUT)
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 70
    title = WriteOnlyCell(ws, value=f"Return for {p.info().name}")
    title.font = font(bold=True, size=14)
    ws.append([title])
    ws.append(["Partner", who.name])
    ws.append(["Partner id", who.slug])
    ws.append(["Round", round_id])
    ws.append(["Made on", p.today()])
    ws.append([])
    filled = WriteOnlyCell(ws, value=people[0] if len(people) == 1 else None)
    filled.protection = Protection(locked=False)
    ws.append(["Filled in by", filled])
    ws.append([])
    for line in (
            "Fill in the white cells only; the grey ones are there to help you.",
            f"{FIGURES}: for each figure you have, the new value and the date it is for "
            f"(YYYY-MM-DD); source and note if they help.",
            f"{COMMITMENTS}: for each commitment you have delivered, the date and the evidence "
            f"(a link or a sentence).",
            f"{CAPACITY}: what you said you can give, and how much is promised; tell the lead "
            f"if it has changed.",
            "Then save the file as it is (.xlsx) and send it back. A workbook of an older round "
            "is refused: always fill in the latest one you were sent."):
        ws.append([None, line])
    if people:
        check = DataValidation(type="list", formula1=lists.range_of(tuple(people)), allow_blank=True,
                               showErrorMessage=True, error="Choose your name from the list")
        check.add(f"B{FILLED_BY[0]}")
        ws.data_validations.append(check)
    ws.protection.sheet = True


# -- reading --------------------------------------------------------------------------------------


def _meta(wb: Any, path: str | Path) -> dict[str, str]:
    names = {ws.title.lower(): ws for ws in wb.worksheets}
    sheet = names.get(META_SHEET)
    meta = {str(r[0]): str(r[1]) for _, r in sheet_rows(sheet) if len(r) > 1} if sheet else {}
    if meta.get("kind") != RETURN_KIND or not meta.get("partner") or not meta.get("round"):
        raise ImportFileError(f"{path} is not a return workbook made by 'partnership returns make' "
                              f"(it has no round and partner); to import a whole workbook use "
                              f"'partnership import'")
    return meta


def _check_round(p: Partnership, path: str | Path, meta: dict[str, str], partner: str | None) -> None:
    claimed = meta["partner"]
    if partner is not None and claimed != partner:
        raise Conflict(f"{path} is the return of {claimed}, not of {partner}; read it for {claimed}, "
                       f"or ask {partner} for their own workbook")
    number = meta["round"].removeprefix("R")
    row = p.store.conn.execute(
        "SELECT key, data FROM changes WHERE id = ? AND entity = ? AND action = 'make'",
        [int(number) if number.isdigit() else -1, ENTITY]).fetchone()
    if row is None or json.loads(row[1] or "{}").get("check") != meta.get("check"):
        raise Conflict(f"{path} names round {meta['round'][:20]}, which this partnership never made; "
                       f"make a new one with 'partnership returns make --partner {claimed}'")
    if row[0] != claimed:
        raise Conflict(f"{path} says it is for {claimed}, but its round {meta['round']} was made for "
                       f"{row[0]}; make a new one with 'partnership returns make --partner {claimed}'")
    latest = latest_round(p, claimed)
    if latest != meta["round"]:
        raise Conflict(f"{path} is of an older round ({meta['round']}) for {claimed}; the latest is "
                       f"{latest}: ask them to fill in that one")
    done = p.store.conn.execute("SELECT id FROM changes WHERE entity = ? AND action = 'read' AND key = ? "
                                "AND json_extract(data, '$.round') = ?",
                                [ENTITY, claimed, meta["round"]]).fetchone()
    if done is not None:
        raise Conflict(f"{path} (round {meta['round']} of {claimed}) was read already; its figures are "
                       f"in the inbox ('partnership inbox'). To send corrections, make a new round")


def _header(ws: Any, columns: Sequence[str]) -> tuple[dict[str, int], list[tuple[int, tuple[Any, ...]]]]:
    rows = list(sheet_rows(ws))
    if not rows:
        return {}, []
    header = ["" if h is None else str(h) for h in rows[0][1]]
    at = {tabular.normalise(h): i for i, h in enumerate(header)}
    return {c: at[c] for c in columns if c in at}, rows[1:]


def _cell(values: tuple[Any, ...], at: dict[str, int], name: str) -> Any:
    i = at.get(name)
    value = values[i] if i is not None and i < len(values) else None
    if isinstance(value, str):
        value = value.strip() or None
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.isoformat() if isinstance(value, dt.date) else value


def read_return(p: Partnership, path: str | Path, *, person: str | None = None,
                partner: str | None = None) -> Return:
    """Check a returned workbook: its round (the partner's latest, not read yet), who
    filled it in, and every filled cell, all problems at once."""
    wb = _open(path)
    try:
        meta = _meta(wb, path)
        _check_round(p, path, meta, partner)
        sheets = {tabular.normalise(ws.title): ws for ws in wb.worksheets}
        who = _person(p, path, meta["partner"], person, sheets.get(tabular.normalise(ABOUT)))
        found = Return(path=str(path), partner=meta["partner"], round=meta["round"], person=who)
        problems = _submissions(p, found, sheets)
    finally:
        wb.close()
    if problems:
        raise ImportFileError(exchange.summary(str(path), problems), problems)
    return found


def _person(p: Partnership, path: str | Path, partner: str, person: str | None, about: Any) -> str:
    if person is None and about is not None:
        for number, values in sheet_rows(about):
            if number == FILLED_BY[0] and len(values) >= FILLED_BY[1] and values[FILLED_BY[1] - 1]:
                person = str(values[FILLED_BY[1] - 1]).strip()
    if not person:
        raise ValidationError(f"{path} does not say who filled it in (sheet {ABOUT}, cell "
                              f"B{FILLED_BY[0]}); choose a name there, or give --person")
    who = p.people.get(person)
    if who.partner != partner:
        raise Conflict(f"{path} is the return of {partner}, but {person} works for {who.partner}; "
                       f"give --person with someone of {partner}")
    return who.slug


def _submissions(p: Partnership, found: Return, sheets: dict[str, Any]) -> list[str]:
    from ..measurement.service import Observation
    from ..records import structure

    locator = CellLocator()
    problems: list[str] = []
    specs = ((FIGURES, FIGURE_COLUMNS, FIGURE_INPUT, "observation"),
             (COMMITMENTS, COMMITMENT_COLUMNS, COMMITMENT_INPUT, "commitment-delivered"))
    for sheet, columns, inputs, kind in specs:
        ws = sheets.get(tabular.normalise(sheet))
        if ws is None:
            problems.append(f"{found.path}: sheet {sheet} is missing; fill in the workbook as it was sent")
            continue
        at, rows = _header(ws, columns)
        missing = [c for c in (columns[0], *inputs) if c not in at]
        if missing:
            problems.append(f"{found.path}: sheet {sheet} has no {noun(len(missing), 'column')} "
                            f"{', '.join(missing)}; fill "
                            f"in the workbook as it was sent")
            continue
        locator.sheets[sheet] = sheet
        locator.columns[sheet] = at
        locator.rows[sheet] = [n for n, _ in rows]
        for index, (_, values) in enumerate(rows):
            filled = {c: _cell(values, at, c) for c in inputs}
            if all(v is None for v in filled.values()):
                continue
            subject = _cell(values, at, columns[0])
            if kind == "observation":
                payload = {"indicator": subject, **filled}
                payload["source"] = payload["source"] or ""
                payload["note"] = payload["note"] or ""
                required: tuple[str, ...] = ("value", "date")
            else:
                payload = {"commitment": subject, **filled}
                required = COMMITMENT_INPUT
            lacking = [c for c in required if filled.get(c) is None]
            for column in lacking:
                problems.append(f"{locator.cell(sheet, index, column)}: {column} is needed with the "
                                f"other cells of this row")
            if lacking:
                continue
            if kind == "observation":
                try:
                    structure(Observation, payload)
                except PartnershipError as exc:
                    problems.extend(pr.text for pr in exchange.located(locator, sheet, index,
                                                                       Observation, exc))
                    continue
            else:
                problems.extend(_delivery_problems(p, locator, sheet, index, payload))
            found.submissions.append(Submission(kind, payload, locator.row(sheet, index).rstrip(":")))
    return problems


def _delivery_problems(p: Partnership, locator: CellLocator, sheet: str, index: int,
                       payload: dict[str, Any]) -> list[str]:
    from ..validators import parse_date

    problems = []
    try:
        day = parse_date(payload["delivered_on"], "delivered_on")
        if day > p.today():
            problems.append(f"{locator.cell(sheet, index, 'delivered_on')}: delivered_on "
                            f"{day.isoformat()} is in the future (today is {p.today().isoformat()})")
    except (PartnershipError, ValueError) as exc:
        problems.append(f"{locator.cell(sheet, index, 'delivered_on')}: {exc}")
    if not isinstance(payload["evidence"], str):
        payload["evidence"] = str(payload["evidence"])
    return problems


def submit_return(p: Partnership, found: Return) -> list[int]:
    """Put every submission of a checked return into the inbox's review queue, all or none,
    and log that its round was read; the submission ids."""
    return submit_returns(p, [found])[0]


def submit_returns(p: Partnership, returns: Sequence[Return]) -> list[list[int]]:
    """Queue every submission of the checked ``returns`` in one transaction of the inbox
    file (if one is refused, none is queued), and log each round as read in the same
    transaction of the record; the ids, per return."""
    from ..inbox.service import BatchRefused

    items = [(found.person, sub.kind, sub.payload) for found in returns for sub in found.submissions]
    places = [(found.path, sub.place) for found in returns for sub in found.submissions]
    with p.store.transaction():
        try:
            ids = p.inbox.submit_many(items, via="returns")
        except BatchRefused as exc:
            path, place = places[exc.index]
            raise ImportFileError(f"{path}, {place}: {exc.error}; nothing was queued (fix it, or leave "
                                  f"that row empty, and read the workbook again)") from None
        out = []
        start = 0
        for found in returns:
            mine = ids[start:start + len(found.submissions)]
            start += len(found.submissions)
            p.store.log("read", ENTITY, found.partner,
                        f"read the return workbook of {found.partner} ({len(mine)} submission(s))",
                        {"round": found.round, "submissions": mine})
            found.ids = mine
            out.append(mine)
    return out


class Returns:
    """``p.returns``: return workbooks for partners to fill in, read back into the inbox."""

    def __init__(self, p: Partnership) -> None:
        self.p = p

    def make(self, partner: str, out: IO[bytes] | str | Path) -> str:
        """Write ``partner``'s return workbook to ``out`` (a new round); the round."""
        return make_return(self.p, partner, out)

    def latest_round(self, partner: str) -> str | None:
        """The round of the latest workbook made for ``partner``, or None."""
        self.p.partners.get(partner)
        return latest_round(self.p, partner)

    def check(self, path: str | Path, *, person: str | None = None,
              partner: str | None = None) -> Return:
        """Check one returned workbook (its round, who filled it in, every filled cell),
        queueing nothing; :class:`~partnership.errors.ImportFileError` lists every problem."""
        return read_return(self.p, path, person=person, partner=partner)

    def submit(self, returns: Sequence[Return]) -> list[Return]:
        """Queue checked returns for review: all their submissions, or none."""
        submit_returns(self.p, returns)
        return list(returns)

    def read(self, paths: Sequence[str | Path], *, person: str | None = None,
             partner: str | None = None) -> list[Return]:
        """Check every workbook, then queue them all for review (the lead accepts or
        rejects each submission with ``p.inbox``); any problem queues nothing."""
        checked = [self.check(path, person=person, partner=partner) for path in paths]
        return self.submit(checked)
