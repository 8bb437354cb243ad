"""How long the trust ledger and the commitment checks take, against their own SQL.

    python bench/bench_commitments.py           # 30 partners x 1,000 commitments
    python bench/bench_commitments.py --full    # 300 partners x 1,000 (a national network)

* ledger: ``p.commitments.ledger()`` (what ``partnership ledger`` prints) against the one
  SQL query that computes the same ledger, ``ledger_sql(status_sql(":today"))`` with the
  same ``ORDER BY``, executed directly on a plain ``sqlite3`` connection to the same file
  and fetched as tuples. Fair because it is the same work done the cheapest way: every
  figure of the ledger comes from that one query; what the library adds (its connection's
  settings, dicts, typed rows) is what is measured. Target (issue 19): <= 1.5x.
* check: the two commitment checks ("pledging what it would do anyway", "overdue
  commitments") run as ``partnership check`` runs them (``run_checks`` with the
  partnership's read-only view, producing findings with their sentences), against the two
  SQL queries those checks run, executed directly and fetched. No target in the issue;
  printed with the same 1.5x bar for information. The whole ``p.check()`` (every check of
  every feature, what ``partnership check`` runs) is printed in milliseconds and as a ratio
  to the ledger query, for the record; its baseline is not the same work.
* by quarter, due within 14 days: the library call against its own SQL
  (``quarter_sql``/``status_sql``), for information.

Every pair runs interleaved (baseline, library, baseline, ...) and the best of each is
compared, so a change in the machine's load hits both alike.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
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


def interleaved(fns: dict[str, Callable[[], object]], runs: int) -> dict[str, float]:
    """Best time of each function, run in turn ``runs`` times."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: min(t) for name, t in times.items()}


LEDGER_TARGET = 1.5


def main() -> None:
    from partnership.checks import run_checks
    from partnership.commitments.service import ledger_sql, quarter_sql, status_sql
    from partnership.readonly import ReadOnlyView

    partners = 300 if "--full" in sys.argv else 30
    each = 1000
    runs = 7
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        p = build(path, partners, each)
        c = p.commitments
        raw = sqlite3.connect(path)
        today = {"today": TODAY.isoformat()}
        until = {"today": TODAY.isoformat(), "until": (TODAY + dt.timedelta(days=14)).isoformat()}
        ledger_query = ledger_sql(status_sql(":today")) + " ORDER BY made = 0, partner"
        quarter_query = quarter_sql(status_sql(":today")) + " ORDER BY quarter"
        due_query = (f"SELECT * FROM ({status_sql(':today')}) WHERE status IN ('open', 'overdue') "
                     "AND due <= :until ORDER BY owner IS NULL, owner, due, id")
        bau_query = ("SELECT partner, count(*) AS made, sum(additional = 0) AS bau FROM commitments "
                     "GROUP BY partner HAVING made >= ? ORDER BY partner")
        overdue_query = ("SELECT id, partner, owner, what, due, CAST(julianday(?) - julianday(due) "
                         "AS INTEGER) AS days FROM commitments WHERE state = 'open' AND due < ? "
                         "ORDER BY due, id")
        ours = [k for k in p.checks() if k.name in ("pledging-what-it-would-do-anyway",
                                                    "overdue-commitments")]
        assert len(ours) == 2, [k.name for k in ours]

        def checks_sql() -> None:
            raw.execute(bau_query, [3]).fetchall()
            raw.execute(overdue_query, [TODAY.isoformat()] * 2).fetchall()

        def checks_library() -> list:
            view = ReadOnlyView(p.store.conn, p.today(), None)
            return run_checks(p.store.conn, ours, view, path=p.store.path)

        assert len(c.ledger()) == len(raw.execute(ledger_query, today).fetchall()) == partners
        t = interleaved({
            "ledger sql": lambda: raw.execute(ledger_query, today).fetchall(),
            "ledger": c.ledger,
            "checks sql": checks_sql,
            "checks": checks_library,
            "quarter sql": lambda: raw.execute(quarter_query, today).fetchall(),
            "by quarter": c.by_quarter,
            "due sql": lambda: raw.execute(due_query, until).fetchall(),
            "due within 14 days": lambda: c.due_within("14d"),
        }, runs)
        whole = interleaved({"check": p.check}, 3)["check"]
        findings = len(checks_library())
        raw.close()
        print(f"{partners * each:,} commitments, {partners} partners; best of {runs} interleaved runs")
        for name, base, target in (("ledger", "ledger sql", LEDGER_TARGET),
                                   ("checks", "checks sql", None),
                                   ("by quarter", "quarter sql", None),
                                   ("due within 14 days", "due sql", None)):
            ratio = t[name] / t[base]
            label = {"ledger": "p.commitments.ledger()",
                     "checks": f"the 2 commitment checks ({findings:,} findings)",
                     "by quarter": "p.commitments.by_quarter()",
                     "due within 14 days": "p.commitments.due_within('14d')"}[name]
            if target is not None:
                tail = f"(target <= {target:g}x) {'ok' if ratio <= target else 'OVER TARGET'}"
            else:
                tail = "(for information)"
            print(f"  {label:<44} {t[name] * 1000:8.1f} ms  its SQL {t[base] * 1000:8.1f} ms  "
                  f"{ratio:5.2f}x {tail}")
        print(f"  the whole p.check() (every feature's checks)  {whole * 1000:8.1f} ms  "
              f"= {whole / t['ledger sql']:.1f}x the ledger query (not the same work; for the record)")
        p.close()


if __name__ == "__main__":
    main()
