"""How the lead's commands grow with the size of the partnership: growth exponents.

    python bench/scale.py              # 10,000 / 100,000 / 1,000,000 observations
                                       # with 100 / 500 / 2,000 outcomes
    python bench/scale.py --sizes 2    # only the two smallest sizes

At each size a partnership is generated (the dashboard bench's generator: partners,
outcomes, stakes, needs, contributions, commitments, meetings, updates, two indicators per
outcome), then, in-process on that file, each of these is timed (the best of ``--runs``
runs, and of more while they take less than half a second):

* ``import``: :meth:`p.measure.import_csv` of a CSV of that many observations (what
  ``partnership observe --csv`` runs), into the file with its indicators;
* ``status``: ``p.measure.status()`` (the metrics refreshed once before, untimed);
* ``gaps``: ``p.gaps.analysis()``; ``check``: ``p.check()``;
* ``publish``: :func:`partnership.publish` to a new public file;
* ``export``: the whole partnership as JSON (``exchange.dumps(exchange.export_data(p))``,
  what ``partnership export --format json`` prints);
* ``home``: the first request for the home page ``/`` of a Datasette just made over
  the public file (:func:`partnership.reporting.serve.make_datasette`), as after a start.

The growth exponent between two sizes is ``log(t2 / t1) / log(n2 / n1)`` where ``n`` is
what the operation reads more of: the observations (import, status, check - its pivot
and freshness checks read every series -, publish, export, home) or the outcomes, with
their needs and contributions (gaps).
Each size is measured in a Python process of its own (what a bigger size leaves in a
process would slow the next one's small operations). Times are CPU seconds of that
process (``time.process_time``: its threads included, the Datasette request's too), not
wall time, so other work on a shared machine is not
counted in them. 1 is linear; a figure over 1.2 means the work grows faster than the data (a quadratic
publish would show about 2) and is printed as SUPERLINEAR. Fixed costs make small sizes
look sublinear: the exponent is a ceiling test, not a speed figure. There is no baseline
ratio here: each size is compared with the smaller one, measured in the same run.
tests/test_scale.py runs the two smallest sizes and fails on an exponent over 1.2.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import math
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from bench_dashboard import generate  # noqa: E402

#: (observations, outcomes)
SIZES: list[tuple[int, int]] = [(10_000, 100), (100_000, 500), (1_000_000, 2_000)]
LIMIT = 1.2
#: what each operation reads more of as the partnership grows
DRIVER = {"import": "observations", "status": "observations", "gaps": "outcomes",
          "check": "observations", "publish": "observations", "export": "observations",
          "home": "observations"}


def write_csv(path: Path, observations: int, indicators: int) -> None:
    """``observations`` rows spread over the generated indicators, dated before the
    generator's own (which start in 2020), so none is a duplicate."""
    per = max(observations // indicators, 1)
    start = dt.date(2000, 1, 3)
    dates = [(start + dt.timedelta(days=7 * k)).isoformat() for k in range(per)]
    with open(path, "w", encoding="utf-8") as f:
        f.write("indicator,date,value,source\n")
        for i in range(indicators):
            f.writelines(f"ind-{i},{d},{400 - k * 0.1:.1f},scale\n" for k, d in enumerate(dates))


def best(fn: Callable[[], Any], runs: int, before: Callable[[], Any] | None = None,
         budget: float = 0.5) -> float:
    """The least CPU time of ``fn`` over ``runs`` runs, and more while they add up to less
    than ``budget`` seconds (at most 30): a fast operation is timed often enough that one
    stall of a busy machine does not decide its figure.

    As ``timeit`` does, the cyclic garbage collector is off while ``fn`` runs (and a
    collection is made before): otherwise a full collection, whose cost grows with
    everything the process has allocated so far (the files generated, the earlier
    sizes), lands in one operation's timing at random and reads as superlinear growth."""
    times: list[float] = []
    while len(times) < runs or (sum(times) < budget and len(times) < 30):
        if before is not None:
            before()
        gc.collect()
        gc.disable()
        try:
            started = time.process_time()
            fn()
            times.append(time.process_time() - started)
        finally:
            gc.enable()
    return min(times)


def first_home_request(public: Path) -> None:
    from partnership.reporting.serve import make_datasette

    async def get() -> None:
        ds = make_datasette(public)
        await ds.invoke_startup()
        response = await ds.client.get("/")
        assert response.status_code == 200, response.status_code

    asyncio.run(get())


def measure(tmp: Path, observations: int, outcomes: int, runs: int) -> dict[str, float]:
    """Seconds of each operation at one size."""
    import partnership
    from partnership import exchange

    indicators = outcomes * 2
    template = tmp / f"template-{outcomes}.db"
    # one observation per indicator from the generator: the CSV brings the rest
    generate(template, partners=max(outcomes // 10, 10), outcomes=outcomes, observations=indicators)
    csv = tmp / f"obs-{observations}.csv"
    write_csv(csv, observations - indicators, indicators)
    work = tmp / f"work-{outcomes}.db"
    out: dict[str, float] = {}

    def fresh() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)
        src = sqlite3.connect(template)
        src.execute("VACUUM INTO ?", [str(work)])
        src.close()

    def import_csv() -> None:
        with partnership.open(work) as p:
            p.measure.import_csv(csv)

    # gaps reads needs, contributions and capacity, never observations: it is timed on the
    # file as generated, so that its figure grows only with what it reads. After an import of
    # 100,000 observations the imported file, opened in a new process, measures the same as
    # the generated one (page layout and cache size play no part); in the process that did
    # the import it measures 1.1 to 1.25x slower with the collector off, and erratically more
    # with it on (the 1.6x once seen): the state of the process, not of the file
    fresh()
    with partnership.open(work) as p:
        out["gaps"] = best(p.gaps.analysis, runs)
    out["import"] = best(import_csv, runs, before=fresh)
    public = tmp / f"public-{outcomes}.db"
    with partnership.open(work) as p:
        p.measure.refresh(force=True)
        out["status"] = best(p.measure.status, runs)
        out["check"] = best(p.check, runs)
        out["publish"] = best(lambda: partnership.publish(p, public), runs)
        out["export"] = best(lambda: exchange.dumps(exchange.export_data(p), "json"), runs)
    out["home"] = best(lambda: first_home_request(public), runs)
    return out


def exponents(sizes: list[tuple[int, int]], results: list[dict[str, float]]) -> dict[str, list[float]]:
    """Growth exponent of each operation between consecutive sizes."""
    grown: dict[str, list[float]] = {name: [] for name in DRIVER}
    for i in range(len(sizes) - 1):
        small, big, r1, r2 = sizes[i], sizes[i + 1], results[i], results[i + 1]
        for name, driver in DRIVER.items():
            n1, n2 = (small[0], big[0]) if driver == "observations" else (small[1], big[1])
            grown[name].append(math.log(r2[name] / r1[name]) / math.log(n2 / n1))
    return grown


def measure_apart(tmp: Path, observations: int, outcomes: int, runs: int) -> dict[str, float]:
    """:func:`measure` of one size in a Python process of its own: what the earlier sizes
    left in this one (a heap grown by a million-observation export, Datasette's modules,
    a fragmented allocator) would slow the later sizes' small operations and read as
    superlinear growth (gaps at 500 outcomes measured 1.6x its time in a fresh process)."""
    done = subprocess.run(
        [sys.executable, __file__, "--one", str(observations), str(outcomes), "--runs", str(runs),
         "--tmp", str(tmp)], capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"measuring {observations:,} observations failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run(sizes: list[tuple[int, int]], runs: int = 2) -> dict[str, list[float]]:
    """Measure every size (each in a process of its own) and print the table; return the
    exponents."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for observations, outcomes in sizes:
            started = time.perf_counter()
            results.append(measure_apart(Path(tmp), observations, outcomes, runs))
            print(f"measured {observations:,} observations, {outcomes:,} outcomes "
                  f"in {time.perf_counter() - started:.0f}s", flush=True)
    grown = exponents(sizes, results)
    header = "".join(f"{f'{o:,} obs':>14}" for o, _ in sizes)
    steps = "".join(f"{f'exp {i + 1}->{i + 2}':>11}" for i in range(len(sizes) - 1))
    print(f"{'CPU s (best of >= ' + str(runs) + ')':<24}{header}{steps}  (limit {LIMIT:g})")
    for name in DRIVER:
        times = "".join(f"{r[name]:14.3f}" for r in results)
        exps = "".join(f"{e:11.2f}" for e in grown[name])
        worst = max(grown[name])
        print(f"{name + ' (by ' + DRIVER[name] + ')':<24}{times}{exps}  "
              f"{'ok' if worst <= LIMIT else 'SUPERLINEAR'}")
    return grown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, default=len(SIZES), help="how many sizes, smallest first")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--one", type=int, nargs=2, metavar=("OBSERVATIONS", "OUTCOMES"),
                        help=argparse.SUPPRESS)  # one size, its seconds as JSON (measure_apart)
    parser.add_argument("--tmp", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(Path(args.tmp), args.one[0], args.one[1], args.runs)))
        return
    run(SIZES[:max(args.sizes, 2)], args.runs)


if __name__ == "__main__":
    main()
