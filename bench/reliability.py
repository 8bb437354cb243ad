"""Reliability under load, faults and hostile input: one command, one line per check.

    python bench/reliability.py            # bounded default run (< 3 minutes on 2 cores)
    python bench/reliability.py --quick    # the sizes the tests use
    python bench/reliability.py --only writers,site

Checks (the functions are in tests/reliability_checks.py; each is also a test in
tests/test_rel_*.py):

- writers:  2-4 processes record observations, commitments and updates into one file
            at once; every write is there, none fails with "database is locked", one
            change-log entry per write. Figures: writes/s and the slowest command.
- crash-import: ``observe --csv`` killed with SIGKILL at random points (seeded); the
            file passes ``PRAGMA integrity_check`` and holds all or none of the rows.
- crash-publish: ``publish`` killed with SIGKILL at random points; the public file is
            the old one or a complete new one, never torn.
- hostile:  the hypothesis tests of tests/test_rel_hostile.py (every write command of
            every step, through the CLI); examples run.
- upgrades: every fixture in tests/fixtures/ (one per released schema version) opens,
            migrates and keeps every row; check and doctor run.
- site:     the published demo served by a real Datasette on 127.0.0.1 takes a burst of
            concurrent requests with no 5xx; an endless SQL query hits the time limit.
            Figures: requests/s, p95, server RSS before and after.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# the checks themselves live with the tests that run them (tests/reliability_checks.py)
sys.path.insert(0, str(ROOT / "tests"))
from reliability_checks import (  # noqa: E402
    _writer,
    concurrent_writers,
    crash_import,
    crash_publish,
    env,
    line,
    site_load,
    upgrade_fixtures,
)

# -- hostile input (runs the hypothesis tests) ------------------------------------------

def hostile(examples: int | None = None) -> dict[str, Any]:
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "--hypothesis-show-statistics", str(ROOT / "tests" / "test_rel_hostile.py")]
    extra = {"REL_HOSTILE_EXAMPLES": str(examples)} if examples else {}
    t0 = time.perf_counter()
    done = subprocess.run(argv, env=env(**extra), capture_output=True, text=True, cwd=ROOT)
    elapsed = time.perf_counter() - t0
    out = done.stdout + done.stderr
    passing = sum(int(n) for n in re.findall(r"(\d+) passing", out))
    failing = sum(int(n) for n in re.findall(r"(\d+) failing", out))
    summary = (out.strip().splitlines() or [""])[-1]
    problems = [] if done.returncode == 0 else [summary]
    return {"examples": passing + failing, "failing": failing, "elapsed": elapsed,
            "tests": summary, "problems": problems}


# -- the summary ------------------------------------------------------------------------------

CHECKS = ["writers", "crash-import", "crash-publish", "hostile", "upgrades", "site"]


def run_check(name: str, workdir: Path, quick: bool) -> dict[str, Any]:
    if name == "writers":
        return concurrent_writers(workdir / name, processes=4, per_process=60 if quick else 100)
    if name == "crash-import":
        return crash_import(workdir / name, repetitions=5 if quick else 10)
    if name == "crash-publish":
        return crash_publish(workdir / name, repetitions=4 if quick else 8)
    if name == "hostile":
        return hostile(None if quick else 100)
    if name == "upgrades":
        return upgrade_fixtures(workdir / name)
    return site_load(workdir / name, requests=150 if quick else 400)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="The smaller sizes the tests use.")
    parser.add_argument("--only", default=",".join(CHECKS), help=f"Comma-separated: {','.join(CHECKS)}.")
    parser.add_argument("--json", action="store_true", help="Print every figure as JSON at the end.")
    parser.add_argument("--writer", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.writer:
        db, k, n, start_at = args.writer
        _writer(db, int(k), int(n), float(start_at))
        return 0
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = set(names) - set(CHECKS)
    if unknown:
        parser.error(f"unknown check(s): {', '.join(sorted(unknown))}")
    failed = False
    figures = {}
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="partnership-reliability-") as tmp:
        for name in names:
            t1 = time.perf_counter()
            try:
                result = run_check(name, Path(tmp), args.quick)
            except Exception as exc:  # a crashed script is a failed check, not a traceback
                result = {"problems": [f"{type(exc).__name__}: {exc}"]}
                print(f"FAIL {name:<14} {type(exc).__name__}: {exc}", flush=True)
                failed = True
                continue
            result["seconds"] = time.perf_counter() - t1
            figures[name] = result
            failed |= bool(result.get("problems"))
            print(line(name, result) + f"  [{result['seconds']:.0f}s]", flush=True)
    print(f"{'FAILED' if failed else 'all checks passed'} in {time.perf_counter() - t0:.0f}s")
    if args.json:
        print(json.dumps(figures, indent=2, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
