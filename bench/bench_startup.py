"""CLI start-up, as whole processes, alternating in the same run (medians printed).

- `partnership --help` against `python -c "import sqlite3"`: the least any Python
  command over SQLite costs; what a lead waits for beyond it is ours. Target <= 3x.
- `partnership outcome list` against `sqlite-utils tables` on the same file: a peer
  CLI on the same libraries doing a comparable read (open the file, list rows).
  Target <= 1.5x.

Why these are fair: both baselines are what a user could run instead on this machine,
timed the same way (a fresh process, output discarded), interleaved so that drift in
the machine's load hits every command alike.

    python bench/bench_startup.py [--runs 30]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def find(command: str) -> str:
    beside = Path(sys.executable).parent / command
    found = str(beside) if beside.exists() else shutil.which(command)
    if not found:
        sys.exit(f"{command} not found; install the project first (pip install -e .)")
    return found


def timed(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    partnership = find("partnership")
    sqlite_utils = find("sqlite-utils")
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "demo.db")
        subprocess.run([partnership, "demo", db], check=True, stderr=subprocess.DEVNULL)
        commands = {
            "floor: python -c 'import sqlite3'": [sys.executable, "-c", "import sqlite3"],
            "baseline: sqlite-utils tables": [sqlite_utils, "tables", db],
            "partnership --help": [partnership, "--help"],
            "partnership outcome list": [partnership, "--db", db, "outcome", "list"],
        }
        for argv in commands.values():  # warm the page cache and .pyc files
            timed(argv)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():  # alternate, so drift hits all alike
                times[name].append(timed(argv))
    medians = {name: statistics.median(t) for name, t in times.items()}
    print(f"CLI start-up, median of {args.runs} alternating runs")
    for name, value in medians.items():
        print(f"  {name:<38} {value * 1000:7.1f} ms")
    for name, base, target in (("partnership --help", "floor: python -c 'import sqlite3'", 3.0),
                               ("partnership outcome list", "baseline: sqlite-utils tables", 1.5)):
        ratio = medians[name] / medians[base]
        verdict = "ok" if ratio <= target else "OVER TARGET"
        print(f"  {name} vs {base.split(': ', 1)[1]}: {ratio:.2f}x (target <= {target:g}x) {verdict}")


if __name__ == "__main__":
    main()
