"""The demo's reminders: one member has asked for none (so ``remind --dry-run`` lists her)."""

from __future__ import annotations

from partnership.api import Partnership


def populate(p: Partnership) -> None:
    p.reminders.opt_out("rosa-diaz", reason="prefers a phone call from the coordinator")
