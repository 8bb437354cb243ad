"""Benchmark of the workbook format: export and import of a county-size partnership as
.xlsx, as a ratio to the same export and import as JSON.

    python bench/spreadsheets.py            # county size: 50 partners, 200 outcomes,
                                            # 1,000 indicators, 60,000 observations
    python bench/spreadsheets.py --scale 0.1   # a tenth of it (a quick look)
    options: --rounds 2 (interleaved rounds; the best of each is compared)

Each figure is a whole command as a lead runs it, in its own process (Python's start-up
included): its CPU time (user + system, from ``wait4``; the fairer figure on a busy
machine), its wall time, and its peak memory (max RSS of that process):

* export: ``partnership export --format xlsx -o FILE.xlsx`` against ``partnership export
  --format json -o FILE.json``;
* import: ``partnership --db NEW import FILE.xlsx`` against ``partnership --db NEW import
  FILE.json``, each into a new file (created from the file's partnership block).

Why the baseline is fair: JSON is the other format of the same exchange, and what a user
would otherwise run to move the whole partnership in and out: the same rows, the same
sections, the same validation of every row (``exchange.check``), the same one-transaction
write with its change log. The only difference is the file format (openpyxl streaming a
formatted workbook with a sheet per section, names beside slugs, drop-down lists, against
``json.dumps``/``json.loads``), which is what this measures. Rounds are interleaved so a
change in the machine's load hits both alike.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import partnership

KINDS = ("council", "police", "health", "charity", "school", "housing", "fire", "voluntary")


def build(path: Path, scale: float) -> dict[str, int]:
    """A county-size partnership at ``scale``: partners, outcomes with stakes and
    contributions, indicators and monthly observations."""
    n_partners, n_outcomes = max(2, round(50 * scale)), max(1, round(200 * scale))
    n_indicators = max(1, round(1000 * scale))
    per_indicator = 60
    with partnership.create(path, name="Northshire County Partnership", governance="alliance") as p:
        with p.store.transaction():
            for i in range(n_partners):
                p.partners.add(slug=f"partner-{i}", name=f"Partner {i} of Northshire",
                               kind=KINDS[i % len(KINDS)], description="A partner in the county")
            for o in range(n_outcomes):
                p.outcomes.add(slug=f"outcome-{o}", title=f"Outcome {o}: fewer people harmed",
                               status="agreed")
                for k in range(2):
                    partner = f"partner-{(o + k) % n_partners}"
                    p.stakes.add(outcome=f"outcome-{o}", partner=partner, motivation="It is our job")
                    p.contributions.add(outcome=f"outcome-{o}", partner=partner, kind="people",
                                        description=f"Staff time for outcome {o}", amount=1.5,
                                        unit="FTE", additional=bool(k))
            for i in range(n_indicators):
                p.measure.indicators.add(
                    slug=f"indicator-{i}", outcome=f"outcome-{i % n_outcomes}", unit="people",
                    direction="down", baseline=500, baseline_date="2020-01-01", target=300,
                    target_date="2030-12-31", title=f"Indicator {i}")
        csv_path = path.with_suffix(".csv")
        start = dt.date(2021, 1, 1)
        with open(csv_path, "w", encoding="utf-8") as f:
            f.write("indicator,date,value,source\n")
            for i in range(n_indicators):
                for m in range(per_indicator):
                    day = dt.date(start.year + (start.month - 1 + m) // 12, (start.month - 1 + m) % 12 + 1, 1)
                    f.write(f"indicator-{i},{day.isoformat()},{480 - m + (i % 7)},Monthly count\n")
        p.measure.import_csv(csv_path)
        csv_path.unlink()
    return {"partners": n_partners, "outcomes": n_outcomes, "indicators": n_indicators,
            "observations": n_indicators * per_indicator}


def run(args: list[str], cwd: Path) -> tuple[float, float, float]:
    """CPU seconds (user + system), wall seconds and peak memory (MB) of one ``partnership``
    command in its own process."""
    command = [str(Path(sys.executable).with_name("partnership")), *args]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {err}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=2)
    opts = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-spreadsheets-"))
    try:
        db = folder / "county.db"
        t0 = time.perf_counter()
        sizes = build(db, opts.scale)
        print(f"built {sizes} in {time.perf_counter() - t0:.1f} s")
        best: dict[str, tuple[float, float, float]] = {}
        for r in range(opts.rounds):
            for fmt in ("json", "xlsx"):
                out = folder / f"county.{fmt}"
                got = run(["--db", str(db), "export", "--format", fmt, "-o", str(out), "--force"], folder)
                best[f"export {fmt}"] = min(best.get(f"export {fmt}", got), got)
                fresh = folder / f"fresh-{fmt}-{r}.db"
                got = run(["--db", str(fresh), "import", str(out)], folder)
                best[f"import {fmt}"] = min(best.get(f"import {fmt}", got), got)
        sizes_mb = {fmt: (folder / f"county.{fmt}").stat().st_size / 1e6 for fmt in ("json", "xlsx")}
        print(f"files: county.json {sizes_mb['json']:.1f} MB, county.xlsx {sizes_mb['xlsx']:.1f} MB")
        for what in ("export", "import"):
            (jc, jw, jm), (xc, xw, xm) = best[f"{what} json"], best[f"{what} xlsx"]
            print(f"{what}: xlsx CPU {xc:.2f} s (wall {xw:.2f} s), peak {xm:.0f} MB; json (baseline) "
                  f"CPU {jc:.2f} s (wall {jw:.2f} s), peak {jm:.0f} MB; xlsx/json: CPU {xc / jc:.2f}x, "
                  f"wall {xw / jw:.2f}x, peak memory {xm / jm:.2f}x")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
