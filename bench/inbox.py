"""The partner inbox: accepting 1,000 submissions, and the partner's page.

    python bench/inbox.py            # 50 partners, 1,000 pending submissions, 200 page loads

* accept: ``partnership inbox accept --all`` (the whole command, as the lead runs it) on a
  partnership of 50 partners with 1,000 pending figures (20 per partner), against
  ``partnership observe --csv`` of the same 1,000 figures on a copy of the same working
  file: what the lead would otherwise run, having collected the figures by email into a
  spreadsheet. Both end with the same figures in the record, each checked by the same
  model and rules. It is the fair baseline for the work, and not a flattering one: the
  import writes all rows in one transaction with one change-log entry, while ``accept``
  gives every submission its own transaction (all or nothing per submission), its own
  change-log entries naming the sender and the lead, and marks it accepted in the inbox
  file. The ratio is the price of that per-submission safety and audit trail.
* page: the p95 time of a partner's page (``/r/<token>``: the figures it reports, its
  open commitments, what it has sent), against Datasette's own table page listing that
  partner's submissions (``/inbox/submissions?partner=...``) on the same Datasette
  instance over the same inbox file, both fetched through Datasette's own client (no
  network for either). Fair because the table page is the cheapest page Datasette
  itself would give the same person about the same rows; the partner's page does more
  (three queries, the token check, a larger template).

Every figure printed was measured in this run.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import partnership  # noqa: E402

TODAY = dt.date(2026, 10, 31)
PARTNERS = 50
EACH = 20
PAGE_LOADS = 200


def build(path: Path) -> list[dict[str, Any]]:
    """The partnership, and 1,000 pending submissions (returned as CSV rows too)."""
    p = partnership.create(path, name="Bench", clock=lambda: TODAY)
    figures = []
    with p.store.transaction():
        for i in range(PARTNERS):
            p.partners.add(slug=f"partner-{i}", name=f"Partner {i}", kind="other")
            p.people.add(slug=f"person-{i}", name=f"Person {i}", partner=f"partner-{i}")
            p.outcomes.add(slug=f"outcome-{i}", title=f"Outcome {i}")
            p.stakes.add(outcome=f"outcome-{i}", partner=f"partner-{i}")
            p.measure.add_indicator(f"indicator-{i}", outcome=f"outcome-{i}", unit="people",
                                    direction="down", baseline=100, baseline_date="2024-01-01",
                                    target=80, target_date="2027-12-31", frequency="weekly")
            for k in range(3):
                p.commitments.commit(f"partner-{i}", f"Promise {k} of partner {i}", due="2026-12-31",
                                     created="2026-01-01")
    for i in range(PARTNERS):
        for k in range(EACH):
            day = (TODAY - dt.timedelta(days=7 * (k + 1))).isoformat()
            row = {"indicator": f"indicator-{i}", "date": day, "value": 100 - k * 0.5,
                   "source": "Partner records", "note": ""}
            p.inbox.submit(f"person-{i}", "observation", row)
            figures.append(row)
    p.inbox.close()
    p.close()
    return figures


def command(db: Path, *args: str) -> float:
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", "from partnership.cli import main; main()",
                             "--db", str(db), *args], capture_output=True, text=True,
                            env={**os.environ, "PARTNERSHIP_TODAY": TODAY.isoformat()})
    took = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {result.stderr[-500:]}")
    return took


def pages(inbox_file: Path, link_path: str) -> tuple[list[float], list[float]]:
    from partnership.inbox.site import make_inbox_datasette

    # the baseline needs Datasette's own table page open: the inbox site closes it to visitors
    ds = make_inbox_datasette(inbox_file, metadata={"title": "bench"})

    async def run() -> tuple[list[float], list[float]]:
        await ds.invoke_startup()
        ours, theirs = [], []
        table = "/inbox/submissions?partner=partner-7"
        for url in (link_path, table):  # warm both
            answer = await ds.client.get(url)
            assert answer.status_code == 200, (url, answer.status_code)
        for _ in range(PAGE_LOADS):  # interleaved, so load changes hit both alike
            started = time.perf_counter()
            await ds.client.get(link_path)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            await ds.client.get(table)
            theirs.append(time.perf_counter() - started)
        return ours, theirs

    return asyncio.run(run())


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18]


def main() -> None:
    os.environ["PARTNERSHIP_TODAY"] = TODAY.isoformat()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        db = work / "bench.db"
        started = time.perf_counter()
        figures = build(db)
        print(f"built {PARTNERS} partners and {len(figures)} pending submissions through p.inbox.submit "
              f"in {time.perf_counter() - started:.1f} s")
        baseline_db = work / "baseline.db"
        shutil.copy(db, baseline_db)
        sheet = work / "figures.csv"
        with sheet.open("w", newline="", encoding="utf-8") as f:
            writer = csv.DictWriter(f, ["indicator", "date", "value", "source", "note"])
            writer.writeheader()
            writer.writerows(figures)

        with partnership.open(db) as p:
            link = p.inbox.link("person-7")
            inbox_file = p.inbox.path
        ours, theirs = pages(inbox_file, link.split("8002", 1)[1])

        accept = command(db, "inbox", "accept", "--all")
        observe = command(baseline_db, "observe", "--csv", str(sheet))
        with partnership.open(db) as p, partnership.open(baseline_db) as b:
            a = p.store.query("SELECT indicator, date, value FROM observations ORDER BY 1, 2")
            assert a == b.store.query("SELECT indicator, date, value FROM observations ORDER BY 1, 2")
            assert len(a) == len(figures) and p.inbox.pending() == []

    print(f"inbox accept --all ({len(figures)} submissions): {accept:.2f} s; observe --csv of the same "
          f"figures: {observe:.2f} s; ratio {accept / observe:.1f}x")
    print(f"partner page p95 {p95(ours) * 1000:.1f} ms; Datasette's table page p95 "
          f"{p95(theirs) * 1000:.1f} ms; ratio {p95(ours) / p95(theirs):.2f}x "
          f"({PAGE_LOADS} loads each)")


if __name__ == "__main__":
    main()
