"""The built-in features: one package per step of the method, in this order.

Each is a pluggy plugin registered exactly like a third-party one (see
:mod:`partnership.hookspecs`); adding a feature is adding its folder and one line here.
The order is the order of their models in an export file, of their demo data and of
their commands in ``--help``.
"""

from __future__ import annotations

BUILTIN_FEATURES: tuple[str, ...] = (
    "partnership.outcomes",      # steps 1-2: partners, people, shared outcomes, what each brings
    "partnership.meetings",      # step 5: meeting discipline and written updates
    "partnership.health",        # unmentoring pairs, self-assessment, governance
    "partnership.measurement",   # step 4: indicators, observations, metrics
    "partnership.gaps",          # step 3: needs, gaps, honest capacity
    "partnership.commitments",   # commitments and the trust ledger
    "partnership.reporting",     # step 6: the public database and dashboard
    "partnership.reminders",     # reminders of what each person owes, by email (private record)
    "partnership.inbox",         # partners report for themselves; the lead accepts (private inbox)
    "partnership.spreadsheets",  # .xlsx both ways, and partner return workbooks into the inbox
)
