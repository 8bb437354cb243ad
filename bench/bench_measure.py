"""Benchmark of step 4: CSV import of observations, and refresh of the metrics.

    python bench/bench_measure.py          # 200,000 observations of 2,000 indicators (< 60 s)
    python bench/bench_measure.py --full   # the issue's size: 1,000,000 of 10,000

Prints, each against a baseline measured in the same run:

* import: ``partnership observe --csv`` (validated, one transaction, one change-log
  entry) as a ratio to ``sqlite-utils insert plain.db observations FILE --csv`` of the same
  file into a plain table (target: at most 1.5x), and to the same with
  ``--no-detect-types`` (sqlite-utils 4 detects column types by default; without that it
  stores every value as text, checking nothing: the fastest plain insert); and the peak
  memory (max RSS) of the import process at a quarter of the size and at the full size
  (target: flat, < 200 MB).
* refresh: ``partnership refresh`` (every built-in metric of every indicator; the trend sums
  are kept per indicator by triggers, so it reads one row per indicator) as a ratio
  to one ``SELECT indicator, count(*), avg(value) FROM observations GROUP BY indicator``
  (target: under 5x); both in-process (the library call), and the command as a whole
  process (with Python's start-up, for information).

Each import runs in its own process, so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TODAY = "2026-11-01"
BIN = Path(sys.executable).parent


def make_csv(path: Path, rows: int, indicators: int) -> None:
    per = rows // indicators
    start = dt.date(2000, 1, 3)
    dates = [(start + dt.timedelta(days=7 * i)).isoformat() for i in range(per)]
    rng = random.Random(4)
    with open(path, "w", encoding="utf-8") as f:
        f.write("indicator,date,value,source\n")
        for i in range(indicators):
            slug = f"indicator-{i:05d}"
            value = 500.0
            lines = []
            for d in dates:
                value += rng.uniform(-3, 2.5)
                lines.append(f"{slug},{d},{value:.1f},bench\n")
            f.writelines(lines)


def make_db(path: Path, indicators: int) -> None:
    import partnership

    with partnership.create(path, name="Bench partnership", actor="bench") as p:
        p.partners.add(slug="council", name="Council", kind="council")
        p.outcomes.add(slug="safer", title="People are safer", status="agreed")
        conn = p.store.conn
        with p.store.transaction():
            conn.executemany(
                "INSERT INTO indicators (slug, outcome, unit, direction, baseline, baseline_date, "
                "target, target_date) VALUES (?, 'safer', 'people', 'down', 500, '2000-01-01', 300, "
                "'2030-01-01')",
                [(f"indicator-{i:05d}",) for i in range(indicators)])


def timed_process(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run a command; return (seconds, peak RSS in MB) of that process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return seconds, usage.ru_maxrss / 1024


def import_run(work: Path, csv_path: Path, indicators: int, label: str) -> tuple[float, float]:
    db = work / f"{label}.db"
    make_db(db, indicators)
    env = {**os.environ, "PARTNERSHIP_TODAY": TODAY}
    return timed_process([str(BIN / "partnership"), "--db", str(db), "observe", "--csv", str(csv_path)], env)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="1,000,000 observations of 10,000 indicators")
    args = parser.parse_args()
    rows, indicators = (1_000_000, 10_000) if args.full else (200_000, 2_000)
    work = Path(tempfile.mkdtemp(prefix="bench-measure-"))
    try:
        big = work / "observations.csv"
        small = work / "quarter.csv"
        make_csv(big, rows, indicators)
        make_csv(small, rows // 4, indicators)
        print(f"{rows:,} observations of {indicators:,} indicators "
              f"({big.stat().st_size / 1e6:.0f} MB of CSV)")

        insert = [str(BIN / "sqlite-utils"), "insert"]
        base_s, base_mb = timed_process([*insert, str(work / "plain.db"), "observations", str(big),
                                         "--csv"])
        # sqlite-utils 4 detects column types by default; without it every value stays text
        text_s, _ = timed_process([*insert, str(work / "text.db"), "observations", str(big),
                                   "--csv", "--no-detect-types"])
        ours_s, ours_mb = import_run(work, big, indicators, "full")
        _, quarter_mb = import_run(work, small, indicators, "quarter")
        print(f"import:  partnership observe --csv {ours_s:6.2f} s   sqlite-utils insert --csv "
              f"{base_s:6.2f} s   ratio {ours_s / base_s:.2f}x (target <= 1.5x)")
        print(f"         against sqlite-utils insert --csv --no-detect-types (no validation, all text) "
              f"{text_s:6.2f} s   ratio {ours_s / text_s:.2f}x")
        print(f"memory:  peak {quarter_mb:.0f} MB at {rows // 4:,} rows, {ours_mb:.0f} MB at "
              f"{rows:,} rows (sqlite-utils insert: {base_mb:.0f} MB; target flat, < 200 MB)")

        import sqlite3

        os.environ["PARTNERSHIP_TODAY"] = TODAY
        import partnership

        with partnership.open(work / "full.db") as p:
            count = p.store.conn.execute("SELECT count(*) FROM observations").fetchone()[0]
            assert count == rows, count
            conn = sqlite3.connect(work / "full.db")
            started = time.perf_counter()
            groups = conn.execute(
                "SELECT indicator, count(*), avg(value) FROM observations GROUP BY indicator").fetchall()
            group_s = time.perf_counter() - started
            conn.close()
            assert len(groups) == indicators
            started = time.perf_counter()
            result = p.measure.refresh(force=True)
            refresh_s = time.perf_counter() - started
            assert not result.problems, result.problems
        env = {**os.environ, "PARTNERSHIP_TODAY": TODAY}
        command_s, _ = timed_process([str(BIN / "partnership"), "--db", str(work / "full.db"),
                                      "refresh"], env)
        print(f"refresh: p.measure.refresh() {refresh_s:6.2f} s ({result.values:,} values)   "
              f"GROUP BY indicator {group_s:6.2f} s   ratio {refresh_s / group_s:.1f}x (target < 5x)")
        print(f"         the command 'partnership refresh', with Python start-up {command_s:6.2f} s"
              f"   ratio {command_s / group_s:.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
