"""Benchmark of step 4: CSV import of observations (refresh and status: bench_metrics.py).

    python bench/bench_measure.py          # 200,000 observations of 2,000 indicators
    python bench/bench_measure.py --full   # the issue's size: 1,000,000 of 10,000
    options: --rounds 3 (interleaved rounds of each import), --no-insert (skip the
    information line below)

Prints, each as a ratio to a baseline measured in the same run (rounds interleaved, so
drift in the machine's load hits both alike; the best round of each is compared):

* import: ``partnership observe --csv FILE`` as a whole process (validated, one
  transaction, one change-log entry, the trigger-kept trend sums) against the command a
  user would run instead to load the same file with sqlite-utils in ONE transaction:
  ``sqlite-utils bulk DB "INSERT INTO observations ..." FILE --csv --batch-size ROWS``
  into a file in WAL mode (like ours) whose ``observations`` table has the same primary
  key ``(indicator, date)``. Two such tables, both printed, the verdict taken against
  the faster (the stricter ratio):

  - ``create-table``: what a user types, ``sqlite-utils create-table ... --pk indicator
    --pk date`` (a rowid table with an index on the key);
  - ``same schema``: our own ``CREATE TABLE observations`` (``WITHOUT ROWID``, the
    generated day column), without our triggers and foreign keys.

  Our command runs with its bytecode cached, as for an installed package (sqlite-utils'
  is, in site-packages), after one unmeasured warm-up run.

  Wall time and CPU time (user + system, from ``wait4``) of each process; target
  <= 1.2x on both. Then the peak memory (max RSS) of our import at a quarter of the
  size and at the full size: target flat (full <= 1.2x quarter) and < 100 MB.

  Why not ``sqlite-utils insert --csv --batch-size ROWS``: in sqlite-utils 4.2 the batch
  is capped at 999 SQL variables / 4 columns = 249 rows and every batch is its own
  transaction, so it still commits thousands of times (and then rewrites the table to
  apply the detected types); it is printed once for information, never as the baseline.

The refresh of the metrics and ``status`` are measured by ``bench/bench_metrics.py``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TODAY = "2026-11-01"
BIN = Path(sys.executable).parent
IMPORT_TARGET = 1.2
MEMORY_LIMIT_MB = 100
MEMORY_GROWTH = 1.2

BULK_SQL = ("INSERT INTO observations (indicator, date, value, source) "
            "VALUES (:indicator, :date, :value, :source)")


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


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


def our_table_sql() -> str:
    """Our ``observations`` table exactly as the migrations created it."""
    probe = Path(tempfile.mkdtemp(prefix="bench-schema-")) / "probe.db"
    try:
        make_db(probe, 1)
        conn = sqlite3.connect(probe)
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'observations'").fetchone()[0]
        conn.close()
        return sql
    finally:
        shutil.rmtree(probe.parent, ignore_errors=True)


def run(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Run a command; return (wall seconds, CPU seconds, peak RSS in MB) of that process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{' '.join(argv)} failed: {err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def quiet(argv: list[str]) -> None:
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)


def baseline_db(path: Path, how: str, schema_sql: str) -> None:
    """An empty file in WAL mode with an observations table keyed (indicator, date)."""
    su = str(BIN / "sqlite-utils")
    if how == "create-table":
        quiet([su, "create-table", str(path), "observations", "indicator", "text", "date", "text",
               "value", "float", "source", "text", "--pk", "indicator", "--pk", "date"])
    else:
        quiet([su, "query", str(path), schema_sql])
    quiet([su, "enable-wal", str(path)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="1,000,000 observations of 10,000 indicators")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of each import")
    parser.add_argument("--no-insert", action="store_true",
                        help="skip the 'sqlite-utils insert' line printed for information")
    args = parser.parse_args()
    rows, indicators = (1_000_000, 10_000) if args.full else (200_000, 2_000)
    work = Path(tempfile.mkdtemp(prefix="bench-measure-"))
    # bytecode cached as for an installed package (sqlite-utils' is, in site-packages): this
    # machine may set PYTHONDONTWRITEBYTECODE, which would compile every module on every run
    env = {k: val for k, val in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PARTNERSHIP_TODAY=TODAY, PYTHONPYCACHEPREFIX=str(work / "pycache"))
    su = str(BIN / "sqlite-utils")
    try:
        big = work / "observations.csv"
        small = work / "quarter.csv"
        make_csv(big, rows, indicators)
        make_csv(small, rows // 4, indicators)
        schema_sql = our_table_sql()
        warm_db = work / "warm.db"  # writes the bytecode cache; not measured
        make_db(warm_db, 1)
        (work / "warm.csv").write_text("indicator,date,value\nindicator-00000,2000-01-03,500\n")
        run([str(BIN / "partnership"), "--db", str(warm_db), "observe", "--csv", str(work / "warm.csv")], env)
        print(f"{rows:,} observations of {indicators:,} indicators "
              f"({big.stat().st_size / 1e6:.0f} MB of CSV); {args.rounds} interleaved rounds, best of each")

        results: dict[str, list[tuple[float, float, float]]] = {
            "create-table": [], "same schema": [], "ours": []}
        for r in range(args.rounds):
            for how in ("create-table", "same schema"):
                db = work / f"base-{r}-{how.replace(' ', '-')}.db"
                baseline_db(db, how, schema_sql)
                results[how].append(run([su, "bulk", str(db), BULK_SQL, str(big), "--csv",
                                         "--batch-size", str(rows)]))
                count = sqlite3.connect(db).execute("SELECT count(*) FROM observations").fetchone()[0]
                assert count == rows, (how, count)
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
            db = work / ("full.db" if r == args.rounds - 1 else f"ours-{r}.db")
            make_db(db, indicators)
            results["ours"].append(run([str(BIN / "partnership"), "--db", str(db), "observe",
                                        "--csv", str(big)], env))
            if db.name != "full.db":
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
        quarter_db = work / "quarter.db"
        make_db(quarter_db, indicators)
        _, _, quarter_mb = run([str(BIN / "partnership"), "--db", str(quarter_db), "observe",
                                "--csv", str(small)], env)
        if not args.no_insert:
            # for information only: sqlite-utils insert commits every 249 rows whatever --batch-size
            insert_db = work / "insert.db"
            sqlite3.connect(insert_db).execute("PRAGMA journal_mode = wal").fetchone()
            ins_wall, ins_cpu, _ = run([su, "insert", str(insert_db), "observations", str(big), "--csv",
                                        "--pk", "indicator", "--pk", "date", "--batch-size", str(rows)])

        best = {k: (min(x[0] for x in v), min(x[1] for x in v), max(x[2] for x in v))
                for k, v in results.items()}
        ours_wall, ours_cpu, ours_mb = best["ours"]
        print("import (wall s / CPU s / peak MB, best of the rounds):")
        print(f"  {'partnership observe --csv':<50} {ours_wall:6.2f} / {ours_cpu:6.2f} / "
              f"{ours_mb:4.0f}")
        worst_wall = worst_cpu = 0.0
        for how in ("create-table", "same schema"):
            w, c, m = best[how]
            worst_wall, worst_cpu = max(worst_wall, ours_wall / w), max(worst_cpu, ours_cpu / c)
            print(f"  {'sqlite-utils bulk, one transaction, ' + how:<50} {w:6.2f} / {c:6.2f} / {m:4.0f}"
                  f"   ratio wall {ours_wall / w:.2f}x, CPU {ours_cpu / c:.2f}x")
        print(f"  import against the faster baseline of each: wall {worst_wall:.2f}x "
              f"(target <= {IMPORT_TARGET}x) {verdict(worst_wall <= IMPORT_TARGET)}; "
              f"CPU {worst_cpu:.2f}x (target <= {IMPORT_TARGET}x) {verdict(worst_cpu <= IMPORT_TARGET)}")
        flat = ours_mb <= MEMORY_GROWTH * quarter_mb and ours_mb < MEMORY_LIMIT_MB
        print(f"  memory: peak {quarter_mb:.0f} MB at {rows // 4:,} rows, {ours_mb:.0f} MB at {rows:,} rows "
              f"(target flat and < {MEMORY_LIMIT_MB} MB) {verdict(flat)}")
        if not args.no_insert:
            print(f"  for information, sqlite-utils insert --csv --pk ... --batch-size {rows} (commits "
                  f"every 249 rows, then rewrites the table): {ins_wall:.2f} s wall, {ins_cpu:.2f} s CPU")

    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
