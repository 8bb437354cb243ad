"""Written updates: the alternative to information items and to many meetings.

A partner posts a short progress note tied to an outcome (:class:`~.models.Update`,
public); :meth:`Updates.since` with the change log answers "what changed since the last
meeting".
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from .. import validators as v
from ..errors import ValidationError
from ..records import Collection, from_row, structure, to_row
from .models import Update
from .rules import meeting_row

if TYPE_CHECKING:
    from ..api import Partnership

__all__ = ["Updates"]


class Updates:
    """``p.updates``: written progress updates, the alternative to information items."""

    def __init__(self, p: Partnership) -> None:
        self.p = p
        self.collection: Collection[Update] = Collection(p, Update)

    def post(self, partner: str, text: str, *, outcome: str, date: Any = None,
             author: str | None = None) -> Update:
        """Post an update from ``partner`` about ``outcome`` (dated today unless given)."""
        update = structure(Update, {"date": date or self.p.today(), "partner": partner,
                                    "outcome": outcome, "text": text, "author": author})
        if author and self.p.people.exists(author) and self.p.people.get(author).partner != partner:
            raise ValidationError(
                f"{author} works for {self.p.people.get(author).partner}, not {partner}; "
                f"post the update as their partner or leave out --by")
        return self.collection.add(update)

    def list(self, **where: Any) -> list[Update]:
        return self.collection.list(**where)

    def correct(self, update_id: int, *, reason: str = "", **changes: Any) -> Update:
        """Correct an update's text, date, outcome or author (the log keeps the earlier
        values and the reason); what is not given stays as it was."""
        with self.p.store.transaction():
            before = self.collection.get(update_id)
            author = changes.get("author", before.author)
            partner = changes.get("partner", before.partner)
            if author and self.p.people.exists(author) and self.p.people.get(author).partner != partner:
                raise ValidationError(
                    f"{author} works for {self.p.people.get(author).partner}, not {partner}; "
                    f"choose an author from {partner}")
            return self.collection.correct((update_id,), changes, reason=reason)

    def remove(self, update_id: int, *, reason: str = "") -> Update:
        """Remove an update posted by mistake (the change log keeps it, and the reason)."""
        return self.collection.remove(update_id, reason=reason)

    def since(self, since: str | dt.date | None = None) -> dict[str, Any]:
        """Updates and changes on or after ``since``: a date, a meeting slug, or None for
        the date of the last held meeting (everything if none was held)."""
        meeting = None
        if since is None:
            rows = self.p.store.query(
                "SELECT slug, date FROM meetings WHERE status = 'held' ORDER BY date DESC, slug DESC "
                "LIMIT 1")
            if rows:
                meeting, since_date = rows[0]["slug"], dt.date.fromisoformat(rows[0]["date"])
            else:
                since_date = None
        elif isinstance(since, dt.date):
            since_date = since
        else:
            text = str(since).strip()
            if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
                try:
                    since_date = v.parse_date(text, "since")
                except v.FieldProblem as exc:
                    raise ValidationError(str(exc)) from None
            else:
                if not v.SLUG_RE.fullmatch(text):
                    raise ValidationError(
                        f"since must be a meeting's slug or a date written YYYY-MM-DD (got {v.shown(text)})")
                meeting = text
                since_date = dt.date.fromisoformat(meeting_row(self.p, text)["date"])
        where, params = "", []
        if since_date is not None:
            where, params = "WHERE date >= ?", [since_date.isoformat()]
        updates = [from_row(Update, r) for r in self.p.store.query(
            f"SELECT * FROM updates {where} ORDER BY date DESC, id DESC", params)]
        # the updates are listed in full above; the change log adds everything else
        changes = self.p.store.query(
            "SELECT id, at, action, entity, key, summary, data FROM changes WHERE entity != 'update'"
            + (" AND at >= ?" if since_date else "") + " ORDER BY id DESC", params)
        # the changes for people: grouped and worded ("3 figures recorded for
        # repeat-victims"); the raw entries stay in "changes" (and 'partnership log')
        from ..narrative import read_names, stories

        told = stories(changes, read_names(self.p.store.conn))
        return {
            "since": since_date.isoformat() if since_date else None,
            "meeting": meeting,
            "updates": [to_row(u) for u in updates],
            "summary": [{"text": s.text, "changes": s.count, "at": s.at,
                         "first_change": s.first_id, "last_change": s.last_id} for s in told],
            "changes": [{k: v for k, v in c.items() if k != "data"} for c in changes],
        }
