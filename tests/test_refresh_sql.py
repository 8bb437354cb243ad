"""The built-in figures worked out set-wise in SQL equal those of their functions per
indicator (issue 19), on every edge the definitions have.

A refresh computes latest, progress, status and pivot for every indicator in one SQL
statement (``partnership.measurement.metrics.figures_sql``); the functions per indicator
(``latest``, ``progress``, ``status``, ``pivot`` on a Series) define them. Each test runs
the same refresh both ways on the same file (the per-indicator way by leaving no metric
to the SQL) and compares everything a refresh leaves: the rows of ``metric_values`` (value
and its type, period, stale marks), ``metric_runs`` (ok, error, indicator, counts, kept,
message, fingerprint) and the RefreshResult. The pivot check's findings are compared with
the functions' ``pivot`` and ``off_track_run`` in the same way.

``indicators.baseline`` and ``target`` are NOT NULL in the schema, so there is no null
target or baseline to test; an indicator without observations, or with all of them on or
before its baseline date, has no trend (no status, no pivot).
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from plugin_files import plugin_dir

import partnership
from partnership import metrics as core
from partnership.measurement import metrics as bm
from partnership.metrics import load_series
from partnership.readonly import ReadOnlyView

TODAY = dt.date(2026, 11, 1)
START = dt.date(2020, 1, 1)


def _add(p, slug: str, values: list[float], *, direction: str = "down", baseline: float = 100.0,
         target: float = 50.0, pivot_after: int = 3, first: int = 1, outcome: str = "o",
         step: int = 14) -> None:
    """An indicator with ``values`` every ``step`` days from ``first`` steps after its
    baseline date (0: on it, negative: before it), inserted as an import writes them."""
    p.measure.add_indicator(slug, outcome=outcome, unit="n", direction=direction, baseline=baseline,
                            baseline_date=START.isoformat(), target=target,
                            target_date="2028-01-01", pivot_after=pivot_after)
    rows = [(slug, (START + dt.timedelta(days=step * (i + first))).isoformat(), v)
            for i, v in enumerate(values)]
    with p.store.transaction():
        p.store.conn.executemany("INSERT INTO observations (indicator, date, value) VALUES (?, ?, ?)", rows)


def _edges(p) -> None:
    """Every edge of the definitions, and a few dozen random series."""
    p._clock = lambda: TODAY
    p.outcomes.add(slug="o", title="Fewer repeat victims", beneficiaries="Residents", status="agreed")
    p.outcomes.add(slug="gone", title="An outcome given up", beneficiaries="Residents", status="dropped")
    _add(p, "none", [])
    _add(p, "one", [96.0])
    _add(p, "one-on-baseline", [96.0], first=0)  # on the baseline date: no trend
    _add(p, "before-only", [99.0, 98.0], first=-2)
    _add(p, "before-and-after", [99.0, 98.5, 97.0, 100.0, 100.0, 100.0, 100.0], first=-3)
    # more history before the baseline than the SQL takes out of the sums: the functions do
    _add(p, "long-history", [120.0 - i for i in range(bm.BEFORE_MAX + 6)], first=-(bm.BEFORE_MAX + 2))
    # exactly as many as the SQL takes out (the last on the baseline date), then a trend
    _add(p, "most-history", [120.0 - i for i in range(bm.BEFORE_MAX + 5)], first=-(bm.BEFORE_MAX - 1))
    _add(p, "up-on-track", [20.0 + 4 * i for i in range(12)], direction="up", baseline=20, target=60)
    _add(p, "up-off-track", [20.0 - 0.5 * i for i in range(12)], direction="up", baseline=20, target=60)
    _add(p, "down-on-track", [100.0 - 3 * i for i in range(20)])  # decreasing is better
    _add(p, "down-at-risk", [100.0 - 0.21 * i for i in range(40)])
    for pa in (1, 2, 3, 5, bm.PIVOT_LEVELS, bm.PIVOT_LEVELS + 1):  # the last past the SQL's levels
        _add(p, f"flat-pivot-after-{pa}", [100.0] * 16, pivot_after=pa)
    _add(p, "short", [100.0, 100.0], pivot_after=3)  # fewer observations than pivot_after
    _add(p, "recovers-last", [100.0] * 15 + [-400.0], pivot_after=3)
    _add(p, "recovers-second-last", [100.0] * 15 + [-400.0, 100.0], pivot_after=3)
    _add(p, "long-run", [100.0] * (bm.RUN_MAX + 10), pivot_after=2)  # past the check's count
    _add(p, "run-of-max", [40.0] * 5 + [100.0] * bm.RUN_MAX, pivot_after=2)
    _add(p, "dropped-outcome", [100.0] * 6, outcome="gone")
    # progress exactly half way between two tenths: Python rounds 12.25 to 12.2 (half to
    # even, on the exact binary value), SQLite's round() would give 12.3
    _add(p, "half-tenth", [122.5], direction="up", baseline=0, target=1000)
    _add(p, "negative-progress", [0.35], direction="up", baseline=1, target=2)
    rng = random.Random(19)
    for k in range(40):  # the same dates for all of them: ties on date across indicators
        up = k % 2 == 0
        base = rng.uniform(10, 500)
        target = base * (1.5 if up else 0.5)
        walk, values = base, []
        for _ in range(rng.randint(1, 40)):
            walk += rng.uniform(-0.04, 0.03 if not up else 0.05) * base
            values.append(round(walk, rng.choice([0, 1, 3])))
        _add(p, f"random-{k:02d}", values, direction="up" if up else "down", baseline=round(base, 2),
             target=round(target, 2), pivot_after=rng.randint(1, 6), step=rng.choice([7, 14, 31]))


def _left(p) -> dict[str, object]:
    """Everything a refresh leaves, but the time it ran."""
    conn = p.store.conn
    return {
        "values": conn.execute(
            "SELECT indicator, metric, period, value, typeof(value), stale, stale_since IS NOT NULL "
            "FROM metric_values ORDER BY indicator, metric, period").fetchall(),
        "runs": conn.execute(
            "SELECT metric, plugin, ok, error, values_written, as_of, change_id, indicator, "
            "failed_indicators, message, fingerprint, last_good_at IS NOT NULL FROM metric_runs "
            "ORDER BY rowid").fetchall(),
    }


def _result(r: core.RefreshResult) -> object:
    return (r.as_of, r.values, [(x.metric, x.plugin, x.ok, x.error, x.indicator, x.failed, x.kept,
                                 x.values_written, x.message) for x in r.runs])


def _both_ways(p, monkeypatch, *, in_sql: bool = True) -> tuple[object, object]:
    """(what the refresh leaves, its result) through the SQL, then per indicator;
    ``in_sql``: whether the SQL is expected to have written the built-in figures."""
    sql = p.measure.refresh(force=True)
    expected = set(bm.SETWISE) if in_sql else set()
    assert {r.metric for r in sql.runs if r.written is not None} == expected
    through_sql = _left(p), _result(sql)
    with monkeypatch.context() as patched:
        patched.setattr(core, "_setwise", lambda metrics: [])
        python = p.measure.refresh(force=True)
    assert all(r.written is None for r in python.runs)
    return through_sql, (_left(p), _result(python))


def test_the_sql_gives_every_figure_the_functions_give(p, monkeypatch) -> None:
    _edges(p)
    through_sql, per_indicator = _both_ways(p, monkeypatch)
    assert through_sql == per_indicator
    (left, result) = through_sql
    # the edges are what they are meant to be
    got = {(ind, metric): value for ind, metric, _, value, *_ in left["values"]}
    assert not any(ind == "none" for ind, *_ in left["values"])
    assert got[("one-on-baseline", "latest")] == 96.0 and ("one-on-baseline", "status") not in got
    assert ("before-only", "status") not in got and ("before-only", "pivot") not in got
    assert got[("half-tenth", "progress")] == 12.2
    assert got[("negative-progress", "progress")] == -65.0
    assert {got[(f"random-{k:02d}", "status")] for k in range(40)} | {
        got[("down-at-risk", "status")]} == {"on-track", "at-risk", "off-track"}
    assert got[("down-at-risk", "status")] == "at-risk" and got[("up-on-track", "status")] == "on-track"
    for pa in (1, 2, 3, 5, bm.PIVOT_LEVELS, bm.PIVOT_LEVELS + 1):
        assert got[(f"flat-pivot-after-{pa}", "pivot")] == 1
    assert got[("short", "pivot")] == 0 and got[("short", "status")] == "off-track"
    assert got[("recovers-last", "pivot")] == 0 and got[("recovers-second-last", "pivot")] == 0
    assert got[("dropped-outcome", "pivot")] == 1
    assert {got[(f"random-{k:02d}", "pivot")] for k in range(40)} == {0, 1}
    # only a pivot_after past the steps the SQL writes out, or more than BEFORE_MAX
    # observations on or before the baseline date, go through the functions
    assert bm.by_python(p.store.conn) == [f"flat-pivot-after-{bm.PIVOT_LEVELS + 1}", "long-history"]
    assert result[1] == len(left["values"])


def test_the_sql_leaves_figures_for_the_functions_when_a_progress_is_not_finite(p, monkeypatch) -> None:
    """A progress that is not a finite number is the metric's failure on that indicator:
    the SQL cannot say so, so its writes are undone and the functions work them out."""
    _edges(p)
    p.measure.refresh(force=True)
    _add(p, "tiny-change", [0.0], direction="up", baseline=0, target=1e-300)
    p.measure.refresh(force=True)  # a last good progress of 0.0
    with p.store.transaction():
        p.store.conn.execute("INSERT INTO observations (indicator, date, value) VALUES "
                             "('tiny-change', '2021-01-01', 1e10)")
    through_sql, per_indicator = _both_ways(p, monkeypatch, in_sql=False)
    assert through_sql == per_indicator
    left, result = through_sql
    [progress] = [r for r in result[2] if r[0] == "progress"]
    assert not progress[2] and progress[4] == "tiny-change" and progress[6] == 1  # kept, stale
    assert ("tiny-change", "progress", "2020-01-15", 0.0, "real", 1, 1) in left["values"]


SWITCH = """
    from partnership import Metric, hookimpl

    def figure(series):
        if series.indicator.slug.startswith("random-1"):
            raise ValueError("the source spreadsheet moved")
        return series.latest[1] + 1 if series.latest else None

    @hookimpl
    def register_metrics(register):
        register(Metric(name="plus-one", description="The latest value plus one.", compute=figure))
"""


def test_plugin_metrics_and_last_good_figures_are_the_same_beside_the_sql(p, tmp_path, monkeypatch) -> None:
    _edges(p)
    path = p.store.path
    p.close()
    working = SWITCH.replace('startswith("random-1")', 'startswith("nothing")')
    directory = plugin_dir(tmp_path, switch=working)
    with partnership.open(path, plugins_dir=directory) as opened:
        opened._clock = lambda: TODAY
        opened.measure.refresh(force=True)  # every plus-one figure good
    plugin_dir(tmp_path, switch=SWITCH)  # now it fails on ten indicators
    with partnership.open(path, plugins_dir=directory) as opened:
        opened._clock = lambda: TODAY
        through_sql, per_indicator = _both_ways(opened, monkeypatch)
    assert through_sql == per_indicator
    left, result = through_sql
    [plus] = [r for r in result[2] if r[0] == "plus-one"]
    assert not plus[2] and plus[5] == 10 and plus[6] == 10  # failed on ten, their figures kept
    assert sum(1 for row in left["values"] if row[1] == "plus-one" and row[5] == 1) == 10


def test_any_set_of_the_built_in_figures_is_written_and_counted(p) -> None:
    _edges(p)
    conn = p.store.conn
    for names in (["latest"], ["status", "pivot"], ["latest", "pivot", "progress", "status"]):
        with p.store.transaction():
            conn.execute("DELETE FROM metric_values")
            counts = bm.write_figures(conn, TODAY, names, "now")
            found = dict(conn.execute("SELECT metric, count(*) FROM metric_values GROUP BY metric"))
        assert counts == {name: found.get(name, 0) for name in names}
        assert set(found) == set(names)


def _reference_messages(p) -> list[str]:
    """The pivot check's messages as the functions per indicator give them."""
    view = ReadOnlyView(p.store.conn, TODAY)
    out = []
    for s in load_series(p.store.conn, TODAY):
        s.view = view
        if not bm.pivot(s):
            continue
        run, n = bm.off_track_run(s), s._sums[0] if s._sums else 0
        counted = f"at least its last {bm.RUN_MAX}" if run > bm.RUN_MAX or (
            run == bm.RUN_MAX and n > bm.RUN_MAX) else f"its last {run}"
        ind = s.indicator
        out.append(f"indicator {ind.slug} has been off track for {counted} observations: "
                   f"time to pivot on {ind.outcome}")
    return out


def test_the_pivot_check_says_what_the_functions_say(p) -> None:
    _edges(p)
    found = sorted(f.message for f in p.check() if f.rule == "pivot")
    assert found == sorted(_reference_messages(p))
    by_slug = {m.split()[1]: m for m in found}
    assert f"at least its last {bm.RUN_MAX} observations" in by_slug["long-run"]
    assert "for its last 16 observations" in by_slug[f"flat-pivot-after-{bm.PIVOT_LEVELS + 1}"]
    assert "dropped-outcome" in by_slug and "recovers-last" not in by_slug


@pytest.mark.parametrize("pivot_after", [1, 3, 7])
def test_the_pivot_check_counts_a_run_longer_than_the_sql_reads(p, pivot_after: int) -> None:
    p._clock = lambda: TODAY
    p.outcomes.add(slug="o", title="Fewer repeat victims", beneficiaries="Residents", status="agreed")
    _add(p, "recovering", [100.0] * 5 + [-900.0] + [100.0] * 20, pivot_after=pivot_after)
    [finding] = [f for f in p.check() if f.rule == "pivot"]
    assert [finding.message] == _reference_messages(p)
