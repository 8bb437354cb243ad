"""Built-in checks on commitments: pledging what it would do anyway, and overdue promises.

Both read the ``commitments`` table only, and use the partnership's today
(``view.today``), so they agree with ``partnership commitments`` and ``ledger``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from partnership.checks import Check, Finding, Severity
from partnership.readonly import ReadOnlyView

#: a partner is flagged when more than this share of its commitments is business as usual
BAU_SHARE = 0.5
#: ... and it has made at least this many (withdrawn ones included: they were pledged)
BAU_MIN = 3


def business_as_usual(view: ReadOnlyView) -> Iterator[Finding]:
    """A partner whose commitments are mostly business as usual."""
    share = float(view.options.get("bau_share", BAU_SHARE))
    least = int(view.options.get("bau_min", BAU_MIN))
    rows = view.query(
        """SELECT partner, count(*) AS made, sum(additional = 0) AS bau
           FROM commitments GROUP BY partner HAVING made >= ? ORDER BY partner""", [least])
    for r in rows:
        if r["bau"] / r["made"] <= share:
            continue
        all_or = "all" if r["bau"] == r["made"] else f"{r['bau']} of"
        yield Finding(
            rule="pledging-what-it-would-do-anyway", subject=f"partner {r['partner']}", step=2,
            message=f"{r['partner']} is pledging what it would do anyway: {all_or} its "
                    f"{r['made']} commitments are business as usual",
            advice="ask what it will do differently because of the partnership, and record "
                   "that with 'partnership commit ... --additional'",
            severity=Severity.WARNING,
        )


def overdue(view: ReadOnlyView) -> Iterator[Finding]:
    """Open commitments whose due date has passed."""
    today = view.today.isoformat()
    rows = view.query(
        """SELECT id, partner, owner, what, due,
                  CAST(julianday(?) - julianday(due) AS INTEGER) AS days
           FROM commitments WHERE state = 'open' AND due < ? ORDER BY due, id""", [today, today])
    for r in rows:
        ref = f"C-{r['id']}"
        who = f"{r['partner']} ({r['owner']})" if r["owner"] else r["partner"]
        days = f"{r['days']} day{'s' if r['days'] != 1 else ''}"
        yield Finding(
            rule="overdue-commitment", subject=f"commitment {ref}", step=2,
            message=f"{ref} by {who} was due on {r['due']} and is {days} overdue: {r['what']}",
            advice=f"record it with 'partnership commitment deliver {ref} --evidence ...', "
                   f"or withdraw it with a reason: 'partnership commitment withdraw {ref} --reason ...'",
            severity=Severity.WARNING,
        )


def register_checks(register: Callable[[Check], None]) -> None:
    register(Check(name="pledging-what-it-would-do-anyway", run=business_as_usual, step=2,
                   description="A partner whose commitments are mostly business as usual "
                               f"(more than {BAU_SHARE:.0%} of at least {BAU_MIN})."))
    register(Check(name="overdue-commitments", run=overdue, step=2,
                   description="Open commitments whose due date has passed."))
