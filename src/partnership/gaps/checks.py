"""Built-in checks for step 3 of the method (gaps and honest capacity), registered like
any plugin's. They read the SQL views of :mod:`partnership.gaps`; only firm
contributions count toward needs, as in ``partnership gaps``."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from partnership.checks import Check, Finding, Severity
from partnership.readonly import ReadOnlyView

LIVE = "o.status NOT IN ('dropped', 'achieved')"


def _amount(value: float | None, unit: str | None) -> str:
    return "" if value is None else f"{value:g} {unit}"


def collaboration_killers(view: ReadOnlyView) -> Iterator[Finding]:
    rows = view.query(
        f"""SELECT g.outcome, g.need, g.description, g.needed, g.unit, g.gap, g.cover
            FROM gaps g JOIN outcomes o ON o.slug = g.outcome
            WHERE g.killer = 1 AND {LIVE} ORDER BY g.outcome, g.need""")
    for r in rows:
        what = f" ({r['description']})" if r["description"] else ""
        size = (f"{_amount(r['gap'], r['unit'])} of {_amount(r['needed'], r['unit'])} missing"
                if r["needed"] is not None else "nobody provides it")
        yield Finding(
            rule="collaboration-killer", subject=f"outcome {r['outcome']}", step=3,
            message=f"collaboration killer: essential need {r['need']}{what} of {r['outcome']} "
                    f"is {r['cover'].replace('-', ' ')} ({size}), nobody outside is being "
                    f"sought and the gap is not accepted",
            advice=f"find a partner or another group to meet it ('partnership gap seek "
                   f"{r['outcome']} {r['need']} --candidate ...'), accept it with a reason if the "
                   f"outcome can be achieved without it, or reboot the outcome",
        )


def over_committed(view: ReadOnlyView) -> Iterator[Finding]:
    rows = view.query(
        """SELECT partner, kind, unit, capacity, used, used_firm, outcomes, over_by
           FROM capacity_use WHERE over_committed = 1 ORDER BY partner, kind, unit""")
    for r in rows:
        yield Finding(
            rule="over-committed", subject=f"partner {r['partner']}", step=3,
            message=f"{r['partner']} is over-committed: its {r['kind']} contributions add up to "
                    f"{r['used']:g} {r['unit']} across {r['outcomes']} "
                    f"{'outcome' if r['outcomes'] == 1 else 'outcomes'}, but it "
                    f"declared a capacity of {r['capacity']:g} {r['unit']} "
                    f"({r['over_by']:g} {r['unit']} too many)",
            advice="don't pretend you can do something you can't: reduce or drop contributions "
                   "('partnership contribution update ID --amount ...'), or raise the declared "
                   "capacity if it really is larger",
        )


def unmatched(view: ReadOnlyView) -> Iterator[Finding]:
    # only for outcomes whose needs have been recorded: before that, everything is unmatched
    rows = view.query(
        f"""SELECT u.contribution, u.outcome, u.partner, u.description, u.why, u.meets,
                   u.unit, n.unit AS need_unit
            FROM unmatched_contributions u JOIN outcomes o ON o.slug = u.outcome
            LEFT JOIN needs n ON n.outcome = u.outcome AND n.slug = u.meets
            WHERE {LIVE} AND EXISTS (SELECT 1 FROM needs n WHERE n.outcome = u.outcome)
            ORDER BY u.outcome, u.contribution""")
    for r in rows:
        if r["meets"] is not None and r["need_unit"] is not None:
            # it names its need: only the unit is wrong, so naming a need again would not help
            advice = (f"record it in {r['need_unit']}, the unit of need {r['meets']}: "
                      f"'partnership contribution update {r['contribution']} --amount N "
                      f"--unit {r['need_unit']}' (N: how many {r['need_unit']} it brings)")
        else:
            advice = (f"say which need it meets with 'partnership contribution update "
                      f"{r['contribution']} --meets NEED' (in the need's unit), or record the "
                      f"need it serves")
        yield Finding(
            rule="unmatched-contribution", subject=f"contribution {r['contribution']}", step=3,
            severity=Severity.WARNING,
            message=f"contribution #{r['contribution']} of {r['partner']} to {r['outcome']} "
                    f"({r['description']}) is unmatched: {r['why']}",
            advice=advice,
        )


def register_checks(register: Callable[[Check], None]) -> None:
    register(Check(name="collaboration-killer", step=3, run=collaboration_killers,
                   description="An essential need that is unmet, with no candidate and not "
                               "accepted, means the outcome cannot be achieved as constituted."))
    register(Check(name="over-committed", step=3, run=over_committed,
                   description="A partner's contributions must not exceed its declared capacity."))
    register(Check(name="unmatched-contribution", step=3, run=unmatched,
                   description="Once an outcome's needs are recorded, each contribution meets one "
                               "of them, in its unit."))
