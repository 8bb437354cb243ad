"""Unmentoring: randomised coffee trials between members of the partnership.

Members opt in (``join``), opt out (``leave``) or pause until a date (``pause``). Each
*round* (a label such as ``2026-03``) draws everyone opted in and not paused into pairs,
with one trio when the count is odd, so nobody is left out: never two people of the same
partner where any other grouping exists, never a pairing from the last ``avoid_rounds``
rounds where any other exists, otherwise at random, reproducible from the round's
``seed``. The draw itself is :func:`partnership.health.pairing.draw_groups`; this module
holds the records and the service, ``p.pairs``.

Privacy: who is paired with whom (``pairings``) and who opted in (``pair_members``) are
never published. The public tables hold rounds, group sizes, whether each group met and
its shared output; contact details go only to the terminal or a private CSV
(:meth:`Pairs.contacts`, :meth:`Pairs.write_contacts_csv`). Change-log summaries (which
are published) never name the people of a group.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from attrs import define, field

from .. import validators as v
from ..errors import AlreadyExists, Conflict, NotFound, ValidationError
from ..models import entity, ref
from ..records import Collection
from .pairing import draw_groups, grouping_cost

if TYPE_CHECKING:
    from ..api import Partnership

__all__ = [
    "PairMember", "PairRound", "PairGroup", "Pairing", "MODELS", "Pairs", "Draw",
    "DEFAULT_AVOID_ROUNDS",
]

#: how many earlier rounds a pairing should not be repeated from, unless asked otherwise
DEFAULT_AVOID_ROUNDS = 3


def _positive_or_zero(_i: Any, attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise v.FieldProblem(f"{attribute.name} must be a whole number, 0 or more (got {v.shown(value)})")


@entity("pair_members", ("person",), "unmentoring member", public=False)
@define(kw_only=True)
class PairMember:
    """A person who opted in to unmentoring (or out again, or paused until a date)."""

    person: str = ref("people")
    active: bool = True
    paused_until: dt.date | None = None
    since: dt.date


@entity("pair_rounds", ("round",), "unmentoring round")
@define(kw_only=True)
class PairRound:
    """One draw: when, with which seed, how many people in how many groups (public)."""

    round: str = field(validator=v.slug)
    drawn_on: dt.date
    seed: int = field(validator=_positive_or_zero)
    avoid_rounds: int = field(default=DEFAULT_AVOID_ROUNDS, validator=_positive_or_zero)
    people: int = field(default=0, validator=_positive_or_zero)
    groups: int = field(default=0, validator=_positive_or_zero)


@entity("pair_groups", ("round", "number"), "unmentoring group")
@define(kw_only=True)
class PairGroup:
    """A pair or trio of a round, without names: its size, whether it met, its output."""

    round: str = ref("pair_rounds")
    number: int = field(validator=_positive_or_zero)
    size: int = field(validator=_positive_or_zero)
    met: bool = False
    met_on: dt.date | None = None
    output: str = field(default="", converter=v.strip, validator=v.link_or_text)


@entity("pairings", ("round", "person"), "pairing", order_by="round, number, person", public=False)
@define(kw_only=True)
class Pairing:
    """Who is in which group of a round. Never published."""

    round: str = ref("pair_rounds")
    number: int = field(validator=_positive_or_zero)
    person: str = ref("people")


#: stored models, in dependency order (for import/export)
MODELS: list[type] = [PairMember, PairRound, PairGroup, Pairing]


# -- the library API -------------------------------------------------------------------------------


@define(kw_only=True, frozen=True)
class Draw:
    """The result of drawing a round: its groups (people's slugs) and how clean it is."""

    round: str
    seed: int
    avoid_rounds: int
    groups: list[list[str]]
    same_partner: int
    repeats: int
    skipped_paused: list[str] = field(factory=list)

    @property
    def people(self) -> int:
        return sum(len(g) for g in self.groups)


def _round_label(value: Any) -> str:
    try:
        v.check_slug("round", value)
    except v.FieldProblem as exc:
        raise ValidationError(f"{exc}; name rounds like 2026-03") from None
    return str(value)


def _whole(value: Any, name: str) -> Any:
    """A whole number given as text (from the command line) becomes an int."""
    if isinstance(value, str):
        try:
            return v.whole_number(value)  # plain digits: int() also takes "1_0" and "١"
        except v.FieldProblem:
            raise ValidationError(
                f"{name} must be a whole number, 0 or more (got {v.shown(value)})") from None
    return value


class Pairs:
    """``p.pairs``: opt in and out, draw rounds, record who met and what they shared."""

    def __init__(self, p: Partnership) -> None:
        self.p = p
        self.members = Collection(p, PairMember)
        self.rounds = Collection(p, PairRound)
        self.groups = Collection(p, PairGroup)
        self.pairings = Collection(p, Pairing)

    # -- membership ----------------------------------------------------------------------

    def join(self, person: str, *, on: Any = None) -> PairMember:
        """Opt ``person`` in (again), ending any pause; ``on`` is the date (default today)."""
        return self._set(person, active=True, paused_until=None, since=self._date(on, "joined on"),
                         what="opted in to")

    def leave(self, person: str) -> PairMember:
        """Opt ``person`` out: they are not drawn until they join again."""
        self._member(person)
        return self._set(person, active=False, paused_until=None, since=None, what="opted out of")

    def pause(self, person: str, until: Any) -> PairMember:
        """Skip ``person`` in draws made before ``until`` (a date); they stay opted in.

        A pause opts a person in if they were not, so that they are drawn after it ends.
        """
        date = self._date(until, "pause until")
        return self._set(person, active=True, paused_until=date, since=None, what="paused")

    def _set(self, person: str, *, active: bool, paused_until: dt.date | None,
             since: dt.date | None, what: str) -> PairMember:
        # Written directly rather than through the collection so that the change log, which
        # is published, says that someone joined, left or paused, but not who.
        with self.p.store.transaction():
            self.p.people.get(person)  # NotFound, with a did-you-mean, for an unknown person
            before = self.members.get(person) if self.members.exists(person) else None
            row = {"person": person, "active": int(active),
                   "paused_until": paused_until.isoformat() if paused_until else None,
                   "since": (before.since if before else since or self.p.today()).isoformat()}
            self.p.store.conn.execute(
                "INSERT INTO pair_members (person, active, paused_until, since) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (person) DO UPDATE SET active = excluded.active, "
                "paused_until = excluded.paused_until",
                [row["person"], row["active"], row["paused_until"], row["since"]])
            self.p.store.log("update" if before else "add", "unmentoring member", "-",
                             f"a member {what} unmentoring", row)
            return self.members.get(person)

    def _date(self, value: Any, name: str) -> dt.date:
        if value is None:
            return self.p.today()
        try:
            return v.parse_date(value, name)
        except v.FieldProblem as exc:
            raise ValidationError(str(exc)) from None

    def _member(self, person: str) -> PairMember:
        if not self.members.exists(person):
            self.p.people.get(person)  # NotFound for an unknown person
            raise NotFound("unmentoring member", person,
                           hint=f"opt them in with 'partnership pairs join {person}'")
        return self.members.get(person)

    def status(self, on: dt.date | None = None) -> list[dict[str, Any]]:
        """Every member with their state on ``on`` (default today): in, paused or out."""
        on = on or self.p.today()
        rows = []
        for m in self.members.list():
            state = "out" if not m.active else (
                "paused" if m.paused_until and m.paused_until > on else "in")
            rows.append({"person": m.person, "state": state,
                         "paused_until": m.paused_until, "since": m.since})
        return rows

    def eligible(self, on: dt.date | None = None) -> tuple[list[str], list[str]]:
        """(people drawn on ``on``, people skipped because paused)."""
        states = self.status(on)
        return ([r["person"] for r in states if r["state"] == "in"],
                [r["person"] for r in states if r["state"] == "paused"])

    # -- drawing -------------------------------------------------------------------------

    def recent(self, round_label: str, avoid_rounds: int) -> dict[str, set[str]]:
        """Who was grouped with whom in the ``avoid_rounds`` rounds before ``round_label``."""
        if avoid_rounds <= 0:
            return {}
        labels = [r[0] for r in self.p.store.conn.execute(
            "SELECT round FROM pair_rounds WHERE round < ? ORDER BY round DESC LIMIT ?",
            [round_label, avoid_rounds])]
        if not labels:
            return {}
        groups: dict[tuple[str, int], list[str]] = {}
        marks = ", ".join("?" for _ in labels)
        for rnd, number, person in self.p.store.conn.execute(
                f"SELECT round, number, person FROM pairings WHERE round IN ({marks})", labels):
            groups.setdefault((rnd, number), []).append(person)
        recent: dict[str, set[str]] = {}
        for people in groups.values():
            for a in people:
                recent.setdefault(a, set()).update(b for b in people if b != a)
        return recent

    def draw(self, round_label: str, *, seed: int | None = None,
             avoid_rounds: int = DEFAULT_AVOID_ROUNDS, force: bool = False, on: Any = None) -> Draw:
        """Draw and save round ``round_label``; a saved round is redrawn only with ``force``.

        ``on`` is the date of the draw (default today): who is paused is judged on it.
        """
        round_label = _round_label(round_label)
        drawn_on = self._date(on, "drawn on")
        avoid_rounds = _whole(avoid_rounds, "avoid rounds")
        seed = None if seed is None else _whole(seed, "seed")
        if isinstance(avoid_rounds, bool) or not isinstance(avoid_rounds, int) or avoid_rounds < 0:
            raise ValidationError(f"avoid rounds must be a whole number, 0 or more (got {avoid_rounds!r})")
        if seed is None:
            seed = random.SystemRandom().randrange(1_000_000)
        elif isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValidationError(f"seed must be a whole number, 0 or more (got {seed!r})")
        with self.p.store.transaction():
            if self.rounds.exists(round_label):
                if not force:
                    raise AlreadyExists(
                        "unmentoring round", round_label,
                        "redraw it with --force (this forgets who met in it), "
                        "or draw another round")
                self._delete_round(round_label)
            people, paused = self.eligible(drawn_on)
            partner_of = {r[0]: r[1] for r in self.p.store.conn.execute("SELECT slug, partner FROM people")}
            recent = self.recent(round_label, avoid_rounds)
            groups = draw_groups(people, partner_of, recent, seed=seed)
            same, repeats = grouping_cost(groups, partner_of, recent)
            self.p.store.conn.execute(
                "INSERT INTO pair_rounds (round, drawn_on, seed, avoid_rounds, people, groups) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [round_label, drawn_on.isoformat(), seed, avoid_rounds, len(people), len(groups)])
            self.p.store.conn.executemany(
                "INSERT INTO pair_groups (round, number, size, met, output) VALUES (?, ?, ?, 0, '')",
                [(round_label, i, len(g)) for i, g in enumerate(groups, 1)])
            self.p.store.conn.executemany(
                "INSERT INTO pairings (round, number, person) VALUES (?, ?, ?)",
                [(round_label, i, person) for i, g in enumerate(groups, 1) for person in g])
            trios = sum(1 for g in groups if len(g) == 3)
            # the log is published: counts only, never who is with whom
            self.p.store.log(
                "redraw" if force else "add", "unmentoring round", round_label,
                f"unmentoring round {round_label} drawn: {len(people)} people in {len(groups)} groups"
                + (f" ({trios} trio)" if trios else ""),
                {"seed": seed, "avoid_rounds": avoid_rounds, "people": len(people),
                 "groups": len(groups), "same_partner": same, "repeats": repeats})
        return Draw(round=round_label, seed=seed, avoid_rounds=avoid_rounds, groups=groups,
                    same_partner=same, repeats=repeats, skipped_paused=paused)

    def _delete_round(self, round_label: str) -> None:
        for table in ("pairings", "pair_groups", "pair_rounds"):
            self.p.store.conn.execute(f"DELETE FROM {table} WHERE round = ?", [round_label])

    def _round(self, round_label: str) -> PairRound:
        if not self.rounds.exists(round_label):
            known = [r[0] for r in self.p.store.conn.execute("SELECT round FROM pair_rounds ORDER BY 1")]
            raise NotFound("unmentoring round", round_label, known,
                           hint=f"draw it with 'partnership pairs draw --round {round_label}'")
        return self.rounds.get(round_label)

    def group_of(self, round_label: str, person: str) -> int | None:
        row = self.p.store.conn.execute(
            "SELECT number FROM pairings WHERE round = ? AND person = ?", [round_label, person]).fetchone()
        return row[0] if row else None

    def met(self, round_label: str, people: Sequence[str], *, output: str = "",
            on: Any = None) -> PairGroup:
        """Record that the group holding ``people`` (two or three of them) met; keep its output."""
        people = list(dict.fromkeys(people))
        if len(people) < 2:
            raise ValidationError("name at least two people of the group that met, e.g. jo-bloggs sam-lee")
        date = self._date(on, "met on")
        with self.p.store.transaction():
            self._round(round_label)
            numbers = set()
            for person in people:
                self.p.people.get(person)
                number = self.group_of(round_label, person)
                if number is None:
                    raise Conflict(
                        f"{person} was not drawn in round {round_label}; see who was with "
                        f"'partnership pairs history --round {round_label}'")
                numbers.add(number)
            if len(numbers) != 1:
                raise Conflict(
                    f"{', '.join(people)} were not drawn together in round {round_label}; see the "
                    f"groups with 'partnership pairs history --round {round_label}'")
            number = numbers.pop()
            group = self.groups.update(
                round_label, number, met=True, met_on=date,
                output=output if output else self.groups.get(round_label, number).output)
            return group

    # -- reading -----------------------------------------------------------------------------

    def history(self) -> list[dict[str, Any]]:
        """Every round: people, groups, how many met, uptake (share of groups that met), outputs."""
        rows = self.p.store.query(
            """SELECT r.round, r.drawn_on, r.seed, r.avoid_rounds, r.people, r.groups,
                      coalesce(sum(g.met), 0) AS met,
                      coalesce(sum(g.output != ''), 0) AS outputs
               FROM pair_rounds r LEFT JOIN pair_groups g ON g.round = r.round
               GROUP BY r.round ORDER BY r.round""")
        for r in rows:
            r["uptake"] = round(r["met"] / r["groups"], 3) if r["groups"] else 0.0
        return rows

    def round_detail(self, round_label: str) -> dict[str, Any]:
        """One round: the :meth:`history` figures, and under ``pairs`` each pair or trio with
        its people (slugs, names, partners), whether it met and its output. Private."""
        info = self._round(round_label)
        names = {r[0]: (r[1], r[2]) for r in self.p.store.conn.execute(
            "SELECT slug, name, partner FROM people")}
        members: dict[int, list[dict[str, Any]]] = {}
        for number, person in self.p.store.conn.execute(
                "SELECT number, person FROM pairings WHERE round = ? ORDER BY number, person", [round_label]):
            name, partner = names.get(person, (person, ""))
            members.setdefault(number, []).append({"person": person, "name": name, "partner": partner})
        groups = []
        for g in self.groups.list(round=round_label):
            groups.append({"number": g.number, "size": g.size, "met": g.met, "met_on": g.met_on,
                           "output": g.output, "people": members.get(g.number, [])})
        summary = next(r for r in self.history() if r["round"] == round_label)
        return {**summary, "drawn_on": info.drawn_on, "pairs": groups}

    def outputs(self) -> list[dict[str, Any]]:
        """The outputs shared after meeting, newest round first (public: no names)."""
        return self.p.store.query(
            "SELECT round, number, met_on, output FROM pair_groups WHERE output != '' "
            "ORDER BY round DESC, number")

    def contacts(self, round_label: str) -> list[dict[str, Any]]:
        """Names and contact details of each group of a round, for the lead to send. Private."""
        self._round(round_label)
        return self.p.store.query(
            """SELECT x.number AS "group", x.person AS person, pe.name AS name, pa.name AS partner,
                      coalesce(pe.email, '') AS email, coalesce(pe.phone, '') AS phone
               FROM pairings x JOIN people pe ON pe.slug = x.person
               JOIN partners pa ON pa.slug = pe.partner
               WHERE x.round = ? ORDER BY x.number, pe.name""", [round_label])

    def write_contacts_csv(self, round_label: str, path: str | os.PathLike[str], *,
                           force: bool = False) -> int:
        """Write :meth:`contacts` to a new CSV readable only by its owner; returns the rows.

        An existing file is replaced only with ``force`` (never the working database);
        see :mod:`partnership.outfiles`."""
        from ..outfiles import protected_paths
        from ..tabular import write_csv

        rows = self.contacts(round_label)
        # with the byte-order mark Excel needs to show accents in names (see partnership.tabular)
        write_csv(path, ["group", "person", "name", "partner", "email", "phone"], rows,
                  protect=protected_paths(self.p.store.path), private=True, force=force)
        return len(rows)
