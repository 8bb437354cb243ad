"""The demo's partner inbox: who reports which figure, and what partner staff have sent.

Three indicators are reported by the partner that holds the data (the others by every
partner with a stake in their outcome, the default). In October 2026 partner staff sent
four things through their personal links: two written updates, which the lead accepted
two days later (so the public page's "How fresh is each partner's reporting?" has a last
accepted submission to show for the police and the fire service), and a figure and a
delivered commitment that are still waiting for the lead (``partnership --db demo.db
inbox`` lists them; the record does not hold them until they are accepted: the
commitment is still overdue in the ledger).

Every date is fixed. Built with an earlier ``PARTNERSHIP_TODAY``, what had not been sent
yet is left out, and what was sent but not yet accepted waits in the inbox. Each
acceptance is dated the day it happened in the story (the public "last accepted" date),
by running the lead's :meth:`~partnership.inbox.service.Inbox.accept` on that day's clock.

Pending submissions live in the inbox file beside the demo (``demo.inbox.db``), as they
would for a real partnership: :func:`partnership.demo.build` carries it with the demo.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from partnership.api import Partnership
from partnership.errors import PartnershipError

#: (indicator, the partners that report it)
REPORTERS: list[tuple[str, list[str]]] = [
    ("patrol-hours", ["county-police"]),
    ("home-fire-injuries", ["northshire-fire"]),
    ("feel-safe-at-night", ["lunesdale-council"]),
]

#: (person, kind, payload, sent on, accepted on or None: still waiting for the lead)
SUBMISSIONS: list[tuple[str, str, dict[str, Any], str, str | None]] = [
    ("ben-clarke", "update", {
        "outcome": "fewer-repeat-asb", "date": "2026-10-12",
        "text": "The October repeat-victim profile is done: 31 households in Skerton and the Marsh "
                "estate make half of all repeat calls, and each now has a named caseworker."},
     "2026-10-12", "2026-10-14"),
    ("tom-okafor", "update", {
        "outcome": "fewer-home-fire-injuries", "date": "2026-10-20",
        "text": "Safe and well visits reached 118 people over 65 living alone this quarter; "
                "14 homes had no working smoke alarm and all 14 have one now."},
     "2026-10-20", "2026-10-22"),
    ("sam-lee", "observation", {
        "indicator": "feel-safe-at-night", "date": "2026-10-25", "value": 62.4,
        "source": "Residents' survey (October panel)", "note": "Early result: 212 of 345 panel members"},
     "2026-10-27", None),
    ("dev-patel", "commitment-delivered", {
        "commitment": "Target-harden the homes of repeat victims within 5 days", "delivered_on": "2026-10-28",
        "evidence": "38 homes target-hardened since May; since September every one within 5 days "
                    "(the works log is with the tasking group)"},
     "2026-10-29", None),
]


def _commitment_ref(p: Partnership, what: str) -> str | None:
    """The id (``C-n``) of the open commitment whose text is ``what``, if it is open."""
    rows = p.store.query("SELECT id FROM commitments WHERE what = ? AND state = 'open'", [what])
    return f"C-{rows[0]['id']}" if rows else None


def _fixed(day: dt.date) -> Callable[[], dt.date]:
    return lambda: day


def populate(p: Partnership) -> None:
    today = p.today()
    for indicator, partners in REPORTERS:
        p.inbox.set_reporters(indicator, partners)
    lead_clock = p._clock
    try:
        for person, kind, payload, sent_on, accepted_on in SUBMISSIONS:
            if dt.date.fromisoformat(sent_on) > today:
                continue  # not sent yet on the day the demo is built
            data = dict(payload)
            if kind == "commitment-delivered":
                ref = _commitment_ref(p, data["commitment"])
                if ref is None:
                    continue
                data["commitment"] = ref
            sent = dt.date.fromisoformat(sent_on)
            p._clock = _fixed(sent)  # sent on that day: the form's checks as they were then
            number = p.inbox.submit(person, kind, data)
            if accepted_on is None or dt.date.fromisoformat(accepted_on) > today:
                continue  # still waiting for the lead
            accepted = dt.date.fromisoformat(accepted_on)
            p._clock = _fixed(accepted)
            [result] = p.inbox.accept([number])
            if result["outcome"] != "accepted":
                raise PartnershipError(f"the demo's submission {number} was not accepted: "
                                       f"{result['message']}")
    finally:
        p._clock = lead_clock
        p.inbox.close()
