"""Benchmark of YAML export and import against the same in JSON, as whole commands.

    python bench/bench_exchange.py           # a quarter of the county size (a quick look)
    python bench/bench_exchange.py --full    # the issue's county size: 50 partners,
                                             # 200 outcomes, 1,000 indicators, 60,000 observations

The partnership is the dashboard bench's generated one (partners, outcomes, stakes,
needs, contributions, commitments, meetings, updates, indicators, story notes,
observations) with indicators added to reach five per outcome, each with the same
number of observations.

Timed, interleaved ``--rounds`` times (best of each), each a separate process as a user
runs it:

* ``partnership export --format yaml -o x.yaml`` against ``... --format json -o x.json``;
* ``partnership import x.yaml`` into a new file against ``partnership import x.json``
  into a new file (the file's ``partnership`` block creates it).

The baseline is the same command writing or reading JSON: the same records, the same
checks and the same writes to the database, in the format Python reads and writes
fastest (its C ``json`` module). So the ratio is what choosing YAML, the format a person
reads and edits, costs over it. Targets (issue 19): YAML <= 1.5x the time and <= 2x the
peak memory of JSON. Time is wall time and CPU time (user + system of the child, from
``os.wait4``), and memory the child's peak resident set (``ru_maxrss``), all per child.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bench_dashboard import generate  # noqa: E402

TIME_TARGET = 1.5
MEMORY_TARGET = 2.0
CLI = str(Path(sys.executable).with_name("partnership"))


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER TARGET"


def county(path: Path, partners: int, outcomes: int, indicators: int, observations: int) -> None:
    """The generated partnership with ``indicators`` indicators of ``observations`` in all."""
    import sqlite3

    per = observations // indicators
    generate(path, partners=partners, outcomes=outcomes, observations=per * outcomes * 2)
    rnd = random.Random(19)
    conn = sqlite3.connect(path)
    with conn:
        extra = range(outcomes * 2, indicators)
        conn.executemany(
            "INSERT INTO indicators (slug, outcome, title, unit, direction, baseline, baseline_date, "
            "target, target_date) VALUES (?, ?, ?, 'people', 'up', 20, '2020-01-01', 60, '2030-03-31')",
            [(f"ind-{i}", f"outcome-{i % outcomes}", f"Generated indicator {i}") for i in extra])
        start = dt.date(2020, 1, 1)
        conn.executemany(
            "INSERT INTO observations (indicator, date, value) VALUES (?, ?, ?)",
            ((f"ind-{i}", (start + dt.timedelta(days=7 * k)).isoformat(), 20 + k * 0.05 + rnd.random() * 5)
             for i in extra for k in range(per)))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def run(args: list[str]) -> dict[str, float]:
    """Run one command; its wall time, CPU time and peak memory (MB), from its own rusage."""
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    err = child.stderr.read().decode() if child.stderr else ""
    if child.returncode:
        raise SystemExit(f"{' '.join(args)} failed ({child.returncode}): {err.strip()}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "mb": usage.ru_maxrss / 1024}


def measure(work: Path, tmp: Path, rounds: int) -> dict[str, dict[str, float]]:
    best: dict[str, dict[str, float]] = {}

    def keep(name: str, figures: dict[str, float]) -> None:
        old = best.setdefault(name, figures)
        for k, v in figures.items():
            old[k] = min(old[k], v)

    for i in range(rounds):
        for fmt in ("yaml", "json") if i % 2 == 0 else ("json", "yaml"):
            out = tmp / f"x.{fmt}"
            keep(f"export {fmt}", run([CLI, "--db", str(work), "export", "--format", fmt,
                                       "-o", str(out), "--force"]))
        for fmt in ("yaml", "json") if i % 2 == 0 else ("json", "yaml"):
            new = tmp / f"new-{fmt}-{i}.db"
            keep(f"import {fmt}", run([CLI, "--db", str(new), "import", str(tmp / f"x.{fmt}")]))
            for suffix in ("", "-wal", "-shm"):
                Path(str(new) + suffix).unlink(missing_ok=True)
    best["sizes"] = {fmt: os.path.getsize(tmp / f"x.{fmt}") / 1e6 for fmt in ("yaml", "json")}
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true",
                        help="50 partners, 200 outcomes, 1,000 indicators, 60,000 observations")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    partners, outcomes, indicators, observations = (
        (50, 200, 1000, 60_000) if args.full else (50, 50, 250, 15_000))
    print(f"load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        work = tmp / "work.db"
        county(work, partners, outcomes, indicators, observations)
        print(f"generated {partners} partners, {outcomes} outcomes, {indicators:,} indicators, "
              f"{observations:,} observations")
        r = measure(work, tmp, args.rounds)
    print(f"files: x.yaml {r['sizes']['yaml']:.1f} MB, x.json {r['sizes']['json']:.1f} MB "
          f"(best of {args.rounds}, interleaved, each a separate process)")
    for step in ("export", "import"):
        y, j = r[f"{step} yaml"], r[f"{step} json"]
        print(f"baseline  {step} json: {j['wall']:.2f} s wall, {j['cpu']:.2f} s CPU, {j['mb']:.0f} MB peak")
        line = []
        for key, unit, target in (("wall", "s wall", TIME_TARGET), ("cpu", "s CPU", TIME_TARGET),
                                  ("mb", "MB peak", MEMORY_TARGET)):
            ratio = y[key] / j[key]
            line.append(f"{y[key]:.2f} {unit} = {ratio:.2f}x (target <= {target:g}x) "
                        f"{verdict(ratio <= target)}")
        print(f"{step} yaml: " + "; ".join(line))


if __name__ == "__main__":
    main()
