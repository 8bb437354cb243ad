"""Benchmark of step 3: every gap and every verdict of a large generated partnership.

    python bench/bench_gaps.py          # a quarter of the issue's size (quick)
    python bench/bench_gaps.py --full   # 200 partners, 2,000 outcomes, 10,000 needs,
                                        # 40,000 contributions

The headline figure is what ``partnership gaps`` really runs: ``p.gaps.analysis()``, the
whole analysis (every gap, every verdict, capacity use, unmatched contributions: every
row and every value the command prints), in-process. Its baseline, measured in the same
run on the same file, is a plain ``SELECT count(*)`` join of needs, outcomes and
contributions: the rows any gap analysis has to read, with no work done on them. It is
fair because it is the floor for the same question on the same data: no tool can say
which need is met without joining those rows. Target (issue 19): <= 5x. The SQL views and
library calls that make up the analysis are printed after it, for information, as ratios
to the same baseline; and the command as a whole process (with Python's start-up).

The analysis returns its rows as :class:`partnership.gaps.service.Row` objects: the
tuples SQLite returned, read by column name like dicts and made as each row is read
(``to_dict()`` makes the dicts, for ``--json``; it is timed too). Every value of every
row is fetched into Python by ``analysis()`` itself: nothing is left to fetch later.

For information too, two floors. The analysis's own rows (every need with its totals and
gap state, every verdict, capacity row and unmatched contribution) fetched from the SQL
views as plain tuples, with no Python work: the count baseline turns no row into a Python
object, while the analysis returns about 22,000 rows of 10 to 18 columns (about 310,000
values) at the full size. And the same number of rows and columns with every value NULL:
what Python's sqlite3 module costs per value handed over, whatever the value.

Where the time goes: the views are plain reads of rows that triggers keep stored in the
order they are read (``m012_gap_rows``: gaps, unmatched contributions, capacity use), so
the analysis costs what fetching its rows as tuples costs (printed: about 1.0x the first
floor), and that is mostly handing its values to Python (the NULL floor alone is about
4x the baseline) and making them (strings, floats). Less would mean returning fewer
values than the command prints, so the target is out of reach by this measure.

Every function is run in turn ``--runs`` times (interleaved, so drift in the machine's
load hits all alike) and the best time of each is compared: by CPU time of this process
(``time.process_time``; everything timed runs in this one thread, so it is the work done,
whatever else the machine is doing), and the headline by wall time too.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import partnership  # noqa: E402

KINDS = ["people", "money", "skills", "data", "systems", "premises"]
UNITS = {"people": "FTE", "money": "GBP", "skills": "sessions", "data": None,
         "systems": None, "premises": "hours"}
TARGET = 5.0
BASELINE = """SELECT count(*) FROM needs n JOIN outcomes o ON o.slug = n.outcome
              LEFT JOIN contributions c ON c.outcome = n.outcome AND c.meets = n.slug"""


def generate(path: Path, partners: int, outcomes: int, needs: int, contributions: int,
             seed: int = 3) -> None:
    """A partnership of the given size, written with plain SQL (the library is not timed)."""
    rng = random.Random(seed)
    partnership.create(path, name="Bench Partnership").close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA foreign_keys = ON")
    with conn:
        conn.executemany("INSERT INTO partners (slug, name, kind) VALUES (?, ?, 'other')",
                         [(f"p{i}", f"Partner {i}") for i in range(partners)])
        conn.executemany("INSERT INTO outcomes (slug, title, status) VALUES (?, ?, 'agreed')",
                         [(f"o{i}", f"Outcome {i}") for i in range(outcomes)])
        per_outcome: dict[str, list[tuple[str, str, str | None]]] = {}
        need_rows = []
        for i in range(needs):
            outcome = f"o{i % outcomes}"
            kind = rng.choice(KINDS)
            unit = UNITS[kind]
            amount = None if unit is None else float(rng.randint(1, 20))
            slug = f"n{i}"
            per_outcome.setdefault(outcome, []).append((slug, kind, unit))
            need_rows.append((outcome, slug, kind, f"Need {i}", amount, unit, int(rng.random() < 0.6)))
        conn.executemany(
            "INSERT INTO needs (outcome, slug, kind, description, amount, unit, essential) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", need_rows)
        rows = []
        for i in range(contributions):
            outcome = f"o{rng.randrange(outcomes)}"
            partner = f"p{rng.randrange(partners)}"
            options = per_outcome.get(outcome, [])
            if options and rng.random() < 0.8:
                meets, kind, unit = rng.choice(options)
                if unit is not None and rng.random() < 0.05:
                    unit = "days"  # in another unit: shown as unmatched
            else:
                meets, kind = None, rng.choice(KINDS)
                unit = UNITS[kind]
            amount = None if unit is None else float(rng.randint(1, 8))
            confidence = rng.choices(["firm", "likely", "hoped"], [6, 3, 1])[0]
            rows.append((outcome, partner, kind, f"Contribution {i}", amount, unit,
                         int(rng.random() < 0.5), meets, confidence))
        conn.executemany(
            "INSERT INTO contributions (outcome, partner, kind, description, amount, unit, "
            "additional, meets, confidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.executemany(
            "INSERT OR IGNORE INTO capacities (partner, kind, unit, amount) "
            "SELECT partner, kind, unit, sum(amount) * ? FROM contributions "
            "WHERE partner = ? AND unit IS NOT NULL GROUP BY partner, kind, unit",
            [(rng.choice([0.5, 1.2]), f"p{i}") for i in range(partners)])
        states = []
        for outcome, slugs in per_outcome.items():
            slug = slugs[0][0]
            pick = rng.random()
            if pick < 0.2:
                states.append((outcome, slug, "seeking", "Another group", "", "2026-01-01"))
            elif pick < 0.3:
                states.append((outcome, slug, "accepted", "", "Can do without", "2026-01-01"))
        conn.executemany(
            "INSERT INTO gap_states (outcome, need, state, candidate, reason, since) "
            "VALUES (?, ?, ?, ?, ?, ?)", states)
    conn.execute("ANALYZE")
    conn.close()


def interleaved(fns: dict[str, Callable[[], object]], runs: int,
                clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Best time of each function by ``clock``, running them in turn ``runs`` times, so a
    change in the machine's load hits every one alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            start = clock()
            fn()
            times[name].append(clock() - start)
    return {name: min(t) for name, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the issue's full size")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    scale = 1 if args.full else 4
    size = dict(partners=200 // scale, outcomes=2000 // scale, needs=10000 // scale,
                contributions=40000 // scale)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        start = time.perf_counter()
        generate(path, **size)
        print(f"generated {', '.join(f'{v:,} {k}' for k, v in size.items())} "
              f"in {time.perf_counter() - start:.1f}s")
        with partnership.open(path) as p:
            conn = p.store.conn

            def views() -> None:
                conn.execute("SELECT * FROM gaps").fetchall()
                conn.execute("SELECT * FROM outcome_verdicts").fetchall()

            def views_likely() -> None:
                conn.execute("SELECT * FROM gaps_counting_likely").fetchall()
                conn.execute("SELECT * FROM outcome_verdicts_counting_likely").fetchall()

            def library_gaps() -> None:
                p.gaps.gaps()
                p.gaps.verdicts()

            floor_views = ("gaps", "outcome_verdicts", "capacity_use", "unmatched_contributions")

            def rows_floor() -> None:
                for view in floor_views:
                    conn.execute(f"SELECT * FROM {view}").fetchall()

            nulls = {view: ", ".join(["NULL"] * len(conn.execute(f"SELECT * FROM {view}").description))
                     for view in floor_views}

            def nulls_floor() -> None:
                for view in floor_views:
                    conn.execute(f"SELECT {nulls[view]} FROM {view}").fetchall()

            t = interleaved({
                "baseline": lambda: conn.execute(BASELINE).fetchone(),
                "rows_floor": rows_floor,
                "nulls_floor": nulls_floor,
                "analysis": p.gaps.analysis,
                "to_dict": lambda: p.gaps.analysis().to_dict(),
                "views": views,
                "likely": views_likely,
                "capacity": lambda: conn.execute("SELECT * FROM capacity_use").fetchall(),
                "unmatched": lambda: conn.execute("SELECT * FROM unmatched_contributions").fetchall(),
                "as_dicts": library_gaps,
                "library_capacity": p.gaps.capacity_use,
                "library_unmatched": p.gaps.unmatched,
            }, args.runs, clock=time.process_time)
            wall = interleaved({"baseline": lambda: conn.execute(BASELINE).fetchone(),
                                "analysis": p.gaps.analysis}, args.runs)
            a = p.gaps.analysis()
        command = [str(Path(sys.executable).parent / "partnership"), "--db", str(path), "gaps"]
        command_s = {}
        for extra in ((), ("--json",)):
            before = os.times()
            subprocess.run([*command, *extra], check=True, stdout=subprocess.DEVNULL)
            after = os.times()
            command_s[extra] = (after.children_user + after.children_system
                                - before.children_user - before.children_system)
        base = t["baseline"]
        ratio = t["analysis"] / base
        wall_ratio = wall["analysis"] / wall["baseline"]
        print(f"baseline  plain count(*) join of needs, outcomes, contributions: {base * 1000:.1f} ms CPU"
              f" (best of {args.runs}, interleaved)")
        print(f"p.gaps.analysis() (what 'partnership gaps' runs) {t['analysis'] * 1000:7.1f} ms CPU "
              f"{ratio:5.1f}x baseline (target <= {TARGET:g}x) {'ok' if ratio <= TARGET else 'OVER TARGET'}")
        print(f"  by wall time: {wall['analysis'] * 1000:.1f} ms = {wall_ratio:.1f}x the baseline's "
              f"{wall['baseline'] * 1000:.1f} ms {'ok' if wall_ratio <= TARGET else 'OVER TARGET'}")
        print(f"  for information: the same rows as tuples from the views {t['rows_floor'] / base:5.1f}x "
              f"baseline; the analysis is {t['analysis'] / t['rows_floor']:.2f}x that")
        print(f"  for information: as many values, every one NULL (sqlite3's cost per value handed "
              f"to Python) {t['nulls_floor'] / base:5.1f}x baseline")
        print(f"  analysis().to_dict() (the dicts 'gaps --json' prints) {t['to_dict'] / base:5.1f}x baseline")
        print("  its parts, for information:")
        print(f"  every gap + every verdict (SQL views)        {t['views'] / base:5.1f}x baseline")
        print(f"  the same, --count-likely                     {t['likely'] / base:5.1f}x baseline")
        print(f"  the same, as dicts (p.gaps.gaps/verdicts)    {t['as_dicts'] / base:5.1f}x baseline")
        print(f"  capacity use: SQL view {t['capacity'] / base:5.1f}x, p.gaps.capacity_use() "
              f"{t['library_capacity'] / base:5.1f}x baseline")
        print(f"  unmatched contributions: SQL view {t['unmatched'] / base:5.1f}x, p.gaps.unmatched() "
              f"{t['library_unmatched'] / base:5.1f}x baseline")
        print(f"  'partnership gaps' as a whole process (Python start-up, printing): {command_s[()]:.2f} s "
              f"CPU; with --json {command_s[('--json',)]:.2f} s CPU")
        verdicts: dict[str, int] = {}
        for v in a.verdicts:
            verdicts[v["verdict"]] = verdicts.get(v["verdict"], 0) + 1
        print(f"found {len(a.gaps):,} needs, {len(a.killers):,} collaboration killers, "
              f"verdicts {verdicts}, {len(a.over_committed)} over-committed capacities, "
              f"{len(a.unmatched):,} unmatched contributions")


if __name__ == "__main__":
    main()
