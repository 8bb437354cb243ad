"""Helpers for testing a plugin: a :class:`~partnership.Series` from plain values, and a
small real partnership in a temporary file.

A metric is a plain function of a ``Series``, so most tests need no database::

    from partnership.testing import series

    def test_doubled():
        assert doubled(series([95, 90])) == 180
        assert doubled(series([])) is None

An end-to-end test runs the plugin the way ``partnership`` does (its own read-only
connection, its time limit, the check and metric rules) on a real SQLite file::

    from partnership.testing import metric_values, temporary_partnership

    def test_refresh():
        with temporary_partnership(plugins=[my_plugin], values=[390, 371, 350]) as p:
            assert metric_values(p, "doubled") == {"repeat-victims": 700}

docs/plugins.md ("Testing your plugin") has a whole test file for an installed package.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import Partnership
    from .checks import Finding
    from .measurement.service import Indicator
    from .metrics import Series

__all__ = ["INDICATOR", "OUTCOME", "indicator", "series", "small_partnership",
           "temporary_partnership", "metric_values", "findings"]

#: the slugs of the small partnership's outcome and indicator
OUTCOME = "fewer-repeat-asb"
INDICATOR = "repeat-victims"

_START = dt.date(2025, 1, 1)


def _date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _quarters(start: dt.date, n: int) -> list[dt.date]:
    """``n`` dates three months apart, the first one quarter after ``start``."""
    out = []
    for i in range(1, n + 1):
        months = start.month - 1 + 3 * i
        out.append(dt.date(start.year + months // 12, months % 12 + 1, 1))
    return out


def indicator(*, slug: str = INDICATOR, outcome: str = OUTCOME, unit: str = "people",
              direction: str = "down", baseline: float = 412, baseline_date: dt.date | str = _START,
              target: float = 330, target_date: dt.date | str = "2027-03-31",
              **more: Any) -> Indicator:
    """An :class:`~partnership.measurement.service.Indicator` (validated like a real one)."""
    from .converter import structure
    from .measurement.service import Indicator

    data = {"slug": slug, "outcome": outcome, "unit": unit, "direction": direction,
            "baseline": baseline, "baseline_date": _date(baseline_date).isoformat(),
            "target": target, "target_date": _date(target_date).isoformat(), **more}
    return structure(Indicator, data)


def series(values: Sequence[float], *, dates: Sequence[dt.date | str] | None = None,
           today: dt.date | str | None = None, **indicator_fields: Any) -> Series:
    """A :class:`~partnership.Series` of ``values`` (oldest first), as a metric receives it.

    ``dates`` default to one a quarter after the indicator's baseline date (2025-01-01
    unless given); ``today`` defaults to the day after the last date. Any other keyword
    is a field of the indicator (``direction="up"``, ``baseline=10``, ``target=20``...)."""
    from .metrics import Series

    ind = indicator(**indicator_fields)
    when = [_date(d) for d in dates] if dates is not None else _quarters(ind.baseline_date, len(values))
    if len(when) != len(values):
        raise ValueError(f"{len(values)} values but {len(when)} dates")
    if today is None:
        today = (when[-1] if when else ind.baseline_date) + dt.timedelta(days=1)
    return Series(ind, when, [float(v) for v in values], today=_date(today))


def small_partnership(path: str | os.PathLike[str], *, plugins: Sequence[object] = (),
                      plugins_dir: str | os.PathLike[str] | None = None,
                      values: Sequence[float] = (398, 390, 371), today: dt.date | str | None = None,
                      ) -> Partnership:
    """Create a small partnership at ``path`` and return it open (close it, or use ``with``).

    Two partners (``lancs-police``, ``lancs-council``) share one agreed outcome
    (:data:`OUTCOME`) with one indicator (:data:`INDICATOR`, people, down from 412 to 330)
    and one observation a quarter of ``values``. ``plugins`` are plugin objects (a module
    such as your package's, or anything with ``@hookimpl`` functions); ``plugins_dir`` a
    folder of plugin files. Installed plugins (entry points) load as in any command."""
    from .api import Partnership

    when = _quarters(_START, len(values))
    clock_day = _date(today) if today is not None else (when[-1] if when else _START) + dt.timedelta(days=1)
    p = Partnership.create(path, name="Test partnership", purpose="Testing a plugin",
                           governance="alliance", plugins=tuple(plugins), plugins_dir=plugins_dir,
                           actor="test", clock=lambda: clock_day)
    try:
        with p.store.transaction():
            p.partners.add(slug="lancs-police", name="Lancashire Constabulary", kind="police")
            p.partners.add(slug="lancs-council", name="Lancaster City Council", kind="council")
            p.outcomes.add(slug=OUTCOME, title="Fewer residents suffer repeated anti-social behaviour",
                           beneficiaries="Residents of the district", status="agreed")
            for partner in ("lancs-police", "lancs-council"):
                p.stakes.add(outcome=OUTCOME, partner=partner, motivation="It is our job")
            p.measure.add_indicator(INDICATOR, outcome=OUTCOME, unit="people", direction="down",
                                    baseline=412, baseline_date=_START.isoformat(), target=330,
                                    target_date="2027-03-31")
            for date, value in zip(when, values, strict=True):
                # the figures a test gives are taken as they are, however far from the
                # baseline and target (observe refuses those unless confirmed)
                p.measure.observe(INDICATOR, value, date=date.isoformat(), confirm=True)
    except BaseException:
        p.close()
        raise
    return p


@contextlib.contextmanager
def temporary_partnership(**options: Any) -> Iterator[Partnership]:
    """:func:`small_partnership` in a temporary folder, removed afterwards."""
    folder = tempfile.mkdtemp(prefix="partnership-test-")
    try:
        p = small_partnership(Path(folder) / "partnership.db", **options)
        with p:
            yield p
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def metric_values(p: Partnership, metric: str) -> dict[str, Any]:
    """Refresh the metrics and return ``{indicator: latest value}`` of ``metric`` (the key
    is ``""`` for a partnership metric). A metric that failed raises ``AssertionError``
    with the message ``partnership status`` would print."""
    result = p.measure.refresh(force=True)
    failed = [r.message for r in result.problems if r.metric == metric]
    if failed:
        raise AssertionError("; ".join(failed))
    rows = p.store.query(
        "SELECT indicator, value FROM metric_values WHERE metric = ? ORDER BY indicator, period",
        [metric])
    return {r["indicator"]: r["value"] for r in rows}


def findings(p: Partnership, check: str) -> list[Finding]:
    """The findings of the check named ``check`` (a failing check raises ``AssertionError``)."""
    found = list(p.check())
    failed = [f for f in found if f.rule == "check-failed" and check in f.message]
    if failed:
        raise AssertionError(failed[0].message)
    return [f for f in found if f.check == check]
