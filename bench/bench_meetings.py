"""Meeting check: `p.meetings.check(slug)` (every meeting rule, the verdict and the
person-hours) on a big meeting, against `p.check()` (every partnership check) on the same
file as the baseline, alternating in the same run. Also `p.updates.since(meeting)` with
many updates, against reading the whole change log with `p.changes()`. Prints medians and ratios.

    python bench/bench_meetings.py [--runs 15] [--full]

Default: 60 invitees, 100 agenda items, 2,000 updates; --full: 300, 1,000 and 20,000.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


def build(path: Path, invitees: int, items: int, updates: int):  # type: ignore[no-untyped-def]
    import partnership

    p = partnership.create(path, name="Bench", actor="bench")
    with p.store.transaction():
        for i in range(10):
            p.partners.add(slug=f"org-{i}", name=f"Organisation {i}")
        for i in range(20):
            p.outcomes.add(slug=f"outcome-{i}", title=f"Fewer people harmed {i}",
                           beneficiaries="Residents")
            p.stakes.add(outcome=f"outcome-{i}", partner=f"org-{i % 10}", motivation="why")
        for i in range(invitees):
            p.people.add(slug=f"person-{i}", name=f"Person {i}", partner=f"org-{i % 10}")
        p.meetings.propose("big", date="2026-02-10", minutes=90,
                           invite=[f"person-{i}" for i in range(invitees)])
        kinds = ["decision", "discussion", "information"]
        for i in range(items):
            p.meetings.pitch("big", f"Item {i}", kind=kinds[i % 3],
                             outcome=None if i % 7 == 0 else f"outcome-{i % 20}",
                             needs=[f"person-{i % invitees}", f"person-{(i * 7) % invitees}"],
                             by=f"person-{i % invitees}")
        for i in range(updates):
            p.updates.post(f"org-{i % 10}", f"Update {i}", outcome=f"outcome-{i % 20}",
                           date=f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}")
    return p


def median_time(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--full", action="store_true")
    args = parser.parse_args()
    sizes = (300, 1000, 20000) if args.full else (60, 100, 2000)
    with tempfile.TemporaryDirectory() as tmp:
        p = build(Path(tmp) / "bench.db", *sizes)
        verdict = p.meetings.check("big")
        print(f"meeting of {sizes[0]} invitees, {sizes[1]} items: {verdict.verdict.words}, "
              f"{len(verdict.findings)} findings")
        pairs = [
            ("meetings.check(big)", lambda: p.meetings.check("big"), "check()", p.check),
            ("updates.since(big)", lambda: p.updates.since("big"), "changes() all",
             lambda: p.changes()),
        ]
        for name, fn, base_name, base in pairs:
            a, b = [], []
            for _ in range(args.runs):
                a.append(median_time(fn, 1))
                b.append(median_time(base, 1))
            ma, mb = statistics.median(a), statistics.median(b)
            print(f"{name:24s} {ma * 1000:8.1f} ms   baseline {base_name:18s} {mb * 1000:8.1f} ms"
                  f"   ratio {ma / mb:6.1f}x")
        p.close()


if __name__ == "__main__":
    main()
