"""Benchmark of the figures of step 4: ``refresh`` and ``status`` as observations grow.

    python bench/bench_metrics.py           # 2,000 indicators; status at 10,000 and 200,000
                                            # observations, refresh at 200,000
    python bench/bench_metrics.py --full    # the issue's size: 10,000 indicators; status at
                                            # 10,000 and 1,000,000 observations, refresh at 1,000,000
    options: --rounds 5 (interleaved rounds; the median of each is compared)

Wall time is what a user waits for; CPU time (this process's, or the command's from
``wait4``) is printed beside it because on a shared machine the wall time of either
side can be stretched by other work: both ratios are printed, each with its verdict.

Prints, each as a ratio measured in this run (rounds interleaved, so drift in the
machine's load hits both sides alike):

* refresh: ``p.measure.refresh(force=True)`` (every built-in metric of every indicator,
  written to ``metric_values`` in one transaction) in-process, against one
  ``SELECT indicator, count(*), avg(value) FROM observations GROUP BY indicator`` fetched
  in-process from the same file. Why that baseline is fair: it is what a user who wanted
  one figure per indicator would run on the file themselves, and the least any refresh
  that reads the observations has to do (one pass, no Python per row, nothing written);
  ours computes four figures per indicator (latest, progress, status, pivot: one SQL
  statement from the trend sums the triggers keep and a few seeks per indicator for its
  latest observations), writes them and records the run. Target <= 2x.

* status: ``partnership status --json`` as a whole process, and ``p.measure.status()``
  in-process, on the big file against the same on a file with the same indicators and
  only the small number of observations, both with their figures fresh (``status`` after
  a change refreshes first: that cost is the refresh above). Why that baseline is fair:
  it is the same command doing the same work for the same indicators, outcomes and
  figures; only the observations behind them differ, so the ratio is exactly what the
  observations cost a ``status`` that reads stored figures. Target <= 1.5x, the
  in-process ratio being the stricter (no Python start-up to hide behind).

The files are built with plain SQL inserts in one transaction (the import is measured
by bench_measure.py); the trigger-kept trend sums are filled as ``observe`` fills them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TODAY = "2026-11-01"
BIN = Path(sys.executable).parent
REFRESH_TARGET = 2.0
STATUS_TARGET = 1.5
OUTCOMES = 50


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


def make_db(path: Path, indicators: int, observations: int) -> None:
    """A partnership with ``indicators`` indicators over 50 outcomes and ``observations``
    weekly observations spread evenly over them (the latest on or before TODAY), each with
    a source, as bench_measure.py imports them."""
    import partnership

    per = max(1, observations // indicators)
    end = dt.date.fromisoformat(TODAY)
    dates = [(end - dt.timedelta(days=7 * i)).isoformat() for i in range(per)][::-1]
    rng = random.Random(4)
    with partnership.create(path, name="Bench partnership", actor="bench") as p:
        p.partners.add(slug="council", name="Council", kind="council")
        conn = p.store.conn
        with p.store.transaction():
            conn.executemany("INSERT INTO outcomes (slug, title, status) VALUES (?, ?, 'agreed')",
                             [(f"outcome-{o:03d}", f"Outcome {o}") for o in range(OUTCOMES)])
            conn.executemany(
                "INSERT INTO indicators (slug, outcome, unit, direction, baseline, baseline_date, "
                "target, target_date, frequency) VALUES (?, ?, 'people', 'down', 500, ?, 300, "
                "'2030-01-01', 'weekly')",
                [(f"indicator-{i:05d}", f"outcome-{i % OUTCOMES:03d}",
                  (dt.date.fromisoformat(dates[0]) - dt.timedelta(days=7)).isoformat())
                 for i in range(indicators)])

            def rows():  # type: ignore[no-untyped-def]
                for i in range(indicators):
                    slug, value = f"indicator-{i:05d}", 500.0
                    for d in dates:
                        value += rng.uniform(-3, 2.5)
                        yield slug, d, round(value, 1)

            conn.executemany("INSERT INTO observations (indicator, date, value, source) "
                             "VALUES (?, ?, ?, 'bench')", rows())
            # one change-log entry, as an import writes it
            conn.execute("INSERT INTO changes (at, actor, action, entity, key, summary) VALUES "
                         "('2026-11-01T00:00:00+00:00', 'bench', 'import', 'observations', '', "
                         "'bench data')")


def timed(fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(wall seconds, CPU seconds of this process) of ``fn()``."""
    started, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - started, time.process_time() - cpu


def process(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds user + system) of a command run as its own process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    assert status == 0, argv
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def ratio_line(label: str, ours: list[tuple[float, float]], base: list[tuple[float, float]],
               target: float) -> str:
    """Medians of wall and CPU time, and their ratios against the target."""
    w, c = statistics.median(t[0] for t in ours), statistics.median(t[1] for t in ours)
    bw, bc = statistics.median(t[0] for t in base), statistics.median(t[1] for t in base)
    return (f"{label}: ours {w:.3f} s wall / {c:.3f} s CPU, baseline {bw:.3f} s / {bc:.3f} s   "
            f"ratio wall {w / bw:.2f}x {verdict(w / bw <= target)}, CPU {c / bc:.2f}x "
            f"{verdict(c / bc <= target)} (target <= {target}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true",
                        help="10,000 indicators; 10,000 and 1,000,000 observations")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds of each measure")
    args = parser.parse_args()
    indicators, small_obs, big_obs = (10_000, 10_000, 1_000_000) if args.full else (2_000, 10_000, 200_000)
    os.environ["PARTNERSHIP_TODAY"] = TODAY
    env = {**os.environ, "PARTNERSHIP_TODAY": TODAY}
    work = Path(tempfile.mkdtemp(prefix="bench-metrics-"))
    try:
        import partnership

        small, big = work / "small.db", work / "big.db"
        started = time.perf_counter()
        make_db(small, indicators, small_obs)
        make_db(big, indicators, big_obs)
        print(f"{indicators:,} indicators over {OUTCOMES} outcomes; files of {small_obs:,} and "
              f"{big_obs:,} observations built in {time.perf_counter() - started:.0f} s; "
              f"{args.rounds} interleaved rounds, medians compared")

        # -- refresh against one GROUP BY, on the big file --------------------------------
        group_times: list[tuple[float, float]] = []
        groups: list[list[tuple[str, int, float]]] = []
        refresh_times: list[tuple[float, float]] = []
        results = []
        with partnership.open(big) as p:
            plain = sqlite3.connect(big)
            for _ in range(args.rounds):
                group_times.append(timed(lambda: groups.append(plain.execute(
                    "SELECT indicator, count(*), avg(value) FROM observations GROUP BY indicator"
                ).fetchall())))
                assert len(groups[-1]) == indicators
                refresh_times.append(timed(lambda: results.append(p.measure.refresh(force=True))))
                assert not results[-1].problems, results[-1].problems
            plain.close()
        print(ratio_line(f"refresh at {big_obs:,} observations ({results[-1].values:,} values) "
                         f"against one GROUP BY", refresh_times, group_times, REFRESH_TARGET))

        # -- status on the big file against the small one ---------------------------------
        opened = {f: partnership.open(f) for f in (small, big)}
        try:
            for p in opened.values():
                p.measure.refresh(force=True)
                assert p.measure.is_fresh()
            in_process: dict[Path, list[tuple[float, float]]] = {small: [], big: []}
            whole: dict[Path, list[tuple[float, float]]] = {small: [], big: []}
            command = [str(BIN / "partnership"), "--db"]
            for _ in range(args.rounds):
                for f in (small, big):
                    in_process[f].append(timed(opened[f].measure.status))
                    whole[f].append(process([*command, str(f), "status", "--json"], env))
            for f, p in opened.items():
                assert p.measure.is_fresh(), f"status refreshed {f}: the figures were not fresh"
        finally:
            for p in opened.values():
                p.close()
        for label, times in (("partnership status --json (whole process)", whole),
                             ("p.measure.status() (in-process)", in_process)):
            print(ratio_line(f"status, {label}, at {big_obs:,} observations against "
                             f"{small_obs:,}", times[big], times[small], STATUS_TARGET))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
