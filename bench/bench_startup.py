"""CLI start-up, as whole processes, alternating in the same run (medians printed).

- `partnership --help` against `python -c "import sqlite3"`: the least any Python
  command over SQLite costs; what a lead waits for beyond it is ours. Target <= 3x.
- `partnership outcome list` against `sqlite-utils tables` on the same file: a peer
  CLI on the same libraries doing a comparable read (open the file, list rows).
  Target <= 1.5x.

Why these are fair: both baselines are what a user could run instead on this machine,
timed the same way (a fresh process, output discarded), interleaved so that drift in
the machine's load hits every command alike.

Wall time and CPU time (user + system of the process, from ``wait4``) are both
compared: on a machine shared with other work, wall time includes waiting for a core,
CPU time does not.

Compiled bytecode: an installed package has its ``.pyc`` files (pip compiles them), but
this machine's environment may set ``PYTHONDONTWRITEBYTECODE``, which makes every run of
an editable install compile partnership's modules from source again (about 20 ms of
``--help`` here) while the standard library's stay compiled. So every command, baseline
included, runs without it and with ``PYTHONPYCACHEPREFIX`` pointing at a temporary
folder (the first, untimed run fills it): each process starts as it would for a user.

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


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, from ``wait4``) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        sys.exit(f"{argv} failed")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    partnership = find("partnership")
    sqlite_utils = find("sqlite-utils")
    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = os.path.join(tmp, "pycache")
        db = os.path.join(tmp, "demo.db")
        subprocess.run([partnership, "demo", db], check=True, stderr=subprocess.DEVNULL)
        commands = {
            "floor: python -c 'import sqlite3'": [sys.executable, "-c", "import sqlite3"],
            "baseline: sqlite-utils tables": [sqlite_utils, "tables", db],
            "partnership --help": [partnership, "--help"],
            "partnership outcome list": [partnership, "--db", db, "outcome", "list"],
        }
        for argv in commands.values():  # warm the page cache and .pyc files
            timed(argv, env)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, argv in commands.items():  # alternate, so drift hits all alike
                times[name].append(timed(argv, env))
    wall = {name: statistics.median(w for w, _ in t) for name, t in times.items()}
    cpu = {name: statistics.median(c for _, c in t) for name, t in times.items()}
    print(f"CLI start-up, median of {args.runs} alternating runs: wall / CPU (user + system)")
    for name in commands:
        print(f"  {name:<38} {wall[name] * 1000:7.1f} / {cpu[name] * 1000:7.1f} ms")
    for name, base, target in (("partnership --help", "floor: python -c 'import sqlite3'", 3.0),
                               ("partnership outcome list", "baseline: sqlite-utils tables", 1.5)):
        for what, figures in (("wall", wall), ("CPU", cpu)):
            ratio = figures[name] / figures[base]
            verdict = "ok" if ratio <= target else "OVER TARGET"
            print(f"  {name} vs {base.split(': ', 1)[1]}, {what}: {ratio:.2f}x (target <= {target:g}x) "
                  f"{verdict}")


if __name__ == "__main__":
    main()
