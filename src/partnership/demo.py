"""A realistic fictional partnership to explore: the Lunesdale Community Safety Partnership.

:func:`build` creates it through the public library API only, so the demo is also a
worked example of that API. Each feature adds its own data in its ``demo.py``,
registered through the ``register_demo`` hook and run in order on the same open
partnership inside one transaction.
"""

from __future__ import annotations

import os
from pathlib import Path

from partnership.api import Partnership


def build(path: str | os.PathLike[str], *, replace: bool = False,
          plugins_dir: str | os.PathLike[str] | None = None,
          plugins: tuple[object, ...] = ()) -> Partnership:
    """Write the demo partnership to ``path``; returns it closed. All or nothing.

    Every feature's demo step runs, and those of the plugins given."""
    target = Path(path)
    tmp = target.with_name(target.name + ".building")
    for suffix in ("", "-wal", "-shm"):
        Path(str(tmp) + suffix).unlink(missing_ok=True)
    from partnership.outcomes.demo import INFO

    p = Partnership.create(tmp, actor="demo", plugins_dir=plugins_dir, plugins=plugins, **INFO)
    try:
        with p.store.transaction():
            for populate in p.registry.demo_steps:
                populate(p)
        p.store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        p.close()
    if target.exists() and not replace:
        tmp.unlink()
        raise FileExistsError(path)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    os.replace(tmp, target)
    return p
