"""Benchmark of step 6: ``partnership publish`` against ``VACUUM INTO`` of the working file.

    python bench/bench_publish.py          # 1,000 indicators, 100,000 observations
    python bench/bench_publish.py --full   # the issue's size: 10,000 indicators, 1,000,000

The file is the dashboard bench's generated partnership (partners, outcomes, stakes,
needs, contributions, commitments, meetings, updates, indicators, observations), with
5 outcomes per 10 indicators. Its metrics are refreshed once before timing, so what is
timed is publishing, not the refresh that ``publish`` runs when figures are out of date.

Timed, interleaved ``--rounds`` times (best of each), in-process on the same file:

* **baseline**: ``VACUUM INTO`` a new file: what a user would otherwise run to hand a
  copy of the partnership to Datasette (one statement that copies every page, every
  table and index, compacted). It is fair because publishing does the same kind of work
  (write a compact, self-contained SQLite file from the working one) and no less: it
  copies the public columns, runs the checks whose findings the public page shows, words
  the latest changes, builds the public views and materialised tables, and writes the
  copied tables compact with a ``VACUUM INTO`` of its own. Target (issue 19):
  ``p.publish`` <= 3x.
* ``publish``: :func:`partnership.publish` to a new path (the public file and its
  Datasette metadata and inspect file, as ``partnership publish`` writes them).
* for the reader, not a target: ``p.check()`` alone, in the same rounds, since publish
  runs it for the findings it publishes; "the rest" is publish less that.

Both wall time and CPU time of this process (``time.process_time``) are compared: on a
machine shared with other work, wall time includes waiting for a core. Then the sizes:
the public file against the working file (after a checkpoint, so the WAL is in the main
file): target <= 1.1x.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bench_dashboard import generate  # noqa: E402

TIME_TARGET = 3.0
SIZE_TARGET = 1.1


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


def measure(work: Path, tmp: Path, rounds: int) -> dict[str, float]:
    """Best seconds of VACUUM INTO and of publish, interleaved; and both files' sizes."""
    import partnership

    times: dict[str, list[float]] = {"vacuum": [], "publish": [], "vacuum_cpu": [], "publish_cpu": [],
                                     "check": [], "check_cpu": []}
    for i in range(rounds):
        copy = tmp / f"copy-{i}.db"
        conn = sqlite3.connect(work)
        started, cpu = time.perf_counter(), time.process_time()
        conn.execute("VACUUM INTO ?", [str(copy)])
        times["vacuum"].append(time.perf_counter() - started)
        times["vacuum_cpu"].append(time.process_time() - cpu)
        conn.close()
        copy.unlink()
        target = tmp / f"public-{i}.db"
        with partnership.open(work) as p:
            started, cpu = time.perf_counter(), time.process_time()
            partnership.publish(p, target)
            times["publish"].append(time.perf_counter() - started)
            times["publish_cpu"].append(time.process_time() - cpu)
        with partnership.open(work) as p:
            started, cpu = time.perf_counter(), time.process_time()
            p.check()
            times["check"].append(time.perf_counter() - started)
            times["check_cpu"].append(time.process_time() - cpu)
        if i < rounds - 1:
            for leftover in tmp.glob(f"public-{i}*"):
                leftover.unlink()
    return {**{name: min(t) for name, t in times.items()},
            "public_bytes": os.path.getsize(tmp / f"public-{rounds - 1}.db"),
            "work_bytes": os.path.getsize(work)}


def prepare(work: Path, outcomes: int, observations: int) -> None:
    """The generated partnership with its metrics refreshed and its WAL checkpointed."""
    import partnership

    generate(work, partners=max(outcomes // 10, 10), outcomes=outcomes, observations=observations)
    with partnership.open(work) as p:
        p.measure.refresh(force=True)
    conn = sqlite3.connect(work)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="10,000 indicators, 1,000,000 observations")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    outcomes, observations = (5000, 1_000_000) if args.full else (500, 100_000)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        work = tmp / "work.db"
        started = time.perf_counter()
        prepare(work, outcomes, observations)
        print(f"generated {outcomes * 2:,} indicators, {observations:,} observations "
              f"(and refreshed) in {time.perf_counter() - started:.1f}s")
        r = measure(work, tmp, args.rounds)
    size = r["public_bytes"] / r["work_bytes"]
    print(f"baseline  VACUUM INTO of the working file: {r['vacuum']:.2f} s wall, {r['vacuum_cpu']:.2f} s CPU "
          f"(best of {args.rounds}, interleaved)")
    for what, key in (("wall", "publish"), ("CPU", "publish_cpu")):
        ratio = r[key] / r[key.replace("publish", "vacuum")]
        print(f"publish   {r[key]:.2f} s {what} = {ratio:.2f}x baseline (target <= {TIME_TARGET:g}x) "
              f"{verdict(ratio <= TIME_TARGET)}")
    rest = r["publish_cpu"] - r["check_cpu"]
    print(f"of which  p.check() (the findings it publishes) {r['check_cpu']:.2f} s CPU "
          f"({r['check']:.2f} s wall), measured alone; the rest {rest:.2f} s CPU "
          f"= {rest / r['vacuum_cpu']:.2f}x baseline")
    print(f"public file {r['public_bytes'] / 1e6:.1f} MB = {size:.2f}x the working file "
          f"({r['work_bytes'] / 1e6:.1f} MB) (target <= {SIZE_TARGET:g}x) {verdict(size <= SIZE_TARGET)}")


if __name__ == "__main__":
    main()
