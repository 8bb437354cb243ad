"""Example metric plugin: how much of the partnership's cohort of measures is better off.

Results-Based Accountability asks "is anyone better off?". This partnership-wide metric
answers it across every indicator that has figures: the share (in percent) whose latest
value is better than its baseline, taking each indicator's direction into account
(fewer repeat victims is better; more people feeling safe is better). It uses the
read-only ``view`` to run one SQL query, the way a plugin reads anything the built-in
series does not give it.

    partnership --plugins-dir plugins/ status      # shows better-off-share at the end
"""

from __future__ import annotations

from partnership import Metric, ReadOnlyView, hookimpl

SQL = """
SELECT i.slug, i.direction, i.baseline,
       (SELECT o.value FROM observations o WHERE o.indicator = i.slug
        ORDER BY o.date DESC LIMIT 1) AS latest
FROM indicators i
"""


def better_off_share(view: ReadOnlyView) -> float | None:
    """Percent of indicators with figures whose latest value beats the baseline."""
    rows = [r for r in view.query(SQL) if r["latest"] is not None]
    if not rows:
        return None
    better = sum(
        1 for r in rows
        if (r["latest"] < r["baseline"] if r["direction"] == "down" else r["latest"] > r["baseline"])
    )
    return round(100 * better / len(rows), 1)


@hookimpl
def register_metrics(register):  # type: ignore[no-untyped-def]
    register(Metric(
        name="better-off-share",
        description="Share of indicators (with figures) whose latest value is better than "
                    "their baseline, in percent.",
        unit="%",
        scope="partnership",
        compute=better_off_share,
    ))
