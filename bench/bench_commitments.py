"""How long the trust ledger and the due-soon list take, against reading the table.

    python bench/bench_commitments.py           # 30 partners x 1,000 commitments
    python bench/bench_commitments.py --full    # 300 partners x 1,000 (a national network)

Baseline: ``SELECT * FROM commitments`` into Python dicts, on the same file in the same
run. Each figure is printed as a ratio to it (and in milliseconds, for the record).
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import partnership  # noqa: E402

TODAY = dt.date(2026, 10, 31)


def build(path: Path, partners: int, each: int) -> partnership.Partnership:
    p = partnership.create(path, name="Bench", clock=lambda: TODAY)
    rng = random.Random(5)
    conn = p.store.conn
    with p.store.transaction():
        conn.executemany("INSERT INTO partners (slug, name, kind) VALUES (?, ?, 'other')",
                         [(f"partner-{i}", f"Partner {i}") for i in range(partners)])
        conn.executemany("INSERT INTO people (slug, name, partner) VALUES (?, ?, ?)",
                         [(f"person-{i}", f"Person {i}", f"partner-{i}") for i in range(partners)])
        rows = []
        for i in range(partners):
            for _ in range(each):
                created = TODAY - dt.timedelta(days=rng.randrange(30, 1100))
                due = created + dt.timedelta(days=rng.randrange(14, 200))
                fate = rng.random()
                state, delivered, evidence, withdrawn, reason = "open", None, "", None, ""
                if fate < 0.7 and due - dt.timedelta(days=10) <= TODAY:
                    day = min(due + dt.timedelta(days=rng.randrange(-20, 30)), TODAY)
                    state, delivered, evidence = "delivered", day.isoformat(), "done"
                elif fate < 0.8:
                    state, withdrawn, reason = "withdrawn", TODAY.isoformat(), "no money"
                rows.append((f"partner-{i}", f"person-{i}", "something", due.isoformat(),
                             int(rng.random() < 0.6), created.isoformat(), state, delivered,
                             evidence, withdrawn, reason))
        conn.executemany(
            "INSERT INTO commitments (partner, owner, what, due, additional, created, state, "
            "delivered_on, evidence, withdrawn_on, reason) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
    return p


def timed(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    partners = 300 if "--full" in sys.argv else 30
    each = 1000
    with tempfile.TemporaryDirectory() as tmp:
        p = build(Path(tmp) / "bench.db", partners, each)
        c = p.commitments
        base = timed(lambda: p.store.query("SELECT * FROM commitments"))
        figures = {
            "ledger (per partner)": timed(c.ledger),
            "ledger by quarter": timed(c.by_quarter),
            "due within 14 days": timed(lambda: c.due_within("14d")),
            "list overdue": timed(lambda: c.list(status="overdue")),
            "one partner's list": timed(lambda: c.list(partner="partner-1")),
            "partnership check": timed(p.check, repeat=3),
        }
        print(f"{partners * each:,} commitments, {partners} partners; "
              f"baseline SELECT * FROM commitments: {base * 1000:.1f} ms")
        for name, seconds in figures.items():
            print(f"  {name:<22} {seconds / base:6.2f} x baseline  ({seconds * 1000:.1f} ms)")
        p.close()


if __name__ == "__main__":
    main()
