"""Step 3 of the method: gaps between what outcomes need and what partners bring.

"Compare what each outcome needs with what is brought. A gap nobody in the partnership
can fill: can another group fill it? If not, is it a collaboration killer?" And: "never
let a partner pretend it can do what it can't."

* A :class:`Need` belongs to an outcome (keyed by outcome and slug): a kind (the same
  kinds as contributions), an amount and unit (or none, for a yes/no need such as a
  data-sharing agreement), essential or helpful.
* A contribution says which need it ``meets`` (a need of its own outcome) and how sure
  it is (``confidence``: firm, likely or hoped). The gap of a need is what is needed
  minus what firm contributions naming it bring *in the need's unit*; contributions in
  another unit, or naming no need, count toward nothing and are shown as unmatched. A
  yes/no need is met by any contribution naming it. ``count_likely=True`` also counts
  likely contributions; hoped ones never count.
* A need is *met*, *partly met* or *unmet*. A gap that is not met has a recorded
  :class:`GapState`: *open* (the default), *seeking* (another group outside the
  partnership could meet it: a candidate and a note), *filled externally*, or *accepted*
  (the outcome can be achieved without it: a reason). An open gap on an essential need
  is a **collaboration killer**.
* The verdict of an outcome is *reboot* when it has a collaboration killer, *at risk*
  when essential gaps are being sought, *on course* when every essential need is met,
  filled externally or accepted, and *no needs* while none are recorded.
* A :class:`Capacity` is what a partner can really give, per kind and unit. When its
  contributions of that kind and unit across all outcomes add up to more - whatever
  their confidence, since hoping to give what you do not have is still pretending - the
  partner is *over-committed*.

The analysis is SQL views (``gaps``, ``outcome_verdicts``, their ``_counting_likely``
twins, ``capacity_use`` and ``unmatched_contributions``; see
:data:`partnership.gaps.migrations.GAP_VIEWS_V3`) over tables that triggers keep in step
with every write of a contribution, need, gap state or capacity: ``need_totals``,
``outcome_totals`` and ``capacity_totals``, and the rows themselves of every gap (both
bases), unmatched contribution and capacity use (``gap_rows``, ``unmatched_rows``,
``capacity_rows``, stored in the order they are read). So the analysis reads stored
rows, one per need, outcome, capacity and unmatched contribution, and computes nothing. A
dashboard page or a check is a query, not a Python loop; the public file gets the same
rows from the computing SQL of
:data:`~partnership.gaps.migrations.GAP_VIEWS_V2` over its copies of the public tables.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from itertools import repeat
from typing import TYPE_CHECKING, Any, ClassVar, SupportsIndex, overload

import attrs
from attrs import define, field

from .. import validators as v
from ..errors import Conflict, NotFound, ValidationError
from ..models import Choice, Contribution, ContributionKind, entity, ref
from ..records import Collection, to_row

if TYPE_CHECKING:
    from ..api import Partnership

__all__ = [
    "GapStatus", "Cover", "Verdict", "Need", "Capacity", "GapState", "Gaps", "Analysis", "Row",
    "MODELS", "VIEWS",
]


class GapStatus(Choice):
    """The recorded state of a gap (a need that is not met)."""

    OPEN = "open"
    SEEKING = "seeking"
    FILLED_EXTERNALLY = "filled-externally"
    ACCEPTED = "accepted"


class Cover(Choice):
    """How far the contributions that count meet a need."""

    MET = "met"
    PARTLY_MET = "partly-met"
    UNMET = "unmet"


class Verdict(Choice):
    """Step 3's verdict on an outcome."""

    ON_COURSE = "on-course"
    AT_RISK = "at-risk"
    REBOOT = "reboot"
    NO_NEEDS = "no-needs"

    @property
    def words(self) -> str:
        return {"on-course": "on course", "at-risk": "AT RISK", "reboot": "REBOOT",
                "no-needs": "no needs recorded"}[self.value]


def _positive_amount(_instance: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    v.non_negative(_instance, attribute, value)
    if value is not None and value == 0:
        raise v.FieldProblem(
            f"{attribute.name} must be more than 0; leave it out for a yes/no need")


def _need_unit(instance: Need, _a: attrs.Attribute[Any], unit: str | None) -> None:
    if unit is not None and not isinstance(unit, str):
        raise v.FieldProblem(f"unit must be text (got {v.shown(unit)})")
    if instance.amount is not None and not unit:
        raise v.FieldProblem(
            f"amount {instance.amount:g} needs a unit, like FTE, GBP, hours or sessions")
    if unit and instance.amount is None:
        raise v.FieldProblem(
            f"unit '{unit}' needs an amount, like --amount 3 (or leave both out for a yes/no need)")


def _blank_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


@entity("needs", ("outcome", "slug"), "need", order_by="outcome, slug")
@define(kw_only=True)
class Need:
    """Something an outcome needs: an amount in a unit, or (without them) a yes/no need."""

    outcome: str = ref("outcomes")
    slug: str = field(validator=v.slug)
    kind: ContributionKind = ContributionKind.OTHER
    description: str = field(default="", converter=v.strip, validator=v.optional_text)
    amount: float | None = field(default=None, validator=_positive_amount)
    unit: str | None = field(default=None, converter=_blank_none, validator=_need_unit)
    #: the outcome cannot be achieved without it (True) or it would help (False)
    essential: bool = False


@entity("capacities", ("partner", "kind", "unit"), "capacity", order_by="partner, kind, unit")
@define(kw_only=True)
class Capacity:
    """What a partner can really give of one kind, in one unit, across all outcomes."""

    partner: str = ref("partners")
    kind: ContributionKind = ContributionKind.OTHER
    unit: str = field(converter=v.strip, validator=v.text)
    amount: float = field(validator=v.non_negative)
    note: str = field(default="", converter=v.strip, validator=v.optional_text)


@entity("gap_states", ("outcome", "need"), "gap", order_by="outcome, need")
@define(kw_only=True)
class GapState:
    """The recorded state of the gap of a need (no record means open)."""

    outcome: str = ref("outcomes")
    need: str = field(validator=v.slug)
    state: GapStatus = GapStatus.OPEN
    #: the group outside the partnership that could meet it (seeking) or did (filled)
    candidate: str = field(default="", converter=v.strip, validator=v.optional_text)
    #: why the outcome can be achieved without it (accepted)
    reason: str = field(default="", converter=v.strip, validator=v.optional_text)
    note: str = field(default="", converter=v.strip, validator=v.optional_text)
    #: when the state was last set
    since: dt.date | None = None


#: stored models of this module, in import order (needs before contributions: see exchange)
MODELS: list[type] = [Need, Capacity, GapState]

# -- rules ---------------------------------------------------------------------------------


def _needs_of(p: Partnership, outcome: str) -> list[str]:
    return [r[0] for r in p.store.conn.execute(
        "SELECT slug FROM needs WHERE outcome = ? ORDER BY slug", [outcome])]


def _need_exists(p: Partnership, outcome: str, slug: str) -> bool:
    return bool(p.store.conn.execute(
        "SELECT 1 FROM needs WHERE outcome = ? AND slug = ?", [outcome, slug]).fetchone())


def _require_need(p: Partnership, outcome: str, slug: str, doing: str) -> None:
    if _need_exists(p, outcome, slug):
        return
    elsewhere = [r[0] for r in p.store.conn.execute(
        "SELECT outcome FROM needs WHERE slug = ? ORDER BY outcome", [slug])]
    if elsewhere:
        raise ValidationError(
            f"need '{slug}' belongs to outcome {', '.join(elsewhere)}, not {outcome}; {doing} "
            f"can only name a need of its own outcome (see 'partnership need list --outcome "
            f"{outcome}')")
    known = _needs_of(p, outcome)
    raise NotFound(f"need of outcome {outcome}", slug, known,
                   "" if known else f"add it with 'partnership need add {outcome} {slug} ...'")


def _meets_a_need_of_its_outcome(p: Partnership, c: Contribution) -> None:
    if c.meets is not None:
        _require_need(p, c.outcome, c.meets, "a contribution")


def _gap_of_a_need(p: Partnership, g: GapState) -> None:
    _require_need(p, g.outcome, g.need, "a gap")
    if g.state is GapStatus.ACCEPTED and not g.reason:
        raise ValidationError(
            f"accepting the gap of need {g.need} needs a reason: why can {g.outcome} still be "
            f"achieved without it? Give it with --reason")
    if g.state is GapStatus.SEEKING and not g.candidate:
        raise ValidationError(
            f"seeking a way to fill need {g.need} needs a candidate: which group outside the "
            f"partnership could meet it? Give it with --candidate")
    if g.state is GapStatus.FILLED_EXTERNALLY and not g.candidate:
        raise ValidationError(
            f"filling need {g.need} externally needs the group that filled it; give it with --by")


def _capacity_in_a_unit_used(p: Partnership, c: Capacity) -> None:
    units = [r[0] for r in p.store.conn.execute(
        "SELECT DISTINCT unit FROM contributions WHERE partner = ? AND unit IS NOT NULL "
        "ORDER BY unit", [c.partner])]
    if not any(u.lower() == c.unit.lower() for u in units):
        used = (f"its contributions use {', '.join(units)}" if units
                else "it has no contributions with an amount yet")
        raise ValidationError(
            f"{c.partner} never uses the unit '{c.unit}' in any contribution ({used}); declare "
            f"capacity in a unit its contributions are counted in")


# -- the library API ------------------------------------------------------------------------

#: the views of the analysis (see partnership.schema); the public database gets the same
from .migrations import GAP_VIEWS_V3 as VIEWS  # noqa: E402

#: the 0/1 columns of the views that the library gives as booleans
_BOOLS = ("essential", "killer", "over_committed")


class Row(tuple[Any, ...]):
    """One row of a view of the analysis, as light as the tuple SQLite returns (no dict is
    made per row): its values in the view's column order, read by column name as from a
    dict (``row["need"]``, ``row.get(...)``, ``keys()``, ``items()``, ``dict(row)``), with
    the 0/1 flag columns (essential, killer, over_committed) read as booleans.
    :meth:`as_dict` gives the plain dict (what JSON is written from). Being a tuple,
    iterating it and ``in`` see its values, as for any tuple."""

    __slots__ = ()
    #: the columns, in order (set on the class made for each query's columns)
    names: ClassVar[tuple[str, ...]] = ()
    _index: ClassVar[dict[str, int]] = {}
    _flags: ClassVar[tuple[str, ...]] = ()

    @overload
    def __getitem__(self, key: str) -> Any: ...
    @overload
    def __getitem__(self, key: SupportsIndex) -> Any: ...
    @overload
    def __getitem__(self, key: slice) -> tuple[Any, ...]: ...

    def __getitem__(self, key: str | SupportsIndex | slice) -> Any:
        if isinstance(key, str):
            value = tuple.__getitem__(self, self._index[key])
            return bool(value) if key in self._flags else value
        return tuple.__getitem__(self, key)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self._index else default

    def keys(self) -> tuple[str, ...]:
        return self.names

    def items(self) -> Iterator[tuple[str, Any]]:
        return ((name, self[name]) for name in self.names)

    def as_dict(self) -> dict[str, Any]:
        row = dict(zip(self.names, self, strict=True))
        for name in self._flags:
            row[name] = bool(row[name])
        return row


@cache
def _row_class(names: tuple[str, ...]) -> type[Row]:
    """The :class:`Row` class of one set of columns (made once per set)."""
    index = {name: i for i, name in enumerate(names)}
    return type("Row", (Row,), {"__slots__": (), "names": names, "_index": index,
                                "_flags": tuple(n for n in names if n in _BOOLS)})


class Rows(Sequence[Row]):
    """The rows of one view, kept as the tuples SQLite returned; each is read as a
    :class:`Row` (made when it is read: a row that is only counted costs nothing more).

    Plain tuples of strings and numbers are ones Python's garbage collector soon stops
    looking at; 22,000 tuple subclasses (or dicts holding booleans) it would walk again
    at every collection, which made the whole analysis half again slower."""

    __slots__ = ("_cls", "_data")

    def __init__(self, cls: type[Row], data: list[tuple[Any, ...]]) -> None:
        self._cls = cls
        self._data = data

    @property
    def names(self) -> tuple[str, ...]:
        return self._cls.names

    def __len__(self) -> int:
        return len(self._data)

    @overload
    def __getitem__(self, i: int) -> Row: ...
    @overload
    def __getitem__(self, i: slice) -> Rows: ...

    def __getitem__(self, i: int | slice) -> Row | Rows:
        if isinstance(i, slice):
            return Rows(self._cls, self._data[i])
        return self._cls(self._data[i])

    def __iter__(self) -> Iterator[Row]:
        return map(self._cls, self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Rows):
            return self.names == other.names and self._data == other._data
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{len(self)} rows of {', '.join(self.names)}>"

    def dicts(self) -> list[dict[str, Any]]:
        """Every row as a plain dict, its flag columns as booleans (what JSON is made of)."""
        rows: list[dict[str, Any]] = list(map(dict, map(zip, repeat(self.names), self._data)))
        for name in self._cls._flags:
            for r in rows:
                r[name] = bool(r[name])
        return rows


@define(kw_only=True)
class Analysis:
    """The whole of step 3 at once: every gap, the verdict per outcome, capacity use and
    unmatched contributions, each a sequence of :class:`Row` objects (read like dicts;
    :meth:`to_dict` gives them as dicts, for JSON)."""

    #: "firm" (only firm contributions count) or "likely" (firm and likely ones count)
    basis: str
    gaps: Rows
    verdicts: Rows
    capacity: Rows
    unmatched: Rows

    @property
    def killers(self) -> list[Row]:
        return [g for g in self.gaps if g["killer"]]

    @property
    def over_committed(self) -> list[Row]:
        return [c for c in self.capacity if c["over_committed"]]

    def to_dict(self) -> dict[str, Any]:
        return {"basis": self.basis, "verdicts": self.verdicts.dicts(), "gaps": self.gaps.dicts(),
                "capacity": self.capacity.dicts(), "unmatched": self.unmatched.dicts()}


def _rows(p: Partnership, sql: str, params: Any = ()) -> list[dict[str, Any]]:
    """The rows of ``sql`` as dicts, its 0/1 flag columns as booleans: one pass, which
    looks up the flag columns once per query, not once per row."""
    cursor = p.store.conn.execute(sql, params)
    names = [d[0] for d in cursor.description or ()]
    flags = [n for n in names if n in _BOOLS]
    # map/zip/dict run in C: a third faster than a comprehension over 22,000 rows
    rows: list[dict[str, Any]] = list(map(dict, map(zip, repeat(names), cursor.fetchall())))
    for name in flags:
        for r in rows:
            r[name] = bool(r[name])
    return rows


def _row_objects(p: Partnership, sql: str, params: Any = ()) -> Rows:
    """The rows of ``sql``, read as :class:`Row` objects."""
    cursor = p.store.conn.execute(sql, params)
    data = cursor.fetchall()
    return Rows(_row_class(tuple(d[0] for d in cursor.description or ())), data)


class Gaps:
    """``p.gaps``: needs, capacity, gap states and the analysis of step 3."""

    def __init__(self, p: Partnership) -> None:
        self.p = p
        self.needs: Collection[Need] = Collection(p, Need)
        self.capacities: Collection[Capacity] = Collection(p, Capacity)
        self.states: Collection[GapState] = Collection(p, GapState)

    # -- needs ----------------------------------------------------------------------

    def add_need(self, outcome: str, slug: str, **fields: Any) -> Need:
        """Record what ``outcome`` needs; ``amount`` and ``unit`` together, or neither."""
        return self.needs.add(outcome=outcome, slug=slug, **fields)

    def update_need(self, outcome: str, slug: str, **changes: Any) -> Need:
        return self.needs.update(outcome, slug, **changes)

    def get_need(self, outcome: str, slug: str) -> Need:
        self.p.outcomes.get(outcome)
        return self.needs.get(outcome, slug)

    def list_needs(self, outcome: str | None = None) -> list[Need]:
        if outcome is not None:
            self.p.outcomes.get(outcome)
            return self.needs.list(outcome=outcome)
        return self.needs.list()

    def remove_need(self, outcome: str, slug: str, *, reason: str = "") -> Need:
        """Remove a need no contribution meets; its recorded gap state goes with it (the
        change log keeps both, and the ``reason``)."""
        with self.p.store.transaction():
            self.get_need(outcome, slug)  # NotFound if there is none
            ids = [r[0] for r in self.p.store.conn.execute(
                "SELECT id FROM contributions WHERE outcome = ? AND meets = ? ORDER BY id",
                [outcome, slug])]
            if ids:
                shown = ", ".join(f"#{i}" for i in ids[:5]) + (" ..." if len(ids) > 5 else "")
                raise Conflict(
                    f"need {outcome}/{slug} is met by contribution(s) {shown}; point them "
                    f"elsewhere first with 'partnership contribution update ID --meets ...' "
                    f"(--meets '' for none)")
            if self.states.exists(outcome, slug):
                self.states.remove(outcome, slug, reason=reason)
            return self.needs.remove(outcome, slug, reason=reason)

    # -- capacity ---------------------------------------------------------------------

    def set_capacity(self, partner: str, *, kind: str | ContributionKind, amount: Any,
                     unit: str, note: str | None = None) -> Capacity:
        """Declare (or change) what ``partner`` can really give of ``kind`` in ``unit``."""
        with self.p.store.transaction():
            data: dict[str, Any] = {"partner": partner, "kind": kind, "amount": amount, "unit": unit}
            if note is not None:
                data["note"] = note
            model = self.capacities._structure(None, data)
            existing = self._capacity_key(model)
            if existing is not None:
                if note is None:
                    data["note"] = self.capacities.get(*existing).note
                return self.capacities.update(*existing, amount=model.amount,
                                              note=data.get("note", ""))
            return self.capacities.add(model)

    def _capacity_key(self, model: Capacity) -> tuple[str, str, str] | None:
        """The key of a stored capacity with the same partner, kind and unit (any case)."""
        row = self.p.store.conn.execute(
            "SELECT unit FROM capacities WHERE partner = ? AND kind = ? AND lower(unit) = lower(?)",
            [model.partner, model.kind.value, model.unit]).fetchone()
        return (model.partner, model.kind.value, row[0]) if row else None

    def remove_capacity(self, partner: str, *, kind: str, unit: str, reason: str = "") -> Capacity:
        model = self.capacities._structure(
            None, {"partner": partner, "kind": kind, "unit": unit, "amount": 0})
        key = self._capacity_key(model)
        if key is None:
            raise NotFound("capacity", f"{partner}/{kind}/{unit}",
                           hint="see 'partnership capacity list'")
        return self.capacities.remove(*key, reason=reason)

    def list_capacities(self, partner: str | None = None) -> list[Capacity]:
        if partner is not None:
            self.p.partners.get(partner)
            return self.capacities.list(partner=partner)
        return self.capacities.list()

    # -- gap states ---------------------------------------------------------------------

    def _set_state(self, outcome: str, need: str, state: GapStatus, on: Any = None,
                   **fields: Any) -> GapState:
        with self.p.store.transaction():
            self.p.outcomes.get(outcome)
            data = {"outcome": outcome, "need": need, "state": state.value,
                    "since": on if on is not None else self.p.today().isoformat(), **fields}
            if self.states.exists(outcome, need):
                before = to_row(self.states.get(outcome, need))
                model = self.states._structure(None, {**before, **data})
                self.states.upsert(model)
                return model
            return self.states.add(data)

    def seek(self, outcome: str, need: str, *, candidate: str, note: str = "",
             on: Any = None) -> GapState:
        """Record that a group outside the partnership could meet the gap of ``need``
        (``on``: the date of the decision, default today)."""
        return self._set_state(outcome, need, GapStatus.SEEKING, on, candidate=candidate,
                               note=note, reason="")

    def accept(self, outcome: str, need: str, *, reason: str, note: str = "",
               on: Any = None) -> GapState:
        """Accept the gap: the outcome can still be achieved without it (say why)."""
        return self._set_state(outcome, need, GapStatus.ACCEPTED, on, reason=reason, note=note)

    def fill_externally(self, outcome: str, need: str, *, by: str | None = None,
                        note: str = "", on: Any = None) -> GapState:
        """Record that a group outside the partnership meets the gap (``by``: who;
        defaults to the candidate being sought)."""
        fields: dict[str, Any] = {"note": note, "reason": ""}
        if by is not None:
            fields["candidate"] = by
        return self._set_state(outcome, need, GapStatus.FILLED_EXTERNALLY, on, **fields)

    def reopen(self, outcome: str, need: str, *, note: str = "", on: Any = None) -> GapState:
        """Put a gap back to open (the candidate and reason are cleared)."""
        return self._set_state(outcome, need, GapStatus.OPEN, on, candidate="", reason="",
                               note=note)

    # -- the analysis ---------------------------------------------------------------------

    def rebuild_totals(self) -> None:
        """Recompute from scratch the running totals and the kept rows the views read (they
        are kept by triggers on every write, so this is only a repair, e.g. after editing
        the file by hand with foreign tools)."""
        from .migrations import (
            CAPACITY_TOTALS_REFRESH_V1,
            NEED_TOTALS_REFRESH_V1,
            OUTCOME_TOTALS_REFRESH_V1,
            capacity_rows_refresh_v1,
            gap_rows_refresh_v1,
            unmatched_rows_refresh_v1,
        )

        conn = self.p.store.conn
        with self.p.store.transaction():
            for table in ("outcome_totals", "need_totals", "capacity_totals", "gap_rows",
                          "unmatched_rows", "capacity_rows"):
                conn.execute(f"DELETE FROM {table}")
            # the need totals first (their triggers refresh each need's rows as they go),
            # then every kept row and outcome total again from them, all at once
            script = (NEED_TOTALS_REFRESH_V1.format(outcome="n.outcome", need="n.slug")
                      + gap_rows_refresh_v1("outcome", "need")
                      + "DELETE FROM outcome_totals;"
                      + OUTCOME_TOTALS_REFRESH_V1.format(outcome="outcome")
                      + CAPACITY_TOTALS_REFRESH_V1.format(partner="k.partner", kind="k.kind",
                                                          unit="k.unit")
                      + capacity_rows_refresh_v1("partner", "kind", "unit")
                      + unmatched_rows_refresh_v1("outcome", "contribution"))
            for statement in script.split(";"):
                if statement.strip():
                    conn.execute(statement)

    @staticmethod
    def _basis(count_likely: bool) -> str:
        return "likely" if count_likely else "firm"

    def _query(self, view: str, order: str, *, outcome: str | None = None,
               partner: str | None = None) -> tuple[str, list[Any]]:
        """The SQL and parameters of one view of the analysis, in its order."""
        sql, params = f"SELECT * FROM {view}", []
        if outcome is not None:
            self.p.outcomes.get(outcome)
            sql += " WHERE outcome = ?"
            params.append(outcome)
        if partner is not None:
            self.p.partners.get(partner)
            sql += " WHERE partner = ?"
            params.append(partner)
        return f"{sql} ORDER BY {order}", params

    def _gaps_query(self, outcome: str | None, count_likely: bool) -> tuple[str, list[Any]]:
        # the order gap_rows is stored in: no sorting
        return self._query("gaps_counting_likely" if count_likely else "gaps",
                           "outcome, essential DESC, need", outcome=outcome)

    def _verdicts_query(self, outcome: str | None, count_likely: bool) -> tuple[str, list[Any]]:
        return self._query("outcome_verdicts_counting_likely" if count_likely
                           else "outcome_verdicts", "outcome", outcome=outcome)

    def _capacity_query(self, partner: str | None) -> tuple[str, list[Any]]:
        return self._query("capacity_use", "partner, kind, unit", partner=partner)

    def _unmatched_query(self, outcome: str | None) -> tuple[str, list[Any]]:
        # the order unmatched_rows is stored in: no sorting
        return self._query("unmatched_contributions", "outcome, contribution", outcome=outcome)

    def gaps(self, *, outcome: str | None = None, count_likely: bool = False) -> list[dict[str, Any]]:
        """Every need with what is met, its gap, cover, state and whether it kills."""
        return _rows(self.p, *self._gaps_query(outcome, count_likely))

    def verdicts(self, *, outcome: str | None = None, count_likely: bool = False) -> list[dict[str, Any]]:
        """The verdict of each outcome (on-course, at-risk, reboot, no-needs) with counts."""
        return _rows(self.p, *self._verdicts_query(outcome, count_likely))

    def verdict(self, outcome: str, *, count_likely: bool = False) -> Verdict:
        return Verdict(self.verdicts(outcome=outcome, count_likely=count_likely)[0]["verdict"])

    def capacity_use(self, *, partner: str | None = None) -> list[dict[str, Any]]:
        """Each declared capacity with what the partner's contributions use of it."""
        return _rows(self.p, *self._capacity_query(partner))

    def unmatched(self, *, outcome: str | None = None) -> list[dict[str, Any]]:
        """Contributions that count toward no need, and why."""
        return _rows(self.p, *self._unmatched_query(outcome))

    def analysis(self, *, outcome: str | None = None, count_likely: bool = False) -> Analysis:
        """Every gap, every verdict, capacity use and unmatched contributions, at once, as
        :class:`Row` objects (the same rows and values as :meth:`gaps`, :meth:`verdicts`,
        :meth:`capacity_use` and :meth:`unmatched`, without a dict per row)."""
        return Analysis(
            basis=self._basis(count_likely),
            gaps=_row_objects(self.p, *self._gaps_query(outcome, count_likely)),
            verdicts=_row_objects(self.p, *self._verdicts_query(outcome, count_likely)),
            capacity=_row_objects(self.p, *self._capacity_query(None)),
            unmatched=_row_objects(self.p, *self._unmatched_query(outcome)),
        )


# -- the public dashboard -------------------------------------------------------------------


#: the running totals the views read (kept by triggers; see partnership.schema)
TOTALS_TABLES: dict[str, tuple[str, ...]] = {
    "need_totals": ("outcome", "need", "firm_matched", "firm_met", "likely_matched",
                    "likely_met", "hoped", "naming"),
    "outcome_totals": ("outcome", "basis", "needs", "essential", "met", "open", "seeking",
                       "filled_externally", "accepted", "killers", "essential_seeking"),
    "capacity_totals": ("partner", "kind", "unit", "used", "used_firm", "contributions",
                        "outcomes"),
}




#: rules checked before a record is written (registered by the feature's plugin)
RULES: list[tuple[type, Callable[[Partnership, Any], None]]] = [
    (Contribution, _meets_a_need_of_its_outcome),
    (GapState, _gap_of_a_need),
    (Capacity, _capacity_in_a_unit_used),
]
