"""A realistic fictional partnership to explore: the Lunesdale Community Safety Partnership.

:func:`build` creates it through the public library API only, so the demo is also a
worked example of that API. Each feature adds its own data in its ``demo.py``,
registered through the ``register_demo`` hook and run in order on the same open
partnership inside one transaction.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from partnership.api import Partnership


def build(path: str | os.PathLike[str], *, replace: bool = False,
          plugins_dir: str | os.PathLike[str] | None = None,
          plugins: tuple[object, ...] = (),
          on_problem: Callable[[str], None] | None = None) -> Partnership:
    """Write the demo partnership to ``path``; returns it closed. All or nothing.

    Every feature's demo step runs, and those of the plugins given. Then every metric
    is computed once, built-in and from the plugins, within the plugin time limit
    (``PARTNERSHIP_PLUGIN_TIME_LIMIT``), so the demo's figures are ready to read; a
    metric that fails is recorded as a refresh records it, and ``on_problem`` gets its
    one-line message (plugin, metric, indicator, the way out)."""
    target = Path(path)
    tmp = target.with_name(target.name + ".building.db")  # its inbox: NAME.building.inbox.db
    for suffix in ("", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    # the inbox feature keeps partners' pending submissions in a file beside the demo
    from partnership.inbox.service import carry_inbox, discard_inbox
    from partnership.outcomes.demo import INFO

    discard_inbox(tmp)
    p = Partnership.create(tmp, actor="demo", plugins_dir=plugins_dir, plugins=plugins, **INFO)
    try:
        with p.store.transaction():
            for populate in p.registry.demo_steps:
                populate(p)
            # the figures, once, after every step: a slow plugin costs the time limit once
            for line in p.measure.refresh(force=True).messages:
                if on_problem is not None:
                    on_problem(line)
            _story_times(p)
        p.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except BaseException:
        p.close()
        discard_inbox(tmp)
        raise
    p.close()
    if target.exists() and not replace:
        tmp.unlink()
        discard_inbox(tmp)
        raise FileExistsError(path)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    os.replace(tmp, target)
    carry_inbox(tmp, target)
    return p


#: what dates a demo change-log entry by the story: (action, entity) -> the field of its
#: data holding the day it happened ("changed." for the new value of an update)
_STORY_DATES = {
    ("add", "observation"): "date", ("add", "update"): "date", ("add", "story note"): "date",
    ("add", "self-assessment"): "date", ("add", "governance answer"): "date",
    ("add", "commitment"): "created", ("add", "gap"): "since",
    ("update", "commitment"): "changed.delivered_on|changed.withdrawn_on",
    ("update", "unmentoring group"): "changed.met_on", ("update", "meeting"): "before_row.date",
}


def _story_times(p: Partnership) -> None:
    """Date the demo's change log by its story, not by the second it was built.

    The build writes a year of the partnership's life in a moment, so every entry would
    say "today" and "what changed since the last meeting" would list the whole build.
    Each entry whose record carries its own day (a figure, an update, a promise made or
    kept, a meeting held) is dated that day; the rest (setting up partners, outcomes,
    needs...) a month before the first meeting. Entries keep their order of writing."""
    import json

    conn = p.store.conn
    first = conn.execute("SELECT min(date) FROM meetings").fetchone()[0]
    if first is None:
        return
    setup = (dt.date.fromisoformat(first) - dt.timedelta(days=30)).isoformat()
    today = p.today().isoformat()
    rows = conn.execute("SELECT id, action, entity, data FROM changes ORDER BY id").fetchall()
    dated = []
    seconds: dict[str, int] = {}  # per day, a second more for each entry: written order kept
    for ident, action, entity, data in rows:
        day = setup
        fields = _STORY_DATES.get((action, entity))
        if fields:
            parsed = json.loads(data or "{}")
            for path in fields.split("|"):
                value: Any = parsed
                for part in path.split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                if isinstance(value, str) and len(value) >= 10:
                    day = max(setup, min(value[:10], today))
                    break
        elif action == "accept":  # partners' reports through the inbox: the story's present
            day = today
        n = seconds[day] = seconds.get(day, -1) + 1
        at = dt.datetime.fromisoformat(f"{day}T09:00:00+00:00") + dt.timedelta(seconds=n)
        dated.append((at.isoformat(), ident))
    conn.executemany("UPDATE changes SET at = ? WHERE id = ?", dated)
    conn.execute("UPDATE partnership SET created_at = ?", [f"{setup}T09:00:00+00:00"])
