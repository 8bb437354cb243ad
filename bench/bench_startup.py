"""CLI start-up: `partnership --help` and `partnership outcome list` as whole processes,
against `sqlite-utils tables` on the same file (a peer CLI on the same libraries),
alternating in the same run. Prints medians and the ratio; target at most 1.0x.
The bare `python -c "import sqlite3"` floor is printed beside it.

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
    base = medians["baseline: sqlite-utils tables"]
    print(f"CLI start-up, median of {args.runs} alternating runs")
    for name, value in medians.items():
        print(f"  {name:<38} {value * 1000:7.1f} ms   {value / base:5.2f}x baseline")
    for name in ("partnership --help", "partnership outcome list"):
        verdict = "ok" if medians[name] <= base else "OVER TARGET"
        print(f"  target <= 1.00x: {name}: {medians[name] / base:.2f}x {verdict}")


if __name__ == "__main__":
    main()
