"""Benchmark of the board pack: ``partnership report`` of a county-size partnership, as a
ratio to ``partnership publish`` of the same file.

    python bench/boardpack.py              # 200 outcomes, 1,000 indicators, 100,000 observations
    python bench/boardpack.py --no-pdf     # the HTML only
    options: --rounds 3 (best of each, interleaved) --observations 100000

The file is the dashboard bench's generated partnership (partners, stakes, needs,
contributions, commitments, meetings, updates; two indicators per outcome), with three
more indicators per outcome added here, so 200 outcomes hold 1,000 indicators, and the
observations spread evenly over all of them. Its metrics are refreshed once before timing,
so neither command pays for the refresh both would otherwise run first.

Timed in-process on the same file, interleaved ``--rounds`` times (best of each):

* **baseline**: :func:`partnership.publish` to a new public file: what a lead runs today to
  put the same partnership in front of a board (the issue: "the board gets the web page
  printed"). It is fair because it does the same kind of work on the same data: read
  every outcome, indicator, observation, gap, commitment and meeting of the working file
  and write one self-contained document of them (there a database, here a document);
  it does no less (it copies the public tables, builds the views and materialised
  tables, vacuums).
* ``report -o board.html``: :meth:`p.report.write` (gather, lay out 1,000 SVG charts,
  write the file through partnership.outfiles).
* ``report -o board.pdf`` (unless ``--no-pdf``, and only where WeasyPrint is installed):
  the same, printed to PDF by WeasyPrint. Typesetting a few hundred pages is most of it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bench_dashboard import generate  # noqa: E402

OUTCOMES, INDICATORS = 200, 1_000


def prepare(work: Path, observations: int) -> None:
    """The generated partnership with 1,000 indicators, its metrics refreshed."""
    import partnership

    base = OUTCOMES * 2  # the generator's two per outcome
    per = max(observations // INDICATORS, 1)
    generate(work, partners=20, outcomes=OUTCOMES, observations=per * base)
    rnd = random.Random(11)
    conn = sqlite3.connect(work)
    with conn:
        conn.executemany(
            "INSERT INTO indicators (slug, outcome, title, unit, direction, baseline, baseline_date, "
            "target, target_date) VALUES (?, ?, ?, 'people', 'down', 400, '2020-01-01', 300, '2030-03-31')",
            [(f"ind-{i}", f"outcome-{(i - base) // 3}", f"Generated indicator {i}")
             for i in range(base, INDICATORS)])
        start = dt.date(2020, 1, 1)
        conn.executemany(
            "INSERT INTO observations (indicator, date, value) VALUES (?, ?, ?)",
            ((f"ind-{i}", (start + dt.timedelta(days=7 * k)).isoformat(), 400 - k * 0.1 + rnd.random() * 20)
             for i in range(base, INDICATORS) for k in range(per)))
    conn.close()
    with partnership.open(work) as p:
        p.measure.refresh(force=True)
        counts = p.store.query("SELECT (SELECT count(*) FROM outcomes) AS o, "
                               "(SELECT count(*) FROM indicators) AS i, "
                               "(SELECT count(*) FROM observations) AS n")[0]
    conn = sqlite3.connect(work)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    print(f"generated {counts['o']:,} outcomes, {counts['i']:,} indicators, {counts['n']:,} observations")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--observations", type=int, default=100_000)
    parser.add_argument("--no-pdf", action="store_true", help="time the HTML board pack only")
    args = parser.parse_args()
    import partnership

    pdf = not args.no_pdf
    if pdf:
        try:
            import weasyprint  # noqa: F401
        except (ImportError, OSError):
            print("WeasyPrint is not installed (pip install 'partnership[pdf]'): timing HTML only")
            pdf = False
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        work = tmp / "work.db"
        prepare(work, args.observations)
        times: dict[str, list[float]] = {"publish": [], "html": [], "pdf": []}
        sizes: dict[str, int] = {}
        for i in range(args.rounds):
            with partnership.open(work) as p:
                started = time.perf_counter()
                partnership.publish(p, tmp / f"public-{i}.db")
                times["publish"].append(time.perf_counter() - started)
                started = time.perf_counter()
                out = p.report.write(tmp / f"board-{i}.html")
                times["html"].append(time.perf_counter() - started)
                sizes["html"] = out.stat().st_size
                if pdf and i == 0:  # one PDF: it takes long enough that one round says it
                    started = time.perf_counter()
                    out = p.report.write(tmp / "board.pdf")
                    times["pdf"].append(time.perf_counter() - started)
                    sizes["pdf"] = out.stat().st_size
    base = min(times["publish"])
    print(f"baseline  publish of the same file: {base:.2f} s (best of {args.rounds}, interleaved)")
    html = min(times["html"])
    print(f"report -o board.html  {html:.2f} s = {html / base:.2f}x publish "
          f"({sizes['html'] / 1e6:.1f} MB, best of {args.rounds})")
    if times["pdf"]:
        t = times["pdf"][0]
        print(f"report -o board.pdf   {t:.2f} s = {t / base:.2f}x publish "
              f"({sizes['pdf'] / 1e6:.1f} MB, one run)")


if __name__ == "__main__":
    main()
