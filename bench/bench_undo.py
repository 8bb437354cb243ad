"""Undo on a long change log: taking back the last figure recorded, against removing it.

The baseline is what a lead would otherwise run to take a mistyped figure back:
``p.measure.remove_observation(...)`` on the same file, for the same figure, in the same
run (alternating with the undo). Both delete the same row in one transaction with one
change-log entry; undo also finds the last command, checks that no later change depends
on it and that the row is as the log left it. So the ratio is the price of those checks,
and the log's length (``--log``, the entries of earlier commands, default 500,000) must
not change it: undo reads the log newest first and through its indexes only.

    python bench/bench_undo.py [--runs 15] [--log 500000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--log", type=int, default=500_000, help="Earlier change-log entries.")
    args = parser.parse_args()

    import partnership

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        p = partnership.create(db, name="Bench", clock=lambda: dt.date(2026, 6, 1))
        p.partners.add(slug="a", name="A", kind="police")
        p.outcomes.add(slug="o", title="Fewer victims", beneficiaries="Residents")
        p.measure.add_indicator("x", outcome="o", unit="people", direction="down", baseline=400,
                                baseline_date="2024-01-01", target=300, target_date="2027-01-01")
        # a long history of earlier commands: one observation entry each, as observe logs them
        with p.store.transaction():
            p.store.conn.executemany(
                "INSERT INTO changes (at, actor, action, entity, key, summary, data, command) "
                "VALUES ('2025-01-01T00:00:00+00:00', 'bench', 'add', 'observation', ?, ?, ?, NULL)",
                ((f"old-{i}/2025-01-01", f"observation old-{i}/2025-01-01",
                  json.dumps({"indicator": f"old-{i}", "value": 1})) for i in range(args.log)))
        entries = p.store.conn.execute("SELECT count(*) FROM changes").fetchone()[0]

        undo_times, remove_times = [], []
        for run in range(args.runs):
            day = f"2026-0{1 + run % 5}-{10 + run // 5:02d}"
            p.measure.observe("x", 380, date=day)
            start = time.perf_counter()
            p.undo()
            undo_times.append(time.perf_counter() - start)
            p.measure.observe("x", 380, date=day)
            start = time.perf_counter()
            p.measure.remove_observation("x", day, reason="typo")
            remove_times.append(time.perf_counter() - start)
        p.close()

    undo, remove = statistics.median(undo_times), statistics.median(remove_times)
    print(f"change log: {entries:,} entries before the runs; {args.runs} runs each, alternating")
    print(f"baseline  observation remove (same figure, same file): {remove * 1000:.2f} ms")
    print(f"undo      of the observe that recorded it:             {undo * 1000:.2f} ms "
          f"({undo / remove:.2f}x the baseline)")


if __name__ == "__main__":
    main()
