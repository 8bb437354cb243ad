"""A realistic fictional partnership to explore: the Lunesdale Community Safety Partnership.

:func:`build` creates it through the public library API only, so the demo is also a
worked example of that API. Each feature adds its own data in its ``demo.py``,
registered through the ``register_demo`` hook and run in order on the same open
partnership inside one transaction.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

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
