"""The change log's one privacy rule: records that are not public leave counts only.

Every path that writes the log goes through :meth:`partnership.store.Store.log`, which
calls :func:`log_entry`; publishing reduces the public copy of the log the same way, for
logs written before the rule existed (:func:`publish_changes`). Which records are not
public comes from the registered models (``@entity(..., public=False)``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

# -- the change log: entities that are not public leave counts only --------------------------
#
# The one rule, used by every path that writes the log (``Store.log``) and by ``publish``
# for logs written before the rule existed: a change to an entity whose model is not
# public (``@entity(..., public=False)``, e.g. who was paired with whom) is logged with no
# key, a summary that is only a count ("1 pairing added") and no data but that count.

#: the key the change log holds for an entity that is not public
HIDDEN_KEY = "-"

_PAST = {"add": "added", "update": "updated", "remove": "removed", "import": "imported",
         "redraw": "redrawn", "correct": "corrected", "upsert": "updated"}

def non_public_labels(models: Iterable[type]) -> frozenset[str]:
    """The change-log names (``Entity.label``) of the stored ``models`` that are not public."""
    from .records import entity_of

    return frozenset(entity_of(cls).label for cls in models if not entity_of(cls).public)


def count_summary(label: str, action: str, count: int = 1) -> str:
    """'1 pairing added', '12 pairings added', '1 unmentoring member updated'."""
    past = _PAST.get(action) or (action + ("d" if action.endswith("e") else "ed"))
    return f"{count} {label}{'' if count == 1 else 's'} {past}"


def log_entry(action: str, entity: str, key: str, summary: str, data: dict[str, Any] | None,
              *, hidden: frozenset[str], count: int = 1) -> tuple[str, str, dict[str, Any]]:
    """What the change log may hold of one change: ``(key, summary, data)``.

    Unchanged for a public entity; for one that is not public, the hidden key, a count
    and ``{"count": count}``, whatever the caller passed.
    """
    if entity in hidden:
        return HIDDEN_KEY, count_summary(entity, action, count), {"count": count}
    return key, summary, dict(data or {})


def publish_changes(conn: sqlite3.Connection, hidden: frozenset[str], source: str = "src") -> None:
    """Reduce the public copy of ``changes`` to counts for entities that are not public.

    Runs on the public database (``main``) while the working database is attached as
    ``source``, right after the copy. Entries logged before the rule (with keys and
    summaries) are rewritten too; entries of one kind, action and second are merged
    into one ("12 pairings added"), so an import of many rows is one line of the feed.
    """
    labels = sorted(hidden)
    if not labels:
        return
    marks = ", ".join("?" for _ in labels)
    rows = conn.execute(
        f"""SELECT m.id, m.at, m.action, m.entity,
                   CASE WHEN json_valid(s.data) AND json_type(s.data, '$.count') = 'integer'
                        AND s.key = '{HIDDEN_KEY}'
                        THEN json_extract(s.data, '$.count') ELSE 1 END
            FROM main.changes m LEFT JOIN {source}.changes s ON s.id = m.id
            WHERE m.entity IN ({marks}) ORDER BY m.id""", labels).fetchall()
    merged: dict[tuple[str, str, str], list[int]] = {}
    counts: dict[tuple[str, str, str], int] = {}
    for ident, at, action, entity, count in rows:
        group = (at, action, entity)
        merged.setdefault(group, []).append(ident)
        counts[group] = counts.get(group, 0) + max(int(count), 0)
    for (at, action, entity), ids in merged.items():
        conn.execute("UPDATE main.changes SET key = ?, summary = ? WHERE id = ?",
                     [HIDDEN_KEY, count_summary(entity, action, counts[(at, action, entity)]), ids[0]])
        conn.executemany("DELETE FROM main.changes WHERE id = ?", [(i,) for i in ids[1:]])
